-- Multi-period: four rebalance dates, five years apart, each with the
-- estimates from the five years before it, in one joint model with 20 bp
-- proportional transaction costs from equal weights, next to the myopic
-- plan (four single-period solves, each paying costs from the last).
--   folio run models/exposure_multiperiod.lua [--set cost=0.002]
local folio = require "folio"
local U = dofile(folio.script_dir .. "/exposure_universe.lua")

local cost = tonumber(folio.params.cost) or 0.002
local dates = { "2009-12-31", "2014-12-31", "2019-12-31", "2024-12-31" }
local periods = {}
for k, d in ipairs(dates) do
  periods[k] = {
    mu = folio.ReturnEstimator { method = "mean", frequency = 12, as_of = d, lookback = 60 }:estimate(U.returns).mu,
    cov = folio.RiskEstimator { method = "ledoit_wolf", frequency = 12, as_of = d, lookback = 60 }:estimate(U.returns).cov,
  }
end
local w0 = {}
for _, e in ipairs(U.names) do w0[e] = 1 / #U.names end
local long = folio.ExposureConstraints { bounds = { 0, 0.4 } }
local mp = folio.ExposureOptimizer():optimize_multiperiod { exposures = U.names, risk_aversion = 4,
  current_weights = w0, transaction_costs = cost, constraints = long, periods = periods }
local rows, turnover = {}, {}
for _, e in ipairs(U.names) do
  local row = { e }
  for k = 1, #dates do row[k + 1] = mp.weights[k][e] end
  rows[#rows + 1] = row
end
for k = 1, #dates do
  local prev, t = k == 1 and w0 or mp.weights[k - 1], 0
  for _, e in ipairs(U.names) do t = t + math.abs(mp.weights[k][e] - prev[e]) end
  turnover[k] = { dates[k], t }
end
-- the myopic plan for comparison
local opt, prev, myopic = folio.ExposureOptimizer(), w0, 0
for k = 1, #dates do
  local r = opt:optimize { exposures = U.names, mu = periods[k].mu, cov = periods[k].cov,
    objective = folio.MeanVariance { risk_aversion = 4 },
    constraints = folio.ExposureConstraints { bounds = { 0, 0.4 }, current_weights = prev, transaction_costs = cost } }
  local t = 0
  for _, e in ipairs(U.names) do t = t + math.abs(r.weights[e] - prev[e]) end
  turnover[k][3], myopic = t, myopic + t
  prev = r.weights
end
local joint = 0
for k = 1, #dates do joint = joint + turnover[k][2] end
local cols = { "exposure" }
for k, d in ipairs(dates) do cols[k + 1] = d end
return {
  folio.table { title = "Weights by rebalance date", columns = cols, rows = rows },
  folio.table { title = "Turnover (sum |w_t - w_{t-1}|)", columns = { "date", "joint", "myopic" }, rows = turnover },
  { status = mp.optimization_status, objective_value = mp.objective_value, joint_turnover = joint,
    myopic_turnover = myopic },
}
