package script

import (
	"errors"
	"io/fs"
	"testing"
)

func TestUnsafe(t *testing.T) {
	for _, tt := range []struct {
		fi   FileInfo
		want string
	}{
		{FileInfo{Mode: 0o755}, ""},
		{FileInfo{Mode: 0o775}, ""}, // group root
		{FileInfo{Mode: 0o775, GID: 100}, "is writable by group 100"},
		{FileInfo{Mode: 0o757}, "is writable by every user"},
		{FileInfo{Mode: fs.ModeDir | fs.ModeSticky | 0o777}, ""},
		{FileInfo{Mode: fs.ModeDir | 0o777}, "is writable by every user"},
		{FileInfo{Mode: 0o700, UID: 1000}, "is owned by uid 1000"},
	} {
		if got := Unsafe(tt.fi); got != tt.want {
			t.Errorf("Unsafe(%+v) = %q, want %q", tt.fi, got, tt.want)
		}
	}
}

func TestCheckSecureStat(t *testing.T) {
	dir := FileInfo{Mode: fs.ModeDir | 0o755}
	files := map[string]FileInfo{
		"/": dir, "/etc": dir, "/etc/ok.sh": {Mode: 0o755},
		"/home": dir, "/home/u": {Mode: fs.ModeDir | 0o755, UID: 1000}, "/home/u/s.sh": {Mode: 0o755},
	}
	stat := func(p string) (FileInfo, error) {
		if fi, ok := files[p]; ok {
			return fi, nil
		}
		return FileInfo{}, &fs.PathError{Op: "stat", Path: p, Err: fs.ErrNotExist}
	}
	if err := CheckSecureStat("/etc/ok.sh", stat); err != nil {
		t.Errorf("/etc/ok.sh: %v", err)
	}
	err := CheckSecureStat("/home/u/s.sh", stat)
	var ie *InsecureError
	if !errors.As(err, &ie) || !errors.Is(err, ErrInsecure) || ie.Path != "/home/u" {
		t.Fatalf("/home/u/s.sh: %v, want an InsecureError on /home/u", err)
	}
	if want := "directory /home/u of script /home/u/s.sh runs as root but is owned by uid 1000"; err.Error() != want {
		t.Errorf("message %q, want %q", err, want)
	}
	if err := CheckSecureStat("/etc/missing.sh", stat); !errors.Is(err, fs.ErrNotExist) || errors.Is(err, ErrInsecure) {
		t.Errorf("missing file: %v", err)
	}
}
