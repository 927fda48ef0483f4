package healthcheck

import (
	"context"
	"net/netip"
	"sync"
	"testing"
	"time"

	"github.com/lvsd/lvsd/integration/netlab"
	"github.com/lvsd/lvsd/integration/testenv"
)

// pingMany runs n concurrent checks and returns the results.
// With a node, each check runs on its own thread inside the node's
// namespace (sockets are created in the namespace of the calling thread).
func pingMany(t *testing.T, n int, spec PingSpec, node ...*netlab.Node) []Result {
	t.Helper()
	c, err := NewPingChecker(spec)
	if err != nil {
		t.Fatal(err)
	}
	res := make([]Result, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if len(node) == 0 {
				res[i] = c.Check(context.Background())
				return
			}
			node[0].Do(func() error { res[i] = c.Check(context.Background()); return nil })
		}()
	}
	wg.Wait()
	return res
}

func TestPingLoopbackRaw(t *testing.T) {
	testenv.NeedRoot(t)
	for i, r := range pingMany(t, 300, PingSpec{Target: netip.MustParseAddr("127.0.0.1"), Timeout: 5 * time.Second, Mode: PingRaw}) {
		if !r.OK() {
			t.Fatalf("ping %d of 300 concurrent: %s", i, r.Detail())
		}
	}
	if r := pingMany(t, 1, PingSpec{Target: netip.MustParseAddr("::1"), Timeout: 2 * time.Second, Mode: PingRaw})[0]; !r.OK() {
		t.Fatalf("ping ::1: %s", r.Detail())
	}
}

// TestPingNamespace: in a lab, datagram sockets (allowed by the namespace's
// ping_group_range) with 300 concurrent pings, and no reply from an absent
// host.
func TestPingNamespace(t *testing.T) {
	testenv.NeedNetns(t)
	lab := netlab.New(t, "n1", "n2")
	n1 := lab.Node("n1")
	n1.MustExec("sysctl", "-qw", "net.ipv4.ping_group_range=0 2147483647")
	for i, r := range pingMany(t, 300, PingSpec{Target: netip.MustParseAddr("10.99.0.2"), Timeout: 5 * time.Second, Mode: PingDatagram}, n1) {
		if !r.OK() {
			t.Fatalf("datagram ping %d of 300 concurrent: %s", i, r.Detail())
		}
	}
	start := time.Now()
	r := pingMany(t, 1, PingSpec{Target: netip.MustParseAddr("10.99.0.9"), Timeout: time.Second, Mode: PingRaw}, n1)[0]
	if r.Reason != ReasonNoReply {
		t.Errorf("absent host: %s", r.Detail())
	}
	if el := time.Since(start); el > 10*time.Second {
		t.Errorf("no-reply check took %v with a 1 s timeout", el)
	}
}
