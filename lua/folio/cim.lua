-- folio.cim{...}: the CIM portfolio gradient flow (docs/cim.md). The
-- right-hand side, Jacobian, projection and integration run in C
-- (src/backends/cim/); this file maps names to positions, sets defaults,
-- and computes the references: the exact stationary point (Cholesky), the
-- constrained optimum of the same energy and the hard-equality optimum
-- (both with folio's QP engine).
local core = require "folio.core"

local C = {}
-- __name: folio.html tells a CIM result from a plain table by it
local Result = { __name = "folio.cim_result" }
Result.__index = Result

local KEYS = {
  assets = true, mu = true, cov = true, Theta = true, gamma = true, groups = true, lambdas = true, budget = true,
  limits = true, bounds = true, lower = true, upper = true, nu = true, Omega = true, sigma = true,
  trading_cost = true, l1_smoothing = true, rho = true, integrator = true, linear_solver = true, rtol = true,
  atol = true, grad_tol = true, t_max = true, max_steps = true, samples = true, seed = true, w0 = true,
  references = true,
}

-- v keyed by asset name or aligned with the assets, or one number for all
local function vector(v, names, what, default)
  local n = #names
  if v == nil then return default end
  local out = {}
  if type(v) == "number" then
    for i = 1, n do out[i] = v end
    return out
  end
  if type(v) ~= "table" then error(("cim: %s must be a number or a table"):format(what), 3) end
  if #v > 0 then
    if #v ~= n then error(("cim: %s has %d entries, expected %d"):format(what, #v, n), 3) end
    for i = 1, n do out[i] = v[i] end
    return out
  end
  local pos = {}
  for i, e in ipairs(names) do pos[e] = i end
  for k in pairs(v) do
    if not pos[k] then error(("cim: %s names unknown asset '%s'"):format(what, tostring(k)), 3) end
  end
  for i, e in ipairs(names) do out[i] = v[e] or 0 end
  return out
end

-- a list of assets (names or 1-based positions) as positions
local function members(list, names, what)
  local pos = {}
  for i, e in ipairs(names) do pos[e] = i end
  local out = {}
  if type(list) ~= "table" then error(("cim: %s must be a list of assets"):format(what), 3) end
  for k, a in ipairs(list) do
    local i = type(a) == "number" and a or pos[a]
    if not i then error(("cim: %s names unknown asset '%s'"):format(what, tostring(a)), 3) end
    if math.type(i) ~= "integer" and i ~= math.floor(i) then
      error(("cim: %s[%d] is not an asset index"):format(what, k), 3)
    end
    if i < 1 or i > #names then
      error(("cim: %s: asset index %d is out of range 1..%d"):format(what, i, #names), 3)
    end
    out[#out + 1] = math.tointeger(i)
  end
  return out
end

local function keyed(arr, names)
  local t = {}
  for i, e in ipairs(names) do t[e] = arr[i] end
  return t
end

local function max_abs_diff(a, b)
  local d = 0
  for i = 1, #a do d = math.max(d, math.abs(a[i] - b[i])) end
  return d
end

-- the energy (quadratic part) over the model's w, for the QP references
local function qp_reference(p, names, hard)
  local folio = require "folio"
  local n = #names
  local m = folio.model(hard and "cim_hard" or "cim_constrained")
  local idx = {}
  for i = 1, n do idx[i] = i end
  local lo, hi = p.lower, p.upper
  local w = m:var("w", idx, {
    lb = function(i) return lo and lo[i] or -math.huge end,
    ub = function(i) return hi and hi[i] or math.huge end,
  })
  local terms = { (p.gamma / 2) * folio.quad(w, p.theta) }
  for i = 1, n do terms[#terms + 1] = -p.mu[i] * w[i] end
  if p.nu and p.sigma > 0 then
    for i = 1, n do
      local om = p.omega and p.omega[i] or 0
      terms[#terms + 1] = p.sigma * p.nu[i] * (w[i] - om) * (w[i] - om)
    end
  end
  for k, g in ipairs(p.groups or {}) do
    local s = folio.sum(g, function(i) return w[i] end)
    if hard then
      m:st("group_" .. k, s, "==", p.lambdas[k])
    else
      terms[#terms + 1] = p.rho * (s - p.lambdas[k]) * (s - p.lambdas[k])
    end
  end
  for k, g in ipairs(p.limits or {}) do
    m:st("limit_" .. k, folio.sum(g, function(i) return w[i] end), "<=", p.caps[k])
  end
  m:minimize(folio.sum(terms))
  local r = m:solve { feastol = 1e-12, reltol = 1e-12, abstol = 1e-15 }
  if not r.has_solution then return nil, r.status end
  local out = {}
  for i = 1, n do out[i] = r:value(w[i]) end
  return out, r.status
end

-- a seeded start inside the boxes (a Park-Miller stream: no global state)
local function random_start(seed, n, lo, hi)
  local s = (math.tointeger(seed) or 1) % 2147483647
  if s <= 0 then s = s + 2147483646 end
  local w = {}
  for i = 1, n do
    s = (s * 16807) % 2147483647
    local u = s / 2147483647
    local a = lo and lo[i] > -math.huge and lo[i] or 0
    local b = hi and hi[i] < math.huge and hi[i] or 2 / n
    w[i] = a + u * (b - a)
  end
  return w
end

function C.cim(o)
  if type(o) ~= "table" then error("cim: expected a table of options", 2) end
  core.check_options(o, "cim", KEYS, 2)
  local theta = o.cov or o.Theta
  if o.cov and o.Theta then error("cim: give cov or Theta, not both", 2) end
  if type(o.mu) ~= "table" then error("cim: mu is required", 2) end
  if type(theta) ~= "table" then error("cim: cov (or Theta) is required", 2) end
  local names = o.assets
  if not names then
    names = {}
    for i = 1, #theta do names[i] = i end
  end
  local n = #names
  local p = { mu = vector(o.mu, names, "mu"), theta = theta, gamma = o.gamma or 1 }
  -- budget equalities: group 0 is every asset with lambda 1 (budget = false drops it)
  local groups, lambdas = {}, {}
  if o.budget ~= false then
    local all = {}
    for i = 1, n do all[i] = i end
    groups[1], lambdas[1] = all, type(o.budget) == "number" and o.budget or 1
  end
  for k, g in ipairs(o.groups or {}) do
    groups[#groups + 1] = members(g, names, ("groups[%d]"):format(k))
    local l = o.lambdas and o.lambdas[k]
    if type(l) ~= "number" then error(("cim: lambdas[%d] is missing for groups[%d]"):format(k, k), 2) end
    lambdas[#lambdas + 1] = l
  end
  if #groups > 0 then p.groups, p.lambdas = groups, lambdas end
  p.rho = o.rho or 1000
  if o.limits then
    p.limits, p.caps = {}, {}
    for k, l in ipairs(o.limits) do
      if type(l) ~= "table" or type(l.max) ~= "number" then
        error(("cim: limits[%d] must be {assets = {...}, max = number}"):format(k), 2)
      end
      p.limits[k] = members(l.assets, names, ("limits[%d].assets"):format(k))
      p.caps[k] = l.max
    end
  end
  local b = o.bounds
  if b then
    p.lower = vector(b[1] == false and -math.huge or b[1], names, "bounds")
    p.upper = vector(b[2] == false and math.huge or b[2], names, "bounds")
  end
  if o.lower then p.lower = vector(o.lower, names, "lower") end
  if o.upper then p.upper = vector(o.upper, names, "upper") end
  p.nu = vector(o.nu, names, "nu")
  p.omega = vector(o.Omega, names, "Omega")
  p.sigma = o.sigma or (p.nu and 1 or 0)
  local tc = o.trading_cost or "smooth"
  if tc ~= "smooth" and tc ~= "l1" then error("cim: trading_cost must be 'smooth' or 'l1'", 2) end
  if tc == "l1" then
    if not p.nu then error("cim: trading_cost = 'l1' needs nu", 2) end
    p.l1_eps = o.l1_smoothing or 1e-4
    if not (p.l1_eps > 0) then error("cim: l1_smoothing must be > 0", 2) end
    if o.sigma == nil then p.sigma = 0 end   -- the real cost replaces its stand-in
  elseif o.l1_smoothing then
    error("cim: l1_smoothing goes with trading_cost = 'l1'", 2)
  end
  p.w0 = o.w0 and vector(o.w0, names, "w0") or (o.seed and random_start(o.seed, n, p.lower, p.upper)) or nil
  local args = {}
  for k, v in pairs(p) do if k ~= "groups" and k ~= "lambdas" and k ~= "limits" then args[k] = v end end
  args.groups, args.lambdas, args.limits = p.groups, p.lambdas, p.limits
  local exact_args = {}
  for k, v in pairs(args) do exact_args[k] = v end
  for _, k in ipairs { "integrator", "linear_solver", "rtol", "atol", "grad_tol", "t_max", "max_steps", "samples" } do
    args[k] = o[k]
  end
  local r = core.cim.solve(args)
  local res = setmetatable({
    assets = names, status = r.status, message = r.message ~= "" and r.message or nil,
    weights = keyed(r.weights, names), weights_array = r.weights, energy = r.energy, grad_norm = r.grad_norm,
    t_end = r.t_end, max_violation = r.max_violation, stats = r.stats, trajectory = r.trajectory,
  }, Result)
  -- references: the exact stationary point of the penalised energy
  -- without limits; with limits, the same energy's constrained optimum
  exact_args.w0 = nil
  local ex, note = core.cim.exact(exact_args)
  res.exact_unconstrained = keyed(ex, names)
  res.exact_note = note
  local constrained = p.lower or p.upper or p.limits
  if o.references == false then
    res.exact = constrained and nil or res.exact_unconstrained
  elseif constrained then
    if p.l1_eps then
      res.exact_note = "no constrained reference for the smoothed L1 cost (not a QP)"
    else
      local cw = qp_reference(p, names, false)
      if cw then res.exact, res.exact_array = keyed(cw, names), cw end
    end
  else
    res.exact, res.exact_array = res.exact_unconstrained, ex
  end
  if res.exact_array then res.distance = max_abs_diff(r.weights, res.exact_array) end
  -- the hard-equality optimum, for the penalty error (about 1/rho)
  if o.references ~= false and p.groups and not p.l1_eps then
    local hw = qp_reference(p, names, true)
    if hw then
      res.hard = keyed(hw, names)
      res.penalty_error = max_abs_diff(r.weights, hw)
    end
  end
  return res
end

---------------------------------------------------------------------------
-- selection: hold exactly K of N assets
---------------------------------------------------------------------------
-- The choice x in {0,1}^N, scored as the equal-weight portfolio w = x / K:
--   E(x) = (gamma / 2K^2) x'Theta x - mu'x / K + A (1'x - K)^2
-- A QUBO with Q = gamma/(2K^2) Theta + A 11', q = -mu/K - 2AK 1, c = AK^2.
-- A > max_i (|mu_i|/K + gamma/(2K^2) (Theta_ii + 2 sum_j |Theta_ij|)) makes
-- every minimum hold exactly K (moving one item gains less than A).
function C.selection_qubo(o)
  local mu, theta, K = o.mu, o.cov or o.Theta, o.k
  local n = #mu
  if math.type(K) ~= "integer" or K < 1 or K > n then
    error(("cim.select: k must be an integer in 1..%d"):format(n), 3)
  end
  local gamma = o.gamma or 1
  local delta = 0
  for i = 1, n do
    local row = 0
    for j = 1, n do row = row + math.abs(theta[i][j]) end
    delta = math.max(delta, math.abs(mu[i]) / K + gamma / (2 * K * K) * (theta[i][i] + 2 * row))
  end
  local A = o.penalty or 2 * delta
  if not (type(A) == "number" and A > 0) then error("cim.select: penalty must be > 0", 3) end
  local Q, q = {}, {}
  for i = 1, n do
    Q[i] = {}
    for j = 1, n do Q[i][j] = gamma / (2 * K * K) * theta[i][j] + A end
    q[i] = -mu[i] / K - 2 * A * K
  end
  return Q, q, A * K * K, A
end

-- the mean-variance weights on a chosen subset: min (gamma/2) w'Theta w -
-- mu'w, sum w = 1, lo <= w <= hi (the QP engine)
local function subset_weights(mu, theta, gamma, chosen, bounds)
  local folio = require "folio"
  local m = folio.model("subset")
  local w = m:var("w", chosen, { lb = bounds[1], ub = bounds[2] })
  local sub = {}
  for a, i in ipairs(chosen) do
    sub[a] = {}
    for b, j in ipairs(chosen) do sub[a][b] = theta[i][j] end
  end
  local wl = {}
  for a, i in ipairs(chosen) do wl[a] = w[i] end
  m:st("budget", folio.sum(w), "==", 1)
  m:minimize((gamma / 2) * folio.quad(wl, sub) - folio.sum(chosen, function(i) return mu[i] * w[i] end))
  local r = m:solve { feastol = 1e-10, reltol = 1e-10, abstol = 1e-14 }
  if not r.has_solution then return nil, r.status end
  local out = {}
  for _, i in ipairs(chosen) do out[i] = r:value(w[i]) end
  return out, r.status, r.objective
end

-- the exact cardinality-constrained optimum (the QP engine's branch and
-- bound): min (gamma/2) w'Theta w - mu'w, sum w = 1, 0 <= w_i <= z_i,
-- sum z = K, z binary; returns the held set, the weights and the objective
function C.select_exact(o)
  local folio = require "folio"
  local mu, theta, K, gamma = o.mu, o.cov or o.Theta, o.k, o.gamma or 1
  local n = #mu
  local I = {}
  for i = 1, n do I[i] = i end
  local m = folio.model("cardinality")
  local w = m:var("w", I, { lb = 0, ub = 1 })
  local z = m:var("z", I, { kind = "binary" })
  m:st("budget", folio.sum(w), "==", 1)
  m:st("held", I, function(i) return w[i], "<=", z[i] end)
  m:st("count", folio.sum(z), "==", K)
  m:minimize((gamma / 2) * folio.quad(w, theta) - folio.dot(mu, w))
  local r = m:solve { mip_gap = 1e-9, feastol = 1e-10, reltol = 1e-10, abstol = 1e-14, time_limit = o.time_limit }
  if not r.has_solution then return { status = r.status } end
  local chosen, weights = {}, {}
  for i = 1, n do
    if r:value(z[i]) > 0.5 then chosen[#chosen + 1] = i end
    weights[i] = r:value(w[i])
  end
  return { status = r.status, chosen = chosen, weights = weights, objective = r.objective, time = r.solve_time,
           nodes = r.nodes }
end

local SELECT_KEYS = {
  assets = true, mu = true, cov = true, Theta = true, gamma = true, k = true, penalty = true, method = true,
  path = true, runs = true, seed = true, t_max = true, dt = true, rtol = true, atol = true, p = true, eps = true,
  beta = true, a = true, a0 = true, c0 = true, bounds = true, reference = true,
}

-- folio.cim.select{mu =, cov =, gamma =, k =, method = "cim_ahc" | "cac" |
--   "sb_ballistic" | "sb_discrete", path = "euler" | "sundials", runs =,
--   seed =, t_max =, dt =, ..., reference = true}: the QUBO above on an
-- Ising machine from `runs` seeded starts, then the QP engine's weights on
-- the best subset found. With reference = true (default for N <= 64) the
-- exact QUBO optimum over K-subsets and the exact MIQP optimum are
-- computed, and each run is scored against both.
function C.select(o)
  if type(o) ~= "table" then error("cim.select: expected a table of options", 2) end
  core.check_options(o, "cim.select", SELECT_KEYS, 2)
  local theta = o.cov or o.Theta
  if type(o.mu) ~= "table" or type(theta) ~= "table" then error("cim.select: mu and cov are required", 2) end
  local n = #o.mu
  local names = o.assets or {}
  if not o.assets then for i = 1, n do names[i] = i end end
  local gamma, K = o.gamma or 1, o.k
  local Q, q, const, A = C.selection_qubo(o)
  local J, h, offset = core.ising.qubo_to_ising(Q, q)
  -- the machines' parameters assume couplings of order one: divide by the
  -- RMS of the off-diagonal couplings (the cardinality penalty makes them
  -- nearly uniform, so their standard deviation, which SB's default c0
  -- uses, would be tiny and c0 huge)
  local scale = 0
  for i = 1, n do
    for j = 1, n do if i ~= j then scale = scale + J[i][j] ^ 2 end end
  end
  scale = math.sqrt(scale / math.max(1, n * (n - 1)))
  if scale == 0 then scale = 1 end
  local Js, hs = {}, {}
  for i = 1, n do
    Js[i], hs[i] = {}, h[i] / scale
    for j = 1, n do Js[i][j] = J[i][j] / scale end
  end
  local reference = o.reference
  if reference == nil then reference = n <= 64 end
  local best_idx, best_qubo, target
  if reference then
    best_idx, best_qubo = core.cim.best_subset(Q, q, K)
    best_qubo = best_qubo + const
    target = (best_qubo - const - offset) / scale   -- the scaled Ising energy of that optimum
  end
  local runs = o.runs or 100
  local seed = o.seed or 1
  -- defaults measured on port1 (docs/cim.md): discrete SB, t_max = 1000
  local method = o.method or "sb_discrete"
  local sb = method:sub(1, 2) == "sb"
  -- CAC's error variables grow to e_max = 100, which makes Euler at the
  -- generic dt = 0.05 unstable on these instances: 0.01
  local opts = { method = method, path = o.path or "euler", t_max = o.t_max or (sb and 1000 or nil),
                 dt = o.dt or (not sb and 0.01 or nil),
                 rtol = o.rtol, atol = o.atol, p = o.p, eps = o.eps, beta = o.beta, a = o.a, a0 = o.a0,
                 c0 = o.c0 }
  -- SB's success on these penalised instances swings between 0 and 50%
  -- with c0 in 0.06..0.2 (docs/cim.md): unless c0 is given, each run draws
  -- its own c0 log-uniformly from that range, which averages the swings out
  local spread = sb and o.c0 == nil
  local pm = (math.tointeger(seed) or 1) % 2147483646 + 1
  -- one call per run, so each run's spins are scored on their own
  local per_run, hits_qubo, wall = {}, 0, 0
  local best = { energy = math.huge }
  for k = 1, runs do
    local call = { J = Js, h = hs, runs = 1, seed = seed + k - 1, target_energy = target }
    for key, v in pairs(opts) do call[key] = v end
    if spread then
      pm = (pm * 16807) % 2147483647
      call.c0 = 0.06 * (0.2 / 0.06) ^ (pm / 2147483647)
    end
    local r = core.ising.solve(call)
    wall = wall + r.time_s
    local chosen = {}
    for i = 1, n do if r.best_spins[i] > 0 then chosen[#chosen + 1] = i end end
    local e = r.best_energy * scale + offset + const
    per_run[k] = { energy = e, chosen = chosen, hit_time = r.run_hit_time[1] }
    if target and r.run_hit_time[1] >= 0 then hits_qubo = hits_qubo + 1 end
    if e < best.energy then best = { energy = e, chosen = chosen } end
  end
  local res = { assets = names, k = K, penalty = A, runs = runs, method = opts.method, path = opts.path,
                best_qubo_energy = best.energy, time = wall, per_run = per_run }
  res.selected = {}
  for _, i in ipairs(best.chosen) do res.selected[#res.selected + 1] = names[i] end
  res.holds_k = #best.chosen == K
  if res.holds_k then
    res.weights_array, res.qp_status, res.objective = subset_weights(o.mu, theta, gamma, best.chosen, o.bounds or { 0, 1 })
    if res.weights_array then
      res.weights = {}
      for i, v in pairs(res.weights_array) do res.weights[names[i]] = v end
    end
  end
  if reference then
    res.exact_qubo_energy = best_qubo
    res.exact_qubo_selected = {}
    for _, i in ipairs(best_idx) do res.exact_qubo_selected[#res.exact_qubo_selected + 1] = names[i] end
    res.qubo_success_probability = hits_qubo / runs
    local ex = C.select_exact { mu = o.mu, cov = theta, gamma = gamma, k = K }
    res.miqp = ex
    -- a run succeeds for the portfolio when its subset's QP optimum is the MIQP's
    local ok, cache = 0, {}
    for _, pr in ipairs(per_run) do
      local key = table.concat(pr.chosen, ",")
      if cache[key] == nil then
        cache[key] = false
        if #pr.chosen == K and ex.objective then
          local _, _, obj = subset_weights(o.mu, theta, gamma, pr.chosen, o.bounds or { 0, 1 })
          cache[key] = obj ~= nil and obj <= ex.objective + 1e-9 * (1 + math.abs(ex.objective))
        end
      end
      pr.portfolio_success = cache[key]
      if cache[key] then ok = ok + 1 end
    end
    res.portfolio_success_probability = ok / runs
    if res.objective and ex.objective then res.objective_gap = res.objective - ex.objective end
  end
  -- time to solution at 99%: the time per run times the runs needed
  local function tts(ps, t_one)
    if ps <= 0 then return nil end   -- never reached: no finite time
    if ps >= 1 then return t_one end
    return t_one * math.log(0.01) / math.log(1 - ps)
  end
  res.time_per_run = wall / runs
  if res.qubo_success_probability then res.time_to_solution = tts(res.qubo_success_probability, res.time_per_run) end
  if res.portfolio_success_probability then
    res.portfolio_time_to_solution = tts(res.portfolio_success_probability, res.time_per_run)
  end
  return res
end

-- r:trajectory_svg(): the energy (top) and the weights (bottom) against
-- time; r:plot(path) writes it atomically. level: whose call is blamed.
local function trajectory_svg(self, what, level)
  local svg = require "folio.svg"
  local tr = self.trajectory
  if #tr.t < 2 then error(("cim: %s needs a trajectory (samples > 1)"):format(what), level) end
  local e, series = {}, {}
  local emin = math.huge
  for k = 1, #tr.t do emin = math.min(emin, tr.energy[k]) end
  for k = 1, #tr.t do e[k] = { tr.t[k], tr.energy[k] - emin } end
  for i, name in ipairs(self.assets) do
    local pts = {}
    for k = 1, #tr.t do pts[k] = { tr.t[k], tr.weights[k][i] } end
    series[i] = { name = tostring(name), points = pts }
  end
  return svg.stack {
    svg.series { title = "Energy above its final value", xlabel = "t", ylabel = "E(w(t)) - E_min",
                 series = { { name = "energy", points = e } }, xlog = true, ylog = true },
    svg.series { title = "Weights", xlabel = "t", ylabel = "w_i(t)", series = series, xlog = true },
  }
end

function Result:trajectory_svg() return trajectory_svg(self, "trajectory_svg", 2) end   -- a tail call: 2
function Result:plot(path) require("folio").write_text(path, trajectory_svg(self, "plot", 3)) end

-- r:weights_svg{max = n}: the final weights as bars (in % of capital)
function Result:weights_svg(o)
  local labels, values = {}, {}
  for i, name in ipairs(self.assets) do labels[i], values[i] = tostring(name), 100 * self.weights_array[i] end
  return require("folio.svg").bars { title = "Weights", labels = labels, values = values, unit = "%",
                                     max = o and o.max }
end

return C
