package healthcheck

import (
	"bytes"
	"context"
	"net/netip"
	"strconv"
	"testing"
	"time"

	"github.com/lvsd/lvsd/integration/testenv"
)

func TestUDPReply(t *testing.T) {
	spec := UDPSpec{Reply: []byte{0xab, 0xcd, 0x00}, ReplyMask: []byte{0, 0x0f, 0xff}, MinReply: 2, MaxReply: 8}
	for _, tc := range []struct {
		b    []byte
		want Reason
	}{
		{[]byte{0xab, 0xc0, 0x55}, ReasonOK},
		{[]byte{0xab, 0xcf}, ReasonOK}, // shorter than the pattern: only its octets are compared
		{[]byte{0xab, 0xcd, 0x11, 1, 2, 3, 4, 5}, ReasonOK},
		{[]byte{0xab}, ReasonReplyLength},
		{make([]byte, 9), ReasonReplyLength},
		{[]byte{0xab, 0xdd, 0}, ReasonReplyMismatch},
		{[]byte{0xaa, 0xcd, 0}, ReasonReplyMismatch},
	} {
		if r := UDPReply(tc.b, spec); r.Reason != tc.want {
			t.Errorf("% x: got %s, want %s", tc.b, r.Detail(), tc.want)
		}
	}
}

func TestUDPCheckerFake(t *testing.T) {
	var echo = func(q []byte) [][]byte { return [][]byte{q} }
	for _, tc := range []struct {
		name   string
		answer func([]byte) [][]byte
		spec   UDPSpec
		want   Reason
	}{
		{"echo, reply required", echo, UDPSpec{RequireReply: true}, ReasonOK},
		{"echo of the default payload matches", echo, UDPSpec{Reply: []byte("keepalived")}, ReasonOK},
		{"silent, no reply required", func([]byte) [][]byte { return nil }, UDPSpec{}, ReasonOK},
		{"silent, reply required", func([]byte) [][]byte { return nil }, UDPSpec{RequireReply: true}, ReasonNoReply},
		{"too long", echo, UDPSpec{RequireReply: true, MaxReply: 10}, ReasonReplyLength},
		{"mismatch", echo, UDPSpec{Payload: []byte("ping"), Reply: []byte("pong")}, ReasonReplyMismatch},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.spec.Target = fakeUDP(t, tc.answer)
			tc.spec.Timeout = 200 * time.Millisecond
			c, err := NewUDPChecker(tc.spec)
			if err != nil {
				t.Fatal(err)
			}
			if r := c.Check(context.Background()); r.Reason != tc.want {
				t.Errorf("got %s, want %s", r.Detail(), tc.want)
			}
		})
	}
}

// TestUDPSocat runs the checker against a UDP echo service (Debian's
// socat) on loopback: up with a matching reply; reply_mismatch and
// reply_length against its echo; port_unreachable (the ICMP error) once it
// stops, also without require_reply; up again when it is back.
func TestUDPSocat(t *testing.T) {
	bin := testenv.NeedBinary(t, "socat")
	port := freeUDPPort(t)
	addr := netip.AddrPortFrom(loopback, port)
	check := func(spec UDPSpec) Result {
		spec.Target, spec.Timeout = addr, time.Second
		c, err := NewUDPChecker(spec)
		if err != nil {
			t.Fatal(err)
		}
		return c.Check(context.Background())
	}
	start := func() *server {
		return startServer(t, func() bool { return check(UDPSpec{RequireReply: true}).OK() },
			bin, "UDP4-RECVFROM:"+strconv.Itoa(int(port))+",bind=127.0.0.1,fork", "PIPE")
	}
	s := start()
	for _, tc := range []struct {
		spec UDPSpec
		want Reason
	}{
		{UDPSpec{Payload: []byte("hello"), Reply: []byte("hel")}, ReasonOK},
		{UDPSpec{Payload: []byte("hello"), Reply: []byte("hxllo"), ReplyMask: []byte{0, 0xff, 0, 0, 0}}, ReasonOK},
		{UDPSpec{Payload: []byte("hello"), Reply: []byte("help")}, ReasonReplyMismatch},
		{UDPSpec{Payload: bytes.Repeat([]byte("x"), 300), RequireReply: true}, ReasonReplyLength},
		{UDPSpec{Payload: []byte("hi"), RequireReply: true, MinReply: 3}, ReasonReplyLength},
	} {
		if r := check(tc.spec); r.Reason != tc.want {
			t.Errorf("%+v: got %s, want %s", tc.spec, r.Detail(), tc.want)
		}
	}
	s.stop()
	if r := check(UDPSpec{RequireReply: true}); r.Reason != ReasonPortUnreachable {
		t.Errorf("stopped, reply required: got %s, want port_unreachable", r.Detail())
	}
	if r := check(UDPSpec{}); r.Reason != ReasonPortUnreachable {
		t.Errorf("stopped: got %s, want port_unreachable", r.Detail())
	}
	start()
	if r := check(UDPSpec{Payload: []byte("back"), Reply: []byte("back")}); !r.OK() {
		t.Errorf("back: %s", r.Detail())
	}
}

// FuzzUDPReply: any reply against any pattern is judged without panic, and
// a reply equal to the pattern within the bounds is up.
func FuzzUDPReply(f *testing.F) {
	f.Add([]byte("pong"), []byte("pong"), []byte{0, 0, 0, 0}, 0, 255)
	f.Add([]byte{}, []byte("x"), []byte(nil), 1, 2)
	f.Add([]byte("abc"), []byte("abcdef"), []byte{0, 0xf0, 0, 0, 0, 0}, 0, 0)
	f.Fuzz(func(t *testing.T, b, reply, mask []byte, lo, hi int) {
		if mask != nil && len(mask) != len(reply) {
			mask = nil
		}
		spec := UDPSpec{Reply: reply, ReplyMask: mask, MinReply: lo, MaxReply: hi}
		UDPReply(b, spec)
		if hi <= 0 || lo < 0 || len(reply) < lo || len(reply) > hi {
			return
		}
		if r := UDPReply(reply, spec); !r.OK() {
			t.Fatalf("the pattern itself: %s", r.Detail())
		}
	})
}
