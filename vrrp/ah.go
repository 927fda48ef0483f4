package vrrp

import (
	"net/netip"
	"sync"

	"github.com/lvsd/lvsd/vrrp/fsm"
	"github.com/lvsd/lvsd/vrrp/packet"
)

// ahState is an instance's keepalived-compatible IPsec AH (auth_type AH):
// its Conn carries whole IPv4 datagrams (protocol 51), which the instance
// seals and opens itself, since the ICV covers the IP header.
type ahState struct {
	unicast bool
	ttl     uint8
	// send is used by the instance goroutine only (sendAdvert), recv by
	// the reader only (accept).
	send, recv *packet.AHAuth
	msgBuf     []byte // the VRRP message before sealing (instance goroutine)
	id         uint16 // IP identification (instance goroutine)
	seq        uint32 // sequence number of the advert being sent (instance goroutine)

	// mu guards replay: the one counter keepalived shares between sending
	// and receiving.
	mu     sync.Mutex
	replay packet.AHReplay
}

func newAHState(cfg *Config) *ahState {
	key := packet.PassData(cfg.AuthPass)
	return &ahState{
		unicast: cfg.Unicast(),
		ttl:     cfg.UnicastTTL,
		send:    packet.NewAHAuth(key),
		recv:    packet.NewAHAuth(key),
		msgBuf:  make([]byte, packet.MaxLen),
	}
}

// nextAdvert takes the IP identification and sequence number of one advert
// (the same for every unicast peer, as keepalived).
func (a *ahState) nextAdvert() {
	if a.id++; a.id == 0 {
		a.id = 1 // the kernel would fill in 0
	}
	a.mu.Lock()
	a.seq = a.replay.Next()
	a.mu.Unlock()
}

// seal encodes adv for dst into b as a whole IPv4 datagram.
func (a *ahState) seal(b []byte, adv *packet.Advert, src, dst netip.Addr) (int, error) {
	n, err := adv.MarshalTo(a.msgBuf, src, dst, packet.ChecksumNoPseudoHeader)
	if err != nil {
		return 0, err
	}
	return a.send.SealAH(b, a.msgBuf[:n], packet.AHFrame{Src: src, Dst: dst, ID: a.id, TTL: a.ttl, Seq: a.seq, Unicast: a.unicast})
}

// open verifies a received datagram and returns the VRRP message in it.
func (a *ahState) open(b []byte) (packet.AH, []byte, packet.DropReason) {
	return a.recv.OpenAH(b, a.unicast)
}

// accept applies keepalived's anti-replay check to an advert that passed
// every other check; master says the instance is master and ours is its
// priority. A master hearing a lower priority continues the sequence above
// the sender's, as keepalived does, so the sender accepts its next advert.
func (a *ahState) accept(seq uint32, prio uint8, master bool, ours uint8) packet.DropReason {
	a.mu.Lock()
	defer a.mu.Unlock()
	if !a.replay.Accept(seq) {
		return packet.DropAHReplay
	}
	if master && prio != 0 && prio < ours {
		a.replay.SyncLower(seq)
	}
	return packet.DropNone
}

// seqNow is the sequence counter (Stats.AHSeq).
func (a *ahState) seqNow() uint32 {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.replay.Seq
}

// continueFrom starts the counter at seq, a predecessor's: the next advert
// carries seq+1, which its backups accept. It never moves the counter
// back.
func (a *ahState) continueFrom(seq uint32) {
	a.mu.Lock()
	a.replay.Seq = max(a.replay.Seq, min(seq, 0xfffffffd))
	a.mu.Unlock()
}

// becameMaster restarts a cycled counter (keepalived's
// vrrp_state_goto_master).
func (a *ahState) becameMaster() {
	a.mu.Lock()
	a.replay.BecomeMaster()
	a.mu.Unlock()
}

// acceptAH is Instance.accept for auth_type AH: b is a whole IPv4
// datagram.
func (i *Instance) acceptAH(b []byte, meta RecvMeta, dst netip.Addr, adv *packet.Advert) packet.DropReason {
	ah, msg, r := i.ah.open(b)
	if r != packet.DropNone {
		return r
	}
	if r := packet.Decode(msg, meta.Src, dst, adv); r != packet.DropNone {
		return r
	}
	if r := i.filter.Check(adv, meta.Src, meta.TTL); r != packet.DropNone {
		return r
	}
	return i.ah.accept(ah.Seq, adv.Priority, fsm.State(i.c.state.Load()) == fsm.Master, uint8(i.c.priority.Load()))
}
