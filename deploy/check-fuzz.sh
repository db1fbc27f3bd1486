#!/usr/bin/env bash
# Fuzzing in CI (issue 12, DESIGN.md §9): builds the libFuzzer targets of
# tests/fuzz/ with clang-14 (-DPEERGRID_FUZZ=ON: ASan+UBSan and coverage on
# every library) in build-fuzz, then runs each for a fixed time on its seed
# corpus (tests/fuzz/corpus/<target>/, read only: new inputs go to a scratch
# copy). Fails on any crash, leak, sanitizer report or timeout; the input that
# did it is saved as build-fuzz/artifacts/<target>-crash-… and printed.
#
#   deploy/check-fuzz.sh                 build, then run every target FUZZ_SECONDS (20) each
#   deploy/check-fuzz.sh TARGET...       only these (e.g. note receipt)
#   deploy/check-fuzz.sh --seeds         rewrite tests/fuzz/corpus from real messages
#                                        (bin/fuzz_make_seeds), then exit
#
# Reproduce a crash: build-fuzz/bin/<target>_fuzz build-fuzz/artifacts/<file>.
# Same compiler and ccache as deploy/check-builds.sh's clang build.
set -euo pipefail
cd "$(dirname "$0")/.."

deploy/install-deps.sh
export CCACHE_BASEDIR="$PWD"
seconds=${FUZZ_SECONDS:-20}
jobs=$(nproc)

mapfile -t all < <(cd tests/fuzz && ls -- *_fuzz.cc | sed 's/_fuzz\.cc$//')
seeds=0
targets=()
for arg in "$@"; do
  case "$arg" in
    --seeds) seeds=1 ;;
    -*) echo "usage: deploy/check-fuzz.sh [--seeds | TARGET...]" >&2; exit 2 ;;
    *) targets+=("$arg") ;;
  esac
done
[ ${#targets[@]} -eq 0 ] && targets=("${all[@]}")

cmake -S . -B build-fuzz -G Ninja \
  -DCMAKE_C_COMPILER=clang-14 -DCMAKE_CXX_COMPILER=clang++-14 \
  -DCMAKE_BUILD_TYPE=Debug "-DCMAKE_C_FLAGS_DEBUG=-O1 -gline-tables-only" \
  "-DCMAKE_CXX_FLAGS_DEBUG=-O1 -gline-tables-only" \
  -DPEERGRID_FUZZ=ON -DPEERGRID_WERROR=ON -DPEERGRID_BUILD_TESTS=OFF \
  -DPEERGRID_BUILD_BENCH=OFF >/dev/null

# The fuzz zone's RocksDB directories and the export target's files.
scratch=$(mktemp -d "${TMPDIR:-/tmp}/peergrid-check-fuzz.XXXXXX")
trap 'rm -rf "$scratch"' EXIT
export TMPDIR="$scratch"
export ASAN_OPTIONS="abort_on_error=0:detect_leaks=1:allocator_may_return_null=1"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"

if [ $seeds -eq 1 ]; then
  ninja -C build-fuzz -j"$jobs" fuzz_make_seeds
  rm -rf tests/fuzz/corpus
  build-fuzz/bin/fuzz_make_seeds tests/fuzz/corpus "$PWD"
  echo "fuzz: wrote $(find tests/fuzz/corpus -type f | wc -l) seeds to tests/fuzz/corpus"
  exit 0
fi

binaries=()
for t in "${targets[@]}"; do binaries+=("${t}_fuzz"); done
ninja -C build-fuzz -j"$jobs" "${binaries[@]}"

mkdir -p build-fuzz/artifacts
failed=()
for t in "${targets[@]}"; do
  if [ ! -d "tests/fuzz/corpus/$t" ]; then
    echo "fuzz: $t has no seed corpus tests/fuzz/corpus/$t" >&2
    failed+=("$t")
    continue
  fi
  mkdir -p "$scratch/corpus-$t"
  log="build-fuzz/artifacts/$t.log"
  start=$SECONDS
  # -timeout: one input over 25 s is a hang; -rss_limit_mb: a leak or a
  # buffer that grows without bound.
  if "build-fuzz/bin/${t}_fuzz" -max_total_time="$seconds" -timeout=25 -rss_limit_mb=2560 \
       -max_len=65536 -print_final_stats=1 -artifact_prefix="build-fuzz/artifacts/$t-" \
       "$scratch/corpus-$t" "tests/fuzz/corpus/$t" >"$log" 2>&1; then
    runs=$(grep -oE 'stat::number_of_executed_units: *[0-9]+' "$log" | grep -oE '[0-9]+$' || true)
    echo "fuzz: $t ok (${runs:-?} runs in $((SECONDS - start)) s)"
  else
    echo "fuzz: $t FAILED after $((SECONDS - start)) s; the end of $log:" >&2
    tail -n 60 "$log" >&2
    failed+=("$t")
  fi
done
if [ ${#failed[@]} -ne 0 ]; then
  echo "fuzz: failed: ${failed[*]}" >&2
  exit 1
fi
echo "fuzz: all ${#targets[@]} targets ran ${seconds} s each without a crash"
