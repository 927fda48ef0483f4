package control

import (
	"strings"
	"testing"
)

func TestRenderMail(t *testing.T) {
	for _, tc := range []struct {
		m    *Mail
		want string
	}{
		{nil, ""},
		{&Mail{Failed: map[string]uint64{"connect": 0}}, ""},
		{&Mail{Enabled: true, Server: "127.0.0.1:25", Sent: 3, Queued: 1, Failed: map[string]uint64{"connect": 0}},
			"E-mail alerts via 127.0.0.1:25: 3 sent, 0 failed, 1 queued\n"},
		{&Mail{Enabled: true, Server: "127.0.0.1:25", Sent: 1, Failed: map[string]uint64{"timeout": 2, "connect": 1}, LastError: "smtp: timeout: greeting: i/o timeout"},
			"E-mail alerts via 127.0.0.1:25: 1 sent, 3 failed (connect 1, timeout 2), 0 queued; last error: smtp: timeout: greeting: i/o timeout\n"},
	} {
		var b strings.Builder
		renderMail(&b, tc.m)
		if b.String() != tc.want {
			t.Errorf("renderMail(%+v) = %q, want %q", tc.m, b.String(), tc.want)
		}
	}
}
