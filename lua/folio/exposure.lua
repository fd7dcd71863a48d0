-- The exposure-level optimizer (docs/exposure.md): objectives, the
-- constraint set, the result with its risk decomposition, and the
-- scenario, robust, multi-period and frontier modes. The model itself is
-- built by folio.exposure_model; results follow docs/results.md.
local folio = require "folio"
local check = require "folio.check"
local align = require "folio.align"
local results = require "folio.results"
local EM = require "folio.exposure_model"
local fail = check.fail

local X = {}

---------------------------------------------------------------------------
-- objectives and constraints are plain tagged tables
---------------------------------------------------------------------------
local function objective(kind, schema)
  return check.entry(function(o)
    check.options(o, kind, schema)
    local t = { kind = kind }
    for k, v in pairs(o or {}) do t[k] = v end
    return t
  end)
end

-- l2_reg = gamma adds gamma * ||w||^2 to every QP objective (subtracted
-- when maximising); for the ratio objectives it acts on the scaled
-- weights, i.e. the ratio is taken with Sigma + gamma I as the risk
X.MinVolatility = objective("MinVolatility", { l2_reg = "number" })
X.MaxSharpeRatio = objective("MaxSharpeRatio", { risk_free_rate = "number", l2_reg = "number" })
X.MeanVariance = objective("MeanVariance", { risk_aversion = "number", l2_reg = "number" })
X.TargetReturn = objective("TargetReturn", { target_return = "number", l2_reg = "number" })
X.TargetVolatility = objective("TargetVolatility", { target_vol = "number", l2_reg = "number" })
X.RiskParity = objective("RiskParity", { budgets = "table" })
X.MaxDiversification = objective("MaxDiversification", { l2_reg = "number" })
-- (ExposureUniverse is defined below)

local CONSTRAINTS = {
  bounds = "table", min_weights = "table", max_weights = "table", budget = "number|boolean", categories = "table",
  category_limits = "table", max_total_notional = "number", max_volatility = "number", benchmark = "table",
  max_tracking_error = "number", min_exposures = "number", max_exposures = "number", min_position = "number",
  max_concentration = "number", leveraged = "table", max_leverage_exposures = "number",
  max_correlation_pairs = "number", current_weights = "table", transaction_costs = "number|table",
  max_turnover = "number", max_cvar = "number", scenarios = "table", scenario_probabilities = "table",
  cvar_alpha = "number",
}

X.ExposureConstraints = check.entry(function(o)
  check.options(o, "ExposureConstraints", CONSTRAINTS)
  local c = { kind = "ExposureConstraints" }
  for k, v in pairs(o or {}) do c[k] = v end
  return c
end)

-- Options keyed by exposure name may only name exposures of the list.
local function check_names(c, names, fn)
  for _, k in ipairs { "min_weights", "max_weights", "current_weights", "categories", "leveraged" } do
    align.keys(c[k], names, fn, k)
  end
  if type(c.transaction_costs) == "table" then align.keys(c.transaction_costs, names, fn, "transaction_costs") end
end

---------------------------------------------------------------------------
-- inputs
---------------------------------------------------------------------------

-- Scenario returns as rows aligned with names: a list of rows, or a
-- returns table (folio.returns / read_csv) whose columns are the
-- exposures. Checks probabilities; returns rows and probabilities.
local function scenario_rows(S, p, names, what)
  local n = #names
  if type(S) ~= "table" then fail(what .. ": scenarios required") end
  if type(S.columns) == "table" then
    local rows = {}
    for t = 1, S.n or 0 do
      local row = {}
      for i, e in ipairs(names) do
        local col = S[e]
        if not col then fail(("%s: scenarios have no column '%s'"):format(what, e)) end
        local v = col[t]
        if type(v) ~= "number" then fail(("%s: scenario %d has no return for '%s'"):format(what, t, e)) end
        row[i] = v
      end
      rows[t] = row
    end
    S = rows
  end
  local ns = #S
  if ns == 0 then fail(what .. ": scenarios required") end
  if p ~= nil and (type(p) ~= "table" or #p ~= ns) then
    fail(("%s: probabilities must have %d entries, one per scenario"):format(what, ns))
  end
  local prob, psum = {}, 0
  for s = 1, ns do
    if type(S[s]) ~= "table" or #S[s] ~= n then
      fail(("%s: scenario %d must have %d returns"):format(what, s, n))
    end
    for i = 1, n do
      if type(S[s][i]) ~= "number" or S[s][i] ~= S[s][i] then
        fail(("%s: scenario %d, return %d is not a number"):format(what, s, i))
      end
    end
    local ps = p and p[s] or 1 / ns
    if type(ps) ~= "number" or ps < 0 then fail(("%s: probability %d is invalid"):format(what, s)) end
    prob[s], psum = ps, psum + ps
  end
  if math.abs(psum - 1) > 1e-9 then fail(("%s: probabilities sum to %.12g, not 1"):format(what, psum)) end
  return S, prob
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
      fail(("optimize: infeasible constraints: the minimum weights sum to %.6g, above the budget %.6g")
        :format(smin, budget))
    end
    if smax < budget - 1e-12 then
      fail(("optimize: infeasible constraints: the maximum weights sum to %.6g, below the budget %.6g")
        :format(smax, budget))
    end
  end
  if c.max_exposures then
    local forced = 0
    for i = 1, #names do if lo[i] > 0 then forced = forced + 1 end end
    if forced > c.max_exposures then
      fail(("optimize: infeasible constraints: %d exposures have a positive minimum weight but max_exposures is %d")
        :format(forced, c.max_exposures))
    end
  end
  if c.min_exposures and c.max_exposures and c.min_exposures > c.max_exposures then
    fail(("optimize: infeasible constraints: min_exposures %d is above max_exposures %d")
      :format(c.min_exposures, c.max_exposures))
  end
  for i, e in ipairs(names) do
    if lo[i] > hi[i] then
      fail(("optimize: infeasible constraints: '%s' has minimum %.6g above maximum %.6g"):format(e, lo[i], hi[i]))
    end
  end
  if c.category_limits then
    local cats = c.categories or {}
    for cat, lim in pairs(c.category_limits) do
      local smin, smax, any = 0, 0, false
      for i, e in ipairs(names) do
        if cats[e] == cat then smin, smax, any = smin + lo[i], smax + hi[i], true end
      end
      if not any then fail(("optimize: category '%s' has a limit but no exposure"):format(cat)) end
      local clo, chi = lim[1] or -math.huge, lim[2] or math.huge
      if smin > chi + 1e-12 then
        fail(("optimize: infeasible constraints: category '%s' has a maximum of %.6g but its minimum weights sum to %.6g")
          :format(cat, chi, smin))
      end
      if smax < clo - 1e-12 then
        fail(("optimize: infeasible constraints: category '%s' has a minimum of %.6g but its maximum weights sum to %.6g")
          :format(cat, clo, smax))
      end
    end
  end
end


---------------------------------------------------------------------------
-- results
---------------------------------------------------------------------------
local function pct(v) return v and 100 * v or 0 / 0 end

local function exposure_summary(self)
  local out = { "Exposure optimization: " .. results.headline(self) }
  if self.message then out[#out + 1] = "  " .. self.message end
  if not self.weights then return table.concat(out, "\n") end
  local figures = { ("Expected return %.4f%%"):format(pct(self.expected_return)) }
  if self.volatility then figures[#figures + 1] = ("volatility %.4f%%"):format(pct(self.volatility)) end
  if self.sharpe_ratio then figures[#figures + 1] = ("Sharpe %.4f"):format(self.sharpe_ratio) end
  if self.diversification_ratio then figures[#figures + 1] = ("diversification %.3f"):format(self.diversification_ratio) end
  if self.cvar then figures[#figures + 1] = ("CVaR %.4f%%"):format(pct(self.cvar)) end
  out[#out + 1] = table.concat(figures, "  ")
  local rc = self.risk_contributions
  local rows = {}
  for _, e in ipairs(self.exposures) do
    rows[#rows + 1] = { e, 100 * results.clean(self.weights[e]), rc and 100 * results.clean(rc[e]) or nil }
  end
  table.sort(rows, function(a, b) return a[2] > b[2] end)
  out[#out + 1] = require("folio.report").grid(rc and { "exposure", "weight %", "risk contribution %" }
                                                  or { "exposure", "weight %" }, rows)
  if self.active_constraints and #self.active_constraints > 0 then
    out[#out + 1] = "Binding: " .. table.concat(self.active_constraints, ", ")
  end
  return table.concat(out, "\n")
end

local Result = results.class("folio.exposure_result", {
  kind = "exposure",
  summary = exposure_summary,
  json_skip = { result = true },
  -- one layout whatever the outcome: no rows without a solution
  csv = function(self)
    local rows = {}
    if self.weights then
      for _, e in ipairs(self.exposures) do
        rows[#rows + 1] = { e, self.weights[e], self.risk_contributions and self.risk_contributions[e] }
      end
    end
    return { "asset", "weight", "risk_contribution" }, rows
  end,
})

local Multi = results.class("folio.multiperiod_result", {
  kind = "multiperiod",
  json_skip = { result = true },
  summary = function(self)
    local out = { "Multi-period optimization: " .. results.headline(self) }
    if self.message then out[#out + 1] = "  " .. self.message end
    if not self.weights then return table.concat(out, "\n") end
    local cols, rows = { "exposure" }, {}
    for t = 1, self.periods do cols[#cols + 1] = ("period %d %%"):format(t) end
    for i, e in ipairs(self.exposures) do
      rows[i] = { e }
      for t = 1, self.periods do rows[i][t + 1] = 100 * results.clean(self.weights[t][e]) end
    end
    out[#out + 1] = require("folio.report").grid(cols, rows)
    return table.concat(out, "\n")
  end,
  csv = function(self)
    local rows = {}
    if self.weights then
      for t = 1, self.periods do
        for _, e in ipairs(self.exposures) do rows[#rows + 1] = { t, e, self.weights[t][e] } end
      end
    end
    return { "period", "asset", "weight" }, rows
  end,
})


---------------------------------------------------------------------------
-- the optimizer
---------------------------------------------------------------------------
local Opt = {}
Opt.__index = Opt

X.ExposureOptimizer = check.entry(function(o)
  check.options(o, "ExposureOptimizer", { solve = "table" })
  return setmetatable({ options = o or {} }, Opt)
end)

-- the exposure result (docs/results.md): status, has_solution, objective
-- (in the objective's own units), solve_time and solver, with the
-- specification's names optimization_status and objective_value as aliases

local function new_result(names, fields)
  local res = setmetatable({ exposures = names, risk_free_rate = 0 }, Result)
  for k, v in pairs(fields or {}) do res[k] = v end
  return res
end

-- settles the core fields (and their aliases) of an exposure result
local function settle(res, status, objective, stats)
  results.settle(res, { status = status, has_solution = res.weights ~= nil, objective = objective,
                        solve_time = stats and stats.time, solver = stats and stats.solver })
  res.optimization_status, res.objective_value = res.status, res.objective
  return res
end
X.settle = settle

-- the objective as the user asked for it: the Sharpe ratio for MaxSharpe,
-- the volatility for MinVolatility, the utility for MeanVariance
local function objective_of(kind, res, r)
  if kind == "MaxSharpeRatio" then return res.sharpe_ratio end
  if kind == "MaxDiversification" then return res.diversification_ratio end
  if kind == "MinVolatility" or kind == "TargetReturn" or kind == "RiskParity" then return res.volatility end
  return r.objective
end


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
      fail("optimize: RiskParity takes no '%s': its weights are fixed by the risk budgets "
           .. "(long-only, fully invested)", k)
    end
  end
  local b = obj.budgets and align.vector(obj.budgets, names, "optimize", "RiskParity budgets")
  if not b then
    b = {}
    for i = 1, #names do b[i] = 1 / #names end
  end
  -- Newton's method on Spinu's problem needs a positive definite covariance
  EM.cholesky_lower(cov, #names, "optimize: RiskParity: cov")
  local t0 = folio.now()
  local wv, iters = folio.core_stats.risk_parity(cov, b)
  local stats = { solver = "newton", iterations = iters, time = folio.now() - t0 }
  local res = new_result(names, { solver_stats = stats, active_constraints = { "budget" }, shadow_prices = {} })
  Opt.describe(res, names, mu, cov, wv)
  return settle(res, "optimal", res.volatility, stats)
end

local TIGHT = { feastol = 1e-10, reltol = 1e-10, abstol = 1e-14 }

-- the solve, with one retry at the solver's default tolerances: a thin
-- feasible set (a CVaR limit near its minimum) or thousands of scenario
-- rows can leave the residuals just above 1e-10 for good
local function run(self, p)
  local ctx = EM.build(p, "solve")
  local r = ctx.m:solve(self.options.solve or TIGHT)
  if (r.status == "numerical_error" or r.status == "iteration_limit") and not self.options.solve then
    return ctx.m:solve(), ctx, true
  end
  return r, ctx, false
end

-- A solve that ended without a solution: the limits alone decide (an LP
-- or MIP when they are linear), and an infeasible set is explained by the
-- conflict search over the user's limits.
local function no_solution(res, p, r)
  local why, st = EM.explain(p)
  if why then
    res.message, res.conflicts = why.message, why.groups
    return "infeasible"
  end
  if r.status == "infeasible" and st == "feasible" and (p.obj.kind == "MaxSharpeRatio" or p.obj.kind == "MaxDiversification") then
    res.message = p.obj.kind == "MaxSharpeRatio"
      and "infeasible: no portfolio within the limits has an expected return above the risk-free rate"
      or "infeasible: no portfolio within the limits has a positive weighted volatility"
    return "infeasible"
  end
  local word = results.status_word(r.status)
  res.message = ("%s: the solver stopped without a solution; the limits themselves are %s"):format(word,
    st == "feasible" and "feasible" or "undecided (" .. tostring(st) .. ")")
  return word
end

-- binding rows and their shadow prices (the duals of this very solve)
local FORMULATION = { split = true, excess_return = true, trade = true, cvar_loss = true }
local function binding(res, r, ctx, wv, c, cov, names)
  res.active_constraints, res.shadow_prices = {}, {}
  for _, row in ipairs(r:rows()) do
    local lim = (row.upper ~= math.huge and row.activity >= (row.lower + row.upper) / 2) and row.upper or row.lower
    local name = row.name:match("^[^%[]+")
    if lim ~= math.huge and lim ~= -math.huge and not FORMULATION[name] and not name:find("%.f$")
       and math.abs(row.activity - lim) <= 1e-6 * (1 + math.abs(lim)) then
      -- max_cvar binds only if the weights' true CVaR is at the limit
      if name ~= "max_cvar" or res.cvar >= c.max_cvar - 1e-6 * (1 + math.abs(c.max_cvar)) then
        res.active_constraints[#res.active_constraints + 1] = row.name
        if row.dual then res.shadow_prices[row.name] = row.dual end
      end
    end
  end
  -- the ratio objectives hold their risk limits as cones, judged on the weights
  if ctx.kappa then
    local function cone_binds(name, value, limit)
      if limit and value >= limit * (1 - 1e-6) then
        res.active_constraints[#res.active_constraints + 1] = name
        res.shadow_prices[name] = r:dual(name)
      end
    end
    cone_binds("max_volatility", res.volatility, c.max_volatility)
    if c.max_tracking_error then
      local b, te = ctx.benchmark, 0
      for i = 1, #names do
        for j = 1, #names do te = te + (wv[i] - b[i]) * cov[i][j] * (wv[j] - b[j]) end
      end
      cone_binds("max_tracking_error", math.sqrt(math.max(te, 0)), c.max_tracking_error)
    end
  end
end

local OPTIMIZE = { exposures = "table", objective = "table", constraints = "table", mu = "table", cov = "table" }
local NEEDS_MU = { MaxSharpeRatio = true, MeanVariance = true, TargetReturn = true, TargetVolatility = true }

-- the checked inputs of optimize: p for folio.exposure_model
local function inputs(a)
  if type(a) ~= "table" then fail("optimize: expected a table of arguments") end
  check.options(a, "optimize", OPTIMIZE)
  local names = a.exposures
  if type(names) ~= "table" or #names == 0 then fail("optimize: exposures must be a non-empty list of names") end
  local n = #names
  local obj = a.objective or X.MinVolatility {}
  local c = a.constraints or X.ExposureConstraints {}
  check_names(c, names, "optimize")
  local mu = a.mu and align.vector(a.mu, names, "optimize", "mu") or nil
  if not mu then
    if NEEDS_MU[obj.kind] then fail("optimize: %s needs mu (expected returns)", obj.kind) end
    mu = {}
    for i = 1, n do mu[i] = 0 end
  end
  if not a.cov then fail("optimize: cov is required (a RiskEstimator result will do: cov = risk)") end
  local cov = align.matrix(a.cov, names, "optimize", "cov")
  -- a covariance is symmetric; an asymmetric one is a data error, not a model
  for i = 1, n do
    for j = i + 1, n do
      if math.abs(cov[i][j] - cov[j][i]) > 1e-10 * (math.abs(cov[i][j]) + math.abs(cov[j][i]) + 1e-300) then
        fail("optimize: cov is not symmetric: cov['%s']['%s'] = %s but cov['%s']['%s'] = %s", names[i], names[j],
          results.number(cov[i][j]), names[j], names[i], results.number(cov[j][i]))
      end
    end
  end
  if obj.kind == "TargetReturn" and type(obj.target_return) ~= "number" then fail("optimize: TargetReturn needs target_return") end
  if obj.kind == "TargetVolatility" and type(obj.target_vol) ~= "number" then fail("optimize: TargetVolatility needs target_vol") end
  local l2 = obj.l2_reg
  if l2 ~= nil and not (l2 >= 0 and l2 < math.huge) then fail("optimize: l2_reg must be a finite number >= 0") end
  local known = { MinVolatility = 1, MaxSharpeRatio = 1, MeanVariance = 1, TargetReturn = 1, TargetVolatility = 1,
                  RiskParity = 1, MaxDiversification = 1, MinCVaR = 1 }
  if not known[obj.kind] then fail("optimize: unknown objective %s", tostring(obj.kind)) end
  local p = { names = names, mu = mu, cov = cov, c = c, obj = obj, pos = {} }
  for i, e in ipairs(names) do p.pos[e] = i end
  if obj.kind == "RiskParity" then return p end
  p.lo, p.hi, p.lo_by, p.hi_by = EM.bounds_of(names, c)
  validate(names, p.lo, p.hi, c)
  if c.max_tracking_error and c.benchmark then p.benchmark = align.vector(c.benchmark, names, "optimize", "benchmark") end
  if c.max_cvar then
    local alpha = c.cvar_alpha or 0.95
    if not (alpha > 0 and alpha < 1) then fail("optimize: cvar_alpha must be in (0, 1)") end
    local S, prob = scenario_rows(c.scenarios, c.scenario_probabilities, names, "optimize: max_cvar")
    p.cvar = { S = S, prob = prob, alpha = alpha, limit = c.max_cvar }
  elseif c.scenarios or c.scenario_probabilities or c.cvar_alpha then
    fail("optimize: scenarios, scenario_probabilities and cvar_alpha go with max_cvar")
  end
  return p
end

-- opt:optimize{exposures =, objective =, constraints =, mu =, cov =}
function Opt:optimize(a)
  local p = inputs(a)
  local names, obj, c = p.names, p.obj, p.c
  if obj.kind == "RiskParity" then return self:risk_parity(names, p.mu, p.cov, obj, c) end
  local r, ctx, retried = run(self, p)
  local stats = { solver = r.solver, iterations = r.iterations, time = r.solve_time,
                  retried_at_default_tolerance = retried or nil }
  local res = new_result(names, { solver_stats = stats, result = r, risk_free_rate = obj.risk_free_rate or 0 })
  if not r.has_solution then return settle(res, no_solution(res, p, r), nil, stats) end
  local k = ctx.kappa and r:value(ctx.kappa) or 1
  local wv = {}
  for i, e in ipairs(names) do wv[i] = r:value(ctx.w[e]) / k end
  Opt.describe(res, names, p.mu, p.cov, wv)
  if p.cvar then res.cvar, res.var = cvar_of(p.cvar.S, p.cvar.prob, wv, p.cvar.alpha) end
  binding(res, r, ctx, wv, c, p.cov, names)
  return settle(res, r.status, objective_of(obj.kind, res, r), stats)
end


-- A model with weights w over names, their bounds and the budget (the
-- linear core the modes share); returns the model, w and name -> position.
local function weights_model(model_name, names, constraints)
  local c = constraints or X.ExposureConstraints {}
  check_names(c, names, model_name)
  local lo, hi = EM.bounds_of(names, c)
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
local SCENARIO_ARGS = { exposures = "table", scenarios = "table", probabilities = "table", alpha = "number",
                        mu = "table", objective = "string", max_cvar = "number", constraints = "table" }
function Opt:optimize_with_scenarios(a)
  check.options(a, "optimize_with_scenarios", SCENARIO_ARGS)
  local names = a.exposures
  if type(names) ~= "table" or #names == 0 then fail("optimize_with_scenarios: exposures required") end
  local n = #names
  local alpha = a.alpha or 0.95
  if not (type(alpha) == "number" and alpha > 0 and alpha < 1) then
    fail("optimize_with_scenarios: alpha must be in (0, 1)")
  end
  local S, prob = scenario_rows(a.scenarios, a.probabilities, names, "optimize_with_scenarios")
  local ns = #S
  local mu = a.mu and align.vector(a.mu, names, "optimize_with_scenarios", "mu") or nil
  if not mu then
    mu = {}
    for i = 1, n do
      local m = 0
      for s = 1, ns do m = m + prob[s] * S[s][i] end
      mu[i] = m
    end
  end
  local m, w = weights_model("cvar", names, a.constraints)
  local cvar = EM.add_cvar(m, w, names, S, prob, alpha, "")
  local muk = {}
  for i, e in ipairs(names) do muk[e] = mu[i] end
  local kind = a.objective or "min_cvar"
  if kind == "min_cvar" then
    m:minimize(cvar)
  elseif kind == "max_return" then
    if type(a.max_cvar) ~= "number" then fail("optimize_with_scenarios: max_return needs max_cvar") end
    m:st("max_cvar", cvar, "<=", a.max_cvar)
    m:maximize(folio.dot(muk, w))
  else
    fail(("optimize_with_scenarios: objective must be \"min_cvar\" or \"max_return\", got %s"):format(tostring(kind)))
  end
  local r = m:solve()
  local stats = { solver = r.solver, iterations = r.iterations, time = r.solve_time }
  local res = new_result(names, { solver_stats = stats, result = r })
  if not r.has_solution then
    res.message = r.message
    return settle(res, results.status_word(r.status), nil, stats)
  end
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
  -- the CVaR minimised, or the expected return maximised
  return settle(res, r.status, kind == "min_cvar" and res.cvar or res.expected_return, stats)
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
local ROBUST_ARGS = { exposures = "table", mu = "table", cov = "table", risk_aversion = "number",
                      uncertainty = "table", constraints = "table" }
function Opt:optimize_robust(a)
  check.options(a, "optimize_robust", ROBUST_ARGS)
  local names = a.exposures
  if type(names) ~= "table" or #names == 0 then fail("optimize_robust: exposures required") end
  local n = #names
  if not a.mu or not a.cov then fail("optimize_robust: mu and cov are required") end
  local mu = align.vector(a.mu, names, "optimize_robust", "mu")
  local cov = align.matrix(a.cov, names, "optimize_robust", "cov")
  local u = a.uncertainty
  if type(u) ~= "table" or (u.kind ~= "box" and u.kind ~= "ellipsoid") then
    fail("optimize_robust: uncertainty must be {kind = \"box\", delta =} or {kind = \"ellipsoid\", kappa =}")
  end
  local lambda = a.risk_aversion or 1
  local m, w, pos = weights_model("robust", names, a.constraints)
  local muk = {}
  for i, e in ipairs(names) do muk[e] = mu[i] end
  local worst = folio.dot(muk, w)
  if u.kind == "box" then
    if not u.delta then fail("optimize_robust: a box needs uncertainty.delta") end
    local delta = align.vector(u.delta, names, "optimize_robust", "uncertainty.delta")
    local p = m:var("long", names, { lb = 0 })
    local q = m:var("short", names, { lb = 0 })
    m:st("split", names, function(e) return w[e], "==", p[e] - q[e] end)
    worst = worst - folio.sum(names, function(e) return delta[pos[e]] * (p[e] + q[e]) end)
  else
    local kappa = u.kappa or 1
    local S = u.cov_mu and align.matrix(u.cov_mu, names, "optimize_robust", "uncertainty.cov_mu") or cov
    local L = EM.cholesky_lower(S, n, "optimize_robust: cov_mu")
    local t = m:var("uncertainty", { lb = 0 })
    EM.risk_cone(m, "uncertainty", L, n, function(i) return w[names[i]] end, t)
    worst = worst - kappa * t
  end
  m:maximize(worst - (lambda / 2) * folio.quad(w, cov))
  local r = m:solve { feastol = 1e-10, reltol = 1e-10, abstol = 1e-14 }
  local stats = { solver = r.solver, iterations = r.iterations, time = r.solve_time }
  local res = new_result(names, { solver_stats = stats, result = r, active_constraints = {}, shadow_prices = {} })
  if not r.has_solution then
    res.message = r.message
    return settle(res, results.status_word(r.status), nil, stats)
  end
  local wv = {}
  for i, e in ipairs(names) do wv[i] = r:value(w[e]) end
  Opt.describe(res, names, mu, cov, wv)
  res.worst_case_return = r:value(worst)
  return settle(res, r.status, r.objective, stats)   -- the worst-case utility
end

---------------------------------------------------------------------------
-- multi-period mode: one joint model over the rebalance dates
---------------------------------------------------------------------------
-- opt:optimize_multiperiod{exposures =, periods = {{mu =, cov =}, ...},
--   risk_aversion = 1, current_weights =, transaction_costs = (rate or
--   per exposure), constraints = ExposureConstraints{...} (every period)}
-- max sum_t [mu_t'w_t - (l/2) w_t'S_t w_t - c'(buy_t + sell_t)] with
-- w_t - w_{t-1} = buy_t - sell_t, w_0 the current weights.
local MULTI_ARGS = { exposures = "table", periods = "table", risk_aversion = "number", current_weights = "table",
                     transaction_costs = "number|table", constraints = "table" }
function Opt:optimize_multiperiod(a)
  check.options(a, "optimize_multiperiod", MULTI_ARGS)
  local names, periods = a.exposures, a.periods
  if type(names) ~= "table" or #names == 0 then fail("optimize_multiperiod: exposures required") end
  if type(periods) ~= "table" or #periods == 0 then fail("optimize_multiperiod: periods required") end
  local n, np = #names, #periods
  local c = a.constraints or X.ExposureConstraints {}
  check_names(c, names, "optimize_multiperiod")
  align.keys(a.current_weights, names, "optimize_multiperiod", "current_weights")
  if type(a.transaction_costs) == "table" then
    align.keys(a.transaction_costs, names, "optimize_multiperiod", "transaction_costs")
  end
  local lo, hi = EM.bounds_of(names, c)
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
    local pt = periods[t]
    if type(pt) ~= "table" or not pt.mu or not pt.cov then fail("optimize_multiperiod: periods[%d] needs mu and cov", t) end
    local mu = align.vector(pt.mu, names, "optimize_multiperiod", ("periods[%d].mu"):format(t))
    local cov = align.matrix(pt.cov, names, "optimize_multiperiod", ("periods[%d].cov"):format(t))
    local muk = {}
    for i, e in ipairs(names) do muk[e] = mu[i] end
    obj = obj + folio.dot(muk, w[t]) - (lambda / 2) * folio.quad(w[t], cov)
      - folio.sum(names, function(e)
          local k = type(tc) == "number" and tc or tc[e] or 0
          if k ~= 0 then return k * (buy[t][e] + sell[t][e]) end
        end)
  end
  m:maximize(obj)
  local r = m:solve { feastol = 1e-10, reltol = 1e-10, abstol = 1e-14 }
  local stats = { solver = r.solver, iterations = r.iterations, time = r.solve_time }
  local res = setmetatable({ exposures = names, periods = np, result = r, solver_stats = stats }, Multi)
  if r.has_solution then
    res.weights = {}
    for t = 1, np do
      res.weights[t] = {}
      for _, e in ipairs(names) do res.weights[t][e] = r:value(w[t][e]) end
    end
  else
    res.message = r.message
  end
  results.settle(res, { status = results.status_word(r.status), has_solution = res.weights ~= nil,
                        objective = r.objective, solve_time = r.solve_time, solver = r.solver })
  res.optimization_status, res.objective_value = res.status, res.objective
  return res
end

-- SVG charts: the *_svg methods return the text (for folio.html), the
-- plot_* methods write it atomically. o.max draws only the largest bars;


-- SVG charts: the *_svg methods return the text (for folio.html), the
-- plot_* methods write it atomically. o.max draws only the largest bars.
local function bars_of(self, field, title, what, o)
  if not self[field] then
    fail("%s: no solution to plot%s", what, self.status and (" (status " .. self.status .. ")") or "")
  end
  local labels, values = {}, {}
  for i, e in ipairs(self.exposures) do labels[i], values[i] = e, 100 * self[field][e] end
  return require("folio.svg").bars { title = title, labels = labels, values = values, unit = "%", max = o and o.max }
end
local ALLOCATION, RISK = "Allocation", "Risk contributions (volatility points)"

function Result:allocation_svg(o) return bars_of(self, "weights", ALLOCATION, "allocation_svg", o) end
function Result:risk_contributions_svg(o)
  return bars_of(self, "risk_contributions", RISK, "risk_contributions_svg", o)
end
function Result:plot_allocation(path)
  folio.write_text(path, bars_of(self, "weights", ALLOCATION, "plot_allocation"))
end
function Result:plot_risk_contributions(path)
  folio.write_text(path, bars_of(self, "risk_contributions", RISK, "plot_risk_contributions"))
end
check.entries(Result, { "allocation_svg", "risk_contributions_svg", "plot_allocation", "plot_risk_contributions" })

-- the frontier: points = {{vol, ret}, ...}; fr:svg(marks) with optional
-- marks {{vol, ret, label}}, fr:plot(path) writes the chart
local Frontier = results.class("folio.frontier", {
  kind = "frontier",
  summary = function(fr)
    local head = ("Efficient frontier: %s, %d points"):format(fr.status, #fr.points)
    if fr.message then head = head .. "\n  " .. fr.message end
    if #fr.points == 0 then return head end
    local rows = {}
    for i, pt in ipairs(fr.points) do rows[i] = { pt[1], pt[2] } end
    return head .. "\n" .. require("folio.report").grid({ "volatility", "expected return" }, rows)
  end,
  csv = function(fr)
    local rows = {}
    for i, pt in ipairs(fr.points) do rows[i] = { pt[1], pt[2] } end
    return { "volatility", "expected_return" }, rows
  end,
})

function Frontier:svg(marks)
  return require("folio.svg").line { title = "Efficient frontier", xlabel = "volatility", ylabel = "expected return",
    points = self.points, marks = marks }
end
function Frontier:plot(path) folio.write_text(path, self:svg()) end

-- opt:efficient_frontier{exposures, mu, cov, constraints, points = 20}:
-- minimum volatility at returns from the minimum-variance portfolio's to
-- the highest reachable; returns a Frontier (set res.frontier = it to have
-- folio.html draw it with the result). Its status is the minimum-variance
-- solve's when that has no solution; points whose solve failed are counted.
local FRONTIER_ARGS = { exposures = "table", mu = "table", cov = "table", constraints = "table", points = "number" }
function Opt:efficient_frontier(a)
  check.options(a, "efficient_frontier", FRONTIER_ARGS)
  local names = a.exposures
  local npts = a.points or 20
  if npts < 2 or npts ~= math.floor(npts) then fail("efficient_frontier: points must be an integer >= 2") end
  local t0 = folio.now()
  local fr = setmetatable({ points = {}, failed = 0 }, Frontier)
  local minv = self:optimize { exposures = names, mu = a.mu, cov = a.cov, objective = X.MinVolatility {},
                               constraints = a.constraints }
  if not minv.has_solution then
    fr.message = "the minimum-variance problem has no solution: " .. tostring(minv.message or minv.status)
    return results.settle(fr, { status = minv.status, has_solution = false, solve_time = folio.now() - t0,
                                solver = minv.solver })
  end
  local top = self:optimize { exposures = names, mu = a.mu, cov = a.cov,
                              objective = X.MeanVariance { risk_aversion = 1e-6 }, constraints = a.constraints }
  local r0 = minv.expected_return
  local r1 = top.has_solution and top.expected_return or r0
  for k = 0, npts - 1 do
    local target = r0 + (r1 - r0) * k / (npts - 1)
    local res = self:optimize { exposures = names, mu = a.mu, cov = a.cov,
                                objective = X.TargetReturn { target_return = target }, constraints = a.constraints }
    if res.weights then fr.points[#fr.points + 1] = { res.volatility, res.expected_return }
    else fr.failed = fr.failed + 1 end
  end
  if fr.failed > 0 then fr.message = ("%d of %d points had no solution"):format(fr.failed, npts) end
  return results.settle(fr, { status = fr.failed == 0 and "optimal" or "feasible", has_solution = #fr.points > 0,
                              solve_time = folio.now() - t0, solver = minv.solver })
end

---------------------------------------------------------------------------
local Universe = {}
Universe.__index = Universe

-- folio.ExposureUniverse{exposures = {{name =, category =, leveraged =}, ...},
--   funds = {fund = {exposure = loading, ...}, ...}}: a fund's loadings are
-- its exposure per unit invested (100% equity + 100% trend = 200% notional).
function X.ExposureUniverse(o)
  if type(o) ~= "table" or type(o.exposures) ~= "table" then
    fail("ExposureUniverse: expected {exposures = {...}, funds = {...}}")
  end
  local u = setmetatable({ names = {}, categories = {}, leveraged = {}, funds = {}, loadings = {} }, Universe)
  for i, e in ipairs(o.exposures) do
    if type(e.name) ~= "string" then fail(("ExposureUniverse: exposure %d has no name"):format(i)) end
    if u.categories[e.name] then fail(("ExposureUniverse: duplicate exposure '%s'"):format(e.name)) end
    u.names[i] = e.name
    u.categories[e.name] = e.category or "other"
    u.leveraged[e.name] = e.leveraged and true or nil
  end
  local fnames = {}
  for f in pairs(o.funds or {}) do fnames[#fnames + 1] = f end
  table.sort(fnames)
  for _, f in ipairs(fnames) do
    for e, l in pairs(o.funds[f]) do
      if not u.categories[e] then fail(("ExposureUniverse: fund '%s' loads on unknown exposure '%s'"):format(f, e)) end
      if type(l) ~= "number" then fail(("ExposureUniverse: fund '%s' loading on '%s' is not a number"):format(f, e)) end
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
  if #self.funds == 0 then fail("fund_weights: the universe has no funds") end
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
  if not r.has_solution then fail("fund_weights: " .. r.status) end
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


check.entries(Opt, { "optimize", "optimize_with_scenarios", "optimize_robust", "optimize_multiperiod",
                     "efficient_frontier", "risk_parity" })
X.ExposureUniverse = check.entry(X.ExposureUniverse)
check.entries(Universe, { "fund_weights" })

return X
