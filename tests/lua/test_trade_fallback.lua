-- The fallback heuristic (issue 15, item 4): when the MIP stops without an
-- incumbent, a regret-ordered greedy, repair moves and cost-improving
-- moves and swaps, each checked in C against every scenario, place the
-- demo's 200 trades; the validator (raw recomputation) confirms every
-- limit holds in all 1,000 scenarios. Unplaced trades are reported only
-- when no move places them, and the gap is against a real MIP bound or
-- absent.
local T = dofile("tests/lua/testlib.lua")
local folio = require "folio"

local demo = dofile("tests/data/trade/demo.lua")

-- the MIP given 0.001 s: every trade placed, compliant
local ta = demo { time_limit = 0.001 }
local r = ta:solve()
T.eq(r.status, "fallback", "time_limit = 0.001: the fallback's answer")
T.eq(r.has_solution, true, "time_limit = 0.001: a solution")
T.eq(#r.fallback.unplaced, 0, "time_limit = 0.001: no trade left unplaced")
local placed = 0
for _, a in ipairs(r.assignment) do if a > 0 then placed = placed + 1 end end
T.eq(placed, 200, "time_limit = 0.001: all 200 trades placed")
local v = ta:validate(r.assignment)
T.ok(v.compliant, ("the validator: every limit holds in all 1,000 scenarios (%d breaches)"):format(#v.breaches))
for t, a in ipairs(r.assignment) do
  if not ta:allowed(t, a) then T.ok(false, "trade " .. t .. " booked to an account that refuses its type") end
end
-- the gap: against a finite MIP bound, or none (never a huge number)
T.ok(r.fallback.gap == nil or (r.fallback.gap >= 0 and r.fallback.gap < 1),
  ("the fallback's gap is absent or a fraction (%s)"):format(tostring(r.fallback.gap)))
T.ok(r.timing.fallback > 0 and r.timing.fallback < 5, ("the fallback took %.2f s"):format(r.timing.fallback))
T.near(r.cost, ta:validate(r.assignment) and require("folio.trade_solve").financing(ta, r.assignment), 1e-6,
  "the fallback's cost is its assignment's financing")
-- with a bound from the MIP, the gap is (value - bound) / value
local tb = demo { time_limit = 30 }
tb.solve_stage = function() return { status = "time_limit", result = { mip_bound = 40000 } } end
local rb = tb:solve()
T.eq(rb.status, "fallback", "a stage with a bound and no incumbent: the fallback")
T.near(rb.fallback.gap, (rb.cost - 40000) / rb.cost, 1e-12, "the gap against the MIP's bound on financing cost")
local tc = demo { time_limit = 30 }
tc.solve_stage = function() return { status = "time_limit", result = { mip_bound = 8.4e305 } } end
local rc = tc:solve()
T.eq(rc.fallback.gap, nil, "a bound above the fallback's value is no bound: no gap")

-- the heuristic's incremental checker against the full check: with half
-- the trades booked, every move's worst excess (state:try) equals the C
-- check of the moved assignment, and its bounded form (try with a stop,
-- which skips the scan when a bound fits) gives the same yes or no
do
  local T3 = require("folio.core").trade
  local st = T3.state(ta.limits_c, ta.scen)
  local assign = {}
  for t = 1, 200 do
    assign[t] = t % 2 == 0 and r.assignment[t] or 0
    if assign[t] > 0 then st:book(t, assign[t]) end
  end
  -- the worst excess over the rows of accounts a and b (C's full check)
  local function full_check(moved, a, b)
    local _, worst = T3.check(ta.limits_c, ta.scen, moved, 1e-9, 0)
    local want = -math.huge
    for row, w in ipairs(worst) do
      local acc = ta.rows.account[row]
      if acc == a or acc == b then want = math.max(want, w[2] - ta.rows.rhs[row]) end
    end
    return want
  end
  local agree, same, checked, fits = 0, 0, 0, 0
  for t = 1, 200, 7 do
    for a = 1, 5 do
      if ta:allowed(t, a) then
        checked = checked + 1
        local moved = { table.unpack(assign) }
        moved[t] = a
        local want = full_check(moved, a, assign[t])
        local got = st:try(t, a)
        if math.abs(got - want) <= 1e-6 * (1 + math.abs(want)) then same = same + 1 end
        if (st:try(t, a, 1e-9) <= 1e-9) == (got <= 1e-9) then agree = agree + 1 end
        if got <= 1e-9 then fits = fits + 1 end
      end
    end
  end
  T.eq(same, checked, ("state:try equals the full check on %d moves"):format(checked))
  T.eq(agree, checked, "the bounded try gives the same answer on every move")
  T.ok(fits > 0 and fits < checked, ("moves that fit (%d) and moves that break a limit (%d)"):format(fits, checked - fits))
  -- swaps of two booked trades between their accounts, likewise
  local sw_same, sw_agree, sw_n, sw_fit = 0, 0, 0, 0
  for t1 = 2, 200, 14 do
    for t2 = 4, 200, 10 do
      local a, b = assign[t1], assign[t2]
      if a > 0 and b > 0 and a ~= b and ta:allowed(t1, b) and ta:allowed(t2, a) then
        sw_n = sw_n + 1
        local moved = { table.unpack(assign) }
        moved[t1], moved[t2] = b, a
        local want = full_check(moved, a, b)
        local got = st:try_swap(t1, t2)
        if math.abs(got - want) <= 1e-6 * (1 + math.abs(want)) then sw_same = sw_same + 1 end
        if (st:try_swap(t1, t2, 1e-9) <= 1e-9) == (got <= 1e-9) then sw_agree = sw_agree + 1 end
        if got <= 1e-9 then sw_fit = sw_fit + 1 end
      end
    end
  end
  T.eq(sw_same, sw_n, ("state:try_swap equals the full check on %d swaps"):format(sw_n))
  T.eq(sw_agree, sw_n, "the bounded try_swap gives the same answer on every swap")
  T.ok(sw_n > 20 and sw_fit > 0, ("swaps that fit (%d of %d)"):format(sw_fit, sw_n))
end

-- a small instance the greedy alone cannot finish (t3 fits nowhere once
-- t1 and t2 are booked at their cheapest), and no single move repairs:
-- booking t3 at X and swapping t1 (X) with t2 (Y) does. Never below the
-- exact optimum.
local small = folio.TradeAssigner {
  securities = { { id = "A", type = "g", price = 100, vol = 0.01 }, { id = "B", type = "c", price = 90, vol = 0.01 } },
  trades = { { id = "t1", side = "buy", security = "A", quantity = 600 },
             { id = "t2", side = "buy", security = "B", quantity = 500 },
             { id = "t3", side = "buy", security = "A", quantity = 300 } },
  accounts = {
    { name = "X", cash = 0, financing = { default = 0.01 }, metrics = { mv = { default = 1 } },
      limits = { { name = "cap", lhs = "mv", sense = "<=", rhs = 80000 } } },
    { name = "Y", cash = 0, financing = { default = 0.02 }, metrics = { mv = { default = 1 } },
      limits = { { name = "cap", lhs = "mv", sense = "<=", rhs = 66000 } } },
  },
  scenarios = { n = 50, seed = 3 },
}
local g = small:greedy()
T.ok(g.complete and small:validate(g.assignment).compliant, "small: complete and compliant")
T.eq(table.concat(g.assignment, ","), "2,1,1", "small: t1 at Y, t2 and t3 at X (the only compliant assignment)")
T.ok(g.phases[2].moves >= 2, ("small: placed by the repair phase's swap (%d moves)"):format(g.phases[2].moves or 0))
local ro = small:solve { mip_gap = 0 }
T.ok(g.cost >= ro.cost - 1e-9, ("small: the heuristic's %.2f is not below the optimum %.2f"):format(g.cost, ro.cost))
-- an impossible trade is reported, the others placed
local imp = folio.TradeAssigner {
  securities = { { id = "A", type = "g", price = 100, vol = 0.02 } },
  trades = { { id = "ok", side = "buy", security = "A", quantity = 100 },
             { id = "huge", side = "buy", security = "A", quantity = 100000 } },
  accounts = {
    { name = "X", cash = 0, financing = { default = 0.01 }, metrics = { mv = { default = 1 } },
      limits = { { name = "cap", lhs = "mv", sense = "<=", rhs = 70000 } } },
    { name = "Y", cash = 0, financing = { default = 0.02 }, metrics = { mv = { default = 1 } },
      limits = { { name = "cap", lhs = "mv", sense = "<=", rhs = 50000 } } },
  },
  scenarios = { n = 20, seed = 3 },
}
local gi = imp:greedy()
T.eq(gi.complete, false, "a trade larger than every account: incomplete")
T.eq(table.concat(gi.unplaced, ","), "huge", "only that trade is reported unplaced")
T.eq(gi.assignment[1], 1, "the other trade placed at the cheaper account")
T.done()
