-- One configuration of the trade-assignment benchmark (bench/trade/bench.sh
-- runs each in its own process so that peak memory is per configuration):
--   build/folio run bench/trade/run.lua --set n=1000 --set method=lazy --set solver=cbc [--set stages=1|2]
--       [--set netting=exact|lazy] [--set time_limit=120] [--set gap=5e-3] [--set fallback=1]
-- stages=1 solves the financing-cost priority alone; 2 adds the headroom
-- priority (lexicographic), both under one batch budget (time_limit).
-- fallback=1 times the fallback heuristic alone on the same instance.
local folio = require "folio"
local dir = folio.script_dir .. "/../../models/data/"
local objectives = { { "financing_cost", priority = 1, rel_tol = 1e-4 } }
if tonumber(folio.params.stages) == 2 then objectives[2] = { "min_headroom", priority = 2 } end
local ta = folio.TradeAssigner {
  securities = dir .. "pb_securities.csv", trades = dir .. "pb_trades.csv",
  accounts = folio.read_json(dir .. "pb_accounts.json"),
  scenarios = { n = tonumber(folio.params.n) or 1000, seed = 20261201, dist = "t", df = 5,
                correlation = { within_type = 0.6, across = 0.25 } },
  objectives = objectives, days = 30, solver = folio.params.solver, method = folio.params.method,
  time_limit = tonumber(folio.params.time_limit) or 120, mip_gap = tonumber(folio.params.gap) or 5e-3,
}
if tonumber(folio.params.fallback) == 1 then
  local t0 = folio.now()
  local g = ta:greedy()
  local s = folio.now() - t0
  print(string.format("FALLBACK complete=%s unplaced=%d cost=%.2f seconds=%.3f compliant=%s", tostring(g.complete),
    #g.unplaced, g.cost, s, tostring(ta:validate(g.assignment).compliant)))
  return
end
local c0 = os.clock()
local r = ta:solve { netting = folio.params.netting }
local cpu = os.clock() - c0
local rows = 0
for _, l in ipairs(r.log) do rows = math.max(rows, l.rows or 0) end
local s1 = r.stages[1] or {}
local s1_time = (s1.t_build or 0) + (s1.t_solve or 0) + (s1.t_check or 0)
local statuses = {}
for i, st in ipairs(r.stages) do statuses[i] = st.status end
print(string.format("RESULT status=%s cost=%.2f bound1=%s gap1=%s rows=%d rounds=%d stage1_s=%.2f seconds=%.2f cpu=%.2f "
  .. "stages=%s fallback_s=%.2f compliant=%s",
  r.status, r.cost or -1, s1.bound and string.format("%.2f", s1.bound) or "-",
  s1.gap and string.format("%.2e", s1.gap) or "-", rows, #r.log, s1_time, r.solve_time, cpu,
  table.concat(statuses, ","), r.timing.fallback,
  r.assignment and tostring(ta:validate(r.assignment).compliant) or "-"))
