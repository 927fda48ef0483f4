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

// TestFromFile: the lock inherited through File stays held after the
// original is closed, and is released when the inherited one is.
func TestFromFile(t *testing.T) {
	name := fmt.Sprintf("lvsd-test-ff-%d-%d", os.Getpid(), time.Now().UnixNano())
	l, err := Acquire(name)
	if err != nil {
		t.Fatal(err)
	}
	f, err := l.File()
	if err != nil {
		t.Fatal(err)
	}
	inh, err := FromFile(f)
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	l.Close()
	if _, err := Acquire(name); !errors.Is(err, ErrHeld) {
		t.Fatalf("Acquire while the inherited lock is held: %v, want ErrHeld", err)
	}
	inh.Close()
	l, err = Acquire(name)
	if err != nil {
		t.Fatalf("Acquire after the inherited lock's Close: %v", err)
	}
	l.Close()
}

// TestHolderAfterHandOver: after the lock was handed to another process
// (File, FromFile in the successor), a second Acquire names the successor,
// not the socket's creator.
func TestHolderAfterHandOver(t *testing.T) {
	name := fmt.Sprintf("lvsd-test-ho-%d-%d", os.Getpid(), time.Now().UnixNano())
	l, err := Acquire(name)
	if err != nil {
		t.Fatal(err)
	}
	f, err := l.File()
	if err != nil {
		t.Fatal(err)
	}
	const successor = 424242 // stands for the new process's pid
	inh, err := fromFile(f, successor)
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	defer inh.Close()
	l.Close()
	_, err = Acquire(name)
	if want := fmt.Sprintf("(pid %d)", successor); err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("Acquire after the hand-over: %v, want the successor named %s", err, want)
	}
}
