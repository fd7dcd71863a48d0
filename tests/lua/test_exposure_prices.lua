-- The exposure optimizer's shadow prices and derived figures, each against
-- an independent computation: a price is d(objective)/d(limit), checked by
-- central differences of re-solves; the Sharpe ratio, costs and turnover
-- are recomputed from the weights; the frontier's end is an exact
-- highest-return solve.
local T = dofile("tests/lua/testlib.lua")
local folio = require "folio"

local U = dofile("tests/data/results/universe.lua")
local names, mu, cov = U.names, U.mu, U.cov
local opt = folio.ExposureOptimizer()
local function long(extra)
  local c = { bounds = { 0, 1 }, defaults = false }
  for k, v in pairs(extra) do c[k] = v end
  return folio.ExposureConstraints(c)
end
local function solve(objective, extra)
  return opt:optimize { exposures = names, mu = mu, cov = cov, objective = objective, constraints = long(extra) }
end

-- the price of limit `key` (set in extra by set(extra, value)) against
-- (f(v + h) - f(v - h)) / 2h of the objective; the step is small enough
-- that the active set does not change, the curvature error is O(h^2)
local H, TOL = 1e-5, 1e-4
local function price_is_derivative(what, objective, extra, key, set, v)
  local function at(x)
    local e = {}
    for k, val in pairs(extra) do e[k] = val end
    set(e, x)
    local r = solve(objective, e)
    T.eq(r.status, "optimal", what .. ": status at " .. x)
    return r
  end
  local r = at(v)
  local p = r.shadow_prices[key]
  T.ok(p ~= nil, what .. ": " .. key .. " has a shadow price")
  local fd = (at(v + H).objective_value - at(v - H).objective_value) / (2 * H)
  T.near(p, fd, TOL, what .. ": the price of " .. key .. " is d(objective)/d(limit)")
  return r
end

local mv = folio.MeanVariance { risk_aversion = 0.5 }
-- risk limits are rows on the variance; their prices are per unit of the limit
price_is_derivative("MeanVariance + max_volatility", mv, {}, "max_volatility",
  function(e, x) e.max_volatility = x end, 0.07)
price_is_derivative("MeanVariance + max_tracking_error", mv, { benchmark = U.equal }, "max_tracking_error",
  function(e, x) e.max_tracking_error = x end, 0.02)
do
  local function tv(x) return solve(folio.TargetVolatility { target_vol = x }, {}) end
  local r = tv(0.08)
  T.near(r.volatility, 0.08, 1e-7, "TargetVolatility: the target is met")
  local fd = (tv(0.08 + H).objective_value - tv(0.08 - H).objective_value) / (2 * H)
  T.near(r.shadow_prices.target_volatility, fd, TOL, "TargetVolatility: the price of target_volatility is d(return)/d(target)")
end

-- in MaxSharpe's scaled problem the risk limits are cones
price_is_derivative("MaxSharpe + max_volatility", folio.MaxSharpeRatio { risk_free_rate = 0.02 }, {},
  "max_volatility", function(e, x) e.max_volatility = x end, 0.052)

-- MaxSharpe: cash earns rf, so the ratio is (mu'w - rf sum w) / sigma, the
-- ratio optimised; with a budget below 1 and a binding cap the budget's
-- price is not zero
local rf = 0.02
local sharpe = folio.MaxSharpeRatio { risk_free_rate = rf }
local function check_sharpe(what, r, budget)
  local er, var, sum = 0, 0, 0
  for i, a in ipairs(names) do
    er, sum = er + mu[i] * r.weights[a], sum + r.weights[a]
    for j, b in ipairs(names) do var = var + r.weights[a] * cov[i][j] * r.weights[b] end
  end
  T.near(sum, budget, 1e-7, what .. ": the weights sum to the budget")
  T.near(r.sharpe_ratio, (er - rf * sum) / math.sqrt(var), 1e-9, what .. ": sharpe_ratio is (mu'w - rf sum w) / sigma")
  T.near(r.objective_value, r.sharpe_ratio, 1e-12, what .. ": the objective is the Sharpe ratio")
end
do
  local r = price_is_derivative("MaxSharpe, budget 0.8, us_equity <= 0.1", sharpe,
    { max_weights = { us_equity = 0.1 } }, "budget", function(e, x) e.budget = x end, 0.8)
  check_sharpe("MaxSharpe, budget 0.8", r, 0.8)
  T.near(r.weights.us_equity, 0.1, 1e-7, "MaxSharpe, budget 0.8: the cap binds")
  T.ok(math.abs(r.shadow_prices.budget) > 1e-3, "MaxSharpe, budget 0.8: the budget has a price")
  -- with no inhomogeneous limit binding the ratio does not depend on the scale
  local free = solve(sharpe, { budget = 0.8 })
  check_sharpe("MaxSharpe, budget 0.8, no cap", free, 0.8)
  -- the summary and the HTML view say which rate the ratio is over
  T.ok(free:summary():find(("Sharpe (rf 2%%) %.4f"):format(free.sharpe_ratio), 1, true) ~= nil, "summary: Sharpe (rf 2%)")
  local mv0 = solve(folio.MinVolatility {}, {})
  T.ok(mv0:summary():find(("Sharpe (rf 0%%) %.4f"):format(mv0.sharpe_ratio), 1, true) ~= nil,
    "summary: MinVolatility's Sharpe is over rf 0")
  T.ok(require("folio.html").render { free }:find("Sharpe ratio (rf 2%)", 1, true) ~= nil, "HTML: Sharpe ratio (rf 2%)")
  T.near(free.shadow_prices.budget or 0, 0, 1e-7, "MaxSharpe, budget 0.8, no cap: the ratio is scale-free")
  T.near(free.sharpe_ratio, solve(sharpe, {}).sharpe_ratio, 1e-7, "MaxSharpe: the same ratio at budget 0.8 and 1")
end

-- MaxSharpe with trading costs from current weights: the costs, the
-- turnover and the net return from the weights; the objective is the
-- ratio net of costs, which is what the optimizer maximised
do
  local w0 = { us_equity = 0.5, treasuries = 0.1, trend = 0.1, real_estate = 0.2, gold = 0.1 }
  local k = { us_equity = 0.01, treasuries = 0.002, trend = 0.005, real_estate = 0.02, gold = 0.004 }
  local r = solve(sharpe, { current_weights = w0, transaction_costs = k })
  local costs, turnover = 0, 0
  for _, a in ipairs(names) do
    costs = costs + k[a] * math.abs(r.weights[a] - w0[a])
    turnover = turnover + math.abs(r.weights[a] - w0[a])
  end
  T.ok(turnover > 0.05, "MaxSharpe with costs: the portfolio trades")
  T.near(r.costs, costs, 1e-12, "MaxSharpe with costs: costs = sum k_i |w_i - w0_i|")
  T.near(r.turnover, turnover, 1e-12, "MaxSharpe with costs: turnover = sum |w_i - w0_i|")
  T.near(r.net_return, r.expected_return - costs, 1e-12, "MaxSharpe with costs: net_return = expected_return - costs")
  T.near(r.objective_value, (r.expected_return - costs - rf) / r.volatility, 1e-9,
    "MaxSharpe with costs: the objective is the Sharpe ratio net of costs")
  T.ok(r.objective_value < r.sharpe_ratio, "MaxSharpe with costs: the net ratio is below the gross one")
  -- no other weights do better net of costs: a small step towards w0 or
  -- away from it along each pair of names keeps the budget and loses
  local function net_ratio(w)
    local er, var, c = 0, 0, 0
    for i, a in ipairs(names) do
      er, c = er + mu[i] * w[a], c + k[a] * math.abs(w[a] - w0[a])
      for j, b in ipairs(names) do var = var + w[a] * cov[i][j] * w[b] end
    end
    return (er - c - rf) / math.sqrt(var)
  end
  local best = net_ratio(r.weights)
  T.near(best, r.objective_value, 1e-9, "MaxSharpe with costs: the net ratio recomputed")
  local worse = true
  for _, a in ipairs(names) do
    for _, b in ipairs(names) do
      if a ~= b and r.weights[a] > 1e-3 and r.weights[b] < 1 - 1e-3 then
        local w = {}
        for _, e in ipairs(names) do w[e] = r.weights[e] end
        w[a], w[b] = w[a] - 1e-3, w[b] + 1e-3
        if net_ratio(w) > best + 1e-9 then worse = false end
      end
    end
  end
  T.ok(worse, "MaxSharpe with costs: no pairwise shift of 0.1% improves the net ratio")
  -- without current weights there is no trading to report
  local plain = solve(sharpe, {})
  T.ok(plain.costs == nil and plain.turnover == nil, "MaxSharpe without current weights: no costs or turnover")
end

-- l2_reg: the prices are those of the regularised objective, which is the
-- objective_value the result reports
do
  local reg = folio.MeanVariance { risk_aversion = 2, l2_reg = 0.1 }
  local r = price_is_derivative("MeanVariance + l2_reg", reg, {}, "max_weight[us_equity]",
    function(e, x) e.max_weights = { us_equity = x } end, 0.2)
  T.near(r.objective_value, reg:evaluate(r.weights, mu, cov, names), 1e-9,
    "MeanVariance + l2_reg: objective_value is the regularised utility")
end

-- the held-set search fixes exposures out at 0: their bounds bind only
-- degenerately and have no price (a split dual of -40 to -47 before)
do
  local r = solve(sharpe, { max_exposures = 2 })
  local held = 0
  for _, a in ipairs(names) do
    if r.weights[a] > 1e-6 then held = held + 1 end
  end
  T.eq(held, 2, "MaxSharpe, max_exposures = 2: two exposures held")
  for _, a in ipairs(names) do
    if r.weights[a] <= 1e-6 then
      T.eq(r.shadow_prices["min_weight[" .. a .. "]"], nil, "MaxSharpe, max_exposures = 2: no price for " .. a .. ", fixed out")
    end
  end
  for _, a in ipairs(r.active_constraints) do
    local e = a:match("%[(.*)%]$")
    T.ok(not e or r.weights[e] > 1e-6, "MaxSharpe, max_exposures = 2: active " .. a .. " is on a held exposure")
  end
end

-- MaxDiversification is long-only: sum |w_i| sigma_i is not linear once a
-- weight may go short
T.raises_exact(function() solve(folio.MaxDiversification {}, { bounds = { -0.2, 1 } }) end,
  "optimize: MaxDiversification needs long-only weights, but bounds (each weight >= -0.2) lets us_equity go short",
  "MaxDiversification with shorts")
T.raises_exact(function() solve(folio.MaxDiversification {}, { min_weights = { gold = -0.1 } }) end,
  "optimize: MaxDiversification needs long-only weights, but min_weights gold >= -0.1 lets gold go short",
  "MaxDiversification with a negative min_weights")

-- the frontier's end: the highest return the limits allow, or, with no
-- bound on the weights, none: "unbounded" unless max_return ends it
do
  local free = folio.ExposureConstraints { bounds = { false, false }, defaults = false }
  local fr = opt:efficient_frontier { exposures = names, mu = mu, cov = cov, constraints = free, points = 5 }
  T.eq(fr.status, "unbounded", "frontier without bounds: unbounded")
  T.eq(fr.has_solution, false, "frontier without bounds: no solution")
  T.ok(tostring(fr.message):find("give max_return = R", 1, true) ~= nil, "frontier without bounds: says what to give")
  local capped = opt:efficient_frontier { exposures = names, mu = mu, cov = cov, constraints = free, points = 5,
                                          max_return = 0.12 }
  T.eq(capped.status, "optimal", "frontier with max_return: optimal")
  local pts = capped.points
  T.eq(#pts, 5, "frontier with max_return: five points")
  T.near(pts[#pts][2], 0.12, 1e-7, "frontier with max_return: ends at max_return")
  -- the whole message, blamed on this line, with the minimum-variance
  -- return as a MinVolatility solve finds it (to the solver's tolerance)
  local line = debug.getinfo(1, "l").currentline + 1
  local ok, err = pcall(opt.efficient_frontier, opt, { exposures = names, mu = mu, cov = cov, constraints = free, points = 5, max_return = 0.01 })
  local at, r0 = tostring(err):match("^tests/lua/test_exposure_prices.lua:(%d+): efficient_frontier: max_return 0.01 is below "
    .. "the minimum%-variance portfolio's return (%S+)$")
  T.ok(not ok and tonumber(at) == line, "frontier: max_return below the minimum-variance return: " .. tostring(err))
  local mv0 = opt:optimize { exposures = names, mu = mu, cov = cov, constraints = free, objective = folio.MinVolatility {} }
  T.near(tonumber(r0), mv0.expected_return, 1e-6, "frontier: the message quotes the minimum-variance return")
  -- long-only: the end is the best single exposure (us_equity, 8%)
  local lf = opt:efficient_frontier { exposures = names, mu = mu, cov = cov, constraints = long {}, points = 4 }
  T.near(lf.points[#lf.points][2], 0.08, 1e-7, "long-only frontier: ends at the highest mu")
end

T.done()
