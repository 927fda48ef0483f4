//go:build !linux

package main

import "errors"

// enterNetNamespace: network namespaces are Linux's.
func enterNetNamespace(name string) error {
	if name == "" {
		return nil
	}
	return errors.New("net_namespace: network namespaces need Linux")
}
