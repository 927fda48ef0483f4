package packet

import (
	"net/netip"

	"github.com/google/go-cmp/cmp"
)

func diffAdvert(want, got Advert) string {
	return cmp.Diff(want, got, cmp.Comparer(func(a, b netip.Addr) bool { return a == b }))
}
