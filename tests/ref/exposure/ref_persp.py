#!/usr/bin/python3
"""References for tests/lua/test_exposure_persp.lua, computed with CVXOPT
and numpy, independent of folio.

1. Minimum-trace factor analysis: max sum d s.t. R - diag(d) >= 0, d >= 0
   (R a correlation matrix) by CVXOPT's SDP solver, for the factor
   instance below. folio's perspective diagonal (lua/folio/exposure_persp.lua)
   solves the same problem by a barrier method.

2. Brute force over every held set, the spec's defaults with
   max_exposures = 4 (3 to 4 held, each held weight in [0.01, 0.4], sum 1,
   no two held correlated above 0.8), for MinVolatility, MaxSharpeRatio
   (risk-free 0.02), MaxDiversification and TargetReturn (8% on the
   factor instance, 7% on the tied one), each
   support's continuous problem solved by CVXOPT's QP (the ratio
   objectives through the homogenising transform y = k w;
   ref_supports.solve_support), on two
   instances of 12 exposures:
   - factor: 3 factors plus specific risk, pairwise correlations below
     0.8, so only the counts bind (the perspective diagonal decides the
     bound);
   - tied: 4 clusters of 3, correlations 0.9-0.97 inside a cluster and
     exactly 0.2 across, so at most one per cluster is held and
     MaxDiversification ties between held sets (the raised clique matrix
     decides the bound);
   - singular: 6 exposures, the last two identical (correlation 1), so
     the covariance is singular and there is no perspective diagonal; at
     most 3 held.

    /usr/bin/python3 tests/ref/exposure/ref_persp.py OUT.lua

writes a Lua chunk returning {mtfa = {corr, sum, d}, factor = {names, mu,
cov, <objective> = {value, weights}}, tied = {...}}.
"""
import itertools
import os
import sys

import numpy as np
from cvxopt import matrix, solvers

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ref_supports import CAP, MINPOS, PAIRS, RF, solve_support  # noqa: E402  (same limits, same QP per held set)

N, MIN_HELD, MAX_HELD = 12, 3, 4
TARGET = {"factor": 0.08, "tied": 0.07, "singular": 0.075}   # each binds on its instance


def factor_instance():
    rng = np.random.default_rng(1607)
    B = 0.15 * (rng.random((N, 3)) - 0.5)
    spec = 0.01 + 0.03 * rng.random(N) ** 2
    mu = 0.04 + 0.06 * rng.random(N)
    cov = B @ B.T + np.diag(spec)
    return mu, cov


def tied_instance():
    rng = np.random.default_rng(4242)
    cluster = np.repeat(np.arange(4), 3)
    vol = 0.10 + 0.08 * rng.random(N)
    mu = 0.03 + 0.01 * cluster + 0.02 * rng.random(N)
    a = 0.95 + 0.035 * rng.random(N)
    corr = np.full((N, N), 0.2)
    for i in range(N):
        for j in range(N):
            if i == j:
                corr[i, j] = 1.0
            elif cluster[i] == cluster[j]:
                corr[i, j] = a[i] * a[j]
    return mu, corr * np.outer(vol, vol)


def singular_instance():
    vol = np.array([0.1, 0.15, 0.2, 0.12, 0.18, 0.18])
    corr = np.full((6, 6), 0.3)
    np.fill_diagonal(corr, 1.0)
    corr[4, 5] = corr[5, 4] = 1.0
    mu = np.array([0.05, 0.06, 0.08, 0.05, 0.09, 0.09])
    return mu, corr * np.outer(vol, vol)


def mtfa(R):
    n = R.shape[0]
    c = matrix(-np.ones(n))
    Gl = matrix(-np.eye(n))
    hl = matrix(np.zeros(n))
    G = np.zeros((n * n, n))
    for i in range(n):
        G[i * n + i, i] = 1.0
    sol = solvers.sdp(c, Gl, hl, [matrix(G)], [matrix(R)],
                      options={"show_progress": False, "abstol": 1e-10, "reltol": 1e-10, "feastol": 1e-10})
    assert sol["status"] == "optimal", sol["status"]
    return np.array(sol["x"]).ravel()


def brute(mu, cov, target, max_held):
    n = len(mu)
    corr = cov / np.sqrt(np.outer(np.diag(cov), np.diag(cov)))
    out = {}
    for kind in ("MinVolatility", "MaxSharpeRatio", "MaxDiversification", "TargetReturn"):
        minimised = kind in ("MinVolatility", "TargetReturn")
        best = None
        for r in range(MIN_HELD, max_held + 1):
            for S in itertools.combinations(range(n), r):
                if any(corr[i, j] > PAIRS for i, j in itertools.combinations(S, 2)):
                    continue
                got = solve_support(kind, list(S), mu, cov, target)
                if got is None:
                    continue
                if best is None or (got[0] < best[0] if minimised else got[0] > best[0]):
                    best = got
        out[kind] = best
    return out


def vec(v):
    return "{%s}" % ", ".join("%.17g" % x for x in v)


def write_instance(f, tag, mu, cov, max_held=MAX_HELD):
    n = len(mu)
    f.write("  %s = {\n    names = {%s},\n" % (tag, ", ".join('"%s%d"' % (tag[0], i + 1) for i in range(n))))
    f.write("    mu = %s,\n    cov = {\n" % vec(mu))
    for row in cov:
        f.write("      %s,\n" % vec(row))
    f.write("    },\n    target = %.17g,\n    max_held = %d,\n" % (TARGET[tag], max_held))
    for kind, (value, w) in brute(mu, cov, TARGET[tag], max_held).items():
        f.write("    %s = {value = %.17g, weights = %s},\n" % (kind, value, vec(w)))
    f.write("  },\n")


def main():
    fmu, fcov = factor_instance()
    fcorr = fcov / np.sqrt(np.outer(np.diag(fcov), np.diag(fcov)))
    assert np.max(fcorr - np.eye(N)) < PAIRS
    d = mtfa(fcorr)
    with open(sys.argv[1], "w") as f:
        f.write("return {\n  mtfa = {sum = %.17g, d = %s},\n" % (d.sum(), vec(d)))
        write_instance(f, "factor", fmu, fcov)
        tmu, tcov = tied_instance()
        write_instance(f, "tied", tmu, tcov)
        smu, scov = singular_instance()
        write_instance(f, "singular", smu, scov, 3)
        f.write("}\n")


if __name__ == "__main__":
    main()
