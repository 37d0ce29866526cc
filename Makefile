# The two commands: `make run` (the demo on http://127.0.0.1:5000) and `make test`.
# Both create .venv when it is missing and reinstall only when setup.cfg changed.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
INSTALLED := $(VENV)/.installed
CHROMIUM := /usr/bin/chromium
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: run test install chromium clean

run: install
	$(VENV)/bin/switchdesk demo

test: install chromium
	$(VENV)/bin/python -m pytest -q -rs

install: $(INSTALLED)

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)

$(INSTALLED): setup.cfg pyproject.toml | $(VENV)/bin/python
	$(VENV)/bin/python -m pip install -q -e '.[test]'
	touch $@

# The browser tests drive Debian's Chromium through Playwright (no browser download).
chromium:
	@if [ -x $(CHROMIUM) ]; then :; \
	elif command -v apt-get >/dev/null; then \
	  echo "installing Debian's chromium for the browser tests"; \
	  $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get update -qq && \
	  $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null || \
	  echo "could not install chromium: the browser tests will be skipped"; \
	else echo "no apt-get: the browser tests will be skipped unless chromium is at $(CHROMIUM)"; fi

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache

# A real FreeSWITCH 1.10 in Docker with freeswitch/conf (docs/freeswitch.md):
# start it, run the integration tests against it, stop it. ESL_PASSWORD defaults to ClueCon.
FS_COMPOSE := docker compose -f freeswitch/docker-compose.yml

.PHONY: fs-up fs-down fs-test

fs-up:
	$(FS_COMPOSE) up -d --wait

fs-down:
	$(FS_COMPOSE) down

fs-test: install
	FREESWITCH_ESL=esl://:$${ESL_PASSWORD:-ClueCon}@127.0.0.1:8021 $(VENV)/bin/python -m pytest -q -m integration
