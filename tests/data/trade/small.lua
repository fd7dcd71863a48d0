-- A small trade-assignment instance (6 trades, 3 PB accounts, 300
-- normal scenarios) with positions that sales net against, for the trade
-- tests: local config = dofile("tests/data/trade/small.lua"); config{...}
-- returns a fresh configuration table, `extra` overriding its keys.
return function(extra)
  local c = {
    securities = {
      { id = "UST5", type = "government", price = 99.2, accrued = 0.4, vol = 0.015 },
      { id = "UST10", type = "government", price = 97.5, accrued = 0.9, vol = 0.03 },
      { id = "ACME", type = "corporate", price = 101.3, accrued = 1.2, vol = 0.06 },
      { id = "BOLT", type = "corporate", price = 88.0, accrued = 0.2, vol = 0.09 },
    },
    trades = {
      { id = "t1", side = "buy", security = "UST10", quantity = 900 },
      { id = "t2", side = "buy", security = "ACME", quantity = 700 },
      { id = "t3", side = "sell", security = "UST5", quantity = 400 },
      { id = "t4", side = "buy", security = "BOLT", quantity = 600 },
      { id = "t5", side = "buy", security = "UST5", quantity = 500 },
      { id = "t6", side = "sell", security = "ACME", quantity = 200 },
    },
    accounts = {
      { name = "PB1", cash = 150000, positions = { UST5 = 800, ACME = 300 },
        financing = { government = { long = 0.010, short = 0.006 }, corporate = { long = 0.022, short = 0.015 } },
        metrics = { mv = { default = 1 }, corp = { by_type = { corporate = 1 } },
                    gross = { default = 1, by_side = { short = -1 } } },
        limits = { { name = "cash", lhs = "cash", sense = ">=", rhs = 0 },
                   { name = "corp_cap", lhs = "corp", sense = "<=", rhs = 120000 },
                   { name = "gross_cap", lhs = "gross", sense = "<=", rhs = 400000 } } },
      { name = "PB2", cash = 120000, positions = { UST10 = 500 },
        financing = { government = { long = 0.012, short = 0.005 }, corporate = { long = 0.018, short = 0.012 } },
        metrics = { mv = { default = 1 }, coll = { by_type = { government = 0.98, corporate = 0.80 } } },
        limits = { { name = "cash", lhs = "cash", sense = ">=", rhs = -40000 },
                   { name = "cover", ratio = { "coll", ">=", 0.9, "mv" } } } },
      { name = "PB3", cash = 90000, accepts = { "government" },
        financing = { default = 0.008 },
        metrics = { mv = { default = 1 } },
        limits = { { name = "cash", lhs = "cash", sense = ">=", rhs = -20000 },
                   { name = "mv_cap", lhs = "mv", sense = "<=", rhs = 150000 } } },
    },
    scenarios = { n = 300, seed = 11, correlation = { within_type = 0.7, across = 0.3 } },
  }
  for k, v in pairs(extra or {}) do c[k] = v end
  return c
end
