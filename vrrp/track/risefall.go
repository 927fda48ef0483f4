package track

// RiseFall counts a vrrp_script's results as keepalived does: the script is
// OK after `rise` consecutive successes and failed after `fall` consecutive
// failures. Before its first result it is StatusInit, and that first result
// decides (one success is enough), unless init_fail is set: then it starts
// failed and needs `rise` successes. The zero value is not usable; use
// NewRiseFall.
type RiseFall struct {
	rise, fall int
	// result runs from 0 (failed, no success yet) to rise+fall-1 (OK, no
	// failure yet); the script is OK while result >= rise.
	result int
	status Status
}

// NewRiseFall returns a counter; rise and fall below 1 count as 1.
func NewRiseFall(rise, fall int, initFail bool) RiseFall {
	rise, fall = max(rise, 1), max(fall, 1)
	c := RiseFall{rise: rise, fall: fall, result: rise - 1, status: StatusInit}
	if initFail {
		c.result, c.status = 0, StatusFailed
	}
	return c
}

// Status is the current state.
func (c RiseFall) Status() Status { return c.status }

// Observe records one result and reports whether the status changed.
func (c *RiseFall) Observe(ok bool) (changed bool) {
	old := c.status
	top := c.rise + c.fall - 1
	if ok {
		switch {
		case c.result < c.rise-1:
			c.result++
		default:
			c.result = top
			c.status = StatusOK
		}
	} else {
		switch {
		case c.result > c.rise:
			c.result--
		default:
			// From OK (result == rise) or INIT this is the fall-th
			// failure in a row; while failed it restarts the count.
			c.result = 0
			c.status = StatusFailed
		}
	}
	return c.status != old
}
