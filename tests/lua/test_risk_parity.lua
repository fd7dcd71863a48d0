-- stats.risk_parity (issue 17, item 5): dense Newton up to 64 exposures,
-- coordinate sweeps and Newton-CG above, with a dense fallback. Checked
-- against closed forms (diagonal, 2 x 2, equicorrelated) and, for general
-- covariances, against the definition computed here in Lua: every risk
-- contribution w_i (Sw)_i / w'Sw within a relative 1e-10 of its budget (for
-- a positive definite S the solution is unique, so this pins it down).
local T = dofile("tests/lua/testlib.lua")
local folio = require "folio"
local stats = folio.core_stats

local seed = 12345
local function rnd()
  seed = (seed * 1103515245 + 12345) % 2147483648
  return seed / 2147483648
end

-- max_i |RC_i / b_i - 1| with b normalised to sum 1
local function rc_err(S, b, w)
  local n, bs, v, Sw = #b, 0, 0, {}
  for i = 1, n do bs = bs + b[i] end
  for i = 1, n do
    local s, Si = 0, S[i]
    for j = 1, n do s = s + Si[j] * w[j] end
    Sw[i] = s
    v = v + w[i] * s
  end
  local e = 0
  for i = 1, n do e = math.max(e, math.abs(w[i] * Sw[i] / v / (b[i] / bs) - 1)) end
  return e
end

local function sum(w)
  local s = 0
  for i = 1, #w do s = s + w[i] end
  return s
end

-- k factors (the first a market factor with betas around 1) plus specific risk
local function factor_cov(n, k, spec_lo)
  local B, S = {}, {}
  for i = 1, n do
    B[i] = { 0.16 * (0.75 + 0.5 * rnd()) }
    for f = 2, k do B[i][f] = 0.12 * (rnd() - 0.5) end
  end
  for i = 1, n do
    S[i] = {}
    for j = 1, i do
      local s = 0
      for f = 1, k do s = s + B[i][f] * B[j][f] end
      S[i][j] = s
      S[j][i] = s
    end
    local sp = spec_lo + 0.25 * rnd()
    S[i][i] = S[i][i] + sp * sp
  end
  return S
end

-- Q diag(lam) Q' with Q a product of three Householder reflections and
-- eigenvalues spread geometrically from 1 down to 1 / cond
local function spectral_cov(n, cond)
  local Q = {}
  for i = 1, n do
    Q[i] = {}
    for j = 1, n do Q[i][j] = i == j and 1 or 0 end
  end
  for _ = 1, 3 do
    local u, nu = {}, 0
    for i = 1, n do u[i] = rnd() - 0.5; nu = nu + u[i] * u[i] end
    nu = math.sqrt(nu)
    for i = 1, n do u[i] = u[i] / nu end
    for i = 1, n do   -- Q := Q (I - 2 u u')
      local Qi, s = Q[i], 0
      for j = 1, n do s = s + Qi[j] * u[j] end
      for j = 1, n do Qi[j] = Qi[j] - 2 * s * u[j] end
    end
  end
  local lam = {}
  for k = 1, n do lam[k] = cond ^ (-(k - 1) / (n - 1)) end
  local S = {}
  for i = 1, n do S[i] = {} end
  for i = 1, n do
    for j = 1, i do
      local s, Qi, Qj = 0, Q[i], Q[j]
      for k = 1, n do s = s + Qi[k] * lam[k] * Qj[k] end
      S[i][j], S[j][i] = s, s
    end
  end
  return S
end

local function budgets(n, spread)
  local b = {}
  for i = 1, n do b[i] = spread and spread ^ rnd() or 1 end
  return b
end

-- tol: 1e-10, looser where S's condition number (1e8) puts the rounding
-- of this check and of the solver's residual (accepted where it stalls,
-- when within that residual's own rounding level) above 1e-10
local function check(S, b, what, tol)
  tol = tol or 1e-10
  local w, it, sw, res = stats.risk_parity(S, b)
  local e = rc_err(S, b, w)
  T.ok(res <= tol, ("%s: the residual it reports is within %g (%.1e)"):format(what, tol, res))
  T.ok(e <= tol, ("%s: risk contributions within %g of the budgets (%.1e, %d Newton steps, %d sweeps)")
    :format(what, tol, e, it, sw))
  T.near(sum(w), 1, 1e-12, what .. ": weights sum to 1")
  local pos = true
  for i = 1, #w do pos = pos and w[i] > 0 end
  T.ok(pos, what .. ": weights positive")
  return w
end

-- 1. closed forms
do
  -- diagonal: w_i proportional to sqrt(b_i) / sigma_i
  for _, n in ipairs { 3, 64, 65, 300 } do
    local S, b, ref = {}, budgets(n, 100), {}
    for i = 1, n do
      S[i] = {}
      for j = 1, n do S[i][j] = 0 end
      S[i][i] = (0.05 + 0.4 * rnd()) ^ 2
      ref[i] = math.sqrt(b[i] / S[i][i])
    end
    local rs = sum(ref)
    local w = stats.risk_parity(S, b)
    local worst = 0
    for i = 1, n do worst = math.max(worst, math.abs(w[i] / (ref[i] / rs) - 1)) end
    T.ok(worst < 1e-11, ("diagonal, n = %d, unequal budgets: sqrt(b_i) / sigma_i (%.1e)"):format(n, worst))
  end
  -- 2 x 2: t = w1 / w2 is the positive root of b2 S11 t^2 + (b2 - b1) S12 t - b1 S22
  for _, c in ipairs { { 0.04, 0.09, 0.5, 1, 1 }, { 0.04, 0.01, -0.7, 1, 3 }, { 0.2, 0.03, 0.95, 5, 1 }, { 1, 1, -0.99, 1, 1e-3 } } do
    local s1, s2, rho, b1, b2 = c[1], c[2], c[3], c[4], c[5]
    local S12 = rho * math.sqrt(s1 * s2)
    local A, B, C = b2 * s1, (b2 - b1) * S12, -b1 * s2
    local t = (-B + math.sqrt(B * B - 4 * A * C)) / (2 * A)
    local w = stats.risk_parity({ { s1, S12 }, { S12, s2 } }, { b1, b2 })
    T.near(w[1] / w[2], t, 1e-12 * t, ("2 x 2, rho = %g, budgets %g:%g: the quadratic's root"):format(rho, b1, b2))
  end
  -- equicorrelated, equal budgets: w_i proportional to 1 / sigma_i
  for _, c in ipairs { { 20, 0.6 }, { 200, 0.3 }, { 200, -0.004 }, { 500, 0.95 } } do
    local n, rho = c[1], c[2]
    local sd, S, b = {}, {}, budgets(n)
    for i = 1, n do sd[i] = 0.05 + 0.4 * rnd() end
    for i = 1, n do
      S[i] = {}
      for j = 1, n do S[i][j] = (i == j and 1 or rho) * sd[i] * sd[j] end
    end
    local w = stats.risk_parity(S, b)
    local inv = 0
    for i = 1, n do inv = inv + 1 / sd[i] end
    local worst = 0
    for i = 1, n do worst = math.max(worst, math.abs(w[i] * sd[i] * inv - 1)) end
    T.ok(worst < 1e-11, ("equicorrelated, n = %d, rho = %g: 1 / sigma_i (%.1e)"):format(n, rho, worst))
  end
end

-- 2. general covariances against the definition: both methods, equal and
-- unequal budgets (spread 1:1e4), ill-conditioned ones
for _, c in ipairs {
  { 2, "factor" }, { 20, "factor" }, { 64, "factor" }, { 65, "factor" }, { 200, "factor" }, { 1000, "factor" },
  { 20, "spectral", 1e8 }, { 120, "spectral", 1e4 }, { 150, "spectral", 1e8 }, { 300, "factor_tight" },
} do
  local n, kind = c[1], c[2]
  local S
  if kind == "factor" then S = factor_cov(n, math.min(n, 10), 0.10)
  elseif kind == "factor_tight" then S = factor_cov(n, 3, 0.005)   -- specific risk 0.5%: correlations near 1
  else S = spectral_cov(n, c[3]) end
  local label = ("%s, n = %d%s"):format(kind, n, c[3] and (", condition %g"):format(c[3]) or "")
  local tol = (c[3] or 0) >= 1e8 and 1e-8 or 1e-10
  check(S, budgets(n), label .. ", equal budgets", tol)
  check(S, budgets(n, 1e4), label .. ", unequal budgets", tol)
end

-- 3. options: subset, lower, psd; errors
do
  local n = 150
  local S, b = factor_cov(n, 5, 0.1), budgets(n, 10)
  local sub, Ssub, bsub = {}, {}, {}
  for i = 1, n, 3 do sub[#sub + 1] = i end
  for a, i in ipairs(sub) do
    Ssub[a] = {}
    for c, j in ipairs(sub) do Ssub[a][c] = S[i][j] end
    bsub[a] = b[i]
  end
  local w1 = stats.risk_parity(Ssub, bsub)
  local w2 = stats.risk_parity(S, bsub, { subset = sub })
  local worst = 0
  for a = 1, #sub do worst = math.max(worst, math.abs(w1[a] / w2[a] - 1)) end
  T.ok(worst < 1e-12, ("subset: the same weights as the extracted matrix (%.1e)"):format(worst))
  -- lower: the upper triangle is not read
  local U = {}
  for i = 1, n do
    U[i] = {}
    for j = 1, n do U[i][j] = j > i and 7 or S[i][j] end
  end
  local w3 = stats.risk_parity(U, b, { lower = true })
  local w4 = stats.risk_parity(S, b)
  worst = 0
  for i = 1, n do worst = math.max(worst, math.abs(w3[i] / w4[i] - 1)) end
  T.ok(worst < 1e-13, ("lower: only the lower triangle counts (%.1e)"):format(worst))
  T.raises(function() stats.risk_parity(U, b) end, "risk_parity: cov is not symmetric: cov[1][2] = 7 but cov[2][1] = "
    .. ("%g"):format(S[2][1]), "an asymmetric cov is an error")
  -- not positive semidefinite: eigenvalues 1.5 and -0.5
  local bad = { { 1, 1, 0 }, { 1, 1, 0.5 }, { 0, 0.5, 1 } }
  T.raises_exact(function() stats.risk_parity(bad, { 1, 1, 1 }) end, "risk_parity: cov is not positive semidefinite",
    "an indefinite cov is an error")
  local big = factor_cov(100, 4, 0.1)
  big[50][50] = 1e-6
  T.raises_exact(function() stats.risk_parity(big, budgets(100)) end, "risk_parity: cov is not positive semidefinite",
    "an indefinite cov is an error (the CG size)")
  T.raises_exact(function() stats.risk_parity(S, b, { lowr = true }) end,
    "risk_parity: unknown option 'lowr' (did you mean 'lower'? options: subset, lower, psd)", "an unknown option")
  T.raises_exact(function() stats.risk_parity(S, { 1, 1 }, { subset = { 2, 1 } }) end,
    "risk_parity: subset must be increasing indices of cov's rows (1 to 150)", "subset out of order")
  T.raises_exact(function() stats.risk_parity(S, { 1 }, { subset = { 151 } }) end,
    "risk_parity: subset must be increasing indices of cov's rows (1 to 150)", "subset out of range")
  T.raises_exact(function() stats.risk_parity({ { 1, 0 }, { 0, "x" } }, { 1, 1 }) end,
    "risk_parity: cov[2][2] must be a number (got string)", "an entry by type")
  T.raises_exact(function() stats.risk_parity({ { 1, 0 }, { 0 / 0, 1 } }, { 1, 1 }) end,
    "risk_parity: cov[2][1] must be finite (got nan)", "a NaN entry")
  T.raises_exact(function() stats.risk_parity({ { 1, 0 }, { 0 } }, { 1, 1 }) end,
    "risk_parity: cov[2] has 1 entries, expected 2", "a short row")
end

-- 4. through the exposure optimizer: budgets by name, 300 exposures
do
  local n = 300
  local S, names, bmap, b = factor_cov(n, 10, 0.1), {}, {}, budgets(n, 50)
  for i = 1, n do names[i] = "x" .. i; bmap[names[i]] = b[i] end
  local res = folio.ExposureOptimizer():optimize { exposures = names, cov = S,
    objective = folio.RiskParity { budgets = bmap }, constraints = folio.ExposureConstraints { defaults = false } }
  T.eq(res.optimization_status, "optimal", "exposure optimizer: optimal")
  local w = {}
  for i, e in ipairs(names) do w[i] = res.weights[e] end
  local e = rc_err(S, b, w)
  T.ok(e <= 1e-10, ("exposure optimizer, n = 300: risk contributions within 1e-10 of the budgets (%.1e)"):format(e))
end

T.done()
