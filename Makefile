# Copyright (c) 2026 rstyczynski.ansible contributors
# SPDX-License-Identifier: MIT
# rstyczynski.ansible: everything a fresh machine needs goes through these targets.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c

VENV        := $(CURDIR)/.venv
# The primary venv runs the newest ansible-core; the matrix venvs run the smoke set on older ones.
PRIMARY_PY  := 3.13
MATRIX      := 2.15:3.11 2.19:3.11
OCI_VENV    := $(CURDIR)/.venv-oci
OCI_PY      := 3.11
SEED_VENV   := $(CURDIR)/.venv-seed
IMPORTER_VENV := $(CURDIR)/.venv-importer
SCHEMATHESIS_VENV := $(CURDIR)/.venv-schemathesis
DIST_VENV   := $(CURDIR)/.venv-dist
PY          := $(VENV)/bin/python
COLLECTIONS := $(CURDIR)/.collections
INSTALLED   := $(COLLECTIONS)/ansible_collections/rstyczynski/ansible
VERSION     := $(shell sed -n 's/^version: *//p' galaxy.yml)
TARBALL     := $(COLLECTIONS)/dist/rstyczynski-ansible-$(VERSION).tar.gz
# Where `make install` puts the collection: by default the user's collections path.
INSTALL_PATH ?= $(HOME)/.ansible/collections

export ANSIBLE_COLLECTIONS_PATH := $(COLLECTIONS)
export ANSIBLE_NOCOWS := 1
export ANSIBLE_RETRY_FILES_ENABLED := 0
export PATH := $(VENV)/bin:$(HOME)/.cargo/bin:$(PATH)

.PHONY: help lock venv oci-venv seed-venv importer-venv schemathesis-venv dist-venv build dist collection install demo bench test test-rust test-aarch64 test-lint test-sanity test-integration test-e2e test-fleet test-fleet-matrix test-service test-dist test-oci test-unit test-tarball test-matrix matrix-venvs fuzz ssh-target clean

help:
	@echo "make demo   - set up, build, install the collection and run the named-job demo"
	@echo "make dist   - release artifacts of the job service in dist/: static binaries, wheels, the systemd unit"
	@echo "make test   - every test: Rust, aarch64 under qemu, sanity, ansible-test integration, playbooks over local and SSH+become"
	@echo "make install [INSTALL_PATH=dir] - build the collection and install it (default ~/.ansible/collections)"

# Every venv installs from its lock (<name>.txt, made by `make lock` from <name>.in): each package
# at the locked version, each file checked against its locked sha256, nothing resolved at install
# time (--no-deps) and nothing built from source (--only-binary), so a fresh machine next month
# gets the same bytes whatever PyPI serves as newest that day.
PIP_LOCKED = bin/pip install --quiet --disable-pip-version-check --require-hashes --no-deps --only-binary :all: -r
# $(call locked_venv,DIR,PYTHON-MINOR,LOCK): a new venv in DIR with exactly LOCK installed; pip
# check fails it when the lock misses a dependency (--no-deps would not notice).
define locked_venv
rm -rf $(1)
"$$(scripts/python-for.sh $(2))" -m venv $(1)
$(1)/$(PIP_LOCKED) $(3)
$(1)/bin/python -m pip check --disable-pip-version-check >/dev/null
touch $(1)/.stamp
endef

venv: $(VENV)/.stamp
$(VENV)/.stamp: tests/requirements.txt scripts/python-for.sh
	$(call locked_venv,$(VENV),$(PRIMARY_PY),tests/requirements.txt)

# Makes every lock again from its .in (scripts/lock.sh): after editing an .in, or with UPGRADE=1
# to move every transitive package to the newest its .in allows. Then run `make test`.
lock: venv
	scripts/lock.sh $(VENV)/bin/uv $(if $(UPGRADE),--upgrade)

# One venv per older ansible-core of the matrix: .venv-2.15, .venv-2.19.
matrix-venvs: $(foreach m,$(MATRIX),$(CURDIR)/.venv-$(word 1,$(subst :, ,$(m)))/.stamp)
$(CURDIR)/.venv-%/.stamp: tests/matrix/ansible-core-%.txt scripts/python-for.sh
	$(call locked_venv,$(CURDIR)/.venv-$*,$(call matrix_py,$*),$<)
matrix_py = $(word 2,$(subst :, ,$(filter $(1):%,$(MATRIX))))

# The official OCI SDK and CLI, pinned, in a venv of their own: test oracles and the interop peer.
oci-venv: $(OCI_VENV)/.stamp
$(OCI_VENV)/.stamp: tests/oci/requirements.txt scripts/python-for.sh
	$(call locked_venv,$(OCI_VENV),$(OCI_PY),tests/oci/requirements.txt)

# The seed's own stack (FastAPI + rq + ansible-runner), the job service's benchmark anchor.
seed-venv: $(SEED_VENV)/.stamp
$(SEED_VENV)/.stamp: bench/seed/requirements.txt scripts/python-for.sh
	$(call locked_venv,$(SEED_VENV),$(PRIMARY_PY),bench/seed/requirements.txt)

# galaxy-importer, which Galaxy and Automation Hub run on an upload, for make test-tarball. A venv of
# its own: it caps attrs, flake8 and ansible-lint below what the primary venv runs.
importer-venv: $(IMPORTER_VENV)/.stamp
$(IMPORTER_VENV)/.stamp: tests/importer/requirements.txt scripts/python-for.sh
	$(call locked_venv,$(IMPORTER_VENV),$(PRIMARY_PY),tests/importer/requirements.txt)

# schemathesis, for make test-service: requests generated from the job service's OpenAPI document,
# every answer checked against it. A venv of its own: its pins need not agree with the primary's.
schemathesis-venv: $(SCHEMATHESIS_VENV)/.stamp
$(SCHEMATHESIS_VENV)/.stamp: tests/schemathesis/requirements.txt scripts/python-for.sh
	$(call locked_venv,$(SCHEMATHESIS_VENV),$(PRIMARY_PY),tests/schemathesis/requirements.txt)

# maturin, which packs the job service's static binary into a wheel per platform (make dist).
dist-venv: $(DIST_VENV)/.stamp
$(DIST_VENV)/.stamp: packaging/python/requirements.txt scripts/python-for.sh
	$(call locked_venv,$(DIST_VENV),$(PRIMARY_PY),packaging/python/requirements.txt)

# The modules for every target platform, and the job service for this machine (own profile).
build:
	scripts/build-binaries.sh
	cargo build --profile service --locked --bin ansible-job-service

# The job service as a user gets it, for x86_64 and aarch64 Linux (scripts/dist.sh): a static musl
# binary, a wheel that puts it on PATH (pip install ansible-job-service), and packaging/ (the
# systemd unit, sysusers.d, tmpfiles.d, an example config and tokens file). dist/ is not in git.
dist: dist-venv
	scripts/dist.sh $(DIST_VENV)/bin/maturin

# Build the Galaxy tarball and install it into a project-local path: what users get is what we test.
# It fails when a platform lacks a module binary, in binaries/ or in the tarball.
collection: venv build
	scripts/build-binaries.sh --check
	rm -rf $(COLLECTIONS)/dist $(INSTALLED)
	$(VENV)/bin/ansible-galaxy collection build --force --output-path $(COLLECTIONS)/dist . >/dev/null
	diff <(find binaries -type f | sort) <(tar -tzf $(TARBALL) | grep '^binaries/.*[^/]$$' | sort) \
	  || { echo "the tarball does not hold exactly binaries/" >&2; exit 1; }
	$(VENV)/bin/ansible-galaxy collection install --force -p $(COLLECTIONS) $(TARBALL) >/dev/null
	@echo "installed $(TARBALL) into $(COLLECTIONS)"

# The tarball `make collection` built and tested, installed where ansible-playbook looks for it.
# The user's own ansible config decides the search path, not the one this Makefile exports.
install: collection
	env -u ANSIBLE_COLLECTIONS_PATH $(VENV)/bin/ansible-galaxy collection install --force -p $(INSTALL_PATH) $(TARBALL)
	@echo "installed rstyczynski.ansible $(VERSION) into $(INSTALL_PATH)"

demo: collection
	examples/demo.sh

# Not part of `make test`: timings need a quiet machine.
bench: collection ssh-target oci-venv seed-venv
	tests/env/packages.sh
	cargo build --profile service --locked --bin ansible-job-service --bin loadgen --bin ceiling
	$(PY) bench/run_all.py

test: test-rust collection test-unit test-aarch64 test-lint test-sanity test-tarball test-integration test-oci test-e2e test-service test-dist test-fleet-matrix

# test-fleet and test-matrix at once: the fleet's tests spend most of their three minutes waiting
# on long jobs and cut links, time the matrix's smoke runs fill. The fleet's log is printed at the
# end (whole when it failed); either failing fails the target. The prerequisites are made once,
# here: -o keeps the two sub-makes from rebuilding the collection at the same time.
test-fleet-matrix: DONE = -o collection -o ssh-target -o matrix-venvs
test-fleet-matrix: collection ssh-target matrix-venvs
	@mkdir -p tests/.work; \
	( $(MAKE) --no-print-directory $(DONE) test-fleet > tests/.work/fleet.log 2>&1 ) & fleet=$$!; \
	rc=0; $(MAKE) --no-print-directory $(DONE) test-matrix || rc=1; \
	if wait $$fleet; then echo "fleet: $$(tail -1 tests/.work/fleet.log)"; \
	else rc=1; echo "fleet FAILED:"; cat tests/.work/fleet.log; fi; exit $$rc

test-rust:
	rustup component add clippy rustfmt >/dev/null 2>&1 || true
	cargo fmt --all --check
	cargo clippy --all-targets --locked -- -D warnings
	cargo test --locked

test-aarch64: build
	tests/aarch64/run.sh

# The plugins' Python alone: result parsing, the missing-binary message, the target cache scripts.
test-unit: venv
	$(PY) -m pytest -q -p no:cacheprovider tests/unit

test-lint: collection
	$(VENV)/bin/ansible-lint

test-sanity: collection
	tests/ansible-test.sh sanity

# What users, Galaxy and Automation Hub check on the tarball, on the one `make collection` built:
# ansible-test sanity on its installed copy, galaxy-importer, ansible-lint (tests/tarball-checks.sh).
test-tarball: collection importer-venv
	tests/tarball-checks.sh

test-integration: collection
	tests/ansible-test.sh integration

test-oci: collection oci-venv
	$(PY) -m pytest -q tests/oci

ssh-target:
	tests/env/sshd.sh start

# Two at a time: most of an e2e test is waiting on ansible-playbook and async jobs (13 min serial,
# 7 min with -n 2 on the 2-core CI machine). Every test works in its own tmp_path.
test-e2e: collection ssh-target
	$(PY) -m pytest -q -n 2 tests/e2e

# A fleet of three hosts in network namespaces, each with its own link and sshd (tests/env/fleet.sh):
# named jobs on every host, one host's link cut mid-wait, a job killed on one host. Needs root. One
# at a time: the tests share the fleet and cut its links; the session removes the fleet at the end.
test-fleet: collection
	tests/env/fleet.sh start
	$(PY) -m pytest -q tests/fleet

# The job service's API against the real binary on loopback ports, with real ansible-playbook runs.
# On the embedded store and on Redis (a redis-server per test), plus workers in network namespaces.
# The matrix venvs too: extra vars are proven to stay data under ansible-core 2.15, 2.19 and 2.21.
# schemathesis (tests/service/test_schemathesis.py) holds the service to its OpenAPI document.
test-service: venv build matrix-venvs schemathesis-venv
	tests/env/packages.sh
	tests/env/packages.sh /usr/bin/chromium:chromium
	$(PY) -m pytest -q -n 3 tests/service

# What `make dist` made, used as a user would, with no Rust on PATH: the wheel installed into a
# fresh venv serves the seed's curl sequence; systemd-analyze verify accepts the unit; the aarch64
# binary answers under qemu; both binaries are static (tests/dist).
test-dist: venv dist
	tests/env/packages.sh curl:curl file:file qemu-aarch64-static:qemu-user-static systemd-analyze:systemd
	env PATH="$$(tr ':' '\n' <<<"$$PATH" | grep -vx '$(HOME)/.cargo/bin' | paste -sd:)" \
	  $(PY) -m pytest -q -p no:cacheprovider tests/dist

# The smoke set (the demo, the roles save+load, async_task, async_wait, async_kill), on connection
# local and over SSH+become, under each older ansible-core of the matrix.
SMOKE := tests/unit tests/e2e/test_demo.py tests/e2e/test_async_task.py tests/e2e/test_async_wait.py \
         tests/e2e/test_async_kill.py tests/e2e/test_job_records.py::test_basic_usage_save_then_load \
         tests/e2e/test_job_records.py::test_found_again_after_the_controller_dies
test-matrix: collection ssh-target matrix-venvs
	@mkdir -p tests/.work/matrix; pids=(); \
	for m in $(MATRIX); do v=$${m%%:*}; \
	  ( E2E_VENV=$(CURDIR)/.venv-$$v $(CURDIR)/.venv-$$v/bin/python -m pytest -q -p no:cacheprovider $(SMOKE) \
	    > tests/.work/matrix/$$v.log 2>&1 ) & pids+=($$!); \
	done; rc=0; i=0; \
	for m in $(MATRIX); do v=$${m%%:*}; \
	  if wait $${pids[$$i]}; then echo "smoke set on ansible-core $$v: $$(tail -1 tests/.work/matrix/$$v.log)"; \
	  else rc=1; echo "smoke set on ansible-core $$v FAILED:"; cat tests/.work/matrix/$$v.log; fi; i=$$((i+1)); \
	done; exit $$rc

# Not part of `make test` (it needs nightly): each cargo-fuzz target for FUZZ_SECONDS, seeded with
# the job-file fixtures. The same properties run on stable inside `cargo test` (proptest).
FUZZ_SECONDS ?= 60
fuzz:
	rustup toolchain list | grep -q '^nightly' || rustup toolchain install nightly --profile minimal
	command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --locked
	cd fuzz && for t in $$(cargo +nightly fuzz list); do \
	  mkdir -p corpus/$$t; \
	  [ $$t != jobfile ] || cp ../crates/jobs/fixtures/*.json corpus/$$t/; \
	  echo "### fuzz $$t for $(FUZZ_SECONDS) s"; \
	  cargo +nightly fuzz run -O $$t corpus/$$t -- -max_total_time=$(FUZZ_SECONDS) -timeout=10 -rss_limit_mb=2048 || exit 1; \
	done

clean:
	rm -rf target binaries $(COLLECTIONS) tests/.work $(OCI_VENV) $(CURDIR)/.venv-*
