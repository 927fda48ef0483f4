package daemon

import (
	"net"
	"os"
	"path/filepath"
	"testing"
)

func TestReadPassFile(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "pass")
	if err := os.WriteFile(p, []byte("s3cr3t\nignored\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if got, err := readPassFile(p); err != nil || got != "s3cr3t" {
		t.Errorf("readPassFile = %q, %v", got, err)
	}
	if err := os.WriteFile(p, []byte("\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := readPassFile(p); err == nil {
		t.Error("empty first line accepted")
	}
	if _, err := readPassFile(filepath.Join(dir, "missing")); err == nil {
		t.Error("missing file accepted")
	}
}

func TestFirstIPv4(t *testing.T) {
	lo, err := net.InterfaceByName("lo")
	if err != nil {
		t.Skip("no lo:", err)
	}
	a, err := firstIPv4(lo)
	if err != nil || !a.IsLoopback() {
		t.Errorf("firstIPv4(lo) = %v, %v", a, err)
	}
}
