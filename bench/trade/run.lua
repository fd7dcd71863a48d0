-- One configuration of the trade-assignment benchmark (bench/trade/bench.sh
-- runs each in its own process so that peak memory is per configuration):
--   build/folio run bench/trade/run.lua --set n=1000 --set method=lazy --set solver=glpk
local folio = require "folio"
local dir = folio.script_dir .. "/../../models/data/"
local ta = folio.TradeAssigner {
  securities = dir .. "pb_securities.csv", trades = dir .. "pb_trades.csv", accounts = folio.read_json(dir .. "pb_accounts.json"),
  scenarios = { n = tonumber(folio.params.n) or 1000, seed = 20261201, dist = "t", df = 5,
                correlation = { within_type = 0.6, across = 0.25 } },
  objectives = { { "financing_cost", priority = 1, rel_tol = 1e-4 }, { "min_headroom", priority = 2 } },
  days = 30, solver = folio.params.solver, method = folio.params.method,
  time_limit = tonumber(folio.params.time_limit) or 120, mip_gap = tonumber(folio.params.gap) or 5e-3,
}
local r = ta:solve()
local last, rows, solve_s = r.log[#r.log] or {}, 0, 0
for _, l in ipairs(r.log) do rows = math.max(rows, l.rows or 0); solve_s = solve_s + (l.time or 0) end
local s1 = r.stages[1] or {}
local gap1
for _, l in ipairs(r.log) do if l.stage == "financing_cost" then gap1 = l.gap end end
print(string.format("RESULT status=%s cost=%.2f gap=%s rows=%d rounds=%d seconds=%.2f solve_s=%.2f check_s=%.2f compliant=%s",
  r.status, r.cost or -1, gap1 and string.format("%.2e", gap1) or "-", rows, #r.log, r.time, solve_s,
  (s1.t_check or 0) + ((r.stages[2] or {}).t_check or 0),
  r.assignment and tostring(ta:validate(r.assignment).compliant) or "-"))
