-- C(60, 10) = 7.5e10 subsets: the exact reference enumerates them in C.
local folio = require "folio"
local n, mu, cov = 60, {}, {}
for i = 1, n do
  mu[i] = 0.01 * (i % 7)
  cov[i] = {}
  for j = 1, n do cov[i][j] = i == j and 0.04 or 0.01 end
end
return folio.cim.select { mu = mu, cov = cov, k = 10, runs = 1 }
