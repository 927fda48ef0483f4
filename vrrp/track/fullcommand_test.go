package track

import (
	"testing"

	"github.com/lvsd/lvsd/config"
)

// TestFromConfigFullCommand: vrrp_track_process full_command reaches the
// process tracker, which then matches argv[0] instead of the comm.
func TestFromConfigFullCommand(t *testing.T) {
	cfg := &config.Config{TrackProcesses: []config.TrackProcess{
		{Name: "p", Process: "/usr/sbin/nginx", Quorum: 1, FullCommand: true},
	}}
	s, err := FromConfig(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	var pt *ProcessTracker
	for _, tr := range s.trackers {
		if p, ok := tr.(*ProcessTracker); ok {
			pt = p
		}
	}
	if pt == nil || len(pt.cfgs) != 1 || !pt.cfgs[0].FullCommand {
		t.Fatalf("process tracker configs: %+v", pt)
	}
	c := pt.cfgs[0]
	if !c.Matches("nginx", []string{"/usr/sbin/nginx", "-g", "daemon off;"}) {
		t.Error("full_command does not match argv[0]")
	}
	if c.Matches("/usr/sbin/nginx", []string{"nginx"}) {
		t.Error("full_command matched the comm")
	}
}
