# PLeK — the two commands a newcomer needs: `make run` and `make test`.
SHELL := /bin/bash
PORT ?= 8000
VENV := .venv
BIN := $(VENV)/bin
UV := $(shell command -v uv 2>/dev/null || echo $(VENV)/bin/uv)

.PHONY: run test test-browser lint lint-api fmt install wordlist debian-package migrate demo bench clean messages deploy-check bandit

$(BIN)/plek: pyproject.toml uv.lock
	@command -v uv >/dev/null 2>&1 || { python3 -m venv $(VENV) && $(BIN)/pip install -q uv; }
	$(UV) sync --frozen
	@touch $(BIN)/plek

install: $(BIN)/plek
	@test -f /usr/share/dict/dutch || $(MAKE) --no-print-directory wordlist

# The OpenTaal Dutch word list (Debian's wdutch): search analysis refuses to run without it (plek.E010).
wordlist:
	@$(MAKE) --no-print-directory DEB=wdutch CHECK="test -f /usr/share/dict/dutch" \
		WHAT="the OpenTaal word list (plek.E010)" debian-package

# A Debian package DEB, installed when this user may (root, or sudo without a password); otherwise say
# how. CHECK tells whether it is there.
debian-package:
	@if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(DEB) >/dev/null 2>&1 \
		|| { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(DEB) >/dev/null; }; \
	elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then \
		sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(DEB) >/dev/null; \
	fi
	@$(CHECK) || { echo "ERROR: $(WHAT) is missing: apt-get install $(DEB)" >&2; exit 1; }

migrate: install
	$(BIN)/plek migrate --no-input -v 0

demo: migrate
	$(BIN)/plek demo --if-empty

run: demo
	$(BIN)/plek serve --bind 127.0.0.1:$(PORT)

test: install
	@command -v xgettext >/dev/null 2>&1 || $(MAKE) --no-print-directory DEB=gettext \
		CHECK="command -v xgettext" WHAT="xgettext (translation tests)" debian-package
	$(BIN)/pytest -n 2 -q

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy plek config
	$(BIN)/lint-imports
	$(BIN)/plek makemigrations --check --dry-run
	$(BIN)/bandit -q -r plek config -x '*/tests/*,*/migrations/*,*/conftest.py'

# The production profile (see docs/operations.md): every deploy warning is an error.
PROD_ENV := DEBUG=0 ALLOWED_HOSTS=plek.example.nl SITE_URL=https://plek.example.nl \
	SECURE_HSTS_SECONDS=31536000 SECURE_HSTS_INCLUDE_SUBDOMAINS=1 SECURE_HSTS_PRELOAD=1 \
	SECURE_SSL_REDIRECT=1 SESSION_COOKIE_SECURE=1 CSRF_COOKIE_SECURE=1 BEHIND_PROXY=1
deploy-check: install
	@tmp=$$(mktemp -d); trap 'rm -rf "$$tmp"' EXIT; \
	key=$$($(BIN)/python -c 'import secrets; print(secrets.token_urlsafe(50))'); \
	env $(PROD_ENV) PLEK_VAR_DIR="$$tmp" SECRET_KEY="$$key" $(BIN)/plek check --deploy --fail-level WARNING; \
	example=$$(sed -n 's/^SECRET_KEY=//p' .env.example); \
	if env $(PROD_ENV) PLEK_VAR_DIR="$$tmp" SECRET_KEY="$$example" $(BIN)/plek check --deploy >/dev/null 2>&1; then \
		echo "deploy-check: the example SECRET_KEY was accepted" >&2; exit 1; fi; \
	echo "deploy-check: production profile clean, example SECRET_KEY refused"

# The OpenAPI snapshot against the project's NLGov API Design Rules ruleset (.spectral.yaml);
# Spectral comes from npm into tools/spectral (pinned by its package-lock.json).
SPECTRAL := tools/spectral/node_modules/.bin/spectral
$(SPECTRAL): tools/spectral/package.json tools/spectral/package-lock.json
	cd tools/spectral && npm ci --no-audit --no-fund --loglevel=error
	@touch $(SPECTRAL)

lint-api: $(SPECTRAL)
	$(SPECTRAL) lint docs/openapi.json --ruleset .spectral.yaml --fail-severity=error --display-only-failures

fmt: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# Interface strings: the main catalogue (locale/) and one per app that keeps its own (plek/<app>/locale/).
APP_LOCALES := $(patsubst %/locale,%,$(wildcard plek/*/locale))
messages: install
	$(BIN)/plek makemessages -l en --no-obsolete --ignore=.venv --ignore="plek/static/*" --ignore="var/*" \
		$(foreach app,$(APP_LOCALES),--ignore="$(app)/*")
	set -e; for app in $(APP_LOCALES); do (cd $$app && $(CURDIR)/$(BIN)/plek makemessages -l en --no-obsolete); done
	$(BIN)/plek compilemessages --ignore=.venv

bench: install
	$(BIN)/plek bench pages

clean:
	rm -rf var/ .pytest_cache .mypy_cache .ruff_cache
