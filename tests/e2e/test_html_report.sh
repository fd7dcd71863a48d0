#!/usr/bin/env bash
# End-to-end: folio.html run reports opened in headless Chromium. Writes
# the report of an LP with duals (models/loan_book.lua), an exposure
# optimization with its frontier, a CIM run, a trade assignment
# (models/pb_trade_assignment.lua at 50 scenarios) and an LP too large to
# show whole; html_browser_check.py loads each page and checks for console
# errors, requests leaving the page, the status, the charts and the table
# row counts, and saves a screenshot of each (docs/report.md).
#
#   bash tests/e2e/test_html_report.sh /abs/path/to/build/folio   (from the repo root)
#
# Pages and screenshots go to $FOLIO_TEST_ARTIFACTS, by default
# test-artifacts/html_report/ in the folio binary's build folder.
source "$(dirname "$0")/lib.sh" "$@"

ART=${FOLIO_TEST_ARTIFACTS:-$(dirname "$FOLIO")/test-artifacts}/html_report
mkdir -p "$ART" && rm -f "$ART"/*.html "$ART"/*.png

# the browser is required: CI installs it with scripts/install-deps.sh
missing=""
for b in /usr/bin/chromium /usr/bin/chromedriver; do [ -x "$b" ] || missing="$missing $b"; done
"$PY" -c "import selenium" 2>/dev/null || missing="$missing python3-selenium"
if [ -n "$missing" ]; then
  echo "FAIL: the browser test needs$missing: apt-get install chromium chromium-driver python3-selenium" \
       "(or run scripts/install-deps.sh)"
  echo "0 passed, 1 failed"
  exit 1
fi

# report.lua MODEL OUT.html TITLE: runs MODEL as `folio run` does (its
# folder as folio.script_dir, --set as folio.params) and writes the report
cat >"$WORK/report.lua" <<'EOF'
local folio = require "folio"
local model, out, title = arg[1], arg[2], arg[3]
folio.script_dir = model:match("^(.*)/") or "."
local t0 = folio.now()
local vals = table.pack(dofile(model))
require("folio.html").write({ table.unpack(vals, 1, vals.n) }, out, {
  title = title, script = model, params = folio.params,
  run = { started = os.date("!%Y-%m-%dT%H:%M:%SZ"), duration_s = folio.now() - t0, folio_version = folio.version },
})
EOF

cat >"$WORK/exposure.lua" <<'EOF'
-- MaxSharpe on the ten exposures, at most 35% each, with its frontier
local folio = require "folio"
local returns = folio.read_csv("models/data/exposure_returns.csv")
local risk = folio.RiskEstimator { method = "ledoit_wolf", frequency = 12 }:estimate(returns)
local ret = folio.ReturnEstimator { method = "mean", frequency = 12 }:estimate(returns)
local c = folio.ExposureConstraints { bounds = { 0, 0.35 } }
local opt = folio.ExposureOptimizer()
local r = opt:optimize { exposures = risk.assets, mu = ret.mu, cov = risk.cov, objective = folio.MaxSharpeRatio {},
                         constraints = c }
r.frontier = opt:efficient_frontier { exposures = risk.assets, mu = ret.mu, cov = risk.cov, constraints = c, points = 12 }
return r
EOF

cat >"$WORK/cim.lua" <<'EOF'
-- the CIM flow on the Hang Seng instance (31 assets), long-only 10% boxes
local folio = require "folio"
local H = folio.read_orlib("data/orlib/port1.txt")
return folio.cim { assets = H.assets, mu = H.mu, cov = H.cov, gamma = 20, bounds = { 0, 0.1 }, samples = 200 }
EOF

cat >"$WORK/big_lp.lua" <<'EOF'
-- 450 variables: more than the page shows
local folio = require "folio"
local I = {}
for i = 1, 450 do I[i] = i end
local m = folio.model("big")
local x = m:var("x", I, { lb = 0, ub = function(i) return i end })
m:st("cap", folio.sum(x), "<=", 50000)
m:maximize(folio.sum(I, function(i) return (1 + i % 7) * x[i] end))
return m:solve()
EOF

# report NAME MODEL [--set ...]: the report of MODEL as $ART/NAME.html
report() {
  local name=$1 model=$2; shift 2
  run_folio run "$WORK/report.lua" "$@" -- "$model" "$ART/$name.html" "folio report: $name"
  expect_eq "$name: the report script exits 0" 0 "$RC"
  expect_eq "$name: no error" "" "$ERR"
  check "$name: the page is written" test -s "$ART/$name.html"
}

t0=$(date +%s.%N)
report loan_book models/loan_book.lua
report exposure "$WORK/exposure.lua"
report cim "$WORK/cim.lua"
report trade_assignment models/pb_trade_assignment.lua --set scenarios=50
report big_lp "$WORK/big_lp.lua"

# the counts the pages must show, from folio's own JSON of the same runs
run_folio run models/loan_book.lua --json "$WORK/loan_book.json"
read -r LB_VARS LB_ROWS LB_SEG < <("$PY" -c '
import json, sys
d = json.load(open(sys.argv[1]))
print(len(d[0]["variables"]), len(d[0]["constraints"]), len(d[1]["rows"]))' "$WORK/loan_book.json")
N_EXPOSURES=$(head -n 1 models/data/exposure_returns.csv | tr ',' '\n' | grep -vc '^date$')
N_ASSETS=$(head -n 1 data/orlib/port1.txt | tr -d ' \r')
N_TRADES=$(($(wc -l <models/data/pb_trades.csv) - 1))

cat >"$WORK/spec.json" <<EOF
[
 {"name": "loan_book", "html": "$ART/loan_book.html", "png": "$ART/loan_book.png", "status": "optimal",
  "min_svgs": 2, "kinds": ["lp", "table"],
  "tables": {"variables": $LB_VARS, "constraints": $LB_ROWS, "Segments that grow or shrink": $LB_SEG},
  "texts": ["Largest variable values", "Shadow prices of binding constraints", "rwa"]},
 {"name": "exposure", "html": "$ART/exposure.html", "png": "$ART/exposure.png", "status": "optimal",
  "min_svgs": 3, "kinds": ["exposure"], "tables": {"weights": $N_EXPOSURES},
  "texts": ["Allocation", "Risk contributions", "Efficient frontier", "this portfolio", "us_large_cap"]},
 {"name": "cim", "html": "$ART/cim.html", "png": "$ART/cim.png", "status": "converged",
  "min_svgs": 2, "kinds": ["cim"], "tables": {"weights": $N_ASSETS},
  "texts": ["Energy above its final value", "Weights"]},
 {"name": "trade_assignment", "html": "$ART/trade_assignment.html", "png": "$ART/trade_assignment.png",
  "status": "optimal", "min_svgs": 1, "kinds": ["values", "table"],
  "tables": {"Assignment": $N_TRADES, "By account": 5},
  "texts": ["Account headroom after the trades", "PB_Alpha", "Solve log"]},
 {"name": "big_lp", "html": "$ART/big_lp.html", "png": "$ART/big_lp.png", "status": "optimal",
  "min_svgs": 1, "kinds": ["lp"], "tables": {"variables": 450}, "texts": ["250 more rows not shown"]}
]
EOF

# the checker's control: a copy of one page without its CSP and with a
# style that fetches must be caught (else "no requests" would prove nothing)
sed -e 's#<meta http-equiv="Content-Security-Policy"[^>]*>##' \
    -e 's#<footer>#<div style="background:url(http://127.0.0.1:9/leak.png)">leak</div><footer>#' \
    "$ART/big_lp.html" >"$WORK/control.html"
"$PY" - "$WORK/spec.json" "$WORK/control.html" <<'PYEOF'
import json, sys
spec = json.load(open(sys.argv[1]))
spec.append({"name": "control", "html": sys.argv[2], "must_fetch": "http://127.0.0.1:9/leak.png"})
json.dump(spec, open(sys.argv[1], "w"))
PYEOF

# once the CLI writes reports itself (--report), check one made that way too
if "$FOLIO" --help 2>&1 | grep -q -- "--report"; then
  run_folio run models/loan_book.lua --report "$ART/cli_loan_book.html"
  expect_eq "folio run --report: exit code" 0 "$RC"
  "$PY" - "$WORK/spec.json" "$ART" <<'PYEOF'
import json, sys
spec = json.load(open(sys.argv[1]))
page = dict(spec[0], name="cli_loan_book", html=sys.argv[2] + "/cli_loan_book.html", png=sys.argv[2] + "/cli_loan_book.png")
json.dump(spec + [page], open(sys.argv[1], "w"))
PYEOF
fi

py browser html_browser_check.py "$WORK/spec.json" "$WORK/chromium-profile"
echo "html reports and screenshots in $ART ($(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }') s)"
finish
