// Package kernaddr implements the one path from a configured address, route
// or rule (config.VIP, config.Route, config.Rule: virtual_* of an instance
// or the static_* of the top level) to what the kernel is asked to install:
// the runner's values (vrrp.VIP, vrrp.Route, vrrp.Rule), then the device
// they go on (the instance's interface, its VMAC, or the one configured;
// Static for the static state) as vip.Address, vip.Route and vip.Rule,
// which vip turns into the netlink request.
//
// Its functions are pure; the tests follow every field of the configured
// structs to the netlink request, so a field dropped on the way fails them.
package kernaddr
