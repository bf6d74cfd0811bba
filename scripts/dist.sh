#!/usr/bin/env bash
# Copyright (c) 2026 rstyczynski.ansible contributors
# SPDX-License-Identifier: MIT
# Release artifacts of the job service in dist/ (make dist), for x86_64 and aarch64 Linux:
#   ansible-job-service-<version>-<arch>-linux            the static (musl) binary
#   ansible-job-service-<version>-<arch>-linux.tar.gz     that binary, packaging/ and LICENSE
#   ansible_job_service-<version>-py3-none-<tags>.whl     a wheel that puts the binary on PATH
#   SHA256SUMS
# Static, so that one file runs on any Linux of its architecture, whatever its libc: the wheel
# tags say both manylinux (glibc) and musllinux. Used with no Rust: tests/dist (make test-dist).
#   scripts/dist.sh PATH-TO-MATURIN
set -euo pipefail
cd "$(dirname "$0")/.."
maturin=${1:?usage: scripts/dist.sh PATH-TO-MATURIN}
maturin=$(realpath "$maturin")
version=$(cargo metadata --no-deps --format-version 1 --locked |
  python3 -c 'import json,sys; print(next(p["version"] for p in json.load(sys.stdin)["packages"] if p["name"] == "job-service"))')

# rusqlite's bundled SQLite is C, as ring's is for the modules (scripts/build-binaries.sh): the
# system gcc compiles it for x86_64 musl, Debian's aarch64-linux-gnu-gcc for aarch64; rust-lld
# links aarch64 (.cargo/config.toml) against the rustup target's self-contained musl.
export CC_x86_64_unknown_linux_musl=${CC_x86_64_unknown_linux_musl:-$(command -v musl-gcc || command -v x86_64-linux-musl-gcc || echo gcc)}
export CC_aarch64_unknown_linux_musl=${CC_aarch64_unknown_linux_musl:-aarch64-linux-gnu-gcc}
export AR_aarch64_unknown_linux_musl=${AR_aarch64_unknown_linux_musl:-aarch64-linux-gnu-ar}
# Those compilers see glibc's headers, which rename open, stat, fcntl, mmap, pread... to their
# *64 forms when SQLite asks for large files; musl has no such symbols (the link fails naming
# them). On 64-bit targets off_t is 64 bits anyway, so SQLite's large-file switch changes nothing
# but the names: turned off, every symbol SQLite calls is one musl's libc.a defines (checked with
# nm against the rustup target's self-contained libc.a).
export CFLAGS_x86_64_unknown_linux_musl="${CFLAGS_x86_64_unknown_linux_musl:-} -DSQLITE_DISABLE_LFS"
export CFLAGS_aarch64_unknown_linux_musl="${CFLAGS_aarch64_unknown_linux_musl:-} -DSQLITE_DISABLE_LFS"

for target in x86_64-unknown-linux-musl aarch64-unknown-linux-musl; do
  rustup target list --installed 2>/dev/null | grep -qx "$target" ||
    rustup target add "$target" >/dev/null ||
    { echo "dist: could not install the rustup target $target (it needs network)" >&2; exit 1; }
done
if ! command -v aarch64-linux-gnu-gcc >/dev/null; then
  echo "dist: no aarch64 C compiler for SQLite: install Debian's gcc-aarch64-linux-gnu and libc6-dev-arm64-cross" >&2
  exit 1
fi

rm -rf dist
mkdir -p dist
for target in x86_64-unknown-linux-musl aarch64-unknown-linux-musl; do
  arch=${target%%-*}
  name=ansible-job-service-$version-$arch-linux
  # maturin runs cargo (profile and --locked from packaging/python/pyproject.toml), so the wheel
  # holds the very binary published beside it. Both tags: a static binary needs no libc.
  (cd packaging/python && "$maturin" build --quiet --target "$target" \
    --compatibility manylinux_2_17 musllinux_1_2 --out "$OLDPWD/dist")
  bin=target/$target/service/ansible-job-service
  file "$bin" | grep -Eq 'statically linked|static-pie linked' ||
    { echo "dist: $bin is not static: $(file "$bin")" >&2; exit 1; }
  install -m 0755 "$bin" "dist/$name"
  stage=$(mktemp -d)
  mkdir "$stage/$name"
  install -m 0755 "$bin" "$stage/$name/ansible-job-service"
  cp -r packaging/systemd packaging/config.toml.example packaging/tokens.example LICENSE "$stage/$name/"
  # The same bytes from the same sources: no owner, time or gzip name stamp of this machine.
  tar -C "$stage" --owner=0 --group=0 --numeric-owner --sort=name --mtime=@0 -cf - "$name" | gzip -n > "dist/$name.tar.gz"
  rm -rf "$stage"
done
(cd dist && sha256sum -- * > SHA256SUMS)
ls -l dist/
