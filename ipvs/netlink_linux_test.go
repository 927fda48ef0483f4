//go:build linux

package ipvs

import (
	"errors"
	"net/netip"
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

// The decoders of kernel answers never panic and reject bad addresses.
func FuzzDecodeService(f *testing.F) {
	for _, s := range []Service{
		{ServiceKey: ServiceKey{Protocol: TCP, Addr: netip.MustParseAddr("10.0.0.1"), Port: 80}, Scheduler: "rr", Timeout: 50, NetmaskBits: 24},
		{ServiceKey: ServiceKey{FWMark: 7, IPv6: true}, Scheduler: "sh", PE: "sip", NetmaskBits: 64},
	} {
		b, err := encodeService(s)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b[4:]) // the attributes nested in CMD_ATTR_SERVICE
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		s, err := decodeService(b)
		if err == nil && s.FWMark == 0 && !s.Addr.IsValid() {
			t.Fatalf("no error but no address: %+v", s)
		}
	})
}

func FuzzDecodeDest(f *testing.F) {
	k := ServiceKey{Protocol: TCP, Addr: netip.MustParseAddr("10.0.0.1"), Port: 80}
	for _, d := range []Destination{
		{DestKey: DestKey{Addr: netip.MustParseAddr("10.1.0.1"), Port: 80}, Forward: TUN, Weight: 3, TunnelType: GUE, TunnelPort: 6080},
		{DestKey: DestKey{Addr: netip.MustParseAddr("2001:db8::1"), Port: 443}, Forward: DR, Weight: 1, UThreshold: 9},
	} {
		b, err := encodeDest(k, d, true)
		if err != nil {
			f.Fatal(err)
		}
		ad, _ := netlink.NewAttributeDecoder(b)
		for ad.Next() {
			if ad.Type() == cmdAttrDest {
				f.Add(ad.Bytes())
			}
		}
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		d, err := decodeDest(b)
		if err == nil && !d.Addr.IsValid() {
			t.Fatalf("no error but no address: %+v", d)
		}
	})
}

// Encoding then decoding gives the service back.
func TestServiceCodecRoundTrip(t *testing.T) {
	for _, s := range []Service{
		{ServiceKey: ServiceKey{Protocol: UDP, Addr: netip.MustParseAddr("10.0.0.1"), Port: 5060}, Scheduler: "rr", Timeout: 50, NetmaskBits: 24, PE: "sip", Flags: FlagOnePacket},
		{ServiceKey: ServiceKey{FWMark: 7, IPv6: true}, Scheduler: "mh", Flags: FlagSched1 | FlagSched2, NetmaskBits: 64},
		{ServiceKey: ServiceKey{Protocol: SCTP, Addr: netip.MustParseAddr("2001:db8::1"), Port: 9}, Scheduler: "wlc"},
	} {
		b, err := encodeService(s)
		if err != nil {
			t.Fatal(err)
		}
		got, err := decodeService(b[4:])
		if err != nil {
			t.Fatal(err)
		}
		if got.Service != s.normalized() {
			t.Errorf("round trip: got %+v, want %+v", got.Service, s.normalized())
		}
	}
}
