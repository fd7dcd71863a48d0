-- Numerical honesty under ill-conditioning (issue 14, item 6): covariances
-- with condition numbers from 1e2 to 1e12, and near-duplicate assets, are
-- solved correctly or reported without a solution, never a wrong optimum.
-- References are closed forms computed from the eigendecomposition the
-- covariance is built from, not from folio's own solvers.
local T = dofile("tests/lua/testlib.lua")
local folio = require "folio"

-- Sigma = Q diag(lambda) Q', Q a product of two Householder reflections of
-- fixed vectors, lambda geometric from 0.04 down to 0.04 / kappa
local function reflector(v)
  local n, s = #v, 0
  for i = 1, n do s = s + v[i] * v[i] end
  local H = {}
  for i = 1, n do
    H[i] = {}
    for j = 1, n do H[i][j] = (i == j and 1 or 0) - 2 * v[i] * v[j] / s end
  end
  return H
end
local function product(A, B)
  local n, C = #A, {}
  for i = 1, n do
    C[i] = {}
    for j = 1, n do
      local x = 0
      for k = 1, n do x = x + A[i][k] * B[k][j] end
      C[i][j] = x
    end
  end
  return C
end
local function conditioned(n, kappa)
  local v1, v2 = {}, {}
  for i = 1, n do v1[i], v2[i] = math.sin(1.3 * i) + 0.1, math.cos(0.7 * i) end
  local Q = product(reflector(v1), reflector(v2))
  local lambda, cov = {}, {}
  for k = 1, n do lambda[k] = 0.04 * kappa ^ (-(k - 1) / (n - 1)) end
  for i = 1, n do
    cov[i] = {}
    for j = 1, i do
      local x = 0
      for k = 1, n do x = x + Q[i][k] * Q[j][k] * lambda[k] end
      cov[i][j], cov[j] = x, cov[j] or {}
      cov[j][i] = x
    end
  end
  return cov, Q, lambda
end

-- 1. Minimum variance with only the budget, by the QP engine: the exact
-- minimum is 1 / 1'Sigma^-1 1 = 1 / sum_k (Q'1)_k^2 / lambda_k
local n = 12
local names = {}
for i = 1, n do names[i] = "a" .. i end
for _, kappa in ipairs { 1e2, 1e4, 1e6, 1e8, 1e10, 1e12 } do
  local cov, Q, lambda = conditioned(n, kappa)
  local s = 0
  for k = 1, n do
    local q = 0
    for i = 1, n do q = q + Q[i][k] end
    s = s + q * q / lambda[k]
  end
  local exact = math.sqrt(1 / s)
  local r = folio.ExposureOptimizer():optimize { exposures = names, cov = cov,
    constraints = folio.ExposureConstraints { bounds = { false, false }, defaults = false } }
  local what = ("QP, condition number %g"):format(kappa)
  if r.has_solution then
    T.eq(r.status, "optimal", what .. ": a solution is optimal")
    T.near(r.objective / exact, 1, 1e-6, what .. ": the minimum volatility, to 1e-6 relative")
    local sum = 0
    for _, e in ipairs(names) do sum = sum + r.weights[e] end
    T.near(sum, 1, 1e-8, what .. ": the budget holds")
  else
    T.ok(r.status == "numerical_error" or r.status == "iteration_limit", what .. ": no solution, said so: " .. r.status)
  end
end

-- 2. Near-duplicate assets (correlation 1 - 1e-12): the split between the
-- twins is arbitrary, the volatility is not. Reference: the twins as one asset.
local v = { 0.2, 0.2, 0.1 }
local rho = 1 - 1e-12
local twins = {
  { v[1] ^ 2, rho * v[1] * v[2], 0.3 * v[1] * v[3] },
  { rho * v[1] * v[2], v[2] ^ 2, 0.3 * v[2] * v[3] },
  { 0.3 * v[1] * v[3], 0.3 * v[2] * v[3], v[3] ^ 2 },
}
local r = folio.ExposureOptimizer():optimize { exposures = { "x", "x2", "y" }, cov = twins,
  constraints = folio.ExposureConstraints { defaults = false } }
-- two assets, vol 0.2 and 0.1, correlation 0.3: w = (s2^2 - c) / (s1^2 + s2^2 - 2c)
local c = 0.3 * 0.2 * 0.1
local wx = (0.01 - c) / (0.04 + 0.01 - 2 * c)
local var = wx ^ 2 * 0.04 + (1 - wx) ^ 2 * 0.01 + 2 * wx * (1 - wx) * c
T.eq(r.status, "optimal", "near-duplicate assets: optimal")
T.near(r.objective, math.sqrt(var), 1e-9, "near-duplicate assets: the volatility of the merged pair's optimum")
T.near(r.weights.x + r.weights.x2, wx, 1e-6, "near-duplicate assets: the twins together hold the merged weight")

-- 3. The CIM gradient flow: a converged run's energy is the exact
-- stationary point's (the weights themselves may differ along the flat
-- directions of an ill-conditioned energy); otherwise it says it stopped.
local m = 8
local cnames, mu = {}, {}
for i = 1, m do cnames[i], mu[i] = "a" .. i, 0.05 + 0.01 * math.sin(i) end
local gamma, rho_pen = 5, 1000
local function energy(cov, w)
  local e, s = 0, 0
  for i = 1, m do
    e = e - mu[i] * w[cnames[i]]
    s = s + w[cnames[i]]
    for j = 1, m do e = e + gamma / 2 * w[cnames[i]] * cov[i][j] * w[cnames[j]] end
  end
  return e + rho_pen * (s - 1) ^ 2
end
for _, kappa in ipairs { 1e2, 1e4, 1e6, 1e8, 1e10, 1e12 } do
  local cov = conditioned(m, kappa)
  local run = folio.cim { assets = cnames, mu = mu, cov = cov, gamma = gamma, rho = rho_pen }
  local what = ("CIM flow, condition number %g"):format(kappa)
  if run.has_solution then
    T.eq(run.status, "converged", what .. ": a solution has converged")
    local e, e0 = energy(cov, run.weights), energy(cov, run.exact)
    T.ok(e - e0 <= 1e-9 * math.abs(e0), ("%s: energy %.15g within 1e-9 of the exact %.15g"):format(what, e, e0))
  else
    T.ok(run.status == "iteration_limit" or run.status == "numerical_error",
      what .. ": no solution, said so: " .. run.status)
    T.eq(run.weights, nil, what .. ": no weights to act on")
  end
end

T.done()
