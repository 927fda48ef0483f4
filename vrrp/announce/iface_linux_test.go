package announce

import (
	"bytes"
	"errors"
	"net"
	"testing"

	"github.com/lvsd/lvsd/integration/netlab"
	"golang.org/x/sys/unix"
)

// interfaceByName gives what net.InterfaceByName gives for the fields
// Announce uses, for every interface of a namespace, also after the MAC
// changed (nothing is cached), and ENODEV for a missing one.
func TestInterfaceByNameMatchesNet(t *testing.T) {
	lab := netlab.New(t, "n1", "n2")
	n1 := lab.Node("n1")
	check := func() {
		t.Helper()
		err := n1.Do(func() error {
			all, err := net.Interfaces()
			if err != nil {
				return err
			}
			if len(all) < 2 {
				t.Errorf("namespace has %d interfaces", len(all))
			}
			for _, want := range all {
				got, err := interfaceByName(want.Name)
				if err != nil {
					t.Errorf("%s: %v", want.Name, err)
					continue
				}
				if got.Index != want.Index || got.Name != want.Name || !bytes.Equal(got.HardwareAddr, want.HardwareAddr) {
					t.Errorf("%s: got index %d mac %q, net gives %d %q", want.Name, got.Index, got.HardwareAddr, want.Index, want.HardwareAddr)
				}
			}
			if _, err := interfaceByName("nosuch0"); !errors.Is(err, unix.ENODEV) {
				t.Errorf("missing interface: %v, want ENODEV", err)
			}
			if _, err := interfaceByName("a-name-far-too-long"); !errors.Is(err, unix.EINVAL) {
				t.Errorf("long name: %v, want EINVAL", err)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	check()
	n1.MustExec("ip", "link", "set", "eth0", "address", "02:00:5e:aa:bb:cc")
	check()
	if err := n1.Do(func() error {
		ifi, err := interfaceByName("eth0")
		if err == nil && ifi.HardwareAddr.String() != "02:00:5e:aa:bb:cc" {
			t.Errorf("after the change: %s", ifi.HardwareAddr)
		}
		return err
	}); err != nil {
		t.Fatal(err)
	}
}
