// Package scripts holds no Go code: it is the home of the example notify and
// check scripts that contrib/examples refers to, and of the tests that run
// them (the cloud floating-IP mover against a fake provider API on loopback).
package scripts
