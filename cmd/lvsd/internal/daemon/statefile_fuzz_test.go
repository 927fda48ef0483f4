package daemon

import (
	"os"
	"path/filepath"
	"testing"
)

// FuzzStateFile: any content of the state file is read without a panic,
// and what is read is written back and read again unchanged.
func FuzzStateFile(f *testing.F) {
	f.Add([]byte(`{"pid":1,"netns":"cookie:1","written":"2026-11-22T21:00:00Z","vrrp_instances":{"VI_1":{"state":"MASTER","virtual_router_id":51,"interface":"eth0"}}}`))
	f.Add([]byte(`{}`))
	f.Add([]byte(`{"vrrp_instances":null}`))
	f.Add([]byte(`{"vrrp_instances":{"":{"virtual_router_id":256}}}`))
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, b []byte) {
		path := filepath.Join(dir, "state.json")
		if err := os.WriteFile(path, b, 0o600); err != nil {
			t.Fatal(err)
		}
		s, err := readStateFile(path)
		if err != nil {
			return
		}
		_ = s.wasMaster("VI_1", 51, "eth0")
		if err := writeStateFile(path, s); err != nil {
			t.Fatal(err)
		}
		s2, err := readStateFile(path)
		if err != nil {
			t.Fatalf("re-read: %v", err)
		}
		if stateKey(s) != stateKey(s2) || s.PID != s2.PID || s.NetNS != s2.NetNS || !s.Written.Equal(s2.Written) {
			t.Fatalf("round trip changed the record: %+v -> %+v", s, s2)
		}
	})
}
