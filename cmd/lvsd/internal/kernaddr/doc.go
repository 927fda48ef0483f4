// Package kernaddr implements the one path from a configured virtual address
// or virtual route (config.VIP, config.Route) to what the kernel is asked to
// install: the runner's values (vrrp.VIP, vrrp.Route), then the device they
// go on (the instance's interface, its VMAC, or the one configured) as
// vip.Address and vip.Route, which vip turns into the netlink request.
//
// Its functions are pure; the tests follow every field of the configured
// structs to the netlink request, so a field dropped on the way fails them.
package kernaddr
