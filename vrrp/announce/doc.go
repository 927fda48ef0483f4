// Package announce sends the announcements of a new VRRP master (RFC 5798
// section 6.4.2, RFC 3768 section 6.4.2): gratuitous ARP for IPv4 addresses
// (RFC 826 / RFC 5227 ARP request with sender IP = target IP) and
// unsolicited neighbour advertisements for IPv6 addresses (RFC 4861 section
// 7.2.6, Override flag set, to ff02::1, hop limit 255).
//
// The frames are those of keepalived 2.2.7, byte for byte: a GARP is an ARP
// request from the interface's MAC (the VMAC with use_vmac) to
// ff:ff:ff:ff:ff:ff with target MAC ff:ff:ff:ff:ff:ff; an NA is sent from
// the virtual address itself with a target link-layer address option. They
// are written whole through an AF_PACKET socket (mdlayher/packet), with the
// ARP and NDP bodies marshalled by mdlayher/arp and mdlayher/ndp, so an
// interface without any IPv4 address, or whose link-local address is still
// tentative, can announce too.
//
// Concurrency: an Announcer is safe for use by several goroutines. It opens
// its socket per Announce call, so an interface that was recreated (a VMAC)
// is found again by name.
package announce
