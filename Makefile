# custcat. Every build and test uses the same build tags: duckdb-go's Arrow
# interface is behind duckdb_arrow.
GO       ?= go
TAGS     := duckdb_arrow
GOFLAGS  := -tags=$(TAGS)
export GOFLAGS

-include reports/echarts.mk
include data/deploy/windows/windows.mk

.PHONY: build test demo bench lint check demo-data fuzz fuzz-corpus

build: $(ECHARTS)
	$(GO) build -o bin/custcat ./cmd/custcat

test: $(ECHARTS)
	$(GO) test -count=1 ./...

# The demo runs on a copy of data/demo in var/demo, so it can run again and again.
demo: build
	rm -rf var/demo
	mkdir -p var/demo/inbox
	cp data/demo/exports/* var/demo/inbox/
	cp data/demo/master/* var/demo/inbox/
	cp data/demo/custcat.yaml data/demo/manual.csv var/demo/
	@echo "load: the exports and the master, segmented as of 2024-12-31 (its summary: var/demo/load.txt)"
	./bin/custcat run -c var/demo/custcat.yaml --as-of 2024-12-31 > var/demo/load.txt
	@echo
	@echo "history: the month ends of 2024 from the loaded lines"
	./bin/custcat backfill -c var/demo/custcat.yaml --from 2024-01-31 --to 2024-11-30
	@echo
	@echo "the run of 2024-12-31 again, with that history: its report is var/demo/out/report.html"
	./bin/custcat run -c var/demo/custcat.yaml --as-of 2024-12-31
	@echo
	@echo "outputs are in var/demo/out/; the loaded exports moved to var/demo/archive/"

# Rewrites data/demo from its generator (the same bytes every time).
demo-data:
	$(GO) run ./data/demogen -out data/demo

# BenchmarkEndToEnd (cmd/custcat) runs the yardsticks of ../shared/bench
# (ref_duckdb, ref_pandas.py with Debian's python3-pandas) and custcat on the
# same exports of BENCH_SIZES lines (1m 10m; 100m for the scale run), written
# once into the user cache folder; jobs' BenchmarkSoak runs the daemon 200
# times. Both take minutes: hence the timeout.
BENCH_SIZES ?= 1m 10m
bench: $(ECHARTS)
	BENCH_SIZES="$(BENCH_SIZES)" $(GO) test -run '^$$' -bench . -benchtime 1x -benchmem -timeout 180m ./...

lint: $(ECHARTS)
	$(GO) vet ./...

# Fails when gofmt, go vet or go mod tidy would change anything.
check: $(ECHARTS) lint
	@test -z "$$(gofmt -l .)" || { echo "gofmt would change:"; gofmt -l .; exit 1; }
	$(GO) mod tidy -diff

# Runs every fuzz target for FUZZTIME each (a duration such as 30s, or a count such as 3000x).
FUZZTIME ?= 30s
fuzz: $(ECHARTS)
	@for pkg in $$($(GO) list ./...); do \
	  for f in $$($(GO) test -list '^Fuzz' $$pkg | grep '^Fuzz' || true); do \
	    echo "fuzz $$pkg $$f"; \
	    $(GO) test -run '^$$' -fuzz "^$$f$$" -fuzztime $(FUZZTIME) $$pkg || exit 1; \
	  done; \
	done

# Copies the inputs that fuzzing found interesting (Go keeps them in its
# cache) to each package's testdata/fuzz/, where go test runs them; commit them.
fuzz-corpus:
	@cache=$$($(GO) env GOCACHE)/fuzz; \
	for pkg in $$($(GO) list ./...); do \
	  dir=$$($(GO) list -f '{{.Dir}}' $$pkg); \
	  for t in $$(ls $$cache/$$pkg 2>/dev/null); do \
	    mkdir -p $$dir/testdata/fuzz/$$t; cp -n $$cache/$$pkg/$$t/* $$dir/testdata/fuzz/$$t/; \
	    echo "$$pkg $$t: $$(ls $$dir/testdata/fuzz/$$t | wc -l) inputs"; \
	  done; \
	done
