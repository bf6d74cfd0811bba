#!/usr/bin/env bash
# Builds the module binaries and puts them where the action plugins look: bin/<system>-<arch>/.
# x86_64 is required. aarch64 is built when its rustup target can be installed (it needs network):
# the on-host modules always (pure Rust, linked by rust-lld), the controller modules only when an
# aarch64 C compiler is there for ring (Debian's gcc-aarch64-linux-gnu).
set -euo pipefail
cd "$(dirname "$0")/.."

HOST_BINS=(async_status_id async_alias async_kill async_task)
CONTROLLER_BINS=(async_job_save async_job_load)

install_target() {
  rustup target list --installed 2>/dev/null | grep -qx "$1" || rustup target add "$1" >/dev/null 2>&1
}

build_for() {  # <rust target> <platform dir> <package>...
  local target=$1 plat=$2; shift 2
  local args=() bins=()
  for pkg in "$@"; do
    args+=(-p "$pkg")
    case $pkg in
      host-modules) bins+=("${HOST_BINS[@]}") ;;
      controller-modules) bins+=("${CONTROLLER_BINS[@]}") ;;
    esac
  done
  cargo build --release --locked --target "$target" "${args[@]}"
  mkdir -p "bin/$plat"
  for b in "${bins[@]}"; do
    install -m 0755 "target/$target/release/$b" "bin/$plat/$b"
  done
}

# ring (TLS and signing in the controller modules) compiles a little C. Its code is freestanding,
# so the system gcc serves for musl when musl-gcc is not installed.
export CC_x86_64_unknown_linux_musl=${CC_x86_64_unknown_linux_musl:-$(command -v musl-gcc || command -v x86_64-linux-musl-gcc || echo gcc)}

rm -rf bin
if install_target x86_64-unknown-linux-musl; then
  build_for x86_64-unknown-linux-musl linux-x86_64 host-modules controller-modules
else
  # No musl target: glibc with crt-static is still a self-contained static binary.
  echo "musl target unavailable; building static glibc binaries" >&2
  RUSTFLAGS="-C target-feature=+crt-static" build_for x86_64-unknown-linux-gnu linux-x86_64 host-modules controller-modules
fi

if install_target aarch64-unknown-linux-musl; then
  if command -v aarch64-linux-gnu-gcc >/dev/null; then
    CC_aarch64_unknown_linux_musl=aarch64-linux-gnu-gcc build_for aarch64-unknown-linux-musl linux-aarch64 host-modules controller-modules
  else
    build_for aarch64-unknown-linux-musl linux-aarch64 host-modules
    echo "no aarch64 C compiler: aarch64 controller modules (async_job_save/load) not built" >&2
  fi
else
  echo "aarch64-unknown-linux-musl could not be installed; skipping aarch64 binaries" >&2
fi
ls -l bin/*/
