-- The exposure-optimizer spec's example, to the letter: five exposures,
-- MaxSharpe at a 4% risk-free rate, trend following at most 30%, equity
-- beta 30-60%, alternatives 10-30%, gross notional at most 130%, volatility
-- at most 12%, and the spec's defaults for everything it leaves out (at
-- most 40% in any exposure, 3 to 10 held, no two held exposures correlated
-- above 0.8, leveraged exposures at most 50%).
--   folio run models/exposure_maxsharpe.lua
-- The spec also sets min_weights = {cash_rate = 0}, but cash_rate is not
-- one of its five exposures, and folio refuses a limit on a name outside
-- the list (docs/results.md, "Inputs by name"); a minimum of 0 is the
-- long-only default anyway. The inputs are long-run capital-market
-- assumptions written out below (an annual expected return and volatility
-- per exposure and a correlation matrix): illustrative round numbers, not
-- estimates from data, which the spec's ExposureRiskEstimator would give
-- (folio.RiskEstimator builds the same inputs from a returns table,
-- docs/exposure_optimizer.md).
local folio = require "folio"

local exposures = { "us_large_equity", "broad_ust", "trend_following", "real_estate", "gold" }
local category = {
  us_large_equity = "equity_beta", broad_ust = "rates", trend_following = "alternatives",
  real_estate = "real_assets", gold = "real_assets",
}
local mu = { us_large_equity = 0.075, broad_ust = 0.040, trend_following = 0.060,
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

local constraints = folio.ExposureConstraints {
  max_weights = { trend_following = 0.3 },
  categories = category,
  category_limits = { equity_beta = { 0.3, 0.6 }, alternatives = { 0.1, 0.3 } },
  max_total_notional = 1.3,   -- 130% leverage limit
  max_volatility = 0.12,      -- 12% annual volatility target
}
local result = folio.ExposureOptimizer():optimize {
  exposures = exposures,
  mu = mu,
  cov = cov,
  objective = folio.MaxSharpeRatio { risk_free_rate = 0.04 },
  constraints = constraints,
}

print(result:summary())
local rows = {}
for _, e in ipairs(exposures) do
  rows[#rows + 1] = { e, category[e], result.weights[e], result.risk_contributions[e] }
end
return {
  folio.table { title = "Weights and risk contributions (annualised volatility units)",
                columns = { "exposure", "category", "weight", "risk_contribution" }, rows = rows },
  { status = result.status, expected_return = result.expected_return, volatility = result.volatility,
    sharpe_ratio = result.sharpe_ratio, diversification_ratio = result.diversification_ratio },
}
