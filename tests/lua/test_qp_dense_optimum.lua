-- The QP engine on dense optima (issue 17): when the iterate's guess of
-- the active bounds is small, the active-set crossover is tried early and
-- solves the equality-constrained QP on the free columns by Cholesky
-- (with A'A added and iterative refinement). Checked against solutions
-- worked out independently: the minimum-variance portfolio that holds
-- every asset (w = Sigma^{-1} 1 / 1'Sigma^{-1} 1, by Gaussian elimination
-- here), reached exactly and in few iterations; a tiny-variance problem
-- whose caps decide the answer (where a plain Schur solve through
-- P^{-1} loses digits); and a sparse optimum, which must not change.
local T = dofile("tests/lua/testlib.lua")
local folio = require "folio"

local seed = 4242
local function rnd()
  seed = (seed * 1103515245 + 12345) % 2147483648
  return seed / 2147483648
end

-- Sigma = B B' + D: 3 factors, a diagonal large enough that the
-- minimum-variance portfolio holds every asset
local function covariance(n)
  local B, S = {}, {}
  for i = 1, n do B[i] = { (rnd() - 0.5) * 0.1, (rnd() - 0.5) * 0.1, (rnd() - 0.5) * 0.1 } end
  for i = 1, n do
    S[i] = {}
    for j = 1, n do
      S[i][j] = B[i][1] * B[j][1] + B[i][2] * B[j][2] + B[i][3] * B[j][3]
    end
    S[i][i] = S[i][i] + 0.02 + 0.03 * rnd()
  end
  return S
end

-- Sigma^{-1} 1 by Gaussian elimination with partial pivoting
local function solve_ones(S, n)
  local M = {}
  for i = 1, n do
    M[i] = {}
    for j = 1, n do M[i][j] = S[i][j] end
    M[i][n + 1] = 1
  end
  for k = 1, n do
    local p = k
    for i = k + 1, n do if math.abs(M[i][k]) > math.abs(M[p][k]) then p = i end end
    M[k], M[p] = M[p], M[k]
    for i = k + 1, n do
      local f = M[i][k] / M[k][k]
      for j = k, n + 1 do M[i][j] = M[i][j] - f * M[k][j] end
    end
  end
  local x = {}
  for i = n, 1, -1 do
    local v = M[i][n + 1]
    for j = i + 1, n do v = v - M[i][j] * x[j] end
    x[i] = v / M[i][i]
  end
  return x
end

for _, n in ipairs { 40, 150 } do
  local S = covariance(n)
  local v = solve_ones(S, n)
  local tot = 0
  for i = 1, n do tot = tot + v[i] end
  local positive = true
  for i = 1, n do
    v[i] = v[i] / tot
    if v[i] <= 0 then positive = false end
  end
  T.ok(positive, "n = " .. n .. ": the reference minimum-variance portfolio holds every asset")
  local A = {}
  for i = 1, n do A[i] = i end
  local m = folio.model("minvar" .. n)
  local w = m:var("w", A, { lb = 0 })
  m:st("budget", folio.sum(w), "==", 1)
  m:minimize(folio.quad(w, S))
  local r = m:solve()
  T.eq(r.status, "optimal", "n = " .. n .. ": status")
  local worst = 0
  for i = 1, n do worst = math.max(worst, math.abs(r:value(w[i]) - v[i])) end
  T.ok(worst < 1e-12, string.format("n = %d: weights equal Sigma^-1 1 / 1'Sigma^-1 1 (worst %.2e)", n, worst))
  -- the crossover lands as soon as no bound looks active (two iterations
  -- here); the interior-point iterations alone take five or six
  T.ok(r.iterations <= 3, "n = " .. n .. ": early crossover (iterations " .. r.iterations .. ")")
  T.ok(r.message:find("crossover", 1, true) ~= nil, "n = " .. n .. ": message names the crossover: " .. r.message)
end

-- min eps ||w||^2, sum w = 1, w <= caps: water-filling gives
-- w = (0.3, 0.3, 0.3, 0.05, 0.05) exactly; eps tiny beside the budget row
for _, eps in ipairs { 1, 1e-4, 1e-6 } do
  local caps = { 0.5, 0.5, 0.5, 0.05, 0.05 }
  local m = folio.model("caps")
  local w = m:var("w", { 1, 2, 3, 4, 5 }, { lb = 0 })
  for i = 1, 5 do m:st("cap" .. i, w[i], "<=", caps[i]) end
  m:st("budget", folio.sum(w), "==", 1)
  local I = {}
  for i = 1, 5 do I[i] = {} for j = 1, 5 do I[i][j] = i == j and eps or 0 end end
  m:minimize(folio.quad(w, I))
  local r = m:solve()
  T.eq(r.status, "optimal", "caps, eps = " .. eps .. ": status")
  local want = { 0.3, 0.3, 0.3, 0.05, 0.05 }
  local worst = 0
  for i = 1, 5 do worst = math.max(worst, math.abs(r:value(w[i]) - want[i])) end
  T.ok(worst < 1e-13, string.format("caps, eps = %g: water-filling weights (worst %.2e)", eps, worst))
end

-- a sparse optimum: a mean-variance tilt that holds few assets; the same
-- optimum as the LP-like reference (the best asset alone) when risk is tiny
do
  local n = 60
  local S = covariance(n)
  for i = 1, n do for j = 1, n do S[i][j] = S[i][j] * 1e-3 end end
  local mu, best = {}, 1
  for i = 1, n do
    mu[i] = rnd()
    if mu[i] > mu[best] then best = i end
  end
  local A = {}
  for i = 1, n do A[i] = i end
  local m = folio.model("tilt")
  local w = m:var("w", A, { lb = 0 })
  m:st("budget", folio.sum(w), "==", 1)
  m:minimize(folio.quad(w, S) - folio.dot(mu, w))
  local r = m:solve()
  T.eq(r.status, "optimal", "sparse optimum: status")
  T.ok(r:value(w[best]) > 0.99, "sparse optimum: the best asset is held (" .. r:value(w[best]) .. ")")
  local held = 0
  for i = 1, n do if r:value(w[i]) > 1e-9 then held = held + 1 end end
  T.ok(held <= 3, "sparse optimum: few assets held (" .. held .. ")")
end

T.done()
