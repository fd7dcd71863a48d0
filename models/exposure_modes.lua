-- The exposure optimizer's advanced modes on the same universe as
-- models/exposure_objectives.lua:
--   * scenarios: minimum CVaR (95%) with the 240 monthly returns as
--     equally likely scenarios, maximum return under a CVaR limit, and
--     the maximum Sharpe ratio under a CVaR limit (a limit on any objective);
--   * robust: mean-variance against box and ellipsoidal uncertainty in mu;
--   * multi-period: two rebalance dates (estimates from the first and
--     second decade) in one joint model with 20 bp proportional costs.
--   folio run models/exposure_modes.lua
local folio = require "folio"

local R = folio.read_csv(folio.script_dir .. "/data/exposure_returns.csv")
local risk = folio.RiskEstimator { method = "sample", frequency = 12 }:estimate(R)
local ret = folio.ReturnEstimator { method = "mean", frequency = 12 }:estimate(R)
local names = risk.assets
local long = folio.ExposureConstraints { bounds = { 0, 0.4 } }
local opt = folio.ExposureOptimizer()

-- scenarios: each month's returns
local scen = {}
for t = 1, R.n do
  local s = {}
  for i, e in ipairs(names) do s[i] = R[e][t] end
  scen[t] = s
end
local mincvar = opt:optimize_with_scenarios { exposures = names, scenarios = scen, alpha = 0.95, constraints = long }
local capped = opt:optimize_with_scenarios { exposures = names, scenarios = scen, alpha = 0.95, constraints = long,
  objective = "max_return", max_cvar = 0.05 }
-- the unconstrained maximum Sharpe portfolio loses 2.5% a month in its worst 5%
local sharpe_cvar = opt:optimize { exposures = names, mu = ret.mu, cov = risk.cov,
  objective = folio.MaxSharpeRatio {},
  constraints = folio.ExposureConstraints { bounds = { 0, 0.4 }, max_cvar = 0.022, scenarios = R, cvar_alpha = 0.95 } }

-- robust: 1 point of uncertainty per exposure (box), or kappa = 0.5 (ellipsoid)
local delta = {}
for i = 1, #names do delta[i] = 0.01 end
local nominal = opt:optimize { exposures = names, mu = ret.mu, cov = risk.cov, constraints = long,
  objective = folio.MeanVariance { risk_aversion = 4 } }
local box = opt:optimize_robust { exposures = names, mu = ret.mu, cov = risk.cov, risk_aversion = 4,
  uncertainty = { kind = "box", delta = delta }, constraints = long }
local ell = opt:optimize_robust { exposures = names, mu = ret.mu, cov = risk.cov, risk_aversion = 4,
  uncertainty = { kind = "ellipsoid", kappa = 0.5 }, constraints = long }

-- multi-period: two decades, joint, from equal weights
local function decade(as_of, lookback)
  return { mu = folio.ReturnEstimator { method = "mean", frequency = 12, as_of = as_of, lookback = lookback }:estimate(R).mu,
           cov = folio.RiskEstimator { frequency = 12, as_of = as_of, lookback = lookback }:estimate(R).cov }
end
local w0 = {}
for _, e in ipairs(names) do w0[e] = 1 / #names end
local mp = opt:optimize_multiperiod { exposures = names, risk_aversion = 4, current_weights = w0,
  transaction_costs = 0.002, constraints = long,
  periods = { decade("2014-12-31", 120), decade("2024-12-31", 120) } }

local rows = {}
local function pct(v) return v and math.floor(1000 * v + 0.5) / 10 or "" end
for _, e in ipairs(names) do
  rows[#rows + 1] = { e, pct(mincvar.weights[e]), pct(capped.weights[e]), pct(sharpe_cvar.weights[e]),
                      pct(nominal.weights[e]),
                      pct(box.weights[e]), pct(ell.weights[e]), pct(mp.weights[1][e]), pct(mp.weights[2][e]) }
end
return {
  -- the scenario results are monthly (the scenarios are monthly returns)
  { min_cvar_95_monthly = mincvar.cvar, max_return_under_cvar_5pct_monthly = capped.expected_return,
    max_sharpe_under_cvar_2_2pct_monthly = sharpe_cvar.sharpe_ratio,
    nominal_return = nominal.expected_return, box_worst_case_return = box.worst_case_return,
    ellipsoid_worst_case_return = ell.worst_case_return, multiperiod_status = mp.optimization_status },
  folio.table { title = "Weights (%)",
    columns = { "exposure", "min CVaR", "max ret | CVaR<=5%", "max Sharpe | CVaR<=2.2%", "nominal MV", "robust box", "robust ellipsoid",
                "period 1", "period 2" }, rows = rows },
}
