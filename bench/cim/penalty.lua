-- The penalty error against the hard-equality QP (the QP engine), by rho,
-- on port1 (31 assets, budget plus a second group), with the stiff
-- integrator's cost: the error falls like 1/rho, the steps barely move.
--   build/folio run bench/cim/penalty.lua
local folio = require "folio"
local H = folio.read_orlib(folio.script_dir .. "/../../data/orlib/port1.txt")
local n = H.n
local omega = {}
for i = 1, n do omega[i] = 1 / n end
local first10 = {}
for i = 1, 10 do first10[i] = i end
local rows = {}
for _, rho in ipairs { 1e1, 1e2, 1e3, 1e4, 1e5, 1e6 } do
  local r = folio.cim { mu = H.mu, cov = H.cov, gamma = 10, nu = 1e-3, Omega = omega, sigma = 1, rho = rho,
                        groups = { first10 }, lambdas = { 0.4 }, grad_tol = 1e-11, samples = 0 }
  rows[#rows + 1] = { rho, r.status, string.format("%.3e", r.penalty_error), string.format("%.2e", rho * r.penalty_error),
                      string.format("%.1e", r.distance), r.stats.steps, r.stats.rhs_evals,
                      string.format("%.2f", 1000 * r.stats.time) }
end
return folio.table { title = "Penalty error max|w_rho - w_hard| on port1 (cvode_bdf, dense)",
  columns = { "rho", "status", "penalty error", "rho x error", "|w - exact|", "steps", "RHS evals", "ms" }, rows = rows }
