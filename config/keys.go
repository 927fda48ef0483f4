package config

import (
	"slices"
	"sync"
)

// allKeys returns the schema path of every key the decoder knows, found by
// decoding a probe document that has one of every block and table. Keys
// inside one-line forms written as inline tables (virtual_ipaddress's ip,
// dev, ...) are part of the form and not listed.
var allKeys = sync.OnceValue(func() map[string]bool {
	m := func() map[string]any { return map[string]any{} }
	rs := map[string]any{
		"http_get":   []map[string]any{{"url": []map[string]any{m()}}},
		"ssl_get":    []map[string]any{{"url": []map[string]any{m()}}},
		"tcp_check":  []map[string]any{m()},
		"ping_check": []map[string]any{m()},
		"misc_check": []map[string]any{m()},
		"smtp_check": []map[string]any{{"host": []map[string]any{m()}}},
		"dns_check":  []map[string]any{m()},
		"udp_check":  []map[string]any{m()},
		"file_check": []map[string]any{m()},
		"bfd_check":  []map[string]any{m()},
	}
	probe := map[string]any{
		"global":               map[string]any{"lvs_sync_daemon": m(), "lvs_timeouts": m()},
		"vrrp_script":          []map[string]any{m()},
		"vrrp_track_process":   []map[string]any{m()},
		"track_file":           []map[string]any{m()},
		"vrrp_sync_group":      []map[string]any{m()},
		"vrrp_instance":        []map[string]any{{"authentication": m()}},
		"virtual_server_group": []map[string]any{m()},
		"virtual_server":       []map[string]any{{"real_server": []map[string]any{rs}}},
		"carp_instance":        []map[string]any{m()},
		"bfd_instance":         []map[string]any{m()},
		"garp_group":           []map[string]any{m()},
		"bgp":                  map[string]any{"neighbor": []map[string]any{m()}, "announce": []map[string]any{m()}},
	}
	rec := map[string]bool{}
	d := &decoder{file: "probe", rec: rec}
	d.decodeConfig(d.root(probe))
	return rec
})

// Keys returns the schema paths of every key lvsd's configuration accepts
// (supported or not yet), sorted: "global.router_id",
// "vrrp_instance.priority", "virtual_server.real_server.http_get.url.path".
func Keys() []string {
	var out []string
	for k := range allKeys() {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}
