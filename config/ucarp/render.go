package ucarp

import (
	"fmt"
	"strings"
)

// Render writes the instances as lvsd [[carp_instance]] tables. source
// names the input in the header comment.
func Render(source string, ins []Instance) []byte {
	var b strings.Builder
	fmt.Fprintf(&b, "# lvsd configuration converted from ucarp (%s) by lvsd convert --from ucarp.\n", source)
	b.WriteString("# One [[carp_instance]] per ucarp process; see config/REFERENCE.md.\n")
	for _, in := range ins {
		fmt.Fprintf(&b, "\n# %s:%d\n[[carp_instance]]\n", source, in.Line)
		str := func(k, v string) { fmt.Fprintf(&b, "%s = %s\n", k, quote(v)) }
		num := func(k string, v int) { fmt.Fprintf(&b, "%s = %d\n", k, v) }
		flag := func(k string, v bool) {
			if v {
				fmt.Fprintf(&b, "%s = true\n", k)
			}
		}
		str("name", fmt.Sprintf("%s-vhid%d", in.Interface, in.VHID))
		str("interface", in.Interface)
		num("vhid", in.VHID)
		if in.PassFile != "" {
			str("passfile", in.PassFile)
		} else {
			str("pass", in.Pass)
		}
		str("addr", in.Addr.String())
		if in.SrcIP.IsValid() {
			str("srcip", in.SrcIP.String())
		}
		if in.MCastIP.IsValid() {
			str("mcastip", in.MCastIP.String())
		}
		if in.AdvBase >= 0 {
			num("advbase", in.AdvBase)
		}
		if in.AdvSkew >= 0 {
			num("advskew", in.AdvSkew)
		}
		if in.DeadRatio >= 0 {
			num("deadratio", in.DeadRatio)
		}
		flag("preempt", in.Preempt)
		flag("neutral", in.Neutral)
		flag("ignoreifstate", in.IgnoreIf)
		flag("shutdown", in.Shutdown)
		flag("nomcast", in.NoMcast)
		if in.UpScript != "" {
			str("upscript", scriptLine(in.UpScript))
		}
		if in.DownScript != "" {
			str("downscript", scriptLine(in.DownScript))
		}
		if in.XParam != "" {
			str("xparam", in.XParam)
		}
		if in.VIP.IsValid() {
			v := in.VIP.String()
			if in.Label != "" {
				v += " label " + in.Label
			}
			fmt.Fprintf(&b, "virtual_ipaddress = [%s]\n", quote(v))
		}
	}
	return []byte(b.String())
}

// scriptLine makes a ucarp script path (run by execl, never split) an lvsd
// command line (split on blanks, double quotes group).
func scriptLine(p string) string {
	if !strings.ContainsAny(p, " \t\"\\'") {
		return p
	}
	r := strings.NewReplacer(`\`, `\\`, `"`, `\"`)
	return `"` + r.Replace(p) + `"`
}

// quote writes a TOML basic string.
func quote(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch {
		case r == '"' || r == '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r < 0x20 || r == 0x7f:
			b.WriteString(`\u` + fmt.Sprintf("%04x", r))
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.String()
}
