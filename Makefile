# photosite: `make run` serves the app on http://127.0.0.1:8000, `make test` runs the suite
# (`make test-slow` its load and fault tests, `make fuzz` a long run of the metadata fuzz test), `make bench` the
# benchmark.
# Each creates .venv and installs what it needs first; see README.md.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STACK := $(BIN)/python scripts/stack.py
# `make run` and `make manage`: the site's port, its local S3's port, where the local PostgreSQL and S3 keep
# their data (and S3 its keys), and the settings file. E.g. make run PORT=8001 S3_PORT=8334
PORT ?= 8000
S3_PORT ?= 8333
VAR ?= var
ENV_FILE ?= .env

# pytest with the suite's own PostgreSQL and S3. Its clients speak plain HTTP, so DEBUG-off's redirect
# to HTTPS is off (the tests turn it on where they test it).
PYTEST := $(STACK) --postgres --s3 -- env ENV_FILE= SECRET_KEY=test-only-not-secret SECURE_SSL_REDIRECT=false $(BIN)/pytest

.PHONY: install run manage test test-slow fuzz bench lighthouse lint postgresql chromium clean

install: $(VENV)/.installed

$(VENV)/.installed: requirements.txt requirements-dev.txt
	@echo "Installing photosite's packages into $(VENV) (about a minute the first time) ..."
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --disable-pip-version-check -r requirements-dev.txt
	touch $@

# The site on Django's development server, with PostgreSQL and SeaweedFS (data in $(VAR)/) unless $(ENV_FILE) or
# the environment configures them, and the other processes of Procfile.dev (scripts/dev.py). Ctrl-C stops it all.
run: install postgresql
	@PORT=$(PORT) S3_PORT=$(S3_PORT) VAR=$(VAR) ENV_FILE=$(ENV_FILE) $(BIN)/python scripts/dev.py

# Any manage.py command on the same database and S3 as `make run` (the running one's, or started for the
# command), e.g. make manage CMD=createsuperuser
manage: install postgresql
	@$(STACK) --keep $(VAR) --postgres --s3 --env-file "$(ENV_FILE)" --default DEBUG=true -- \
		env ENV_FILE=$(ENV_FILE) $(BIN)/python manage.py $(CMD)

# The suite runs on its own PostgreSQL and S3 (started here, on free ports, thrown away
# afterwards) unless DATABASE_URL, or an S3 endpoint or bucket, is set. It ignores .env.
# The browser tests drive Debian's Chromium (installed here when missing).
test: install postgresql chromium
	$(PYTEST) $(PYTEST_ARGS)

# The tests marked slow (load and faults), which `make test` leaves out. They also start a PostgreSQL,
# an S3 and a gunicorn of their own, to stop and start, so they need PostgreSQL's binaries in any case.
test-slow: POSTGRES_BINARIES_NEEDED := yes
test-slow: install postgresql
	$(PYTEST) -m slow $(PYTEST_ARGS)

# The metadata fuzz test (gallery/tests/test_metadata_fuzz.py) at length: FUZZ_EXAMPLES damaged files per
# format, new ones each run, where `make test` runs the same 250 each time. About 6 minutes of CPU at the default.
FUZZ_EXAMPLES ?= 5000
fuzz: install postgresql
	FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) $(PYTEST) gallery/tests/test_metadata_fuzz.py $(PYTEST_ARGS)

# The benchmark (python -m scripts.bench, scripts/bench/): its own PostgreSQL and S3 as for the tests, gunicorn as
# deployed, one table of figures; BENCHMARKS.md records a run. BENCH_ARGS=--quick takes fewer samples.
bench: install postgresql chromium
	$(STACK) --postgres --s3 -- env ENV_FILE= SECRET_KEY=bench-only-not-secret $(BIN)/python -m scripts.bench $(BENCH_ARGS)

# Lighthouse 12.2.3 (13 wants Node 22) in mobile mode on the gallery and photo pages (scripts/lighthouse.py),
# installed into .tools/ by npm the first time.
lighthouse: install postgresql chromium
	@[ -x .tools/node_modules/.bin/lighthouse ] || npm i -E --prefix .tools lighthouse@12.2.3
	$(STACK) --postgres --s3 -- env ENV_FILE= SECRET_KEY=bench-only-not-secret $(BIN)/python scripts/lighthouse.py

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# PostgreSQL's server binaries come from Debian's packages; not needed where DATABASE_URL is set (for make run and
# make manage, in $(ENV_FILE) too).
run manage: DATABASE_URL_FILE = $(ENV_FILE)
postgresql:
	@if { [ -z "$$DATABASE_URL" ] && ! grep -qsE '^[[:space:]]*DATABASE_URL=.' "$(DATABASE_URL_FILE)" \
		|| [ -n "$(POSTGRES_BINARIES_NEEDED)" ]; } && ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then \
		echo "Installing PostgreSQL from Debian's packages"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql; \
	fi

# Playwright's own browser download cannot be reached from CI, so the browser tests use Debian's package.
chromium:
	@if ! [ -x /usr/bin/chromium ]; then \
		echo "Installing Chromium from Debian's packages"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; \
	fi

clean:
	rm -rf $(VENV) staticfiles .pytest_cache test-artifacts
