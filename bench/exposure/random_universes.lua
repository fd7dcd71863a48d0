-- The search over held sets on random universes of 20 exposures with the
-- spec's defaults on (ExposureConstraints{}), beyond the two fixed ones of
-- spec_defaults.lua: how its nodes and time spread.
--   build/folio run bench/exposure/random_universes.lua [--set count=20] [--set seed=1]
-- Each universe draws k = 1..5 factors with loadings in [-0.2, 0.2], and
-- with probability 1/2 groups of 2-4 exposures that share a strong
-- factor (correlations 0.8-0.97 inside a group, so max_correlation_pairs
-- binds), specific volatilities of 8-25% and returns of 3-12%. For
-- MinVolatility, MaxSharpeRatio, TargetReturn (the middle of the returns)
-- and MaxDiversification it prints the median, the 90th percentile and
-- the slowest CPU time (os.clock(), one run per universe), the median and
-- slowest wall time (folio.now()), the median and largest node count, and
-- how many universes were proven optimal. With
-- --set old=DIR (see old_module.lua) the earlier code runs on the same
-- universes first and gets its own rows, and the last line counts the
-- universes where both found the same objective.
--
-- With --set raw=1 it prints one line per optimization instead ("RAW
-- universe objective cpu_s wall_s nodes status objective"), and --set
-- first=K starts at the K-th universe of the seed: bench/exposure/paired.py
-- runs two builds of folio on one universe at a time, alternately.
local folio = require "folio"
local count = math.tointeger(tonumber(folio.params.count)) or 20
local seed = math.tointeger(tonumber(folio.params.seed)) or 1
local first = math.tointeger(tonumber(folio.params.first)) or 1
local raw = tostring(folio.params.raw) == "1"

local s = seed
local function rnd() s = (s * 1103515245 + 12345) % 2147483648; return s / 2147483648 end

local function universe()
  local n, k = 20, 1 + math.floor(5 * rnd())
  local names, mu, B, spec, group = {}, {}, {}, {}, {}
  local grouped = rnd() < 0.5
  local g, left = 0, 0
  for i = 1, n do
    names[i] = ("x%d"):format(i)
    B[i] = {}
    for f = 1, k do B[i][f] = 0.4 * (rnd() - 0.5) end
    spec[i] = (0.08 + 0.17 * rnd()) ^ 2
    mu[i] = 0.03 + 0.09 * rnd()
    if grouped then
      if left == 0 then g, left = g + 1, 2 + math.floor(3 * rnd()) end
      group[i], left = g, left - 1
    end
  end
  local gl = {}
  for i = 1, n do gl[i] = grouped and (0.9 + 0.09 * rnd()) * 0.3 or 0 end
  local cov = {}
  for i = 1, n do
    cov[i] = {}
    for j = 1, n do
      local v = 0
      for f = 1, k do v = v + B[i][f] * B[j][f] end
      if grouped and group[i] == group[j] then v = v + gl[i] * gl[j] end
      cov[i][j] = v
    end
    cov[i][i] = cov[i][i] + spec[i]
  end
  return names, mu, cov
end

local kinds = { "MinVolatility", "MaxSharpeRatio", "TargetReturn", "MaxDiversification" }
local sides = { { tag = "", X = folio } }
if folio.params.old then table.insert(sides, 1, { tag = "earlier ", X = dofile("bench/exposure/old_module.lua")(folio.params.old) }) end
for _, side in ipairs(sides) do
  side.times, side.walls, side.nodes, side.proven, side.opt = {}, {}, {}, {}, side.X.ExposureOptimizer()
  for _, kd in ipairs(kinds) do side.times[kd], side.walls[kd], side.nodes[kd], side.proven[kd] = {}, {}, {}, 0 end
end
local agree = {}
for _ = 1, first - 1 do universe() end
for ui = first, first + count - 1 do
  local names, mu, cov = universe()
  local lo, hi = math.huge, -math.huge
  for i = 1, #mu do lo, hi = math.min(lo, mu[i]), math.max(hi, mu[i]) end
  local first = {}
  for _, side in ipairs(sides) do
    local X = side.X
    local objs = { MinVolatility = X.MinVolatility {}, MaxSharpeRatio = X.MaxSharpeRatio {},
                   TargetReturn = X.TargetReturn { target_return = (lo + hi) / 2 },
                   MaxDiversification = X.MaxDiversification {} }
    for _, kd in ipairs(kinds) do
      local c0, w0 = os.clock(), folio.now()
      local r = side.opt:optimize { exposures = names, mu = mu, cov = cov, objective = objs[kd] }
      local t, wt = os.clock() - c0, folio.now() - w0
      table.insert(side.times[kd], t)
      table.insert(side.walls[kd], wt)
      if raw then
        print(("RAW %d %s %.6f %.6f %d %s %.12g"):format(ui, kd, t, wt, r.solver_stats and r.solver_stats.nodes or 0,
          r.status, r.objective or 0 / 0))
      end
      table.insert(side.nodes[kd], r.solver_stats and r.solver_stats.nodes or 0)
      if r.status == "optimal" then side.proven[kd] = side.proven[kd] + 1 end
      -- with the earlier code: whether both found the same objective
      if #sides == 2 then
        if not first[kd] then first[kd] = r.objective
        elseif first[kd] and r.objective
               and math.abs(first[kd] - r.objective) <= 1e-7 * math.max(1, math.abs(r.objective)) then
          agree[kd] = (agree[kd] or 0) + 1
        end
      end
    end
  end
end

if raw then return end

local function q(t, p)
  local c = { table.unpack(t) }
  table.sort(c)
  return c[math.max(1, math.ceil(p * #c))]
end
print(("%d universes of 20 exposures, seed %d"):format(count, seed))
print("| objective | CPU median (ms) | CPU 90% (ms) | CPU slowest (ms) | wall median (ms) | wall slowest (ms) | nodes median | nodes largest | proven optimal |")
print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
for _, kd in ipairs(kinds) do
  for _, side in ipairs(sides) do
    local t, w, nd = side.times[kd], side.walls[kd], side.nodes[kd]
    print(("| %s%s | %.1f | %.1f | %.1f | %.1f | %.1f | %d | %d | %d of %d |"):format(side.tag, kd, 1000 * q(t, 0.5),
      1000 * q(t, 0.9), 1000 * q(t, 1), 1000 * q(w, 0.5), 1000 * q(w, 1), q(nd, 0.5), q(nd, 1), side.proven[kd], count))
  end
end
if #sides == 2 then
  local t = {}
  for _, kd in ipairs(kinds) do t[#t + 1] = ("%s %d of %d"):format(kd, agree[kd] or 0, count) end
  print("same objective (1e-7) as the earlier code: " .. table.concat(t, ", "))
end
