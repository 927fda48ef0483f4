package vip

// Links returns the index of every interface of the Manager's namespace by
// name, from the rtnetlink-fed table: no system call, so that a caller
// polling for deleted or re-created interfaces (lvsd's checkLinks, once a
// second) costs no link dump. ok is false when the table is not current
// (then ask the kernel). The table follows the kernel by a notification's
// latency: a caller acting on a difference should confirm it with a dump.
func (m *Manager) Links() (idx map[string]int, ok bool) {
	if m.tab == nil {
		return nil, false
	}
	return m.tab.linkIndexes()
}

// LinkChanges receives a token after the table learnt of an interface
// added, changed or deleted, or was filled again (after a failed
// subscription): a caller comparing Links with what it opened waits on it
// instead of polling. Tokens do not queue up: one may stand for several
// changes. Nil without a table (never ready).
func (m *Manager) LinkChanges() <-chan struct{} {
	if m.tab == nil {
		return nil
	}
	return m.tab.changed
}
