#!/usr/bin/python3
"""Risk parity: folio against scipy's L-BFGS-B, side by side in one run.

    /usr/bin/python3 bench/riskparity/bench.py [--folio build/folio] [--rounds 7] [--sizes 1000,20]

folio runs in one long-lived `folio run bench/riskparity/folio_side.lua`
process (in-process timing with folio.now() and os.clock(), process start
excluded) and scipy in this one; each round times every method once, in an
order that alternates between rounds, and the tables give medians over the
rounds. Both sides use OpenBLAS on one thread (folio's host always does).

Methods, on the same seeded covariance and budgets:
  folio direct     folio.core_stats.risk_parity(cov, budgets) from Lua: the
                   Lua table read into C, the PSD check, the solve
                   (and once more with {psd = false}: without the check)
  folio exposure   ExposureOptimizer():optimize{objective = RiskParity{budgets}}:
                   the whole call (input checks, solve, result fields)
  L-BFGS-B         scipy.optimize.minimize(method="L-BFGS-B") on
                   min 1/2 y'Sy - sum b_i log y_i, y >= 1e-12, then w = y / sum y,
                   with scipy's default tolerances and tighter ones
Accuracy: max_i |RC_i / b_i - 1|, RC_i = w_i (Sw)_i / w'Sw, budgets b
summing to 1, computed here in numpy for every method alike.
"""
import os
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
import argparse
import statistics
import struct
import subprocess
import sys
import tempfile
import time

import numpy as np
from scipy.optimize import minimize

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))

# L-BFGS-B settings: scipy's defaults, then tighter until it matches folio
LBFGS = [
    ("L-BFGS-B default (ftol 2.2e-9, gtol 1e-5)", {}),
    ("L-BFGS-B ftol 1e-12, gtol 1e-9", {"ftol": 1e-12, "gtol": 1e-9}),
    ("L-BFGS-B ftol 0, gtol 1e-11", {"ftol": 0.0, "gtol": 1e-11}),
    ("L-BFGS-B ftol 0, gtol 1e-13", {"ftol": 0.0, "gtol": 1e-13}),
]


def factor_cov(n, rng, k=10):
    """k-factor model plus specific risk (annualised): a market factor with
    betas around 1, k-1 style/industry factors, specific vols 10-35%"""
    B = np.empty((n, k))
    B[:, 0] = 0.16 * rng.normal(1.0, 0.25, n)
    B[:, 1:] = rng.normal(0.0, 0.06, (n, k - 1))
    spec = rng.uniform(0.10, 0.35, n)
    return B @ B.T + np.diag(spec ** 2)


def random_cov(n, rng):
    """a random well-conditioned covariance: the correlation of a Wishart
    matrix with 2n degrees of freedom (condition number about 30), vols 10-40%"""
    A = rng.standard_normal((n, 2 * n))
    C = A @ A.T / (2 * n)
    d = np.sqrt(np.diag(C))
    C = C / np.outer(d, d)
    v = rng.uniform(0.10, 0.40, n)
    return C * np.outer(v, v)


def accuracy(S, b, w):
    w = np.asarray(w, dtype=float)
    Sw = S @ w
    rc = w * Sw / (w @ Sw)
    return float(np.max(np.abs(rc / (b / b.sum()) - 1)))


def lbfgs(S, b, opts):
    bn = b / b.sum()
    y0 = np.sqrt(bn / np.diag(S))

    def f(y):
        Sy = S @ y
        return 0.5 * y @ Sy - bn @ np.log(y), Sy - bn / y

    o = {"maxiter": 100000, "maxfun": 100000}
    o.update(opts)
    r = minimize(f, y0, jac=True, method="L-BFGS-B", bounds=[(1e-12, None)] * len(b), options=o)
    return r.x / r.x.sum(), r.nit


class Folio:
    def __init__(self, exe):
        self.p = subprocess.Popen([exe, "--quiet", "run", os.path.join(HERE, "folio_side.lua")], cwd=ROOT,
                                  stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, bufsize=1)

    def ask(self, line):
        self.p.stdin.write(line + "\n")
        self.p.stdin.flush()
        return self.p.stdout.readline()

    def load(self, path):
        return int(self.ask("load " + path))

    def run(self, kind, reps):
        wall, cpu, extra = self.ask("%s %d" % (kind, reps)).split()
        w = [float(x) for x in self.p.stdout.readline().split()]
        return float(wall), float(cpu), extra, w

    def close(self):
        self.ask("quit")
        self.p.wait()


def timed_py(fn, reps):
    t0, c0 = time.perf_counter(), time.process_time()
    for _ in range(reps):
        out = fn()
    return (time.perf_counter() - t0) / reps, (time.process_time() - c0) / reps, out


def case(fo, name, S, b, rounds, reps):
    n = len(b)
    with tempfile.NamedTemporaryFile(suffix=".bin", delete=False) as f:
        f.write(struct.pack("<d", n))
        f.write(S.astype("<f8").tobytes())
        f.write(b.astype("<f8").tobytes())
        path = f.name
    assert fo.load(path) == n
    os.unlink(path)
    methods = [("folio direct (stats.risk_parity)", "direct"), ("folio direct, PSD check off", "nopsd"),
               ("folio exposure optimizer (RiskParity)", "exposure")]
    methods += [(label, opts) for label, opts in LBFGS]
    res = {m[0]: {"wall": [], "cpu": [], "acc": None, "extra": ""} for m in methods}
    for r in range(rounds):
        order = methods if r % 2 == 0 else methods[::-1]
        for label, what in order:
            if isinstance(what, str):
                wall, cpu, extra, w = fo.run(what, reps)
            else:
                wall, cpu, (w, nit) = timed_py(lambda: lbfgs(S, b, what), reps)
                extra = "iterations=%d" % nit
            d = res[label]
            d["wall"].append(wall)
            d["cpu"].append(cpu)
            d["acc"], d["extra"] = accuracy(S, b, w), extra
    base = statistics.median(res[methods[0][0]]["wall"])
    print("\n### %s, n = %d (median of %d paired rounds%s)\n" % (name, n, rounds,
          ", %d solves per timing" % reps if reps > 1 else ""))
    print("| method | wall (ms) | CPU (ms) | wall / folio direct | max rel. RC error | notes |")
    print("|---|---:|---:|---:|---:|---|")
    for label, _ in methods:
        d = res[label]
        wall, cpu = statistics.median(d["wall"]), statistics.median(d["cpu"])
        print("| %s | %.3f | %.3f | %.2f | %.1e | %s |" % (label, 1e3 * wall, 1e3 * cpu, wall / base, d["acc"], d["extra"]))
    sys.stdout.flush()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--folio", default=os.path.join(ROOT, "build", "folio"))
    ap.add_argument("--rounds", type=int, default=7)
    ap.add_argument("--sizes", default="1000,20")
    ap.add_argument("--seed", type=int, default=17)
    a = ap.parse_args()
    print("load average at start: %.2f %.2f %.2f" % os.getloadavg())
    fo = Folio(a.folio)
    for n in [int(s) for s in a.sizes.split(",")]:
        reps = 1 if n >= 200 else 200
        rng = np.random.default_rng(a.seed + n)
        Sf = factor_cov(n, rng)
        Sr = random_cov(n, rng)
        eq = np.ones(n)
        uneq = rng.uniform(0.5, 2.0, n)
        case(fo, "factor model (10 factors + specific), equal budgets", Sf, eq, a.rounds, reps)
        case(fo, "factor model, unequal budgets (0.5-2)", Sf, uneq, a.rounds, reps)
        case(fo, "random well-conditioned (Wishart correlation), equal budgets", Sr, eq, a.rounds, reps)
    fo.close()
    print("\nload average at end: %.2f %.2f %.2f" % os.getloadavg())


if __name__ == "__main__":
    main()
