-- write_model.lua -- a small production-planning LP (a few products, shared
-- resources, demand floors and caps) written with m:write to
-- folio.params.lp and folio.params.mps, then solved. tests/e2e/test_cli.sh
-- solves the written files with `folio solve` and with glpsol and compares
-- them with this script's own solve; tests/e2e/test_ranges.sh compares its
-- ranges with glpsol's.
--
--   folio run tests/data/e2e/write_model.lua --set lp=/tmp/m.lp --set mps=/tmp/m.mps
--       [--set sense=min]
--
-- sense=max (default): maximise profit.  sense=min: minimise the production
-- cost of at least `target` (450) units in all.
local folio = require "folio"

local P = {"bolts", "nuts", "gears", "shafts", "frames"}
local R = {"lathe", "press", "paint", "labour"}
local profit = {bolts = 3.25, nuts = 2.1, gears = 7.75, shafts = 5.4, frames = 11.3}
local use = {   -- hours of resource per unit of product
  lathe  = {bolts = 0.30, nuts = 0.20, gears = 1.10, shafts = 0.90, frames = 0.50},
  press  = {bolts = 0.10, nuts = 0.25, gears = 0.60, shafts = 0.20, frames = 1.70},
  paint  = {bolts = 0.05, nuts = 0.05, gears = 0.20, shafts = 0.30, frames = 0.80},
  labour = {bolts = 0.40, nuts = 0.30, gears = 1.30, shafts = 0.70, frames = 2.10},
}
local hours = {lathe = 310, press = 270, paint = 95, labour = 520}
local min_demand = {bolts = 40, nuts = 60, gears = 0, shafts = 15, frames = 10}
local max_demand = {bolts = 300, nuts = 250, gears = 120, shafts = 200, frames = 90}

local m = folio.model("plant")
local make = m:var("make", P, {lb = 0})
m:st("capacity", R, function(r) return folio.dot(use[r], make), "<=", hours[r] end)
m:st("demand_min", P, function(p)
  if min_demand[p] > 0 then return make[p], ">=", min_demand[p] end
end)
m:st("demand_max", P, function(p) return make[p], "<=", max_demand[p] end)
m:st("mix", make.frames - 0.25 * make.gears, ">=", 0)
local params = folio.params or {}
if (params.sense or "max") == "max" then
  m:maximize(folio.dot(profit, make))
else
  local cost = {bolts = 1.2, nuts = 0.8, gears = 4.1, shafts = 2.6, frames = 6.9}
  m:st("target", folio.sum(make), ">=", tonumber(params.target or 450))
  m:minimize(folio.dot(cost, make))
end

if params.lp then m:write(params.lp) end
if params.mps then m:write(params.mps) end
return m:solve{}
