-- Which 5 (or K) of the 31 Hang Seng assets to hold (OR-Library port1):
-- the choice as a QUBO (equal-weight mean-variance plus a cardinality
-- penalty), solved from many seeded starts by an Ising machine (simulated
-- bifurcation by default), then the QP engine's weights on the best
-- subset, scored against the exact optima: the QUBO's (enumeration of all
-- K-subsets) and the cardinality-constrained MIQP's (branch and bound).
--   folio run models/cim_selection.lua [--set k=5] [--set method=sb_discrete|sb_ballistic|cac|cim_ahc]
--                                      [--set path=euler|sundials] [--set runs=100] [--set max_weight=0.4]
-- The selection result is returned too: `folio run` exits 3 when it has no
-- solution (e.g. --set max_weight=0.1 with K = 5: no 5 weights reach 1).
local folio = require "folio"

local H = folio.read_orlib(folio.script_dir .. "/../data/orlib/port1.txt")
local K = math.tointeger(tonumber(folio.params.k or 5))
local r = folio.cim.select {
  assets = H.assets, mu = H.mu, cov = H.cov, gamma = 10, k = K,
  method = folio.params.method, path = folio.params.path,
  runs = math.tointeger(tonumber(folio.params.runs or 100)), seed = 1,
  bounds = { 0, tonumber(folio.params.max_weight or 1) },
}
if not r.has_solution then return r end   -- `folio run` exits 3

local rows = {}
for _, a in ipairs(r.selected) do rows[#rows + 1] = { a, r.weights[a] } end
return {
  folio.table { title = ("Selected by %s (%s path), K = %d: QP weights"):format(r.method, r.path, K),
                columns = { "asset", "weight" }, rows = rows },
  { status = r.status, method = r.method, path = r.path, runs = r.runs, best_qubo_energy = r.best_qubo_energy,
    exact_qubo_energy = r.exact_qubo_energy, qubo_success_probability = r.qubo_success_probability,
    portfolio_success_probability = r.portfolio_success_probability, time_per_run_s = r.time_per_run,
    time_to_solution_s = r.time_to_solution, objective = r.objective, miqp_objective = r.miqp.objective,
    objective_gap = r.objective_gap, exact_qubo_subset = table.concat(r.exact_qubo_selected, " "),
    miqp_subset = table.concat(r.miqp.selected or {}, " ") },
  r,
}
