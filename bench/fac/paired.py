#!/usr/bin/python3
"""bench/fac/paired.py - fac-G build: commands run interleaved, in one process.

hyperfine (bench/fac/run.sh) runs all of one command's runs before the next
command's, so on a shared machine a burst of load lands on one command.
Here each round runs every command once, in a shuffled order, and the
figures are medians over the rounds: wall time, CPU time (user + sys),
minor page faults and peak RSS, from wait4() of each child.

Run from the repository root:
    /usr/bin/python3 bench/fac/paired.py --g 25 --runs 21 \\
        fac_glpk='build/bench/fac/fac_glpk 25' \\
        before='/tmp/old/folio run bench/fac/fac.lua --set G=25 --set cones=0' \\
        after='build/folio run bench/fac/fac.lua --set G=25 --set cones=0'

The first command is the reference for the ratios. Prints a markdown table.
"""
import argparse
import os
import random
import shlex
import statistics
import subprocess
import sys
import time


def run_once(argv):
    t0 = time.perf_counter()
    p = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    err = p.stderr.read()
    _, status, ru = os.wait4(p.pid, 0)
    wall = time.perf_counter() - t0
    p.returncode = os.waitstatus_to_exitcode(status)
    if p.returncode != 0:
        sys.exit(f"paired.py: {argv!r} failed ({p.returncode}): {err.decode()[-400:]}")
    return wall, ru.ru_utime + ru.ru_stime, ru.ru_minflt, ru.ru_maxrss / 1024.0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=21)
    ap.add_argument("--warmup", type=int, default=2)
    ap.add_argument("--g", default="?", help="only for the table's title")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("cmds", nargs="+", help="name=command")
    a = ap.parse_args()
    names, argvs = [], []
    for c in a.cmds:
        name, _, cmd = c.partition("=")
        if not cmd:
            sys.exit(f"paired.py: expected name=command, got {c!r}")
        names.append(name)
        argvs.append(shlex.split(cmd))
    rng = random.Random(a.seed)
    res = {n: [] for n in names}
    for r in range(a.warmup + a.runs):
        order = list(range(len(names)))
        rng.shuffle(order)
        for k in order:
            x = run_once(argvs[k])
            if r >= a.warmup:
                res[names[k]].append(x)
    try:
        load = os.getloadavg()[0]
    except OSError:
        load = float("nan")
    med = {n: [statistics.median(v[i] for v in res[n]) for i in range(4)] for n in names}
    ref = med[names[0]]
    print(f"fac-{a.g}: {a.runs} rounds (+{a.warmup} warm-up), commands interleaved in shuffled "
          f"order; medians; load average at the end {load:.2f}\n")
    print("| command | wall s | ratio | CPU s | ratio | minor faults | peak MiB |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for n in names:
        w, c, f, m = med[n]
        print(f"| {n} | {w:.4f} | {w / ref[0]:.2f} | {c:.4f} | {c / ref[1]:.2f} | {f:.0f} | {m:.1f} |")
    # paired ratios: per round, each command's wall over the reference's
    print("\nmedian of per-round wall ratios to the first command: " +
          ", ".join(f"{n} {statistics.median(x[0] / y[0] for x, y in zip(res[n], res[names[0]])):.2f}"
                    for n in names[1:]))


if __name__ == "__main__":
    main()
