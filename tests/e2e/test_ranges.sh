#!/usr/bin/env bash
# End-to-end: LP sensitivity ranging, folio's r:ranges() against glpsol's
# sensitivity report (glpsol --ranges FILE, GLPK's glp_print_ranges).
#
# Which glpsol column is compared with which folio value, and for which
# basis statuses, is documented at the top of tests/e2e/compare_ranges.py;
# in short:
#   r:ranges().objective[col].lo/hi  == glpsol "Obj coef range"  (every column: BS, NL, NU, NS, NF)
#   r:ranges().objective[col].value  == glpsol "Obj coef"
#   r:ranges().rhs[row].lo/hi        == glpsol "Activity range"  (non-basic rows only: NL, NU, NS)
#   r:ranges().rhs[row].value        == glpsol "Activity"
# For a basic row glpsol's "Activity range" is the row's activity at the
# break points of its (zero) objective coefficient (glp_analyze_coef), not a
# right-hand-side range, while folio reports the right-hand-side range over
# which the row stays inactive; those rows are checked against that
# definition from glpsol's Activity and bounds instead.
#
#   bash tests/e2e/test_ranges.sh /abs/path/to/folio      (from the repo root)
source "$(dirname "$0")/lib.sh" "$@"

# ------------------------------------------------- the loan book (MAXimum)
run_folio run "$DATA/loan_book_ranges.lua" --set out="$WORK/lb_ranges.json" --set model="$ROOT/models/loan_book.lua"
expect_eq "loan_book_ranges.lua: exit code" 0 "$RC"
expect_eq "loan_book_ranges.lua: stderr" "" "$ERR"
check "loan_book_ranges.lua writes the ranges JSON" test -s "$WORK/lb_ranges.json"
if glpsol -m tests/ref/loan_book.mod --ranges "$WORK/lb_ranges.txt" >"$WORK/lb_glpsol.log" 2>&1 && [ -s "$WORK/lb_ranges.txt" ]; then
  pass
else
  fail "glpsol -m tests/ref/loan_book.mod --ranges failed: $(tail -n 3 "$WORK/lb_glpsol.log")"
fi
py "loan_book ranges" compare_ranges.py "$WORK/lb_ranges.txt" "$WORK/lb_ranges.json"

# Default location of the model (relative to the fixture) gives the same.
run_folio run tests/data/e2e/loan_book_ranges.lua --set out="$WORK/lb_ranges2.json"
expect_eq "loan_book_ranges.lua with the default model path: exit code" 0 "$RC"
check "loan_book_ranges.lua with the default model path: same ranges" \
  "$PY" -c 'import json, sys; sys.exit(json.load(open(sys.argv[1])) != json.load(open(sys.argv[2])))' \
  "$WORK/lb_ranges.json" "$WORK/lb_ranges2.json"

# ------------------------------------- a small LP written by folio (MINimum)
# The loan book is a maximisation; this covers GLPK's MINimum branches
# (NL -> [c - d, +Inf), NU -> (-Inf, c - d]). Free MPS keeps folio's names.
run_folio run "$DATA/loan_book_ranges.lua" --set model="$DATA/write_model.lua" --set sense=min \
  --set mps="$WORK/plant_min.mps" --set out="$WORK/plant_ranges.json"
expect_eq "write_model.lua sense=min via loan_book_ranges.lua: exit code" 0 "$RC"
expect_eq "write_model.lua sense=min via loan_book_ranges.lua: stderr" "" "$ERR"
if glpsol --freemps "$WORK/plant_min.mps" --ranges "$WORK/plant_ranges.txt" >"$WORK/plant_glpsol.log" 2>&1 \
   && grep -q 'MINimum' "$WORK/plant_ranges.txt"; then
  pass
else
  fail "glpsol --freemps plant_min.mps --ranges failed: $(tail -n 3 "$WORK/plant_glpsol.log")"
fi
py "plant (min) ranges" compare_ranges.py "$WORK/plant_ranges.txt" "$WORK/plant_ranges.json"

# ------------------------------------------------ where ranges are not defined
cat >"$WORK/mip_ranges.lua" <<'EOF'
local folio = require "folio"
local m = folio.model("tiny_mip")
local x = m:var("x", {"a", "b"}, {kind = "integer", lb = 0, ub = 5})
m:st("cap", 2 * x.a + 3 * x.b, "<=", 12.5)
m:maximize(3 * x.a + 4 * x.b)
local r = m:solve{}
return r:ranges()
EOF
run_folio run "$WORK/mip_ranges.lua"
expect_eq "r:ranges() on a MIP result: exit code" 1 "$RC"
expect_match "r:ranges() on a MIP result: message" "^folio: .*mip_ranges\.lua:7: ranges: .*LPs only" "$ERR"

cat >"$WORK/no_ranges.lua" <<'EOF'
local folio = require "folio"
local m = folio.model("tiny_lp")
local x = m:var("x", {"a", "b"}, {lb = 0})
m:st("cap", 2 * x.a + 3 * x.b, "<=", 12)
m:maximize(3 * x.a + 4 * x.b)
local r = m:solve{ranges = false}
return r:ranges()
EOF
run_folio run "$WORK/no_ranges.lua"
expect_eq "r:ranges() after solve{ranges = false}: exit code" 1 "$RC"
expect_match "r:ranges() after solve{ranges = false}: message" "^folio: .*no_ranges\.lua:7: ranges: not computed" "$ERR"

finish
