package ipvs

import (
	"errors"
	"fmt"

	"github.com/lvsd/lvsd/config"
)

// FromConfig turns a loaded configuration (defaults filled in, validated by
// package config) into the virtual servers Compute takes.
func FromConfig(c *config.Config) ([]VirtualServer, error) {
	groups := map[string]config.VirtualServerGroup{}
	for _, g := range c.VirtualServerGroups {
		groups[g.Name] = g
	}
	var out []VirtualServer
	var errs []error
	for _, cvs := range c.VirtualServers {
		vs, err := fromConfigVS(c, cvs, groups)
		if err != nil {
			errs = append(errs, fmt.Errorf("ipvs: virtual_server %s: %w", cvs.Name(), err))
			continue
		}
		out = append(out, vs)
	}
	return out, errors.Join(errs...)
}

func fromConfigVS(c *config.Config, cvs config.VirtualServer, groups map[string]config.VirtualServerGroup) (VirtualServer, error) {
	vs := VirtualServer{
		Name:         cvs.Name(),
		Quorum:       uint32(max(cvs.Quorum, 0)),
		Hysteresis:   uint32(max(cvs.Hysteresis, 0)),
		Alpha:        cvs.Alpha,
		Omega:        cvs.Omega,
		QuorumUp:     cvs.QuorumUp.Line,
		QuorumDown:   cvs.QuorumDown.Line,
		HASuspend:    cvs.HASuspend,
		VRRPInstance: cvs.VRRPInstance,
		SorryInhibit: cvs.SorryServerInhibit,
	}
	proto, err := ParseProtocol(cvs.Protocol)
	if err != nil {
		return vs, err
	}
	if vs.Forward, err = ParseForward(cvs.LBKind); err != nil {
		return vs, err
	}
	tmpl := Service{
		Scheduler:   cvs.LBAlgo,
		Timeout:     uint32(cvs.PersistenceTimeout.Seconds()),
		NetmaskBits: cvs.PersistenceGranularity,
		PE:          cvs.PersistenceEngine,
	}
	if tmpl.Scheduler == "" {
		tmpl.Scheduler = "wlc"
	}
	f := cvs.SchedFlags
	if f.SHFallback || f.MHFallback {
		tmpl.Flags |= FlagSched1
	}
	if f.SHPort || f.MHPort {
		tmpl.Flags |= FlagSched2
	}
	if cvs.OPS {
		tmpl.Flags |= FlagOnePacket
	}
	var keys []ServiceKey
	switch {
	case cvs.Group != "":
		g, ok := groups[cvs.Group]
		if !ok {
			return vs, fmt.Errorf("no virtual_server_group %q", cvs.Group)
		}
		for _, e := range g.Entries {
			ge := GroupEntry{First: e.IP, Last: e.IPLast, Port: e.Port, FWMark: e.FWMark, IPv6: cvs.Family == 6}
			if !ge.Last.IsValid() {
				ge.Last = ge.First
			}
			keys = append(keys, ge.Keys(proto)...)
		}
	case cvs.FWMark != 0:
		keys = []ServiceKey{{FWMark: cvs.FWMark, IPv6: cvs.Family == 6}}
	default:
		keys = []ServiceKey{{Protocol: proto, Addr: cvs.IP.Unmap(), Port: cvs.Port}}
	}
	for _, k := range keys {
		s := tmpl
		s.ServiceKey = k
		vs.Services = append(vs.Services, s)
	}
	if vs.HASuspend && vs.VRRPInstance == "" {
		vs.VRRPInstance = vipOwner(c, keys)
	}
	// Sized once: the IPVS part keeps the specs for the daemon's life, and
	// appending one by one left up to 60 % more room (1,000 x 10: 0.4 MB).
	if len(cvs.RealServers) > 0 {
		vs.Reals = make([]RealServer, 0, len(cvs.RealServers))
	}
	for _, rs := range cvs.RealServers {
		d := Destination{
			DestKey:    DestKey{Addr: rs.IP.Unmap(), Port: rs.Port},
			Forward:    vs.Forward,
			Weight:     uint32(max(rs.Weight, 0)),
			UThreshold: uint32(max(rs.UThreshold, 0)),
			LThreshold: uint32(max(rs.LThreshold, 0)),
		}
		if rs.LBKind != "" {
			if d.Forward, err = ParseForward(rs.LBKind); err != nil {
				return vs, fmt.Errorf("real_server %s: %w", d.DestKey, err)
			}
		}
		if d.Forward == TUN {
			if d.TunnelType, err = ParseTunnelType(rs.TunnelType); err != nil {
				return vs, fmt.Errorf("real_server %s: %w", d.DestKey, err)
			}
			d.TunnelPort = rs.TunnelPort
			if rs.TunnelCsum {
				d.TunnelFlags |= TunnelChecksum
			}
			if rs.TunnelRemCsum {
				d.TunnelFlags |= TunnelRemoteChecksum
			}
		}
		vs.Reals = append(vs.Reals, RealServer{Destination: d, InhibitOnFailure: rs.InhibitOnFailure})
	}
	if ss := cvs.SorryServer; ss != nil {
		d := Destination{DestKey: DestKey{Addr: ss.IP.Unmap(), Port: ss.Port}, Forward: vs.Forward}
		if cvs.SorryServerLVSMethod != "" {
			if d.Forward, err = ParseForward(cvs.SorryServerLVSMethod); err != nil {
				return vs, fmt.Errorf("sorry_server: %w", err)
			}
		}
		vs.Sorry = &d
	}
	return vs, nil
}

// vipOwner names the VRRP instance whose virtual_ipaddress holds the first
// address service of keys ("" if none), for ha_suspend without an explicit
// vrrp_instance.
func vipOwner(c *config.Config, keys []ServiceKey) string {
	for _, k := range keys {
		if k.FWMark != 0 {
			continue
		}
		for _, in := range c.Instances {
			for _, v := range in.VIPs {
				if v.Prefix.Addr().Unmap() == k.Addr {
					return in.Name
				}
			}
		}
	}
	return ""
}

// SyncDaemonsFor returns the sync daemons keepalived runs for
// lvs_sync_daemon given the state of its VRRP instance: master on the
// master, backup otherwise. Without a VRRP instance (N active directors)
// both run whatever master says: each director sends the connections it
// forwards and takes those of the others. nil when lvs_sync_daemon is not
// configured.
func SyncDaemonsFor(g config.Global, master bool) []SyncDaemon {
	sd := g.LVSSyncDaemon
	if sd == nil {
		return nil
	}
	d := SyncDaemon{State: SyncBackup, Interface: sd.Interface, SyncID: uint8(sd.SyncID),
		MaxLen: uint16(max(sd.MaxLen, 0)), Group: sd.Group, Port: sd.Port, TTL: uint8(max(sd.TTL, 0))}
	if sd.VRRPInstance == "" {
		m := d
		m.State = SyncMaster
		return []SyncDaemon{m, d}
	}
	if master {
		d.State = SyncMaster
	}
	return []SyncDaemon{d}
}

// TimeoutsFor converts lvs_timeouts (zero: leave the kernel's value).
func TimeoutsFor(g config.Global) Timeouts {
	t := g.LVSTimeouts
	return Timeouts{TCP: uint32(t.TCP.Seconds()), TCPFin: uint32(t.TCPFin.Seconds()), UDP: uint32(t.UDP.Seconds())}
}
