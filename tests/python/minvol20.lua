-- MinVolatility over the 20 stocks of a price table: folio.data.prices
-- when the Python module passes a DataFrame, else the CSV at --set csv=.
-- --set defaults=off turns the spec's default limits off (plain long-only,
-- fully invested). tests/python/test_folio.py runs it both ways;
-- bench/python/bench.py times it.
local folio = require "folio"
local prices = folio.data and folio.data.prices or folio.read_csv(folio.params.csv)
local R = folio.returns(prices)
local risk = folio.RiskEstimator {}:estimate(R)
local c = folio.ExposureConstraints { defaults = folio.params.defaults ~= "off" }
local r = folio.ExposureOptimizer():optimize { exposures = risk.assets, cov = risk,
  objective = folio.MinVolatility {}, constraints = c }
return r
