package track

import (
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"
)

func TestParseFileValue(t *testing.T) {
	tests := []struct {
		in   string
		want int64
	}{
		{"5", 5}, {"6\n", 6}, {"  -12 ", -12}, {"+7", 7}, {"0x10", 16}, {"010", 8},
		{"", 0}, {"abc", 0}, {"12abc", 12}, {"-254", -254}, {"0x", 0}, {"08", 0},
		{"2147483647", 2147483647}, {"-2147483648", -2147483648},
	}
	for _, tt := range tests {
		got, err := ParseFileValue([]byte(tt.in))
		if err != nil || got != tt.want {
			t.Errorf("ParseFileValue(%q) = %d, %v; want %d", tt.in, got, err, tt.want)
		}
	}
	for _, in := range []string{"2147483649", "-2147483649", "99999999999999999999999"} {
		if v, err := ParseFileValue([]byte(in)); !errors.Is(err, strconv.ErrRange) {
			t.Errorf("ParseFileValue(%q) = %d, %v; want ErrRange", in, v, err)
		}
	}
}

func FuzzParseFileValue(f *testing.F) {
	for _, s := range []string{"5", " -0x1f", "0777", "99999999999999999999", "+", "-"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		v, err := ParseFileValue(b)
		if err != nil {
			return
		}
		if v < -1<<31 || v > 1<<31-1 {
			t.Fatalf("ParseFileValue(%q) = %d outside int32", b, v)
		}
		// A plain decimal rendering reads back the same.
		if w, err := ParseFileValue([]byte(strconv.FormatInt(v, 10))); err != nil || w != v {
			t.Fatalf("round trip %d: %d, %v", v, w, err)
		}
	})
}

func writeAtomic(t *testing.T, path, content string) {
	t.Helper()
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, path); err != nil {
		t.Fatal(err)
	}
}

// TestFileTracker: writing 5 then 6 into a tracked file (weight 1, base
// priority 244) gives effective priorities 249 then 250, delivered by
// inotify; a rename into place and a removal apply too.
func TestFileTracker(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "vrrp_track_file")
	tr, err := NewFile(FileConfig{Name: "track_app_file", Path: path}, nil)
	if err != nil {
		t.Fatal(err)
	}
	r := newRecorder()
	start(t, tr, r)
	u := r.next(t, 5*time.Second, "initial", func(Update) bool { return true })
	if u.Value != 0 || u.Reason != ReasonFileMissing {
		t.Fatalf("initial update %+v, want 0 / file_missing", u)
	}
	prio := func(u Update) int { return Effective(244, []Input{u.Input(1, false)}).Priority }
	for _, v := range []int64{5, 6} {
		t0 := time.Now()
		if err := os.WriteFile(path, []byte(strconv.FormatInt(v, 10)+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		u := r.next(t, 5*time.Second, "value "+strconv.FormatInt(v, 10), func(u Update) bool { return u.Value == v })
		t.Logf("value %d seen %v after the write; priority %d", v, u.Time.Sub(t0), prio(u))
		if want := 244 + int(v); prio(u) != want {
			t.Fatalf("priority %d, want %d", prio(u), want)
		}
	}
	writeAtomic(t, path, "-300\n")
	u = r.next(t, 5*time.Second, "renamed -300", func(u Update) bool { return u.Value == -300 })
	if e := Effective(244, []Input{u.Input(1, false)}); !e.InFault() {
		t.Fatalf("-300 x 1: %+v, want FAULT", e)
	}
	os.Remove(path)
	if u := r.next(t, 5*time.Second, "removed", func(u Update) bool { return u.Value == 0 }); u.Reason != ReasonFileMissing {
		t.Fatalf("after removal %+v", u)
	}
	// Writing the same value again emits nothing; another file in the
	// directory is ignored.
	os.WriteFile(filepath.Join(dir, "other"), []byte("9"), 0o644)
	os.WriteFile(path, []byte("0x0b"), 0o644)
	if u := r.next(t, 5*time.Second, "11", func(u Update) bool { return true }); u.Value != 11 {
		t.Fatalf("next update %+v, want value 11 only", u)
	}
	if tr.Counters.Get(ReasonFileMissing) == 0 {
		t.Error("missing file not counted")
	}
}

func TestFileTrackerInitFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "f")
	tr, _ := NewFile(FileConfig{Name: "f", Path: path, InitFile: true, InitValue: 7}, nil)
	r := newRecorder()
	start(t, tr, r)
	if u := r.next(t, 5*time.Second, "initial", func(Update) bool { return true }); u.Value != 7 || u.Reason != ReasonNone {
		t.Fatalf("initial %+v, want 7", u)
	}
	// Without overwrite an existing file is kept.
	path2 := filepath.Join(dir, "g")
	os.WriteFile(path2, []byte("3"), 0o644)
	tr2, _ := NewFile(FileConfig{Name: "g", Path: path2, InitFile: true, InitValue: 7}, nil)
	r2 := newRecorder()
	start(t, tr2, r2)
	if u := r2.next(t, 5*time.Second, "initial", func(Update) bool { return true }); u.Value != 3 {
		t.Fatalf("existing file: %+v, want 3", u)
	}
	path3 := filepath.Join(dir, "h")
	os.WriteFile(path3, []byte("3"), 0o644)
	tr3, _ := NewFile(FileConfig{Name: "h", Path: path3, InitFile: true, InitValue: -2, InitOverwrite: true}, nil)
	r3 := newRecorder()
	start(t, tr3, r3)
	if u := r3.next(t, 5*time.Second, "initial", func(Update) bool { return true }); u.Value != -2 {
		t.Fatalf("overwrite: %+v, want -2", u)
	}
}

func TestFileTrackerNoDirectory(t *testing.T) {
	tr, _ := NewFile(FileConfig{Name: "f", Path: "/nonexistent-lvsd/dir/f"}, nil)
	if err := tr.Run(t.Context(), func(Update) {}); err == nil {
		t.Fatal("Run on a missing directory succeeded")
	}
}
