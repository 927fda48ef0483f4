package integration

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/lvsd/lvsd/integration/netlab"
	"github.com/lvsd/lvsd/integration/snmplab"
)

// TestSNMP: `lvsd run` in a namespace is an AgentX subagent of a private
// Debian snmpd (its own agentx socket, SNMP on the host's loopback):
// snmpwalk reads vrrpInstanceTable, vrrpv3OperationsTable and VRRP-MIB's
// vrrpOperTable with the instance's state; a failover (the master peer in
// the other namespace stops) sends vrrpInstanceStateChange, vrrpv3NewMaster
// and vrrpTrapNewMaster, which snmptrapd logs; snmpd restarted, lvsd
// registers again and serves the new state; `lvsd status` counts it all.
func TestSNMP(t *testing.T) {
	t.Parallel()
	n := snmplab.Start(t)
	lab := netlab.NewWithOptions(t, netlab.Options{Tag: "snmp"}, "n1", "n2")
	n1, n2 := lab.Node("n1"), lab.Node("n2")
	d2 := startLvsd(t, n2, lvsdConf(instance{Priority: 200}))
	waitOwner(t, vip4, n2, 10*time.Second, 0, n1, n2)
	global := fmt.Sprintf("router_id = \"lb1\"\nenable_snmp_vrrp = true\nenable_snmp_rfc = true\nenable_traps = true\nsnmp_socket = %q",
		"unix:"+n.Socket)
	d1 := startLvsd(t, n1, opsConf(global, instance{Priority: 100}))

	walkUntil := func(what, oid string, want ...*regexp.Regexp) string {
		t.Helper()
		var out string
		ok := netlab.WaitFor(30*time.Second, func() bool {
			out, _ = n.TryWalk(oid)
			for _, re := range want {
				if !re.MatchString(out) {
					return false
				}
			}
			return true
		})
		if !ok {
			t.Fatalf("%s: snmpwalk %s never matched %v:\n%s", what, oid, want, out)
		}
		return out
	}
	re := regexp.MustCompile
	walkUntil("at start", "KEEPALIVED-MIB::vrrpInstanceTable",
		re(`vrrpInstanceName\.1 = STRING: VI_1`), re(`vrrpInstanceState\.1 = INTEGER: backup\(1\)`),
		re(`vrrpInstanceVirtualRouterId\.1 = Gauge32: 51`), re(`vrrpInstanceBasePriority\.1 = INTEGER: 100`),
		re(`vrrpInstancePrimaryInterface\.1 = STRING: eth0`))
	walkUntil("at start", "VRRPV3-MIB::vrrpv3OperationsTable",
		re(`vrrpv3OperationsStatus\.\d+\.51\.ipv4 = INTEGER: backup\(2\)`),
		re(`vrrpv3OperationsMasterIpAddr\.\d+\.51\.ipv4 = Hex-STRING: 0A 63 00 02`)) // n2 is master
	walkUntil("at start", "VRRP-MIB::vrrpOperations",
		re(`vrrpOperState\.\d+\.51 = INTEGER: backup\(2\)`), re(`vrrpOperMasterIpAddr\.\d+\.51 = IpAddress: 10\.99\.0\.2`),
		re(`vrrpAssoIpAddrRowStatus\.\d+\.51\.10\.99\.0\.100 = INTEGER: active\(1\)`))
	walkUntil("at start", "KEEPALIVED-MIB::routerId", re(`routerId\.0 = STRING: lb1`))

	// Failover: n2 stops (priority 0), n1 takes over.
	if err := d2.stop(t); err != nil {
		t.Fatalf("stop n2: %v", err)
	}
	waitOwner(t, vip4, n1, 10*time.Second, 0, n1, n2)
	var traps string
	if !netlab.WaitFor(20*time.Second, func() bool {
		traps = n.Traps()
		return strings.Contains(traps, "vrrpInstanceState.1 = INTEGER: master(2)") &&
			strings.Contains(traps, "vrrpv3NewMaster") && strings.Contains(traps, "vrrpTrapNewMaster")
	}) {
		t.Fatalf("snmptrapd log has no MASTER traps:\n%s", traps)
	}
	for _, want := range []string{
		`OID: KEEPALIVED-MIB::vrrpInstanceStateChange`,
		`KEEPALIVED-MIB::vrrpInstanceName.1 = STRING: VI_1`,
		`KEEPALIVED-MIB::routerId.0 = STRING: lb1`,
		`vrrpv3OperationsMasterIpAddr`,
		`vrrpv3StatisticsNewMasterReason`,
		`IpAddress: 10.99.0.1`, // vrrpTrapNewMaster's vrrpOperMasterIpAddr: n1 itself
	} {
		if !strings.Contains(traps, want) {
			t.Errorf("snmptrapd log: no %q in\n%s", want, traps)
		}
	}
	walkUntil("after the failover", "KEEPALIVED-MIB::vrrpInstanceState", re(`vrrpInstanceState\.1 = INTEGER: master\(2\)`))

	// snmpd restarts: lvsd opens a new session (it retries every 5 s).
	n.StopSnmpd()
	n.StartSnmpd()
	walkUntil("after snmpd restarted", "KEEPALIVED-MIB::vrrpInstanceState", re(`vrrpInstanceState\.1 = INTEGER: master\(2\)`))

	var sock string
	for i, a := range d1.proc.Cmd.Args {
		if a == "--socket" {
			sock = d1.proc.Cmd.Args[i+1]
		}
	}
	st := snmpStatus(t, sock)
	if !st.Connected || st.Sessions < 2 || st.TrapsSent < 3 || st.Socket != "unix:"+n.Socket {
		t.Errorf("lvsd status snmp: %+v, want connected, 2 sessions or more, 3 traps or more", st)
	}
}

type snmpStatusT struct {
	Socket       string            `json:"snmp_socket"`
	Connected    bool              `json:"connected"`
	Sessions     uint64            `json:"sessions"`
	Requests     uint64            `json:"requests"`
	TrapsSent    uint64            `json:"traps_sent"`
	TrapsDropped map[string]uint64 `json:"traps_dropped"`
}

func snmpStatus(t *testing.T, sock string) snmpStatusT {
	t.Helper()
	out, errs, code := lvsdCmd(t, "status", "--json", "--socket", sock)
	if code != 0 {
		t.Fatalf("lvsd status --json: exit %d: %s", code, errs)
	}
	var s struct {
		SNMP *snmpStatusT `json:"snmp"`
	}
	if err := json.Unmarshal([]byte(out), &s); err != nil {
		t.Fatalf("status JSON: %v\n%s", err, out)
	}
	if s.SNMP == nil {
		t.Fatalf("lvsd status has no snmp part:\n%s", out)
	}
	return *s.SNMP
}
