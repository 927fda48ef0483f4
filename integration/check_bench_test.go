package integration

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/lvsd/lvsd/integration/testenv"
)

// checkConfigs writes the same table of vs virtual servers x rs real servers,
// each real server with a TCP_CHECK, as keepalived.conf and as lvsd TOML.
func checkConfigs(tb testing.TB, vs, rs int) (kconf, lconf string) {
	tb.Helper()
	var k, l strings.Builder
	k.WriteString("global_defs {\n    router_id bench\n}\n")
	for i := range vs {
		ip := fmt.Sprintf("10.1.%d.%d", i/250, i%250+1)
		fmt.Fprintf(&k, "virtual_server %s 80 {\n    delay_loop 5\n    lb_algo wrr\n    lb_kind DR\n    protocol TCP\n", ip)
		fmt.Fprintf(&l, "[[virtual_server]]\nip = %q\nport = 80\ndelay_loop = 5\nlb_algo = \"wrr\"\nlb_kind = \"DR\"\nprotocol = \"TCP\"\n", ip)
		for j := range rs {
			rip := fmt.Sprintf("10.2.%d.%d", j, i%250+1)
			fmt.Fprintf(&k, "    real_server %s 80 {\n        weight %d\n        TCP_CHECK {\n            connect_timeout 3\n        }\n    }\n", rip, j+1)
			fmt.Fprintf(&l, "[[virtual_server.real_server]]\nip = %q\nport = 80\nweight = %d\n[[virtual_server.real_server.tcp_check]]\nconnect_timeout = 3\n", rip, j+1)
		}
		k.WriteString("}\n")
	}
	dir := tb.TempDir()
	kconf, lconf = filepath.Join(dir, "keepalived.conf"), filepath.Join(dir, "lvsd.toml")
	if err := os.WriteFile(kconf, []byte(k.String()), 0o644); err != nil {
		tb.Fatal(err)
	}
	if err := os.WriteFile(lconf, []byte(l.String()), 0o644); err != nil {
		tb.Fatal(err)
	}
	return kconf, lconf
}

// runCost is what one exec of a configuration check cost: wall time from
// exec to exit, user+sys CPU and peak RSS from wait4's rusage.
type runCost struct {
	wall, cpu time.Duration
	maxRSSKB  int64
}

func execCost(tb testing.TB, name string, args ...string) runCost {
	tb.Helper()
	cmd := exec.Command(name, args...)
	var out strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &out
	start := time.Now()
	err := cmd.Run()
	wall := time.Since(start)
	if err != nil {
		tb.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out.String())
	}
	ru := cmd.ProcessState.SysUsage().(*syscall.Rusage)
	return runCost{
		wall:     wall,
		cpu:      time.Duration(ru.Utime.Nano() + ru.Stime.Nano()),
		maxRSSKB: ru.Maxrss,
	}
}

func median[T int64 | time.Duration](xs []T) T {
	s := slices.Clone(xs)
	slices.Sort(s)
	return s[len(s)/2]
}

// BenchmarkCheckCost: `lvsd check` of a 1,000 virtual servers x 10 real
// servers TOML file against `keepalived -t` (--config-test) of the same
// table as keepalived.conf, each exec'd N=5 times, alternating; medians of
// wall time, user+sys CPU and peak RSS, and the ratio lvsd/keepalived.
// Run with -benchtime 1x (make bench-check).
func BenchmarkCheckCost(b *testing.B) {
	kbin := testenv.NeedBinary(b, "keepalived")
	lbin := testenv.LvsdBinary(b)
	kconf, lconf := checkConfigs(b, 1000, 10)
	const n = 5
	var k, l struct {
		wall, cpu []time.Duration
		rss       []int64
	}
	for b.Loop() {
		k.wall, k.cpu, k.rss = nil, nil, nil
		l.wall, l.cpu, l.rss = nil, nil, nil
		for range n {
			c := execCost(b, kbin, "-t", "-f", kconf)
			k.wall, k.cpu, k.rss = append(k.wall, c.wall), append(k.cpu, c.cpu), append(k.rss, c.maxRSSKB)
			c = execCost(b, lbin, "check", "-f", lconf)
			l.wall, l.cpu, l.rss = append(l.wall, c.wall), append(l.cpu, c.cpu), append(l.rss, c.maxRSSKB)
		}
	}
	ms := func(d time.Duration) float64 { return float64(d) / 1e6 }
	kw, kc, kr := median(k.wall), median(k.cpu), median(k.rss)
	lw, lc, lr := median(l.wall), median(l.cpu), median(l.rss)
	b.ReportMetric(ms(lw), "ms-wall-lvsd")
	b.ReportMetric(ms(lc), "ms-cpu-lvsd")
	b.ReportMetric(float64(lr)/1024, "MB-rss-lvsd")
	b.ReportMetric(ms(kw), "ms-wall-keepalived")
	b.ReportMetric(ms(kc), "ms-cpu-keepalived")
	b.ReportMetric(float64(kr)/1024, "MB-rss-keepalived")
	ki, _ := os.Stat(kconf)
	li, _ := os.Stat(lconf)
	fmt.Printf("check of 1,000 x 10 (keepalived.conf %d KB, TOML %d KB), medians of %d execs each, alternating:\n",
		ki.Size()/1024, li.Size()/1024, n)
	fmt.Printf("| figure | keepalived -t | lvsd check | ratio |\n|---|---|---|---|\n")
	fmt.Printf("| wall time | %.0f ms | %.0f ms | %.2f |\n", ms(kw), ms(lw), float64(lw)/float64(kw))
	fmt.Printf("| user+sys CPU | %.0f ms | %.0f ms | %.2f |\n", ms(kc), ms(lc), float64(lc)/float64(kc))
	fmt.Printf("| peak RSS | %.1f MB | %.1f MB | %.2f |\n", float64(kr)/1024, float64(lr)/1024, float64(lr)/float64(kr))
	fmt.Printf("samples: keepalived wall %v cpu %v rss KB %v; lvsd wall %v cpu %v rss KB %v\n", k.wall, k.cpu, k.rss, l.wall, l.cpu, l.rss)
}
