"""Independent reference for folio.RiskEstimator on
data/pypfopt/stock_prices.csv, with numpy only:
   /usr/bin/python3 tests/ref/risk/ref_risk.py OUT.json
Conventions (docs/exposure_optimizer.md): simple returns p_t/p_{t-1} - 1;
sample: pairwise-complete covariance, ddof = 1, about each pair's own
means; ewma: rows without holes, weights (1-a)^(T-1-t) normalised, divided
by 1 - sum w^2; semicovariance: d = min(r, 0), sum d_a d_b / n_ab over the
rows both have; all annualised with 252."""
import csv
import json
import sys

import numpy as np

path = "data/pypfopt/stock_prices.csv"
with open(path, newline="") as f:
    rows = list(csv.reader(f))
header, body = rows[0], rows[1:]
dates = [r[0] for r in body]
P = np.array([[float(x) if x != "" else np.nan for x in r[1:]] for r in body])
R = P[1:] / P[:-1] - 1          # NaN where either price is missing
rdates = dates[1:]
assets = header[1:]


def pairwise(X, ddof=1, center=True):
    k = X.shape[1]
    C = np.zeros((k, k))
    for a in range(k):
        for b in range(a + 1):
            m = ~np.isnan(X[:, a]) & ~np.isnan(X[:, b])
            xa, xb = X[m, a], X[m, b]
            if center:
                xa, xb = xa - xa.mean(), xb - xb.mean()
            C[a, b] = C[b, a] = (xa * xb).sum() / (m.sum() - ddof)
    return C


def ewma(X, span):
    a = 2 / (span + 1)
    T = X.shape[0]
    w = (1 - a) ** (T - 1 - np.arange(T))
    w[np.isnan(X).any(axis=1)] = 0
    w = w / w.sum()
    Xc = np.where(np.isnan(X), 0, X)
    mu = w @ Xc
    D = Xc - mu
    return (D * w[:, None]).T @ D / (1 - (w ** 2).sum())


out = {"assets": assets,
       "sample": (pairwise(R) * 252).tolist(),
       "ewma_span180": (ewma(R, 180) * 252).tolist(),
       "semicovariance": (pairwise(np.minimum(R, 0), ddof=0, center=False) * 252).tolist()}
last = max(i for i, d in enumerate(rdates) if d <= "2016-12-31")
W = R[last - 499:last + 1]
out["sample_asof_2016_lookback500"] = (pairwise(W) * 252).tolist()
with open(sys.argv[1], "w") as f:
    json.dump(out, f)

# --- return estimators (same file so one python run serves the test) ---
def nanmean_ann(X):
    return (np.nanmean(X, axis=0) * 252).tolist()


def cagr(X):
    out = []
    for j in range(X.shape[1]):
        x = X[:, j][~np.isnan(X[:, j])]
        out.append(float(np.exp(np.log1p(x).sum() * 252 / len(x)) - 1))
    return out


def ewma_mean(X, span):
    a = 2 / (span + 1)
    T = X.shape[0]
    out = []
    for j in range(X.shape[1]):
        w = (1 - a) ** (T - 1 - np.arange(T))
        m = ~np.isnan(X[:, j])
        out.append(float((w[m] * X[m, j]).sum() / w[m].sum() * 252))
    return out


S = pairwise(R) * 252
wm = np.full(len(assets), 1 / len(assets))
pi = 2.5 * S @ wm
P = np.zeros((2, len(assets))); P[0, 0] = 1; P[1, 1] = 1; P[1, 2] = -1
Q = np.array([0.10, 0.02])
tau = 0.05
tSP = tau * S @ P.T
M = P @ tSP
M = M + np.diag(np.diag(M))          # Omega = diag(P tau S P')
bl = pi + tSP @ np.linalg.solve(M, Q - P @ pi)
extra = {"mean": nanmean_ann(R), "cagr": cagr(R), "ewma_span60": ewma_mean(R, 60),
         "bl_pi": pi.tolist(), "bl_posterior": bl.tolist()}
with open(sys.argv[1]) as f:
    d = json.load(f)
d.update(extra)
with open(sys.argv[1], "w") as f:
    json.dump(d, f)

# --- Ledoit-Wolf (2004), constant-correlation target, rows without holes ---
Y = R[~np.isnan(R).any(axis=1)]
T, n = Y.shape
Y = Y - Y.mean(axis=0)
S = Y.T @ Y / T
sd = np.sqrt(np.diag(S))
corr = S / np.outer(sd, sd)
rbar = (corr.sum() - n) / (n * (n - 1))
F = rbar * np.outer(sd, sd)
np.fill_diagonal(F, np.diag(S))
Z = Y[:, :, None] * Y[:, None, :] - S          # T x n x n
pi_mat = (Z ** 2).mean(axis=0)
pi_hat = pi_mat.sum()
theta_ii = ((Y ** 2 - np.diag(S))[:, :, None] * Z).mean(axis=0)   # theta[i, (i,j)]
rho = np.trace(pi_mat)
for i in range(n):
    for j in range(n):
        if i != j:
            rho += rbar / 2 * (np.sqrt(S[j, j] / S[i, i]) * theta_ii[i, j] + np.sqrt(S[i, i] / S[j, j]) * theta_ii[j, i])
gamma = ((F - S) ** 2).sum()
delta = max(0.0, min(1.0, (pi_hat - rho) / gamma / T))
with open(sys.argv[1]) as f:
    d = json.load(f)
d["ledoit_wolf_cc"] = ((delta * F + (1 - delta) * S) * 252).tolist()
d["ledoit_wolf_delta"] = delta
with open(sys.argv[1], "w") as f:
    json.dump(d, f)

# --- Ledoit-Wolf (2003), single-factor target, in the paper's r_ijt form ---
# market m_t = equal-weighted average of the (demeaned) returns
m = Y.mean(axis=1)
v = m @ m / T
c = Y.T @ m / T
Fsf = np.outer(c, c) / v
np.fill_diagonal(Fsf, np.diag(S))
# r_ijt = (c_j v y_it + c_i v y_jt - c_i c_j m_t) m_t y_it y_jt / v^2 - f_ij s_ij
rho_sf = np.trace(pi_mat)
for i in range(n):
    for j in range(n):
        if i != j:
            r = (c[j] * v * Y[:, i] + c[i] * v * Y[:, j] - c[i] * c[j] * m) * m * Y[:, i] * Y[:, j] / v ** 2
            rho_sf += r.mean() - Fsf[i, j] * S[i, j]
gamma_sf = ((Fsf - S) ** 2).sum()
delta_sf = max(0.0, min(1.0, (pi_hat - rho_sf) / gamma_sf / T))

# --- Ledoit-Wolf (2004a), scaled identity target ---
mu = np.trace(S) / n
Fid = mu * np.eye(n)
d2 = ((S - Fid) ** 2).sum()
b2 = sum(((np.outer(y, y) - S) ** 2).sum() for y in Y) / T ** 2
delta_id = min(b2, d2) / d2
with open(sys.argv[1]) as f:
    d = json.load(f)
d["ledoit_wolf_sf"] = ((delta_sf * Fsf + (1 - delta_sf) * S) * 252).tolist()
d["ledoit_wolf_sf_delta"] = delta_sf
d["ledoit_wolf_id"] = ((delta_id * Fid + (1 - delta_id) * S) * 252).tolist()
d["ledoit_wolf_id_delta"] = delta_id
with open(sys.argv[1], "w") as f:
    json.dump(d, f)
