//go:build linux

package ipvs

import (
	"errors"
	"testing"

	"github.com/mdlayher/genetlink"
	"github.com/mdlayher/genetlink/genltest"
	"github.com/mdlayher/netlink"
	"golang.org/x/sys/unix"
)

// fakeIPVSFamily serves the generic netlink controller (the IPVS family
// under id *cur, or none when *cur is 0) and IPVS requests: to the
// current id an ack (ESRCH to a service delete), to any other id ENOENT as the kernel answers
// for a family that is gone. lookups counts the family lookups.
func fakeIPVSFamily(cur *uint16, lookups *int) *genetlink.Conn {
	ipvsFn := func(greq genetlink.Message, nreq netlink.Message) ([]genetlink.Message, error) {
		if *cur == 0 || uint16(nreq.Header.Type) != *cur {
			return nil, genltest.Error(int(unix.ENOENT))
		}
		if greq.Header.Command == cmdDelService {
			return nil, genltest.Error(int(unix.ESRCH))
		}
		return []genetlink.Message{{}}, nil // an answer
	}
	return genltest.Dial(func(greq genetlink.Message, nreq netlink.Message) ([]genetlink.Message, error) {
		if nreq.Header.Type == unix.GENL_ID_CTRL {
			*lookups++
			if *cur == 0 {
				return nil, genltest.Error(int(unix.ENOENT))
			}
		}
		return genltest.ServeFamily(genetlink.Family{ID: *cur, Name: genlName, Version: genlVersion}, ipvsFn)(greq, nreq)
	})
}

// Defect 9: after rmmod ip_vs; modprobe ip_vs the family has a new id.
// A request to the old one fails with ENOENT; the client resolves the
// family again and retries, once, under the new id.
func TestNetlinkClientReresolvesFamily(t *testing.T) {
	svc := Service{ServiceKey: ServiceKey{FWMark: 1}, Scheduler: "rr"}
	cur, lookups := uint16(30), 0
	c := &netlinkClient{conn: fakeIPVSFamily(&cur, &lookups), family: 30, rbuf: make([]byte, 64<<10)}
	defer c.conn.Close()

	if err := c.AddService(svc); err != nil || lookups != 0 {
		t.Fatalf("unchanged family: err %v, lookups %d", err, lookups)
	}

	cur = 0 // module unloaded: the request fails, the lookup too, the id stays
	if err := c.AddService(svc); !errors.Is(err, unix.ENOENT) || c.family != 30 || c.refreshes != 0 {
		t.Fatalf("module gone: err %v, family %d, refreshes %d", err, c.family, c.refreshes)
	}

	cur = 31 // module loaded again under a new id
	if err := c.AddService(svc); err != nil {
		t.Fatalf("after reload: %v", err)
	}
	if c.family != 31 || c.refreshes != 1 || !c.cfStale {
		t.Fatalf("after reload: family %d, refreshes %d, cfStale %v", c.family, c.refreshes, c.cfStale)
	}

	// An ordinary ESRCH is not a family question: no lookup. An ENOENT
	// under the current id costs one lookup and no retry.
	n := lookups
	if err := c.DeleteService(ServiceKey{FWMark: 1}); !errors.Is(err, unix.ESRCH) || lookups != n {
		t.Fatalf("ESRCH: err %v, lookups %d -> %d", err, n, lookups)
	}
}
