# Two commands from a fresh clone: `make demo` and `make test`.  Everything else is set up by them.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
DEMO_STAMP := $(VENV)/.installed-demo

.PHONY: install test-deps demo test bench clean browser servers

include checkov.mk

# Everything the tests and the benchmarks use: vendorguard with its dev and provisioning extras,
# and checkov in its own environment.
install: $(STAMP) checkov

# What only the tests need, beyond the Python packages: a browser and database servers.
test-deps: install browser servers

define make_venv
	@test -x $(BIN)/python || { echo "making the virtual environment $(VENV) ($(PYTHON) -m venv)…" && $(PYTHON) -m venv $(VENV); }
endef

# Reinstalls only when the project's metadata changes; the install is editable, so code and
# policy edits need nothing.  pip runs with --quiet: its warnings and errors still show.  The full
# set includes the demo's, so `make demo` after `make test` installs nothing.
$(STAMP): pyproject.toml
	$(make_venv)
	@echo "installing vendorguard and its dependencies into $(VENV): pip, about 130 packages (tests, pulumi, moto); minutes the first time…"
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev,provision]'
	@touch $(STAMP) $(DEMO_STAMP)

# The demo needs vendorguard and moto (its local AWS endpoint), nothing more: no checkov (it scans
# a plan and a live endpoint, never Terraform HCL), no browser, no database server.
$(DEMO_STAMP): pyproject.toml
	$(make_venv)
	@echo "installing vendorguard and moto (the demo's local AWS endpoint) into $(VENV): pip, about 70 packages; a minute or two the first time…"
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[demo]'
	@touch $(DEMO_STAMP)

# Headless Chromium for the HTML report's browser test, where the machine lets us install it
# (root with apt); elsewhere that one test skips and says why.
browser:
	@command -v chromium >/dev/null 2>&1 || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1 && \
		echo "installing Debian's chromium (for the HTML reports' browser tests) with apt-get…" && \
		apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-dejavu-core >/dev/null; } || \
		echo "no chromium: the HTML report's browser test will skip"

# PostgreSQL for the store's tests (they start their own server, as `nobody` when run as root, in a
# temporary directory, on a unix socket), and Redis for the distributed executor's (on loopback, no
# persistence).  As root with apt, the Debian packages are installed here; elsewhere the tests that
# need them skip and say why (under CI they fail instead).
servers:
	@ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1 || command -v postgres >/dev/null 2>&1 || { \
		[ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1 && \
		echo "installing Debian's postgresql (for the store's tests) with apt-get…" && \
		apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null; } || \
		echo "no PostgreSQL server: the store's PostgreSQL tests will skip"
	@command -v redis-server >/dev/null 2>&1 || { \
		[ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1 && \
		echo "installing Debian's redis-server (for the distributed executor's tests) with apt-get…" && \
		apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server >/dev/null; } || \
		echo "no redis-server: the distributed executor's tests will skip"

demo: $(DEMO_STAMP)
	$(BIN)/vendorguard demo --output-dir reports

test: test-deps
	$(BIN)/python -m pytest

bench: install
	$(BIN)/python bench/run.py

clean: checkov-clean
	rm -rf $(VENV) reports build *.egg-info
