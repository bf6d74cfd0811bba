#!/usr/bin/env bash
# Copyright (c) 2026 rstyczynski.ansible contributors
# SPDX-License-Identifier: MIT
# Builds the module binaries and puts them where the action plugins look: binaries/<system>-<arch>/.
# Every platform gets every module binary, or the build fails: a tarball with a platform directory
# that lacks a module would make that module fail on that platform with a message that contradicts
# itself ("no binary for linux-aarch64; this collection has binaries for: linux-aarch64").
#   scripts/build-binaries.sh            build all platforms, then check binaries/
#   scripts/build-binaries.sh --check    only check binaries/ (no cargo build)
# The module list is not written down here: it is every [[bin]] of the crates host-modules and
# controller-modules, as cargo metadata reports them.
set -euo pipefail
cd "$(dirname "$0")/.."

PLATFORMS=(linux-x86_64 linux-aarch64)

bins_of() {  # <package>: the binary targets cargo knows for it, one a line
  cargo metadata --no-deps --format-version 1 --locked | python3 -c '
import json, sys
pkg = sys.argv[1]
for p in json.load(sys.stdin)["packages"]:
    if p["name"] == pkg:
        for t in p["targets"]:
            if "bin" in t["kind"]:
                print(t["name"])
' "$1"
}

mapfile -t HOST_BINS < <(bins_of host-modules)
mapfile -t CONTROLLER_BINS < <(bins_of controller-modules)

check_bin() {
  local missing=() plat b
  if [ ${#HOST_BINS[@]} -eq 0 ] || [ ${#CONTROLLER_BINS[@]} -eq 0 ]; then
    echo "build-binaries: cargo metadata lists no module binaries" >&2
    return 1
  fi
  for plat in "${PLATFORMS[@]}"; do
    for b in "${HOST_BINS[@]}" "${CONTROLLER_BINS[@]}"; do
      [ -x "binaries/$plat/$b" ] || missing+=("binaries/$plat/$b")
    done
  done
  # A directory no one asked for would be advertised by the action plugins as a platform.
  for dir in binaries/*/; do
    [ -d "$dir" ] || continue
    plat=$(basename "$dir")
    [[ " ${PLATFORMS[*]} " == *" $plat "* ]] || missing+=("binaries/$plat is not a platform this build makes")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    printf 'build-binaries: incomplete binaries/:\n' >&2
    printf '  %s\n' "${missing[@]}" >&2
    return 1
  fi
  echo "binaries/ complete: ${PLATFORMS[*]} x ${HOST_BINS[*]} ${CONTROLLER_BINS[*]}"
}

if [ "${1:-}" = --check ]; then
  check_bin
  exit
fi

install_target() {
  rustup target list --installed 2>/dev/null | grep -qx "$1" && return
  rustup target add "$1" >/dev/null || { echo "build-binaries: could not install the rustup target $1 (it needs network)" >&2; return 1; }
}

# ring (TLS and signing in the controller modules) compiles C, so aarch64 needs a cross C compiler,
# and its libc headers: without them the cross gcc falls back to the build machine's /usr/include.
aarch64_gcc_works() {
  command -v aarch64-linux-gnu-gcc >/dev/null && echo '#include <stdint.h>' | aarch64-linux-gnu-gcc -E - >/dev/null 2>&1
}
need_aarch64_gcc() {
  aarch64_gcc_works && return
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "build-binaries: installing gcc-aarch64-linux-gnu libc6-dev-arm64-cross" >&2
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
      gcc-aarch64-linux-gnu libc6-dev-arm64-cross </dev/null >/dev/null
  fi
  aarch64_gcc_works || {
    echo "build-binaries: no aarch64 C compiler with headers; install Debian's gcc-aarch64-linux-gnu and libc6-dev-arm64-cross (or your system's equivalent)" >&2
    return 1
  }
}

build_for() {  # <rust target> <platform dir>
  local target=$1 plat=$2
  cargo build --release --locked --target "$target" -p host-modules -p controller-modules
  mkdir -p "binaries/$plat"
  for b in "${HOST_BINS[@]}" "${CONTROLLER_BINS[@]}"; do
    install -m 0755 "target/$target/release/$b" "binaries/$plat/$b"
  done
}

# ring's C code is freestanding, so the system gcc serves for musl when musl-gcc is not installed.
export CC_x86_64_unknown_linux_musl=${CC_x86_64_unknown_linux_musl:-$(command -v musl-gcc || command -v x86_64-linux-musl-gcc || echo gcc)}
export CC_aarch64_unknown_linux_musl=${CC_aarch64_unknown_linux_musl:-aarch64-linux-gnu-gcc}
export AR_aarch64_unknown_linux_musl=${AR_aarch64_unknown_linux_musl:-aarch64-linux-gnu-ar}

rm -rf binaries
if install_target x86_64-unknown-linux-musl; then
  build_for x86_64-unknown-linux-musl linux-x86_64
else
  # No musl target: glibc with crt-static is still a self-contained static binary.
  echo "musl target unavailable; building static glibc binaries" >&2
  RUSTFLAGS="-C target-feature=+crt-static" build_for x86_64-unknown-linux-gnu linux-x86_64
fi

install_target aarch64-unknown-linux-musl
need_aarch64_gcc
build_for aarch64-unknown-linux-musl linux-aarch64

ls -l binaries/*/
check_bin
