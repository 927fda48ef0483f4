package netlab

import (
	"testing"
)

func TestLabPing(t *testing.T) {
	l := NewWithOptions(t, Options{IPv6: true}, "n1", "n2")
	n1, n2 := l.Node("n1"), l.Node("n2")
	n1.MustExec("ping", "-c1", "-W2", n2.IP.String())
	n1.MustExec("ping", "-6", "-c1", "-W2", n2.IP6.String())
	if !n2.HasAddr(n2.IP) {
		t.Fatalf("%s lacks %s", n2.NS, n2.IP)
	}
	var err error
	if e := n1.Do(func() error { return nil }); e != nil {
		err = e
	}
	if err != nil {
		t.Fatal(err)
	}
}
