#!/usr/bin/env bash
# Allocation-failure sweep (docs/reliability.md, "Allocation failures").
#   tests/alloc/sweep.sh FOLIO [SCENARIO...]
# FOLIO is a build with -DFOLIO_ALLOC_FAIL=ON (and -DFOLIO_SANITIZE=ON for
# the leak check). For each scenario, a run without failures counts the
# process's allocation requests (N) and gives the expected outcome; then
# one run per swept k fails request k (FOLIO_FAIL_ALLOC_AT=k). Each must
# end cleanly: either as the baseline did (Lua's emergency collection
# retried the request, or the caller had a fallback) with the same output,
# or with exit code 1 and a message line on stderr that says memory ran
# out (a deployment may add a second: its record not written; plus the
# script frames of the traceback), with no crash, no abort
# and no sanitizer report (ASan, UBSan, LeakSanitizer).
#   SWEEP_MAX=n    at most n points per scenario, spread evenly (default:
#                  every k from 1 to N)
#   SWEEP_JOBS=j   parallel runs (default 2)
#   SWEEP_MODE=once|from   fail request k only (default), or k and every
#                  later one (memory gone for good: no retry can succeed)
# Scenarios: build, glpk, cbc, qp, cim, report, deploy, lpfile.
# A failure that matches a line of tests/alloc/known.txt (an open finding
# in code this sweep does not fix) is listed as KNOWN and does not fail the
# sweep; any other failure does.
set -uo pipefail
folio=$(realpath "$1"); shift
here=$(cd "$(dirname "$0")" && pwd)
scenarios=("$@")
[ ${#scenarios[@]} -eq 0 ] && scenarios=(build glpk cbc qp cim report deploy lpfile)
max=${SWEEP_MAX:-0}
jobs=${SWEEP_JOBS:-2}
case ${SWEEP_MODE:-once} in
  once) at_suffix="" ;;
  from) at_suffix="+" ;;
  *) echo "sweep.sh: SWEEP_MODE is once or from" >&2; exit 2 ;;
esac

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp "$here/model.lua" "$here/deploy.json" "$here/model.lp" "$work/"
export ASAN_OPTIONS="detect_leaks=1:exitcode=97:abort_on_error=0${ASAN_OPTIONS:+:$ASAN_OPTIONS}"
export LSAN_OPTIONS="exitcode=96${LSAN_OPTIONS:+:$LSAN_OPTIONS}"
export UBSAN_OPTIONS="halt_on_error=1:exitcode=98:print_stacktrace=1${UBSAN_OPTIONS:+:$UBSAN_OPTIONS}"
export OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 NO_COLOR=1

# The command of a scenario, run in its own folder $dir.
command_of() {
  local s=$1 dir=$2
  case $s in
    build) echo "$folio run model.lua --set solver=none" ;;
    glpk|cbc|qp|cim) echo "$folio run model.lua --set solver=$s" ;;
    report) echo "$folio run model.lua --set solver=glpk --json $dir/out.json --report $dir/out.html" ;;
    deploy) echo "env FOLIO_ALLOC_OUT=$dir/out $folio run deploy.json" ;;
    lpfile) echo "$folio solve model.lp --json $dir/out.json" ;;
    *) echo "sweep.sh: unknown scenario '$s'" >&2; exit 2 ;;
  esac
}

# Solve times and dates differ from run to run.
normalise() { sed -E 's/[0-9][0-9.e+-]* s\b/T s/g; s/[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]+Z/DATE/g' "$1"; }

# One point: scenario s, k; prints "ok", "absorbed" or "FAIL ...".
run_point() {
  local s=$1 k=$2 dir="$work/$1.$2"
  mkdir -p "$dir" && cp "$work/model.lua" "$work/deploy.json" "$work/model.lp" "$dir/"
  local cmd; cmd=$(command_of "$s" "$dir")
  (cd "$dir" && FOLIO_FAIL_ALLOC_AT=$k$at_suffix $cmd >"$dir/stdout" 2>"$dir/stderr")
  local rc=$? base_rc; base_rc=$(cat "$work/$s.rc")
  local why=""
  if grep -qE "Sanitizer|runtime error:|AddressSanitizer|LeakSanitizer" "$dir/stderr"; then
    why="sanitizer report"
  elif [ $rc -eq "$base_rc" ]; then
    if [ "$(normalise "$dir/stdout")" != "$(normalise "$work/$s.stdout")" ]; then why="exit $rc as without the failure, but other output"
    elif [ -s "$dir/stderr" ] && ! cmp -s "$dir/stderr" "$work/$s.stderr"; then why="exit $rc as without the failure, but other messages"
    fi
    [ -z "$why" ] && { echo "absorbed $s $k"; rm -rf "$dir"; return; }
  elif [ $rc -ne 1 ]; then
    why="exit $rc"
  else
    # message lines (the traceback's script frames aside): one, or one per
    # failed step (a deployment's script, then its record), each naming memory
    local lines; lines=$(grep -vE '^stack traceback \(script frames\):$|^  [^ ].*:[0-9]+ in ' "$dir/stderr")
    if [ -z "$lines" ] || grep -qviE "memory" <<<"$lines"; then why="exit 1 without an out-of-memory message"
    elif [ "$(wc -l <<<"$lines")" -gt 2 ]; then why="more than two message lines"
    fi
  fi
  if [ -n "$why" ]; then
    echo "FAIL $s $k: $why: $(head -c 300 "$dir/stderr" | tr '\n' '|')"
  else
    echo "ok $s $k"
    rm -rf "$dir"
  fi
}
export -f run_point command_of normalise
export folio work at_suffix

# the known findings' patterns, one extended regex a line
known=$(grep -v '^#' "$here/known.txt" 2>/dev/null | cut -f1 | grep . || true)
is_known() { [ -n "$known" ] && grep -qE -f <(printf '%s\n' "$known") <<<"$1"; }

total=0 fails=0 nknown=0
for s in "${scenarios[@]}"; do
  dir="$work/$s.base"; mkdir -p "$dir" && cp "$work/model.lua" "$work/deploy.json" "$work/model.lp" "$dir/"
  cmd=$(command_of "$s" "$dir") || exit 2
  (cd "$dir" && FOLIO_ALLOC_COUNT_FILE="$work/$s.count" $cmd >"$work/$s.stdout" 2>"$work/$s.stderr")
  echo $? >"$work/$s.rc"
  n=$(cat "$work/$s.count" 2>/dev/null || echo 0)
  if [ "$n" -eq 0 ]; then echo "sweep.sh: $s: no allocation count (is $folio built with FOLIO_ALLOC_FAIL=ON?)" >&2; exit 1; fi
  if grep -qE "Sanitizer|runtime error:" "$work/$s.stderr"; then
    echo "sweep.sh: $s fails without any allocation failure:" >&2; cat "$work/$s.stderr" >&2; exit 1
  fi
  if [ "$max" -gt 0 ] && [ "$n" -gt "$max" ]; then
    ks=$(awk -v n="$n" -v m="$max" 'BEGIN { for (i = 0; i < m; i++) print 1 + int(i * n / m) }')
  else
    ks=$(seq 1 "$n")
  fi
  npts=$(wc -w <<<"$ks")
  out=$(for k in $ks; do echo "$s $k"; done | xargs -P "$jobs" -n 2 bash -c 'run_point "$0" "$1"')
  verdicts=$(grep '^FAIL' <<<"$out" | sort -t' ' -k3n | while IFS= read -r line; do
    if is_known "$line"; then echo "KNOWN ${line#FAIL }"; else echo "$line"; fi
  done)
  [ -n "$verdicts" ] && head -n 60 <<<"$verdicts"
  nfail=$(grep -c '^FAIL' <<<"$verdicts")
  nk=$(grep -c '^KNOWN' <<<"$verdicts")
  nabs=$(grep -c '^absorbed' <<<"$out")
  printf '%-8s allocations %6d  swept %6d  clean errors %6d  absorbed %6d  known %d  failures %d\n' \
    "$s" "$n" "$npts" $((npts - nabs - nfail - nk)) "$nabs" "$nk" "$nfail"
  total=$((total + npts)); fails=$((fails + nfail)); nknown=$((nknown + nk))
done
echo "sweep.sh: $total points swept (mode ${SWEEP_MODE:-once}), $fails failures, $nknown known (tests/alloc/known.txt)"
[ "$fails" -eq 0 ]
