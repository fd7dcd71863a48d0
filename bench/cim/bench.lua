-- CIM gradient flow: time and right-hand-side evaluations to reach 1e-6 of
-- the exact stationary point, by integrator, N and rho, beside the direct
-- solve (Cholesky). In-process, median of `reps` runs.
--   build/folio run bench/cim/bench.lua [--set reps=3] [--set quick=1] [--set part=all|flow|stiff] [--set only=1000]
-- part=stiff: the same integrators on a problem where the explicit ones
-- can finish (port1's first 10 assets, a faster slowest mode, rho 1..1e3),
-- to show their cost growing like rho while BDF's stays flat.
-- N = 10: the first 10 Hang Seng assets (orlib port1); N = 100: the first
-- 100 Nikkei assets (orlib port5); N = 1,000: a synthetic 5-factor model.
-- Explicit runs stop at a step cap; a row that did not reach 1e-6 says so.
local folio = require "folio"
local core = require "folio.core"
local reps = math.tointeger(folio.params.reps) or 3
local quick = tostring(folio.params.quick) == "1"   -- --set values that look like numbers arrive as numbers
local DATA = folio.script_dir .. "/../../data/orlib/"

local function clock() return folio.now() end

local function orlib_first(file, n)
  local H = folio.read_orlib(DATA .. file)
  local mu, cov = {}, {}
  for i = 1, n do
    mu[i] = H.mu[i]
    cov[i] = {}
    for j = 1, n do cov[i][j] = H.cov[i][j] end
  end
  return mu, cov
end

local function factor_model(n, k)
  local seed = 12345
  local function rnd() seed = (seed * 1103515245 + 12345) % 2147483648; return seed / 2147483648 - 0.5 end
  local B, D, mu = {}, {}, {}
  for i = 1, n do
    B[i] = {}
    for f = 1, k do B[i][f] = 0.04 * rnd() end
    D[i] = 1e-4 + 4e-4 * (rnd() + 0.5)
    mu[i] = 2e-3 + 2e-3 * rnd()
  end
  local cov = {}
  for i = 1, n do
    cov[i] = {}
    for j = 1, n do
      local s = 0
      for f = 1, k do s = s + B[i][f] * B[j][f] end
      cov[i][j] = s + (i == j and D[i] or 0)
    end
  end
  return mu, cov
end

local sets = {
  { name = "port1 (10)", data = function() return orlib_first("port1.txt", 10) end },
  { name = "port5 (100)", data = function() return orlib_first("port5.txt", 100) end },
  { name = "factor (1000)", data = function() return factor_model(1000, 5) end },
}
if quick and not folio.params.only then sets[3] = nil end   -- quick: no N = 1,000 unless asked by only=
-- --set only=1000: the sets whose name holds that text
if folio.params.only then
  local kept = {}
  for _, set in ipairs(sets) do if set.name:find(tostring(folio.params.only), 1, true) then kept[#kept + 1] = set end end
  sets = kept
end
local rhos = { 1e2, 1e4, 1e6 }
local integrators = {
  { "cvode_bdf", "dense" }, { "cvode_bdf", "pcg" }, { "cvode_adams" }, { "erk_dp5" }, { "erk_tsit5" },
}

local function median(t)
  table.sort(t)
  return t[(#t + 1) // 2]
end

local part = folio.params.part or "all"
local rows = {}
if part == "stiff" then sets = {} end
for _, set in ipairs(sets) do
  local mu, cov = set.data()
  local n = #mu
  -- a 10 bp cost against equal weights keeps lambda_min(H) >= 2 sigma nu = 2e-3
  local omega = {}
  for i = 1, n do omega[i] = 1 / n end
  for _, rho in ipairs(rhos) do
    local base = { mu = mu, theta = cov, gamma = 5, groups = { (function() local g = {} for i = 1, n do g[i] = i end return g end)() },
                   lambdas = { 1 }, rho = rho, nu = (function() local v = {} for i = 1, n do v[i] = 1e-3 end return v end)(),
                   omega = omega, sigma = 1 }
    local times, exact = {}, nil
    for _ = 1, reps do
      local t0 = clock()
      exact = core.cim.exact(base)
      times[#times + 1] = clock() - t0
    end
    rows[#rows + 1] = { set.name, rho, "direct (Cholesky)", "-", 1000 * median(times), "-", "-", "exact" }
    for _, integ in ipairs(integrators) do
      local explicit = integ[1] ~= "cvode_bdf"
      -- at N = 1,000 the dense BDF (O(N^3) per factorisation) runs once, at rho = 1e2
      local dense_big = integ[2] == "dense" and n >= 1000
      if not (explicit and n >= 1000 and rho > 1e2) and not (dense_big and (quick or rho > 1e2)) then
        local o = {}
        for k, v in pairs(base) do o[k] = v end
        o.integrator, o.linear_solver = integ[1], integ[2]
        -- |w - w*| <= residual / lambda_min(H) and lambda_min(H) >= 2e-3
        o.grad_tol = 2e-9
        o.rtol, o.atol = explicit and 1e-12 or 1e-8, 1e-14
        o.samples = 0
        o.max_steps = explicit and (n >= 1000 and 2000 or 200000) or 1000000
        local times, r = {}, nil
        for k = 1, ((explicit or dense_big) and 1 or reps) do
          local t0 = clock()
          r = core.cim.solve(o)
          times[k] = clock() - t0
        end
        local d = 0
        for i = 1, n do d = math.max(d, math.abs(r.weights[i] - exact[i])) end
        rows[#rows + 1] = { set.name, rho, integ[1] .. (integ[2] and ("/" .. integ[2]) or ""), r.stats.steps,
                            1000 * median(times), r.stats.rhs_evals, string.format("%.1e", d),
                            d <= 1e-6 and "yes" or r.status }
      end
    end
  end
end
local out = {}
if #rows > 0 then
  out[#out + 1] = folio.table {
    title = ("CIM flow to 1e-6 of the exact solution (median of %d; explicit and dense N = 1,000: one run)"):format(reps),
    columns = { "data (N)", "rho", "integrator", "steps", "time ms", "RHS evals", "max |w - w*|", "reached" },
    rows = rows }
end
if part ~= "flow" then
  -- stiffness sweep: lambda_min(H) >= 2 sigma nu = 0.1, lambda_max ~ 2 rho N
  local mu, cov = orlib_first("port1.txt", 10)
  local srows = {}
  for _, rho in ipairs { 1, 10, 100, 1000 } do
    local base = { mu = mu, theta = cov, gamma = 5, groups = { { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10 } }, lambdas = { 1 },
                   rho = rho, nu = { 0.05, 0.05, 0.05, 0.05, 0.05, 0.05, 0.05, 0.05, 0.05, 0.05 },
                   omega = { 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1 }, sigma = 1 }
    local exact = core.cim.exact(base)
    for _, integ in ipairs(integrators) do
      if integ[2] ~= "pcg" then
        local o = {}
        for k, v in pairs(base) do o[k] = v end
        local explicit = integ[1] ~= "cvode_bdf"
        o.integrator, o.linear_solver, o.samples = integ[1], integ[2], 0
        o.grad_tol, o.rtol, o.atol = 1e-7, explicit and 1e-12 or 1e-8, 1e-14
        o.max_steps = 3000000
        local t0 = clock()
        local r = core.cim.solve(o)
        local t = clock() - t0
        local d = 0
        for i = 1, 10 do d = math.max(d, math.abs(r.weights[i] - exact[i])) end
        srows[#srows + 1] = { rho, integ[1], r.stats.steps, r.stats.rhs_evals, string.format("%.1f", 1000 * t),
                              string.format("%.1e", d), d <= 1e-6 and "yes" or r.status }
      end
    end
  end
  out[#out + 1] = folio.table { title = "Stiffness sweep: port1's first 10 assets, lambda_min(H) >= 0.1 (one run each)",
    columns = { "rho", "integrator", "steps", "RHS evals", "time ms", "max |w - w*|", "reached" }, rows = srows }
end
return out
