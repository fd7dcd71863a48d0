#!/usr/bin/env bash
# Paired rounds of bench/qp/meanvar.lua (folio) and meanvar_cvxopt.py
# (CVXOPT, dense Sigma) at each size: each round runs folio then CVXOPT,
# each reporting the median of REPS in-process solves (data generation
# and process start excluded); the table gives the medians over ROUNDS and
# the median of the per-round ratios. MU=0 solves the minimum-variance
# portfolio (a dense optimum: every asset held), otherwise mean-variance
# (a sparse optimum). Run from the repo root:
#   MU=0 ROUNDS=3 bash bench/qp/paired.sh 500 1000 2000
set -euo pipefail
BUILD=${BUILD:-build}
ROUNDS=${ROUNDS:-3}
REPS=${REPS:-3}
MU=${MU:-}
fset=() cset=()
if [ "$MU" = 0 ]; then fset=(--set mu=0); cset=(mu0); fi
printf '| n | held | folio s | folio iters | CVXOPT s | CVXOPT iters | CVXOPT / folio | objective rel. diff |\n'
printf '|---:|---:|---:|---:|---:|---:|---:|---:|\n'
for n in "$@"; do
  out=$(mktemp)
  for r in $(seq "$ROUNDS"); do
    f=$("$BUILD/folio" run bench/qp/meanvar.lua --set n="$n" --set reps="$REPS" "${fset[@]}" 2>&1 >/dev/null)
    c=$(/usr/bin/python3 bench/qp/meanvar_cvxopt.py "$n" "$REPS" dense "${cset[@]}" 2>&1)
    printf '%s\n%s\n' "$f" "$c" >> "$out"
  done
  /usr/bin/python3 - "$n" "$out" <<'PY'
import re, statistics, sys
n, path = sys.argv[1], sys.argv[2]
lines = open(path).read().splitlines()
def get(s, k):
    return float(re.search(k + r"=([-\d.e+]+)", s).group(1))
f = [l for l in lines if l.startswith("folio")]
c = [l for l in lines if l.startswith("cvxopt")]
fs = [get(l, "solve_s") for l in f]
cs = [get(l, "solve_s") for l in c]
ratio = statistics.median(b / a for a, b in zip(fs, cs))
fo, co = get(f[-1], "objective"), get(c[-1], "objective")
print(f"| {n} | {int(get(f[-1], 'held'))} | {statistics.median(fs):.4f} | {int(get(f[-1], 'iterations'))} | "
      f"{statistics.median(cs):.4f} | {int(get(c[-1], 'iterations'))} | {ratio:.1f}x | {abs(fo - co) / abs(co):.1e} |")
PY
  rm -f "$out"
done
