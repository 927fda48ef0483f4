package announce

import (
	"fmt"
	"net"
	"unsafe"

	"golang.org/x/sys/unix"
)

// interfaceByName is what Announce needs of net.InterfaceByName (index,
// name, Ethernet address), read with two ioctls on the name instead of a
// dump of every link: net.InterfaceByName opens a netlink socket and
// parses the whole link table for each call, and a MASTER transition
// announces garp_master_repeat times, again after garp_master_delay, per
// instance (250 instances: about 2,500 link dumps per transition, each
// growing with the host's links). As net's, a zero address (loopback) or a
// non-Ethernet one (tun) gives no HardwareAddr.
func interfaceByName(name string) (*net.Interface, error) {
	if len(name) == 0 || len(name) >= unix.IFNAMSIZ {
		return nil, fmt.Errorf("interface name %q: %w", name, unix.EINVAL)
	}
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("interface %s: socket: %w", name, err)
	}
	defer unix.Close(fd)
	// struct ifreq: the name, then a union of 24 bytes: an int (the index)
	// or a struct sockaddr (sa_family, then the address).
	var req struct {
		name [unix.IFNAMSIZ]byte
		data [24]byte
	}
	copy(req.name[:], name)
	if err := ioctl(fd, unix.SIOCGIFINDEX, unsafe.Pointer(&req)); err != nil {
		return nil, fmt.Errorf("interface %s: %w", name, err)
	}
	ifi := &net.Interface{Name: name, Index: int(*(*int32)(unsafe.Pointer(&req.data[0])))}
	if err := ioctl(fd, unix.SIOCGIFHWADDR, unsafe.Pointer(&req)); err != nil {
		return nil, fmt.Errorf("interface %s: hardware address: %w", name, err)
	}
	family := *(*uint16)(unsafe.Pointer(&req.data[0]))
	mac := req.data[2:8]
	if family == unix.ARPHRD_ETHER && [6]byte(mac) != [6]byte{} {
		ifi.HardwareAddr = net.HardwareAddr(append([]byte(nil), mac...))
	}
	return ifi, nil
}

func ioctl(fd int, req uint, arg unsafe.Pointer) error {
	if _, _, e := unix.Syscall(unix.SYS_IOCTL, uintptr(fd), uintptr(req), uintptr(arg)); e != 0 {
		return e
	}
	return nil
}
