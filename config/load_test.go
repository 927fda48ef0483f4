package config

import (
	"errors"
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
