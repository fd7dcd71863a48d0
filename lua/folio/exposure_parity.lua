-- RiskParity under limits (docs/exposure_optimizer.md, "RiskParity"):
-- constrained risk budgeting (Richard and Roncalli, 2019) on a held set.
--
-- With the limits as rows G x <= h on the weights, x(lambda) solves the
-- convex problem
--     min 1/2 x'Sx - lambda sum b_i log x_i   s.t.  G x <= h,
-- and lambda is the one at which sum x(lambda) is the budget. Its optimum
-- has x_i (Sx)_i = lambda b_i - x_i (G'z)_i, z >= 0 the multipliers: every
-- exposure on which no limit binds has its risk contribution in
-- proportion to its budget (equal risk for equal budgets), and those a
-- limit holds back take less (or more, for a minimum). Without a binding
-- limit it is plain risk parity (Spinu's problem, solved by Newton's
-- method in C).
local folio = require "folio"
local check = require "folio.check"
local fail = check.fail

local P = {}

local function cholesky(A, k)
  local L = {}
  for i = 1, k do
    L[i] = {}
    for j = 1, i do
      local v = A[i][j]
      local Li, Lj = L[i], L[j]
      for q = 1, j - 1 do v = v - Li[q] * Lj[q] end
      if i == j then
        if not (v > 0) then return nil end
        Li[i] = math.sqrt(v)
      else
        Li[j] = v / Lj[j]
      end
    end
  end
  return L
end

local function chol_solve(L, r, k)
  local x = {}
  for i = 1, k do
    local v = r[i]
    local Li = L[i]
    for q = 1, i - 1 do v = v - Li[q] * x[q] end
    x[i] = v / Li[i]
  end
  for i = k, 1, -1 do
    local v = x[i]
    for q = i + 1, k do v = v - L[q][i] * x[q] end
    x[i] = v / L[i][i]
  end
  return x
end

-- the largest step in (0, 1] that keeps x + a dx positive (fraction 0.99)
local function max_step(x, dx, a)
  for i = 1, #x do
    if dx[i] < 0 then a = math.min(a, -0.99 * x[i] / dx[i]) end
  end
  return a
end

-- P.solve(Q, b, G, h) -> y, z, iterations | nil, why
-- min 1/2 y'Qy - sum b_i log y_i s.t. G y <= h (G: rows of k numbers),
-- by a primal-dual interior-point method with Mehrotra's corrector.
function P.solve(Q, b, G, h)
  local k, m = #b, #G
  local y, qy = {}, {}
  for i = 1, k do y[i] = 1 / math.sqrt(Q[i][i]) end
  local function mul(v)
    local out = {}
    for i = 1, k do
      local s, Qi = 0, Q[i]
      for j = 1, k do s = s + Qi[j] * v[j] end
      out[i] = s
    end
    return out
  end
  qy = mul(y)
  local v = 0
  for i = 1, k do v = v + y[i] * qy[i] end
  local bs = 0
  for i = 1, k do bs = bs + b[i] end
  for i = 1, k do y[i] = y[i] * math.sqrt(bs / v) end
  local s, z = {}, {}
  for r = 1, m do
    local g = 0
    for i = 1, k do g = g + G[r][i] * y[i] end
    s[r], z[r] = math.max(h[r] - g, 1e-2), 1
  end
  for it = 1, 200 do
    qy = mul(y)
    local rd, rp, mu = {}, {}, 0
    local dres, pres = 0, 0
    for i = 1, k do
      local g = qy[i] - b[i] / y[i]
      for r = 1, m do g = g + G[r][i] * z[r] end
      rd[i] = g
      dres = math.max(dres, math.abs(g * y[i]))
    end
    for r = 1, m do
      local g = s[r] - h[r]
      for i = 1, k do g = g + G[r][i] * y[i] end
      rp[r] = g
      pres = math.max(pres, math.abs(g))
      mu = mu + s[r] * z[r]
    end
    mu = m > 0 and mu / m or 0
    if dres <= 1e-13 * bs and pres <= 1e-13 and mu <= 1e-15 * bs then return y, z, it end
    -- (H + G'DG) dy = -rd + G' S^-1 (rc - Z rp), H = Q + diag(b / y^2)
    local M = {}
    for i = 1, k do
      M[i] = {}
      for j = 1, k do M[i][j] = Q[i][j] end
      M[i][i] = M[i][i] + b[i] / (y[i] * y[i])
    end
    for r = 1, m do
      local d, Gr = z[r] / s[r], G[r]
      for i = 1, k do
        local gi = d * Gr[i]
        if gi ~= 0 then
          local Mi = M[i]
          for j = 1, k do Mi[j] = Mi[j] + gi * Gr[j] end
        end
      end
    end
    local L = cholesky(M, k)
    if not L then return nil, "the Newton matrix is not positive definite" end
    local function direction(rc)
      local rhs = {}
      for i = 1, k do rhs[i] = -rd[i] end
      for r = 1, m do
        local c = (rc[r] - z[r] * rp[r]) / s[r]
        for i = 1, k do rhs[i] = rhs[i] + G[r][i] * c end
      end
      local dy = chol_solve(L, rhs, k)
      local ds, dz = {}, {}
      for r = 1, m do
        local g = 0
        for i = 1, k do g = g + G[r][i] * dy[i] end
        ds[r] = -rp[r] - g
        dz[r] = (-rc[r] - z[r] * ds[r]) / s[r]
      end
      return dy, ds, dz
    end
    local rc = {}
    for r = 1, m do rc[r] = s[r] * z[r] end
    local dy, ds, dz = direction(rc)
    local a = max_step(z, dz, max_step(s, ds, max_step(y, dy, 1)))
    local mu_aff = 0
    for r = 1, m do mu_aff = mu_aff + (s[r] + a * ds[r]) * (z[r] + a * dz[r]) end
    mu_aff = m > 0 and mu_aff / m or 0
    local sigma = mu > 0 and (mu_aff / mu) ^ 3 or 0
    for r = 1, m do rc[r] = s[r] * z[r] + ds[r] * dz[r] - sigma * mu end
    dy, ds, dz = direction(rc)
    a = max_step(z, dz, max_step(s, ds, max_step(y, dy, 1)))
    for i = 1, k do y[i] = y[i] + a * dy[i] end
    for r = 1, m do s[r], z[r] = s[r] + a * ds[r], z[r] + a * dz[r] end
  end
  return nil, "no convergence in 200 iterations"
end

---------------------------------------------------------------------------
-- the limits as rows a'w <= c
---------------------------------------------------------------------------
local ALLOWED = {
  kind = true, bounds = true, min_weights = true, max_weights = true, budget = true, categories = true,
  category_limits = true, max_concentration = true, max_total_notional = true, leveraged = true,
  max_leverage_exposures = true, min_exposures = true, max_exposures = true, min_position = true,
  max_correlation_pairs = true,
}

-- rows {a = {[i] = coef}, c, name} of the limits on the weights
local function limit_rows(p, budget)
  local c, names, n = p.c, p.names, #p.names
  local rows = {}
  local function add(a, rhs, name) rows[#rows + 1] = { a = a, c = rhs, name = name } end
  local cap = c.max_concentration or math.huge
  for i, e in ipairs(names) do
    if p.lo[i] > 0 then add({ [i] = -1 }, -p.lo[i], ("min_weight[%s]"):format(e)) end
    local hi = math.min(p.hi[i], cap)
    if hi < budget then
      add({ [i] = 1 }, hi, (p.hi[i] <= cap and "max_weight[%s]" or "max_concentration[%s]"):format(e))
    end
  end
  local cats = c.categories or {}
  local keys = {}
  for cat in pairs(c.category_limits or {}) do keys[#keys + 1] = cat end
  table.sort(keys)
  for _, cat in ipairs(keys) do
    local lim = c.category_limits[cat]
    local up, down = {}, {}
    for i, e in ipairs(names) do if cats[e] == cat then up[i], down[i] = 1, -1 end end
    if lim[2] and lim[2] ~= false then add(up, lim[2], "category_max_" .. cat) end
    if lim[1] and lim[1] ~= false and lim[1] > 0 then add(down, -lim[1], "category_min_" .. cat) end
  end
  if c.max_leverage_exposures and c.leveraged then
    local a = {}
    for i, e in ipairs(names) do if c.leveraged[e] then a[i] = 1 end end
    if next(a) then add(a, c.max_leverage_exposures, "max_leverage_exposures") end
  end
  if c.max_total_notional and budget > c.max_total_notional then
    local a = {}
    for i = 1, n do a[i] = 1 end
    add(a, c.max_total_notional, "max_total_notional")
  end
  return rows
end

-- risk budgeting on the held set S (indices): w (by index, 0 off S), the
-- multipliers of rows, iterations | nil, why. psd: check that p.cov on S
-- is positive semidefinite (once is enough: a held set's is then too).
local function on_set(p, S, b, rows, budget, psd)
  local k, n = #S, #p.names
  local bs, bsum = {}, 0
  for a = 1, k do
    bs[a] = b[S[a]]
    bsum = bsum + bs[a]
  end
  for a = 1, k do bs[a] = bs[a] / bsum end
  local function full(y)
    local w = {}
    for i = 1, n do w[i] = 0 end
    for a = 1, k do w[S[a]] = y[a] end
    return w
  end
  local function keeps(w)
    for _, row in ipairs(rows) do
      local v = 0
      for i, coef in pairs(row.a) do v = v + coef * w[i] end
      if v > row.c + 1e-12 * (1 + math.abs(row.c)) then return false end
    end
    return true
  end
  -- plain risk parity first (in C, reading p.cov's rows and columns S
  -- once, its lower triangle only: optimize has checked symmetry); when it
  -- keeps every limit, no multiplier is needed
  local ok, yw, iters = pcall(folio.core_stats.risk_parity, p.cov, bs, { subset = S, lower = true, psd = psd })
  if not ok and tostring(yw):find("cov is not positive semidefinite", 1, true) then
    fail("optimize: RiskParity: cov is not positive semidefinite")
  end
  local w0
  if ok then
    local y = {}
    for a = 1, k do y[a] = budget * yw[a] end
    w0 = full(y)
    if keeps(w0) then return w0, {}, iters end
  end
  local Q = {}
  for a = 1, k do
    Q[a] = {}
    for c = 1, k do Q[a][c] = p.cov[S[a]][S[c]] end
  end
  -- the rows on the held set, each scaled to a unit normal
  local G, h, which = {}, {}, {}
  for r, row in ipairs(rows) do
    local g, norm, const = {}, 0, row.c
    for a = 1, k do
      g[a] = row.a[S[a]] or 0
      norm = norm + g[a] * g[a]
    end
    if norm > 0 then
      norm = math.sqrt(norm)
      for a = 1, k do g[a] = g[a] / norm end
      G[#G + 1], h[#G + 1], which[#G + 1] = g, const / norm, r
    elseif const < 0 then
      return nil, "a limit cannot hold on the held set"
    end
  end
  -- lambda such that the weights of x(lambda) sum to the budget: the sum
  -- grows like sqrt(lambda) without limits, so secant steps on
  -- log(sum) against log(lambda)
  local lam_b = {}
  local function at(lam)
    for a = 1, k do lam_b[a] = lam * bs[a] end
    local y, z, it = P.solve(Q, lam_b, G, h)
    if not y then return nil, z end
    local sy = 0
    for a = 1, k do sy = sy + y[a] end
    return sy, y, z, it
  end
  local v0 = 0
  if w0 then for i = 1, n do for j = 1, n do v0 = v0 + w0[i] * p.cov[i][j] * w0[j] end end end
  local l1 = v0 > 0 and v0 or budget * budget * Q[1][1]
  local s1, y1, z1, it1 = at(l1)
  if not s1 then return nil, y1 end
  local l2 = l1 * (budget / s1) ^ 2
  local s2, y2, z2, it2 = at(l2)
  if not s2 then return nil, y2 end
  local total = it1 + it2
  for _ = 1, 60 do
    if math.abs(s2 - budget) <= 1e-13 * budget then break end
    local slope = (math.log(s2) - math.log(s1)) / (math.log(l2) - math.log(l1))
    if not (slope > 1e-3) or slope ~= slope then slope = 0.5 end
    local l3 = math.exp(math.log(l2) + (math.log(budget) - math.log(s2)) / slope)
    l1, s1 = l2, s2
    l2 = l3
    local s3, y3, z3, it3 = at(l2)
    if not s3 then return nil, y3 end
    s2, y2, z2 = s3, y3, z3
    total = total + it3
  end
  if math.abs(s2 - budget) > 1e-9 * budget then return nil, "no lambda meets the budget" end
  local mult = {}
  for q, r in ipairs(which) do mult[r] = z2[q] end
  -- the last few 1e-13 of the budget: scale (the limits hold to 1e-12)
  for a = 1, k do y2[a] = y2[a] * budget / s2 end
  return full(y2), mult, total
end

-- P.risk_parity(p) -> {w, active, held, iterations} | nil, message
-- p: the checked inputs of optimize (names, cov, c, obj, lo, hi, hold).
function P.risk_parity(p)
  local c, names, n = p.c, p.names, #p.names
  for k, v in pairs(c) do
    if v and not ALLOWED[k] then
      fail("optimize: RiskParity takes no '%s': its weights are set by the risk budgets and "
           .. "the weight limits (bounds, categories, concentration, leverage, holdings)", k)
    end
  end
  local budget = c.budget
  if budget == nil then budget = 1 end
  if not (type(budget) == "number" and budget > 0) then fail("optimize: RiskParity needs a positive budget") end
  for i, e in ipairs(names) do
    if p.lo[i] < 0 then fail("optimize: RiskParity needs long-only weights ('%s' may go short)", e) end
  end
  local b = {}
  if p.obj.budgets then
    b = require("folio.align").vector(p.obj.budgets, names, "optimize", "RiskParity budgets")
    for i, e in ipairs(names) do
      if not (b[i] > 0) then fail("optimize: RiskParity budgets['%s'] must be positive", e) end
    end
  else
    for i = 1, n do b[i] = 1 / n end
  end
  local rows = limit_rows(p, budget)
  local h = p.hold
  local minpos = h and h.minpos or 0
  -- the candidates: every exposure whose maximum allows holding it
  local cand = {}
  for i = 1, n do if p.hi[i] >= math.max(minpos, 1e-12) and (c.max_concentration or 1) > 0 then cand[#cand + 1] = i end end
  local function solve_on(S, extra)
    local all = rows
    if extra then
      all = {}
      for _, r in ipairs(rows) do all[#all + 1] = r end
      for _, r in ipairs(extra) do all[#all + 1] = r end
    end
    local w, mult, it = on_set(p, S, b, all, budget, not extra)
    return w, mult, it, all
  end
  local w, mult, it, used = solve_on(cand)
  if not w then return nil, "the risk budgets cannot be met within the limits (" .. tostring(mult) .. ")" end
  local held, active = cand, {}
  if h then
    -- the held set: the exposures ranked by their weight in the risk-parity
    -- portfolio of all candidates (those with a positive minimum first),
    -- kept in that order up to max_exposures, skipping one correlated
    -- above max_correlation_pairs with one already kept
    local order = {}
    for _, i in ipairs(cand) do order[#order + 1] = i end
    table.sort(order, function(x, y)
      local fx, fy = p.lo[x] > 0, p.lo[y] > 0
      if fx ~= fy then return fx end
      if w[x] ~= w[y] then return w[x] > w[y] end
      return x < y
    end)
    local kept, inset, skipped_pair, skipped_count = {}, {}, false, false
    for _, i in ipairs(order) do
      local clash = false
      for _, j in ipairs(h.partners[i]) do if inset[j] then clash = true end end
      if clash then
        skipped_pair = true
      elseif h.max and #kept >= h.max then
        skipped_count = true
      else
        kept[#kept + 1], inset[i] = i, true
      end
    end
    if h.min and #kept < h.min then
      return nil, ("RiskParity holds %d exposures after max_correlation_pairs %s, fewer than min_exposures %d")
        :format(#kept, tostring(c.max_correlation_pairs), h.min)
    end
    table.sort(kept)
    local extra = {}
    if minpos > 0 then
      for _, i in ipairs(kept) do extra[#extra + 1] = { a = { [i] = -1 }, c = -minpos, name = ("min_position[%s]"):format(names[i]) } end
    end
    w, mult, it, used = solve_on(kept, extra)
    if not w then
      return nil, "the risk budgets cannot be met within the limits on the held set (" .. tostring(mult) .. ")"
    end
    held = kept
    if skipped_count then active[#active + 1] = "max_exposures" end
    if skipped_pair then active[#active + 1] = "max_correlation_pairs" end
  end
  for r, row in ipairs(used) do
    local v = 0
    for i, coef in pairs(row.a) do v = v + coef * w[i] end
    if (mult[r] or 0) > 0 and math.abs(v - row.c) <= 1e-8 * (1 + math.abs(row.c)) then
      active[#active + 1] = row.name
    end
  end
  return { w = w, active = active, held = held, iterations = it }
end

return P
