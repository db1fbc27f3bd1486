#!/usr/bin/env bash
# The builds CI runs besides deploy/test.sh's two, each in its own build
# directory (a second run reuses it, and ccache shares the compilations):
#
#   deploy/check-builds.sh --clang-thread-safety
#       clang-14 with -Wthread-safety -Werror (and our usual warnings), -O0
#       without -g: every library, binary and test, so every ABSL_GUARDED_BY /
#       ABSL_EXCLUSIVE_LOCKS_REQUIRED is checked. Benchmarks are left out.  (build-clang)
#   deploy/check-builds.sh --tsan
#       ThreadSanitizer build of the tests that use no gRPC (Debian's gRPC is not
#       instrumented), each run with halt_on_error. Their absl::Mutex is made
#       visible to TSan by tests/testing/src/absl_tsan_shim.cc.           (build-tsan)
#   deploy/check-builds.sh --release
#       the newcomer's build: Release, no tests or benchmarks, exactly the README
#       cmake line; each of the three binaries must print its usage on --help,
#       and cmake --install must lay out every file an operator needs.
#                                                                         (build-release)
#   deploy/check-builds.sh
#       all three, in that order.
#
# Prints each mode's wall time. Fails when any build, test or check fails.
set -euo pipefail
cd "$(dirname "$0")/.."

# The test executables the TSan build runs: the pure libraries', the ledger's,
# and the exchange's and telemetry store's (in-process, no gRPC).
TSAN_TESTS=(
  tests/testing/absl_tsan_shim_test
  common/common_test
  matching/matching_test
  hub/hub_test
  ledger/ledger_tlog_test
  ledger/ledger_merkle_cross_test
  ledger/ledger_test
  services/runtime/runtime_test
  services/exchange/exchange_test
  services/telemetry/telemetry_test
)
# Test cases TSan cannot judge, by executable. RocksDB is not instrumented
# either: when the ledger's group commit (Commit) and a checkpoint (Checkpoint)
# write at once, RocksDB's write-group leader appends the other thread's
# WriteBatch to its own, ordered only by RocksDB's internal atomics, which TSan
# cannot see. Because C++20 code instantiates std::string itself,
# libstdc++'s append called from RocksDB runs our instrumented copy, so TSan
# sees both accesses and reports a race inside RocksDB's buffers (not ours).
declare -A TSAN_SKIP=(
  [ledger/ledger_test]=LedgerTest.ConcurrentAppendsProofsAndCheckpoints
)

clang_thread_safety() {
  cmake -S . -B build-clang -G Ninja \
    -DCMAKE_C_COMPILER=clang-14 -DCMAKE_CXX_COMPILER=clang++-14 \
    -DCMAKE_BUILD_TYPE=Debug -DCMAKE_C_FLAGS_DEBUG=-O0 -DCMAKE_CXX_FLAGS_DEBUG=-O0 \
    "-DCMAKE_CXX_FLAGS=-Wthread-safety -Werror" \
    -DPEERGRID_BUILD_TESTS=ON -DPEERGRID_BUILD_BENCH=OFF >/dev/null
  ninja -C build-clang -j"$jobs"
}

tsan() {
  cmake -S . -B build-tsan -G Ninja \
    -DCMAKE_C_COMPILER=clang-14 -DCMAKE_CXX_COMPILER=clang++-14 \
    -DCMAKE_BUILD_TYPE=Debug "-DCMAKE_C_FLAGS_DEBUG=-O1 -gline-tables-only" \
    "-DCMAKE_CXX_FLAGS_DEBUG=-O1 -gline-tables-only" \
    -DPEERGRID_TSAN=ON -DPEERGRID_BUILD_TESTS=ON -DPEERGRID_BUILD_BENCH=OFF >/dev/null
  local targets=() t
  for t in "${TSAN_TESTS[@]}"; do targets+=("$(basename "$t")"); done
  ninja -C build-tsan -j"$jobs" "${targets[@]}"
  export TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1"
  for t in "${TSAN_TESTS[@]}"; do
    echo "tsan: $t${TSAN_SKIP[$t]:+ (skipping ${TSAN_SKIP[$t]})}"
    (cd build-tsan && "./$t" --gtest_brief=1 --gtest_filter="-${TSAN_SKIP[$t]:-}")
  done
}

release() {
  cmake -S . -B build-release -G Ninja -DCMAKE_BUILD_TYPE=Release \
    -DPEERGRID_BUILD_TESTS=OFF -DPEERGRID_BUILD_BENCH=OFF >/dev/null
  ninja -C build-release -j"$jobs"
  local bin out
  for bin in peergrid-exchange peergrid-hub peergridctl; do
    # Only the usage text is checked, not the exit status: the daemons' absl
    # --help exits 1.
    out=$("build-release/bin/$bin" --help 2>&1) || true
    if ! grep -qE "^(Usage: | +)$bin( |\$)" <<<"$out"; then
      echo "release: $bin --help printed no usage line:" >&2
      echo "$out" >&2
      return 1
    fi
  done
  if ! grep -q "^Subcommands:" <<<"$out"; then
    echo "release: peergridctl --help lists no subcommands:" >&2
    echo "$out" >&2
    return 1
  fi
  echo "release: peergrid-exchange, peergrid-hub and peergridctl print their usage"
  # cmake --install lays out what an operator installs (binaries, docs, units,
  # alert rules, the sample config).
  local prefix
  prefix=$(mktemp -d)
  cmake --install build-release --prefix "$prefix" >/dev/null
  local want
  for want in bin/peergrid-exchange bin/peergrid-hub bin/peergridctl \
              share/doc/peergrid/ARCHITECTURE.md lib/systemd/system/peergrid-exchange.service \
              share/peergrid/prometheus/peergrid-alerts.yml share/peergrid/examples/hub-jeju.toml; do
    if [ ! -e "$prefix/$want" ]; then
      echo "release: cmake --install did not install $want" >&2
      rm -rf "$prefix"
      return 1
    fi
  done
  rm -rf "$prefix"
  echo "release: cmake --install puts the binaries, docs, units, rules and sample config in place"
}

case "${1:-}" in
  --clang-thread-safety) modes=(clang_thread_safety) ;;
  --tsan) modes=(tsan) ;;
  --release) modes=(release) ;;
  "") modes=(clang_thread_safety tsan release) ;;
  *)
    echo "usage: deploy/check-builds.sh [--clang-thread-safety | --tsan | --release]" >&2
    exit 2
    ;;
esac

deploy/install-deps.sh
# ccache keys on paths relative to the checkout, so another clone reuses the cache.
export CCACHE_BASEDIR="$PWD"
jobs=$(nproc)
for mode in "${modes[@]}"; do
  echo "== check-builds: $mode =="
  start=$SECONDS
  "$mode"
  echo "check-builds: $mode took $((SECONDS - start)) s"
done
