-- A small LP with named rows (values, duals and the CSV view by name);
-- folio.data.value (a pandas Series from Python) gives the profits.
local folio = require "folio"
local value = folio.data and folio.data.value or { a = 3, b = 2, c = 1 }
local S = { "a", "b", "c" }
local m = folio.model("lp")
local x = m:var("x", S, { lb = 0, ub = 4 })
m:st("budget", folio.sum(x), "<=", folio.params.budget or 6)
m:maximize(folio.dot(value, x))
local r = m:solve()
return r
