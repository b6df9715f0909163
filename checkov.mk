# checkov in its own environment (`.venv-checkov`), never in ours: its pins (boto3==1.35.49,
# packaging<24) conflict with pulumi's and current pytest's.  vendorguard runs it as a subprocess
# (scanner/checkov.py finds `.venv-checkov/bin/checkov`).
#
# Included by the main Makefile (`install: checkov`); also works alone:
#     make -f checkov.mk checkov
#
# The stamp `.venv-checkov/.installed` holds the installed version: nothing is done while it
# matches CHECKOV_VERSION; a new pin (or `make CHECKOV_VERSION=x.y.z`) reinstalls.

CHECKOV_VERSION ?= 3.3.30
CHECKOV_PYTHON  ?= $(or $(PYTHON),python3)
CHECKOV_VENV    := .venv-checkov
CHECKOV_STAMP   := $(CHECKOV_VENV)/.installed

# Included first, this fragment must not take over the including Makefile's default goal.
_checkov_default_goal := $(.DEFAULT_GOAL)
_checkov_have := $(if $(wildcard $(CHECKOV_VENV)/bin/checkov),$(strip $(shell cat $(CHECKOV_STAMP) 2>/dev/null)))

.PHONY: checkov checkov-clean _checkov-outdated

checkov: $(CHECKOV_STAMP)

# Out of date exactly when the stamp is missing, names another version, or checkov is gone.
$(CHECKOV_STAMP): $(if $(filter $(CHECKOV_VERSION),$(_checkov_have)),,_checkov-outdated)
	@test -x $(CHECKOV_VENV)/bin/python || $(CHECKOV_PYTHON) -m venv $(CHECKOV_VENV)
	$(CHECKOV_VENV)/bin/python -m pip install --quiet --disable-pip-version-check \
		'checkov==$(CHECKOV_VERSION)'
	@$(CHECKOV_VENV)/bin/checkov --version >/dev/null
	@echo '$(CHECKOV_VERSION)' > $@

_checkov-outdated: ;

checkov-clean:
	rm -rf $(CHECKOV_VENV)

ifneq ($(words $(MAKEFILE_LIST)),1)
.DEFAULT_GOAL := $(_checkov_default_goal)
endif
