-- Writes the LPs of the LP benchmark (bench/lp/run.sh) as free MPS files,
-- through folio's own writer (m:write). Data come from a fixed-seed
-- generator, so every run writes the same files.
--   build/folio run bench/lp/gen.lua --set dir=bench/lp/out
-- With --set family=1 it writes instead the family of shapes that
-- bench/lp/family.sh solves with GLPK and with Clp (the automatic LP rule).
local folio = require "folio"

local dir = folio.params.dir or "bench/lp/out"
local only = folio.params.only

-- Park-Miller minimal standard generator: the same numbers on every platform
local seed = 12345
local function rand()
  seed = (seed * 16807) % 2147483647
  return seed / 2147483647
end
local function reseed(s) seed = s end

local function write(m, name)
  local path = dir .. "/" .. name .. ".mps"
  m:write(path)
  local st = m:stats()
  io.stderr:write(string.format("%-12s rows=%d cols=%d nnz=%d -> %s\n", name, st.rows, st.cols, st.nnz, path))
end

local makers = {}

-- the LP relaxation of fac-25 (bench/fac): binaries made continuous, no cones
function makers.fac25()
  local G = 25
  local I, Fs, K = {}, {}, { 1, 2 }
  for i = 0, G do I[#I + 1] = i end
  for f = 1, G do Fs[f] = f end
  local M = 2 * math.sqrt(2)
  local m = folio.model("fac25_lp")
  local d = m:var("d", { lb = 0 })
  local y = m:var("y", { Fs, K }, { lb = 0, ub = 1 })
  local z = m:var("z", { I, I, Fs }, { lb = 0, ub = 1 })
  local s = m:var("s", { I, I, Fs }, { lb = 0 })
  local r = m:var("r", { I, I, Fs, K })
  m:minimize(d)
  m:st("assign", { I, I }, function(i, j) return folio.sum(z[i][j]), "==", 1 end)
  m:st("link", { I, I, Fs }, function(i, j, f) return s[i][j][f], "==", d + M * (1 - z[i][j][f]) end)
  m:st("r1", { I, I, Fs }, function(i, j, f) return r[i][j][f][1], "==", i / G - y[f][1] end)
  m:st("r2", { I, I, Fs }, function(i, j, f) return r[i][j][f][2], "==", j / G - y[f][2] end)
  return m
end

-- an n x n transportation problem (default 300): supplies, demands,
-- random unit costs
function makers.transport(n)
  reseed(2024)
  n = n or 300
  local S, D = {}, {}
  for i = 1, n do S[i] = i end
  for j = 1, n do D[j] = j end
  local supply, demand, total = {}, {}, 0
  for j = 1, n do demand[j] = 10 + math.floor(90 * rand()); total = total + demand[j] end
  for i = 1, n do supply[i] = math.ceil(1.05 * total / n) + math.floor(20 * rand()) end
  local m = folio.model("transport")
  local x = m:var("x", { S, D }, { lb = 0 })
  local cost = {}
  for i = 1, n do cost[i] = {} for j = 1, n do cost[i][j] = 1 + math.floor(99 * rand()) end end
  m:minimize(folio.sum({ S, D }, function(i, j) return cost[i][j] * x[i][j] end))
  m:st("supply", S, function(i) return folio.sum(x[i]), "<=", supply[i] end)
  m:st("demand", D, function(j) return folio.sum(S, function(i) return x[i][j] end), ">=", demand[j] end)
  return m
end

-- a random sparse LP: nr rows, nc columns in [0, 10], per nonzeros a
-- column in [-1, 1] (default 3,000 x 6,000, 6 a column); the right-hand
-- side makes a random point feasible
function makers.sparse(nr, nc, per)
  reseed(7)
  nr, nc, per = nr or 3000, nc or 6000, per or 6
  local R, C = {}, {}
  for i = 1, nr do R[i] = i end
  for j = 1, nc do C[j] = j end
  local m = folio.model("sparse")
  local x = m:var("x", C, { lb = 0, ub = 10 })
  local rows = {}
  for i = 1, nr do rows[i] = {} end
  local x0 = {}
  for j = 1, nc do
    x0[j] = 10 * rand()
    for _ = 1, per do
      local i = 1 + math.floor(nr * rand())
      rows[i][#rows[i] + 1] = { j, 2 * rand() - 1 }
    end
  end
  local c = {}
  for j = 1, nc do c[j] = 2 * rand() - 1 end
  m:minimize(folio.dot(c, x))
  m:st("r", R, function(i)
    local t, act = rows[i], 0
    if #t == 0 then return nil end
    for k = 1, #t do act = act + t[k][2] * x0[t[k][1]] end
    local idx = {}
    for k = 1, #t do idx[k] = k end
    return folio.sum(idx, function(k) return t[k][2] * x[t[k][1]] end), "<=", act + rand()
  end)
  return m
end

-- CVaR (Rockafellar-Uryasev) portfolio LP: T return scenarios of n assets
-- (default 2,000 x 100), dense scenario rows; maximise return less CVaR at
-- 95%. Each asset is capped at max(0.1, 3 / n) of the budget.
function makers.cvar(n, T)
  reseed(99)
  n, T = n or 100, T or 2000
  local beta, cap = 0.95, math.max(0.1, 3 / n)
  local A, Sc = {}, {}
  for a = 1, n do A[a] = a end
  for t = 1, T do Sc[t] = t end
  local mu, sig = {}, {}
  for a = 1, n do mu[a] = 0.0002 + 0.0008 * rand(); sig[a] = 0.005 + 0.02 * rand() end
  local R = {}
  for t = 1, T do
    R[t] = {}
    local mkt = (rand() + rand() + rand() - 1.5) * 0.02
    for a = 1, n do R[t][a] = mu[a] + mkt * (a % 3 + 1) / 2 + sig[a] * (rand() + rand() + rand() - 1.5) end
  end
  local m = folio.model("cvar")
  local w = m:var("w", A, { lb = 0, ub = cap })
  local v = m:var("var")
  local u = m:var("u", Sc, { lb = 0 })
  local cvar = v + folio.sum(u) * (1 / ((1 - beta) * T))
  m:maximize(folio.dot(mu, w) - 0.5 * cvar)
  m:st("budget", folio.sum(w), "==", 1)
  m:st("loss", Sc, function(t) return u[t] + v + folio.dot(R[t], w), ">=", 0 end)
  return m
end

-- multi-period production planning (a staircase): 60 products, 52 weeks,
-- inventory balance and shared machine hours each week
function makers.staircase()
  reseed(31)
  local np, nt, nmach = 60, 52, 8
  local P, Tm, Mc = {}, {}, {}
  for p = 1, np do P[p] = p end
  for t = 1, nt do Tm[t] = t end
  for k = 1, nmach do Mc[k] = k end
  local dem, hours, pc, hc = {}, {}, {}, {}
  for p = 1, np do
    dem[p] = {}
    for t = 1, nt do dem[p][t] = math.floor(50 + 100 * rand() * (1 + math.sin(t / 8 + p))) end
    hours[p] = {}
    for k = 1, nmach do hours[p][k] = rand() < 0.4 and (0.2 + rand()) or 0 end
    pc[p] = 5 + 10 * rand(); hc[p] = 0.2 + 0.5 * rand()
  end
  local cap = {}
  for k = 1, nmach do
    local need = 0
    for p = 1, np do need = need + hours[p][k] * 100 end
    cap[k] = need * 1.1
  end
  local m = folio.model("staircase")
  local make = m:var("make", { P, Tm }, { lb = 0 })
  local inv = m:var("inv", { P, Tm }, { lb = 0 })
  local over = m:var("over", { Mc, Tm }, { lb = 0, ub = 0.3 })
  m:minimize(folio.sum({ P, Tm }, function(p, t) return pc[p] * make[p][t] + hc[p] * inv[p][t] end)
             + folio.sum({ Mc, Tm }, function(k, t) return 40 * over[k][t] end))
  m:st("balance", { P, Tm }, function(p, t)
    local prev = t > 1 and inv[p][t - 1] or 0
    return prev + make[p][t] - inv[p][t], "==", dem[p][t]
  end)
  m:st("machine", { Mc, Tm }, function(k, t)
    return folio.sum(P, function(p) return hours[p][k] * make[p][t] end), "<=", cap[k] * (1 + over[k][t])
  end)
  return m
end

-- --set family=1: the shapes that set the automatic LP rule (bench/lp/family.sh)
local family = {
  { "cvar_10x1000", "cvar", 10, 1000 }, { "cvar_10x2000", "cvar", 10, 2000 },
  { "cvar_10x4000", "cvar", 10, 4000 }, { "cvar_10x10000", "cvar", 10, 10000 },
  { "cvar_20x1000", "cvar", 20, 1000 }, { "cvar_20x2000", "cvar", 20, 2000 },
  { "cvar_20x4000", "cvar", 20, 4000 }, { "cvar_20x10000", "cvar", 20, 10000 },
  { "cvar_50x1000", "cvar", 50, 1000 }, { "cvar_50x2000", "cvar", 50, 2000 },
  { "cvar_50x4000", "cvar", 50, 4000 }, { "cvar_50x10000", "cvar", 50, 10000 },
  { "cvar_100x1000", "cvar", 100, 1000 }, { "cvar_100x2000", "cvar", 100, 2000 },
  { "cvar_100x4000", "cvar", 100, 4000 }, { "cvar_100x10000", "cvar", 100, 10000 },
  { "transport_50", "transport", 50 }, { "transport_100", "transport", 100 }, { "transport_300", "transport", 300 },
  { "sparse_1000x2000x6", "sparse", 1000, 2000, 6 }, { "sparse_3000x6000x6", "sparse", 3000, 6000, 6 },
  { "sparse_2000x4000x3", "sparse", 2000, 4000, 3 }, { "sparse_500x5000x4", "sparse", 500, 5000, 4 },
  { "staircase", "staircase" },
}

if folio.params.family then
  for _, f in ipairs(family) do
    if not only or only == f[1] then write(makers[f[2]](table.unpack(f, 3)), f[1]) end
  end
  return
end

local order = { "fac25", "transport", "sparse", "cvar", "staircase" }
for _, name in ipairs(order) do
  if not only or only == name then write(makers[name](), name) end
end
