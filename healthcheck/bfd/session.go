package bfd

import "time"

// Config is one session's local parameters (keepalived's bfd_instance).
type Config struct {
	MinRx      time.Duration // required min rx interval (min_rx, default 10ms)
	MinTx      time.Duration // desired min tx interval while Up (min_tx, default 10ms)
	IdleTx     time.Duration // desired min tx interval while not Up (idle_tx, default 1s)
	Multiplier uint8         // detect multiplier (multiplier, default 5)
	Passive    bool          // do not send until the peer has been heard
}

// Defaults are keepalived's bfd_instance defaults.
var Defaults = Config{MinRx: 10 * time.Millisecond, MinTx: 10 * time.Millisecond,
	IdleTx: time.Second, Multiplier: 5}

// Session is the state of one BFD session (RFC 5880 6.8.1), advanced by
// Receive, Expire and Sent with an explicit now. It does no I/O: the
// caller sends Packet() whenever SendAt() (or Receive's result) says so.
type Session struct {
	cfg         Config
	LocalDiscr  uint32
	RemoteDiscr uint32
	State       State
	RemoteState State
	Diag        Diag
	RemoteMult  uint8
	RemoteMinRx time.Duration // the peer's required min rx (1us until heard)
	RemoteMinTx time.Duration // the peer's desired min tx

	// advertised: what our packets say; inUse: what our timers use
	// while a Poll sequence is outstanding (RFC 5880 6.8.3).
	advTx, advRx     time.Duration
	txInUse, rxInUse time.Duration
	polling          bool
	sendFinal        bool
	heard            bool // a packet from the peer since the last expiry

	lastRx  time.Time
	nextTx  time.Time
	rnd     uint32
	Changes uint64 // state changes so far
}

// NewSession returns a Down session with the local discriminator discr
// (non-zero) and its first transmission scheduled at now (a passive
// session waits for the peer).
func NewSession(cfg Config, discr uint32, now time.Time) *Session {
	s := &Session{cfg: cfg, LocalDiscr: discr, State: Down, RemoteState: Down,
		RemoteMinRx: time.Microsecond, rnd: discr | 1, nextTx: now}
	s.advTx, s.advRx = s.wantTx(), cfg.MinRx
	s.txInUse, s.rxInUse = s.advTx, s.advRx
	return s
}

// Config returns the session's configuration.
func (s *Session) Config() Config { return s.cfg }

// wantTx is the desired min tx for the current state: idle_tx unless Up
// (RFC 5880 6.8.3 wants at least one second while not Up).
func (s *Session) wantTx() time.Duration {
	if s.State == Up {
		return s.cfg.MinTx
	}
	return s.cfg.IdleTx
}

// setTimers moves the advertised intervals to what the state and config
// want; a change while Up starts a Poll sequence, during which an
// increased tx and a decreased rx are not used yet.
func (s *Session) setTimers(wasUp bool) {
	tx, rx := s.wantTx(), s.cfg.MinRx
	if tx == s.advTx && rx == s.advRx {
		return
	}
	s.advTx, s.advRx = tx, rx
	if !wasUp && s.State != Up {
		s.txInUse, s.rxInUse = tx, rx
		return
	}
	s.polling = true
	s.txInUse = min(s.txInUse, tx)
	s.rxInUse = max(s.rxInUse, rx)
}

// Reconfigure applies new parameters; timers change through a Poll
// sequence as RFC 5880 6.8.3 says.
func (s *Session) Reconfigure(cfg Config, now time.Time) {
	s.cfg = cfg
	s.setTimers(s.State == Up)
	if s.polling {
		s.nextTx = now
	}
}

// TxInterval is the interval between periodic packets before jitter:
// max(our desired min tx in use, the peer's required min rx), or 0 when
// the peer wants none.
func (s *Session) TxInterval() time.Duration {
	if s.RemoteMinRx == 0 {
		return 0
	}
	return max(s.txInUse, s.RemoteMinRx)
}

// DetectTime is the detection time in asynchronous mode (RFC 5880
// 6.8.4): the peer's multiplier times max(our required min rx in use, the
// peer's desired min tx). Zero before the peer has been heard.
func (s *Session) DetectTime() time.Duration {
	if !s.heard || s.RemoteMult == 0 {
		return 0
	}
	return time.Duration(s.RemoteMult) * max(s.rxInUse, s.RemoteMinTx)
}

// ExpireAt is when the detection timer fires (zero: not running).
func (s *Session) ExpireAt() time.Time {
	d := s.DetectTime()
	if d == 0 || s.State == AdminDown {
		return time.Time{}
	}
	return s.lastRx.Add(d)
}

// SendAt is when the next periodic packet is due (zero: none).
func (s *Session) SendAt() time.Time {
	if s.sendFinal {
		return s.nextTx // set to the receive time
	}
	if s.cfg.Passive && s.RemoteDiscr == 0 {
		return time.Time{}
	}
	if s.TxInterval() == 0 && s.State != AdminDown {
		return time.Time{}
	}
	return s.nextTx
}

// Next is the earliest of SendAt and ExpireAt (zero: nothing scheduled).
func (s *Session) Next() time.Time {
	a, b := s.SendAt(), s.ExpireAt()
	switch {
	case a.IsZero():
		return b
	case b.IsZero() || a.Before(b):
		return a
	}
	return b
}

func (s *Session) setState(st State, d Diag, now time.Time) {
	if st == s.State {
		return
	}
	wasUp := s.State == Up
	s.State = st
	s.Changes++
	if d != DiagNone || st == Up {
		s.Diag = d
	}
	s.setTimers(wasUp)
	s.nextTx = now // tell the peer at once
}

// Receive runs RFC 5880 6.8.6's reception of an accepted packet p (one
// Decode passed and whose discriminators the caller matched to this
// session). It returns DropAdminDown when the session is AdminDown.
func (s *Session) Receive(p Packet, now time.Time) Drop {
	if p.YourDiscr != 0 && p.YourDiscr != s.LocalDiscr {
		return DropDiscr
	}
	s.RemoteDiscr = p.MyDiscr
	s.RemoteState = p.State
	s.RemoteMult = p.DetectMult
	s.RemoteMinRx = fromUsec(p.RequiredMinRx)
	s.RemoteMinTx = fromUsec(p.DesiredMinTx)
	if p.Final && s.polling {
		s.polling = false
		s.txInUse, s.rxInUse = s.advTx, s.advRx
	}
	s.heard = true
	s.lastRx = now
	if s.State == AdminDown {
		return DropAdminDown
	}
	if p.State == AdminDown {
		if s.State != Down {
			s.setState(Down, DiagNeighborDown, now)
		}
	} else {
		switch s.State {
		case Down:
			switch p.State {
			case Down:
				s.setState(Init, DiagNone, now)
			case Init:
				s.setState(Up, DiagNone, now)
			}
		case Init:
			if p.State == Init || p.State == Up {
				s.setState(Up, DiagNone, now)
			}
		case Up:
			if p.State == Down {
				s.setState(Down, DiagNeighborDown, now)
			}
		}
	}
	if p.Poll {
		s.sendFinal = true
		s.nextTx = now
	}
	return DropNone
}

// Expire runs the detection timer at now: when it has fired, an Init or
// Up session goes Down with diag "expired" and the peer is forgotten
// (RFC 5880 6.8.1 bfd.RemoteDiscr). It reports whether it fired.
func (s *Session) Expire(now time.Time) bool {
	at := s.ExpireAt()
	if at.IsZero() || now.Before(at) {
		return false
	}
	s.heard = false
	s.RemoteDiscr = 0
	s.RemoteState = Down
	s.RemoteMinRx = time.Microsecond
	s.RemoteMinTx = 0
	s.RemoteMult = 0
	if s.State == Init || s.State == Up {
		s.setState(Down, DiagExpired, now)
	}
	if s.polling {
		// The peer is gone: nobody will answer the Poll.
		s.polling = false
		s.txInUse, s.rxInUse = s.advTx, s.advRx
	}
	return true
}

// SetAdminDown takes the session to AdminDown (down true) or back to Down.
func (s *Session) SetAdminDown(down bool, now time.Time) {
	if down {
		s.setState(AdminDown, DiagAdminDown, now)
		return
	}
	if s.State == AdminDown {
		s.setState(Down, DiagAdminDown, now)
	}
}

// Packet is the control packet to send now: the Final bit answers a Poll,
// otherwise the Poll bit is set while a Poll sequence is outstanding.
func (s *Session) Packet() Packet {
	p := Packet{Version: 1, Diag: s.Diag, State: s.State, DetectMult: s.cfg.Multiplier,
		MyDiscr: s.LocalDiscr, YourDiscr: s.RemoteDiscr,
		DesiredMinTx: usec(s.advTx), RequiredMinRx: usec(s.advRx)}
	if s.sendFinal {
		p.Final = true
	} else if s.polling {
		p.Poll = true
	}
	return p
}

// Sent records that Packet() was sent at now and schedules the next
// periodic packet: TxInterval less 0-25% jitter (10-25% with multiplier
// 1), RFC 5880 6.8.7.
func (s *Session) Sent(now time.Time) {
	s.sendFinal = false
	iv := s.TxInterval()
	if iv == 0 {
		iv = s.txInUse
	}
	s.rnd ^= s.rnd << 13
	s.rnd ^= s.rnd >> 17
	s.rnd ^= s.rnd << 5
	// fraction in [0.75, 1.0) or [0.75, 0.90) with multiplier 1
	span := uint32(250)
	if s.cfg.Multiplier == 1 {
		span = 150
	}
	frac := 750 + s.rnd%span
	s.nextTx = now.Add(iv * time.Duration(frac) / 1000)
}
