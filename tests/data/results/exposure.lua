-- An exposure optimisation whose turnover limit comes from the params:
-- folio run tests/data/results/exposure.lua --set max_turnover=0.01 is
-- infeasible (the real-assets cap needs a turnover of 0.6).
local folio = require "folio"
local U = dofile(folio.script_dir .. "/universe.lua")
local kind = folio.params.objective or "MaxSharpeRatio"
return folio.ExposureOptimizer():optimize { exposures = U.names, mu = U.mu, cov = U.cov,
  objective = folio[kind] {},
  constraints = folio.ExposureConstraints { categories = U.categories,
    category_limits = { real_assets = { false, 0.1 } }, current_weights = U.equal,
    max_turnover = folio.params.max_turnover or 1 } }
