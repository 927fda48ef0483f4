package daemon

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"strconv"

	"github.com/lvsd/lvsd/config"
	"golang.org/x/sys/unix"
)

// The questions the VRRP part asks about one interface at start and at
// reload — does it exist, what is its index, can it carry an instance —
// are answered by ioctls on the name and, for IPv6, the namespace's
// if_inet6 table, not by net.InterfaceByName and Interface.Addrs: each of
// those opens a netlink socket and dumps every link or every address of
// the host, three dumps per instance (250 instances on a host with 80
// links: 759 netlink sockets and 25,000 recvfrom in the first 2 s).

// ifreq runs one interface ioctl on name over a throwaway socket.
func ifreq(name string, req uint) (*unix.Ifreq, error) {
	if len(name) == 0 || len(name) >= unix.IFNAMSIZ {
		return nil, fmt.Errorf("interface name %q: %w", name, unix.EINVAL)
	}
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("interface %s: socket: %w", name, err)
	}
	defer unix.Close(fd)
	ifr, err := unix.NewIfreq(name)
	if err != nil {
		return nil, fmt.Errorf("interface %s: %w", name, err)
	}
	if err := unix.IoctlIfreq(fd, req, ifr); err != nil {
		return nil, fmt.Errorf("interface %s: %w", name, err)
	}
	return ifr, nil
}

// ifIndex returns the index of the interface name (SIOCGIFINDEX); ENODEV
// when there is none.
func ifIndex(name string) (int, error) {
	ifr, err := ifreq(name, unix.SIOCGIFINDEX)
	if err != nil {
		return 0, err
	}
	return int(ifr.Uint32()), nil
}

// hasIPv4 reports whether the interface has an IPv4 address whose label
// is its name (SIOCGIFADDR); false also when the only ones carry another
// label (eth0:1), which linkReadyDump then finds.
func hasIPv4(name string) bool {
	_, err := ifreq(name, unix.SIOCGIFADDR)
	return err == nil
}

// errNoIfInet6 is hasLinkLocal6's answer when the table cannot be read
// (IPv6 disabled): the caller falls back to the netlink dump.
var errNoIfInet6 = errors.New("if_inet6 unreadable")

// hasLinkLocal6 reports whether the interface index has an IPv6
// link-local address, from the calling thread's namespace's
// /proc/…/net/if_inet6 (thread-self: a thread moved into another
// namespace reads its own). Lines: address, index, prefix length, scope,
// flags, name, in hex but the name.
func hasLinkLocal6(index int) (bool, error) {
	b, err := os.ReadFile("/proc/thread-self/net/if_inet6")
	if err != nil {
		return false, fmt.Errorf("%w: %w", errNoIfInet6, err)
	}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		f := bytes.Fields(sc.Bytes())
		if len(f) < 6 {
			continue
		}
		idx, err1 := strconv.ParseUint(string(f[1]), 16, 32)
		scope, err2 := strconv.ParseUint(string(f[3]), 16, 32)
		if err1 == nil && err2 == nil && int(idx) == index && scope == 0x20 {
			return true, nil
		}
	}
	return false, nil
}

// linkReady reports whether the interface of a waiting instance can carry
// it now: it exists and, unless the instance has its own source address,
// has an address of the instance's family to send from (a new interface
// usually gets its address a moment after it appears; opening the socket
// before would fail, openKernel). A "no" from the quick queries is
// confirmed by the dump (linkReadyDump) so that both always agree.
func linkReady(in *config.VRRPInstance) bool {
	idx, err := ifIndex(in.Interface)
	if err != nil {
		return false
	}
	if ownSource(in) {
		return true
	}
	if in.Family == 6 {
		if ok, err := hasLinkLocal6(idx); err == nil {
			return ok
		}
	} else if hasIPv4(in.Interface) {
		return true
	}
	return linkReadyDump(in)
}

// ownSource reports whether the instance sends from a configured address,
// so that its interface needs none of its own.
func ownSource(in *config.VRRPInstance) bool {
	return in.MCastSrcIP.IsValid() || len(in.UnicastPeers) > 0 && in.UnicastSrcIP.IsValid()
}

// linkReadyDump is linkReady over net's link and address dumps.
func linkReadyDump(in *config.VRRPInstance) bool {
	ifi, err := net.InterfaceByName(in.Interface)
	if err != nil {
		return false
	}
	if ownSource(in) {
		return true
	}
	addrs, err := ifi.Addrs()
	if err != nil {
		return false
	}
	for _, a := range addrs {
		n, ok := a.(*net.IPNet)
		if !ok {
			continue
		}
		ip, ok := netip.AddrFromSlice(n.IP)
		if !ok {
			continue
		}
		ip = ip.Unmap()
		if in.Family == 6 && ip.Is6() && ip.IsLinkLocalUnicast() || in.Family != 6 && ip.Is4() {
			return true
		}
	}
	return false
}
