"""CVXOPT's qp on the problem bench/qp/meanvar.lua builds (same LCG data):
min w'Sigma w - mu'w, sum w = 1, w >= 0. Prints the median solve time.
   /usr/bin/python3 bench/qp/meanvar_cvxopt.py N [REPS] [dense|factor]
dense gives CVXOPT the n x n covariance; factor gives it the lifted factor
form (variables w and y = B'w, P = diag(2D, 2I), sparse matrices) so that
its sparse KKT solver can use the structure too."""
import sys
import time
import numpy as np
from cvxopt import matrix, solvers, spmatrix, sparse

n = int(sys.argv[1])
reps = int(sys.argv[2]) if len(sys.argv) > 2 else 3
mode = sys.argv[3] if len(sys.argv) > 3 else "dense"
# a 4th argument "mu0": mu = 0, the minimum-variance portfolio (a dense
# optimum: on this covariance it holds every asset)
mu0 = len(sys.argv) > 4 and sys.argv[4] == "mu0"
k = 20
seed = 12345


def rnd():
    global seed
    seed = (seed * 1103515245 + 12345) % 2147483648
    return seed / 2147483648 - 0.5


B = np.array([[rnd() * 0.2 for _ in range(k)] for _ in range(n)])
D = np.zeros(n)
mu = np.zeros(n)
for i in range(n):
    D[i] = 0.01 + 0.04 * (rnd() + 0.5) ** 2
    mu[i] = 0.05 + 0.1 * rnd()
if mu0:
    mu[:] = 0.0
if mode == "dense":
    Sigma = B @ B.T + np.diag(D)
    # 1/2 w'Pw + q'w with P = 2 Sigma
    P = matrix(2 * Sigma)
    q = matrix(-mu)
    G = matrix(-np.eye(n))
    h = matrix(np.zeros(n))
    A = matrix(np.ones((1, n)))
    b = matrix(1.0)
else:
    # x = (w, y): min w'Dw + y'y - mu'w, y = B'w, sum w = 1, w >= 0
    N = n + k
    P = spmatrix(list(2 * D) + [2.0] * k, range(N), range(N))
    q = matrix(list(-mu) + [0.0] * k)
    G = spmatrix(-1.0, range(n), range(n), (n, N))
    h = matrix(0.0, (n, 1))
    rows, cols, vals = [], [], []
    for f in range(k):
        for i in range(n):
            rows.append(f); cols.append(i); vals.append(float(B[i, f]))
        rows.append(f); cols.append(n + f); vals.append(-1.0)
    for i in range(n):
        rows.append(k); cols.append(i); vals.append(1.0)
    A = spmatrix(vals, rows, cols, (k + 1, N))
    b = matrix([0.0] * k + [1.0])
solvers.options["show_progress"] = False
# the tolerances folio uses by default, so both reach the same accuracy
solvers.options.update({"abstol": 1e-12, "reltol": 1e-8, "feastol": 1e-8})
times = []
for _ in range(reps):
    t0 = time.perf_counter()
    sol = solvers.qp(P, q, G, h, A, b)
    times.append(time.perf_counter() - t0)
times.sort()
print(f"cvxopt meanvar-{mode} n={n} objective={sol['primal objective']:.12g} iterations={sol['iterations']} "
      f"status={sol['status']} held={int(sum(1 for v in sol['x'][:n] if v > 1e-6 / n))} solve_s={times[len(times) // 2]:.4f}", file=sys.stderr)
