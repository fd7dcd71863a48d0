-- The scenario set's finalizer called by hand, then a method: it read its
-- freed array through NULL (a segfault, even under --sandbox). The arrays
-- are Lua's now, with no finalizer to call.
local folio = require "folio"
local secs = {}
for i = 1, 2 do secs[i] = { id = "S" .. i, type = "government", price = 100, accrued = 0, vol = 0.02 } end
local ta = folio.TradeAssigner {
  securities = secs,
  trades = { { id = "t1", side = "buy", security = "S1", quantity = 10 } },
  accounts = {
    { name = "A", cash = 1e6, financing = { default = 0.01 }, metrics = { mv = { default = 1 } },
      limits = { { name = "cash", lhs = "cash", sense = ">=", rhs = 0 } } },
    { name = "B", cash = 1e6, financing = { default = 0.02 }, metrics = { mv = { default = 1 } },
      limits = { { name = "cash", lhs = "cash", sense = ">=", rhs = 0 } } },
  },
  scenarios = { n = 3, seed = 1 },
}
getmetatable(ta.scen).__gc(ta.scen)
print(ta.scen:row(1))
