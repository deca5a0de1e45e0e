# custcat for Windows: `make windows` builds dist/custcat-windows-amd64.zip,
# which a Windows user unzips and runs as it is: custcat.exe, duckdb.dll,
# the demo (custcat.yaml, manual.csv, inbox/), deploy/ (the Task Scheduler
# task, a service config) and README.md.
#
# duckdb-go's static Windows library was built for the UCRT runtime, which
# Debian's mingw-w64 cannot link; so custcat.exe links against duckdb.dll
# (duckdb-go's duckdb_use_lib tag). The DLL comes from the npm package of
# DuckDB's Node bindings at a pinned version, checked against a pinned
# sha256 of the tarball, and never committed. The build stops unless the
# DLL carries the DuckDB version of the Go binding in go.mod.
#
# Needs Debian's gcc-mingw-w64-x86-64-posix (mingw-w64, posix threads) and npm.

DUCKDB_WIN_PACKAGE := @duckdb/node-bindings-win32-x64
DUCKDB_WIN_VERSION := 1.5.6-r.1
DUCKDB_WIN_SHA256  := 03873bb6dbef0aa30ba28d12dc6afa63769641823bb64bb425894218442f3e9c
DUCKDB_DLL         := dist/duckdb-$(DUCKDB_WIN_VERSION)/duckdb.dll

WIN_CC   ?= x86_64-w64-mingw32-gcc-posix
WIN_STRINGS ?= x86_64-w64-mingw32-strings
WIN_DIR  := dist/custcat-windows-amd64
WIN_ZIP  := dist/custcat-windows-amd64.zip
# The environment of every go command that builds for Windows.
WIN_GO   := CGO_ENABLED=1 GOOS=windows GOARCH=amd64 CC=$(WIN_CC) \
	CGO_LDFLAGS="-L$(abspath $(dir $(DUCKDB_DLL))) -lduckdb" \
	GOFLAGS=-tags=$(TAGS),duckdb_use_lib $(GO)

.PHONY: windows windows-check

$(DUCKDB_DLL):
	@set -e; command -v $(WIN_CC) >/dev/null || { echo "make windows needs $(WIN_CC): apt-get install gcc-mingw-w64-x86-64-posix" >&2; exit 1; }; \
	tmp=$$(mktemp -d); trap 'rm -rf "$$tmp"' EXIT; \
	tgz=duckdb-node-bindings-win32-x64-$(DUCKDB_WIN_VERSION).tgz; \
	echo "fetch $(DUCKDB_WIN_PACKAGE) $(DUCKDB_WIN_VERSION) from npm"; \
	(cd "$$tmp" && npm pack --silent $(DUCKDB_WIN_PACKAGE)@$(DUCKDB_WIN_VERSION) >/dev/null); \
	echo "$(DUCKDB_WIN_SHA256)  $$tmp/$$tgz" | sha256sum -c --quiet - \
		|| { echo "$$tgz does not match DUCKDB_WIN_SHA256 in data/deploy/windows/windows.mk" >&2; exit 1; }; \
	tar -xzf "$$tmp/$$tgz" -C "$$tmp" package/duckdb.dll; \
	bind=$$($(GO) list -m -f '{{.Version}}' github.com/duckdb/duckdb-go-bindings); \
	want=$$(echo "$$bind" | sed -E 's/^v0\.([0-9]+)([0-9]{2})([0-9]{2})\..*/v\1.\2.\3/; s/\.0([0-9])/.\1/g'); \
	$(WIN_STRINGS) -n 6 "$$tmp/package/duckdb.dll" | grep -x -B1 -- "$$want" | grep -qxE '[0-9a-f]{10}' \
		|| { echo "duckdb.dll of $(DUCKDB_WIN_PACKAGE)@$(DUCKDB_WIN_VERSION) is not DuckDB $$want, the version of duckdb-go-bindings $$bind in go.mod: pin the package of that version in data/deploy/windows/windows.mk" >&2; exit 1; }; \
	echo "duckdb.dll is DuckDB $$want, as duckdb-go-bindings $$bind"; \
	mkdir -p $(@D); \
	mv "$$tmp/package/duckdb.dll" $@

# go build decides itself whether custcat.exe is up to date.
windows: $(ECHARTS) $(DUCKDB_DLL)
	rm -rf $(WIN_DIR) $(WIN_ZIP)
	mkdir -p $(WIN_DIR)/inbox $(WIN_DIR)/deploy
	$(WIN_GO) build -o $(WIN_DIR)/custcat.exe ./cmd/custcat
	cp $(DUCKDB_DLL) $(WIN_DIR)/
	cp data/demo/custcat.yaml data/demo/manual.csv $(WIN_DIR)/
	cp data/demo/exports/* data/demo/master/* $(WIN_DIR)/inbox/
	cp data/deploy/windows/README.md $(WIN_DIR)/
	cp data/deploy/windows/custcat.yaml $(WIN_DIR)/deploy/
	# The Task Scheduler imports its XML as UTF-16, as it exports it.
	sed 's/encoding="UTF-8"/encoding="UTF-16"/; s/$$/\r/' data/deploy/windows/custcat-run.xml \
		| iconv -f UTF-8 -t UTF-16 > $(WIN_DIR)/deploy/custcat-run.xml
	$(GO) run ./data/windowszip -o $(WIN_ZIP) $(WIN_DIR)
	@echo "$(WIN_ZIP): $$(du -h $(WIN_ZIP) | cut -f1)"

# The Windows-only code builds and vets: go vet, and the test binaries of
# the packages that have such code (the wine test in cmd/custcat runs them).
windows-check: $(ECHARTS) $(DUCKDB_DLL)
	$(WIN_GO) vet ./...
	$(WIN_GO) test -c -o dist/wintest/ ./pipeline ./reports ./cmd/custcat
	cp $(DUCKDB_DLL) dist/wintest/
