package keepalived

import (
	"fmt"
	"strings"
	"sync"
)

// Row says what convert does with one keepalived keyword.
type Row struct {
	Keyword
	Key    string // the lvsd key it becomes; "" when refused
	Reason string // why it is refused (or only partly carried)
}

var topKeys = map[string]string{
	"global_defs": "[global]", "SSL": "[global] ssl_ca, ssl_certificate, ssl_key",
	"net_namespace": "global.net_namespace",
	"vrrp_script":   "[[vrrp_script]]", "vrrp_track_process": "[[vrrp_track_process]]",
	"track_file": "[[track_file]]", "vrrp_track_file": "[[track_file]]",
	"vrrp_sync_group": "[[vrrp_sync_group]]", "vrrp_instance": "[[vrrp_instance]]",
	"virtual_server_group": "[[virtual_server_group]]", "virtual_server": "[[virtual_server]]",
	"bfd_instance": "[[bfd_instance]]", "garp_group": "[[garp_group]]",
	"static_ipaddress": "static_ipaddress", "static_routes": "static_routes", "static_rules": "static_rules",
}

var authRules = sync.OnceValue(func() map[string]rule {
	return map[string]rule{
		"auth_type": {key: "authentication.auth_type (PASS or AH)", fn: func(*ctx, *Node) {}},
		"auth_pass": {key: "authentication.auth_pass", fn: func(*ctx, *Node) {}},
	}
})

func blockRules(block string) (map[string]rule, string) {
	switch block {
	case "global_defs":
		return globalRules(), "global"
	case "SSL":
		return sslRules(), "global"
	case "vrrp_script":
		return scriptRules(), "vrrp_script"
	case "vrrp_track_process":
		return processRules(), "vrrp_track_process"
	case "track_file", "vrrp_track_file":
		return trackFileRules(), "track_file"
	case "bfd_instance":
		return bfdRules(), "bfd_instance"
	case "garp_group":
		return garpGroupRules(), "garp_group"
	case "vrrp_sync_group":
		return syncGroupRules(), "vrrp_sync_group"
	case "vrrp_instance":
		return instanceRules(), "vrrp_instance"
	case "vrrp_instance.authentication":
		return authRules(), "vrrp_instance"
	case "virtual_server":
		return merge(vsRules(), map[string]rule{"real_server": {key: "real_server", fn: func(*ctx, *Node) {}}}), "virtual_server"
	case "virtual_server.real_server":
		m := merge(rsRules())
		for k, v := range checkerNames {
			m[k] = rule{key: v, fn: func(*ctx, *Node) {}}
		}
		return m, "virtual_server.real_server"
	case "virtual_server.real_server.HTTP_GET.url", "virtual_server.real_server.SSL_GET.url":
		n := checkerNames[strings.TrimSuffix(strings.TrimPrefix(block, "virtual_server.real_server."), ".url")]
		if n == "ssl_get" {
			return sslURLRules(), "virtual_server.real_server." + n + ".url"
		}
		return urlRules(), "virtual_server.real_server." + n + ".url"
	case "virtual_server.real_server.SMTP_CHECK.host":
		return smtpHostRules(), "virtual_server.real_server.smtp_check.host"
	}
	if kw, ok := strings.CutPrefix(block, "virtual_server.real_server."); ok && checkerNames[kw] != "" {
		rules := checkerRules(kw)
		switch kw {
		case "HTTP_GET", "SSL_GET":
			rules = merge(rules, map[string]rule{"url": {key: "url", fn: func(*ctx, *Node) {}}})
		case "SMTP_CHECK":
			rules = merge(rules, map[string]rule{"host": {key: "host", fn: func(*ctx, *Node) {}}})
		}
		return rules, "virtual_server.real_server." + checkerNames[kw]
	}
	return nil, ""
}

// Table is what convert does with every keyword of keepalived 2.2.7.
func Table() []Row {
	var rows []Row
	for _, k := range Keywords() {
		r := Row{Keyword: k}
		if k.Block == "" {
			if key, ok := topKeys[k.Name]; ok {
				r.Key = key
			} else {
				r.Reason = knownReason("", k.Name)
			}
			rows = append(rows, r)
			continue
		}
		rules, prefix := blockRules(k.Block)
		ru, ok := rules[k.Name]
		switch {
		case !ok:
			r.Reason = knownReason(k.Block, k.Name)
		case ru.fn == nil:
			r.Reason = ru.why
		case ru.key == "":
			r.Reason = ru.why
			if ru.why == "" {
				r.Reason = "dropped"
			}
		case strings.HasPrefix(ru.key, "global.") || strings.HasPrefix(ru.key, "vrrp_instance.") || strings.HasPrefix(ru.key, "virtual_server."):
			// A key of another table (set there by convert).
			r.Key = ru.key
		default:
			r.Key = prefix + "." + ru.key
		}
		rows = append(rows, r)
	}
	return rows
}

// Markdown renders Table for REFERENCE.md, with the coverage figure.
func Markdown() string {
	rows := Table()
	conv := 0
	for _, r := range rows {
		if r.Key != "" {
			conv++
		}
	}
	var b strings.Builder
	fmt.Fprintf(&b, "Converted: %d of %d keyword-in-block entries (%.0f%%).\n\n", conv, len(rows), 100*float64(conv)/float64(len(rows)))
	b.WriteString("| keepalived block | keyword | lvsd key or why it is refused |\n|---|---|---|\n")
	for _, r := range rows {
		blk := r.Block
		if blk == "" {
			blk = "(top level)"
		}
		what := r.Reason
		if r.Key != "" {
			what = "→ " + strings.ReplaceAll(r.Key, "|", "\\|")
		}
		fmt.Fprintf(&b, "| %s | %s | %s |\n", blk, r.Name, what)
	}
	return b.String()
}
