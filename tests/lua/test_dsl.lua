-- Tests of the modelling DSL: variables and families, expressions, sums,
-- constraints, objective, results, and every bad-input message.
-- Run from the repo root: build/folio run tests/lua/test_dsl.lua
local T = dofile("tests/lua/testlib.lua")
local folio = require "folio"

------------------------------------------------------------------------------
-- variables and families

do
  local m = folio.model("fam")
  local S = { "a", "b", "c" }
  local x = m:var("x", S, { lb = 0, ub = 5 })
  local y = m:var("y", { S, { 1, 2 } })
  local t = m:var("t", { lb = -1 })
  local z = m:var("z", S, { kind = "binary" })
  local w = m:var("w", S, { lb = function(s) return s == "b" and 2 or 0 end, ub = { a = 1, b = 3, c = 4 } })
  T.eq(tostring(x.a), "x[a]", "1-D family member name")
  T.eq(tostring(y.b[2]), "y[b,2]", "2-D family member name")
  T.eq(tostring(t), "t", "scalar variable name")
  T.eq(m:stats().cols, 3 + 6 + 1 + 3 + 3, "column count")
  T.eq(m:stats().integers, 3, "binary columns count as integers")
  T.raises(function() return x.nope end, "unknown index 'nope' for x", "unknown index, 1-D")
  T.raises(function() return y.a[7] end, "unknown index '7' for y (index 2 of 2)", "unknown index, 2-D")
  T.raises(function() x.new = 1 end, "x is a variable family: its entries cannot be assigned", "assignment")
  T.raises(function() m:var("x", S) end, "variable 'x' already exists in this model", "duplicate name")
  T.raises(function() m:var("e", {}) end, "variable 'e': index set 1 is empty", "empty set")
  T.raises(function() m:var("d", { "a", "b", "a" }) end, "variable 'd': duplicate key 'a' in index set 1",
    "duplicate key in a set")
  T.raises_exact(function() m:var("k", S, { kind = "int" }) end,
    'variable \'k\': kind must be one of "continuous", "integer", "binary" (got "int")', "bad kind")
  T.raises(function() m:var("o", S, { lbb = 0 }) end,
    "variable 'o': unknown option 'lbb' (did you mean 'lb'? options: lb, ub, kind)", "unknown variable option")
  T.raises(function() m:var("v", S, { lb = 5, ub = 1 }) end,
    "variable 'v[a]': lower bound 5 exceeds upper bound 1", "lb > ub")
  T.raises(function() m:var("n", S, { lb = 0 / 0 }) end, "variable 'n[a]': bound is not a number (nan)", "NaN bound")
  T.raises(function() m:var("q", { { true } }) end,
    "variable 'q': index set 1: key 1 is a boolean (keys must be strings or numbers)", "boolean key")
  T.raises(function() m:var("br[x]", S) end, "variable name 'br[x]' must not contain '[', ']' or ','",
    "bracket in a name")
  -- per-key bounds reached the model: maximise w under its bounds
  m:maximize(folio.sum(w))
  local r = m:solve()
  T.eq(r.status, "optimal", "bounds LP optimal")
  T.near(r:value(w.a), 1, 1e-12, "table ub")
  T.near(r.objective, 1 + 3 + 4, 1e-12, "table and function bounds")
end

------------------------------------------------------------------------------
-- expressions

do
  local m = folio.model("expr")
  local x = m:var("x", { "a", "b" })
  local e = 2 * x.a - x.b / 4 + 3
  T.eq(tostring(e), "2 x[a] - 0.25 x[b] + 3", "affine expression text")
  T.eq(tostring(-(x.a - 1)), "-x[a] + 1", "unary minus")
  T.eq(tostring(x.a * x.b), "x[a]*x[b]", "quadratic product")
  T.eq(tostring(0 * x.a), "0", "times zero")
  T.eq("e = " .. x.a, "e = x[a]", "concatenation")
  T.raises(function() return x.a * (0 / 0) end, "non-finite number (nan) in a folio expression", "NaN coefficient")
  T.raises(function() return x.a + math.huge end, "non-finite number (inf) in a folio expression", "infinite constant")
  T.raises(function() return x.a * x.b * x.a end, "*: product of a quadratic expression has degree above 2",
    "degree 3")
  T.raises(function() return x.a / x.b end, "/: cannot divide by an expression with variables", "divide by expr")
  T.raises(function() return x.a / 0 end, "/: division of an expression by zero", "divide by zero")
  T.raises(function() return x.a + {} end, "+: expected a number or folio expression, got table", "add a table")
  T.raises(function() return x.a < x.b end,
    "comparison of folio expressions: write constraints as m:st(name, lhs, \"<=\", rhs)", "comparison")
  local m2 = folio.model("other")
  local u = m2:var("u")
  T.raises(function() return x.a + u end, "expression mixes variables of two different models", "two models")

  -- a long running sum appends in place and stays correct
  local acc = 0
  local N = 2000
  local v = m:var("v", (function() local s = {} for i = 1, N do s[i] = i end return s end)())
  for i = 1, N do acc = acc + i * v[i] end
  local branch = acc + 1          -- acc is extended again below: branch must not see it
  acc = acc + 5 * v[1]
  m:st("cap", acc, "<=", 10 * N)
  m:st("cap2", branch, "<=", 10 * N)
  m:minimize(folio.sum(v))
  local st = m:stats()
  T.eq(st.nnz, 2 * N, "appended sums merge duplicates into one row each")
  local r = m:solve()
  T.eq(r.status, "unbounded", "free v makes the sum unbounded")
  -- evaluate the shared-buffer expressions on a point through a solve
  local m3 = folio.model("share")
  local p = m3:var("p", { 1, 2, 3, 4, 5, 6, 7 }, { lb = 1, ub = 1 })
  local base = 0
  for i = 1, 7 do base = base + p[i] end
  local b1 = base + p[1]
  local b2 = base + 10 * p[2]    -- same base extended twice: both must keep their own terms
  m3:minimize(0)
  local r3 = m3:solve()
  T.near(r3:value(b1), 8, 1e-12, "first extension of a shared expression")
  T.near(r3:value(b2), 17, 1e-12, "second extension of a shared expression")
  T.near(r3:value(base), 7, 1e-12, "the base is unchanged")
end

------------------------------------------------------------------------------
-- sums, dot, quad

do
  local m = folio.model("sums")
  local S = { "a", "b", "c" }
  local x = m:var("x", S, { lb = 1, ub = 1 })
  local y = m:var("y", { S, { 1, 2 } }, { lb = 2, ub = 2 })
  local c = { a = 1, b = 10, c = 100 }
  m:minimize(0)
  local r = m:solve()
  T.near(r:value(folio.sum(x)), 3, 1e-12, "sum of a family")
  T.near(r:value(folio.sum(y)), 12, 1e-12, "sum of a 2-D family")
  T.near(r:value(folio.sum(y.b)), 4, 1e-12, "sum of a sub-family")
  T.near(r:value(folio.sum(S, function(s) return c[s] * x[s] end)), 111, 1e-12, "sum over a set")
  T.near(r:value(folio.sum({ S, { 1, 2 } }, function(s, k) return k * y[s][k] end)), 18, 1e-12,
    "sum over a product")
  T.near(r:value(folio.sum(S, function(s) if s ~= "b" then return x[s] end end)), 2, 1e-12, "nil skips")
  T.near(r:value(folio.sum({}, function() return 1 end)), 0, 1e-12, "empty sum is 0")
  T.near(r:value(folio.dot(c, x)), 111, 1e-12, "dot")
  T.raises(function() return folio.dot({ a = 1 }, x) end, "dot: no coefficient for key 'b'", "dot missing key")
  local Sigma = { { 2, 1, 0 }, { 1, 3, 0 }, { 0, 0, 1 } }
  T.near(r:value(folio.quad(x, Sigma)), 2 + 3 + 1 + 2, 1e-12, "quad x'Sx")
  T.raises(function() return folio.quad(x, { { 1, 2, 0 }, { 0, 1, 0 }, { 0, 0, 1 } }) end,
    "quad: Sigma is not symmetric: Sigma[1][2] = 2 but Sigma[2][1] = 0", "quad asymmetric")
  T.raises(function() return folio.quad(x, { { 1 } }) end, "quad: Sigma has 1 rows but x has 3 elements",
    "quad shape")
  -- eigenvalues of [[1,2,0],[2,1,0],[0,0,1]] are -1, 1, 3
  T.raises(function() return folio.quad(x, { { 1, 2, 0 }, { 2, 1, 0 }, { 0, 0, 1 } }) end,
    "quad: Sigma is not positive semidefinite (smallest eigenvalue -1)", "quad not PSD")
  T.near(r:value(folio.quad(x, { { 1, 1, 0 }, { 1, 1, 0 }, { 0, 0, 0 } })), 4, 1e-12, "quad on a singular PSD Sigma")
  local v = r:value(y)
  T.near(v.c[2], 2, 1e-12, "value of a family is a nested table")

  -- curvature is tracked, so a concave objective is never taken for convex
  local cm = folio.model("curv")
  local cx = cm:var("x", S, { lb = 0, ub = 1 })
  local PD = { { 2, 0, 0 }, { 0, 3, 0 }, { 0, 0, 1 } }
  cm:minimize(folio.sum(cx) - folio.quad(cx, PD))
  T.raises(function() cm:solve() end,
    "solve: model 'curv': minimising a quadratic objective that is not convex (smallest eigenvalue of its Hessian is -6)",
    "minimising a concave quadratic is refused")
  cm:maximize(folio.quad(cx, PD) + cx.a * cx.a)
  T.raises(function() cm:solve() end,
    "solve: model 'curv': maximising a quadratic objective that is not concave (largest eigenvalue of its Hessian is 6)",
    "maximising a convex quadratic is refused")
  cm:minimize(folio.quad(cx, PD) + 2 * (cx.b * cx.b) - folio.sum(cx))
  T.eq(cm:solve().status, "optimal", "sums of checked forms and squares solve")
end

------------------------------------------------------------------------------
-- constraints, objective, results

do
  -- max 3x + 2y  st  x + y <= 4 (cap), x + 3y <= 7 (mix), x <= 3 (xmax)
  -- optimum x = 3, y = 1, objective 11; duals: cap 2, mix 0, xmax 1
  local m = folio.model("lp")
  local x = m:var("x", { lb = 0 })
  local y = m:var("y", { lb = 0 })
  m:st("cap", x + y, "<=", 4)
  m:st("mix", x + 3 * y, "<=", 7)
  m:st("xmax", x, "<=", 3)
  m:maximize(3 * x + 2 * y)
  local r = m:solve()
  T.eq(r.status, "optimal", "LP status")
  T.eq(r.has_solution, true, "has_solution")
  T.near(r.objective, 11, 1e-12, "LP objective")
  T.near(r:value(x), 3, 1e-12, "x")
  T.near(r:value(y), 1, 1e-12, "y")
  T.near(r:dual("cap"), 2, 1e-12, "dual of cap")
  T.near(r:dual("mix"), 0, 1e-12, "dual of mix")
  T.near(r:dual("xmax"), 1, 1e-12, "dual of xmax")
  T.near(r:slack("mix"), 1, 1e-12, "slack of mix")
  T.near(r:activity("cap"), 4, 1e-12, "activity of cap")
  T.near(r:reduced_cost(x), 0, 1e-12, "reduced cost of a basic variable")
  local rg = r:ranges()
  -- y = cap - 3 must stay >= 0 and x + 3y <= 7: cap in [3, 13/3]
  T.near(rg.rhs.cap.lo, 3, 1e-9, "rhs range of cap, low")
  T.near(rg.rhs.cap.hi, 13 / 3, 1e-9, "rhs range of cap, high")
  -- reduced costs stay >= 0 while 0 <= c_y <= 3
  T.near(rg.objective.y.lo, 0, 1e-9, "objective range of y, low")
  T.near(rg.objective.y.hi, 3, 1e-9, "objective range of y, high")
  T.raises(function() return r:dual("nope") end, "dual: no constraint named 'nope'", "unknown constraint")
  T.raises(function() return r:dual("cap", "a") end, "dual: constraint 'cap' takes 0 indices, got 1",
    "too many indices")
  T.raises(function() return r.nosuch end, "result has no field or method 'nosuch'", "unknown result field")
  T.raises(function() return m:nosuch() end, "model has no field or method 'nosuch'", "unknown model method")
  T.raises(function() m:st("bad", x, "=<", 1) end,
    "constraint 'bad': relation must be \"<=\", \">=\" or \"==\", got \"=<\"", "wrong relation string")
  T.raises(function() m:st("bad2", x, 1) end, "constraint 'bad2': expected lhs, relation, rhs (got 2 values)",
    "missing relation")
  T.raises(function() m:st("cap", x, "<=", 1) end, "constraint 'cap' already exists in this model",
    "duplicate constraint name")
  T.raises(function() m:st("q", x * y, "<=", 1) end,
    "constraint 'q': is not convex (smallest eigenvalue of its quadratic form is -0.5)",
    "non-convex quadratic constraint")
  T.raises(function() m:st("q2", x * x, "==", 1) end,
    "constraint 'q2': a quadratic constraint must be one-sided (<= or >=): an equality or a range is not convex",
    "quadratic equality")
  -- a convex one: max x + y st x^2 + y^2 <= 2 -> x = y = 1, dual sqrt(2)/(2 sqrt(2)) = 0.5
  local qm = folio.model("qc")
  local qx, qy = qm:var("x"), qm:var("y")
  qm:st("disk", qx * qx + qy * qy, "<=", 2)
  qm:maximize(qx + qy)
  -- the dual of a quadratic constraint converges more slowly than the
  -- objective (as with CVXOPT's coneqp): ask for a tight gap
  local qr = qm:solve { reltol = 1e-12, abstol = 1e-14 }
  T.eq(qr.solver, "qp", "quadratic constraint goes to the QP engine")
  T.near(qr.objective, 2, 1e-7, "max on a disk")
  T.near(qr:dual("disk"), 0.5, 1e-6, "dual of a quadratic constraint")
  T.raises(function() qm:solve { solver = "glpk" } end,
    "solve: solver 'glpk' cannot solve this model: it has quadratic constraints (glpk handles LP, MIP; backends that can: qp)",
    "GLPK refuses a quadratic constraint")
  T.raises_exact(function() m:solve { time_limt = 1 } end,
    "solve: unknown option 'time_limt' (did you mean 'time_limit'? options: solver, time_limit, mip_gap, iteration_limit, presolve, method, verbose, mip_duals, ranges, feastol, reltol, abstol, dense_kkt, mip_start)",
    "unknown solve option")
  T.raises(function() m:solve { solver = "cplex" } end, "solve: unknown solver 'cplex' (available: glpk, qp, cbc, clp)",
    "unknown solver")
  T.raises(function() m:write("model.txt") end, "write: 'model.txt': the file name must end in .lp or .mps",
    "write extension")
end

do
  -- indexed families, nil skips, two-sided rows, JSON shape
  local m = folio.model("fam_rows")
  local S = { "a", "b", "c" }
  local x = m:var("x", S, { lb = 0 })
  local cap = { a = 1, b = 2, c = 3 }
  m:st("cap", S, function(s) if s ~= "c" then return x[s], "<=", cap[s] end end)
  m:st("band", 1, "<=", x.c, "<=", 2.5)
  m:maximize(folio.sum(x))
  local r = m:solve()
  T.near(r.objective, 1 + 2 + 2.5, 1e-12, "family rows and two-sided row")
  T.near(r:dual("cap", "b"), 1, 1e-12, "dual of an indexed row")
  T.raises(function() return r:dual("cap", "c") end, "dual: no constraint 'cap[c]' (the index may have been skipped)",
    "skipped index")
  T.raises(function() return r:dual("cap") end, "dual: constraint 'cap' takes 1 index, got 0", "missing index")
  T.raises(function() m:st("bad", S, function(s) return x[s], "<=" end) end,
    "constraint 'bad[a]': expected lhs, relation, rhs (got 2 values)", "family function returns too little")
  T.raises(function() m:st("e", {}, function() end) end, "constraint 'e': index set 1 is empty", "empty family set")
  local t = r:to_table()
  T.eq(t.model, "fam_rows", "json model")
  T.eq(t.status, "optimal", "json status")
  T.near(t.variables["x[b]"], 2, 1e-12, "json variables")
  T.near(t.constraints["cap[a]"].dual, 1, 1e-12, "json constraint dual")
  T.near(t.constraints["band"].slack, 0, 1e-12, "json constraint slack")
  T.eq(t.solver, "glpk", "json solver")
end

do
  -- statuses
  local m = folio.model("infeasible")
  local x = m:var("x", { lb = 0 })
  m:st("neg", x, "<=", -1)
  m:minimize(x)
  local r = m:solve()
  T.eq(r.status, "infeasible", "infeasible status")
  T.eq(r.has_solution, false, "no solution when infeasible")
  T.eq(r.objective, nil, "no objective when infeasible")
  T.raises(function() return r:value(x) end, "value: no solution (status 'infeasible')", "value without solution")
  local u = folio.model("unbounded")
  local v = u:var("v", { lb = 0 })
  u:maximize(v)
  T.eq(u:solve().status, "unbounded", "unbounded status")
  T.eq(u:solve({ presolve = true }).status, "unbounded", "unbounded status with presolve")
  T.eq(m:solve({ presolve = true }).status, "infeasible", "infeasible status with presolve")

  -- MIP: duals only on request, from the LP with integers fixed
  local k = folio.model("knap")
  local items = { 1, 2, 3, 4 }
  local wt, val = { 5, 4, 6, 3 }, { 10, 40, 30, 50 }
  local pick = k:var("pick", items, { kind = "binary" })
  k:st("weight", folio.dot(wt, pick), "<=", 10)
  k:maximize(folio.dot(val, pick))
  local kr = k:solve()
  T.eq(kr.status, "optimal", "knapsack status")
  T.near(kr.objective, 90, 1e-12, "knapsack optimum (items 2 and 4)")
  T.eq(kr.mip_gap, 0.0, "proven optimal MIP has zero gap")
  T.raises(function() return kr:dual("weight") end,
    "dual: duals are not defined for a MIP solution: solve with {mip_duals = true} for those of the LP with the integer variables fixed",
    "MIP duals refused")
  local kd = k:solve { mip_duals = true }
  T.near(kd:dual("weight"), 0, 1e-12, "fixed-LP dual of the knapsack row")
  T.raises(function() return kd:ranges() end, "ranges: sensitivity ranges are defined for LPs only", "MIP ranges")

  -- a cone goes to the QP/SOCP engine; GLPK refuses it with a clear message
  local c = folio.model("cone")
  local a = c:var("a", { 1, 2 })
  local t = c:var("t")
  c:soc("norm", { a[1] - 1, a[2] }, "<=", t)
  c:st("a2", a[2], ">=", 3)
  c:minimize(t)
  T.eq(c:stats().cones, 1, "cone stored")
  local cr = c:solve()
  T.eq(cr.solver, "qp", "automatic choice for a cone")
  T.near(cr.objective, 3, 1e-8, "min ||(a1 - 1, a2)|| with a2 >= 3")
  T.near(cr:dual("a2"), 1, 1e-7, "dual of the row that pushes the cone")
  T.near(cr:dual("norm"), -1, 1e-7, "dual of the cone: d objective / d (constant of t)")
  T.raises(function() c:solve { solver = "glpk" } end,
    "solve: solver 'glpk' cannot solve this model: it has second-order cones (glpk handles LP, MIP; backends that can: qp)",
    "cone refused by GLPK")
end

T.done()
