package config

import (
	"errors"
	"os"
	"testing"
)

func TestSketchLoads(t *testing.T) {
	c, err := Load("testdata/sketch.toml")
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	if len(c.Instances) != 2 || len(c.VirtualServers) != 2 {
		t.Fatalf("got %d instances, %d virtual servers", len(c.Instances), len(c.VirtualServers))
	}
}

func TestLoadMissing(t *testing.T) {
	_, err := Load("testdata/does-not-exist.toml")
	var es Errors
	if err == nil || errors.As(err, &es) {
		t.Fatalf("want a read error, got %v", err)
	}
}

// TestSketchIsTheContract: testdata/sketch.toml is a copy of the shared
// contract file (checked where the shared material is present).
func TestSketchIsTheContract(t *testing.T) {
	shared, err := os.ReadFile("../../shared/config-sketch.toml")
	if err != nil {
		t.Skipf("shared contract not present here: %v", err)
	}
	local, err := os.ReadFile("testdata/sketch.toml")
	if err != nil {
		t.Fatal(err)
	}
	if string(shared) != string(local) {
		t.Error("testdata/sketch.toml differs from the shared config-sketch.toml: copy it again")
	}
}
