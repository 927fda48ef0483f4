package main

import (
	"fmt"

	"github.com/lvsd/lvsd/config"
	"github.com/lvsd/lvsd/config/ucarp"
)

// convertUcarp is `lvsd convert --from ucarp`: data is a ucarp command line
// (or several, one per line) or Debian /etc/network/interfaces text with
// ucarp-* stanzas; name is the input's name in messages. The output is an
// lvsd configuration of [[carp_instance]] tables that the loader accepts.
func convertUcarp(name string, data []byte) (out []byte, warnings []string, err error) {
	ins, warnings, err := ucarp.Parse(name, data)
	if err != nil {
		return nil, warnings, fmt.Errorf("convert ucarp: %w", err)
	}
	out = ucarp.Render(name, ins)
	if _, err := config.Parse(name+" (converted)", out); err != nil {
		return nil, warnings, fmt.Errorf("convert ucarp: the converted configuration does not load: %w", err)
	}
	return out, warnings, nil
}
