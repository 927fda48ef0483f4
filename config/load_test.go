package config

import (
	"errors"
	"net/netip"
	"os"
	"testing"
	"time"
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

// TestKeepalivedTranslations: the keepalived configurations behind the
// shared packet captures, written in lvsd TOML, load with the same values.
func TestKeepalivedTranslations(t *testing.T) {
	for _, tt := range []struct {
		file      string
		version   int
		advert    time.Duration
		auth      Auth
		unicast   int
		trackRefs int
	}{
		{"v2_n1.toml", 2, time.Second, Auth{"PASS", "s3cr3t"}, 0, 0},
		{"v3_n1.toml", 3, 100 * time.Millisecond, Auth{}, 0, 0},
		{"uni_n1.toml", 2, time.Second, Auth{"PASS", "s3cr3t"}, 1, 0},
		{"track_n1.toml", 2, time.Second, Auth{"PASS", "s3cr3t"}, 0, 5},
	} {
		c, err := Load("testdata/keepalived/" + tt.file)
		if err != nil {
			t.Errorf("%s: %v", tt.file, err)
			continue
		}
		in := c.Instances[0]
		refs := len(in.TrackScripts) + len(in.TrackFiles) + len(in.TrackInterfaces)
		if in.Version != tt.version || in.AdvertInt != tt.advert || in.Auth != tt.auth || len(in.UnicastPeers) != tt.unicast ||
			refs != tt.trackRefs || in.Priority != 200 || in.VirtualRouterID != 51 || in.State != "MASTER" ||
			in.VIPs[0] != (VIP{Prefix: netip.MustParsePrefix("10.99.0.100/24"), Dev: "eth0", Scope: "global"}) {
			t.Errorf("%s: %+v", tt.file, in)
		}
	}
}
