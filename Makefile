# LeadDash: `make run` starts the app with demo data, `make test` runs every test.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
export LEADDASH_DEMO ?= 1
# Let Python keep compiled modules (and pytest its assertion-rewritten tests) in __pycache__:
# where the environment forbids it, every test process and every app server it starts
# compiled the whole code again (half of a test process's 9 s start).
unexport PYTHONDONTWRITEBYTECODE

.PHONY: run test check fuzz load install install-dev lock browser migrate seed lint bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Installs come from the lock files: every package, transitive ones included, at an exact
# version and hash. requirements*.txt name what we depend on; `make lock` re-solves them.
$(VENV)/.runtime: requirements.lock | $(BIN)/python
	$(BIN)/pip install --quiet --require-hashes -r requirements.lock
	touch $@

$(VENV)/.dev: requirements-dev.lock | $(BIN)/python
	$(BIN)/pip install --quiet --require-hashes -r requirements-dev.lock
	touch $(VENV)/.runtime $@

# Re-solve the locks after editing requirements*.txt (the dev lock is held to the runtime one).
PIP_COMPILE := $(BIN)/pip-compile --quiet --generate-hashes --strip-extras --allow-unsafe \
	--no-emit-index-url --no-emit-find-links --annotation-style line

lock: install-dev
	$(PIP_COMPILE) -o requirements.lock requirements.txt
	$(PIP_COMPILE) -c requirements.lock -o requirements-dev.lock requirements-dev.txt

install: $(VENV)/.runtime

install-dev: $(VENV)/.dev

migrate: install
	$(BIN)/python -m leaddash migrate

seed: migrate
	@if [ "$(LEADDASH_DEMO)" = "1" ]; then $(BIN)/python -m leaddash seed-demo --if-empty; \
	else echo "LEADDASH_DEMO is not 1: no demo data seeded."; fi

run: seed
	$(BIN)/python -m leaddash.ui.serve --server.port 8501

# Browser tests drive Debian's Chromium; install it when missing (needs root and apt).
browser:
	@command -v chromium >/dev/null 2>&1 || { \
		echo "Installing Debian's chromium for the browser tests…"; \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium >/dev/null; }

# Two processes (one per core here), each test file kept whole in one of them, so a file's
# module-scoped fixtures (a browser app server, a seeded database) are built once. Seeded demo
# databases are template files built once per run and copied; PostgreSQL copies run only for
# tests marked postgresql (LEADDASH_TEST_ALL_BACKENDS=1 runs every copy).
test: install-dev browser
	$(BIN)/python -m pytest -q -n auto --dist loadfile --no-loadscope-reorder $(PYTEST_ARGS)

# The quick loop: lint, format, types, the layers, and every test but the browser, load and
# slow ones, each once, on SQLite (make test adds the PostgreSQL copies; run them here too
# with LEADDASH_TEST_BACKENDS=all). Without browser servers to share, tests are handed out
# one by one (worksteal), so both cores finish together.
LEADDASH_TEST_BACKENDS ?= sqlite
check: install-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy leaddash
	$(BIN)/python -m pytest -q -p no:cacheprovider tests/test_layers.py
	LEADDASH_TEST_BACKENDS=$(LEADDASH_TEST_BACKENDS) $(BIN)/python -m pytest -q -n auto \
		--dist worksteal -m "not browser and not load and not slow" $(PYTEST_ARGS)

# The import fuzzer searching long: 1,000 files per property instead of the loops' 25.
fuzz: install-dev
	LEADDASH_FUZZ_EXAMPLES=1000 $(BIN)/python -m pytest -q -n auto tests/test_import_fuzz.py

# The load run at the issue's length: 20 workers for 60 s on each database (15 s in make test).
load: install-dev
	LEADDASH_LOAD_SECONDS=60 $(BIN)/python -m pytest -q -m load tests/test_load.py

lint: install-dev
	$(BIN)/ruff check .

bench: install-dev
	$(BIN)/python -m leaddash bench

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
