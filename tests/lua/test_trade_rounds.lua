-- The lazy method's rounds (docs/trade_assignment.md, "Lazy scenarios"):
-- rounds that discover violated rows solve to a loose gap; once one adds
-- nothing, the answer is final if its own gap is within the target (no
-- extra solve at the target gap), and the stage's answer holds in every
-- scenario with the gap it reports.
local T = dofile("tests/lua/testlib.lua")
local demo = dofile("tests/data/trade/demo.lua")

local target = 5e-3
local ta = demo { method = "lazy", solver = "cbc", mip_gap = target,
                  objectives = { { "financing_cost", priority = 1 } } }
local r = ta:solve()
T.eq(r.status, "optimal", "the cost stage closes its gap")
T.ok(ta:validate(r.assignment).compliant, "the answer holds in every scenario")
local log = r.log
T.ok(#log >= 2, ("%d rounds: the nominal and worst-case rows alone are not enough on the demo"):format(#log))
for i, l in ipairs(log) do
  if i < #log then
    -- a round that added nothing ends the loop when its gap is within the
    -- target; only one that did not may be followed by another round
    local final = l.added == 0 and l.status == "optimal" and l.gap <= target
    T.ok(not final, ("round %d (added %d, gap %.3g) is final, yet round %d followed"):format(i, l.added, l.gap, i + 1))
  end
end
local last = log[#log]
T.eq(last.added, 0, "the last round adds no row")
T.ok(last.gap <= target, ("the last round's gap %.3g is within %g"):format(last.gap, target))
T.near(r.cost, last.objective, 1e-6, "the stage's cost is the last round's objective")
T.near(r.stages[1].gap, last.gap, 1e-12, "the stage reports the last round's gap")
T.done()
