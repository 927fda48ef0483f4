package snmp

import (
	"net/netip"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/lvsd/lvsd/cmd/lvsd/internal/agentx"
)

func mustAddr(s string) netip.Addr { return netip.MustParseAddr(s) }

var cmpOpts = cmp.Options{cmp.Comparer(func(a, b netip.Addr) bool { return a == b })}

func find(vbs []agentx.VarBind, oid string) (agentx.VarBind, bool) {
	o := agentx.MustOID(oid)
	for _, vb := range vbs {
		if agentx.Compare(vb.Name, o) == 0 {
			return vb, true
		}
	}
	return agentx.VarBind{}, false
}

func TestObjects(t *testing.T) {
	objs := Objects(testSnapshot(), Enabled{VRRP: true, RFCv3: true})
	if !slices.IsSortedFunc(objs, func(a, b agentx.VarBind) int { return agentx.Compare(a.Name, b.Name) }) {
		t.Error("objects not sorted")
	}
	for i := 1; i < len(objs); i++ {
		if agentx.Compare(objs[i-1].Name, objs[i].Name) == 0 {
			t.Errorf("duplicate %v", objs[i].Name)
		}
	}
	for oid, want := range map[string]agentx.VarBind{
		"1.3.6.1.4.1.9586.100.5.1.2.0":       {Type: agentx.OctetString, Value: []byte("lvsd-test")},
		"1.3.6.1.4.1.9586.100.5.2.3.1.2.1":   {Type: agentx.OctetString, Value: []byte("VI_1")},
		"1.3.6.1.4.1.9586.100.5.2.3.1.3.1":   {Type: agentx.Gauge32, Value: uint32(51)},
		"1.3.6.1.4.1.9586.100.5.2.3.1.4.2":   {Type: agentx.Integer, Value: int32(StateMaster)},
		"1.3.6.1.4.1.9586.100.5.2.3.1.12.1":  {Type: agentx.Gauge32, Value: uint32(1)},  // seconds (v2)
		"1.3.6.1.4.1.9586.100.5.2.3.1.12.2":  {Type: agentx.Gauge32, Value: uint32(50)}, // centiseconds (v3)
		"1.3.6.1.4.1.9586.100.5.2.1.1.3.1":   {Type: agentx.Integer, Value: int32(StateBackup)},
		"1.3.6.1.4.1.9586.100.5.2.2.1.2.1.1": {Type: agentx.OctetString, Value: []byte("VI_1")},
		"1.3.6.1.2.1.207.1.1.1.1.3.2.51.1":   {Type: agentx.OctetString, Value: []byte{192, 0, 2, 2}}, // master: the peer
		"1.3.6.1.2.1.207.1.1.1.1.3.2.6.2":    {Type: agentx.OctetString, Value: mustAddr("fe80::1").AsSlice()},
		"1.3.6.1.2.1.207.1.1.1.1.6.2.6.2":    {Type: agentx.Integer, Value: int32(3)},
		"1.3.6.1.2.1.207.1.1.1.1.5.2.6.2":    {Type: agentx.OctetString, Value: []byte{0, 0, 0x5e, 0, 2, 6}},
	} {
		got, ok := find(objs, oid)
		if !ok {
			t.Errorf("%s missing", oid)
			continue
		}
		want.Name = agentx.MustOID(oid)
		if d := cmp.Diff(want, got, cmpOpts); d != "" {
			t.Errorf("%s (-want +got)\n%s", oid, d)
		}
	}
	if objs := Objects(testSnapshot(), Enabled{VRRP: true}); len(objs) == 0 {
		t.Error("no objects with VRRP only")
	} else if _, ok := find(objs, "1.3.6.1.2.1.207.1.1.1.1.6.2.6.2"); ok {
		t.Error("VRRPv3-MIB served without RFCv3")
	}
	if got := Subtrees(Enabled{}); len(got) != 0 {
		t.Errorf("Subtrees(none) = %v", got)
	}
}

func TestTraps(t *testing.T) {
	s := testSnapshot()
	got := InstanceStateChange(s, 1)
	want := []agentx.VarBind{
		{Name: agentx.MustOID("1.3.6.1.4.1.9586.100.5.2.3.1.2.2"), Type: agentx.OctetString, Value: []byte("VI_6")},
		{Name: agentx.MustOID("1.3.6.1.4.1.9586.100.5.2.3.1.4.2"), Type: agentx.Integer, Value: int32(StateMaster)},
		{Name: agentx.MustOID("1.3.6.1.4.1.9586.100.5.2.3.1.5.2"), Type: agentx.Integer, Value: int32(StateBackup)},
		{Name: agentx.MustOID("1.3.6.1.4.1.9586.100.5.1.2.0"), Type: agentx.OctetString, Value: []byte("lvsd-test")},
	}
	if d := cmp.Diff(want, got, cmpOpts); d != "" {
		t.Errorf("InstanceStateChange (-want +got)\n%s", d)
	}
	if got := SyncGroupStateChange(s, 0); len(got) != 3 || string(got[0].Value.([]byte)) != "G1" {
		t.Errorf("SyncGroupStateChange = %+v", got)
	}
	s.Instances[0].IfIndex = 0
	if got := V3NewMaster(s, 0); got != nil {
		t.Errorf("V3NewMaster without ifindex = %+v", got)
	}
	if ParseState("MASTER") != StateMaster || ParseState("FAULT") != StateFault || ParseState("x") != StateUnknown {
		t.Error("ParseState")
	}
}
