-- Minimum volatility at a 6% expected return, and the efficient frontier
-- under the same constraints written to exposure_frontier.svg.
--   folio run models/exposure_targetreturn.lua [--set target=0.06] [--set plot=frontier.svg]
local folio = require "folio"
local U = dofile(folio.script_dir .. "/exposure_universe.lua")

local target = tonumber(folio.params.target) or 0.06
local opt = folio.ExposureOptimizer()
local r = opt:optimize { exposures = U.names, mu = U.ret.mu, cov = U.risk.cov,
  objective = folio.TargetReturn { target_return = target }, constraints = U.constraints }
if folio.params.plot then
  opt:efficient_frontier { exposures = U.names, mu = U.ret.mu, cov = U.risk.cov, constraints = U.constraints,
                           points = 15 }:plot(folio.params.plot)
end
return U.report(("TargetReturn %.1f%%"):format(100 * target), r)
