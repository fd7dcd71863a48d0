#!/bin/sh
# bench/lp/run.sh - LP solve time: folio's default strategy against HiGHS
# (scipy 1.10's HiGHS, Debian's python3-scipy) on the same MPS files.
#
# Run from the repository root:
#     sh bench/lp/run.sh                 # 5 paired rounds
#     ROUNDS=3 LPS="transport cvar" sh bench/lp/run.sh
#
# bench/lp/gen.lua writes the LPs with m:write (bench/lp/out/). Each round
# runs folio then HiGHS on one LP, each in a fresh process, and each
# reports its own solve time: folio's r.solve_time (loading the model into
# the solver and solving, with folio's defaults: since issue 17 no ranges
# are computed unless asked for, RANGES=1 computes them at the solve)
# and HiGHS's
# time inside scipy.optimize.milp (neither counts reading the file). The
# table gives the medians and the median of the per-round ratios.
# Output: bench/lp/results.md (markdown), also echoed.
set -eu

BUILD=${BUILD:-build}
ROUNDS=${ROUNDS:-5}
LPS=${LPS:-"fac25 transport sparse cvar staircase"}
PY=/usr/bin/python3
DIR=bench/lp
OUT=$DIR/out
FOLIO=$BUILD/folio

mkdir -p "$OUT"
"$FOLIO" --quiet run "$DIR/gen.lua" --set dir="$OUT"

. "$DIR/lib.sh"

RES=$DIR/results.md
{
  echo "| LP | rows x cols (nnz) | folio solver | folio s | HiGHS s | folio / HiGHS | objectives agree |"
  echo "|---|---|---|---:|---:|---:|---|"
} > "$RES.tmp"
for lp in $LPS; do
  f=$OUT/$lp.mps
  : > "$OUT/$lp.folio"; : > "$OUT/$lp.highs"; : > "$OUT/$lp.ratio"
  solver=""; agree=yes
  i=0
  while [ $i -lt "$ROUNDS" ]; do
    if [ -n "${RANGES:-}" ]; then
      a=$("$FOLIO" --quiet run "$DIR/solve.lua" --set file="$f" --set ranges="$RANGES")
    else
      a=$("$FOLIO" --quiet run "$DIR/solve.lua" --set file="$f")
    fi
    b=$("$PY" "$DIR/highs.py" "$f")
    set -- $a; fs=$1; fo=$2; ft=$3; solver=$4
    set -- $b; hs=$1; ho=$2; ht=$3
    [ "$fs" = optimal ] && [ "$hs" = optimal ] || agree="no ($fs / $hs)"
    same_objective "$fo" "$ho" || agree="no ($fo / $ho)"
    echo "$ft" >> "$OUT/$lp.folio"; echo "$ht" >> "$OUT/$lp.highs"
    ratio "$ft" "$ht" >> "$OUT/$lp.ratio"
    i=$((i + 1))
  done
  size=$(awk '/^\* Rows:/ { r = $3 } /^\* Columns:/ { c = $3 } /^\* Non-zeros:/ { n = $3 } END { printf "%s x %s (%s)", r, c, n }' "$f")
  printf '| %s | %s | %s | %.3f | %.3f | %.2f | %s |\n' "$lp" "$size" "$solver" \
    "$(median < "$OUT/$lp.folio")" "$(median < "$OUT/$lp.highs")" "$(median < "$OUT/$lp.ratio")" "$agree" >> "$RES.tmp"
done
mv "$RES.tmp" "$RES"
cat "$RES"
