package control

import (
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"text/tabwriter"
	"time"
)

// Render writes the status for a person: the VRRP instances first, then the
// virtual servers in the shape of `ipvsadm -Ln` with health added.
func Render(w io.Writer, s *Status, now time.Time) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "lvsd %s, pid %d, up %s, config %s (loaded %s ago)\n",
		s.Version, s.PID, since(now, s.Started), s.ConfigFile, since(now, s.ConfigLoaded))
	renderMail(tw, s.Mail)
	renderSNMP(tw, s.SNMP) // snmp.go
	if s.LastReloadFailed {
		fmt.Fprintf(tw, "the last reload was refused: the file on disk is not what runs (lvsd check -f %s)\n", s.ConfigFile)
	}
	fmt.Fprintln(tw)
	if len(s.Instances) == 0 {
		fmt.Fprintln(tw, "VRRP: no instances")
	} else {
		fmt.Fprintln(tw, "VRRP instance\tInterface\tVRID\tState\tPriority\tMaster\tLast transition")
		for _, in := range s.Instances {
			prio := fmt.Sprintf("%d", in.EffectivePriority)
			if in.EffectivePriority != in.BasePriority {
				prio = fmt.Sprintf("%d (base %d)", in.EffectivePriority, in.BasePriority)
			}
			last := "-"
			if !in.LastTransition.IsZero() {
				last = since(now, in.LastTransition) + " ago"
				if in.LastCause != "" {
					last += ": " + in.LastCause
				}
			}
			fmt.Fprintf(tw, "%s\t%s\t%d (v%d)\t%s\t%s\t%s\t%s\n", in.Name, in.Interface, in.VRID, in.Version,
				in.State, prio, dash(in.Master), last)
			for _, t := range in.Trackers {
				fmt.Fprintf(tw, "  track %s %s\t\t\t%s\tweight %d\t%s\t\n", t.Kind, t.Name, t.State, t.Weight, t.Detail)
			}
		}
	}
	for _, g := range s.SyncGroups {
		fmt.Fprintf(tw, "sync group %s\t%s\t%s\n", g.Name, g.State, strings.Join(g.Members, ","))
	}
	renderCARP(tw, s, now) // carp.go
	renderBFD(tw, s)       // bfd.go
	for _, k := range s.VRRPSockets {
		if k.UnknownVRID > 0 {
			fmt.Fprintf(tw, "%s %s: %d adverts for a VRID no instance here has (another VRRP group, or a peer's wrong virtual_router_id)\n",
				k.Interface, k.Family, k.UnknownVRID)
		}
	}
	fmt.Fprintln(tw)
	if len(s.VirtualServers) == 0 {
		fmt.Fprintln(tw, "IPVS: no virtual servers")
		err := tw.Flush()
		if s.BGP != nil {
			renderBGP(w, s.BGP, now)
		}
		return err
	}
	fmt.Fprintln(tw, "Prot LocalAddress:Port\tScheduler\tFlags\t\t\t\t")
	fmt.Fprintln(tw, "  -> RemoteAddress:Port\tForward\tWeight\tHealth\tActiveConn\tInActConn\tLast check")
	for _, vs := range s.VirtualServers {
		var flags []string
		if vs.Persistence > 0 {
			flags = append(flags, fmt.Sprintf("persistent %d", vs.Persistence))
		}
		if vs.Quorum == "down" {
			flags = append(flags, "QUORUM DOWN")
		}
		if vs.SorryServer != "" {
			flags = append(flags, "sorry "+vs.SorryServer)
		}
		if !vs.InKernel {
			flags = append(flags, "not in kernel")
		}
		fmt.Fprintf(tw, "%s  %s\t%s\t%s\t\t\t\t\n", vs.Protocol, vs.Address, vs.Scheduler, strings.Join(flags, ", "))
		for _, rs := range vs.RealServers {
			weight := fmt.Sprintf("%d", rs.Weight)
			switch {
			case rs.Weight < 0:
				weight = fmt.Sprintf("- (%d)", rs.ConfiguredWeight)
			case rs.Weight != rs.ConfiguredWeight:
				weight = fmt.Sprintf("%d (%d)", rs.Weight, rs.ConfiguredWeight)
			}
			last := "-"
			if !rs.LastCheck.IsZero() {
				last = since(now, rs.LastCheck) + " ago"
				if rs.LastResult != "" {
					last += ": " + rs.LastResult
				}
			}
			fmt.Fprintf(tw, "  -> %s\t%s\t%s\t%s\t%d\t%d\t%s\n", rs.Address, rs.Forward, weight, rs.Health,
				rs.ActiveConns, rs.InactiveConns, last)
		}
	}
	err := tw.Flush()
	if s.BGP != nil {
		renderBGP(w, s.BGP, now)
	}
	return err
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// since formats a duration for people: 3s, 4m12s, 2h3m, 5d3h.
func since(now, t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	d := now.Sub(t)
	if d < 0 {
		d = 0
	}
	switch {
	case d < time.Minute:
		return d.Truncate(time.Millisecond).String()
	case d < time.Hour:
		return d.Truncate(time.Second).String()
	case d < 48*time.Hour:
		return d.Truncate(time.Minute).String()
	default:
		days := int(d / (24 * time.Hour))
		return fmt.Sprintf("%dd%dh", days, int((d-time.Duration(days)*24*time.Hour)/time.Hour))
	}
}

// renderMail is one line on the e-mail alerts, when they are configured
// or something was counted.
func renderMail(w io.Writer, m *Mail) {
	if m == nil {
		return
	}
	var failed []string
	var total uint64
	for _, r := range slices.Sorted(maps.Keys(m.Failed)) {
		if n := m.Failed[r]; n > 0 {
			failed = append(failed, fmt.Sprintf("%s %d", r, n))
			total += n
		}
	}
	if !m.Enabled && m.Sent == 0 && total == 0 {
		return
	}
	line := fmt.Sprintf("E-mail alerts via %s: %d sent, %d failed", m.Server, m.Sent, total)
	if !m.Enabled {
		line = fmt.Sprintf("E-mail alerts off: %d sent, %d failed", m.Sent, total)
	}
	if len(failed) > 0 {
		line += " (" + strings.Join(failed, ", ") + ")"
	}
	line += fmt.Sprintf(", %d queued", m.Queued)
	if m.LastError != "" {
		line += "; last error: " + m.LastError
	}
	fmt.Fprintln(w, line)
}
