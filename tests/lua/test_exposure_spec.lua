-- The exposure optimizer to the letter of its spec (issue 16): the spec's
-- defaults, shown on the objects and applied; holdings limits under
-- every objective (MaxSharpe and MaxDiversification included), proven
-- optimal and checked against a brute force over every held set; risk
-- parity under limits; fund mapping on exact fits; shadow prices in the
-- user's units; estimation_date; per-date multi-period results.
-- References: brute force in this file (folio's continuous solve on each
-- held set), CVXOPT (tests/ref/exposure/ref_supports.py, its own QP and
-- nonlinear solvers), finite differences and hand-worked values.
local T = dofile("tests/lua/testlib.lua")
local folio = require "folio"

local U = dofile("tests/data/results/universe.lua")
local opt = folio.ExposureOptimizer()

---------------------------------------------------------------------------
-- 1. the spec's defaults, as effective values
---------------------------------------------------------------------------
local c0 = folio.ExposureConstraints {}
for k, v in pairs { max_total_notional = 1.5, max_leverage_exposures = 0.5, min_exposures = 3, max_exposures = 10,
                    max_concentration = 0.4, max_correlation_pairs = 0.8 } do
  T.eq(c0[k], v, "ExposureConstraints{}." .. k .. " is the spec's default")
end
T.eq(folio.MaxSharpeRatio {}.risk_free_rate, 0.02, "MaxSharpeRatio{}.risk_free_rate is the spec's 2%")
T.eq(folio.MaxSharpeRatio { risk_free_rate = 0.04 }.risk_free_rate, 0.04, "a given risk-free rate stays")
T.eq(folio.ExposureConstraints { max_concentration = false }.max_concentration, false, "false turns a default off")
T.eq(folio.ExposureConstraints { max_exposures = 6 }.max_exposures, 6, "a number replaces a default")
local none = folio.ExposureConstraints { defaults = false, max_exposures = 4 }
T.eq(none.max_concentration, false, "defaults = false: every default off")
T.eq(none.max_exposures, 4, "defaults = false keeps what is given")
T.eq(none.defaults, nil, "defaults is a switch, not a field")
T.raises_exact(function() folio.ExposureConstraints { max_concentration = true } end,
  "ExposureConstraints: max_concentration must be a number or false (got true)", "true is not a limit")
T.raises_exact(function() folio.ExposureConstraints { min_exposures = 2.5 } end,
  "ExposureConstraints: min_exposures must be a whole number >= 0 (got 2.5)", "a count is a whole number")

-- applied: minimum variance on the test universe puts 62% in treasuries
-- without limits; with the defaults no exposure holds more than 40%
local free = opt:optimize { exposures = U.names, cov = U.cov, constraints = folio.ExposureConstraints { defaults = false } }
local capped = opt:optimize { exposures = U.names, cov = U.cov }
T.ok(free.weights.treasuries > 0.5, "without the defaults, treasuries above 50%")
T.near(capped.weights.treasuries, 0.4, 1e-8, "with the defaults (no constraints given), treasuries at the 40% cap")
local listed = false
for _, a in ipairs(capped.active_constraints) do if a == "max_concentration[treasuries]" then listed = true end end
T.ok(listed, "the concentration cap is listed as binding")
T.ok((capped.shadow_prices["max_concentration[treasuries]"] or 0) < 0, "and has a shadow price (loosening it lowers risk)")

-- too few exposures for min_exposures 3: infeasible, said in the user's words
local two = opt:optimize { exposures = { "a", "b" }, cov = { { 0.04, 0 }, { 0, 0.09 } } }
T.eq(two.status, "infeasible", "two exposures cannot meet min_exposures 3")
T.eq(two.message, "infeasible: min_exposures 3 cannot hold on its own", "the conflict names the default")

-- long-short with holdings on: the error says how to turn them off
T.raises_exact(function() opt:optimize { exposures = U.names, cov = U.cov,
  constraints = folio.ExposureConstraints { bounds = { -0.5, 1 } } } end,
  "optimize: the holdings limits need long-only weights ('us_equity' may go short); turn them off for a "
  .. "long-short portfolio (min_exposures = false, max_exposures = false, max_correlation_pairs = false)",
  "holdings limits need long-only weights")

---------------------------------------------------------------------------
-- 2. holdings limits under every objective: brute force over held sets
---------------------------------------------------------------------------
-- a universe of n exposures in clusters: r_i = a_i f_c(i) + 0.3 m + e_i,
-- so correlations are a_i a_j + 0.09 inside a cluster (above 0.8) and
-- 0.09 across
local function universe(n, seed)
  local s = seed
  local function rnd() s = (s * 1103515245 + 12345) % 2147483648; return s / 2147483648 end
  local names, mu, vol, a, cl = {}, {}, {}, {}, {}
  local c = 0
  for i = 1, n do
    if i == 1 or rnd() < 0.45 then c = c + 1 end
    names[i], cl[i] = ("u%d"):format(i), c
    vol[i] = 0.08 + 0.14 * rnd()
    mu[i] = 0.03 + 0.07 * rnd()
    a[i] = 0.9 + 0.05 * rnd()
  end
  local cov = {}
  for i = 1, n do
    cov[i] = {}
    for j = 1, n do
      local rho = i == j and 1 or (cl[i] == cl[j] and a[i] * a[j] or 0) + 0.09
      cov[i][j] = rho * vol[i] * vol[j]
    end
  end
  return names, mu, cov
end

local MAXIMISED = { MaxSharpeRatio = true, MaxDiversification = true, MeanVariance = true }
-- the best objective over every support: each held set S within the
-- counts and without a correlated pair, solved on its own (the others at
-- 0, the held ones at least 0.01), the rest of the limits as given
local function brute(names, mu, cov, obj, lim)
  local n = #names
  local best, arg = nil, nil
  for mask = 1, (1 << n) - 1 do
    local S, k = {}, 0
    for i = 1, n do if mask & (1 << (i - 1)) ~= 0 then S[i], k = true, k + 1 end end
    local ok = k >= 3 and k <= lim.max
    for i = 1, n do
      for j = i + 1, n do
        if ok and S[i] and S[j] and cov[i][j] / math.sqrt(cov[i][i] * cov[j][j]) > 0.8 then ok = false end
      end
    end
    if ok then
      local mn, mx = {}, {}
      for i, e in ipairs(names) do if S[i] then mn[e] = 0.01 else mx[e] = 0 end end
      local r = opt:optimize { exposures = names, mu = mu, cov = cov, objective = obj,
        constraints = folio.ExposureConstraints { defaults = false, max_concentration = 0.4, min_weights = mn,
                                                  max_weights = mx } }
      if r.has_solution then
        local v = r.objective
        if not best or (MAXIMISED[obj.kind] and v > best or not MAXIMISED[obj.kind] and v < best) then best, arg = v, r end
      end
    end
  end
  return best, arg
end

local function held_ok(r, names, cov, lim, what)
  local held = {}
  for i, e in ipairs(names) do
    local w = r.weights[e]
    if w > 1e-8 then
      held[#held + 1] = i
      T.ok(w >= 0.01 - 1e-8, ("%s: held %s at %.3g, at least min_position 0.01"):format(what, e, w))
    end
    T.ok(w <= 0.4 + 1e-8, ("%s: %s within the 40%% cap"):format(what, e))
  end
  T.ok(#held >= 3 and #held <= lim.max, ("%s: %d held, within 3..%d"):format(what, #held, lim.max))
  for a = 1, #held do
    for b = a + 1, #held do
      local i, j = held[a], held[b]
      T.ok(cov[i][j] / math.sqrt(cov[i][i] * cov[j][j]) <= 0.8, what .. ": no two held correlated above 0.8")
    end
  end
end

local cases = { { n = 8, seed = 11, max = 4 }, { n = 10, seed = 23, max = 4 }, { n = 12, seed = 5, max = 5 } }
local objectives = { folio.MaxSharpeRatio {}, folio.MaxDiversification {}, folio.MinVolatility {},
                     folio.MeanVariance { risk_aversion = 4 } }
for _, case in ipairs(cases) do
  local names, mu, cov = universe(case.n, case.seed)
  for _, obj in ipairs(objectives) do
    local what = ("%s, n = %d, at most %d held"):format(obj.kind, case.n, case.max)
    local r = opt:optimize { exposures = names, mu = mu, cov = cov, objective = obj,
                             constraints = folio.ExposureConstraints { max_exposures = case.max } }
    T.eq(r.status, "optimal", what .. ": proven optimal")
    local want = brute(names, mu, cov, obj, case)
    T.near(r.objective, want, 1e-7, what .. ": the objective equals the brute force over every held set")
    held_ok(r, names, cov, case, what)
  end
end

-- against CVXOPT: the same brute force, solved by another engine
local tmp = os.tmpname()
assert(os.execute("/usr/bin/python3 tests/ref/exposure/ref_supports.py " .. tmp), "reference script failed")
local REF = dofile(tmp)
os.remove(tmp)
do
  local lim = { max = 4 }
  for _, obj in ipairs { folio.MinVolatility {}, folio.MaxSharpeRatio {}, folio.MaxDiversification {} } do
    local r = opt:optimize { exposures = REF.names, mu = REF.mu, cov = REF.cov, objective = obj,
                             constraints = folio.ExposureConstraints { max_exposures = 4 } }
    local ref = REF[obj.kind]
    T.near(r.objective, ref.value, 1e-7, obj.kind .. ": the CVXOPT brute force's objective")
    held_ok(r, REF.names, REF.cov, lim, obj.kind .. " (CVXOPT case)")
    if obj.kind ~= "MaxDiversification" then   -- its optimum is not unique here (equal correlations across clusters)
      local worst = 0
      for i, e in ipairs(REF.names) do worst = math.max(worst, math.abs(r.weights[e] - ref.weights[i])) end
      T.ok(worst < 1e-6, ("%s: the CVXOPT brute force's weights (worst %.2e)"):format(obj.kind, worst))
    end
  end
end

-- the spec's example (its constraints; cash_rate is not among its
-- exposures, so its min_weights entry is left out): MaxSharpe at 4% with
-- the spec's defaults on runs and keeps every limit
do
  local names = { "us_large_equity", "broad_ust", "trend_following", "real_estate", "gold" }
  local cats = { us_large_equity = "equity_beta", broad_ust = "rates", trend_following = "alternatives",
                 real_estate = "real_assets", gold = "real_assets" }
  local r = opt:optimize { exposures = names, mu = U.mu, cov = U.cov,
    objective = folio.MaxSharpeRatio { risk_free_rate = 0.04 },
    constraints = folio.ExposureConstraints { max_weights = { trend_following = 0.3 }, categories = cats,
      category_limits = { equity_beta = { 0.3, 0.6 }, alternatives = { 0.1, 0.3 } },
      max_total_notional = 1.3, max_volatility = 0.12 } }
  T.eq(r.status, "optimal", "the spec's example: optimal with the defaults on")
  T.ok(r.volatility <= 0.12 + 1e-8 and r.weights.us_large_equity <= 0.4 + 1e-8, "the spec's example keeps its limits")
end

---------------------------------------------------------------------------
-- 3. shadow prices per unit of the user's objective
---------------------------------------------------------------------------
-- d(objective)/d(limit) against a central finite difference of re-solves
do
  local cats = U.categories
  local function with(obj, cap)
    return opt:optimize { exposures = U.names, mu = U.mu, cov = U.cov, objective = obj,
      constraints = folio.ExposureConstraints { categories = cats, category_limits = { equity = { false, cap } } } }
  end
  for _, obj in ipairs { folio.MaxSharpeRatio {}, folio.MaxDiversification {}, folio.MinVolatility {},
                         folio.MeanVariance { risk_aversion = 2 }, folio.TargetReturn { target_return = 0.06 } } do
    local cap = obj.kind == "MaxDiversification" and 0.1 or 0.15
    local r = with(obj, cap)
    local price = r.shadow_prices.category_max_equity
    local h = 1e-4
    local fd = (with(obj, cap + h).objective - with(obj, cap - h).objective) / (2 * h)
    T.ok(price ~= nil, obj.kind .. ": the binding category cap has a shadow price")
    T.near(price or 0, fd, 2e-5, obj.kind .. ": the shadow price is d(objective)/d(limit) (finite difference)")
  end
  -- a per-exposure cap held as a column bound (plain solve): its reduced cost
  local function mv(cap)
    return opt:optimize { exposures = U.names, mu = U.mu, cov = U.cov, objective = folio.MeanVariance { risk_aversion = 2 },
      constraints = folio.ExposureConstraints { max_weights = { us_equity = cap } } }
  end
  local r = mv(0.2)
  local fd = (mv(0.2001).objective - mv(0.1999).objective) / 0.0002
  T.near(r.shadow_prices["max_weight[us_equity]"] or 0, fd, 1e-5, "a max_weights bound: listed, priced by its reduced cost")
end

-- the correlation matrix is labelled
T.near(capped.correlation_matrix.us_equity.real_estate, 0.6, 1e-12, "correlation_matrix is keyed by name")

---------------------------------------------------------------------------
-- 4. risk parity under limits (constrained risk budgeting)
---------------------------------------------------------------------------
do
  local r = opt:optimize { exposures = U.names, cov = U.cov, objective = folio.RiskParity {},
    constraints = folio.ExposureConstraints { max_concentration = 0.3 } }
  local worst = 0
  for i, e in ipairs(U.names) do worst = math.max(worst, math.abs(r.weights[e] - REF.parity.weights[i])) end
  T.ok(worst < 1e-7, ("RiskParity under a 30%% cap equals CVXOPT's constrained risk budgeting (worst %.2e)"):format(worst))
  local found = false
  for _, a in ipairs(r.active_constraints) do if a == "max_concentration[treasuries]" then found = true end end
  T.ok(found, "RiskParity lists the binding cap")
  -- the uncapped exposures share risk equally; the capped one takes less
  local share = {}
  for _, e in ipairs(U.names) do share[e] = r.risk_contributions[e] / r.volatility end
  T.near(share.us_equity, share.gold, 1e-9, "RiskParity: equal risk among the uncapped")
  T.ok(share.treasuries < share.gold, "RiskParity: the capped exposure carries less risk")
  -- a pair above max_correlation_pairs: the lighter of the two is not held
  local rp = opt:optimize { exposures = U.names, cov = U.cov, objective = folio.RiskParity {},
    constraints = folio.ExposureConstraints { max_correlation_pairs = 0.5 } }
  T.eq(rp.weights.real_estate, 0, "RiskParity: real estate (correlated 0.6 with equity, the lighter) is dropped")
  local eq = {}
  for _, e in ipairs(U.names) do if rp.weights[e] > 0 then eq[#eq + 1] = rp.risk_contributions[e] end end
  T.ok(#eq == 4 and math.abs(eq[1] - eq[4]) < 1e-10, "RiskParity: equal risk among the four held")
end

---------------------------------------------------------------------------
-- 5. fund mapping, exactly
---------------------------------------------------------------------------
do
  local u = folio.ExposureUniverse {
    exposures = { { name = "us" }, { name = "trend", leveraged = true }, { name = "ust" } },
    funds = { rsst = { us = 1, trend = 1 }, bond_fund = { ust = 1 }, equity_fund = { us = 1 } },
  }
  for _, case in ipairs {
    { { us = 0.5, trend = 0.5, ust = 0.3 }, { rsst = 0.5, equity_fund = 0, bond_fund = 0.3 } },
    { { us = 0.8, trend = 0.2, ust = 0 }, { rsst = 0.2, equity_fund = 0.6, bond_fund = 0 } },
  } do
    local fw = u:fund_weights(case[1])
    T.eq(fw.status, "optimal", "fund_weights on an exact fit with a fund at 0: optimal")
    for f, v in pairs(case[2]) do T.near(fw.weights[f], v, 1e-12, "exact fit: " .. f) end
    for _, e in ipairs { "us", "trend", "ust" } do T.near(fw.residual[e], 0, 1e-12, "exact fit: no residual in " .. e) end
  end
  -- a random loading matrix, against CVXOPT's QP, with and without a budget
  local F = REF.funds
  local exposures, funds = {}, {}
  for r = 1, #F.loadings do exposures[r] = { name = "x" .. r } end
  for f = 1, #F.loadings[1] do
    local l = {}
    for r = 1, #F.loadings do if F.loadings[r][f] ~= 0 then l["x" .. r] = F.loadings[r][f] end end
    funds[("f%d"):format(f)] = l
  end
  local v = folio.ExposureUniverse { exposures = exposures, funds = funds }
  local target = {}
  for r = 1, #F.target do target["x" .. r] = F.target[r] end
  for tag, o in pairs { free = {}, budget = { budget = 1 } } do
    local fw = v:fund_weights(target, o)
    local r2 = 0
    for _, e in pairs(fw.residual) do r2 = r2 + e * e end
    T.near(r2, F[tag].squared_residual, 1e-9, "fund_weights (" .. tag .. "): CVXOPT's least squares")
    local worst = 0
    for f = 1, #F.loadings[1] do worst = math.max(worst, math.abs(fw.weights["f" .. f] - F[tag].weights[f])) end
    T.ok(worst < 1e-6, ("fund_weights (%s): CVXOPT's weights (worst %.2e)"):format(tag, worst))
  end
end

---------------------------------------------------------------------------
-- 6. estimation_date and multi-period results per date
---------------------------------------------------------------------------
do
  local R = folio.read_csv("models/data/exposure_returns.csv")
  local risk_est = folio.RiskEstimator { method = "sample", frequency = 12 }
  local ret_est = folio.ReturnEstimator { method = "mean", frequency = 12 }
  local eo = folio.ExposureOptimizer { risk_estimator = risk_est, return_estimator = ret_est, returns = R }
  local date = "2014-12-31"
  local risk = folio.RiskEstimator { method = "sample", frequency = 12, as_of = date }:estimate(R)
  local ret = folio.ReturnEstimator { method = "mean", frequency = 12, as_of = date }:estimate(R)
  local names = risk.assets
  local a = eo:optimize { exposures = names, estimation_date = date, objective = folio.MaxSharpeRatio {} }
  local b = opt:optimize { exposures = names, mu = ret, cov = risk, objective = folio.MaxSharpeRatio {} }
  T.eq(a.estimation_date, date, "the result records its estimation date")
  T.near(a.objective, b.objective, 1e-12, "estimation_date: the estimates as of that date")
  local full = opt:optimize { exposures = names, mu = folio.ReturnEstimator { method = "mean", frequency = 12 }:estimate(R),
    cov = folio.RiskEstimator { method = "sample", frequency = 12 }:estimate(R), objective = folio.MaxSharpeRatio {} }
  T.ok(math.abs(full.objective - a.objective) > 1e-6, "estimation_date changes the answer (later data is not used)")
  T.raises_exact(function() opt:optimize { exposures = names, estimation_date = date } end,
    "optimize: estimation_date needs an optimizer with estimators: "
    .. "folio.ExposureOptimizer{risk_estimator =, return_estimator =, returns =}", "estimation_date without estimators")

  local dates = { "2009-12-31", "2014-12-31", "2019-12-31" }
  local w0 = {}
  for _, e in ipairs(names) do w0[e] = 1 / #names end
  local mp = eo:optimize_multiperiod { exposures = names, rebalance_dates = dates, risk_aversion = 4,
    current_weights = w0, transaction_costs = 0.002 }
  T.eq(mp.status, "optimal", "multi-period over rebalance dates: optimal")
  T.eq(#mp, 3, "one result per date")
  local turnover, costs, prev = 0, 0, w0
  for t, r in ipairs(mp) do
    T.eq(r.date, dates[t], "result " .. t .. " is for its date")
    T.eq(r.status, "optimal", "result " .. t .. " has the full contract")
    T.ok(r.volatility and r.risk_contributions and r.active_constraints, "result " .. t .. " has the risk decomposition")
    local tt = 0
    for _, e in ipairs(names) do
      tt = tt + math.abs(r.weights[e] - prev[e])
      T.ok(r.weights[e] <= 0.4 + 1e-8, "the defaults apply at every date")
    end
    T.near(r.turnover, tt, 1e-7, "result " .. t .. ": turnover from the previous date's weights")
    T.near(r.costs, 0.002 * tt, 1e-9, "result " .. t .. ": costs at 20 bp of the turnover")
    turnover, costs, prev = turnover + tt, costs + 0.002 * tt, r.weights
  end
  T.near(mp.turnover, turnover, 1e-7, "the plan's total turnover")
  T.near(mp.costs, costs, 1e-9, "the plan's total costs")
  -- the estimates at each date are the estimators' as of it: the first
  -- date's weights equal a single-period solve with no trading cost
  local single = eo:optimize_multiperiod { exposures = names, rebalance_dates = { dates[1] }, risk_aversion = 4,
    current_weights = w0, transaction_costs = 0 }
  local mv = opt:optimize { exposures = names, mu = folio.ReturnEstimator { method = "mean", frequency = 12, as_of = dates[1] }:estimate(R),
    cov = folio.RiskEstimator { method = "sample", frequency = 12, as_of = dates[1] }:estimate(R),
    objective = folio.MeanVariance { risk_aversion = 4 } }
  T.near(single[1].objective, mv.objective, 1e-8, "one date without costs is the single-period mean-variance")
end

---------------------------------------------------------------------------
-- 7. the risk model, objective:evaluate, constraints:validate
---------------------------------------------------------------------------
do
  local R = folio.read_csv("models/data/exposure_returns.csv")
  local est = folio.RiskEstimator { method = "ledoit_wolf", frequency = 12 }
  local date = "2019-12-31"
  local risk = folio.RiskEstimator { method = "ledoit_wolf", frequency = 12, as_of = date }:estimate(R)
  local spec = { us_large_cap = 0.02, gold = 0.05 }
  local rm = folio.ExposureRiskModel { risk_estimator = est, returns = R, estimation_date = date, specific_risk = spec,
                                       confidence_level = 0.95 }
  local names = { "us_large_cap", "broad_treasuries", "gold" }
  local pos = {}
  for i, e in ipairs(risk.assets) do pos[e] = i end
  local cv = rm:get_covariance_matrix(names)
  T.near(cv.gold.us_large_cap, risk.cov[pos.gold][pos.us_large_cap], 1e-15, "risk model: covariance by name, as of its date")
  local cr = rm:get_correlation_matrix(names)
  T.near(cr.gold.gold, 1, 1e-15, "risk model: correlation by name")
  T.near(cr.gold.broad_treasuries, risk.corr[pos.gold][pos.broad_treasuries], 1e-12, "risk model: the estimator's correlation")
  local w = { us_large_cap = 0.5, broad_treasuries = 0.3, gold = 0.2 }
  local var = 0
  for _, a in ipairs(names) do for _, b in ipairs(names) do var = var + w[a] * cv[a][b] * w[b] end end
  T.near(rm:calculate_portfolio_risk(w, false), math.sqrt(var), 1e-14, "portfolio risk without specific risk")
  local total = var + (0.5 * 0.02) ^ 2 + (0.2 * 0.05) ^ 2
  T.near(rm:calculate_portfolio_risk(w), math.sqrt(total), 1e-14, "portfolio risk with the specific risk added")
  local rc, sum = rm:calculate_risk_contributions(w), 0
  for _, v in pairs(rc) do sum = sum + v end
  T.near(sum, math.sqrt(total), 1e-14, "risk contributions sum to the portfolio risk")
  local num = 0.5 * math.sqrt(cv.us_large_cap.us_large_cap + 0.02 ^ 2) + 0.3 * math.sqrt(cv.broad_treasuries.broad_treasuries)
    + 0.2 * math.sqrt(cv.gold.gold + 0.05 ^ 2)
  T.near(rm:calculate_diversification_ratio(w), num / math.sqrt(total), 1e-13, "diversification ratio")
  -- normal VaR and CVaR at 95%: z = 1.6448536269514722, phi(z)/0.05 = 2.0627128075074257
  T.near(rm:value_at_risk(w), 1.6448536269514722 * math.sqrt(total), 1e-8, "parametric VaR at 95%")
  T.near(rm:cvar(w), 2.0627128075074257 * math.sqrt(total), 1e-8, "parametric CVaR at 95%")
  local r99 = folio.ExposureRiskModel { cov = risk, confidence_level = 0.99 }
  T.near(r99:value_at_risk(w, false), 2.3263478740408408 * math.sqrt(var), 1e-8, "VaR at 99%, cov given as an estimate")
  T.raises_exact(function() rm:portfolio_risk({ us_large_cap = 0.5, bitcoin = 0.5 }) end,
    "portfolio_risk: cov has no rows for 'bitcoin' (it covers " .. table.concat(risk.assets, ", ") .. ")",
    "a weight on an exposure the model does not cover")

  -- objective:evaluate agrees with what optimize reports
  for _, obj in ipairs { folio.MaxSharpeRatio {}, folio.MinVolatility {}, folio.MeanVariance { risk_aversion = 3 },
                         folio.TargetReturn { target_return = 0.06 }, folio.TargetVolatility { target_vol = 0.1 },
                         folio.MaxDiversification {}, folio.RiskParity {} } do
    local r = opt:optimize { exposures = U.names, mu = U.mu, cov = U.cov, objective = obj }
    T.near(obj:evaluate(r.weights, U.mu, U.cov, U.names), r.objective, 1e-9, obj.kind .. ":evaluate equals the result's objective")
  end
  T.near(folio.MinVolatility {}:evaluate({ 0.5, 0.5 }, nil, { { 0.04, 0 }, { 0, 0.04 } }), math.sqrt(0.02), 1e-15,
    "evaluate on positional weights")

  -- constraints:validate
  T.eq(folio.ExposureConstraints {}:validate(U.names, U.cov), true, "validate: the defaults on five exposures")
  T.raises_exact(function() folio.ExposureConstraints { categories = U.categories,
      category_limits = { real_assets = { 0.5, false } }, max_concentration = 0.2 }:validate(U.names) end,
    "validate: infeasible: category_limits real_assets >= 0.5 conflicts with max_concentration 0.2",
    "validate names the conflict")
  T.raises_exact(function() folio.ExposureConstraints { max_weights = { gld = 0.1 } }:validate(U.names) end,
    "validate: max_weights has a name not in the universe: 'gld'", "validate checks the names")
end

---------------------------------------------------------------------------
-- 8. robust mode: uncertainty in Sigma, per-parameter sets
---------------------------------------------------------------------------
do
  local n = #U.names
  local function weights_equal(a, b, tol, what)
    local worst = 0
    for _, e in ipairs(U.names) do worst = math.max(worst, math.abs(a.weights[e] - b.weights[e])) end
    T.ok(worst <= tol, ("%s (worst %.2e)"):format(what, worst))
  end
  local shifted = function(M, D)
    local out = {}
    for i = 1, n do out[i] = {} for j = 1, n do out[i][j] = M[i][j] + D[i][j] end end
    return out
  end
  -- long-only: the worst Sigma of the box is the upper matrix S + D
  local D = {}
  for i = 1, n do D[i] = {} for j = 1, n do D[i][j] = 0.25 * math.abs(U.cov[i][j]) end end
  local rb = opt:optimize_robust { exposures = U.names, mu = U.mu, cov = U.cov, risk_aversion = 3,
    uncertainty = { cov = { kind = "box", delta = 0.25 } } }
  local ref = opt:optimize { exposures = U.names, mu = U.mu, cov = shifted(U.cov, D),
    objective = folio.MeanVariance { risk_aversion = 3 } }
  T.eq(rb.status, "optimal", "robust Sigma box: optimal")
  weights_equal(rb, ref, 1e-7, "robust Sigma box, long-only: mean-variance on the upper matrix S + D")
  T.near(rb.objective, ref.objective, 1e-8, "robust Sigma box: the worst-case utility")
  -- the worst case over the box: Delta = D attains it, no other corner exceeds it
  local wv = {}
  for i, e in ipairs(U.names) do wv[i] = rb.weights[e] end
  local top = 0
  for i = 1, n do for j = 1, n do top = top + wv[i] * (U.cov[i][j] + D[i][j]) * wv[j] end end
  T.near(rb.worst_case_volatility, math.sqrt(top), 1e-12, "the worst-case volatility is that of S + D")
  local seed, exceeded = 3, false
  for _ = 1, 200 do
    local v = 0
    for i = 1, n do
      for j = i, n do
        seed = (seed * 1103515245 + 12345) % 2147483648
        local d = (seed / 2147483648 < 0.5) and -D[i][j] or D[i][j]
        v = v + (i == j and 1 or 2) * wv[i] * (U.cov[i][j] + d) * wv[j]
      end
    end
    if v > top + 1e-15 then exceeded = true end
  end
  T.ok(not exceeded, "no corner of the Sigma box gives more variance than S + D (200 random corners)")
  -- per-parameter sets: a box on mu and a box on Sigma together
  local delta = { 0.01, 0.005, 0.01, 0.02, 0.01 }
  local both = opt:optimize_robust { exposures = U.names, mu = U.mu, cov = U.cov, risk_aversion = 3,
    uncertainty_sets = { mu = { kind = "box", delta = delta }, cov = { kind = "box", delta = 0.25 } } }
  local low = {}
  for i = 1, n do low[i] = U.mu[i] - delta[i] end
  local ref2 = opt:optimize { exposures = U.names, mu = low, cov = shifted(U.cov, D),
    objective = folio.MeanVariance { risk_aversion = 3 } }
  weights_equal(both, ref2, 1e-7, "robust mu and Sigma boxes: mean-variance on mu - delta and S + D")
  -- long-short with a diagonal (PSD) box: |w|'D|w| = w'Dw, so S + D again
  local Dd = {}
  for i = 1, n do Dd[i] = {} for j = 1, n do Dd[i][j] = i == j and 0.01 or 0 end end
  local ls = folio.ExposureConstraints { bounds = { -0.5, 1 }, defaults = false }
  local rs = opt:optimize_robust { exposures = U.names, mu = { 0.08, 0.035, 0.06, 0.07, -0.03 }, cov = U.cov,
    risk_aversion = 3, uncertainty = { cov = { kind = "box", delta = Dd } }, constraints = ls }
  local ref3 = opt:optimize { exposures = U.names, mu = { 0.08, 0.035, 0.06, 0.07, -0.03 }, cov = shifted(U.cov, Dd),
    objective = folio.MeanVariance { risk_aversion = 3 }, constraints = ls }
  T.ok(rs.weights.gold < -0.01, "long-short robust: gold is shorted")
  weights_equal(rs, ref3, 1e-7, "robust Sigma box with shorts (diagonal D): mean-variance on S + D")
  local off = {}   -- uncertain correlations, certain variances: not PSD
  for i = 1, n do off[i] = {} for j = 1, n do off[i][j] = i == j and 0 or 0.001 end end
  T.raises(function() opt:optimize_robust { exposures = U.names, mu = U.mu, cov = U.cov,
    uncertainty = { cov = { kind = "box", delta = off } }, constraints = ls } end,
    "optimize_robust: with short positions the cov box needs a positive semidefinite delta",
    "a box that is not convex with shorts is an error")
end

T.done()
