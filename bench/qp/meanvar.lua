-- Long-only, fully invested mean-variance: min w'Sigma w - gamma mu'w,
-- sum w = 1, w >= 0, on a covariance with a k-factor structure plus a
-- diagonal, generated deterministically (the same formula as meanvar_cvxopt.py).
-- build/folio run bench/qp/meanvar.lua --set n=1000 [--set reps=3] [--set factor=1]
-- factor=1 keeps the covariance in factor form (m:factor_risk) instead of
-- a dense Sigma.
local folio = require "folio"
local n = math.tointeger(folio.params.n) or 500
local reps = math.tointeger(folio.params.reps) or 3
local factor = folio.params.factor == 1
-- mu=0: the minimum-variance portfolio (a dense optimum: on this
-- covariance it holds every asset)
local mu0 = folio.params.mu == 0
local k = 20
-- a small LCG so Lua and Python draw the same numbers
local seed = 12345
local function rnd()
  seed = (seed * 1103515245 + 12345) % 2147483648
  return seed / 2147483648 - 0.5
end
local B = {}
for i = 1, n do B[i] = {} for f = 1, k do B[i][f] = rnd() * 0.2 end end
local D, mu = {}, {}
for i = 1, n do D[i] = 0.01 + 0.04 * (rnd() + 0.5) ^ 2; mu[i] = 0.05 + 0.1 * rnd() end
if mu0 then for i = 1, n do mu[i] = 0 end end
local Sigma = {}
for i = 1, factor and 0 or n do
  local row = {}
  for j = 1, n do
    local s = 0
    for f = 1, k do s = s + B[i][f] * B[j][f] end
    row[j] = s
  end
  row[i] = row[i] + D[i]
  Sigma[i] = row
end
local A = {}
for i = 1, n do A[i] = i end
local times, obj, iters, held = {}, nil, nil, nil
for rep = 1, reps do
  local t0 = os.clock()
  local m = folio.model("meanvar")
  local w = m:var("w", A, { lb = 0 })
  m:st("budget", folio.sum(w), "==", 1)
  if factor then
    local I = {}
    for f = 1, k do I[f] = {} for g = 1, k do I[f][g] = f == g and 1 or 0 end end
    m:minimize(m:factor_risk("risk", w, { loadings = B, factor_cov = I, specific = D }) - folio.dot(mu, w))
  else
    m:minimize(folio.quad(w, Sigma) - folio.dot(mu, w))
  end
  local t1 = os.clock()
  local r = m:solve()
  local t2 = os.clock()
  times[rep] = { build = t1 - t0, solve = r.solve_time }
  obj, iters = r.objective, r.iterations
  held = 0
  for i = 1, n do if r:value(w[i]) > 1e-6 / n then held = held + 1 end end
  assert(r.status == "optimal", r.status .. ": " .. r.message)
end
table.sort(times, function(a, b) return a.solve < b.solve end)
local med = times[(reps + 1) // 2]
io.stderr:write(string.format("folio meanvar" .. (factor and "-factor" or "") .. " n=%d objective=%.12g iterations=%d held=%d build_s=%.4f solve_s=%.4f\n",
  n, obj, iters, held, med.build, med.solve))
