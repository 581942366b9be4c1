# Tocsin: the two commands a new user needs are `make run` and `make test`.

GO          ?= go
BIN         := bin/tocsin
STATICCHECK := honnef.co/go/tools/cmd/staticcheck@v0.8.2
PKGS        := ./...

.PHONY: build run test test-deps lint fmt-check vet staticcheck fuzz fuzz-ci rewrite clean crash-large soak bench bench-checkpoint pgdiff eval compat dashboard-vendor

## build: compile bin/tocsin
build:
	$(GO) build -o $(BIN) ./cmd/tocsin

## run: build and start the playground (server + embedded Kafka broker + demo data)
run: build
	./$(BIN) playground

## test: every test, with the race detector (installs psql and chromium if they are missing)
test: test-deps
	$(GO) test -race -count=1 -timeout 30m $(PKGS)

test-deps:
	@./scripts/ensure-psql
	@./scripts/ensure-chromium

## pgdiff: Tocsin against a real PostgreSQL 15 on generated streams (installs the
## server with apt-get if it is missing); CASE=name runs one case
pgdiff:
	TOCSIN_PGDIFF=1 $(GO) test -count=1 -timeout 20m -run 'TestPostgresDifferential$(if $(CASE),/$(CASE))' ./cmd/tocsin

## eval: score the detectors through SQL on the public benchmarks in ../shared
## (SHARED=dir to point elsewhere): Loghub-2k must reproduce Drain's published
## grouping accuracy within 0.005; NAB prints every detector's three scores
SHARED ?= ../shared
eval: build
	./$(BIN) eval loghub --dir $(SHARED)/datasets/loghub --check
	./$(BIN) eval nab --dir $(SHARED)/datasets/nab --check
	TOCSIN_LOGHUB_DIR=$(abspath $(SHARED))/datasets/loghub TOCSIN_NAB_DIR=$(abspath $(SHARED))/datasets/nab \
		$(GO) test -count=1 -run 'TestLoghubEval|TestPresetsMatchBenchmarkSettings|TestWindowedGaussianScores|TestStoredResults' ./cmd/tocsin/internal/loghub ./cmd/tocsin/internal/nab

## lint: gofmt, go vet and staticcheck must be clean
lint: fmt-check vet staticcheck

fmt-check:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

vet:
	$(GO) vet $(PKGS)

staticcheck:
	$(GO) run $(STATICCHECK) $(PKGS)

## fuzz: a short run of every fuzz target (FUZZTIME executions each). The
## budgets are counts, not durations: a duration races Go's fuzz coordinator,
## which can fail with a bare "context deadline exceeded" and no crasher when
## the time runs out (golang/go#75804, not fixed in go1.26)
FUZZTIME ?= 30000x
fuzz:
	@for pkg in $$($(GO) list $(PKGS)); do \
	  for f in $$($(GO) test -list 'Fuzz.*' $$pkg | grep '^Fuzz'); do \
	    echo "fuzz $$pkg $$f"; \
	    $(GO) test -run '^$$' -fuzz "^$$f$$" -fuzztime $(FUZZTIME) $$pkg || exit 1; \
	  done; \
	done

## fuzz-ci: the pgwire startup, message-loop and extended-protocol fuzz
## targets, FUZZTIME_CI executions each (CI; about 15 s each on 2 cores)
FUZZTIME_CI ?= 40000x
fuzz-ci:
	@for f in FuzzStartup FuzzMessages FuzzExtended; do \
	  echo "fuzz ./pgwire $$f"; \
	  $(GO) test -run '^$$' -fuzz "^$$f$$" -fuzztime $(FUZZTIME_CI) ./pgwire || exit 1; \
	done

## compat: real clients (psql 15, psycopg2, SQLAlchemy, pgJDBC, pgcli; installed
## with apt-get if missing) against bin/tocsin playground, one line per check
compat: build
	./scripts/compat/run.sh

## crash-large: the crash-recovery test at scale (N records, K kills of tocsin serve)
CRASH_N ?= 10000000
CRASH_K ?= 200
crash-large:
	TOCSIN_CRASH_N=$(CRASH_N) TOCSIN_CRASH_K=$(CRASH_K) $(GO) test -count=1 -timeout 4h -run TestCrashRecovery -v ./cmd/tocsin

## soak: 10^7 distinct keys through windows; heap must return to its baseline
soak:
	TOCSIN_SOAK_KEYS=10000000 TOCSIN_SOAK_WINDOW=500000 $(GO) test -count=1 -timeout 1h -run TestSoakStateIsBounded -v ./engine

## bench: the benchmark table of README "Benchmarks": every workload, memory and
## kafka mode, medians of 3 runs, with latency; BENCHFLAGS adds flags (--json, ...)
bench: build
	./$(BIN) bench --latency $(BENCHFLAGS)

## bench-checkpoint: checkpoint size/duration against state size, and throughput with checkpoints on and off
bench-checkpoint:
	$(GO) test ./engine -run '^$$' -bench CheckpointSize -benchtime 1x
	$(GO) test ./engine -run '^$$' -bench CheckpointCost -benchtime 8000000x -count 5

## dashboard-vendor: re-fetch the dashboard's charting library (uPlot, pinned)
## from npm and check it against scripts/dashboard/uplot.sha256; the files are
## committed, so building never needs npm or the network
dashboard-vendor:
	./scripts/dashboard/vendor.sh

## rewrite: regenerate datadriven golden files
rewrite:
	$(GO) test ./sql/... ./pgwire/... -rewrite

clean:
	rm -rf bin
