#!/usr/bin/env bash
# Builds peergrid and runs the whole test suite (unit, integration, end-to-end).
# Installs the Debian packages it needs first; a second run reuses the build.
#
#   deploy/test.sh               RelWithDebInfo build in ./build, then ctest
#   deploy/test.sh --sanitize    ASan+UBSan build in ./build-asan, then ctest
# Both build with PEERGRID_WERROR=ON: any warning in our code fails the run.
set -euo pipefail
cd "$(dirname "$0")/.."

build_dir=build
cmake_args=(-DCMAKE_BUILD_TYPE=RelWithDebInfo -DPEERGRID_WERROR=ON)
ctest_args=()
if [ "${1:-}" = "--sanitize" ]; then
  build_dir=build-asan
  cmake_args=(-DCMAKE_BUILD_TYPE=Debug -DPEERGRID_SANITIZE=ON -DPEERGRID_BUILD_BENCH=OFF
    -DPEERGRID_WERROR=ON)
  # Debian's gRPC is not instrumented; leaks in its static singletons are not ours.
  export ASAN_OPTIONS="detect_leaks=0:abort_on_error=1"
  export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
  ctest_args+=(--label-exclude slow)
fi

deploy/install-deps.sh
# ccache keys on paths relative to the checkout, so another clone reuses the cache.
export CCACHE_BASEDIR="$PWD"
jobs=$(nproc)
cmake -S . -B "$build_dir" -G Ninja "${cmake_args[@]}" >/dev/null
ninja -C "$build_dir" -j"$jobs"
cd "$build_dir"
ctest --output-on-failure -j"$jobs" --timeout 600 "${ctest_args[@]}"
