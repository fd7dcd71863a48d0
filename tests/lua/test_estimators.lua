-- folio.returns and folio.RiskEstimator against an independent numpy
-- computation (tests/ref/risk/ref_risk.py) on data/pypfopt/
-- stock_prices.csv: 20 stocks, listings starting at different dates.
local T = dofile("tests/lua/testlib.lua")
local folio = require "folio"

local tmp = os.tmpname()
assert(os.execute("/usr/bin/python3 tests/ref/risk/ref_risk.py " .. tmp), "reference script failed")
local ref = folio.read_json(tmp)
os.remove(tmp)

local prices = folio.read_csv("data/pypfopt/stock_prices.csv")
local R = folio.returns(prices)
T.eq(R.n, prices.n - 1, "one return fewer than prices")
T.eq(R.AAPL[1], prices.AAPL[2] / prices.AAPL[1] - 1, "simple return")

local function same(got, want, tol, what)
  local worst = 0
  for i = 1, #want do
    for j = 1, #want do
      worst = math.max(worst, math.abs(got[i][j] - want[i][j]) / math.max(1e-12, math.abs(want[i][i] * want[j][j]) ^ 0.5))
    end
  end
  T.ok(worst <= tol, string.format("%s: worst relative difference %.2e", what, worst))
end

local s = folio.RiskEstimator { method = "sample" }:estimate(R)
T.eq(#s.assets, 20, "every ticker is an asset")
same(s.cov, ref.sample, 1e-10, "sample covariance, pairwise complete")
T.near(s.corr[3][3], 1, 1e-12, "correlation diagonal")
T.near(s.vol[1], math.sqrt(ref.sample[1][1]), 1e-12, "volatility")
same(folio.RiskEstimator { method = "ewma", span = 180 }:estimate(R).cov, ref.ewma_span180, 1e-10, "EWMA, span 180")
same(folio.RiskEstimator { method = "semicovariance" }:estimate(R).cov, ref.semicovariance, 1e-10, "semicovariance")
local w = folio.RiskEstimator { lookback = 500, as_of = "2016-12-31" }:estimate(R)
T.eq(w.rows, 500, "lookback window")
same(w.cov, ref.sample_asof_2016_lookback500, 1e-10, "no data after the estimation date")

local lw = folio.RiskEstimator { method = "ledoit_wolf" }:estimate(R)
same(lw.cov, ref.ledoit_wolf_cc, 1e-9, "Ledoit-Wolf, constant-correlation target")
T.near(lw.shrinkage, ref.ledoit_wolf_delta, 1e-9, "Ledoit-Wolf shrinkage intensity")
local sf = folio.RiskEstimator { method = "ledoit_wolf", target = "single_factor" }:estimate(R)
same(sf.cov, ref.ledoit_wolf_sf, 1e-9, "Ledoit-Wolf, single-factor target")
T.near(sf.shrinkage, ref.ledoit_wolf_sf_delta, 1e-9, "Ledoit-Wolf single-factor intensity")
T.ok(sf.shrinkage > 0 and sf.shrinkage < 1, "single-factor intensity strictly inside (0, 1)")
local id = folio.RiskEstimator { method = "ledoit_wolf", target = "identity" }:estimate(R)
same(id.cov, ref.ledoit_wolf_id, 1e-9, "Ledoit-Wolf, scaled identity target")
T.near(id.shrinkage, ref.ledoit_wolf_id_delta, 1e-9, "Ledoit-Wolf identity intensity")
T.raises(function() folio.RiskEstimator { method = "ledoit_wolf", target = "market" } end,
  "target must be constant_correlation, single_factor or identity, got 'market'", "unknown shrinkage target")
T.raises(function() folio.RiskEstimator { method = "sample", target = "identity" } end,
  "target applies to method = \"ledoit_wolf\" only", "target without ledoit_wolf")

-- return estimators
local function same_vec(got, want, tol, what)
  local worst = 0
  for i = 1, #want do worst = math.max(worst, math.abs(got[i] - want[i]) / math.max(1e-12, math.abs(want[i]))) end
  T.ok(worst <= tol, string.format("%s: worst relative difference %.2e", what, worst))
end
same_vec(folio.ReturnEstimator { method = "mean" }:estimate(R).mu, ref.mean, 1e-12, "historical mean")
same_vec(folio.ReturnEstimator { method = "cagr" }:estimate(R).mu, ref.cagr, 1e-10, "compound annual growth")
same_vec(folio.ReturnEstimator { method = "ewma", span = 60 }:estimate(R).mu, ref.ewma_span60, 1e-10, "EWMA mean")
local wm = {}
for i = 1, 20 do wm[i] = 1 / 20 end
local P = { {}, {} }
for j = 1, 20 do P[1][j] = 0; P[2][j] = 0 end
P[1][1], P[2][2], P[2][3] = 1, 1, -1
local bl = folio.ReturnEstimator { method = "black_litterman", market_weights = wm, risk_aversion = 2.5,
  views = { P = P, Q = { 0.10, 0.02 } } }
same_vec(bl:estimate(R, s.cov).mu, ref.bl_posterior, 1e-9, "Black-Litterman posterior")
local prior = folio.ReturnEstimator { method = "black_litterman", market_weights = wm, risk_aversion = 2.5 }
same_vec(prior:estimate(R, s.cov).mu, ref.bl_pi, 1e-12, "Black-Litterman without views is the equilibrium")
local given = folio.ReturnEstimator { method = "given", values = { AAPL = 0.1 }, assets = { "AAPL" } }:estimate()
T.eq(given.by_name.AAPL, 0.1, "given returns")

-- a matrix that is not PSD is repaired, with a warning naming the eigenvalue
local fixed, lmin = folio.core_stats.psd_repair({ { 1, 2 }, { 2, 1 } })
T.near(lmin, -1, 1e-12, "smallest eigenvalue of [[1,2],[2,1]]")
T.near(fixed[1][1], 1.5, 1e-12, "nearest PSD matrix")
T.raises(function() folio.RiskEstimator { method = "ewma" } end, "RiskEstimator: ewma needs half_life or span",
  "ewma without a decay")
T.raises_exact(function() folio.RiskEstimator { methd = "sample" } end, "RiskEstimator: unknown option 'methd' "
  .. "(did you mean 'method'? options: as_of, assets, benchmark, date, frequency, half_life, horizon, lookback, method, span, target)",
  "unknown option")
-- errors blame the caller's line, from the constructor and from estimate
T.raises_exact(function() folio.RiskEstimator { frequency = "monthly" } end,
  "RiskEstimator: frequency must be a number (got string)", "a wrong type names the field")
T.raises_exact(function() folio.RiskEstimator {}:estimate(nil) end,
  "estimate: expected a returns table (folio.returns or folio.read_csv)", "estimate without returns")
-- given returns are matched by name; a stranger is named
local given = folio.ReturnEstimator { method = "given", values = { b = 0.02, a = 0.01 }, assets = { "a", "b" } }:estimate()
T.eq(given.mu[1], 0.01, "given: a by name")
T.eq(given.mu[2], 0.02, "given: b by name")
T.raises_exact(function() folio.ReturnEstimator { method = "given", values = { a = 0.01, c = 0.02 },
  assets = { "a", "b" } }:estimate() end, "estimate: values has a name not in the universe: 'c'",
  "given: a name that is not an asset")
-- folio.returns' loop runs in C (core.period_returns): every cell equals
-- the formula computed here in Lua, holes included, simple and log
local function lua_returns(p, n, log)
  local r = {}
  for t = 2, n do
    local a, b = p[t - 1], p[t]
    if a ~= nil and b ~= nil then r[t - 1] = log and math.log(b / a) or b / a - 1 end
  end
  return r
end
for _, kind in ipairs { "simple", "log" } do
  local got, cells, holes = folio.returns(prices, { kind = kind }), 0, 0
  local bad = 0
  for _, c in ipairs(prices.columns) do
    if c ~= "date" then
      local want = lua_returns(prices[c], prices.n, kind == "log")
      for t = 1, prices.n - 1 do
        if got[c][t] ~= want[t] or math.type(got[c][t]) ~= math.type(want[t]) then bad = bad + 1 end
        if want[t] == nil then holes = holes + 1 else cells = cells + 1 end
      end
    else
      for t = 1, prices.n - 1 do if got[c][t] ~= prices[c][t + 1] then bad = bad + 1 end end
    end
  end
  T.eq(bad, 0, kind .. " returns: every cell as the Lua formula gives it")
  T.ok(cells > 20000 and holes > 100, ("%s returns: %d cells and %d holes compared"):format(kind, cells, holes))
end
-- integer prices, holes in the middle, a NaN price, and the errors
local P = { columns = { "x" }, n = 6, x = { 100, 110, nil, 121, 0 / 0, 130 } }
local r = folio.returns(P).x
T.eq(r[1], 110 / 100 - 1, "integer prices: float division")
T.eq(r[2], nil, "a hole after")
T.eq(r[3], nil, "a hole before")
T.ok(r[4] == nil and r[5] == nil, "a NaN price is missing, as a hole (and as pandas' NaN through the Python module)")
T.eq(folio.returns({ columns = { "x" }, n = 1, x = { 5 } }).x[1], nil, "one price: no return")
T.raises_exact(function() folio.returns { columns = { "x" }, n = 3, x = { 1, "2", 3 } } end,
  "returns: column 'x' row 2 is not a price", "a string price")
T.raises_exact(function() folio.returns { columns = { "x" }, n = 3, x = { "1", 2, 3 } } end,
  "returns: column 'x' row 1 is not a price", "a string first price: its own row, not the next")
T.raises_exact(function() folio.returns { columns = { "x" }, n = 4, x = { 1, nil, true, nil } } end,
  "returns: column 'x' row 3 is not a price", "a non-price between holes is still an error")
T.raises_exact(function() folio.returns { columns = { "x" }, n = 3, x = { 1, 0, 3 } } end,
  "returns: column 'x' has a non-positive price at row 2", "a zero price")
T.raises_exact(function() folio.returns { columns = { "x" }, n = 4, x = { 1, nil, -3, 2 } } end,
  "returns: column 'x' has a non-positive price at row 3", "a negative price after a hole")
T.raises_exact(function() folio.returns { columns = { "x" }, n = 4, x = { 1, 2, math.huge, 2 } } end,
  "returns: column 'x' row 3 is not a finite price (got inf)", "an infinite price, by its column's name")
T.raises_exact(function() folio.returns { columns = { "ts", "x" }, n = 2, ts = { "2020-01-02", "2020-01-03" }, x = { 1, 2 } } end,
  "returns: column 'ts' row 1 is not a price (a date? name the date column 'date', or pass {date = 'ts'})",
  "dates in a column not called date: the fix is named")
local ts = folio.returns({ columns = { "ts", "x" }, n = 3, ts = { "2020-01-02", "2020-01-03", "2020-01-06" },
  x = { 1, 2, 4 } }, { date = "ts" })
T.eq(table.concat({ ts.ts[1], ts.ts[2], ts.x[1], ts.x[2] }, " "), "2020-01-03 2020-01-06 1.0 1.0", "{date = 'ts'}")
-- rows must run forward in time: newest-first or shuffled prices are an error
T.raises_exact(function() folio.returns { columns = { "date", "x" }, n = 3,
  date = { "2020-01-06", "2020-01-03", "2020-01-02" }, x = { 4, 2, 1 } } end,
  "returns: the rows are not in increasing order of 'date': row 2 (2020-01-03) does not come after row 1 (2020-01-06); sort the prices by date, oldest first",
  "newest-first prices")
T.raises_exact(function() folio.returns { columns = { "date", "x" }, n = 3,
  date = { "2020-01-02", "2020-01-03", "2020-01-03" }, x = { 1, 2, 3 } } end,
  "returns: the rows are not in increasing order of 'date': row 3 (2020-01-03) does not come after row 2 (2020-01-03); sort the prices by date, oldest first",
  "a date given twice")
T.raises_exact(function() folio.returns { columns = { "date", "x" }, n = 3, date = { 2001, 2003, 2002 }, x = { 1, 2, 3 } } end,
  "returns: the rows are not in increasing order of 'date': row 3 (2002) does not come after row 2 (2003); sort the prices by date, oldest first",
  "numeric dates out of order")
T.eq(folio.returns({ columns = { "date", "x" }, n = 2, date = { "03/01/2020", "02/01/2020" }, x = { 1, 2 } }).x[1], 1.0,
  "dates in another format are not compared (their order cannot be read)")
-- the estimator reads whole columns without copying them; a column it must
-- copy (one with a metatable) gives the same covariance to the bit
local copied = { columns = R.columns, n = R.n }
for _, c in ipairs(R.columns) do copied[c] = setmetatable({ table.unpack(R[c], 1, R.n) }, {}) end
local s2 = folio.RiskEstimator {}:estimate(copied)
local diff = 0
for i = 1, #s.assets do for j = 1, #s.assets do diff = math.max(diff, math.abs(s2.cov[i][j] - s.cov[i][j])) end end
T.eq(diff, 0, "covariance from columns read in place = from copied columns")
T.done()
