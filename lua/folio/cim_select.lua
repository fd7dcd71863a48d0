-- folio.cim.select{...}: hold exactly K of N assets (docs/cim.md,
-- "Selection"). The choice is a QUBO run on an Ising machine
-- (core.ising, in C) from many seeded starts; the best subset gets the QP
-- engine's weights; references: the exact QUBO optimum over K-subsets and
-- the exact cardinality-constrained MIQP. The result follows the result
-- contract (folio.results).
local core = require "folio.core"
local check = require "folio.check"
local results = require "folio.results"
local In = require "folio.cim_inputs"
local fail = check.fail

local S = {}

-- mu and cov aligned with the universe (assets, an estimate's, or positions)
local function moments(o, fn)
  if o.cov ~= nil and o.Theta ~= nil then fail("%s: give cov or Theta, not both", fn) end
  local theta_name = o.cov ~= nil and "cov" or "Theta"
  local theta_in = o.cov or o.Theta
  if o.mu == nil or theta_in == nil then fail("%s: mu and cov are required", fn) end
  local names = In.universe(o.assets, theta_in, o.mu, fn)
  local mu = In.vector(o.mu, names, fn, "mu")
  local theta = In.matrix(theta_in, names, fn, theta_name)
  for i = 1, #names do
    for j = i + 1, #names do
      local a, b = theta[i][j], theta[j][i]
      if math.abs(a - b) > 1e-12 * math.max(1, math.abs(a), math.abs(b)) then
        fail("%s: %s is not symmetric (%s[%d][%d] = %.17g, %s[%d][%d] = %.17g)", fn, theta_name, theta_name, i, j, a,
          theta_name, j, i, b)
      end
    end
  end
  return names, mu, theta
end

local function check_k(K, n, fn)
  if math.type(K) ~= "integer" or K < 1 or K > n then
    fail("%s: k must be an integer in 1..%d%s", fn, n, K == nil and " (k is required)" or "")
  end
end

local function check_bounds(b, fn)
  if b == nil then return { 0, 1 } end
  if type(b[1]) ~= "number" or type(b[2]) ~= "number" or not (b[1] <= b[2]) then
    fail("%s: bounds must be {lo, hi}, two numbers with lo <= hi", fn)
  end
  return b
end

---------------------------------------------------------------------------
-- the QUBO
---------------------------------------------------------------------------
-- The choice x in {0,1}^N, scored as the equal-weight portfolio w = x / K:
--   E(x) = (gamma / 2K^2) x'Theta x - mu'x / K + A (1'x - K)^2
-- A QUBO with Q = gamma/(2K^2) Theta + A 11', q = -mu/K - 2AK 1, c = AK^2.
-- A > max_i (|mu_i|/K + gamma/(2K^2) (Theta_ii + 2 sum_j |Theta_ij|)) makes
-- every minimum hold exactly K (moving one item gains less than A).
local function qubo(mu, theta, gamma, K, penalty, fn)
  local n = #mu
  check_k(K, n, fn)
  local delta = 0
  for i = 1, n do
    local row = 0
    for j = 1, n do row = row + math.abs(theta[i][j]) end
    delta = math.max(delta, math.abs(mu[i]) / K + gamma / (2 * K * K) * (theta[i][i] + 2 * row))
  end
  local A = penalty or 2 * delta
  if not (A > 0) then fail("%s: penalty must be > 0 (got %s)", fn, results.number(A)) end
  local Q, q = {}, {}
  for i = 1, n do
    Q[i] = {}
    for j = 1, n do Q[i][j] = gamma / (2 * K * K) * theta[i][j] + A end
    q[i] = -mu[i] / K - 2 * A * K
  end
  return Q, q, A * K * K, A
end

-- folio.cim.selection_qubo{mu =, cov =, gamma =, k =, penalty =, assets =}
-- -> Q, q, constant, A
S.selection_qubo = check.entry(function(o)
  local fn = "cim.selection_qubo"
  if type(o) ~= "table" then fail("%s: expected a table of options (got %s)", fn, type(o)) end
  check.options(o, fn, { assets = "table", mu = "table", cov = "table", Theta = "table", gamma = "number",
                         k = "number", penalty = "number" })
  local _, mu, theta = moments(o, fn)
  return qubo(mu, theta, o.gamma or 1, o.k, o.penalty, fn)
end)

---------------------------------------------------------------------------
-- the weights of a subset, and the exact MIQP
---------------------------------------------------------------------------
-- min (gamma/2) w'Theta w - mu'w, sum w = 1, lo <= w <= hi on the chosen
-- positions (the QP engine) -> weights by position, status, objective, time
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
  if not r.has_solution then return nil, r.status, nil, r.solve_time end
  local out = {}
  for _, i in ipairs(chosen) do out[i] = r:value(w[i]) end
  return out, r.status, r.objective, r.solve_time
end

-- the exact cardinality-constrained optimum (the QP engine's branch and
-- bound): min (gamma/2) w'Theta w - mu'w, sum w = 1, lo z_i <= w_i <= hi z_i,
-- sum z = K, z binary
local function exact(names, mu, theta, gamma, K, bounds, time_limit)
  local folio = require "folio"
  local n = #mu
  local I = {}
  for i = 1, n do I[i] = i end
  local m = folio.model("cardinality")
  local w = m:var("w", I, { lb = math.min(0, bounds[1]), ub = bounds[2] })
  local z = m:var("z", I, { kind = "binary" })
  m:st("budget", folio.sum(w), "==", 1)
  m:st("held", I, function(i) return w[i], "<=", bounds[2] * z[i] end)
  if bounds[1] ~= 0 then m:st("least", I, function(i) return w[i], ">=", bounds[1] * z[i] end) end
  m:st("count", folio.sum(z), "==", K)
  m:minimize((gamma / 2) * folio.quad(w, theta) - folio.dot(mu, w))
  local r = m:solve { mip_gap = 1e-9, feastol = 1e-10, reltol = 1e-10, abstol = 1e-14, time_limit = time_limit }
  if not r.has_solution then return { status = r.status, time = r.solve_time } end
  local chosen, selected, weights = {}, {}, {}
  for i = 1, n do
    if r:value(z[i]) > 0.5 then chosen[#chosen + 1], selected[#selected + 1] = i, names[i] end
    weights[i] = r:value(w[i])
  end
  return { status = r.status, chosen = chosen, selected = selected, weights = weights, objective = r.objective,
           time = r.solve_time, nodes = r.nodes }
end

-- folio.cim.select_exact{mu =, cov =, gamma =, k =, bounds =, time_limit =,
-- assets =} -> {status, chosen (positions), selected (names), weights
-- (by position), objective, time, nodes}
S.select_exact = check.entry(function(o)
  local fn = "cim.select_exact"
  if type(o) ~= "table" then fail("%s: expected a table of options (got %s)", fn, type(o)) end
  check.options(o, fn, { assets = "table", mu = "table", cov = "table", Theta = "table", gamma = "number",
                         k = "number", bounds = "table", time_limit = "number" })
  local names, mu, theta = moments(o, fn)
  check_k(o.k, #names, fn)
  return exact(names, mu, theta, o.gamma or 1, o.k, check_bounds(o.bounds, fn), o.time_limit)
end)

---------------------------------------------------------------------------
-- the result
---------------------------------------------------------------------------
local report = function() return require "folio.report" end

local function select_summary(self)
  local R = report()
  local n = R.number
  local out = { "CIM selection: " .. results.headline(self) }
  if self.message then out[#out + 1] = "  " .. self.message end
  local held = {}
  for i, a in ipairs(self.selected or {}) do held[i] = tostring(a) end
  -- the QUBO selects K; the subset's QP may still put nothing in some of
  -- them (a lower bound of 0), so "hold K" means at most K with weight
  local zero = 0
  for _, a in ipairs(self.selected or {}) do
    if self.weights and (self.weights[a] or 0) <= 1e-12 then zero = zero + 1 end
  end
  out[#out + 1] = ("  best of %d %s runs selects %d of %d assets (K = %d): %s%s"):format(self.runs, self.method, #held,
    #self.assets, self.k, #held > 0 and table.concat(held, ", ") or "none",
    zero > 0 and ("; the subset's QP gives %d of them no weight"):format(zero) or "")
  local q = { ("best QUBO energy %s"):format(n(self.best_qubo_energy)) }
  if self.exact_qubo_energy then
    q[#q + 1] = ("exact %s, reached by %.0f%% of runs"):format(n(self.exact_qubo_energy),
      100 * self.qubo_success_probability)
  end
  out[#out + 1] = "  " .. table.concat(q, "; ")
  if self.miqp and self.miqp.objective then
    out[#out + 1] = ("  MIQP optimum %s%s; %.0f%% of runs pick a subset with it"):format(n(self.miqp.objective),
      self.objective_gap and (", gap " .. n(self.objective_gap)) or "", 100 * self.portfolio_success_probability)
  elseif self.miqp then
    out[#out + 1] = "  MIQP reference: " .. tostring(self.miqp.status)
  end
  if not self.has_solution then return table.concat(out, "\n") end
  local rows = {}
  for _, a in ipairs(self.selected) do rows[#rows + 1] = { tostring(a), 100 * results.clean(self.weights[a]) } end
  table.sort(rows, function(x, y) return x[2] > y[2] end)
  out[#out + 1] = R.grid({ "asset", "weight %" }, rows)
  return table.concat(out, "\n")
end

local Result = results.class("folio.cim_selection", {
  kind = "cim_selection",
  summary = select_summary,
  -- one layout whatever the outcome: every asset (0 when not held), no
  -- rows without a solution
  csv = function(self)
    local rows = {}
    if self.has_solution then
      for i, a in ipairs(self.assets) do rows[i] = { a, self.weights_array[i] } end
    end
    return { "asset", "weight" }, rows
  end,
})
S.Result = Result

-- r:weights_svg{max = n}: the selected portfolio's weights as bars (in %)
function Result:weights_svg(o)
  check.options(o, "weights_svg", { max = "number" })
  if not self.has_solution then fail("cim.select: weights_svg needs a solution (status %s)", self.status) end
  local labels, values = {}, {}
  for _, a in ipairs(self.selected) do labels[#labels + 1], values[#values + 1] = tostring(a), 100 * self.weights[a] end
  return require("folio.svg").bars { title = "Weights of the selected assets", labels = labels, values = values,
                                     unit = "%", max = o and o.max }
end
check.entries(Result, { "weights_svg" })

---------------------------------------------------------------------------
-- folio.cim.select
---------------------------------------------------------------------------
local SCHEMA = {
  assets = "table", mu = "table", cov = "table", Theta = "table", gamma = "number", k = "number", penalty = "number",
  method = "string", path = "string", runs = "number", seed = "number", t_max = "number", dt = "number",
  rtol = "number", atol = "number", p = "number", eps = "number", beta = "number", a = "number", a0 = "number",
  c0 = "number", bounds = "table", reference = "boolean",
}
local METHODS = { cim_ahc = true, cac = true, sb_ballistic = true, sb_discrete = true }
local PATHS = { euler = "euler", sundials = "cvode" }

-- time to solution at 99%: the time per run times the runs needed
local function tts(ps, t_one)
  if ps <= 0 then return nil end   -- never reached: no finite time
  if ps >= 1 then return t_one end
  return t_one * math.log(0.01) / math.log(1 - ps)
end

-- folio.cim.select{mu =, cov =, gamma =, k =, method = "cim_ahc" | "cac" |
--   "sb_ballistic" | "sb_discrete", path = "euler" | "sundials", runs =,
--   seed =, t_max =, dt =, ..., bounds = {lo, hi}, reference = true}: the
-- QUBO above on an Ising machine from `runs` seeded starts, then the QP
-- engine's weights on the best subset found. With reference = true
-- (default for N <= 64) the exact QUBO optimum over K-subsets and the
-- exact MIQP optimum are computed, and each run is scored against both.
S.select = check.entry(function(o)
  local fn = "cim.select"
  if type(o) ~= "table" then fail("%s: expected a table of options (got %s)", fn, type(o)) end
  check.options(o, fn, SCHEMA)
  local names, mu, theta = moments(o, fn)
  local n = #names
  local gamma, K = o.gamma or 1, o.k
  local bounds = check_bounds(o.bounds, fn)
  local method = o.method or "sb_discrete"   -- defaults measured on port1 (docs/cim.md): discrete SB, t_max = 1000
  if not METHODS[method] then
    fail('%s: method must be one of "cim_ahc", "cac", "sb_ballistic", "sb_discrete" (got "%s")', fn, method)
  end
  local path = o.path or "euler"
  if not PATHS[path] then fail('%s: path must be one of "euler", "sundials" (got "%s")', fn, path) end
  local runs = o.runs or 100
  if math.type(runs) ~= "integer" or runs < 1 then
    fail("%s: runs must be an integer >= 1 (got %s)", fn, results.number(runs))
  end
  local seed = o.seed or 1
  if math.type(seed) ~= "integer" or seed < 0 then
    fail("%s: seed must be an integer >= 0 (got %s)", fn, results.number(seed))
  end
  local Q, q, const, A = qubo(mu, theta, gamma, K, o.penalty, fn)
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
  if reference and n > 64 then fail("%s: reference needs at most 64 assets (got %d)", fn, n) end
  local best_idx, best_qubo, target
  if reference then
    best_idx, best_qubo = core.cim.best_subset(Q, q, K)
    best_qubo = best_qubo + const
    target = (best_qubo - const - offset) / scale   -- the scaled Ising energy of that optimum
  end
  local sb = method:sub(1, 2) == "sb"
  -- CAC's error variables grow to e_max = 100, which makes Euler at the
  -- generic dt = 0.05 unstable on these instances: 0.01
  local opts = { method = method, path = path, t_max = o.t_max or (sb and 1000 or nil),
                 dt = o.dt or (not sb and 0.01 or nil),
                 rtol = o.rtol, atol = o.atol, p = o.p, eps = o.eps, beta = o.beta, a = o.a, a0 = o.a0,
                 c0 = o.c0 }
  -- SB's success on these penalised instances swings between 0 and 50%
  -- with c0 in 0.06..0.2 (docs/cim.md): unless c0 is given, each run draws
  -- its own c0 log-uniformly from that range, which averages the swings out
  local spread = sb and o.c0 == nil
  local pm = seed % 2147483646 + 1
  -- one call per run, so each run's spins are scored on their own
  local per_run, hits_qubo, wall = {}, 0, 0
  local best = { energy = math.huge, chosen = {} }
  for k = 1, runs do
    local call = { J = Js, h = hs, runs = 1, seed = seed + k - 1, target_energy = target }
    for key, v in pairs(opts) do call[key] = v end
    if spread then
      pm = (pm * 16807) % 2147483647
      call.c0 = 0.06 * (0.2 / 0.06) ^ (pm / 2147483647)
    end
    local r = In.call(fn, "ising.solve", core.ising.solve, call)
    wall = wall + r.time_s
    local chosen = {}
    for i = 1, n do if r.best_spins[i] > 0 then chosen[#chosen + 1] = i end end
    local e = r.best_energy * scale + offset + const
    per_run[k] = { energy = e, chosen = chosen, hit_time = r.run_hit_time[1] }
    -- a hit: the optimum over K-subsets reached by a state holding K (with
    -- too weak a penalty, a state holding fewer or more can score below it)
    if target and r.run_hit_time[1] >= 0 and #chosen == K then hits_qubo = hits_qubo + 1 end
    if e < best.energy then best = { energy = e, chosen = chosen } end
  end
  local res = setmetatable({ assets = names, k = K, penalty = A, runs = runs, method = method, path = path,
                             best_qubo_energy = best.energy, time = wall, per_run = per_run, bounds = bounds },
                           Result)
  res.selected = {}
  for _, i in ipairs(best.chosen) do res.selected[#res.selected + 1] = names[i] end
  res.holds_k = #best.chosen == K
  local qp_time, objective = 0, nil
  if res.holds_k then
    local w
    w, res.qp_status, objective, qp_time = subset_weights(mu, theta, gamma, best.chosen, bounds)
    if w then
      res.weights_array, res.weights = {}, {}
      for i, a in ipairs(names) do res.weights_array[i] = w[i] or 0; res.weights[a] = w[i] or 0 end
    end
  end
  if reference then
    res.exact_qubo_energy = best_qubo
    res.exact_qubo_selected = {}
    for _, i in ipairs(best_idx) do res.exact_qubo_selected[#res.exact_qubo_selected + 1] = names[i] end
    res.qubo_success_probability = hits_qubo / runs
    local ex = exact(names, mu, theta, gamma, K, bounds)
    res.miqp = ex
    -- a run succeeds for the portfolio when its subset's QP optimum is the MIQP's
    local ok, cache = 0, {}
    for _, pr in ipairs(per_run) do
      local key = table.concat(pr.chosen, ",")
      if cache[key] == nil then
        cache[key] = false
        if #pr.chosen == K and ex.objective then
          local _, _, obj = subset_weights(mu, theta, gamma, pr.chosen, bounds)
          cache[key] = obj ~= nil and obj <= ex.objective + 1e-9 * (1 + math.abs(ex.objective))
        end
      end
      pr.portfolio_success = cache[key]
      if cache[key] then ok = ok + 1 end
    end
    res.portfolio_success_probability = ok / runs
    if objective and ex.objective then res.objective_gap = objective - ex.objective end
  end
  res.time_per_run = wall / runs
  if res.qubo_success_probability then res.time_to_solution = tts(res.qubo_success_probability, res.time_per_run) end
  if res.portfolio_success_probability then
    res.portfolio_time_to_solution = tts(res.portfolio_success_probability, res.time_per_run)
  end
  -- the status: no K-subset from any run, the subset's QP without a
  -- solution, a subset proven optimal by the MIQP reference, or a feasible one
  local status
  if not res.holds_k then
    status = "iteration_limit"
    res.message = ("no run ended holding exactly K = %d assets (the best holds %d): try more runs or a larger "
      .. "penalty"):format(K, #best.chosen)
  elseif not res.weights then
    status = results.status_word(res.qp_status)
    res.message = ("the QP on the selected subset is %s"):format(res.qp_status)
    if K * bounds[2] < 1 or K * bounds[1] > 1 then
      res.message = ("%s: no %d weights within bounds %s..%s sum to 1"):format(res.message, K,
        results.number(bounds[1]), results.number(bounds[2]))
    end
  elseif res.miqp and res.miqp.status == "optimal" and res.objective_gap
         and res.objective_gap <= 1e-9 * (1 + math.abs(res.miqp.objective)) then
    status = "optimal"
  else
    status = "feasible"
  end
  -- objective: the selected portfolio's (gamma/2) w'Theta w - mu'w
  return results.settle(res, { status = status, has_solution = res.weights ~= nil, objective = objective,
                               solve_time = wall + (qp_time or 0),
                               solver = ("%s/%s + qp"):format(method, PATHS[path]) })
end)

return S
