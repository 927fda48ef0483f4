package vrrpnet

import (
	"bytes"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/lvsd/lvsd/integration/netlab"
)

func open(t *testing.T, n *netlab.Node, r *Registry, cfg Config, vrid uint8) Endpoint {
	t.Helper()
	var e Endpoint
	if err := n.Do(func() (err error) { e, err = r.Open(cfg, vrid); return err }); err != nil {
		t.Fatalf("%s: %v", n.Name, err)
	}
	t.Cleanup(func() { e.Close() })
	return e
}

func advert(vrid byte) []byte {
	p := bytes.Clone(payload)
	p[1] = vrid
	return p
}

func TestRegistryDemux(t *testing.T) {
	lab := netlab.New(t, "n1", "n2")
	n1, n2 := lab.Node("n1"), lab.Node("n2")
	reg := NewRegistry()
	s51 := open(t, n2, reg, Config{Interface: "eth0"}, 51)
	s52 := open(t, n2, reg, Config{Interface: "eth0", Unicast: true}, 52)
	if s51.(*Sub).m != s52.(*Sub).m {
		t.Fatal("two instances on one interface got two sockets")
	}
	if s51.LocalAddr() != n2.IP {
		t.Errorf("source %s, want %s", s51.LocalAddr(), n2.IP)
	}
	if err := n2.Do(func() error { _, err := reg.Open(Config{Interface: "eth0"}, 51); return err }); err == nil {
		t.Error("a second instance with VRID 51 on eth0 was accepted")
	}
	c1 := dial(t, n1, Config{Interface: "eth0"})
	ch51, ch52 := readAsync(s51), readAsync(s52)
	for _, v := range []byte{99, 52, 51} {
		dst := Group4
		if v == 52 {
			dst = n2.IP // the unicast instance
		}
		if err := c1.WriteTo(advert(v), dst); err != nil {
			t.Fatal(err)
		}
	}
	for _, tc := range []struct {
		ch   <-chan recv
		vrid byte
	}{{ch51, 51}, {ch52, 52}} {
		select {
		case r := <-tc.ch:
			if r.err != nil || !bytes.Equal(r.payload, advert(tc.vrid)) || r.meta.Src != n1.IP || r.meta.TTL != 255 {
				t.Errorf("VRID %d received % x %+v %v", tc.vrid, r.payload, r.meta, r.err)
			}
		case <-time.After(3 * time.Second):
			t.Fatalf("VRID %d received nothing (unknown %d, overflows %d/%d)", tc.vrid, reg.Unknown("eth0", false),
				s51.(*Sub).Overflows(), s52.(*Sub).Overflows())
		}
	}
	if !netlab.WaitFor(time.Second, func() bool { return reg.Unknown("eth0", false) == 1 }) {
		t.Errorf("unknown VRIDs counted: %d, want 1", reg.Unknown("eth0", false))
	}
	want := []Socket{{Interface: "eth0", VRIDs: []uint8{51, 52}, Unknown: 1}}
	if d := cmp.Diff(want, reg.Sockets()); d != "" {
		t.Errorf("Sockets (-want +got):\n%s", d)
	}
	// replies go out of the shared socket with each instance's source
	back := readAsync(c1)
	if err := s52.WriteTo(advert(52), n1.IP); err != nil {
		t.Fatal(err)
	}
	select {
	case r := <-back:
		if r.meta.Src != n2.IP || r.payload[1] != 52 {
			t.Errorf("n1 received %+v % x", r.meta, r.payload)
		}
	case <-time.After(3 * time.Second):
		t.Fatal("n1 received nothing")
	}
	// Close unblocks a reader; the last Close releases the socket
	blocked := readAsync(s51)
	s51.Close()
	if r := <-blocked; r.err == nil {
		t.Error("ReadFrom after Close returned no error")
	}
	if got := reg.Sockets(); len(got) != 1 || !slices.Equal(got[0].VRIDs, []uint8{52}) {
		t.Errorf("Sockets after VRID 51 closed: %+v", got)
	}
	s52.Close()
	reg.mu.Lock()
	left := len(reg.muxs)
	reg.mu.Unlock()
	if left != 0 {
		t.Errorf("%d shared sockets left after every instance closed", left)
	}
	if got := reg.Sockets(); len(got) != 0 {
		t.Errorf("Sockets after every instance closed: %+v", got)
	}
}

func TestRegistryNoAllocs(t *testing.T) {
	lab := netlab.New(t, "n1", "n2")
	reg := NewRegistry()
	a := open(t, lab.Node("n1"), reg, Config{Interface: "eth0"}, 51)
	reg2 := NewRegistry()
	b := open(t, lab.Node("n2"), reg2, Config{Interface: "eth0"}, 51)
	buf := make([]byte, 1500)
	p := advert(51)
	allocs := testing.AllocsPerRun(50, func() {
		if err := a.WriteTo(p, Group4); err != nil {
			t.Fatal(err)
		}
		if _, _, err := b.ReadFrom(buf); err != nil {
			t.Fatal(err)
		}
	})
	if allocs != 0 {
		t.Errorf("%v allocations per advert through shared sockets, want 0", allocs)
	}
}

// BenchmarkRegistryFanIn: 250 instances share n2's socket; each advert from
// n1 reaches only its instance.
func BenchmarkRegistryFanIn(b *testing.B) {
	lab := netlab.New(b, "n1", "n2")
	reg := NewRegistry()
	var subs []Endpoint
	for v := 1; v <= 250; v++ {
		var e Endpoint
		if err := lab.Node("n2").Do(func() (err error) { e, err = reg.Open(Config{Interface: "eth0"}, uint8(v)); return err }); err != nil {
			b.Fatal(err)
		}
		defer e.Close()
		subs = append(subs, e)
	}
	var c1 *Conn
	if err := lab.Node("n1").Do(func() (err error) { c1, err = Dial(Config{Interface: "eth0"}); return err }); err != nil {
		b.Fatal(err)
	}
	defer c1.Close()
	buf := make([]byte, 1500)
	p := advert(1)
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		v := i%250 + 1
		p[1] = byte(v)
		if err := c1.WriteTo(p, Group4); err != nil {
			b.Fatal(err)
		}
		if _, _, err := subs[v-1].ReadFrom(buf); err != nil {
			b.Fatal(err)
		}
		i++
	}
}

// TestRegistryPush: an advert queued before Push is handed to the push
// function first, later ones on the reader; none after Close, and a closed
// Sub refuses to push.
func TestRegistryPush(t *testing.T) {
	lab := netlab.New(t, "n1", "n2")
	n1, n2 := lab.Node("n1"), lab.Node("n2")
	reg := NewRegistry()
	s := open(t, n2, reg, Config{Interface: "eth0"}, 51).(*Sub)
	c1 := dial(t, n1, Config{Interface: "eth0"})
	first := advert(51)
	first[2] = 1
	if err := c1.WriteTo(first, Group4); err != nil {
		t.Fatal(err)
	}
	// the first advert waits in the queue (nobody reads yet)
	if !netlab.WaitFor(3*time.Second, func() bool { return len(s.ready) == 1 }) {
		t.Fatal("the first advert was not queued")
	}
	got := make(chan recv, 8)
	if !s.Push(func(p []byte, meta Meta) { got <- recv{payload: bytes.Clone(p), meta: meta} }) {
		t.Fatal("Push refused on an open Sub")
	}
	second := advert(51)
	second[2] = 2
	if err := c1.WriteTo(second, Group4); err != nil {
		t.Fatal(err)
	}
	for _, want := range [][]byte{first, second} {
		select {
		case r := <-got:
			if !bytes.Equal(r.payload, want) || r.meta.Src != n1.IP || r.meta.TTL != 255 {
				t.Errorf("pushed % x %+v, want % x from %s", r.payload, r.meta, want, n1.IP)
			}
		case <-time.After(3 * time.Second):
			t.Fatalf("nothing pushed (overflows %d)", s.Overflows())
		}
	}
	s.Close()
	// a packet the reader looked up before Close reaches deliver after it
	s.deliver(second, Meta{})
	if len(got) != 0 {
		t.Errorf("%d adverts pushed after Close", len(got))
	}
	if s.Push(func([]byte, Meta) {}) {
		t.Error("Push accepted after Close")
	}
}

// TestRegistryLazyBuffers: a Sub allocates its receive buffers only when
// adverts wait for ReadFrom.
func TestRegistryLazyBuffers(t *testing.T) {
	lab := netlab.New(t, "n1", "n2")
	reg := NewRegistry()
	s := open(t, lab.Node("n2"), reg, Config{Interface: "eth0"}, 51).(*Sub)
	s.hmu.Lock()
	n := s.nbuf
	s.hmu.Unlock()
	if n != 0 {
		t.Errorf("%d receive buffers allocated at Open, want 0", n)
	}
}
