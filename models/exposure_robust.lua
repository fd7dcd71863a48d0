-- Robust mean-variance: the expected returns are uncertain, either within a
-- box (+-delta per exposure: here one standard error of the sample mean) or
-- within an ellipsoid of radius kappa in the estimator's covariance; the
-- worst case is an SOCP.
--   folio run models/exposure_robust.lua [--set kappa=1]
local folio = require "folio"
local U = dofile(folio.script_dir .. "/exposure_universe.lua")

local kappa = tonumber(folio.params.kappa) or 1
local years = U.returns.n / 12
local delta = {}
for i = 1, #U.names do delta[i] = math.sqrt(U.risk.cov[i][i] / years) end
local opt = folio.ExposureOptimizer()
local long = folio.ExposureConstraints { bounds = { 0, 0.4 } }
local nominal = opt:optimize { exposures = U.names, mu = U.ret.mu, cov = U.risk.cov, constraints = long,
  objective = folio.MeanVariance { risk_aversion = 4 } }
local box = opt:optimize_robust { exposures = U.names, mu = U.ret.mu, cov = U.risk.cov, risk_aversion = 4,
  uncertainty = { kind = "box", delta = delta }, constraints = long }
local ell = opt:optimize_robust { exposures = U.names, mu = U.ret.mu, cov = U.risk.cov, risk_aversion = 4,
  uncertainty = { kind = "ellipsoid", kappa = kappa }, constraints = long }
local rows = {}
for _, e in ipairs(U.names) do rows[#rows + 1] = { e, nominal.weights[e], box.weights[e], ell.weights[e] } end
return {
  folio.table { title = "Weights: nominal and robust mean-variance (risk aversion 4)",
                columns = { "exposure", "nominal", "box", "ellipsoid" }, rows = rows },
  { nominal_expected_return = nominal.expected_return, box_worst_case_return = box.worst_case_return,
    ellipsoid_worst_case_return = ell.worst_case_return, box_status = box.optimization_status,
    ellipsoid_status = ell.optimization_status },
}
