package daemon

import (
	"context"
	"encoding/json"
	"net/netip"

	"github.com/lvsd/lvsd/config"
	"github.com/lvsd/lvsd/vrrp/carp"
	"github.com/lvsd/lvsd/vrrp/vip"
)

// upgradeCARP is one carp_instance's record in an upgrade's hand-over.
type upgradeCARP struct {
	State   carp.State   `json:"state"`
	Counter uint64       `json:"counter"`
	Ident   carpIdentity `json:"identity"`
}

// carpIdentity is what makes a carp_instance the same virtual host on the
// segment and on the host: a successor takes the state of an instance
// with the same identity over quietly; any other change (timing, scripts,
// preempt, password) keeps the state too, as the machine then handles it
// as it would a peer's change.
type carpIdentity struct {
	Interface string       `json:"interface"`
	VHID      int          `json:"vhid"`
	Addr      netip.Addr   `json:"addr"`
	SrcIP     netip.Addr   `json:"srcip"`
	MCastIP   netip.Addr   `json:"mcastip"`
	NoMcast   bool         `json:"nomcast"`
	VIPs      []config.VIP `json:"vips"`
}

func identityOf(c *config.CARPInstance) carpIdentity {
	return carpIdentity{Interface: c.Interface, VHID: c.VHID, Addr: c.Addr, SrcIP: c.SrcIP,
		MCastIP: c.MCastIP, NoMcast: c.NoMcast, VIPs: c.VIPs}
}

func (a carpIdentity) same(b carpIdentity) bool {
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	return string(ja) == string(jb)
}

// abandon makes every instance stop, at the part's stop, without leaving:
// no last advert, no script, the addresses stay for the successor.
func (p *carpPart) abandon() {
	if p == nil {
		return
	}
	for _, ci := range p.insts {
		ci.inst.Abandon()
	}
}

// handedOver is the hand-over record of every instance, once stopped.
func (p *carpPart) handedOver() map[string]upgradeCARP {
	if p == nil || len(p.insts) == 0 {
		return nil
	}
	out := map[string]upgradeCARP{}
	for _, ci := range p.insts {
		st := ci.inst.Stats()
		out[ci.cfg.Name] = upgradeCARP{State: st.State, Counter: st.Counter, Ident: identityOf(&ci.cfg)}
	}
	return out
}

// seedCARP takes the predecessor's records: an instance with the same
// identity in the new configuration starts in its state (takeInherit);
// a MASTER whose instance is gone or is another virtual host now has its
// addresses removed here, as a stopping ucarp would, so none is left on a
// node that no longer advertises for it.
func (p *carpPart) seedCARP(recs map[string]upgradeCARP) {
	p.inherit = map[string]upgradeCARP{}
	byName := map[string]*config.CARPInstance{}
	for i := range p.d.cfg.CARPInstances {
		byName[p.d.cfg.CARPInstances[i].Name] = &p.d.cfg.CARPInstances[i]
	}
	var stale []vip.Address
	for name, rec := range recs {
		if c := byName[name]; c != nil && identityOf(c).same(rec.Ident) {
			if rec.State == carp.Master || rec.State == carp.Backup {
				p.inherit[name] = rec
			}
			continue
		}
		if rec.State != carp.Master {
			continue
		}
		for _, v := range rec.Ident.VIPs {
			scope, err := vip.ParseScope(v.Scope)
			if err != nil {
				continue
			}
			stale = append(stale, vip.Address{Prefix: v.Prefix, Dev: v.Dev, Brd: v.Brd, Scope: scope, Label: v.Label, NoPrefixRoute: v.NoPrefixRoute})
		}
	}
	if len(stale) == 0 {
		return
	}
	m, err := vip.NewWithOptions(vipOptions(p.d.cfg.Global))
	if err != nil {
		p.d.log.Error("upgrade: carp: cannot remove the addresses of instances that changed", "err", err)
		return
	}
	defer m.Close()
	if err := m.DelVIPs(context.Background(), stale); err != nil {
		p.d.log.Error("upgrade: carp: remove the addresses of instances that changed", "err", err)
	}
}

// takeInherit is the state instance c starts from: the predecessor's
// (once; a later reload starts instances normally) or none.
func (p *carpPart) takeInherit(c *config.CARPInstance) (upgradeCARP, bool) {
	rec, ok := p.inherit[c.Name]
	delete(p.inherit, c.Name)
	return rec, ok
}
