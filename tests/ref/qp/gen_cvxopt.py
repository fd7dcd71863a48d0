#!/usr/bin/python3
"""Generate reference QP / LP / SOCP cases for folio's interior-point solver.

Every case is built from a fixed numpy seed (one seed per case, so adding a
case never changes another), solved with CVXOPT (coneqp for problems with a
quadratic term, conelp for LPs and linear-objective SOCPs) at tight
tolerances, and written to cases/NAME.json.  See README.md for the format.

Run with Debian's interpreter (it has numpy and python3-cvxopt):

    /usr/bin/python3 tests/ref/qp/gen_cvxopt.py

Data: the repository's data/ folder (see data/README.md).
"""

import csv
import json
import math
import os
import sys
import zlib

import numpy as np
import cvxopt
from cvxopt import matrix, solvers

HERE = os.path.dirname(os.path.abspath(__file__))
CASES_DIR = os.path.join(HERE, "cases")
REPO = os.path.normpath(os.path.join(HERE, "..", "..", ".."))
DATA = os.path.join(REPO, "data")

OPTS = dict(abstol=1e-10, reltol=1e-10, feastol=1e-10, maxiters=200,
            show_progress=False)


# --------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------

def cm(a):
    """numpy -> cvxopt dense matrix (column vector for 1-d input)."""
    a = np.asarray(a, dtype=float)
    if a.ndim == 1:
        return matrix(a.reshape(-1, 1), tc="d") if a.size else matrix(0.0, (0, 1))
    if a.size == 0:
        return matrix(0.0, a.shape)
    return matrix(a, tc="d")


def npv(m):
    return np.array(m, dtype=float).ravel()


def indep_rows(A, tol=1e-9):
    """Indices of a maximal set of linearly independent rows (greedy, in order)."""
    keep = []
    for i in range(A.shape[0]):
        trial = keep + [i]
        if np.linalg.matrix_rank(A[trial], tol=tol * max(1.0, np.abs(A).max())) == len(trial):
            keep.append(i)
    return keep


def cone_margins(v, dims):
    """Smallest margin of v in the cone (>= 0 means inside)."""
    l = dims["l"]
    out = [np.min(v[:l])] if l else []
    k = l
    for qk in dims["q"]:
        blk = v[k:k + qk]
        out.append(blk[0] - np.linalg.norm(blk[1:]))
        k += qk
    return min(out) if out else 0.0


def run_solver(P, q, G, h, dims, A, b, kktsolver=None, extra=None):
    """Solve with coneqp (P given) or conelp (P None). Returns the cvxopt dict."""
    opts = dict(OPTS)
    opts.update(extra or {})
    cdims = {"l": dims["l"], "q": list(dims["q"]), "s": []}
    Gc = cm(G) if G.shape[0] else None
    hc = cm(h) if G.shape[0] else None
    Ac = cm(A) if A.shape[0] else None
    bc = cm(b) if A.shape[0] else None
    if P is None:
        return solvers.conelp(cm(q), Gc, hc, cdims, Ac, bc, kktsolver=kktsolver,
                              options=opts), "conelp"
    if Gc is None:
        n = len(q)
        Gc, hc = matrix(0.0, (0, n)), matrix(0.0, (0, 1))
        cdims = {"l": 0, "q": [], "s": []}
    return solvers.coneqp(cm(P), cm(q), Gc, hc, cdims, Ac, bc, kktsolver=kktsolver,
                          options=opts), "coneqp"


# --------------------------------------------------------------------------
# robust solve chain and uniqueness probes
# --------------------------------------------------------------------------

ATTEMPTS = ((None, {}), ("ldl", {}), ("ldl", {"refinement": 2}))


def solve_chain(P, q, G, h, dims, A, b, notes=None):
    """CVXOPT's default KKT solver first; if it stops early ('unknown', usually
    "singular KKT matrix" in the last iterations at these tolerances) or breaks
    down numerically (ValueError in a cone scaling update), retry with the LDL
    KKT solver, then LDL with 2 iterative refinement steps.
    Returns (sol, solver name, options tag) or (None, None, None)."""
    for kkt_name, extra in ATTEMPTS:
        tag = "kktsolver=%s%s" % (kkt_name or "default",
                                  "".join(", %s=%r" % kv for kv in extra.items()))
        try:
            sol, solver = run_solver(P, q, G, h, dims, A, b, kkt_name, extra)
        except (ValueError, ArithmeticError) as e:
            if notes is not None:
                notes.append("CVXOPT with %s raised %s: %s" % (tag, type(e).__name__, e))
            continue
        if sol["status"] != "unknown":
            return sol, solver, tag
        if notes is not None:
            notes.append("CVXOPT with %s returned 'unknown' after %d iterations"
                         % (tag, sol["iterations"]))
    return None, None, None


PERT_EPS = 1e-7      # relative size of the random data perturbations
PERT_TRIES = 4


def scale(v):
    m = np.abs(v).max() if v.size else 0.0
    return m if m > 0 else 1.0


def perturbation_spreads(P, q, G, h, dims, A, b, x, y, z, seed):
    """Uniqueness probes.  A tiny random change of q moves x by O(eps) when
    the optimal x is unique, but jumps across the optimal face when it is not;
    likewise a tiny change of (h, b) for the multipliers (y, z).
    Returns (max |dx|, max |d(y,z)|)."""
    rng = np.random.default_rng(seed)
    dx = dd = 0.0
    yz = np.concatenate([y, z])
    for _ in range(PERT_TRIES):
        d = rng.standard_normal(len(q))
        d *= PERT_EPS * scale(q) / np.abs(d).max()
        sol, _, _ = solve_chain(P, q + d, G, h, dims, A, b)
        if sol is None or sol["status"] != "optimal":
            dx = math.inf
        else:
            dx = max(dx, np.abs(npv(sol["x"]) - x).max())
        e = rng.standard_normal(len(h) + len(b))
        e *= PERT_EPS * scale(np.concatenate([h, b])) / max(1e-300, np.abs(e).max())
        sol, _, _ = solve_chain(P, q, G, h + e[:len(h)], dims, A, b + e[len(h):])
        if sol is None or sol["status"] != "optimal":
            dd = math.inf
        else:
            yz2 = np.concatenate([npv(sol["y"]) if len(b) else np.zeros(0),
                                  npv(sol["z"]) if len(h) else np.zeros(0)])
            dd = max(dd, np.abs(yz2 - yz).max() if yz.size else 0.0)
    return dx, dd


# --------------------------------------------------------------------------
# case container and solve / write
# --------------------------------------------------------------------------

def empty(n):
    return np.zeros((0, n)), np.zeros(0)


def make_case(name, description, q, P=None, A=None, b=None, G=None, h=None,
              dims=None, expect_status="optimal", expect_unique_x=True,
              known_x=None):
    n = len(q)
    if A is None:
        A, b = empty(n)
    if G is None:
        G, h = empty(n)
    if dims is None:
        dims = {"l": G.shape[0], "q": []}
    assert dims["l"] + sum(dims["q"]) == G.shape[0]
    def arr(v):
        return np.asarray(v, float) + 0.0      # + 0.0 turns -0.0 into 0.0
    return dict(name=name, description=description, n=n,
                P=None if P is None else arr(P),
                q=arr(q), A=arr(A), b=arr(b), G=arr(G), h=arr(h), dims=dims,
                expect_status=expect_status, expect_unique_x=expect_unique_x,
                known_x=known_x)


def solve_case(c):
    P, q, A, b, G, h, dims = c["P"], c["q"], c["A"], c["b"], c["G"], c["h"], c["dims"]
    n = c["n"]
    out = dict(name=c["name"], description=c["description"], n=n,
               P=None if P is None else P.tolist(), q=q.tolist(),
               A=A.tolist(), b=b.tolist(), G=G.tolist(), h=h.tolist(),
               dims={"l": dims["l"], "q": list(dims["q"])})
    notes = []

    # CVXOPT needs rank(A) = p: drop repeated/dependent rows for the solve
    # and give their multipliers the value 0 afterwards.
    keepA = list(range(A.shape[0]))
    if A.shape[0]:
        keepA = indep_rows(A)
        if len(keepA) < A.shape[0]:
            dropped = [i for i in range(A.shape[0]) if i not in keepA]
            notes.append("A has dependent rows %s; CVXOPT requires rank(A) = p, so "
                         "they were dropped for the solve and their entries of y "
                         "set to 0 (y is not unique)" % dropped)
    # CVXOPT's stopping test is "gap <= abstol OR relative gap <= reltol", so
    # on a problem whose objective is small (daily-return portfolios: entries
    # ~1e-4, optimum ~1e-5) the absolute test fires early and x is accurate
    # to only ~1e-7.  Such problems are solved with P and q multiplied by a
    # power of two k (exact in floating point): first k from the data size,
    # then, if the objective terms at that solution are still small, k is
    # raised (by at most 2^16) so they are O(1) and the problem re-solved.
    # y, z and primal_objective are divided by k afterwards; x and s are
    # unchanged by the scaling.
    mag = max(np.abs(q).max(), np.abs(P).max() if P is not None else 0.0)
    k = 2.0 ** round(-math.log2(mag)) if 0.0 < mag < 0.25 else 1.0
    for attempt in (1, 2):
        Ps = None if P is None else P * k
        qs = q * k
        sub = []
        sol, solver, tag = solve_chain(Ps, qs, G, h, dims, A[keepA], b[keepA], sub)
        if attempt == 2 or sol is None or sol["status"] != "optimal":
            break
        xs = npv(sol["x"])
        t = max(abs(qs @ xs), abs(0.5 * xs @ Ps @ xs) if P is not None else 0.0)
        if not 0.0 < t < 0.25:
            break
        k *= 2.0 ** min(16, round(-math.log2(t)))
    notes.extend(sub)
    if k != 1.0:
        notes.append("solved with P and q multiplied by k = 2^%d (exact scaling) so "
                     "that CVXOPT's absolute gap tolerance is not loose relative to "
                     "the objective; y, z and primal_objective were divided by k"
                     % round(math.log2(k)))
    if sol is None:
        if P is None:
            raise RuntimeError("%s: every CVXOPT attempt failed" % c["name"])
        status, solver, iters = "unknown", "coneqp", None
    else:
        out["cvxopt_options"] = tag
        status, iters = sol["status"], int(sol["iterations"])
    out["solver"] = "cvxopt.solvers." + solver
    out["cvxopt_iterations"] = iters

    if P is not None and status != "optimal":
        # coneqp cannot certify infeasibility; ask conelp about the
        # feasibility problem (zero objective) instead.
        feas, _ = run_solver(None, np.zeros(n), G, h, dims, A[keepA], b[keepA])
        notes.append("coneqp did not return 'optimal' (see above); coneqp cannot "
                     "certify infeasibility, so status is conelp's on the feasibility "
                     "problem (q = 0, P = 0): %r after %d iterations"
                     % (feas["status"], feas["iterations"]))
        out["coneqp_status"] = status
        out["solver"] = "cvxopt.solvers.conelp (feasibility problem, q = 0, P = 0)"
        status = feas["status"]
        out["cvxopt_iterations"] = int(feas["iterations"])
    out["status"] = status

    info = dict(status=status, iters=out["cvxopt_iterations"])
    if status == "optimal":
        x = npv(sol["x"])
        s = npv(sol["s"]) if G.shape[0] else np.zeros(0)
        z = npv(sol["z"]) / k if G.shape[0] else np.zeros(0)
        y = np.zeros(A.shape[0])
        if A.shape[0]:
            y[keepA] = npv(sol["y"]) / k
        obj = float(sol["primal objective"]) / k
        Px = P @ x if P is not None else np.zeros(n)
        # independent KKT check
        rp_eq = np.abs(A @ x - b).max() if A.shape[0] else 0.0
        rp_in = np.abs(G @ x + s - h).max() if G.shape[0] else 0.0
        rd = np.abs(Px + q + G.T @ z + A.T @ y).max()
        gap = float(s @ z)
        smin = cone_margins(s, dims) if G.shape[0] else 0.0
        zmin = cone_margins(z, dims) if G.shape[0] else 0.0
        obj_chk = 0.5 * x @ Px + q @ x
        kkt = dict(primal_eq=float(rp_eq), primal_ineq=float(rp_in), dual=float(rd),
                   gap=gap, s_cone_margin=float(smin), z_cone_margin=float(zmin),
                   objective_recomputed_minus_reported=float(obj_chk - obj))
        ps, ds = perturbation_spreads(Ps, qs, G, h, dims, A[keepA], b[keepA], x,
                                      y[keepA] * k, z * k, zlib.crc32(c["name"].encode()))
        ds /= k
        if len(keepA) < A.shape[0]:
            ds = math.inf                      # y of repeated rows is not unique
        uniq_x = ps <= 1e-3 * max(1.0, np.abs(x).max())
        uniq_d = ds <= 1e-3 * max(1.0, np.abs(np.concatenate([y, z, [0.0]])).max())
        if uniq_x != c["expect_unique_x"]:
            raise RuntimeError("%s: uniqueness probe says unique_x=%s (spread %.3g) "
                               "but the case was designed with unique_x=%s"
                               % (c["name"], uniq_x, ps, c["expect_unique_x"]))
        out["unique_x"] = bool(uniq_x)
        out["unique_dual"] = bool(uniq_d)
        out["primal_objective"] = obj
        if uniq_x:
            out["x"] = x.tolist()
            out["y"] = y.tolist()
            out["z"] = z.tolist()
            out["s"] = s.tolist()
        out["kkt_residuals"] = kkt
        info.update(obj=obj, ps=ps, ds=ds, kkt=kkt, uniq_x=uniq_x, uniq_d=uniq_d)
        if c["known_x"] is not None:
            out["x_exact"] = np.asarray(c["known_x"], float).tolist()
            info["known_err"] = float(np.abs(x - c["known_x"]).max())
            if info["known_err"] > 1e-7:
                notes.append("CVXOPT's x differs from x_exact by %.2g (max abs); "
                             "x_exact is the analytic solution" % info["known_err"])
        # active-constraint count, for information
        act = int(np.sum(s[:dims["l"]] <= 1e-7 * max(1.0, np.abs(h).max()))) if dims["l"] else 0
        info["active_l"] = act
        k, acone = dims["l"], 0
        for qk in dims["q"]:
            acone += s[k] - np.linalg.norm(s[k + 1:k + qk]) <= 1e-7 * max(1.0, s[k])
            k += qk
        info["active_q"] = "%d/%d" % (acone, len(dims["q"]))
    else:
        out["unique_x"] = c["expect_unique_x"]
    if status != c["expect_status"]:
        raise RuntimeError("%s: expected status %r, got %r"
                           % (c["name"], c["expect_status"], status))
    if notes:
        out["notes"] = notes
    return out, info


KEY_ORDER = ["name", "description", "n", "P", "q", "A", "b", "G", "h", "dims",
             "status", "unique_x", "unique_dual", "x", "y", "z", "s",
             "x_exact", "primal_objective", "cvxopt_iterations", "solver", "cvxopt_options",
             "coneqp_status",
             "kkt_residuals", "notes"]


def dump_value(v):
    # json.dumps writes floats with float.__repr__ (shortest round-trip form,
    # i.e. exact), and refuses NaN/inf with allow_nan=False.
    if isinstance(v, list) and v and isinstance(v[0], list):
        return "[\n  " + ",\n  ".join(json.dumps(r, allow_nan=False) for r in v) + "\n ]"
    return json.dumps(v, allow_nan=False)


def write_case(out):
    keys = [k for k in KEY_ORDER if k in out] + [k for k in out if k not in KEY_ORDER]
    text = "{\n" + ",\n".join(" %s: %s" % (json.dumps(k), dump_value(out[k]))
                              for k in keys) + "\n}\n"
    path = os.path.join(CASES_DIR, out["name"] + ".json")
    with open(path, "w") as f:
        f.write(text)
    # round-trip check: every float must come back bit-identical
    with open(path) as f:
        back = json.load(f)
    assert back == json.loads(json.dumps(out)), path
    return path


# --------------------------------------------------------------------------
# problem builders
# --------------------------------------------------------------------------

def rng_for(seed):
    return np.random.default_rng(seed)


def rand_pd(rng, n, ridge=0.1):
    M = rng.standard_normal((n, n))
    return M @ M.T / n + ridge * np.eye(n)


def case_qp_random(seed, n, m, p):
    rng = rng_for(seed)
    P = rand_pd(rng, n)
    x0 = rng.standard_normal(n)
    G = rng.standard_normal((m, n))
    h = G @ x0 + rng.uniform(0.1, 1.0, m)
    A = rng.standard_normal((p, n))
    b = A @ x0
    xt = x0 + 3.0 * rng.standard_normal(n)      # unconstrained minimiser far away
    q = -P @ xt
    return make_case("qp_random_n%d" % n,
                     "random strictly convex QP, n=%d, %d random inequalities "
                     "(strictly feasible point x0), %d random equalities; "
                     "q = -P xt with xt far from x0 so several inequalities are active"
                     % (n, m, p), q, P, A, b, G, h)


def case_qp_bounds(seed, n, with_upper):
    rng = rng_for(seed)
    P = rand_pd(rng, n)
    q = 2.0 * rng.standard_normal(n)
    lo = -rng.uniform(0.1, 1.0, n)
    if with_upper:
        hi = rng.uniform(0.1, 1.0, n)
        G = np.vstack([np.eye(n), -np.eye(n)])
        h = np.concatenate([hi, -lo])
        name = "qp_box_n%d" % n
        desc = ("strictly convex QP with only box bounds lo <= x <= hi, written as "
                "G = [I; -I], h = [hi; -lo]; no equalities")
    else:
        G = -np.eye(n)
        h = np.zeros(n)
        name = "qp_nonneg_n%d" % n
        desc = "strictly convex QP with only x >= 0 (G = -I, h = 0); no equalities"
    return make_case(name, desc, q, P, None, None, G, h)


def case_lp_random(seed, n, m, p, name):
    rng = rng_for(seed)
    x0 = rng.standard_normal(n)
    G = rng.standard_normal((m, n))
    h = G @ x0 + rng.uniform(0.1, 1.0, m)
    A = rng.standard_normal((p, n))
    b = A @ x0
    z0 = rng.uniform(0.0, 1.0, m)
    y0 = rng.standard_normal(p)
    c = -(G.T @ z0 + A.T @ y0)                  # dual feasible => LP bounded
    desc = ("random LP (P = null), n=%d, %d inequalities with a strictly feasible "
            "point, %d equalities; c = -(G'z0 + A'y0) with z0 >= 0 so it is bounded"
            % (n, m, p))
    return make_case(name, desc, c, None, A, b, G, h)


def case_qp_singular(seed):
    rng = rng_for(seed)
    n, r = 10, 4
    M = rng.standard_normal((n, r))
    P = M @ M.T                                  # rank 4
    q = rng.standard_normal(n)
    G = np.vstack([np.eye(n), -np.eye(n), rng.standard_normal((5, n))])
    h = np.concatenate([np.ones(n), np.ones(n), rng.uniform(0.5, 1.5, 5)])
    A = np.ones((1, n))
    b = np.array([0.5])
    return make_case("qp_singular_P",
                     "convex QP with rank-deficient P = M M' (n=10, rank 4), "
                     "box -1 <= x <= 1, 5 random inequalities, sum x = 0.5; "
                     "the linear term pins the null-space directions, x is unique",
                     q, P, A, b, G, h)


def case_qp_redundant_eq(seed):
    rng = rng_for(seed)
    n = 8
    P = rand_pd(rng, n)
    x0 = rng.uniform(0.2, 1.0, n)
    A0 = rng.standard_normal((3, n))
    A = np.vstack([A0, A0[1:2]])                 # row 3 repeats row 1
    b = A @ x0
    b[3] = b[1]
    G = -np.eye(n)
    h = np.zeros(n)
    q = rng.standard_normal(n) * 2
    return make_case("qp_redundant_eq",
                     "strictly convex QP, x >= 0, 4 equality rows of which row 3 "
                     "(0-based) repeats row 1 with the same b; y is not unique "
                     "(only y1 + y3 is determined)",
                     q, P, A, b, G, h)


def case_zero_variance(seed, meanvar):
    rng = rng_for(seed)
    n = 6
    F = rng.standard_normal((n, 3)) * 0.1
    S = F @ F.T + np.diag(rng.uniform(0.005, 0.02, n))
    k = 2
    S[k, :] = 0.0
    S[:, k] = 0.0                                # asset 2 is riskless
    mu = rng.uniform(0.02, 0.12, n)
    mu[k] = 0.03
    A = np.ones((1, n))
    b = np.array([1.0])
    G = -np.eye(n)
    h = np.zeros(n)
    if not meanvar:
        return make_case("port_zero_variance_minvar",
                         "long-only fully invested minimum variance, 6 assets, asset 2 "
                         "has a zero row/column in the covariance: min w'Sigma w "
                         "(P = 2 Sigma, q = 0), sum w = 1, w >= 0. Solution w = e_2, "
                         "objective 0; all multipliers are 0 (no strict complementarity)",
                         np.zeros(n), 2 * S, A, b, G, h, known_x=np.eye(n)[k])
    gamma = 0.5
    return make_case("port_zero_variance_meanvar",
                     "long-only fully invested mean-variance with a riskless asset 2 "
                     "(zero row/column of Sigma): min w'Sigma w - gamma mu'w, gamma=0.5 "
                     "(P = 2 Sigma, q = -gamma mu), sum w = 1, w >= 0",
                     -gamma * mu, 2 * S, A, b, G, h)


def stock_returns(nrows=500):
    path = os.path.join(DATA, "pypfopt", "stock_prices.csv")
    with open(path) as f:
        rd = csv.reader(f)
        header = next(rd)
        rows = [r for _, r in zip(range(nrows + 1), rd)]
    tick = header[1:]
    ok = [j for j in range(len(tick)) if all(r[j + 1].strip() != "" for r in rows)]
    prices = np.array([[float(r[j + 1]) for j in ok] for r in rows])
    R = prices[1:] / prices[:-1] - 1.0
    return [tick[j] for j in ok], R


def case_port_stocks(gamma=1.0, name="port_meanvar_stocks"):
    tick, R = stock_returns()
    mu = R.mean(axis=0)
    S = np.cov(R, rowvar=False, ddof=1)
    n = len(tick)
    extra = ("; with daily data gamma = 1 puts everything in the highest-mean asset"
             if gamma == 1.0 else "; a diversified optimum (8 assets held)")
    return make_case(name,
                     "long-only fully invested mean-variance on daily data: first 501 "
                     "price rows of pypfopt/stock_prices.csv (500 simple returns "
                     "p_t/p_{t-1}-1), tickers with no missing price in those rows: %s; "
                     "mu = mean return, Sigma = sample covariance (ddof=1); "
                     "min w'Sigma w - gamma mu'w, gamma = %r, i.e. P = 2 Sigma, "
                     "q = -gamma mu; sum w = 1 (A), w >= 0 (G = -I)%s"
                     % (",".join(tick), gamma, extra),
                     -gamma * mu, 2 * S, np.ones((1, n)), np.array([1.0]),
                     -np.eye(n), np.zeros(n)), tick, mu, S


def case_socp_robust_lp(seed):
    rng = rng_for(seed)
    n, m = 5, 8
    An = rng.standard_normal((m, n))
    bn = rng.uniform(1.0, 2.0, m)                # x = 0 strictly feasible
    z0 = rng.uniform(0.1, 1.0, m)
    c = -An.T @ z0                               # nominal LP bounded
    Gs, hs = [], []
    for i in range(m):
        E = 0.2 * rng.standard_normal((n, 3))    # ellipsoid {a_i + E u : ||u|| <= 1}
        Gs.append(np.vstack([An[i], -E.T]))      # s = (b_i - a_i'x, E'x)
        hs.append(np.concatenate([[bn[i]], np.zeros(3)]))
    G = np.vstack(Gs)
    h = np.concatenate(hs)
    return make_case("socp_robust_lp",
                     "robust LP with ellipsoidal uncertainty: min c'x s.t. "
                     "a_i'x + ||E_i'x|| <= b_i for i=1..8 (n=5, E_i 5x3); "
                     "each constraint is one cone of size 4: s = (b_i - a_i'x, E_i'x); "
                     "P = null", c, None, None, None, G, h, {"l": 0, "q": [4] * m})


def case_socp_norm_min(seed):
    rng = rng_for(seed)
    m, k = 8, 4
    M = rng.standard_normal((m, k))
    d = rng.standard_normal(m)
    n = k + 1                                    # variables (x, t)
    c = np.zeros(n)
    c[-1] = 1.0
    G = np.zeros((m + 1, n))
    G[0, -1] = -1.0                              # s0 = t
    G[1:, :k] = M                                # s1 = d - M x
    h = np.concatenate([[0.0], d])
    xls = np.linalg.lstsq(M, d, rcond=None)[0]
    known = np.concatenate([xls, [np.linalg.norm(M @ xls - d)]])
    return make_case("socp_norm_min",
                     "least-norm residual as an SOCP: variables (x in R^4, t); "
                     "min t s.t. ||M x - d|| <= t with M 8x4; cone of size 9: "
                     "s = (t, d - M x); P = null. Solution = least squares",
                     c, None, None, None, G, h, {"l": 0, "q": [m + 1]}, known_x=known)


def case_socp_port_maxret(mu, S, tick):
    n = len(mu)
    L = np.linalg.cholesky(S)                    # S = L L', ||L'w|| = sqrt(w'Sw)
    # minimum-variance volatility, to pick an active but feasible sigma_max
    r, _ = run_solver(2 * S, np.zeros(n), -np.eye(n), np.zeros(n), {"l": n, "q": []},
                      np.ones((1, n)), np.array([1.0]))
    vmin = math.sqrt(float(npv(r["x"]) @ S @ npv(r["x"])))
    smax = float("%.3g" % (1.25 * vmin))
    G = np.vstack([-np.eye(n), np.zeros((1, n)), -L.T])
    h = np.concatenate([np.zeros(n), [smax], np.zeros(n)])
    return make_case("socp_port_maxret_vol",
                     "portfolio max expected return with a volatility cone: "
                     "min -mu'w s.t. ||L'w|| <= sigma_max = %r (1.25 x min-variance "
                     "volatility, rounded), sum w = 1, w >= 0; mu, Sigma = L L' "
                     "(Cholesky) are those of port_meanvar_stocks (tickers %s). "
                     "G = [-I; 0; -L'], h = [0; sigma_max; 0], dims l=%d, q=[%d]; P = null"
                     % (smax, ",".join(tick), n, n + 1),
                     -mu, None, np.ones((1, n)), np.array([1.0]), G, h,
                     {"l": n, "q": [n + 1]})


def case_socp_mixed(seed, rad=1.5):
    rng = rng_for(seed)
    n = 6
    P = rand_pd(rng, n)
    xt = 3.0 * np.ones(n) + rng.standard_normal(n)
    q = -P @ xt
    Gl = rng.standard_normal((4, n))
    hl = rng.uniform(0.5, 1.5, 4) + Gl @ np.zeros(n)
    # cone 1: ||x - c1|| <= rad    s = (rad, c1 - x)  size n+1
    c1 = 0.3 * rng.standard_normal(n)
    G1 = np.vstack([np.zeros((1, n)), np.eye(n)])
    h1 = np.concatenate([[rad], c1])
    # cone 2: ||F x + g|| <= d'x + e, F 3 x n   s = (e + d'x, -(F x + g))  size 4
    F = rng.standard_normal((3, n))
    g = 0.1 * rng.standard_normal(3)
    d = 0.2 * rng.standard_normal(n)
    e = 1.0
    G2 = np.vstack([-d.reshape(1, -1), F])
    h2 = np.concatenate([[e], -g])
    G = np.vstack([Gl, G1, G2])
    h = np.concatenate([hl, h1, h2])
    A = np.ones((1, n))
    b = np.array([0.5])
    return make_case("socp_mixed_l_two_cones",
                     "strictly convex QP with 4 linear inequalities, a ball cone "
                     "||x - c1|| <= 1.5 (size 7) and a cone ||F x + g|| <= d'x + e "
                     "(size 4), and sum x = 0.5; dims l=4, q=[7, 4]; at the optimum "
                     "linear row 2 and both cones are active",
                     q, P, A, b, G, h, {"l": 4, "q": [n + 1, 4]})


def case_lp_infeasible(seed):
    rng = rng_for(seed)
    n = 5
    G = np.vstack([-np.eye(n), np.ones((1, n)), -np.ones((1, n)),
                   rng.standard_normal((3, n))])
    h = np.concatenate([np.zeros(n), [1.0], [-2.0], rng.uniform(1, 2, 3)])
    c = rng.standard_normal(n)
    return make_case("lp_infeasible",
                     "LP with contradictory inequalities: x >= 0, sum x <= 1 and "
                     "sum x >= 2 (plus 3 random rows); P = null",
                     c, None, None, None, G, h, expect_status="primal infeasible")


def case_qp_infeasible(seed):
    rng = rng_for(seed)
    n = 6
    P = rand_pd(rng, n)
    q = rng.standard_normal(n)
    G = np.vstack([-np.eye(n), -np.concatenate([np.ones(3), np.zeros(3)]).reshape(1, -1)])
    h = np.concatenate([np.zeros(n), [-1.5]])
    A = np.ones((1, n))
    b = np.array([1.0])
    return make_case("qp_infeasible",
                     "strictly convex QP, infeasible: sum x = 1, x >= 0, "
                     "x0 + x1 + x2 >= 1.5",
                     q, P, A, b, G, h, expect_status="primal infeasible")


def case_lp_unbounded():
    n = 4
    c = np.array([-1.0, -1.0, 0.5, 0.0])
    G = np.vstack([-np.eye(n), [[-1.0, 1.0, 0.0, 0.0]], [[0.0, 0.0, 1.0, 0.0]]])
    h = np.concatenate([np.zeros(n), [1.0, 2.0]])
    A = np.array([[0.0, 0.0, 1.0, 1.0]])
    b = np.array([1.0])
    return make_case("lp_unbounded",
                     "unbounded LP (dual infeasible): min -x0 - x1 + 0.5 x2 s.t. "
                     "x >= 0, x1 - x0 <= 1, x2 <= 2, x2 + x3 = 1; ray (1,1,0,0)",
                     c, None, A, b, G, h, expect_status="dual infeasible")


def case_socp_infeasible():
    n = 3
    # ||x|| <= 1 and x0 >= 2
    G = np.vstack([[[-1.0, 0.0, 0.0]], np.zeros((1, n)), -np.eye(n)])
    h = np.array([-2.0, 1.0, 0.0, 0.0, 0.0])
    c = np.array([1.0, 1.0, 1.0])
    return make_case("socp_infeasible",
                     "infeasible SOCP: x0 >= 2 (l row) and ||x|| <= 1 (cone of size 4); "
                     "P = null", c, None, None, None, G, h, {"l": 1, "q": [4]},
                     expect_status="primal infeasible")


def case_lp_multiple_optima(seed):
    rng = rng_for(seed)
    n = 5
    a = rng.uniform(0.3, 0.6, n)
    G = np.vstack([a.reshape(1, -1), np.eye(n), -np.eye(n)])
    h = np.concatenate([[1.0], np.ones(n), np.zeros(n)])
    c = -a
    return make_case("lp_multiple_optima",
                     "degenerate LP whose objective is parallel to a facet: "
                     "min -a'x s.t. a'x <= 1, 0 <= x <= 1 (n=5, a in [0.3,0.6]); "
                     "every point of the facet a'x = 1 is optimal, objective -1; "
                     "x not unique so only the objective is recorded",
                     c, None, None, None, G, h, expect_unique_x=False)


def case_lp_degenerate_vertex():
    n = 6
    c = np.array([-1.0, -2.0, -1.5, 1.0, 2.0, 0.5])
    G = np.vstack([np.eye(n), -np.eye(n), np.ones((1, n)),
                   [[1.0, 1.0, 0.0, 0.0, 0.0, 0.0]]])
    h = np.concatenate([np.ones(n), np.zeros(n), [3.0], [2.0]])
    return make_case("lp_degenerate_vertex",
                     "primal-degenerate LP: 0 <= x <= 1, sum x <= 3, x0 + x1 <= 2, "
                     "min c'x with c = (-1,-2,-1.5,1,2,0.5); unique optimum "
                     "x = (1,1,1,0,0,0) where 8 constraints are active in R^6, "
                     "so the multipliers are not unique",
                     c, None, None, None, G, h,
                     known_x=np.array([1.0, 1, 1, 0, 0, 0]))


def case_qp_many_active(seed):
    rng = rng_for(seed)
    n = 12
    P = rand_pd(rng, n)
    # optimum: 8 coordinates at the box (+-1), 4 free in (-1, 1)
    xs = np.zeros(n)
    bound_idx = np.arange(8)
    sgn = rng.choice([-1.0, 1.0], 8)
    xs[bound_idx] = sgn
    xs[8:] = rng.uniform(-0.5, 0.5, 4)
    # box rows: x <= 1 (rows 0..n-1), -x <= 1 (rows n..2n-1)
    Gbox = np.vstack([np.eye(n), -np.eye(n)])
    hbox = np.ones(2 * n)
    # 2 general rows active at xs, 5 inactive
    Gact = rng.standard_normal((2, n))
    hact = Gact @ xs
    Gin = rng.standard_normal((5, n))
    hin = Gin @ xs + rng.uniform(0.5, 1.0, 5)
    G = np.vstack([Gbox, Gact, Gin])
    h = np.concatenate([hbox, hact, hin])
    A = np.ones((1, n))
    b = np.array([xs.sum()])
    # multipliers: positive on active rows
    z = np.zeros(G.shape[0])
    for i, s in zip(bound_idx, sgn):
        z[i if s > 0 else n + i] = rng.uniform(0.5, 2.0)
    z[2 * n:2 * n + 2] = rng.uniform(0.5, 2.0, 2)
    y = np.array([rng.standard_normal()])
    q = -(P @ xs + G.T @ z + A.T @ y)
    return make_case("qp_many_active",
                     "strictly convex QP built from its KKT conditions: n=12, box "
                     "-1 <= x <= 1 (24 rows), 2 general rows active and 5 inactive, "
                     "sum x = b; 8 box bounds + 2 general rows active at the optimum "
                     "(10 active inequalities + 1 equality, LICQ and strict "
                     "complementarity hold, so x, y, z are unique)",
                     q, P, A, b, G, h, known_x=xs)


def case_qp_eq_only(seed):
    rng = rng_for(seed)
    n, p = 7, 3
    P = rand_pd(rng, n)
    q = rng.standard_normal(n)
    A = rng.standard_normal((p, n))
    b = rng.standard_normal(p)
    K = np.block([[P, A.T], [A, np.zeros((p, p))]])
    known = np.linalg.solve(K, np.concatenate([-q, b]))[:n]
    return make_case("qp_eq_only",
                     "strictly convex QP with equalities only (G = [], h = [], "
                     "dims l=0, q=[]); solution solves the KKT system directly",
                     q, P, A, b, None, None, {"l": 0, "q": []}, known_x=known)


# --------------------------------------------------------------------------

def build_cases():
    cases = [
        case_qp_random(101, 5, 8, 2),
        case_qp_random(102, 10, 15, 3),
        case_qp_random(103, 30, 40, 8),
        case_qp_bounds(201, 8, True),
        case_qp_bounds(202, 15, False),
        case_lp_random(301, 6, 12, 0, "lp_ineq_n6"),
        case_lp_random(302, 10, 20, 3, "lp_ineq_eq_n10"),
        case_lp_random(303, 25, 50, 6, "lp_ineq_eq_n25"),
        case_qp_singular(401),
        case_qp_redundant_eq(402),
        case_zero_variance(501, False),
        case_zero_variance(502, True),
    ]
    port, tick, mu, S = case_port_stocks()
    cases += [
        port,
        case_port_stocks(0.1, "port_meanvar_stocks_diversified")[0],
        case_socp_robust_lp(601),
        case_socp_norm_min(602),
        case_socp_port_maxret(mu, S, tick),
        case_socp_mixed(603),
        case_lp_infeasible(701),
        case_qp_infeasible(702),
        case_socp_infeasible(),
        case_lp_unbounded(),
        case_lp_multiple_optima(801),
        case_lp_degenerate_vertex(),
        case_qp_many_active(802),
        case_qp_eq_only(803),
    ]
    return cases


def main():
    os.makedirs(CASES_DIR, exist_ok=True)
    print("cvxopt %s, numpy %s" % (cvxopt.__version__, np.__version__))
    hdr = "%-28s %-18s %4s %-6s %-6s %9s %9s %9s %9s  %s" % (
        "case", "status", "it", "uniqX", "uniqD", "pres", "dres", "gap", "xerr", "objective")
    print(hdr)
    for c in build_cases():
        out, info = solve_case(c)
        write_case(out)
        if info["status"] == "optimal":
            k = info["kkt"]
            pres = max(k["primal_eq"], k["primal_ineq"])
            print("%-28s %-18s %4s %-6s %-6s %9.1e %9.1e %9.1e %9s  %r"
                  % (c["name"], info["status"], info["iters"], info["uniq_x"],
                     info["uniq_d"], pres, k["dual"], k["gap"],
                     "%.1e" % info["known_err"] if "known_err" in info else "-",
                     info["obj"]))
            print("%-28s   perturbation probes: |dx| %.2e, |d(y,z)| %.2e, active l rows %d, active cones %s"
                  % ("", info["ps"], info["ds"], info["active_l"], info["active_q"]))
        else:
            print("%-28s %-18s %4s" % (c["name"], info["status"], info["iters"]))


if __name__ == "__main__":
    main()
