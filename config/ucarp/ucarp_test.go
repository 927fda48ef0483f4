package ucarp

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/lvsd/lvsd/config"
)

var update = flag.Bool("update", false, "rewrite the golden files")

// TestGolden converts each input of testdata, compares with its .toml
// golden and loads the result with the configuration loader.
func TestGolden(t *testing.T) {
	for _, tc := range []struct {
		in    string
		warns []string
	}{
		{"field-note.sh", []string{"field-note.sh:10: --daemonize: run lvsd under systemd instead"}},
		{"short.sh", []string{"short.sh:6: --facility: lvsd logs with its own logger"}},
		{"interfaces", []string{
			"interfaces:33: iface eth1: no ucarp-vip, ucarp-password: Debian does not start ucarp, skipped",
		}},
	} {
		t.Run(tc.in, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join("testdata", tc.in))
			if err != nil {
				t.Fatal(err)
			}
			ins, warns, err := Parse(tc.in, data)
			if err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(tc.warns, warns); d != "" {
				t.Errorf("warnings (-want +got):\n%s", d)
			}
			out := Render(tc.in, ins)
			golden := filepath.Join("testdata", tc.in+".toml")
			if *update {
				if err := os.WriteFile(golden, out, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(string(want), string(out)); d != "" {
				t.Errorf("output (-want +got):\n%s", d)
			}
			if _, err := config.Parse(golden, out); err != nil {
				t.Errorf("converted configuration does not load: %v", err)
			}
		})
	}
}

func TestErrors(t *testing.T) {
	for _, tc := range []struct{ name, src, want string }{
		{"cmd", "ucarp -i eth0 -s 10.0.0.1 -v 1 -p x\n", "cmd:1: no virtual address (--addr)"},
		{"cmd", "\n\nucarp -i eth0 -s 10.0.0.1 -v 300 -p x -a 10.0.0.9\n", "cmd:3: vhid \"300\": must be between 1 and 255"},
		{"cmd", "ucarp -i eth0 \\\n  --srcip=$UCARP_SRCIP\n", "cmd:2: shell expansion \"$\""},
		{"cmd", "ucarp -i eth0 \\\n --bogus\n", "cmd:2: unknown option --bogus"},
		{"cmd", "ucarp -i eth0 --a 1\n", "cmd:1: ambiguous option --a"},
		{"cmd", "ucarp -i eth0 -s 10.0.0.1 -v 1 -p 12345678901234567890 -a 10.0.0.9\n", "cmd:1: password is 20 bytes"},
		{"cmd", "keepalived -n\n", "cmd:1: \"keepalived\" is not a ucarp command"},
		{"cmd", "ucarp -i eth0 -s 10.0.0.1 -v 1 -p x -a 10.0.0.9 extra\n", "cmd:1: unexpected argument \"extra\""},
		{"cmd", "ucarp -i eth0 -s 10.0.0.1 -v 1 -p x -a\n", "cmd:1: option --addr needs a value"},
		{"cmd", "ucarp -i eth0 -v 1 -p x -a 10.0.0.9\n", "cmd:1: no source address (--srcip)"},
		{"cmd", "# nothing\n", "cmd:1: no ucarp command line"},
		{"cmd", "ucarp -p 'open\n", "cmd:1: unterminated single quote"},
		{"if", "iface eth0 inet static\n address 10.0.0.2\n ucarp-vid 0\n ucarp-vip 10.0.0.1\n ucarp-password p\n", "if:3: ucarp-vid: vhid \"0\""},
		{"if", "iface eth0 inet static\n ucarp-vid 1\n ucarp-vip 10.0.0.1\n ucarp-password p\n ucarp-advbase 300\n", "if:5: ucarp-advbase: advbase \"300\""},
		{"if", "iface eth0 inet static\n ucarp-vid 1\n ucarp-bogus 1\n", "if:3: unknown option ucarp-bogus"},
		{"if", "iface eth0 inet static\n ucarp-vid 1\n ucarp-vid 2\n", "if:3: ucarp-vid given twice in iface eth0 (line 2)"},
		{"if", "ucarp-vid 1\n", "if:1: ucarp-vid outside an iface stanza"},
		{"if", "iface eth0 inet static\n ucarp-vid 1\n ucarp-vip 10.0.0.1\n ucarp-password two words\n", "if:4: ucarp-password: contains a blank"},
		{"if", "iface eth0 inet\n", "if:1: iface: want"},
		{"if", "iface eth0 inet static\n address 10.0.0.2\n", "if:1: no iface stanza with ucarp-vid"},
		{"if", "iface eth0 inet static\n ucarp-vid 1\n ucarp-vip 10.0.0.1\n ucarp-password p\niface eth0:ucarp inet static\n address 10.0.0.1\n netmask 255.0.255.0\n", "if:7: netmask \"255.0.255.0\": not contiguous"},
	} {
		_, _, err := Parse(tc.name, []byte(tc.src))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q:\n got %v\nwant %q", tc.src, err, tc.want)
		}
	}
}
