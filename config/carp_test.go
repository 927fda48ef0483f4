package config

import (
	"net/netip"
	"strings"
	"testing"
)

func TestCARPInstance(t *testing.T) {
	c, err := Parse("t.toml", []byte(`
[[carp_instance]]
name = "web"
interface = "eth0"
vhid = 10
pass = "s3cr3t"
addr = "10.99.0.100"
advskew = 100
preempt = true
upscript = "/etc/ucarp/vip-up.sh"
xparam = "x"
virtual_ipaddress = ["10.99.0.100/24"]
`))
	if err != nil {
		t.Fatal(err)
	}
	in := c.CARPInstances[0]
	if in.VHID != 10 || in.AdvBase != 1 || in.AdvSkew != 100 || in.DeadRatio != 3 || !in.Preempt ||
		in.MCastIP != netip.MustParseAddr("224.0.0.18") || in.UpScript.Line != "/etc/ucarp/vip-up.sh" ||
		len(in.VIPs) != 1 || in.VIPs[0].Dev != "eth0" {
		t.Errorf("decoded %+v", in)
	}
}

func TestCARPInstanceErrors(t *testing.T) {
	base := "[[carp_instance]]\nname = \"c\"\ninterface = \"eth0\"\n"
	for _, tc := range []struct{ src, want string }{
		{base + "pass = \"p\"\naddr = \"10.0.0.1\"\n", "t.toml:1:1: carp_instance[0]: missing key vhid"},
		{base + "vhid = 1\naddr = \"10.0.0.1\"\n", "missing key pass (or passfile)"},
		{base + "vhid = 1\npass = \"12345678901234567890\"\naddr = \"10.0.0.1\"\n", "t.toml:5:1: carp_instance[0].pass: 20 bytes; ucarp accepts at most 19"},
		{base + "vhid = 1\npass = \"p\"\naddr = \"fd00::1\"\n", "not IPv4"},
		{base + "vhid = 1\npass = \"p\"\naddr = \"10.0.0.1\"\nadvbase = 0\n", "0 needs advskew > 0"},
		{base + "vhid = 1\npass = \"p\"\npassfile = \"/x\"\naddr = \"10.0.0.1\"\n", "excludes pass"},
		{base + "vhid = 51\npass = \"p\"\naddr = \"10.0.0.1\"\n[[vrrp_instance]]\nname = \"VI_1\"\ninterface = \"eth0\"\nvirtual_router_id = 51\nvirtual_ipaddress = [\"10.0.0.2\"]\n",
			"is also vrrp_instance VI_1"},
		{base + "vhid = 1\npass = \"p\"\naddr = \"10.0.0.1\"\nbogus = 1\n", "bogus"},
	} {
		_, err := Parse("t.toml", []byte(tc.src))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q:\n got %v\nwant %q", tc.src, err, tc.want)
		}
	}
}

func TestCARPCheckHost(t *testing.T) {
	c, err := Parse("t.toml", []byte(`
[[carp_instance]]
name = "web"
interface = "nosuch0"
vhid = 10
passfile = "/nonexistent/pass"
addr = "10.99.0.100"
upscript = "/nonexistent/up.sh"
`))
	if err != nil {
		t.Fatal(err)
	}
	warns, errs := CheckHost(c, nil, OSHost{})
	if len(warns) != 1 || !strings.Contains(warns.Error(), `interface "nosuch0" does not exist`) {
		t.Errorf("warnings: %v", warns)
	}
	if len(errs) != 2 || !strings.Contains(errs.Error(), "upscript") || !strings.Contains(errs.Error(), "passfile") {
		t.Errorf("errors: %v", errs)
	}
}
