-- Tests of m:conflict() and r:conflict(): the irreducible infeasible subset
-- of a model's rows and bounds (item mode), of named groups of them (group
-- mode), feasible models, MIPs, and every bad-input message.
-- Run from the repo root: build/folio run tests/lua/test_conflict.lua
local T = dofile("tests/lua/testlib.lua")
local folio = require "folio"

-- the names of a conflict's items, sorted and joined
local function names(c)
  local t = {}
  for i, it in ipairs(c.items) do t[i] = type(it) == "string" and it or it.name end
  table.sort(t)
  return table.concat(t, " ")
end

------------------------------------------------------------------------------
-- (a) transportation: supply 30 + 20 = 50 short of demand 25 + 20 + 15 = 60

local P, M = { "p1", "p2" }, { "m1", "m2", "m3" }
local capacity = { p1 = 30, p2 = 20 }
local demand = { m1 = 25, m2 = 20, m3 = 15 }
local cost = { p1 = { m1 = 4, m2 = 6, m3 = 9 }, p2 = { m1 = 5, m2 = 3, m3 = 7 } }

-- the transport model without the row named `skip` (nil: every row)
local function transport(skip)
  local m = folio.model("transport")
  local x = m:var("x", { P, M }, { lb = 0 })
  m:st("supply", P, function(p)
    if "supply[" .. p .. "]" == skip then return nil end
    return folio.sum(M, function(k) return x[p][k] end), "<=", capacity[p]
  end)
  m:st("demand", M, function(k)
    if "demand[" .. k .. "]" == skip then return nil end
    return folio.sum(P, function(p) return x[p][k] end), ">=", demand[k]
  end)
  m:minimize(folio.sum({ P, M }, function(p, k) return cost[p][k] * x[p][k] end))
  return m
end

do
  local m = transport()
  local r = m:solve()
  T.eq(r.status, "infeasible", "transport: the model is infeasible")
  local c = m:conflict()
  T.eq(c.status, "infeasible", "transport: status")
  T.eq(c.irreducible, true, "transport: irreducible")
  T.ok(c.solves > 1, "transport: several feasibility solves")
  T.ok(type(c.seconds) == "number" and c.seconds >= 0, "transport: seconds")
  T.eq(c.message, "5 rows and bounds in an irreducible infeasible subset", "transport: message")
  T.eq(#c.items, 5, "transport: five items")
  T.eq(names(c), "demand[m1] demand[m2] demand[m3] supply[p1] supply[p2]",
    "transport: the IIS is every supply and every demand row")
  for _, it in ipairs(c.items) do
    T.eq(it.kind, "row", "transport: " .. it.name .. " is a row")
    local family, key = it.name:match("^(%a+)%[(%w+)%]$")
    if family == "supply" then
      T.eq(it.lower, -math.huge, it.name .. ": lower")
      T.eq(it.upper, capacity[key], it.name .. ": upper")
    else
      T.eq(it.lower, demand[key], it.name .. ": lower")
      T.eq(it.upper, math.huge, it.name .. ": upper")
    end
  end
  T.eq(c.text, "rows supply[p1] <= 30, supply[p2] <= 20, demand[m1] >= 25, demand[m2] >= 20, demand[m3] >= 15",
    "transport: text")
  -- irreducible, checked independently: without any one of them it solves
  for _, it in ipairs(c.items) do
    local relaxed = transport(it.name)
    T.eq(relaxed:stats().rows, 4, "transport without " .. it.name .. ": four rows")
    T.eq(relaxed:solve().status, "optimal", "transport without " .. it.name .. " is feasible")
  end
  -- the result's form asks its model; the model is left as it was
  local rc = r:conflict()
  T.eq(rc.status, "infeasible", "r:conflict: status")
  T.eq(names(rc), names(c), "r:conflict: same IIS as m:conflict")
  T.eq(rc.text, c.text, "r:conflict: same text")
  T.eq(m:solve().status, "infeasible", "the model is unchanged by the search")
  T.eq(m:stats().rows, 5, "no rows added by the search")
  -- every backend that solves LPs finds the same one
  for _, s in ipairs({ "glpk", "cbc", "qp" }) do
    T.eq(names(m:conflict { solver = s }), names(c), "transport: same IIS with solver " .. s)
  end
end

------------------------------------------------------------------------------
-- (b) one conflicting pair among many irrelevant rows

do
  local m = folio.model("pair")
  local I = {}
  for i = 1, 20 do I[i] = i end
  local y = m:var("y", I, { lb = 0, ub = 10 })
  m:st("floor", I, function(i) return y[i], ">=", 1 end)
  m:st("mix", I, function(i) if i < 20 then return y[i] + y[i + 1], "<=", 18 end end)
  m:st("total", folio.sum(y), "<=", 150)
  m:st("pair_lo", y[3] + y[4], ">=", 15)
  m:st("pair_hi", y[3] + y[4], "<=", 12)
  m:st("more", I, function(i) return 2 * y[i], "<=", 30 end)
  m:maximize(folio.sum(y))
  local c = m:conflict()
  T.eq(c.status, "infeasible", "pair: status")
  T.eq(c.irreducible, true, "pair: irreducible")
  T.eq(names(c), "pair_hi pair_lo", "pair: the IIS is exactly the pair")
  T.eq(c.text, "rows pair_lo >= 15, pair_hi <= 12", "pair: text")
  T.eq(c.message, "2 rows and bounds in an irreducible infeasible subset", "pair: message")
end

------------------------------------------------------------------------------
-- (c) bounds: an upper bound against a row; ranges and equalities in text

do
  local m = folio.model("bound")
  local x = m:var("x", { lb = 0, ub = 1 })
  local v = m:var("v", { lb = 0 })
  m:st("need", x, ">=", 2)
  m:st("other", v, "<=", 5)
  local c = m:conflict()
  T.eq(c.status, "infeasible", "bound: status")
  T.eq(#c.items, 2, "bound: two items")
  local row, ub = c.items[1], c.items[2]
  T.eq(row.kind, "row", "bound: first item kind")
  T.eq(row.name, "need", "bound: the row")
  T.eq(row.lower, 2, "bound: row lower")
  T.eq(row.upper, math.huge, "bound: row upper")
  T.eq(ub.kind, "upper", "bound: second item kind")
  T.eq(ub.name, "x", "bound: the variable")
  T.eq(ub.value, 1, "bound: the bound's value")
  T.eq(c.text, "row need >= 2; bound x <= 1", "bound: text")
end

do
  -- y[a] + z <= 1 + 3 cannot reach the band's 5
  local m = folio.model("forms")
  local y = m:var("y", { "a" }, { ub = 1 })
  local z = m:var("z", { lb = -10 })
  m:st("band", 5, "<=", y.a + z, "<=", 6)
  m:st("fix", z, "==", 3)
  local c = m:conflict()
  T.eq(c.status, "infeasible", "forms: status")
  T.eq(c.text, "rows 5 <= band <= 6, fix == 3; bound y[a] <= 1", "forms: a range and an equality")
  T.eq(c.items[1].lower, 5, "forms: range lower")
  T.eq(c.items[1].upper, 6, "forms: range upper")
  T.eq(c.items[2].lower, 3, "forms: equality lower")
  T.eq(c.items[2].upper, 3, "forms: equality upper")
  T.eq(c.items[3].kind, "upper", "forms: y[a]'s upper bound")

  -- a lower bound against a row
  local k = folio.model("low")
  local v = k:var("v", { lb = 4, ub = 9 })
  k:st("low", v, "<=", 3)
  local kc = k:conflict()
  T.eq(kc.text, "row low <= 3; bound v >= 4", "forms: a lower bound")
  T.eq(kc.items[2].kind, "lower", "forms: v's lower bound")
  T.eq(kc.items[2].value, 4, "forms: v's lower bound value")
end

------------------------------------------------------------------------------
-- (d) group mode: families (and exact names) under the user's labels

-- weights of four assets in [0, ub]: budget sum w == 1, category caps
local function allocation(ub, consumer, tech)
  local m = folio.model("allocation")
  local A = { "a", "b", "c", "d" }
  local w = m:var("w", A, { lb = 0, ub = ub })
  m:st("budget", folio.sum(w), "==", 1)
  m:st("category_max_consumer", w.a + w.b, "<=", consumer)
  m:st("category_max_tech", w.c + w.d, "<=", tech)
  m:st("max_turnover", folio.sum(w), "<=", 3)
  m:st("cap", A, function(a) return w[a], "<=", 0.9 end)
  m:maximize(w.a)
  return m
end

do
  local m = allocation(0.45, 0.2, 0.5)   -- caps: 0.7 < 1
  local c = m:conflict { groups = {
    budget = "budget", max_turnover = "max_turnover", w = "bounds", cap = "bounds",
    category_max_consumer = "category_limits", category_max_tech = "category_limits" } }
  T.eq(c.status, "infeasible", "groups: status")
  T.eq(c.irreducible, true, "groups: irreducible")
  T.eq(#c.items, 2, "groups: two labels")
  T.eq(c.items[1], "budget", "groups: first label (sorted)")
  T.eq(c.items[2], "category_limits", "groups: second label")
  T.eq(c.text, "groups budget, category_limits", "groups: text")
  T.eq(c.message, "2 groups in an irreducible infeasible subset", "groups: message")

  -- the two caps as groups of their own: all three are needed (either cap
  -- alone leaves room under the 0.45 bounds, which are enforced)
  c = m:conflict { groups = { budget = "budget", category_max_consumer = "consumer",
    category_max_tech = "tech" } }
  T.eq(names(c), "budget consumer tech", "groups: unmentioned bounds stay enforced")
end

do
  -- bounds decide it: four weights of at most 0.2 cannot make a budget of
  -- 1, while the caps (0.6 + 0.6) leave room
  local m = allocation(0.2, 0.6, 0.6)
  local c = m:conflict { groups = { budget = "budget", w = "bounds", max_turnover = "max_turnover" } }
  T.eq(table.concat(c.items, ","), "bounds,budget", "groups: a variable family's bounds as a group")
  -- the exact name w[a] in a group of its own, the rest under the family
  c = m:conflict { groups = { budget = "budget", w = "bounds", ["w[a]"] = "w_a",
    category_max_consumer = "category_limits", category_max_tech = "category_limits" } }
  T.eq(table.concat(c.items, ","), "bounds,budget,w_a", "groups: w[a] by its exact name, apart from w")
  -- rows by exact name, with their family unmentioned
  c = m:conflict { groups = { ["cap[a]"] = "cap_a", budget = "budget" } }
  T.eq(c.status, "infeasible", "groups: nothing relaxable but budget and cap[a]")
  T.eq(table.concat(c.items, ","), "budget", "groups: budget against the enforced bounds")
  -- an empty table: group mode with nothing to relax
  c = m:conflict { groups = {} }
  T.eq(c.status, "infeasible", "groups: empty, status")
  T.eq(#c.items, 0, "groups: empty, no items")
  T.eq(c.text, "infeasible with every group relaxed: the conflict is in what is never relaxed "
    .. "(integrality, cones, rows kept enforced)", "groups: empty, text")
end

------------------------------------------------------------------------------
-- (e) a feasible model has no conflict

do
  local m = transport("demand[m1]")
  local r = m:solve()
  T.eq(r.status, "optimal", "feasible: solved")
  local c = m:conflict()
  T.eq(c.status, "optimal", "feasible: status")
  T.eq(#c.items, 0, "feasible: no items")
  T.eq(c.irreducible, false, "feasible: nothing irreducible")
  T.eq(c.solves, 1, "feasible: one solve")
  T.eq(c.message, "the model is feasible: there is no conflict", "feasible: message")
  T.eq(c.text, "no conflict: the model is feasible", "feasible: text")
  local rc = r:conflict { groups = { supply = "supply" } }
  T.eq(rc.status, "optimal", "feasible: r:conflict on an optimal result")
  T.eq(#rc.items, 0, "feasible: r:conflict, no items")
end

------------------------------------------------------------------------------
-- (f) errors

do
  local m = transport()
  local r = m:solve()
  T.raises_exact(function() m:conflict { verbose = true } end,
    "conflict: unknown option 'verbose' (options: solver, time_limit, groups)", "unknown option")
  T.raises_exact(function() m:conflict { 5 } end, "conflict: option names must be strings (got a number key)",
    "positional option")
  T.raises_exact(function() m:conflict(5) end, "conflict: expected a table of options (got number)",
    "options not a table")
  T.raises_exact(function() m:conflict { groups = { supplyy = "capacity", demand = "demand" } } end,
    "conflict: groups: no constraint or variable named 'supplyy' in this model (group 'capacity')",
    "a family that is not in the model")
  T.raises_exact(function() m:conflict { groups = { zeta = "z", alpha = "a", supply = "s" } } end,
    "conflict: groups: no constraint or variable named 'alpha' in this model (group 'a')",
    "several unknown names: the first in sorted order")
  T.raises_exact(function() m:conflict { groups = { ["supply[p9]"] = "s" } } end,
    "conflict: groups: no constraint or variable named 'supply[p9]' in this model (group 's')",
    "an exact name that is not in the model")
  T.raises_exact(function() m:conflict { groups = { supply = 1 } } end,
    "conflict: groups: the group of 'supply' must be a string label (got number)", "label not a string")
  T.raises_exact(function() m:conflict { groups = { "supply" } } end,
    "conflict: groups: keys must be constraint or variable names (got a number key)", "groups as a list")
  T.raises_exact(function() m:conflict { groups = "supply" } end, "conflict: groups must be a table (got string)",
    "groups not a table")
  T.raises_exact(function() m:conflict { solver = "gurobi" } end,
    "conflict: unknown solver 'gurobi' (available: glpk, qp, cbc, clp)", "unknown solver")
  T.raises_exact(function() m:conflict { solver = 1 } end, "conflict: solver must be a string (got number)",
    "solver not a string")
  T.raises_exact(function() m:conflict { time_limit = -1 } end, "conflict: time_limit must be >= 0 (got -1)",
    "negative time limit")
  T.raises_exact(function() m:conflict { time_limit = 0 / 0 } end, "conflict: time_limit must be a number, not NaN",
    "NaN time limit")
  -- a result of an earlier model: the model has grown since
  m:var("late")
  T.raises_exact(function() r:conflict() end,
    "conflict: the model has constraints or variables added after this solve: call conflict on the model",
    "stale result")
  T.eq(m:conflict().status, "infeasible", "the grown model itself still works")

  local ball = folio.model("ball")
  local u = ball:var("u")
  local t = ball:var("t", { ub = 1 })
  ball:soc("norm", { u }, "<=", t)
  ball:st("far", u, ">=", 2)
  T.raises_exact(function() ball:conflict { solver = "glpk" } end,
    "conflict: solver 'glpk' cannot solve this model: it has cones (backends that can: qp)", "solver lacks SOC")
  T.raises_exact(function() ball:conflict { groups = { norm = "cone" } } end,
    "conflict: groups: no constraint or variable named 'norm' in this model (group 'cone')",
    "a cone is never relaxed: not a group member")
  local bc = ball:conflict()
  T.eq(bc.status, "infeasible", "cone: status")
  T.eq(bc.text, "row far >= 2; bound t <= 1", "cone: the cone stays, the row and t's bound conflict with it")

  -- a time limit spent before the first solve
  local c = m:conflict { time_limit = 1e-12 }
  T.eq(c.status, "time_limit", "time limit: status")
  T.eq(#c.items, 0, "time limit: no items")
  T.eq(c.text, "no conflict: the time limit was reached before the model was proven infeasible", "time limit: text")
end

------------------------------------------------------------------------------
-- (g) a MIP: integrality is part of every subset

do
  local m = folio.model("mip")
  local Z = { 1, 2, 3 }
  local z = m:var("z", Z, { kind = "binary" })
  local n = m:var("n", { lb = 0, ub = 10, kind = "integer" })
  m:st("sum2", z[1] + z[2], "==", 1)
  m:st("same", z[1] - z[2], "==", 0)
  m:st("spare", z[3] + n, ">=", 2)
  m:st("room", n, "<=", 8)
  m:maximize(folio.sum(z) + n)
  local r = m:solve()
  T.eq(r.status, "infeasible", "mip: infeasible (its LP relaxation is not)")
  for _, s in ipairs({ "glpk", "cbc", "qp" }) do
    local c = r:conflict { solver = s }
    T.eq(c.status, "infeasible", "mip: status with " .. s)
    T.eq(c.irreducible, true, "mip: irreducible with " .. s)
    T.eq(names(c), "same sum2", "mip: the IIS with " .. s)
  end
  -- binary bounds are the variables' kind, never items
  local c = m:conflict { groups = { z = "z_bounds", sum2 = "sum", same = "same" } }
  T.eq(table.concat(c.items, ","), "same,sum", "mip: groups")

  -- integrality alone: 2 q == 3 has no integer solution, whatever the bounds
  local k = folio.model("parity")
  local q = k:var("q", { lb = 0, ub = 10, kind = "integer" })
  local p = k:var("p", { lb = 0, ub = 1, kind = "binary" })
  k:st("odd", 2 * q, "==", 3)
  k:st("pick", p, "<=", 1)
  local kc = k:conflict()
  T.eq(kc.status, "infeasible", "mip: parity")
  T.eq(kc.text, "row odd == 3", "mip: integrality alone against one row")

  -- 2 q1 + 2 q2 == 5 once q's bounds are relaxed: branch and bound over
  -- unbounded integers need not end, and the time limit stops the search
  local u = folio.model("unbounded_parity")
  local v = u:var("v", { 1, 2 }, { lb = 0, ub = 3, kind = "integer" })
  u:st("odd", 2 * v[1] + 2 * v[2], "==", 5)
  local uc = u:conflict { time_limit = 1 }
  T.eq(uc.status, "time_limit", "mip: stopped by the time limit")
  T.eq(uc.irreducible, false, "mip: stopped, so not irreducible")
  T.eq(uc.items[1].name, "odd", "mip: the row stays suspected")
  T.ok(uc.text:sub(1, 12) == "row odd == 5", "mip: text starts with the row: " .. uc.text)
  local stopped = " (the search stopped: not irreducible)"
  T.ok(uc.text:sub(-#stopped) == stopped, "mip: text says it stopped: " .. uc.text)
end

T.done()
