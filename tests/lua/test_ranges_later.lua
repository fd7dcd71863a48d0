-- LP sensitivity ranges on demand (issue 17): a default solve keeps its
-- optimal basis and r:ranges() computes the ranges from it when first
-- asked. They must equal the ranges computed at the solve (ranges = true)
-- on every LP path (GLPK presolved, GLPK's primal simplex, Clp), for
-- maximisation and minimisation, on a degenerate LP and on a random one;
-- ranges = false computes none; a model changed since the solve, a MIP and
-- the interior-point method give errors.
local T = dofile("tests/lua/testlib.lua")
local folio = require "folio"

local function same_ranges(a, b, what)
  local worst, n = 0, 0
  for _, part in ipairs { "objective", "rhs" } do
    for name, r in pairs(b[part]) do
      local q = a[part][name]
      if not q then
        T.ok(false, what .. ": " .. part .. " " .. name .. " missing")
        return
      end
      for _, f in ipairs { "lo", "hi", "value" } do
        local x, y = q[f], r[f]
        if x ~= y then   -- equal infinities compare equal
          local d = math.abs(x - y) / math.max(1, math.abs(y))
          if d ~= d or d == math.huge then d = math.huge end
          worst = math.max(worst, d)
        end
      end
      n = n + 1
    end
  end
  T.ok(n > 0 and worst <= 1e-9, string.format("%s: %d ranges equal (worst relative difference %.3g)", what, n, worst))
end

-- the plant LP (a vertex where x's bound and plant3 meet) in both senses
local function plant(sense)
  local m = folio.model("plant_" .. sense)
  local x = m:var("x", nil, { lb = 0 })
  local y = m:var("y", nil, { lb = 0 })
  m:st("plant1", x, "<=", 4)
  m:st("plant2", 2 * y, "<=", 12)
  m:st("plant3", 3 * x + 2 * y, "<=", 18)
  if sense == "max" then m:maximize(3 * x + 5 * y) else m:minimize(-3 * x - 5 * y) end
  return m, x, y
end

-- a degenerate LP: three constraints binding at an optimum in two variables
local function degenerate()
  local m = folio.model("degenerate")
  local x = m:var("x", nil, { lb = 0 })
  local y = m:var("y", nil, { lb = 0 })
  m:st("a", x + y, "<=", 2)
  m:st("b", x, "<=", 1)
  m:st("c", y, "<=", 1)
  m:st("d", x - y, ">=", -5)
  m:maximize(x + y)
  return m
end

-- a random feasible, bounded LP with equality, range and free rows
local function random_lp(seed, rows, cols)
  local state = seed
  local function rnd()
    state = (state * 1103515245 + 12345) % 2147483648
    return state / 2147483648
  end
  local m = folio.model("random" .. seed)
  local J = {}
  for j = 1, cols do J[j] = j end
  local x = m:var("x", J, { lb = 0, ub = 10 })
  for i = 1, rows do
    local e = 0
    for j = 1, cols do
      if rnd() < 0.3 then e = e + math.floor(rnd() * 9 - 3) * x[j] end
    end
    local kind = i % 4
    if kind == 0 then m:st("r" .. i, e, "<=", 20 + rnd() * 10)
    elseif kind == 1 then m:st("r" .. i, e, ">=", -20 - rnd() * 10)
    elseif kind == 2 then m:st("r" .. i, {1}, function() return -30, "<=", e, "<=", 25 end)   -- a range
    else m:st("r" .. i, e, "<=", 40) end
  end
  local obj = 0
  for j = 1, cols do obj = obj + (rnd() * 2 - 0.7) * x[j] end
  m:maximize(obj)
  return m
end

local paths = {
  { "glpk (presolve, dual simplex)", { solver = "glpk" } },
  { "glpk (primal simplex)", { solver = "glpk", method = "simplex" } },
  { "clp", { solver = "clp" } },
}
local models = {
  { "plant max", plant("max") }, { "plant min", plant("min") }, { "degenerate", degenerate() },
  { "random 60x80", random_lp(7, 60, 80) }, { "random 120x90", random_lp(11, 120, 90) },
}
for _, mm in ipairs(models) do
  for _, p in ipairs(paths) do
    local what = mm[1] .. ", " .. p[1]
    local opts = {}
    for k, v in pairs(p[2]) do opts[k] = v end
    local later = mm[2]:solve(opts)
    T.eq(later.status, "optimal", what .. ": status")
    opts.ranges = true
    local now = mm[2]:solve(opts)
    same_ranges(later:ranges(), now:ranges(), what .. ": on demand = at the solve")
    same_ranges(later:ranges(), now:ranges(), what .. ": asked twice")
    T.near(later.objective, now.objective, 1e-9, what .. ": same optimum")
  end
end

-- the auto choice with its defaults keeps a basis too
local r = plant("max"):solve()
T.eq(r:ranges().rhs.plant3.lo, 12, "auto: plant3's range computed on demand (lo)")
T.eq(r:ranges().rhs.plant3.hi, 24, "auto: plant3's range computed on demand (hi)")

-- ranges = false: none, as before
local m = plant("max")
local none = m:solve { ranges = false }
T.raises_exact(function() return none:ranges() end,
  "ranges: not computed: solve with {ranges = true} (and the simplex method)", "ranges = false")

-- the model changed since the solve: refused, not answered for another model
for _, p in ipairs(paths) do
  local mc = plant("max")
  local rc = mc:solve(p[2])
  mc:st("extra", mc:var("z", nil, { lb = 0 }), "<=", 1)
  T.raises_exact(function() return rc:ranges() end,
    "ranges: the model changed since this solve: solve it again for its ranges", p[1] .. ": model changed")
  local mo = plant("max")
  local ro = mo:solve(p[2])
  mo:minimize(0)
  T.raises(function() return ro:ranges() end, "solve it again for its ranges", p[1] .. ": objective's sense changed")
  local mr, x, y = plant("max")
  local rr = mr:solve(p[2])
  -- the same sense, other coefficients (the old basis is no longer optimal)
  mr:maximize(5 * x + 1 * y)
  T.raises(function() return rr:ranges() end, "solve it again for its ranges", p[1] .. ": objective replaced")
end

-- a MIP and the interior-point method: no basis to range from
local mip = folio.model("mip")
local k = mip:var("k", nil, { lb = 0, ub = 5, kind = "integer" })
mip:st("c", 2 * k, "<=", 7)
mip:maximize(k)
local rm = mip:solve()
T.raises_exact(function() return rm:ranges() end, "ranges: sensitivity ranges are defined for LPs only", "MIP")
local ri = plant("max"):solve { solver = "glpk", method = "interior" }
T.eq(ri.status, "optimal", "interior: status")
T.raises(function() return ri:ranges() end, "(and the simplex method)", "interior: none")

T.done()
