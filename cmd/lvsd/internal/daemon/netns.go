package daemon

import (
	"fmt"

	"github.com/lvsd/lvsd/config"
)

// reloadNetNamespace refuses a reload that changes global.net_namespace:
// the running lvsd entered its namespace at start (cmd/lvsd netns_linux.go)
// and its sockets live there; a restart moves it.
func reloadNetNamespace(old, cfg *config.Config) error {
	if old.Global.NetNamespace != cfg.Global.NetNamespace {
		return fmt.Errorf("reload: global.net_namespace changed from %q to %q: lvsd enters its namespace at start only; restart it", old.Global.NetNamespace, cfg.Global.NetNamespace)
	}
	return nil
}
