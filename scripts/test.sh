#!/usr/bin/env bash
# The full Palisade test suite: formatting, lints, docs, a bench smoke run, and every test —
# including the kernel tests (eBPF test-run and attach, nftables, network namespaces), which need
# root. Installs what it needs on a fresh Debian machine (as root, or with sudo available).
#
# Not root? The kernel tests fail loudly; set PALISADE_SKIP_KERNEL_TESTS=1 to have them print
# "SKIPPED (not root)" instead (never a silent pass).
set -euo pipefail
cd "$(dirname "$0")/.."

./scripts/ensure-packages.sh

export CARGO_TERM_COLOR=never
# Keep the build lean on disk: no incremental caches (CI builds once, from clean).
export CARGO_INCREMENTAL=0
export RUSTFLAGS="${RUSTFLAGS:-} -D warnings"
export RUSTDOCFLAGS="${RUSTDOCFLAGS:-} -D warnings"
# The conformance suite must run the kernel engines (eBPF, nftables) unless told to skip them.
if [ "${PALISADE_SKIP_KERNEL_TESTS:-0}" != "1" ]; then
  export PALISADE_REQUIRE_KERNEL_ENGINES=1
fi

# The optional k8s-openapi conversions: the library never picks a Kubernetes version, so the
# checks select one here.
k8s_features=(--features k8s-openapi,k8s-openapi/latest)

step() {
  echo "== $* ($(date -u +%H:%M:%S); $(df -h --output=avail . | tail -1 | tr -d ' ') free on disk)"
}

step cargo fmt --check
cargo fmt --all -- --check
step cargo clippy
cargo clippy --workspace --all-targets --locked -- -D warnings
cargo clippy -p palisade-policy-model --all-targets --locked "${k8s_features[@]}" -- -D warnings
step cargo doc
cargo doc --workspace --no-deps --locked --quiet
step "cargo bench (smoke: each benchmark runs once)"
cargo bench --workspace --locked -- --test
step cargo test
cargo test --workspace --locked
cargo test -p palisade-policy-model --locked "${k8s_features[@]}" --test k8s_openapi
step done
