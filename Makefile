# The two commands of the README, and the developer chores around them.
#   make demo   the example marketplace on SQLite with demo data, on $PORT (default 5000); its
#               mail catcher on $MAIL_PORT (default $PORT + 20)
#   make test   the whole test suite (browser tests need Debian's chromium, see .ci/run)
#   make check  before a commit, in under a minute: ruff, mypy and the fast tests
#   make hooks  install the git pre-commit hooks (.pre-commit-config.yaml)

PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
PORT   ?= 5000
HOST   ?= 127.0.0.1
PYTEST_ARGS ?=

.PHONY: demo test check lint hooks catalogs screenshots clean

$(BIN)/.installed: pyproject.toml requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -r requirements-dev.txt
	touch $@

demo: $(BIN)/.installed
	SITE_URL=http://$(HOST):$(PORT) FLASK_APP=example_host $(BIN)/flask demo reset
	SITE_URL=http://$(HOST):$(PORT) PORT=$(PORT) DEMO_MAIL_CATCHER=1 FLASK_APP=example_host \
		$(BIN)/flask run --host $(HOST) --port $(PORT)

AXE := tests/browser/axe/node_modules/axe-core/axe.min.js

# axe-core from the npm registry, for the browser tests' accessibility checks (they are
# skipped with that reason where npm is missing; .ci/run installs npm, and under CI=true a
# missing axe-core fails them)
$(AXE): tests/browser/axe/package.json tests/browser/axe/package-lock.json
	@if command -v npm >/dev/null 2>&1; then \
		npm ci --prefix tests/browser/axe --no-audit --no-fund --silent && touch $@; \
	else echo "npm not found: the accessibility checks will be skipped"; fi

test: $(BIN)/.installed $(AXE)
	$(BIN)/pytest $(PYTEST_ARGS)

# Stops at the first failure. The tests: not the ones marked slow or browser, with few
# Hypothesis examples (the quick profile, tests/conftest.py); `make test` runs them all.
check: lint
	HYPOTHESIS_PROFILE=quick $(BIN)/pytest -m "not slow and not browser" -x -q $(PYTEST_ARGS)

lint: $(BIN)/.installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/python scripts/complexity.py

hooks: $(BIN)/.installed
	$(BIN)/pre-commit install

catalogs: $(BIN)/.installed
	$(BIN)/python scripts/catalogs.py extract
	$(BIN)/python scripts/catalogs.py update
	$(BIN)/python scripts/catalogs.py compile

screenshots: $(BIN)/.installed
	$(BIN)/python -m scripts.screenshots

clean:
	rm -rf $(VENV) build dist *.egg-info .pytest_cache .mypy_cache .ruff_cache instance
