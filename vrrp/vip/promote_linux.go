package vip

// savedPromote is an interface's promote_secondaries before lvsd set it.
type savedPromote struct {
	users int
	old   string // the value to put back; "" when it was already 1
}

// PromoteSecondaries sets net.ipv4.conf.IFACE.promote_secondaries to 1
// (keepalived's promote_secondaries): when the primary IPv4 address of a
// subnet is removed, the kernel promotes a secondary one (a VIP) instead
// of removing every address of the subnet. Each call is undone by one
// UnpromoteSecondaries; the last one puts back the value found by the
// first, unless it was 1 already.
func (m *Manager) PromoteSecondaries(iface string) error {
	return m.inNS(func() error {
		m.mu.Lock()
		defer m.mu.Unlock()
		if sp := m.promote[iface]; sp != nil {
			sp.users++
			return nil
		}
		path := "net/ipv4/conf/" + iface + "/promote_secondaries"
		cur, err := readSysctl(path)
		if err != nil {
			return err
		}
		sp := &savedPromote{users: 1}
		if cur != "1" {
			if err := writeSysctl(path, "1"); err != nil {
				return err
			}
			sp.old = cur
		}
		if m.promote == nil {
			m.promote = map[string]*savedPromote{}
		}
		m.promote[iface] = sp
		return nil
	})
}

// UnpromoteSecondaries undoes one PromoteSecondaries.
func (m *Manager) UnpromoteSecondaries(iface string) error {
	return m.inNS(func() error {
		m.mu.Lock()
		defer m.mu.Unlock()
		sp := m.promote[iface]
		if sp == nil {
			return nil
		}
		if sp.users--; sp.users > 0 {
			return nil
		}
		delete(m.promote, iface)
		if sp.old == "" {
			return nil
		}
		return writeSysctl("net/ipv4/conf/"+iface+"/promote_secondaries", sp.old)
	})
}
