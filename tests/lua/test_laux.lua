-- Tests for the shared argument checks (src/lua/laux.c): option tables,
-- vectors and matrices of numbers, typed options. Each error is checked
-- whole, with the file:line it blames (the caller's line). Run from the
-- repo root: build/folio run tests/lua/test_laux.lua
local T = dofile("tests/lua/testlib.lua")
local folio = require "folio"
local core = require "folio.core"
local stats, cim, ising, trade = core.stats, core.cim, core.ising, core.trade

------------------------------------------------------------------------------
-- folio.core.check_options, the Lua face of the key check
------------------------------------------------------------------------------
-- a public entry point that checks at level 2 (the default), and one that
-- checks in a helper, one call deeper (level 3)
local function api(o) core.check_options(o, "api", { "zeta", "alpha", "mid" }) end
local function check_deep(o) core.check_options(o, "deep", { alpha = true, zeta = true }, 3) end
local function deep(o) check_deep(o) end

T.raises_exact(function() api { alpah = 1 } end, "api: unknown option 'alpah' (did you mean 'alpha'? options: zeta, alpha, mid)",
  "a list keeps its order; the blame is the caller's line")
T.raises_exact(function() deep { alpah = 1 } end, "deep: unknown option 'alpah' (did you mean 'alpha'? options: alpha, zeta)",
  "a set is listed sorted; level 3 from a helper")
T.raises_exact(function() core.check_options({ x = 1 }, "f", { "y" }, 1) end,
  "f: unknown option 'x' (options: y)", "level 1: the function that calls check_options")
T.raises_exact(function() api { [1] = "zeta" } end, "api: option names must be strings (got a number key)",
  "a positional entry")
T.raises_exact(function() api { [true] = 1 } end, "api: option names must be strings (got a boolean key)",
  "a boolean key")
T.raises_exact(function() api(5) end, "api: expected a table of options (got number)", "not a table")
T.ok(pcall(api, nil), "nil: no options to check")
T.ok(pcall(api, { alpha = 1, zeta = 2 }), "known options pass")
T.raises(function() core.check_options({}, "f", { 1 }) end, "option names must be strings)", "a bad allowed list")

------------------------------------------------------------------------------
-- vectors and matrices: numbers by type, finite, shapes
------------------------------------------------------------------------------
local I2 = { { 1, 0 }, { 0, 1 } }
T.raises_exact(function() stats.psd_repair { { 1, "abc" }, { 0, 1 } } end,
  "psd_repair: M[1][2] must be a number (got string)", "a string is not read as 0")
T.raises_exact(function() stats.psd_repair { { 1, "2" }, { 2, 1 } } end,
  "psd_repair: M[1][2] must be a number (got string)", "nor as the number it spells")
T.raises_exact(function() stats.psd_repair { { 1, 0 / 0 }, { 0, 1 } } end,
  "psd_repair: M[1][2] must be finite (got nan)", "NaN")
T.raises_exact(function() stats.psd_repair { { 1, 0 }, { 0, math.huge } } end,
  "psd_repair: M[2][2] must be finite (got inf)", "inf")
T.raises_exact(function() stats.psd_repair { { -math.huge } } end,
  "psd_repair: M[1][1] must be finite (got -inf)", "-inf")
T.raises_exact(function() stats.psd_repair {} end, "psd_repair: M is empty", "empty matrix")
T.raises_exact(function() stats.psd_repair(5) end, "psd_repair: M must be a table of rows (got number)", "not a table")
T.raises_exact(function() stats.psd_repair { 1 } end, "psd_repair: M[1] must be a row of numbers (got number)",
  "a row that is not a table")
T.raises_exact(function() stats.psd_repair { { 1, 2 }, { 3 } } end, "psd_repair: M[2] has 1 entries, expected 2",
  "a short row")
T.raises_exact(function() stats.risk_parity(I2, { 1, "0.5" }) end,
  "risk_parity: budgets[2] must be a number (got string)", "budgets by type")
T.raises_exact(function() stats.risk_parity(I2, { 1 }) end, "risk_parity: budgets has 1 entries, expected 2",
  "budgets: length")
T.raises_exact(function() stats.risk_parity(I2, { 1, -1 }) end, "risk_parity: budgets[2] must be positive",
  "budgets: sign")
T.raises_exact(function() stats.risk_parity(I2, "equal") end,
  "risk_parity: budgets must be an array of numbers (got string)", "budgets: not a table")
local w = stats.risk_parity(I2, { 1, 1 })
T.near(w[1], 0.5, 1e-12, "risk_parity still solves")
local data = { n = 3, { 1, 2, 4 }, { 2, 1, 3 } }
T.raises_exact(function() stats.cov_weighted(data, { 1, "x", 1 }) end,
  "covariance: weights[2] must be a number (got string)", "cov_weighted: weights by type")
T.raises_exact(function() stats.cov_weighted(data, { 1, -1, 1 }) end, "covariance: weights[2] must be >= 0",
  "cov_weighted: negative weight")
T.raises_exact(function() cim.best_subset(I2, { 1, "x" }, 1) end, "cim.best_subset: q[2] must be a number (got string)",
  "best_subset: q by type")
T.raises_exact(function() ising.energy({ { 0, true }, { 1, 0 } }, nil, { 1, 1 }) end,
  "ising.energy: J[1][2] must be a number (got boolean)", "ising: J by type")
T.raises_exact(function() trade.generate { securities = 2, n = 1, vols = { 0.1, "x" } } end,
  "trade.generate: vols[2] must be a number (got string)", "trade: vols by type")
T.raises_exact(function() trade.generate { securities = 2, n = 1 } end, "trade.generate: vols is required",
  "trade: a required vector")
T.raises_exact(function() trade.from_rows({ { 1, 1 }, { 1, "1" } }, 2) end,
  "trade: scenarios[2][2] must be a number (got string)", "trade: scenario rows by type")

-- bounds may be infinite, never NaN
local problem = { mu = { 0.1, 0.2 }, theta = I2 }
local function with(t)
  local p = {}
  for k, v in pairs(problem) do p[k] = v end
  for k, v in pairs(t) do p[k] = v end
  return p
end
T.ok(pcall(cim.exact, with { lower = { -math.huge, 0 }, upper = { math.huge, 1 } }), "infinite bounds pass")
T.raises_exact(function() cim.exact(with { lower = { 0 / 0, 0 } }) end, "cim: lower[1] must not be NaN",
  "a NaN bound")
T.raises_exact(function() cim.exact(with { nu = { 0, math.huge } }) end, "cim: nu[2] must be finite (got inf)",
  "other vectors are finite")
T.raises_exact(function() cim.exact(with { theta = { { 1, 0 }, { 0, "1" } } }) end,
  "cim: theta[2][2] must be a number (got string)", "theta by type")
T.raises_exact(function() cim.exact(with { bogus = 1 }) end, "cim.exact: unknown option 'bogus' (options: mu, "
  .. "theta, gamma, groups, lambdas, rho, limits, caps, lower, upper, nu, omega, sigma, l1_eps, w0)",
  "cim.exact: its keys")

------------------------------------------------------------------------------
-- typed options
------------------------------------------------------------------------------
local m = folio.model("opts")
local x = m:var("x", { lb = 0, ub = 1 })
m:maximize(x)
T.raises_exact(function() m:solve { time_limit = 0 / 0 } end, "solve: time_limit must be a number, not NaN", "NaN")
T.raises_exact(function() m:solve { time_limit = -1 } end, "solve: time_limit must be >= 0 (got -1)", "below lo")
T.raises_exact(function() m:solve { time_limit = "10" } end, "solve: time_limit must be a number (got string)",
  "a number by type")
T.raises_exact(function() m:solve { iteration_limit = 1.5 } end,
  "solve: iteration_limit must be an integer >= 0 (got 1.5)", "an integer")
T.raises_exact(function() m:solve { presolve = "yes" } end, "solve: presolve must be true or false (got string)",
  "a boolean")
T.raises_exact(function() m:solve { method = "barrier" } end,
  'solve: method must be one of "simplex", "dual", "interior", "auto" (got "barrier")', "an enum")
T.raises_exact(function() m:solve { method = 2 } end,
  'solve: method must be one of "simplex", "dual", "interior", "auto" (got number)', "an enum by type")
T.raises_exact(function() m:solve { solver = 1 } end, "solve: solver must be a string (got number)", "a string option")
T.eq(m:solve { method = "dual", iteration_limit = 100, presolve = false }.objective, 1, "good options solve")
local J = { { 0, 1 }, { 1, 0 } }
T.raises_exact(function() ising.solve { J = J, runs = 0 } end, "ising.solve: runs must be an integer >= 1 (got 0)",
  "an integer's lower bound")
T.raises_exact(function() ising.solve { J = J, seed = "x" } end, "ising.solve: seed must be an integer >= 0 (got string)",
  "an integer by type")
T.raises_exact(function() ising.solve { J = J, dt = 0 / 0 } end, "ising.solve: dt must be a number, not NaN",
  "ising: NaN")
T.raises_exact(function() trade.generate { securities = 1, n = 1, vols = { 0.1 }, dist = "cauchy" } end,
  'trade.generate: dist must be one of "normal", "t" (got "cauchy")', "trade: dist")
T.raises_exact(function() trade.generate { securities = 1, n = -1, vols = { 0.1 } } end,
  "trade.generate: n must be an integer in 0..100000000 (got -1)", "trade: a count")
T.raises_exact(function() cim.solve(with { samples = 1e7 }) end,
  "cim: samples must be an integer in 0..1000000 (got 10000000.0)", "cim: an integer's range")

T.done()
