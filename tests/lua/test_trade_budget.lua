-- time_limit is the budget of the whole batch (issue 15, item 5): every
-- lazy round, priority stage, model build and check. The full expansion
-- at N = 1,000 (21,000 rows of up to 200 nonzeros) with a small budget
-- ends within a second of it, and the result says how the time was spent.
-- Wall-time test: RUN_SERIAL in tests/CMakeLists.txt.
local T = dofile("tests/lua/testlib.lua")
local folio = require "folio"

local base = dofile("tests/data/trade/demo.lua")
local function demo(extra)
  extra.method = extra.method or "full"
  return base(extra)
end

local function spent(r)
  local t = r.timing
  return t.build + t.solve + t.check + t.fallback + t.conflict + t.other
end

-- GLPK (the default): a 2 s budget ends while the full expansion is built
-- (GLPK's presolve and scaling of 4 million nonzeros do not poll the time
-- limit, so the assigner must not start them past the deadline)
for _, case in ipairs { { solver = "glpk", budget = 2 }, { solver = "cbc", budget = 6 } } do
  local ta = demo { solver = case.solver, time_limit = case.budget }
  local t0 = folio.now()
  local r = ta:solve()
  local wall = folio.now() - t0
  local what = ("%s, full, N = 1,000, time_limit = %g"):format(case.solver, case.budget)
  T.ok(wall <= case.budget + 1, ("%s: the batch took %.2f s"):format(what, wall))
  T.ok(r.solve_time <= case.budget + 1, ("%s: solve_time %.2f s"):format(what, r.solve_time))
  T.near(spent(r), r.timing.total, 1e-9, what .. ": build, solve, check, fallback, conflict and other add up")
  T.near(r.timing.total, r.solve_time, 1e-9, what .. ": the timing's total is the solve_time")
  T.ok(r.has_solution, what .. ": an assignment (the fallback's when the MIP had none)")
  if r.has_solution then T.ok(ta:validate(r.assignment).compliant, what .. ": compliant") end
end
-- the lazy method at a budget that lets stage 1 finish: the budget covers
-- both stages together
local ta = demo { method = "lazy", time_limit = 4 }
local t0 = folio.now()
local r = ta:solve()
local wall = folio.now() - t0
T.ok(wall <= 5, ("lazy, both stages under one 4 s budget: %.2f s"):format(wall))
local rounds = 0
for _ in ipairs(r.log) do rounds = rounds + 1 end
T.ok(rounds >= 1, ("lazy: %d MIP rounds ran within the budget"):format(rounds))
T.done()
