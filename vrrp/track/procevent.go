package track

import "encoding/binary"

// Process-events connector constants (linux/connector.h, linux/cn_proc.h).
const (
	cnIdxProc         = 1
	cnValProc         = 1
	procCnMcastListen = 1

	procEventNone = 0x00000000
	procEventFork = 0x00000001
	procEventExec = 0x00000002
	procEventComm = 0x00000200
	procEventExit = 0x80000000

	nlmsgHdrLen = 16
	cnMsgLen    = 20
	// proc_event header: what, cpu, timestamp_ns.
	procEventHdrLen = 16
	eventDataOff    = nlmsgHdrLen + cnMsgLen + procEventHdrLen
)

// procEvent is the part of a kernel process event lvsd uses.
type procEvent struct {
	what      uint32
	pid, tgid int // the process (for fork: the parent)
	childPID  int // fork only
	childTGID int // fork only
	comm      string
}

// parseProcEvent decodes one netlink message carrying a cn_msg with a
// proc_event (native byte order; the kernel never chains them). ok is false
// for anything else or anything short.
func parseProcEvent(b []byte) (ev procEvent, ok bool) {
	ne := binary.NativeEndian
	if len(b) < eventDataOff {
		return ev, false
	}
	msgLen := int(ne.Uint32(b[0:4]))
	if msgLen < eventDataOff || msgLen > len(b) {
		return ev, false
	}
	b = b[:msgLen]
	if ne.Uint32(b[nlmsgHdrLen:]) != cnIdxProc || ne.Uint32(b[nlmsgHdrLen+4:]) != cnValProc {
		return ev, false
	}
	dataLen := int(ne.Uint16(b[nlmsgHdrLen+16:]))
	if nlmsgHdrLen+cnMsgLen+dataLen > len(b) {
		return ev, false
	}
	ev.what = ne.Uint32(b[nlmsgHdrLen+cnMsgLen:])
	d := b[eventDataOff:]
	u32 := func(off int) (int, bool) {
		if off+4 > len(d) {
			return 0, false
		}
		return int(int32(ne.Uint32(d[off:]))), true
	}
	var ok1, ok2 bool
	switch ev.what {
	case procEventFork:
		var ok3, ok4 bool
		ev.pid, ok1 = u32(0)
		ev.tgid, ok2 = u32(4)
		ev.childPID, ok3 = u32(8)
		ev.childTGID, ok4 = u32(12)
		return ev, ok1 && ok2 && ok3 && ok4
	case procEventExec, procEventExit:
		ev.pid, ok1 = u32(0)
		ev.tgid, ok2 = u32(4)
		return ev, ok1 && ok2
	case procEventComm:
		ev.pid, ok1 = u32(0)
		ev.tgid, ok2 = u32(4)
		if len(d) < 8+16 {
			return ev, false
		}
		c := d[8 : 8+16]
		if i := indexByte(c, 0); i >= 0 {
			c = c[:i]
		}
		ev.comm = string(c)
		return ev, ok1 && ok2
	case procEventNone:
		return ev, true
	}
	return ev, true // other events: decoded header only, ignored by the caller
}

// listenMsg is the request that subscribes to process events.
func listenMsg() []byte {
	ne := binary.NativeEndian
	b := make([]byte, nlmsgHdrLen+cnMsgLen+4)
	ne.PutUint32(b[0:], uint32(len(b)))
	ne.PutUint16(b[4:], 3) // NLMSG_DONE
	ne.PutUint32(b[nlmsgHdrLen:], cnIdxProc)
	ne.PutUint32(b[nlmsgHdrLen+4:], cnValProc)
	ne.PutUint16(b[nlmsgHdrLen+16:], 4)
	ne.PutUint32(b[nlmsgHdrLen+cnMsgLen:], procCnMcastListen)
	return b
}
