package main

import (
	"strings"
	"testing"
)

func TestConvertUcarp(t *testing.T) {
	out, warns, err := convertUcarp("start.sh", []byte("ucarp -i eth0 -s 10.99.0.1 -v 10 -p s3cr3t -a 10.99.0.100 -P -B\n"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(out), "[[carp_instance]]\nname = \"eth0-vhid10\"") || len(warns) != 2 {
		t.Errorf("out:\n%s\nwarnings %q", out, warns)
	}
	if _, _, err := convertUcarp("start.sh", []byte("ucarp -v 10\n")); err == nil || !strings.Contains(err.Error(), "start.sh:1:") {
		t.Errorf("error %v", err)
	}
	// Two virtual hosts with one name: the loader's error comes back.
	_, _, err = convertUcarp("dup.sh", []byte("ucarp -i eth0 -s 10.0.0.1 -v 1 -p a -a 10.0.0.9 -u /x\nucarp -i eth0 -s 10.0.0.1 -v 1 -p a -a 10.0.0.8 -u /x\n"))
	if err == nil || !strings.Contains(err.Error(), "duplicate name") {
		t.Errorf("duplicate: %v", err)
	}
}
