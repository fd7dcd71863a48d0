-- The portfolio-risk priority (issue 15, item 3): "risk" is each account's
-- CVaR_alpha of the P&L loss of its post-trade net book over the N
-- scenarios (the mean of the K = ceil((1 - alpha) N) largest losses,
-- loss_k = sum_s n_s p_s (1 - f_s^k)), then the largest over the accounts
-- (aggregate = "max") or their sum ("sum"). The objective is checked
-- against that formula computed here from the scenarios, and its optimum,
-- alone, second to cost (lexicographic) and weighted with cost, against a
-- brute force over every compliant assignment.
local T = dofile("tests/lua/testlib.lua")
local folio = require "folio"
local config = dofile("tests/data/trade/small.lua")

local cfg = config()
local base = folio.TradeAssigner(cfg)
local N = 300
local factors = {}
for k = 1, N do factors[k] = base:scenarios():row(k) end
local secs, sidx = cfg.securities, {}
for i, s in ipairs(secs) do sidx[s.id] = i end

-- each account's CVaR of its net book's loss, from the raw inputs
local function account_cvar(assign, alpha)
  local K = math.ceil((1 - alpha) * N - 1e-9)
  local out = {}
  for a, acc in ipairs(cfg.accounts) do
    local net = {}
    for id, q in pairs(acc.positions or {}) do net[sidx[id]] = q end
    for t, tr in ipairs(cfg.trades) do
      if assign[t] == a then
        net[sidx[tr.security]] = (net[sidx[tr.security]] or 0) + (tr.side == "buy" and 1 or -1) * tr.quantity
      end
    end
    local losses = {}
    for k = 1, N do
      local l = 0
      for s, q in pairs(net) do l = l + q * secs[s].price * (1 - factors[k][s]) end
      losses[k] = l
    end
    table.sort(losses, function(x, y) return x > y end)
    local sum = 0
    for i = 1, K do sum = sum + losses[i] end
    out[a] = sum / K
  end
  return out
end
local function risk(assign, alpha, agg)
  local per = account_cvar(assign, alpha)
  if agg == "sum" then return per[1] + per[2] + per[3] end
  return math.max(table.unpack(per))
end

-- every compliant assignment (the validator decides), with its cost
local feasible = {}
do
  local assign = { 1, 1, 1, 1, 1, 1 }
  while true do
    local ok = true
    for t = 1, 6 do if not base:allowed(t, assign[t]) then ok = false end end
    if ok and base:validate(assign).compliant then
      local c = 0
      for t = 1, 6 do c = c + base:cost(t, assign[t]) end
      feasible[#feasible + 1] = { assign = { table.unpack(assign) }, cost = c }
    end
    local t = 1
    while t <= 6 do
      assign[t] = assign[t] + 1
      if assign[t] <= 3 then break end
      assign[t] = 1
      t = t + 1
    end
    if t > 6 then break end
  end
end
T.ok(#feasible > 1, ("%d compliant assignments"):format(#feasible))

for _, case in ipairs { { alpha = 0.9, agg = "max" }, { alpha = 0.95, agg = "sum" }, { alpha = 0.5, agg = "max" } } do
  local what = ("risk (alpha %g, %s)"):format(case.alpha, case.agg)
  local ta = folio.TradeAssigner(config { objectives = { { "risk", alpha = case.alpha, aggregate = case.agg } } })
  local r = ta:solve { mip_gap = 1e-9 }
  T.eq(r.status, "optimal", what .. ": status")
  T.eq(r.objective_kind, "risk", what .. ": the objective is the risk")
  T.near(r.objective, risk(r.assignment, case.alpha, case.agg), 1e-6 * (1 + math.abs(r.objective)),
    what .. ": the objective equals the CVaR computed from the scenarios")
  local best = math.huge
  for _, f in ipairs(feasible) do best = math.min(best, risk(f.assign, case.alpha, case.agg)) end
  T.near(r.objective, best, 1e-6 * (1 + math.abs(best)), what .. (": the brute-force minimum %.4f"):format(best))
  T.ok(r.risk_cuts > 0, what .. (": %d cuts added lazily"):format(r.risk_cuts))
end

-- lexicographic: cost first (within 20%), then the least risk among those
do
  local ta = folio.TradeAssigner(config { objectives = { { "financing_cost", rel_tol = 0.2 }, { "risk", alpha = 0.9 } } })
  local r = ta:solve { mip_gap = 1e-9 }
  local cmin = math.huge
  for _, f in ipairs(feasible) do cmin = math.min(cmin, f.cost) end
  local best = math.huge
  for _, f in ipairs(feasible) do
    if f.cost <= cmin * 1.2 + 1e-9 then best = math.min(best, risk(f.assign, 0.9, "max")) end
  end
  T.eq(r.status, "optimal", "cost then risk: status")
  T.ok(r.cost <= cmin * 1.2 + 1e-6, "cost then risk: the cost within 20% of its minimum")
  T.near(r.stages[2].risk, best, 1e-6 * (1 + math.abs(best)), "cost then risk: stage 2's risk is the brute force's")
  T.near(risk(r.assignment, 0.9, "max"), best, 1e-6 * (1 + math.abs(best)), "cost then risk: the assignment's own risk")
end

-- weighted: cost + 0.05 x risk in one solve
do
  local ta = folio.TradeAssigner(config { objectives = { { "financing_cost", weight = 1 }, { "risk", alpha = 0.9, weight = 0.05 } },
                                          combine = "weighted" })
  local r = ta:solve { mip_gap = 1e-9 }
  local best = math.huge
  for _, f in ipairs(feasible) do best = math.min(best, f.cost + 0.05 * risk(f.assign, 0.9, "max")) end
  T.eq(r.objective_kind, "weighted", "weighted: kind")
  T.near(r.objective, best, 1e-6 * (1 + math.abs(best)), ("weighted: cost + 0.05 risk is the brute-force minimum %.4f"):format(best))
end

-- configuration errors
T.raises_exact(function() folio.TradeAssigner(config { objectives = { { "risk", alpha = 1 } } }) end,
  "TradeAssigner: objectives[1]: alpha must be in [0, 1) (got 1)", "alpha = 1")
T.raises_exact(function() folio.TradeAssigner(config { objectives = { { "financing_cost", alpha = 0.9 } } }) end,
  "TradeAssigner: objectives[1]: alpha and aggregate belong to the 'risk' objective (got them on 'financing_cost')",
  "alpha on another objective")
T.done()
