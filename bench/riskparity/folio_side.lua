-- The folio side of bench/riskparity/bench.py: reads commands on stdin,
-- times one risk-parity solve in-process per command, answers on stdout.
--   load PATH     a problem written by bench.py (n, cov row-major, budgets; little-endian doubles)
--   direct R      folio.core_stats.risk_parity(cov, budgets), R repetitions
--   nopsd R       the same with { psd = false } (no positive-semidefiniteness check)
--   exposure R    ExposureOptimizer():optimize{..., objective = RiskParity{budgets}}, R repetitions
-- Each answer: "<wall s per solve> <cpu s per solve> <extra>" then the weights on one line.
local folio = require "folio"
local stats = folio.core_stats
local cov, b, names, bmap

local function load(path)
  local f = assert(io.open(path, "rb"))
  local s = f:read("a")
  f:close()
  local n, pos = string.unpack("<d", s)
  n = math.tointeger(n)
  cov, b, names, bmap = {}, {}, {}, {}
  for i = 1, n do
    local row = {}
    for j = 1, n do row[j], pos = string.unpack("<d", s, pos) end
    cov[i] = row
  end
  for i = 1, n do
    b[i], pos = string.unpack("<d", s, pos)
    names[i] = "a" .. i
    bmap[names[i]] = b[i]
  end
  return n
end

local function run(kind, reps)
  local w, extra
  local t0, c0 = folio.now(), os.clock()
  for _ = 1, reps do
    if kind == "direct" or kind == "nopsd" then
      local it, sw
      w, it, sw = stats.risk_parity(cov, b, kind == "nopsd" and { psd = false } or nil)
      extra = ("newton=%d,sweeps=%d"):format(it, sw or 0)
    else
      local res = folio.ExposureOptimizer():optimize { exposures = names, cov = cov,
        objective = folio.RiskParity { budgets = bmap }, constraints = folio.ExposureConstraints { defaults = false } }
      assert(res.optimization_status == "optimal", res.optimization_status)
      w = {}
      for i, e in ipairs(names) do w[i] = res.weights[e] end
      extra = ("newton=%s"):format(tostring(res.solver_stats.iterations))
    end
  end
  local wall, cpu = (folio.now() - t0) / reps, (os.clock() - c0) / reps
  local parts = {}
  for i = 1, #w do parts[i] = ("%.17g"):format(w[i]) end
  io.write(("%.9f %.9f %s\n"):format(wall, cpu, extra), table.concat(parts, " "), "\n")
  io.flush()
end

for line in io.lines() do
  local cmd, arg = line:match("^(%S+)%s*(.*)$")
  if cmd == "load" then
    io.write(load(arg), "\n")
    io.flush()
  elseif cmd == "direct" or cmd == "nopsd" or cmd == "exposure" then
    run(cmd, math.tointeger(tonumber(arg)) or 1)
  elseif cmd == "quit" then
    break
  end
end
