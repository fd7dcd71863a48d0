-- Family tables keep integer keys 1..n in their array part (issue 17, the
-- lean build): every kind of index set must still map each key to its own
-- variable, refuse keys outside the set (holes of the array part too), and
-- sum and solve the same.
-- Run from the repo root: build/folio run tests/lua/test_family_keys.lua
local T = dofile("tests/lua/testlib.lua")
local folio = require "folio"

local sets = {
  { name = "one_to_n", keys = { 1, 2, 3, 4, 5 }, absent = { 0, 6, -1 } },
  { name = "zero_based", keys = { 0, 1, 2, 3 }, absent = { -1, 4 } },
  { name = "shuffled", keys = { 3, 1, 2 }, absent = { 0, 4 } },
  { name = "holes", keys = { 2, 3 }, absent = { 1, 4 } },          -- array slot 1 stays empty
  { name = "sparse", keys = { 1, 7, 100, 2 }, absent = { 3, 6, 99 } },
  { name = "negative", keys = { -2, -1, 1 }, absent = { 0, 2 } },
  { name = "mixed", keys = { 1, "a", 2, "b" }, absent = { 3, "c" } },
  { name = "strings", keys = { "x", "y" }, absent = { 1 } },
  { name = "float", keys = { 0.5, 1, 2.5 }, absent = { 2, 1.5 } },
}

for _, s in ipairs(sets) do
  local m = folio.model(s.name)
  local x = m:var("x", s.keys, { ub = 1 })
  for _, k in ipairs(s.keys) do
    T.eq(tostring(x[k]), "x[" .. tostring(k) .. "]", s.name .. ": x[" .. tostring(k) .. "]")
  end
  for _, k in ipairs(s.absent) do
    T.raises(function() return x[k] end, "unknown index '" .. tostring(k) .. "' for x",
      s.name .. ": x[" .. tostring(k) .. "] is not in the set")
  end
  -- each column once, in the set's order
  m:maximize(folio.sum(x))
  local r = m:solve()
  T.near(r.objective, #s.keys, 1e-12, s.name .. ": sum over the family")
end

-- Two levels, the inner one over keys 0..n: every pair its own column.
do
  local m = folio.model("two")
  local I, J = { 0, 1, 2 }, { 2, 1 }
  local y = m:var("y", { I, J }, { lb = 0, ub = 10 })
  local seen, n = {}, 0
  for _, i in ipairs(I) do
    for _, j in ipairs(J) do
      local name = tostring(y[i][j])
      T.eq(name, string.format("y[%d,%d]", i, j), "two levels: " .. name)
      T.ok(not seen[name], "two levels: " .. name .. " once")
      seen[name] = true
      n = n + 1
    end
  end
  T.raises(function() return y[3] end, "unknown index '3' for y (index 1 of 2)", "two levels: outer key absent")
  T.raises(function() return y[0][3] end, "unknown index '3' for y (index 2 of 2)", "two levels: inner key absent")
  -- y[i][j] <= i + j, maximise the sum: the optimum names every column once
  m:st("cap", { I, J }, function(i, j) return y[i][j], "<=", i + j end)
  m:maximize(folio.sum(y))
  local r = m:solve()
  local want = 0
  for _, i in ipairs(I) do for _, j in ipairs(J) do want = want + i + j end end
  T.near(r.objective, want, 1e-9, "two levels: sum of the bounds")
  T.eq(n, 6, "two levels: six columns")
end

T.done()
