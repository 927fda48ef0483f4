package daemon

import (
	"context"
	"errors"
	"log/slog"
	"net/netip"
	"strconv"
	"strings"
	"sync"

	"github.com/lvsd/lvsd/cmd/lvsd/internal/scriptpool"
	"github.com/lvsd/lvsd/config"
	"github.com/lvsd/lvsd/healthcheck"
	"github.com/lvsd/lvsd/ipvs"
	"github.com/lvsd/lvsd/vrrp/notify"
	"github.com/lvsd/lvsd/vrrp/script"
)

// lvsFIFO writes keepalived's checker lines to lvs_notify_fifo: "RS [RIP]:PROTO:PORT [VIP]:PROTO:PORT UP|DOWN" when a
// real server changes, "VS [VIP]:PROTO:PORT UP|DOWN" when a virtual
// server's quorum does; lvs_notify_fifo_script reads lvs_notify_fifo. The
// FIFOs are opened at start and kept over reloads; the lines never block
// (a full FIFO drops them, counted in dropped). keepalived writes them to
// notify_fifo too; lvsd does not (yet): a second open of notify_fifo would
// keep its reader from the end of file the VRRP notifier gives it at stop.
type lvsFIFO struct {
	log     *slog.Logger
	fifos   []*notify.FIFO
	readers *scriptpool.Pool
	dropped uint64

	mu sync.Mutex // guards vs
	vs map[string]config.VirtualServer
}

// newLVSFIFO opens the FIFOs of cfg; nil when there are none.
func newLVSFIFO(cfg *config.Config, log *slog.Logger) (*lvsFIFO, error) {
	g := cfg.Global
	if g.LVSNotifyFIFO == "" {
		return nil, nil
	}
	f := &lvsFIFO{log: log.With("part", "lvs_notify_fifo")}
	for _, p := range []string{g.LVSNotifyFIFO} {
		if p == "" {
			continue
		}
		ff, err := notify.OpenFIFO(p)
		if err != nil {
			f.close(context.Background())
			return nil, err
		}
		f.fifos = append(f.fifos, ff)
	}
	f.setConfig(cfg)
	if g.LVSNotifyFIFO != "" && !g.LVSNotifyFIFOScript.IsZero() {
		s, err := notify.FromConfig(config.NotifySet{Notify: g.LVSNotifyFIFOScript}, g)
		if err != nil {
			f.close(context.Background())
			return nil, err
		}
		f.readers = scriptpool.New(scriptpool.Options{Logger: f.log, Limit: 1, Timeout: 1 << 62})
		f.readers.Go("lvs_notify_fifo_script", script.Spec{Args: append(s.Notify.Args, g.LVSNotifyFIFO), Cred: s.Notify.Cred}, nil)
	}
	return f, nil
}

func (f *lvsFIFO) setConfig(cfg *config.Config) {
	if f == nil {
		return
	}
	m := map[string]config.VirtualServer{}
	for _, vs := range cfg.VirtualServers {
		m[vs.Name()] = vs
	}
	f.mu.Lock()
	f.vs = m
	f.mu.Unlock()
}

// close ends the reader (killed) and closes the FIFOs.
func (f *lvsFIFO) close(ctx context.Context) error {
	if f == nil {
		return nil
	}
	var errs []error
	if f.readers != nil {
		ctx, cancel := context.WithCancel(ctx)
		cancel() // the reader runs for life: kill it now
		if err := f.readers.Close(ctx); err != nil && !errors.Is(err, context.Canceled) {
			errs = append(errs, err)
		}
	}
	for _, ff := range f.fifos {
		errs = append(errs, ff.Close())
	}
	return errors.Join(errs...)
}

func (f *lvsFIFO) write(line string) {
	for _, ff := range f.fifos {
		if err := ff.Write(line); err != nil {
			f.mu.Lock()
			f.dropped++
			f.mu.Unlock()
			f.log.Warn("notify fifo line dropped", "line", strings.TrimSpace(line), "err", err)
		}
	}
}

func upDown(up bool) string {
	if up {
		return "UP"
	}
	return "DOWN"
}

// rsUpdate writes a real server's change.
func (f *lvsFIFO) rsUpdate(u healthcheck.Update) {
	if f == nil {
		return
	}
	f.mu.Lock()
	vs, ok := f.vs[u.Key.VirtualServer]
	f.mu.Unlock()
	if !ok {
		return
	}
	f.write("RS " + trio(u.Key.Addr, vs.Protocol, u.Key.Port) + " " + kaVS(vs) + " " + upDown(u.Up) + "\n")
}

// vsEvent writes a virtual server's quorum change.
func (f *lvsFIFO) vsEvent(ev ipvs.Event) {
	if f == nil || ev.Stopping {
		return
	}
	f.mu.Lock()
	vs, ok := f.vs[ev.VirtualServer]
	f.mu.Unlock()
	if ok {
		f.write("VS " + kaVS(vs) + " " + upDown(ev.QuorumUp) + "\n")
	}
}

// trio is keepalived's inet_sockaddrtotrio: [ADDR]:PROTO:PORT.
func trio(a netip.Addr, proto string, port uint16) string {
	p := strings.ToLower(proto)
	if p == "" {
		p = "tcp"
	}
	return "[" + a.Unmap().String() + "]:" + p + ":" + strconv.Itoa(int(port))
}

// kaVS is keepalived's format_vs.
func kaVS(vs config.VirtualServer) string {
	switch {
	case vs.Group != "":
		return "[" + vs.Group + "]:" + strconv.Itoa(int(vs.Port))
	case vs.FWMark != 0:
		return "FWM " + strconv.FormatUint(uint64(vs.FWMark), 10)
	}
	return trio(vs.IP, vs.Protocol, vs.Port)
}

func (d *daemon) startLVSFIFO(context.Context) error {
	f, err := newLVSFIFO(d.cfg, d.log)
	if err != nil {
		return err
	}
	d.lvsfifo = f
	return nil
}

func (d *daemon) stopLVSFIFO(ctx context.Context) error {
	err := d.lvsfifo.close(ctx)
	d.lvsfifo = nil
	return err
}
