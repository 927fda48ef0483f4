package track

import (
	"log/slog"
	"testing"
)

// TestSetBase: a reload's new base priority moves the effective priority
// with the trackers' contribution kept; unknown instances are an error.
func TestSetBase(t *testing.T) {
	s := newSet(slog.New(slog.DiscardHandler))
	s.AddInstance("VI_1", 100, []Ref{{Kind: KindFile, Name: "f", Weight: 1}})
	var f fakeTarget
	if err := s.Bind("VI_1", &f); err != nil {
		t.Fatal(err)
	}
	p0, _ := f.now()
	if err := s.SetBase("VI_1", 150); err != nil {
		t.Fatal(err)
	}
	if p, _ := f.now(); p != p0+50 {
		t.Errorf("after SetBase(150): priority %d, want %d", p, p0+50)
	}
	if e, _ := s.Effect("VI_1"); e.Priority != p0+50 {
		t.Errorf("Effect priority %d, want %d", e.Priority, p0+50)
	}
	if err := s.SetBase("VI_9", 1); err == nil {
		t.Error("SetBase of an unknown instance succeeded")
	}
}
