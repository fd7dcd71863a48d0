-- The highest expected return at 8% annual volatility (the target is met
-- with equality when it is reachable; a target below the minimum
-- volatility is reported as infeasible).
--   folio run models/exposure_targetvol.lua [--set target=0.08]
local folio = require "folio"
local U = dofile(folio.script_dir .. "/exposure_universe.lua")

local target = tonumber(folio.params.target) or 0.08
local r = folio.ExposureOptimizer():optimize { exposures = U.names, mu = U.ret.mu, cov = U.risk.cov,
  objective = folio.TargetVolatility { target_vol = target }, constraints = U.constraints }
return U.report(("TargetVolatility %.1f%%"):format(100 * target), r)
