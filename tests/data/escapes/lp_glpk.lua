-- A 500 x 500 transport LP, its demand 99.9% of the supply: GLPK's primal
-- simplex without presolve, which has no callback to poll, runs for 4 s
-- here (2026-12; with demand 75% of the supply it took 1.7 s, under the
-- old 2 s budget); the test gives it a 1 s budget. folio_solve caps its
-- time limit at the budget left, and the budget error is raised as it
-- returns.
local folio = require "folio"
local n = tonumber(folio.params and folio.params.n) or 500
local S, D = {}, {}
for i = 1, n do S[i] = i; D[i] = i end
local m = folio.model("transport")
local x = m:var("x", { S, D }, { lb = 0 })
m:st("supply", S, function(i) return folio.sum(x[i]), "<=", 10 + (i * 7) % 5 end)
m:st("demand", D, function(j) local col = {} for i = 1, n do col[i] = x[i][j] end return folio.sum(col), ">=", 11.99 end)
local c = {}
for i = 1, n do c[i] = {} for j = 1, n do c[i][j] = 1 + ((i * 31 + j * 17) % 97) end end
m:minimize(folio.dot(c, x))

return m:solve { solver = "glpk", presolve = false }

