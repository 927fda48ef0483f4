// Package cloudfip holds no Go code: it is the cloud floating-IP example
// (README.md, lvsd-a.toml, lvsd-b.toml, check-floating-ip.sh) and the tests
// that load its configurations and run its check script, in a network
// namespace, against a fake provider API.
package cloudfip
