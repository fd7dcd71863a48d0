#!/usr/bin/python3
"""Check the published OR-Library unconstrained efficient frontiers with CVXOPT.

For portN.txt (line 1: N; N lines "mean stdev"; then lines "i j corr",
1-based, upper triangle incl. diagonal; covariance = corr * sd_i * sd_j) and
portefN.txt (2000 lines "mean_return variance" of the published long-only
frontier), take 60 of the published points (evenly spaced by line number,
both ends included), use their own returns as targets and solve

    min w'Sigma w   s.t.  mu'w = target, sum w = 1, w >= 0

with CVXOPT (coneqp, abstol=reltol=feastol=1e-10, maxiters=200).  The
covariance is scaled by 1/max(diag) inside the solve so the objective is
O(1) and the absolute gap tolerance means a relative one; the variance is
recomputed with the unscaled covariance.  Writes
cases/orlib_portN_frontier.json and prints the largest relative difference
|var_cvxopt - var_published| / var_published.

    /usr/bin/python3 tests/ref/qp/orlib_frontier.py [--all] [N ...]   (default 1 2)

--all additionally compares all 2000 published points (summary only).
"""

import json
import os
import sys

import numpy as np
from cvxopt import matrix, solvers

HERE = os.path.dirname(os.path.abspath(__file__))
CASES_DIR = os.path.join(HERE, "cases")
REPO = os.path.normpath(os.path.join(HERE, "..", "..", ".."))
DATA = os.path.join(REPO, "data")
ORLIB = os.path.join(DATA, "orlib")

OPTS = dict(abstol=1e-10, reltol=1e-10, feastol=1e-10, maxiters=200,
            show_progress=False)
NPOINTS = 60


def read_port(path):
    tok = open(path).read().split()
    n = int(tok[0])
    vals = [float(t) for t in tok[1:1 + 2 * n]]
    mu = np.array(vals[0::2])
    sd = np.array(vals[1::2])
    rest = tok[1 + 2 * n:]
    assert len(rest) % 3 == 0
    corr = np.full((n, n), np.nan)
    for k in range(0, len(rest), 3):
        i, j, c = int(rest[k]) - 1, int(rest[k + 1]) - 1, float(rest[k + 2])
        corr[i, j] = corr[j, i] = c
    assert not np.isnan(corr).any(), "correlation matrix incomplete"
    return mu, sd, corr * np.outer(sd, sd)


def read_frontier(path):
    a = np.loadtxt(path)
    assert a.ndim == 2 and a.shape[1] == 2
    return a[:, 0], a[:, 1]


def min_var(mu, S, target):
    n = len(mu)
    k = 1.0 / S.diagonal().max()
    P = matrix(2.0 * k * S)
    q = matrix(0.0, (n, 1))
    G = matrix(-np.eye(n))
    h = matrix(0.0, (n, 1))
    A = matrix(np.vstack([mu, np.ones(n)]))
    b = matrix([float(target), 1.0])
    last = None
    for kkt in (None, "ldl"):
        try:
            r = solvers.coneqp(P, q, G, h, None, A, b, kktsolver=kkt, options=dict(OPTS))
        except (ValueError, ArithmeticError) as e:
            last = "%s: %s" % (type(e).__name__, e)
            continue
        if r["status"] == "optimal":
            # d(variance)/d(target) = -y_return / k  (sensitivity of the optimum)
            return (np.array(r["x"]).ravel(), r["status"], r["iterations"],
                    kkt or "default", -r["y"][0] / k)
        last = r
    # fall back to the last non-optimal answer (reported as such)
    if isinstance(last, dict):
        return (np.array(last["x"]).ravel(), last["status"], last["iterations"], "ldl",
                -last["y"][0] / k)
    return None, last, None, None, None


def run(num):
    mu, sd, S = read_port(os.path.join(ORLIB, "port%d.txt" % num))
    ret, var = read_frontier(os.path.join(ORLIB, "portef%d.txt" % num))
    n = len(mu)
    idx = np.unique(np.round(np.linspace(0, len(ret) - 1, NPOINTS)).astype(int))
    eig = np.linalg.eigvalsh(S)
    print("port%d: N=%d assets, %d published points, return range [%.10f, %.10f], "
          "max mu = %.6f, covariance eigenvalues [%.3g, %.3g]"
          % (num, n, len(ret), ret.min(), ret.max(), mu.max(), eig[0], eig[-1]))
    rows = []
    for i in idx:
        w, status, iters, kkt, slope = min_var(mu, S, ret[i])
        if w is None:
            rows.append(dict(i=int(i), target=ret[i], pub=var[i], cvx=None,
                             status=str(status), iters=None))
            continue
        v = float(w @ S @ w)
        rows.append(dict(i=int(i), target=float(ret[i]), pub=float(var[i]), cvx=v,
                         status=status, iters=int(iters), kkt=kkt, slope=float(slope),
                         ret_err=float(abs(mu @ w - ret[i])),
                         sum_err=float(abs(w.sum() - 1.0)),
                         wmin=float(w.min()), nnz=int(np.sum(w > 1e-7))))
    ok = [r for r in rows if r["cvx"] is not None]
    rel = np.array([(r["cvx"] - r["pub"]) / r["pub"] for r in ok])
    arel = np.abs(rel)
    j = int(np.argmax(arel))
    # The published file prints 10 decimals: each number carries up to 5e-11
    # of rounding.  The variance at the rounded return can therefore differ
    # from the printed variance by up to 5e-11 * (1 + |dvar/dret|).
    absd = np.array([abs(r["cvx"] - r["pub"]) for r in ok])
    bound = np.array([5e-11 * (1.0 + abs(r["slope"])) for r in ok])
    print("  line  target_return    published_var     cvxopt_var          rel_diff"
          "    abs_diff  round_bnd  it  nnz  status")
    for r, d, ad, bd in zip(ok, rel, absd, bound):
        print("  %4d  %.10f  %.10f  %.12e  %+.3e  %.2e  %.2e  %3d  %3d  %s"
              % (r["i"] + 1, r["target"], r["pub"], r["cvx"], d, ad, bd, r["iters"],
                 r["nnz"], r["status"]))
    for r in rows:
        if r["cvx"] is None:
            print("  line %d: CVXOPT failed: %s" % (r["i"] + 1, r["status"]))
    print("port%d: max relative difference %.3e at line %d (return %.10f); "
          "median %.3e; %d of %d points within 1e-6; cvxopt below published at %d, "
          "above at %d points"
          % (num, arel[j], ok[j]["i"] + 1, ok[j]["target"], np.median(arel),
             int(np.sum(arel <= 1e-6)), len(ok), int(np.sum(rel < 0)), int(np.sum(rel > 0))))
    print("port%d: max |var_cvxopt - var_published| = %.3e; %d of %d points within the "
          "10-decimal rounding bound 5e-11*(1+|dvar/dret|), worst ratio diff/bound %.2f"
          % (num, absd.max(), int(np.sum(absd <= bound)), len(ok), (absd / bound).max()))
    out = {
        "instance": "port%d" % num,
        "n_assets": n,
        "description": "60 published points of portef%d.txt (every ~34th line, both "
                       "ends), their own returns as targets; cvxopt_variance = w'Sigma w "
                       "of CVXOPT's min w'Sigma w s.t. mu'w = target, sum w = 1, w >= 0"
                       % num,
        "published_lines": [r["i"] + 1 for r in ok],
        "targets": [r["target"] for r in ok],
        "published_variance": [r["pub"] for r in ok],
        "cvxopt_variance": [r["cvx"] for r in ok],
        "relative_difference": [float(x) for x in rel],
        "max_abs_relative_difference": float(arel[j]),
        "dvariance_dreturn": [r["slope"] for r in ok],
        "cvxopt_status": [r["status"] for r in ok],
        "cvxopt_iterations": [r["iters"] for r in ok],
    }
    os.makedirs(CASES_DIR, exist_ok=True)
    path = os.path.join(CASES_DIR, "orlib_port%d_frontier.json" % num)
    with open(path, "w") as f:
        json.dump(out, f, indent=1, allow_nan=False)
        f.write("\n")
    with open(path) as f:
        assert json.load(f) == json.loads(json.dumps(out))
    return arel[j]


def check_all(num):
    """Diagnostic: compare every one of the 2000 published points (no file written)."""
    mu, sd, S = read_port(os.path.join(ORLIB, "port%d.txt" % num))
    ret, var = read_frontier(os.path.join(ORLIB, "portef%d.txt" % num))
    rel, ratio = [], []
    for i in range(len(ret)):
        w, status, iters, kkt, slope = min_var(mu, S, ret[i])
        if w is None or status != "optimal":
            print("  line %d: CVXOPT status %s" % (i + 1, status))
            continue
        v = float(w @ S @ w)
        rel.append((v - var[i]) / var[i])
        ratio.append(abs(v - var[i]) / (5e-11 * (1.0 + abs(slope))))
    rel, ratio = np.abs(np.array(rel)), np.array(ratio)
    print("port%d, all %d published points: max relative difference %.3e (line %d); "
          "%d above 1e-6, %d above 1e-7; %d exceed the rounding bound (max ratio %.2f)"
          % (num, len(rel), rel.max(), int(np.argmax(rel)) + 1, int(np.sum(rel > 1e-6)),
             int(np.sum(rel > 1e-7)), int(np.sum(ratio > 1)), ratio.max()))


def main():
    args = sys.argv[1:]
    every = "--all" in args
    nums = [int(a) for a in args if a != "--all"] or [1, 2]
    for num in nums:
        run(num)
        if every:
            check_all(num)


if __name__ == "__main__":
    main()
