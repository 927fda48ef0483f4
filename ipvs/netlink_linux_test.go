//go:build linux

package ipvs

import (
	"errors"
	"os"
	"testing"

	"github.com/mdlayher/netlink"
)

// The kernel pads 64-bit stats with a zero-length IPVS_STATS_ATTR_PAD (11).
func TestDecodeStats64Padding(t *testing.T) {
	ae := netlink.NewAttributeEncoder()
	ae.Bytes(11, nil)
	ae.Uint64(1, 42)
	ae.Bytes(11, nil)
	ae.Uint64(5, 1<<40)
	ae.Uint64(10, 7)
	b, err := ae.Encode()
	if err != nil {
		t.Fatal(err)
	}
	ad, err := netlink.NewAttributeDecoder(b)
	if err != nil {
		t.Fatal(err)
	}
	got := decodeStats64(ad)
	if err := ad.Err(); err != nil {
		t.Fatal(err)
	}
	if want := (Stats{Connections: 42, OutBytes: 1 << 40, OutBPS: 7}); got != want {
		t.Errorf("got %+v, want %+v", got, want)
	}
}

// On a kernel without IPVS (the build machines) New says so clearly.
func TestNewWithoutIPVS(t *testing.T) {
	if _, err := os.Stat("/proc/net/ip_vs"); err == nil {
		t.Skip("this kernel has IPVS")
	}
	c, err := New()
	if err == nil {
		c.Close()
		t.Fatal("New succeeded without IPVS")
	}
	if !errors.Is(err, ErrNoIPVS) || err.Error() != "ipvs: the kernel has no IPVS (modprobe ip_vs?)" {
		t.Fatalf("err = %v", err)
	}
}
