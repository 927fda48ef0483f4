package config

import (
	"os"
	"regexp"
	"strings"
	"testing"
)

// TestReadmeExample: the README's example configuration loads, and the
// error output README shows for a broken copy of it is what the loader says.
func TestReadmeExample(t *testing.T) {
	b, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	readme := string(b)
	sec := readme[strings.Index(readme, "## Example configuration"):]
	sec = sec[:strings.Index(sec, "\n## ")]
	blocks := regexp.MustCompile("(?s)```(toml)?\n(.*?)```").FindAllStringSubmatch(sec, -1)
	if len(blocks) < 2 || blocks[0][1] != "toml" {
		t.Fatalf("README example section: want a toml block and an output block, got %d blocks", len(blocks))
	}
	example, output := blocks[0][2], blocks[1][2]
	if _, err := Parse("lvsd.toml", []byte(example)); err != nil {
		t.Fatalf("README example does not load:\n%v", err)
	}
	broken := strings.NewReplacer("priority = 150", "priority = 300", "label eth0:1", "lable eth0:1").Replace(example)
	_, err = Parse("lvsd.toml", []byte(broken))
	if err == nil {
		t.Fatal("broken example loads")
	}
	var want []string
	for _, l := range strings.Split(strings.TrimSpace(output), "\n") {
		want = append(want, strings.TrimPrefix(l, "error: "))
	}
	if got := err.Error(); got != strings.Join(want, "\n") {
		t.Errorf("README shows:\n%s\nthe loader says:\n%s", strings.Join(want, "\n"), got)
	}
}
