package ipvs

import (
	"fmt"
	"strings"
	"testing"
)

const procIPVS = `IP Virtual Server version 1.2.1 (size=4096)
Prot LocalAddress:Port Scheduler Flags
  -> RemoteAddress:Port Forward Weight ActiveConn InActConn
TCP  0A000001:0050 wlc 
  -> 0A010002:1F90      Masq    1      0          0         
  -> 0A010001:1F90      Masq    1      0          0         
TCP  0A000002:0050 rr persistent 50
  -> 0A010001:1F90      Route   3      7          12        
`

func TestFingerprintProcIPVS(t *testing.T) {
	base := fingerprintProcIPVS([]byte(procIPVS))
	same := map[string]string{
		"connection counters": strings.Replace(procIPVS, "3      7          12", "3      9          1000", 1),
		"trailing spaces":     strings.ReplaceAll(procIPVS, " \n", "\n"),
	}
	for name, text := range same {
		if fingerprintProcIPVS([]byte(text)) != base {
			t.Errorf("%s changed the fingerprint", name)
		}
	}
	differ := map[string]string{
		"weight":              strings.Replace(procIPVS, "Masq    1", "Masq    2", 1),
		"forwarding method":   strings.Replace(procIPVS, "Route", "Tunnel", 1),
		"destination removed": strings.Replace(procIPVS, "  -> 0A010002:1F90      Masq    1      0          0         \n", "", 1),
		"destination address": strings.Replace(procIPVS, "0A010002:1F90", "0A010003:1F90", 1),
		"scheduler":           strings.Replace(procIPVS, " wlc ", " wrr ", 1),
		"persistence":         strings.Replace(procIPVS, "persistent 50", "persistent 60", 1),
		"service removed":     procIPVS[:strings.Index(procIPVS, "TCP  0A000002")],
		"empty":               "",
	}
	for name, text := range differ {
		if fingerprintProcIPVS([]byte(text)) == base {
			t.Errorf("%s: same fingerprint", name)
		}
	}
}

func FuzzFingerprintProcIPVS(f *testing.F) {
	f.Add([]byte(procIPVS))
	f.Add([]byte("  -> "))
	f.Add([]byte("  ->    \n\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		if fingerprintProcIPVS(data) != fingerprintProcIPVS(append([]byte(nil), data...)) {
			t.Fatal("not deterministic")
		}
	})
}

// bigProcIPVS is /proc/net/ip_vs for 1,000 services x 10 destinations.
func bigProcIPVS() []byte {
	var b strings.Builder
	b.WriteString("IP Virtual Server version 1.2.1 (size=4096)\nProt LocalAddress:Port Scheduler Flags\n  -> RemoteAddress:Port Forward Weight ActiveConn InActConn\n")
	for i := range 1000 {
		fmt.Fprintf(&b, "TCP  0A00%04X:0050 wrr \n", i)
		for j := range 10 {
			fmt.Fprintf(&b, "  -> 0A02%02X%02X:1F90      Masq    1      0          0         \n", j, i%250)
		}
	}
	return []byte(b.String())
}

// BenchmarkFingerprintProcIPVS: the user-space part of a periodic check of
// an unchanged 1,000 x 10 table.
func BenchmarkFingerprintProcIPVS(b *testing.B) {
	data := bigProcIPVS()
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		fingerprintProcIPVS(data)
	}
}
