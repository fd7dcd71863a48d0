-- Minimum volatility over the ten-exposure universe (long-only, at most 35%
-- per exposure, 20-60% equity beta, at most 25% real assets).
--   folio run models/exposure_minvol.lua [--set as_of=2019-12-31]
local folio = require "folio"
local U = dofile(folio.script_dir .. "/exposure_universe.lua")

local r = folio.ExposureOptimizer():optimize { exposures = U.names, mu = U.ret.mu, cov = U.risk.cov,
  objective = folio.MinVolatility {}, constraints = U.constraints }
return U.report("MinVolatility", r)
