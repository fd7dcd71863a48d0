-- folio.cim{...}: the CIM portfolio gradient flow (docs/cim.md). The
-- right-hand side, Jacobian, projection and integration run in C
-- (src/backends/cim/); this file aligns the inputs with the assets by name
-- (folio.cim_inputs), sets defaults, computes the references (the exact
-- stationary point by Cholesky, the constrained optimum of the same energy
-- and the hard-equality optimum, both with folio's QP engine) and makes the
-- result of the contract (folio.results). Selection, folio.cim.select, is
-- in folio.cim_select.
local core = require "folio.core"
local check = require "folio.check"
local results = require "folio.results"
local In = require "folio.cim_inputs"
local Sel = require "folio.cim_select"
local fail = check.fail

local C = {}

-- a run has a solution when it converged with every limit held to this
-- (the projection keeps the violations near 1e-15)
local FEAS_TOL = 1e-9

-- what integrated: the SUNDIALS package and its method
local SOLVER = { cvode_bdf = "cvode-bdf", cvode_adams = "cvode-adams", erk_dp5 = "arkode-dp5",
                 erk_tsit5 = "arkode-tsit5" }

local function max_abs_diff(a, b)
  local d = 0
  for i = 1, #a do d = math.max(d, math.abs(a[i] - b[i])) end
  return d
end

local function pct(v) return v and 100 * results.clean(v) or nil end

-- weights (or, without a solution, the state where the flow stopped) as
-- rows {asset, weight %, reference %}, largest first
local function weight_rows(self)
  local w = self.weights or {}
  local rows = {}
  for _, a in ipairs(self.assets) do rows[#rows + 1] = { tostring(a), pct(w[a]), pct(self.exact and self.exact[a]) } end
  table.sort(rows, function(x, y) return (x[2] or 0) > (y[2] or 0) end)
  return rows
end

local function flow_summary(self)
  local report = require "folio.report"
  local out = { "CIM gradient flow: " .. results.headline(self) }
  if self.status ~= "converged" then
    out[#out + 1] = ("  the integrator stopped with '%s'%s"):format(self.integrator_status,
      self.message and (": " .. self.message) or "")
  end
  local n = report.number
  local facts = { ("t %s"):format(n(self.t_end)), ("gradient norm %s"):format(n(self.grad_norm)),
                  ("max violation %s"):format(n(self.max_violation)) }
  if self.distance then facts[#facts + 1] = ("distance to the reference %s"):format(n(self.distance)) end
  if self.penalty_error then facts[#facts + 1] = ("penalty error %s"):format(n(self.penalty_error)) end
  out[#out + 1] = "  " .. table.concat(facts, ", ")
  if not self.has_solution then
    out[#out + 1] = "  no solution: the weights where the flow stopped are in last_weights"
    return table.concat(out, "\n")
  end
  local rows = weight_rows(self)
  local shown, MAX = {}, 60
  for i = 1, math.min(#rows, MAX) do shown[i] = rows[i] end
  out[#out + 1] = report.grid(self.exact and { "asset", "weight %", "reference %" } or { "asset", "weight %" }, shown)
  if #rows > MAX then out[#out + 1] = ("  ... %d more"):format(#rows - MAX) end
  return table.concat(out, "\n")
end

-- __name folio.cim_result: folio.html knows a CIM result by it
local Result = results.class("folio.cim_result", {
  kind = "cim",
  summary = flow_summary,
  -- one layout whatever the outcome: no rows without a solution
  csv = function(self)
    local rows = {}
    if self.has_solution then
      for i, a in ipairs(self.assets) do rows[i] = { a, self.weights_array[i] } end
    end
    return { "asset", "weight" }, rows
  end,
})

-- The energy as 1/2 w'Hw + c'w + constant: gamma/2 Theta, the trading
-- cost sigma nu (w - Omega)^2 and, unless hard (then they are rows), the
-- groups' penalties rho (sum_g w - lambda)^2
local function energy_qp(p, n, hard)
  local H, c = {}, {}
  for i = 1, n do
    H[i] = {}
    for j = 1, n do H[i][j] = p.gamma * p.theta[i][j] end
    c[i] = -p.mu[i]
    if p.nu and p.sigma > 0 then
      H[i][i] = H[i][i] + 2 * p.sigma * p.nu[i]
      c[i] = c[i] - 2 * p.sigma * p.nu[i] * (p.omega and p.omega[i] or 0)
    end
  end
  if not hard then
    for k, g in ipairs(p.groups or {}) do
      for _, i in ipairs(g) do
        c[i] = c[i] - 2 * p.rho * p.lambdas[k]
        for _, j in ipairs(g) do H[i][j] = H[i][j] + 2 * p.rho end
      end
    end
  end
  return H, c
end

-- An interior point is accurate to about the square root of its gap along
-- the energy's flat directions: on port1 at rho = 1000 the reference was
-- 1.6e-6 from the optimum, the flow 5e-9, so the distance printed was the
-- reference's error. The point is polished on the active set it shows (the
-- bounds and limits within 1e-5): the equality-constrained QP there,
-- solved exactly, stands if it is feasible and its multipliers have the
-- optimum's signs (the KKT conditions); else the interior point stands.
local function polish(p, n, w, hard, H, c)
  local tol, lo, hi = 1e-5, p.lower, p.upper
  local fixed = {}
  for i = 1, n do
    if lo and lo[i] > -math.huge and w[i] - lo[i] <= tol * (1 + math.abs(lo[i])) then fixed[i] = lo[i]
    elseif hi and hi[i] < math.huge and hi[i] - w[i] <= tol * (1 + math.abs(hi[i])) then fixed[i] = hi[i] end
  end
  local rows = {}   -- active equality rows: {members = set, rhs, limit = true|nil}
  local function set_of(g)
    local m = {}
    for _, i in ipairs(g) do m[i] = true end
    return m
  end
  if hard then
    for k, g in ipairs(p.groups or {}) do rows[#rows + 1] = { members = set_of(g), rhs = p.lambdas[k] } end
  end
  for k, g in ipairs(p.limits or {}) do
    local sum = 0
    for _, i in ipairs(g) do sum = sum + w[i] end
    if p.caps[k] - sum <= tol * (1 + math.abs(p.caps[k])) then
      rows[#rows + 1] = { members = set_of(g), rhs = p.caps[k], limit = true }
    end
  end
  local F = {}
  for i = 1, n do if fixed[i] == nil then F[#F + 1] = i end end
  local nf = #F
  -- KKT: H_FF w_F + A_F'y = -c_F - H_FB w_B,  A_F w_F = b - A_B w_B
  local M, rhs = {}, {}
  for a, i in ipairs(F) do
    M[a], rhs[a] = {}, -c[i]
    for b, j in ipairs(F) do M[a][b] = H[i][j] end
    for q, row in ipairs(rows) do M[a][nf + q] = row.members[i] and 1 or 0 end
    for j, v in pairs(fixed) do rhs[a] = rhs[a] - H[i][j] * v end
  end
  for q, row in ipairs(rows) do
    M[nf + q], rhs[nf + q] = {}, row.rhs
    for b, j in ipairs(F) do M[nf + q][b] = row.members[j] and 1 or 0 end
    for q2 = 1, #rows do M[nf + q][nf + q2] = 0 end
    for j, v in pairs(fixed) do if row.members[j] then rhs[nf + q] = rhs[nf + q] - v end end
  end
  local sol = #rhs > 0 and core.stats.solve(M, rhs)
  if not sol then return w end
  local x = {}
  for i = 1, n do x[i] = fixed[i] end
  for a, i in ipairs(F) do x[i] = sol[a] end
  local eps = 1e-9
  for i = 1, n do
    if (lo and x[i] < lo[i] - eps) or (hi and x[i] > hi[i] + eps) then return w end
  end
  for k, g in ipairs(p.limits or {}) do
    local sum = 0
    for _, i in ipairs(g) do sum = sum + x[i] end
    if sum > p.caps[k] + eps then return w end
  end
  for q, row in ipairs(rows) do
    if row.limit and sol[nf + q] < -eps then return w end   -- a limit that pulls, not pushes
  end
  -- the gradient (with the rows' multipliers) at a fixed weight points out of its box
  for i, v in pairs(fixed) do
    local g = c[i]
    for j = 1, n do g = g + H[i][j] * x[j] end
    for q, row in ipairs(rows) do if row.members[i] then g = g + sol[nf + q] end end
    if (lo and v == lo[i] and g < -eps) or (hi and v == hi[i] and v ~= (lo and lo[i]) and g > eps) then return w end
  end
  return x
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
  local H, c = energy_qp(p, n, hard)
  if hard then
    for k, g in ipairs(p.groups or {}) do
      m:st("group_" .. k, folio.sum(g, function(i) return w[i] end), "==", p.lambdas[k])
    end
  end
  for k, g in ipairs(p.limits or {}) do
    m:st("limit_" .. k, folio.sum(g, function(i) return w[i] end), "<=", p.caps[k])
  end
  m:minimize(0.5 * folio.quad(w, H) + folio.sum(idx, function(i) return c[i] * w[i] end))
  local r = m:solve { feastol = 1e-12, reltol = 1e-12, abstol = 1e-15 }
  if not r.has_solution then return nil, r.status end
  local out = {}
  for i = 1, n do out[i] = r:value(w[i]) end
  return polish(p, n, out, hard, H, c), r.status
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

-- option types (folio.check); the C binding checks values and ranges
local SCHEMA = {
  assets = "table", mu = "table", cov = "table", Theta = "table", gamma = "number", groups = "table",
  lambdas = "table", budget = "number|boolean", limits = "table", bounds = "table", lower = "number|table",
  upper = "number|table", nu = "number|table", Omega = "number|table", sigma = "number", trading_cost = "string",
  l1_smoothing = "number", rho = "number", integrator = "string", linear_solver = "string", rtol = "number",
  atol = "number", grad_tol = "number", t_max = "number", max_steps = "number", samples = "number",
  seed = "number", w0 = "number|table", references = "boolean",
}

-- groups as a list {{...}, ...} with lambdas {l1, ...}, or by name
-- {tech = {...}} with lambdas {tech = l}: positions lists and lambdas
local function group_sets(o, names)
  local g, l = o.groups, o.lambdas
  if g == nil then
    if l ~= nil then fail("cim: lambdas goes with groups") end
    return {}, {}
  end
  if type(l) ~= "table" then fail("cim: groups needs lambdas, one per group") end
  local keys = {}
  for k in pairs(g) do keys[#keys + 1] = k end
  if rawlen(g) > 0 then
    if #keys ~= rawlen(g) then fail("cim: groups mixes names and positions; give a list or a table by name") end
    table.sort(keys)
  else
    for _, k in ipairs(keys) do
      if type(k) ~= "string" then fail("cim: groups must be a list or a table by group name") end
    end
    table.sort(keys)
  end
  local function label(what, k) return type(k) == "string" and ("%s['%s']"):format(what, k) or ("%s[%d]"):format(what, k) end
  local known = {}
  local sets, lambdas = {}, {}
  for _, k in ipairs(keys) do
    known[k] = true
    sets[#sets + 1] = In.members(g[k], names, "cim", label("groups", k))
    local lk = l[k]
    if type(lk) ~= "number" then fail("cim: %s is missing for %s", label("lambdas", k), label("groups", k)) end
    lambdas[#lambdas + 1] = lk
  end
  for k in pairs(l) do
    if not known[k] then fail("cim: %s has no group (groups has no %s)", label("lambdas", k), label("entry", k)) end
  end
  return sets, lambdas
end

-- bounds = {lo, hi}: numbers, vectors, or false for none
local function bound(v, names, what, inf)
  if v == false then return In.vector(inf, names, "cim", what) end
  return In.vector(v, names, "cim", what, inf)
end

local function flow(o)
  if type(o) ~= "table" then fail("cim: expected a table of options (got %s)", type(o)) end
  check.options(o, "cim", SCHEMA)
  if o.cov ~= nil and o.Theta ~= nil then fail("cim: give cov or Theta, not both") end
  local theta_name = o.cov ~= nil and "cov" or "Theta"
  local theta_in = o.cov or o.Theta
  if o.mu == nil then fail("cim: mu is required") end
  if theta_in == nil then fail("cim: cov (or Theta) is required") end
  local names = In.universe(o.assets, theta_in, o.mu, "cim")
  local n = #names
  local p = { mu = In.vector(o.mu, names, "cim", "mu"), theta = In.matrix(theta_in, names, "cim", theta_name),
              gamma = o.gamma or 1 }
  -- budget equalities: group 0 is every asset with lambda 1 (budget = false drops it)
  local groups, lambdas = {}, {}
  if o.budget ~= false then
    local all = {}
    for i = 1, n do all[i] = i end
    groups[1], lambdas[1] = all, type(o.budget) == "number" and o.budget or 1
  end
  local gs, ls = group_sets(o, names)
  for k = 1, #gs do groups[#groups + 1], lambdas[#lambdas + 1] = gs[k], ls[k] end
  if #groups > 0 then p.groups, p.lambdas = groups, lambdas end
  p.rho = o.rho or 1000
  if o.limits then
    p.limits, p.caps = {}, {}
    for k, l in ipairs(o.limits) do
      if type(l) ~= "table" or type(l.max) ~= "number" then
        fail("cim: limits[%d] must be {assets = {...}, max = number}", k)
      end
      p.limits[k] = In.members(l.assets, names, "cim", ("limits[%d].assets"):format(k))
      p.caps[k] = l.max
    end
  end
  local b = o.bounds
  if b then
    p.lower = bound(b[1], names, "bounds[1]", -math.huge)
    p.upper = bound(b[2], names, "bounds[2]", math.huge)
  end
  if o.lower then p.lower = bound(o.lower, names, "lower", -math.huge) end
  if o.upper then p.upper = bound(o.upper, names, "upper", math.huge) end
  p.nu = In.vector(o.nu, names, "cim", "nu", 0)
  p.omega = In.vector(o.Omega, names, "cim", "Omega", 0)
  p.sigma = o.sigma or (p.nu and 1 or 0)
  local tc = o.trading_cost or "smooth"
  if tc ~= "smooth" and tc ~= "l1" then fail("cim: trading_cost must be 'smooth' or 'l1'") end
  if tc == "l1" then
    if not p.nu then fail("cim: trading_cost = 'l1' needs nu") end
    p.l1_eps = o.l1_smoothing or 1e-4
    if not (p.l1_eps > 0) then fail("cim: l1_smoothing must be > 0") end
    if o.sigma == nil then p.sigma = 0 end   -- the real cost replaces its stand-in
  elseif o.l1_smoothing then
    fail("cim: l1_smoothing goes with trading_cost = 'l1'")
  end
  p.w0 = o.w0 and In.vector(o.w0, names, "cim", "w0") or (o.seed and random_start(o.seed, n, p.lower, p.upper)) or nil
  local args = {}
  for k, v in pairs(p) do if k ~= "groups" and k ~= "lambdas" and k ~= "limits" then args[k] = v end end
  args.groups, args.lambdas, args.limits = p.groups, p.lambdas, p.limits
  local exact_args = {}
  for k, v in pairs(args) do exact_args[k] = v end
  for _, k in ipairs { "integrator", "linear_solver", "rtol", "atol", "grad_tol", "t_max", "max_steps", "samples" } do
    args[k] = o[k]
  end
  local r = In.call("cim", nil, core.cim.solve, args)
  local raw = r.status
  local status = results.status_word(raw)
  local message = r.message ~= "" and r.message or nil
  if raw == "converged" and not (r.max_violation <= FEAS_TOL) then
    status = "numerical_error"
    message = ("the flow converged but broke a limit by %.3g"):format(r.max_violation)
  end
  local has = status == "converged"
  local res = setmetatable({
    assets = names, integrator_status = raw, message = message, energy = r.energy, grad_norm = r.grad_norm,
    t_end = r.t_end, max_violation = r.max_violation, stats = r.stats, trajectory = r.trajectory,
  }, Result)
  if has then
    res.weights, res.weights_array = In.keyed(r.weights, names), r.weights
  else
    res.last_weights, res.last_weights_array = In.keyed(r.weights, names), r.weights
  end
  -- objective: the energy E(w) the flow minimises, at the weights found
  results.settle(res, { status = status, has_solution = has, objective = r.energy, solve_time = r.stats.time,
                        solver = SOLVER[r.stats.integrator] or r.stats.integrator })
  -- references: the exact stationary point of the penalised energy
  -- without limits; with limits, the same energy's constrained optimum
  exact_args.w0 = nil
  local ok, ex, note = pcall(core.cim.exact, exact_args)
  if ok then
    res.exact_unconstrained = In.keyed(ex, names)
    res.exact_note = note
  else
    ex, res.exact_note = nil, tostring(ex):gsub("^[^%s:]+:%d+: ", "", 1)
  end
  local constrained = p.lower or p.upper or p.limits
  if o.references == false then
    res.exact = not constrained and res.exact_unconstrained or nil
  elseif constrained then
    if p.l1_eps then
      res.exact_note = "no constrained reference for the smoothed L1 cost (not a QP)"
    else
      local cw = qp_reference(p, names, false)
      if cw then res.exact, res.exact_array = In.keyed(cw, names), cw end
    end
  elseif ex then
    res.exact, res.exact_array = res.exact_unconstrained, ex
  end
  if res.exact_array then res.distance = max_abs_diff(r.weights, res.exact_array) end
  -- the hard-equality optimum, for the penalty error (about 1/rho)
  if o.references ~= false and p.groups and not p.l1_eps then
    local hw = qp_reference(p, names, true)
    if hw then
      res.hard = In.keyed(hw, names)
      res.penalty_error = max_abs_diff(r.weights, hw)
    end
  end
  return res
end

-- r:trajectory_svg(): the energy (top) and the weights (bottom) against
-- time; r:plot(path) writes it atomically
local function trajectory_svg(self, what)
  local svg = require "folio.svg"
  local tr = self.trajectory
  if #tr.t < 2 then fail("cim: %s needs a trajectory (samples > 1)", what) end
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

function Result:trajectory_svg() return trajectory_svg(self, "trajectory_svg") end
function Result:plot(path)
  if type(path) ~= "string" or path == "" then fail("cim: plot needs a file name (got %s)", type(path)) end
  require("folio").write_text(path, trajectory_svg(self, "plot"))
end

-- r:weights_svg{max = n}: the final weights as bars (in % of capital)
function Result:weights_svg(o)
  check.options(o, "weights_svg", { max = "number" })
  if not self.has_solution then fail("cim: weights_svg needs a solution (status %s)", self.status) end
  local labels, values = {}, {}
  for i, name in ipairs(self.assets) do labels[i], values[i] = tostring(name), 100 * self.weights_array[i] end
  return require("folio.svg").bars { title = "Weights", labels = labels, values = values, unit = "%",
                                     max = o and o.max }
end

check.entries(Result, { "trajectory_svg", "plot", "weights_svg" })

C.cim = check.entry(flow)
C.select, C.select_exact, C.selection_qubo = Sel.select, Sel.select_exact, Sel.selection_qubo
C.SelectionResult, C.Result = Sel.Result, Result

return C
