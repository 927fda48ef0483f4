// Package daemon implements `lvsd run`: the VRRP, CARP, IPVS, health-check
// and BGP parts built from one configuration, their reload and stop, and
// the operator's side (control socket, metrics, sd_notify, pid and state
// files, signals). Package main parses the flags and calls Run.
package daemon
