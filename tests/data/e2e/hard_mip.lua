-- hard_mip.lua -- a market-split MIP (Cornuejols & Dawande, 1998) that GLPK's
-- branch and cut cannot finish in a fraction of a second; used by
-- tests/e2e/test_cli.sh to exercise solve{time_limit = ...}.
--
--   folio run tests/data/e2e/hard_mip.lua --set mode=split   --set time_limit=0.3
--   folio run tests/data/e2e/hard_mip.lua --set mode=slack   --set time_limit=0.3
--       [--set solver=glpk|cbc]
--
-- mode=split: find binary x with sum_j a[i][j] x[j] == d[i] for every row i
--             (a pure feasibility problem; within the limit GLPK finds no
--             point, so the result has no incumbent -> exit code 3).
-- mode=slack: the optimisation version: minimise sum_i (s_plus[i] + s_minus[i])
--             with a x + s_plus - s_minus == d; every x is feasible, so GLPK
--             has an incumbent at once but cannot prove optimality -> the
--             status is time_limit with a solution -> exit code 0.
-- The data come from a fixed linear congruential generator, so every run and
-- every machine builds the same instance. Cbc fares no better on it.
local folio = require "folio"

local params = folio.params or {}
local mode = params.mode or "split"
local limit = tonumber(params.time_limit or 0.3)
local nrows = tonumber(params.rows or 5)
local ncols = tonumber(params.cols or 60)

local state = 20240601
local function rand(n)            -- 1..n, Park-Miller minimal standard
  state = (state * 48271) % 2147483647
  return state % n + 1
end

local J, I = {}, {}
for j = 1, ncols do J[j] = "i" .. j end
for i = 1, nrows do I[i] = "r" .. i end
local a, d = {}, {}
for i = 1, nrows do
  a[i] = {}
  local total = 0
  for j = 1, ncols do a[i][j] = rand(99); total = total + a[i][j] end
  d[i] = total // 2
end

local m = folio.model("market_split_" .. mode)
local x = m:var("x", J, {kind = "binary"})
local function lhs(i)
  return folio.sum(J, function(name) return a[i][tonumber(name:sub(2))] * x[name] end)
end
if mode == "split" then
  m:st("split", I, function(r) local i = tonumber(r:sub(2)); return lhs(i), "==", d[i] end)
  m:minimize(folio.sum(x))
elseif mode == "slack" then
  local sp = m:var("s_plus", I, {lb = 0})
  local sm = m:var("s_minus", I, {lb = 0})
  m:st("split", I, function(r)
    local i = tonumber(r:sub(2))
    return lhs(i) + sp[r] - sm[r], "==", d[i]
  end)
  m:minimize(folio.sum(I, function(r) return sp[r] + sm[r] end))
else
  error("hard_mip.lua: mode must be 'split' or 'slack', got '" .. tostring(mode) .. "'", 0)
end

return m:solve{time_limit = limit, solver = params.solver}
