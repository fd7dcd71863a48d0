-- A transportation LP whose plants (30 + 20) cannot meet the markets'
-- demand (25 + 20 + 15): infeasible, and the conflict is exactly the five
-- supply and demand rows.
local folio = require "folio"
local m = folio.model("transport")
local P, K = { "p1", "p2" }, { "m1", "m2", "m3" }
local cap = { p1 = 30, p2 = 20 }
local dem = { m1 = 25, m2 = 20, m3 = 15 }
local x = m:var("x", { P, K }, { lb = 0 })
m:st("supply", P, function(p) return folio.sum(K, function(k) return x[p][k] end), "<=", cap[p] end)
m:st("demand", K, function(k) return folio.sum(P, function(p) return x[p][k] end), ">=", dem[k] end)
m:st("route_cap", x.p1.m1 + x.p2.m2, "<=", 100)   -- slack: not part of the conflict
m:minimize(folio.sum(P, function(p) return folio.sum(K, function(k) return x[p][k] end) end))
return m:solve()
