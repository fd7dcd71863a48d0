#!/usr/bin/env bash
# Start-up and sandbox figures of the host (issue 7), side by side in one
# run: `folio run` on a tiny LP against glpsol and cvxopt on the same LP,
# the REPL's time to first prompt, and how fast the sandbox stops an
# infinite loop and a memory bomb. Usage: bash bench/host/bench.sh [build]
set -euo pipefail
cd "$(dirname "$0")/../.."
B=${1:-build}
F="$PWD/$B/folio"
H=bench/host
RUNS=${RUNS:-20}
echo "== folio run on a tiny LP (hyperfine, $RUNS runs, 3 warm-up)"
hyperfine -N --runs "$RUNS" --warmup 3 --style none --export-json /tmp/folio_host_bench.json \
  "$F --quiet run $H/tiny_lp.lua" \
  "$F --quiet solve $H/tiny.lp" \
  "glpsol --lp $H/tiny.lp" \
  "/usr/bin/python3 -c 'import cvxopt'" \
  "/usr/bin/python3 $H/tiny_cvxopt.py" >/dev/null
/usr/bin/python3 - <<'PY'
import json
res = json.load(open("/tmp/folio_host_bench.json"))["results"]
base = res[0]["median"]
for r in res:
    print(f"{r['median'] * 1e3:7.2f} ms median  (min {r['min'] * 1e3:6.2f}, max {r['max'] * 1e3:6.2f})"
          f"  x{r['median'] / base:5.2f}   {r['command']}")
PY
echo
echo "== the same, paired with glpsol (A B A B, 60 rounds; median of the per-round ratios)"
/usr/bin/python3 $H/paired.py 60 5 "glpsol --lp $H/tiny.lp" "$F --quiet run $H/tiny_lp.lua" "$F --quiet solve $H/tiny.lp"
echo
echo "== process start to first prompt (pty, $RUNS runs; then paired with glpsol)"
/usr/bin/python3 $H/prompt_time.py "$F" "$RUNS"
echo
echo "== sandbox: an infinite loop under pcall, by budget"
loop=$(mktemp -d)/loop.lua
printf 'while true do pcall(function() while true do end end) end\n' > "$loop"
for budget in 1e8 1e9; do
  /usr/bin/time -f "%e" -o /tmp/folio_t "$F" run "$loop" --sandbox --max-instructions "$budget" 2>/dev/null || true
  echo "instructions $budget: stopped after $(tail -1 /tmp/folio_t) s"
done
for secs in 0.5 2; do
  /usr/bin/time -f "%e" -o /tmp/folio_t "$F" run "$loop" --sandbox --max-time "$secs" 2>/dev/null || true
  echo "time budget $secs s: stopped after $(tail -1 /tmp/folio_t) s"
done
echo
echo "== sandbox: a memory bomb, by cap (peak resident set of the process)"
bomb=$(dirname "$loop")/bomb.lua
printf 'local s = "x"\nwhile true do s = s .. s end\n' > "$bomb"
for cap in 64M 256M 1G; do
  /usr/bin/time -f "%e s, peak RSS %M KB" -o /tmp/folio_t "$F" run "$bomb" --sandbox --max-memory "$cap" 2>/tmp/folio_err || true
  echo "cap $cap: $(tail -1 /tmp/folio_t); $(cat /tmp/folio_err)"
done
