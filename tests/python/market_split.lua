-- A market-split MIP (Cornuejols and Dawande): 4 rows, 40 binaries, each
-- row to be split in half. Branch and bound needs far more than seconds on
-- it, so a solve of it is under way when the Ctrl-C test interrupts.
local folio = require "folio"
math.randomseed(7)
local m = folio.model("split")
local J, I = {}, { 1, 2, 3, 4 }
for j = 1, 40 do J[j] = j end
local x = m:var("x", J, { kind = "binary" })
local over, under = m:var("over", I, { lb = 0 }), m:var("under", I, { lb = 0 })
for _, i in ipairs(I) do
  local a, total = {}, 0
  for _, j in ipairs(J) do
    a[j] = math.random(0, 99)
    total = total + a[j]
  end
  m:st("row" .. i, folio.dot(a, x) + over[i] - under[i], "==", total // 2)
end
m:minimize(folio.sum(over) + folio.sum(under))
return m
