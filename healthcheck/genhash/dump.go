package genhash

// AppendDump appends the hex and ASCII dump keepalived's genhash prints in
// verbose mode: 16 bytes a line, the offset in decimal on 4 digits, a "-"
// after the eighth byte, then the bytes as ASCII with '.' for anything not
// printable. An empty b appends nothing.
func AppendDump(dst, b []byte) []byte {
	const hexdigits = "0123456789abcdef"
	for off := 0; off < len(b); off += 16 {
		line := b[off:min(off+16, len(b))]
		dst = appendOffset(dst, off)
		dst = append(dst, ' ', ' ')
		for j := range 16 {
			if j == 8 {
				dst = append(dst, '-', ' ')
			}
			if j < len(line) {
				dst = append(dst, hexdigits[line[j]>>4], hexdigits[line[j]&0xf], ' ')
			} else {
				dst = append(dst, ' ', ' ', ' ')
			}
		}
		dst = append(dst, ' ', ' ')
		for j := range 16 {
			switch {
			case j >= len(line):
				dst = append(dst, ' ')
			case line[j] >= 0x20 && line[j] < 0x7f:
				dst = append(dst, line[j])
			default:
				dst = append(dst, '.')
			}
		}
		dst = append(dst, '\n')
	}
	return dst
}

// appendOffset appends off in decimal, zero padded to at least 4 digits.
func appendOffset(dst []byte, off int) []byte {
	var tmp [20]byte
	i := len(tmp)
	for off > 0 || i > len(tmp)-4 {
		i--
		tmp[i] = byte('0' + off%10)
		off /= 10
	}
	return append(dst, tmp[i:]...)
}
