# ECharts, inlined into out/report.html so that the report opens with no
# network. It comes from the npm registry at a pinned version, is checked
# against a pinned sha256 of the tarball, and is never committed: the Go
# package reports embeds the file this target writes.
#
# The main Makefile includes this file and makes build, test and demo
# depend on $(ECHARTS).
ECHARTS_VERSION := 5.6.0
ECHARTS_SHA256  := e1b82487dd7f8d9f0438eec1f1433051148e0095ac7a15d4db890afda45cf610
ECHARTS         := reports/assets/echarts.min.js

$(ECHARTS):
	@set -e; tmp=$$(mktemp -d); trap 'rm -rf "$$tmp"' EXIT; \
	echo "fetch echarts $(ECHARTS_VERSION) from npm"; \
	(cd "$$tmp" && npm pack --silent echarts@$(ECHARTS_VERSION) >/dev/null); \
	echo "$(ECHARTS_SHA256)  $$tmp/echarts-$(ECHARTS_VERSION).tgz" | sha256sum -c --quiet - \
		|| { echo "echarts-$(ECHARTS_VERSION).tgz does not match ECHARTS_SHA256 in reports/echarts.mk" >&2; exit 1; }; \
	tar -xzf "$$tmp/echarts-$(ECHARTS_VERSION).tgz" -C "$$tmp" package/dist/echarts.min.js; \
	mkdir -p $(@D); \
	mv "$$tmp/package/dist/echarts.min.js" $@
