-- A cardinality-constrained QP (hold 10 of 30 nearly alike assets): the QP
-- engine's branch and bound runs in C for minutes. `return m:solve()` is
-- a tail call, so no instruction of the script runs after the solve.
local folio = require "folio"
local n, I, mu, cov = 30, {}, {}, {}
for i = 1, n do
  I[i] = i
  mu[i] = 0.01 + 1e-4 * ((i * 7) % 13)
  cov[i] = {}
  for j = 1, n do cov[i][j] = i == j and 0.04 + 1e-4 * ((i * 3) % 7) or 0.01 end
end
local m = folio.model("cardinality")
local w = m:var("w", I, { lb = 0, ub = 1 })
local z = m:var("z", I, { kind = "binary" })
m:st("budget", folio.sum(w), "==", 1)
m:st("held", I, function(i) return w[i], "<=", z[i] end)
m:st("count", folio.sum(z), "==", 10)
m:minimize(0.5 * folio.quad(w, cov) - folio.dot(mu, w))
return m:solve { solver = "qp", mip_gap = 1e-9 }
