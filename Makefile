# Two commands from a fresh clone: `make demo` and `make test`.  Everything else is set up by them.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: install demo test bench clean

install: $(STAMP)

# Reinstalls only when the project's metadata changes; the install is editable, so code and
# policy edits need nothing.
$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev,provision]'
	@touch $(STAMP)

demo: install
	$(BIN)/vendorguard demo --output-dir reports

test: install
	$(BIN)/python -m pytest

bench: install
	$(BIN)/python bench/run.py

clean:
	rm -rf $(VENV) reports build *.egg-info
