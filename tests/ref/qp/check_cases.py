#!/usr/bin/python3
"""Load every cases/*.json and re-check it from the JSON alone (numpy only).

For optimal cases with a recorded x it checks Ax = b, Gx + s = h, s and z in
the cone, Px + q + G'z + A'y = 0, s'z = 0 and the objective (to 1e-8 scaled).  Prints one line per
file and exits non-zero if a file does not load or a check fails.

    /usr/bin/python3 tests/ref/qp/check_cases.py
"""

import glob
import json
import os
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
TOL = 1e-8


def margin(v, dims):
    l = dims["l"]
    out = [v[:l].min()] if l else []
    k = l
    for qk in dims["q"]:
        out.append(v[k] - np.linalg.norm(v[k + 1:k + qk]))
        k += qk
    return min(out) if out else 0.0


def check(d):
    n = d["n"]
    for key in ("name", "description", "n", "P", "q", "A", "b", "G", "h", "dims",
                "status", "unique_x", "cvxopt_iterations"):
        assert key in d, "missing " + key
    dims = d["dims"]
    q = np.array(d["q"], float)
    P = np.zeros((n, n)) if d["P"] is None else np.array(d["P"], float)
    A = np.array(d["A"], float).reshape(-1, n)
    b = np.array(d["b"], float)
    G = np.array(d["G"], float).reshape(-1, n)
    h = np.array(d["h"], float)
    assert q.shape == (n,) and P.shape == (n, n) and np.allclose(P, P.T, atol=0)
    assert A.shape[0] == b.size and G.shape[0] == h.size
    assert dims["l"] + sum(dims["q"]) == G.shape[0]
    assert d["status"] in ("optimal", "primal infeasible", "dual infeasible")
    if d["status"] != "optimal":
        return "status %s" % d["status"]
    obj = d["primal_objective"]
    if "x" not in d:
        assert d["unique_x"] is False
        return "optimal, x not unique, objective %r" % obj
    x, y, z, s = (np.array(d[k], float) for k in ("x", "y", "z", "s"))
    sc = max(1.0, np.abs(q).max(), np.abs(h).max() if h.size else 0.0)
    r = dict(
        peq=np.abs(A @ x - b).max() if b.size else 0.0,
        pin=np.abs(G @ x + s - h).max() if h.size else 0.0,
        dual=np.abs(P @ x + q + G.T @ z + A.T @ y).max(),
        gap=abs(s @ z),
        sm=-min(0.0, margin(s, dims)) if h.size else 0.0,
        zm=-min(0.0, margin(z, dims)) if h.size else 0.0,
        obj=abs(0.5 * x @ P @ x + q @ x - obj) / max(1.0, abs(obj)),
    )
    bad = {k: v for k, v in r.items() if v > TOL * sc}
    assert not bad, "KKT check failed: %r" % bad
    return "optimal, worst KKT residual %.1e" % max(r.values())


def main():
    files = sorted(glob.glob(os.path.join(HERE, "cases", "*.json")))
    fails = 0
    for f in files:
        name = os.path.basename(f)
        try:
            with open(f) as fh:
                d = json.load(fh)
            if name.startswith("orlib_"):
                k = len(d["targets"])
                assert k == len(d["published_variance"]) == len(d["cvxopt_variance"])
                msg = "frontier, %d points, max rel diff %.2e" % (
                    k, d["max_abs_relative_difference"])
            else:
                assert d["name"] + ".json" == name
                msg = check(d)
            print("ok    %-34s %s" % (name, msg))
        except Exception as e:                      # noqa: BLE001
            fails += 1
            print("FAIL  %-34s %s" % (name, e))
    print("%d files, %d failures" % (len(files), fails))
    sys.exit(1 if fails else 0)


if __name__ == "__main__":
    main()
