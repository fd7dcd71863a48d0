-- Scenario mode: the 240 monthly returns as equally likely scenarios.
-- Minimum CVaR at 95% (the Rockafellar-Uryasev LP), then the highest mean
-- return whose CVaR stays within 1.5x that minimum.
--   folio run models/exposure_scenarios.lua [--set alpha=0.95]
local folio = require "folio"
local U = dofile(folio.script_dir .. "/exposure_universe.lua")

local alpha = tonumber(folio.params.alpha) or 0.95
local scen = {}
for t = 1, U.returns.n do
  local s = {}
  for i, e in ipairs(U.names) do s[i] = U.returns[e][t] end
  scen[t] = s
end
local opt = folio.ExposureOptimizer()
local long = folio.ExposureConstraints { bounds = { 0, 0.4 } }
local minc = opt:optimize_with_scenarios { exposures = U.names, scenarios = scen, alpha = alpha, constraints = long }
local capped = opt:optimize_with_scenarios { exposures = U.names, scenarios = scen, alpha = alpha, constraints = long,
  objective = "max_return", max_cvar = 1.5 * minc.cvar }
local rows = {}
for _, e in ipairs(U.names) do rows[#rows + 1] = { e, minc.weights[e], capped.weights[e] } end
return {
  folio.table { title = ("Weights: min CVaR %g%% and max return under 1.5x that CVaR (monthly)"):format(100 * alpha),
                columns = { "exposure", "min_cvar", "max_return_capped" }, rows = rows },
  { min_cvar = minc.cvar, min_cvar_var = minc.var, capped_cvar = capped.cvar, cvar_limit = 1.5 * minc.cvar,
    capped_expected_return = capped.expected_return, capped_status = capped.optimization_status,
    cvar_limit_shadow_price = capped.shadow_prices.max_cvar },
}
