#!/usr/bin/env bash
# Builds the module binaries and puts them where the action plugins look: bin/<system>-<arch>/.
# x86_64 is required; aarch64 is built when its rustup target can be installed (it needs network).
set -euo pipefail
cd "$(dirname "$0")/.."

# On-host modules and the controller-side record modules: all are static binaries.
BINS=(async_status_id async_alias async_job_save async_job_load)
PACKAGES=(-p host-modules -p controller-modules)

install_target() {
  rustup target list --installed 2>/dev/null | grep -qx "$1" || rustup target add "$1" >/dev/null 2>&1
}

build_for() {  # <rust target> <platform dir>
  local target=$1 plat=$2
  cargo build --release --locked --target "$target" "${PACKAGES[@]}"
  mkdir -p "bin/$plat"
  for b in "${BINS[@]}"; do
    install -m 0755 "target/$target/release/$b" "bin/$plat/$b"
  done
}

if install_target x86_64-unknown-linux-musl; then
  build_for x86_64-unknown-linux-musl linux-x86_64
else
  # No musl target: glibc with crt-static is still a self-contained static binary.
  echo "musl target unavailable; building static glibc binaries" >&2
  RUSTFLAGS="-C target-feature=+crt-static" build_for x86_64-unknown-linux-gnu linux-x86_64
fi

if install_target aarch64-unknown-linux-musl; then
  build_for aarch64-unknown-linux-musl linux-aarch64
else
  echo "aarch64-unknown-linux-musl could not be installed; skipping aarch64 binaries" >&2
  rm -rf bin/linux-aarch64
fi
ls -l bin/*/
