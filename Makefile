# ehx: GNU make. `make demo` and `make test` do all set-up on Debian/Ubuntu
# (they apt-get install the C libraries when missing); Swift 6 must be on PATH.

SWIFT   ?= swift
PREFIX  ?= /usr/local
DESTDIR ?=
BINDIR  := $(DESTDIR)$(PREFIX)/bin
MAN1DIR := $(DESTDIR)$(PREFIX)/share/man/man1
MAN7DIR := $(DESTDIR)$(PREFIX)/share/man/man7
BASHCOMPDIR := $(DESTDIR)$(PREFIX)/share/bash-completion/completions
ZSHCOMPDIR  := $(DESTDIR)$(PREFIX)/share/zsh/site-functions
FISHCOMPDIR := $(DESTDIR)$(PREFIX)/share/fish/vendor_completions.d
RELEASE := .build/release
TOOLS   := ehx-keygen ehx-ingest ehx-sign ehx-mine ehx-verify ehx-query
APT_PKGS := libssl-dev libjansson-dev libsqlite3-dev libpq-dev pkg-config openssl xxd

.PHONY: all deps test-deps build test check-faults fuzz demo bench clinical install clean completions

all: build

# Install the C libraries (and the openssl/xxd commands the interop tests
# use) only when something is missing.
deps:
	@if command -v pkg-config >/dev/null 2>&1 && pkg-config --exists libcrypto jansson sqlite3 libpq \
	    && command -v openssl >/dev/null 2>&1 && command -v xxd >/dev/null 2>&1; then \
	  :; \
	else \
	  if [ "$$(id -u)" -eq 0 ]; then SUDO=; \
	  elif command -v sudo >/dev/null 2>&1; then SUDO=sudo; \
	  else echo "make deps: need root or sudo to install $(APT_PKGS)" >&2; exit 1; fi; \
	  echo "make deps: installing $(APT_PKGS)"; \
	  $$SUDO apt-get update && \
	  $$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y $(APT_PKGS); \
	fi

# Tools only tests use, each installed when missing and skipped by its test
# when it cannot be had. The independent FHIR R4 model the FHIR export test validates against:
# fhir.resources 6.5.0 (R4 4.0.1, pydantic 1), installed with pip into
# .deps/python only when missing. Without python3 or pip the test skips.
PYDEPS := .deps/python
test-deps:
	@if PYTHONPATH=$(PYDEPS) python3 -c 'import fhir.resources.bundle' >/dev/null 2>&1; then \
	  :; \
	elif command -v python3 >/dev/null 2>&1; then \
	  echo "make test-deps: installing fhir.resources 6.5.0 into $(PYDEPS)"; \
	  PIP_ROOT_USER_ACTION=ignore python3 -m pip install --quiet --disable-pip-version-check --no-warn-conflicts --target $(PYDEPS) \
	    'fhir.resources==6.5.0' 'pydantic>=1.10,<2' \
	  || echo "make test-deps: pip failed; the FHIR validation test will be skipped" >&2; \
	else \
	  echo "make test-deps: no python3; the FHIR validation test will be skipped" >&2; \
	fi
	@# A PostgreSQL server the index tests start in a temporary directory
	@# (initdb and pg_ctl as an unprivileged user; skipped without them).
	@if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 && ! command -v initdb >/dev/null 2>&1; then \
	  if [ "$$(id -u)" -eq 0 ]; then SUDO=; elif command -v sudo >/dev/null 2>&1; then SUDO=sudo; else SUDO=false; fi; \
	  echo "make test-deps: installing postgresql for the PostgreSQL index tests"; \
	  { $$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null 2>&1 \
	    || { $$SUDO apt-get update -qq && $$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null 2>&1; }; } \
	  || echo "make test-deps: postgresql unavailable; the PostgreSQL index tests will be skipped" >&2; \
	fi
	@# The independent forger (Tests/Forger): cryptography and rfc8785 into
	@# $(PYDEPS) when missing; without them its test skips.
	@if PYTHONPATH=$(PYDEPS) python3 -c 'import cryptography, rfc8785' >/dev/null 2>&1; then \
	  :; \
	elif command -v python3 >/dev/null 2>&1; then \
	  echo "make test-deps: installing cryptography and rfc8785 into $(PYDEPS)"; \
	  PIP_ROOT_USER_ACTION=ignore python3 -m pip install --quiet --disable-pip-version-check --no-warn-conflicts --target $(PYDEPS) \
	    $$(PYTHONPATH=$(PYDEPS) python3 -c 'import cryptography' >/dev/null 2>&1 || echo 'cryptography>=42') 'rfc8785==0.1.4' \
	  || echo "make test-deps: pip failed; the forger corpus test will be skipped" >&2; \
	fi
	@# Headless Chromium renders the report pages in a test (skipped without it).
	@if ! command -v chromium >/dev/null 2>&1; then \
	  if [ "$$(id -u)" -eq 0 ]; then SUDO=; elif command -v sudo >/dev/null 2>&1; then SUDO=sudo; else SUDO=false; fi; \
	  echo "make test-deps: installing chromium for the report rendering test"; \
	  { $$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null 2>&1 \
	    || { $$SUDO apt-get update -qq && $$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null 2>&1; }; } \
	  || echo "make test-deps: chromium unavailable; the render test will be skipped" >&2; \
	fi

build: deps
	$(SWIFT) build -c release

# Debug build first: the end-to-end tests run the built debug executables.
test: deps test-deps
	$(SWIFT) build
	$(SWIFT) test

demo: deps build
	BIN=$(RELEASE) bash scripts/demo.sh

# The clinical table (README "Clinical safety"): the real MIMIC-II recording
# (../shared/data, skipped when absent) and the scenario suite
# (Tests/Scenarios) through ehx-ingest in the fixed mode (NEWS2 only) and the
# adaptive mode (baselines and drift): alerts by kind and reason,
# sensitivity on the scenarios, false alarms on the recording.
clinical: deps
	$(SWIFT) build
	python3 scripts/clinical.py --bin .build/debug

# Long fault loops (kill -9 of ehx-ingest --state and ehx-verify --append,
# >= 20 each, while writers keep going): not in `make test`; .ci/run calls
# this after it.
check-faults: deps
	$(SWIFT) build
	EHX_FAULTS=1 $(SWIFT) test --filter EndToEndFaults

# libFuzzer over the reading, transaction and block-line parsers and JCS,
# FUZZ_SECONDS (default 60) each, from Tests/Fuzz/corpus/. Never in `make test`.
fuzz: deps
	bash scripts/fuzz.sh

# One run, one machine: builds release, then every tool against its reference
# (jq, openssl speed, the SHA-256 ceiling, cpuminer if on PATH), peak RSS and
# growth from 10^4 to 10^6 transactions; prints a table and writes
# bench/results.json; then the index, SQLite beside PostgreSQL
# (scripts/bench-index.sh, 10^6 and 10^7 transactions, 8 clients).
# Generated inputs are cached under .bench/.
# BENCH_SCRATCH picks the SwiftPM scratch path (default .build).
BENCH_SCRATCH ?= .build
bench: deps
	SCRATCH=$(BENCH_SCRATCH) bash scripts/bench-all.sh
	SCRATCH=$(BENCH_SCRATCH) bash scripts/bench-index.sh

# Regenerate completions/ from the argument parsers (scripts/gen-man.sh does
# this too, with the man pages); builds the tools in .build-man. Commit the
# result with the option change that needed it.
completions: deps
	bash scripts/gen-completions.sh

install: build
	install -d $(BINDIR)
	for t in $(TOOLS); do install -m 0755 $(RELEASE)/$$t $(BINDIR)/$$t || exit 1; done
	@if ls man/*.1 >/dev/null 2>&1; then \
	  install -d $(MAN1DIR) && install -m 0644 man/*.1 $(MAN1DIR)/; fi
	@if ls man/*.7 >/dev/null 2>&1; then \
	  install -d $(MAN7DIR) && install -m 0644 man/*.7 $(MAN7DIR)/; fi
	install -d $(BASHCOMPDIR) $(ZSHCOMPDIR) $(FISHCOMPDIR)
	for t in $(TOOLS); do \
	  install -m 0644 completions/$$t.bash $(BASHCOMPDIR)/$$t && \
	  install -m 0644 completions/_$$t $(ZSHCOMPDIR)/_$$t && \
	  install -m 0644 completions/$$t.fish $(FISHCOMPDIR)/$$t.fish || exit 1; \
	done

clean:
	rm -rf .build demo .deps
