-- m:factor_risk keeps a factor-model covariance B F B' + diag(D) in factor
-- form; the QP engine then takes its diagonal path (no n x n matrix). The
-- same problem with the dense Sigma = B F B' + D through folio.quad is the
-- reference: same optimum, weights and duals.
local T = dofile("tests/lua/testlib.lua")
local folio = require "folio"

local n, k = 60, 4
local seed = 4242
local function rnd() seed = (seed * 1103515245 + 12345) % 2147483648; return seed / 2147483648 - 0.5 end
local B, D, mu = {}, {}, {}
for i = 1, n do B[i] = {} for f = 1, k do B[i][f] = rnd() * 0.3 end end
for i = 1, n do D[i] = 0.005 + 0.03 * (rnd() + 0.5) ^ 2; mu[i] = 0.06 + 0.08 * rnd() end
-- a correlated factor covariance
local F = { { 0.04, 0.01, 0, 0.002 }, { 0.01, 0.03, 0.004, 0 }, { 0, 0.004, 0.02, 0.001 }, { 0.002, 0, 0.001, 0.01 } }
local A = {}
for i = 1, n do A[i] = i end
local tight = { reltol = 1e-11, abstol = 1e-14, feastol = 1e-10 }

local function build(factor)
  local m = folio.model(factor and "factor" or "dense")
  local w = m:var("w", A, { lb = 0, ub = 0.2 })
  m:st("budget", folio.sum(w), "==", 1)
  local risk
  if factor then
    risk = m:factor_risk("risk", w, { loadings = B, factor_cov = F, specific = D })
  else
    local Sigma = {}
    for i = 1, n do
      Sigma[i] = {}
      for j = 1, n do
        local s = 0
        for f = 1, k do for g = 1, k do s = s + B[i][f] * F[f][g] * B[j][g] end end
        Sigma[i][j] = s + (i == j and D[i] or 0)
      end
    end
    risk = folio.quad(w, Sigma)
  end
  m:minimize(2 * risk - folio.dot(mu, w))
  return m, w
end

local mf, wf = build(true)
local md, wd = build(false)
local rf, rd = mf:solve(tight), md:solve(tight)
T.eq(rf.status, "optimal", "factor form: optimal")
T.eq(rd.status, "optimal", "dense form: optimal")
T.near(rf.objective, rd.objective, 1e-9, "same optimum")
local worst = 0
for i = 1, n do worst = math.max(worst, math.abs(rf:value(wf[i]) - rd:value(wd[i]))) end
T.ok(worst <= 1e-6, string.format("same weights (worst difference %.2e)", worst))
T.near(rf:dual("budget"), rd:dual("budget"), 1e-6, "same budget dual")
T.eq(mf:stats().cols, n + k, "k factor variables added")
T.eq(mf:stats().rows, 1 + k, "k factor rows added")

-- a returns matrix: R'R/(T-1) kept as T factor variables
do
  local nt, nr = 30, 12
  local R = {}
  for t = 1, nt do R[t] = {} for i = 1, nr do R[t][i] = 0.02 * rnd() end end
  for i = 1, nr do   -- de-mean the columns
    local s = 0
    for t = 1, nt do s = s + R[t][i] end
    for t = 1, nt do R[t][i] = R[t][i] - s / nt end
  end
  local S = {}
  for i = 1, nr do
    S[i] = {}
    for j = 1, nr do
      local c = 0
      for t = 1, nt do c = c + R[t][i] * R[t][j] end
      S[i][j] = c / (nt - 1)
    end
  end
  local I = {}
  for i = 1, nr do I[i] = i end
  local function minvar(use_returns)
    local m = folio.model("ret")
    local w = m:var("w", I, { lb = 0 })
    m:st("budget", folio.sum(w), "==", 1)
    m:minimize(use_returns and m:returns_risk("risk", w, R) or folio.quad(w, S))
    return m:solve(tight)
  end
  local a, b = minvar(true), minvar(false)
  T.eq(a.status, "optimal", "returns form: optimal")
  T.near(a.objective, b.objective, 1e-8, "returns form: same minimum variance as the sample covariance")
end

-- errors name the model part
local m = folio.model("bad")
local w = m:var("w", A)
T.raises(function() m:factor_risk("r", w, { loadings = { { 1 } }, factor_cov = F }) end,
  "factor_risk 'r': loadings have 1 rows but x has 60 elements", "loadings shape")
T.raises(function() m:factor_risk("r2", w, { loadings = B, factor_cov = { { 1, 2, 0, 0 }, { 2, 1, 0, 0 }, { 0, 0, 1, 0 }, { 0, 0, 0, 1 } } }) end,
  "factor_risk 'r2': factor_cov is not positive definite (pivot 2 is -3)", "factor_cov not PD")
T.raises(function() m:factor_risk("r3", w, { loadings = B, factor_cov = F, specific = { -1 } }) end,
  "factor_risk 'r3': specific must hold 60 variances", "specific shape")
T.done()
