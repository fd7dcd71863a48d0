-- The exposure-level optimizer (issue 4, first part): objectives, the
-- linear constraint set, volatility and tracking-error limits, and the
-- result with risk decomposition. Models are built with the core DSL and
-- solved by the QP/SOCP engine.
local folio = require "folio"

local X = {}

---------------------------------------------------------------------------
-- objectives and constraints are plain tagged tables
---------------------------------------------------------------------------
local function objective(kind, fields)
  return function(o)
    o = o or {}
    require("folio.core").check_options(o, kind, fields, 2)
    local t = { kind = kind }
    for k, v in pairs(o) do t[k] = v end
    return t
  end
end

-- l2_reg = gamma adds gamma * ||w||^2 to every QP objective (subtracted
-- when maximising); for the ratio objectives it acts on the scaled
-- weights, i.e. the ratio is taken with Sigma + gamma I as the risk
X.MinVolatility = objective("MinVolatility", { l2_reg = true })
X.MaxSharpeRatio = objective("MaxSharpeRatio", { risk_free_rate = true, l2_reg = true })
X.MeanVariance = objective("MeanVariance", { risk_aversion = true, l2_reg = true })
X.TargetReturn = objective("TargetReturn", { target_return = true, l2_reg = true })
X.TargetVolatility = objective("TargetVolatility", { target_vol = true, l2_reg = true })
X.RiskParity = objective("RiskParity", { budgets = true })
X.MaxDiversification = objective("MaxDiversification", { l2_reg = true })
-- (ExposureUniverse is defined below)

local CONSTRAINT_FIELDS = {
  bounds = true, min_weights = true, max_weights = true, budget = true, categories = true,
  category_limits = true, max_total_notional = true, max_volatility = true, benchmark = true,
  max_tracking_error = true, min_exposures = true, max_exposures = true, min_position = true,
  max_concentration = true, leveraged = true, max_leverage_exposures = true, max_correlation_pairs = true,
  current_weights = true, transaction_costs = true, max_turnover = true,
  max_cvar = true, scenarios = true, scenario_probabilities = true, cvar_alpha = true,
}

function X.ExposureConstraints(o)
  o = o or {}
  for k in pairs(o) do
    if not CONSTRAINT_FIELDS[k] then
      error(("ExposureConstraints: unknown field '%s'"):format(tostring(k)), 2)
    end
  end
  local c = { kind = "ExposureConstraints" }
  for k, v in pairs(o) do c[k] = v end
  return c
end

---------------------------------------------------------------------------
-- inputs
---------------------------------------------------------------------------
local function keyed(v, names, what)
  -- a table keyed by exposure name, or an array aligned with names
  local out = {}
  for i, e in ipairs(names) do
    local x = v[e]
    if x == nil then x = v[i] end
    if type(x) ~= "number" then error(("optimize: %s has no number for '%s'"):format(what, e), 3) end
    out[i] = x
  end
  return out
end

local function check_cov(cov, n)
  if type(cov) ~= "table" or #cov ~= n then error(("optimize: cov must have %d rows (one per exposure)"):format(n), 3) end
  for i = 1, n do
    if type(cov[i]) ~= "table" or #cov[i] ~= n then
      error(("optimize: cov row %d must have %d entries"):format(i, n), 3)
    end
  end
end

-- Scenario returns as rows aligned with names: a list of rows, or a
-- returns table (folio.returns / read_csv) whose columns are the
-- exposures. Checks probabilities; returns rows and probabilities.
-- Errors are raised at `level` (the user's call).
local function scenario_rows(S, p, names, what, level)
  local n = #names
  if type(S) ~= "table" then error(what .. ": scenarios required", level) end
  if type(S.columns) == "table" then
    local rows = {}
    for t = 1, S.n or 0 do
      local row = {}
      for i, e in ipairs(names) do
        local col = S[e]
        if not col then error(("%s: scenarios have no column '%s'"):format(what, e), level) end
        local v = col[t]
        if type(v) ~= "number" then error(("%s: scenario %d has no return for '%s'"):format(what, t, e), level) end
        row[i] = v
      end
      rows[t] = row
    end
    S = rows
  end
  local ns = #S
  if ns == 0 then error(what .. ": scenarios required", level) end
  if p ~= nil and (type(p) ~= "table" or #p ~= ns) then
    error(("%s: probabilities must have %d entries, one per scenario"):format(what, ns), level)
  end
  local prob, psum = {}, 0
  for s = 1, ns do
    if type(S[s]) ~= "table" or #S[s] ~= n then
      error(("%s: scenario %d must have %d returns"):format(what, s, n), level)
    end
    for i = 1, n do
      if type(S[s][i]) ~= "number" or S[s][i] ~= S[s][i] then
        error(("%s: scenario %d, return %d is not a number"):format(what, s, i), level)
      end
    end
    local ps = p and p[s] or 1 / ns
    if type(ps) ~= "number" or ps < 0 then error(("%s: probability %d is invalid"):format(what, s), level) end
    prob[s], psum = ps, psum + ps
  end
  if math.abs(psum - 1) > 1e-9 then error(("%s: probabilities sum to %.12g, not 1"):format(what, psum), level) end
  return S, prob
end

-- Rockafellar-Uryasev: CVaR_alpha(w) = min_z z + 1/(1-alpha) sum_s p_s u_s,
-- u_s >= -r_s'w - z, u_s >= 0. Adds z, u and the rows; returns the CVaR
-- expression and z. Linear and positively homogeneous in (w, z, u).
local function add_cvar(m, w, names, S, prob, alpha, prefix)
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

-- The CVaR and VaR of weights wv, exactly: f(z) = z + 1/(1-alpha) *
-- sum_s p_s max(0, l_s - z) is convex and piecewise linear with its
-- minimum at a loss, so evaluate it at every loss (sorted, prefix sums).
-- The LP's own z + sum u is only an upper bound when the limit is slack.
local function cvar_of(S, prob, wv, alpha)
  local loss = {}
  for s = 1, #S do
    local l = 0
    for i = 1, #wv do l = l - S[s][i] * wv[i] end
    loss[s] = { l, prob[s] }
  end
  table.sort(loss, function(x, y) return x[1] > y[1] end)
  local best, var, P, L = math.huge, nil, 0, 0
  for k = 1, #loss do
    local z = loss[k][1]
    local f = z + (L - z * P) / (1 - alpha)
    if f < best then best, var = f, z end
    P, L = P + loss[k][2], L + loss[k][2] * z
  end
  return best, var
end

-- Checks combinations that cannot be feasible, before any solve.
local function validate(names, lo, hi, c)
  local budget = c.budget
  if budget == nil then budget = 1 end
  if budget ~= false then
    local smin, smax = 0, 0
    for i = 1, #names do smin = smin + lo[i]; smax = smax + hi[i] end
    if smin > budget + 1e-12 then
      error(("optimize: infeasible constraints: the minimum weights sum to %.6g, above the budget %.6g")
        :format(smin, budget), 3)
    end
    if smax < budget - 1e-12 then
      error(("optimize: infeasible constraints: the maximum weights sum to %.6g, below the budget %.6g")
        :format(smax, budget), 3)
    end
  end
  if c.max_exposures then
    local forced = 0
    for i = 1, #names do if lo[i] > 0 then forced = forced + 1 end end
    if forced > c.max_exposures then
      error(("optimize: infeasible constraints: %d exposures have a positive minimum weight but max_exposures is %d")
        :format(forced, c.max_exposures), 3)
    end
  end
  if c.min_exposures and c.max_exposures and c.min_exposures > c.max_exposures then
    error(("optimize: infeasible constraints: min_exposures %d is above max_exposures %d")
      :format(c.min_exposures, c.max_exposures), 3)
  end
  for i, e in ipairs(names) do
    if lo[i] > hi[i] then
      error(("optimize: infeasible constraints: '%s' has minimum %.6g above maximum %.6g"):format(e, lo[i], hi[i]), 3)
    end
  end
  if c.category_limits then
    local cats = c.categories or {}
    for cat, lim in pairs(c.category_limits) do
      local smin, smax, any = 0, 0, false
      for i, e in ipairs(names) do
        if cats[e] == cat then smin, smax, any = smin + lo[i], smax + hi[i], true end
      end
      if not any then error(("optimize: category '%s' has a limit but no exposure"):format(cat), 3) end
      local clo, chi = lim[1] or -math.huge, lim[2] or math.huge
      if smin > chi + 1e-12 then
        error(("optimize: infeasible constraints: category '%s' has a maximum of %.6g but its minimum weights sum to %.6g")
          :format(cat, chi, smin), 3)
      end
      if smax < clo - 1e-12 then
        error(("optimize: infeasible constraints: category '%s' has a minimum of %.6g but its maximum weights sum to %.6g")
          :format(cat, clo, smax), 3)
      end
    end
  end
end

---------------------------------------------------------------------------
-- the optimizer
---------------------------------------------------------------------------
local Opt = {}
Opt.__index = Opt

function X.ExposureOptimizer(o)
  return setmetatable({ options = o or {} }, Opt)
end

-- Per-exposure bounds from bounds = {lo, hi} (false: open) and min/max_weights.
local function bounds_of(names, c)
  local b = c.bounds or { 0, 1 }
  local dlo = b[1] == false and -math.huge or (b[1] or 0)
  local dhi = b[2] == false and math.huge or (b[2] or 1)
  local lo, hi = {}, {}
  for i, e in ipairs(names) do
    lo[i] = (c.min_weights and c.min_weights[e]) or dlo
    hi[i] = (c.max_weights and c.max_weights[e]) or dhi
  end
  return lo, hi
end

-- Lower Cholesky factor of a covariance (S = L L'); a zero pivot of a
-- semidefinite S gives a zero column, so ||L'x|| = sqrt(x'Sx) still holds.
local function cholesky_lower(S, n, what)
  local L = {}
  for i = 1, n do
    L[i] = {}
    for j = 1, i do
      local v = S[i][j]
      for k = 1, j - 1 do v = v - L[i][k] * L[j][k] end
      if i == j then
        if v < -1e-10 * (1 + math.abs(S[i][i])) then error(what .. " is not positive semidefinite", 3) end
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
local function risk_cone(m, name, L, n, x, t)
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

local function solve_model(self, names, mu, cov, obj, c)
  local n = #names
  local lo, hi = bounds_of(names, c)
  validate(names, lo, hi, c)
  local budget = c.budget
  if budget == nil then budget = 1 end
  local m = folio.model("exposures")
  local pos = {}
  for i, e in ipairs(names) do pos[e] = i end
  local I = names   -- rows and variables are named after the exposures
  -- both are ratios a'w / sqrt(w'Sw) with a = mu - rf or a = the volatilities
  local sharpe = obj.kind == "MaxSharpeRatio" or obj.kind == "MaxDiversification"
  local rf = obj.risk_free_rate or 0
  local kappa
  -- MaxSharpe: the homogenising transform y = kappa w, (mu - rf)'y = 1,
  -- min y'Sigma y: one convex QP; every linear limit scales with kappa
  if sharpe then
    if budget == false or budget == 0 then
      error("optimize: " .. obj.kind .. " needs a positive budget", 3)
    end
    kappa = m:var("kappa", { lb = 0 })
  end
  local w = m:var("w", I, {
    lb = function(e) local i = pos[e]; return (sharpe and lo[i] ~= -math.huge) and -math.huge or lo[i] end,
    ub = function(e) local i = pos[e]; return (sharpe and hi[i] ~= math.huge) and math.huge or hi[i] end,
  })
  local function scaled(v) return sharpe and v * kappa or v end
  if sharpe then
    m:st("min_weight", I, function(e) if lo[pos[e]] ~= -math.huge then return w[e], ">=", scaled(lo[pos[e]]) end end)
    m:st("max_weight", I, function(e) if hi[pos[e]] ~= math.huge then return w[e], "<=", scaled(hi[pos[e]]) end end)
  end
  if budget ~= false then m:st("budget", folio.sum(w), "==", scaled(budget)) end
  if c.category_limits then
    local cats = c.categories or {}
    local names_sorted = {}
    for cat in pairs(c.category_limits) do names_sorted[#names_sorted + 1] = cat end
    table.sort(names_sorted)
    for _, cat in ipairs(names_sorted) do
      local lim = c.category_limits[cat]
      local members = {}
      for _, e in ipairs(names) do if cats[e] == cat then members[#members + 1] = w[e] end end
      local s = folio.sum(members)
      if lim[1] and lim[1] ~= false then m:st("category_min_" .. cat, s, ">=", scaled(lim[1])) end
      if lim[2] and lim[2] ~= false then m:st("category_max_" .. cat, s, "<=", scaled(lim[2])) end
    end
  end
  if c.max_total_notional then
    -- gross exposure sum |w| through a split w = p - q
    local p = m:var("long", I, { lb = 0 })
    local q = m:var("short", I, { lb = 0 })
    m:st("split", I, function(e) return w[e], "==", p[e] - q[e] end)
    m:st("max_total_notional", folio.sum(p) + folio.sum(q), "<=", scaled(c.max_total_notional))
  end
  if c.max_concentration then
    -- no single exposure above the cap, on either side
    m:st("max_concentration", I, function(e) return w[e], "<=", scaled(c.max_concentration) end)
    m:st("min_concentration", I, function(e)
      if lo[pos[e]] < 0 then return w[e], ">=", scaled(-c.max_concentration) end
    end)
  end
  if c.max_leverage_exposures then
    local lev = c.leveraged or {}
    local members = {}
    for _, e in ipairs(names) do if lev[e] then members[#members + 1] = w[e] end end
    if #members == 0 then error("optimize: max_leverage_exposures needs leveraged = {exposure = true, ...}", 3) end
    m:st("max_leverage_exposures", folio.sum(members), "<=", scaled(c.max_leverage_exposures))
  end
  -- holdings: binaries z for cardinality and correlation-pair exclusion
  local pairs_t = c.max_correlation_pairs
  if c.min_exposures or c.max_exposures or pairs_t then
    -- y = kappa w with z binary would need y <= M z with kappa unbounded
    if sharpe then
      error(("optimize: holding limits with %s are not convex after its homogenising transform; "
             .. "use TargetReturn over a range of returns (efficient_frontier)"):format(obj.kind), 3)
    end
    for i, e in ipairs(names) do
      if lo[i] < 0 then error(("optimize: holding limits need long-only weights ('%s' may go short)"):format(e), 3) end
      if hi[i] == math.huge then error(("optimize: holding limits need a finite maximum weight for '%s'"):format(e), 3) end
    end
    local z = m:var("held", I, { kind = "binary" })
    m:st("hold", I, function(e) return w[e], "<=", hi[pos[e]] * z[e] end)
    local minpos = c.min_position or (c.min_exposures and 0.01) or 0
    if minpos > 0 then m:st("min_position", I, function(e) return w[e], ">=", minpos * z[e] end) end
    if c.max_exposures then m:st("max_exposures", folio.sum(z), "<=", c.max_exposures) end
    if c.min_exposures then m:st("min_exposures", folio.sum(z), ">=", c.min_exposures) end
    if pairs_t then
      -- no two held exposures correlated above the threshold
      local P = {}
      for i = 1, n do
        for j = i + 1, n do
          local r = cov[i][j] / math.sqrt(cov[i][i] * cov[j][j])
          if r > pairs_t then P[#P + 1] = { names[i], names[j] } end
        end
      end
      if #P > 0 then
        local keys, by = {}, {}
        for _, pr in ipairs(P) do
          local key = pr[1] .. "~" .. pr[2]
          keys[#keys + 1], by[key] = key, pr
        end
        m:st("correlated", keys, function(key) return z[by[key][1]] + z[by[key][2]], "<=", 1 end)
      end
    end
  end
  -- trading against current weights: turnover and proportional costs
  local cost
  if c.max_turnover or c.transaction_costs then
    if not c.current_weights then error("optimize: max_turnover and transaction_costs need current_weights", 3) end
    local w0 = {}
    for _, e in ipairs(names) do w0[e] = c.current_weights[e] or 0 end
    local buy = m:var("buy", I, { lb = 0 })
    local sell = m:var("sell", I, { lb = 0 })
    m:st("trade", I, function(e) return w[e] - scaled(w0[e]), "==", buy[e] - sell[e] end)
    if c.max_turnover then m:st("max_turnover", folio.sum(buy) + folio.sum(sell), "<=", scaled(c.max_turnover)) end
    if c.transaction_costs then
      local tc = c.transaction_costs
      cost = folio.sum(I, function(e)
        local k = type(tc) == "number" and tc or tc[e] or 0
        return k * (buy[e] + sell[e])
      end)
    end
  end
  local risk = folio.quad(w, cov)
  -- under the ratio transform sqrt(y'Sy) <= s kappa is a cone, not a quadratic row
  local L = sharpe and (c.max_volatility or c.max_tracking_error) and cholesky_lower(cov, n, "optimize: cov")
  if c.max_volatility then
    if sharpe then
      risk_cone(m, "max_volatility", L, n, function(i) return w[names[i]] end, c.max_volatility * kappa)
    else
      m:st("max_volatility", risk, "<=", c.max_volatility ^ 2)
    end
  end
  if c.max_tracking_error then
    if not c.benchmark then error("optimize: max_tracking_error needs a benchmark", 3) end
    local b = keyed(c.benchmark, names, "benchmark")
    if sharpe then
      risk_cone(m, "max_tracking_error", L, n, function(i) return w[names[i]] - b[i] * kappa end,
                c.max_tracking_error * kappa)
    else
      local active = {}
      for i, e in ipairs(names) do active[i] = w[e] - b[i] end
      m:st("max_tracking_error", folio.quad(active, cov), "<=", c.max_tracking_error ^ 2)
    end
  end
  local cvar
  if c.max_cvar then
    local alpha = c.cvar_alpha or 0.95
    if not (type(alpha) == "number" and alpha > 0 and alpha < 1) then error("optimize: cvar_alpha must be in (0, 1)", 3) end
    if type(c.max_cvar) ~= "number" then error("optimize: max_cvar must be a number", 3) end
    local S, prob = scenario_rows(c.scenarios, c.scenario_probabilities, names, "optimize: max_cvar", 4)
    local expr = add_cvar(m, w, names, S, prob, alpha, "cvar_")
    -- an equality with a slack keeps the dense row out of G, so the QP
    -- engine can eliminate the per-scenario variables (its arrow path)
    if obj.kind == "MinCVaR" then
      m:minimize(expr)   -- the feasibility probe: the smallest CVaR the other limits allow
    else
      m:st("max_cvar", expr + m:var("cvar_slack", { lb = 0 }), "==", scaled(c.max_cvar))
    end
    cvar = { S = S, prob = prob, alpha = alpha, limit = c.max_cvar }
  elseif c.scenarios or c.scenario_probabilities or c.cvar_alpha then
    error("optimize: scenarios, scenario_probabilities and cvar_alpha go with max_cvar", 3)
  end
  local muk = {}
  for i, e in ipairs(names) do muk[e] = mu[i] end
  local ret = folio.dot(muk, w)
  if cost then
    if obj.kind == "MinVolatility" or obj.kind == "MaxDiversification" then
      error("optimize: transaction_costs need an objective with returns (costs are subtracted from them)", 3)
    end
    ret = ret - cost     -- returns net of trading costs
  end
  local l2 = obj.l2_reg
  if l2 ~= nil and not (type(l2) == "number" and l2 >= 0 and l2 < math.huge) then
    error("optimize: l2_reg must be a finite number >= 0", 3)
  end
  local reg = (l2 and l2 > 0) and l2 * folio.sum(I, function(e) return w[e] * w[e] end) or 0
  if obj.kind == "MinCVaR" then
    -- objective set with the CVaR rows above
  elseif obj.kind == "MinVolatility" then
    m:minimize(risk + reg)
  elseif sharpe then
    local a = {}
    for i, e in ipairs(names) do
      a[e] = obj.kind == "MaxSharpeRatio" and mu[i] - rf or math.sqrt(cov[i][i])
    end
    -- costs come off the excess return: (mu - rf)'y - c(buy + sell) = 1
    m:st("excess_return", cost and folio.dot(a, w) - cost or folio.dot(a, w), "==", 1)
    m:minimize(risk + reg)
  elseif obj.kind == "MeanVariance" then
    -- utility, maximised: shadow prices are gains per unit of a limit
    local lambda = obj.risk_aversion or 1
    m:maximize(ret - (lambda / 2) * risk - reg)
  elseif obj.kind == "TargetReturn" then
    if type(obj.target_return) ~= "number" then error("optimize: TargetReturn needs target_return", 3) end
    m:st("target_return", ret, ">=", obj.target_return)
    m:minimize(risk + reg)
  elseif obj.kind == "TargetVolatility" then
    if type(obj.target_vol) ~= "number" then error("optimize: TargetVolatility needs target_vol", 3) end
    m:st("target_volatility", risk, "<=", obj.target_vol ^ 2)
    m:maximize(ret - reg)
  else
    error(("optimize: unknown objective %s"):format(tostring(obj.kind)), 3)
  end
  -- the tiny weights of an interior point would read as positions: solve tight
  local r = m:solve(self.options.solve or { feastol = 1e-10, reltol = 1e-10, abstol = 1e-14 })
  if (r.status == "numerical_error" or r.status == "iteration_limit") and not self.options.solve then
    -- a thin feasible set (a CVaR limit near its minimum), or thousands of
    -- scenario rows, can leave the residuals just above 1e-10 for good;
    -- the solver's default tolerances (1e-8) still certify optimality
    r = m:solve()
    return r, m, w, kappa, cvar, true
  end
  return r, m, w, kappa, cvar
end

-- When a solve ends with neither an optimum nor a certificate, an easier
-- problem on the same limits decides feasibility: with a CVaR limit, the
-- LP of the smallest CVaR under the other limits; for a ratio objective
-- (whose scaled problem has no certificate of its own), MinVolatility.
-- Returns the probe's result and a message when infeasibility is proved.
local function prove_infeasible(self, names, mu, cov, c, status, ratio)
  if status == "optimal" or status == "infeasible" then return nil end
  if c.max_cvar then
    local probe = solve_model(self, names, mu, cov, { kind = "MinCVaR" }, c)
    if probe.status == "infeasible" then return probe, "the limits other than max_cvar are infeasible" end
    if probe.status == "optimal" and probe.objective > c.max_cvar + 1e-9 * (1 + math.abs(c.max_cvar)) then
      return probe, ("max_cvar %.6g is below the smallest CVaR the other limits allow (%.6g)")
        :format(c.max_cvar, probe.objective)
    end
  elseif ratio and status == "numerical_error" then
    local probe = solve_model(self, names, mu, cov, X.MinVolatility {}, c)
    if probe.status == "infeasible" then
      return probe, "the constraints are infeasible (proved on the same limits without the ratio objective)"
    end
  end
end

-- __name: folio.html tells an exposure result from a plain table by it
local Result = { __name = "folio.exposure_result" }
Result.__index = Result

-- Fills the result's weights, returns, risk decomposition and ratios from
-- the weights wv (aligned with names).
function Opt.describe(res, names, mu, cov, wv)
  local n = #names
  res.weights = {}
  for i, e in ipairs(names) do res.weights[e] = wv[i] end
  -- risk decomposition: RC_i = w_i (Sigma w)_i / sigma, summing to sigma
  local sw, var = {}, 0
  for i = 1, n do
    local s = 0
    for j = 1, n do s = s + cov[i][j] * wv[j] end
    sw[i] = s
    var = var + wv[i] * s
  end
  local vol = math.sqrt(math.max(var, 0))
  local er = 0
  for i = 1, n do er = er + mu[i] * wv[i] end
  res.expected_return, res.volatility = er, vol
  res.sharpe_ratio = vol > 0 and (er - res.risk_free_rate) / vol or nil
  res.risk_contributions, res.correlation_matrix = {}, {}
  local wsig, sd = 0, {}
  for i = 1, n do sd[i] = math.sqrt(cov[i][i]) end
  for i, e in ipairs(names) do
    res.risk_contributions[e] = vol > 0 and wv[i] * sw[i] / vol or 0
    wsig = wsig + math.abs(wv[i]) * sd[i]
    local row, ci, si = {}, cov[i], sd[i]
    for j = 1, n do
      local d = si * sd[j]
      row[j] = d > 0 and ci[j] / d or (i == j and 1 or 0)
    end
    res.correlation_matrix[i] = row
  end
  res.diversification_ratio = vol > 0 and wsig / vol or nil
end

-- RiskParity: long-only, fully invested, risk contributions equal to the
-- budgets (default equal), by Newton's method on Spinu's convex problem.
function Opt:risk_parity(names, mu, cov, obj, c)
  for k, v in pairs(c) do
    if k ~= "kind" and v ~= false and not (k == "bounds" and v[1] == 0) and not (k == "budget" and v == 1) then
      error(("optimize: RiskParity takes no '%s': its weights are fixed by the risk budgets "
             .. "(long-only, fully invested)"):format(k), 3)
    end
  end
  local n = #names
  local b = {}
  for i, e in ipairs(names) do
    b[i] = obj.budgets and (obj.budgets[e] or obj.budgets[i]) or 1 / n
    if type(b[i]) ~= "number" then error(("optimize: RiskParity budget for '%s' is missing"):format(e), 3) end
  end
  local t0 = folio.now()
  local wv, iters = folio.core_stats.risk_parity(cov, b)
  local res = setmetatable({
    exposures = names, optimization_status = "optimal",
    solver_stats = { solver = "newton", iterations = iters, time = folio.now() - t0 },
    risk_free_rate = 0, active_constraints = { "budget" }, shadow_prices = {},
  }, Result)
  Opt.describe(res, names, mu, cov, wv)
  res.objective_value = res.volatility
  return res
end

-- opt:optimize{exposures =, objective =, constraints =, mu =, cov =}
function Opt:optimize(a)
  if type(a) ~= "table" then error("optimize: expected a table of arguments", 2) end
  local names = a.exposures
  if type(names) ~= "table" or #names == 0 then error("optimize: exposures must be a non-empty list of names", 2) end
  local n = #names
  local obj = a.objective or X.MinVolatility {}
  local c = a.constraints or X.ExposureConstraints {}
  local mu = a.mu and keyed(a.mu, names, "mu") or nil
  local needs_mu = { MaxSharpeRatio = true, MeanVariance = true, TargetReturn = true, TargetVolatility = true }
  if not mu then
    if needs_mu[obj.kind] then error("optimize: " .. obj.kind .. " needs mu (expected returns)", 2) end
    mu = {}
    for i = 1, n do mu[i] = 0 end
  end
  local cov = a.cov
  if not cov then error("optimize: cov is required (a RiskEstimator result's cov will do)", 2) end
  check_cov(cov, n)
  if obj.kind == "RiskParity" then return self:risk_parity(names, mu, cov, obj, c) end
  local r, m, w, kappa, cvar, retried = solve_model(self, names, mu, cov, obj, c)
  local res = setmetatable({
    exposures = names, optimization_status = r.status, objective_value = r.objective,
    solver_stats = { solver = r.solver, iterations = r.iterations, time = r.solve_time,
                     retried_at_default_tolerance = retried },
    result = r, risk_free_rate = obj.risk_free_rate or 0,
  }, Result)
  local probe, why = prove_infeasible(self, names, mu, cov, c, r.status, kappa ~= nil)
  if probe then
    res.optimization_status, res.result, res.message = "infeasible", probe, why
    return res
  end
  if not r.has_solution then return res end
  local k = kappa and r:value(kappa) or 1
  local wv = {}
  for i, e in ipairs(names) do wv[i] = r:value(w[e]) / k end
  self.describe(res, names, mu, cov, wv)
  if cvar then res.cvar, res.var = cvar_of(cvar.S, cvar.prob, wv, cvar.alpha) end
  -- binding rows and their shadow prices (the duals of this very solve)
  res.active_constraints, res.shadow_prices = {}, {}
  for _, row in ipairs(r:rows()) do
    local lim = (row.upper ~= math.huge and row.activity >= (row.lower + row.upper) / 2) and row.upper or row.lower
    local name = row.name:match("^[^%[]+")
    -- split and excess_return are the formulation's, not the user's limits
    if lim ~= math.huge and lim ~= -math.huge and name ~= "split" and name ~= "excess_return" and name ~= "trade"
       and name ~= "cvar_loss"
       and not name:find("%.f$")
       and math.abs(row.activity - lim) <= 1e-6 * (1 + math.abs(lim)) then
      -- max_cvar binds only if the weights' true CVaR is at the limit
      if name ~= "max_cvar" or res.cvar >= cvar.limit - 1e-6 * (1 + math.abs(cvar.limit)) then
        res.active_constraints[#res.active_constraints + 1] = row.name
        if row.dual then res.shadow_prices[row.name] = row.dual end
      end
    end
  end
  -- the ratio objectives hold their risk limits as cones, judged on the weights
  if kappa then
    local function cone_binds(name, value, limit)
      if limit and value >= limit * (1 - 1e-6) then
        res.active_constraints[#res.active_constraints + 1] = name
        res.shadow_prices[name] = r:dual(name)
      end
    end
    cone_binds("max_volatility", res.volatility, c.max_volatility)
    if c.max_tracking_error then
      local b, te = keyed(c.benchmark, names, "benchmark"), 0
      for i = 1, #names do
        for j = 1, #names do te = te + (wv[i] - b[i]) * cov[i][j] * (wv[j] - b[j]) end
      end
      cone_binds("max_tracking_error", math.sqrt(math.max(te, 0)), c.max_tracking_error)
    end
  end
  return res
end

-- A model with weights w over names, their bounds and the budget (the
-- linear core the modes share); returns the model, w and name -> position.
local function weights_model(model_name, names, constraints)
  local c = constraints or X.ExposureConstraints {}
  local lo, hi = bounds_of(names, c)
  validate(names, lo, hi, c)
  local m = folio.model(model_name)
  local pos = {}
  for i, e in ipairs(names) do pos[e] = i end
  local w = m:var("w", names, { lb = function(e) return lo[pos[e]] end, ub = function(e) return hi[pos[e]] end })
  local budget = c.budget
  if budget == nil then budget = 1 end
  if budget ~= false then m:st("budget", folio.sum(w), "==", budget) end
  return m, w, pos
end

---------------------------------------------------------------------------
-- scenario mode: CVaR (Rockafellar and Uryasev)
---------------------------------------------------------------------------
-- opt:optimize_with_scenarios{exposures =, scenarios = {{r_1..r_n}, ...},
--   probabilities = (default equal), alpha = 0.95, mu = (default: the
--   scenario mean), objective = "min_cvar" | "max_return",
--   max_cvar = (with max_return), constraints = ExposureConstraints{...}}
-- CVaR_alpha(w) = min_z z + 1/(1 - alpha) sum_s p_s max(0, -r_s'w - z):
-- an LP with a variable u_s >= -r_s'w - z, u_s >= 0 per scenario.
function Opt:optimize_with_scenarios(a)
  local names = a.exposures
  if type(names) ~= "table" or #names == 0 then error("optimize_with_scenarios: exposures required", 2) end
  local n = #names
  local alpha = a.alpha or 0.95
  if not (type(alpha) == "number" and alpha > 0 and alpha < 1) then
    error("optimize_with_scenarios: alpha must be in (0, 1)", 2)
  end
  local S, prob = scenario_rows(a.scenarios, a.probabilities, names, "optimize_with_scenarios", 3)
  local ns = #S
  local mu = a.mu and keyed(a.mu, names, "mu") or nil
  if not mu then
    mu = {}
    for i = 1, n do
      local m = 0
      for s = 1, ns do m = m + prob[s] * S[s][i] end
      mu[i] = m
    end
  end
  local m, w = weights_model("cvar", names, a.constraints)
  local cvar = add_cvar(m, w, names, S, prob, alpha, "")
  local muk = {}
  for i, e in ipairs(names) do muk[e] = mu[i] end
  local kind = a.objective or "min_cvar"
  if kind == "min_cvar" then
    m:minimize(cvar)
  elseif kind == "max_return" then
    if type(a.max_cvar) ~= "number" then error("optimize_with_scenarios: max_return needs max_cvar", 2) end
    m:st("max_cvar", cvar, "<=", a.max_cvar)
    m:maximize(folio.dot(muk, w))
  else
    error(("optimize_with_scenarios: objective must be \"min_cvar\" or \"max_return\", got %s"):format(tostring(kind)), 2)
  end
  local r = m:solve()
  local res = setmetatable({ exposures = names, optimization_status = r.status, objective_value = r.objective,
    solver_stats = { solver = r.solver, iterations = r.iterations, time = r.solve_time }, result = r,
    risk_free_rate = 0 }, Result)
  if not r.has_solution then return res end
  res.weights = {}
  local wv = {}
  for i, e in ipairs(names) do wv[i] = r:value(w[e]); res.weights[e] = wv[i] end
  res.cvar, res.var = cvar_of(S, prob, wv, alpha)
  res.expected_return = 0
  for i = 1, n do res.expected_return = res.expected_return + mu[i] * wv[i] end
  res.active_constraints, res.shadow_prices = {}, {}
  if r.has_duals and kind == "max_return" and res.cvar >= a.max_cvar - 1e-6 * (1 + math.abs(a.max_cvar)) then
    res.active_constraints[1] = "max_cvar"
    res.shadow_prices.max_cvar = r:dual("max_cvar")
  end
  return res
end

---------------------------------------------------------------------------
-- robust mode: uncertainty in the expected returns
---------------------------------------------------------------------------
-- opt:optimize_robust{exposures =, mu =, cov =, risk_aversion = 1,
--   uncertainty = {kind = "box", delta = {...}}
--               | {kind = "ellipsoid", kappa =, cov_mu = (default cov)},
--   constraints = ExposureConstraints{...}}
-- maximises the worst case of mu'w - (l/2) w'Sw over the set:
--   box:        mu'w - sum delta_i |w_i|        (|w| through w = long - short)
--   ellipsoid:  mu'w - kappa ||L'w||, cov_mu = LL'  (a second-order cone)
function Opt:optimize_robust(a)
  local names = a.exposures
  if type(names) ~= "table" or #names == 0 then error("optimize_robust: exposures required", 2) end
  local n = #names
  local mu = keyed(a.mu or {}, names, "mu")
  local cov = a.cov
  check_cov(cov, n)
  local u = a.uncertainty
  if type(u) ~= "table" or (u.kind ~= "box" and u.kind ~= "ellipsoid") then
    error("optimize_robust: uncertainty must be {kind = \"box\", delta =} or {kind = \"ellipsoid\", kappa =}", 2)
  end
  local lambda = a.risk_aversion or 1
  local m, w, pos = weights_model("robust", names, a.constraints)
  local muk = {}
  for i, e in ipairs(names) do muk[e] = mu[i] end
  local worst = folio.dot(muk, w)
  if u.kind == "box" then
    local delta = keyed(u.delta or {}, names, "uncertainty.delta")
    local p = m:var("long", names, { lb = 0 })
    local q = m:var("short", names, { lb = 0 })
    m:st("split", names, function(e) return w[e], "==", p[e] - q[e] end)
    worst = worst - folio.sum(names, function(e) return delta[pos[e]] * (p[e] + q[e]) end)
  else
    local kappa = u.kappa or 1
    local S = u.cov_mu or cov
    check_cov(S, n)
    local L = cholesky_lower(S, n, "optimize_robust: cov_mu")
    local t = m:var("uncertainty", { lb = 0 })
    risk_cone(m, "uncertainty", L, n, function(i) return w[names[i]] end, t)
    worst = worst - kappa * t
  end
  m:maximize(worst - (lambda / 2) * folio.quad(w, cov))
  local r = m:solve { feastol = 1e-10, reltol = 1e-10, abstol = 1e-14 }
  local res = setmetatable({ exposures = names, optimization_status = r.status, objective_value = r.objective,
    solver_stats = { solver = r.solver, iterations = r.iterations, time = r.solve_time }, result = r,
    risk_free_rate = 0, active_constraints = {}, shadow_prices = {} }, Result)
  if not r.has_solution then return res end
  local wv = {}
  for i, e in ipairs(names) do wv[i] = r:value(w[e]) end
  Opt.describe(res, names, mu, cov, wv)
  res.worst_case_return = r:value(worst)
  return res
end

---------------------------------------------------------------------------
-- multi-period mode: one joint model over the rebalance dates
---------------------------------------------------------------------------
-- opt:optimize_multiperiod{exposures =, periods = {{mu =, cov =}, ...},
--   risk_aversion = 1, current_weights =, transaction_costs = (rate or
--   per exposure), constraints = ExposureConstraints{...} (every period)}
-- max sum_t [mu_t'w_t - (l/2) w_t'S_t w_t - c'(buy_t + sell_t)] with
-- w_t - w_{t-1} = buy_t - sell_t, w_0 the current weights.
function Opt:optimize_multiperiod(a)
  local names, periods = a.exposures, a.periods
  if type(names) ~= "table" or #names == 0 then error("optimize_multiperiod: exposures required", 2) end
  if type(periods) ~= "table" or #periods == 0 then error("optimize_multiperiod: periods required", 2) end
  local n, np = #names, #periods
  local c = a.constraints or X.ExposureConstraints {}
  local lo, hi = bounds_of(names, c)
  validate(names, lo, hi, c)
  local lambda = a.risk_aversion or 1
  local tc = a.transaction_costs or 0
  local w0 = a.current_weights or {}
  local m = folio.model("multiperiod")
  local pos = {}
  for i, e in ipairs(names) do pos[e] = i end
  local P = {}
  for t = 1, np do P[t] = t end
  local w = m:var("w", { P, names }, { lb = function(_, e) return lo[pos[e]] end, ub = function(_, e) return hi[pos[e]] end })
  local buy = m:var("buy", { P, names }, { lb = 0 })
  local sell = m:var("sell", { P, names }, { lb = 0 })
  local budget = c.budget
  if budget == nil then budget = 1 end
  if budget ~= false then m:st("budget", P, function(t) return folio.sum(w[t]), "==", budget end) end
  m:st("trade", { P, names }, function(t, e)
    local prev = t == 1 and (w0[e] or 0) or w[t - 1][e]
    return w[t][e] - prev, "==", buy[t][e] - sell[t][e]
  end)
  local obj = 0
  for t = 1, np do
    local mu = keyed(periods[t].mu or {}, names, ("periods[%d].mu"):format(t))
    check_cov(periods[t].cov, n)
    local muk = {}
    for i, e in ipairs(names) do muk[e] = mu[i] end
    obj = obj + folio.dot(muk, w[t]) - (lambda / 2) * folio.quad(w[t], periods[t].cov)
      - folio.sum(names, function(e)
          local k = type(tc) == "number" and tc or tc[e] or 0
          if k ~= 0 then return k * (buy[t][e] + sell[t][e]) end
        end)
  end
  m:maximize(obj)
  local r = m:solve { feastol = 1e-10, reltol = 1e-10, abstol = 1e-14 }
  local res = { optimization_status = r.status, objective_value = r.objective, result = r,
                solver_stats = { solver = r.solver, iterations = r.iterations, time = r.solve_time } }
  if r.has_solution then
    res.weights = {}
    for t = 1, np do
      res.weights[t] = {}
      for _, e in ipairs(names) do res.weights[t][e] = r:value(w[t][e]) end
    end
  end
  return res
end

-- SVG charts: the *_svg methods return the text (for folio.html), the
-- plot_* methods write it atomically. o.max draws only the largest bars;
-- level: whose call an error blames (2 from a tail call, 3 otherwise).
local function bars_of(self, field, title, what, level, o)
  if not self[field] then error(what .. ": no solution to plot", level) end
  local labels, values = {}, {}
  for i, e in ipairs(self.exposures) do labels[i], values[i] = e, 100 * self[field][e] end
  return require("folio.svg").bars { title = title, labels = labels, values = values, unit = "%", max = o and o.max }
end
local ALLOCATION, RISK = "Allocation", "Risk contributions (volatility points)"

function Result:allocation_svg(o) return bars_of(self, "weights", ALLOCATION, "allocation_svg", 2, o) end
function Result:risk_contributions_svg(o)
  return bars_of(self, "risk_contributions", RISK, "risk_contributions_svg", 2, o)
end
function Result:plot_allocation(path)
  folio.write_text(path, bars_of(self, "weights", ALLOCATION, "plot_allocation", 3))
end
function Result:plot_risk_contributions(path)
  folio.write_text(path, bars_of(self, "risk_contributions", RISK, "plot_risk_contributions", 3))
end

-- the frontier: points = {{vol, ret}, ...}; fr:svg(marks) with optional
-- marks {{vol, ret, label}}, fr:plot(path) writes the chart
local Frontier = { __name = "folio.frontier" }
Frontier.__index = Frontier

function Frontier:svg(marks)
  return require("folio.svg").line { title = "Efficient frontier", xlabel = "volatility", ylabel = "expected return",
    points = self.points, marks = marks }
end
function Frontier:plot(path) folio.write_text(path, self:svg()) end

-- opt:efficient_frontier{exposures, mu, cov, constraints, points = 20}:
-- minimum volatility at returns from the minimum-variance portfolio's to
-- the highest reachable; returns a Frontier (set res.frontier = it to have
-- folio.html draw it with the result)
function Opt:efficient_frontier(a)
  local names = a.exposures
  local npts = a.points or 20
  local minv = self:optimize { exposures = names, mu = a.mu, cov = a.cov, objective = X.MinVolatility {},
                               constraints = a.constraints }
  if not minv.weights then error("efficient_frontier: the minimum-variance problem has no solution", 2) end
  local top = self:optimize { exposures = names, mu = a.mu, cov = a.cov,
                              objective = X.MeanVariance { risk_aversion = 1e-6 }, constraints = a.constraints }
  local r0, r1 = minv.expected_return, top.expected_return
  local pts = {}
  for k = 0, npts - 1 do
    local target = r0 + (r1 - r0) * k / (npts - 1)
    local res = self:optimize { exposures = names, mu = a.mu, cov = a.cov,
                                objective = X.TargetReturn { target_return = target }, constraints = a.constraints }
    if res.weights then pts[#pts + 1] = { res.volatility, res.expected_return } end
  end
  return setmetatable({ points = pts }, Frontier)
end

---------------------------------------------------------------------------
-- exposure universe and fund mapping
---------------------------------------------------------------------------
local Universe = {}
Universe.__index = Universe

-- folio.ExposureUniverse{exposures = {{name =, category =, leveraged =}, ...},
--   funds = {fund = {exposure = loading, ...}, ...}}: a fund's loadings are
-- its exposure per unit invested (100% equity + 100% trend = 200% notional).
function X.ExposureUniverse(o)
  if type(o) ~= "table" or type(o.exposures) ~= "table" then
    error("ExposureUniverse: expected {exposures = {...}, funds = {...}}", 2)
  end
  local u = setmetatable({ names = {}, categories = {}, leveraged = {}, funds = {}, loadings = {} }, Universe)
  for i, e in ipairs(o.exposures) do
    if type(e.name) ~= "string" then error(("ExposureUniverse: exposure %d has no name"):format(i), 2) end
    if u.categories[e.name] then error(("ExposureUniverse: duplicate exposure '%s'"):format(e.name), 2) end
    u.names[i] = e.name
    u.categories[e.name] = e.category or "other"
    u.leveraged[e.name] = e.leveraged and true or nil
  end
  local fnames = {}
  for f in pairs(o.funds or {}) do fnames[#fnames + 1] = f end
  table.sort(fnames)
  for _, f in ipairs(fnames) do
    for e, l in pairs(o.funds[f]) do
      if not u.categories[e] then error(("ExposureUniverse: fund '%s' loads on unknown exposure '%s'"):format(f, e), 2) end
      if type(l) ~= "number" then error(("ExposureUniverse: fund '%s' loading on '%s' is not a number"):format(f, e), 2) end
    end
    u.funds[#u.funds + 1] = f
    u.loadings[f] = o.funds[f]
  end
  return u
end

-- u:fund_weights(target, {bounds = {0, 1}, budget = nil}): fund weights
-- whose exposures come closest (least squares) to the target exposure
-- weights; reports the residual per exposure and the total notional.
function Universe:fund_weights(target, o)
  o = o or {}
  if #self.funds == 0 then error("fund_weights: the universe has no funds", 2) end
  local b = o.bounds or { 0, 1 }
  local m = folio.model("funds")
  local f = m:var("f", self.funds, { lb = b[1] == false and -math.huge or b[1], ub = b[2] == false and math.huge or b[2] })
  if o.budget then m:st("budget", folio.sum(f), "==", o.budget) end
  local err = m:var("residual", self.names)
  m:st("exposure", self.names, function(e)
    return err[e], "==", folio.sum(self.funds, function(fund)
      local l = self.loadings[fund][e]
      if l and l ~= 0 then return l * f[fund] end
    end) - (target[e] or 0)
  end)
  m:minimize(folio.sum(self.names, function(e) return err[e] * err[e] end))
  local r = m:solve { feastol = 1e-10, reltol = 1e-10, abstol = 1e-16 }
  if not r.has_solution then error("fund_weights: " .. r.status, 2) end
  local out = { weights = {}, residual = {}, status = r.status, total_notional = 0 }
  for _, fund in ipairs(self.funds) do
    local v = r:value(f[fund])
    out.weights[fund] = v
    local gross = 0
    for _, l in pairs(self.loadings[fund]) do gross = gross + math.abs(l) end
    out.total_notional = out.total_notional + math.abs(v) * gross
  end
  for _, e in ipairs(self.names) do out.residual[e] = r:value(err[e]) end
  return out
end

function Result:summary()
  local out = { ("Exposure optimization: %s"):format(self.optimization_status) }
  if not self.weights then return out[1] end
  out[#out + 1] = ("Expected return %.4f%%  volatility %.4f%%  Sharpe %.4f  diversification %.3f"):format(
    100 * self.expected_return, 100 * self.volatility, self.sharpe_ratio or 0 / 0, self.diversification_ratio or 0 / 0)
  local rows = {}
  for _, e in ipairs(self.exposures) do
    rows[#rows + 1] = { e, 100 * self.weights[e], 100 * self.risk_contributions[e] }
  end
  table.sort(rows, function(a, b) return a[2] > b[2] end)
  out[#out + 1] = require("folio.report").grid({ "exposure", "weight %", "risk contribution %" }, rows)
  if #self.active_constraints > 0 then
    out[#out + 1] = "Binding: " .. table.concat(self.active_constraints, ", ")
  end
  return table.concat(out, "\n")
end

return X
