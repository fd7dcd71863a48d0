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

-- 6. input errors, one line each
local bad = {}
for i = 1, n do bad[i] = {} for j = 1, n do bad[i][j] = H.cov[i][j] end end
bad[1][2] = bad[1][2] + 1e-4
T.raises(function() folio.cim(with { cov = bad }) end,
  ("cim: Theta is not symmetric (Theta[1][2] = %.17g, Theta[2][1] = %.17g)"):format(bad[1][2], bad[2][1]), "non-symmetric Theta")
local negnu = {}
for i = 1, n do negnu[i] = 1e-3 end
negnu[3] = -1
T.raises(function() folio.cim(with { nu = negnu }) end, "cim: nu[3] must be a finite number >= 0 (got -1)", "negative nu")
T.raises(function() folio.cim(with { rho = 0 }) end, "cim: rho must be > 0 (got 0)", "rho = 0")
T.raises(function() folio.cim(with { rho = -5 }) end, "cim: rho must be > 0 (got -5)", "rho < 0")
T.raises(function() folio.cim(with { groups = { { 1, 2, 40 } }, lambdas = { 0.2 } }) end,
  "cim: groups[1]: asset index 40 is out of range 1..31", "group index out of range")
T.raises(function() folio.cim(with { groups = { { "asset1", "nope" } }, lambdas = { 0.2 } }) end,
  "cim: groups[1] names unknown asset 'nope'", "unknown asset in a group")
T.raises(function() folio.cim(with { integrator = "rk4" }) end,
  'cim: integrator must be one of "cvode_bdf", "cvode_adams", "erk_dp5", "erk_tsit5" (got "rk4")', "unknown integrator")
T.raises_exact(function() folio.cim(with { gama = 1 }) end, "cim: unknown option 'gama' (did you mean 'gamma'? options: Omega, Theta, "
  .. "assets, atol, bounds, budget, cov, gamma, grad_tol, groups, integrator, l1_smoothing, lambdas, limits, "
  .. "linear_solver, lower, max_steps, mu, nu, references, rho, rtol, samples, seed, sigma, t_max, trading_cost, "
  .. "upper, w0)", "misspelt option, blamed on this line")
T.raises_exact(function() folio.cim(with { [1] = 1 }) end, "cim: option names must be strings (got a number key)",
  "a positional value among the options")
T.done()
