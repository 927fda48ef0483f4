// Package ipvs drives the Linux IP Virtual Server (IPVS, the kernel's layer-4
// load balancer) over generic netlink, the way keepalived's check process
// does: it turns virtual_server/real_server definitions plus health-check
// results into a desired table and reconciles the kernel's table with it.
//
// The package has four layers:
//
//   - Types (Service, Destination, Table): identity and configuration only.
//     Observed state (statistics, connection counts) lives in ServiceStats and
//     DestinationStats, so desired and observed tables compare as plain values.
//   - Client: a small interface over the kernel (services, destinations,
//     flush, info, timeouts, the connection-sync daemon). New returns the
//     netlink implementation (github.com/cloudflare/ipvs for info and
//     timeouts; this package's own generic-netlink codec for services,
//     destinations, flush and the sync daemon: cloudflare/ipvs v0.12.0 has
//     no persistence engine, flush or sync daemon, and the kernel refuses
//     its service messages, which lack the netmask). Fake is a recording
//     in-memory Client for tests.
//   - Pure logic with no I/O: Diff computes the minimal ordered list of
//     operations from an observed to a desired table, touching only owned
//     services; Compute applies keepalived's virtual_server semantics
//     (virtual_server_group, sorry_server, inhibit_on_failure, quorum with
//     hysteresis, alpha, ha_suspend) to health results.
//   - Manager: the thin shell that remembers what it owns and what it last
//     wrote, applies diffs (EEXIST and ENOENT count as convergence; the
//     netlink client sends them in batches, one sendmsg per 128 requests),
//     resyncs against the kernel so that hand-made ipvsadm changes are
//     undone, and switches the sync daemon with VRRP state. Failed requests
//     are counted by reason (FailReason) and logged at most once per 10 s
//     per reason.
//
// Ownership follows keepalived: the services of the configuration belong to
// lvsd, with all their destinations; any other service in the kernel is
// foreign and is never modified or deleted, except by an explicit Flush
// (lvs_flush, lvs_flush_on_stop).
//
// Out of scope: the IPVS connection table itself, ipvsadm's text format, and
// health checking (package healthcheck supplies up/down results).
//
// Concurrency: Manager methods are safe for concurrent use; Fake is too. The
// netlink Client serialises its requests. Diff and Compute are pure functions.
package ipvs
