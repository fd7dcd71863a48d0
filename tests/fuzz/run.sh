#!/usr/bin/env bash
# Runs one fuzz target (docs/reliability.md, "Fuzzing"):
#   tests/fuzz/run.sh TARGET SECONDS [libFuzzer flags...]
#   TARGET: csv json deploy lp dsl
# Configures and builds build-fuzz (clang-14, -DFOLIO_FUZZ=ON: libFuzzer,
# ASan, UBSan) when needed, then fuzzes for SECONDS from the seed corpus
# tests/fuzz/TARGET/. New inputs go to build-fuzz/corpus/TARGET/ (not the
# repository); a crash is saved under build-fuzz/crashes/TARGET/ and makes
# the exit status non-zero. To replay an input:
#   build-fuzz/tests/fuzz/fuzz_TARGET FILE
# FUZZ_BUILD (build-fuzz), FUZZ_CC (clang-14) and JOBS (2) override.
set -euo pipefail
cd "$(dirname "$0")/../.."

if [ $# -lt 2 ]; then echo "usage: tests/fuzz/run.sh csv|json|deploy|lp|dsl SECONDS [libFuzzer flags...]" >&2; exit 2; fi
target=$1 seconds=$2
shift 2
case $target in csv|json|deploy|lp|dsl) ;; *) echo "run.sh: unknown target '$target'" >&2; exit 2 ;; esac
build=${FUZZ_BUILD:-build-fuzz}

if [ ! -f "$build/CMakeCache.txt" ]; then
  cmake -S . -B "$build" -DCMAKE_C_COMPILER="${FUZZ_CC:-clang-14}" -DCMAKE_BUILD_TYPE=Debug \
        -DFOLIO_FUZZ=ON -DFOLIO_TESTS=OFF -DFOLIO_BENCH=OFF >/dev/null
fi
cmake --build "$build" -j "${JOBS:-2}" --target "fuzz_$target" >/dev/null

corpus="$build/corpus/$target" crashes="$build/crashes/$target"
mkdir -p "$corpus" "$crashes"
dict=()
[ -f "tests/fuzz/$target.dict" ] && dict=("-dict=tests/fuzz/$target.dict")
export ASAN_OPTIONS="detect_leaks=1${ASAN_OPTIONS:+:$ASAN_OPTIONS}"
export LSAN_OPTIONS="suppressions=$PWD/tests/fuzz/lsan.supp${LSAN_OPTIONS:+:$LSAN_OPTIONS}"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1${UBSAN_OPTIONS:+:$UBSAN_OPTIONS}"
export OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1
echo "run.sh: fuzzing $target for $seconds s" >&2
"$build/tests/fuzz/fuzz_$target" -max_total_time="$seconds" -timeout=30 -rss_limit_mb=2560 \
  -max_len=65536 -print_final_stats=1 -artifact_prefix="$crashes/" "${dict[@]}" "$@" \
  "$corpus" "tests/fuzz/$target"
