-- Risk parity with risk budgets: equity beta gets 40% of the risk, the
-- rest is shared equally; each budget is met to 1e-8 (Spinu's convex
-- formulation, Newton's method; docs/exposure_optimizer.md).
--   folio run models/exposure_riskparity.lua
local folio = require "folio"
local U = dofile(folio.script_dir .. "/exposure_universe.lua")

local budgets, equity, others = {}, 0, 0
for _, e in ipairs(U.names) do
  if U.categories[e] == "equity_beta" then equity = equity + 1 else others = others + 1 end
end
for _, e in ipairs(U.names) do
  budgets[e] = U.categories[e] == "equity_beta" and 0.4 / equity or 0.6 / others
end
-- The three equity exposures are correlated above 0.8 with each other, so
-- the spec's default max_correlation_pairs (0.8) would hold only one of
-- them; this model shares 40% of the risk among all three, so it turns
-- that limit off. The other defaults (at most 40% each, 3 to 10 held) apply.
local r = folio.ExposureOptimizer():optimize { exposures = U.names, mu = U.ret.mu, cov = U.risk.cov,
  objective = folio.RiskParity { budgets = budgets },
  constraints = folio.ExposureConstraints { max_correlation_pairs = false } }
-- the achieved share of risk next to its budget
local worst = 0
for _, e in ipairs(U.names) do
  worst = math.max(worst, math.abs(r.risk_contributions[e] / r.volatility - budgets[e]))
end
local out = U.report("RiskParity (equity beta 40% of risk)", r)
out[#out + 1] = { largest_budget_miss = worst }
return out
