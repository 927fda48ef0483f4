package agentx

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"go.uber.org/goleak"
)

var testMIB = []VarBind{
	{Name: OID{1, 3, 6, 1, 4, 1, 9586, 100, 5, 2, 3, 1, 2, 1}, Type: OctetString, Value: []byte("VI_1")},
	{Name: OID{1, 3, 6, 1, 4, 1, 9586, 100, 5, 2, 3, 1, 2, 2}, Type: OctetString, Value: []byte("VI_2")},
	{Name: OID{1, 3, 6, 1, 4, 1, 9586, 100, 5, 2, 3, 1, 4, 1}, Type: Integer, Value: int32(2)},
	{Name: OID{1, 3, 6, 1, 4, 1, 9586, 100, 5, 2, 3, 1, 4, 2}, Type: Integer, Value: int32(1)},
}

func TestLookup(t *testing.T) {
	base := OID{1, 3, 6, 1, 4, 1, 9586, 100, 5}
	col2 := base.Append(2, 3, 1, 2)
	tests := map[string]struct {
		p    PDU
		want []VarBind
	}{
		"get exact": {PDU{Type: TypeGet, Ranges: []SearchRange{{Start: col2.Append(2)}}}, testMIB[1:2]},
		"get other index": {PDU{Type: TypeGet, Ranges: []SearchRange{{Start: col2.Append(9)}}},
			[]VarBind{{Name: col2.Append(9), Type: NoSuchInstance}}},
		"get unknown": {PDU{Type: TypeGet, Ranges: []SearchRange{{Start: base.Append(7)}}},
			[]VarBind{{Name: base.Append(7), Type: NoSuchObject}}},
		"getnext from base":      {PDU{Type: TypeGetNext, Ranges: []SearchRange{{Start: base}}}, testMIB[:1]},
		"getnext exact excluded": {PDU{Type: TypeGetNext, Ranges: []SearchRange{{Start: testMIB[0].Name}}}, testMIB[1:2]},
		"getnext exact included": {PDU{Type: TypeGetNext, Ranges: []SearchRange{{Start: testMIB[0].Name, Include: true}}}, testMIB[:1]},
		"getnext bounded": {PDU{Type: TypeGetNext, Ranges: []SearchRange{{Start: testMIB[1].Name, End: testMIB[2].Name}}},
			[]VarBind{{Name: testMIB[1].Name, Type: EndOfMibView}}},
		"getnext past end": {PDU{Type: TypeGetNext, Ranges: []SearchRange{{Start: testMIB[3].Name}}},
			[]VarBind{{Name: testMIB[3].Name, Type: EndOfMibView}}},
		"getbulk": {PDU{Type: TypeGetBulk, NonRepeaters: 1, MaxRepetitions: 3, Ranges: []SearchRange{
			{Start: base}, {Start: col2}, {Start: testMIB[2].Name}}},
			[]VarBind{testMIB[0], testMIB[0], testMIB[3], testMIB[1], {Name: testMIB[3].Name, Type: EndOfMibView},
				testMIB[2], {Name: testMIB[3].Name, Type: EndOfMibView}}},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			if d := cmp.Diff(tt.want, Lookup(&tt.p, testMIB), cmpOpts); d != "" {
				t.Errorf("(-want +got)\n%s", d)
			}
		})
	}
}

// fakeMaster is the master side of one connection.
type fakeMaster struct {
	t  *testing.T
	c  net.Conn
	br *bufio.Reader
}

func (m *fakeMaster) recv() PDU {
	m.t.Helper()
	hdr := make([]byte, HeaderLen)
	if _, err := io.ReadFull(m.br, hdr); err != nil {
		m.t.Fatalf("master read: %v", err)
	}
	n, err := Length(hdr)
	if err != nil {
		m.t.Fatal(err)
	}
	b := append(hdr, make([]byte, n-HeaderLen)...)
	if _, err := io.ReadFull(m.br, b[HeaderLen:]); err != nil {
		m.t.Fatal(err)
	}
	p, _, err := Decode(b)
	if err != nil {
		m.t.Fatal(err)
	}
	return p
}

func (m *fakeMaster) send(p PDU) {
	m.t.Helper()
	b, err := Encode(&p)
	if err != nil {
		m.t.Fatal(err)
	}
	if _, err := m.c.Write(b); err != nil {
		m.t.Fatal(err)
	}
}

func (m *fakeMaster) respond(p PDU, sess uint32) {
	m.send(PDU{Type: TypeResponse, SessionID: sess, PacketID: p.PacketID})
}

// accept takes the subagent's connection and answers its Open and
// Registers, returning the subtrees registered.
func accept(t *testing.T, ln net.Listener, sess uint32, nsub int) (*fakeMaster, []OID) {
	t.Helper()
	c, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	m := &fakeMaster{t: t, c: c, br: bufio.NewReader(c)}
	open := m.recv()
	if open.Type != TypeOpen || string(open.Descr) != "lvsd test" {
		t.Fatalf("first PDU %v %q, want Open", open.Type, open.Descr)
	}
	m.respond(open, sess)
	var subs []OID
	for range nsub {
		r := m.recv()
		if r.Type != TypeRegister || r.SessionID != sess {
			t.Fatalf("PDU %v session %d, want Register in %d", r.Type, r.SessionID, sess)
		}
		subs = append(subs, r.Subtree)
		m.respond(r, sess)
	}
	return m, subs
}

func TestSession(t *testing.T) {
	defer goleak.VerifyNone(t)
	path := filepath.Join(t.TempDir(), "master")
	ln, err := net.Listen("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	sub := OID{1, 3, 6, 1, 4, 1, 9586, 100, 5, 2}
	s := NewSession(Config{
		Dial: func(ctx context.Context) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, "unix", path)
		},
		ID: OID{1, 3, 6, 1, 4, 1, 9586, 100, 5}, Descr: "lvsd test",
		Subtrees: []OID{sub}, Snapshot: func() []VarBind { return testMIB },
		Retry: time.Millisecond,
	})
	if err := s.Notify(sub.Append(10, 0, 2), nil); err != ErrNotConnected {
		t.Errorf("Notify before connecting: %v, want ErrNotConnected", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()

	m, subs := accept(t, ln, 42, 1)
	if d := cmp.Diff([]OID{sub}, subs); d != "" {
		t.Errorf("registered (-want +got)\n%s", d)
	}
	m.send(PDU{Type: TypeGetNext, SessionID: 42, TransactionID: 1, PacketID: 100,
		Ranges: []SearchRange{{Start: sub}}})
	r := m.recv()
	if r.Type != TypeResponse || r.PacketID != 100 || r.TransactionID != 1 {
		t.Fatalf("answer %v packet %d", r.Type, r.PacketID)
	}
	if d := cmp.Diff(testMIB[:1], r.VarBinds, cmpOpts); d != "" {
		t.Errorf("GetNext (-want +got)\n%s", d)
	}
	m.send(PDU{Type: TypeTestSet, SessionID: 42, PacketID: 101, VarBinds: testMIB[2:3]})
	if r := m.recv(); r.Error != ErrNotWritable {
		t.Errorf("TestSet answered error %d, want notWritable", r.Error)
	}

	// The subagent is connected once Register was answered; Notify may
	// still race with the end of registration, so wait on Connected by
	// polling the master's side: the Notify PDU itself.
	for !s.Connected() {
		time.Sleep(time.Millisecond)
	}
	trap := sub.Append(10, 0, 2)
	if err := s.Notify(trap, testMIB[:1]); err != nil {
		t.Fatal(err)
	}
	n := m.recv()
	if n.Type != TypeNotify || len(n.VarBinds) != 3 {
		t.Fatalf("got %v with %d varbinds, want Notify with 3", n.Type, len(n.VarBinds))
	}
	if d := cmp.Diff([]VarBind{{Name: SnmpTrapOID0, Type: ObjectID, Value: trap}, testMIB[0]}, n.VarBinds[1:], cmpOpts); d != "" {
		t.Errorf("Notify (-want +got)\n%s", d)
	}
	m.respond(n, 42)

	// snmpd restarts: the connection drops, the subagent dials again.
	m.c.Close()
	m2, _ := accept(t, ln, 43, 1)
	m2.send(PDU{Type: TypeGet, SessionID: 43, PacketID: 102, Ranges: []SearchRange{{Start: testMIB[3].Name}}})
	if r := m2.recv(); len(r.VarBinds) != 1 || r.VarBinds[0].Value != int32(1) {
		t.Errorf("Get after reconnect: %+v", r.VarBinds)
	}

	cancel()
	if c := m2.recv(); c.Type != TypeClose || c.Reason != CloseShutdown {
		t.Errorf("at shutdown got %v reason %d, want Close shutdown", c.Type, c.Reason)
	}
	if err := <-done; err != nil {
		t.Errorf("Run: %v", err)
	}
	m2.c.Close()
	st := s.Stats()
	if st.Sessions != 2 || st.Notifications != 1 || st.Requests != 2 || st.Dropped[DropNotConnected] != 1 {
		t.Errorf("stats %+v", st)
	}
}

// TestSessionBackoff: while the master cannot be reached, the wait between
// dials doubles from Retry up to MaxRetry (10, 20, 40, 40 ms...: about 9
// dials in 300 ms, where a fixed 10 ms wait makes 30).
func TestSessionBackoff(t *testing.T) {
	var mu sync.Mutex
	dials := 0
	s := NewSession(Config{
		Dial: func(context.Context) (net.Conn, error) {
			mu.Lock()
			dials++
			mu.Unlock()
			return nil, errors.New("refused")
		},
		Retry: 10 * time.Millisecond, MaxRetry: 40 * time.Millisecond,
	})
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	if err := s.Run(ctx); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if dials < 3 || dials > 15 {
		t.Errorf("%d dials in 300 ms, want 3..15 (backoff from 10 ms to 40 ms)", dials)
	}
}
