# Two commands from a fresh clone: `make demo` and `make test`.  Everything else is set up by them.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: install demo test bench clean browser

include checkov.mk

install: $(STAMP) checkov browser

# Reinstalls only when the project's metadata changes; the install is editable, so code and
# policy edits need nothing.
$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev,provision]'
	@touch $(STAMP)

# Headless Chromium for the HTML report's browser test, where the machine lets us install it
# (root with apt); elsewhere that one test skips and says why.
browser:
	@command -v chromium >/dev/null 2>&1 || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1 && \
		apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-dejavu-core >/dev/null; } || \
		echo "no chromium: the HTML report's browser test will skip"

demo: install
	$(BIN)/vendorguard demo --output-dir reports

test: install
	$(BIN)/python -m pytest

bench: install
	$(BIN)/python bench/run.py

clean: checkov-clean
	rm -rf $(VENV) reports build *.egg-info
