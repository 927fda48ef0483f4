package healthcheck

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the package if any test leaves a goroutine behind
// (checkers, the scheduler and misc script reapers must all end).
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }
