package track

import (
	"testing"
	"time"

	"github.com/lvsd/lvsd/integration/netlab"
	"github.com/lvsd/lvsd/integration/testenv"
	"github.com/vishvananda/netns"
)

// TestInterfaceTracker: a tracked interface going down in a namespace is
// seen through the rtnetlink subscription, and coming back up too; with
// weight -5 the priority drops by 5, with weight 0 the instance is in FAULT.
func TestInterfaceTracker(t *testing.T) {
	testenv.NeedNetns(t)
	lab := netlab.New(t, "n1")
	n := lab.Node("n1")
	var h netns.NsHandle
	if err := n.Do(func() error {
		var err error
		h, err = netns.Get() // the node's namespace, opened from inside it
		return err
	}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { h.Close() })

	tr, err := NewInterface(InterfaceConfig{Interface: "eth0", Netns: &h}, nil)
	if err != nil {
		t.Fatal(err)
	}
	r := newRecorder()
	start(t, tr, r)
	u := r.next(t, 10*time.Second, "initial", func(Update) bool { return true })
	if u.Status != StatusOK {
		t.Fatalf("initial %+v, want OK", u)
	}
	t0 := time.Now()
	n.LinkDown()
	u = r.next(t, 10*time.Second, "down", func(u Update) bool { return u.Status == StatusFailed })
	t.Logf("link down seen %v after `ip link set eth0 down` returned", u.Time.Sub(t0))
	if u.Reason != ReasonLinkDown {
		t.Errorf("reason %v, want link_down", u.Reason)
	}
	if p := Effective(100, []Input{u.Input(-5, false)}).Priority; p != 95 {
		t.Errorf("weight -5 while down: priority %d, want 95", p)
	}
	if e := Effective(100, []Input{u.Input(0, false)}); !e.InFault() {
		t.Errorf("weight 0 while down: %+v, want FAULT", e)
	}
	n.LinkUp()
	u = r.next(t, 10*time.Second, "up", func(u Update) bool { return u.Status == StatusOK })
	if p := Effective(100, []Input{u.Input(-5, false)}).Priority; p != 100 {
		t.Errorf("weight -5 while up: priority %d, want 100", p)
	}
	// A link that is up only once its peer is, and then deleted.
	n.MustExec("ip", "link", "add", "trk0", "type", "veth", "peer", "name", "trk1")
	tr2, _ := NewInterface(InterfaceConfig{Interface: "trk0", Netns: &h}, nil)
	r2 := newRecorder()
	start(t, tr2, r2)
	if u := r2.next(t, 10*time.Second, "initial", func(Update) bool { return true }); u.Status != StatusFailed || u.Reason != ReasonLinkDown {
		t.Fatalf("new veth, administratively down: %+v", u)
	}
	n.MustExec("ip", "link", "set", "trk0", "up")
	// Up but not running while its peer is down.
	time.Sleep(50 * time.Millisecond)
	for _, u := range r2.all() {
		if u.Status == StatusOK {
			t.Fatalf("veth up with its peer down reported OK: %+v", r2.all())
		}
	}
	n.MustExec("ip", "link", "set", "trk1", "up")
	r2.next(t, 10*time.Second, "up", func(u Update) bool { return u.Status == StatusOK })
	n.MustExec("ip", "link", "del", "trk0")
	// The kernel reports the link going down, then its deletion.
	r2.next(t, 10*time.Second, "deleted", func(u Update) bool { return u.Status == StatusFailed && u.Reason == ReasonLinkMissing })
}

func TestInterfaceTrackerMissing(t *testing.T) {
	testenv.NeedNetns(t)
	lab := netlab.New(t, "n1")
	h, err := netns.GetFromName(lab.Node("n1").NS)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { h.Close() })
	tr, _ := NewInterface(InterfaceConfig{Interface: "nosuch0", Netns: &h}, nil)
	r := newRecorder()
	start(t, tr, r)
	if u := r.next(t, 10*time.Second, "initial", func(Update) bool { return true }); u.Status != StatusFailed || u.Reason != ReasonLinkMissing {
		t.Fatalf("missing link: %+v", u)
	}
	if tr.Counters.Get(ReasonLinkMissing) == 0 {
		t.Error("not counted")
	}
}
