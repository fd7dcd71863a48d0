-- The tiny LP of the start-up benchmark (the same LP as tiny.lp):
-- max 3x + 5y  s.t.  x <= 4, 2y <= 12, 3x + 2y <= 18, x, y >= 0.
local folio = require "folio"
local m = folio.model("tiny")
local x = m:var("x", nil, { lb = 0 })
local y = m:var("y", nil, { lb = 0 })
m:st("plant1", x, "<=", 4)
m:st("plant2", 2 * y, "<=", 12)
m:st("plant3", 3 * x + 2 * y, "<=", 18)
m:maximize(3 * x + 5 * y)
return m:solve()
