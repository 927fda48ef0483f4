package integration

import (
	"strings"
	"testing"
)

// TestVRRPRatioTable: BenchmarkVRRPCPU's table divides lvsd by keepalived
// per figure and leaves out counts keepalived did not measure.
func TestVRRPRatioTable(t *testing.T) {
	res := map[cpuKey]cpuResult{
		{50, "lvsd"}:         {sent: 40, recv: 30, rssMaster: 2048, rssBk: 4096, anonBk: 3072},
		{50, "keepalived"}:   {sent: 80, recv: 10, rssMaster: 1024, rssBk: 1024, anonBk: 1024},
		{250, "lvsd"}:        {sent: 1, recv: 1, rssMaster: 1, rssBk: 1},
		{50, "lvsd-nostate"}: {sent: 20, recv: 10, rssMaster: 1024, rssBk: 0},
	}
	got := vrrpRatioTable(res, []int{1, 50, 250})
	for _, want := range []string{
		"| 50 | lvsd | CPU per advert sent (master) | 40.0 µs | 80.0 µs | 0.50 |",
		"| 50 | lvsd | CPU per advert received (backup) | 30.0 µs | 10.0 µs | 3.00 |",
		"| 50 | lvsd | RSS backup node | 4.0 MB | 1.0 MB | 4.00 |",
		"| 50 | lvsd | anonymous RSS backup node | 3.0 MB | 1.0 MB | 3.00 |",
		"| 50 | lvsd-nostate | CPU per advert sent (master) | 20.0 µs | 80.0 µs | 0.25 |",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("table lacks %q:\n%s", want, got)
		}
	}
	if strings.Contains(got, "| 250 |") || strings.Contains(got, "| 1 |") {
		t.Errorf("rows without a keepalived peer:\n%s", got)
	}
}
