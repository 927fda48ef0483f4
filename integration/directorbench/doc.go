// Package directorbench measures lvsd and keepalived side by side as LVS
// directors: the same generated table of virtual servers (keepalived.conf
// and the equivalent TOML) loaded into the kernel's IPVS, timed from exec,
// with memory, idle CPU, reloads, stop and, optionally, health checks.
//
// It has only a benchmark, BenchmarkDirector, which needs IPVS and
// keepalived: run it in the VM lab with `make bench-director`. Each sample
// runs each daemon in a fresh network namespace (its own IPVS table, so no
// destinations deleted by an earlier sample linger on the kernel's trash
// list), the two daemons alternating which goes first, after the VM's CPU
// has gone quiet. Figures are medians over the samples and are printed as
// one table with the ratio lvsd/keepalived.
package directorbench
