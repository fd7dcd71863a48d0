#!/usr/bin/python3
"""Two builds of folio on the exposure benches, paired: each random
universe (random_universes.lua) and each repetition of the two named
universes (spec_defaults.lua) runs under both builds, one process after
the other, the order alternating, so both see the same load. Prints
per objective the median and slowest CPU and wall time, the median and
largest node count, and how often both found the same objective (1e-7).

    /usr/bin/python3 bench/exposure/paired.py OLD_FOLIO NEW_FOLIO [--count 30] [--seed 1] [--reps 15]

Run from the repository root (the bench scripts are read from bench/)."""
import argparse
import statistics
import subprocess
from collections import defaultdict


def run(binary, script, sets):
    cmd = [binary, "run", script]
    for k, v in sets.items():
        cmd += ["--set", f"{k}={v}"]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    rows = []
    for line in out.splitlines():
        if line.startswith("RAW "):
            _, uni, kind, cpu, wall, nodes, status, obj = line.split()
            rows.append((uni, kind, float(cpu), float(wall), int(nodes), status, float(obj)))
    return rows


def table(title, data, order):
    print(f"\n{title}\n")
    print("| objective | build | CPU median (ms) | CPU slowest (ms) | wall median (ms) | wall slowest (ms) "
          "| nodes median | nodes largest | optimal | same objective |")
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|---|")
    for kind in order:
        if kind not in data:
            continue
        d = data[kind]
        same = sum(1 for a, b in zip(d["old"]["obj"], d["new"]["obj"])
                   if abs(a - b) <= 1e-7 * max(1.0, abs(b)))
        for side in ("old", "new"):
            s = d[side]
            print(f"| {kind} | {side} | {1000 * statistics.median(s['cpu']):.1f} | {1000 * max(s['cpu']):.1f} "
                  f"| {1000 * statistics.median(s['wall']):.1f} | {1000 * max(s['wall']):.1f} "
                  f"| {statistics.median(s['nodes']):g} | {max(s['nodes'])} "
                  f"| {sum(1 for x in s['status'] if x == 'optimal')} of {len(s['status'])} "
                  f"| {same} of {len(s['obj'])} |")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("old")
    ap.add_argument("new")
    ap.add_argument("--count", type=int, default=30)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--reps", type=int, default=15)
    a = ap.parse_args()
    bins = {"old": a.old, "new": a.new}

    def collect(store, side, rows, key):
        for uni, kind, cpu, wall, nodes, status, obj in rows:
            d = store[key(uni, kind)][side]
            for f, v in (("cpu", cpu), ("wall", wall), ("nodes", nodes), ("status", status), ("obj", obj)):
                d.setdefault(f, []).append(v)

    rnd = defaultdict(lambda: {"old": {}, "new": {}})
    for k in range(1, a.count + 1):
        for side in (("old", "new") if k % 2 else ("new", "old")):
            rows = run(bins[side], "bench/exposure/random_universes.lua",
                       {"raw": 1, "first": k, "count": 1, "seed": a.seed})
            collect(rnd, side, rows, lambda uni, kind: kind)
    named = defaultdict(lambda: {"old": {}, "new": {}})
    for r in range(a.reps):
        for side in (("old", "new") if r % 2 == 0 else ("new", "old")):
            rows = run(bins[side], "bench/exposure/spec_defaults.lua", {"raw": 1, "reps": 1})
            collect(named, side, rows, lambda uni, kind: f"{uni} {kind}")
    kinds = ["MinVolatility", "MaxSharpeRatio", "TargetReturn", "MaxDiversification"]
    table(f"{a.count} random universes of 20 exposures (seed {a.seed}), one run each", rnd, kinds)
    allk = kinds[:2] + ["MeanVariance"] + kinds[2:3] + ["TargetVolatility", "MaxDiversification", "RiskParity"]
    table(f"Named universes (spec_defaults.lua), {a.reps} runs each", named,
          [f"{u} {k}" for u in ("factor", "clustered") for k in allk])


if __name__ == "__main__":
    main()
