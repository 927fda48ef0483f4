//go:build linux

package ipvs

import (
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
