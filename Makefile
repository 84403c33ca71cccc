# Kuajing: `make run` sets everything up and starts the portal; `make test` sets up and
# runs the whole suite. Both are safe to repeat and fast the second time.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
PY     := $(VENV)/bin/python
FLASK  := $(VENV)/bin/flask --app wsgi
HTMX_VERSION := 2.0.8
# axe-core audits pages in the browser tests only; it lives under tests/, never served.
AXE_VERSION := 4.14.1
AXE_JS := tests/e2e/vendor/axe.min.js
PORT ?= 5000

export REDIS_URL ?= redis://127.0.0.1:6379/0
export TEST_DATABASE_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/test
# Tests keep to their own Redis database, so a running `make run` never sees their keys or jobs.
TEST_REDIS_URL ?= redis://127.0.0.1:6379/1

PO_FILES := $(wildcard app/*/translations/*/LC_MESSAGES/messages.po)
MO_FILES := $(PO_FILES:.po=.mo)

.PHONY: help setup run test bench services-run services-test translations extract-% clean

help:
	@echo "make run    set up, migrate, load demo data and start the portal"
	@echo "make test   set up and run the whole test suite"
	@echo "make bench  run the benchmarks under bench/"

$(VENV)/.installed: requirements.txt
	@$(PYTHON) -c 'import sys; assert sys.version_info[:2] == (3, 11), "Python 3.11 is required"'
	@$(PYTHON) -m venv --help >/dev/null 2>&1 && $(PYTHON) -c 'import ensurepip' 2>/dev/null \
		|| sandbox/services.sh need python3-venv
	@[ -x $(PY) ] || $(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check -r requirements.txt
	@touch $@

# $(call npm-file,PACKAGE,VERSION,PATH IN THE PACKAGE): copy one file of a pinned npm
# package to the target, without node_modules.
define npm-file
	@mkdir -p $(@D)
	@tmp=$$(mktemp -d) && (cd $$tmp && npm pack --silent $(1)@$(2) >/dev/null) \
		&& tar -xzf $$tmp/$(1)-$(2).tgz -C $$tmp package/$(3) \
		&& cp $$tmp/package/$(3) $@ && rm -rf $$tmp
	@echo "$(1) $(2) -> $@"
endef

static/vendor/htmx.min.js:
	$(call npm-file,htmx.org,$(HTMX_VERSION),dist/htmx.min.js)

$(AXE_JS):
	$(call npm-file,axe-core,$(AXE_VERSION),axe.min.js)

%.mo: %.po $(VENV)/.installed
	@$(VENV)/bin/pybabel -q compile -i $< -o $@

translations: $(MO_FILES)

setup: $(VENV)/.installed static/vendor/htmx.min.js translations

services-run:
	@sandbox/services.sh packages run
	@sandbox/services.sh redis "$(REDIS_URL)"

services-test:
	@sandbox/services.sh packages test
	@sandbox/services.sh redis "$(TEST_REDIS_URL)"

run: services-run setup
	@if (exec 3<>/dev/tcp/127.0.0.1/$(PORT)) 2>/dev/null; then \
		echo "Port $(PORT) is taken: is the portal already running? Open http://127.0.0.1:$(PORT)/ or use make run PORT=5001"; exit 1; fi
	@mkdir -p instance
	@$(FLASK) db upgrade
	@$(FLASK) seed-demo
	@echo
	@echo "  Kuajing is starting at http://127.0.0.1:$(PORT)/"
	@echo "  WeChat Pay simulator (scan, pay, notifies): http://127.0.0.1:5010/_sandbox/"
	@echo "  Demo logins (password demo-pass-2026):"
	@echo "    buyer@demo.test (owner)   finance@demo.test (finance)   other@demo.test (another company)"
	@echo "    agent@demo.test (support) ops@demo.test (operations)    admin@demo.test (admin)"
	@echo
	@PORT=$(PORT) $(VENV)/bin/honcho -f Procfile.dev start

# services.sh prints the PostgreSQL URL to use (a throwaway server's when the configured
# one will not let us in), so the tests run against whatever it found or started.
test: services-test setup $(AXE_JS)
	@url=$$(PYTHON_BIN=$(PY) sandbox/services.sh postgres "$(TEST_DATABASE_URL)") && \
		TEST_DATABASE_URL="$$url" REDIS_URL="$(TEST_REDIS_URL)" $(PY) -m pytest $(PYTEST_ARGS)

bench: services-test setup
	@sandbox/services.sh packages bench
	@url=$$(PYTHON_BIN=$(PY) sandbox/services.sh postgres "$(TEST_DATABASE_URL)") && \
		for script in bench/[!_]*.py; do echo "== $$script"; \
		TEST_DATABASE_URL="$$url" REDIS_URL="$(TEST_REDIS_URL)" $(PY) $$script || exit 1; done

# Refresh one domain's catalog after changing its strings: make extract-accounts
extract-%:
	@$(VENV)/bin/pybabel -q extract -F babel.cfg -k _l -k lazy_gettext -k _lp:1c,2 -k lazy_pgettext:1c,2 -o /tmp/kj-$*.pot app/$* $$( [ -d templates/$* ] && echo templates/$* ) \
		$$( [ "$*" = core ] && echo templates/base.html templates/_flash.html templates/_macros templates/errors app/__init__.py )
	@$(VENV)/bin/pybabel update -w 100 -i /tmp/kj-$*.pot -d app/$*/translations -l zh_Hans_CN --no-fuzzy-matching

clean:
	rm -rf $(VENV) static/vendor $(AXE_JS) $(MO_FILES)
