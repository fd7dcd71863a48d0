#!/usr/bin/env bash
# LP and MPS files that folio writes read back with the same optimum in
# glpsol, the cbc command line, HiGHS (scipy, which has no file reader:
# bench/lp/mps.py reads the files for it) and folio itself, for
# minimisation and maximisation, LPs and MIPs (issue 17, item 6).
#
# A maximisation in MPS is written as the minimisation of the negated
# objective (docs/dsl.md, "Writing and reading files"): the other readers
# report the negated optimum, folio reads it back as the maximisation.
# Objectives agree within 1e-7 relative.
source "$(dirname "$0")/lib.sh" "$@"

command -v cbc >/dev/null || { echo "FAIL: cbc not found (scripts/install-deps.sh test installs coinor-cbc)"; echo "0 passed, 1 failed"; exit 1; }

D="$WORK/files"
mkdir -p "$D"
run_folio --quiet run tests/data/interop/write.lua --set dir="$D"
expect_eq "write.lua: exit code" 0 "$RC"
[ "$RC" -eq 0 ] || { echo "$ERR"; finish; }
MODELS=$OUT

# glpsol_obj FILE FLAG: glpsol's optimum ("" if none)
glpsol_obj() {
  glpsol "$2" "$1" -o "$WORK/g.txt" >"$WORK/g.log" 2>&1 || return
  awk '/^Status:/ { ok = ($2 == "OPTIMAL" || $2 == "INTEGER") }
       /^Objective:/ { for (i = 1; i <= NF; i++) if ($i == "=") v = $(i + 1) }
       END { if (ok) print v }' "$WORK/g.txt"
}

# cbc_obj FILE: the cbc command line's optimum ("" if none)
cbc_obj() {
  rm -f "$WORK/c.txt"
  cbc "$1" -solve -solu "$WORK/c.txt" >"$WORK/c.log" 2>&1 || return
  awk 'NR == 1 && $1 == "Optimal" { print $NF }' "$WORK/c.txt"
}

# highs_obj FILE: HiGHS's optimum of an LP or MPS file (scipy), "" if none
highs_obj() {
  "$PY" - "$1" "$ROOT/bench/lp" <<'PYEOF'
import sys
sys.path.insert(0, sys.argv[2])
import mps
lp = mps.read_model(sys.argv[1])
status, obj, x, t = mps.solve_highs(lp)
if status == "optimal":
    print("%.12g" % obj)
PYEOF
}

# folio_obj FILE: folio's optimum of the file it wrote, read back
folio_obj() {
  run_folio --quiet solve "$1" --json "$WORK/f.json"
  [ "$RC" -eq 0 ] && json_get "$WORK/f.json" objective
}

while read -r name own; do
  neg=$(awk -v v="$own" 'BEGIN { printf "%.12g", -v }')
  case "$name" in *_max) mps_want=$neg ;; *) mps_want=$own ;; esac
  lp="$D/$name.lp"; mps="$D/$name.mps"

  # the files themselves: no OBJSENSE (rejected by glpsol, ignored by cbc)
  check "$name.mps has no OBJSENSE section" bash -c "! grep -q '^OBJSENSE' '$mps'"
  if [ "${name##*_}" = max ]; then
    check "$name.mps says its objective is negated" grep -q '^\* folio: maximise; the objective below is negated' "$mps"
  else
    check "$name.mps (min) has no negation marker" bash -c "! grep -q '^\* folio: maximise' '$mps'"
  fi

  expect_close "$name.lp read by glpsol" "$(glpsol_obj "$lp" --lp)" "$own" 1e-7
  expect_close "$name.mps read by glpsol" "$(glpsol_obj "$mps" --freemps)" "$mps_want" 1e-7
  expect_close "$name.lp read by cbc" "$(cbc_obj "$lp")" "$own" 1e-7
  expect_close "$name.mps read by cbc" "$(cbc_obj "$mps")" "$mps_want" 1e-7
  expect_close "$name.lp read by HiGHS" "$(highs_obj "$lp")" "$own" 1e-7
  expect_close "$name.mps read by HiGHS" "$(highs_obj "$mps")" "$mps_want" 1e-7
  expect_close "$name.lp read back by folio" "$(folio_obj "$lp")" "$own" 1e-7
  # a maximisation comes back as one, with the same optimum
  expect_close "$name.mps read back by folio" "$(folio_obj "$mps")" "$own" 1e-7
done <<<"$MODELS"

expect_eq "write.lua wrote four models" 4 "$(printf '%s\n' "$MODELS" | grep -c .)"
finish
