package daemon

import (
	"net"
	"testing"
)

// TestListensOn: an inherited metrics listener is served only when it is
// at the configured metrics_listen; another port or address means the
// new configuration changed it (the listener is then closed and the new
// address opened).
func TestListensOn(t *testing.T) {
	tcp := func(ip string, port int) net.Addr { return &net.TCPAddr{IP: net.ParseIP(ip), Port: port} }
	for _, tt := range []struct {
		got  net.Addr
		want string
		same bool
	}{
		{tcp("127.0.0.1", 9100), "127.0.0.1:9100", true},
		{tcp("127.0.0.1", 9100), "127.0.0.1:9101", false},
		{tcp("127.0.0.1", 9100), "127.0.0.2:9100", false},
		{tcp("127.0.0.1", 9100), "localhost:9100", true},
		{tcp("::", 9100), ":9100", true},
		{tcp("::", 9100), "0.0.0.0:9100", true},
		{tcp("::", 9100), "127.0.0.1:9100", false},
		{tcp("127.0.0.1", 9100), ":9100", false},
		{tcp("::1", 9100), "[::1]:9100", true},
		{tcp("::ffff:10.0.0.1", 9100), "10.0.0.1:9100", true},
		{&net.UnixAddr{Name: "/x", Net: "unix"}, "127.0.0.1:9100", false},
		{tcp("127.0.0.1", 9100), "bad", false},
	} {
		if got := listensOn(tt.got, tt.want); got != tt.same {
			t.Errorf("listensOn(%v, %q) = %v, want %v", tt.got, tt.want, got, tt.same)
		}
	}
}
