-- Every objective with the spec's defaults on (ExposureConstraints{}: at
-- most 40% each, 3 to 10 held, no two held correlated above 0.8, gross
-- notional 150%, leveraged exposures 50%), 20 exposures, in-process:
--   build/folio run bench/exposure/spec_defaults.lua [--set reps=15]
--     [--set old=DIR]
-- Medians over `reps` optimizations of the same problem in one process,
-- wall time (folio.now()) and CPU time of the process (os.clock(); BLAS
-- runs single-threaded here), for two universes of 20 exposures:
--   factor:    3 factors plus specific risk (bench/exposure/bench.lua's)
--   clustered: 5 clusters of 4 exposures each; within a cluster the
--              correlations are 0.85-0.95, so max_correlation_pairs binds,
--              and the returns are spread so that the unconstrained
--              portfolios hold more than 10 (max_exposures binds)
-- It prints the medians, the slowest run, the held count, the nodes the
-- search over held sets took (the continuous relaxation alone is 1) and
-- the status; the target is 50 ms per optimization.
--
-- Paired runs: with old=DIR (a folder holding an earlier exposure.lua,
-- exposure_model.lua and exposure_holdings.lua, e.g. from git show), each
-- repetition runs the earlier code and then the current code on the same
-- problem, so both see the same load; the table gains the earlier code's
-- medians and nodes, and says whether both found the same objective.
local folio = require "folio"
local reps = math.tointeger(tonumber(folio.params.reps)) or 15

local function lcg(seed)
  return function() seed = (seed * 1103515245 + 12345) % 2147483648; return seed / 2147483648 - 0.5 end
end

local function factor_universe(n, k)
  local rnd = lcg(987)
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

-- cluster c's exposures load 0.95 on the cluster factor (correlation about
-- 0.9 within a cluster), 0.3 on a market factor, the rest specific
local function clustered_universe()
  local rnd = lcg(4242)
  local names, mu, vol, load = {}, {}, {}, {}
  for i = 1, 20 do
    local c = (i - 1) // 4 + 1
    names[i] = ("c%d_%d"):format(c, (i - 1) % 4 + 1)
    vol[i] = 0.10 + 0.08 * (rnd() + 0.5)
    mu[i] = 0.03 + 0.012 * c + 0.02 * rnd()
    load[i] = { c = c, a = 0.93 + 0.05 * rnd() }
  end
  local cov = {}
  for i = 1, 20 do
    cov[i] = {}
    for j = 1, 20 do
      local rho
      if i == j then rho = 1
      elseif load[i].c == load[j].c then rho = load[i].a * load[j].a
      else rho = 0.15 end
      cov[i][j] = rho * vol[i] * vol[j]
    end
  end
  return names, mu, cov
end

local function median(t)
  local s = { table.unpack(t) }
  table.sort(s)
  return s[(#s + 1) // 2], s[#s]
end

local load_old = dofile("bench/exposure/old_module.lua")

local function objectives(X)
  return {
    { "MinVolatility", X.MinVolatility {} },
    { "MaxSharpeRatio", X.MaxSharpeRatio {} },
    { "MeanVariance", X.MeanVariance { risk_aversion = 3 } },
    { "TargetReturn", X.TargetReturn { target_return = 0.07 } },
    { "TargetVolatility", X.TargetVolatility { target_vol = 0.12 } },
    { "MaxDiversification", X.MaxDiversification {} },
    { "RiskParity", X.RiskParity {} },
  }
end

local cur = { opt = folio.ExposureOptimizer(), objectives = objectives(folio), defaults = folio.ExposureConstraints {} }
local old
if folio.params.old then
  local X = load_old(folio.params.old)
  old = { opt = X.ExposureOptimizer(), objectives = objectives(X), defaults = X.ExposureConstraints {} }
end

-- one timed optimization: wall, cpu, result
local function timed(side, k, names, mu, cov)
  local c0, t0 = os.clock(), folio.now()
  local res = side.opt:optimize { exposures = names, mu = mu, cov = cov, objective = side.objectives[k][2],
                                  constraints = side.defaults }
  return folio.now() - t0, os.clock() - c0, res
end

local function ms(v) return ("%.1f"):format(1000 * v) end

-- --set raw=1: one line per optimization ("RAW universe objective cpu_s
-- wall_s nodes status objective"), for bench/exposure/paired.py
if tostring(folio.params.raw) == "1" then
  for _, u in ipairs { { "factor", factor_universe(20, 3) }, { "clustered", clustered_universe() } } do
    for k, o in ipairs(cur.objectives) do
      for _ = 1, reps do
        local wall, cpu, res = timed(cur, k, u[2], u[3], u[4])
        print(("RAW %s %s %.6f %.6f %s %s %.12g"):format(u[1], o[1], cpu, wall,
          tostring(res.solver_stats and res.solver_stats.nodes or 0), res.status, res.objective or 0 / 0))
      end
    end
  end
  return
end

if old then
  print("| universe | objective | earlier wall (ms) | earlier CPU (ms) | earlier nodes | wall (ms) | CPU (ms) | slowest (ms) | held | nodes | same objective |")
  print("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---|")
else
  print("| universe | objective | wall (ms) | CPU (ms) | slowest (ms) | held | nodes | status |")
  print("|---|---|---:|---:|---:|---:|---:|---|")
end
for _, u in ipairs { { "factor", factor_universe(20, 3) }, { "clustered", clustered_universe() } } do
  local uname, names, mu, cov = u[1], u[2], u[3], u[4]
  for k, o in ipairs(cur.objectives) do
    local wall, cpu, owall, ocpu = {}, {}, {}, {}
    local res, ores
    for r = 1, reps do
      if old then owall[r], ocpu[r], ores = timed(old, k, names, mu, cov) end
      wall[r], cpu[r], res = timed(cur, k, names, mu, cov)
    end
    local held = 0
    for _, e in ipairs(names) do if res.weights and res.weights[e] > 1e-8 then held = held + 1 end end
    local med, worst = median(wall)
    local nodes = tostring(res.solver_stats and res.solver_stats.nodes or "-")
    if old then
      local same = ores.objective and res.objective
                   and math.abs(ores.objective - res.objective) <= 1e-7 * math.max(1, math.abs(res.objective))
      print(("| %s | %s | %s | %s | %s | %s | %s | %s | %d | %s | %s |"):format(uname, o[1], ms(median(owall)),
        ms(median(ocpu)), tostring(ores.solver_stats and ores.solver_stats.nodes or "-"), ms(med), ms(median(cpu)),
        ms(worst), held, nodes, same and "yes" or "NO"))
    else
      print(("| %s | %s | %s | %s | %s | %d | %s | %s |"):format(uname, o[1], ms(med), ms(median(cpu)), ms(worst),
        held, nodes, res.status))
    end
  end
end
