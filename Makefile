# The two commands of the README, and the developer chores around them.
#   make demo   the example marketplace on SQLite with demo data, on $PORT (default 5000); its
#               mail catcher on $MAIL_PORT (default $PORT + 20)
#   make test   the whole test suite (browser tests need Debian's chromium, see .ci/run)

PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
PORT   ?= 5000
HOST   ?= 127.0.0.1
PYTEST_ARGS ?=

.PHONY: demo test lint catalogs screenshots clean

$(BIN)/.installed: pyproject.toml requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -r requirements-dev.txt
	touch $@

demo: $(BIN)/.installed
	SITE_URL=http://$(HOST):$(PORT) FLASK_APP=example_host $(BIN)/flask demo reset
	SITE_URL=http://$(HOST):$(PORT) PORT=$(PORT) DEMO_MAIL_CATCHER=1 FLASK_APP=example_host \
		$(BIN)/flask run --host $(HOST) --port $(PORT)

test: $(BIN)/.installed
	$(BIN)/pytest $(PYTEST_ARGS)

lint: $(BIN)/.installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

catalogs: $(BIN)/.installed
	$(BIN)/python scripts/catalogs.py extract
	$(BIN)/python scripts/catalogs.py update
	$(BIN)/python scripts/catalogs.py compile

screenshots: $(BIN)/.installed
	$(BIN)/python -m scripts.screenshots

clean:
	rm -rf $(VENV) build dist *.egg-info .pytest_cache .mypy_cache .ruff_cache instance
