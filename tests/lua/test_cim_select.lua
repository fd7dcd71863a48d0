-- Selection with amplitude dynamics: "hold exactly K of N" mean-variance
-- as a QUBO, checked against brute force over all 2^N spin states, and the
-- share of runs that reach that optimum for each method and path, on the
-- first 12 and 16 Hang Seng assets (OR-Library port1). The shares below
-- were measured with these seeds (docs/cim.md); the thresholds sit under
-- them with a margin. CIM-AHC with the published defaults reaches none of
-- these optima (also in docs/cim.md), so it is checked for a sound result only.
local T = dofile("tests/lua/testlib.lua")
local folio = require "folio"
local core = require "folio.core"

local H = folio.read_orlib("data/orlib/port1.txt")
local function first(nn)
  local mu, cov = {}, {}
  for i = 1, nn do
    mu[i], cov[i] = H.mu[i], {}
    for j = 1, nn do cov[i][j] = H.cov[i][j] end
  end
  return mu, cov
end

-- the QUBO is the equal-weight objective plus the penalty, state by state
do
  local mu, cov = first(12)
  local K, gamma = 3, 10
  local Q, q, const, A = folio.cim.selection_qubo { mu = mu, cov = cov, gamma = gamma, k = K }
  local seed, worst = 5, 0
  for _ = 1, 50 do
    local x, cnt = {}, 0
    for i = 1, 12 do
      seed = (seed * 16807) % 2147483647
      x[i] = seed % 3 == 0 and 1 or 0
      cnt = cnt + x[i]
    end
    local direct = A * (cnt - K) ^ 2
    for i = 1, 12 do
      direct = direct - mu[i] * x[i] / K
      for j = 1, 12 do direct = direct + gamma / 2 * cov[i][j] * x[i] * x[j] / (K * K) end
    end
    local e = const
    for i = 1, 12 do
      e = e + q[i] * x[i]
      for j = 1, 12 do e = e + Q[i][j] * x[i] * x[j] end
    end
    worst = math.max(worst, math.abs(e - direct))
  end
  T.ok(worst < 1e-14, ("selection QUBO equals the penalised equal-weight objective (worst %g)"):format(worst))
end

local cases = {
  { n = 12, k = 3, shares = { cac = 0.4, sb_ballistic = 0.05, sb_discrete = 0.05 } },
  { n = 16, k = 4, shares = { cac = 0.1, sb_ballistic = 0.05, sb_discrete = 0.05 } },
}
for _, c in ipairs(cases) do
  local mu, cov = first(c.n)
  local Q, q = folio.cim.selection_qubo { mu = mu, cov = cov, gamma = 10, k = c.k }
  local J, h = core.ising.qubo_to_ising(Q, q)
  local e_all, spins = core.ising.bruteforce(J, h)
  local held = 0
  for i = 1, c.n do if spins[i] > 0 then held = held + 1 end end
  T.eq(held, c.k, ("N = %d: the ground state over all 2^%d states holds exactly K = %d"):format(c.n, c.n, c.k))
  local idx = core.cim.best_subset(Q, q, c.k)
  local same = true
  for _, i in ipairs(idx) do if spins[i] < 0 then same = false end end
  T.ok(same, ("N = %d: the K-subset enumeration finds the same optimum"):format(c.n))
  for method, share in pairs(c.shares) do
    local r = folio.cim.select { mu = mu, cov = cov, gamma = 10, k = c.k, method = method, runs = 40, seed = 11 }
    T.ok(r.qubo_success_probability >= share,
      ("N = %d, %s (Euler): %.3f of 40 runs reach the brute-force optimum (>= %.2f)"):format(
        c.n, method, r.qubo_success_probability, share))
    T.near(r.best_qubo_energy, r.exact_qubo_energy, 1e-12 * (1 + math.abs(r.exact_qubo_energy)),
      ("N = %d, %s: the best run is the optimum"):format(c.n, method))
    T.ok(r.holds_k and r.weights ~= nil, ("N = %d, %s: holds K and gets QP weights"):format(c.n, method))
    local s = 0
    for _, v in pairs(r.weights or {}) do s = s + v end
    T.near(s, 1, 1e-8, ("N = %d, %s: the weights sum to 1"):format(c.n, method))
  end
  local ahc = folio.cim.select { mu = mu, cov = cov, gamma = 10, k = c.k, method = "cim_ahc", runs = 10, seed = 11 }
  T.ok(ahc.best_qubo_energy >= ahc.exact_qubo_energy - 1e-12 and ahc.qubo_success_probability >= 0,
    ("N = %d, cim_ahc: a sound result (best %.6g, optimum %.6g)"):format(c.n, ahc.best_qubo_energy, ahc.exact_qubo_energy))
end

-- the SUNDIALS path (CVODE between events): fewer runs, it is slower
do
  local mu, cov = first(16)
  local r = folio.cim.select { mu = mu, cov = cov, gamma = 10, k = 4, method = "cac", path = "sundials", runs = 8, seed = 11 }
  T.ok(r.qubo_success_probability >= 0.5, ("N = 16, cac (CVODE): %.3f of 8 runs reach the optimum"):format(r.qubo_success_probability))
  mu, cov = first(12)
  r = folio.cim.select { mu = mu, cov = cov, gamma = 10, k = 3, method = "sb_ballistic", path = "sundials", runs = 12, seed = 11 }
  T.ok(r.qubo_success_probability > 0, ("N = 12, sb_ballistic (CVODE): %.3f of 12 runs reach the optimum"):format(r.qubo_success_probability))
end

-- the portfolio on the selected subset against the exact MIQP
do
  local mu, cov = first(16)
  local r = folio.cim.select { mu = mu, cov = cov, gamma = 10, k = 4, method = "cac", runs = 20, seed = 11 }
  T.eq(r.miqp.status, "optimal", "MIQP reference: optimal")
  T.ok(r.objective >= r.miqp.objective - 1e-9, "no subset beats the MIQP optimum")
  T.ok(r.portfolio_success_probability > 0, ("cac: %.2f of runs pick the MIQP's subset"):format(r.portfolio_success_probability))
end

-- the result contract (docs/results.md)
local results = require "folio.results"
local report = require "folio.report"
local names = {}
for i = 1, 12 do names[i] = H.assets[i] end
local mu12, cov12 = first(12)
local sel = folio.cim.select { assets = names, mu = mu12, cov = cov12, gamma = 10, k = 3, method = "cac", runs = 40, seed = 11 }
T.ok(results.is_result(sel), "a registered result")
T.eq(getmetatable(sel).__name, "folio.cim_selection", "its class")
-- on the first 12 assets the QUBO's optimum is not the MIQP's subset
T.eq(sel.status, "feasible", "N = 12: the best subset is not the MIQP's: feasible")
T.ok(sel.objective_gap > 1e-6, ("N = 12: a gap to the MIQP (%.3g)"):format(sel.objective_gap))
T.eq(sel.has_solution, true, "a solution")
T.eq(sel.solver, "cac/euler + qp", "the solver names the machine, its path and the QP engine")
T.ok(type(sel.solve_time) == "number" and sel.solve_time >= sel.time, "solve_time covers the runs")
local direct = 0
for i = 1, 12 do
  direct = direct - mu12[i] * sel.weights_array[i]
  for j = 1, 12 do direct = direct + 5 * cov12[i][j] * sel.weights_array[i] * sel.weights_array[j] end
end
T.near(sel.objective, direct, 1e-12, "the objective is the selected portfolio's (gamma/2) w'Theta w - mu'w")
T.eq(#sel.selected, 3, "K names selected")
T.eq(report.exit_code({ sel }), 0, "a solution: exit code 0")
-- on all 31 with K = 5 it is: the MIQP proves the selection optimal
local full = folio.cim.select { assets = H.assets, mu = H.mu, cov = H.cov, gamma = 10, k = 5, runs = 20 }
T.eq(full.status, "optimal", "N = 31, K = 5: the MIQP proves the selected portfolio optimal")
T.near(full.objective, full.miqp.objective, 1e-9, "N = 31, K = 5: the objective is the MIQP's optimum")
T.eq(full.solver, "sb_discrete/euler + qp", "the default machine")
local unproven = folio.cim.select { assets = names, mu = mu12, cov = cov12, gamma = 10, k = 3, runs = 5, reference = false }
T.eq(unproven.status, "feasible", "without the reference: feasible, not proven optimal")
T.eq(unproven.has_solution, true, "without the reference: a solution")

-- no solution: bounds no K weights can meet, and runs that never hold K
local boxed = folio.cim.select { assets = names, mu = mu12, cov = cov12, gamma = 10, k = 3, runs = 5, bounds = { 0, 0.2 } }
T.eq(boxed.status, "infeasible", "3 weights of at most 0.2 cannot sum to 1: infeasible")
T.eq(boxed.has_solution, false, "infeasible: no solution")
T.eq(boxed.objective, nil, "infeasible: no objective")
T.eq(boxed.message, "the QP on the selected subset is infeasible: no 3 weights within bounds 0..0.2 sum to 1",
  "infeasible: why")
T.eq(report.exit_code({ boxed }), 3, "infeasible: exit code 3")
local weak = folio.cim.select { assets = names, mu = mu12, cov = cov12, gamma = 10, k = 3, runs = 3, penalty = 1e-9,
                                reference = false }
T.eq(weak.status, "iteration_limit", "a penalty too weak to hold K: the runs end without a K-subset")
T.eq(weak.has_solution, false, "no K-subset: no solution")
T.eq(report.exit_code({ weak }), 3, "no K-subset: exit code 3")
for what, x in pairs { feasible = sel, optimal = full, infeasible = boxed, no_subset = weak } do
  local text = x:summary()
  T.ok(type(text) == "string" and not text:find("table: 0x") and text:find("^CIM selection: " .. x.status),
    what .. ": a summary without table addresses")
  T.eq(tostring(x), text, what .. ": tostring is the summary")
  local ok, json = pcall(core.json_encode, report.json({ x }))
  T.ok(ok and json:find('"status":"' .. x.status .. '"', 1, true), what .. ": JSON encodes (" .. (ok and "" or tostring(json)) .. ")")
  T.eq(table.concat((x:csv()), ","), "asset,weight", what .. ": CSV columns")
end
T.eq(#select(2, sel:csv()), 12, "CSV: a row per asset")
T.eq(#select(2, boxed:csv()), 0, "CSV: no rows without a solution")
local tiny = setmetatable({}, getmetatable(sel))
for k, v in pairs(sel) do tiny[k] = v end
tiny.weights = {}
for k, v in pairs(sel.weights) do tiny.weights[k] = v end
tiny.weights[sel.selected[1]] = 3e-9
T.ok(not tiny:summary():find("e-07", 1, true), "a weight of 3e-9 prints as 0")
T.raises_exact(function() boxed:weights_svg() end, "cim.select: weights_svg needs a solution (status infeasible)",
  "weights_svg without a solution")

-- inputs by name: keyed, an estimate, another order give the same portfolio by name
local kmu, kcov = {}, {}
for i, a in ipairs(names) do
  kmu[a], kcov[a] = mu12[i], {}
  for j, b in ipairs(names) do kcov[a][b] = cov12[i][j] end
end
local rev = {}
for i = 12, 1, -1 do rev[#rev + 1] = names[i] end
local variants = {
  keyed = folio.cim.select { assets = names, mu = kmu, cov = kcov, gamma = 10, k = 3, method = "cac", runs = 40, seed = 11 },
  reversed = folio.cim.select { assets = rev, mu = kmu, cov = kcov, gamma = 10, k = 3, method = "cac", runs = 40, seed = 11 },
  estimate = folio.cim.select { mu = { assets = names, mu = mu12 }, cov = { assets = names, cov = cov12 }, gamma = 10, k = 3,
                                method = "cac", runs = 40, seed = 11 },
}
for what, v in pairs(variants) do
  T.eq(v.status, sel.status, what .. ": the same status")
  local worst = 0
  for _, a in ipairs(names) do worst = math.max(worst, math.abs(v.weights[a] - sel.weights[a])) end
  T.ok(worst < 1e-8, ("%s: the same weights by name (max difference %.3g)"):format(what, worst))
end
T.eq(variants.estimate.assets[1], names[1], "without assets, the estimate's assets are the universe")
local ex1 = folio.cim.select_exact { mu = mu12, cov = cov12, gamma = 10, k = 3 }
local ex2 = folio.cim.select_exact { assets = rev, mu = kmu, cov = kcov, gamma = 10, k = 3 }
table.sort(ex2.selected)
local by_pos = {}
for _, i in ipairs(ex1.chosen) do by_pos[#by_pos + 1] = names[i] end
table.sort(by_pos)
T.eq(table.concat(ex2.selected, ","), table.concat(by_pos, ","), "select_exact: the same subset by name")

-- errors blame the caller's line, with the whole message
T.raises_exact(function() folio.cim.select { mu = { 0.1, 0.2 }, cov = { { 1, 0 }, { 0, 1 } }, k = 3 } end,
  "cim.select: k must be an integer in 1..2", "k out of range")
T.raises_exact(function() folio.cim.select { mu = { 0.1, 0.2 }, cov = { { 1, 0 }, { 0, 1 } }, k = 1, metod = "cac" } end,
  "cim.select: unknown option 'metod' (did you mean 'method'? options: Theta, a, a0, assets, atol, beta, bounds, c0, cov, dt, eps, gamma, "
  .. "k, method, mu, p, path, penalty, reference, rtol, runs, seed, t_max)", "misspelt option")
T.raises_exact(function() folio.cim.select { mu = { 0.1, 0.2 }, cov = { { 1, 0 }, { 0, 1 } }, k = 1, method = "qaoa" } end,
  'cim.select: method must be one of "cim_ahc", "cac", "sb_ballistic", "sb_discrete" (got "qaoa")', "an unknown method")
T.raises_exact(function() folio.cim.select { mu = { 0.1, 0.2 }, cov = { { 1, 0 }, { 0, 1 } }, k = 1, runs = 0 } end,
  "cim.select: runs must be an integer >= 1 (got 0)", "no runs")
T.raises_exact(function() folio.cim.select { mu = { 0.1, 0.2 }, cov = { { 1, 0 }, { 0, 1 } }, k = 1, dt = -1, method = "cac" } end,
  "cim.select: dt must be > 0 and < t_max (got dt = -1, t_max = 200)", "an option the Ising binding rejects, blamed on the caller's line")
T.raises_exact(function() folio.cim.select { mu = { 0.1, 0.2 }, cov = { { 1, 0.5 }, { 0, 1 } }, k = 1 } end,
  "cim.select: cov is not symmetric (cov[1][2] = 0.5, cov[2][1] = 0)", "a non-symmetric cov")
T.raises_exact(function() folio.cim.select { assets = { "a", "b" }, mu = { a = 0.1, c = 0.2 }, cov = { { 1, 0 }, { 0, 1 } }, k = 1 } end,
  "cim.select: mu has a name not in the universe: 'c'", "a keyed mu with a stranger")
T.raises_exact(function() folio.cim.select { mu = { 0.1, 0.2 }, cov = { { 1, 0 }, { 0, 1 } }, k = 1, gamma = "1" } end,
  "cim.select: gamma must be a number (got string)", "a wrong type names the field")
T.raises_exact(function() folio.cim.selection_qubo { mu = { 0.1, 0.2 }, cov = { { 1, 0 }, { 0, 1 } }, k = 0 } end,
  "cim.selection_qubo: k must be an integer in 1..2", "selection_qubo: k")
T.raises_exact(function() folio.cim.select_exact { mu = { 0.1, 0.2, 0.3 }, cov = { { 1, 0 }, { 0, 1 } }, k = 1 } end,
  "cim.select_exact: mu has 3 entries for 2 names (a positional list follows the order of the names)",
  "select_exact: a matrix of the wrong size")
-- "hold K" is at most K with a positive weight: at K = 10 of 12 the
-- subset's QP leaves some selected assets at 0, and the summary says so
do
  local mu, cov = first(12)
  local r = folio.cim.select { mu = mu, cov = cov, gamma = 10, k = 10, runs = 40, seed = 11 }
  local zero = 0
  for _, a in ipairs(r.selected) do if r.weights[a] <= 1e-12 then zero = zero + 1 end end
  T.eq(#r.selected, 10, "K = 10: ten selected")
  T.ok(zero > 0, "K = 10: the subset's QP gives some of them no weight")
  T.ok(r:summary():find(("selects 10 of 12 assets (K = 10): "):format(), 1, true) ~= nil
    and r:summary():find(("; the subset's QP gives %d of them no weight"):format(zero), 1, true) ~= nil,
    "K = 10: the summary says how many selected assets have no weight")
end
T.done()
