# lvsd — build, test, lint, bench, demo. Every target works as root on a
# fresh Debian machine once `.ci/run`'s packages are installed.

GO          ?= go
BIN         ?= bin/lvsd
VERSION     ?= $(shell git describe --always --dirty 2>/dev/null || echo dev)
LDFLAGS     := -X main.version=$(VERSION)
STATICCHECK ?= $(GO) run honnef.co/go/tools/cmd/staticcheck@v0.7.0
# Capabilities whose absence fails (instead of skips) a privileged test in
# `make test`: see integration/testenv.
HOST_REQUIRE ?= root,netns,keepalived,genhash,nginx

.PHONY: all build test test-host test-vm lint bench demo fuzz clean

all: build

build:
	CGO_ENABLED=0 $(GO) build -ldflags '$(LDFLAGS)' -o $(BIN) ./cmd/lvsd

lint:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	$(STATICCHECK) ./...

# test: lint, every unit and namespace test on the host with the race
# detector, then the IPVS suites inside the VM lab.
test: lint build test-host test-vm

test-host:
	LVSD_REQUIRE=$(HOST_REQUIRE) $(GO) test -race -count=1 -timeout 20m ./...

test-vm:

bench:

# demo: a live failover between two lvsd nodes in namespaces (root).
demo: build
	bash contrib/demo.sh $(BIN)

fuzz:

clean:
	rm -rf bin
