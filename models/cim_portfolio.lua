-- CIM gradient flow on the Hang Seng instance (OR-Library port1, 31
-- assets, weekly moments): mean-variance with the budget as a penalty,
-- a second budget group (the first ten assets hold 40%), long-only boxes
-- of 10%, an allocation limit, and a trading cost against equal weights.
--   folio run models/cim_portfolio.lua [--set rho=1000] [--set integrator=cvode_bdf] [--set plot=cim.svg]
--                                      [--set t_max=1e-3]
-- The result is returned too: a run that does not converge (a t_max too
-- short) has no solution, and `folio run` exits 3.
-- docs/cim.md derives the energy and its exact stationary point.
local folio = require "folio"

local H = folio.read_orlib(folio.script_dir .. "/../data/orlib/port1.txt")
local n = H.n
local rho = tonumber(folio.params.rho) or 1000
local omega = {}
for i = 1, n do omega[i] = 1 / n end
local first10, last11 = {}, {}
for i = 1, 10 do first10[i] = H.assets[i] end
for i = 21, 31 do last11[#last11 + 1] = H.assets[i] end

local problem = {
  assets = H.assets, mu = H.mu, cov = H.cov, gamma = 20,
  groups = { first10 }, lambdas = { 0.4 }, rho = rho,
  bounds = { 0, 0.1 }, limits = { { assets = last11, max = 0.25 } },
  nu = 2e-3, Omega = omega, sigma = 1,
  integrator = folio.params.integrator or "cvode_bdf", samples = 400, t_max = tonumber(folio.params.t_max),
}
local r = folio.cim(problem)
if folio.params.plot then r:plot(folio.params.plot) end

if not r.has_solution then return r end

local rows = {}
for _, a in ipairs(H.assets) do
  if r.weights[a] > 1e-6 or (r.exact and r.exact[a] > 1e-6) then
    rows[#rows + 1] = { a, r.weights[a], r.exact and r.exact[a], r.hard and r.hard[a] }
  end
end
local s10, s21 = 0, 0
for i = 1, 10 do s10 = s10 + r.weights_array[i] end
for i = 21, 31 do s21 = s21 + r.weights_array[i] end
return {
  folio.table { title = ("Weights held (rho = %g, %s)"):format(rho, r.solver),
    columns = { "asset", "flow", "QP optimum of the same energy", "hard equalities" }, rows = rows },
  { status = r.status, objective = r.objective, t_end = r.t_end, distance_to_exact = r.distance,
    penalty_error = r.penalty_error,
    budget = (function() local s = 0 for i = 1, n do s = s + r.weights_array[i] end return s end)(),
    first_ten = s10, last_eleven = s21, steps = r.stats.steps, rhs_evals = r.stats.rhs_evals,
    jac_evals = r.stats.jac_evals, events = r.stats.events, time_s = r.stats.time,
    max_violation = r.max_violation },
  r,
}
