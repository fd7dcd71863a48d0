-- One result of each exposure-side kind, all with a solution.
local folio = require "folio"
local U = dofile(folio.script_dir .. "/universe.lua")
local opt = folio.ExposureOptimizer()
local mp = opt:optimize_multiperiod { exposures = U.names, periods = { { mu = U.mu, cov = U.cov }, { mu = U.mu, cov = U.cov } },
  transaction_costs = 0.01 }
local fr = opt:efficient_frontier { exposures = U.names, mu = U.mu, cov = U.cov, points = 3 }
-- two scenarios make every pair perfectly (anti)correlated, so the spec's
-- default max_correlation_pairs (0.8, on the scenarios' correlations) is off
local sc = opt:optimize_with_scenarios { exposures = U.names,
  scenarios = { { 0.01, 0.0, 0.02, -0.01, 0.0 }, { -0.02, 0.01, 0.0, 0.01, 0.02 } },
  constraints = folio.ExposureConstraints { max_correlation_pairs = false } }
local rb = opt:optimize_robust { exposures = U.names, mu = U.mu, cov = U.cov,
  uncertainty = { kind = "box", delta = { 0.01, 0.01, 0.01, 0.01, 0.01 } } }
local ex = opt:optimize { exposures = U.names, mu = U.mu, cov = U.cov }
return { ex, mp, fr, sc, rb }
