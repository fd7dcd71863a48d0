-- The exposure optimizer's model (docs/exposure.md): one builder per
-- constraint family the user can set, sharing one context, so that the
-- same code builds the solve, the feasibility problem and each trial of
-- the conflict search. Every limit belongs to a group named in the user's
-- words ("max_turnover 0.01", "category_limits real_assets <= 0.2"); the
-- conflict search (a deletion filter over those groups) turns them off.
local folio = require "folio"
local check = require "folio.check"
local fail = check.fail

local M = {}

local function num(v) return require("folio.results").number(v) end

-- Per-exposure bounds from bounds = {lo, hi} (false: open) and
-- min/max_weights; also whose option set each (for conflicts).
function M.bounds_of(names, c)
  local b = c.bounds or { 0, 1 }
  local dlo = b[1] == false and -math.huge or (b[1] or 0)
  local dhi = b[2] == false and math.huge or (b[2] or 1)
  local lo, hi, lo_by, hi_by = {}, {}, {}, {}
  for i, e in ipairs(names) do
    local mn, mx = c.min_weights and c.min_weights[e], c.max_weights and c.max_weights[e]
    lo[i], lo_by[i] = mn or dlo, mn and ("min_weights %s >= %s"):format(e, num(mn)) or ("bounds (each weight >= %s)"):format(num(dlo))
    hi[i], hi_by[i] = mx or dhi, mx and ("max_weights %s <= %s"):format(e, num(mx)) or ("bounds (each weight <= %s)"):format(num(dhi))
  end
  return lo, hi, lo_by, hi_by
end

-- Lower Cholesky factor of a covariance (S = L L'); a zero pivot of a
-- semidefinite S gives a zero column, so ||L'x|| = sqrt(x'Sx) still holds.
function M.cholesky_lower(S, n, what)
  local L = {}
  for i = 1, n do
    L[i] = {}
    for j = 1, i do
      local v = S[i][j]
      for k = 1, j - 1 do v = v - L[i][k] * L[j][k] end
      if i == j then
        if v < -1e-10 * (1 + math.abs(S[i][i])) then fail(what .. " is not positive semidefinite") end
        L[i][i] = math.sqrt(math.max(v, 0))
      else
        L[i][j] = L[j][j] > 0 and v / L[j][j] or 0
      end
    end
  end
  return L
end

-- the cone ||L'x|| <= t, the SOC form of sqrt(x'Sx) <= t; x(i) gives the
-- expression of the i-th exposure
function M.risk_cone(m, name, L, n, x, t)
  local members = {}
  for k = 1, n do
    local terms = {}
    for i = k, n do
      if L[i][k] ~= 0 then terms[#terms + 1] = L[i][k] * x(i) end
    end
    members[k] = folio.sum(terms)
  end
  m:soc(name, members, "<=", t)
end

-- Rockafellar-Uryasev: CVaR_alpha(w) = min_z z + 1/(1-alpha) sum_s p_s u_s,
-- u_s >= -r_s'w - z, u_s >= 0. Adds z, u and the rows; returns the CVaR
-- expression and z. Linear and positively homogeneous in (w, z, u).
function M.add_cvar(m, w, names, S, prob, alpha, prefix)
  local pos = {}
  for i, e in ipairs(names) do pos[e] = i end
  local z = m:var(prefix .. "var")
  local SI = {}
  for s = 1, #S do SI[s] = s end
  local u = m:var(prefix .. "excess_loss", SI, { lb = 0 })
  m:st(prefix .. "loss", SI, function(s)
    local ret = folio.sum(names, function(e) return S[s][pos[e]] * w[e] end)
    return u[s], ">=", -1 * ret - z
  end)
  return z + folio.sum(SI, function(s) return (prob[s] / (1 - alpha)) * u[s] end), z
end

---------------------------------------------------------------------------
-- the context
---------------------------------------------------------------------------
-- ctx: names, n, pos, mu, cov, c (constraints), obj (objective), lo, hi,
-- mode ("solve" | "feasibility"), off (set of groups turned off), m, w,
-- kappa (ratio objectives), groups (the groups met, in order)
local Ctx = {}
Ctx.__index = Ctx

-- ctx:group(label, o): declares a group; true when it is on. o.measure:
-- what the limit bounds, for "needs ... >=" (an expression builder).
function Ctx:group(label, o)
  if self.label_prefix then label = self.label_prefix .. label end
  if not self.seen[label] then
    self.seen[label] = true
    local g = { label = label, index = #self.groups + 1, rank = 3 }
    for k, v in pairs(o or {}) do g[k] = v end
    self.groups[g.index] = g
  end
  return not self.off[label]
end

function Ctx:is_off(label) return self.off[(self.label_prefix or "") .. label] == true end

-- a variable or row name of this context: the multi-period model builds
-- one context per rebalance date in one model, each with its own prefix
function Ctx:name(s) return self.prefix and self.prefix .. s or s end

-- v scaled by kappa under the ratio transform
function Ctx:scaled(v) return self.kappa and v * self.kappa or v end

local function sorted_keys(t)
  local keys = {}
  for k in pairs(t) do keys[#keys + 1] = k end
  table.sort(keys, function(a, b) return tostring(a) < tostring(b) end)
  return keys
end

---------------------------------------------------------------------------
-- builders: one per constraint family, in the order they are added
---------------------------------------------------------------------------
local B = {}

function B.weights(ctx)
  local m, names, lo, hi = ctx.m, ctx.names, ctx.lo, ctx.hi
  local pos, fix = ctx.pos, ctx.fix or {}
  -- bounds are column bounds in a plain solve, rows when scaled by kappa
  -- or when the conflict search may turn them off. fix[e] ("in" | "out")
  -- is a node of the search over held sets (folio.exposure_holdings): an
  -- exposure out of the set is 0, one in it holds at least min_position.
  local rows = ctx.kappa or ctx.mode == "feasibility"
  local minpos = ctx.hold and ctx.hold.minpos or 0
  local function col_lo(i, e)
    if fix[e] == "out" then return 0 end
    if fix[e] == "in" then return math.max(lo[i], minpos) end
    return lo[i]
  end
  local function col_hi(i, e) return fix[e] == "out" and 0 or hi[i] end
  -- a node's relaxation under kappa (only its bound and weights are read)
  -- keeps the homogeneous bounds (0) as column bounds and leaves out the
  -- maxima of free exposures, which its link rows w <= max u <= max kappa
  -- imply: fewer rows for the interior-point method
  local lean = ctx.kappa and ctx.mode == "relax"
  local function lean_lo(i, e) return lean and (lo[i] == 0 or fix[e] == "out") end
  local function lean_hi(e) return lean and fix[e] ~= "in" end
  -- the bounds as built, for a search that fixes and releases by bounds
  ctx.w_lb, ctx.w_ub = {}, {}
  ctx.w = m:var(ctx:name("w"), names, {
    lb = function(e)
      local i = pos[e]
      local v
      if rows then v = lean_lo(i, e) and 0 or -math.huge else v = col_lo(i, e) end
      ctx.w_lb[e] = v
      return v
    end,
    ub = function(e)
      local i = pos[e]
      local v
      if rows then v = (lean and fix[e] == "out") and 0 or math.huge else v = col_hi(i, e) end
      ctx.w_ub[e] = v
      return v
    end,
  })
  local w = ctx.w
  if rows then
    m:st(ctx:name("min_weight"), names, function(e)
      local i = pos[e]
      if lo[i] ~= -math.huge and not lean_lo(i, e) and ctx:group(ctx.lo_by[i]) then
        return w[e], ">=", ctx:scaled(lo[i])
      end
    end)
    m:st(ctx:name("max_weight"), names, function(e)
      local i = pos[e]
      if hi[i] ~= math.huge and not lean_hi(e) and ctx:group(ctx.hi_by[i]) then return w[e], "<=", ctx:scaled(hi[i]) end
    end)
    if next(fix) then
      m:st(ctx:name("held_min"), names, function(e)
        if fix[e] == "in" and minpos > lo[pos[e]] then return w[e], ">=", ctx:scaled(minpos) end
      end)
      if not lean then
        m:st(ctx:name("not_held"), names, function(e) if fix[e] == "out" then return w[e], "<=", 0 end end)
      end
    end
  end
end

function B.budget(ctx)
  local budget = ctx.c.budget
  if budget == nil then budget = 1 end
  if budget ~= false and ctx:group("budget = " .. num(budget)) then
    ctx.m:st(ctx:name("budget"), folio.sum(ctx.w), "==", ctx:scaled(budget))
  end
end

function B.category_limits(ctx)
  local c, w = ctx.c, ctx.w
  if not c.category_limits then return end
  local cats = c.categories or {}
  for _, cat in ipairs(sorted_keys(c.category_limits)) do
    local lim = c.category_limits[cat]
    local members = {}
    for _, e in ipairs(ctx.names) do if cats[e] == cat then members[#members + 1] = w[e] end end
    local s = folio.sum(members)
    if lim[1] and lim[1] ~= false and ctx:group(("category_limits %s >= %s"):format(cat, num(lim[1]))) then
      ctx.m:st(ctx:name("category_min_") .. cat, s, ">=", ctx:scaled(lim[1]))
    end
    if lim[2] and lim[2] ~= false
       and ctx:group(("category_limits %s <= %s"):format(cat, num(lim[2])),
                     { measure = function() return s end, what = cat .. " weight", rank = 2 }) then
      ctx.m:st(ctx:name("category_max_") .. cat, s, "<=", ctx:scaled(lim[2]))
    end
  end
end

-- the trading cost per unit traded of exposure e: transaction_costs is
-- one rate or a rate per exposure
function M.cost_rate(tc, e)
  return type(tc) == "number" and tc or type(tc) == "table" and tc[e] or 0
end

-- w = p - q with p, q >= 0 for every exposure (rows split[e]), made once
-- per model and shared by the limits on gross weight: p + q is |w| where a
-- limit on it binds
local function split_of(ctx)
  if not ctx.split then
    local m, w, I = ctx.m, ctx.w, ctx.names
    local p = m:var(ctx:name("long"), I, { lb = 0 })
    local q = m:var(ctx:name("short"), I, { lb = 0 })
    m:st(ctx:name("split"), I, function(e) return w[e], "==", p[e] - q[e] end)
    ctx.split = { p = p, q = q }
  end
  return ctx.split.p, ctx.split.q
end

function B.max_total_notional(ctx)
  local c, w, I = ctx.c, ctx.w, ctx.names
  if not c.max_total_notional then return end
  local label = "max_total_notional " .. num(c.max_total_notional)
  local long_only = true
  for i = 1, ctx.n do if ctx.lo[i] < 0 then long_only = false end end
  local gross
  if long_only then
    -- sum |w| = sum w: with a budget it is the budget, so the limit holds
    -- or conflicts with the budget whatever the weights
    local budget = c.budget
    if budget == nil then budget = 1 end
    if budget ~= false and budget <= c.max_total_notional then return end
    gross = folio.sum(w)
  else
    -- gross exposure sum |w| through the split w = p - q
    local p, q = split_of(ctx)
    gross = folio.sum(p) + folio.sum(q)
  end
  if ctx:group(label, { measure = function() return gross end, what = "total notional", rank = 1 }) then
    ctx.m:st(ctx:name("max_total_notional"), gross, "<=", ctx:scaled(c.max_total_notional))
  end
end

function B.max_concentration(ctx)
  local c, w = ctx.c, ctx.w
  local cap = c.max_concentration
  if not cap or not ctx:group("max_concentration " .. num(cap)) then return end
  -- no single exposure above the cap, on either side; a bound at least as
  -- tight already holds it (no duplicate row), except in the conflict
  -- search, which may turn the bound off
  local all = ctx.mode == "feasibility"
  -- a node's relaxation under kappa: the link rows w <= min(max, cap) u
  -- <= cap kappa of the exposures not fixed in hold the cap already
  local lean = ctx.kappa and ctx.mode == "relax"
  local fix = ctx.fix or {}
  ctx.m:st(ctx:name("max_concentration"), ctx.names, function(e)
    if lean and fix[e] ~= "in" then return nil end
    if all or ctx.hi[ctx.pos[e]] > cap then return w[e], "<=", ctx:scaled(cap) end
  end)
  ctx.m:st(ctx:name("min_concentration"), ctx.names, function(e)
    if ctx.lo[ctx.pos[e]] < -cap then return w[e], ">=", ctx:scaled(-cap) end
  end)
end

function B.max_leverage_exposures(ctx)
  local c, w = ctx.c, ctx.w
  if not c.max_leverage_exposures then return end
  local lev = c.leveraged or {}
  local members, shorts = {}, false
  for i, e in ipairs(ctx.names) do
    if lev[e] then
      members[#members + 1] = e
      shorts = shorts or ctx.lo[i] < 0
    end
  end
  -- no exposure marked leveraged: nothing to limit (the spec's default 0.5 is on)
  if #members == 0 then return end
  -- the share held in leveraged strategies is gross: a short one counts
  -- by its size, not against a long one (|w| through the split)
  local s
  if shorts then
    local p, q = split_of(ctx)
    s = folio.sum(members, function(e) return p[e] + q[e] end)
  else
    s = folio.sum(members, function(e) return w[e] end)
  end
  if ctx:group("max_leverage_exposures " .. num(c.max_leverage_exposures),
               { measure = function() return s end, what = "leveraged exposure", rank = 1 }) then
    ctx.m:st(ctx:name("max_leverage_exposures"), s, "<=", ctx:scaled(c.max_leverage_exposures))
  end
end

-- The holdings limits of constraints c (nil when none is on): min/max
-- counts, min_position (0.01 when min_exposures is set), the pairs
-- correlated above max_correlation_pairs. They need long-only weights
-- with finite maxima (blamed on the options, which are on by default).
function M.holdings_of(names, cov, c, lo, hi, fn)
  fn = fn or "optimize"
  if not (c.min_exposures or c.max_exposures or c.max_correlation_pairs) then return nil end
  local on = {}
  for _, k in ipairs { "min_exposures", "max_exposures", "max_correlation_pairs" } do
    if c[k] then on[#on + 1] = k end
  end
  local off = "; turn them off for a long-short portfolio (" .. table.concat(on, " = false, ") .. " = false)"
  for i, e in ipairs(names) do
    if lo[i] < 0 then fail("%s: the holdings limits need long-only weights ('%s' may go short)%s", fn, e, off) end
    if hi[i] == math.huge then fail("%s: the holdings limits need a finite maximum weight for '%s'%s", fn, e, off) end
  end
  local h = { min = c.min_exposures or nil, max = c.max_exposures or nil,
              minpos = c.min_position or (c.min_exposures and 0.01) or 0, partners = {} }
  if c.min_position == false then h.minpos = 0 end
  -- the pairs correlated above the limit, {{i, j}, ...} with i < j (in C)
  h.pairs = c.max_correlation_pairs and folio.core_stats.correlated_pairs(cov, c.max_correlation_pairs) or {}
  for i = 1, #names do h.partners[i] = {} end
  for _, pr in ipairs(h.pairs) do
    table.insert(h.partners[pr[1]], pr[2])
    table.insert(h.partners[pr[2]], pr[1])
  end
  h.cliques = M.cliques(h.pairs, h.partners, #names)
  return h
end

-- holdings as binaries z (the MIQP, and the feasibility problem of the
-- conflict search); a plain solve is a node of the search over held sets
-- instead (ctx.fix), whose relaxation has no binaries
function B.holdings(ctx)
  local c, m, w, names = ctx.c, ctx.m, ctx.w, ctx.names
  local h = ctx.hold
  if not h or ctx.mode == "solve" then return end
  if ctx.relaxed then
    -- the feasibility problem without binaries still knows the groups,
    -- so that the conflict search can turn them off
    if h.minpos > 0 then ctx:group("min_position " .. num(h.minpos)) end
    if c.max_exposures then ctx:group("max_exposures " .. num(c.max_exposures)) end
    if c.min_exposures then ctx:group("min_exposures " .. num(c.min_exposures)) end
    if #h.pairs > 0 then ctx:group("max_correlation_pairs " .. num(c.max_correlation_pairs)) end
    return
  end
  if ctx.mode == "relax" then return M.relaxed_holdings(ctx) end
  local z = m:var(ctx:name("held"), names, { kind = "binary" })
  -- w <= M z with M the maximum weight; in the conflict search the limit
  -- that gives it may be off, and the next one down takes its place
  local function big(e)
    local i = ctx.pos[e]
    if ctx.mode ~= "feasibility" or not ctx:is_off(ctx.hi_by[i]) then return ctx.hi[i] end
    local cap = c.max_concentration
    if cap and not ctx:is_off("max_concentration " .. num(cap)) then return cap end
    return 1e3
  end
  m:st(ctx:name("hold"), names, function(e) return w[e], "<=", big(e) * z[e] end)
  if h.minpos > 0 and ctx:group("min_position " .. num(h.minpos)) then
    m:st(ctx:name("min_position"), names, function(e) return w[e], ">=", h.minpos * z[e] end)
  end
  if c.max_exposures and ctx:group("max_exposures " .. num(c.max_exposures)) then
    m:st(ctx:name("max_exposures"), folio.sum(z), "<=", c.max_exposures)
  end
  if c.min_exposures and ctx:group("min_exposures " .. num(c.min_exposures)) then
    m:st(ctx:name("min_exposures"), folio.sum(z), ">=", c.min_exposures)
  end
  if #h.pairs > 0 and ctx:group("max_correlation_pairs " .. num(c.max_correlation_pairs)) then
    -- no two held exposures correlated above the threshold
    local keys, by = {}, {}
    for _, pr in ipairs(h.pairs) do
      local key = names[pr[1]] .. "~" .. names[pr[2]]
      keys[#keys + 1], by[key] = key, { names[pr[1]], names[pr[2]] }
    end
    m:st(ctx:name("correlated"), keys, function(key) return z[by[key][1]] + z[by[key][2]], "<=", 1 end)
  end
  ctx.z = z
end

-- The node relaxation of the search over held sets (mode "relax"): the
-- held indicators z in [0, 1] (0 or 1 where the node fixes them), the
-- counts and pairs on z, and for plain weights w <= max z and
-- w >= min_position z. The risk gets the perspective strengthening in
-- B.risk_limits.
function M.relaxed_holdings(ctx)
  local c, m, w, names, h = ctx.c, ctx.m, ctx.w, ctx.names, ctx.hold
  local fix = ctx.fix or {}
  -- the free exposures get variables; a fixed one's indicator is a
  -- constant (an equality as two rows would leave the interior-point
  -- method no interior)
  local free = {}
  for _, e in ipairs(names) do if fix[e] == nil then free[#free + 1] = e end end
  local zv = #free > 0 and m:var(ctx:name("held"), free, { lb = 0, ub = 1 }) or {}
  ctx.zvar = zv
  local z = {}
  for _, e in ipairs(names) do z[e] = fix[e] == "in" and 1 or fix[e] == "out" and 0 or zv[e] end
  local function sum_over(list, x)
    local terms = {}
    for _, e in ipairs(list) do if x[e] ~= 0 then terms[#terms + 1] = x[e] end end
    return folio.sum(terms)
  end
  -- the limits on the held set, on indicators x (z itself, or u = kappa z
  -- under the ratio transform, with one = kappa)
  local function limits(tag, x, one, counts_only)
    if not counts_only and #free > 0 then
      m:st(ctx:name(tag .. "link"), free, function(e) return w[e], "<=", ctx.link_hi[ctx.pos[e]] * x[e] end)
      if h.minpos > 0 then m:st(ctx:name(tag .. "min"), free, function(e) return w[e], ">=", h.minpos * x[e] end) end
    end
    if h.max then m:st(ctx:name(tag .. "max_count"), sum_over(names, x), "<=", h.max * one) end
    if h.min then m:st(ctx:name(tag .. "min_count"), sum_over(names, x), ">=", h.min * one) end
    -- at most one of each clique of mutually correlated exposures (the
    -- cliques cover every pair, so this implies each pair's limit)
    if #h.cliques > 0 then
      local keys = {}
      for k = 1, #h.cliques do keys[k] = k end
      m:st(ctx:name(tag .. "clique"), keys, function(k)
        local members = {}
        for _, i in ipairs(h.cliques[k]) do members[#members + 1] = names[i] end
        return sum_over(members, x), "<=", one
      end)
    end
  end
  if ctx.kappa then
    -- z itself enters the perspective; u = kappa z carries the linear
    -- limits of the held set, homogeneous like every scaled row. Both are
    -- relaxations of the same held set, so together they are one.
    local uv = #free > 0 and m:var(ctx:name("held_scaled"), free, { lb = 0 }) or {}
    if #free > 0 then m:st(ctx:name("held_scaled_max"), free, function(e) return uv[e], "<=", ctx.kappa end) end
    -- the rows u <= kappa by exposure: a search that fixes by bounds makes
    -- the row of an exposure fixed in an equality (u = kappa)
    ctx.u, ctx.u_row = uv, {}
    for _, e in ipairs(free) do ctx.u_row[e] = ctx:name("held_scaled_max") .. "[" .. e .. "]" end
    local u = {}
    for _, e in ipairs(names) do u[e] = fix[e] == "in" and ctx.kappa or fix[e] == "out" and 0 or uv[e] end
    limits("hold_", u, ctx.kappa)
    limits("held_", z, 1, true)
    -- the rows on u over several exposures, by name: with u = kappa for
    -- an exposure fixed in, such a row can hold with equality at every
    -- portfolio of a node (a clique with a member in, a count with none
    -- free), which leaves the interior-point method no interior; a search
    -- that fixes by bounds lifts them there, where the fixings imply them
    ctx.u_rows = { max = h.max and ctx:name("hold_max_count"), min = h.min and ctx:name("hold_min_count"),
                   clique = {} }
    for k = 1, #h.cliques do ctx.u_rows.clique[k] = ctx:name("hold_clique") .. "[" .. k .. "]" end
  else
    limits("hold_", z, 1)
  end
  ctx.z = z
end

-- Cliques of the pair graph (exposures correlated above the limit) that
-- cover every pair: each pair grows greedily into a maximal clique.
function M.cliques(pairs_, partners, n)
  local adj = {}
  for i = 1, n do adj[i] = {} end
  for _, pr in ipairs(pairs_) do adj[pr[1]][pr[2]], adj[pr[2]][pr[1]] = true, true end
  local covered, out, seen = {}, {}, {}
  for _, pr in ipairs(pairs_) do
    local key = pr[1] .. "-" .. pr[2]
    if not covered[key] then
      local clique = { pr[1], pr[2] }
      for j = 1, n do
        if j ~= pr[1] and j ~= pr[2] then
          local all = true
          for _, i in ipairs(clique) do if not adj[i][j] then all = false break end end
          if all then clique[#clique + 1] = j end
        end
      end
      table.sort(clique)
      for a = 1, #clique do
        for b = a + 1, #clique do covered[clique[a] .. "-" .. clique[b]] = true end
      end
      local ck = table.concat(clique, ",")
      if not seen[ck] then seen[ck] = true; out[#out + 1] = clique end
    end
  end
  return out
end

-- The perspective of the risk: with D diagonal and S - D PSD,
-- w'Sw = w'(S - D)w + sum D_j w_j^2, and an exposure held or not (z_j in
-- {0, 1}, w_j = 0 when z_j = 0) has w_j^2 = w_j^2 / z_j. The relaxation
-- bounds w_j^2 <= t_j z_j, a rotated cone ||(2 w_j, t_j - z_j)|| <=
-- t_j + z_j, so with z_j in [0, 1] it charges sum D_j w_j^2 / z_j: the
-- perspective relaxation (Frangioni and Gentile 2006; Gunluk and
-- Linderoth 2010), much tighter than w <= max z alone.
local function perspective_risk(ctx)
  local m, w, names, cov, d = ctx.m, ctx.w, ctx.names, ctx.persp_M, ctx.persp
  local S = {}
  for i = 1, ctx.n do
    S[i] = {}
    for j = 1, ctx.n do S[i][j] = cov[i][j] - (i == j and d[i] or 0) end
  end
  local t = m:var(ctx:name("persp"), names, { lb = 0 })
  for i, e in ipairs(names) do
    if ctx.fix == nil or ctx.fix[e] ~= "out" then
      m:soc(ctx:name("persp_" .. i), { 2 * w[e], t[e] - ctx.z[e] }, "<=", t[e] + ctx.z[e])
    end
  end
  ctx.t = t
  return folio.quad(w, S) + folio.sum(names, function(e) return d[ctx.pos[e]] * t[e] end)
end

-- trading against current weights: turnover and proportional costs. In
-- the multi-period model (ctx.rebalance = {prev =, w0 =, tc =}) every
-- date trades from the previous date's weights (the first from w0).
function B.trading(ctx)
  local c, m, w, I = ctx.c, ctx.m, ctx.w, ctx.names
  local rb = ctx.rebalance
  local tc = c.transaction_costs
  local prev, from
  if rb then
    tc = rb.tc
    prev = function(e) if rb.prev then return rb.prev[e] end return rb.w0[e] or 0 end
    from = rb.prev and " from the previous date" or " from the current weights"
  else
    if not (c.max_turnover or tc) then return end
    if not c.current_weights then fail("optimize: max_turnover and transaction_costs need current_weights") end
    prev = function(e) return ctx:scaled(c.current_weights[e] or 0) end
    from = " from the current weights"
  end
  local buy = m:var(ctx:name("buy"), I, { lb = 0 })
  local sell = m:var(ctx:name("sell"), I, { lb = 0 })
  m:st(ctx:name("trade"), I, function(e) return w[e] - prev(e), "==", buy[e] - sell[e] end)
  local turnover = folio.sum(buy) + folio.sum(sell)
  ctx.turnover = turnover
  if c.max_turnover and ctx:group("max_turnover " .. num(c.max_turnover),
       { measure = function() return turnover end, what = "turnover", from = from, rank = 1 }) then
    m:st(ctx:name("max_turnover"), turnover, "<=", ctx:scaled(c.max_turnover))
  end
  if tc then
    ctx.cost = folio.sum(I, function(e)
      local k = M.cost_rate(tc, e)
      if k ~= 0 then return k * (buy[e] + sell[e]) end
    end)
  end
end

function B.risk_limits(ctx)
  local c, m, w, names, n, cov = ctx.c, ctx.m, ctx.w, ctx.names, ctx.n, ctx.cov
  -- the perspective only where the risk counts: in the objective or a limit
  local counts = not (ctx.obj.kind == "MinCVaR" or ctx.obj.kind == "MaxReturn") or c.max_volatility
  ctx.risk = (ctx.mode == "relax" and ctx.persp and ctx.z and counts) and perspective_risk(ctx) or folio.quad(w, cov)
  -- under the ratio transform sqrt(y'Sy) <= s kappa is a cone, not a quadratic row
  local L = ctx.kappa and (c.max_volatility or c.max_tracking_error) and M.cholesky_lower(cov, n, "optimize: cov")
  if c.max_volatility and ctx:group("max_volatility " .. num(c.max_volatility),
       { measure = function() return ctx.risk end, what = "volatility", sqrt = true, rank = 1, nonlinear = true }) then
    if ctx.kappa then
      M.risk_cone(m, ctx:name("max_volatility"), L, n, function(i) return w[names[i]] end, c.max_volatility * ctx.kappa)
    else
      m:st(ctx:name("max_volatility"), ctx.risk, "<=", c.max_volatility ^ 2)
    end
  end
  if c.max_tracking_error then
    if not c.benchmark then fail("optimize: max_tracking_error needs a benchmark") end
    local b = ctx.benchmark
    local active = {}
    for i, e in ipairs(names) do active[i] = w[e] - b[i] end
    local te = folio.quad(active, cov)
    if ctx:group("max_tracking_error " .. num(c.max_tracking_error),
         { measure = function() return te end, what = "tracking error", sqrt = true, rank = 1, nonlinear = true }) then
      if ctx.kappa then
        M.risk_cone(m, ctx:name("max_tracking_error"), L, n, function(i) return w[names[i]] - b[i] * ctx.kappa end,
                    c.max_tracking_error * ctx.kappa)
      else
        m:st(ctx:name("max_tracking_error"), te, "<=", c.max_tracking_error ^ 2)
      end
    end
  end
end

function B.cvar(ctx)
  local c = ctx.c
  if not ctx.cvar then return end
  local cv = ctx.cvar
  local expr = M.add_cvar(ctx.m, ctx.w, ctx.names, cv.S, cv.prob, cv.alpha, ctx:name("cvar_"))
  ctx.cvar_expr = expr
  if ctx.obj.kind == "MinCVaR" or not c.max_cvar then return end
  -- an equality with a slack keeps the dense row out of G, so the QP
  -- engine can eliminate the per-scenario variables (its arrow path)
  if ctx:group("max_cvar " .. num(c.max_cvar), { measure = function() return expr end, what = "CVaR", rank = 1 }) then
    ctx.m:st(ctx:name("max_cvar"), expr + ctx.m:var(ctx:name("cvar_slack"), { lb = 0 }), "==", ctx:scaled(c.max_cvar))
  end
end

-- the objective's own limits, which a conflict can involve too
function B.objective_limits(ctx)
  local obj, m = ctx.obj, ctx.m
  local muk = {}
  for i, e in ipairs(ctx.names) do muk[e] = ctx.mu[i] end
  ctx.ret = folio.dot(muk, ctx.w)
  if ctx.cost then ctx.ret = ctx.ret - ctx.cost end   -- returns net of trading costs
  if obj.kind == "TargetReturn" and ctx:group("target_return " .. num(obj.target_return)) then
    m:st(ctx:name("target_return"), ctx.ret, ">=", obj.target_return)
  elseif obj.kind == "TargetVolatility" and ctx:group("target_vol " .. num(obj.target_vol),
           { measure = function() return ctx.risk end, what = "volatility", sqrt = true, rank = 1, nonlinear = true }) then
    m:st(ctx:name("target_volatility"), ctx.risk, "<=", obj.target_vol ^ 2)
  end
end

local ORDER = { B.weights, B.budget, B.category_limits, B.max_total_notional, B.max_concentration,
                B.max_leverage_exposures, B.holdings, B.trading, B.risk_limits, B.cvar, B.objective_limits }

-- the objective of a plain solve
local function set_objective(ctx)
  local obj, m, w = ctx.obj, ctx.m, ctx.w
  local l2 = obj.l2_reg
  local reg = (l2 and l2 > 0) and l2 * folio.sum(ctx.names, function(e) return w[e] * w[e] end) or 0
  local kind = obj.kind
  if kind == "MinCVaR" then
    m:minimize(ctx.cvar_expr)   -- the scenario mode; the smallest CVaR the other limits allow
  elseif kind == "MaxReturn" then
    m:maximize(ctx.ret)         -- the scenario mode under its CVaR limit
  elseif kind == "MinVolatility" or kind == "TargetReturn" then
    m:minimize(ctx.risk + reg)
  elseif ctx.kappa then
    local a = {}
    for i, e in ipairs(ctx.names) do
      a[e] = kind == "MaxSharpeRatio" and ctx.mu[i] - (obj.risk_free_rate or 0) or math.sqrt(ctx.cov[i][i])
    end
    -- costs come off the excess return: (mu - rf)'y - c(buy + sell) = 1
    m:st("excess_return", ctx.cost and folio.dot(a, w) - ctx.cost or folio.dot(a, w), "==", 1)
    m:minimize(ctx.risk + reg)
  elseif kind == "MeanVariance" then
    -- utility, maximised: shadow prices are gains per unit of a limit
    m:maximize(ctx.ret - ((obj.risk_aversion or 1) / 2) * ctx.risk - reg)
  elseif kind == "TargetVolatility" then
    m:maximize(ctx.ret - reg)
  end
end

-- M.build(p, mode, off, fix) -> ctx with ctx.m built. p: names, pos, mu,
-- cov, c, obj, lo, hi, lo_by, hi_by, hold, benchmark, cvar, and optionally
-- objective(ctx) (a mode's own objective). mode "solve" builds the
-- objective (with the ratio transform for MaxSharpe/MaxDiversification)
-- on a node of the held-set search (fix, no binaries); "mip" the same
-- with the holdings as binaries; "feasibility" only the limits, on plain
-- weights and with binaries, skipping groups in off.
function M.build(p, mode, off, fix, relaxed)
  if p.periods then return M.build_periods(p, mode, off, fix, relaxed) end
  local ctx = setmetatable({ mode = mode, off = off or {}, groups = {}, seen = {}, fix = fix, relaxed = relaxed }, Ctx)
  for k, v in pairs(p) do ctx[k] = v end
  ctx.n = #ctx.names
  -- the largest weight of each exposure, for the link w <= max z of a
  -- node's relaxation: max_concentration makes it min(max, cap), tighter
  -- than w <= max z. (Taking the cap into the column bounds instead of its
  -- rows left the interior-point method at its iteration limit on a
  -- singular covariance.)
  local cap = ctx.c.max_concentration
  ctx.link_hi = {}
  for i = 1, ctx.n do ctx.link_hi[i] = cap and math.min(ctx.hi[i], cap) or ctx.hi[i] end
  ctx.m = folio.model("exposures")
  if (mode == "solve" or mode == "relax") and M.is_ratio(ctx.obj) then
    -- the homogenising transform y = kappa w, a'y = 1, min y'Sigma y: one
    -- convex QP; every linear limit scales with kappa
    local budget = ctx.c.budget
    if budget == nil then budget = 1 end
    if budget == false or budget == 0 then fail("optimize: %s needs a positive budget", ctx.obj.kind) end
    ctx.kappa = ctx.m:var("kappa", { lb = 0 })
  end
  for _, b in ipairs(ORDER) do b(ctx) end
  if mode ~= "feasibility" then
    if ctx.cost and (ctx.obj.kind == "MinVolatility" or ctx.obj.kind == "MaxDiversification") then
      fail("optimize: transaction_costs need an objective with returns (costs are subtracted from them)")
    end
    if p.objective then p.objective(ctx) else set_objective(ctx) end
  end
  return ctx
end

-- The multi-period model: p.periods = {{mu =, cov =, hold =, prefix =,
-- label =}, ...} (one context per rebalance date, in one model, with
-- prefixed names and labels), p.w0 (current weights by name), p.tc (cost
-- rate or rates by name), p.lambda. The objective is the sum over the
-- dates of mu_t'w_t - (lambda/2) w_t'S_t w_t - costs_t. Returns the first
-- date's context, with ctx.periods (every date's) and the shared groups.
local PERIOD_ORDER = { B.weights, B.budget, B.category_limits, B.max_total_notional, B.max_concentration,
                       B.max_leverage_exposures, B.holdings, B.trading, B.risk_limits, B.objective_limits }

function M.build_periods(p, mode, off, fix, relaxed)
  local m = folio.model("multiperiod")
  local groups, seen, ctxs = {}, {}, {}
  off = off or {}
  local total = 0
  for t, per in ipairs(p.periods) do
    local ctx = setmetatable({ mode = mode, off = off, groups = groups, seen = seen, fix = fix and fix[t],
                               relaxed = relaxed }, Ctx)
    for k, v in pairs(p) do ctx[k] = v end
    ctx.mu, ctx.cov, ctx.hold, ctx.prefix, ctx.label_prefix = per.mu, per.cov, per.hold, per.prefix, per.label
    ctx.n, ctx.m = #ctx.names, m
    ctx.rebalance = { prev = t > 1 and ctxs[t - 1].w or nil, w0 = p.w0, tc = p.tc }
    for _, b in ipairs(PERIOD_ORDER) do b(ctx) end
    ctx.utility = ctx.ret - (p.lambda / 2) * ctx.risk
    total = total + ctx.utility
    ctxs[t] = ctx
  end
  if mode ~= "feasibility" then m:maximize(total) end
  local first = ctxs[1]
  first.periods = ctxs
  return first
end

function M.is_ratio(obj) return obj.kind == "MaxSharpeRatio" or obj.kind == "MaxDiversification" end

---------------------------------------------------------------------------
-- feasibility and conflicts
---------------------------------------------------------------------------
local FEAS_OPTS = { feastol = 1e-9 }

-- the holdings limits whose groups are on in off
local function holdings_on(p, off, ctx)
  local h, c = ctx.hold, p.c
  if not h then return nil end
  local function on(k, v) return v and not off[(ctx.label_prefix or "") .. k .. " " .. num(v)] end
  return { min = on("min_exposures", c.min_exposures) and h.min or nil,
           max = on("max_exposures", c.max_exposures) and h.max or nil,
           minpos = on("min_position", h.minpos) and h.minpos or 0,
           pairs = on("max_correlation_pairs", c.max_correlation_pairs) and h.pairs or {}, partners = h.partners }
end

-- "infeasible", "feasible" or the status that left it open. The limits
-- without the holdings binaries first: infeasible there is infeasible,
-- and weights that keep the holdings limits anyway are a witness;
-- otherwise the problem with binaries decides.
local function feasibility(p, off)
  local ctx = M.build(p, "feasibility", off, nil, true)
  local r = ctx.m:solve(FEAS_OPTS)
  if r.status == "infeasible" then return "infeasible", ctx end
  if not r.has_solution then return r.status, ctx end
  local broken = false
  for _, pc in ipairs(ctx.periods or { ctx }) do
    local h = holdings_on(p, off or {}, pc)
    if h then
      local wv = {}
      for i, e in ipairs(p.names) do wv[i] = r:value(pc.w[e]) end
      if require("folio.exposure_holdings").broken(h, wv, {}, #p.names) then broken = true end
    end
  end
  if broken then
    local mctx = M.build(p, "feasibility", off)
    local mr = mctx.m:solve(FEAS_OPTS)
    -- the holdings groups exist in the model with binaries only
    for _, g in ipairs(mctx.groups) do
      if not ctx.seen[g.label] then
        ctx.seen[g.label] = true
        local ng = {}
        for k, v in pairs(g) do ng[k] = v end
        ng.index = #ctx.groups + 1
        ctx.groups[ng.index] = ng
      end
    end
    if mr.status == "infeasible" then return "infeasible", ctx end
    if not mr.has_solution then return mr.status, ctx end
  end
  return "feasible", ctx
end
M.feasibility = feasibility

-- the smallest value of a group's measure under the other limits (nil when unknown)
local function least(p, off, group)
  local ctx = M.build(p, "feasibility", off)
  local g
  for _, x in ipairs(ctx.groups) do if x.label == group.label then g = x end end
  if not g or not g.measure then return nil end
  local expr = g.measure()
  ctx.m:minimize(expr)
  local r = ctx.m:solve { feastol = 1e-9, reltol = 1e-9 }
  if not r.has_solution then return nil end
  local v = r.objective
  if g.sqrt then v = math.sqrt(math.max(v, 0)) end
  return v
end

local function phrase(list)
  if #list == 1 then return list[1] end
  return table.concat(list, ", ", 1, #list - 1) .. " and " .. list[#list]
end

-- M.explain(p) -> nil when the limits are feasible (or undecided), else
-- {groups = {labels}, message = "infeasible: A conflicts with B (needs ...)"}
-- A deletion filter: each group in turn is turned off for good when the
-- rest stays infeasible without it; what is left is an irreducible set.
function M.explain(p)
  if p.contradiction then return p.contradiction, "infeasible" end
  local status, ctx = feasibility(p, {})
  local off, keep = {}, {}
  if status ~= "infeasible" and status ~= "feasible" then
    -- undecided with risk limits: the linear limits alone (an LP or MIP,
    -- decided exactly) may already be infeasible
    for _, g in ipairs(ctx.groups) do if g.nonlinear then off[g.label] = true end end
    if next(off) then status = feasibility(p, off) end
  end
  if status ~= "infeasible" then return nil, status end
  for _, g in ipairs(ctx.groups) do
    if off[g.label] then goto next_group end
    off[g.label] = true
    if feasibility(p, off) ~= "infeasible" then
      off[g.label] = nil
      keep[#keep + 1] = g
    end
    ::next_group::
  end
  -- a single-number limit leads (rank 1): it is the one a user would loosen
  table.sort(keep, function(a, b)
    if a.rank ~= b.rank then return a.rank < b.rank end
    return a.index < b.index
  end)
  local labels = {}
  for i, g in ipairs(keep) do labels[i] = g.label end
  local msg
  if #keep == 0 then
    msg = "infeasible: the limits conflict"
  elseif #keep == 1 then
    msg = "infeasible: " .. labels[1] .. " cannot hold on its own"
  else
    msg = ("infeasible: %s conflicts with %s"):format(labels[1], phrase({ table.unpack(labels, 2) }))
  end
  local lead = keep[1]
  if lead and lead.measure and #keep > 1 then
    -- with the lead off and every other limit on, the least it must allow
    local off_lead = { [lead.label] = true }
    for _, g in ipairs(ctx.groups) do if g.nonlinear and off[g.label] then off_lead[g.label] = true end end
    local v = least(p, off_lead, lead)
    if v then msg = msg .. (" (needs %s >= %s%s)"):format(lead.what, num(tonumber(("%.6g"):format(v))), lead.from or "") end
  end
  return { groups = labels, message = msg }
end

return M
