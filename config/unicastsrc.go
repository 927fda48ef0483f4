package config

// CheckUnicastSrc reports whether unicast instance in drops adverts from a
// source that is not one of its unicast_peer (and outside a peer's
// min_ttl..max_ttl): its check_unicast_src, else vrrp_check_unicast_src,
// else true. keepalived's default is false (any source) unless the keyword
// is given; lvsd checks unless told not to.
func (g Global) CheckUnicastSrc(in *VRRPInstance) bool {
	for _, p := range []*bool{in.CheckUnicastSrc, g.VRRPCheckUnicastSrc} {
		if p != nil {
			return *p
		}
	}
	return true
}
