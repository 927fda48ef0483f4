package metrics

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/lvsd/lvsd/cmd/lvsd/internal/control"
)

// Snapshot returns the daemon's current status.
type Snapshot func(ctx context.Context) (*control.Status, error)

// states are the VRRP states exported as an enum-style gauge.
var states = []string{"INIT", "BACKUP", "MASTER", "FAULT", "STOP"}

// bgpStates are the BGP session states (RFC 4271) exported as an enum-style gauge.
var bgpStates = []string{"idle", "connect", "active", "opensent", "openconfirm", "established"}

var (
	smtpSent    = newCounter("lvsd_smtp_alerts_sent_total", "E-mail alerts accepted by the SMTP server.")
	smtpFailed  = newCounter("lvsd_smtp_alerts_failed_total", "E-mail alerts given up, by reason.", "reason")
	smtpQueued  = newGauge("lvsd_smtp_alerts_queued", "E-mail alerts waiting to be sent.")
	vrrpState   = newGauge("lvsd_vrrp_state", "1 for the state the VRRP instance is in, 0 for the others.", "instance", "state")
	vrrpPrio    = newGauge("lvsd_vrrp_priority", "Priority of the VRRP instance (kind=base or effective).", "instance", "kind")
	vrrpSent    = newCounter("lvsd_vrrp_adverts_sent_total", "VRRP advertisements sent.", "instance")
	vrrpRecv    = newCounter("lvsd_vrrp_adverts_received_total", "VRRP advertisements received and accepted.", "instance")
	vrrpDrops   = newCounter("lvsd_vrrp_dropped_total", "VRRP packets dropped, by reason.", "instance", "reason")
	vrrpTrans   = newCounter("lvsd_vrrp_transitions_total", "VRRP state transitions.", "instance")
	vrrpLate    = newCounter("lvsd_vrrp_late_timers_total", "VRRP timers handled later than vrrp_late_timer after their deadline.", "instance")
	vrrpUnknown = newCounter("lvsd_vrrp_unknown_vrid_adverts_total",
		"VRRP adverts received on an interface for a VRID no instance there has (another group, or a peer's wrong virtual_router_id).", "interface", "family")
	trackUp = newGauge("lvsd_vrrp_tracker_ok", "1 when the tracked object is OK.", "instance", "kind", "tracker")

	vsUp     = newGauge("lvsd_ipvs_service_in_kernel", "1 when the virtual server is in the kernel's IPVS table.", "service")
	vsQuorum = newGauge("lvsd_ipvs_service_quorum_up", "1 while the virtual server has quorum.", "service")
	rsHealth = newGauge("lvsd_realserver_up", "1 when the real server passes its health checks.", "service", "real_server")
	rsWeight = newGauge("lvsd_realserver_weight", "Weight of the real server (kind=configured or current; -1 when not in the kernel).", "service", "real_server", "kind")
	rsConns  = newGauge("lvsd_realserver_connections", "Connections to the real server (state=active or inactive).", "service", "real_server", "state")
	rsChecks = newCounter("lvsd_healthcheck_results_total", "Health check results by reason (ok, timeout, refused, ...).", "service", "real_server", "reason")

	bgpSession   = newGauge("lvsd_bgp_session_state", "1 for the state the BGP session is in, 0 for the others.", "neighbor", "state")
	bgpFlaps     = newCounter("lvsd_bgp_session_flaps_total", "Falls of the BGP session from established.", "neighbor")
	bgpAnnounced = newGauge("lvsd_bgp_prefix_announced", "1 while the prefix is announced, by the reason of the last decision.", "prefix", "reason")
	bgpUpdates   = newCounter("lvsd_bgp_updates_total", "Paths announced (kind=announce) and withdrawn (kind=withdraw).", "kind")

	counterDescs = func(prefix string, labels ...string) [5]*family {
		return [5]*family{
			newCounter(prefix+"_connections_total", "Connections scheduled (IPVS counter).", labels...),
			newCounter(prefix+"_in_packets_total", "Packets in (IPVS counter).", labels...),
			newCounter(prefix+"_out_packets_total", "Packets out (IPVS counter).", labels...),
			newCounter(prefix+"_in_bytes_total", "Bytes in (IPVS counter).", labels...),
			newCounter(prefix+"_out_bytes_total", "Bytes out (IPVS counter).", labels...),
		}
	}
	vsCounters = counterDescs("lvsd_ipvs_service", "service")
	rsCounters = counterDescs("lvsd_ipvs_realserver", "service", "real_server")

	cfgLoaded        = newGauge("lvsd_config_loaded_timestamp_seconds", "When the running configuration was loaded (Unix time).")
	cfgReloads       = newCounter("lvsd_config_reloads_total", "Configuration reloads since start (SIGHUP or lvsd reload).")
	cfgReloadsFailed = newCounter("lvsd_config_reload_failures_total", "Reloads refused since start: the running configuration stayed.")
	cfgLastReloadOK  = newGauge("lvsd_config_last_reload_successful", "0 when the latest reload was refused, else 1.")

	scrapeErr = newGauge("lvsd_scrape_error", "1 when the daemon's status could not be read for this scrape.")
)

// Collector turns a status snapshot into metrics.
type Collector struct {
	snap Snapshot
}

// NewCollector returns a collector reading snap at every scrape.
func NewCollector(snap Snapshot) *Collector { return &Collector{snap: snap} }

// collect adds lvsd's families to b, from a snapshot taken now.
func (c *Collector) collect(b *batch) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	s, err := c.snap(ctx)
	if err != nil || s == nil {
		b.set(scrapeErr, 1)
		return
	}
	b.set(scrapeErr, 0)
	gauge := b.set
	counter := func(d *family, v uint64, l ...string) { b.set(d, float64(v), l...) }
	if !s.ConfigLoaded.IsZero() {
		gauge(cfgLoaded, float64(s.ConfigLoaded.UnixNano())/1e9)
	}
	counter(cfgReloads, s.Reloads)
	counter(cfgReloadsFailed, s.ReloadsFailed)
	gauge(cfgLastReloadOK, b2f(!s.LastReloadFailed))
	for _, in := range s.Instances {
		for _, st := range states {
			gauge(vrrpState, b2f(in.State == st), in.Name, st)
		}
		gauge(vrrpPrio, float64(in.BasePriority), in.Name, "base")
		gauge(vrrpPrio, float64(in.EffectivePriority), in.Name, "effective")
		counter(vrrpSent, in.AdvertsSent, in.Name)
		counter(vrrpRecv, in.AdvertsReceived, in.Name)
		counter(vrrpTrans, in.Transitions, in.Name)
		counter(vrrpLate, in.LateTimers, in.Name)
		for reason, n := range in.Drops {
			counter(vrrpDrops, n, in.Name, reason)
		}
		for _, t := range in.Trackers {
			gauge(trackUp, b2f(t.State != "FAILED" && t.State != "FAULT"), in.Name, t.Kind, t.Name)
		}
	}
	if m := s.Mail; m != nil {
		counter(smtpSent, m.Sent)
		for reason, n := range m.Failed {
			counter(smtpFailed, n, reason)
		}
		gauge(smtpQueued, float64(m.Queued))
	}
	for _, k := range s.VRRPSockets {
		counter(vrrpUnknown, k.UnknownVRID, k.Interface, k.Family)
	}
	collectCARP(b, s) // carp.go
	collectSNMP(b, s) // snmp.go
	collectBFD(b, s)  // bfd.go
	if b := s.BGP; b != nil {
		for _, n := range b.Neighbors {
			for _, st := range bgpStates {
				gauge(bgpSession, b2f(n.State == st), n.Address, st)
			}
			counter(bgpFlaps, n.Flaps, n.Address)
		}
		for _, p := range b.Prefixes {
			gauge(bgpAnnounced, b2f(p.Announced), p.Prefix, p.Reason)
		}
		counter(bgpUpdates, b.Announcements, "announce")
		counter(bgpUpdates, b.Withdrawals, "withdraw")
	}
	for _, vs := range s.VirtualServers {
		svc := vs.Protocol + " " + vs.Address
		gauge(vsUp, b2f(vs.InKernel), svc)
		gauge(vsQuorum, b2f(vs.Quorum != "down"), svc)
		emitCounters(b, vsCounters, vs.Counters, svc)
		for _, rs := range vs.RealServers {
			gauge(rsHealth, b2f(rs.Health == "UP"), svc, rs.Address)
			gauge(rsWeight, float64(rs.ConfiguredWeight), svc, rs.Address, "configured")
			gauge(rsWeight, float64(rs.Weight), svc, rs.Address, "current")
			gauge(rsConns, float64(rs.ActiveConns), svc, rs.Address, "active")
			gauge(rsConns, float64(rs.InactiveConns), svc, rs.Address, "inactive")
			for reason, n := range rs.Checks {
				counter(rsChecks, n, svc, rs.Address, reason)
			}
			emitCounters(b, rsCounters, rs.Counters, svc, rs.Address)
		}
	}
}

func emitCounters(b *batch, d [5]*family, c control.Counters, labels ...string) {
	for i, v := range []uint64{c.Conns, c.InPkts, c.OutPkts, c.InBytes, c.OutBytes} {
		b.set(d[i], float64(v), labels...)
	}
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

// Handler returns the /metrics handler: lvsd's families plus the Go and
// process ones, gathered at each request.
func Handler(snap Snapshot) http.Handler {
	c := NewCollector(snap)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		serve(w, r, c.gather())
	})
}

// gather takes one scrape's samples.
func (c *Collector) gather() *batch {
	b := newBatch()
	c.collect(b)
	collectGo(b)
	collectProcess(b)
	return b
}

// Server serves /metrics on an address until Close.
type Server struct {
	srv *http.Server
	ln  net.Listener
}

// Listen starts serving /metrics on addr (metrics_listen).
func Listen(addr string, snap Snapshot, log *slog.Logger) (*Server, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("metrics: listen on %s: %w", addr, err)
	}
	return Serve(ln, snap, log), nil
}

// Serve serves /metrics on ln: a listener inherited from the process this
// one replaced (a binary upgrade in place), or Listen's.
func Serve(ln net.Listener, snap Snapshot, log *slog.Logger) *Server {
	mux := http.NewServeMux()
	mux.Handle("/metrics", Handler(snap))
	s := &Server{srv: &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}, ln: ln}
	go func() {
		if err := s.srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Error("metrics: serve", "err", err)
		}
	}()
	return s
}

// File returns a duplicate of the listening socket, for a successor
// process to inherit.
func (s *Server) File() (*os.File, error) {
	tl, ok := s.ln.(*net.TCPListener)
	if !ok {
		return nil, fmt.Errorf("metrics: listener is not TCP")
	}
	f, err := tl.File()
	if err != nil {
		return nil, fmt.Errorf("metrics: duplicate listener: %w", err)
	}
	return f, nil
}

// Addr is the address the server listens on.
func (s *Server) Addr() string { return s.ln.Addr().String() }

// Close stops the server.
func (s *Server) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	return s.srv.Shutdown(ctx)
}
