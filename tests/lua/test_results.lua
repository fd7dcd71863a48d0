-- The result contract (docs/results.md) on the exposure optimizer: an
-- infeasible portfolio is infeasible under every objective and says what
-- conflicts; inputs are aligned by name; objectives are in the user's
-- units; errors blame the caller's line; every result type serialises.
local T = dofile("tests/lua/testlib.lua")
local folio = require "folio"
local results = require "folio.results"
local report = require "folio.report"

local U = dofile("tests/data/results/universe.lua")
local names, mu, cov, n = U.names, U.mu, U.cov, #U.names
local opt = folio.ExposureOptimizer()
local cats = U.categories

-- 1. Equal weights hold 0.4 in real assets; a cap of 0.1 needs 0.3 of
-- selling and as much buying, a turnover of at least 0.6 against a limit of 0.01.
local equal = U.equal
local stuck = folio.ExposureConstraints { categories = cats, category_limits = { real_assets = { false, 0.1 } },
  current_weights = equal, max_turnover = 0.01 }
local WHY = "infeasible: max_turnover 0.01 conflicts with category_limits real_assets <= 0.1 "
  .. "(needs turnover >= 0.6 from the current weights)"
for _, obj in ipairs {
  folio.MinVolatility {}, folio.MeanVariance { risk_aversion = 3 }, folio.MaxSharpeRatio { risk_free_rate = 0.01 },
  folio.TargetReturn { target_return = 0.05 }, folio.TargetVolatility { target_vol = 0.1 }, folio.MaxDiversification {},
} do
  local r = opt:optimize { exposures = names, mu = mu, cov = cov, objective = obj, constraints = stuck }
  T.eq(r.status, "infeasible", obj.kind .. ": status")
  T.eq(r.optimization_status, "infeasible", obj.kind .. ": the specification's alias")
  T.eq(r.has_solution, false, obj.kind .. ": no solution")
  T.eq(r.weights, nil, obj.kind .. ": no weights")
  T.eq(r.message, WHY, obj.kind .. ": the conflict in the user's words")
  T.eq(table.concat(r.conflicts, "; "), "max_turnover 0.01; category_limits real_assets <= 0.1",
    obj.kind .. ": the conflicting groups")
  T.eq(report.exit_code({ r }), 3, obj.kind .. ": exit code 3")
end

-- the same turnover limit loosened to 0.6 is feasible: the bound is tight
local loose = folio.ExposureConstraints { categories = cats, category_limits = { real_assets = { false, 0.1 } },
  current_weights = equal, max_turnover = 0.6 + 1e-6 }
local ok = opt:optimize { exposures = names, mu = mu, cov = cov, constraints = loose }
T.eq(ok.status, "optimal", "turnover at the reported minimum is feasible")

-- three limits in conflict, one of them a bound
local three = opt:optimize { exposures = names, cov = cov, constraints = folio.ExposureConstraints {
  bounds = { 0, 0.3 }, categories = cats, category_limits = { real_assets = { false, 0.05 }, equity = { 0.25, false } },
  max_concentration = 0.9 } }
T.eq(three.status, "infeasible", "bounds and category limits: infeasible")
T.eq(three.message, "infeasible: category_limits real_assets <= 0.05 conflicts with bounds (each weight <= 0.3) "
  .. "and budget = 1 (needs real_assets weight >= 0.1)",
  "three limits: 0.3 x 3 + 0.05 < 1 leaves the budget out of reach; the rest need 0.1 in real assets")

-- risk limits (quadratic rows, cones under the ratio transform) conflict
-- the same way; the least volatility is the minimum-variance portfolio's
local minvar = opt:optimize { exposures = names, cov = cov }
local need = ("%.6g"):format(minvar.volatility)
for _, obj in ipairs { folio.MinVolatility {}, folio.MeanVariance {}, folio.MaxSharpeRatio {},
                       folio.MaxDiversification {} } do
  local r = opt:optimize { exposures = names, mu = mu, cov = cov, objective = obj,
    constraints = folio.ExposureConstraints { max_volatility = 0.03 } }
  T.eq(r.message, "infeasible: max_volatility 0.03 conflicts with budget = 1 (needs volatility >= " .. need .. ")",
    obj.kind .. ": a volatility cap below the minimum variance")
end
local tv = opt:optimize { exposures = names, mu = mu, cov = cov, objective = folio.TargetVolatility { target_vol = 0.03 } }
T.eq(tv.message, "infeasible: target_vol 0.03 conflicts with budget = 1 (needs volatility >= " .. need .. ")",
  "TargetVolatility below the minimum variance")

-- 2. Inputs by name: the universe in another order gives the same weights
-- by name, whether cov is positional-with-labels, keyed or an estimate.
local keyed_cov, keyed_mu = {}, {}
for i, a in ipairs(names) do
  keyed_mu[a] = mu[i]
  keyed_cov[a] = {}
  for j, b in ipairs(names) do keyed_cov[a][b] = cov[i][j] end
end
local sorted = { table.unpack(names) }
table.sort(sorted)
local base = opt:optimize { exposures = names, mu = mu, cov = cov, objective = folio.MaxSharpeRatio {} }
local by_key = opt:optimize { exposures = sorted, mu = keyed_mu, cov = keyed_cov, objective = folio.MaxSharpeRatio {} }
local est = { assets = names, cov = cov }
local ret = { assets = names, mu = mu }
local by_est = opt:optimize { exposures = sorted, mu = ret, cov = est, objective = folio.MaxSharpeRatio {} }
local worst = 0
for _, e in ipairs(names) do
  worst = math.max(worst, math.abs(base.weights[e] - by_key.weights[e]), math.abs(base.weights[e] - by_est.weights[e]))
end
T.ok(worst < 1e-9, ("keyed and estimate inputs give the same weights by name (max difference %.3g)"):format(worst))

-- an estimator's cov remembers its assets: sorting the universe is safe
local R = { columns = { "date", "a", "b", "c" }, n = 4, date = { "2020-01-31", "2020-02-29", "2020-03-31", "2020-04-30" },
  a = { 0.01, -0.02, 0.03, 0.01 }, b = { 0.02, 0.01, -0.01, 0.00 }, c = { -0.01, 0.03, 0.02, -0.02 } }
local risk = folio.RiskEstimator { method = "sample", frequency = 12 }:estimate(R)
local r1 = opt:optimize { exposures = { "a", "b", "c" }, cov = risk.cov }
local r2 = opt:optimize { exposures = { "c", "a", "b" }, cov = risk.cov }
local r3 = opt:optimize { exposures = { "c", "b" }, cov = risk }
T.near(r2.weights.a, r1.weights.a, 1e-9, "labelled cov: a by name")
T.near(r2.weights.c, r1.weights.c, 1e-9, "labelled cov: c by name")
T.eq(#r3.exposures, 2, "a labelled cov may cover more names than the universe")

-- names that do not match are errors naming them, on the caller's line
T.raises_exact(function() opt:optimize { exposures = { "a", "b", "x" }, cov = risk.cov } end,
  "optimize: cov has no rows for 'x' (it covers a, b, c)", "a name the estimate does not cover")
T.raises_exact(function() opt:optimize { exposures = names, cov = cov, mu = { us_equity = 0.1, gld = 0.2 } } end,
  "optimize: mu has a name not in the universe: 'gld'", "a keyed vector with a stranger")
T.raises_exact(function() opt:optimize { exposures = { "a", "b" }, cov = { a = { a = 1, b = 0 }, b = { a = 0, b = 0 / 0 } } } end,
  "optimize: cov['b']['b'] must be a number (got NaN)", "a NaN entry is named as NaN, not as 'got number'")
T.raises_exact(function() opt:optimize { exposures = { "a", "b" }, cov = { a = { a = 1, b = 0 }, b = { a = 0, b = -math.huge } } } end,
  "optimize: cov['b']['b'] must be finite (got -inf)", "an infinite entry is named by its labels, on the caller's line")
T.raises_exact(function() opt:optimize { exposures = names, cov = { { 1, 0 }, { 0, 1 } } } end,
  "optimize: cov has 2 rows for 5 names (a positional matrix follows the order of the names)",
  "a positional matrix of the wrong size")
T.raises_exact(function() opt:optimize { exposures = { "a", "b", "c" }, cov = risk.cov, mu = { a = 0.1, b = math.huge, c = 0 } } end,
  "optimize: mu['b'] must be finite (got inf)", "an infinite mu is named by its label, on the caller's line")
T.raises_exact(function() opt:optimize { exposures = { "a", 2, "c" }, cov = risk.cov } end,
  "optimize: exposures[2] must be a name (a string, got integer)", "a number among the names, before any solve")
T.raises_exact(function() opt:optimize { exposures = { "a", "b", "a" }, cov = risk.cov } end,
  "optimize: exposures names 'a' twice", "a name given twice")
-- a matrix as a data table (read_csv of a CSV whose first column names
-- the rows; a pandas DataFrame through the Python module): by name
local framed = { columns = { "asset", "c", "a", "b" }, n = 3, asset = { "b", "c", "a" } }
for j, col in ipairs { "c", "a", "b" } do
  framed[col] = {}
  for i, row in ipairs(framed.asset) do framed[col][i] = risk.cov[({ a = 1, b = 2, c = 3 })[row]][({ a = 1, b = 2, c = 3 })[col]] end
end
local rf = opt:optimize { exposures = { "c", "a", "b" }, cov = framed }
T.near(rf.weights.a, r1.weights.a, 1e-12, "a data-table cov, rows and columns in other orders: a by name")
T.near(rf.weights.c, r1.weights.c, 1e-12, "a data-table cov: c by name")
T.raises_exact(function() opt:optimize { exposures = { "a", "b", "c" }, cov = R } end,
  "optimize: cov is a data table of 4 rows and 4 columns: a matrix keyed by name needs the row names in its first column and one column per name",
  "a returns table passed as cov")
framed.asset[2] = "b"
T.raises_exact(function() opt:optimize { exposures = { "a", "b", "c" }, cov = framed } end,
  "optimize: cov names row 'b' twice", "a data-table cov naming a row twice")
T.raises_exact(function() opt:optimize { exposures = names, cov = cov, constraints = folio.ExposureConstraints {
  min_weights = { gld = 0.1 } } } end, "optimize: min_weights has a name not in the universe: 'gld'",
  "min_weights for an exposure not in the list")
T.raises_exact(function() opt:optimize { exposures = names, cov = cov, estimation_date = "2020-01-01" } end,
  "optimize: give estimation_date or mu and cov, not both (mu and cov are estimates already)",
  "estimation_date next to mu and cov is an error, not ignored (tests/lua/test_exposure_spec.lua estimates as of it)")
T.raises_exact(function() folio.MinVol {} end, "folio: no field 'MinVol' (did you mean 'MinVolatility'?)",
  "a misspelt constructor")
T.raises_exact(function() folio.MaxSharpeRatio { risk_free_rate = "2%" } end,
  "MaxSharpeRatio: risk_free_rate must be a number (got string)", "a wrong type names the field")
T.raises_exact(function() local r = opt:efficient_frontier { exposures = names, mu = mu, cov = cov,
  constraints = folio.ExposureConstraints { min_weights = { gld = 0.1 } } }; return r end,
  "optimize: min_weights has a name not in the universe: 'gld'",
  "an error deep in folio (efficient_frontier calls optimize) blames the caller's line")

T.raises_exact(function() opt:optimize_with_scenarios { exposures = names, scenarios = { { 0.01, 0.02 } } } end,
  "optimize_with_scenarios: scenario 1 must have 5 returns", "the scenario mode blames the caller's line")
T.raises_exact(function() opt:optimize { exposures = names, cov = cov, constraints = folio.ExposureConstraints {
  max_cvar = 0.1, scenarios = { { 0.01, 0.02 } } } } end, "optimize: max_cvar: scenario 1 must have 5 returns",
  "a CVaR limit's scenarios, checked in optimize, blame the caller's line")

-- no portfolio beats a risk-free rate of 50%: the ratio problem has no solution
local rf = opt:optimize { exposures = names, mu = mu, cov = cov, objective = folio.MaxSharpeRatio { risk_free_rate = 0.5 } }
T.eq(rf.status, "infeasible", "MaxSharpe above every return: infeasible")
T.eq(rf.message, "infeasible: no portfolio within the limits has an expected return above the risk-free rate",
  "MaxSharpe above every return: says why")

-- a covariance must be symmetric (every objective) and, for RiskParity's
-- Newton method, positive semidefinite
T.raises_exact(function() opt:optimize { exposures = { "a", "b" }, cov = { { 0.04, 0.01 }, { 0.02, 0.09 } },
  objective = folio.RiskParity {} } end,
  "optimize: cov is not symmetric: cov['a']['b'] = 0.01 but cov['b']['a'] = 0.02", "an asymmetric covariance")
T.raises_exact(function() opt:optimize { exposures = { "a", "b" }, cov = { { 0.04, 0.1 }, { 0.1, 0.09 } },
  objective = folio.RiskParity {} } end, "optimize: RiskParity: cov is not positive semidefinite",
  "RiskParity on a covariance that is not PSD")

-- 3. Objectives in the user's units
T.near(base.objective, base.sharpe_ratio, 1e-12, "MaxSharpe: the objective is the Sharpe ratio")
T.near(base.objective_value, base.sharpe_ratio, 1e-12, "MaxSharpe: objective_value too")
local mv = opt:optimize { exposures = names, cov = cov }
T.near(mv.objective, mv.volatility, 1e-12, "MinVolatility: the objective is the volatility")
local md = opt:optimize { exposures = names, cov = cov, objective = folio.MaxDiversification {} }
T.near(md.objective, md.diversification_ratio, 1e-12, "MaxDiversification: the diversification ratio")
for _, r in ipairs { base, mv, md } do
  T.eq(r.solver, "qp", "the solver is named")
  T.ok(type(r.solve_time) == "number" and r.solve_time >= 0, "solve_time is a number")
end

-- 4. Every exposure-side result type is a registered result with a summary,
-- JSON that encodes, and one CSV layout whatever the outcome
local mp = opt:optimize_multiperiod { exposures = names, periods = { { mu = mu, cov = cov }, { mu = mu, cov = cov } },
  transaction_costs = 0.01 }
local fr = opt:efficient_frontier { exposures = names, mu = mu, cov = cov, points = 3 }
local sc = opt:optimize_with_scenarios { exposures = names, scenarios = { { 0.01, 0.0, 0.02, -0.01, 0.0 },
  { -0.02, 0.01, 0.0, 0.01, 0.02 } } }
local rb = opt:optimize_robust { exposures = names, mu = mu, cov = cov,
  uncertainty = { kind = "box", delta = { 0.01, 0.01, 0.01, 0.01, 0.01 } } }
local infeasible = opt:optimize { exposures = names, cov = cov, constraints = stuck }
for what, r in pairs { exposure = base, multiperiod = mp, frontier = fr, scenario = sc, robust = rb,
                       infeasible = infeasible } do
  T.ok(results.is_result(r), what .. ": a registered result")
  T.ok(type(r.status) == "string" and results.STATUSES[r.status], what .. ": a status of the vocabulary")
  T.ok(type(r:summary()) == "string" and not r:summary():find("table: 0x"), what .. ": prints a summary")
  T.eq(tostring(r), r:summary(), what .. ": tostring is the summary")
  local okj, text = pcall(folio.json_encode or require("folio.core").json_encode, report.json({ r }))
  T.ok(okj and type(text) == "string", what .. ": JSON encodes (" .. tostring(okj and "" or text) .. ")")
  local cols = r:csv()
  T.ok(#cols >= 2, what .. ": a CSV view")
end
T.eq(table.concat((infeasible:csv()), ","), table.concat((base:csv()), ","), "CSV columns do not depend on the outcome")
T.eq(select(2, infeasible:csv())[1], nil, "no rows without a solution")

-- non-finite numbers have one encoding
local j = report.json({ { gap = math.huge, lo = -math.huge, bad = 0 / 0 } })
T.eq(j.gap, "inf", "inf encodes as \"inf\"")
T.eq(j.lo, "-inf", "-inf encodes as \"-inf\"")
T.eq(j.bad, "nan", "NaN encodes as \"nan\"")

-- 5. weights below the display tolerance print as 0; JSON keeps them raw
local tiny = setmetatable({}, getmetatable(base))
for k, v in pairs(base) do tiny[k] = v end
tiny.weights = {}
for _, e in ipairs(names) do tiny.weights[e] = base.weights[e] end
tiny.weights.gold = 3e-9
T.ok(not tiny:summary():find("3e%-07"), "a weight of 3e-9 prints as 0")
T.eq(report.json({ tiny }).weights.gold, 3e-9, "JSON keeps the raw weight")

T.done()
