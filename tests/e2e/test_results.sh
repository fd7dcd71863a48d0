#!/usr/bin/env bash
# End-to-end: the result contract (docs/results.md) through the CLI. A
# returned result without a solution exits 3 whatever its kind; --json and
# --report work for every kind, infeasible ones included; an infeasible
# portfolio and an infeasible LP say what conflicts; a sweep records
# no_solution for the infeasible row and keeps one CSV layout.
#
#   bash tests/e2e/test_results.sh /abs/path/to/folio      (from the repo root)
source "$(dirname "$0")/lib.sh" "$@"

R=tests/data/results
WHY="infeasible: max_turnover 0.01 conflicts with category_limits real_assets <= 0.1 (needs turnover >= 0.6 from the current weights)"

# ------------------------------------------------------------ exposure, infeasible
for kind in MinVolatility MeanVariance MaxSharpeRatio MaxDiversification; do
  run_folio run $R/exposure.lua --set max_turnover=0.01 --set objective=$kind \
    --json "$WORK/inf-$kind.json" --report "$WORK/inf-$kind.html"
  expect_eq "$kind infeasible: exit 3" 3 "$RC"
  expect_match "$kind infeasible: the report says so" "^Exposure optimization: infeasible \(qp, " "$OUT"
  expect_eq "$kind infeasible: and names the conflict" "  $WHY" "$(printf '%s\n' "$OUT" | grep -F -x "  $WHY")"
  expect_eq "$kind infeasible: JSON status" infeasible "$(json_get "$WORK/inf-$kind.json" status)"
  expect_eq "$kind infeasible: JSON has_solution" false "$(json_get "$WORK/inf-$kind.json" has_solution)"
  expect_eq "$kind infeasible: JSON message" "$WHY" "$(json_get "$WORK/inf-$kind.json" message)"
  expect_match "$kind infeasible: the HTML page marks it" 'data-status="infeasible"' "$(cat "$WORK/inf-$kind.html")"
done

# ------------------------------------------------------------ exposure, solved
run_folio run $R/exposure.lua --json "$WORK/ok.json"
expect_eq "MaxSharpe solved: exit 0" 0 "$RC"
expect_no_match "MaxSharpe solved: no table addresses" "table: 0x" "$OUT"
expect_eq "MaxSharpe solved: JSON status" optimal "$(json_get "$WORK/ok.json" status)"
expect_eq "MaxSharpe solved: the objective is the Sharpe ratio" \
  "$(json_get "$WORK/ok.json" sharpe_ratio)" "$(json_get "$WORK/ok.json" objective)"

# ------------------------------------------------------------ an infeasible LP
run_folio run $R/transport.lua --json "$WORK/lp.json" --report "$WORK/lp.html"
expect_eq "infeasible LP: exit 3" 3 "$RC"
CONFLICT="rows supply[p1] <= 30, supply[p2] <= 20, demand[m1] >= 25, demand[m2] >= 20, demand[m3] >= 15"
expect_eq "infeasible LP: the IIS is the supply and demand rows" "Conflict: $CONFLICT" "$(printf '%s\n' "$OUT" | grep '^Conflict: ')"
expect_eq "infeasible LP: JSON carries it" "\"$CONFLICT\"" "$("$PY" -c 'import json,sys; print(json.dumps(json.load(open(sys.argv[1]))["conflict"]["text"]))' "$WORK/lp.json")"
check "infeasible LP: HTML written" test -s "$WORK/lp.html"

# ------------------------------------------------------------ every kind
run_folio run $R/every_kind.lua --json "$WORK/all.json" --report "$WORK/all.html"
expect_eq "every kind solved: exit 0" 0 "$RC"
expect_no_match "every kind: no table addresses" "table: 0x" "$OUT"
for head in "Exposure optimization: optimal" "Multi-period optimization: optimal" "Efficient frontier: optimal, 3 points"; do
  expect_match "every kind: prints '$head'" "^$head" "$OUT"
done
expect_eq "every kind: JSON kinds" "exposure multiperiod frontier exposure exposure" \
  "$("$PY" -c 'import json,sys; print(" ".join(x["kind"] for x in json.load(open(sys.argv[1]))))' "$WORK/all.json")"
HTML=$(cat "$WORK/all.html")
for kind in exposure multiperiod frontier; do
  expect_match "every kind: the page has a $kind section" "data-kind=\"$kind\"" "$HTML"
done
expect_eq "every kind: each section has its status" 5 "$(printf '%s\n' "$HTML" | grep -c '<h2>[0-9]*\. .*data-status="optimal"')"

# ------------------------------------------------------------ a sweep
D="$WORK/sweep"
FOLIO_OUT="$D/\${row}" run_folio run $R/exposure.json --each $R/sweep.csv
expect_eq "sweep: exit 3 (one row has no solution)" 3 "$RC"
expect_eq "sweep: the stuck row's line" "stuck: no_solution ($WHY) ($D/stuck)" "$(printf '%s\n' "$OUT" | grep '^stuck: ')"
expect_match "sweep: the free row's line" "^free: solved, objective " "$OUT"
expect_eq "sweep: stuck row recorded as no_solution" no_solution "$(json_get "$D/stuck/run.json" status)"
expect_eq "sweep: stuck row's exit code" 3 "$(json_get "$D/stuck/run.json" exit_code)"
expect_eq "sweep: free row recorded as solved" solved "$(json_get "$D/free/run.json" status)"
expect_eq "sweep: one CSV layout whatever the outcome" "$(head -n 1 "$D/free/weights.csv")" "$(head -n 1 "$D/stuck/weights.csv")"
expect_eq "sweep: the layout" "asset,weight,risk_contribution" "$(head -n 1 "$D/free/weights.csv")"
expect_eq "sweep: no rows without a solution" 1 "$(wc -l < "$D/stuck/weights.csv")"

# ------------------------------------------------------------ the REPL prints summaries
OUT=$(printf 'U = dofile("%s/universe.lua")\nr = folio.ExposureOptimizer():optimize{exposures = U.names, cov = U.cov}\nr\n' "$R" \
  | "$FOLIO" repl 2>&1)
expect_match "REPL: a result prints its summary" "^Exposure optimization: optimal, objective 0.0589" "$OUT"
expect_no_match "REPL: no table addresses" "table: 0x" "$OUT"

# ------------------------------------------------------------ sweep input errors
printf 'id,max_turnovr\na,0.5\n' > "$WORK/typo.csv"
FOLIO_OUT="$WORK/typo" run_folio run $R/exposure.json --each "$WORK/typo.csv"
expect_eq "misspelt sweep column: exit 1" 1 "$RC"
expect_eq "misspelt sweep column: named with a suggestion" \
  "folio: $WORK/typo.csv: column 'max_turnovr' is not a parameter of the config (did you mean 'max_turnover'? params: max_turnover)" "$ERR"
FOLIO_OUT="$WORK/shard" run_folio run $R/exposure.json --shard 0/2
expect_eq "--shard without --each: usage error" 2 "$RC"
expect_match "--shard without --each: says so" "^folio: run: --shard needs --each" "$ERR"

finish
