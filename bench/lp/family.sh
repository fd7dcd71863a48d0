#!/bin/sh
# bench/lp/family.sh - GLPK against Clp on a family of LP shapes: the data
# behind the automatic LP rule (src/core/solve.c, lp_wants_clp).
#
# Run from the repository root:
#     sh bench/lp/family.sh                      # 5 paired rounds
#     ROUNDS=1 LPS="cvar_20x4000 transport_100" sh bench/lp/family.sh
#
# bench/lp/gen.lua --set family=1 writes the LPs (CVaR at 10-100 assets x
# 1,000-10,000 scenarios, transportation, random sparse, a staircase).
# Each round solves one LP with solver="glpk" then solver="clp" (folio's
# default method for each: presolve and dual simplex), each in a fresh
# process, one thread, and takes r.solve_time. The table gives the shape
# (rows, columns, nonzeros, nonzeros a row, a column's longest, columns
# with one nonzero), the medians and the median of the per-round ratios
# GLPK / Clp, and checks that the optima agree within 1e-6.
# Output: bench/lp/family.md (markdown), also echoed.
set -eu

BUILD=${BUILD:-build}
ROUNDS=${ROUNDS:-5}
DIR=bench/lp
OUT=${OUT:-$DIR/out/family}
FOLIO=$BUILD/folio
export OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1
LPS=${LPS:-"cvar_10x1000 cvar_10x2000 cvar_10x4000 cvar_10x10000 cvar_20x1000 cvar_20x2000 cvar_20x4000
  cvar_20x10000 cvar_50x1000 cvar_50x2000 cvar_50x4000 cvar_50x10000 cvar_100x1000 cvar_100x2000
  cvar_100x4000 cvar_100x10000
  transport_50 transport_100 transport_300 sparse_1000x2000x6 sparse_3000x6000x6
  sparse_2000x4000x3 sparse_500x5000x4 staircase"}

mkdir -p "$OUT"
[ -n "${NOGEN:-}" ] || "$FOLIO" --quiet run "$DIR/gen.lua" --set dir="$OUT" --set family=1

. "$DIR/lib.sh"

RES=${RES:-$DIR/family.md}
{
  echo "| LP | rows x cols (nnz) | nnz/row | longest col | singleton cols | GLPK s | Clp s | GLPK / Clp | agree |"
  echo "|---|---|---:|---:|---:|---:|---:|---:|---|"
} > "$RES.tmp"
for lp in $LPS; do
  f=$OUT/$lp.mps
  : > "$OUT/$lp.glpk"; : > "$OUT/$lp.clp"; : > "$OUT/$lp.ratio"
  agree=yes
  i=0
  while [ $i -lt "$ROUNDS" ]; do
    a=$("$FOLIO" --quiet run "$DIR/solve.lua" --set file="$f" --set solver=glpk)
    b=$("$FOLIO" --quiet run "$DIR/solve.lua" --set file="$f" --set solver=clp)
    set -- $a; gs=$1; go=$2; gt=$3
    set -- $b; cs=$1; co=$2; ct=$3
    [ "$gs" = optimal ] && [ "$cs" = optimal ] || agree="no ($gs / $cs)"
    same_objective "$go" "$co" || agree="no ($go / $co)"
    echo "$gt" >> "$OUT/$lp.glpk"; echo "$ct" >> "$OUT/$lp.clp"
    ratio "$gt" "$ct" >> "$OUT/$lp.ratio"
    echo "$lp round $((i + 1)): glpk $gt clp $ct" >&2
    i=$((i + 1))
  done
  # the shape, from the MPS file's COLUMNS section (the objective row, the
  # first N row, left out)
  shape=$(awk '/^ROWS/ { s = "r"; next } /^COLUMNS/ { s = "c"; next } /^(RHS|BOUNDS|RANGES|ENDATA)/ { s = "" }
    s == "r" && $1 == "N" && obj == "" { obj = $2; next }
    s == "r" { nr++ }
    s == "c" && $2 != "MARKER" { if ($1 != cur) { if (cur != "") done(); cur = $1; nc++ }
      for (k = 2; k < NF; k += 2) if ($k != obj) len++ }
    function done() { nz += len; if (len > lmax) lmax = len; if (len == 1) single++; len = 0 }
    END { done(); printf "%d %d %d %.1f %d %d", nr, nc, nz, nz / nr, lmax, single }' "$f")
  set -- $shape
  printf '| %s | %s x %s (%s) | %s | %s | %s | %.3f | %.3f | %.2f | %s |\n' "$lp" "$1" "$2" "$3" "$4" "$5" "$6" \
    "$(median < "$OUT/$lp.glpk")" "$(median < "$OUT/$lp.clp")" "$(median < "$OUT/$lp.ratio")" "$agree" >> "$RES.tmp"
done
mv "$RES.tmp" "$RES"
cat "$RES"
