-- Multi-period: four rebalance dates, five years apart, each with the
-- estimates from the five years before it, in one joint model with 20 bp
-- proportional transaction costs from equal weights, next to the myopic
-- plan (four single-period solves, each paying costs from the last).
--   folio run models/exposure_multiperiod.lua [--set cost=0.002]
local folio = require "folio"
local U = dofile(folio.script_dir .. "/exposure_universe.lua")

local cost = tonumber(folio.params.cost) or 0.002
local dates = { "2009-12-31", "2014-12-31", "2019-12-31", "2024-12-31" }
-- the spec's form: an optimizer with its estimators, estimating as of
-- each rebalance date (five years of monthly returns before it)
local opt = folio.ExposureOptimizer {
  risk_estimator = folio.RiskEstimator { method = "ledoit_wolf", frequency = 12, lookback = 60 },
  return_estimator = folio.ReturnEstimator { method = "mean", frequency = 12, lookback = 60 },
  returns = U.returns,
}
local w0 = {}
for _, e in ipairs(U.names) do w0[e] = 1 / #U.names end
local long = folio.ExposureConstraints { bounds = { 0, 0.4 } }
local mp = opt:optimize_multiperiod { exposures = U.names, risk_aversion = 4, rebalance_dates = dates,
  current_weights = w0, transaction_costs = cost, constraints = long }
-- one result per date (mp[k]), each with the full result contract
local rows, turnover = {}, {}
for _, e in ipairs(U.names) do
  local row = { e }
  for k = 1, #dates do row[k + 1] = mp[k].weights[e] end
  rows[#rows + 1] = row
end
for k = 1, #dates do turnover[k] = { dates[k], mp[k].turnover } end
-- the myopic plan for comparison: one date at a time, each paying costs
-- from the last
local prev, myopic = w0, 0
for k = 1, #dates do
  local r = opt:optimize { exposures = U.names, estimation_date = dates[k],
    objective = folio.MeanVariance { risk_aversion = 4 },
    constraints = folio.ExposureConstraints { bounds = { 0, 0.4 }, current_weights = prev, transaction_costs = cost } }
  local t = 0
  for _, e in ipairs(U.names) do t = t + math.abs(r.weights[e] - prev[e]) end
  turnover[k][3], myopic = t, myopic + t
  prev = r.weights
end
local cols = { "exposure" }
for k, d in ipairs(dates) do cols[k + 1] = d end
return {
  folio.table { title = "Weights by rebalance date", columns = cols, rows = rows },
  folio.table { title = "Turnover (sum |w_t - w_{t-1}|)", columns = { "date", "joint", "myopic" }, rows = turnover },
  { status = mp.optimization_status, objective_value = mp.objective_value, joint_turnover = mp.turnover,
    joint_costs = mp.costs, myopic_turnover = myopic },
}
