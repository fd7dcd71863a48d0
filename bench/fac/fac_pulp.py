#!/usr/bin/python3
"""fac_pulp.py - PuLP baseline for the fac-G facility-location benchmark
(Dunning, Huchette, Lubin 2017), linear part only.

Builds the LpProblem and stops: no solve, no file write.  The second-order
cone ||(r[i,j,f,1], r[i,j,f,2])|| <= s[i,j,f] is omitted.

    /usr/bin/python3 bench/fac/fac_pulp.py G

Prints to stderr:  fac_pulp G=.. rows=.. cols=.. nnz=.. build_s=..
build_s is measured from the start of this script (before importing pulp)
to the end of the build; counting afterwards is not included.

Names: PuLP replaces the characters "-+[] ->/" in names by "_", so the
column given as "z[3,4,7]" is stored as "z_3,4,7_" (likewise rows).  The
names are passed in the same form as fac_glpk / fac.mod use.
"""
import time

T0 = time.perf_counter()

import math  # noqa: E402
import sys  # noqa: E402

import pulp  # noqa: E402


def build(G):
    F = G
    M = 2.0 * math.sqrt(2.0)
    grid = range(G + 1)
    facs = range(1, F + 1)

    prob = pulp.LpProblem("fac", pulp.LpMinimize)

    d = pulp.LpVariable("d", lowBound=0)
    y = {(f, k): pulp.LpVariable(f"y[{f},{k}]", lowBound=0, upBound=1)
         for f in facs for k in (1, 2)}
    z = {}
    s = {}
    r = {}
    for i in grid:
        for j in grid:
            for f in facs:
                z[i, j, f] = pulp.LpVariable(f"z[{i},{j},{f}]", cat=pulp.LpBinary)
                s[i, j, f] = pulp.LpVariable(f"s[{i},{j},{f}]", lowBound=0)
                for k in (1, 2):
                    r[i, j, f, k] = pulp.LpVariable(f"r[{i},{j},{f},{k}]")

    prob += d, "obj"

    for i in grid:
        for j in grid:
            prob += (pulp.lpSum(z[i, j, f] for f in facs) == 1,
                     f"assign[{i},{j}]")
            for f in facs:
                prob += (s[i, j, f] - d + M * z[i, j, f] == M,
                         f"link[{i},{j},{f}]")
                prob += (r[i, j, f, 1] + y[f, 1] == i / G,
                         f"r1[{i},{j},{f}]")
                prob += (r[i, j, f, 2] + y[f, 2] == j / G,
                         f"r2[{i},{j},{f}]")
    return prob


def main():
    if len(sys.argv) != 2:
        print(f"usage: {sys.argv[0]} G", file=sys.stderr)
        return 2
    G = int(sys.argv[1])
    if G < 1:
        print("fac_pulp: G must be >= 1", file=sys.stderr)
        return 2
    prob = build(G)
    t1 = time.perf_counter()

    rows = len(prob.constraints)
    cols = len(prob.variables())
    nnz = sum(len(c) for c in prob.constraints.values())
    print(f"fac_pulp G={G} rows={rows} cols={cols} nnz={nnz} "
          f"build_s={t1 - T0:.6f}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
