-- The long-only, fully invested efficient frontier of the OR-Library
-- instances (data/orlib/portN.txt, Chang, Meade, Beasley and
-- Sharaiha 2000) against the published points (portefN.txt): at 60 of the
-- published returns, min w'Sigma w s.t. mu'w = target, sum w = 1, w >= 0.
-- Variance within 1e-6 relative of the published value, and within 1e-7 of
-- CVXOPT's (tests/ref/qp/cases/orlib_portN_frontier.json; the published
-- values agree with CVXOPT to 8e-8 (port1) and 2.5e-7 (port2) only).
local T = dofile("tests/lua/testlib.lua")
local folio = require "folio"

local DATA = "data/orlib/"

local function read_instance(path)
  local f = assert(io.open(path, "r"))
  local n = tonumber(f:read("l"))
  local mu, sd = {}, {}
  for i = 1, n do
    local a, b = f:read("n", "n")
    mu[i], sd[i] = a, b
  end
  local Sigma = {}
  for i = 1, n do Sigma[i] = {} end
  while true do
    local i, j, c = f:read("n", "n", "n")
    if not i then break end
    Sigma[i][j] = c * sd[i] * sd[j]
    Sigma[j][i] = Sigma[i][j]
  end
  f:close()
  return n, mu, Sigma
end

local function frontier(k)
  local n, mu, Sigma = read_instance(DATA .. "port" .. k .. ".txt")
  local ref = folio.read_json("tests/ref/qp/cases/orlib_port" .. k .. "_frontier.json")
  local A = {}
  for i = 1, n do A[i] = i end
  local worst_pub, worst_cvx, solved = 0, 0, 0
  for p, target in ipairs(ref.targets) do
    local m = folio.model("port" .. k)
    local w = m:var("w", A, { lb = 0 })
    m:st("budget", folio.sum(w), "==", 1)
    m:st("return", folio.dot(mu, w), "==", target)
    m:minimize(folio.quad(w, Sigma))
    local r = m:solve { feastol = 1e-10, reltol = 1e-10, abstol = 1e-14 }
    if r.status == "optimal" then
      solved = solved + 1
      local var = r.objective
      worst_pub = math.max(worst_pub, math.abs(var - ref.published_variance[p]) / ref.published_variance[p])
      worst_cvx = math.max(worst_cvx, math.abs(var - ref.cvxopt_variance[p]) / ref.cvxopt_variance[p])
    end
  end
  T.eq(solved, #ref.targets, "port" .. k .. ": every frontier point solved to optimality")
  T.ok(worst_pub <= 1e-6, string.format("port%d: variance within 1e-6 of the published frontier (worst %.2e)", k, worst_pub))
  T.ok(worst_cvx <= 1e-7, string.format("port%d: variance within 1e-7 of CVXOPT (worst %.2e)", k, worst_cvx))
  print(string.format("port%d (%d assets): %d points, worst relative difference %.2e to the published frontier, %.2e to CVXOPT",
    k, n, solved, worst_pub, worst_cvx))
end

frontier(1)
frontier(2)
T.done()
