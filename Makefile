# corsvcr — the two set-up commands for a fresh Debian machine are
#   make demo   record the built-in sample API live, replay it offline, compare
#   make test   vet and run every test (browser tests in real headless Chrome)
# Each installs what it needs when it is missing.

SHELL := /bin/bash
GO    ?= go
BIN   := bin/corsvcr
# Root runs apt-get directly; anyone else goes through sudo.
SUDO  := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: all build demo test vet fmt-check bench bench-go wrk fuzz browser stacks har record-stacks docs go-check clean

all: build

go-check:
	@command -v $(GO) >/dev/null || { echo "make: Go is not installed (need Go 1.26; see https://go.dev/doc/install)"; exit 1; }

# browser installs Debian's chromium-headless-shell unless a browser is
# already there ($CORSVCR_CHROME or one on PATH).
browser:
	@if [ -n "$$CORSVCR_CHROME" ] && [ -x "$$CORSVCR_CHROME" ]; then exit 0; fi; \
	for b in chromium-headless-shell chromium google-chrome; do \
	  command -v $$b >/dev/null && exit 0; \
	done; \
	echo "make: no Chrome found; installing Debian's chromium-headless-shell"; \
	$(SUDO) apt-get update -qq && \
	$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium-headless-shell >/dev/null && \
	command -v chromium-headless-shell >/dev/null

build: go-check
	$(GO) build -o $(BIN) ./cmd/corsvcr

demo: build browser
	./$(BIN) demo --out build/demo

fmt-check: go-check
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

# vet also covers integration/stacks/gocors, the Go stacks' nested module
# (rs/cors, jub0bs/cors), which ./... does not descend into.
vet: go-check
	$(GO) vet ./...
	cd integration/stacks/gocors && GOWORK=off $(GO) vet ./...

# stacks installs the real third-party CORS servers the stack tests record
# from (nginx, Apache + PHP, Flask, Django, FastAPI, Express, Vite, Go).
stacks: go-check
	integration/stacks/install.sh

# har installs playwright-core, the third-party HAR writer the import tests
# record with (it drives the same Debian Chromium).
har:
	integration/har/install.sh

# Every package runs under the race detector; the browser tests share one
# Chrome per package.
test: fmt-check vet browser stacks har
	$(GO) test -race -count=1 -timeout 15m ./...

# record-stacks re-records the stacks' golden cassettes and verdicts and
# regenerates docs/stacks.md; the demo's golden cassette comes along.
record-stacks: go-check browser stacks
	$(GO) test -count=1 ./integration -run '^(TestStacks|TestDemoLiveEqualsReplay)$$' -update
	$(GO) test -count=1 ./integration -run '^TestStacksDoc$$' -update

# docs regenerates docs/stacks.md from the golden verdicts.
docs: go-check
	$(GO) test -count=1 ./integration -run '^TestStacksDoc$$' -update

# bench prints one table: corsvcr serve against bare net/http, the recorder
# against plain martian, Chrome checks per second by worker count, cassette
# load/save against encoding/json — each next to its reference measured in
# the same run (internal/bench). BENCH_FLAGS="-d 2s -only serve" shortens it.
bench: build browser wrk
	$(GO) build -o bin/bench ./internal/bench
	$(GO) build -o bin/martianref ./recorder/internal/martianref
	bin/bench -corsvcr $(BIN) -martian bin/martianref $(BENCH_FLAGS)

# bench-go runs the Go micro-benchmarks (replay hit, recorder, explain).
bench-go: go-check browser
	$(GO) test -run='^$$' -bench=. -benchmem ./replay/ ./recorder/ ./browsercheck/
	$(GO) test -run='^$$' -bench=Explain -benchtime=3x -benchmem ./vcr/

# wrk is the load generator make bench uses (Debian package).
wrk:
	@command -v wrk >/dev/null || { echo "make: installing wrk"; \
	  $(SUDO) apt-get update -qq && \
	  $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends wrk >/dev/null; }

fuzz: go-check
	$(GO) test -run='^$$' -fuzz=FuzzDecodeRoundTrip -fuzztime=30s ./cassettes/
	$(GO) test -run='^$$' -fuzz=FuzzEncodeRoundTrip -fuzztime=30s ./cassettes/
	$(GO) test -run='^$$' -fuzz=FuzzRequestStream -fuzztime=30s ./recorder/
	$(GO) test -run='^$$' -fuzz=FuzzHeaderMatch -fuzztime=30s ./recorder/
	$(GO) test -run='^$$' -fuzz=FuzzMatcher -fuzztime=30s ./replay/
	$(GO) test -run='^$$' -fuzz=FuzzImport -fuzztime=30s ./har/
	$(GO) test -run='^$$' -fuzz=FuzzPredict -fuzztime=30s ./predict/

clean:
	rm -rf bin build corsvcr-demo
