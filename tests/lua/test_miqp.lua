-- Mixed-integer QP (branch and bound on the interior-point engine) against
-- brute force: cardinality-constrained minimum variance, long-only and
-- fully invested, "hold at most K assets", with binaries z and w <= z.
-- The brute force solves the continuous QP on every K-subset.
local T = dofile("tests/lua/testlib.lua")
local folio = require "folio"

local function read_orlib(path)
  local f = assert(io.open(path, "r"))
  local n = tonumber(f:read("l"))
  local sd = {}
  for i = 1, n do local _, s = f:read("n", "n"); sd[i] = s end
  local Sigma = {}
  for i = 1, n do Sigma[i] = {} end
  while true do
    local i, j, c = f:read("n", "n", "n")
    if not i then break end
    Sigma[i][j] = c * sd[i] * sd[j]
    Sigma[j][i] = Sigma[i][j]
  end
  f:close()
  return n, Sigma
end

local function miqp(n, Sigma, K, opts)
  local A = {}
  for i = 1, n do A[i] = i end
  local m = folio.model("card")
  local w = m:var("w", A, { lb = 0 })
  local z = m:var("z", A, { kind = "binary" })
  m:st("budget", folio.sum(w), "==", 1)
  m:st("link", A, function(i) return w[i], "<=", z[i] end)
  m:st("card", folio.sum(z), "<=", K)
  m:minimize(folio.quad(w, Sigma))
  return m:solve(opts), w, z
end

local function subset_minvar(Sigma, chosen)
  local m = folio.model("subset")
  local w = m:var("w", chosen, { lb = 0 })
  m:st("budget", folio.sum(w), "==", 1)
  local S = {}
  for a, i in ipairs(chosen) do
    S[a] = {}
    for b, j in ipairs(chosen) do S[a][b] = Sigma[i][j] end
  end
  m:minimize(folio.quad(w, S))
  return m:solve { reltol = 1e-10, abstol = 1e-14 }.objective
end

local function brute(n, Sigma, K)
  local best, chosen = math.huge, {}
  local function rec(start)
    if #chosen == K then
      best = math.min(best, subset_minvar(Sigma, chosen))
      return
    end
    for i = start, n do
      chosen[#chosen + 1] = i
      rec(i + 1)
      chosen[#chosen] = nil
    end
  end
  rec(1)
  return best
end

-- Hang Seng (OR-Library port1, 31 assets), K = 3: 4,495 subsets
local n, Sigma = read_orlib("data/orlib/port1.txt")
local r, w, z = miqp(n, Sigma, 3, { reltol = 1e-10, abstol = 1e-14 })
T.eq(r.status, "optimal", "port1 K=3: status")
T.eq(r.is_mip, true, "port1 K=3: reported as a MIP")
T.ok(r.mip_gap <= 1e-6, "port1 K=3: gap closed")
local held = 0
for i = 1, n do if r:value(z[i]) > 0.5 then held = held + 1 end end
T.ok(held <= 3, "port1 K=3: at most 3 assets held")
local bf = brute(n, Sigma, 3)
T.near(r.objective, bf, 1e-7, "port1 K=3: optimum equals the brute force over all subsets")
T.ok(r.mip_bound <= r.objective + 1e-12, "port1 K=3: bound below the objective")
print(string.format("port1 K=3: %.10g in %d nodes, %.3f s (brute force %.10g)", r.objective, r.nodes, r.solve_time, bf))

-- K = 10 of 31 (the exposure issue's figure): proven optimal
local r10 = miqp(n, Sigma, 10)
T.eq(r10.status, "optimal", "port1 K=10: proven optimal")
print(string.format("port1 K=10: %.10g in %d nodes, %.3f s", r10.objective, r10.nodes, r10.solve_time))

-- a node limit stops the search honestly
local rl = miqp(n, Sigma, 2, { iteration_limit = 3 })
T.ok(rl.status == "time_limit" or rl.status == "optimal", "node limit: a limit status unless already proven")
if rl.status == "time_limit" then
  T.ok(not rl.has_solution or rl.mip_gap >= 0, "node limit: gap reported")
end

-- duals of a MIP only on request (from the QP with the integers fixed)
T.raises(function() return r:dual("budget") end,
  "dual: duals are not defined for a MIP solution: solve with {mip_duals = true} for those of the LP with the integer variables fixed",
  "MIQP duals refused by default")
local rd = miqp(n, Sigma, 3, { mip_duals = true })
T.ok(type(rd:dual("budget")) == "number", "MIQP duals with mip_duals")
T.done()
