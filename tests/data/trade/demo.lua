-- The demo instance of models/pb_trade_assignment.lua (200 trades, 5 PB
-- accounts, 1,000 Student-t scenarios) for the trade tests:
--   local demo = dofile("tests/data/trade/demo.lua"); local ta = demo { time_limit = 1 }
-- `extra` overrides or adds configuration keys.
local folio = require "folio"
local dir = "models/data/"
return function(extra)
  local cfg = {
    securities = dir .. "pb_securities.csv", trades = dir .. "pb_trades.csv",
    accounts = folio.read_json(dir .. "pb_accounts.json"),
    scenarios = { n = 1000, seed = 20261201, dist = "t", df = 5, correlation = { within_type = 0.6, across = 0.25 } },
    objectives = { { "financing_cost", priority = 1, rel_tol = 1e-4 }, { "min_headroom", priority = 2 } },
    days = 30, mip_gap = 5e-3,
  }
  for k, v in pairs(extra or {}) do cfg[k] = v end
  return folio.TradeAssigner(cfg)
end
