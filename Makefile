# Two commands do all set-up: `make run` and `make test`. Both create .venv on first use.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
# Where `make run` listens and keeps its data: `make run PORT=18101 DATA=/srv/steuntje`, or the
# relay's own STEUNTJE_PORT / STEUNTJE_DATA / STEUNTJE_HOST in the environment.
DATA   ?= $(or $(STEUNTJE_DATA),./data)
HOST   ?= $(or $(STEUNTJE_HOST),127.0.0.1)
PORT   ?= $(or $(STEUNTJE_PORT),8080)

.PHONY: run test lint bench lock clean fuzz audit-deps

$(STAMP): pyproject.toml requirements/constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -c requirements/constraints.txt -e '.[test]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/steuntje serve --host '$(HOST)' --port '$(PORT)' --data '$(DATA)'

# web-push-testing, the independent push-service stand-in the notification tests talk to,
# at the versions package-lock.json pins (needs Node.js and npm).
PUSH_SERVICE := tests/push_service/node_modules/.installed
$(PUSH_SERVICE): tests/push_service/package.json tests/push_service/package-lock.json
	npm ci --prefix tests/push_service --no-audit --no-fund --loglevel=error
	touch $(PUSH_SERVICE)

test: $(STAMP) $(PUSH_SERVICE)
	$(BIN)/ruff check .
	$(BIN)/python -m pytest

# The protocol fuzz of `make test`, long: 5,000 generated calls per role (tests/test_fuzz_events.py).
FUZZ_EXAMPLES ?= 5000
fuzz: $(STAMP)
	STEUNTJE_FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) $(BIN)/python -m pytest -p no:cacheprovider --timeout=0 \
		-q tests/test_fuzz_events.py tests/test_hostile_input.py

# Known vulnerabilities in the pinned Python packages and the vendored JavaScript (SECURITY.md).
# Needs the network, so not part of `make test`. pip-audit lives in a scratch venv, pinned.
PIP_AUDIT_VERSION := 2.10.1
AUDIT_VENV := /tmp/steuntje-audit
audit-deps:
	test -x $(AUDIT_VENV)/bin/python || $(PYTHON) -m venv $(AUDIT_VENV)
	$(AUDIT_VENV)/bin/pip install --quiet --disable-pip-version-check pip-audit==$(PIP_AUDIT_VERSION)
	$(AUDIT_VENV)/bin/python tools/audit_deps.py

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

bench: $(STAMP)
	$(BIN)/steuntje bench

lock:
	rm -rf /tmp/steuntje-lock && $(PYTHON) -m venv /tmp/steuntje-lock
	/tmp/steuntje-lock/bin/pip install --quiet -e '.[test]'
	/tmp/steuntje-lock/bin/pip freeze --exclude-editable | grep -v '^steuntje' > requirements/constraints.new
	{ sed -n '1,2p' requirements/constraints.txt; cat requirements/constraints.new; } > requirements/constraints.txt
	rm requirements/constraints.new

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
