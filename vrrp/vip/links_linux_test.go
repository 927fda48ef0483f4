package vip

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/lvsd/lvsd/integration/netlab"
)

// TestLinksFollowKernel: Links reports the interfaces' indexes as the
// kernel has them (ip -o link), through a deletion and a re-creation under
// the same name, without a dump.
func TestLinksFollowKernel(t *testing.T) {
	lab := netlab.New(t, "n1")
	n := lab.Node("n1")
	m := manager(t, n)
	kernelIndex := func(name string) int {
		out, err := n.Exec(context.Background(), "ip", "-o", "link", "show", "dev", name)
		if err != nil {
			return -1
		}
		i, _ := strconv.Atoi(strings.TrimSuffix(strings.Fields(string(out))[0], ":"))
		return i
	}
	wait := func(what, name string, want int) {
		t.Helper()
		if !netlab.WaitFor(2*time.Second, func() bool {
			idx, ok := m.Links()
			got, known := idx[name]
			return ok && (known && got == want || !known && want < 0)
		}) {
			idx, ok := m.Links()
			t.Fatalf("%s: Links() = %v, %v; want %s at %d", what, idx, ok, name, want)
		}
	}
	wait("at start", "eth0", kernelIndex("eth0"))
	n.MustExec("ip", "link", "add", "x0", "type", "veth", "peer", "name", "x1")
	first := kernelIndex("x0")
	wait("a new interface", "x0", first)
	n.MustExec("ip", "link", "del", "x0")
	wait("after the deletion", "x0", -1)
	n.MustExec("ip", "link", "add", "x0", "type", "veth", "peer", "name", "x1")
	second := kernelIndex("x0")
	if second == first {
		t.Fatalf("re-created x0 kept index %d", first)
	}
	wait("re-created", "x0", second)
}

// TestLinkChangesSignalled: an interface added or deleted leaves a token on
// LinkChanges.
func TestLinkChangesSignalled(t *testing.T) {
	lab := netlab.New(t, "n1")
	n := lab.Node("n1")
	m := manager(t, n)
	drain := func() {
		for {
			select {
			case <-m.LinkChanges():
			case <-time.After(200 * time.Millisecond):
				return
			}
		}
	}
	want := func(what string) {
		t.Helper()
		select {
		case <-m.LinkChanges():
		case <-time.After(2 * time.Second):
			t.Fatalf("%s: no token on LinkChanges", what)
		}
	}
	drain()
	n.MustExec("ip", "link", "add", "x0", "type", "veth", "peer", "name", "x1")
	want("link added")
	drain()
	n.MustExec("ip", "link", "del", "x0")
	want("link deleted")
}
