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
  if not self.seen[label] then
    self.seen[label] = true
    local g = { label = label, index = #self.groups + 1, rank = 3 }
    for k, v in pairs(o or {}) do g[k] = v end
    self.groups[g.index] = g
  end
  return not self.off[label]
end

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
  local pos = ctx.pos
  -- bounds are column bounds in a plain solve (no rows to report), rows
  -- when scaled by kappa or when the conflict search may turn them off
  local rows = ctx.kappa or ctx.mode == "feasibility"
  ctx.w = m:var("w", names, {
    lb = function(e) local i = pos[e]; return rows and -math.huge or lo[i] end,
    ub = function(e) local i = pos[e]; return rows and math.huge or hi[i] end,
  })
  local w = ctx.w
  if rows then
    m:st("min_weight", names, function(e)
      local i = pos[e]
      if lo[i] ~= -math.huge and ctx:group(ctx.lo_by[i]) then return w[e], ">=", ctx:scaled(lo[i]) end
    end)
    m:st("max_weight", names, function(e)
      local i = pos[e]
      if hi[i] ~= math.huge and ctx:group(ctx.hi_by[i]) then return w[e], "<=", ctx:scaled(hi[i]) end
    end)
  end
end

function B.budget(ctx)
  local budget = ctx.c.budget
  if budget == nil then budget = 1 end
  if budget ~= false and ctx:group("budget = " .. num(budget)) then
    ctx.m:st("budget", folio.sum(ctx.w), "==", ctx:scaled(budget))
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
      ctx.m:st("category_min_" .. cat, s, ">=", ctx:scaled(lim[1]))
    end
    if lim[2] and lim[2] ~= false
       and ctx:group(("category_limits %s <= %s"):format(cat, num(lim[2])),
                     { measure = function() return s end, what = cat .. " weight", rank = 2 }) then
      ctx.m:st("category_max_" .. cat, s, "<=", ctx:scaled(lim[2]))
    end
  end
end

function B.max_total_notional(ctx)
  local c, m, w, I = ctx.c, ctx.m, ctx.w, ctx.names
  if not c.max_total_notional then return end
  -- gross exposure sum |w| through a split w = p - q
  local p = m:var("long", I, { lb = 0 })
  local q = m:var("short", I, { lb = 0 })
  m:st("split", I, function(e) return w[e], "==", p[e] - q[e] end)
  local gross = folio.sum(p) + folio.sum(q)
  if ctx:group("max_total_notional " .. num(c.max_total_notional),
               { measure = function() return gross end, what = "total notional", rank = 1 }) then
    m:st("max_total_notional", gross, "<=", ctx:scaled(c.max_total_notional))
  end
end

function B.max_concentration(ctx)
  local c, w = ctx.c, ctx.w
  if not c.max_concentration or not ctx:group("max_concentration " .. num(c.max_concentration)) then return end
  -- no single exposure above the cap, on either side
  ctx.m:st("max_concentration", ctx.names, function(e) return w[e], "<=", ctx:scaled(c.max_concentration) end)
  ctx.m:st("min_concentration", ctx.names, function(e)
    if ctx.lo[ctx.pos[e]] < 0 then return w[e], ">=", ctx:scaled(-c.max_concentration) end
  end)
end

function B.max_leverage_exposures(ctx)
  local c, w = ctx.c, ctx.w
  if not c.max_leverage_exposures then return end
  local lev = c.leveraged or {}
  local members = {}
  for _, e in ipairs(ctx.names) do if lev[e] then members[#members + 1] = w[e] end end
  if #members == 0 then fail("optimize: max_leverage_exposures needs leveraged = {exposure = true, ...}") end
  local s = folio.sum(members)
  if ctx:group("max_leverage_exposures " .. num(c.max_leverage_exposures),
               { measure = function() return s end, what = "leveraged exposure", rank = 1 }) then
    ctx.m:st("max_leverage_exposures", s, "<=", ctx:scaled(c.max_leverage_exposures))
  end
end

-- holdings: binaries z for cardinality and correlation-pair exclusion
function B.holdings(ctx)
  local c, m, w, names, cov = ctx.c, ctx.m, ctx.w, ctx.names, ctx.cov
  local pairs_t = c.max_correlation_pairs
  if not (c.min_exposures or c.max_exposures or pairs_t) then return end
  -- y = kappa w with z binary would need y <= M z with kappa unbounded
  if ctx.kappa then
    fail("optimize: holding limits with %s are not convex after its homogenising transform; "
         .. "use TargetReturn over a range of returns (efficient_frontier)", ctx.obj.kind)
  end
  for i, e in ipairs(names) do
    if ctx.lo[i] < 0 then fail("optimize: holding limits need long-only weights ('%s' may go short)", e) end
    if ctx.hi[i] == math.huge then fail("optimize: holding limits need a finite maximum weight for '%s'", e) end
  end
  local z = m:var("held", names, { kind = "binary" })
  m:st("hold", names, function(e) return w[e], "<=", ctx.hi[ctx.pos[e]] * z[e] end)
  local minpos = c.min_position or (c.min_exposures and 0.01) or 0
  if minpos > 0 and ctx:group("min_position " .. num(minpos)) then
    m:st("min_position", names, function(e) return w[e], ">=", minpos * z[e] end)
  end
  if c.max_exposures and ctx:group("max_exposures " .. num(c.max_exposures)) then
    m:st("max_exposures", folio.sum(z), "<=", c.max_exposures)
  end
  if c.min_exposures and ctx:group("min_exposures " .. num(c.min_exposures)) then
    m:st("min_exposures", folio.sum(z), ">=", c.min_exposures)
  end
  if pairs_t and ctx:group("max_correlation_pairs " .. num(pairs_t)) then
    -- no two held exposures correlated above the threshold
    local keys, by = {}, {}
    for i = 1, ctx.n do
      for j = i + 1, ctx.n do
        if cov[i][j] / math.sqrt(cov[i][i] * cov[j][j]) > pairs_t then
          local key = names[i] .. "~" .. names[j]
          keys[#keys + 1], by[key] = key, { names[i], names[j] }
        end
      end
    end
    if #keys > 0 then m:st("correlated", keys, function(key) return z[by[key][1]] + z[by[key][2]], "<=", 1 end) end
  end
end

-- trading against current weights: turnover and proportional costs
function B.trading(ctx)
  local c, m, w, I = ctx.c, ctx.m, ctx.w, ctx.names
  if not (c.max_turnover or c.transaction_costs) then return end
  if not c.current_weights then fail("optimize: max_turnover and transaction_costs need current_weights") end
  local w0 = {}
  for _, e in ipairs(I) do w0[e] = c.current_weights[e] or 0 end
  local buy = m:var("buy", I, { lb = 0 })
  local sell = m:var("sell", I, { lb = 0 })
  m:st("trade", I, function(e) return w[e] - ctx:scaled(w0[e]), "==", buy[e] - sell[e] end)
  local turnover = folio.sum(buy) + folio.sum(sell)
  if c.max_turnover and ctx:group("max_turnover " .. num(c.max_turnover),
       { measure = function() return turnover end, what = "turnover", from = " from the current weights", rank = 1 }) then
    m:st("max_turnover", turnover, "<=", ctx:scaled(c.max_turnover))
  end
  if c.transaction_costs then
    local tc = c.transaction_costs
    ctx.cost = folio.sum(I, function(e)
      local k = type(tc) == "number" and tc or tc[e] or 0
      return k * (buy[e] + sell[e])
    end)
  end
end

function B.risk_limits(ctx)
  local c, m, w, names, n, cov = ctx.c, ctx.m, ctx.w, ctx.names, ctx.n, ctx.cov
  ctx.risk = folio.quad(w, cov)
  -- under the ratio transform sqrt(y'Sy) <= s kappa is a cone, not a quadratic row
  local L = ctx.kappa and (c.max_volatility or c.max_tracking_error) and M.cholesky_lower(cov, n, "optimize: cov")
  if c.max_volatility and ctx:group("max_volatility " .. num(c.max_volatility),
       { measure = function() return ctx.risk end, what = "volatility", sqrt = true, rank = 1, nonlinear = true }) then
    if ctx.kappa then
      M.risk_cone(m, "max_volatility", L, n, function(i) return w[names[i]] end, c.max_volatility * ctx.kappa)
    else
      m:st("max_volatility", ctx.risk, "<=", c.max_volatility ^ 2)
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
        M.risk_cone(m, "max_tracking_error", L, n, function(i) return w[names[i]] - b[i] * ctx.kappa end,
                    c.max_tracking_error * ctx.kappa)
      else
        m:st("max_tracking_error", te, "<=", c.max_tracking_error ^ 2)
      end
    end
  end
end

function B.cvar(ctx)
  local c = ctx.c
  if not c.max_cvar then return end
  local cv = ctx.cvar
  local expr = M.add_cvar(ctx.m, ctx.w, ctx.names, cv.S, cv.prob, cv.alpha, "cvar_")
  ctx.cvar_expr = expr
  if ctx.obj.kind == "MinCVaR" then return end
  -- an equality with a slack keeps the dense row out of G, so the QP
  -- engine can eliminate the per-scenario variables (its arrow path)
  if ctx:group("max_cvar " .. num(c.max_cvar), { measure = function() return expr end, what = "CVaR", rank = 1 }) then
    ctx.m:st("max_cvar", expr + ctx.m:var("cvar_slack", { lb = 0 }), "==", ctx:scaled(c.max_cvar))
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
    m:st("target_return", ctx.ret, ">=", obj.target_return)
  elseif obj.kind == "TargetVolatility" and ctx:group("target_vol " .. num(obj.target_vol),
           { measure = function() return ctx.risk end, what = "volatility", sqrt = true, rank = 1, nonlinear = true }) then
    m:st("target_volatility", ctx.risk, "<=", obj.target_vol ^ 2)
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
    m:minimize(ctx.cvar_expr)   -- the feasibility probe: the smallest CVaR the other limits allow
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

-- M.build(p, mode, off) -> ctx with ctx.m built. p: names, pos, mu, cov,
-- c, obj, lo, hi, lo_by, hi_by, benchmark, cvar. mode "solve" builds the
-- objective (with the ratio transform for MaxSharpe/MaxDiversification);
-- "feasibility" only the limits, on plain weights, skipping groups in off.
function M.build(p, mode, off)
  local ctx = setmetatable({ mode = mode, off = off or {}, groups = {}, seen = {} }, Ctx)
  for k, v in pairs(p) do ctx[k] = v end
  ctx.n = #ctx.names
  ctx.m = folio.model("exposures")
  local ratio = ctx.obj.kind == "MaxSharpeRatio" or ctx.obj.kind == "MaxDiversification"
  if mode == "solve" and ratio then
    -- the homogenising transform y = kappa w, a'y = 1, min y'Sigma y: one
    -- convex QP; every linear limit scales with kappa
    local budget = ctx.c.budget
    if budget == nil then budget = 1 end
    if budget == false or budget == 0 then fail("optimize: %s needs a positive budget", ctx.obj.kind) end
    ctx.kappa = ctx.m:var("kappa", { lb = 0 })
  end
  for _, b in ipairs(ORDER) do b(ctx) end
  if mode == "solve" then
    if ctx.cost and (ctx.obj.kind == "MinVolatility" or ctx.obj.kind == "MaxDiversification") then
      fail("optimize: transaction_costs need an objective with returns (costs are subtracted from them)")
    end
    set_objective(ctx)
  end
  return ctx
end

---------------------------------------------------------------------------
-- feasibility and conflicts
---------------------------------------------------------------------------
local FEAS_OPTS = { feastol = 1e-9 }

-- "infeasible", "feasible" or the status that left it open
local function feasibility(p, off)
  local ctx = M.build(p, "feasibility", off)
  local r = ctx.m:solve(FEAS_OPTS)
  if r.status == "infeasible" then return "infeasible", ctx end
  if r.has_solution then return "feasible", ctx end
  return r.status, ctx
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
