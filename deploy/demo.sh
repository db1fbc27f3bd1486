#!/usr/bin/env bash
# The main job: builds peergrid (installing Debian packages first if needed)
# and runs the demo — a simulated Jeju community (3 hubs, 300 households,
# shared batteries including second-life packs) trading for one day over real
# gRPC, then summed up and audited. A second run reuses the build and starts a
# fresh day. Data stays in ./peergrid-data/demo/ for exploring with peergridctl.
# Every process talks mutual TLS: the demo makes a zone CA and each process's
# certificate in ./peergrid-data/demo/tls/ (docs/SECURITY.md says how to use
# them with peergridctl).
# Extra arguments go to `peergridctl demo` (see --help).
set -euo pipefail
cd "$(dirname "$0")/.."
deploy/install-deps.sh
# ccache keys on paths relative to the checkout, so another clone reuses the cache.
export CCACHE_BASEDIR="$PWD"
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
ninja -C build -j"$(nproc)" peergridctl peergrid-exchange peergrid-hub
exec build/bin/peergridctl demo "$@"
