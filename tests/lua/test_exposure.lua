-- The exposure optimizer: closed forms, every supported constraint shown
-- binding in a case built for it, and the infeasibility messages.
local T = dofile("tests/lua/testlib.lua")
local folio = require "folio"

local U = dofile("tests/data/results/universe.lua")
local names, mu, cov, vol = U.names, U.mu, U.cov, U.vol
local n = #names
local opt = folio.ExposureOptimizer()
-- the closed forms hold with the budget alone: the spec's defaults
-- (concentration, holdings, ...) are off here (defaults = false), as in
-- every case below built to show one limit binding on its own
local open = folio.ExposureConstraints { bounds = { false, false }, defaults = false }

-- Sigma^{-1} b by Gaussian elimination (the reference for the closed forms)
local function solve(A, b)
  local M = {}
  for i = 1, n do M[i] = {} for j = 1, n do M[i][j] = A[i][j] end M[i][n + 1] = b[i] end
  for c = 1, n do
    for r = c + 1, n do
      local f = M[r][c] / M[c][c]
      for k = c, n + 1 do M[r][k] = M[r][k] - f * M[c][k] end
    end
  end
  local x = {}
  for r = n, 1, -1 do
    local s = M[r][n + 1]
    for k = r + 1, n do s = s - M[r][k] * x[k] end
    x[r] = s / M[r][r]
  end
  return x
end
local function normalised(v)
  local s = 0
  for i = 1, n do s = s + v[i] end
  local out = {}
  for i = 1, n do out[i] = v[i] / s end
  return out
end
local function close_weights(res, want, tol, what)
  local worst = 0
  for i, e in ipairs(names) do worst = math.max(worst, math.abs(res.weights[e] - want[i])) end
  T.ok(worst <= tol, string.format("%s (worst difference %.2e)", what, worst))
end

-- minimum variance with only the budget: w = S^-1 1 / 1'S^-1 1
local ones = {}
for i = 1, n do ones[i] = 1 end
local mv = opt:optimize { exposures = names, cov = cov, objective = folio.MinVolatility {}, constraints = open }
T.eq(mv.optimization_status, "optimal", "min variance: status")
close_weights(mv, normalised(solve(cov, ones)), 1e-7, "min variance equals the closed form")
local rc = 0
for _, e in ipairs(names) do rc = rc + mv.risk_contributions[e] end
T.near(rc, mv.volatility, 1e-10, "risk contributions sum to the volatility")

-- maximum Sharpe with only the budget: w proportional to S^-1 (mu - rf)
local rf = 0.02
local ex = {}
for i = 1, n do ex[i] = mu[i] - rf end
local ms = opt:optimize { exposures = names, cov = cov, mu = mu, constraints = open,
  objective = folio.MaxSharpeRatio { risk_free_rate = rf } }
close_weights(ms, normalised(solve(cov, ex)), 1e-7, "max Sharpe equals the closed form")
T.near(ms.sharpe_ratio, (ms.expected_return - rf) / ms.volatility, 1e-12, "Sharpe ratio field")

-- L2 regularisation: min w'(S + g I)w on the budget is (S + g I)^-1 1 normalised,
-- and max Sharpe with it is (S + g I)^-1 (mu - rf) normalised
local g = 0.01
local Sg = {}
for i = 1, n do Sg[i] = {} for j = 1, n do Sg[i][j] = cov[i][j] + (i == j and g or 0) end end
local mvr = opt:optimize { exposures = names, cov = cov, objective = folio.MinVolatility { l2_reg = g }, constraints = open }
close_weights(mvr, normalised(solve(Sg, ones)), 1e-7, "l2_reg: min variance equals the ridge closed form")
local msr = opt:optimize { exposures = names, cov = cov, mu = mu, constraints = open,
  objective = folio.MaxSharpeRatio { risk_free_rate = rf, l2_reg = g } }
close_weights(msr, normalised(solve(Sg, ex)), 1e-7, "l2_reg: max Sharpe equals the ridge closed form")
T.raises_exact(function() folio.RiskParity { l2_reg = 0.1 } end, "RiskParity: unknown option 'l2_reg' (options: budgets)",
  "l2_reg: not for risk parity")
T.raises(function()
  opt:optimize { exposures = names, cov = cov, objective = folio.MinVolatility { l2_reg = -1 }, constraints = open }
end, "optimize: l2_reg must be a finite number >= 0", "l2_reg: negative")

-- each limit binding in a case built for it
local long = function(extra)
  local c = { bounds = { 0, 1 }, defaults = false }
  for k, v in pairs(extra) do c[k] = v end
  return folio.ExposureConstraints(c)
end
local mean = folio.MeanVariance { risk_aversion = 0.5 }
local free = opt:optimize { exposures = names, cov = cov, mu = mu, objective = mean, constraints = long {} }
T.ok(free.weights.us_equity > 0.3, "unconstrained mean-variance leans on equity")

local capped = opt:optimize { exposures = names, cov = cov, mu = mu, objective = mean,
  constraints = long { max_weights = { us_equity = 0.2 } } }
T.near(capped.weights.us_equity, 0.2, 1e-7, "max weight binds")

local cats = { us_equity = "equity_beta", treasuries = "rates", trend = "alternatives",
               real_estate = "real_assets", gold = "real_assets" }
local cat = opt:optimize { exposures = names, cov = cov, mu = mu, objective = mean,
  constraints = long { categories = cats, category_limits = { equity_beta = { false, 0.25 } } } }
T.near(cat.weights.us_equity, 0.25, 1e-7, "category limit binds")
local found = false
for _, a in ipairs(cat.active_constraints) do if a == "category_max_equity_beta" then found = true end end
T.ok(found, "category limit listed as active")
T.ok((cat.shadow_prices.category_max_equity_beta or 0) > 0, "category limit has a positive shadow price")
local function utility_at(cap)
  return opt:optimize { exposures = names, cov = cov, mu = mu, objective = mean,
    constraints = long { categories = cats, category_limits = { equity_beta = { false, cap } } } }.objective_value
end
T.near(cat.shadow_prices.category_max_equity_beta, (utility_at(0.2501) - utility_at(0.2499)) / 0.0002, 1e-5,
  "category shadow price equals the finite difference of the utility")

local vl = opt:optimize { exposures = names, cov = cov, mu = mu, objective = mean,
  constraints = long { max_volatility = 0.07 } }
T.near(vl.volatility, 0.07, 1e-6, "max volatility binds")

-- MaxSharpe under risk, notional and trading limits (cones and scaled rows
-- in the homogenised problem). Reference: a golden-section search over the
-- target return of the Sharpe ratio of TargetReturn solves under the same
-- limits (the frontier's Sharpe is quasi-concave in the target).
local function sharpe_by_search(extra, mu)
  local c = long(extra)
  local lo_r = opt:optimize { exposures = names, cov = cov, mu = mu, constraints = c,
                              objective = folio.MeanVariance { risk_aversion = 1e6 } }.expected_return
  local hi_r = opt:optimize { exposures = names, cov = cov, mu = mu, constraints = c,
                              objective = folio.MeanVariance { risk_aversion = 1e-6 } }.expected_return
  local function sh(r)
    local res = opt:optimize { exposures = names, cov = cov, mu = mu, constraints = c,
                               objective = folio.TargetReturn { target_return = r } }
    return (r - rf) / res.volatility     -- r: the return net of any costs
  end
  local g1 = (math.sqrt(5) - 1) / 2
  local a, b = lo_r, hi_r
  for _ = 1, 60 do
    local x1, x2 = b - g1 * (b - a), a + g1 * (b - a)
    if sh(x1) < sh(x2) then a = x1 else b = x2 end
  end
  return sh((a + b) / 2)
end
local function sharpe_with(extra, what, check, mu_case)
  local mu = mu_case or mu
  local res = opt:optimize { exposures = names, cov = cov, mu = mu, constraints = long(extra),
                             objective = folio.MaxSharpeRatio { risk_free_rate = rf } }
  T.eq(res.optimization_status, "optimal", what .. ": status")
  local net = res.expected_return
  if extra.transaction_costs then
    for _, e in ipairs(names) do net = net - extra.transaction_costs * math.abs(res.weights[e] - extra.current_weights[e]) end
  end
  T.near((net - rf) / res.volatility, sharpe_by_search(extra, mu), 1e-6, what .. ": Sharpe equals the search over targets")
  if check then check(res) end
  return res
end
local ms_free = opt:optimize { exposures = names, cov = cov, mu = mu, constraints = long {},
                               objective = folio.MaxSharpeRatio { risk_free_rate = rf } }
sharpe_with({ max_volatility = 0.052 }, "MaxSharpe + max_volatility", function(res)
  T.ok(ms_free.volatility > 0.05, "MaxSharpe: the free tangency portfolio is above the 5.2% cap")
  T.near(res.volatility, 0.052, 1e-7, "MaxSharpe + max_volatility: the cap binds")
  T.ok(res.shadow_prices.max_volatility ~= nil, "MaxSharpe + max_volatility: listed with a shadow price")
end)
sharpe_with({ benchmark = { 0.2, 0.2, 0.2, 0.2, 0.2 }, max_tracking_error = 0.02 }, "MaxSharpe + max_tracking_error",
  function(res)
    local tv = 0
    for i, ei in ipairs(names) do
      for j, ej in ipairs(names) do tv = tv + (res.weights[ei] - 0.2) * cov[i][j] * (res.weights[ej] - 0.2) end
    end
    T.near(math.sqrt(tv), 0.02, 1e-7, "MaxSharpe + max_tracking_error: the limit binds")
  end)
local w_eq = {}
for _, e in ipairs(names) do w_eq[e] = 0.2 end
sharpe_with({ current_weights = w_eq, max_turnover = 0.3 }, "MaxSharpe + max_turnover", function(res)
  local t = 0
  for _, e in ipairs(names) do t = t + math.abs(res.weights[e] - 0.2) end
  T.near(t, 0.3, 1e-7, "MaxSharpe + max_turnover: the limit binds")
end)
sharpe_with({ current_weights = w_eq, transaction_costs = 0.01 }, "MaxSharpe + transaction_costs")
sharpe_with({ bounds = { -0.5, 1 }, max_total_notional = 1.3 }, "MaxSharpe + max_total_notional", function(res)
  local gross = 0
  for _, e in ipairs(names) do gross = gross + math.abs(res.weights[e]) end
  T.near(gross, 1.3, 1e-7, "MaxSharpe + max_total_notional: the limit binds")
  T.ok(res.weights.gold < -0.1, "MaxSharpe + max_total_notional: gold (mu -3%) is shorted")
end, { 0.08, 0.035, 0.06, 0.07, -0.03 })
T.eq(opt:optimize { exposures = names, cov = cov, mu = mu, objective = folio.MaxSharpeRatio { risk_free_rate = rf },
  constraints = long { max_volatility = 0.045 } }.optimization_status, "infeasible",
  "MaxSharpe + max_volatility below the minimum volatility (4.94%): infeasible")
do   -- holdings limits with MaxSharpe: the best pair (tests/lua/test_exposure_spec.lua checks every support)
  local two = opt:optimize { exposures = names, cov = cov, mu = mu, objective = folio.MaxSharpeRatio { risk_free_rate = rf },
    constraints = long { max_exposures = 2 } }
  T.eq(two.optimization_status, "optimal", "MaxSharpe + max_exposures: solved by the search over held sets")
  local held2 = 0
  for _, e in ipairs(names) do if two.weights[e] > 1e-8 then held2 = held2 + 1 end end
  T.ok(held2 <= 2, "MaxSharpe + max_exposures: at most 2 held")
end

local bench = { 0.2, 0.2, 0.2, 0.2, 0.2 }
local te = opt:optimize { exposures = names, cov = cov, mu = mu, objective = mean,
  constraints = long { benchmark = bench, max_tracking_error = 0.02 } }
local active = {}
for i, e in ipairs(names) do active[i] = te.weights[e] - bench[i] end
local tv = 0
for i = 1, n do for j = 1, n do tv = tv + active[i] * cov[i][j] * active[j] end end
T.near(math.sqrt(tv), 0.02, 1e-6, "max tracking error binds")

local gross = opt:optimize { exposures = names, cov = cov, mu = mu, objective = folio.MeanVariance { risk_aversion = 0.1 },
  constraints = folio.ExposureConstraints { bounds = { -1, 2 }, max_total_notional = 1.6, defaults = false } }
local g = 0
for _, e in ipairs(names) do g = g + math.abs(gross.weights[e]) end
T.near(g, 1.6, 1e-6, "max total notional binds (gross exposure)")

local tr = opt:optimize { exposures = names, cov = cov, mu = mu,
  objective = folio.TargetReturn { target_return = 0.07 }, constraints = long {} }
T.near(tr.expected_return, 0.07, 1e-7, "target return met")
local tvo = opt:optimize { exposures = names, cov = cov, mu = mu,
  objective = folio.TargetVolatility { target_vol = 0.09 }, constraints = long {} }
T.near(tvo.volatility, 0.09, 1e-6, "target volatility reached")

-- risk parity and maximum diversification on an equal-correlation matrix:
-- both give inverse-volatility weights
local rho = 0.3
local ec = {}
for i = 1, n do ec[i] = {} for j = 1, n do ec[i][j] = (i == j and 1 or rho) * vol[i] * vol[j] end end
local inv = {}
for i = 1, n do inv[i] = 1 / vol[i] end
inv = normalised(inv)
local rp = opt:optimize { exposures = names, cov = ec, objective = folio.RiskParity {} }
close_weights(rp, inv, 1e-10, "risk parity on equal correlations is inverse volatility")
local md = opt:optimize { exposures = names, cov = ec, objective = folio.MaxDiversification {} }
close_weights(md, inv, 1e-7, "maximum diversification on equal correlations is inverse volatility")
-- risk budgets are met to 1e-8 on a general covariance
local budgets = { us_equity = 0.4, treasuries = 0.1, trend = 0.2, real_estate = 0.2, gold = 0.1 }
local rb = opt:optimize { exposures = names, cov = cov, objective = folio.RiskParity { budgets = budgets } }
local worst = 0
for _, e in ipairs(names) do worst = math.max(worst, math.abs(rb.risk_contributions[e] / rb.volatility - budgets[e])) end
T.ok(worst <= 1e-8, string.format("risk budgets met (worst %.2e)", worst))
-- the summary's risk share column is each exposure's part of the risk, in %
local shares, seen = rb:summary():match("risk share %%\n[ -]+\n(.-)\nBinding") or rb:summary(), 0
for e, w, share in shares:gmatch("(%S+)%s+(%S+)%s+(%S+)\n?") do
  if budgets[e] then
    seen = seen + 1
    T.near(tonumber(share), 100 * budgets[e], 1e-5, "summary: " .. e .. "'s risk share is its budget in %")
  end
end
T.eq(seen, n, "summary: a risk share for every exposure")

-- infeasible limits are a result with status "infeasible" (exit code 3),
-- not an error, and the message names the user's own limits; a minimum
-- above a maximum is decided without a solve
local function infeasible(what, extra, message, objective)
  local r = opt:optimize { exposures = names, cov = cov, mu = mu, constraints = long(extra),
                           objective = objective or folio.MinVolatility {} }
  T.eq(r.status, "infeasible", what .. ": status")
  T.eq(r.has_solution, false, what .. ": no solution")
  T.eq(r.message, message, what .. ": message")
  return r
end
infeasible("sum of minimums", { min_weights = { us_equity = 0.6, trend = 0.5 } },
  "infeasible: min_weights us_equity >= 0.6 conflicts with bounds (each weight >= 0), min_weights trend >= 0.5 "
  .. "and budget = 1")
infeasible("category limit below its minimums", { categories = cats, min_weights = { gold = 0.3 },
  category_limits = { real_assets = { false, 0.2 } } },
  "infeasible: category_limits real_assets <= 0.2 conflicts with bounds (each weight >= 0) and min_weights gold >= 0.3 "
  .. "(needs real_assets weight >= 0.3)")
infeasible("cardinality below the forced positions", { max_exposures = 1, min_weights = { gold = 0.1, trend = 0.1 } },
  "infeasible: min_weights trend >= 0.1 conflicts with min_weights gold >= 0.1 and max_exposures 1")
infeasible("maximum weights below the budget", { bounds = { 0, 0.1 } },
  "infeasible: bounds (each weight <= 0.1) conflicts with budget = 1", folio.MaxSharpeRatio {})
local crossed = infeasible("a minimum above the maximum", { min_weights = { gold = 0.1 }, max_weights = { gold = 0.05 } },
  "infeasible: min_weights gold >= 0.1 conflicts with max_weights gold <= 0.05")
T.eq(crossed.solver, "none", "a minimum above the maximum: no solve")
T.eq(table.concat(crossed.conflicts, "; "), "min_weights gold >= 0.1; max_weights gold <= 0.05",
  "a minimum above the maximum: the conflicts")
infeasible("a minimum above the maximum, RiskParity", { min_weights = { gold = 0.1 }, max_weights = { gold = 0.05 } },
  "infeasible: min_weights gold >= 0.1 conflicts with max_weights gold <= 0.05", folio.RiskParity {})
do
  local crossing = long { min_weights = { gold = 0.1 }, max_weights = { gold = 0.05 } }
  local mp = opt:optimize_multiperiod { exposures = names, periods = { { mu = mu, cov = cov }, { mu = mu, cov = cov } },
                                        constraints = crossing }
  T.eq(mp.status, "infeasible", "multi-period, a minimum above the maximum: status")
  T.eq(mp[1].message, "infeasible: min_weights gold >= 0.1 conflicts with max_weights gold <= 0.05",
    "multi-period, a minimum above the maximum: each date's message")
  local fr = opt:efficient_frontier { exposures = names, mu = mu, cov = cov, constraints = crossing, points = 3 }
  T.eq(fr.status, "infeasible", "frontier, a minimum above the maximum: status")
  T.raises_exact(function() crossing:validate(names) end,
    "validate: infeasible: min_weights gold >= 0.1 conflicts with max_weights gold <= 0.05",
    "validate, a minimum above the maximum")
end
T.raises_exact(function() folio.ExposureConstraints { max_turnovr = 0.1 } end,
  "ExposureConstraints: unknown option 'max_turnovr' (did you mean 'max_turnover'? options: benchmark, bounds, "
  .. "budget, categories, category_limits, current_weights, cvar_alpha, defaults, leveraged, max_concentration, "
  .. "max_correlation_pairs, max_cvar, max_exposures, max_leverage_exposures, max_total_notional, "
  .. "max_tracking_error, max_turnover, max_volatility, max_weights, min_exposures, min_position, min_weights, "
  .. "scenario_probabilities, scenarios, transaction_costs)", "typo in a constraint")

-- holdings: at most 2 exposures (MIQP), checked against every pair
local card = opt:optimize { exposures = names, cov = cov, objective = folio.MinVolatility {},
  constraints = long { max_exposures = 2 } }
local held = 0
for _, e in ipairs(names) do if card.weights[e] > 1e-9 then held = held + 1 end end
T.ok(held <= 2, "max_exposures: at most 2 held")
local best = math.huge
for i = 1, n do
  for j = i + 1, n do
    local pair = opt:optimize { exposures = names, cov = cov, objective = folio.MinVolatility {},
      constraints = long { max_weights = (function()
        local mw = {}
        for k, e in ipairs(names) do if k ~= i and k ~= j then mw[e] = 0 end end
        return mw
      end)() } }
    best = math.min(best, pair.volatility)
  end
end
T.near(card.volatility, best, 1e-7, "max_exposures: the best pair, as brute force finds it")
local many = opt:optimize { exposures = names, cov = cov, mu = mu, objective = folio.MeanVariance { risk_aversion = 0.5 },
  constraints = long { min_exposures = 4, min_position = 0.05 } }
held = 0
for _, e in ipairs(names) do if many.weights[e] >= 0.05 - 1e-9 then held = held + 1 end end
T.ok(held >= 4, "min_exposures: at least 4 held at 5% or more")

local conc = opt:optimize { exposures = names, cov = cov, mu = mu, objective = mean, constraints = long { max_concentration = 0.3 } }
local top = 0
for _, e in ipairs(names) do top = math.max(top, conc.weights[e]) end
T.near(top, 0.3, 1e-7, "max_concentration binds")

local lev = opt:optimize { exposures = names, cov = cov, mu = mu, objective = mean,
  constraints = long { leveraged = { us_equity = true, trend = true }, max_leverage_exposures = 0.2 } }
T.near(lev.weights.us_equity + lev.weights.trend, 0.2, 1e-7, "max_leverage_exposures binds")

-- long-short: the leveraged share is gross, |w_us| + |w_re| <= 0.2 (the
-- signed sum it was let equity reach 1.0 against real estate at -0.95,
-- a gross share of 1.95). Reference: the best of the four sign orthants, each a QP
-- with linear rows built in the DSL here
do
  local ls = folio.ExposureConstraints { bounds = { -1, 1 }, defaults = false,
    leveraged = { us_equity = true, real_estate = true }, max_leverage_exposures = 0.2 }
  local mvl = folio.MeanVariance { risk_aversion = 4 }
  local mu_ls = { 0.10, 0.035, 0.06, -0.02, 0.04 }   -- equity up, real estate down: a long-short pair pays
  local r = opt:optimize { exposures = names, cov = cov, mu = mu_ls, objective = mvl, constraints = ls }
  local gross = math.abs(r.weights.us_equity) + math.abs(r.weights.real_estate)
  T.near(gross, 0.2, 1e-7, "max_leverage_exposures, long-short: the gross leveraged share binds")
  T.ok(r.weights.real_estate < -1e-3, "max_leverage_exposures, long-short: real estate is short")
  local best = -math.huge
  for _, s1 in ipairs { 1, -1 } do
    for _, s2 in ipairs { 1, -1 } do
      local m = folio.model("orthant")
      local I = {}
      for i = 1, n do I[i] = i end
      local w = m:var("w", I, { lb = -1, ub = 1 })
      m:st("budget", folio.sum(w), "==", 1)
      m:st("sign_us", s1 * w[1], ">=", 0)
      m:st("sign_re", s2 * w[4], ">=", 0)
      m:st("lev", s1 * w[1] + s2 * w[4], "<=", 0.2)
      m:maximize(folio.sum(I, function(i) return mu_ls[i] * w[i] end) - 2 * folio.quad(w, cov))
      local o = m:solve { reltol = 1e-10 }
      if o.has_solution then best = math.max(best, o.objective) end
    end
  end
  T.near(r.objective_value, best, 1e-7, "max_leverage_exposures, long-short: the best sign orthant's utility")
  T.ok(r.shadow_prices.max_leverage_exposures ~= nil, "max_leverage_exposures, long-short: priced")
  for _, a in ipairs(r.active_constraints) do
    T.ok(not a:find("split", 1, true), "max_leverage_exposures, long-short: the split rows are not limits")
  end
end

local cp = opt:optimize { exposures = names, cov = cov, mu = mu, objective = mean,
  constraints = long { max_correlation_pairs = 0.5 } }
T.ok(cp.weights.us_equity < 1e-9 or cp.weights.real_estate < 1e-9,
  "max_correlation_pairs: equity and real estate (0.6) are not both held")

local w0 = { us_equity = 0.2, treasuries = 0.2, trend = 0.2, real_estate = 0.2, gold = 0.2 }
local to = opt:optimize { exposures = names, cov = cov, mu = mu, objective = mean,
  constraints = long { current_weights = w0, max_turnover = 0.1 } }
local turn = 0
for _, e in ipairs(names) do turn = turn + math.abs(to.weights[e] - w0[e]) end
T.near(turn, 0.1, 1e-7, "max_turnover binds")
local function turnover_with(cost)
  local r = opt:optimize { exposures = names, cov = cov, mu = mu, objective = mean,
    constraints = long { current_weights = w0, transaction_costs = cost } }
  local t = 0
  for _, e in ipairs(names) do t = t + math.abs(r.weights[e] - w0[e]) end
  return t
end
T.ok(turnover_with(0.05) < turnover_with(0.001) - 1e-6, "higher transaction costs trade less")
T.raises_exact(function() folio.MaxSharpeRatio { riskfree = 0.1 } end,
  "MaxSharpeRatio: unknown option 'riskfree' (options: l2_reg, risk_free_rate)", "typo in an objective")
-- robust: a box around mu is, long-only, mean-variance with mu - delta
do
  local delta = { 0.02, 0.005, 0.03, 0.02, 0.01 }
  local rb = opt:optimize_robust { exposures = names, mu = mu, cov = cov, risk_aversion = 0.5,
    uncertainty = { kind = "box", delta = delta }, constraints = long {} }
  local shifted = {}
  for i = 1, n do shifted[i] = mu[i] - delta[i] end
  local mvs = opt:optimize { exposures = names, mu = shifted, cov = cov, objective = mean, constraints = long {} }
  close_weights(rb, (function() local t = {} for i, e in ipairs(names) do t[i] = mvs.weights[e] end return t end)(),
    1e-6, "robust box equals mean-variance on mu - delta (long-only)")
  -- ellipsoid with kappa = 0 is plain mean-variance; with kappa > 0 the
  -- worst-case return is mu'w - kappa sqrt(w'Sw) at the solution
  local e0 = opt:optimize_robust { exposures = names, mu = mu, cov = cov, risk_aversion = 0.5,
    uncertainty = { kind = "ellipsoid", kappa = 0 }, constraints = long {} }
  close_weights(e0, (function() local t = {} for i, e in ipairs(names) do t[i] = free.weights[e] end return t end)(),
    1e-6, "robust ellipsoid with kappa 0 is mean-variance")
  local e1 = opt:optimize_robust { exposures = names, mu = mu, cov = cov, risk_aversion = 0.5,
    uncertainty = { kind = "ellipsoid", kappa = 0.5 }, constraints = long {} }
  T.near(e1.worst_case_return, e1.expected_return - 0.5 * e1.volatility, 1e-7, "ellipsoidal worst case")
  T.ok(e1.volatility < free.volatility, "uncertainty makes the portfolio more defensive")
end

-- multi-period: free trading decouples the periods; prohibitive costs keep
-- the current weights
do
  local cov2 = {}
  for i = 1, n do cov2[i] = {} for j = 1, n do cov2[i][j] = cov[i][j] * (i == j and 1.5 or 1) end end
  local mu2 = { 0.05, 0.05, 0.07, 0.06, 0.05 }
  local periods = { { mu = mu, cov = cov }, { mu = mu2, cov = cov2 } }
  local w0 = { us_equity = 0.2, treasuries = 0.2, trend = 0.2, real_estate = 0.2, gold = 0.2 }
  local mp = opt:optimize_multiperiod { exposures = names, periods = periods, risk_aversion = 0.5,
    current_weights = w0, transaction_costs = 0, constraints = long {} }
  local single2 = opt:optimize { exposures = names, mu = mu2, cov = cov2, objective = mean, constraints = long {} }
  local worst = 0
  for _, e in ipairs(names) do
    worst = math.max(worst, math.abs(mp.weights[1][e] - free.weights[e]), math.abs(mp.weights[2][e] - single2.weights[e]))
  end
  T.ok(worst <= 1e-6, string.format("multi-period without costs equals the single periods (worst %.2e)", worst))
  -- turnover is sum |w_t - w_(t-1)| from the current weights, whatever the
  -- free buy and sell variables hold when trading costs nothing
  local total = 0
  for t = 1, 2 do
    local want = 0
    for _, e in ipairs(names) do want = want + math.abs(mp.weights[t][e] - (t == 1 and w0 or mp.weights[1])[e]) end
    T.near(mp.results[t].turnover, want, 1e-9, ("multi-period without costs: date %d's turnover"):format(t))
    total = total + want
  end
  T.near(mp.turnover, total, 1e-9, "multi-period without costs: the plan's turnover")
  local frozen = opt:optimize_multiperiod { exposures = names, periods = periods, risk_aversion = 0.5,
    current_weights = w0, transaction_costs = 10, constraints = long {} }
  worst = 0
  for t = 1, 2 do for _, e in ipairs(names) do worst = math.max(worst, math.abs(frozen.weights[t][e] - 0.2)) end end
  T.ok(worst <= 1e-6, "prohibitive costs keep the current weights")
end

-- funds to exposures: an exact mix and an unreachable target
do
  local u = folio.ExposureUniverse {
    exposures = { { name = "equity", category = "equity_beta" }, { name = "trend", category = "alternatives", leveraged = true },
                  { name = "bonds", category = "rates" } },
    funds = { stacked = { equity = 1, trend = 1 }, bond_fund = { bonds = 1 }, equity_fund = { equity = 1 } },
  }
  local fw = u:fund_weights { equity = 0.6, trend = 0.3, bonds = 0.4 }
  T.near(fw.weights.stacked, 0.3, 1e-7, "fund mapping: 30% stacked fund")
  T.near(fw.weights.equity_fund, 0.3, 1e-7, "fund mapping: 30% plain equity")
  T.near(fw.weights.bond_fund, 0.4, 1e-7, "fund mapping: 40% bonds")
  T.near(fw.total_notional, 0.3 * 2 + 0.3 + 0.4, 1e-7, "total notional counts the stacked fund twice")
  -- trend above equity cannot be reached (trend only comes with equity)
  local miss = u:fund_weights { equity = 0.2, trend = 0.4, bonds = 0.4 }
  T.near(miss.residual.trend - miss.residual.equity, -0.2, 1e-6, "unreachable part shows in the residual")
  T.near(miss.weights.stacked, 0.3, 1e-6, "least squares splits the miss evenly")
  T.raises(function() folio.ExposureUniverse { exposures = { { name = "a" } }, funds = { x = { b = 1 } } } end,
    "ExposureUniverse: fund 'x' loads on unknown exposure 'b'", "unknown exposure in a fund")
end

-- charts: self-contained SVG written atomically; the frontier rises
do
  local dir = os.tmpname()
  os.remove(dir)
  assert(os.execute("mkdir -p " .. dir))
  ms:plot_allocation(dir .. "/alloc.svg")
  ms:plot_risk_contributions(dir .. "/rc.svg")
  local f = assert(io.open(dir .. "/alloc.svg"))
  local text = f:read("a")
  f:close()
  T.ok(text:sub(1, 4) == "<svg" and text:find("us_equity", 1, true) ~= nil, "allocation chart is SVG with the labels")
  T.ok(not text:find("<script", 1, true) and not text:find("http://", 30, true), "chart has no scripts or links")
  local fr = opt:efficient_frontier { exposures = names, mu = mu, cov = cov, constraints = long {}, points = 12 }
  local rising = #fr.points >= 10
  for k = 2, #fr.points do
    if fr.points[k][1] < fr.points[k - 1][1] - 1e-9 or fr.points[k][2] < fr.points[k - 1][2] - 1e-9 then rising = false end
  end
  T.ok(rising, "efficient frontier: volatility and return rise together")
  fr:plot(dir .. "/frontier.svg")
  local p = io.popen("ls " .. dir)
  local listing = p:read("a")
  p:close()
  T.eq(listing, "alloc.svg\nfrontier.svg\nrc.svg\n", "only the charts are left in the folder")
  os.execute("rm -rf " .. dir)
end

-- scenarios: CVaR (Rockafellar-Uryasev LP) against the empirical CVaR of
-- every weight on a fine grid (2 assets, 400 equally likely scenarios)
do
  local seed = 11
  local function rnd() seed = (seed * 1103515245 + 12345) % 2147483648; return seed / 2147483648 - 0.5 end
  local S = {}
  for s = 1, 400 do S[s] = { 0.002 + 0.02 * rnd() + 0.01 * rnd(), 0.001 + 0.008 * rnd() } end
  local function empirical_cvar(wa)   -- mean of the worst 10% of 400 losses
    local losses = {}
    for s = 1, #S do losses[s] = -(wa * S[s][1] + (1 - wa) * S[s][2]) end
    table.sort(losses, function(x, y) return x > y end)
    local sum = 0
    for i = 1, 40 do sum = sum + losses[i] end
    return sum / 40
  end
  local two = folio.ExposureConstraints { defaults = false }   -- two assets: no holdings limits
  local r = opt:optimize_with_scenarios { exposures = { "a", "b" }, scenarios = S, alpha = 0.9, constraints = two }
  T.eq(r.optimization_status, "optimal", "CVaR: status")
  T.near(empirical_cvar(r.weights.a), r.cvar, 1e-10, "CVaR of the optimal weights equals the LP's value")
  local best = math.huge
  for i = 0, 10000 do best = math.min(best, empirical_cvar(i / 10000)) end
  T.ok(r.cvar <= best + 1e-12 and r.cvar >= best - 1e-7, "CVaR minimum matches the grid search")
  local mr = opt:optimize_with_scenarios { exposures = { "a", "b" }, scenarios = S, alpha = 0.9, constraints = two,
    objective = "max_return", max_cvar = 0.004 }
  T.near(mr.cvar, 0.004, 1e-9, "CVaR limit binds when maximising return")
  T.ok(mr.expected_return > r.expected_return, "a looser CVaR buys expected return")
  T.raises(function() opt:optimize_with_scenarios { exposures = { "a", "b" }, scenarios = S, probabilities = { 0.5 } } end,
    "optimize_with_scenarios: probabilities must have 400 entries, one per scenario", "one probability per scenario")
  local half = {}
  for s = 1, 400 do half[s] = 0.5 / 400 end
  T.raises(function() opt:optimize_with_scenarios { exposures = { "a", "b" }, scenarios = S, probabilities = half } end,
    "optimize_with_scenarios: probabilities sum to 0.5, not 1", "probabilities must sum to 1")
  -- CVaR as a limit next to any objective: MinVolatility and
  -- MaxSharpeRatio against a grid search over the feasible weights
  local cv2 = { { 0.0001, 0 }, { 0, 0.0004 } }   -- min volatility leans on a, whose scenarios are riskier
  local mu2 = { 0.0025, 0.001 }
  local function var2(wa) return wa * wa * cv2[1][1] + (1 - wa) ^ 2 * cv2[2][2] end
  local function grid(score, limit)   -- step 1e-3, then 4e-6 around the best point
    local arg, top = nil, -math.huge
    local function scan(a, b, steps)
      for i = 0, steps do
        local wa = a + (b - a) * i / steps
        if wa >= 0 and wa <= 1 and empirical_cvar(wa) <= limit then
          local v = score(wa)
          if v > top then arg, top = wa, v end
        end
      end
    end
    scan(0, 1, 1000)
    scan(arg - 2e-3, arg + 2e-3, 1000)
    return arg, top
  end
  local free = opt:optimize { exposures = { "a", "b" }, cov = cv2, objective = folio.MinVolatility {},
    constraints = folio.ExposureConstraints { defaults = false } }
  local limit = (empirical_cvar(free.weights.a) + r.cvar) / 2
  local cl = opt:optimize { exposures = { "a", "b" }, cov = cv2, objective = folio.MinVolatility {},
    constraints = folio.ExposureConstraints { max_cvar = limit, scenarios = S, cvar_alpha = 0.9, defaults = false } }
  T.eq(cl.optimization_status, "optimal", "MinVolatility with a CVaR limit: status")
  local ga = grid(function(wa) return -var2(wa) end, limit)
  T.near(cl.weights.a, ga, 2e-5, "MinVolatility with a CVaR limit matches the grid search")
  T.near(cl.cvar, limit, 1e-8, "the CVaR limit binds")
  T.near(empirical_cvar(cl.weights.a), cl.cvar, 1e-9, "reported CVaR is the weights' empirical CVaR")
  -- the summary says the CVaR is over one scenario period, at its alpha
  local want = ("CVaR 90%% %.4f%% (a loss over one scenario period)"):format(100 * cl.cvar)
  T.ok(cl:summary():find(want, 1, true) ~= nil, "summary: " .. want)
  T.ok(cl.shadow_prices.max_cvar ~= nil and cl.shadow_prices.max_cvar ~= 0, "max_cvar has a shadow price")
  local listed = false
  for _, a in ipairs(cl.active_constraints) do
    T.ok(not a:find("cvar_loss"), "formulation rows are not reported as active: " .. a)
    if a == "max_cvar" then listed = true end
  end
  T.ok(listed, "max_cvar is an active constraint")
  local sh = opt:optimize { exposures = { "a", "b" }, cov = cv2, mu = mu2, objective = folio.MaxSharpeRatio { risk_free_rate = 0 },
    constraints = folio.ExposureConstraints { max_cvar = limit, scenarios = S, cvar_alpha = 0.9, defaults = false } }
  local gs = grid(function(wa) return (mu2[1] * wa + mu2[2] * (1 - wa)) / math.sqrt(var2(wa)) end, limit)
  T.near(sh.weights.a, gs, 2e-5, "MaxSharpeRatio with a CVaR limit matches the grid search")
  T.ok(sh.cvar <= limit + 1e-9, "MaxSharpeRatio respects the CVaR limit")
  local tight = opt:optimize { exposures = { "a", "b" }, cov = cv2, mu = mu2, objective = folio.MaxSharpeRatio { risk_free_rate = 0 },
    constraints = folio.ExposureConstraints { max_cvar = r.cvar * 0.9, scenarios = S, cvar_alpha = 0.9, defaults = false } }
  T.eq(tight.optimization_status, "infeasible", "MaxSharpeRatio under a CVaR limit below the minimum CVaR")
  for _, f in ipairs { 0.999, 0.9 } do
    local near = opt:optimize { exposures = { "a", "b" }, cov = cv2, objective = folio.MinVolatility {},
      constraints = folio.ExposureConstraints { max_cvar = r.cvar * f, scenarios = S, cvar_alpha = 0.9, defaults = false } }
    T.eq(near.optimization_status, "infeasible", ("MinVolatility under a CVaR limit %.3gx the minimum"):format(f))
  end
  -- the QP engine's arrow path (404 columns, 400 local) against its dense path
  local dense = folio.ExposureOptimizer { solve = { dense_kkt = true } }:optimize { exposures = { "a", "b" },
    cov = cv2, objective = folio.MinVolatility {},
    constraints = folio.ExposureConstraints { max_cvar = limit, scenarios = S, cvar_alpha = 0.9, defaults = false } }
  T.near(dense.weights.a, cl.weights.a, 1e-7, "arrow and dense KKT paths agree")
  local tbl = { columns = { "a", "b" }, n = #S, a = {}, b = {} }
  for s2 = 1, #S do tbl.a[s2], tbl.b[s2] = S[s2][1], S[s2][2] end
  local ct = opt:optimize { exposures = { "a", "b" }, cov = cv2, objective = folio.MinVolatility {},
    constraints = folio.ExposureConstraints { max_cvar = limit, scenarios = tbl, cvar_alpha = 0.9, defaults = false } }
  T.near(ct.weights.a, cl.weights.a, 1e-9, "scenarios given as a returns table")
  T.raises(function() opt:optimize { exposures = { "a", "b" }, cov = cv2,
    constraints = folio.ExposureConstraints { max_cvar = limit, defaults = false } } end,
    "optimize: max_cvar: scenarios required", "a CVaR limit needs scenarios")
  T.raises(function() opt:optimize { exposures = { "a", "b" }, cov = cv2,
    constraints = folio.ExposureConstraints { scenarios = S, defaults = false } } end,
    "optimize: scenarios, scenario_probabilities and cvar_alpha go with max_cvar", "scenarios without a limit")
  T.raises(function() opt:optimize { exposures = { "a", "c" }, cov = cv2,
    constraints = folio.ExposureConstraints { max_cvar = limit, scenarios = tbl, defaults = false } } end,
    "optimize: max_cvar: scenarios have no column 'c'", "scenario table must cover the exposures")
end

T.done()
