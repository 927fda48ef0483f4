//go:build linux

package ipvs

import (
	"encoding/binary"
	"errors"
	"fmt"
	"syscall"

	"github.com/mdlayher/netlink"
	"golang.org/x/sys/unix"
)

// Batched requests. Netlink processes the messages of one sendmsg in order,
// synchronously, before sendmsg returns, and without NLM_F_ACK it answers
// only the ones that fail. So a batch is sent in one syscall with an ack
// requested on its last message only, then the answers are read until that
// ack: a failure names its message by sequence number. This is what makes
// applying a large table cheaper than ipvsadm -R, which waits for an ack
// after every request.

// batchMaxBytes keeps a batch below the socket's send buffer (sk_sndbuf,
// 208 KiB by default): netlink refuses larger messages with EMSGSIZE.
const batchMaxBytes = 64 << 10

// batchMaxMsgs bounds the error answers a batch can produce, so they fit
// in the receive buffer (an answer costs about 1 KiB of it).
const batchMaxMsgs = 128

// encodeOp returns the generic netlink command and attributes of op.
func encodeOp(op Op) (uint8, []byte, error) {
	k := op.Service.ServiceKey
	switch op.Kind {
	case OpAddService:
		b, err := encodeService(op.Service)
		return cmdNewService, b, err
	case OpUpdateService:
		b, err := encodeService(op.Service)
		return cmdSetService, b, err
	case OpDeleteService:
		b, err := encodeKeyOnly(k)
		return cmdDelService, b, err
	case OpAddDestination:
		b, err := encodeDest(k, op.Dest, true)
		return cmdNewDest, b, err
	case OpUpdateDestination:
		b, err := encodeDest(k, op.Dest, true)
		return cmdSetDest, b, err
	case OpDeleteDestination:
		b, err := encodeDest(k, op.Dest, false)
		return cmdDelDest, b, err
	}
	return 0, nil, fmt.Errorf("unknown op %v", op.Kind)
}

// Batch performs ops in order and returns one error per op (nil on
// success); errors wrap the kernel's errno. A transport failure fails every
// op of the batches not yet confirmed.
func (c *netlinkClient) Batch(ops []Op) []error {
	errs := make([]error, len(ops))
	for start := 0; start < len(ops); {
		var msgs []netlink.Message
		size := 0
		end := start
		for end < len(ops) && len(msgs) < batchMaxMsgs && size < batchMaxBytes {
			cmd, attrs, err := encodeOp(ops[end])
			if err != nil {
				errs[end] = fmt.Errorf("ipvs: %s: encode: %w", ops[end], err)
				end++
				continue
			}
			data := append([]byte{cmd, genlVersion, 0, 0}, attrs...)
			msgs = append(msgs, netlink.Message{
				Header: netlink.Header{Flags: netlink.Request}, // Type: sendBatch
				Data:   data,
			})
			size += 16 + len(data)
			end++
		}
		if len(msgs) > 0 {
			c.sendBatch(ops[start:end], msgs, errs[start:end])
		}
		start = end
	}
	return errs
}

// sendBatch sends one batch; ops and errs are the batch's (ops that failed
// to encode have no message and already an error).
func (c *netlinkClient) sendBatch(ops []Op, msgs []netlink.Message, errs []error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for i := range msgs {
		msgs[i].Header.Type = netlink.HeaderType(c.family) // under mu: refresh changes it
	}
	msgs[len(msgs)-1].Header.Flags |= netlink.Acknowledge
	sent, err := c.nl.SendMessages(msgs)
	fail := func(err error) {
		for i := range errs {
			if errs[i] == nil {
				errs[i] = fmt.Errorf("ipvs: %s: %w", ops[i], err)
			}
		}
	}
	if err != nil {
		fail(err)
		return
	}
	// op index of each sequence number
	bySeq := make(map[uint32]int, len(sent))
	j := 0
	for i := range ops {
		if errs[i] != nil {
			continue
		}
		bySeq[sent[j].Header.Sequence] = i
		j++
	}
	last := sent[len(sent)-1].Header.Sequence
	if err := c.readAnswers(func(seq uint32, errno syscall.Errno) bool {
		if i, ok := bySeq[seq]; ok && errno != 0 {
			if ops[i].Kind == OpAddService && errno == unix.ENOENT {
				errs[i] = schedulerError(ops[i].Service, errno)
			} else {
				errs[i] = fmt.Errorf("ipvs: %s: %w", ops[i], errno)
			}
		}
		return seq == last
	}); err != nil {
		fail(err)
	}
}

// readAnswers reads NLMSG_ERROR answers (errno 0 = ack) and passes them to
// fn until fn returns true.
func (c *netlinkClient) readAnswers(fn func(seq uint32, errno syscall.Errno) bool) error {
	rc, err := c.nl.SyscallConn()
	if err != nil {
		return err
	}
	buf := c.rbuf
	for {
		var n int
		var rerr error
		if err := rc.Read(func(fd uintptr) bool {
			n, _, rerr = unix.Recvfrom(int(fd), buf, unix.MSG_DONTWAIT)
			return !errors.Is(rerr, unix.EAGAIN)
		}); err != nil {
			return err
		}
		if rerr != nil {
			return fmt.Errorf("netlink receive: %w", rerr)
		}
		msgs, err := syscall.ParseNetlinkMessage(buf[:n])
		if err != nil {
			return fmt.Errorf("netlink receive: %w", err)
		}
		for _, m := range msgs {
			if m.Header.Type != unix.NLMSG_ERROR || len(m.Data) < 4+unix.SizeofNlMsghdr {
				continue
			}
			code := int32(binary.NativeEndian.Uint32(m.Data[:4]))
			seq := binary.NativeEndian.Uint32(m.Data[4+8 : 4+12])
			if fn(seq, syscall.Errno(-code)) {
				return nil
			}
		}
	}
}
