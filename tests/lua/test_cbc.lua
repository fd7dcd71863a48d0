-- solver = "cbc" from the DSL: a knapsack and an assignment against brute
-- force and GLPK, an LP, MIP starts (keyed by variable, or an earlier
-- result) on both MIP backends, and the errors a quant can run into.
local T = dofile("tests/lua/testlib.lua")
local folio = require "folio"

-- ---------------------------------------------------------------- knapsack
local items = { "a", "b", "c", "d", "e", "f", "g", "h", "i", "j" }
local weight = { a = 23, b = 31, c = 29, d = 44, e = 53, f = 38, g = 63, h = 85, i = 89, j = 82 }
local value = { a = 92, b = 57, c = 49, d = 68, e = 60, f = 43, g = 67, h = 84, i = 87, j = 72 }
local cap = 165

local function knapsack_brute_force()
  local best = -1
  for s = 0, (1 << #items) - 1 do
    local w, v = 0, 0
    for k, it in ipairs(items) do
      if s & (1 << (k - 1)) ~= 0 then w, v = w + weight[it], v + value[it] end
    end
    if w <= cap and v > best then best = v end
  end
  return best
end

local km = folio.model("knapsack")
local take = km:var("take", items, { kind = "binary" })
km:st("cap", folio.dot(weight, take), "<=", cap)
km:maximize(folio.dot(value, take))

local best = knapsack_brute_force()
local rc = km:solve { solver = "cbc" }
local rg = km:solve { solver = "glpk" }
T.eq(rc.status, "optimal", "knapsack: cbc status")
T.eq(rc.solver, "cbc", "knapsack: solver name")
T.ok(rc.is_mip, "knapsack: is_mip")
T.near(rc.objective, best, 1e-9, "knapsack: cbc objective = brute force")
T.near(rg.objective, best, 1e-9, "knapsack: glpk objective = brute force")
T.eq(rc.mip_gap, 0, "knapsack: proven gap")
T.near(rc:activity("cap"), rc:value(folio.dot(weight, take)), 1e-9, "knapsack: activity")
for _, it in ipairs(items) do
  local v = rc:value(take[it])
  T.ok(v == 0 or v == 1, "knapsack: integral value of " .. it)
end
T.eq(km:solve().solver, "glpk", "the automatic choice for a MIP is still GLPK")

-- ------------------------------------------------------------- assignment
-- six trades to three accounts, one account each, account capacities
local trades = { "t1", "t2", "t3", "t4", "t5", "t6" }
local accounts = { "A", "B", "C" }
local size = { t1 = 5, t2 = 7, t3 = 3, t4 = 8, t5 = 4, t6 = 6 }
local limit = { A = 12, B = 11, C = 10 }
local cost = {
  t1 = { A = 4, B = 6, C = 5 }, t2 = { A = 7, B = 3, C = 6 }, t3 = { A = 2, B = 5, C = 4 },
  t4 = { A = 6, B = 6, C = 3 }, t5 = { A = 5, B = 2, C = 7 }, t6 = { A = 3, B = 8, C = 4 },
}

local function assignment_brute_force()
  local best_cost = math.huge
  local pick = {}
  local function rec(k, load, c)
    if k > #trades then
      if c < best_cost then best_cost = c end
      return
    end
    local t = trades[k]
    for _, a in ipairs(accounts) do
      if load[a] + size[t] <= limit[a] then
        load[a] = load[a] + size[t]
        pick[t] = a
        rec(k + 1, load, c + cost[t][a])
        load[a] = load[a] - size[t]
      end
    end
  end
  rec(1, { A = 0, B = 0, C = 0 }, 0)
  return best_cost
end

local am = folio.model("assign")
local x = am:var("x", { trades, accounts }, { kind = "binary" })
am:st("one", trades, function(t) return folio.sum(x[t]), "==", 1 end)
am:st("cap", accounts, function(a)
  return folio.sum(trades, function(t) return size[t] * x[t][a] end), "<=", limit[a]
end)
am:minimize(folio.sum({ trades, accounts }, function(t, a) return cost[t][a] * x[t][a] end))

local opt = assignment_brute_force()
local ac = am:solve { solver = "cbc", time_limit = 10, mip_gap = 0 }
local ag = am:solve { solver = "glpk" }
T.eq(ac.status, "optimal", "assignment: cbc status")
T.near(ac.objective, opt, 1e-9, "assignment: cbc objective = brute force")
T.near(ag.objective, opt, 1e-9, "assignment: glpk objective = brute force")
for _, t in ipairs(trades) do
  T.near(ac:value(folio.sum(x[t])), 1, 1e-12, "assignment: one account for " .. t)
end

-- -------------------------------------------------------------- MIP starts
for _, s in ipairs { "glpk", "cbc" } do
  -- an earlier result of the same model (here GLPK's, also given to Cbc)
  local r = am:solve { solver = s, mip_start = ag }
  T.eq(r.status, "optimal", s .. ": start from a result")
  T.near(r.objective, opt, 1e-9, s .. ": start from a result, objective")
  T.eq(r.message, "an optimal solution was found", s .. ": the start was used without complaint")
  -- keyed by variable: the optimum given as ones only, zeros left unset
  local start = {}
  for _, t in ipairs(trades) do
    for _, a in ipairs(accounts) do
      if ag:value(x[t][a]) > 0.5 then start[x[t][a]] = 1 end
    end
  end
  local r2 = km:solve { solver = s, mip_start = { [take.a] = 1, [take.b] = 1 } }
  T.near(r2.objective, best, 1e-9, s .. ": partial knapsack start")
  local r3 = am:solve { solver = s, mip_start = start }
  T.eq(r3.status, "optimal", s .. ": start keyed by variable")
  T.near(r3.objective, opt, 1e-9, s .. ": start keyed by variable, objective")
end
-- GLPK says when it could not use a start (every item taken: over capacity)
local all = {}
for _, it in ipairs(items) do all[take[it]] = 1 end
local r4 = km:solve { solver = "glpk", mip_start = all }
T.near(r4.objective, best, 1e-9, "infeasible start: still optimal")
T.ok(r4.message:find("mip_start not used: no feasible point has its values", 1, true),
  "infeasible start: noted in the message (" .. r4.message .. ")")

T.raises(function() km:solve { mip_start = { a = 1 } } end,
  "solve: mip_start: keys must be variables such as x[\"a\"], got string", "mip_start key")
T.raises(function() km:solve { mip_start = { [take.a] = 0 / 0 } } end,
  "solve: mip_start: the value of 'take[a]' must be a finite number", "mip_start value")
T.raises(function() km:solve { mip_start = { [x.t1.A] = 1 } } end,
  "solve: mip_start: variable 'x[t1,A]' belongs to another model", "mip_start variable of another model")
T.raises(function() km:solve { mip_start = ag } end,
  "solve: mip_start: the result belongs to another model", "mip_start result of another model")
T.raises(function() km:solve { mip_start = 1 } end,
  "solve: mip_start must be a table {[variable] = value} or a result, got number", "mip_start type")

-- ---------------------------------------------------------------------- LP
local lm = folio.model("lp")
local y = lm:var("y", { "p", "q" }, { lb = 0 })
lm:st("r1", y.p + y.q, "<=", 4)
lm:st("r2", 2 * y.p + y.q, "<=", 6)
lm:st("band", 1, "<=", y.p - y.q, "<=", 3)
lm:maximize(3 * y.p + 2 * y.q + 1)
local lc = lm:solve { solver = "cbc" }
local lg = lm:solve { solver = "glpk" }
T.eq(lc.status, "optimal", "LP: cbc status")
T.ok(not lc.is_mip, "LP: not a MIP")
T.near(lc.objective, lg.objective, 1e-9, "LP: cbc = glpk")
T.near(lc:activity("r2"), lg:activity("r2"), 1e-9, "LP: activity")
T.raises(function() lc:dual("r1") end,
  "dual: Cbc reports no duals (its C interface has no row prices): solve with solver = \"glpk\"", "LP: no duals")
T.raises(function() lc:ranges() end,
  "ranges: Cbc computes no sensitivity ranges: solve with solver = \"glpk\"", "LP: no ranges")
local tbl = lc:to_table()
T.eq(tbl.solver, "cbc", "LP: JSON solver")
T.eq(tbl.constraints.r1.dual, nil, "LP: JSON without duals")
lm:st("far", y.p, ">=", 10)
T.eq(lm:solve { solver = "cbc" }.status, "infeasible", "LP: infeasible")

local um = folio.model("unbounded")
local u = um:var("u", { lb = 0 })
um:maximize(u)
T.eq(um:solve { solver = "cbc" }.status, "unbounded", "LP: unbounded")

-- --------------------------------------------------------------- refusals
local qm = folio.model("quad")
local w = qm:var("w", { 1, 2 }, { lb = 0 })
qm:minimize(w[1] * w[1] + w[2])
T.raises(function() qm:solve { solver = "cbc" } end,
  "solve: solver 'cbc' cannot solve this model: it has quadratic objective terms (cbc handles LP, MIP; backends that can: qp)",
  "quadratic refused")
T.raises(function() km:solve { solver = "cplex" } end, "solve: unknown solver 'cplex' (available: glpk, qp, cbc, clp)",
  "unknown solver lists cbc")
T.ok(km:lower("cbc") >= 0, "lower into Cbc")

T.done()
