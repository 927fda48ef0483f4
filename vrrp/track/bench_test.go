package track

import (
	"testing"
	"time"
)

// BenchmarkEffective: one instance with a typical set of trackers, as
// recomputed on every tracker update.
func BenchmarkEffective(b *testing.B) {
	in := []Input{
		{Name: "chk_nginx", Weight: -20, Status: StatusOK},
		{Name: "track_apache", Kind: KindProcess, Weight: 10, Status: StatusOK},
		{Name: "app", Kind: KindFile, Weight: 1, Value: 5},
		{Name: "eth0", Kind: KindInterface, Status: StatusOK},
		{Name: "ens9", Kind: KindInterface, Weight: -5, Status: StatusFailed},
	}
	b.ReportAllocs()
	for b.Loop() {
		if e := Effective(244, in); e.Priority != 254 {
			b.Fatal(e)
		}
	}
}

// BenchmarkSetUpdate: a tracker update applied to 50 instances that all
// reference it (the runner's SetPriority is a fake).
func BenchmarkSetUpdate(b *testing.B) {
	s := newSet(nil)
	for i := 0; i < 50; i++ {
		name := "VI_" + string(rune('A'+i%26)) + string(rune('a'+i/26))
		s.AddInstance(name, 100, []Ref{{Kind: KindFile, Name: "f", Weight: 1}, {Kind: KindInterface, Name: "eth0"}})
		s.Bind(name, nopTarget{})
	}
	s.update(Update{Kind: KindInterface, Name: "eth0", Status: StatusOK})
	now := time.Now()
	b.ReportAllocs()
	v := int64(0)
	for b.Loop() {
		v = (v + 1) % 100
		s.update(Update{Kind: KindFile, Name: "f", Status: StatusOK, Value: v, Time: now})
	}
}

type nopTarget struct{}

func (nopTarget) SetPriority(int) {}
func (nopTarget) SetFault(bool)   {}

// BenchmarkParseFileValue: reading a tracked file's number.
func BenchmarkParseFileValue(b *testing.B) {
	buf := []byte("  -123\n")
	b.ReportAllocs()
	for b.Loop() {
		if v, err := ParseFileValue(buf); err != nil || v != -123 {
			b.Fatal(v, err)
		}
	}
}
