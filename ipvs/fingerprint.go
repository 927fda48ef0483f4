package ipvs

import (
	"bytes"
	"hash/crc32"
	"sync"
)

// fingerprinter is implemented by clients that can summarise the kernel's
// whole table cheaply (the netlink client: one read of /proc/net/ip_vs
// instead of a dump per service). Manager.Run skips its full re-read while
// the summary has not changed since the last one that matched.
type fingerprinter interface {
	Fingerprint() (uint64, error)
}

// fingerprintProcIPVS hashes the text of /proc/net/ip_vs (CRC-32C, by
// segment) without the connection counters, which move with traffic: a
// service line whole (protocol, address, scheduler, persistence, flags), a
// destination line up to its weight (address, forwarding method, weight).
// Adding, removing or re-weighting anything, or changing its method or
// scheduler, changes the result; the fields the file does not show
// (thresholds, tunnel settings) are left to the periodic full reconcile.
func fingerprintProcIPVS(data []byte) uint64 {
	h, tab := uint32(0), crcTable()
	for len(data) > 0 {
		line := data
		if i := bytes.IndexByte(data, '\n'); i >= 0 {
			line, data = data[:i], data[i+1:]
		} else {
			data = nil
		}
		if bytes.HasPrefix(line, destPrefix) {
			// RemoteAddress:Port Forward Weight ActiveConn InActConn:
			// the line up to the end of its third field
			end := len(destPrefix)
			for n := 0; n < 3; n++ {
				for end < len(line) && line[end] == ' ' {
					end++
				}
				if i := bytes.IndexByte(line[end:], ' '); i >= 0 {
					end += i
				} else {
					end = len(line)
				}
			}
			line = line[:end]
		} else {
			line = bytes.TrimRight(line, " ")
		}
		h = crc32.Update(h, tab, line)
		h = crc32.Update(h, tab, newline)
	}
	return uint64(h)
}

var (
	// built on first use: the table (9 KB, 0.2 ms) was every exec's cost
	crcTable   = sync.OnceValue(func() *crc32.Table { return crc32.MakeTable(crc32.Castagnoli) })
	destPrefix = []byte("  -> ")
	newline    = []byte("\n")
)
