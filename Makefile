# lvsd — build, test, lint, bench, demo. Every target works as root on a
# fresh Debian machine once `.ci/run`'s packages are installed.

GO          ?= go
BIN         ?= bin/lvsd
VERSION     ?= $(shell git describe --always --dirty 2>/dev/null || echo dev)
# The commit and whether the tree was modified, for `lvsd version` (the Go
# toolchain embeds neither in a git worktree or with GOFLAGS=-buildvcs=false).
COMMIT      ?= $(shell git rev-parse HEAD 2>/dev/null)
MODIFIED    ?= $(shell git rev-parse HEAD >/dev/null 2>&1 && { test -z "$$(git status --porcelain 2>/dev/null)" && echo false || echo true; })
LDFLAGS     := -X main.version=$(VERSION) -X main.commit=$(COMMIT) -X main.modified=$(MODIFIED)
STATICCHECK ?= $(GO) run honnef.co/go/tools/cmd/staticcheck@v0.7.0
# Capabilities whose absence fails (instead of skips) a privileged test in
# `make test`: see integration/testenv.
HOST_REQUIRE ?= root,netns,keepalived,genhash,nginx,curl,busybox,man,git,ucarp,aiosmtpd,dnsmasq,socat,frr,nft,snmpd,snmptrapd,snmpwalk,gdb

.PHONY: all deps build test test-host test-vm vm-binaries bench-ipvs bench-health bench-config fuzz-health fuzz-config fuzz-ops fuzz-script lint bench bench-vrrp demo fuzz fuzz-convert convert-samples clean deb test-deb test-prometheus fuzz-man fuzz-carp bench-carp fuzz-journal fuzz-checkers

all: build

build:
	CGO_ENABLED=0 $(GO) build -ldflags '$(LDFLAGS)' -o $(BIN) ./cmd/lvsd

lint:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) mod tidy -diff
	$(GO) vet ./...
	$(STATICCHECK) ./...

# test: lint, every unit and namespace test on the host with the race
# detector, then the IPVS suites and the netem chaos scenarios inside the VM
# lab, then the Debian package.
test: deps lint build test-host test-vm chaos-vm test-deb test-prometheus

# deps: the Debian packages the tests need (installed only if missing).
deps:
	bash contrib/install-deps.sh

test-host:
	LVSD_REQUIRE=$(HOST_REQUIRE) $(GO) test -race -count=1 -timeout 20m ./...

# test-vm: the suites that need IPVS, in one boot of Debian's kernel under
# qemu (integration/vm). Test binaries are built on the host (static, no Go
# toolchain in the VM) and run from the shared work tree.
VM          ?= integration/vm/run.sh
VM_REQUIRE  ?= ipvs,root,netns,keepalived,frr
# VM_OPTS: run.sh options of test-vm; --keepalived puts the host's keepalived
# and genhash (and their libraries) in the VM for the interop tests; --frr
# FRR's zebra and bgpd for TestECMPDirectors' router.
VM_OPTS     ?= --keepalived --frr
VM_PKGS     ?= ipvs integration/ipvstest integration/health_vm
VM_BIN      := bin/vmtest
VM_FLAGS    ?=

vm-binaries:
	@mkdir -p $(VM_BIN)
	CGO_ENABLED=0 $(GO) build -ldflags '$(LDFLAGS)' -o $(VM_BIN)/lvsd ./cmd/lvsd
	@set -e; for p in $(VM_PKGS); do \
		echo "CGO_ENABLED=0 $(GO) test -c ./$$p"; \
		CGO_ENABLED=0 $(GO) test -c -o $(VM_BIN)/$$(echo $$p | tr / _).test ./$$p; \
	done

test-vm: vm-binaries
	$(VM) $(VM_OPTS) --timeout 600 -e LVSD_REQUIRE=$(VM_REQUIRE) -e LVSD_BIN=$(CURDIR)/$(VM_BIN)/lvsd -- \
		integration/vm/suite.sh $(foreach p,$(VM_PKGS),$(p)=$(VM_BIN)/$(subst /,_,$(p)).test) -- $(VM_FLAGS)

# bench-ipvs: 1,000 services x 10 destinations from empty, lvsd vs ipvsadm -R,
# in the VM (about 3 minutes under emulation).
bench-ipvs:
	$(MAKE) vm-binaries VM_PKGS=ipvs
	$(VM) --timeout 900 --mem 2G -e LVSD_REQUIRE=$(VM_REQUIRE) -- \
		integration/vm/suite.sh ipvs=$(VM_BIN)/ipvs.test -- -test.run '^$$' -test.bench KernelApply -test.benchtime 3x

# bench-director: keepalived and lvsd side by side as directors, on the same
# generated 1,000 x 10 table in the VM (integration/directorbench): start,
# memory, idle CPU, reloads, stop, then TCP_CHECK and HTTP_GET on 200 real
# servers; medians of 3 and the ratio lvsd/keepalived. Smaller or longer:
# BENCH_DIRECTOR_FLAGS='-director.vs=100 -director.samples=1 -director.checks=0'.
BENCH_DIRECTOR_FLAGS ?=
# BENCH_LVSD: the lvsd binary measured (another build: a path under the work tree)
BENCH_LVSD  ?= $(CURDIR)/$(VM_BIN)/lvsd
.PHONY: bench-director
bench-director:
	$(MAKE) vm-binaries VM_PKGS=integration/directorbench
	$(VM) --keepalived --timeout 5400 --mem 2G -e LVSD_REQUIRE=$(VM_REQUIRE) -e LVSD_BIN=$(BENCH_LVSD) -- \
		integration/vm/suite.sh integration/directorbench=$(VM_BIN)/integration_directorbench.test -- \
		-test.run '^$$' -test.bench '^BenchmarkDirector$$' -test.benchtime 1x -test.timeout 90m -test.v $(BENCH_DIRECTOR_FLAGS)

bench: bench-vrrp bench-health bench-config bench-carp

# bench-carp: failover after a kill, an lvsd CARP pair next to a ucarp pair
# (advbase 1), 5 runs each.
bench-carp:
	LVSD_REQUIRE=$(HOST_REQUIRE) $(GO) test -run '^$$' -bench 'CARPFailover' -benchtime 5x -timeout 30m ./integration/

# bench-vrrp: the advert path (allocations, ns/op), then lvsd and keepalived
# side by side in namespaces: failover after a kill at a random phase and
# after a graceful stop (5 runs each, v2 1 s and v3 0.1 s), and CPU per
# advert and RSS with 1, 50 and 250 instances.
bench-vrrp:
	$(GO) test -run '^$$' -bench . -benchmem ./vrrp/...
	LVSD_REQUIRE=$(HOST_REQUIRE) $(GO) test -run '^$$' -bench 'VRRPFailover|VRRPGracefulStop' -benchtime 5x -timeout 60m ./integration/
	LVSD_REQUIRE=$(HOST_REQUIRE) $(GO) test -run '^$$' -bench 'VRRPCPU' -benchtime 3x -timeout 60m ./integration/

# bench-config: load a generated 1,000 virtual servers x 10 real servers file.
bench-config:
	$(GO) test -run '^$$' -bench 'Parse1000x10' -benchtime 10x ./config/

# bench-check: `lvsd check` against `keepalived -t` of the same generated
# 1,000 x 10 table (exec'd alternately, 5 each; medians of wall time,
# user+sys CPU and peak RSS from wait4).
# bench-bgp: the BGP scale-out lab (namespaces, FRR router with multipath):
# a real server's failure / a director's stop to the route's withdrawal at
# the router (ms-to-withdrawal; integration/bgp_bench_test.go).
.PHONY: bench-bgp
bench: bench-bgp
bench-bgp:
	LVSD_REQUIRE=root,netns,frr,busybox,curl $(GO) test -count=1 -run '^$$' -bench BGPWithdraw -benchtime 5x ./integration

.PHONY: bench-check
bench: bench-check
bench-check:
	LVSD_REQUIRE=$(HOST_REQUIRE) $(GO) test -run '^$$' -bench 'CheckCost' -benchtime 1x -timeout 10m ./integration/

# bench-health: HTTP_GET checks against nginx on loopback (another process):
# CPU per check, then 10,000 real servers checked every second for 5 s
# through the scheduler (cores used, heap per real server); BFD: CPU per
# session at 1,000 sessions between two Managers over loopback, and the
# detection time against FRR's bfdd in a namespace (root, netns, frr).
bench-health:
	$(GO) test -run '^$$' -bench 'HTTPGetCheck|SyscallFloor|SMTPCheck|DNSCheck|UDPCheck|FileCheck|HTTPGetRegexCheck' -benchtime 3s ./healthcheck/
	$(GO) test -run '^$$' -bench 'Scheduler10k|SchedulerOverhead' -benchtime 1x -timeout 5m ./healthcheck/
	$(GO) test -run '^$$' -bench 'Sessions1000' -benchtime 5x -timeout 5m ./healthcheck/bfd/
	LVSD_REQUIRE=$(HOST_REQUIRE) $(GO) test -run '^$$' -bench 'BFDDetectionFRR|BFDTrackFailover' -benchtime 5x -timeout 15m ./integration/

# deb: the Debian package (contrib/debian, built with nfpm) in bin/deb/.
deb:
	GO='$(GO)' LDFLAGS='$(LDFLAGS)' bash contrib/debian/build.sh bin/deb

# test-deb: build the package and test it on this machine as root: lintian
# clean, dpkg -i, lvsd version, man -l, dpkg --purge leaves nothing
# (contrib/debian/test.sh; CI's machine is a throwaway).
test-deb: deb
	bash contrib/debian/test.sh bin/deb/lvsd_*.deb

# chaos: the chaos suite alone (integration/chaos_test.go): an lvsd pair and
# a keepalived pair through the same faults side by side, every scenario
# CHAOS_RUNS times and the random-loss ones CHAOS_LOSS_RUNS times (medians;
# from 10 loss runs on, takeover counts are compared; about 11 min). It also
# runs once in test-host (go test ./..., about 100 s).
CHAOS_RUNS ?= 3
CHAOS_LOSS_RUNS ?= 15
.PHONY: chaos
chaos:
	LVSD_REQUIRE=$(HOST_REQUIRE) LVSD_CHAOS_RUNS=$(CHAOS_RUNS) LVSD_CHAOS_LOSS_RUNS=$(CHAOS_LOSS_RUNS) \
		$(GO) test -race -count=1 -run '^TestChaos$$' -v -timeout 40m ./integration/

# chaos-vm: the chaos suite's delay and jitter scenarios (netem; the
# host kernel has no sch_netem) in the VM lab: TestChaosNetem from the
# integration test binary, same runner, figures and checks as `make chaos`,
# CHAOS_VM_RUNS / CHAOS_VM_LOSS_RUNS times (CHAOS_ONLY: a regular expression
# of scenario names).
CHAOS_VM_RUNS ?= 1
CHAOS_VM_LOSS_RUNS ?= $(CHAOS_VM_RUNS)
.PHONY: chaos-vm
chaos-vm:
	$(MAKE) vm-binaries VM_PKGS=integration
	$(VM) --keepalived --timeout 1800 -e LVSD_REQUIRE=root,netns,keepalived,nft,netem -e LVSD_BIN=$(CURDIR)/$(VM_BIN)/lvsd \
		-e LVSD_CHAOS_RUNS=$(CHAOS_VM_RUNS) -e LVSD_CHAOS_LOSS_RUNS=$(CHAOS_VM_LOSS_RUNS) -e 'LVSD_CHAOS_ONLY=$(CHAOS_ONLY)' -- \
		integration/vm/suite.sh integration=$(VM_BIN)/integration.test -- -test.run '^TestChaosNetem$$' -test.v -test.timeout 25m

# test-prometheus: promtool check rules + test rules on contrib/prometheus.
test-prometheus:
	bash contrib/prometheus/check.sh

# demo: a live failover between two lvsd nodes in namespaces (root). It
# installs the few Debian packages it runs (ip, ping, sysctl) if missing.
demo: build
	bash contrib/install-deps.sh demo
	bash contrib/demo.sh $(BIN)

fuzz: fuzz-health fuzz-config fuzz-ops fuzz-script fuzz-convert fuzz-man fuzz-carp fuzz-journal fuzz-checkers fuzz-ipvs fuzz-bgp fuzz-bfd fuzz-agentx

# fuzz-agentx: the AgentX PDU decoder of the SNMP subagent (RFC 2741), 30 s.
.PHONY: fuzz-agentx
fuzz-agentx:
	$(GO) test -run '^$$' -fuzz '^FuzzDecode$$' -fuzztime 30s ./cmd/lvsd/internal/agentx/

# fuzz-bfd: the BFD control packet decoder (RFC 5880), 30 s.
.PHONY: fuzz-bfd
fuzz-bfd:
	$(GO) test -run '^$$' -fuzz '^FuzzDecode$$' -fuzztime 30s ./healthcheck/bfd/

# fuzz-convert: the keepalived configuration reader and converter, 30 s.
fuzz-convert:
	$(GO) test -run '^$$' -fuzz '^FuzzReader$$' -fuzztime 30s -fuzzminimizetime 100x ./config/keepalived/

# convert-samples: converts and checks every doc/samples/keepalived.conf.* of a
# keepalived source tree (KEEPALIVED_SRC=DIR) and prints how many pass. convert
# itself loads its output with lvsd's loader (lvsd check without the host checks:
# the samples name interfaces this machine does not have). A sample whose
# comments say how to run it ("Run keepalived with either '-i high' or '-i low'")
# is converted with each of those config ids (--config-id, keepalived's -i) and
# passes when every one converts.
convert-samples:
	@test -n "$(KEEPALIVED_SRC)" || { echo "usage: make convert-samples KEEPALIVED_SRC=DIR"; exit 2; }
	@$(GO) build -o $(CURDIR)/.convert-samples.lvsd ./cmd/lvsd && \
	n=0; p=0; tmp=$$(mktemp); for f in $(KEEPALIVED_SRC)/doc/samples/keepalived.conf.*; do \
	  n=$$((n+1)); \
	  ids=$$(grep -E '^[#!].*keepalived' $$f | grep -oE "'-i [^' ]+'" | sed -e "s/^'-i //" -e "s/'$$//"); \
	  ok=1; for id in $${ids:-.}; do \
	    if [ "$$id" = . ]; then set --; else set -- --config-id $$id; fi; \
	    $(CURDIR)/.convert-samples.lvsd convert "$$@" -o $$tmp $$f 2>/dev/null || ok=0; \
	  done; \
	  if [ $$ok = 1 ]; then p=$$((p+1)); echo "pass $$f$${ids:+ (config ids: $$(echo $$ids))}"; else echo "FAIL $$f"; fi; \
	done; rm -f $$tmp $(CURDIR)/.convert-samples.lvsd; echo "convert-samples: $$p of $$n pass"

# fuzz-man: the Markdown-to-roff converter behind lvsd.toml(5), 30 s.
fuzz-man:
	$(GO) test -run '^$$' -fuzz '^FuzzFromMarkdown$$' -fuzztime 30s ./cmd/lvsd/internal/manpage/

# fuzz-journal: the JOURNAL_STREAM (DEV:INODE) parser, 15 s.
fuzz-journal:
	$(GO) test -run '^$$' -fuzz '^FuzzParseStream$$' -fuzztime 15s ./cmd/lvsd/internal/journal/

# fuzz-ipvs: the /proc/net/ip_vs fingerprint of the periodic reconcile, 30 s.
.PHONY: fuzz-ipvs
fuzz-ipvs:
	$(GO) test -run '^$$' -fuzz '^FuzzFingerprintProcIPVS$$' -fuzztime 30s ./ipvs/


# fuzz-ops: the state file reader of lvsd run (restart without outage), 30 s.
fuzz-ops:
	$(GO) test -run '^$$' -fuzz '^FuzzStateFile$$' -fuzztime 30s ./cmd/lvsd/internal/daemon/

# fuzz-config: the configuration loader, 60 s, and the fast TOML reader
# against BurntSushi/toml, 30 s (minimizing an interesting
# input is capped so a loaded machine does not stall the run).
fuzz-config:
	$(GO) test -run '^$$' -fuzz '^FuzzParse$$' -fuzztime 60s -fuzzminimizetime 100x ./config/
	$(GO) test -run '^$$' -fuzz '^FuzzFastTOML$$' -fuzztime 30s -fuzzminimizetime 100x ./config/
	$(GO) test -run '^$$' -fuzz '^FuzzSMTPServer$$' -fuzztime 10s -fuzzminimizetime 100x ./config/

# fuzz-bgp: the BGP community parser of [bgp] (the table itself is in FuzzParse), 30 s.
fuzz-bgp:
	$(GO) test -run '^$$' -fuzz '^FuzzCommunity$$' -fuzztime 30s ./config/

# fuzz-health: the genhash response parser and argument parser, 30 s each.
fuzz-health:
	for f in FuzzParser FuzzParseArgs; do $(GO) test -run '^$$' -fuzz "^$$f$$" -fuzztime 30s ./healthcheck/genhash/ || exit 1; done

# fuzz-checkers: the dns_check and udp_check reply judges, 30 s each.
fuzz-checkers:
	for f in FuzzDNSReply FuzzUDPReply; do $(GO) test -run '^$$' -fuzz "^$$f$$" -fuzztime 30s ./healthcheck/ || exit 1; done

# fuzz-script: the command-line splitter every script of lvsd goes through
# (vrrp_script, notify, misc_check, notify_up/down, quorum), 30 s.
fuzz-script:
	$(GO) test -run '^$$' -fuzz '^FuzzSplitCommand$$' -fuzztime 30s ./config/

# fuzz-carp: the CARP frame decoder (ucarp interop) and the ucarp
# command-line / interfaces converter, 30 s each.
fuzz-carp:
	$(GO) test -run '^$$' -fuzz '^FuzzDecode$$' -fuzztime 30s ./vrrp/carp/
	$(GO) test -run '^$$' -fuzz '^FuzzParse$$' -fuzztime 30s ./config/ucarp/

clean:
	rm -rf bin
