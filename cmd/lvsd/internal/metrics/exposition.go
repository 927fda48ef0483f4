package metrics

import (
	"bufio"
	"compress/gzip"
	"io"
	"math"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

// The Prometheus text exposition format 0.0.4, written by hand: lvsd only
// ever serves const metrics built at scrape time, and client_golang (with
// procfs, expvar and protobuf's descriptors) cost every exec of the binary,
// lvsd version and lvsd check included, about 1 ms of init and its pages
// of RSS (issue 14). The output is client_golang's, byte for byte, for the
// same samples (exposition_test.go compares the two).

// contentType is what promhttp answered for the text format.
const contentType = "text/plain; version=0.0.4; charset=utf-8; escaping=underscores"

// family is one metric family: name, HELP, TYPE and label names.
type family struct {
	name, help, typ string
	labels          []string
	order           []int // indices into labels, by label name: the output order
}

func newFamily(typ, name, help string, labels []string) *family {
	f := &family{name: name, help: help, typ: typ, labels: labels}
	for i := range labels {
		f.order = append(f.order, i)
	}
	slices.SortStableFunc(f.order, func(a, b int) int { return strings.Compare(labels[a], labels[b]) })
	return f
}

func newGauge(name, help string, labels ...string) *family {
	return newFamily("gauge", name, help, labels)
}

func newCounter(name, help string, labels ...string) *family {
	return newFamily("counter", name, help, labels)
}

// sample is one line of a family: the label values in f.order, and the
// value. A summary's sample also has its quantiles, sum and count.
type sample struct {
	values []string
	v      float64
	sum    *summary
}

type summary struct {
	quantiles [][2]float64 // quantile, value; ascending
	sum       float64
	count     uint64
}

// batch gathers one scrape's samples.
type batch struct {
	fams    []*family
	samples map[*family][]sample
	seen    map[*family]map[string]bool
	tee     func(f *family, v float64, l []string) // tests: every set, before the dedup
}

func newBatch() *batch {
	return &batch{samples: map[*family][]sample{}, seen: map[*family]map[string]bool{}}
}

// set records a gauge's or a counter's value, with label values l in
// f.labels' order.
func (b *batch) set(f *family, v float64, l ...string) { b.add(f, sample{v: v}, l) }

// add records s with label values l (in f.labels' order). A second sample
// with the same label values is dropped, as client_golang's registry
// dropped it (and served the rest).
func (b *batch) add(f *family, s sample, l []string) {
	if len(l) != len(f.labels) {
		return // a programming error; client_golang panicked
	}
	if b.tee != nil {
		b.tee(f, s.v, l)
	}
	s.values = make([]string, len(l))
	for i, j := range f.order {
		// client_golang panicked on invalid UTF-8; a reason or name read
		// from outside should not stop the daemon
		s.values[i] = strings.ToValidUTF8(l[j], "\uFFFD")
	}
	seen := b.seen[f]
	if seen == nil {
		seen = map[string]bool{}
		b.seen[f] = seen
		b.fams = append(b.fams, f)
	}
	key := strings.Join(s.values, "\xff")
	if seen[key] {
		return
	}
	seen[key] = true
	b.samples[f] = append(b.samples[f], s)
}

// write writes the batch in the text format: families by name, samples by
// label values, labels by name (client_golang's order).
func (b *batch) write(w io.Writer) error {
	bw := bufio.NewWriter(w)
	fams := slices.Clone(b.fams)
	slices.SortFunc(fams, func(x, y *family) int { return strings.Compare(x.name, y.name) })
	var buf []byte
	for _, f := range fams {
		ss := b.samples[f]
		slices.SortStableFunc(ss, func(x, y sample) int { return slices.Compare(x.values, y.values) })
		buf = append(buf[:0], "# HELP "...)
		buf = append(buf, f.name...)
		buf = append(buf, ' ')
		buf = appendEscaped(buf, f.help, false)
		buf = append(buf, "\n# TYPE "...)
		buf = append(buf, f.name...)
		buf = append(buf, ' ')
		buf = append(buf, f.typ...)
		buf = append(buf, '\n')
		for _, s := range ss {
			if s.sum != nil {
				for _, q := range s.sum.quantiles {
					buf = appendLine(buf, f, "", s.values, "quantile", q[0], q[1])
				}
				buf = appendLine(buf, f, "_sum", s.values, "", 0, s.sum.sum)
				buf = appendLine(buf, f, "_count", s.values, "", 0, float64(s.sum.count))
				continue
			}
			buf = appendLine(buf, f, "", s.values, "", 0, s.v)
		}
		if _, err := bw.Write(buf); err != nil {
			return err
		}
	}
	return bw.Flush()
}

// appendLine appends `name{labels} value`; extra, when set, is one more
// label (a summary's quantile) with a float value.
func appendLine(buf []byte, f *family, suffix string, values []string, extra string, extraV, v float64) []byte {
	buf = append(buf, f.name...)
	buf = append(buf, suffix...)
	if len(values) > 0 || extra != "" {
		buf = append(buf, '{')
		for i, j := range f.order {
			if i > 0 {
				buf = append(buf, ',')
			}
			buf = append(buf, f.labels[j]...)
			buf = append(buf, `="`...)
			buf = appendEscaped(buf, values[i], true)
			buf = append(buf, '"')
		}
		if extra != "" {
			if len(values) > 0 {
				buf = append(buf, ',')
			}
			buf = append(buf, extra...)
			buf = append(buf, `="`...)
			buf = appendFloat(buf, extraV)
			buf = append(buf, '"')
		}
		buf = append(buf, '}')
	}
	buf = append(buf, ' ')
	buf = appendFloat(buf, v)
	return append(buf, '\n')
}

// appendEscaped escapes \ and newline (HELP), and " too (label values).
func appendEscaped(buf []byte, s string, quote bool) []byte {
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == '\\':
			buf = append(buf, `\\`...)
		case r == '\n':
			buf = append(buf, `\n`...)
		case r == '"' && quote:
			buf = append(buf, `\"`...)
		default:
			buf = append(buf, s[i:i+n]...)
		}
		i += n
	}
	return buf
}

// appendFloat formats v as expfmt does.
func appendFloat(buf []byte, v float64) []byte {
	switch {
	case v == 1:
		return append(buf, '1')
	case v == 0:
		return append(buf, '0')
	case v == -1:
		return append(buf, "-1"...)
	case math.IsNaN(v):
		return append(buf, "NaN"...)
	case math.IsInf(v, +1):
		return append(buf, "+Inf"...)
	case math.IsInf(v, -1):
		return append(buf, "-Inf"...)
	}
	return strconv.AppendFloat(buf, v, 'g', -1, 64)
}

// acceptsGzip reports whether promhttp would have gzipped the answer: its
// negotiation (gddo's httputil) between identity and gzip, the best q
// winning and identity winning ties; a header it cannot parse counts for
// nothing from that point on.
func acceptsGzip(r *http.Request) bool {
	best, bestQ := "identity", -1.0
	specs := acceptEncodings(r.Header.Values("Accept-Encoding"))
	for _, offer := range []string{"identity", "gzip"} {
		for _, sp := range specs {
			if sp.q > bestQ && (sp.value == "*" || sp.value == offer) {
				best, bestQ = offer, sp.q
			}
		}
	}
	return best == "gzip" && bestQ != 0
}

type acceptSpec struct {
	value string
	q     float64
}

func acceptEncodings(headers []string) []acceptSpec {
	var specs []acceptSpec
	for _, s := range headers {
		for {
			var sp acceptSpec
			n := 0
			for n < len(s) && (isToken(s[n]) || s[n] == '/') {
				n++
			}
			if n == 0 {
				break
			}
			sp.value, s, sp.q = s[:n], strings.TrimLeft(s[n:], " \t"), 1
			if rest, ok := strings.CutPrefix(s, ";"); ok {
				rest = strings.TrimLeft(rest, " \t")
				if !strings.HasPrefix(rest, "q=") {
					break
				}
				sp.q, s = quality(rest[2:])
				if sp.q < 0 {
					break
				}
			}
			specs = append(specs, sp)
			rest, ok := strings.CutPrefix(strings.TrimLeft(s, " \t"), ",")
			if !ok {
				break
			}
			s = strings.TrimLeft(rest, " \t")
		}
	}
	return specs
}

// isToken: an RFC 7230 token character.
func isToken(c byte) bool {
	return c > ' ' && c < 0x7f && !strings.ContainsRune(`()<>@,;:\"/[]?={}`, rune(c))
}

// quality parses a q value: 0 or 1, then optional decimals; -1 when bad.
func quality(s string) (float64, string) {
	if s == "" || s[0] != '0' && s[0] != '1' {
		return -1, ""
	}
	q := float64(s[0] - '0')
	s = s[1:]
	rest, ok := strings.CutPrefix(s, ".")
	if !ok {
		return q, s
	}
	i, n, d := 0, 0, 1
	for ; i < len(rest) && rest[i] >= '0' && rest[i] <= '9'; i++ {
		n, d = n*10+int(rest[i]-'0'), d*10
	}
	return q + float64(n)/float64(d), rest[i:]
}

// serve writes the batch as the response.
func serve(w http.ResponseWriter, r *http.Request, b *batch) {
	w.Header().Set("Content-Type", contentType)
	if !acceptsGzip(r) {
		_ = b.write(w) // the client went away: nothing to tell it
		return
	}
	w.Header().Set("Content-Encoding", "gzip")
	gz := gzip.NewWriter(w)
	if err := b.write(gz); err == nil {
		_ = gz.Close()
	}
}
