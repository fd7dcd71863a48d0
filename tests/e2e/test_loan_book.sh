#!/usr/bin/env bash
# End-to-end: the shipped loan-book models against an independent solve of
# their GNU MathProg twins (tests/ref/*.mod, same row and column names) by
# glpsol.  glpsol's printable solution (-o) gives the names, its plain-text
# solution (-w) the values at full precision (the printable one has only 6
# significant digits, too few for the 1e-7 comparison); the comparison is
# tests/e2e/compare_solution.py, run with /usr/bin/python3.
#
#   bash tests/e2e/test_loan_book.sh /abs/path/to/folio     (from the repo root)
source "$(dirname "$0")/lib.sh" "$@"

# ---------------------------------------------------------------- the LP
run_folio run models/loan_book.lua --json "$WORK/lp.json"
expect_eq "folio run models/loan_book.lua: exit code" 0 "$RC"
expect_eq "folio run models/loan_book.lua: stderr" "" "$ERR"
printf '%s\n' "$OUT" >"$WORK/lp_report.txt"
check "folio run models/loan_book.lua --json writes the JSON" test -s "$WORK/lp.json"
glpsol_solve "loan_book.mod" "$WORK/lp_ref" -m tests/ref/loan_book.mod
py "loan_book LP" compare_solution.py lp "$WORK/lp_ref.txt" "$WORK/lp_ref.sol" "$WORK/lp.json"

# The printed report: headline, objective (%.10g, as glpsol's header), and
# the binding constraints: every row glpsol has non-basic is listed, no row
# strictly inside its bounds is.
expect_match "report headline" "^Model 'loan_book': optimal \(glpk" "$OUT"
ref_obj=$(sed -n 's/^Objective: *profit = \([^ ]*\) (MAXimum)$/\1/p' "$WORK/lp_ref.txt")
expect_match "report objective equals glpsol's ($ref_obj)" "^Objective: ${ref_obj//./\\.}\$" "$OUT"
expect_match "report has the binding-constraints section" "^Binding constraints \([0-9]+\):" "$OUT"
expect_match "report names the binding RWA cap" "^  rwa  " "$OUT"
expect_match "report names the binding growth cap" "^  growth  " "$OUT"
expect_match "report has the model's own tables" "^Segments that grow or shrink:" "$OUT"
py "loan_book report" compare_solution.py binding "$WORK/lp_ref.txt" "$WORK/lp_ref.sol" "$WORK/lp_report.txt"

# --set reaches the model: both limits changed, against glpsol with the same
# parameters given in a MathProg data section.
cat >"$WORK/override.dat" <<'EOF'
data;
param rwa_limit := 0.52;
param growth_limit := 1.1;
end;
EOF
run_folio run models/loan_book.lua --set rwa_limit=0.52 --set growth_limit=1.1 --json "$WORK/lp_set.json"
expect_eq "folio run loan_book.lua --set rwa_limit=0.52 --set growth_limit=1.1: exit code" 0 "$RC"
glpsol_solve "loan_book.mod with override.dat" "$WORK/lp_set_ref" -m tests/ref/loan_book.mod -d "$WORK/override.dat"
py "loan_book LP --set" compare_solution.py lp "$WORK/lp_set_ref.txt" "$WORK/lp_set_ref.sol" "$WORK/lp_set.json"

# ---------------------------------------------------------------- the MIP
run_folio run models/loan_book_mip.lua --json "$WORK/mip.json"
expect_eq "folio run models/loan_book_mip.lua: exit code" 0 "$RC"
expect_eq "folio run models/loan_book_mip.lua: stderr" "" "$ERR"
expect_match "MIP report headline" "^Model 'loan_book_mip': optimal \(glpk" "$OUT"
expect_match "MIP report has the binding-constraints section" "^Binding constraints \([0-9]+\):" "$OUT"
glpsol_solve "loan_book_mip.mod" "$WORK/mip_ref" -m tests/ref/loan_book_mip.mod
py "loan_book MIP" compare_solution.py mip "$WORK/mip_ref.txt" "$WORK/mip_ref.sol" "$WORK/mip.json"

# ---------------------------------------------------------------- make demo
# `make demo` builds, then runs `build/folio run models/loan_book.lua`; the
# build is ctest's business, so only the command is checked (make -n runs
# nothing), and the run is repeated from another directory with an absolute
# script path: the Lua sources are embedded and the data are found next to
# the script.
if command -v make >/dev/null; then
  demo_cmd=$(make -n -s demo 2>/dev/null | tail -n 1)
  expect_match "make demo runs the loan book" "folio run models/loan_book\.lua$" "$demo_cmd"
fi
OUT=$(cd "$WORK" && "$FOLIO" run "$ROOT/models/loan_book.lua" 2>"$WORK/demo.err")
RC=$?
expect_eq "demo run from another directory: exit code" 0 "$RC"
expect_eq "demo run from another directory: stderr" "" "$(cat "$WORK/demo.err")"
expect_match "demo run prints the report" "^Model 'loan_book': optimal" "$OUT"
expect_match "demo run prints glpsol's objective" "^Objective: ${ref_obj//./\\.}\$" "$OUT"
expect_match "demo run prints the segments table" "^Segments that grow or shrink:" "$OUT"
expect_match "demo run prints the binding constraints" "^Binding constraints \\([0-9]+\\):" "$OUT"

finish
