-- folio.cim on the Hang Seng instance (OR-Library port1, 31 assets): the
-- flow against the exact stationary point (Cholesky), against the QP
-- engine's constrained optimum, the limits along the trajectory, the
-- penalty error against the hard-equality QP (about 1/rho), the smoothed
-- L1 cost against the exact L1 problem, and the input errors.
local T = dofile("tests/lua/testlib.lua")
local folio = require "folio"

local H = folio.read_orlib("data/orlib/port1.txt")
local n = H.n
-- weekly moments; gamma and a 10 bp trading cost against equal weights
local nu, omega = {}, {}
for i = 1, n do nu[i], omega[i] = 1e-3, 1 / n end
local base = { assets = H.assets, mu = H.mu, cov = H.cov, gamma = 10, nu = nu, Omega = omega, sigma = 1, rho = 100 }
local function with(extra)
  local o = {}
  for k, v in pairs(base) do o[k] = v end
  for k, v in pairs(extra) do o[k] = v end
  return o
end

-- 1. every integrator reaches the exact stationary point to 1e-7
for _, c in ipairs {
  { "cvode_bdf", "dense" }, { "cvode_bdf", "pcg" }, { "cvode_adams" }, { "erk_dp5" }, { "erk_tsit5" },
} do
  local explicit = c[1] ~= "cvode_bdf"
  -- explicit methods (and Adams' fixed point) are stable only for steps
  -- under about 3 / lambda_max, so they get a mild rho and a larger cost
  -- (a faster slowest mode); their gradient floors near lambda_max * rtol
  -- * |w|, hence the tighter rtol (docs/cim.md)
  local r = folio.cim(with { integrator = c[1], linear_solver = c[2], rtol = explicit and 1e-12 or 1e-10,
                            atol = 1e-14, grad_tol = 1e-10, rho = explicit and 1 or 100,
                            sigma = explicit and 10 or 1 })
  local what = c[1] .. (c[2] and ("/" .. c[2]) or "")
  T.eq(r.status, "converged", what .. ": status")
  T.ok(r.distance and r.distance < 1e-7, ("%s: distance to the exact solution %s < 1e-7"):format(what, tostring(r.distance)))
  local mono = true
  for k = 2, #r.trajectory.energy do
    if r.trajectory.energy[k] > r.trajectory.energy[k - 1] + 1e-12 then mono = false end
  end
  T.ok(mono, what .. ": the energy never rises along the trajectory")
end

-- 2. boxes and group limits: never violated along the trajectory, and the
-- answer is the QP engine's optimum of the same energy under the limits
local first10, mid = {}, {}
for i = 1, 10 do first10[i] = i end
for i = 11, 20 do mid[#mid + 1] = H.assets[i] end
for _, integ in ipairs { "cvode_bdf", "cvode_adams", "erk_tsit5" } do
  local explicit = integ ~= "cvode_bdf"
  local r = folio.cim(with { integrator = integ, bounds = { 0, 0.08 }, samples = 2000,
    limits = { { assets = first10, max = 0.25 }, { assets = mid, max = 0.3 } },
    rtol = explicit and 1e-12 or 1e-9, rho = explicit and 1 or 100, sigma = explicit and 10 or 1 })
  T.eq(r.status, "converged", integ .. " with limits: status")
  local worst = 0
  for _, w in ipairs(r.trajectory.weights) do
    local s1, s2 = 0, 0
    for i = 1, n do worst = math.max(worst, -w[i], w[i] - 0.08) end
    for i = 1, 10 do s1 = s1 + w[i] end
    for i = 11, 20 do s2 = s2 + w[i] end
    worst = math.max(worst, s1 - 0.25, s2 - 0.3)
  end
  T.ok(#r.trajectory.weights > 20 and worst <= 1e-12,
    ("%s: limits hold at every sampled step (worst %g over %d samples)"):format(integ, worst, #r.trajectory.weights))
  T.ok(r.max_violation <= 1e-12, integ .. ": limits hold at every accepted step")
  T.ok(r.distance and r.distance < 1e-6, ("%s: matches the QP engine's constrained optimum (%s)"):format(integ, tostring(r.distance)))
  local s1 = 0
  for i = 1, 10 do s1 = s1 + r.weights_array[i] end
  T.near(s1, 0.25, 1e-9, integ .. ": the first group's limit binds")
end

-- 2b. the demo's problem (models/cim_portfolio.lua: rho = 1000, where the
-- penalty makes the energy ill-conditioned): the reference is the optimum,
-- so the distance printed is the flow's own. Checked without folio's
-- reference code: the energy written out here, the reference feasible, no
-- lower than the flow's, and no random feasible step from it (2,000 of
-- them, sizes 1e-3 to 1e-6) lowers it.
do
  local last11 = {}
  for i = 21, 31 do last11[#last11 + 1] = H.assets[i] end
  local first = {}
  for i = 1, 10 do first[i] = H.assets[i] end
  local eq = {}
  for i = 1, n do eq[i] = 1 / n end
  local r = folio.cim { assets = H.assets, mu = H.mu, cov = H.cov, gamma = 20, groups = { first }, lambdas = { 0.4 },
    rho = 1000, bounds = { 0, 0.1 }, limits = { { assets = last11, max = 0.25 } }, nu = 2e-3, Omega = eq, sigma = 1 }
  T.eq(r.status, "converged", "rho 1000 with limits: status")
  local function energy(w)
    local e, s10, s = 0, 0, 0
    for i = 1, n do
      local q = 0
      for j = 1, n do q = q + H.cov[i][j] * w[j] end
      e = e - H.mu[i] * w[i] + 10 * w[i] * q + 2e-3 * (w[i] - eq[i]) ^ 2
      s = s + w[i]
      if i <= 10 then s10 = s10 + w[i] end
    end
    return e + 1000 * (s10 - 0.4) ^ 2 + 1000 * (s - 1) ^ 2
  end
  local function feasible(w)
    local s = 0
    for i = 1, n do if w[i] < 0 or w[i] > 0.1 then return false end end
    for i = 21, 31 do s = s + w[i] end
    return s <= 0.25
  end
  local x = r.exact_array
  T.ok(feasible(x), "rho 1000: the reference is feasible")
  T.near(energy(r.weights_array), r.objective, 1e-12, "rho 1000: the energy as written here is the one reported")
  T.ok(energy(x) <= energy(r.weights_array) + 1e-15, "rho 1000: the reference is no worse than the flow")
  T.ok(r.distance < 2e-8, ("rho 1000: the flow is within 2e-8 of the reference (%g; it read 1.6e-6 when the "
    .. "reference was the interior point itself)"):format(r.distance))
  local seed, worse = 12345, 0
  local function rand()
    seed = (seed * 16807) % 2147483647
    return seed / 2147483647
  end
  local ex = energy(x)
  for k = 1, 2000 do
    local size = 10 ^ (-3 - 3 * (k % 4) / 3)
    local y = {}
    for i = 1, n do y[i] = x[i] end
    local i, j = 1 + math.floor(rand() * n), 1 + math.floor(rand() * n)
    y[i] = math.min(0.1, math.max(0, y[i] + size * (rand() - 0.5)))
    y[j] = math.min(0.1, math.max(0, y[j] + size * (rand() - 0.5)))
    if feasible(y) and energy(y) < ex - 1e-15 * (1 + math.abs(ex)) then worse = worse + 1 end
  end
  T.eq(worse, 0, "rho 1000: no random feasible step from the reference lowers the energy")
end

-- 3. the penalty error against the hard equality shrinks like 1/rho
local prev
for _, rho in ipairs { 10, 100, 1000, 10000 } do
  local r = folio.cim(with { rho = rho, grad_tol = 1e-11 })
  T.eq(r.status, "converged", ("rho %g: status"):format(rho))
  if prev then
    local ratio = prev / r.penalty_error
    T.ok(ratio > 8 and ratio < 12, ("rho %g: penalty error %.3g, ratio %.3f to the previous (10 for 1/rho)"):format(
      rho, r.penalty_error, ratio))
  end
  prev = r.penalty_error
end

-- 4. the smoothed L1 cost approaches the exact L1 problem as eps shrinks
local function exact_l1()
  local m = folio.model("l1")
  local I = {}
  for i = 1, n do I[i] = i end
  local w = m:var("w", I)
  local up, dn = m:var("up", I, { lb = 0 }), m:var("dn", I, { lb = 0 })
  m:st("split", I, function(i) return w[i] - omega[i], "==", up[i] - dn[i] end)
  local s = folio.sum(w) - 1
  m:minimize(5 * folio.quad(w, H.cov) - folio.dot(H.mu, w) + 100 * s * s
             + folio.sum(I, function(i) return 0.01 * (up[i] + dn[i]) end))
  local r = m:solve { feastol = 1e-12, reltol = 1e-12, abstol = 1e-15 }
  local out = {}
  for i = 1, n do out[i] = r:value(w[i]) end
  return out
end
local L1 = exact_l1()
local errs = {}
for k, eps in ipairs { 1e-3, 1e-5 } do
  local nu1 = {}
  for i = 1, n do nu1[i] = 0.01 end
  local r = folio.cim { mu = H.mu, cov = H.cov, gamma = 10, nu = nu1, Omega = omega, rho = 100,
                        trading_cost = "l1", l1_smoothing = eps }
  T.eq(r.status, "converged", ("L1 eps %g: status"):format(eps))
  local d = 0
  for i = 1, n do d = math.max(d, math.abs(r.weights_array[i] - L1[i])) end
  errs[k] = d
  T.ok(r.distance < 1e-7, ("L1 eps %g: the flow meets Newton's stationary point (%g)"):format(eps, r.distance))
end
T.ok(errs[2] < errs[1] and errs[2] < 1e-4,
  ("L1: distance to the exact L1 optimum %.3g (eps 1e-3) -> %.3g (eps 1e-5)"):format(errs[1], errs[2]))

-- 5. the plot
local svg = os.tmpname()
local r = folio.cim(base)
r:plot(svg)
local f = io.open(svg)
local text = f:read("a")
f:close()
os.remove(svg)
T.ok(text:find("<svg", 1, true) and select(2, text:gsub("<path ", "")) >= 1 + n, "plot: an SVG with the energy and every weight")

-- 6. input errors, one line each, blamed on the caller's line
local bad = {}
for i = 1, n do bad[i] = {} for j = 1, n do bad[i][j] = H.cov[i][j] end end
bad[1][2] = bad[1][2] + 1e-4
T.raises_exact(function() folio.cim(with { cov = bad }) end,
  ("cim: Theta is not symmetric (Theta[1][2] = %.17g, Theta[2][1] = %.17g)"):format(bad[1][2], bad[2][1]), "non-symmetric Theta")
local negnu = {}
for i = 1, n do negnu[i] = 1e-3 end
negnu[3] = -1
T.raises_exact(function() folio.cim(with { nu = negnu }) end, "cim: nu[3] must be a finite number >= 0 (got -1)", "negative nu")
T.raises_exact(function() folio.cim(with { rho = 0 }) end, "cim: rho must be > 0 (got 0)", "rho = 0")
T.raises_exact(function() folio.cim(with { rho = -5 }) end, "cim: rho must be > 0 (got -5)", "rho < 0")
T.raises_exact(function() folio.cim(with { groups = { { 1, 2, 40 } }, lambdas = { 0.2 } }) end,
  "cim: groups[1]: asset index 40 is out of range 1..31", "group index out of range")
T.raises_exact(function() folio.cim(with { groups = { { "asset1", "nope" } }, lambdas = { 0.2 } }) end,
  "cim: groups[1] names unknown asset 'nope'", "unknown asset in a group")
T.raises_exact(function() folio.cim(with { groups = { { "asset1" } } }) end,
  "cim: groups needs lambdas, one per group", "groups without lambdas")
T.raises_exact(function() folio.cim(with { integrator = "rk4" }) end,
  'cim: integrator must be one of "cvode_bdf", "cvode_adams", "erk_dp5", "erk_tsit5" (got "rk4")',
  "an integrator error (raised in C) blamed on the caller's line")
T.raises_exact(function() folio.cim(with { samples = 1e7 }) end,
  "cim: samples must be an integer in 0..1000000 (got 10000000.0)", "a range error raised in C")
T.raises_exact(function() folio.cim(with { gama = 1 }) end, "cim: unknown option 'gama' (did you mean 'gamma'? options: Omega, Theta, "
  .. "assets, atol, bounds, budget, cov, gamma, grad_tol, groups, integrator, l1_smoothing, lambdas, limits, "
  .. "linear_solver, lower, max_steps, mu, nu, references, rho, rtol, samples, seed, sigma, t_max, trading_cost, "
  .. "upper, w0)", "misspelt option, blamed on this line")
T.raises_exact(function() folio.cim(with { [1] = 1 }) end, "cim: option names must be strings (got a number key)",
  "a positional value among the options")
T.raises_exact(function() folio.cim(with { gamma = "10" }) end, "cim: gamma must be a number (got string)",
  "a wrong type names the field")
T.raises_exact(function() folio.cim() end, "cim: expected a table of options (got nil)", "no options")
T.raises_exact(function() folio.cim(with { cov = H.cov, Theta = H.cov }) end, "cim: give cov or Theta, not both",
  "cov and Theta")

-- 7. the result contract (docs/results.md): status in the vocabulary,
-- has_solution, objective, solve_time, solver
local results = require "folio.results"
local report = require "folio.report"
local core = require "folio.core"
T.ok(results.is_result(r), "a registered result")
T.eq(getmetatable(r).__name, "folio.cim_result", "its class")
T.eq(r.status, "converged", "converged: status")
T.eq(r.integrator_status, "converged", "converged: the integrator's word")
T.eq(r.has_solution, true, "converged: a solution")
T.near(r.objective, r.energy, 1e-15, "the objective is the energy the flow minimises")
T.eq(r.solver, "cvode-bdf", "the solver is what integrated")
T.ok(type(r.solve_time) == "number" and r.solve_time >= 0 and r.solve_time == r.stats.time, "solve_time")
T.eq(report.exit_code({ r }), 0, "converged: exit code 0")
local e = folio.cim(with { integrator = "erk_dp5", rho = 1, sigma = 10, rtol = 1e-12, grad_tol = 1e-10 })
T.eq(e.solver, "arkode-dp5", "an explicit run names ARKODE")

-- a run that cannot converge: t_max far too short, and a step limit
local nc = folio.cim(with { bounds = { 0, 0.1 }, t_max = 1e-3 })
T.eq(nc.status, "iteration_limit", "t_max: status")
T.eq(nc.integrator_status, "t_max", "t_max: the integrator's word")
T.eq(nc.has_solution, false, "t_max: no solution")
T.eq(nc.objective, nil, "t_max: no objective")
T.eq(nc.weights, nil, "t_max: no weights")
T.ok(type(nc.last_weights) == "table" and #nc.last_weights_array == n, "t_max: the weights where the flow stopped")
T.eq(report.exit_code({ nc }), 3, "t_max: exit code 3")
local sl = folio.cim(with { max_steps = 3 })
T.eq(sl.status, "iteration_limit", "step_limit: status")
T.eq(sl.integrator_status, "step_limit", "step_limit: the integrator's word")
T.eq(sl.has_solution, false, "step_limit: no solution")
T.eq(report.exit_code({ r, sl }), 3, "one result without a solution: exit code 3")

-- views: a summary, JSON that encodes (trajectory included), one CSV layout
for what, x in pairs { converged = r, t_max = nc } do
  local text = x:summary()
  T.ok(type(text) == "string" and not text:find("table: 0x"), what .. ": a summary without table addresses")
  T.eq(tostring(x), text, what .. ": tostring is the summary")
  T.ok(text:find("^CIM gradient flow: " .. x.status), what .. ": the headline")
  local ok, json = pcall(core.json_encode, report.json({ x }))
  T.ok(ok and json:find('"trajectory"', 1, true) and json:find('"status":"' .. x.status .. '"', 1, true),
    what .. ": JSON encodes (" .. (ok and "" or tostring(json)) .. ")")
end
local cols, rows = r:csv()
local ncols, nrows = nc:csv()
T.eq(table.concat(cols, ","), "asset,weight", "CSV columns")
T.eq(table.concat(ncols, ","), table.concat(cols, ","), "CSV columns do not depend on the outcome")
T.eq(#rows, n, "CSV: a row per asset")
T.eq(#nrows, 0, "CSV: no rows without a solution")
T.ok(r:summary():find("asset1", 1, true) and nc:summary():find("no solution", 1, true), "summaries say what they hold")
-- weights below the display tolerance print as 0; JSON keeps them raw
local tiny = setmetatable({}, getmetatable(r))
for k, v in pairs(r) do tiny[k] = v end
tiny.weights, tiny.exact = { asset1 = 3e-9 }, nil
T.ok(not tiny:summary():find("e-07", 1, true), "a weight of 3e-9 prints as 0")
T.eq(report.json({ tiny }).weights.asset1, 3e-9, "JSON keeps the raw weight")
local inf = setmetatable({}, getmetatable(r))
for k, v in pairs(r) do inf[k] = v end
inf.grad_norm, inf.t_end = math.huge, 0 / 0
T.ok(pcall(core.json_encode, report.json({ inf })), "non-finite numbers encode")

-- the methods blame the caller's line
T.raises_exact(function() nc:weights_svg() end, "cim: weights_svg needs a solution (status iteration_limit)",
  "weights_svg without a solution")
local flat = folio.cim(with { samples = 0 })
local one = folio.cim(with { samples = 1 })
T.ok(one.status == "converged" and #one.trajectory.t == 1, "samples = 1 keeps one point")
T.raises_exact(function() flat:trajectory_svg() end, "cim: trajectory_svg needs a trajectory (samples > 1)",
  "trajectory_svg without a trajectory")
T.raises_exact(function() flat:plot(os.tmpname()) end, "cim: plot needs a trajectory (samples > 1)",
  "plot without a trajectory")
T.raises_exact(function() r:weights_svg { colour = "red" } end, "weights_svg: unknown option 'colour' (options: max)",
  "weights_svg's options")

-- 8. inputs by name: keyed, estimates, another order, all the same by name
local names3 = { "a", "b", "c" }
local mu3 = { 0.02, 0.01, 0.015 }
local cov3 = { { 0.04, 0.01, 0.002 }, { 0.01, 0.02, 0 }, { 0.002, 0, 0.03 } }
local kmu, kcov = {}, {}
for i, a in ipairs(names3) do
  kmu[a], kcov[a] = mu3[i], {}
  for j, b in ipairs(names3) do kcov[a][b] = cov3[i][j] end
end
local common = { gamma = 5, rho = 100, grad_tol = 1e-12, upper = { 0.5, 0.5, 0.5 }, nu = { 1e-3, 2e-3, 0 },
                 Omega = { 0.2, 0.3, 0.5 } }
local function run(o)
  for k, v in pairs(common) do if o[k] == nil then o[k] = v end end
  return folio.cim(o)
end
local pos = run { assets = names3, mu = mu3, cov = cov3 }
local align = require "folio.align"
local variants = {
  keyed = run { assets = names3, mu = kmu, cov = kcov, upper = { a = 0.5, b = 0.5, c = 0.5 },
                nu = { a = 1e-3, b = 2e-3 }, Omega = { a = 0.2, b = 0.3, c = 0.5 } },
  reordered = run { assets = { "c", "a", "b" }, mu = kmu, cov = kcov, upper = 0.5, nu = { b = 2e-3, a = 1e-3 },
                    Omega = { c = 0.5, b = 0.3, a = 0.2 } },
  estimates = run { assets = { "b", "c", "a" }, mu = { assets = names3, mu = mu3 }, cov = { assets = names3, cov = cov3 },
                    upper = { a = 0.5, b = 0.5, c = 0.5 }, nu = { a = 1e-3, b = 2e-3 }, Omega = { a = 0.2, b = 0.3, c = 0.5 } },
  labelled = run { mu = align.label({ 0.015, 0.02, 0.01 }, { "c", "a", "b" }), cov = align.label(cov3, names3),
                   upper = { a = 0.5, b = 0.5, c = 0.5 }, nu = { a = 1e-3, b = 2e-3 }, Omega = { a = 0.2, b = 0.3, c = 0.5 } },
}
T.eq(pos.status, "converged", "positional: converged")
for what, v in pairs(variants) do
  T.eq(v.status, "converged", what .. ": converged")
  local worst = 0
  for _, a in ipairs(names3) do worst = math.max(worst, math.abs(v.weights[a] - pos.weights[a])) end
  T.ok(worst < 1e-9, ("%s inputs: the same weights by name (max difference %.3g)"):format(what, worst))
end
T.eq(table.concat(variants.labelled.assets, ","), "a,b,c", "without assets, cov's labels are the universe")
-- a RiskEstimator's result as cov; without assets its assets are the universe
local Rt = { columns = { "date", "x", "y", "z" }, n = 5, date = { "2020-01-31", "2020-02-29", "2020-03-31", "2020-04-30",
  "2020-05-31" }, x = { 0.01, -0.02, 0.03, 0.01, 0.0 }, y = { 0.02, 0.01, -0.01, 0.00, 0.01 },
  z = { -0.01, 0.03, 0.02, -0.02, 0.01 } }
local risk = folio.RiskEstimator { method = "sample", frequency = 12 }:estimate(Rt)
local emu = { x = 0.05, y = 0.03, z = 0.04 }
local by_est = folio.cim { mu = emu, cov = risk, gamma = 5, grad_tol = 1e-12 }
T.eq(table.concat(by_est.assets, ","), table.concat(risk.assets, ","), "the estimate's assets are the universe")
local plain = {}
for i = 1, 3 do plain[i] = { table.unpack(risk.cov[i]) } end
local by_pos = folio.cim { assets = risk.assets, mu = { emu[risk.assets[1]], emu[risk.assets[2]], emu[risk.assets[3]] },
                           cov = plain, gamma = 5, grad_tol = 1e-12 }
local by_sub = folio.cim { assets = { "z", "x" }, mu = { z = emu.z, x = emu.x }, cov = risk.cov, gamma = 5, grad_tol = 1e-12 }
local worst = 0
for _, a in ipairs(risk.assets) do worst = math.max(worst, math.abs(by_est.weights[a] - by_pos.weights[a])) end
T.ok(worst < 1e-9, ("an estimate as cov: the same weights by name (max difference %.3g)"):format(worst))
T.eq(#by_sub.assets, 2, "a labelled cov may cover more assets than the universe")
-- groups by name, and the errors naming what does not match
local g1 = run { assets = names3, mu = mu3, cov = cov3, groups = { { "a", "b" } }, lambdas = { 0.6 } }
local g2 = run { assets = { "c", "b", "a" }, mu = kmu, cov = kcov, groups = { ab = { "b", "a" } }, lambdas = { ab = 0.6 },
                 upper = 0.5, nu = { a = 1e-3, b = 2e-3 }, Omega = { a = 0.2, b = 0.3, c = 0.5 } }
worst = 0
for _, a in ipairs(names3) do worst = math.max(worst, math.abs(g1.weights[a] - g2.weights[a])) end
T.ok(worst < 1e-9, ("groups by name: the same weights (max difference %.3g)"):format(worst))
T.raises_exact(function() folio.cim { assets = names3, mu = { a = 0.1, b = 0.2, d = 0.3 }, cov = cov3 } end,
  "cim: mu has a name not in the universe: 'd'", "a keyed mu with a stranger")
T.raises_exact(function() folio.cim { assets = names3, mu = { a = 0.1, b = 0.2 }, cov = cov3 } end,
  "cim: mu has no entries for 'c'", "a keyed mu without an asset")
T.raises_exact(function() folio.cim { assets = names3, mu = { 0.1, 0.2 }, cov = cov3 } end,
  "cim: mu has 2 entries for 3 names (a positional list follows the order of the names)", "a short positional mu")
T.raises_exact(function() folio.cim { assets = { "x", "w" }, mu = { x = 0.05, w = 0.01 }, cov = risk } end,
  "cim: cov has no rows for 'w' (it covers " .. table.concat(risk.assets, ", ") .. ")", "a name the estimate lacks")
T.raises_exact(function() folio.cim { assets = names3, mu = mu3, cov = cov3, upper = { a = 0.5, e = 0.1 } } end,
  "cim: upper has a name not in the universe: 'e'", "a keyed bound with a stranger")
T.raises_exact(function() folio.cim { assets = names3, mu = mu3, cov = cov3, groups = { g = { "a" } }, lambdas = { h = 0.5 } } end,
  "cim: lambdas['g'] is missing for groups['g']", "lambdas by another name")
T.done()
