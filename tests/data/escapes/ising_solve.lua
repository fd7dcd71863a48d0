-- An Ising machine with a very long horizon: its Euler steps run in C.
local folio = require "folio"
local n, J = 40, {}
for i = 1, n do
  J[i] = {}
  for j = 1, n do J[i][j] = i == j and 0 or ((i + j) % 3 - 1) end
end
return folio.cim.ising.solve { J = J, t_max = 1e6, dt = 0.01, runs = 1000 }
