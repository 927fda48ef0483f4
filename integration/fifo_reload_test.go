package integration

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/lvsd/lvsd/integration/netlab"
	"github.com/lvsd/lvsd/integration/testenv"
)

// TestFIFOWriteStatesOnReload: with fifo_write_vrrp_states_on_reload, a
// reload that leaves the instance alone writes its state to notify_fifo
// again; without it, nothing.
func TestFIFOWriteStatesOnReload(t *testing.T) {
	t.Parallel()
	for _, on := range []bool{true, false} {
		t.Run(fmt.Sprint(on), func(t *testing.T) {
			lab := netlab.New(t, "n1")
			n1 := lab.Node("n1")
			fifo := filepath.Join(t.TempDir(), "notify.fifo")
			conf := opsConf(fmt.Sprintf("notify_fifo = %q\nfifo_write_vrrp_states_on_reload = %v", fifo, on),
				instance{Priority: 200, Version: 3, Advert: fast})
			p := n1.Start(testenv.LvsdBinary(t), "run", "-f", writeFile(t, "n1.toml", conf), "--socket", "none", "--state-file", "none")
			t.Cleanup(func() {
				if t.Failed() {
					t.Logf("lvsd:\n%s", p.Out.String())
				}
			})
			if !netlab.WaitFor(10*time.Second, func() bool { _, err := os.Stat(fifo); return err == nil }) {
				t.Fatal("notify_fifo not created")
			}
			f, err := os.Open(fifo)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			lines := make(chan string, 100)
			go func() {
				sc := bufio.NewScanner(f)
				for sc.Scan() {
					lines <- sc.Text()
				}
				close(lines)
			}()
			waitOwner(t, vip4, n1, 10*time.Second, 0, n1)
			next := func(d time.Duration) string {
				select {
				case l := <-lines:
					return l
				case <-time.After(d):
					return ""
				}
			}
			for l := next(2 * time.Second); l != `INSTANCE "VI_1" MASTER 200`; l = next(2 * time.Second) {
				if l == "" {
					t.Fatal("no MASTER line")
				}
			}
			if err := p.Signal(syscall.SIGHUP); err != nil {
				t.Fatal(err)
			}
			l := next(3 * time.Second)
			switch {
			case on && l != `INSTANCE "VI_1" MASTER 200`:
				t.Errorf("after the reload: %q, want the instance's state", l)
			case !on && l != "":
				t.Errorf("after the reload without the key: %q, want nothing", l)
			}
		})
	}
}
