package bgp

import (
	"context"
	"fmt"
	"log/slog"
	"net/netip"
	"strings"
	"sync"
	"time"

	api "github.com/osrg/gobgp/v3/api"
	gobgplog "github.com/osrg/gobgp/v3/pkg/log"
	"github.com/osrg/gobgp/v3/pkg/packet/bgp"
	"github.com/osrg/gobgp/v3/pkg/server"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/anypb"
)

// goBGP is the Speaker over an embedded GoBGP server (no gRPC listener).
type goBGP struct {
	s   *server.BgpServer
	log *slog.Logger

	serveOnce sync.Once
	// watchCancel stops the peer-event watch of the running speaker.
	watchCancel context.CancelFunc

	mu sync.Mutex // guards sessions
	// sessions holds what the peer events and the log said about each
	// neighbor since it was added.
	sessions map[netip.Addr]*session
	asn      uint32
}

type session struct {
	state       string
	since       time.Time
	lastError   string
	lastErrorAt time.Time
	transitions uint64
	flaps       uint64
}

var _ Speaker = (*goBGP)(nil)

// NewGoBGP returns a Speaker running GoBGP inside the process. GoBGP's log
// goes to log (its info level at debug; warnings are kept as the
// neighbor's LastError).
func NewGoBGP(log *slog.Logger) Speaker {
	g := &goBGP{log: log, sessions: map[netip.Addr]*session{}}
	g.s = server.NewBgpServer(server.LoggerOption(&logAdapter{g: g}))
	return g
}

func (g *goBGP) Start(ctx context.Context, gl Global) error {
	g.serveOnce.Do(func() { go g.s.Serve() })
	err := g.s.StartBgp(ctx, &api.StartBgpRequest{Global: &api.Global{
		Asn: gl.ASN, RouterId: gl.RouterID.String(), ListenPort: gl.ListenPort, ListenAddresses: gl.ListenAddresses,
	}})
	if err != nil {
		return err
	}
	g.mu.Lock()
	g.asn = gl.ASN
	g.mu.Unlock()
	wctx, cancel := context.WithCancel(context.Background())
	if err := g.s.WatchEvent(wctx, &api.WatchEventRequest{Peer: &api.WatchEventRequest_Peer{}}, g.peerEvent); err != nil {
		cancel()
		_ = g.s.StopBgp(ctx, &api.StopBgpRequest{})
		return fmt.Errorf("watch peer events: %w", err)
	}
	g.watchCancel = cancel
	return nil
}

func (g *goBGP) peerEvent(ev *api.WatchEventResponse) {
	pe := ev.GetPeer()
	if pe == nil || pe.Type != api.WatchEventResponse_PeerEvent_STATE || pe.Peer.GetState() == nil {
		return
	}
	addr, err := netip.ParseAddr(pe.Peer.State.NeighborAddress)
	if err != nil {
		return
	}
	st := sessionState(pe.Peer.State.SessionState)
	g.mu.Lock()
	s := g.sessions[addr.Unmap()]
	if s == nil || s.state == st {
		g.mu.Unlock()
		return
	}
	from := s.state
	if from == StateEstablished {
		s.flaps++
	}
	s.state, s.since = st, time.Now()
	s.transitions++
	if st == StateEstablished {
		s.lastError = ""
	}
	g.mu.Unlock()
	lvl := slog.LevelDebug
	if st == StateEstablished || from == StateEstablished {
		lvl = slog.LevelInfo
	}
	g.log.Log(context.Background(), lvl, "bgp session state", "neighbor", addr, "from", from, "to", st)
}

func sessionState(s api.PeerState_SessionState) string {
	switch s {
	case api.PeerState_CONNECT:
		return StateConnect
	case api.PeerState_ACTIVE:
		return StateActive
	case api.PeerState_OPENSENT:
		return StateOpenSent
	case api.PeerState_OPENCONFIRM:
		return StateOpenConfirm
	case api.PeerState_ESTABLISHED:
		return StateEstablished
	}
	return StateIdle
}

func (g *goBGP) Stop(ctx context.Context) error {
	if g.watchCancel != nil {
		g.watchCancel()
		g.watchCancel = nil
	}
	err := g.s.StopBgp(ctx, &api.StopBgpRequest{})
	g.mu.Lock()
	g.sessions = map[netip.Addr]*session{}
	g.mu.Unlock()
	return err
}

func (g *goBGP) AddNeighbor(ctx context.Context, n Neighbor) error {
	p := &api.Peer{
		Conf: &api.PeerConf{NeighborAddress: n.Address.String(), PeerAsn: n.PeerASN, AuthPassword: n.Password},
		Timers: &api.Timers{Config: &api.TimersConfig{
			HoldTime: uint64(n.HoldTime / time.Second), KeepaliveInterval: uint64(n.KeepaliveTime / time.Second),
			// retry a refused or lost connection quickly: a director
			// coming back should be announced soon
			ConnectRetry: 5,
		}},
		AfiSafis: []*api.AfiSafi{{Config: &api.AfiSafiConfig{Family: family(n.Address), Enabled: true}}},
	}
	if n.MultihopTTL > 0 {
		p.EbgpMultihop = &api.EbgpMultihop{Enabled: true, MultihopTtl: uint32(n.MultihopTTL)}
	}
	if n.LocalAddress.IsValid() || n.Port != 0 || n.Passive {
		p.Transport = &api.Transport{RemotePort: uint32(n.Port), PassiveMode: n.Passive}
		if n.LocalAddress.IsValid() {
			p.Transport.LocalAddress = n.LocalAddress.String()
		}
	}
	g.mu.Lock()
	g.sessions[n.Address] = &session{state: StateIdle, since: time.Now()}
	g.mu.Unlock()
	if err := g.s.AddPeer(ctx, &api.AddPeerRequest{Peer: p}); err != nil {
		g.mu.Lock()
		delete(g.sessions, n.Address)
		g.mu.Unlock()
		return err
	}
	return nil
}

func (g *goBGP) DeleteNeighbor(ctx context.Context, addr netip.Addr) error {
	err := g.s.DeletePeer(ctx, &api.DeletePeerRequest{Address: addr.String()})
	g.mu.Lock()
	delete(g.sessions, addr)
	g.mu.Unlock()
	return err
}

func family(a netip.Addr) *api.Family {
	if a.Is4() {
		return &api.Family{Afi: api.Family_AFI_IP, Safi: api.Family_SAFI_UNICAST}
	}
	return &api.Family{Afi: api.Family_AFI_IP6, Safi: api.Family_SAFI_UNICAST}
}

// path builds the GoBGP path of r. The next hop is left unspecified: GoBGP
// sends the session's local address.
func (g *goBGP) path(r Route) (*api.Path, error) {
	fam := family(r.Prefix.Addr())
	nlri, err := anypb.New(&api.IPAddressPrefix{Prefix: r.Prefix.Addr().String(), PrefixLen: uint32(r.Prefix.Bits())})
	if err != nil {
		return nil, err
	}
	attrs := []proto.Message{&api.OriginAttribute{Origin: 0}} // IGP
	if r.Prefix.Addr().Is4() {
		attrs = append(attrs, &api.NextHopAttribute{NextHop: "0.0.0.0"})
	} else {
		attrs = append(attrs, &api.MpReachNLRIAttribute{Family: fam, NextHops: []string{"::"}, Nlris: []*anypb.Any{nlri}})
	}
	if r.ASPathPrepend > 0 {
		g.mu.Lock()
		asn := g.asn
		g.mu.Unlock()
		nums := make([]uint32, r.ASPathPrepend)
		for i := range nums {
			nums[i] = asn
		}
		attrs = append(attrs, &api.AsPathAttribute{Segments: []*api.AsSegment{{Type: api.AsSegment_AS_SEQUENCE, Numbers: nums}}})
	}
	if len(r.Communities) > 0 {
		attrs = append(attrs, &api.CommunitiesAttribute{Communities: r.Communities})
	}
	if r.LocalPref != nil {
		attrs = append(attrs, &api.LocalPrefAttribute{LocalPref: *r.LocalPref})
	}
	if r.MED != nil {
		attrs = append(attrs, &api.MultiExitDiscAttribute{Med: *r.MED})
	}
	p := &api.Path{Family: fam, Nlri: nlri}
	for _, a := range attrs {
		x, err := anypb.New(a)
		if err != nil {
			return nil, err
		}
		p.Pattrs = append(p.Pattrs, x)
	}
	return p, nil
}

func (g *goBGP) AddPath(ctx context.Context, r Route) error {
	p, err := g.path(r)
	if err != nil {
		return err
	}
	_, err = g.s.AddPath(ctx, &api.AddPathRequest{TableType: api.TableType_GLOBAL, Path: p})
	return err
}

func (g *goBGP) DeletePath(ctx context.Context, pfx netip.Prefix) error {
	p, err := g.path(Route{Prefix: pfx})
	if err != nil {
		return err
	}
	return g.s.DeletePath(ctx, &api.DeletePathRequest{TableType: api.TableType_GLOBAL, Family: p.Family, Path: p})
}

func (g *goBGP) Neighbors(ctx context.Context) ([]NeighborState, error) {
	var out []NeighborState
	err := g.s.ListPeer(ctx, &api.ListPeerRequest{}, func(p *api.Peer) {
		addr, err := netip.ParseAddr(p.GetConf().GetNeighborAddress())
		if err != nil {
			return
		}
		addr = addr.Unmap()
		ns := NeighborState{Address: addr, PeerASN: p.GetConf().GetPeerAsn(), State: sessionState(p.GetState().GetSessionState())}
		g.mu.Lock()
		if s := g.sessions[addr]; s != nil {
			ns.Since, ns.LastError, ns.Transitions, ns.Flaps = s.since, s.lastError, s.transitions, s.flaps
		}
		g.mu.Unlock()
		out = append(out, ns)
	})
	return out, err
}

// logAdapter is GoBGP's logger: messages go to slog (GoBGP's info at
// debug: it is chatty), and a warning or error about a neighbor ("Key"
// field) becomes that neighbor's LastError.
type logAdapter struct {
	g *goBGP
}

func (l *logAdapter) record(lvl slog.Level, msg string, f gobgplog.Fields) {
	if l.g.log.Enabled(context.Background(), lvl) {
		args := make([]any, 0, 2*len(f))
		for k, v := range f {
			args = append(args, k, v)
		}
		l.g.log.Log(context.Background(), lvl, "gobgp: "+msg, args...)
	}
	switch {
	case lvl >= slog.LevelWarn || msg == "failed to connect":
		l.lastError(msg, f)
	case msg == "state changed" && f["new"] == "BGP_FSM_IDLE":
		// a session falling back to idle, and why; GoBGP drops a
		// notification received in OpenSent (the router refusing our
		// OPEN: a wrong AS, router id or capability) as "invalid-msg"
		r, ok := f["reason"].(fmt.Stringer)
		if !ok {
			return
		}
		rs := r.String()
		switch {
		case rs == "" || rs == "idle-hold-timer-expired":
			return
		case rs == "invalid-msg" && (f["old"] == "BGP_FSM_OPENSENT" || f["old"] == "BGP_FSM_OPENCONFIRM"):
			rs = "the router closed the session after our OPEN (refused: check asn, peer_asn and router_id against the router's configuration)"
		}
		l.g.mu.Lock()
		s := l.g.sessions[keyAddr(f)]
		recent := s != nil && time.Since(s.lastErrorAt) < 2*time.Second
		l.g.mu.Unlock()
		if !recent { // keep the precise error logged just before
			l.lastError("session reset", gobgplog.Fields{"Key": f["Key"], "Error": rs})
		}
	}
}

func keyAddr(f gobgplog.Fields) netip.Addr {
	key, _ := f["Key"].(string)
	a, _ := netip.ParseAddr(key)
	return a.Unmap()
}

// lastError keeps msg (with the notification code or the error of f) as
// the LastError of the neighbor f is about.
func (l *logAdapter) lastError(msg string, f gobgplog.Fields) {
	addr := keyAddr(f)
	if !addr.IsValid() {
		return
	}
	var b strings.Builder
	b.WriteString(msg)
	if c, ok := f["Code"].(uint8); ok {
		sc, _ := f["Subcode"].(uint8)
		fmt.Fprintf(&b, ": %s", bgp.NewNotificationErrorCode(c, sc))
	}
	if d, ok := f["Data"]; ok && d != nil {
		if e, ok := d.(error); ok {
			fmt.Fprintf(&b, ": %v", e)
		}
	}
	if e, ok := f["Error"]; ok && e != nil {
		fmt.Fprintf(&b, ": %v", e)
		if msg == "failed to connect" && strings.Contains(fmt.Sprint(e), "i/o timeout") {
			// the kernel drops a SYN whose TCP MD5 signature is wrong
			// or missing: the handshake is never answered
			b.WriteString(" (no answer: a wrong or missing TCP MD5 password, or the router is down or filtered)")
		}
	}
	l.g.mu.Lock()
	if s := l.g.sessions[addr]; s != nil {
		s.lastError, s.lastErrorAt = b.String(), time.Now()
	}
	l.g.mu.Unlock()
}

func (l *logAdapter) Panic(msg string, f gobgplog.Fields) { l.record(slog.LevelError, msg, f) }
func (l *logAdapter) Fatal(msg string, f gobgplog.Fields) { l.record(slog.LevelError, msg, f) }
func (l *logAdapter) Error(msg string, f gobgplog.Fields) { l.record(slog.LevelError, msg, f) }
func (l *logAdapter) Warn(msg string, f gobgplog.Fields)  { l.record(slog.LevelWarn, msg, f) }
func (l *logAdapter) Info(msg string, f gobgplog.Fields)  { l.record(slog.LevelDebug, msg, f) }
func (l *logAdapter) Debug(msg string, f gobgplog.Fields) { l.record(slog.LevelDebug-4, msg, f) }

// SetLevel is ignored: GoBGP asks for its debug messages only when the
// level says so, and "failed to connect" (a neighbor's LastError) is one.
func (l *logAdapter) SetLevel(gobgplog.LogLevel) {}

// GetLevel is debug (see SetLevel); record drops what slog would not show.
func (l *logAdapter) GetLevel() gobgplog.LogLevel { return gobgplog.DebugLevel }
