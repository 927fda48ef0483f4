package keepalived

import (
	"fmt"
	"strings"
)

// del removes key from t and returns its entry (nil when absent).
func (t *table) del(key string) *entry {
	for i, e := range t.entries {
		if e.key == key {
			t.entries = append(t.entries[:i], t.entries[i+1:]...)
			return e
		}
	}
	return nil
}

// strictInstances gives the instances in strict mode (global_defs
// vrrp_strict, or their strict_mode) the values keepalived 2.2.7 forces on
// them (vrrp_complete_instance), each change a warning with its line, so
// that the converted file means what keepalived runs and lvsd's check,
// which refuses those values, accepts it. Unicast peers make keepalived drop
// the instance: an error.
func (c *conv) strictInstances() {
	global := c.glob != nil && c.glob.get("vrrp_strict") != nil && c.glob.get("vrrp_strict").val == "true"
	for _, t := range c.instances {
		strict := global
		if e := t.get("strict_mode"); e != nil {
			strict = e.val == "true"
		}
		if !strict {
			continue
		}
		warn := func(e *entry, key, format string, args ...any) {
			c.warns = append(c.warns, &Error{Pos: e.pos, Path: "vrrp_instance." + key, Msg: fmt.Sprintf(format, args...)})
		}
		prio := "100"
		if e := t.get("priority"); e != nil {
			prio = e.val
		}
		if e := t.get("unicast_peer"); e != nil {
			c.errs = append(c.errs, &Error{Pos: e.pos, Path: "vrrp_instance.unicast_peer", Msg: "not allowed in strict mode (keepalived drops the instance)"})
		}
		if e := t.del("authentication"); e != nil {
			warn(e, "authentication", "strict mode has no authentication (keepalived ignores it): dropped")
		}
		if e := t.get("state"); e != nil && e.val == `"MASTER"` && prio != "255" {
			e.val = `"BACKUP"`
			warn(e, "state", "strict mode: MASTER needs priority 255 (keepalived starts it as BACKUP): written as BACKUP")
		}
		if e := t.del("preempt_delay"); e != nil {
			warn(e, "preempt_delay", "incompatible with strict mode (keepalived resets it): dropped")
		}
		if e := t.get("lower_prio_no_advert"); e != nil && e.val == "false" {
			t.del("lower_prio_no_advert")
			warn(e, "lower_prio_no_advert", "strict mode always sends no lower-priority advert (keepalived resets it): dropped")
		}
		for _, k := range []string{"garp_lower_prio_delay", "garp_lower_prio_repeat"} {
			if e := t.get(k); e != nil && e.val != "0" && e.val != "0.0" && e.val != `"0s"` {
				t.del(k)
				warn(e, k, "strict mode sends no repeated gratuitous ARPs after a lower-priority advert (keepalived resets it): dropped")
			}
		}
		if e := t.get("accept"); e != nil && e.val == "true" && prio != "255" {
			v := "2"
			if g := c.glob; g != nil && g.get("vrrp_version") != nil {
				v = g.get("vrrp_version").val
			}
			if e := t.get("virtual_ipaddress"); e != nil && strings.Contains(e.val, ":") {
				v = "3" // IPv6: always VRRPv3
			}
			if e := t.get("version"); e != nil {
				v = e.val
			}
			if v == "2" {
				t.del("accept")
				warn(e, "accept", "accept mode for VRRPv2 does not comply with RFC 3768 in strict mode (keepalived resets it): dropped")
			}
		}
		if e := t.del("vmac_xmit_base"); e != nil {
			warn(e, "vmac_xmit_base", "incompatible with strict mode (keepalived resets it): dropped")
		}
	}
}
