package nslock

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"
)

func TestAcquire(t *testing.T) {
	name := fmt.Sprintf("lvsd-test-%d-%d", os.Getpid(), time.Now().UnixNano())
	l, err := Acquire(name)
	if err != nil {
		t.Fatal(err)
	}
	_, err = Acquire(name)
	if !errors.Is(err, ErrHeld) {
		t.Fatalf("second Acquire: %v, want ErrHeld", err)
	}
	if want := fmt.Sprintf("(pid %d)", os.Getpid()); !strings.Contains(err.Error(), want) {
		t.Errorf("second Acquire: %q does not name the holder %s", err, want)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	l, err = Acquire(name)
	if err != nil {
		t.Fatalf("Acquire after Close: %v", err)
	}
	l.Close()
}
