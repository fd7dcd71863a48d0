-- Jeroslow's problem (min y, 2 sum x + y = 41, binary): about 2^20 nodes
-- to prove y = 1, minutes of GLPK's or Cbc's branch and bound in C
-- (--set solver=glpk|cbc). The MIP polls
-- folio_poll at each node (GLPK's callback; Cbc's cut generator), and its
-- time limit is capped at the budget left.
local folio = require "folio"
local I = {}
for i = 1, 41 do I[i] = i end
local m = folio.model("jeroslow")
local x = m:var("x", I, { kind = "binary" })
local y = m:var("y", { 1 }, { kind = "binary" })[1]
m:st("odd", 2 * folio.sum(x) + y, "==", 41)
m:minimize(y)
return m:solve { solver = folio.params.solver }
