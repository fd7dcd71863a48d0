-- Prime-brokerage trade assignment: book 200 bond trades to five PB
-- accounts so that every account's margin, leverage, high-yield share and
-- credit line hold under 1,000 stochastic price scenarios (Student-t
-- shocks, correlated by bond type), at the lowest financing cost, then
-- with the most headroom among the cheapest (lexicographic priorities).
--   folio run models/pb_trade_assignment.lua [--set scenarios=1000] [--set solver=glpk|cbc] [--set gap=5e-3]
--       [--set method=lazy|full] [--set audit=audit.json]
-- Data: models/data/pb_{securities,trades}.csv (gen_pb_trades.py) and
-- models/data/pb_accounts.lua. docs/trade_assignment.md has the formulation.
local folio = require "folio"
local dir = folio.script_dir .. "/data/"

local ta = folio.TradeAssigner {
  securities = dir .. "pb_securities.csv",
  trades = dir .. "pb_trades.csv",
  accounts = dofile(dir .. "pb_accounts.lua"),
  scenarios = { n = tonumber(folio.params.scenarios) or 1000, seed = 20261201, dist = "t", df = 5,
                correlation = { within_type = 0.6, across = 0.25 } },
  objectives = { { "financing_cost", priority = 1, rel_tol = 1e-4 }, { "min_headroom", priority = 2 } },
  days = 30,
  solver = folio.params.solver, method = folio.params.method, time_limit = 60,
  mip_gap = tonumber(folio.params.gap) or 5e-3,   -- a stated gap: 0.5% of each stage's objective
}
local r = ta:solve()
if folio.params.audit then ta:write_audit(r, folio.params.audit) end
return ta:report(r)
