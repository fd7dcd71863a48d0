-- m:set_bounds (docs/dsl.md, "Changing bounds and solving again"): one
-- model whose bounds change between solves against a model built afresh
-- with those bounds (the reference), on a perspective relaxation like the
-- exposure search's (cones whose columns all become fixed: the QP engine's
-- constant cones, docs/qp.md "Presolve"), and the errors.
local T = dofile("tests/lua/testlib.lua")
local folio = require "folio"

local seed = 77
local function rnd() seed = (seed * 1103515245 + 12345) % 2147483648; return seed / 2147483648 end
local n = 7
local names = {}
for i = 1, n do names[i] = "e" .. i end
-- S = B B' + diag(spec), D = 0.5 spec (S - D stays PSD)
local B, spec = {}, {}
for i = 1, n do
  B[i] = { rnd() - 0.5, rnd() - 0.5 }
  spec[i] = 0.02 + 0.05 * rnd()
end
local S, SD = {}, {}
for i = 1, n do
  S[i], SD[i] = {}, {}
  for j = 1, n do
    S[i][j] = 0.3 * (B[i][1] * B[j][1] + B[i][2] * B[j][2]) + (i == j and spec[i] or 0)
    SD[i][j] = S[i][j] - (i == j and 0.5 * spec[i] or 0)
  end
end
local TIGHT = { feastol = 1e-10, reltol = 1e-10, abstol = 1e-14 }

-- the relaxation: min w'(S - D)w + sum D t, w_i^2 <= t_i z_i, w <= 0.45 z,
-- sum z <= 4, sum w = 1. fix[i] = "in" | "out" | nil. fresh: the reference,
-- built with the fixings as bounds and without the cones of the exposures out
local function build(fix, fresh)
  fix = fix or {}
  local m = folio.model("persp")
  local function lb(i, v) return fresh and fix[i] == "out" and 0 or v end
  local w = m:var("w", names, { lb = 0, ub = function(e) return fresh and fix[tonumber(e:sub(2))] == "out" and 0 or 1 end })
  local z = m:var("z", names, {
    lb = function(e) return fresh and fix[tonumber(e:sub(2))] == "in" and 1 or 0 end,
    ub = function(e) return fresh and fix[tonumber(e:sub(2))] == "out" and 0 or 1 end })
  local t = m:var("t", names, { lb = 0, ub = function(e) return fresh and fix[tonumber(e:sub(2))] == "out" and 0 or math.huge end })
  for i, e in ipairs(names) do
    if not (fresh and fix[i] == "out") then m:soc("p_" .. i, { 2 * w[e], t[e] - z[e] }, "<=", t[e] + z[e]) end
  end
  m:st("link", names, function(e) return w[e], "<=", 0.45 * z[e] end)
  m:st("count", folio.sum(z), "<=", 4)
  m:st("budget", folio.sum(w), "==", 1)
  m:minimize(folio.quad(w, SD) + folio.sum(names, function(e) return 0.5 * spec[tonumber(e:sub(2))] * t[e] end))
  return m, w, z, t, lb
end

local m, w, z, t = build()
local patterns = 0
for round = 1, 40 do
  local fix = {}
  for i = 1, n do
    local u = rnd()
    fix[i] = u < 0.3 and "out" or u < 0.5 and "in" or nil
  end
  for i, e in ipairs(names) do
    local out, inn = fix[i] == "out", fix[i] == "in"
    m:set_bounds(w[e], 0, out and 0 or 1)
    m:set_bounds(z[e], inn and 1 or 0, out and 0 or 1)
    m:set_bounds(t[e], 0, out and 0 or math.huge)
  end
  local r = m:solve(TIGHT)
  local ref, rw = build(fix, true)
  local q = ref:solve(TIGHT)
  local label = ("round %d"):format(round)
  T.eq(r.status, q.status, label .. ": same status as the fresh model")
  if r.has_solution and q.has_solution then
    patterns = patterns + 1
    T.near(r.objective, q.objective, 1e-7 * math.max(1, math.abs(q.objective)), label .. ": same objective")
    local dw = 0
    for _, e in ipairs(names) do dw = math.max(dw, math.abs(r:value(w[e]) - q:value(rw[e]))) end
    T.ok(dw < 1e-5, label .. ": same weights (max difference " .. dw .. ")")
    for i = 1, n do
      if fix[i] == "out" then T.eq(r:dual("p_" .. i), 0, label .. ": a constant cone's dual is 0") end
    end
  end
end
T.ok(patterns >= 20, ("most fixings are feasible (%d of 40)"):format(patterns))

-- releasing every fixing gives back the first model's optimum
for _, e in ipairs(names) do
  m:set_bounds(w[e], 0, 1); m:set_bounds(z[e], 0, 1); m:set_bounds(t[e], 0, math.huge)
end
local r_all, q_all = m:solve(TIGHT), build(nil, true):solve(TIGHT)
T.near(r_all.objective, q_all.objective, 1e-8, "released: the model as built")

-- constant cones: ||(x)|| <= t with both fixed holds or is infeasible
do
  local c = folio.model("const")
  local x = c:var("x", { lb = -5, ub = 5 })
  local y = c:var("y", { lb = -5, ub = 5 })
  local s = c:var("s", { lb = 0, ub = 10 })
  c:soc("k", { x, y }, "<=", s)
  c:minimize(s + 0.1 * x * x)
  c:set_bounds(x, 3, 3); c:set_bounds(y, 4, 4); c:set_bounds(s, 5, 5)
  local r = c:solve()
  T.eq(r.status, "optimal", "a constant cone on its boundary holds")
  T.near(r.objective, 5.9, 1e-9, "and the objective is the constants'")
  T.eq(r:dual("k"), 0, "its dual reads 0")
  c:set_bounds(s, 4.9, 4.9)
  T.eq(c:solve().status, "infeasible", "a constant cone that does not hold: infeasible")
  c:set_bounds(s, 0, 10)
  r = c:solve()
  T.near(r:value(s), 5, 1e-6, "s free again: the cone binds at 5")
end

-- row limits: a <= row made an equality, then lifted
do
  local c = folio.model("rows")
  local x = c:var("x", { "a", "b" }, { lb = 0, ub = 10 })
  c:st("cap", x.a + x.b + 1, "<=", 5)          -- x.a + x.b in [-inf, 4]
  c:maximize(2 * x.a + x.b - 0.5 * x.a * x.a)
  local r = c:solve(TIGHT)
  -- max 2a + b - a^2/2 on a + b <= 4: a = 1, b = 3
  T.near(r:value(x.a), 1, 1e-6, "row as built: a")
  T.near(r:value(x.b), 3, 1e-6, "row as built: b")
  c:set_bounds("cap", 6, 6)                    -- a + b == 6
  r = c:solve(TIGHT)
  T.near(r:value(x.a) + r:value(x.b), 6, 1e-7, "equality: a + b = 6")
  T.near(r.objective, 2 * 1 + 5 - 0.5, 1e-6, "equality: objective")
  c:set_bounds("cap", -math.huge, math.huge)   -- lifted: b up to 10
  r = c:solve(TIGHT)
  T.near(r:value(x.b), 10, 1e-6, "lifted: b at its bound")
  T.near(r:value(x.a), 2, 1e-6, "lifted: a at 2")
end

-- aliases (docs/qp.md, "Presolve"): an equality x - y == 0 between two
-- free columns makes them one column; the values, the row's dual and the
-- reduced costs are those of the model as written (closed form:
-- min (x - 1)^2 + (y - 2)^2 on x - y == b has x = (3 + b)/2, y = (3 - b)/2
-- and value (1 + b)^2 / 2, so d value / d b = 1 at b = 0), and those of
-- the same row when the bounds allow no alias
do
  local c = folio.model("alias")
  local x = c:var("x", { lb = 0, ub = 5 })
  local y = c:var("y", { lb = -10, ub = 10 })
  local f = c:var("f", { lb = 0, ub = 0 })
  c:st("tie", x - y + f, "==", 0)
  c:minimize((x - 1) * (x - 1) + (y - 2) * (y - 2))
  local r = c:solve(TIGHT)
  T.near(r:value(x), 1.5, 1e-7, "alias: x")
  T.near(r:value(y), 1.5, 1e-7, "alias: y")
  T.near(r.objective, 0.5, 1e-8, "alias: objective")
  T.near(r:dual("tie"), 1, 1e-6, "alias: the row's dual")
  T.near(r:reduced_cost(x), 0, 1e-6, "alias: x's reduced cost")
  T.near(r:reduced_cost(y), 0, 1e-6, "alias: y's reduced cost")
  -- the tie at x's bound: y's bounds are no tighter, so x's bound binds
  c:set_bounds(x, 0, 1.2)
  r = c:solve(TIGHT)
  T.near(r:value(y), 1.2, 1e-7, "alias at a bound: y follows x")
  -- min over y = x <= 1.2: value (x-1)^2 + (x-2)^2, slope 2(0.2) + 2(-0.8) = -1.2 at 1.2;
  -- with x = y + b at x's bound, value 0.04 + (b + 0.8)^2: the row's dual is 1.6
  T.near(r.objective, 0.04 + 0.64, 1e-7, "alias at a bound: objective")
  T.near(r:dual("tie"), 1.6, 1e-5, "alias at a bound: the row's dual")
  T.near(r:reduced_cost(x), -1.2, 1e-5, "alias at a bound: x's reduced cost")
  -- bounds that allow no alias (each column's tighter than the other's on
  -- one side): the same values, dual and reduced costs
  c:set_bounds(x, 0, 5)
  c:set_bounds(y, 0.5, 10)
  r = c:solve(TIGHT)
  T.near(r:value(x), 1.5, 1e-7, "no alias: x")
  T.near(r:dual("tie"), 1, 1e-6, "no alias: the row's dual")
  T.near(r:reduced_cost(y), 0, 1e-6, "no alias: y's reduced cost")
  -- a fixed column with a constant: no alias (x - y == -1), still right
  c:set_bounds(y, -10, 10)
  c:set_bounds(f, 1, 1)
  r = c:solve(TIGHT)
  T.near(r:value(x), 1, 1e-7, "shifted tie: x")
  T.near(r:value(y), 2, 1e-7, "shifted tie: y")
end

-- an LP: the new bounds, and earlier results' ranges on demand are gone
do
  local c = folio.model("lp")
  local x = c:var("x", { "a", "b" }, { lb = 0, ub = 10 })
  c:st("c", x.a + 2 * x.b, "<=", 8)
  c:maximize(3 * x.a + x.b)
  local r = c:solve()
  T.near(r.objective, 24, 1e-9, "LP as built")
  c:set_bounds(x.a, 0, 2)
  local r2 = c:solve()
  T.near(r2.objective, 6 + 3, 1e-9, "LP with a <= 2")
  T.raises(function() return r:ranges() end, "ranges: not computed: solve with {ranges = true} (and the simplex method)",
           "an earlier result's ranges on demand are gone")
  local rg = r2:ranges()
  T.ok(type(rg.rhs.c) == "table" and type(rg.objective["x[a]"]) == "table", "the new result's ranges are there")
end

-- a binary variable's bounds are clipped to [0, 1]
do
  local c = folio.model("mip")
  local b = c:var("b", { kind = "binary" })
  local x = c:var("x", { lb = 0, ub = 3 })
  c:st("c", x + b, "<=", 3.5)
  c:maximize(x + 2 * b)
  c:set_bounds(b, -1, 3)
  T.near(c:solve().objective, 4.5, 1e-9, "binary widened: still at most 1")
  c:set_bounds(b, 0, 0)
  T.near(c:solve().objective, 3, 1e-9, "binary fixed at 0")
end

-- errors
do
  local c = folio.model("err")
  local x = c:var("x", { "a" }, { lb = 0, ub = 1 })
  local y = c:var("y", { lb = 0 })
  c:st("row", x.a + y, "<=", 3)
  c:st("q", x.a * x.a + y, "<=", 2)
  c:minimize(y)
  local other = folio.model("other"):var("v")
  T.raises(function() c:set_bounds(x.a, 2, 1) end, "set_bounds: variable 'x[a]': lower bound 2 exceeds upper bound 1")
  T.raises(function() c:set_bounds("row", 2, 1) end, "set_bounds: constraint 'row': lower limit 2 exceeds upper limit 1")
  T.raises(function() c:set_bounds(x.a, 0 / 0, 1) end,
           "set_bounds: variable 'x[a]': bound is not a number or infinite the wrong way")
  T.raises(function() c:set_bounds(y, math.huge, math.huge) end,
           "set_bounds: variable 'y': bound is not a number or infinite the wrong way")
  T.raises(function() c:set_bounds("nope", 0, 1) end, "set_bounds: the model has no constraint 'nope'")
  T.raises(function() c:set_bounds("q", 0, 1) end,
           "set_bounds: constraint 'q' is quadratic; only a linear constraint's limits can change")
  T.raises(function() c:set_bounds(x.a + y, 0, 1) end,
           "set_bounds: expected a variable such as x[\"a\"] or a constraint's name, got an expression")
  T.raises(function() c:set_bounds(2 * y, 0, 1) end,
           "set_bounds: expected a variable such as x[\"a\"] or a constraint's name, got an expression")
  T.raises(function() c:set_bounds(true, 0, 1) end,
           "set_bounds: expected a variable such as x[\"a\"] or a constraint's name, got boolean")
  T.raises(function() c:set_bounds(other, 0, 1) end, "set_bounds: variable 'v' belongs to another model")
  T.raises(function() c:set_bounds(y, "a", 1) end, "(number expected, got string)")
  -- a failed call changes nothing
  T.near(c:solve().objective, 0, 1e-9, "the model after the errors")
end

T.done()
