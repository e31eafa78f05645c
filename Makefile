# Two commands: `make run` (the real thing: /setup on the first start) and `make test`. Each sets itself up on a
# machine with only Python 3.11+. `make demo` serves the demonstration from its own instance folder.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
FLASK := $(VENV)/bin/flask --app mo_app
#: what serving needs (requirements.txt) and what tests, linters and the bench need besides (requirements-dev.txt):
#: both lock files pin every package, transitive ones included, with hashes; pyproject.toml keeps the ranges
SERVE_STAMP := $(VENV)/.installed-serve
STAMP := $(VENV)/.installed
PIP := $(PY) -m pip install -q --disable-pip-version-check
#: `make demo`'s own instance folder (absolute: Flask's instance path) and port; PORT wins when set
DEMO_INSTANCE ?= $(CURDIR)/instance-demo
DEMO_PORT ?= 5001
UV_COMPILE := $(VENV)/bin/uv pip compile -q --universal --python-version 3.11 --generate-hashes --no-header

.PHONY: run demo demo-reset test lint bench e2e clean lock upgrade

$(PY):
	$(PYTHON) -m venv $(VENV)

$(SERVE_STAMP): requirements.txt | $(PY)
	$(PIP) --require-hashes -r requirements.txt
	$(PIP) --no-deps -e .
	touch $@

$(STAMP): requirements-dev.txt | $(PY)
	$(PIP) --require-hashes -r requirements-dev.txt
	$(PIP) --no-deps -e .
	touch $@ $(SERVE_STAMP)

# `make lock` after changing pyproject.toml's dependencies (keeps every other pin); `make upgrade` moves every
# pin to the newest release the ranges allow. Commit both lock files.
lock upgrade: | $(PY)
	$(PIP) uv
	$(UV_COMPILE) $(if $(filter upgrade,$@),--upgrade) pyproject.toml -o requirements.txt
	$(UV_COMPILE) $(if $(filter upgrade,$@),--upgrade) --extra dev --extra bench pyproject.toml -o requirements-dev.txt

# The real database: migrated, never given demo data; an empty one asks for /setup in the browser.
run: $(SERVE_STAMP)
	$(FLASK) db upgrade
	$(PY) -m mo_app.run

# The demonstration in $(DEMO_INSTANCE) (SQLite, even when DATABASE_URL is set): loaded once, kept across
# restarts; files created 0600, folders 0700. `make demo-reset` starts it over.
demo: export MO_INSTANCE_PATH := $(DEMO_INSTANCE)
demo: export PORT := $(or $(PORT),$(DEMO_PORT))
demo: $(SERVE_STAMP)
	@unset DATABASE_URL; umask 077 && mkdir -p "$(DEMO_INSTANCE)" && chmod 700 "$(DEMO_INSTANCE)" && \
	$(FLASK) db upgrade && $(FLASK) load-demo && \
	echo "Демо-входы: методист metodist / metodist; библиотекари aleksandrova, golubeva, patrakova, udachina," && \
	echo "            efremova, meshcheryakova, zhukova, kulkova — пароль demo." && \
	$(PY) -m mo_app.run

demo-reset:
	rm -rf "$(DEMO_INSTANCE)"
	$(MAKE) demo

test: $(STAMP)
	$(PY) -m pytest

e2e: $(STAMP)
	$(PY) -m pytest tests/e2e

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/bandit -q -r mo_app -lll

bench: $(STAMP)
	$(PY) -m bench

clean:
	rm -rf $(VENV) build *.egg-info
