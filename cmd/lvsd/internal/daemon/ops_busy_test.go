package daemon

import (
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"
)

// TestStatusDuringStuckReload: status does not wait forever on a reload
// holding the daemon, and says so; the watchdog stops reporting healthy
// once a reload has run longer than maxReload.
func TestStatusDuringStuckReload(t *testing.T) {
	o := newOps("x.toml", opsFlags{}, slog.New(slog.DiscardHandler))
	o.d = newDaemon(nil, o.log)
	o.mu.Lock() // the reload holds it
	o.reloadStart.Store(time.Now().UnixNano())
	o.reloading.Store(true)
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	_, err := o.Status(ctx)
	if err == nil || !strings.Contains(err.Error(), "busy with a reload") {
		t.Errorf("Status during a reload: %v, want a busy error", err)
	}
	if !o.alive() {
		t.Error("watchdog unhealthy at the start of a reload")
	}
	o.reloadStart.Store(time.Now().Add(-maxReload - time.Second).UnixNano())
	if o.alive() {
		t.Error("watchdog healthy during a reload stuck past maxReload")
	}
	o.reloading.Store(false)
	o.mu.Unlock()
}
