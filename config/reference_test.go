package config

import (
	"bufio"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/BurntSushi/toml"
	"github.com/google/go-cmp/cmp"
)

// refRow is one documented key.
type refRow struct {
	key, typ, def, keepalived, meaning string
	line                               int
}

var backticked = regexp.MustCompile("`([^`]+)`")

// readReference parses REFERENCE.md: the backticked names of a heading are
// the prefixes (sections) of the key rows of the tables below it.
func readReference(t *testing.T) (rows []refRow, sections []string) {
	t.Helper()
	f, err := os.Open("REFERENCE.md")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var prefixes []string
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		l := sc.Text()
		if strings.HasPrefix(l, "## ") || strings.HasPrefix(l, "### ") {
			prefixes = nil
			if strings.HasPrefix(l, "## Top level") {
				prefixes = []string{""} // keys outside every table
			}
			for _, m := range backticked.FindAllStringSubmatch(l, -1) {
				p := strings.Trim(m[1], "[]")
				prefixes = append(prefixes, p)
				sections = append(sections, p)
			}
			continue
		}
		if !strings.HasPrefix(l, "| `") {
			continue
		}
		cells := strings.Split(strings.Trim(l, "|"), " | ")
		if len(cells) != 5 {
			t.Fatalf("REFERENCE.md:%d: want 5 columns, got %d: %s", n, len(cells), l)
		}
		for i := range cells {
			cells[i] = strings.TrimSpace(cells[i])
		}
		if len(prefixes) == 0 {
			t.Fatalf("REFERENCE.md:%d: key row outside a section heading", n)
		}
		k := strings.Trim(cells[0], "`")
		for _, p := range prefixes {
			rows = append(rows, refRow{join(p, k), cells[1], cells[2], cells[3], cells[4], n})
		}
	}
	return rows, sections
}

// TestReferenceKeys: the keys the decoder accepts and the keys REFERENCE.md
// documents are the same set, and "not supported yet" agrees with support.go.
func TestReferenceKeys(t *testing.T) {
	rows, sections := readReference(t)
	doc := map[string]bool{}
	for _, s := range sections {
		doc[s] = true
	}
	for _, r := range rows {
		if doc[r.key] && !slices.Contains(sections, r.key) {
			t.Errorf("REFERENCE.md:%d: %s documented twice", r.line, r.key)
		}
		doc[r.key] = true
		if r.keepalived == "" || r.typ == "" || r.meaning == "" {
			t.Errorf("REFERENCE.md:%d: %s: empty column", r.line, r.key)
		}
		_, unsupported := notSupported[r.key]
		if marked := strings.Contains(r.meaning, "not supported yet"); marked != unsupported {
			t.Errorf("REFERENCE.md:%d: %s: marked not supported yet = %v, support.go says %v", r.line, r.key, marked, unsupported)
		}
	}
	var missing, extra []string
	for _, k := range Keys() {
		if !doc[k] {
			missing = append(missing, k)
		}
	}
	for k := range doc {
		if !allKeys()[k] {
			extra = append(extra, k)
		}
	}
	slices.Sort(extra)
	if len(missing) > 0 {
		t.Errorf("keys the loader accepts but REFERENCE.md does not document:\n  %s", strings.Join(missing, "\n  "))
	}
	if len(extra) > 0 {
		t.Errorf("keys REFERENCE.md documents but the loader does not accept:\n  %s", strings.Join(extra, "\n  "))
	}
	for k := range notSupported {
		if !allKeys()[k] {
			t.Errorf("support.go lists %s, which the loader does not know", k)
		}
	}
}

// defaultsProbe has one of every block with only its required keys.
const defaultsProbe = `
[global]
lvs_sync_daemon = { interface = "eth0", vrrp_instance = "VI_1" }
[[vrrp_script]]
name = "s"
script = "/bin/true"
[[vrrp_track_process]]
name = "p"
process = "x"
[[track_file]]
name = "f"
file = "/tmp/f"
[[vrrp_sync_group]]
name = "g"
group = ["VI_1"]
[[vrrp_instance]]
name = "VI_1"
interface = "eth0"
virtual_router_id = 1
virtual_ipaddress = ["10.0.0.1"]
[[virtual_server_group]]
name = "vg"
vip = ["10.0.0.1 80"]
[[virtual_server]]
ip = "10.0.0.1"
port = 80
[[virtual_server.real_server]]
ip = "10.0.0.2"
[[virtual_server.real_server.http_get]]
url = [{ path = "/" }]
[[virtual_server.real_server.ssl_get]]
url = [{ path = "/" }]
[[virtual_server.real_server.tcp_check]]
[[virtual_server.real_server.ping_check]]
[[virtual_server.real_server.misc_check]]
misc_path = "/bin/true"
[[carp_instance]]
name = "c"
interface = "eth0"
vhid = 10
pass = "p"
addr = "10.0.0.9"
[[virtual_server.real_server.smtp_check]]
connect_port = 25
[[virtual_server.real_server.smtp_check.host]]
connect_ip = "10.0.0.3"
[[virtual_server.real_server.dns_check]]
connect_port = 53
[[virtual_server.real_server.udp_check]]
connect_port = 53
[bgp]
asn = 65001
router_id = "10.0.0.9"
[[bgp.neighbor]]
address = "10.0.0.254"
peer_asn = 65000
[[bgp.announce]]
prefix = "10.0.0.1"
[[bfd_instance]]
name = "b"
neighbor_ip = "10.0.0.254"
`

// TestReferenceDefaults: every default REFERENCE.md writes as a TOML
// literal is the value lvsd check --dump shows for a file that leaves the
// key out.
func TestReferenceDefaults(t *testing.T) {
	c, err := Parse("probe", []byte(defaultsProbe))
	if err != nil {
		t.Fatal(err)
	}
	var dumped map[string]any
	if _, err := toml.Decode(string(Dump(c)), &dumped); err != nil {
		t.Fatal(err)
	}
	rows, _ := readReference(t)
	checked := 0
	for _, r := range rows {
		m := regexp.MustCompile("^`([^`]+)`").FindStringSubmatch(r.def)
		if m == nil {
			continue
		}
		var lit map[string]any
		if _, err := toml.Decode("v = "+m[1], &lit); err != nil {
			continue // a reference to another key, not a literal
		}
		got, ok := lookup(dumped, strings.Split(r.key, "."))
		if !ok {
			t.Errorf("REFERENCE.md:%d: %s: default %s documented, but the effective configuration has no such key", r.line, r.key, m[1])
			continue
		}
		if diff := cmp.Diff(lit["v"], got); diff != "" {
			t.Errorf("REFERENCE.md:%d: %s: documented default %s, effective %v", r.line, r.key, m[1], got)
		}
		checked++
	}
	if checked < 50 {
		t.Errorf("only %d defaults compared; the reference parser is broken", checked)
	}
}

// lookup follows a key path into decoded TOML, taking the first element of
// arrays of tables.
func lookup(m map[string]any, path []string) (any, bool) {
	var cur any = m
	for _, p := range path {
		switch x := cur.(type) {
		case []map[string]any:
			cur = x[0]
		case []any:
			cur = x[0]
		}
		mm, ok := cur.(map[string]any)
		if !ok {
			return nil, false
		}
		if cur, ok = mm[p]; !ok {
			return nil, false
		}
	}
	return cur, true
}
