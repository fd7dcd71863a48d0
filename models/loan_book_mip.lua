-- loan_book_mip.lua -- the loan-book model of loan_book.lua with two of its
-- assumptions relaxed:
--
--   (i)  fixed costs: trading a segment at all (buying or selling any amount)
--        costs a fixed fee F_s (legal work, due diligence, servicing set-up).
--        A binary trade[s] switches trading on; buy + sell <= M_s trade[s].
--   (ii) limited liquidity: sales are executed over the quarters of
--        loan_quarters.csv; each quarter the market absorbs at most sale_cap
--        of loans, and later quarters fetch a lower price (sale_cost_markup
--        is added to the sale cost of what is sold in that quarter).
--
--   folio run models/loan_book_mip.lua
--   folio run models/loan_book_mip.lua --set rwa_limit=0.52
--
-- Mathematics, the big-M derivation and the shipped optimum are in
-- docs/models/loan_book.md.

local folio = require "folio"

---------------------------------------------------------------------------
-- Parameters (override with --set name=value; values arrive as strings)
---------------------------------------------------------------------------
local params = folio.params or {}

local function param(name, default)
  local v = params[name]
  if v == nil then return default end
  local n = tonumber(v)
  if n == nil then
    error(string.format("loan_book_mip: --set %s=%s is not a number", name, tostring(v)), 0)
  end
  return n
end

local rwa_limit    = param("rwa_limit", 0.5)     -- max RWA / total exposure
local growth_limit = param("growth_limit", 1.2)  -- max book size / current size

---------------------------------------------------------------------------
-- Data
---------------------------------------------------------------------------
local data = (folio.script_dir or ".") .. "/data/"

-- segment,asset,exposure,ret,orig_cost,sale_cost,risk_weight
local seg = folio.read_csv(data .. "loan_segments.csv")
local S      = seg.segment
local asset  = folio.index(seg, "segment", "asset")
local E      = folio.index(seg, "segment", "exposure")
local p      = folio.index(seg, "segment", "ret")
local c_orig = folio.index(seg, "segment", "orig_cost")
local c_sell = folio.index(seg, "segment", "sale_cost")
local rw     = folio.index(seg, "segment", "risk_weight")

-- asset,max_decrease,max_increase
local ast = folio.read_csv(data .. "loan_assets.csv")
local A     = ast.asset
local d_max = folio.index(ast, "asset", "max_decrease")
local u_max = folio.index(ast, "asset", "max_increase")

-- segment,fixed_fee: F_s, in millions, paid if segment s trades at all
local fees = folio.read_csv(data .. "loan_fees.csv")
local F = folio.index(fees, "segment", "fixed_fee")

-- quarter,sale_cap,sale_cost_markup
local qtr = folio.read_csv(data .. "loan_quarters.csv")
local Q      = qtr.quarter
local cap    = folio.index(qtr, "quarter", "sale_cap")          -- max sales per quarter
local markup = folio.index(qtr, "quarter", "sale_cost_markup")  -- extra sale cost per unit

local members, E_asset, E_total = {}, {}, 0
for _, a in ipairs(A) do members[a], E_asset[a] = {}, 0 end
for _, s in ipairs(S) do
  local a = asset[s]
  if members[a] == nil then
    error(string.format("loan_segments.csv: segment %s has asset '%s', which is not in loan_assets.csv",
                        s, tostring(a)), 0)
  end
  if F[s] == nil then
    error(string.format("loan_fees.csv: no fixed_fee for segment %s", s), 0)
  end
  table.insert(members[a], s)
  E_asset[a] = E_asset[a] + E[s]
  E_total = E_total + E[s]
end

-- Big-M for buy[s] + sell[s] <= M_s trade[s], from the data alone:
-- sell[s] <= E_s, and buy[s] = x[s] - E_s + sell[s] <= x[s]
-- <= (1 + u_a) E_a (the asset cap), so buy + sell <= (1 + u_a) E_a + E_s.
local M = {}
for _, s in ipairs(S) do
  M[s] = (1 + u_max[asset[s]]) * E_asset[asset[s]] + E[s]
end

---------------------------------------------------------------------------
-- Model
---------------------------------------------------------------------------
local m = folio.model("loan_book_mip")

local x      = m:var("x",      S, {lb = 0})           -- target exposure
local buy    = m:var("buy",    S, {lb = 0})           -- originated or bought
local sell   = m:var("sell",   S, {lb = 0})           -- sold over the year
local trade  = m:var("trade",  S, {kind = "binary"})  -- 1 if segment s trades
local sell_q = m:var("sell_q", {S, Q}, {lb = 0})      -- sold in quarter q: sell_q[s][q]

-- As in loan_book.lua, `row` forwards (lhs, relation, rhs) to m:st and keeps
-- a copy for the report.
local rows, seen = {}, {}
local function row(name, key, lhs, rel, rhs)
  local label = key == nil and name or string.format("%s[%s]", name, tostring(key))
  if not seen[label] then
    seen[label] = true
    rows[#rows + 1] = {label = label, name = name, key = key, lhs = lhs, rel = rel, rhs = rhs}
  end
  return lhs, rel, rhs
end

-- The base model, unchanged.
m:st("balance", S, function(s)
  return row("balance", s, x[s], "==", E[s] + buy[s] - sell[s])
end)
m:st("sell_max", S, function(s)
  return row("sell_max", s, sell[s], "<=", E[s])
end)
m:st("rwa", row("rwa", nil, folio.dot(rw, x), "<=", rwa_limit * folio.sum(x)))
m:st("growth", row("growth", nil, folio.sum(x), "<=", growth_limit * E_total))

local function asset_exposure(a)
  return folio.sum(members[a], function(s) return x[s] end)
end
m:st("asset_min", A, function(a)
  return row("asset_min", a, asset_exposure(a), ">=", (1 - d_max[a]) * E_asset[a])
end)
m:st("asset_max", A, function(a)
  return row("asset_max", a, asset_exposure(a), "<=", (1 + u_max[a]) * E_asset[a])
end)

-- (i) No trade in segment s unless its fee is paid.
m:st("fee_link", S, function(s)
  return row("fee_link", s, buy[s] + sell[s], "<=", M[s] * trade[s])
end)

-- (ii) A segment's sales are spread over the quarters ...
m:st("sale_split", S, function(s)
  return row("sale_split", s, folio.sum(Q, function(q) return sell_q[s][q] end), "==", sell[s])
end)
-- ... and the market takes at most cap_q per quarter.
m:st("sale_cap", Q, function(q)
  return row("sale_cap", q, folio.sum(S, function(s) return sell_q[s][q] end), "<=", cap[q])
end)

-- The LP's profit, less the fees and the later-quarter sale markups.
m:maximize(folio.sum(S, function(s)
  return p[s] * x[s] - c_orig[s] * buy[s] - c_sell[s] * sell[s]
       - F[s] * trade[s]
       - folio.sum(Q, function(q) return markup[q] * sell_q[s][q] end)
end))

local r = m:solve{time_limit = 30, mip_gap = 1e-9}
if not r.has_solution then return r end

---------------------------------------------------------------------------
-- Report
---------------------------------------------------------------------------
local function round(v, digits)
  local f = 10 ^ digits
  local y = math.floor(v * f + 0.5) / f
  return y == 0 and 0 or y
end

local function value(e)
  if type(e) == "number" then return e end
  return r:value(e)
end

-- A MIP has no duals of its own; what folio reports (if anything) is the
-- dual of the LP with the binaries fixed at their optimal values.
local function shadow(name, key)
  local ok, d
  if key == nil then ok, d = pcall(r.dual, r, name) else ok, d = pcall(r.dual, r, name, key) end
  if ok and type(d) == "number" then return round(d, 6) end
  return "n/a"
end

local changed, growth_of = {}, {}
for _, s in ipairs(S) do
  local target = r:value(x[s])
  local change = target - E[s]
  if math.abs(change) > 1e-6 * (1 + E[s]) then
    local pct = E[s] > 0 and 100 * change / E[s] or math.huge
    local line = {s, asset[s], round(E[s], 2), round(target, 2), round(change, 2),
                  pct < math.huge and round(pct, 1) or "new"}
    changed[#changed + 1], growth_of[line] = line, pct
  end
end
table.sort(changed, function(a, b) return growth_of[a] > growth_of[b] end)

-- Binding inequalities. Equalities always hold, and fee_link[s] binds
-- exactly when segment s does not trade (0 <= 0; M_s is never reached), so
-- both are left out: the segments table already shows who trades.
local binding = {}
for _, c in ipairs(rows) do
  if c.rel ~= "==" and c.name ~= "fee_link" then
    local lhs, rhs = value(c.lhs), value(c.rhs)
    local slack = c.rel == "<=" and rhs - lhs or lhs - rhs
    if math.abs(slack) <= 1e-7 * (1 + math.abs(rhs)) then
      binding[#binding + 1] = {c.label, round(lhs, 4), round(rhs, 4), shadow(c.name, c.key)}
    end
  end
end

-- The sales plan per quarter (the split of a quarter's sales between
-- segments is not unique: every segment pays the same markup).
local schedule = {}
for _, q in ipairs(Q) do
  local sold = r:value(folio.sum(S, function(s) return sell_q[s][q] end))
  schedule[#schedule + 1] = {q, round(sold, 2), cap[q], markup[q]}
end

return {
  r,
  folio.table{
    title = "Segments that grow or shrink",
    columns = {"segment", "asset", "current", "target", "change", "change_pct"},
    rows = changed,
  },
  folio.table{
    title = "Binding constraints",
    columns = {"constraint", "activity", "rhs", "shadow_price"},
    rows = binding,
  },
  folio.table{
    title = "Sales by quarter",
    columns = {"quarter", "sold", "sale_cap", "markup"},
    rows = schedule,
  },
}
