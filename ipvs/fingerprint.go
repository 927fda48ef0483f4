package ipvs

import "bytes"

// fingerprinter is implemented by clients that can summarise the kernel's
// whole table cheaply (the netlink client: one read of /proc/net/ip_vs
// instead of a dump per service). Manager.Run skips its full re-read while
// the summary has not changed since the last one that matched.
type fingerprinter interface {
	Fingerprint() (uint64, error)
}

// fingerprintProcIPVS hashes the text of /proc/net/ip_vs (FNV-1a, 64 bits)
// without the connection counters, which move with traffic: a service line
// whole (protocol, address, scheduler, persistence, flags), a destination
// line's address, forwarding method and weight. Adding, removing or
// re-weighting anything, or changing its method or scheduler, changes the
// result; the fields the file does not show (thresholds, tunnel settings)
// are left to the periodic full reconcile.
func fingerprintProcIPVS(data []byte) uint64 {
	const (
		offset = 14695981039346656037
		prime  = 1099511628211
	)
	h := uint64(offset)
	add := func(b []byte) {
		for _, c := range b {
			h ^= uint64(c)
			h *= prime
		}
		h ^= '\n'
		h *= prime
	}
	for len(data) > 0 {
		line := data
		if i := bytes.IndexByte(data, '\n'); i >= 0 {
			line, data = data[:i], data[i+1:]
		} else {
			data = nil
		}
		if rest, ok := bytes.CutPrefix(line, []byte("  -> ")); ok {
			// RemoteAddress:Port Forward Weight ActiveConn InActConn
			for n := 0; n < 3; n++ {
				rest = bytes.TrimLeft(rest, " ")
				f := rest
				if i := bytes.IndexByte(rest, ' '); i >= 0 {
					f, rest = rest[:i], rest[i:]
				} else {
					rest = nil
				}
				add(f)
			}
			continue
		}
		add(bytes.TrimRight(line, " "))
	}
	return h
}
