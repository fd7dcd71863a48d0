-- Maximum Sharpe ratio over five economic exposures (not fund labels), at a
-- 4% risk-free rate, with per-exposure caps and a category limit.
--   folio run models/exposure_maxsharpe.lua
-- The inputs are long-run capital-market assumptions written out below (an
-- annual expected return and volatility per exposure and a correlation
-- matrix); they are illustrative round numbers, not estimates from data.
-- folio.RiskEstimator builds the same inputs from a returns table
-- (docs/exposure_optimizer.md).
local folio = require "folio"

local exposures = { "us_large_cap", "broad_treasuries", "trend_following", "real_estate", "gold" }
local category = {
  us_large_cap = "equity_beta", broad_treasuries = "rates", trend_following = "alternatives",
  real_estate = "real_assets", gold = "real_assets",
}
local mu = { us_large_cap = 0.075, broad_treasuries = 0.040, trend_following = 0.060,
             real_estate = 0.065, gold = 0.045 }
local vol = { 0.16, 0.06, 0.12, 0.18, 0.15 }
local corr = {
  { 1.00, -0.20, 0.05, 0.60, 0.05 },
  { -0.20, 1.00, 0.10, -0.05, 0.25 },
  { 0.05, 0.10, 1.00, 0.05, 0.15 },
  { 0.60, -0.05, 0.05, 1.00, 0.10 },
  { 0.05, 0.25, 0.15, 0.10, 1.00 },
}
local cov = {}
for i = 1, #exposures do
  cov[i] = {}
  for j = 1, #exposures do cov[i][j] = corr[i][j] * vol[i] * vol[j] end
end

local result = folio.ExposureOptimizer():optimize {
  exposures = exposures,
  mu = mu,
  cov = cov,
  objective = folio.MaxSharpeRatio { risk_free_rate = 0.04 },
  constraints = folio.ExposureConstraints {
    bounds = { 0, 0.5 },
    max_weights = { gold = 0.15 },
    categories = category,
    category_limits = { real_assets = { false, 0.30 } },
  },
}

local rows = {}
for _, e in ipairs(exposures) do
  rows[#rows + 1] = { e, category[e], result.weights[e], result.risk_contributions[e] }
end
print(result:summary())
return {
  folio.table { title = "Weights and risk contributions (annualised volatility units)",
                columns = { "exposure", "category", "weight", "risk_contribution" }, rows = rows },
  { expected_return = result.expected_return, volatility = result.volatility,
    sharpe_ratio = result.sharpe_ratio, diversification_ratio = result.diversification_ratio },
}
