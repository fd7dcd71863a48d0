-- The matrix and the diagonal of the perspective relaxation of the search
-- over held sets (docs/exposure_optimizer.md, "Holdings").
--
-- The relaxation writes the risk as w'(A - D)w + sum D_j w_j^2 with D >= 0
-- diagonal and A - D positive semidefinite, and charges D_j w_j^2 / z_j
-- (a rotated cone) for an exposure held with indicator z_j in [0, 1]. Two
-- choices make it tight:
--
-- * A. Any matrix that equals the covariance S on every portfolio the
--   holdings limits allow will do. No two exposures of a clique of the
--   correlation pairs are held together, so w_i w_j = 0 for such a pair
--   and its entry A_ij is free: A = S + tau E with E_ij = sqrt(S_ii S_jj)
--   - S_ij inside each clique (correlation raised towards 1), tau the
--   largest in [0, 1] at which A stays positive definite (bisection on
--   Cholesky factorisations, 30 steps). It makes held sets that tie (one
--   per cluster, equal correlations across) tie in the relaxation too,
--   but leaves less room for D; the search (lua/folio/exposure.lua, run)
--   solves the root under A = S and under the raised A and keeps the
--   raised one only when it closes half the root's gap or more.
-- * D. The largest diagonal in the sense of sum_j D_j / A_jj under
--   A - D >= 0 (minimum-trace factor analysis in correlation units): a
--   concave problem over a convex set, solved by a barrier method,
--   max t sum d_j + logdet(R - diag d) + sum log d_j (R the correlation
--   matrix of A), Newton steps with a backtracking (Armijo) line search
--   from t = 16, t multiplied by 32 up to a duality gap of 2n/t <= 2e-3 n
--   (11 steps, 2.5 ms, at n = 20). Every
--   iterate is strictly inside, so A - D stays positive definite. The
--   greedy diagonal this replaces (theta diag(S), theta below the
--   correlation matrix's smallest eigenvalue, then one coordinate at a
--   time) left a root gap of 3% for minimum variance with 10 of 20 held,
--   against 0.5% with this one (tests/lua/test_exposure_persp.lua checks
--   it against CVXOPT's SDP solver).
local P = {}

-- Cholesky of the n x n matrix a (rows) into l (lower, rows); false when
-- a is not positive definite
local function chol(a, n, l)
  for i = 1, n do
    local ai, li = a[i], l[i]
    for j = 1, i do
      local lj = l[j]
      local v = ai[j]
      for q = 1, j - 1 do v = v - li[q] * lj[q] end
      if i == j then
        if not (v > 0) then return false end
        li[i] = math.sqrt(v)
      else
        li[j] = v / lj[j]
      end
    end
  end
  return true
end

local function rows(n)
  local t = {}
  for i = 1, n do t[i] = {} end
  return t
end

-- the inverse of L L' (l from chol) into inv (rows, full): X = L^-1 by
-- rows of X' (column j of L^-1 is x[j]), then inv = X' X
local function chol_inverse(l, n, inv, x)
  for j = 1, n do
    local xj = x[j]
    for i = 1, j - 1 do xj[i] = 0 end
    for i = j, n do
      local li = l[i]
      local v = (i == j) and 1 or 0
      for q = j, i - 1 do v = v - li[q] * xj[q] end
      xj[i] = v / li[i]
    end
  end
  for i = 1, n do
    local xi, invi = x[i], inv[i]
    for j = i, n do
      local xj = x[j]
      local s = 0
      for q = j, n do s = s + xi[q] * xj[q] end
      invi[j], inv[j][i] = s, s
    end
  end
end

-- solves H x = g (H rows, symmetric positive definite) -> x or nil
local function spd_solve(h, g, n, l)
  if not chol(h, n, l) then return nil end
  local y = {}
  for i = 1, n do
    local li = l[i]
    local v = g[i]
    for q = 1, i - 1 do v = v - li[q] * y[q] end
    y[i] = v / li[i]
  end
  local x = {}
  for i = n, 1, -1 do
    local v = y[i]
    for q = i + 1, n do v = v - l[q][i] * x[q] end
    x[i] = v / l[i][i]
  end
  return x
end

-- the largest diagonal d (correlation units) with R - diag(d) > 0, d > 0,
-- by the barrier method above; r: rows. -> d or nil
local function mtfa(r, n)
  local l, m, inv, x, h, lh = rows(n), rows(n), rows(n), rows(n), rows(n), rows(n)
  local function interior(dd)
    for i = 1, n do if not (dd[i] > 0) then return false end end
    for i = 1, n do
      local ri, mi = r[i], m[i]
      for j = 1, n do mi[j] = ri[j] end
      mi[i] = ri[i] - dd[i]
    end
    return chol(m, n, l)
  end
  -- the barrier function at dd, from the Cholesky factor interior(dd) left in l
  local function value(dd, t)
    local v = 0
    for i = 1, n do v = v + t * dd[i] + math.log(dd[i]) + 2 * math.log(l[i][i]) end
    return v
  end
  if not chol(r, n, l) then return nil end
  chol_inverse(l, n, inv, x)
  -- start at d_i = 0.2 / (R^-1)_ii when that is inside (it is for most
  -- covariances, and closer to the optimum), else at 1 / (2 n (R^-1)_ii),
  -- which keeps sum d_i (R^-1)_ii = 1/2 < 1, so R - diag(d) > 0
  local d = {}
  for i = 1, n do d[i] = 0.2 / inv[i][i] end
  if not interior(d) then
    for i = 1, n do d[i] = 1 / (2 * n * inv[i][i]) end
    if not interior(d) then return nil end
  end
  local g = {}
  local t = 16
  while 2 * n / t > 2e-3 * n do
    for _ = 1, 30 do
      chol_inverse(l, n, inv, x)
      for i = 1, n do
        local invi, hi = inv[i], h[i]
        g[i] = t - invi[i] + 1 / d[i]
        for j = 1, n do
          local v = invi[j]
          hi[j] = v * v
        end
        hi[i] = hi[i] + 1 / (d[i] * d[i])
      end
      local step = spd_solve(h, g, n, lh)
      if not step then return nil end
      local lam2 = 0
      for i = 1, n do lam2 = lam2 + g[i] * step[i] end
      local lam = math.sqrt(math.max(lam2, 0))
      -- a backtracking line search from the full Newton step: inside, and
      -- an Armijo increase of the barrier function
      local f0, alpha, nd = value(d, t), 1, {}
      local ok = false
      repeat
        for i = 1, n do nd[i] = d[i] + alpha * step[i] end
        if interior(nd) and value(nd, t) >= f0 + 0.25 * alpha * lam2 then ok = true break end
        alpha = alpha / 2
      until alpha < 1e-12
      if not ok then
        if not interior(d) then return nil end
        break
      end
      d = nd
      if lam < 0.5 then break end
    end
    t = t * 32
  end
  return d
end

-- f(i, j) for every ordered pair of distinct members of each clique
local function pairs_of(cliques, f)
  for _, c in ipairs(cliques) do
    for a = 1, #c do
      for b = 1, #c do
        if a ~= b then f(c[a], c[b]) end
      end
    end
  end
end

-- P.diagonal(cov, n, cliques) -> A, D, tau (A: the matrix of the
-- relaxation, rows of numbers; D: its diagonal, by exposure; tau: how far
-- the cliques' correlations were raised), or nil when no positive
-- diagonal exists (a singular covariance)
function P.diagonal(cov, n, cliques)
  for i = 1, n do if not (cov[i][i] > 0) then return nil end end
  local s = {}
  for i = 1, n do s[i] = math.sqrt(cov[i][i]) end
  local l = rows(n)
  -- the correlation matrix of S + tau E
  local function corr_of(tau, out)
    for i = 1, n do
      local oi, ci = out[i], cov[i]
      for j = 1, n do oi[j] = ci[j] / (s[i] * s[j]) end
      oi[i] = 1
    end
    if tau > 0 then
      pairs_of(cliques, function(i, j) out[i][j] = out[i][j] + tau * (1 - out[i][j]) end)
    end
    return out
  end
  local r = corr_of(0, rows(n))
  if not chol(r, n, l) then return nil end
  local tau = 0
  if cliques and #cliques > 0 then
    local lo, hi = 0, 1
    local m = rows(n)
    for _ = 1, 30 do
      local mid = (lo + hi) / 2
      if chol(corr_of(mid, m), n, l) then lo = mid else hi = mid end
    end
    tau = lo
    if tau > 0 then r = corr_of(tau, r) end
  end
  local d = mtfa(r, n)
  if not d then return nil end
  -- A = S + tau E: S itself outside the cliques' pairs
  local A, D = {}, {}
  for i = 1, n do
    A[i] = {}
    for j = 1, n do A[i][j] = cov[i][j] end
    D[i] = d[i] * cov[i][i]
  end
  if tau > 0 then pairs_of(cliques, function(i, j) A[i][j] = r[i][j] * s[i] * s[j] end) end
  return A, D, tau
end

return P
