// Package fsm implements the VRRP state machine of RFC 3768 (VRRPv2) and
// RFC 5798 as updated by RFC 9568 (VRRPv3), with keepalived's extra Fault
// and Stop states, as a pure value.
//
// A Machine never reads the clock, opens a socket or starts a goroutine.
// Every method takes the current time and appends the actions the caller
// must perform (send an advertisement, install or remove the virtual
// addresses, announce them, notify a transition) to a caller-provided slice;
// Deadline then says when Timer must be called next. The runner in package
// vrrp owns the real timers and sockets.
//
// Behaviour follows the RFCs and keepalived 2.2.7 where they differ:
//   - Skew_Time is (256-Priority)/256 s for VRRPv2 and
//     ((256-Priority)*Master_Adver_Interval)/256 for VRRPv3;
//     Master_Down_Interval is 3*Master_Adver_Interval + Skew_Time, where a
//     VRRPv3 backup learns Master_Adver_Interval from the master's adverts
//     (keepalived's down_timer_adverts replaces the 3, Config.DownTimerAdverts).
//   - Priority 255 (address owner) becomes master at start; others start as
//     backup (also with keepalived's state MASTER) and take over after
//     Master_Down_Interval if no master is heard.
//   - A backup that hears priority 0 takes over after Skew_Time.
//   - Preemption by default; NoPreempt; PreemptDelay with keepalived's
//     semantics (a lower-priority master is accepted until the delay that
//     started when it was first heard has passed).
//   - A master that hears a lower priority (or equal priority from a lower
//     address) answers at once with its own advert (RFC 9568; keepalived's
//     lower_prio_no_advert disables it) and re-announces its addresses; one
//     that hears a higher priority, or equal priority from a higher primary
//     address, becomes backup (first sending one advert of its own with
//     keepalived's higher_prio_send_advert, Config.HigherPrioSendAdvert).
//   - The effective priority (base adjusted by trackers, issue 5) is set
//     with SetPriority and clamped to 1..254; an owner is never adjusted.
//     SetFault forces the Fault state (a master sends priority 0 and removes
//     its addresses) and releases it.
//
// A Machine is not safe for concurrent use; its owner serialises calls.
package fsm
