-- The CIM gradient flow told never to stop (a gradient tolerance of 1e-300, an
-- endless horizon): its integrator steps run in C.
local folio = require "folio"
local n, mu, cov = 200, {}, {}
for i = 1, n do
  mu[i] = 0.01 * (i % 7)
  cov[i] = {}
  for j = 1, n do cov[i][j] = i == j and 0.04 or 0.01 end
end
return folio.cim { mu = mu, cov = cov, grad_tol = 1e-300, t_max = 1e6, max_steps = 1e12, integrator = "erk_tsit5" }
