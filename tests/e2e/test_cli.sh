#!/usr/bin/env bash
# End-to-end: the folio command line -- exit codes (0 solved, 3 no solution,
# 1 script or data error, 2 usage error), error messages, --set, --json,
# `folio solve` on LP/MPS files written by m:write (against glpsol on the
# same files, and with --solver cbc), and a MIP stopped by its time limit
# under GLPK and Cbc.
#
#   bash tests/e2e/test_cli.sh /abs/path/to/folio      (from the repo root)
source "$(dirname "$0")/lib.sh" "$@"

# ------------------------------------------------------------ --version/--help
run_folio --version
expect_eq "folio --version: exit code" 0 "$RC"
expect_match "folio --version: prints the version" "^folio [0-9]+\.[0-9]+\.[0-9]+" "$OUT"
expect_eq "folio --version: stderr" "" "$ERR"

run_folio --help
expect_eq "folio --help: exit code" 0 "$RC"
expect_match "folio --help: usage of run" "folio run SCRIPT\.lua" "$OUT"
expect_match "folio --help: usage of solve" "folio solve FILE\.lp\|FILE\.mps" "$OUT"
expect_match "folio --help: documents the exit status" "exit status" "$OUT"
expect_eq "folio --help: stderr" "" "$ERR"

# ------------------------------------------------------------ usage errors (2)
run_folio frobnicate
expect_eq "unknown command: exit code" 2 "$RC"
expect_match "unknown command: message" "^folio: unknown command 'frobnicate'" "$ERR"

run_folio run
expect_eq "folio run without a script: exit code" 2 "$RC"
expect_match "folio run without a script: message" "^folio: .*no script" "$ERR"

run_folio run models/loan_book.lua --set rwa_limit
expect_eq "--set without '=': exit code" 2 "$RC"
expect_match "--set without '=': message" "^folio: --set expects key=value, got 'rwa_limit'" "$ERR"
expect_eq "--set without '=': nothing on stdout" "" "$OUT"

run_folio run models/loan_book.lua --set =0.5
expect_eq "--set with an empty key: exit code" 2 "$RC"

run_folio run models/loan_book.lua --frobnicate
expect_eq "folio run with an unknown option: exit code" 2 "$RC"

run_folio solve
expect_eq "folio solve without a file: exit code" 2 "$RC"

# ------------------------------------------------ script errors (1)
run_folio run "$WORK/no_such_model.lua"
expect_eq "missing script: exit code" 1 "$RC"
expect_match "missing script: message names the file" "^folio: .*$WORK/no_such_model\.lua" "$ERR"

cat >"$WORK/syntax.lua" <<'EOF'
local folio = require "folio"
local m = folio.model("broken")
local x = = 3
return m
EOF
run_folio run "$WORK/syntax.lua"
expect_eq "Lua syntax error: exit code" 1 "$RC"
expect_match "Lua syntax error: message has file:line" "^folio: $WORK/syntax\.lua:3: " "$(head -n 1 <<<"$ERR")"

cat >"$WORK/raises.lua" <<'EOF'
local folio = require "folio"
local function check(exposure)
  if exposure < 0 then
    error("negative exposure: " .. exposure)
  end
end
check(-1)
return folio.model("never")
EOF
run_folio run "$WORK/raises.lua" --json "$WORK/raises.json"
expect_eq "script raising error(): exit code" 1 "$RC"
expect_eq "script raising error(): the one-line message first on stderr" \
  "folio: $WORK/raises.lua:4: negative exposure: -1" "$(head -n 1 <<<"$ERR")"
expect_eq "script raising error(): nothing on stdout" "" "$OUT"
check "script raising error(): no JSON file created" test ! -e "$WORK/raises.json"

# ------------------------------------------------ no solution (3)
cat >"$WORK/infeasible.lua" <<'EOF'
local folio = require "folio"
local m = folio.model("infeasible_book")
local x = m:var("x", {"a", "b"}, {lb = 0})
m:st("floor", x.a + x.b, ">=", 4)
m:st("cap", x.a + x.b, "<=", 2)
m:minimize(x.a + 2 * x.b)
return m:solve{}
EOF
run_folio run "$WORK/infeasible.lua" --json "$WORK/infeasible.json"
expect_eq "infeasible LP: exit code" 3 "$RC"
expect_match "infeasible LP: report" "^Model 'infeasible_book': infeasible" "$OUT"
expect_eq "infeasible LP: JSON status" "infeasible" "$(json_get "$WORK/infeasible.json" status)"
expect_eq "infeasible LP: JSON has_solution" "false" "$(json_get "$WORK/infeasible.json" has_solution)"

cat >"$WORK/unbounded.lua" <<'EOF'
local folio = require "folio"
local m = folio.model("unbounded_book")
local x = m:var("x", {"a", "b"}, {lb = 0})
m:st("spread", x.a - x.b, "<=", 1)
m:maximize(x.a + x.b)
return m:solve{}
EOF
run_folio run "$WORK/unbounded.lua" --json "$WORK/unbounded.json"
expect_eq "unbounded LP: exit code" 3 "$RC"
expect_match "unbounded LP: report" "^Model 'unbounded_book': unbounded" "$OUT"
expect_eq "unbounded LP: JSON status" "unbounded" "$(json_get "$WORK/unbounded.json" status)"
expect_eq "unbounded LP: JSON has_solution" "false" "$(json_get "$WORK/unbounded.json" has_solution)"

# ------------------------------------------------ --set reaches folio.params
cat >"$WORK/params.lua" <<'EOF'
local folio = require "folio"
local p, out = folio.params, {}
for _, k in ipairs({"int", "float", "exp", "neg", "text", "eq", "empty"}) do
  local v = p[k]
  out[k] = v
  out[k .. "_type"] = type(v) == "number" and math.type(v) or type(v)
end
return out
EOF
run_folio run "$WORK/params.lua" --json "$WORK/params.json" --set int=3 --set float=2.5 --set exp=1e3 \
  --set neg=-0.25 --set text=hello --set eq=a=b --set empty=
expect_eq "--set: exit code" 0 "$RC"
expect_eq "--set int=3" "3" "$(json_get "$WORK/params.json" int)"
expect_eq "--set int=3 arrives as an integer" "integer" "$(json_get "$WORK/params.json" int_type)"
expect_eq "--set float=2.5" "2.5" "$(json_get "$WORK/params.json" float)"
expect_eq "--set float=2.5 arrives as a float" "float" "$(json_get "$WORK/params.json" float_type)"
expect_eq "--set exp=1e3 arrives as a number" "float" "$(json_get "$WORK/params.json" exp_type)"
expect_close "--set exp=1e3" "$(json_get "$WORK/params.json" exp)" 1000
expect_close "--set neg=-0.25" "$(json_get "$WORK/params.json" neg)" -0.25
expect_eq "--set text=hello arrives as a string" "string" "$(json_get "$WORK/params.json" text_type)"
expect_eq "--set text=hello" "hello" "$(json_get "$WORK/params.json" text)"
expect_eq "--set eq=a=b keeps what follows the first '='" "a=b" "$(json_get "$WORK/params.json" eq)"
expect_eq "--set empty= arrives as an empty string" "string" "$(json_get "$WORK/params.json" empty_type)"

# ... and changes a model: the loan book's optimum moves with rwa_limit
run_folio run models/loan_book.lua --json "$WORK/lb_default.json"
run_folio run models/loan_book.lua --set rwa_limit=0.52 --json "$WORK/lb_052.json"
expect_eq "loan_book --set rwa_limit=0.52: exit code" 0 "$RC"
obj_default=$(json_get "$WORK/lb_default.json" objective)
obj_052=$(json_get "$WORK/lb_052.json" objective)
check "loan_book --set rwa_limit=0.52 raises the profit ($obj_default -> $obj_052)" \
  awk -v a="$obj_default" -v b="$obj_052" 'BEGIN { exit !(b > a + 1e-6) }'
run_folio run models/loan_book.lua --set rwa_limit=lots
expect_eq "loan_book --set rwa_limit=lots (not a number): exit code" 1 "$RC"
expect_match "loan_book --set rwa_limit=lots: message" "rwa_limit=lots is not a number" "$ERR"

# ------------------------------------------------ --json written atomically
mkdir -p "$WORK/json_ok" "$WORK/json_fail"
run_folio run models/loan_book.lua --json "$WORK/json_ok/result.json"
expect_eq "--json: exit code" 0 "$RC"
expect_eq "--json: the directory holds only the JSON (no temp files)" "result.json" "$(ls -A "$WORK/json_ok" | tr '\n' ' ' | sed 's/ $//')"
expect_eq "--json: valid JSON with the result first" "optimal" "$(json_get "$WORK/json_ok/result.json" status)"
check "--json: the file ends with a newline" test "$(tail -c 1 "$WORK/json_ok/result.json" | od -An -c | tr -d ' ')" == '\n'
# a failing script creates no file and leaves no temp file
run_folio run "$WORK/raises.lua" --json "$WORK/json_fail/result.json"
expect_eq "--json with a failing script: exit code" 1 "$RC"
expect_eq "--json with a failing script: the directory stays empty" "" "$(ls -A "$WORK/json_fail")"
# ... and an existing file is left as it was
cp "$WORK/json_ok/result.json" "$WORK/json_fail/keep.json"
run_folio run "$WORK/raises.lua" --json "$WORK/json_fail/keep.json"
check "--json with a failing script: an existing file is untouched" cmp -s "$WORK/json_ok/result.json" "$WORK/json_fail/keep.json"
expect_eq "--json with a failing script: no temp file beside it" "keep.json" "$(ls -A "$WORK/json_fail")"
# an unwritable destination is a script/data error, not a crash
run_folio run models/loan_book.lua --json "$WORK/no_such_dir/result.json"
expect_eq "--json into a missing directory: exit code" 1 "$RC"
expect_match "--json into a missing directory: message names the file" "no_such_dir/result\.json" "$ERR"

# ------------------------------------------------ folio solve FILE.lp / FILE.mps
# write_model.lua writes its LP with m:write and solves it; the written files
# are solved again by `folio solve` and by glpsol.  GLPK's LP writer turns
# '[' ']' into '(' ')' in names; MPS keeps them.
for sense in max min; do
  d="$WORK/solve_$sense"
  mkdir -p "$d"
  run_folio run "$DATA/write_model.lua" --set sense=$sense --set lp="$d/plant.lp" --set mps="$d/plant.mps" --json "$d/script.json"
  expect_eq "write_model.lua ($sense): exit code" 0 "$RC"
  check "write_model.lua ($sense): m:write wrote plant.lp" test -s "$d/plant.lp"
  check "write_model.lua ($sense): m:write wrote plant.mps" test -s "$d/plant.mps"
  own=$(json_get "$d/script.json" objective)

  run_folio solve "$d/plant.lp" --json "$d/lp.json"
  expect_eq "folio solve plant.lp ($sense): exit code" 0 "$RC"
  glpsol_solve "glpsol --lp plant.lp ($sense)" "$d/lp_ref" --lp "$d/plant.lp"
  py "solve LP file ($sense)" compare_solution.py lp "$d/lp_ref.txt" "$d/lp_ref.sol" "$d/lp.json"
  expect_close "folio solve plant.lp ($sense): objective equals the script's own" "$(json_get "$d/lp.json" objective)" "$own"

  run_folio solve "$d/plant.mps" --json "$d/mps.json"
  expect_eq "folio solve plant.mps ($sense): exit code" 0 "$RC"
  # MPS has no portable objective sense (GLPK rejects OBJSENSE, the cbc
  # command line ignores it): folio writes a maximisation as the
  # minimisation of the negated objective, with a comment that says so
  if [ "$sense" = max ]; then
    check "plant.mps (max) says its objective is negated" grep -q '^\* folio: maximise; the objective below is negated' "$d/plant.mps"
    check "plant.mps (max) has no OBJSENSE section" bash -c "! grep -q '^OBJSENSE' '$d/plant.mps'"
    glpsol_solve "glpsol --freemps plant.mps (max, negated)" "$d/mps_ref" --freemps "$d/plant.mps"
    py "solve MPS file ($sense)" compare_solution.py lp "$d/mps_ref.txt" "$d/mps_ref.sol" "$d/mps.json" --negate
  else
    check "plant.mps (min) has no OBJSENSE section" bash -c "! grep -q '^OBJSENSE' '$d/plant.mps'"
    glpsol_solve "glpsol --freemps plant.mps (min)" "$d/mps_ref" --freemps "$d/plant.mps"
    py "solve MPS file ($sense)" compare_solution.py lp "$d/mps_ref.txt" "$d/mps_ref.sol" "$d/mps.json"
  fi
  # a maximisation written by m:write must come back as one
  expect_close "folio solve plant.mps ($sense): objective equals the script's own" "$(json_get "$d/mps.json" objective)" "$own"

  run_folio solve "$d/plant.mps" --solver cbc --json "$d/cbc.json"
  expect_eq "folio solve plant.mps --solver cbc ($sense): exit code" 0 "$RC"
  expect_eq "folio solve plant.mps --solver cbc ($sense): solver" "cbc" "$(json_get "$d/cbc.json" solver)"
  expect_close "folio solve plant.mps --solver cbc ($sense): objective equals the script's own" "$(json_get "$d/cbc.json" objective)" "$own"
done

run_folio solve "$WORK/solve_max/plant.mps" --solver gurobi
expect_eq "folio solve --solver gurobi: exit code" 1 "$RC"
expect_match "folio solve --solver gurobi: lists the solvers" "unknown solver 'gurobi' \(available: glpk, qp, cbc, clp\)" "$ERR"
run_folio solve "$WORK/solve_max/plant.mps" --solver
expect_eq "folio solve --solver without a name: exit code" 2 "$RC"

run_folio solve "$WORK/no_such_file.lp"
expect_eq "folio solve on a missing file: exit code" 1 "$RC"
expect_match "folio solve on a missing file: message names the file" "no_such_file\.lp" "$ERR"

cat >"$WORK/bad.lp" <<'EOF'
Maximize
 obj: x + y
Subject To
 c1: x + y <= 4
 c2: x + + <= 3
End
EOF
run_folio solve "$WORK/bad.lp"
expect_eq "folio solve on a malformed LP: exit code" 1 "$RC"
expect_match "folio solve on a malformed LP: message FILE:LINE: ..." "^folio: (.*: )?$WORK/bad\.lp:5: [a-z]" "$ERR"
expect_eq "folio solve on a malformed LP: one line" 1 "$(printf '%s\n' "$ERR" | wc -l)"

cat >"$WORK/bad.mps" <<'EOF'
NAME bad
ROWS
 N obj
 L c1
COLUMNS
 x obj 1 c1 1
 garbage
EOF
run_folio solve "$WORK/bad.mps"
expect_eq "folio solve on a malformed MPS: exit code" 1 "$RC"
expect_match "folio solve on a malformed MPS: message FILE:LINE: ..." "^folio: (.*: )?$WORK/bad\.mps:7: [a-z]" "$ERR"

# ------------------------------------------------ a MIP at its time limit
# tests/data/e2e/hard_mip.lua: a 5 x 60 market-split instance; GLPK does not
# close it within 10 s (checked when the test was written), nor does Cbc,
# so 0.3 s is always a time limit.  mode=split has no incumbent (exit 3),
# mode=slack has one from the start (exit 0).
for solver in glpk cbc; do
  for mode in split slack; do
    json="$WORK/hard_${mode}_$solver.json"
    start=$(date +%s.%N)
    run_folio run "$DATA/hard_mip.lua" --set mode=$mode --set time_limit=0.3 --set solver=$solver --json "$json"
    elapsed=$(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN { printf "%.2f", b - a }')
    status=$(json_get "$json" status)
    has=$(json_get "$json" has_solution)
    expect_eq "hard MIP ($mode, $solver), time_limit = 0.3: JSON status" "time_limit" "$status"
    expect_eq "hard MIP ($mode, $solver): JSON solver" "$solver" "$(json_get "$json" solver)"
    expect_match "hard MIP ($mode, $solver): report status" "^Model 'market_split_$mode': time_limit" "$OUT"
    if [ "$has" == "true" ]; then want=0; else want=3; fi
    expect_eq "hard MIP ($mode, $solver): exit code ($want when has_solution is $has)" "$want" "$RC"
    check "hard MIP ($mode, $solver): the limit is honoured (took ${elapsed}s)" awk -v t="$elapsed" 'BEGIN { exit !(t < 5) }'
    solve_time=$(json_get "$json" solve_time_s)
    check "hard MIP ($mode, $solver): solve_time_s ($solve_time) close to the limit" \
      awk -v t="$solve_time" 'BEGIN { exit !(t >= 0.25 && t < 2) }'
  done
  expect_eq "hard MIP (split, $solver): no incumbent" "false" "$(json_get "$WORK/hard_split_$solver.json" has_solution)"
  expect_eq "hard MIP (slack, $solver): has an incumbent" "true" "$(json_get "$WORK/hard_slack_$solver.json" has_solution)"
  check "hard MIP (slack, $solver): the incumbent's objective is in the JSON" \
    awk -v v="$(json_get "$WORK/hard_slack_$solver.json" objective)" 'BEGIN { exit !(v ~ /^[0-9.e+-]+$/ && v >= 0) }'
done

# ------------------------------------------------ the exposure model scripts
run_folio run models/exposure_objectives.lua
expect_eq "exposure_objectives.lua: exit code" 0 "$RC"
run_folio run models/exposure_modes.lua --json "$WORK/modes.json"
expect_eq "exposure_modes.lua: exit code" 0 "$RC"
expect_eq "exposure_modes.lua: multi-period status" "optimal" "$(json_get "$WORK/modes.json" multiperiod_status)"
mincvar=$(json_get "$WORK/modes.json" min_cvar_95_monthly)
sharpe_cvar=$(json_get "$WORK/modes.json" max_sharpe_under_cvar_2_2pct_monthly)
check "exposure_modes.lua: the 2.2% CVaR limit is above the minimum CVaR ($mincvar)" \
  awk -v v="$mincvar" 'BEGIN { exit !(v > 0.015 && v < 0.022) }'
check "exposure_modes.lua: max Sharpe under the CVaR limit is a number ($sharpe_cvar)" \
  awk -v v="$sharpe_cvar" 'BEGIN { exit !(v ~ /^[0-9.e+-]+$/ && v > 0.5) }'

# one script per objective and mode: each runs, solves, and meets its own limit
for model in minvol riskparity maxdiversification targetvol meanvariance targetreturn; do
  run_folio run models/exposure_$model.lua --json "$WORK/x_$model.json"
  expect_eq "exposure_$model.lua: exit code" 0 "$RC"
  expect_eq "exposure_$model.lua: status" "optimal" "$(json_get "$WORK/x_$model.json" status)"
done
check "exposure_riskparity.lua: every risk budget met to 1e-8" \
  awk -v v="$(json_get "$WORK/x_riskparity.json" largest_budget_miss)" 'BEGIN { exit !(v ~ /^[0-9.e+-]+$/ && v < 1e-8) }'
expect_close "exposure_targetvol.lua: volatility at the 8% target" \
  "$(json_get "$WORK/x_targetvol.json" volatility)" 0.08 1e-7
expect_close "exposure_targetreturn.lua: return at the 6% target" \
  "$(json_get "$WORK/x_targetreturn.json" expected_return)" 0.06 1e-7
run_folio run models/exposure_scenarios.lua --json "$WORK/x_scen.json"
expect_eq "exposure_scenarios.lua: exit code" 0 "$RC"
expect_close "exposure_scenarios.lua: the CVaR limit binds" \
  "$(json_get "$WORK/x_scen.json" capped_cvar)" "$(json_get "$WORK/x_scen.json" cvar_limit)" 1e-6
run_folio run models/exposure_robust.lua --json "$WORK/x_rob.json"
expect_eq "exposure_robust.lua: exit code" 0 "$RC"
check "exposure_robust.lua: the ellipsoid's worst case is below the nominal return" \
  awk -v a="$(json_get "$WORK/x_rob.json" ellipsoid_worst_case_return)" \
      -v b="$(json_get "$WORK/x_rob.json" nominal_expected_return)" 'BEGIN { exit !(a ~ /^[-0-9.e+]+$/ && a < b) }'
run_folio run models/exposure_multiperiod.lua --json "$WORK/x_mp.json"
expect_eq "exposure_multiperiod.lua: exit code" 0 "$RC"
expect_eq "exposure_multiperiod.lua: status" "optimal" "$(json_get "$WORK/x_mp.json" status)"

# ------------------------------------------------ the CIM model scripts
run_folio run models/cim_portfolio.lua --json "$WORK/cim.json" --set plot="$WORK/cim.svg"
expect_eq "cim_portfolio.lua: exit code" 0 "$RC"
expect_eq "cim_portfolio.lua: converged" "converged" "$(json_get "$WORK/cim.json" status)"
check "cim_portfolio.lua: within 1e-5 of the QP optimum of the same energy" \
  awk -v v="$(json_get "$WORK/cim.json" distance_to_exact)" 'BEGIN { exit !(v ~ /^[0-9.e+-]+$/ && v < 1e-5) }'
expect_close "cim_portfolio.lua: the allocation limit holds at its cap" "$(json_get "$WORK/cim.json" last_eleven)" 0.25 1e-9
check "cim_portfolio.lua: wrote the trajectory plot" grep -q "<svg" "$WORK/cim.svg"
run_folio run models/cim_selection.lua --json "$WORK/sel.json" --set runs=30
expect_eq "cim_selection.lua: exit code" 0 "$RC"
check "cim_selection.lua: no subset beats the MIQP optimum" \
  awk -v a="$(json_get "$WORK/sel.json" objective)" -v b="$(json_get "$WORK/sel.json" miqp_objective)" \
      'BEGIN { exit !(a ~ /^[-0-9.e+]+$/ && a >= b - 1e-9) }'

# ------------------------------------------------ the trade-assignment model
run_folio run models/pb_trade_assignment.lua --set scenarios=100 --set gap=5e-3 --json "$WORK/pb.json" \
  --set audit="$WORK/pb_audit.json"
expect_eq "pb_trade_assignment.lua: exit code" 0 "$RC"
expect_eq "pb_trade_assignment.lua: status" "optimal" "$(json_get "$WORK/pb.json" status)"
expect_eq "pb_trade_assignment.lua: the validator finds it compliant" "true" "$(json_get "$WORK/pb.json" compliant)"
check "pb_trade_assignment.lua: the audit trail has all 200 trades" \
  "$PY" -c "import json,sys; d=json.load(open(sys.argv[1])); sys.exit(0 if len(d['trades']) == 200 else 1)" "$WORK/pb_audit.json"
# a second process (another string-hash seed) books every trade the same way
run_folio run models/pb_trade_assignment.lua --set scenarios=100 --set gap=5e-3 --set audit="$WORK/pb_audit2.json"
check "pb_trade_assignment.lua: reproducible across processes" \
  "$PY" -c "import json,sys; a,b=(json.load(open(p))['trades'] for p in sys.argv[1:]); sys.exit(0 if a == b else 1)" \
  "$WORK/pb_audit.json" "$WORK/pb_audit2.json"

finish
