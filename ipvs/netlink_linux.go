//go:build linux

package ipvs

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"os"
	"sync"

	cf "github.com/cloudflare/ipvs"
	"github.com/mdlayher/genetlink"
	"github.com/mdlayher/netlink"
	"golang.org/x/sys/unix"
)

// Generic netlink constants from include/uapi/linux/ip_vs.h.
const (
	genlName    = "IPVS"
	genlVersion = 1

	cmdNewService = 1
	cmdSetService = 2
	cmdDelService = 3
	cmdGetService = 4
	cmdNewDaemon  = 9
	cmdDelDaemon  = 10
	cmdGetDaemon  = 11
	cmdFlush      = 17

	cmdAttrService = 1
	cmdAttrDaemon  = 3

	svcAttrAF        = 1
	svcAttrProtocol  = 2
	svcAttrAddr      = 3
	svcAttrPort      = 4
	svcAttrFWMark    = 5
	svcAttrSchedName = 6
	svcAttrFlags     = 7
	svcAttrTimeout   = 8
	svcAttrNetmask   = 9
	svcAttrPEName    = 11
	svcAttrStats64   = 12

	daemonAttrState      = 1
	daemonAttrMcastIfn   = 2
	daemonAttrSyncID     = 3
	daemonAttrSyncMaxlen = 4
	daemonAttrMcastGroup = 5
	daemonAttrMcastGrp6  = 6
	daemonAttrMcastPort  = 7
	daemonAttrMcastTTL   = 8
)

// netlinkClient implements Client. Info and timeouts go through
// github.com/cloudflare/ipvs; services (which need the persistence engine
// and netmask attributes cloudflare/ipvs v0.12.0 omits: the kernel refuses
// its service adds with EINVAL), destinations, flush and the sync daemon
// through this package's own generic netlink messages.
type netlinkClient struct {
	cf     cf.Client
	mu     sync.Mutex // serialises requests on conn/nl; guards rbuf
	conn   *genetlink.Conn
	nl     *netlink.Conn // conn's netlink socket, for batches
	family uint16
	rbuf   []byte
	// cfStale is set when family changed: c.cf still speaks to the old id
	// and is replaced before its next use; refreshes counts the changes.
	cfStale   bool
	refreshes uint64

	procMu sync.Mutex // guards proc and pbuf
	// proc is /proc/net/ip_vs of the namespace New ran in (a /proc/net
	// file keeps the namespace it was opened in), for Fingerprint; nil
	// when it could not be opened.
	proc *os.File
	pbuf []byte
}

var (
	_ Client        = (*netlinkClient)(nil)
	_ fingerprinter = (*netlinkClient)(nil)
)

// New connects to the kernel's IPVS in the calling thread's network
// namespace. It returns ErrNoIPVS when the kernel has no IPVS.
func New() (Client, error) { return NewWithOptions(Options{}) }

// NewWithOptions is New with the socket options o (options_linux.go).
func NewWithOptions(o Options) (Client, error) {
	nl, err := netlink.Dial(unix.NETLINK_GENERIC, nil)
	if err != nil {
		return nil, fmt.Errorf("ipvs: dial generic netlink: %w", err)
	}
	if err := o.apply(nl); err != nil {
		nl.Close()
		return nil, err
	}
	conn := genetlink.NewConn(nl)
	fam, err := conn.GetFamily(genlName)
	if err != nil {
		conn.Close()
		if errors.Is(err, os.ErrNotExist) || errors.Is(err, unix.ENOENT) {
			return nil, ErrNoIPVS
		}
		return nil, fmt.Errorf("ipvs: resolve generic netlink family %s: %w", genlName, err)
	}
	c, err := newCF()
	if err != nil {
		conn.Close()
		return nil, fmt.Errorf("ipvs: connect: %w", err)
	}
	// thread-self: the calling thread's namespace, which tests switch
	// alone (the process's may differ)
	proc, err := os.Open("/proc/thread-self/net/ip_vs")
	if err != nil {
		proc = nil // Fingerprint reports the error; Run re-reads in full
	}
	return &netlinkClient{cf: c, conn: conn, nl: nl, family: fam.ID, rbuf: make([]byte, 64<<10), proc: proc}, nil
}

// Fingerprint summarises the table from one read of /proc/net/ip_vs
// (fingerprintProcIPVS): far cheaper than a netlink dump per service.
func (c *netlinkClient) Fingerprint() (uint64, error) {
	c.procMu.Lock()
	defer c.procMu.Unlock()
	f, err := c.fingerprint()
	if err != nil && c.proc != nil {
		// After rmmod ip_vs the open file answers EIO; a reloaded module
		// has a new one.
		c.proc.Close()
		c.proc = nil
		f, err = c.fingerprint()
	}
	return f, err
}

// fingerprint reads c.proc, opening it if needed; procMu must be held.
func (c *netlinkClient) fingerprint() (uint64, error) {
	if c.proc == nil {
		p, err := os.Open("/proc/thread-self/net/ip_vs")
		if err != nil {
			return 0, fmt.Errorf("ipvs: fingerprint: %w", err)
		}
		c.proc = p
	}
	if _, err := c.proc.Seek(0, 0); err != nil {
		return 0, fmt.Errorf("ipvs: fingerprint: %w", err)
	}
	if c.pbuf == nil {
		c.pbuf = make([]byte, 0, 64<<10)
	}
	buf := c.pbuf[:0]
	for {
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)]
		}
		n, err := c.proc.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if err != nil || n == 0 {
			if err != nil && !errors.Is(err, io.EOF) {
				return 0, fmt.Errorf("ipvs: fingerprint: read: %w", err)
			}
			break
		}
	}
	c.pbuf = buf[:0]
	return fingerprintProcIPVS(buf), nil
}

func (c *netlinkClient) Close() error {
	err := c.conn.Close()
	if c.proc != nil {
		c.proc.Close()
	}
	if cl, ok := c.cf.(interface{ Close() error }); ok {
		err = errors.Join(err, cl.Close())
	}
	return err
}

func (c *netlinkClient) execute(cmd uint8, flags netlink.HeaderFlags, data []byte) ([]genetlink.Message, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	m := genetlink.Message{Header: genetlink.Header{Command: cmd, Version: genlVersion}, Data: data}
	msgs, err := c.conn.Execute(m, c.family, flags)
	if err != nil && staleFamilyErr(err) {
		if changed, rerr := c.refresh(); rerr == nil && changed {
			msgs, err = c.conn.Execute(m, c.family, flags)
		}
	}
	return msgs, err
}

// staleFamilyErr reports whether err can mean that the IPVS family id is
// no longer the kernel's: after rmmod ip_vs; modprobe ip_vs the module
// registers again under a new id (allocated cyclically), the old one
// answers ENOENT (no such family) or, reused by another family,
// EOPNOTSUPP or EINVAL. Those errnos are also ordinary answers (no such
// destination, bad values): the caller re-resolves and retries only when
// the id really changed.
func staleFamilyErr(err error) bool {
	return errors.Is(err, unix.ENOENT) || errors.Is(err, unix.EOPNOTSUPP) || errors.Is(err, unix.EINVAL)
}

// refresh resolves the IPVS family again and reports whether its id
// changed (defect 9: a reloaded module); mu must be held. While the
// module is absent it returns the lookup's error and keeps the old id.
func (c *netlinkClient) refresh() (bool, error) {
	fam, err := c.conn.GetFamily(genlName)
	if err != nil {
		return false, fmt.Errorf("ipvs: resolve generic netlink family %s: %w", genlName, err)
	}
	if fam.ID == c.family {
		return false, nil
	}
	c.family, c.cfStale = fam.ID, true
	c.refreshes++
	return true, nil
}

// newCF makes the cloudflare/ipvs client; a variable for tests (it dials
// the kernel's IPVS family).
var newCF = cf.New

// withCF runs f with the cloudflare/ipvs client, replacing it first when
// the family id changed, and once more after a stale-family failure that
// a re-resolution confirms.
func (c *netlinkClient) withCF(f func(cf.Client) error) error {
	cl, err := c.currentCF(false)
	if err != nil {
		return err
	}
	err = f(cl)
	if err != nil && staleFamilyErr(err) {
		if cl2, rerr := c.currentCF(true); rerr == nil && cl2 != cl {
			err = f(cl2)
		}
	}
	return err
}

// currentCF returns c.cf, re-resolving the family first when check is
// set, and replacing c.cf when the family changed.
func (c *netlinkClient) currentCF(check bool) (cf.Client, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if check {
		if _, err := c.refresh(); err != nil {
			return nil, err
		}
	}
	if c.cfStale {
		nc, err := newCF()
		if err != nil {
			return nil, fmt.Errorf("ipvs: connect: %w", err)
		}
		if cl, ok := c.cf.(interface{ Close() error }); ok {
			cl.Close()
		}
		c.cf, c.cfStale = nc, false
	}
	return c.cf, nil
}

func (c *netlinkClient) Info() (Info, error) {
	var i cf.Info
	err := c.withCF(func(cl cf.Client) (err error) { i, err = cl.Info(); return err })
	if err != nil {
		return Info{}, fmt.Errorf("ipvs: get info: %w", err)
	}
	return Info{
		Version:       fmt.Sprintf("%d.%d.%d", i.Version[0], i.Version[1], i.Version[2]),
		ConnTableSize: i.ConnectionTableSize,
	}, nil
}

func (c *netlinkClient) Timeouts() (Timeouts, error) {
	var t cf.Config
	err := c.withCF(func(cl cf.Client) (err error) { t, err = cl.Config(); return err })
	if err != nil {
		return Timeouts{}, fmt.Errorf("ipvs: get timeouts: %w", err)
	}
	return Timeouts{TCP: t.TCPTimeout, TCPFin: t.TCPFinTimeout, UDP: t.UDPTimeout}, nil
}

func (c *netlinkClient) SetTimeouts(t Timeouts) error {
	if err := c.withCF(func(cl cf.Client) error {
		return cl.SetConfig(cf.Config{TCPTimeout: t.TCP, TCPFinTimeout: t.TCPFin, UDPTimeout: t.UDP})
	}); err != nil {
		return fmt.Errorf("ipvs: set timeouts tcp %d tcpfin %d udp %d: %w", t.TCP, t.TCPFin, t.UDP, err)
	}
	return nil
}

func (c *netlinkClient) Flush() error {
	if _, err := c.execute(cmdFlush, netlink.Request|netlink.Acknowledge, nil); err != nil {
		return fmt.Errorf("ipvs: flush: %w", err)
	}
	return nil
}

// ---- services (own codec)

func family(v6 bool) uint16 {
	if v6 {
		return unix.AF_INET6
	}
	return unix.AF_INET
}

// encodeServiceKey writes the identifying attributes of a service.
func encodeServiceKey(ae *netlink.AttributeEncoder, k ServiceKey) {
	ae.Uint16(svcAttrAF, family(k.Is6()))
	if k.FWMark != 0 {
		ae.Uint32(svcAttrFWMark, k.FWMark)
		return
	}
	ae.Uint16(svcAttrProtocol, uint16(k.Protocol))
	ae.Bytes(svcAttrAddr, k.Addr.Unmap().AsSlice())
	ae.Bytes(svcAttrPort, binary.BigEndian.AppendUint16(nil, k.Port))
}

// encodeService encodes a full service (for add and update).
func encodeService(s Service) ([]byte, error) {
	s = s.normalized()
	ae := netlink.NewAttributeEncoder()
	ae.Nested(cmdAttrService, func(ae *netlink.AttributeEncoder) error {
		encodeServiceKey(ae, s.ServiceKey)
		ae.String(svcAttrSchedName, s.Scheduler)
		if s.PE != "" {
			ae.String(svcAttrPEName, s.PE)
		}
		// struct ip_vs_flags { __u32 flags; __u32 mask; }
		fl := binary.NativeEndian.AppendUint32(nil, uint32(s.Flags))
		ae.Bytes(svcAttrFlags, binary.NativeEndian.AppendUint32(fl, ^uint32(FlagHashed)))
		ae.Uint32(svcAttrTimeout, s.Timeout)
		if s.Is6() {
			ae.Uint32(svcAttrNetmask, uint32(s.NetmaskBits))
		} else {
			m := ^uint32(0) << (32 - s.NetmaskBits)
			if s.NetmaskBits == 0 {
				m = 0
			}
			ae.Bytes(svcAttrNetmask, binary.BigEndian.AppendUint32(nil, m))
		}
		return nil
	})
	return ae.Encode()
}

func encodeKeyOnly(k ServiceKey) ([]byte, error) {
	ae := netlink.NewAttributeEncoder()
	ae.Nested(cmdAttrService, func(ae *netlink.AttributeEncoder) error {
		encodeServiceKey(ae, k)
		return nil
	})
	return ae.Encode()
}

// decodeService decodes the attributes nested in CMD_ATTR_SERVICE.
func decodeService(b []byte) (ServiceStats, error) {
	var s ServiceStats
	ad, err := netlink.NewAttributeDecoder(b)
	if err != nil {
		return s, err
	}
	var af uint16
	var addr, mask []byte
	for ad.Next() {
		switch ad.Type() {
		case svcAttrAF:
			af = ad.Uint16()
		case svcAttrProtocol:
			s.Protocol = Protocol(ad.Uint16())
		case svcAttrAddr:
			addr = ad.Bytes()
		case svcAttrPort:
			if p := ad.Bytes(); len(p) == 2 {
				s.Port = binary.BigEndian.Uint16(p)
			}
		case svcAttrFWMark:
			s.FWMark = ad.Uint32()
		case svcAttrSchedName:
			s.Scheduler = ad.String()
		case svcAttrPEName:
			s.PE = ad.String()
		case svcAttrFlags:
			if f := ad.Bytes(); len(f) >= 4 {
				s.Flags = Flags(binary.NativeEndian.Uint32(f)) &^ FlagHashed
			}
		case svcAttrTimeout:
			s.Timeout = ad.Uint32()
		case svcAttrNetmask:
			mask = ad.Bytes()
		case svcAttrStats64:
			ad.Nested(func(nad *netlink.AttributeDecoder) error {
				s.Stats = decodeStats64(nad)
				return nil
			})
		}
	}
	if err := ad.Err(); err != nil {
		return s, err
	}
	s.IPv6 = af == unix.AF_INET6
	if s.FWMark == 0 {
		if !s.IPv6 && len(addr) >= 4 {
			addr = addr[:4]
		}
		a, ok := netip.AddrFromSlice(addr)
		if !ok {
			return s, fmt.Errorf("bad service address %x", addr)
		}
		s.Addr = a
		s.IPv6 = false // implied by Addr
	}
	if len(mask) == 4 {
		if af == unix.AF_INET6 {
			s.NetmaskBits = int(binary.NativeEndian.Uint32(mask))
		} else {
			m := binary.BigEndian.Uint32(mask)
			n := 0
			for m&0x80000000 != 0 {
				n++
				m <<= 1
			}
			s.NetmaskBits = n
		}
	}
	return s, nil
}

// decodeStats64 reads IPVS_STATS_ATTR_* u64 values (types 1-10), skipping
// the zero-length padding attribute (IPVS_STATS_ATTR_PAD) the kernel puts
// before 64-bit values for alignment.
func decodeStats64(ad *netlink.AttributeDecoder) Stats {
	var st Stats
	fields := [...]*uint64{nil, &st.Connections, &st.InPackets, &st.OutPackets, &st.InBytes, &st.OutBytes,
		&st.CPS, &st.InPPS, &st.OutPPS, &st.InBPS, &st.OutBPS}
	for ad.Next() {
		if t := int(ad.Type()); t > 0 && t < len(fields) {
			*fields[t] = ad.Uint64()
		}
	}
	return st
}

func (c *netlinkClient) Services() ([]ServiceStats, error) {
	msgs, err := c.execute(cmdGetService, netlink.Request|netlink.Dump, nil)
	if err != nil {
		return nil, fmt.Errorf("ipvs: list services: %w", err)
	}
	out := make([]ServiceStats, 0, len(msgs))
	for _, m := range msgs {
		ad, err := netlink.NewAttributeDecoder(m.Data)
		if err != nil {
			return nil, fmt.Errorf("ipvs: list services: %w", err)
		}
		for ad.Next() {
			if ad.Type() != cmdAttrService {
				continue
			}
			s, err := decodeService(ad.Bytes())
			if err != nil {
				return nil, fmt.Errorf("ipvs: list services: decode: %w", err)
			}
			out = append(out, s)
		}
	}
	return out, nil
}

func (c *netlinkClient) serviceCmd(cmd uint8, s Service) error {
	b, err := encodeService(s)
	if err != nil {
		return err
	}
	_, err = c.execute(cmd, netlink.Request|netlink.Acknowledge, b)
	return err
}

func (c *netlinkClient) AddService(s Service) error {
	if err := c.serviceCmd(cmdNewService, s); err != nil {
		if errors.Is(err, unix.ENOENT) {
			return schedulerError(s, err)
		}
		return fmt.Errorf("ipvs: add service %s (%s): %w", s.ServiceKey, s.Scheduler, err)
	}
	return nil
}

func (c *netlinkClient) UpdateService(s Service) error {
	if err := c.serviceCmd(cmdSetService, s); err != nil {
		return fmt.Errorf("ipvs: update service %s (%s): %w", s.ServiceKey, s.Scheduler, err)
	}
	return nil
}

func (c *netlinkClient) DeleteService(k ServiceKey) error {
	b, err := encodeKeyOnly(k)
	if err == nil {
		_, err = c.execute(cmdDelService, netlink.Request|netlink.Acknowledge, b)
	}
	if err != nil {
		return fmt.Errorf("ipvs: delete service %s: %w", k, err)
	}
	return nil
}

// ---- destinations (own codec: cloudflare/ipvs v0.12.0's destination
// requests carry a service without netmask that kernel 6.1 refuses with
// EINVAL, and its dump reports "no destinations" as an error)

const (
	cmdNewDest  = 5
	cmdSetDest  = 6
	cmdDelDest  = 7
	cmdGetDest  = 8
	cmdAttrDest = 2

	destAttrAddr        = 1
	destAttrPort        = 2
	destAttrFwdMethod   = 3
	destAttrWeight      = 4
	destAttrUThresh     = 5
	destAttrLThresh     = 6
	destAttrActiveConns = 7
	destAttrInactConns  = 8
	destAttrPersistConn = 9
	destAttrAddrFamily  = 11
	destAttrStats64     = 12
	destAttrTunType     = 13
	destAttrTunPort     = 14
	destAttrTunFlags    = 15
)

func encodeDest(k ServiceKey, d Destination, full bool) ([]byte, error) {
	d = d.normalized()
	ae := netlink.NewAttributeEncoder()
	ae.Nested(cmdAttrService, func(ae *netlink.AttributeEncoder) error {
		encodeServiceKey(ae, k)
		return nil
	})
	ae.Nested(cmdAttrDest, func(ae *netlink.AttributeEncoder) error {
		a := d.Addr.Unmap()
		ae.Uint16(destAttrAddrFamily, family(a.Is6()))
		ae.Bytes(destAttrAddr, a.AsSlice())
		ae.Bytes(destAttrPort, binary.BigEndian.AppendUint16(nil, d.Port))
		if !full {
			return nil
		}
		ae.Uint32(destAttrFwdMethod, uint32(d.Forward))
		ae.Uint32(destAttrWeight, d.Weight)
		ae.Uint32(destAttrUThresh, d.UThreshold)
		ae.Uint32(destAttrLThresh, d.LThreshold)
		if d.Forward == TUN {
			ae.Uint8(destAttrTunType, uint8(d.TunnelType))
			ae.Bytes(destAttrTunPort, binary.BigEndian.AppendUint16(nil, d.TunnelPort))
			ae.Uint16(destAttrTunFlags, uint16(d.TunnelFlags))
		}
		return nil
	})
	return ae.Encode()
}

func decodeDest(b []byte) (DestinationStats, error) {
	var d DestinationStats
	ad, err := netlink.NewAttributeDecoder(b)
	if err != nil {
		return d, err
	}
	var addr []byte
	var af uint16
	for ad.Next() {
		switch ad.Type() {
		case destAttrAddr:
			addr = ad.Bytes()
		case destAttrAddrFamily:
			af = ad.Uint16()
		case destAttrPort:
			if p := ad.Bytes(); len(p) == 2 {
				d.Port = binary.BigEndian.Uint16(p)
			}
		case destAttrFwdMethod:
			d.Forward = Forward(ad.Uint32() & 0x7)
		case destAttrWeight:
			d.Weight = ad.Uint32()
		case destAttrUThresh:
			d.UThreshold = ad.Uint32()
		case destAttrLThresh:
			d.LThreshold = ad.Uint32()
		case destAttrActiveConns:
			d.ActiveConns = ad.Uint32()
		case destAttrInactConns:
			d.InactiveConns = ad.Uint32()
		case destAttrPersistConn:
			d.PersistConns = ad.Uint32()
		case destAttrTunType:
			d.TunnelType = TunnelType(ad.Uint8())
		case destAttrTunPort:
			if p := ad.Bytes(); len(p) == 2 {
				d.TunnelPort = binary.BigEndian.Uint16(p)
			}
		case destAttrTunFlags:
			d.TunnelFlags = TunnelFlags(ad.Uint16())
		case destAttrStats64:
			ad.Nested(func(nad *netlink.AttributeDecoder) error {
				d.Stats = decodeStats64(nad)
				return nil
			})
		}
	}
	if err := ad.Err(); err != nil {
		return d, err
	}
	if af == unix.AF_INET && len(addr) >= 4 {
		addr = addr[:4]
	}
	a, ok := netip.AddrFromSlice(addr)
	if !ok {
		return d, fmt.Errorf("bad destination address %x", addr)
	}
	d.Addr = a
	d.Destination = d.Destination.normalized()
	return d, nil
}

func (c *netlinkClient) Destinations(k ServiceKey) ([]DestinationStats, error) {
	b, err := encodeKeyOnly(k)
	if err != nil {
		return nil, err
	}
	msgs, err := c.execute(cmdGetDest, netlink.Request|netlink.Dump, b)
	if err != nil {
		return nil, fmt.Errorf("ipvs: list destinations of %s: %w", k, err)
	}
	out := make([]DestinationStats, 0, len(msgs))
	for _, m := range msgs {
		ad, err := netlink.NewAttributeDecoder(m.Data)
		if err != nil {
			return nil, fmt.Errorf("ipvs: list destinations of %s: %w", k, err)
		}
		for ad.Next() {
			if ad.Type() != cmdAttrDest {
				continue
			}
			d, err := decodeDest(ad.Bytes())
			if err != nil {
				return nil, fmt.Errorf("ipvs: list destinations of %s: decode: %w", k, err)
			}
			out = append(out, d)
		}
	}
	return out, nil
}

func (c *netlinkClient) destCmd(cmd uint8, k ServiceKey, d Destination, full bool) error {
	b, err := encodeDest(k, d, full)
	if err != nil {
		return err
	}
	_, err = c.execute(cmd, netlink.Request|netlink.Acknowledge, b)
	return err
}

func (c *netlinkClient) AddDestination(k ServiceKey, d Destination) error {
	if err := c.destCmd(cmdNewDest, k, d, true); err != nil {
		return fmt.Errorf("ipvs: add destination %s (%s weight %d) to %s: %w", d.DestKey, d.Forward, d.Weight, k, err)
	}
	return nil
}

func (c *netlinkClient) UpdateDestination(k ServiceKey, d Destination) error {
	if err := c.destCmd(cmdSetDest, k, d, true); err != nil {
		return fmt.Errorf("ipvs: update destination %s (%s weight %d) of %s: %w", d.DestKey, d.Forward, d.Weight, k, err)
	}
	return nil
}

func (c *netlinkClient) DeleteDestination(k ServiceKey, d DestKey) error {
	if err := c.destCmd(cmdDelDest, k, Destination{DestKey: d}, false); err != nil {
		return fmt.Errorf("ipvs: delete destination %s of %s: %w", d, k, err)
	}
	return nil
}

// ---- sync daemon (own codec)

func (c *netlinkClient) StartSyncDaemon(d SyncDaemon) error {
	ae := netlink.NewAttributeEncoder()
	ae.Nested(cmdAttrDaemon, func(ae *netlink.AttributeEncoder) error {
		ae.Uint32(daemonAttrState, uint32(d.State))
		ae.String(daemonAttrMcastIfn, d.Interface)
		ae.Uint32(daemonAttrSyncID, uint32(d.SyncID))
		if d.MaxLen != 0 {
			ae.Uint16(daemonAttrSyncMaxlen, d.MaxLen)
		}
		if d.Group.Is4() {
			ae.Bytes(daemonAttrMcastGroup, d.Group.AsSlice())
		} else if d.Group.Is6() {
			ae.Bytes(daemonAttrMcastGrp6, d.Group.AsSlice())
		}
		if d.Port != 0 {
			// host order, unlike the service ports: the kernel reads it
			// with nla_get_u16 and converts when it binds
			ae.Uint16(daemonAttrMcastPort, d.Port)
		}
		if d.TTL != 0 {
			ae.Uint8(daemonAttrMcastTTL, d.TTL)
		}
		return nil
	})
	b, err := ae.Encode()
	if err == nil {
		_, err = c.execute(cmdNewDaemon, netlink.Request|netlink.Acknowledge, b)
	}
	if err != nil {
		return fmt.Errorf("ipvs: start sync daemon %s on %s syncid %d: %w", d.State, d.Interface, d.SyncID, err)
	}
	return nil
}

func (c *netlinkClient) StopSyncDaemon(st SyncState) error {
	ae := netlink.NewAttributeEncoder()
	ae.Nested(cmdAttrDaemon, func(ae *netlink.AttributeEncoder) error {
		ae.Uint32(daemonAttrState, uint32(st))
		return nil
	})
	b, err := ae.Encode()
	if err == nil {
		_, err = c.execute(cmdDelDaemon, netlink.Request|netlink.Acknowledge, b)
	}
	if err != nil {
		return fmt.Errorf("ipvs: stop sync daemon %s: %w", st, err)
	}
	return nil
}

func (c *netlinkClient) SyncDaemons() ([]SyncDaemon, error) {
	msgs, err := c.execute(cmdGetDaemon, netlink.Request|netlink.Dump, nil)
	if err != nil {
		return nil, fmt.Errorf("ipvs: list sync daemons: %w", err)
	}
	var out []SyncDaemon
	for _, m := range msgs {
		ad, err := netlink.NewAttributeDecoder(m.Data)
		if err != nil {
			return nil, fmt.Errorf("ipvs: list sync daemons: %w", err)
		}
		for ad.Next() {
			if ad.Type() != cmdAttrDaemon {
				continue
			}
			var d SyncDaemon
			ad.Nested(func(nad *netlink.AttributeDecoder) error {
				for nad.Next() {
					switch nad.Type() {
					case daemonAttrState:
						d.State = SyncState(nad.Uint32())
					case daemonAttrMcastIfn:
						d.Interface = nad.String()
					case daemonAttrSyncID:
						d.SyncID = uint8(nad.Uint32())
					case daemonAttrSyncMaxlen:
						d.MaxLen = nad.Uint16()
					case daemonAttrMcastGroup, daemonAttrMcastGrp6:
						d.Group, _ = netip.AddrFromSlice(nad.Bytes())
					case daemonAttrMcastPort:
						if p := nad.Bytes(); len(p) == 2 {
							d.Port = binary.NativeEndian.Uint16(p) // host order (see StartSyncDaemon)
						}
					case daemonAttrMcastTTL:
						d.TTL = nad.Uint8()
					}
				}
				return nil
			})
			out = append(out, d)
		}
		if err := ad.Err(); err != nil {
			return nil, fmt.Errorf("ipvs: list sync daemons: %w", err)
		}
	}
	return out, nil
}
