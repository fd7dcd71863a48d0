-- Metatables a script reaches with getmetatable: variable families and the
-- trade assigner's scenarios (before: a forged `sets` crashed folio.sum,
-- and calling the scenarios' __gc by hand, then a method, segfaulted).
-- Prints one line per check.
local folio = require "folio"
local function say(what, ok, v) print(what, ok, (tostring(v):gsub("^.-:%d+: ", ""))) end

local m = folio.model("m")
local x = m:var("x", { "a", "b" }, { lb = 0, ub = 1 })
local mt = getmetatable(x)
say("family name", true, mt.name)
say("family __gc", true, mt.__gc)
mt.sets = 5                                   -- a copy: folio.sum must not see it
mt.level = 99
say("family sum", pcall(function() return tostring(folio.sum(x)) end))
say("family setmetatable", pcall(setmetatable, x, nil))

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
local sc = ta.scen
local smt = getmetatable(sc)
say("scenarios __name", true, smt.__name)
say("scenarios __gc", true, smt.__gc)
say("scenarios methods hidden", pcall(function() return smt.__index.row end))
say("scenarios size", pcall(function() return select(1, sc:size()) end))
say("scenarios row", pcall(function() return #sc:row(3) end))
say("scenarios unknown", pcall(function() return sc.nothing end))
say("scenarios result", pcall(function() return ta:solve().status end))
