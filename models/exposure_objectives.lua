-- Every objective of the exposure optimizer on the same universe: ten
-- exposures, risk and returns estimated from 20 years of monthly returns
-- (models/data/exposure_returns.csv; how it was generated is in
-- models/data/gen_exposure_returns.py).
--   folio run models/exposure_objectives.lua [--set as_of=2019-12-31]
local folio = require "folio"

local R = folio.read_csv(folio.script_dir .. "/data/exposure_returns.csv")
local as_of = folio.params.as_of
local risk = folio.RiskEstimator { method = "ledoit_wolf", frequency = 12, as_of = as_of }:estimate(R)
local ret = folio.ReturnEstimator { method = "mean", frequency = 12, as_of = as_of }:estimate(R)
local names = risk.assets

local categories = {
  us_large_cap = "equity_beta", intl_equity = "equity_beta", em_equity = "equity_beta",
  broad_treasuries = "rates", tips = "rates", credit = "rates",
  trend_following = "alternatives", real_estate = "real_assets", gold = "real_assets", commodities = "real_assets",
}
local constraints = folio.ExposureConstraints {
  bounds = { 0, 0.35 }, categories = categories,
  category_limits = { equity_beta = { 0.2, 0.6 }, real_assets = { false, 0.25 } },
}
local objectives = {
  { "MinVolatility", folio.MinVolatility {} },
  { "MaxSharpeRatio (rf 2%)", folio.MaxSharpeRatio { risk_free_rate = 0.02 } },
  { "MeanVariance (risk aversion 4)", folio.MeanVariance { risk_aversion = 4 } },
  { "TargetReturn 6%", folio.TargetReturn { target_return = 0.06 } },
  { "TargetVolatility 8%", folio.TargetVolatility { target_vol = 0.08 } },
  { "MaxDiversification", folio.MaxDiversification {} },
  { "RiskParity", folio.RiskParity {}, folio.ExposureConstraints {} },
}

local opt = folio.ExposureOptimizer()
local summary, weights = {}, {}
for _, o in ipairs(objectives) do
  local r = opt:optimize { exposures = names, mu = ret.mu, cov = risk.cov, objective = o[2],
                           constraints = o[3] or constraints }
  -- Sharpe at one risk-free rate (2%) for every row, so they compare
  summary[#summary + 1] = { o[1], r.optimization_status, r.expected_return, r.volatility,
                            (r.expected_return - 0.02) / r.volatility, r.diversification_ratio }
  local row = { o[1] }
  for i, e in ipairs(names) do row[i + 1] = r.weights and math.floor(1000 * r.weights[e] + 0.5) / 10 or "" end
  weights[#weights + 1] = row
end

local wcols = { "objective" }
for i, e in ipairs(names) do wcols[i + 1] = e end
return {
  folio.table { title = ("Objectives (Ledoit-Wolf shrinkage %.3f, %d months)"):format(risk.shrinkage, risk.rows),
                columns = { "objective", "status", "return", "volatility", "sharpe (rf 2%)", "diversification" }, rows = summary },
  folio.table { title = "Weights (%)", columns = wcols, rows = weights },
}
