-- The exposure-level optimizer (docs/exposure.md): objectives, the
-- constraint set, the result with its risk decomposition, and the
-- scenario, robust, multi-period and frontier modes. The model itself is
-- built by folio.exposure_model; results follow docs/results.md.
local folio = require "folio"
local check = require "folio.check"
local align = require "folio.align"
local results = require "folio.results"
local EM = require "folio.exposure_model"
local H = require "folio.exposure_holdings"
local fail = check.fail

local X = {}

---------------------------------------------------------------------------
-- objectives and constraints are plain tagged tables
---------------------------------------------------------------------------
local Objective = {}
Objective.__index = Objective
local NEEDS_MU_EVAL   -- set below
local Constraints = {}
Constraints.__index = Constraints

local function objective(kind, schema, defaults)
  return check.entry(function(o)
    check.options(o, kind, schema)
    local t = setmetatable({ kind = kind }, Objective)
    for k, v in pairs(defaults or {}) do t[k] = v end
    for k, v in pairs(o or {}) do t[k] = v end
    return t
  end)
end

-- l2_reg = gamma adds gamma * ||w||^2 to every QP objective (subtracted
-- when maximising); for the ratio objectives it acts on the scaled
-- weights, i.e. the ratio is taken with Sigma + gamma I as the risk.
-- Defaults (the spec's) are filled in, so the object shows what applies.
X.MinVolatility = objective("MinVolatility", { l2_reg = "number" })
X.MaxSharpeRatio = objective("MaxSharpeRatio", { risk_free_rate = "number", l2_reg = "number" },
                             { risk_free_rate = 0.02 })
X.MeanVariance = objective("MeanVariance", { risk_aversion = "number", l2_reg = "number" }, { risk_aversion = 1 })
X.TargetReturn = objective("TargetReturn", { target_return = "number", l2_reg = "number" })
X.TargetVolatility = objective("TargetVolatility", { target_vol = "number", l2_reg = "number" })
X.RiskParity = objective("RiskParity", { budgets = "table" })
X.MaxDiversification = objective("MaxDiversification", { l2_reg = "number" })
-- (ExposureUniverse is defined below)

local CONSTRAINTS = {
  bounds = "table", min_weights = "table", max_weights = "table", budget = "number|boolean", categories = "table",
  category_limits = "table", max_total_notional = "number|boolean", max_volatility = "number|boolean",
  benchmark = "table", max_tracking_error = "number|boolean", min_exposures = "number|boolean",
  max_exposures = "number|boolean", min_position = "number|boolean", max_concentration = "number|boolean",
  leveraged = "table", max_leverage_exposures = "number|boolean", max_correlation_pairs = "number|boolean",
  current_weights = "table", transaction_costs = "number|table", max_turnover = "number|boolean",
  max_cvar = "number|boolean", scenarios = "table", scenario_probabilities = "table", cvar_alpha = "number",
  defaults = "boolean",
}

-- The spec's defaults (ExposureConstraints of the exposure-optimizer
-- spec): each applies unless set to false (or replaced by a number);
-- defaults = false turns them all off at once. docs/exposure_optimizer.md
-- lists them in one table.
X.CONSTRAINT_DEFAULTS = {
  max_total_notional = 1.5, max_leverage_exposures = 0.5, min_exposures = 3, max_exposures = 10,
  max_concentration = 0.4, max_correlation_pairs = 0.8,
}

local COUNTS = { min_exposures = true, max_exposures = true }

X.ExposureConstraints = check.entry(function(o)
  check.options(o, "ExposureConstraints", CONSTRAINTS)
  local c = { kind = "ExposureConstraints" }
  for k, v in pairs(o or {}) do c[k] = v end
  for k, v in pairs(c) do
    if v == true and k ~= "defaults" and k ~= "budget" then
      fail("ExposureConstraints: %s must be a number or false (got true)", k)
    end
    if COUNTS[k] and v and (math.type(v) ~= "integer" and v ~= math.floor(v) or v < 0) then
      fail("ExposureConstraints: %s must be a whole number >= 0 (got %s)", k, tostring(v))
    end
  end
  if c.budget == true then fail("ExposureConstraints: budget must be a number or false (got true)") end
  local on = c.defaults ~= false
  c.defaults = nil
  for k, v in pairs(X.CONSTRAINT_DEFAULTS) do
    if c[k] == nil then c[k] = on and v or false end
  end
  return setmetatable(c, Constraints)
end)

-- constraints as given to a mode: nil is ExposureConstraints{} (the
-- spec's defaults), a plain table goes through ExposureConstraints
function X.constraints_of(c)
  if c == nil then return X.ExposureConstraints {} end
  if type(c) == "table" and c.kind == "ExposureConstraints" then return c end
  return X.ExposureConstraints(c)
end

-- Options keyed by exposure name may only name exposures of the list.
local function check_names(c, names, fn)
  local seen = {}
  for i, e in ipairs(names) do
    if type(e) ~= "string" then fail("%s: exposures[%d] must be a name (a string, got %s)", fn, i, math.type(e) or type(e)) end
    if seen[e] then fail("%s: exposures names '%s' twice", fn, e) end
    seen[e] = true
  end
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

-- Limits that contradict each other outright. A weight's minimum above
-- its maximum cannot be built as a model (its column bounds cross): it is
-- an infeasible result, with both limits named, and no solve. Every other
-- conflict (minimums above the budget, a category against its members,
-- the counts) is the solve's to find and the conflict search's to name,
-- in the user's own limits, with status "infeasible" as the contract has
-- it (exit code 3), not an error.
local function contradiction(names, p, c, fn)
  for i, e in ipairs(names) do
    if p.lo[i] > p.hi[i] then
      return { message = ("infeasible: %s conflicts with %s"):format(p.lo_by[i], p.hi_by[i]),
               groups = { p.lo_by[i], p.hi_by[i] } }
    end
  end
  if c.category_limits then
    local cats = c.categories or {}
    for cat in pairs(c.category_limits) do
      local any = false
      for _, e in ipairs(names) do if cats[e] == cat then any = true end end
      if not any then fail((fn .. ": category '%s' has a limit but no exposure"):format(cat)) end
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
  -- the rate the ratio is taken over: the objective's for MaxSharpe, 0 for
  -- the objectives that take none
  if self.sharpe_ratio then
    figures[#figures + 1] = ("Sharpe (rf %g%%) %.4f"):format(100 * (self.risk_free_rate or 0), self.sharpe_ratio)
  end
  if self.diversification_ratio then figures[#figures + 1] = ("diversification %.3f"):format(self.diversification_ratio) end
  -- the scenarios' CVaR is a loss over one scenario period (often a
  -- month), unlike the annual return and volatility beside it
  if self.cvar then
    figures[#figures + 1] = ("CVaR %g%% %.4f%% (a loss over one scenario period)"):format(
      100 * (self.cvar_alpha or 0.95), pct(self.cvar))
  end
  out[#out + 1] = table.concat(figures, "  ")
  -- risk share: each exposure's part of the volatility, summing to 100
  local rc, vol = self.risk_contributions, self.volatility
  if not (vol and vol > 0) then rc = nil end
  local rows = {}
  for _, e in ipairs(self.exposures) do
    rows[#rows + 1] = { e, 100 * results.clean(self.weights[e]), rc and 100 * results.clean(rc[e] / vol) or nil }
  end
  table.sort(rows, function(a, b) return a[2] > b[2] end)
  out[#out + 1] = require("folio.report").grid(rc and { "exposure", "weight %", "risk share %" }
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
    for t = 1, self.periods do
      local d = self.dates and self.dates[t]
      cols[#cols + 1] = type(d) == "string" and d .. " %" or ("period %d %%"):format(t)
    end
    for i, e in ipairs(self.exposures) do
      rows[i] = { e }
      for t = 1, self.periods do rows[i][t + 1] = 100 * results.clean(self.weights[t][e]) end
    end
    out[#out + 1] = require("folio.report").grid(cols, rows)
    if self.turnover then
      out[#out + 1] = ("Turnover %.4f%%  costs %.4f%%"):format(100 * self.turnover, 100 * self.costs)
    end
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

-- mp[t] is the result of the t-th date, so ipairs(mp) walks the dates (the
-- spec's list of results); #mp counts them
Multi.__index = function(t, k)
  if math.type(k) == "integer" then
    local rs = rawget(t, "results")
    return rs and rs[k]
  end
  return Multi[k]
end
Multi.__len = function(t) return #(rawget(t, "results") or {}) end

---------------------------------------------------------------------------
-- the optimizer
---------------------------------------------------------------------------
local Opt = {}
Opt.__index = Opt

-- folio.ExposureOptimizer{risk_estimator =, return_estimator =, returns =,
-- solve = {QP options}, node_limit =}: with the estimators and a returns
-- table, optimize{estimation_date = "YYYY-MM-DD"} estimates mu and cov
-- from the rows dated on or before that date (the spec's
-- ExposureOptimizer(risk_estimator, return_estimator)), and
-- optimize_multiperiod{rebalance_dates = {...}} does so at every date.
X.ExposureOptimizer = check.entry(function(o)
  check.options(o, "ExposureOptimizer", { solve = "table", risk_estimator = "table", return_estimator = "table",
                                          returns = "table", node_limit = "number" })
  o = o or {}
  if (o.risk_estimator or o.return_estimator) and not o.returns then
    fail("ExposureOptimizer: the estimators need returns (a returns table, e.g. folio.returns(prices))")
  end
  local self = setmetatable({ options = o, risk_estimator = o.risk_estimator, return_estimator = o.return_estimator,
                              returns = o.returns }, Opt)
  return self
end)

-- the estimates as of date (a "YYYY-MM-DD" string): {cov = risk, mu = ret}
-- from the optimizer's estimators over its returns, rows up to that date
function Opt:estimates(date, fn)
  if type(date) ~= "string" then fail("%s: estimation_date must be a date string \"YYYY-MM-DD\" (got %s)", fn, type(date)) end
  if not self.risk_estimator then
    fail("%s: estimation_date needs an optimizer with estimators: "
         .. "folio.ExposureOptimizer{risk_estimator =, return_estimator =, returns =}", fn)
  end
  local function as_of(est)
    local copy = setmetatable({}, getmetatable(est))
    for k, v in pairs(est) do copy[k] = v end
    copy.as_of = date
    return copy
  end
  local risk = as_of(self.risk_estimator):estimate(self.returns)
  local ret = self.return_estimator and as_of(self.return_estimator):estimate(self.returns) or nil
  return { cov = risk, mu = ret, risk = risk }
end

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
  if kind == "MaxSharpeRatio" then
    -- the ratio optimised is net of trading costs
    return res.costs and res.volatility > 0 and res.sharpe_ratio - res.costs / res.volatility or res.sharpe_ratio
  end
  if kind == "MaxDiversification" then return res.diversification_ratio end
  if kind == "MinVolatility" or kind == "TargetReturn" or kind == "RiskParity" then return res.volatility end
  return r.objective
end


-- A single-period rebalance from current_weights, from the weights
-- themselves: turnover sum |w - w0|, the costs sum c_i |w_i - w0_i| and
-- the expected return net of them (what target_return and the return
-- objectives hold; expected_return stays the weights' gross return).
-- sum |w - before| and sum c_i |w_i - before_i| (before by index)
local function trades(names, wv, before, tc)
  local turnover, costs = 0, 0
  for i, e in ipairs(names) do
    local d = math.abs(wv[i] - before[i])
    turnover, costs = turnover + d, costs + EM.cost_rate(tc, e) * d
  end
  return turnover, costs
end

local function trading_of(res, c, names, wv)
  local w0, tc = c.current_weights, c.transaction_costs
  if not (w0 and (tc or c.max_turnover)) then return end
  local before = {}
  for i, e in ipairs(names) do before[i] = w0[e] or 0 end
  res.turnover, res.costs = trades(names, wv, before, tc)
  res.net_return = res.expected_return - res.costs
end

-- the scenarios' tail of the weights: CVaR, VaR and the level they are at
local function tail_of(res, S, prob, wv, alpha)
  res.cvar, res.var = cvar_of(S, prob, wv, alpha)
  res.cvar_alpha = alpha
end

-- Fills the result's weights, returns, risk decomposition and ratios from
-- the weights wv (aligned with names).
function Opt.describe(res, names, mu, cov, wv)
  local n = #names
  res.weights = {}
  for i, e in ipairs(names) do res.weights[e] = wv[i] end
  -- risk decomposition: RC_i = w_i (Sigma w)_i / sigma, summing to sigma;
  -- Sigma w and the correlations (n^2 each) in C
  local sw, corr = folio.core_stats.describe(cov, wv, names)
  local var = 0
  for i = 1, n do var = var + wv[i] * sw[i] end
  local vol = math.sqrt(math.max(var, 0))
  local er = 0
  for i = 1, n do er = er + mu[i] * wv[i] end
  res.expected_return, res.volatility = er, vol
  -- what is not invested (1 - sum w) earns the risk-free rate, so the
  -- excess return is mu'w - rf sum w: MaxSharpeRatio's own ratio
  local sum = 0
  for i = 1, n do sum = sum + wv[i] end
  res.sharpe_ratio = vol > 0 and (er - res.risk_free_rate * sum) / vol or nil
  res.risk_contributions, res.correlation_matrix = {}, corr
  local wsig = 0
  for i, e in ipairs(names) do
    res.risk_contributions[e] = vol > 0 and wv[i] * sw[i] / vol or 0
    wsig = wsig + math.abs(wv[i]) * math.sqrt(cov[i][i])
  end
  res.diversification_ratio = vol > 0 and wsig / vol or nil
end


-- RiskParity: risk contributions equal to the budgets (default equal) on
-- the held set, within the weight limits (folio.exposure_parity).
function Opt:risk_parity(p)
  local names = p.names
  -- cov must be positive semidefinite: folio.exposure_parity checks it in C
  local t0 = folio.now()
  local out, why
  if not p.contradiction then out, why = require("folio.exposure_parity").risk_parity(p) end
  local stats = { solver = "newton", iterations = out and out.iterations, time = folio.now() - t0 }
  local res = new_result(names, { solver_stats = stats, shadow_prices = {} })
  if not out then
    local explained = EM.explain(p)
    res.message, res.conflicts = explained and explained.message or ("infeasible: " .. why),
                                 explained and explained.groups or nil
    return settle(res, "infeasible", nil, stats)
  end
  res.active_constraints = { "budget" }
  for _, a in ipairs(out.active) do res.active_constraints[#res.active_constraints + 1] = a end
  Opt.describe(res, names, p.mu, p.cov, out.w)
  return settle(res, "optimal", res.volatility, stats)
end

local TIGHT = { feastol = 1e-10, reltol = 1e-10, abstol = 1e-14 }
local RELAX = { feastol = 1e-9, reltol = 1e-9, abstol = 1e-13 }
local LP = { solver = "glpk", method = "simplex" }

-- a solve, with one retry at the solver's default tolerances: a thin
-- feasible set (a CVaR limit near its minimum) or thousands of scenario
-- rows can leave the residuals just above 1e-10 for good
local function solve_model(self, m)
  local opts = self.options.solve
  if not opts then
    -- a linear model (the scenario LPs of min_cvar and max_return): GLPK's
    -- primal simplex. The automatic choice takes Clp for their long rows,
    -- which was 8-20x slower on 20 exposures x 4,000-10,000 scenarios
    -- (docs/benchmarks.md, "CVaR as a limit")
    local st = m:stats()
    opts = (st.quadratic == 0 and st.cones == 0) and LP or TIGHT
  end
  local r = m:solve(opts)
  if (r.status == "numerical_error" or r.status == "iteration_limit") and not self.options.solve then
    return m:solve(), true
  end
  return r, false
end

-- the continuous problem of one node of the held-set search (fix by
-- index; nil: no fixings): r, ctx, retried, weights (aligned with names)
local function solve_node(self, p, fix)
  local byname
  if fix then
    byname = {}
    for i, v in pairs(fix) do byname[p.names[i]] = v end
  end
  local ctx = EM.build(p, "solve", nil, byname)
  local r, retried = solve_model(self, ctx.m)
  local wv
  if r.has_solution then
    local k = ctx.kappa and r:value(ctx.kappa) or 1
    wv = {}
    for i, e in ipairs(p.names) do wv[i] = r:value(ctx.w[e]) / k end
  end
  return r, ctx, retried, wv
end

-- the fixings every portfolio obeys: a positive minimum weight is held, a
-- maximum below min_position is not
local function root_fix(p)
  local fix = {}
  for i = 1, #p.names do
    if p.hi[i] < math.max(p.hold.minpos, 1e-300) then fix[i] = "out"
    elseif p.lo[i] > 0 then fix[i] = "in" end
  end
  return fix
end

-- maximised objectives are searched as minimisations of -objective
local MAXIMISED = { MeanVariance = true, TargetVolatility = true, MaxReturn = true, Robust = true }

-- The relaxation of the held-set search's nodes, built once with every
-- exposure free and re-solved per node with the node's fixings as bounds
-- (m:set_bounds), which is the model a node would build for itself:
--   out: w, z (and u = kappa z, the perspective's t) fixed at 0; the
--        perspective's cone is then a constant and leaves the problem
--   in:  z fixed at 1 (under kappa the row u <= kappa becomes u = kappa)
-- Returns relax(fix) -> the value (minimised), weights, z, status.
local function relaxer(self, p)
  local names = p.names
  local sense = MAXIMISED[p.obj.kind] and -1 or 1
  local ctx = EM.build(p, "relax", nil, {})
  local m = ctx.m
  local state = {}   -- the fixing each exposure's bounds say now (nil: free)
  local function set(i, f)
    local e = names[i]
    local out = f == "out"
    m:set_bounds(ctx.w[e], out and 0 or ctx.w_lb[e], out and 0 or ctx.w_ub[e])
    m:set_bounds(ctx.zvar[e], f == "in" and 1 or 0, out and 0 or 1)
    if ctx.t then m:set_bounds(ctx.t[e], 0, out and 0 or math.huge) end
    if ctx.u then
      m:set_bounds(ctx.u[e], 0, out and 0 or math.huge)
      m:set_bounds(ctx.u_row[e], f == "in" and 0 or -math.huge, 0)
    end
    state[i] = f
  end
  -- the rows over several exposures' u: lifted where the node's fixings
  -- imply them (EM.relaxed_holdings says why)
  local rows_on = {}
  local function row(name, on, lo, hi)
    if name and rows_on[name] ~= on then
      m:set_bounds(name, on and lo or -math.huge, on and hi or math.huge)
      rows_on[name] = on
    end
  end
  return function(fix)
    for i = 1, #names do if state[i] ~= fix[i] then set(i, fix[i]) end end
    if ctx.u_rows then
      local free = false
      for i = 1, #names do if fix[i] == nil then free = true break end end
      row(ctx.u_rows.max, free, -math.huge, 0)
      row(ctx.u_rows.min, free, 0, math.huge)
      for k, c in ipairs(p.hold.cliques) do
        local held = false
        for _, i in ipairs(c) do if fix[i] == "in" then held = true break end end
        row(ctx.u_rows.clique[k], not held, -math.huge, 0)
      end
    end
    -- a bound needs its value only to the search's gap (1e-7)
    local r = m:solve(self.options.solve or RELAX)
    if (r.status == "numerical_error" or r.status == "iteration_limit") and not self.options.solve then
      r = m:solve()
    end
    if not r.has_solution then return nil, nil, nil, r.status end
    local k = ctx.kappa and r:value(ctx.kappa) or 1
    local wv, zv = {}, {}
    for i, e in ipairs(names) do wv[i], zv[i] = r:value(ctx.w[e]) / k, r:value(ctx.z[e]) end
    return sense * r.objective, wv, zv, r.status
  end
end

-- what run returns when the limits contradict each other (no solve)
local function contradicted()
  return { status = "infeasible", has_solution = false, solver = "none", iterations = 0 }, nil, nil,
         { status = "infeasible" }
end

-- The solve of optimize: r, ctx, weights, stats (retried, nodes, proven,
-- status, message). Without holdings limits, one continuous solve. With
-- them, the continuous relaxation first: when its optimum keeps the
-- limits, it is the answer. Otherwise the search over held sets
-- (folio.exposure_holdings) with perspective relaxations, whose best held
-- set's continuous solve gives the weights and the duals.
local function run(self, p)
  if p.contradiction then return contradicted() end
  local h = p.hold
  if not h then
    local r, ctx, retried, wv = solve_node(self, p, nil)
    return r, ctx, wv, { retried = retried }
  end
  local n, fix = #p.names, root_fix(p)
  local retried = false
  local r, ctx, rt, wv = solve_node(self, p, fix)
  retried = rt
  if not r.has_solution or not H.broken(h, wv, fix, n) then
    return r, ctx, wv, { retried = retried, nodes = 1, proven = r.has_solution or nil }
  end
  local sense = MAXIMISED[p.obj.kind] and -1 or 1
  local last = r
  local function exact(f)
    local r2, c2, rt2, w2 = solve_node(self, p, f)
    retried = retried or rt2
    if not r2.has_solution then return nil, nil, r2.status end
    return sense * r2.objective, w2, r2.status, { r = r2, ctx = c2 }
  end
  -- the perspective's matrix and diagonal (folio.exposure_persp; none,
  -- so the plain relaxation, when the covariance is singular). With correlated
  -- cliques there are two valid relaxations: S itself, and S with the
  -- correlations inside each clique raised as far as it stays PSD, which
  -- is tight where held sets tie but leaves less to the diagonal. The
  -- root is solved under both; the search takes the raised one when it
  -- closes at least half of the root's gap to the better of the two
  -- roundings, and reuses the root's solve as its first node.
  local PS = require "folio.exposure_persp"
  local A0, D0 = PS.diagonal(p.cov, n, nil)
  p.persp_M, p.persp = A0, D0
  local relax_node = relaxer(self, p)
  local root_key, root_out, start
  local function key(f)
    local k = {}
    for i = 1, n do k[i] = f[i] == "in" and "1" or f[i] == "out" and "0" or "-" end
    return table.concat(k)
  end
  if #h.cliques > 0 then
    local A1, D1 = PS.diagonal(p.cov, n, h.cliques)
    local rf = {}
    for i, v in pairs(fix) do rf[i] = v end
    if A1 and H.propagate(h, rf, n) then
      local out0 = { relax_node(rf) }
      p.persp_M, p.persp = A1, D1
      local relax1 = relaxer(self, p)
      local out1 = { relax1(rf) }
      local inc = math.huge
      for _, o in ipairs { out0, out1 } do
        local S = o[1] ~= nil and H.round(h, o[2], rf, n)
        if S then
          local ev, ewv, _, extra = exact(S)
          if ev and ev < inc then inc, start = ev, { value = ev, wv = ewv, fix = S, extra = extra } end
        end
      end
      if out1[1] ~= nil and (out0[1] == nil or (inc < math.huge and inc - out1[1] <= 0.5 * (inc - out0[1]))) then
        root_out, relax_node = out1, relax1
      else
        p.persp_M, p.persp, root_out = A0, D0, out0
      end
      root_key = key(rf)
    end
  end
  local function relax(f)
    local v, w2, z2, st
    if root_out and key(f) == root_key then
      v, w2, z2, st = table.unpack(root_out, 1, 4)
      root_out = nil
    else
      v, w2, z2, st = relax_node(f)
    end
    if v == nil then last = { status = st } end
    return v, w2, z2, st
  end
  local score = function(i)
    local a = p.obj.kind == "MaxSharpeRatio" and p.mu[i] - (p.obj.risk_free_rate or 0) or p.mu[i]
    return a / math.sqrt(p.cov[i][i] + 1e-300)
  end
  local out = H.search { h = h, n = n, root = fix, relax = relax, exact = exact, score = score,
                         node_limit = self.options.node_limit, start = start }
  local stats = { retried = retried, nodes = out.nodes + 1, proven = out.proven }
  if out.best then
    stats.status = out.proven and "optimal" or "feasible"
    if not out.proven then
      stats.message = ("the search over held sets stopped after %d nodes without proving this portfolio optimal")
        :format(out.nodes)
    end
    return out.best.extra.r, out.best.extra.ctx, out.best.wv, stats
  end
  -- no held set holds a portfolio: the limits decide (no_solution)
  stats.status = out.proven and "infeasible" or (last.status ~= "optimal" and last.status or "numerical_error")
  return nil, nil, nil, stats
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

-- Binding limits and their shadow prices (the duals of the solve that
-- produced the weights), in the user's terms: d(objective)/d(limit), with
-- the objective as the result reports it. The QP's duals are converted:
--   MaxSharpeRatio, MaxDiversification: the scaled problem's value is
--     f = 1/ratio^2 and its limit rows are a'y <= b kappa, so
--     d ratio/d b = -1/2 f^(-3/2) kappa dual;
--   MinVolatility, TargetReturn: f is the variance (plus the L2 term) and
--     the objective sqrt(f), so d sigma/d b = dual / (2 sqrt(f));
--   the others optimise their objective itself.
-- Per-exposure bounds of a plain solve are column bounds: their price is
-- the column's reduced cost. Holdings limits (min_position, the counts)
-- are listed when they bind, without a price (they are combinatorial).
local FORMULATION = { split = true, excess_return = true, trade = true, cvar_loss = true, held_min = true,
                      robust_split = true, robust_abs_up = true, robust_abs_down = true, not_held = true,
                      hold = true }

local function price_scale(r, ctx, kind)
  if ctx.kappa then
    local f, k = r.objective, r:value(ctx.kappa)
    return function(d) return -0.5 * f ^ -1.5 * k * d end
  end
  if kind == "MinVolatility" or kind == "TargetReturn" then
    local f = r.objective
    return function(d) return f > 0 and d / (2 * math.sqrt(f)) or d end
  end
  return function(d) return d end
end

-- risk limits held as rows risk <= limit^2 (the tracking error's less
-- b'Sigma b, moved to the right): a dual per unit of variance, times
-- d(limit^2)/d(limit) = 2 limit for a price per unit of the limit. In the
-- scaled problems (kappa) they are cones on the limit itself.
local function squared_limit(name, c, obj)
  if name == "max_volatility" then return c.max_volatility end
  if name == "max_tracking_error" then return c.max_tracking_error end
  if name == "target_volatility" then return obj.target_vol end
end

local function binding(res, r, ctx, wv, c, cov, names)
  res.active_constraints, res.shadow_prices = {}, {}
  local fix = ctx.fix
  local conv = price_scale(r, ctx, ctx.obj.kind)
  local prefix = ctx.prefix or ""
  local function add(name, dual)
    res.active_constraints[#res.active_constraints + 1] = name
    if dual then res.shadow_prices[name] = conv(dual) + 0.0 end
  end
  for _, row in ipairs(r:rows()) do
    if row.name:sub(1, #prefix) == prefix then
      local full = row.name:sub(#prefix + 1)
      local lim = (row.upper ~= math.huge and row.activity >= (row.lower + row.upper) / 2) and row.upper or row.lower
      local name = full:match("^[^%[]+")
      -- an exposure the held-set search fixed out is 0 by its not_held
      -- row: its own bounds bind only degenerately (a split dual)
      local e = full:match("%[(.*)%]$")
      if lim ~= math.huge and lim ~= -math.huge and not FORMULATION[name] and not name:find("%.f$")
         and not (e and fix and fix[e] == "out")
         and math.abs(row.activity - lim) <= 1e-6 * (1 + math.abs(lim)) then
        -- max_cvar binds only if the weights' true CVaR is at the limit
        if name ~= "max_cvar" or res.cvar >= c.max_cvar - 1e-6 * (1 + math.abs(c.max_cvar)) then
          local sq = not ctx.kappa and squared_limit(name, c, ctx.obj)
          add(full, row.dual and (sq and 2 * sq * row.dual or row.dual))
        end
      end
    end
  end
  -- bounds held as column bounds (no kappa, no conflict search)
  if not ctx.kappa then
    local minpos = ctx.hold and ctx.hold.minpos or 0
    for i, e in ipairs(names) do
      local f = fix and fix[e]
      if f ~= "out" then
        local v = wv[i]
        local lo = f == "in" and math.max(ctx.lo[i], minpos) or ctx.lo[i]
        local hi = ctx.hi[i]
        local near = function(b) return b ~= math.huge and b ~= -math.huge and math.abs(v - b) <= 1e-6 * (1 + math.abs(b)) end
        local rc = r.has_duals and r:reduced_cost(ctx.w[e]) or nil
        if near(hi) then add(("max_weight[%s]"):format(e), rc)
        elseif near(lo) and f == "in" and lo > ctx.lo[i] then add(("min_position[%s]"):format(e))
        elseif near(lo) then add(("min_weight[%s]"):format(e), rc) end
      end
    end
  elseif fix then
    local minpos = ctx.hold and ctx.hold.minpos or 0
    for i, e in ipairs(names) do
      if fix[e] == "in" and minpos > ctx.lo[i] and math.abs(wv[i] - minpos) <= 1e-6 then
        add(("min_position[%s]"):format(e))
      end
    end
  end
  -- the holdings counts, when the weights hold as many as they allow
  local h = ctx.hold
  if h then
    local held = 0
    for i = 1, #names do if wv[i] > H.EPS then held = held + 1 end end
    if h.max and held == h.max then add("max_exposures") end
    if h.min and held == h.min then add("min_exposures") end
  end
  -- the ratio objectives hold their risk limits as cones, judged on the weights
  if ctx.kappa then
    local function cone_binds(name, value, limit)
      if limit and value >= limit * (1 - 1e-6) then add(name, r:dual(name)) end
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

local OPTIMIZE = { exposures = "table", objective = "table", constraints = "table", mu = "table", cov = "table",
                   estimation_date = "string" }
local NEEDS_MU = { MaxSharpeRatio = true, MeanVariance = true, TargetReturn = true, TargetVolatility = true }
NEEDS_MU_EVAL = { MaxSharpeRatio = true, MeanVariance = true, TargetVolatility = true }

-- the checked inputs of optimize: p for folio.exposure_model
local function inputs(self, a)
  if type(a) ~= "table" then fail("optimize: expected a table of arguments") end
  check.options(a, "optimize", OPTIMIZE)
  if a.estimation_date then
    if a.mu or a.cov then
      fail("optimize: give estimation_date or mu and cov, not both (mu and cov are estimates already)")
    end
    local est = self:estimates(a.estimation_date, "optimize")
    local b = {}
    for k, v in pairs(a) do b[k] = v end
    b.estimation_date, b.mu, b.cov = nil, est.mu, est.cov
    local p = inputs(self, b)
    p.estimation_date = a.estimation_date
    return p
  end
  local names = a.exposures
  if type(names) ~= "table" or #names == 0 then fail("optimize: exposures must be a non-empty list of names") end
  local n = #names
  local obj = a.objective or X.MinVolatility {}
  local c = X.constraints_of(a.constraints)
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
  local i, j = folio.core_stats.asymmetric(cov)
  if i then
    fail("optimize: cov is not symmetric: cov['%s']['%s'] = %s but cov['%s']['%s'] = %s", names[i], names[j],
      results.number(cov[i][j]), names[j], names[i], results.number(cov[j][i]))
  end
  if obj.kind == "TargetReturn" and type(obj.target_return) ~= "number" then fail("optimize: TargetReturn needs target_return") end
  if obj.kind == "TargetVolatility" and type(obj.target_vol) ~= "number" then fail("optimize: TargetVolatility needs target_vol") end
  local l2 = obj.l2_reg
  if l2 ~= nil and not (l2 >= 0 and l2 < math.huge) then fail("optimize: l2_reg must be a finite number >= 0") end
  local known = { MinVolatility = 1, MaxSharpeRatio = 1, MeanVariance = 1, TargetReturn = 1, TargetVolatility = 1,
                  RiskParity = 1, MaxDiversification = 1, MinCVaR = 1 }
  if not known[obj.kind] then fail("optimize: unknown objective %s", tostring(obj.kind)) end
  local p = X.limits_of(names, mu, cov, c, obj, "optimize")
  if obj.kind == "MaxDiversification" then
    -- sum |w_i| sigma_i / sigma is not the signed sigma'w the transform
    -- maximises once a weight can go short
    for i, e in ipairs(names) do
      if p.lo[i] < 0 then
        fail("optimize: MaxDiversification needs long-only weights, but %s lets %s go short", p.lo_by[i], e)
      end
    end
  end
  return p
end

-- The checked limits of constraints c over names: p for
-- folio.exposure_model (bounds, holdings, benchmark, CVaR scenarios).
function X.limits_of(names, mu, cov, c, obj, fn)
  local p = { names = names, mu = mu, cov = cov, c = c, obj = obj, pos = {} }
  for i, e in ipairs(names) do p.pos[e] = i end
  p.lo, p.hi, p.lo_by, p.hi_by = EM.bounds_of(names, c)
  p.contradiction = contradiction(names, p, c, fn or "optimize")
  p.hold = EM.holdings_of(names, cov, c, p.lo, p.hi, fn)
  if obj.kind == "RiskParity" then return p end
  if c.max_tracking_error and c.benchmark then p.benchmark = align.vector(c.benchmark, names, fn, "benchmark") end
  if c.max_cvar then
    local alpha = c.cvar_alpha or 0.95
    if not (alpha > 0 and alpha < 1) then fail("%s: cvar_alpha must be in (0, 1)", fn) end
    local S, prob = scenario_rows(c.scenarios, c.scenario_probabilities, names, fn .. ": max_cvar")
    p.cvar = { S = S, prob = prob, alpha = alpha, limit = c.max_cvar }
  elseif c.scenarios or c.scenario_probabilities or c.cvar_alpha then
    fail("%s: scenarios, scenario_probabilities and cvar_alpha go with max_cvar", fn)
  end
  return p
end

-- opt:optimize{exposures =, objective =, constraints =, mu =, cov =}
function Opt:optimize(a)
  local p = inputs(self, a)
  local names, obj, c = p.names, p.obj, p.c
  if obj.kind == "RiskParity" then return self:risk_parity(p) end
  local t0 = folio.now()
  local r, ctx, wv, how = run(self, p)
  r = r or { status = how.status, has_solution = false, solver = "qp" }
  local stats = { solver = r.solver, iterations = r.iterations, time = folio.now() - t0,
                  retried_at_default_tolerance = how.retried or nil, nodes = how.nodes }
  local res = new_result(names, { solver_stats = stats, result = r, risk_free_rate = obj.risk_free_rate or 0,
                                  estimation_date = p.estimation_date })
  if not wv then
    local word = no_solution(res, p, { status = how.status or r.status })
    return settle(res, word, nil, stats)
  end
  Opt.describe(res, names, p.mu, p.cov, wv)
  trading_of(res, c, names, wv)
  if p.cvar then tail_of(res, p.cvar.S, p.cvar.prob, wv, p.cvar.alpha) end
  binding(res, r, ctx, wv, c, p.cov, names)
  if how.message then res.message = how.message end
  return settle(res, how.status or r.status, objective_of(obj.kind, res, r), stats)
end


---------------------------------------------------------------------------
-- scenario mode: CVaR (Rockafellar and Uryasev)
---------------------------------------------------------------------------
-- opt:optimize_with_scenarios{exposures =, scenarios = {{r_1..r_n}, ...},
--   probabilities = (default equal), alpha = 0.95, mu = (default: the
--   scenario mean), objective = "min_cvar" | "max_return",
--   max_cvar = (with max_return), constraints = ExposureConstraints{...}}
-- CVaR_alpha(w) = min_z z + 1/(1 - alpha) sum_s p_s max(0, -r_s'w - z):
-- an LP with a variable u_s >= -r_s'w - z, u_s >= 0 per scenario, under
-- every limit of the constraints (the spec's defaults included). The
-- correlations of max_correlation_pairs are the scenarios' own.
local SCENARIO_ARGS = { exposures = "table", scenarios = "table", probabilities = "table", alpha = "number",
                        mu = "table", objective = "string", max_cvar = "number", constraints = "table" }
function Opt:optimize_with_scenarios(a)
  check.options(a, "optimize_with_scenarios", SCENARIO_ARGS)
  local fn = "optimize_with_scenarios"
  local names = a.exposures
  if type(names) ~= "table" or #names == 0 then fail("optimize_with_scenarios: exposures required") end
  local n = #names
  local alpha = a.alpha or 0.95
  if not (type(alpha) == "number" and alpha > 0 and alpha < 1) then
    fail("optimize_with_scenarios: alpha must be in (0, 1)")
  end
  local S, prob = scenario_rows(a.scenarios, a.probabilities, names, fn)
  local ns = #S
  local mean = {}
  for i = 1, n do
    local m = 0
    for s = 1, ns do m = m + prob[s] * S[s][i] end
    mean[i] = m
  end
  local mu = a.mu and align.vector(a.mu, names, fn, "mu") or mean
  -- the scenarios' covariance (for the correlation pairs)
  local cov = {}
  for i = 1, n do
    cov[i] = {}
    for j = 1, n do
      local v = 0
      for s = 1, ns do v = v + prob[s] * (S[s][i] - mean[i]) * (S[s][j] - mean[j]) end
      cov[i][j] = v
    end
  end
  local kind = a.objective or "min_cvar"
  if kind ~= "min_cvar" and kind ~= "max_return" then
    fail(("optimize_with_scenarios: objective must be \"min_cvar\" or \"max_return\", got %s"):format(tostring(kind)))
  end
  if kind == "max_return" and type(a.max_cvar) ~= "number" then fail("optimize_with_scenarios: max_return needs max_cvar") end
  local c = X.constraints_of(a.constraints)
  check_names(c, names, fn)
  if c.max_cvar or c.scenarios then
    fail("optimize_with_scenarios: the scenarios and max_cvar are its own arguments, not constraints")
  end
  local p = X.limits_of(names, mu, cov, c, { kind = kind == "min_cvar" and "MinCVaR" or "MaxReturn" }, fn)
  p.cvar = { S = S, prob = prob, alpha = alpha, limit = a.max_cvar }
  if kind == "max_return" then
    -- the CVaR limit as one of the limits (the conflict search names it)
    local cc = {}
    for k, v in pairs(c) do cc[k] = v end
    cc.max_cvar = a.max_cvar
    c, p.c = cc, cc
  end
  local t0 = folio.now()
  local r, ctx, wv, how = run(self, p)
  r = r or { status = how.status, has_solution = false, solver = "glpk" }
  local stats = { solver = r.solver, iterations = r.iterations, time = folio.now() - t0, nodes = how.nodes }
  local res = new_result(names, { solver_stats = stats, result = r })
  if not wv then
    return settle(res, no_solution(res, p, { status = how.status or r.status }), nil, stats)
  end
  res.weights = {}
  for i, e in ipairs(names) do res.weights[e] = wv[i] end
  tail_of(res, S, prob, wv, alpha)
  res.expected_return = 0
  for i = 1, n do res.expected_return = res.expected_return + mu[i] * wv[i] end
  binding(res, r, ctx, wv, c, cov, names)
  -- the CVaR minimised, or the expected return maximised
  return settle(res, how.status or r.status, kind == "min_cvar" and res.cvar or res.expected_return, stats)
end

---------------------------------------------------------------------------
-- robust mode: uncertainty in the expected returns
---------------------------------------------------------------------------
-- opt:optimize_robust{exposures =, mu =, cov =, risk_aversion = 1,
--   uncertainty = {mu = <set>, cov = <set>} (the spec's uncertainty_sets,
--     per parameter; a bare {kind = ...} is the set of mu),
--   constraints = ExposureConstraints{...}}
-- maximises the worst case of mu'w - (l/2) w'Sw over the sets, under
-- every limit of the constraints. Sets of mu:
--   {kind = "box", delta}:                mu'w - sum delta_i |w_i|
--   {kind = "ellipsoid", kappa, cov_mu}:  mu'w - kappa ||L'w||, cov_mu = LL'
-- Sets of Sigma:
--   {kind = "box", delta = D (matrix, or a number r: D = r |S|)}: every
--   Sigma with |Sigma_ij - S_ij| <= D_ij. The worst variance is
--   w'Sw + |w|'D|w| (Delta_ij = D_ij sign(w_i w_j)): for long-only weights
--   w'(S + D)w, exact when the upper matrix S + D is PSD (then it is the
--   worst PSD matrix of the box too); with shorts, through a = |w| with
--   D PSD. Otherwise the problem is not convex and it is an error.
local ROBUST_ARGS = { exposures = "table", mu = "table", cov = "table", risk_aversion = "number",
                      uncertainty = "table", uncertainty_sets = "table", constraints = "table" }

-- M positive semidefinite (to 1e-12 of its largest entry): M + eps I has
-- a Cholesky factor
local function psd(M, n)
  local big = 0
  for i = 1, n do for j = 1, n do big = math.max(big, math.abs(M[i][j])) end end
  local eps = 1e-12 * math.max(big, 1e-300)
  local L = {}
  for i = 1, n do
    L[i] = {}
    for j = 1, i do
      local v = M[i][j] + (i == j and eps or 0)
      for q = 1, j - 1 do v = v - L[i][q] * L[j][q] end
      if i == j then
        if not (v > 0) then return false end
        L[i][i] = math.sqrt(v)
      else
        L[i][j] = v / L[j][j]
      end
    end
  end
  return true
end

function Opt:optimize_robust(a)
  check.options(a, "optimize_robust", ROBUST_ARGS)
  local fn = "optimize_robust"
  local names = a.exposures
  if type(names) ~= "table" or #names == 0 then fail("optimize_robust: exposures required") end
  local n = #names
  if not a.mu or not a.cov then fail("optimize_robust: mu and cov are required") end
  local mu = align.vector(a.mu, names, fn, "mu")
  local cov = align.matrix(a.cov, names, fn, "cov")
  if a.uncertainty and a.uncertainty_sets then fail("optimize_robust: give uncertainty or uncertainty_sets, not both") end
  local u = a.uncertainty or a.uncertainty_sets
  if type(u) ~= "table" then fail("optimize_robust: uncertainty required: {mu = {kind =, ...}, cov = {kind = \"box\", delta =}}") end
  local umu, ucov
  if u.kind then umu = u
  else
    for k in pairs(u) do
      if k ~= "mu" and k ~= "cov" then fail("optimize_robust: uncertainty sets are for 'mu' and 'cov' (got '%s')", tostring(k)) end
    end
    umu, ucov = u.mu, u.cov
    if not umu and not ucov then fail("optimize_robust: uncertainty needs a set for mu or cov") end
  end
  if umu and umu.kind ~= "box" and umu.kind ~= "ellipsoid" then
    fail("optimize_robust: the set of mu must be {kind = \"box\", delta =} or {kind = \"ellipsoid\", kappa =}")
  end
  if ucov and ucov.kind ~= "box" then fail("optimize_robust: the set of cov must be {kind = \"box\", delta =}") end
  local lambda = a.risk_aversion or 1
  local delta, L, kappa
  if umu and umu.kind == "box" then
    if not umu.delta then fail("optimize_robust: a box needs uncertainty.delta") end
    delta = align.vector(umu.delta, names, fn, "uncertainty.delta")
  elseif umu then
    kappa = umu.kappa or 1
    local Su = umu.cov_mu and align.matrix(umu.cov_mu, names, fn, "uncertainty.cov_mu") or cov
    L = EM.cholesky_lower(Su, n, "optimize_robust: cov_mu")
  end
  local c = X.constraints_of(a.constraints)
  check_names(c, names, fn)
  local p = X.limits_of(names, mu, cov, c, { kind = "Robust" }, fn)
  -- the box of Sigma: D, and the upper matrix S + D
  local D, upper, long_only
  if ucov then
    if type(ucov.delta) == "number" then
      if not (ucov.delta >= 0) then fail("optimize_robust: the cov box's delta must be >= 0") end
      D = {}
      for i = 1, n do
        D[i] = {}
        for j = 1, n do D[i][j] = ucov.delta * math.abs(cov[i][j]) end
      end
    else
      if type(ucov.delta) ~= "table" then fail("optimize_robust: the cov box needs delta (a matrix, or a number: a share of |cov|)") end
      D = align.matrix(ucov.delta, names, fn, "uncertainty.cov.delta")
    end
    for i = 1, n do
      for j = 1, n do
        if not (D[i][j] >= 0) then fail("optimize_robust: uncertainty.cov.delta[%d][%d] must be >= 0", i, j) end
        if math.abs(D[i][j] - D[j][i]) > 1e-12 * (D[i][j] + D[j][i]) then fail("optimize_robust: uncertainty.cov.delta is not symmetric") end
      end
    end
    long_only = true
    for i = 1, n do if p.lo[i] < 0 then long_only = false end end
    if long_only then
      upper = {}
      for i = 1, n do
        upper[i] = {}
        for j = 1, n do upper[i][j] = cov[i][j] + D[i][j] end
      end
      if not psd(upper, n) then
        fail("optimize_robust: the upper matrix cov + delta is not positive semidefinite, so its worst case is not convex; "
             .. "take a smaller delta")
      end
    elseif not psd(D, n) then
      fail("optimize_robust: with short positions the cov box needs a positive semidefinite delta")
    end
  end
  p.objective = function(ctx)
    local m, w = ctx.m, ctx.w
    local worst = ctx.ret
    if delta then
      local lp = m:var("robust_long", names, { lb = 0 })
      local sp = m:var("robust_short", names, { lb = 0 })
      m:st("robust_split", names, function(e) return w[e], "==", lp[e] - sp[e] end)
      worst = worst - folio.sum(names, function(e) return delta[ctx.pos[e]] * (lp[e] + sp[e]) end)
    elseif L then
      local t = m:var("uncertainty", { lb = 0 })
      EM.risk_cone(m, "uncertainty", L, n, function(i) return w[names[i]] end, t)
      worst = worst - kappa * t
    end
    local risk = ctx.risk
    if upper then
      risk = folio.quad(w, upper)
    elseif D then
      local abs = m:var("robust_abs", names, { lb = 0 })
      m:st("robust_abs_up", names, function(e) return abs[e], ">=", w[e] end)
      m:st("robust_abs_down", names, function(e) return abs[e], ">=", -1 * w[e] end)
      risk = folio.quad(w, cov) + folio.quad(abs, D)
    end
    ctx.worst = worst
    m:maximize(worst - (lambda / 2) * risk)
  end
  local t0 = folio.now()
  local r, ctx, wv, how = run(self, p)
  r = r or { status = how.status, has_solution = false, solver = "qp" }
  local stats = { solver = r.solver, iterations = r.iterations, time = folio.now() - t0, nodes = how.nodes }
  local res = new_result(names, { solver_stats = stats, result = r })
  if not wv then
    return settle(res, no_solution(res, p, { status = how.status or r.status }), nil, stats)
  end
  Opt.describe(res, names, mu, cov, wv)
  if p.cvar then tail_of(res, p.cvar.S, p.cvar.prob, wv, p.cvar.alpha) end
  res.worst_case_return = r:value(ctx.worst)
  if D then
    local v = res.volatility ^ 2
    for i = 1, n do for j = 1, n do v = v + D[i][j] * math.abs(wv[i] * wv[j]) end end
    res.worst_case_volatility = math.sqrt(v)
  end
  binding(res, r, ctx, wv, c, cov, names)
  return settle(res, how.status or r.status, r.objective, stats)   -- the worst-case utility
end

---------------------------------------------------------------------------
-- multi-period mode: one joint model over the rebalance dates
---------------------------------------------------------------------------
-- opt:optimize_multiperiod{exposures =, rebalance_dates = {"2024-12-31", ...}
--   (estimates from the optimizer's estimators as of each date) or
--   periods = {{mu =, cov =, date =}, ...}, risk_aversion = 1,
--   current_weights =, transaction_costs = (rate or per exposure),
--   constraints = ExposureConstraints{...} (every limit at every date;
--   max_turnover caps each rebalance)}
-- max sum_t [mu_t'w_t - (l/2) w_t'S_t w_t - c'(buy_t + sell_t)] with
-- w_t - w_{t-1} = buy_t - sell_t, w_0 the current weights. The result
-- holds one exposure result per date (mp[t], mp.results[t]) and the
-- plan's totals (turnover, costs).
local MULTI_ARGS = { exposures = "table", periods = "table", rebalance_dates = "table", risk_aversion = "number",
                     current_weights = "table", transaction_costs = "number|table", constraints = "table" }
function Opt:optimize_multiperiod(a)
  check.options(a, "optimize_multiperiod", MULTI_ARGS)
  local fn = "optimize_multiperiod"
  local names = a.exposures
  if type(names) ~= "table" or #names == 0 then fail("optimize_multiperiod: exposures required") end
  local periods = a.periods
  if a.rebalance_dates then
    if periods then fail("optimize_multiperiod: give rebalance_dates or periods, not both") end
    if #a.rebalance_dates == 0 then fail("optimize_multiperiod: rebalance_dates is empty") end
    periods = {}
    for t, d in ipairs(a.rebalance_dates) do
      if t > 1 and not (d > a.rebalance_dates[t - 1]) then
        fail("optimize_multiperiod: rebalance_dates must increase ('%s' follows '%s')", tostring(d),
             tostring(a.rebalance_dates[t - 1]))
      end
      local est = self:estimates(d, fn)
      if not est.mu then fail("optimize_multiperiod: rebalance_dates need a return_estimator in the optimizer") end
      periods[t] = { mu = est.mu, cov = est.cov, date = d }
    end
  end
  if type(periods) ~= "table" or #periods == 0 then fail("optimize_multiperiod: periods or rebalance_dates required") end
  local np = #periods
  local c = X.constraints_of(a.constraints)
  check_names(c, names, fn)
  if c.current_weights or c.transaction_costs then
    fail("optimize_multiperiod: current_weights and transaction_costs are its own arguments, not constraints")
  end
  if c.max_cvar then fail("optimize_multiperiod: max_cvar is not available over several dates") end
  align.keys(a.current_weights, names, fn, "current_weights")
  if type(a.transaction_costs) == "table" then align.keys(a.transaction_costs, names, fn, "transaction_costs") end
  local obj = X.MeanVariance { risk_aversion = a.risk_aversion or 1 }
  local per, p = {}, nil
  for t = 1, np do
    local pt = periods[t]
    if type(pt) ~= "table" or not pt.mu or not pt.cov then fail("optimize_multiperiod: periods[%d] needs mu and cov", t) end
    local mu = align.vector(pt.mu, names, fn, ("periods[%d].mu"):format(t))
    local cov = align.matrix(pt.cov, names, fn, ("periods[%d].cov"):format(t))
    local q = X.limits_of(names, mu, cov, c, obj, fn)
    p = p or q
    local date = pt.date and tostring(pt.date) or nil
    per[t] = { mu = mu, cov = cov, hold = q.hold, date = date,
               prefix = ("p%d."):format(t), label = np > 1 and (date or ("period " .. t)) .. ": " or nil }
  end
  p.periods, p.w0, p.tc, p.lambda = per, a.current_weights or {}, a.transaction_costs or 0, obj.risk_aversion
  local t0 = folio.now()
  local r, ctx, fix, how = self:run_periods(p)
  local stats = { solver = r.solver, iterations = r.iterations, time = folio.now() - t0, nodes = how.nodes }
  local res = setmetatable({ exposures = names, periods = np, result = r, solver_stats = stats, results = {},
                             dates = {} }, Multi)
  for t = 1, np do res.dates[t] = per[t].date or t end
  if not r.has_solution then
    local word = no_solution(res, p, r)
    for t = 1, np do
      local rt = new_result(names, { date = per[t].date, message = res.message, conflicts = res.conflicts })
      res.results[t] = settle(rt, word, nil, stats)
    end
    results.settle(res, { status = word, has_solution = false, solve_time = stats.time, solver = r.solver })
    res.optimization_status = res.status
    return res
  end
  local word = how.status or r.status
  res.weights, res.turnover, res.costs = {}, 0, 0
  local before = {}   -- the weights each date trades from
  for i, e in ipairs(names) do before[i] = p.w0[e] or 0 end
  for t, pc in ipairs(ctx.periods) do
    local wv = {}
    for i, e in ipairs(names) do wv[i] = r:value(pc.w[e]) end
    local rt = new_result(names, { date = per[t].date, solver_stats = stats })
    Opt.describe(rt, names, per[t].mu, per[t].cov, wv)
    -- sum |w - w_before|, not the model's buy + sell: without a cost on
    -- an exposure nothing stops its buy and sell from both being positive
    rt.turnover = trades(names, wv, before, 0)
    before = wv
    rt.costs = pc.cost and r:value(pc.cost) or 0
    binding(rt, r, pc, wv, c, per[t].cov, names)
    -- the date's share of the plan: its utility net of its trading costs
    settle(rt, word, r:value(pc.utility), stats)
    res.results[t], res.weights[t] = rt, rt.weights
    res.turnover, res.costs = res.turnover + rt.turnover, res.costs + rt.costs
  end
  results.settle(res, { status = word, has_solution = true, objective = r.objective, solve_time = stats.time,
                        solver = r.solver })
  res.optimization_status, res.objective_value = res.status, res.objective
  return res
end

-- the joint solve over the dates, with the holdings limits as in run:
-- the relaxation first, then (if it breaks them) the MIQP and the
-- continuous problem on the held sets it chose. -> r, ctx, fix, how
function Opt:run_periods(p)
  if p.contradiction then return contradicted() end
  local n, np = #p.names, #p.periods
  local ctx = EM.build(p, "solve", nil, nil)
  local r = solve_model(self, ctx.m)
  if not r.has_solution or not p.periods[1].hold then return r, ctx, nil, { nodes = 1 } end
  local broken = false
  for t, pc in ipairs(ctx.periods) do
    local wv = {}
    for i, e in ipairs(p.names) do wv[i] = r:value(pc.w[e]) end
    if H.broken(p.periods[t].hold, wv, {}, n) then broken = true end
  end
  if not broken then return r, ctx, nil, { nodes = 1 } end
  local mctx = EM.build(p, "mip")
  local mr = solve_model(self, mctx.m)
  if not mr.has_solution then return mr, mctx, nil, { nodes = mr.nodes } end
  local fix = {}
  for t, pc in ipairs(mctx.periods) do
    fix[t] = {}
    for _, e in ipairs(p.names) do fix[t][e] = mr:value(pc.z[e]) > 0.5 and "in" or "out" end
  end
  local c2 = EM.build(p, "solve", nil, fix)
  local r2 = solve_model(self, c2.m)
  if r2.has_solution then return r2, c2, fix, { nodes = mr.nodes, status = mr.status } end
  return mr, mctx, nil, { nodes = mr.nodes, status = mr.status }
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
local FRONTIER_ARGS = { exposures = "table", mu = "table", cov = "table", constraints = "table", points = "number",
                        max_return = "number" }

-- the highest expected return the limits allow (an LP, or a QP under risk
-- limits): its value, or nil and the solve's status (unbounded when a
-- weight has no bound that stops it)
local function highest_return(self, a)
  local p = inputs(self, { exposures = a.exposures, mu = a.mu, cov = a.cov, constraints = a.constraints })
  p.obj = { kind = "MaxReturn" }
  local r, _, wv, how = run(self, p)
  if not wv then return nil, how.status or (r and r.status) end
  local top = 0
  for i = 1, #p.names do top = top + p.mu[i] * wv[i] end
  return top
end

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
  local r0 = minv.expected_return
  local r1, why = highest_return(self, a)
  local cap = a.max_return
  if cap and cap < r0 then
    fail("efficient_frontier: max_return %s is below the minimum-variance portfolio's return %s",
      results.number(cap), results.number(r0))
  end
  if not r1 and why == "unbounded" and not cap then
    fr.message = "the expected return has no maximum under these limits (a weight without a bound); "
      .. "give max_return = R to end the frontier at R"
    return results.settle(fr, { status = "unbounded", has_solution = false, solve_time = folio.now() - t0,
                                solver = minv.solver })
  end
  if not r1 and why ~= "unbounded" then
    fr.message = "the highest-return problem has no solution: " .. tostring(why)
    return results.settle(fr, { status = results.status_word(why), has_solution = false,
                                solve_time = folio.now() - t0, solver = minv.solver })
  end
  r1 = cap and (r1 and math.min(r1, cap) or cap) or r1
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

-- Bounded least squares: min ||A x - t||^2 over lo <= x <= hi (and
-- sum x = budget when given), by a primal active-set method (Stark and
-- Parker's BVLS, with the budget as an equality of every subproblem). It
-- is exact and finite, also when the fit is exact and weights sit on
-- their bounds, where an interior-point method has no interior to work
-- with. A: rows (exposures) of k numbers. -> x, iterations | nil, why
local function bounded_lsq(A, t, lo, hi, budget)
  local m, k = #A, #lo
  local x, state = {}, {}
  for i = 1, k do x[i] = math.min(math.max(0, lo[i]), hi[i]) end
  if budget then
    local delta = budget
    for i = 1, k do delta = delta - x[i] end
    for i = 1, k do
      if delta > 0 then
        local step = math.min(delta, hi[i] - x[i])
        x[i], delta = x[i] + step, delta - step
      elseif delta < 0 then
        local step = math.min(-delta, x[i] - lo[i])
        x[i], delta = x[i] - step, delta + step
      end
    end
    if math.abs(delta) > 1e-12 * (1 + math.abs(budget)) then return nil, "the bounds cannot meet the budget" end
  end
  for i = 1, k do state[i] = x[i] == lo[i] and "lo" or x[i] == hi[i] and "hi" or "free" end
  local scale = 1
  for r = 1, m do for i = 1, k do scale = math.max(scale, math.abs(A[r][i])) end end
  local function gradient()
    local res, g = {}, {}
    for r = 1, m do
      local v = -t[r]
      for i = 1, k do v = v + A[r][i] * x[i] end
      res[r] = v
    end
    for i = 1, k do
      local v = 0
      for r = 1, m do v = v + A[r][i] * res[r] end
      g[i] = v
    end
    return g
  end
  for it = 1, 50 * (k + 1) do
    local F = {}
    for i = 1, k do if state[i] == "free" then F[#F + 1] = i end end
    local p = {}
    if #F > 0 then
      -- the subproblem on the free weights, the bound ones fixed
      local rhs_t, cfree = {}, budget
      for r = 1, m do
        local v = t[r]
        for i = 1, k do if state[i] ~= "free" then v = v - A[r][i] * x[i] end end
        rhs_t[r] = v
      end
      if budget then for i = 1, k do if state[i] ~= "free" then cfree = cfree - x[i] end end end
      local nF = #F
      local M, rhs = {}, {}
      local ridge = 1e-14 * scale * scale
      for a2, i in ipairs(F) do
        M[a2] = {}
        for b2, j in ipairs(F) do
          local v = 0
          for r = 1, m do v = v + A[r][i] * A[r][j] end
          M[a2][b2] = v + (a2 == b2 and ridge or 0)
        end
        local v = 0
        for r = 1, m do v = v + A[r][i] * rhs_t[r] end
        rhs[a2] = v
      end
      if budget then
        M[nF + 1] = {}
        for a2 = 1, nF do M[a2][nF + 1], M[nF + 1][a2] = 1, 1 end
        M[nF + 1][nF + 1] = 0
        rhs[nF + 1] = cfree
      end
      local sol = folio.core_stats.solve(M, rhs)
      if not sol then return nil, "singular subproblem" end
      for a2, i in ipairs(F) do p[i] = sol[a2] end
      -- step towards p, stopping at the first bound in the way
      local alpha, block = 1, nil
      for _, i in ipairs(F) do
        local d = p[i] - x[i]
        if d > 0 and p[i] > hi[i] then
          local s = (hi[i] - x[i]) / d
          if s < alpha then alpha, block = s, i end
        elseif d < 0 and p[i] < lo[i] then
          local s = (lo[i] - x[i]) / d
          if s < alpha then alpha, block = s, i end
        end
      end
      for _, i in ipairs(F) do x[i] = x[i] + alpha * (p[i] - x[i]) end
      if block then
        for _, i in ipairs(F) do
          if x[i] >= hi[i] - 1e-15 * (1 + math.abs(hi[i])) then x[i], state[i] = hi[i], "hi"
          elseif x[i] <= lo[i] + 1e-15 * (1 + math.abs(lo[i])) then x[i], state[i] = lo[i], "lo" end
        end
        if state[block] == "free" then state[block] = p[block] > hi[block] and "hi" or "lo"; x[block] = state[block] == "hi" and hi[block] or lo[block] end
        goto continue
      end
    end
    do
      -- optimal when no bound's multiplier has the wrong sign
      local g = gradient()
      local nu = 0
      if budget then
        if #F > 0 then
          for _, i in ipairs(F) do nu = nu + g[i] end
          nu = nu / #F
        else
          local up, down = -math.huge, math.huge
          for i = 1, k do
            if state[i] == "hi" then up = math.max(up, g[i]) else down = math.min(down, g[i]) end
          end
          -- with every weight on a bound, any nu in [up, down] certifies
          if up == -math.huge and down == math.huge then nu = 0
          elseif up == -math.huge then nu = down
          elseif down == math.huge then nu = up
          elseif up <= down then nu = up
          else nu = (up + down) / 2 end
        end
      end
      local worst, wi = 1e-12 * scale * (1 + scale), nil
      for i = 1, k do
        local v = state[i] == "lo" and -(g[i] - nu) or state[i] == "hi" and (g[i] - nu) or 0
        if lo[i] == hi[i] then v = 0 end
        if v > worst then worst, wi = v, i end
      end
      if not wi then return x, it end
      state[wi] = "free"
    end
    ::continue::
  end
  return nil, "no convergence"
end

-- u:fund_weights(target, {bounds = {0, 1}, budget = nil}): fund weights
-- whose exposures come closest (least squares) to the target exposure
-- weights, exactly (bounded least squares, above); reports the residual
-- per exposure and the total notional.
function Universe:fund_weights(target, o)
  o = o or {}
  check.options(o, "fund_weights", { bounds = "table", budget = "number" })
  if #self.funds == 0 then fail("fund_weights: the universe has no funds") end
  if type(target) ~= "table" then fail("fund_weights: target must be exposure weights keyed by name") end
  if target.weights and type(target.weights) == "table" and target.exposures then target = target.weights end
  align.keys(target, self.names, "fund_weights", "target")
  local b = o.bounds or { 0, 1 }
  local k = #self.funds
  local lo, hi = {}, {}
  for i = 1, k do lo[i], hi[i] = b[1] == false and -math.huge or b[1], b[2] == false and math.huge or b[2] end
  local A, t = {}, {}
  for r, e in ipairs(self.names) do
    A[r], t[r] = {}, target[e] or 0
    if type(t[r]) ~= "number" then fail("fund_weights: target['%s'] must be a number", e) end
    for i, fund in ipairs(self.funds) do A[r][i] = self.loadings[fund][e] or 0 end
  end
  local t0 = folio.now()
  local x, it = bounded_lsq(A, t, lo, hi, o.budget)
  if not x then fail("fund_weights: %s", it) end
  local out = { weights = {}, residual = {}, status = "optimal", total_notional = 0, iterations = it,
                solve_time = folio.now() - t0 }
  for i, fund in ipairs(self.funds) do
    out.weights[fund] = x[i]
    local gross = 0
    for _, l in pairs(self.loadings[fund]) do gross = gross + math.abs(l) end
    out.total_notional = out.total_notional + math.abs(x[i]) * gross
  end
  for r, e in ipairs(self.names) do
    local v = -t[r]
    for i = 1, k do v = v + A[r][i] * x[i] end
    out.residual[e] = v
  end
  return out
end


---------------------------------------------------------------------------
-- the spec's ExposureObjective.evaluate and ExposureConstraints.validate
---------------------------------------------------------------------------
-- names for w (keyed or positional), and w aligned with them
local function weights_and_names(w, exposures, cov, fn)
  if type(w) ~= "table" then fail("%s: weights must be a table", fn) end
  if #w > 0 then
    local names = exposures
    if not names then
      names = {}
      for i = 1, #w do names[i] = tostring(i) end
    end
    return align.vector(w, names, fn, "weights"), names
  end
  local names = exposures
  if not names then
    names = align.labels_of(cov) or (type(cov) == "table" and type(cov.assets) == "table" and cov.assets) or nil
    if names then
      local sub = {}
      for _, e in ipairs(names) do if w[e] ~= nil then sub[#sub + 1] = e end end
      names = sub
    else
      names = {}
      for k in pairs(w) do names[#names + 1] = k end
      table.sort(names)
    end
  end
  return align.vector(w, names, fn, "weights"), names
end

-- obj:evaluate(weights, mu, cov [, exposures]) -> the objective of weights
-- in the units optimize reports it (result.objective): the Sharpe ratio,
-- the volatility, the utility, ... Weights keyed by name (mu and cov
-- keyed, labelled or estimates) or positional (mu and cov in that order).
function Objective:evaluate(w, mu, cov, exposures)
  local fn = self.kind .. ":evaluate"
  local wv, names = weights_and_names(w, exposures, cov, fn)
  local n = #names
  if not cov then fail("%s: cov is required", fn) end
  local S = align.matrix(cov, names, fn, "cov")
  local m = mu and align.vector(mu, names, fn, "mu") or nil
  if not m and NEEDS_MU_EVAL[self.kind] then fail("%s: mu is required", fn) end
  local var, ret, l2, num, sum = 0, 0, 0, 0, 0
  for i = 1, n do
    local s = 0
    for j = 1, n do s = s + S[i][j] * wv[j] end
    var = var + wv[i] * s
    sum = sum + wv[i]
    ret = ret + (m and m[i] or 0) * wv[i]
    l2 = l2 + wv[i] * wv[i]
    num = num + math.abs(wv[i]) * math.sqrt(math.max(S[i][i], 0))
  end
  local vol = math.sqrt(math.max(var, 0))
  local g = self.l2_reg or 0
  local k = self.kind
  if k == "MaxSharpeRatio" then return vol > 0 and (ret - (self.risk_free_rate or 0) * sum) / vol or nil end
  if k == "MaxDiversification" then return vol > 0 and num / vol or nil end
  if k == "MeanVariance" then return ret - (self.risk_aversion or 1) / 2 * var - g * l2 end
  if k == "TargetVolatility" then return ret - g * l2 end
  return vol   -- MinVolatility, TargetReturn, RiskParity
end

-- c:validate(exposures [, cov]) -> true, or an error that names what
-- conflicts: the names, the checks made before any solve, the holdings
-- limits' long-only rule, and the feasibility problem of the limits with
-- the conflict search (optimize's). Without cov the correlation pairs and
-- the risk limits are not checked.
function Constraints:validate(exposures, cov)
  local fn = "validate"
  if type(exposures) ~= "table" or #exposures == 0 then fail("validate: exposures must be a non-empty list of names") end
  local c = self
  local S
  if cov then
    S = align.matrix(cov, exposures, fn, "cov")
  else
    local cc = {}
    for k, v in pairs(self) do cc[k] = v end
    cc.max_correlation_pairs, cc.max_volatility, cc.max_tracking_error = false, false, false
    c = setmetatable(cc, Constraints)
    S = {}
    for i = 1, #exposures do
      S[i] = {}
      for j = 1, #exposures do S[i][j] = i == j and 1 or 0 end
    end
  end
  check_names(c, exposures, fn)
  local mu = {}
  for i = 1, #exposures do mu[i] = 0 end
  local p = X.limits_of(exposures, mu, S, c, X.MinVolatility {}, fn)
  local why = EM.explain(p)
  if why then fail("validate: %s", why.message) end
  return true
end

check.entries(Objective, { "evaluate" })
check.entries(Constraints, { "validate" })

check.entries(Opt, { "optimize", "optimize_with_scenarios", "optimize_robust", "optimize_multiperiod",
                     "efficient_frontier", "risk_parity" })
X.ExposureUniverse = check.entry(X.ExposureUniverse)
check.entries(Universe, { "fund_weights" })

return X
