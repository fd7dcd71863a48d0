-- The allocation-failure sweep's model (tests/alloc/sweep.sh): a small
-- book with a family, a product family, rows of each form, a quadratic
-- objective for the QP engine and integers for the MIP solvers.
--   --set solver=glpk|cbc|qp|cim   solve with that backend (cim: folio.cim)
--   --set solver=none              build only: m:stats(), no solve
local folio = require "folio"

local S = { "cards", "auto", "mortgage" }
local Q = { 1, 2 }
local ret = { cards = 0.09, auto = 0.06, mortgage = 0.04 }
local risk = { cards = 0.5, auto = 0.3, mortgage = 0.2 }
local Sigma = { { 0.04, 0.01, 0.0 }, { 0.01, 0.02, 0.005 }, { 0.0, 0.005, 0.01 } }
local solver = folio.params.solver or "glpk"

if solver == "cim" then
  return folio.cim {
    assets = S, mu = { 0.09, 0.06, 0.04 }, cov = Sigma, gamma = 5,
    rho = 100, bounds = { 0, 1 },
  }
end

local m = folio.model("alloc_sweep")
local x = m:var("x", S, { lb = 0, ub = 1 })
local y = m:var("y", { S, Q }, { lb = 0, ub = 1 })
m:st("budget", folio.sum(x), "==", 1)
m:st("risk", folio.dot(risk, x), "<=", 0.4)
m:st("band", 0.1, "<=", x.cards, "<=", 0.6)
m:st("split", S, function(s) return y[s][1] + y[s][2], "==", x[s] end)
if solver ~= "qp" then
  local z = m:var("open", S, { kind = "binary" })
  m:st("link", S, function(s) return x[s], "<=", z[s] end)
  m:st("count", folio.sum(z), "<=", 2)
  m:maximize(folio.dot(ret, x) - 0.001 * folio.sum(z))
else
  m:maximize(folio.dot(ret, x) - 2 * folio.quad(x, Sigma))
end
if solver == "none" then
  local st = m:stats()
  return nil, st.rows
end
local r = m:solve { solver = solver, time_limit = 20, mip_duals = solver == "glpk" }
assert(r.has_solution, r.status)
local _ = r:value(x), r:rows(), r:columns()
if solver ~= "cbc" then _ = r:dual("budget") end   -- Cbc's C interface has no row prices
return r
