-- The trade assigner: tiny instances against brute force over all k^n
-- assignments (feasibility judged by the independent validator), lazy
-- scenario generation against the full expansion, the validator catching a
-- broken assignment, the greedy fallback, n = 0, lexicographic priorities,
-- and the configuration errors.
local T = dofile("tests/lua/testlib.lua")
local folio = require "folio"

local config = dofile("tests/data/trade/small.lua")

-- every assignment the accounts accept that holds in every scenario (the
-- validator decides), in odometer order
local function each_feasible(ta, fn)
  local nT, nA = #ta.trades, #ta.accounts
  local assign = {}
  for t = 1, nT do assign[t] = 1 end
  while true do
    local ok = true
    for t = 1, nT do if not ta:allowed(t, assign[t]) then ok = false end end
    if ok and ta:validate(assign).compliant then fn(assign) end
    local t = 1
    while t <= nT do
      assign[t] = assign[t] + 1
      if assign[t] <= nA then break end
      assign[t] = 1
      t = t + 1
    end
    if t > nT then break end
  end
end

-- brute force: the cheapest feasible assignment
local function brute(ta)
  local best, best_assign, count = math.huge, nil, 0
  each_feasible(ta, function(assign)
    count = count + 1
    local c = 0
    for t = 1, #assign do c = c + ta:cost(t, assign[t]) end
    if c < best - 1e-9 then best, best_assign = c, { table.unpack(assign) } end
  end)
  return best, best_assign, count
end

local ta = folio.TradeAssigner(config())
local bcost, bassign, feasible = brute(ta)
T.ok(feasible > 0 and feasible < 3 ^ 6, ("brute force: %d of %d assignments are feasible in all 300 scenarios"):format(feasible, 3 ^ 6))
for _, method in ipairs { "lazy", "full" } do
  local r = ta:solve { method = method }
  T.eq(r.status, "optimal", method .. ": status")
  T.near(r.cost, bcost, 1e-6 * bcost, method .. ": cost equals the brute-force optimum")
  T.ok(ta:validate(r.assignment).compliant, method .. ": the validator finds every limit held in every scenario")
end
local lazy, full = ta:solve { method = "lazy" }, ta:solve { method = "full" }
T.ok(lazy.rows_active < full.rows_active, ("lazy used %d limit rows, the full expansion %d"):format(lazy.rows_active, full.rows_active))

-- the validator catches a hand-broken assignment: everything on PB1
local broken = {}
for t = 1, 6 do broken[t] = 1 end
local v = ta:validate(broken)
T.ok(not v.compliant and #v.breaches > 0, "validator: all trades on PB1 breach a limit")
local names = {}
for _, b in ipairs(v.breaches) do names[b.account .. "/" .. b.limit] = true end
T.ok(names["PB1/cash"] ~= nil, "validator: names PB1's cash limit")

-- greedy: feasible when complete, never cheaper than the optimum
local g = ta:greedy()
if g.complete then
  T.ok(ta:validate(g.assignment).compliant, "greedy: its complete assignment is compliant")
  T.ok(g.cost >= bcost - 1e-9, "greedy: not cheaper than the optimum")
else
  T.ok(#g.unplaced > 0, "greedy: reports the trades it could not place")
end

-- lexicographic: cost first, then headroom among the cost-optimal
local lex = folio.TradeAssigner(config { objectives = { { "financing_cost", priority = 1, rel_tol = 0 },
                                                         { "min_headroom", priority = 2 } } })
local rl = lex:solve()
T.eq(rl.status, "optimal", "lexicographic: status")
T.near(rl.cost, bcost, 1e-6 * bcost, "lexicographic: priority 1 keeps the minimum cost")
T.ok(rl.stages[2] and rl.stages[2].headroom ~= nil, "lexicographic: stage 2 reports its headroom")
local rev = folio.TradeAssigner(config { objectives = { { "min_headroom", priority = 1 }, { "financing_cost", priority = 2 } } })
local rr = rev:solve()
T.ok(rr.stages[1].headroom >= rl.stages[2].headroom - 1e-7, "headroom first is at least headroom second")
T.ok(rr.cost >= rl.cost - 1e-6, "cost second is at least cost first")

-- concentration (the largest gross book) against brute force
do
  local cta = folio.TradeAssigner(config { objectives = { { "concentration" } } })
  local best = math.huge
  each_feasible(cta, function(assign)
    -- the gross book on net positions: sum_s |held + bought - sold| x price
    local net, book = {}, {}
    for a = 1, #cta.accounts do
      net[a] = {}
      for si, q in pairs(cta.accounts[a].pos) do net[a][si] = q end
    end
    for t, a in ipairs(assign) do
      local tr = cta.trades[t]
      net[a][tr.sec] = (net[a][tr.sec] or 0) + (tr.side == "buy" and tr.quantity or -tr.quantity)
    end
    for a = 1, #cta.accounts do
      book[a] = 0
      for si, q in pairs(net[a]) do book[a] = book[a] + math.abs(q) * cta.securities[si].price end
    end
    best = math.min(best, math.max(table.unpack(book)))
  end)
  local rc2 = cta:solve { mip_gap = 1e-9 }
  T.near(rc2.stages[1].concentration, best, 1e-6 * best, "concentration: the largest book equals brute force")
end

-- a MIP stopped without an incumbent falls back to the greedy answer (a solution)
do
  local loose = config()
  for _, acc in ipairs(loose.accounts) do acc.limits[1].rhs = -1e7 end   -- cash limits that never bind
  loose.accounts[1].limits[2].rhs = 1e7                                     -- nor PB1's corporate cap
  local fb = folio.TradeAssigner(loose)
  -- the stage ends as a time limit with no incumbent and a bound
  fb.solve_stage = function() return { status = "time_limit", result = { mip_bound = bcost * 0.99 } } end
  local rf = fb:solve()
  T.eq(rf.status, "fallback", "fallback: status")
  T.eq(rf.has_solution, true, "fallback: a solution")
  T.ok(rf.fallback.complete and fb:validate(rf.assignment).compliant, "fallback: a complete, compliant assignment")
  T.ok(rf.fallback.gap and rf.fallback.gap > 0, ("fallback: gap %.4f to the MIP bound"):format(rf.fallback.gap or -1))
end

-- n = 0
local none = folio.TradeAssigner(config { trades = {} })
local r0 = none:solve()
T.eq(r0.status, "optimal", "no trades: status")
T.eq(#r0.assignment, 0, "no trades: empty assignment")

-- infeasible inputs are explained: corporates nobody accepts ...
local closed = config()
closed.accounts[1].accepts = { "government" }
closed.accounts[2].accepts = { "government" }
local ci = folio.TradeAssigner(closed)
local cr = ci:solve()
T.eq(cr.status, "infeasible", "no account for corporates: infeasible")
T.eq(cr.has_solution, false, "no account for corporates: no assignment")
local cex = ci:explain()
T.ok(#cex.breaches > 0 and cex.breaches[1].reason == "no account accepts corporate",
  "explain: names the trades no account accepts")
-- ... and cash floors no account can meet: each must keep 100k more cash than it has
local tight = config()
for _, acc in ipairs(tight.accounts) do acc.limits[1].rhs = acc.cash + 100000 end
local ti = folio.TradeAssigner(tight)
local rt = ti:solve()
T.eq(rt.status, "infeasible", "infeasible inputs: status")
T.eq(rt.message, "infeasible: PB3 limit 'cash' (cash >= 190000) cannot hold, whichever trades are booked",
  "infeasible inputs: the limit that cannot hold")
local ex = ti:explain()
T.ok(#ex.breaches >= 3, "explain: every account's cash limit must give")
local short = 0
for _, b in ipairs(ex.breaches) do if b.limit == "cash" then short = math.max(short, b.shortfall) end end
T.ok(short >= 100000 - 1e-6, ("explain: by at least the 100k asked (%g)"):format(short))
local rep = ti:report(rt)
local found_why = false
for _, tb in ipairs(rep) do
  if type(tb) == "table" and tb.title and tb.title:find("Why no assignment", 1, true) then found_why = #tb.rows > 0 end
end
T.ok(found_why, "report: the explanation table for an infeasible batch")

-- the report and the audit trail of a solved batch
local rs = ta:solve()
local rp = ta:report(rs)
T.eq(rp[1].status, "optimal", "report: summary status")
T.eq(rp[1].compliant, true, "report: summary says compliant")
T.eq(rp[2], rs, "report: the result itself, which prints the assignment")
local audit = os.tmpname()
ta:write_audit(rs, audit)
local aj = folio.read_json(audit)
os.remove(audit)
T.eq(#aj.trades, 6, "audit: one entry per trade")
T.ok(aj.digests.accounts and #aj.digests.accounts == 64, "audit: a SHA-256 digest of the accounts")
T.eq(aj.scenarios.seed, 11, "audit: the scenario seed")
T.ok(#aj.stages >= 1 and aj.stages[1].status ~= nil and aj.rounds[1].solver ~= nil, "audit: status per stage, solver per round")

-- Cbc gives the same optimum
local rc = ta:solve { solver = "cbc" }
T.near(rc.cost, bcost, 1e-6 * bcost, "cbc: cost equals the brute-force optimum")

-- configuration errors, one line each, on the caller's line
local function cfg_without_accounts(n)
  local c = config()
  local acc = {}
  for i = 1, n do acc[i] = c.accounts[((i - 1) % 3) + 1] end
  for i = 1, n do acc[i] = setmetatable({}, { __index = acc[i] }) end
  local out = {}
  for i = 1, n do
    local a = {}
    for k, val in pairs(c.accounts[((i - 1) % 3) + 1]) do a[k] = val end
    a.name = "PB" .. i
    out[i] = a
  end
  c.accounts = out
  return c
end
T.raises_exact(function() folio.TradeAssigner(cfg_without_accounts(1)) end,
  "TradeAssigner: 1 accounts; between 2 and 5 are supported", "k = 1")
T.raises_exact(function() folio.TradeAssigner(cfg_without_accounts(6)) end,
  "TradeAssigner: 6 accounts; between 2 and 5 are supported", "k = 6")
local bad = config()
bad.trades[2] = { id = "t2", side = "hold", security = "ACME", quantity = 1 }
T.raises_exact(function() folio.TradeAssigner(bad) end, "TradeAssigner: trade 't2': side must be 'buy' or 'sell' (got 'hold')", "bad side")
bad = config()
bad.trades[2] = { id = "t2", side = "buy", security = "NOPE", quantity = 1 }
T.raises_exact(function() folio.TradeAssigner(bad) end, "TradeAssigner: trade 't2': unknown security 'NOPE'", "unknown security")
bad = config()
bad.accounts[1].limits[2] = { name = "x", lhs = "leverage", sense = "<=", rhs = 1 }
T.raises_exact(function() folio.TradeAssigner(bad) end, "TradeAssigner: account 'PB1', limit 'x': unknown metric 'leverage'", "unknown metric")
bad = config()
bad.accounts[2].limits[2] = { name = "x", lhs = "mv", sense = "<", rhs = 1 }
T.raises_exact(function() folio.TradeAssigner(bad) end, "TradeAssigner: account 'PB2', limit 'x': sense must be '<=' or '>='", "bad sense")
T.raises_exact(function() folio.TradeAssigner(config { solvr = "cbc" }) end, "TradeAssigner: unknown option 'solvr' "
  .. "(did you mean 'solver'? options: accounts, combine, days, initial_scenarios, max_rounds, method, mip_gap, objectives, scenarios, "
  .. "securities, solver, time_limit, trades, verbose)", "misspelt option")
bad = config()
bad.trades[3] = { id = "t1", side = "buy", security = "UST5", quantity = 1 }
T.raises_exact(function() folio.TradeAssigner(bad) end, "TradeAssigner: duplicate trade id 't1'", "duplicate trade")
T.done()
