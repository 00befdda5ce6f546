#!/usr/bin/env bash
# The full Palisade test suite: formatting, lints, docs, every test, and a bench smoke run.
# Installs what it needs on a fresh Debian machine (run as root, or with sudo available).
set -euo pipefail
cd "$(dirname "$0")/.."

# System packages the build and tests need (Debian names). Installed only when missing.
# (The selector, model and CLI crates need none beyond a C toolchain; dataplane crates add theirs here.)
packages=(gcc pkg-config)
missing=()
for p in "${packages[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing: ${missing[*]}"
  sudo_cmd=""
  [ "$(id -u)" -ne 0 ] && sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq "${missing[@]}"
fi

export CARGO_TERM_COLOR=never
export RUSTFLAGS="${RUSTFLAGS:-} -D warnings"
export RUSTDOCFLAGS="${RUSTDOCFLAGS:-} -D warnings"

echo "== cargo fmt --check"
cargo fmt --all -- --check
echo "== cargo clippy"
cargo clippy --workspace --all-targets --locked -- -D warnings
echo "== cargo doc"
cargo doc --workspace --no-deps --locked --quiet
echo "== cargo bench (smoke: each benchmark runs once)"
cargo bench --workspace --locked -- --test
echo "== cargo test"
cargo test --workspace --locked
