"""In-process Python call against the subprocess route (docs/python.md,
docs/benchmarks.md): a 20-asset MinVolatility from a pandas DataFrame
(PyPortfolioOpt's stock prices, the last 500 days) by

  inproc   folio.run(script, data={"prices": df}): a fresh Lua state, the
           DataFrame as a Lua table, the solve, the result's JSON and
           weights as a pandas Series;
  inproc_returns  the same from a DataFrame of returns (pandas' pct_change):
           folio.returns, a loop in Lua, is left out;
  session  the same script run again in one folio.Session (no new state);
  subproc  df.to_csv, `folio run script --set csv=... --json out`, the JSON
           read back and the weights as a Series: the route without the
           module.

  inproc_baseline  with --baseline OTHER_BUILD/python: inproc by another
           build's package (main's), imported beside this one under the
           name folio_baseline, so that both are timed in the same rounds.

Paired rounds: each round times every route, in an order that rotates, so
that drifts of the machine hit each alike; the medians (wall and the
process's CPU time) and the median of the per-round ratios are reported.
Also the solver's own solve_time (inside every route) and the weights'
largest difference between the routes.

    PYTHONPATH=build/python /usr/bin/python3 bench/python/bench.py --folio build/folio \
        [--rounds 41] [--defaults off|on] [--baseline OTHER_BUILD/python]
"""
import argparse
import importlib
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

import pandas as pd

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SCRIPT = os.path.join(ROOT, "tests", "python", "minvol20.lua")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--folio", default=os.path.join(ROOT, "build", "folio"))
    ap.add_argument("--rounds", type=int, default=41)
    ap.add_argument("--days", type=int, default=500)
    ap.add_argument("--baseline", help="another build's python folder (BUILD/python), timed beside this one")
    ap.add_argument("--defaults", choices=["on", "off"], default="off",
                    help="the spec's default limits (on: a search over held sets) or plain long-only (off)")
    a = ap.parse_args()

    import folio
    df = pd.read_csv(os.path.join(ROOT, "data", "pypfopt", "stock_prices.csv"), index_col="date",
                     float_precision="round_trip").iloc[-a.days:]
    tmp = tempfile.mkdtemp(prefix="folio-bench-py-")
    csv, out = os.path.join(tmp, "prices.csv"), os.path.join(tmp, "out.json")
    session = folio.Session()
    params = {"defaults": a.defaults}

    def inproc():
        r = folio.run(SCRIPT, params=params, data={"prices": df})
        return r.weights, r.solve_time

    rets = df.pct_change(fill_method=None).iloc[1:]   # what folio.returns computes, in pandas

    def inproc_returns():
        r = folio.run(SCRIPT, params=params, data={"returns": rets})
        return r.weights, r.solve_time

    def in_session():
        r = session.run(SCRIPT, params=params, data={"prices": df})
        return r.weights, r.solve_time

    def subproc():
        df.to_csv(csv)
        p = subprocess.run([a.folio, "run", SCRIPT, "--set", "csv=" + csv, "--set", "defaults=" + a.defaults,
                            "--json", out],
                           capture_output=True, text=True)
        if p.returncode != 0:
            sys.exit("folio run failed: " + p.stderr)
        with open(out) as f:
            j = json.load(f)
        return pd.Series([j["weights"][e] for e in j["exposures"]], index=j["exposures"]), j["solve_time"]

    routes = [("inproc", inproc), ("inproc_returns", inproc_returns), ("session", in_session), ("subproc", subproc)]
    if a.baseline:
        # the other build's package under another name: its own extension
        # (PyInit__folio in folio_baseline/_folio...so) and Lua library
        shutil.copytree(os.path.join(a.baseline, "folio"), os.path.join(tmp, "folio_baseline"))
        sys.path.insert(0, tmp)
        baseline = importlib.import_module("folio_baseline")

        def inproc_baseline():
            r = baseline.run(SCRIPT, params=params, data={"prices": df})
            return r.weights, r.solve_time
        routes.append(("inproc_baseline", inproc_baseline))
    for _, fn in routes:   # warm-up: page cache, imports, OpenBLAS
        fn()
    times = {name: [] for name, _ in routes}
    cpu = {name: [] for name, _ in routes}
    solve = {name: [] for name, _ in routes}
    last = {}
    for i in range(a.rounds):
        order = routes[i % len(routes):] + routes[:i % len(routes)]
        for name, fn in order:
            c0 = time.process_time()
            t0 = time.perf_counter()
            w, st = fn()
            times[name].append(time.perf_counter() - t0)
            cpu[name].append(time.process_time() - c0)
            solve[name].append(st)
            last[name] = w
    diff = max(abs(last["inproc"][e] - last["subproc"][e]) for e in last["inproc"].index)
    diff_r = max(abs(last["inproc_returns"][e] - last["subproc"][e]) for e in last["inproc"].index)
    ratio = statistics.median(s / i for s, i in zip(times["subproc"], times["inproc"]))
    print("| route | median (ms) | min (ms) | max (ms) | CPU, median (ms) | solver's solve_time, median (ms) |")
    print("|---|---|---|---|---|---|")
    for name, _ in routes:
        t = times[name]
        print("| %s | %.2f | %.2f | %.2f | %.2f | %.2f |" % (
            name, 1e3 * statistics.median(t), 1e3 * min(t), 1e3 * max(t), 1e3 * statistics.median(cpu[name]),
            1e3 * statistics.median(solve[name])))
    print()
    if a.baseline:
        diff_b = max(abs(last["inproc"][e] - last["inproc_baseline"][e]) for e in last["inproc"].index)
        print("inproc / inproc_baseline: median ratio %.3f (CPU %.3f); largest weight difference %.1e" % (
            statistics.median(x / y for x, y in zip(times["inproc"], times["inproc_baseline"])),
            statistics.median(x / y for x, y in zip(cpu["inproc"], cpu["inproc_baseline"])), diff_b))
    print("defaults %s; %d paired rounds, %d assets, %d days; median ratio subproc/inproc %.1f; "
          "largest weight difference in-process vs subprocess %.1e (from pandas' returns %.1e)"
          % (a.defaults, a.rounds, len(df.columns), len(df), ratio, diff, diff_r))
    print("load average %s" % " ".join("%.2f" % x for x in os.getloadavg()))


if __name__ == "__main__":
    main()
