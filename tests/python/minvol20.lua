-- MinVolatility over the 20 stocks of a price table: folio.data.prices
-- when the Python module passes a DataFrame, else the CSV at --set csv=;
-- or straight from a table of returns (folio.data.returns).
-- --set defaults=off turns the spec's default limits off (plain long-only,
-- fully invested). tests/python/test_folio.py runs it both ways;
-- bench/python/bench.py times it.
local folio = require "folio"
local data = folio.data or {}
-- a returns table as it is (folio.data.returns), or the returns of the prices
local R = data.returns or folio.returns(data.prices or folio.read_csv(folio.params.csv))
local risk = folio.RiskEstimator {}:estimate(R)
local c = folio.ExposureConstraints { defaults = folio.params.defaults ~= "off" }
local r = folio.ExposureOptimizer():optimize { exposures = risk.assets, cov = risk,
  objective = folio.MinVolatility {}, constraints = c }
return r
