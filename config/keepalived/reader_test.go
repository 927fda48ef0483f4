package keepalived

import (
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// dump renders a tree one node a line: "LINE word|word" indented by depth.
func dump(ns []*Node, depth int, b *strings.Builder) {
	for _, n := range ns {
		fmt.Fprintf(b, "%s%d %s", strings.Repeat("  ", depth), n.Pos.Line, strings.Join(n.Words, "|"))
		if n.Comment != "" {
			fmt.Fprintf(b, " #%s", n.Comment)
		}
		for _, a := range n.Above {
			fmt.Fprintf(b, " ^%s", a)
		}
		b.WriteByte('\n')
		if n.HasBlock {
			dump(n.Block, depth+1, b)
		}
	}
}

func TestRead(t *testing.T) {
	tests := []struct {
		name  string
		files MapFS
		id    string
		want  string
		errs  []string
	}{
		{
			name: "blocks and comments",
			files: MapFS{"k.conf": `! top comment
global_defs {   # trailing
   router_id "a b"  ! why
}
vrrp_instance VI_1
{
  virtual_ipaddress { 10.0.0.1/24 dev eth0 }
  x \#not a comment
}
`},
			want: `2 global_defs #trailing ^top comment
  3 router_id|a b #why
5 vrrp_instance|VI_1
  7 virtual_ipaddress
    7 10.0.0.1/24|dev|eth0
  8 x|#not|a|comment
`,
		},
		{
			name: "include glob relative cycle",
			files: MapFS{
				"etc/k.conf":        "include conf.d/*.conf\nlast x\n",
				"etc/conf.d/a.conf": "a 1\n",
				"etc/conf.d/b.conf": "b 2\ninclude ../k.conf\n",
			},
			want: "1 a|1\n1 b|2\n2 last|x\n",
			errs: []string{"etc/conf.d/b.conf:2: include: etc/k.conf includes itself (cycle)"},
		},
		{
			name:  "config id",
			files: MapFS{"k.conf": "@n1 a 1\n@n2 a 2\n@^n1 b 1\n@^n2 b 2\n@n1\n"},
			id:    "n1",
			want:  "1 a|1\n4 b|2\n",
		},
		{
			name: "definitions",
			files: MapFS{"k.conf": `$IF=eth0
$PRIO = 100
$BLOCK=a 1 \
  b $PRIO \
  c ${IF}x

x $IF ${PRIO}
$BLOCK
y $BLOCK
z $NOPE $_HASH
`},
			want: "7 x|eth0|100\n8 a|1\n8 b|100\n8 c|eth0x\n9 y|a|1\n9 b|100\n9 c|eth0x\n10 z|$NOPE\n",
		},
		{
			name:  "seq and lst",
			files: MapFS{"k.conf": "~SEQ(n, 1, 2, 5) r 10.0.0.$n\n~SEQx(h,9,11) h $h\n~LST({a,b},{1,2},{3}) l ${a}-$b\n~LST(v, p, q) m $v\n"},
			want:  "1 r|10.0.0.1\n1 r|10.0.0.3\n1 r|10.0.0.5\n2 h|9\n2 h|a\n2 h|b\n3 l|1-2\n3 l|3-\n4 m|p\n4 m|q\n",
		},
		{
			name:  "unbalanced at the opening brace",
			files: MapFS{"k.conf": "a {\n  b {\n  }\n"},
			want:  "1 a\n  2 b\n",
			errs:  []string{"k.conf:1: a: '{' is never closed"},
		},
		{
			name:  "extra close",
			files: MapFS{"k.conf": "a\n}\n"},
			want:  "1 a\n",
			errs:  []string{"k.conf:2: '}' without a matching '{'"},
		},
		{
			name:  "empty",
			files: MapFS{"k.conf": "# nothing\n\n"},
			errs:  []string{"k.conf: no configuration (the file is empty)"},
		},
		{
			name:  "missing include",
			files: MapFS{"k.conf": "include nope/*.conf\na\n"},
			want:  "2 a\n",
			errs:  []string{"k.conf:1: include: nope/*.conf: no file matches"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			main := "k.conf"
			if _, ok := tt.files[main]; !ok {
				main = "etc/k.conf"
			}
			ns, errs := Read(main, ReadOptions{FS: tt.files, ConfigID: tt.id})
			var b strings.Builder
			dump(ns, 0, &b)
			if diff := cmp.Diff(tt.want, b.String()); diff != "" {
				t.Errorf("tree (-want +got):\n%s", diff)
			}
			var got []string
			for _, e := range errs {
				got = append(got, e.Error())
			}
			if diff := cmp.Diff(tt.errs, got); diff != "" {
				t.Errorf("errors (-want +got):\n%s", diff)
			}
		})
	}
}

func TestSplitCommand(t *testing.T) {
	tests := []struct {
		in   string
		want []string
		err  bool
	}{
		{`script "/bin/a b" c`, []string{"script", "/bin/a b", "c"}, false},
		{`notify '/bin/n "x y"' u g`, []string{"notify", `/bin/n "x y"`, "u", "g"}, false},
		{`k a\ b\x41\101\t\cA`, []string{"k", "a bAA\t\x01"}, false},
		{`k "a'b"c'd"e'`, []string{"k", `a'bcd"e`}, false},
		{`k "open`, nil, true},
		{`k end\`, nil, true},
	}
	for _, tt := range tests {
		got, err := splitCommand(tt.in)
		if (err != nil) != tt.err {
			t.Errorf("splitCommand(%q): error %v, want error %v", tt.in, err, tt.err)
			continue
		}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("splitCommand(%q) (-want +got):\n%s", tt.in, diff)
		}
	}
}

func TestReadMissing(t *testing.T) {
	_, errs := Read("nope.conf", ReadOptions{FS: MapFS{}})
	if len(errs) != 1 || !strings.HasPrefix(errs[0].Error(), "nope.conf: read: open nope.conf:") {
		t.Errorf("errors: %v", errs)
	}
}

func TestExpandBraces(t *testing.T) {
	for in, want := range map[string][]string{
		"a/*.conf":       {"a/*.conf"},
		"a/{x,y}.conf":   {"a/x.conf", "a/y.conf"},
		"{a,b{c,d}}/e":   {"a/e", "bc/e", "bd/e"},
		"{x}.conf":       {"{x}.conf"},
		"{a,b}{1,2}":     {"a1", "a2", "b1", "b2"},
		"unbalanced{a,b": {"unbalanced{a,b"},
	} {
		if diff := cmp.Diff(want, expandBraces(in)); diff != "" {
			t.Errorf("expandBraces(%q) (-want +got):\n%s", in, diff)
		}
	}
}
