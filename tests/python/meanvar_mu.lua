-- Mean-variance from a price table (folio.data.prices) and expected
-- returns by name (folio.data.mu, a pandas Series from Python):
-- tests/python/test_convert.py checks that integer asset ids match by name.
local folio = require "folio"
local risk = folio.RiskEstimator {}:estimate(folio.returns(folio.data.prices))
local r = folio.ExposureOptimizer():optimize { exposures = risk.assets, mu = folio.data.mu, cov = risk,
  objective = folio.MeanVariance { risk_aversion = 2 },
  constraints = folio.ExposureConstraints { defaults = false } }
return r
