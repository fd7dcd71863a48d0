"""Generates models/data/exposure_returns.csv: 240 monthly returns
(2005-01 .. 2024-12) of ten economic exposures from a seeded four-factor
model, so that the exposure models have a realistic, reproducible data set.
   /usr/bin/python3 models/data/gen_exposure_returns.py

Factors (monthly): global equity (mean 0.6%, vol 4.5%), rates (0.1%, 2.0%),
inflation (0.15%, 1.2%), trend (0.3%, 3.0%); equity and rates correlate
-0.2. Each exposure = its alpha + loadings x factors + specific noise
(normal), with the loadings and specific volatilities below."""
import numpy as np

rng = np.random.default_rng(20241122)
T = 240
fmu = np.array([0.006, 0.001, 0.0015, 0.003])
fvol = np.array([0.045, 0.020, 0.012, 0.030])
fcorr = np.eye(4)
fcorr[0, 1] = fcorr[1, 0] = -0.2
F = rng.multivariate_normal(fmu, np.outer(fvol, fvol) * fcorr, size=T)
# name: (loadings on equity, rates, inflation, trend), specific monthly vol, alpha
spec = {
    "us_large_cap":     ((1.00, 0.00, 0.00, 0.00), 0.010, 0.0005),
    "intl_equity":      ((0.95, 0.00, 0.10, 0.00), 0.018, 0.0000),
    "em_equity":        ((1.20, 0.00, 0.30, 0.00), 0.030, 0.0005),
    "broad_treasuries": ((-0.05, 1.00, -0.30, 0.00), 0.004, 0.0010),
    "tips":             ((0.00, 0.70, 0.60, 0.00), 0.005, 0.0008),
    "credit":           ((0.30, 0.70, 0.00, 0.00), 0.008, 0.0010),
    "trend_following":  ((0.05, 0.10, 0.00, 1.00), 0.012, 0.0005),
    "real_estate":      ((0.90, 0.30, 0.20, 0.00), 0.025, 0.0000),
    "gold":             ((0.10, 0.20, 1.20, 0.10), 0.030, 0.0010),
    "commodities":      ((0.40, -0.10, 1.50, 0.20), 0.035, -0.0005),
}
names = list(spec)
R = np.zeros((T, len(names)))
for j, n in enumerate(names):
    load, svol, alpha = spec[n]
    R[:, j] = alpha + F @ np.array(load) + rng.normal(0, svol, T)
with open("models/data/exposure_returns.csv", "w") as f:
    f.write("date," + ",".join(names) + "\n")
    for t in range(T):
        y, m = 2005 + t // 12, t % 12 + 1
        f.write(f"{y}-{m:02d}-28," + ",".join(f"{v:.6f}" for v in R[t]) + "\n")
