package config

import (
	"fmt"
	"runtime"
	"strings"
	"testing"
)

// bigConfig generates vs virtual servers with rs real servers each, every
// real server with an http_get checker, plus a VRRP instance.
func bigConfig(vs, rs int) []byte {
	var b strings.Builder
	b.WriteString(baseInstance)
	for i := 0; i < vs; i++ {
		fmt.Fprintf(&b, "\n[[virtual_server]]\nip = \"10.%d.%d.1\"\nport = 443\nlb_algo = \"wrr\"\nlb_kind = \"DR\"\ndelay_loop = 5\n", i/256, i%256)
		for j := 0; j < rs; j++ {
			fmt.Fprintf(&b, "\n[[virtual_server.real_server]]\nip = \"172.16.%d.%d\"\nport = 443\nweight = %d\n", i%256, j+1, j+1)
			b.WriteString("[[virtual_server.real_server.http_get]]\nurl = [{ path = \"/health\", status_code = [200, \"300-399\"] }]\nconnect_timeout = 3\nretry = 2\n")
		}
	}
	return []byte(b.String())
}

func TestBigConfigLoads(t *testing.T) {
	c, err := Parse("big", bigConfig(20, 10))
	if err != nil {
		t.Fatal(err)
	}
	if len(c.VirtualServers) != 20 || len(c.VirtualServers[19].RealServers) != 10 {
		t.Fatalf("got %d virtual servers", len(c.VirtualServers))
	}
}

// BenchmarkParse1000x10 loads 1,000 virtual servers × 10 real servers.
func BenchmarkParse1000x10(b *testing.B) {
	data := bigConfig(1000, 10)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Parse("big", data); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	// The heap a loaded configuration keeps (what a daemon holds).
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	c, err := Parse("big", data)
	if err != nil {
		b.Fatal(err)
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/1e6, "MB-retained")
	runtime.KeepAlive(c)
}
