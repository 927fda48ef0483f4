// Package ratelimit limits how often lvsd's VRRP side logs one kind of event
// (a dropped advert, a failed tracker, a notification queue overflow): at
// most one line per interval, with a count of the events suppressed in
// between. It is shared by package vrrp, vrrp/track and vrrp/notify.
//
// There is no RFC behind it. Limit is a value over an explicit now: it never
// reads the clock. A Limit is not safe for concurrent use; its owner guards it
// (or uses it from one goroutine).
package ratelimit
