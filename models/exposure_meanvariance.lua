-- Mean-variance: maximise mu'w - (risk_aversion/2) w'Sigma w, with a small
-- L2 penalty on the weights that spreads near-ties.
--   folio run models/exposure_meanvariance.lua [--set risk_aversion=4]
local folio = require "folio"
local U = dofile(folio.script_dir .. "/exposure_universe.lua")

local gamma = tonumber(folio.params.risk_aversion) or 4
local r = folio.ExposureOptimizer():optimize { exposures = U.names, mu = U.ret.mu, cov = U.risk.cov,
  objective = folio.MeanVariance { risk_aversion = gamma, l2_reg = 1e-3 }, constraints = U.constraints }
return U.report(("MeanVariance (risk aversion %g)"):format(gamma), r)
