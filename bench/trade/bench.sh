#!/usr/bin/env bash
# Trade assignment on the demo instance (200 trades, 5 accounts, netting):
#   bash bench/trade/bench.sh [build/folio] [repeats] [budget_s] [gap]
# 1. The financing-cost priority alone at the stated gap, lazy against the
#    full expansion, GLPK and Cbc, N = 1,000 and 10,000: `repeats` paired
#    runs of each lazy configuration (interleaved, so load hits both alike),
#    one run of each full expansion (each under the batch budget).
# 2. Both priorities (cost, then headroom) under one batch budget.
# 3. The fallback heuristic alone, and the demo with time_limit = 0.001.
# Each run is its own process ("wall s" and peak memory from /usr/bin/time).
# LAZY_ONLY=1 runs part 1's lazy configurations alone (minutes, not an hour).
FOLIO=${1:-build/folio}
REP=${2:-3}
TL=${3:-120}
GAP=${4:-5e-3}
run() {
  local out tm
  out=$(/usr/bin/time -f "TIME %e %M" "$FOLIO" run bench/trade/run.lua "$@" --set gap=$GAP 2>&1)
  tm=$(grep '^TIME' <<<"$out" | tail -1)
  echo "$* | $(grep -E '^(RESULT|FALLBACK)' <<<"$out" | head -1) | wall=$(awk '{print $2}' <<<"$tm") peak_mb=$(awk '{printf "%.0f", $3/1024}' <<<"$tm")"
}
for n in 1000 10000; do
  for i in $(seq 1 "$REP"); do
    for solver in cbc glpk; do
      run --set n=$n --set method=lazy --set solver=$solver --set stages=1 --set time_limit=$TL
    done
  done
  [ "${LAZY_ONLY:-0}" = 1 ] && continue
  for solver in cbc glpk; do
    run --set n=$n --set method=full --set solver=$solver --set stages=1 --set time_limit=$TL
  done
  for solver in cbc glpk; do
    run --set n=$n --set method=lazy --set solver=$solver --set stages=2 --set time_limit=60
  done
done
[ "${LAZY_ONLY:-0}" = 1 ] && exit 0
for i in $(seq 1 "$REP"); do
  run --set n=1000 --set fallback=1
  run --set n=1000 --set method=lazy --set solver=cbc --set stages=2 --set time_limit=0.001
done
