# rstyczynski.ansible: everything a fresh machine needs goes through these targets.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c

VENV        := $(CURDIR)/.venv
OCI_VENV    := $(CURDIR)/.venv-oci
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

.PHONY: help venv oci-venv build collection install demo bench test test-rust test-aarch64 test-lint test-sanity test-integration test-e2e test-oci ssh-target clean

help:
	@echo "make demo   - set up, build, install the collection and run the named-job demo"
	@echo "make test   - every test: Rust, aarch64 under qemu, sanity, ansible-test integration, playbooks over local and SSH+become"
	@echo "make install [INSTALL_PATH=dir] - build the collection and install it (default ~/.ansible/collections)"

venv: $(VENV)/.stamp
$(VENV)/.stamp: tests/requirements.txt
	python3 -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check -r tests/requirements.txt
	touch $@

# The official OCI SDK and CLI, pinned, in a venv of their own: test oracles and the interop peer.
oci-venv: $(OCI_VENV)/.stamp
$(OCI_VENV)/.stamp: tests/oci/requirements.txt
	python3 -m venv $(OCI_VENV)
	$(OCI_VENV)/bin/pip install --quiet --disable-pip-version-check -r tests/oci/requirements.txt
	touch $@

build:
	scripts/build-binaries.sh

# Build the Galaxy tarball and install it into a project-local path: what users get is what we test.
# It fails when a platform lacks a module binary, in bin/ or in the tarball.
collection: venv build
	scripts/build-binaries.sh --check
	rm -rf $(COLLECTIONS)/dist $(INSTALLED)
	$(VENV)/bin/ansible-galaxy collection build --force --output-path $(COLLECTIONS)/dist . >/dev/null
	diff <(find bin -type f | sort) <(tar -tzf $(TARBALL) | grep '^bin/.*[^/]$$' | sort) \
	  || { echo "the tarball does not hold exactly bin/" >&2; exit 1; }
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
bench: collection ssh-target oci-venv
	$(PY) bench/run_all.py

test: test-rust collection test-aarch64 test-lint test-sanity test-integration test-oci test-e2e

test-rust:
	rustup component add clippy rustfmt >/dev/null 2>&1 || true
	cargo fmt --all --check
	cargo clippy --all-targets --locked -- -D warnings
	cargo test --locked

test-aarch64: build
	tests/aarch64/run.sh

test-lint: collection
	$(VENV)/bin/ansible-lint

test-sanity: collection
	tests/ansible-test.sh sanity

test-integration: collection
	tests/ansible-test.sh integration

test-oci: collection oci-venv
	$(PY) -m pytest -q tests/oci

ssh-target:
	tests/env/sshd.sh start

test-e2e: collection ssh-target
	$(PY) -m pytest -q tests/e2e

clean:
	rm -rf target bin $(COLLECTIONS) tests/.work $(OCI_VENV)
