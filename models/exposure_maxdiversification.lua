-- Maximum diversification ratio (weighted average volatility over portfolio
-- volatility), through the same homogenising transform as MaxSharpe.
--   folio run models/exposure_maxdiversification.lua
local folio = require "folio"
local U = dofile(folio.script_dir .. "/exposure_universe.lua")

local r = folio.ExposureOptimizer():optimize { exposures = U.names, mu = U.ret.mu, cov = U.risk.cov,
  objective = folio.MaxDiversification {}, constraints = U.constraints }
return U.report("MaxDiversification", r)
