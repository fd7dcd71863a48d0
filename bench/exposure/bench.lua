-- Exposure optimizer timings, in-process (no process start):
--   build/folio run bench/exposure/bench.lua [--set reps=1000] [--set quick=1]
-- 20 exposures: every objective, median over `reps` optimizations;
-- 1,000 exposures: MaxSharpe, MinVol and RiskParity, median of 3.
-- These time the solver on the limits written here alone (defaults =
-- false); bench/exposure/spec_defaults.lua times the spec's defaults.
local folio = require "folio"
local reps = math.tointeger(folio.params.reps) or 1000

local function universe(n, k)
  local seed = 987
  local function rnd() seed = (seed * 1103515245 + 12345) % 2147483648; return seed / 2147483648 - 0.5 end
  local B, D, mu, names = {}, {}, {}, {}
  for i = 1, n do
    names[i] = "e" .. i
    B[i] = {}
    for f = 1, k do B[i][f] = 0.15 * rnd() end
    D[i] = 0.01 + 0.03 * (rnd() + 0.5) ^ 2
    mu[i] = 0.06 + 0.06 * rnd()
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
  return names, mu, cov
end

local function median(t)
  table.sort(t)
  return t[(#t + 1) // 2]
end

local function time(names, mu, cov, obj, cons, runs, opt)
  opt = opt or folio.ExposureOptimizer()
  local ts = {}
  local res
  for r = 1, runs do
    local t0 = folio.now()
    res = opt:optimize { exposures = names, mu = mu, cov = cov, objective = obj, constraints = cons }
    ts[r] = folio.now() - t0
  end
  assert(res.optimization_status == "optimal", res.optimization_status)
  return median(ts), res
end

local names, mu, cov = universe(20, 3)
local long = folio.ExposureConstraints { bounds = { 0, 0.3 }, defaults = false }
local objectives = {
  { "MinVolatility", folio.MinVolatility {} },
  { "MaxSharpeRatio", folio.MaxSharpeRatio { risk_free_rate = 0.02 } },
  { "MeanVariance", folio.MeanVariance { risk_aversion = 3 } },
  { "TargetReturn", folio.TargetReturn { target_return = 0.07 } },
  { "TargetVolatility", folio.TargetVolatility { target_vol = 0.12 } },
  { "MaxDiversification", folio.MaxDiversification {} },
  { "RiskParity", folio.RiskParity {}, folio.ExposureConstraints { defaults = false } },
}
print(string.format("| objective | 20 exposures, median of %d (ms) |", reps))
print("|---|---:|")
for _, o in ipairs(objectives) do
  local t = time(names, mu, cov, o[2], o[3] or long, reps)
  print(string.format("| %s | %.3f |", o[1], 1000 * t))
end
local big, bmu, bcov = universe(1000, 10)
print("\n| objective | 1,000 exposures, median of 3 (s) |")
print("|---|---:|")
for _, o in ipairs { objectives[1], objectives[2], objectives[7] } do
  local t = time(big, bmu, bcov, o[2], o[3] or folio.ExposureConstraints { bounds = { 0, 0.05 }, defaults = false }, 3)
  print(string.format("| %s | %.3f |", o[1], t))
end

-- cardinality: minimum variance holding at most 10 (and 5) of the 31 Hang
-- Seng assets (OR-Library port1), through ExposureConstraints
do
  local f = assert(io.open("data/orlib/port1.txt"))
  local n = tonumber(f:read("l"))
  local mu, sd, names = {}, {}, {}
  for i = 1, n do mu[i], sd[i] = f:read("n", "n"); names[i] = "hs" .. i end
  local cov = {}
  for i = 1, n do cov[i] = {} end
  while true do
    local i, j, c = f:read("n", "n", "n")
    if not i then break end
    cov[i][j] = c * sd[i] * sd[j]
    cov[j][i] = cov[i][j]
  end
  f:close()
  print("\n| holdings | status | variance | solve time (s) |")
  print("|---|---|---:|---:|")
  for _, k in ipairs { 10, 5, 3 } do
    local t0 = folio.now()
    local r = folio.ExposureOptimizer():optimize { exposures = names, cov = cov, objective = folio.MinVolatility {},
      constraints = folio.ExposureConstraints { defaults = false, max_exposures = k } }
    print(string.format("| at most %d of 31 | %s | %.10g | %.3f |", k, r.optimization_status, r.volatility ^ 2, folio.now() - t0))
  end
end

-- CVaR limit beside an objective: 20 exposures, S monthly scenarios drawn
-- from the 3-factor model, limit 1.2x the minimum CVaR (95%); median of 5.
-- The QP engine's arrow path (the default) against its dense KKT path
-- (dense_kkt = true), both at the solver's default tolerances (1e-8);
-- dense is skipped above 1,000.
-- folio.now() is wall-clock time (os.clock would add up every BLAS thread).
do
  local seed = 4242
  local function rnd() seed = (seed * 1103515245 + 12345) % 2147483648; return seed / 2147483648 - 0.5 end
  local vol = {}
  for i = 1, #names do vol[i] = math.sqrt(cov[i][i] / 12) end
  local defaults = {}
  local dense = { dense_kkt = true }
  print("\n| scenarios | min-CVaR LP (ms) | MinVol + limit, arrow (ms) | dense (ms) | MaxSharpe + limit, arrow (ms) | dense (ms) |")
  print("|---:|---:|---:|---:|---:|---:|")
  for _, ns in ipairs(folio.params.quick and { 250 } or { 250, 500, 1000, 4000, 10000 }) do
    local S = {}
    for s = 1, ns do
      local mkt = 0.04 * rnd()
      local row = {}
      for i = 1, #names do row[i] = mu[i] / 12 + mkt + vol[i] * 2 * rnd() end
      S[s] = row
    end
    local ts, mc = {}, nil
    for r = 1, 5 do
      local t0 = folio.now()
      mc = folio.ExposureOptimizer():optimize_with_scenarios { exposures = names, scenarios = S, constraints = long }
      ts[r] = folio.now() - t0
    end
    local cons = folio.ExposureConstraints { bounds = { 0, 0.3 }, max_cvar = 1.2 * mc.cvar, scenarios = S, defaults = false }
    local row = { ns, 1000 * median(ts) }
    for _, obj in ipairs { objectives[1][2], objectives[2][2] } do
      local ta, ra = time(names, mu, cov, obj, cons, 5, folio.ExposureOptimizer { solve = defaults })
      row[#row + 1] = 1000 * ta
      if ns <= 1000 then
        local td, rd = time(names, mu, cov, obj, cons, 5, folio.ExposureOptimizer { solve = dense })
        local worst = 0
        for _, e in ipairs(names) do worst = math.max(worst, math.abs(ra.weights[e] - rd.weights[e])) end
        assert(worst < 1e-6, "arrow and dense paths disagree by " .. worst)
        row[#row + 1] = 1000 * td
      else
        row[#row + 1] = "-"
      end
    end
    print(string.format("| %d | %.1f | %.1f | %s | %.1f | %s |", row[1], row[2], row[3],
      type(row[4]) == "number" and string.format("%.1f", row[4]) or row[4], row[5],
      type(row[6]) == "number" and string.format("%.1f", row[6]) or row[6]))
  end
end
