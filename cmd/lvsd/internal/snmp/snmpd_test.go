package snmp

import (
	"context"
	"net"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lvsd/lvsd/cmd/lvsd/internal/agentx"
	"github.com/lvsd/lvsd/integration/snmplab"
)

// snapshotBox is the fake daemon state the subagent serves.
type snapshotBox struct {
	mu sync.Mutex
	s  Snapshot
}

func (b *snapshotBox) get() Snapshot {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.s
}

func (b *snapshotBox) set(f func(*Snapshot)) Snapshot {
	b.mu.Lock()
	defer b.mu.Unlock()
	f(&b.s)
	return b.s
}

func TestNetSNMP(t *testing.T) {
	n := snmplab.Start(t)
	box := &snapshotBox{s: testSnapshot()}
	en := Enabled{VRRP: true, RFCv3: true, Traps: true, Checker: true, RFCv2: true}
	s := agentx.NewSession(agentx.Config{
		Dial: func(ctx context.Context) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, "unix", n.Socket)
		},
		ID: Keepalived, Descr: "lvsd test", Subtrees: Subtrees(en),
		Snapshot: func() []agentx.VarBind { return Objects(box.get(), en) },
		Retry:    50 * time.Millisecond,
	})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	snmplab.WaitFor(t, "the subagent to register", 20*time.Second, s.Connected)

	out := n.Walk("KEEPALIVED-MIB::vrrpInstanceTable")
	for _, want := range []string{
		`KEEPALIVED-MIB::vrrpInstanceName.1 = STRING: VI_1`,
		`KEEPALIVED-MIB::vrrpInstanceName.2 = STRING: VI_6`,
		`KEEPALIVED-MIB::vrrpInstanceVirtualRouterId.1 = Gauge32: 51`,
		`KEEPALIVED-MIB::vrrpInstanceState.1 = INTEGER: backup(1)`,
		`KEEPALIVED-MIB::vrrpInstanceInitialState.1 = INTEGER: master(2)`,
		`KEEPALIVED-MIB::vrrpInstanceBasePriority.1 = INTEGER: 150`,
		`KEEPALIVED-MIB::vrrpInstanceEffectivePriority.1 = INTEGER: 140`,
		`KEEPALIVED-MIB::vrrpInstanceVipsStatus.1 = INTEGER: notAllSet(2)`,
		`KEEPALIVED-MIB::vrrpInstancePrimaryInterface.1 = STRING: eth0`,
		`KEEPALIVED-MIB::vrrpInstanceSyncGroup.1 = STRING: G1`,
		`KEEPALIVED-MIB::vrrpInstanceVrrpVersion.2 = INTEGER: vrrpv3(3)`,
		`KEEPALIVED-MIB::vrrpInstanceAdvertisementsInt.2 = Gauge32: 50 seconds(VRRPv2) / centiseconds(VRRPv3)`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("snmpwalk vrrpInstanceTable: no %q in\n%s", want, out)
		}
	}
	out = n.Walk("KEEPALIVED-MIB::vrrpSyncGroupTable")
	for _, want := range []string{`vrrpSyncGroupName.1 = STRING: G1`, `vrrpSyncGroupState.1 = INTEGER: backup(1)`} {
		if !strings.Contains(out, want) {
			t.Errorf("snmpwalk vrrpSyncGroupTable: no %q in\n%s", want, out)
		}
	}
	out = n.Walk("VRRPV3-MIB::vrrpv3OperationsTable")
	for _, want := range []string{
		`VRRPV3-MIB::vrrpv3OperationsStatus.2.51.ipv4 = INTEGER: backup(2)`,
		`VRRPV3-MIB::vrrpv3OperationsStatus.2.6.ipv6 = INTEGER: master(3)`,
		`VRRPV3-MIB::vrrpv3OperationsVirtualMacAddr.2.51.ipv4 = STRING: 0:0:5e:0:1:33`,
		`VRRPV3-MIB::vrrpv3OperationsAdvInterval.2.6.ipv6 = INTEGER: 50 centiseconds`,
		`VRRPV3-MIB::vrrpv3OperationsPriority.2.51.ipv4 = Gauge32: 140`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("snmpwalk vrrpv3OperationsTable: no %q in\n%s", want, out)
		}
	}

	out = n.Walk("KEEPALIVED-MIB::virtualServerTable")
	for _, want := range []string{
		`KEEPALIVED-MIB::virtualServerType.1 = INTEGER: ip(2)`,
		`KEEPALIVED-MIB::virtualServerAddress.1 = Hex-STRING: C0 00 02 64`,
		`KEEPALIVED-MIB::virtualServerPort.1 = Gauge32: 80`,
		`KEEPALIVED-MIB::virtualServerProtocol.1 = INTEGER: tcp(1)`,
		`KEEPALIVED-MIB::virtualServerLoadBalancingAlgo.1 = INTEGER: wlc(4)`,
		`KEEPALIVED-MIB::virtualServerLoadBalancingKind.1 = INTEGER: dr(2)`,
		`KEEPALIVED-MIB::virtualServerRealServersTotal.1 = Gauge32: 2`,
		`KEEPALIVED-MIB::virtualServerRealServersUp.1 = Gauge32: 1`,
		`KEEPALIVED-MIB::virtualServerQuorumStatus.1 = INTEGER: met(1)`,
		`KEEPALIVED-MIB::virtualServerName.1 = STRING: web`,
		`KEEPALIVED-MIB::virtualServerType.2 = INTEGER: fwmark(1)`,
		`KEEPALIVED-MIB::virtualServerFwMark.2 = Gauge32: 7`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("snmpwalk virtualServerTable: no %q in\n%s", want, out)
		}
	}
	out = n.Walk("KEEPALIVED-MIB::realServerTable")
	for _, want := range []string{
		`KEEPALIVED-MIB::realServerAddress.1.1 = Hex-STRING: C0 00 02 0A`,
		`KEEPALIVED-MIB::realServerStatus.1.1 = INTEGER: alive(1)`,
		`KEEPALIVED-MIB::realServerStatus.1.2 = INTEGER: dead(2)`,
		`KEEPALIVED-MIB::realServerWeight.1.2 = INTEGER: 3`,
		`KEEPALIVED-MIB::realServerFailedChecks.1.2 = Gauge32: 1`,
		`KEEPALIVED-MIB::realServerActionWhenDown.1.2 = INTEGER: inhibit(2)`,
		`KEEPALIVED-MIB::realServerType.1.3 = INTEGER: sorry(2)`,
		`KEEPALIVED-MIB::realServerName.1.1 = STRING: web-1`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("snmpwalk realServerTable: no %q in\n%s", want, out)
		}
	}
	out = n.Walk("VRRP-MIB::vrrpOperations")
	for _, want := range []string{
		`VRRP-MIB::vrrpOperState.2.51 = INTEGER: backup(2)`,
		`VRRP-MIB::vrrpOperPriority.2.51 = INTEGER: 140`,
		`VRRP-MIB::vrrpOperMasterIpAddr.2.51 = IpAddress: 192.0.2.2`,
		`VRRP-MIB::vrrpOperPrimaryIpAddr.2.51 = IpAddress: 192.0.2.1`,
		`VRRP-MIB::vrrpOperVirtualMacAddr.2.51 = STRING: 0:0:5e:0:1:33`,
		`VRRP-MIB::vrrpOperAuthType.2.51 = INTEGER: noAuthentication(1)`,
		`VRRP-MIB::vrrpAssoIpAddrRowStatus.2.51.192.0.2.100 = INTEGER: active(1)`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("snmpwalk vrrpOperations: no %q in\n%s", want, out)
		}
	}
	if strings.Contains(out, ".2.6 =") {
		t.Errorf("snmpwalk vrrpOperations: the VRRPv3/IPv6 instance has a VRRP-MIB row:\n%s", out)
	}

	// VI_1 becomes master: the state-change trap reaches snmptrapd.
	snap := box.set(func(s *Snapshot) { s.Instances[0].State = StateMaster })
	if err := s.Notify(TrapInstanceStateChange, InstanceStateChange(snap, 0)); err != nil {
		t.Fatal(err)
	}
	if err := s.Notify(TrapV2NewMaster, V2NewMaster(snap, 0)); err != nil {
		t.Fatal(err)
	}
	snap = box.set(func(s *Snapshot) { s.VirtualServers[0].RealServers[0].Alive = false })
	if err := s.Notify(TrapRealServerStateChange, RealServerStateChange(snap, 0, 0)); err != nil {
		t.Fatal(err)
	}
	if err := s.Notify(TrapVirtualServerQuorumStateChange, VirtualServerQuorumStateChange(snap, 0)); err != nil {
		t.Fatal(err)
	}
	if err := s.Notify(TrapV3NewMaster, V3NewMaster(snap, 0)); err != nil {
		t.Fatal(err)
	}
	var log string
	snmplab.WaitFor(t, "the traps in snmptrapd's log", 20*time.Second, func() bool {
		log = n.Traps()
		return strings.Contains(log, "vrrpv3NewMaster")
	})
	for _, want := range []string{
		// snmpTrapOID.0 shows as snmpModules.1.1.4.1.0 with the stub MIBs
		`1.1.4.1.0 = OID: KEEPALIVED-MIB::vrrpInstanceStateChange`,
		`KEEPALIVED-MIB::vrrpInstanceName.1 = STRING: VI_1`,
		`KEEPALIVED-MIB::vrrpInstanceState.1 = INTEGER: master(2)`,
		`KEEPALIVED-MIB::routerId.0 = STRING: lvsd-test`,
		`OID: VRRPV3-MIB::vrrpv3NewMaster`,
		`VRRPV3-MIB::vrrpv3OperationsMasterIpAddr.2.51.ipv4 = Hex-STRING: C0 00 02 01`,
		`VRRPV3-MIB::vrrpv3StatisticsNewMasterReason.2.51.ipv4 = INTEGER: preempted(2)`,
		`OID: VRRP-MIB::vrrpTrapNewMaster`,
		`VRRP-MIB::vrrpOperMasterIpAddr.2.51 = IpAddress: 192.0.2.1`,
		`OID: KEEPALIVED-MIB::realServerStateChange`,
		`KEEPALIVED-MIB::realServerStatus.1.1 = INTEGER: dead(2)`,
		`KEEPALIVED-MIB::virtualServerRealServersUp.1 = Gauge32: 0`,
		`OID: KEEPALIVED-MIB::virtualServerQuorumStateChange`,
		`KEEPALIVED-MIB::virtualServerQuorumStatus.1 = INTEGER: met(1)`,
	} {
		if !strings.Contains(log, want) {
			t.Errorf("snmptrapd log: no %q in\n%s", want, log)
		}
	}

	// snmpd restarts: the subagent opens a new session and serves again.
	n.StopSnmpd()
	snmplab.WaitFor(t, "the subagent to notice snmpd is gone", 20*time.Second, func() bool { return !s.Connected() })
	n.StartSnmpd()
	snmplab.WaitFor(t, "the subagent to register again", 20*time.Second, func() bool { return s.Stats().Sessions == 2 && s.Connected() })
	if out := n.Walk("KEEPALIVED-MIB::vrrpInstanceState"); !strings.Contains(out, "vrrpInstanceState.1 = INTEGER: master(2)") {
		t.Errorf("after snmpd restart, snmpwalk vrrpInstanceState:\n%s", out)
	}
}

func testSnapshot() Snapshot {
	return Snapshot{
		Version: "lvsd test", RouterID: "lvsd-test",
		Instances: []Instance{
			{Name: "VI_1", VRID: 51, State: StateBackup, InitialState: StateMaster, WantedState: StateBackup,
				BasePriority: 150, EffectivePriority: 140, Interface: "eth0", IfIndex: 2, TrackInterface: true,
				AdvertInt: time.Second, Preempt: true, SyncGroup: "G1", Version: 2, VIPCount: 1,
				Primary: mustAddr("192.0.2.1"), Master: mustAddr("192.0.2.2"), NewMasterReason: 2,
				VIPs: []netip.Addr{mustAddr("192.0.2.100")}},
			{Name: "VI_6", VRID: 6, State: StateMaster, InitialState: StateBackup, WantedState: StateMaster,
				BasePriority: 100, EffectivePriority: 100, VIPsAllSet: true, Interface: "eth0", IfIndex: 2,
				AdvertInt: 500 * time.Millisecond, Version: 3, IPv6: true, VIPCount: 2, Primary: mustAddr("fe80::1")},
		},
		SyncGroups: []SyncGroup{{Name: "G1", State: StateBackup, Members: []string{"VI_1"}}},
		VirtualServers: []VirtualServer{
			{Key: "192.0.2.100:80", Addr: mustAddr("192.0.2.100"), Port: 80, Protocol: "TCP", Algo: "wlc", Kind: "DR",
				DelayLoop: 6 * time.Second, Quorum: 1, QuorumUp: true, Name: "web", RealServers: []RealServer{
					{Addr: mustAddr("192.0.2.10"), Port: 80, Alive: true, Weight: 1, Kind: "DR", Name: "web-1"},
					{Addr: mustAddr("192.0.2.11"), Port: 80, Weight: 3, Inhibit: true, FailedChecks: 1, Kind: "DR"},
					{Addr: mustAddr("192.0.2.12"), Port: 80, Sorry: true, Kind: "DR"},
				}},
			{Key: "fwmark 7", FWMark: 7, Protocol: "TCP", Algo: "rr", Kind: "NAT"},
		},
	}
}
