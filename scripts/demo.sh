#!/usr/bin/env bash
# The main job: builds palisade (a debug build: quick to compile; the demo itself takes well
# under a second) and runs its demo on the bundled example cluster (examples/).
# Installs the Debian packages the build needs when they are missing (root or sudo).
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/ensure-packages.sh
exec cargo run --locked -q -p palisade-cli -- demo "$@"
