package packet

import (
	"net/netip"
	"time"

	"github.com/google/go-cmp/cmp"
)

func diffAdvert(want, got Advert) string {
	return cmp.Diff(want, got, cmp.Comparer(func(a, b netip.Addr) bool { return a == b }))
}

func timeParse(s string) (time.Duration, error) { return time.ParseDuration(s) }
