package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/lvsd/lvsd/cmd/lvsd/internal/manpage"
	"github.com/lvsd/lvsd/integration/testenv"
)

// TestDocsCoverEveryFlag: lvsd(8) and both completions name every command
// and every flag the commands define (they are generated from the flag
// sets, so this guards the generator, not a hand-kept list).
func TestDocsCoverEveryFlag(t *testing.T) {
	docs := commandDocs()
	if len(docs) != len(commands) {
		t.Fatalf("%d documented commands, %d registered", len(docs), len(commands))
	}
	man := manLvsd(docs, "2026-01-01")
	bash := bashCompletion(docs)
	zsh := zshCompletion(docs)
	nflags := 0
	for _, d := range docs {
		if !strings.Contains(man, `.SS "lvsd `+d.Name) {
			t.Errorf("lvsd(8) lacks command %s", d.Name)
		}
		if !strings.Contains(bash, "\t"+d.Name+")") || !strings.Contains(zsh, "\t"+d.Name+")") {
			t.Errorf("a completion lacks command %s", d.Name)
		}
		for _, f := range d.Flags {
			nflags++
			if !strings.Contains(man, manpage.Code(f.Dash())) {
				t.Errorf("lvsd(8) lacks %s %s", d.Name, f.Dash())
			}
			if !strings.Contains(bash, f.Dash()) || !strings.Contains(zsh, "'"+f.Dash()+"[") {
				t.Errorf("a completion lacks %s %s", d.Name, f.Dash())
			}
		}
	}
	// The flags this test knows exist must have been seen through the hook.
	for _, want := range []string{"check --no-host", "check --dump", "run --state-file", "run --log-level", "status --json", "genhash --url"} {
		name, flagName, _ := strings.Cut(want, " ")
		found := false
		for _, d := range docs {
			for _, f := range d.Flags {
				found = found || d.Name == name && f.Dash() == flagName
			}
		}
		if !found {
			t.Errorf("commandDocs lacks %s", want)
		}
	}
	// The page is the same on every build machine: no host name default.
	if h, err := os.Hostname(); err == nil && h != "" && strings.Contains(man, "(default: "+manpage.Code(h)+")") {
		t.Errorf("lvsd(8) shows this host's name %q as a default", h)
	}
	if nflags < 15 {
		t.Errorf("only %d flags documented", nflags)
	}
}

// TestBashCompletion runs the generated script in bash.
func TestBashCompletion(t *testing.T) {
	bashPath := testenv.NeedBinary(t, "bash")
	script := filepath.Join(t.TempDir(), "lvsd")
	if err := os.WriteFile(script, []byte(bashCompletion(commandDocs())), 0o644); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "lvsd.toml"), nil, 0o644)
	for _, tt := range []struct {
		words string
		want  string
	}{
		{"lvsd ch", "check"},
		{"lvsd check --no", "--no-host"},
		{"lvsd run --state", "--state-file"},
		{"lvsd check -f " + dir + "/lv", dir + "/lvsd.toml"},
		{"lvsd completion z", "zsh"},
		{"lvsd man lvsd.t", "lvsd.toml"},
	} {
		words := strings.Fields(tt.words)
		args := append([]string{"--norc", "-c", `source "$0"; COMP_WORDS=("$@"); COMP_CWORD=$(($#-1)); _lvsd; printf '%s\n' "${COMPREPLY[@]}"`, script}, words...)
		cmd := exec.Command(bashPath, args...)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("%s: %v\n%s", tt.words, err, out)
		}
		if got := strings.TrimSpace(string(out)); got != tt.want {
			t.Errorf("%q completes to %q, want %q", tt.words, got, tt.want)
		}
	}
}

// TestManPagesRender renders both pages with man(1) and fails on any
// warning of groff's (what lintian's manpage check reports).
func TestManPagesRender(t *testing.T) {
	manPath := testenv.NeedBinary(t, "man")
	for _, page := range []string{"lvsd", "lvsd.toml"} {
		var src, errb bytes.Buffer
		if code := runMan([]string{page}, &src, &errb); code != 0 {
			t.Fatalf("lvsd man %s: exit %d: %s", page, code, errb.String())
		}
		f := filepath.Join(t.TempDir(), page)
		os.WriteFile(f, src.Bytes(), 0o644)
		cmd := exec.Command(manPath, "--warnings", "-E", "UTF-8", "-l", f)
		cmd.Env = append(os.Environ(), "MANWIDTH=80", "LC_ALL=C.UTF-8", "MAN_KEEP_FORMATTING=0")
		var out, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &stderr
		if err := cmd.Run(); err != nil {
			t.Fatalf("man -l %s: %v\n%s", page, err, stderr.String())
		}
		if stderr.Len() > 0 {
			t.Errorf("man -l %s warns:\n%s", page, stderr.String())
		}
		text := overstrike.ReplaceAllString(out.String(), "")
		if !strings.Contains(text, "NAME") || !strings.Contains(text, "SEE ALSO") || len(text) < 2000 {
			t.Errorf("man -l %s rendered only:\n%s", page, text)
		}
	}
}

// overstrike is the bold and underline of man's output to a non-terminal.
var overstrike = regexp.MustCompile(".\x08")

func TestManUsage(t *testing.T) {
	var out, errb bytes.Buffer
	if code := runMan([]string{"nope"}, &out, &errb); code != exitUsage {
		t.Errorf("lvsd man nope: exit %d", code)
	}
	if code := runCompletion([]string{"fish"}, &out, &errb); code != exitUsage {
		t.Errorf("lvsd completion fish: exit %d", code)
	}
	if code := runCompletion(nil, &out, &errb); code != exitUsage {
		t.Errorf("lvsd completion: exit %d", code)
	}
}

// TestReadmeFirstScreen: the commands README's first screen shows exist
// with the flags it gives them, and `make demo` / `make test` stay the
// first two.
func TestReadmeFirstScreen(t *testing.T) {
	b, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	readme := string(b)
	top := readme[:strings.Index(readme, "\n## ")]
	blocks := regexp.MustCompile("(?s)```sh\n(.*?)```").FindAllStringSubmatch(top, -1)
	if len(blocks) < 2 {
		t.Fatalf("README's first screen has %d sh blocks, want the try/install and the migration ones", len(blocks))
	}
	first := strings.Split(strings.TrimSpace(blocks[0][1]), "\n")
	if len(first) < 2 || !strings.HasPrefix(first[0], "make demo") || !strings.HasPrefix(first[1], "make test") {
		t.Errorf("the first two commands are not make demo, make test: %q", first)
	}
	byName := map[string]cmdDoc{}
	for _, d := range commandDocs() {
		byName[d.Name] = d
	}
	// Every `lvsd CMD ...` in the blocks and in inline code of the first screen.
	var uses []string
	for _, bl := range blocks {
		for _, l := range strings.Split(bl[1], "\n") {
			l, _, _ = strings.Cut(l, "#")
			for _, part := range strings.Split(l, "&&") {
				if f := strings.Fields(part); len(f) > 1 && f[0] == "lvsd" {
					uses = append(uses, strings.Join(f, " "))
				}
			}
		}
	}
	for _, m := range regexp.MustCompile("`(lvsd [^`]+)`").FindAllStringSubmatch(top, -1) {
		uses = append(uses, m[1])
	}
	if len(uses) < 3 {
		t.Fatalf("only %d lvsd commands found on the first screen: %q", len(uses), uses)
	}
	for _, u := range uses {
		f := strings.Fields(u)
		d, ok := byName[f[1]]
		if !ok {
			t.Errorf("README shows %q: no command %q", u, f[1])
			continue
		}
		for _, w := range f[2:] {
			if !strings.HasPrefix(w, "-") {
				continue
			}
			w, _, _ = strings.Cut(w, "=")
			found := false
			for _, fl := range d.Flags {
				found = found || fl.Dash() == w || "-"+fl.Dash() == w || strings.TrimLeft(w, "-") == fl.Name
			}
			if !found {
				t.Errorf("README shows %q: lvsd %s has no flag %s", u, d.Name, w)
			}
		}
	}
}
