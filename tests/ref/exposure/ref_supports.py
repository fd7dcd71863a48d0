#!/usr/bin/python3
"""References for tests/lua/test_exposure_spec.lua, computed with CVXOPT
and numpy, independent of folio.

1. Brute force over every held set.

A deterministic instance of 10 exposures in clusters (pairs correlated
above 0.8 inside a cluster), and for MinVolatility, MaxSharpeRatio
(risk-free 0.02) and MaxDiversification under the spec's holdings limits
(3 to 4 held, no two held correlated above 0.8, a held weight at least
0.01) plus long-only weights at most 0.4 summing to 1: the best portfolio
over every support, each support's continuous problem solved by CVXOPT's
QP (the ratio objectives through the homogenising transform y = k w).

    /usr/bin/python3 tests/ref/exposure/ref_supports.py OUT.lua

2. Constrained risk parity (Richard and Roncalli): on the five-exposure
test universe (tests/data/results/universe.lua) with every weight at most
0.3, x(lambda) = argmin 1/2 x'Sx - lambda sum log(x)/5 s.t. x <= 0.3 by
CVXOPT's nonlinear solver (cp), with lambda bisected until sum x = 1.

3. Fund weights: bounded least squares min ||A f - t||^2, 0 <= f <= 1
(and sum f = 1), by CVXOPT's QP, for a random loading matrix.

writes a Lua chunk returning {names, mu, cov, <objective> = {value,
weights}, parity = {weights}, funds = {loadings, target, free, budget}}.
"""
import itertools
import sys

import numpy as np
from cvxopt import matrix, solvers

solvers.options.update(show_progress=False, abstol=1e-13, reltol=1e-13, feastol=1e-13, maxiters=200)

N, MIN_HELD, MAX_HELD, CAP, MINPOS, PAIRS, RF = 10, 3, 4, 0.4, 0.01, 0.8, 0.02


def instance():
    rng = np.random.default_rng(20250711)
    cluster = np.array([0, 0, 0, 1, 1, 2, 2, 3, 4, 4])
    vol = 0.08 + 0.12 * rng.random(N)
    mu = 0.03 + 0.06 * rng.random(N)
    corr = np.full((N, N), 0.2)
    for i in range(N):
        for j in range(N):
            if i == j:
                corr[i, j] = 1.0
            elif cluster[i] == cluster[j]:
                corr[i, j] = 0.85 + 0.1 * ((i + j) % 3) / 2
    cov = corr * np.outer(vol, vol)
    return mu, cov


def solve_support(kind, S, mu, cov, target=None):
    """The continuous problem on held set S (the others at 0, each held
    weight in [MINPOS, CAP], sum 1): MinVolatility, TargetReturn (with
    target), MaxSharpeRatio or MaxDiversification. -> (value, weights) or
    None. tests/ref/exposure/ref_persp.py uses it too."""
    k = len(S)
    C = cov[np.ix_(S, S)]
    if kind in ("MinVolatility", "TargetReturn"):
        P = matrix(2 * C)
        q = matrix(np.zeros(k))
        rows = [np.eye(k), -np.eye(k)]
        bounds = [np.full(k, CAP), np.full(k, -MINPOS)]
        if kind == "TargetReturn":
            rows.append(-mu[S].reshape(1, k))
            bounds.append(np.array([-target]))
        G = matrix(np.vstack(rows))
        h = matrix(np.concatenate(bounds))
        A = matrix(np.ones((1, k)))
        b = matrix(np.ones(1))
    else:
        a = mu[S] - RF if kind == "MaxSharpeRatio" else np.sqrt(np.diag(C))
        P = np.zeros((k + 1, k + 1))
        P[:k, :k] = 2 * C
        P = matrix(P)
        q = matrix(np.zeros(k + 1))
        G = np.zeros((2 * k + 1, k + 1))
        G[:k, :k] = np.eye(k)
        G[:k, k] = -CAP
        G[k:2 * k, :k] = -np.eye(k)
        G[k:2 * k, k] = MINPOS
        G[2 * k, k] = -1
        G = matrix(G)
        h = matrix(np.zeros(2 * k + 1))
        A = np.zeros((2, k + 1))
        A[0, :k] = a
        A[1, :k] = 1
        A[1, k] = -1
        A = matrix(A)
        b = matrix(np.array([1.0, 0.0]))
    try:
        sol = solvers.qp(P, q, G, h, A, b)
    except ValueError:
        return None
    if sol["status"] != "optimal":
        return None
    x = np.array(sol["x"]).ravel()
    if kind in ("MinVolatility", "TargetReturn"):
        w = x
        value = float(np.sqrt(w @ C @ w))
    else:
        w = x[:k] / x[k]
        value = float((a @ w) / np.sqrt(w @ C @ w))
    full = np.zeros(len(mu))
    full[S] = w
    return value, full


def parity():
    vol = np.array([0.16, 0.06, 0.12, 0.18, 0.15])
    corr = np.array([[1, -0.2, 0.1, 0.6, 0.05], [-0.2, 1, 0.1, -0.1, 0.2], [0.1, 0.1, 1, 0.1, 0.15],
                     [0.6, -0.1, 0.1, 1, 0.1], [0.05, 0.2, 0.15, 0.1, 1]])
    S = corr * np.outer(vol, vol)
    n, cap = 5, 0.3
    b = np.full(n, 1.0 / n)
    G = matrix(np.eye(n))
    h = matrix(np.full(n, cap))

    def x_of(lam):
        def F(x=None, z=None):
            if x is None:
                return 0, matrix(np.full(n, 0.1))
            y = np.array(x).ravel()
            if np.any(y <= 0):
                return None
            f = 0.5 * y @ S @ y - lam * b @ np.log(y)
            Df = matrix((S @ y - lam * b / y).reshape(1, n))
            if z is None:
                return f, Df
            return f, Df, matrix(z[0] * (S + np.diag(lam * b / y ** 2)))
        return np.array(solvers.cp(F, G, h)["x"]).ravel()

    # lambda with sum x(lambda) = 1, by bisection on log(lambda)
    lo, hi = 1e-6, 1.0
    for _ in range(70):
        mid = np.sqrt(lo * hi)
        if x_of(mid).sum() < 1:
            lo = mid
        else:
            hi = mid
    x = x_of(np.sqrt(lo * hi))
    return x / x.sum()


def funds():
    rng = np.random.default_rng(7)
    A = np.round(rng.random((4, 6)) * 2, 2) * (rng.random((4, 6)) < 0.5)
    t = np.array([0.3, 0.25, 0.2, 0.15])
    out = []
    for budget in (None, 1.0):
        k = A.shape[1]
        P = matrix(2 * A.T @ A + 1e-12 * np.eye(k))
        q = matrix(-2 * A.T @ t)
        G = matrix(np.vstack([np.eye(k), -np.eye(k)]))
        h = matrix(np.concatenate([np.ones(k), np.zeros(k)]))
        if budget is None:
            sol = solvers.qp(P, q, G, h)
        else:
            sol = solvers.qp(P, q, G, h, matrix(np.ones((1, k))), matrix(np.ones(1)))
        f = np.array(sol["x"]).ravel()
        out.append((f, float(np.sum((A @ f - t) ** 2))))
    return A, t, out


def main():
    mu, cov = instance()
    corr = cov / np.sqrt(np.outer(np.diag(cov), np.diag(cov)))
    out = {}
    for kind in ("MinVolatility", "MaxSharpeRatio", "MaxDiversification"):
        best = None
        for r in range(1, N + 1):
            for S in itertools.combinations(range(N), r):
                if not MIN_HELD <= r <= MAX_HELD:
                    continue
                if any(corr[i, j] > PAIRS for i, j in itertools.combinations(S, 2)):
                    continue
                got = solve_support(kind, list(S), mu, cov)
                if got is None:
                    continue
                value, w = got
                better = value < best[0] if (best and kind == "MinVolatility") else (best is None or value > best[0])
                if best is None or better:
                    best = (value, w)
        out[kind] = best
    names = ["x%d" % (i + 1) for i in range(N)]
    with open(sys.argv[1], "w") as f:
        f.write("return {\n  names = {%s},\n" % ", ".join('"%s"' % e for e in names))
        f.write("  mu = {%s},\n" % ", ".join("%.17g" % v for v in mu))
        f.write("  cov = {\n")
        for row in cov:
            f.write("    {%s},\n" % ", ".join("%.17g" % v for v in row))
        f.write("  },\n")
        for kind, (value, w) in out.items():
            f.write("  %s = {value = %.17g, weights = {%s}},\n" % (kind, value, ", ".join("%.17g" % v for v in w)))
        w = parity()
        f.write("  parity = {weights = {%s}},\n" % ", ".join("%.17g" % v for v in w))
        A, t, fs = funds()
        f.write("  funds = {\n    loadings = {\n")
        for row in A:
            f.write("      {%s},\n" % ", ".join("%.17g" % v for v in row))
        f.write("    },\n    target = {%s},\n" % ", ".join("%.17g" % v for v in t))
        for tag, (x, r2) in zip(("free", "budget"), fs):
            f.write("    %s = {weights = {%s}, squared_residual = %.17g},\n"
                    % (tag, ", ".join("%.17g" % v for v in x), r2))
        f.write("  },\n}\n")


if __name__ == "__main__":
    main()
