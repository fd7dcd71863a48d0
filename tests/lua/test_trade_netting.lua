-- Net positions (issue 15, item 1): every metric is computed on each
-- account's post-trade NET position per security, with side-dependent
-- weights applied to the net. Checked against hand figures (a sale into a
-- long position; a buy and a sell of one security on one account) and a
-- brute force over every assignment of a small instance whose trades flip
-- signs, written here from the raw inputs (no folio code computes it).
local T = dofile("tests/lua/testlib.lua")
local folio = require "folio"

-- 1. sell 100 of a long 1,000 @ 100: gross 90,000 (not 110,000)
local function one(trades, positions)
  return folio.TradeAssigner {
    securities = { { id = "B", type = "govt", price = 100, accrued = 0, vol = 0.01 },
                   { id = "C", type = "corp", price = 50, accrued = 1, vol = 0.02 } },
    trades = trades,
    accounts = {
      { name = "P1", cash = 0, positions = positions, financing = { default = 0.01 },
        metrics = { gross = { default = 1, by_side = { short = -1 } },
                    coll = { default = 0.9, by_side = { short = 1.1 } } },
        limits = { { name = "gross_cap", lhs = "gross", sense = "<=", rhs = 1e9 } } },
      { name = "P2", cash = 0, financing = { default = 0.02 }, metrics = { gross = { default = 1, by_side = { short = -1 } } },
        limits = { { name = "gross_cap", lhs = "gross", sense = "<=", rhs = 1e9 } } },
    },
  }
end
local function metric(v, acc, name)
  for _, a in ipairs(v.accounts) do
    if a.name == acc then
      for _, m in ipairs(a.metrics) do if m.name == name then return m.after, m.before end end
    end
  end
end
local ta = one({ { id = "s1", side = "sell", security = "B", quantity = 100 } }, { B = 1000 })
local v = ta:validate { 1 }
T.near(metric(v, "P1", "gross"), 90000, 1e-9, "sell 100 of a long 1,000 @ 100: gross 90,000")
T.near(select(2, metric(v, "P1", "gross")), 100000, 1e-9, "the gross before the sale: 100,000")
T.near(metric(v, "P1", "coll"), 0.9 * 90000, 1e-9, "the long haircut applies to the 900 left")
T.near(v.accounts[1].cash, 10000, 1e-9, "the sale's proceeds are cash")
-- the assigner's own figure agrees: the largest gross book is P1's 90,000
local r = ta:solve()
T.eq(r.status, "optimal", "the sale: solved")
T.near(folio.TradeAssigner and require("folio.trade_solve").gross_books(ta, { 1 })[1], 90000, 1e-9,
  "the assigner's gross book of P1 after the sale")
-- selling 1,500 of the 1,000 flips the position: gross 500 x 100 at the short weights
local flip = one({ { id = "s1", side = "sell", security = "B", quantity = 1500 } }, { B = 1000 })
local vf = flip:validate { 1 }
T.near(metric(vf, "P1", "gross"), 50000, 1e-9, "sell 1,500 of a long 1,000: gross 50,000")
T.near(metric(vf, "P1", "coll"), 0.9 * 1.1 * -50000, 1e-9, "a short net position takes the short weight")

-- 2. a buy and a sell of one security on one account net out
local bs = one({ { id = "b", side = "buy", security = "C", quantity = 300 },
                 { id = "s", side = "sell", security = "C", quantity = 200 } }, {})
local vb = bs:validate { 1, 1 }
T.near(metric(vb, "P1", "gross"), 100 * 51, 1e-9, "buy 300 and sell 200 of C: gross 100 x 51 (price + accrued)")
T.near(vb.accounts[1].cash, -300 * 51 + 200 * 51, 1e-9, "buy 300 and sell 200: cash -5,100")
local vsplit = bs:validate { 1, 2 }
T.near(metric(vsplit, "P1", "gross") + metric(vsplit, "P2", "gross"), 500 * 51, 1e-9,
  "the same trades on two accounts: gross 300 + 200 lots")
-- the concentration objective sees the netting: both trades go to one account
local bsc = one({ { id = "b", side = "buy", security = "C", quantity = 300 },
                  { id = "s", side = "sell", security = "C", quantity = 200 } }, {})
bsc.objectives = { { kind = "concentration", weight = 1, priority = 1, abs_tol = 0, rel_tol = 1e-9, index = 1 } }
local rc = bsc:solve()
T.eq(rc.assignment[1], rc.assignment[2], "concentration: a buy and a sale of C net on one account")
T.near(rc.objective, 100 * 50, 1e-6, "concentration: the netted book 100 x 50 (nominal price)")

-- 3. brute force over a small instance whose trades flip signs
local data = {
  securities = {
    { id = "G1", type = "government", price = 99, accrued = 0.5, vol = 0.02 },
    { id = "G2", type = "government", price = 101, accrued = 0.2, vol = 0.03 },
    { id = "H1", type = "high_yield", price = 80, accrued = 1.5, vol = 0.08 },
    { id = "H2", type = "high_yield", price = 70, accrued = 0.9, vol = 0.10 },
  },
  trades = {
    { id = "a", side = "sell", security = "G1", quantity = 600 },   -- flips P1's long 400
    { id = "b", side = "buy", security = "H1", quantity = 300 },
    { id = "c", side = "sell", security = "H1", quantity = 500 },   -- flips P2's long 200 or a buy
    { id = "d", side = "buy", security = "G2", quantity = 700 },
    { id = "e", side = "sell", security = "G2", quantity = 300 },   -- nets against d
    { id = "f", side = "buy", security = "H2", quantity = 400 },
    { id = "g", side = "sell", security = "G1", quantity = 250 },
  },
  accounts = {
    { name = "P1", cash = 60000, positions = { G1 = 400, H2 = -100 },
      financing = { government = { long = 0.004, short = 0.002 }, high_yield = { long = 0.02, short = 0.012 } },
      metrics = { gross = { default = 1, by_side = { short = -1 } }, equity = { default = 1, cash = 1 },
                  hy = { by_type = { high_yield = 1 }, by_side = { short = -1 } },
                  coll = { by_type = { government = 0.98, high_yield = 0.7 }, by_side = { short = 1.15 } } },
      limits = { { name = "leverage", ratio = { "gross", "<=", 4, "equity" } },
                 { name = "hy_share", ratio = { "hy", "<=", 0.45, "gross" } },
                 { name = "margin", lhs = { cash = 1, coll = 1 }, sense = ">=", rhs = 0 } } },
    { name = "P2", cash = 50000, positions = { H1 = 200, G2 = 100 },
      financing = { government = { long = 0.003, short = 0.0025 }, high_yield = { long = 0.025, short = 0.01 } },
      metrics = { gross = { default = 1, by_side = { short = -1 } }, equity = { default = 1, cash = 1 },
                  hy = { by_type = { high_yield = 1 }, by_side = { short = -1 } },
                  coll = { by_type = { government = 0.97, high_yield = 0.65 }, by_side = { short = 1.2 } } },
      limits = { { name = "leverage", ratio = { "gross", "<=", 4, "equity" } },
                 { name = "hy_share", ratio = { "hy", "<=", 0.5, "gross" } },
                 { name = "margin", lhs = { cash = 1, coll = 1 }, sense = ">=", rhs = 0 } } },
    { name = "P3", cash = 40000, positions = { G2 = 150 },
      financing = { government = { long = 0.005, short = 0.003 }, high_yield = { long = 0.018, short = 0.011 } },
      metrics = { gross = { default = 1, by_side = { short = -1 } }, equity = { default = 1, cash = 1 },
                  hy = { by_type = { high_yield = 1 }, by_side = { short = -1 } } },
      limits = { { name = "leverage", ratio = { "gross", "<=", 3, "equity" } },
                 { name = "hy_share", ratio = { "hy", "<=", 0.3, "gross" } } } },
  },
  scenarios = { n = 200, seed = 5, dist = "t", df = 6, correlation = { within_type = 0.5, across = 0.2 } },
  days = 30,
}

-- the raw recomputation: net books, every metric by its side, each limit in every scenario
local function brute(ta, factors)
  local secs, trades, accs = data.securities, data.trades, data.accounts
  local sidx = {}
  for i, s in ipairs(secs) do sidx[s.id] = i end
  local function weight(m, sec, side)
    local w = (m.by_type and m.by_type[sec.type]) or m.default or 0
    local sw = m.by_side and m.by_side[side] or 1
    return w * sw
  end
  local function rate(acc, tr)
    local r = acc.financing[secs[sidx[tr.security]].type]
    return r[tr.side == "buy" and "long" or "short"]
  end
  local function feasible(assign)
    for a, acc in ipairs(accs) do
      local net, cash = {}, acc.cash
      for id, q in pairs(acc.positions) do net[sidx[id]] = q end
      for t, tr in ipairs(trades) do
        if assign[t] == a then
          local sg = tr.side == "buy" and 1 or -1
          net[sidx[tr.security]] = (net[sidx[tr.security]] or 0) + sg * tr.quantity
          cash = cash - sg * tr.quantity * (secs[sidx[tr.security]].price + secs[sidx[tr.security]].accrued)
        end
      end
      for k = 0, #factors do
        local f = factors[k]
        local function M(name)
          if name == "cash" then return cash end
          local m = acc.metrics[name]
          local v = (m.cash or 0) * cash
          for s, q in pairs(net) do
            local px = secs[s].price * (f and f[s] or 1) + secs[s].accrued
            v = v + weight(m, secs[s], q >= 0 and "long" or "short") * q * px
          end
          return v
        end
        for _, lim in ipairs(acc.limits) do
          local lhs, sense, rhs
          if lim.ratio then
            lhs, sense, rhs = M(lim.ratio[1]) - lim.ratio[3] * M(lim.ratio[4]), lim.ratio[2], 0
          else
            lhs = 0
            local terms = type(lim.lhs) == "string" and { [lim.lhs] = 1 } or lim.lhs
            for name, c in pairs(terms) do lhs = lhs + c * M(name) end
            sense, rhs = lim.sense, lim.rhs
          end
          local excess = sense == "<=" and lhs - rhs or rhs - lhs
          if excess > 1e-6 * (1 + math.abs(rhs)) then return false end
        end
      end
    end
    return true
  end
  local best, best_assign, nfeas = math.huge, nil, 0
  local assign = {}
  for t = 1, #trades do assign[t] = 1 end
  local flips = 0
  while true do
    if feasible(assign) then
      nfeas = nfeas + 1
      local c = 0
      for t, tr in ipairs(trades) do
        local sec = secs[sidx[tr.security]]
        c = c + rate(accs[assign[t]], tr) * tr.quantity * (sec.price + sec.accrued) * data.days / 360
      end
      if c < best - 1e-9 then best, best_assign = c, { table.unpack(assign) } end
    end
    local t = 1
    while t <= #trades do
      assign[t] = assign[t] + 1
      if assign[t] <= #accs then break end
      assign[t] = 1
      t = t + 1
    end
    if t > #trades then break end
    flips = flips + 1
  end
  return best, best_assign, nfeas
end

local tb = folio.TradeAssigner(data)
local factors = {}
for k = 1, 200 do
  local row = tb:scenarios():row(k)
  factors[k] = row
end
local best, best_assign, nfeas = brute(tb, factors)
T.ok(nfeas > 0 and nfeas < 3 ^ 7, ("brute force: %d of %d assignments hold every limit in all 200 scenarios"):format(nfeas, 3 ^ 7))
-- the optimum flips a sign somewhere (else this instance tests nothing new)
do
  local net = require("folio.trade_solve").books(tb, best_assign)
  local flipped = false
  for a, acc in ipairs(tb.accounts) do
    for s, q in pairs(net[a]) do
      local q0 = acc.pos[s] or 0
      if q0 * q < 0 then flipped = true end
    end
  end
  for t = 1, #data.trades do
    local tr = tb.trades[t]
    local n = net[best_assign[t]][tr.sec] or 0
    if tr.sign * n < 0 then flipped = true end   -- a trade against the net side
  end
  T.ok(flipped, "the brute-force optimum nets a trade against a position of the other sign")
end
for _, solver in ipairs { "glpk", "cbc" } do
  for _, method in ipairs { "lazy", "full" } do
    for _, netting in ipairs { "exact", "lazy" } do
      local what = ("%s/%s, sign binaries %s"):format(solver, method, netting)
      local rr = tb:solve { method = method, solver = solver, mip_gap = 1e-9, netting = netting }
      T.eq(rr.status, "optimal", what .. ": status")
      T.near(rr.cost, best, 1e-6 * best, ("%s: cost %.4f equals the brute-force optimum %.4f"):format(what,
        rr.cost or -1, best))
      T.ok(tb:validate(rr.assignment).compliant, what .. ": the validator finds every limit held")
    end
  end
end
T.raises_exact(function() tb:solve { netting = "fast" } end, "solve: netting must be 'lazy' or 'exact' (got 'fast')",
  "a wrong netting mode, on the caller's line")
-- the heuristic: complete and compliant, never below the optimum
local g = tb:greedy()
T.ok(g.complete and tb:validate(g.assignment).compliant, "heuristic: a complete, compliant assignment")
T.ok(g.cost >= best - 1e-9, ("heuristic: %.4f is not below the optimum %.4f"):format(g.cost, best))
T.done()
