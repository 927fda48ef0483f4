// Package metrics exposes lvsd's state as Prometheus metrics on /metrics:
// VRRP state, priorities, adverts, drops by reason and transitions; health
// checks by result; IPVS counters and weights per service and destination;
// and the Go process metrics.
//
// The collector reads the same snapshot `lvsd status` shows, taken at scrape
// time, so the two never disagree and the daemon keeps no second set of
// counters.
package metrics
