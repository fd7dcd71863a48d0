#!/usr/bin/env bash
# Trade assignment on the demo instance (200 trades, 5 accounts): lazy
# scenario generation against the full expansion, GLPK against Cbc, at
# N = 1,000 and 10,000 scenarios; wall time, model rows, MIP gap and peak
# memory (each configuration in its own process).
#   bash bench/trade/bench.sh [build/folio] [time_limit_s] [mip_gap]
FOLIO=${1:-build/folio}
TL=${2:-120}
GAP=${3:-5e-3}
# "solve s": the assigner's own time (scenarios, rows, every MIP round and
# check); "wall s": the whole process, with reading the inputs and the
# independent validation of every scenario in Lua
printf "| N | method | solver | status | cost | gap | rows | rounds | solve s | wall s | peak MB | compliant |\n"
printf "|---:|---|---|---|---:|---:|---:|---:|---:|---:|---:|---|\n"
for n in 1000 10000; do
  for method in lazy full; do
    for solver in glpk cbc; do
      out=$(/usr/bin/time -f "TIME %e %M" "$FOLIO" run bench/trade/run.lua --set n=$n --set method=$method \
            --set solver=$solver --set time_limit=$TL --set gap=$GAP 2>&1)
      res=$(grep '^RESULT' <<<"$out")
      tm=$(grep '^TIME' <<<"$out" | tail -1)
      get() { sed -n "s/.*$1=\([^ ]*\).*/\1/p" <<<"$res"; }
      wall=$(awk '{print $2}' <<<"$tm"); mb=$(awk '{printf "%.0f", $3/1024}' <<<"$tm")
      if [ -z "$res" ]; then
        printf "| %s | %s | %s | failed: %s | | | | | | %s | %s | |\n" "$n" "$method" "$solver" \
          "$(grep -m1 -i 'error\|folio:' <<<"$out" | cut -c1-60)" "$wall" "$mb"
      else
        printf "| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n" "$n" "$method" "$solver" "$(get status)" \
          "$(get cost)" "$(get gap)" "$(get rows)" "$(get rounds)" "$(get seconds)" "$wall" "$mb" "$(get compliant)"
      fi
    done
  done
done
