-- The perspective relaxation of the search over held sets
-- (lua/folio/exposure_persp.lua): its diagonal against minimum-trace
-- factor analysis solved by CVXOPT's SDP solver, the validity of the
-- raised clique matrix, and the search it drives against a brute force
-- over every held set done by CVXOPT (tests/ref/exposure/ref_persp.py)
-- on 12 exposures: a factor universe where only the counts bind, and a
-- tied one (4 clusters of 3, equal correlations across) where
-- MaxDiversification ties between held sets; and on 6 exposures with a
-- singular covariance.
local T = dofile("tests/lua/testlib.lua")
local folio = require "folio"
local PS = require "folio.exposure_persp"

local tmp = os.tmpname()
assert(os.execute("/usr/bin/python3 tests/ref/exposure/ref_persp.py " .. tmp), "reference script failed")
local REF = dofile(tmp)
os.remove(tmp)

local function corr_of(cov)
  local n, R = #cov, {}
  for i = 1, n do
    R[i] = {}
    for j = 1, n do R[i][j] = cov[i][j] / math.sqrt(cov[i][i] * cov[j][j]) end
  end
  return R
end

-- the smallest eigenvalue of M, by numpy (an independent computation)
local function min_eig(M)
  local f = os.tmpname()
  local out = assert(io.open(f, "w"))
  for _, row in ipairs(M) do
    local t = {}
    for j, v in ipairs(row) do t[j] = ("%.17g"):format(v) end
    out:write(table.concat(t, " "), "\n")
  end
  out:close()
  local p = assert(io.popen(("/usr/bin/python3 -c 'import numpy as np, sys; "
    .. "print(\"%%.17g\" %% np.linalg.eigvalsh(np.loadtxt(sys.argv[1], ndmin=2)).min())' %s"):format(f)))
  local v = tonumber(p:read("a"))
  p:close()
  os.remove(f)
  return v
end

---------------------------------------------------------------------------
-- 1. the diagonal: minimum-trace factor analysis
---------------------------------------------------------------------------
do
  local F = REF.factor
  local n = #F.names
  local A, D, tau = PS.diagonal(F.cov, n, {})
  T.eq(tau, 0, "no cliques: the matrix is the covariance itself")
  local sum, M = 0, {}
  for i = 1, n do
    T.ok(D[i] > 0, "each diagonal entry is positive")
    sum = sum + D[i] / F.cov[i][i]
    M[i] = {}
    for j = 1, n do
      T.eq(A[i][j], F.cov[i][j], "A is S entry by entry")
      M[i][j] = A[i][j] - (i == j and D[i] or 0)
    end
  end
  local ev = min_eig(M)
  T.ok(ev > 0, ("A - D is positive definite (smallest eigenvalue %.3g, numpy)"):format(ev))
  -- the barrier stops at a duality gap of 2n/t <= 2e-3 n = 0.024 here; the
  -- SDP's optimum is an upper bound on every feasible sum
  T.ok(sum <= REF.mtfa.sum + 1e-8, ("the sum %.10g is at most the SDP optimum %.10g"):format(sum, REF.mtfa.sum))
  T.near(sum, REF.mtfa.sum, 2e-3 * n / REF.mtfa.sum,
         "sum D_j / S_jj within the barrier's duality gap of CVXOPT's SDP optimum")
end

---------------------------------------------------------------------------
-- 2. the raised clique matrix: S outside the cliques' pairs, PSD, and
-- equal to S on every portfolio with at most one exposure per clique
---------------------------------------------------------------------------
do
  local X = REF.tied
  local n = #X.names
  local cliques = { { 1, 2, 3 }, { 4, 5, 6 }, { 7, 8, 9 }, { 10, 11, 12 } }
  local A, D, tau = PS.diagonal(X.cov, n, cliques)
  T.ok(tau > 0.99 and tau <= 1, ("tau %.6g: the equal correlations across clusters leave room to raise to 1"):format(tau))
  local cl = {}
  for k, c in ipairs(cliques) do for _, i in ipairs(c) do cl[i] = k end end
  local M = {}
  for i = 1, n do
    M[i] = {}
    for j = 1, n do
      if i == j or cl[i] ~= cl[j] then T.eq(A[i][j], X.cov[i][j], "A is S outside the cliques' pairs") end
      M[i][j] = A[i][j] - (i == j and D[i] or 0)
    end
  end
  local ev = min_eig(M)
  T.ok(ev > 0, ("A - D is positive definite (smallest eigenvalue %.3g, numpy)"):format(ev))
  -- w'Aw = w'Sw for one exposure per clique, at random weights
  local s = 99
  local function rnd() s = (s * 1103515245 + 12345) % 2147483648; return s / 2147483648 end
  local worst = 0
  for _ = 1, 50 do
    local w = {}
    for i = 1, n do w[i] = 0 end
    for _, c in ipairs(cliques) do w[c[1 + math.floor(rnd() * 3)]] = rnd() end
    local a, b = 0, 0
    for i = 1, n do for j = 1, n do a, b = a + w[i] * A[i][j] * w[j], b + w[i] * X.cov[i][j] * w[j] end end
    worst = math.max(worst, math.abs(a - b) / b)
  end
  T.ok(worst < 1e-14, ("w'Aw = w'Sw on portfolios of one per clique (worst relative %.2e)"):format(worst))
end

---------------------------------------------------------------------------
-- 3. the search against the brute force over every held set
---------------------------------------------------------------------------
local opt = folio.ExposureOptimizer()
-- a singular covariance (two identical exposures) has no perspective
-- diagonal: the search runs on the plain relaxation, and a node whose
-- relaxation the interior-point method cannot settle branches under its
-- parent's bound
T.eq(PS.diagonal(REF.singular.cov, 6, {}), nil, "singular covariance: no diagonal")

for _, tag in ipairs { "factor", "tied", "singular" } do
  local X = REF[tag]
  local K = X.max_held
  local R = corr_of(X.cov)
  local objectives = { folio.MinVolatility {}, folio.MaxSharpeRatio {}, folio.MaxDiversification {},
                       folio.TargetReturn { target_return = X.target } }
  for _, obj in ipairs(objectives) do
    local what = ("%s universe, %s"):format(tag, obj.kind)
    local r = opt:optimize { exposures = X.names, mu = X.mu, cov = X.cov, objective = obj,
                             constraints = folio.ExposureConstraints { max_exposures = K } }
    local ref = X[obj.kind]
    T.eq(r.status, "optimal", what .. ": proven optimal")
    T.near(r.objective, ref.value, 1e-7, what .. ": the objective of CVXOPT's brute force over every held set")
    local held = {}
    for i, e in ipairs(X.names) do
      local w = r.weights[e]
      if w > 1e-8 then
        held[#held + 1] = i
        T.ok(w >= 0.01 - 1e-8 and w <= 0.4 + 1e-8, what .. ": a held weight in [0.01, 0.4]")
      end
    end
    T.ok(#held >= 3 and #held <= K, ("%s: %d held, within 3..%d"):format(what, #held, K))
    for a = 1, #held do
      for b = a + 1, #held do T.ok(R[held[a]][held[b]] <= 0.8, what .. ": no two held correlated above 0.8") end
    end
    -- the weights where the optimum is unique (MaxDiversification ties on
    -- the tied universe, any one per cluster, and on the singular one,
    -- whose correlations are all 0.3; the singular universe's last two
    -- exposures are one: their sum)
    if not (obj.kind == "MaxDiversification" and tag ~= "factor") then
      local got, want = {}, {}
      for i, e in ipairs(X.names) do got[i], want[i] = r.weights[e], ref.weights[i] end
      if tag == "singular" then got[5], want[5], got[6], want[6] = got[5] + got[6], want[5] + want[6], 0, 0 end
      local worst = 0
      for i = 1, #got do worst = math.max(worst, math.abs(got[i] - want[i])) end
      T.ok(worst < 1e-6, ("%s: the brute force's weights (worst %.2e)"):format(what, worst))
    end
  end
end

T.done()
