-- loan_book.lua -- rebalance a bank's loan book under a risk-weighted-asset cap.
--
-- A bank holds loan segments (prime mortgages, credit cards, SME loans, ...).
-- It may originate (buy) more of a segment or sell part of it, paying a cost
-- per unit either way, and chooses the target exposure of every segment that
-- maximises one year's expected return net of those costs, subject to
--   * risk-weighted assets of at most `rwa_limit` (0.5) of the book,
--   * total growth of at most `growth_limit` (1.2 = +20 %),
--   * per asset type, a maximum decrease and a maximum increase.
--
--   folio run models/loan_book.lua
--   folio run models/loan_book.lua --set rwa_limit=0.52 --json out.json
--
-- The mathematics, the assumptions and how to read the shadow prices are in
-- docs/models/loan_book.md. models/loan_book_mip.lua adds fixed trading fees
-- and a quarterly liquidity cap on sales.

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
    error(string.format("loan_book: --set %s=%s is not a number", name, tostring(v)), 0)
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
local S      = seg.segment                                   -- the segments
local asset  = folio.index(seg, "segment", "asset")          -- a(s)
local E      = folio.index(seg, "segment", "exposure")       -- current exposure (millions)
local p      = folio.index(seg, "segment", "ret")            -- expected return, net of expected loss
local c_orig = folio.index(seg, "segment", "orig_cost")      -- cost per unit bought
local c_sell = folio.index(seg, "segment", "sale_cost")      -- cost per unit sold
local rw     = folio.index(seg, "segment", "risk_weight")    -- risk weight

-- asset,max_decrease,max_increase
local ast = folio.read_csv(data .. "loan_assets.csv")
local A     = ast.asset
local d_max = folio.index(ast, "asset", "max_decrease")
local u_max = folio.index(ast, "asset", "max_increase")

-- The segments of each asset type, and the current exposure per type (E_a).
local members, E_asset, E_total = {}, {}, 0
for _, a in ipairs(A) do members[a], E_asset[a] = {}, 0 end
for _, s in ipairs(S) do
  local a = asset[s]
  if members[a] == nil then
    error(string.format("loan_segments.csv: segment %s has asset '%s', which is not in loan_assets.csv",
                        s, tostring(a)), 0)
  end
  table.insert(members[a], s)
  E_asset[a] = E_asset[a] + E[s]
  E_total = E_total + E[s]
end

---------------------------------------------------------------------------
-- Model
---------------------------------------------------------------------------
local m = folio.model("loan_book")

local x    = m:var("x",    S, {lb = 0})   -- target exposure
local buy  = m:var("buy",  S, {lb = 0})   -- originated or bought
local sell = m:var("sell", S, {lb = 0})   -- sold

-- Target = current + bought - sold.
m:st("balance", S, function(s)
  return x[s], "==", E[s] + buy[s] - sell[s]
end)

-- One cannot sell more than one holds.
m:st("sell_max", S, function(s)
  return sell[s], "<=", E[s]
end)

-- Risk-weighted assets at most rwa_limit of the book.
m:st("rwa", folio.dot(rw, x), "<=", rwa_limit * folio.sum(x))

-- The book may grow by at most growth_limit.
m:st("growth", folio.sum(x), "<=", growth_limit * E_total)

-- Guardrails per asset type: (1 - d_a) E_a <= sum of its segments <= (1 + u_a) E_a.
local function asset_exposure(a)
  return folio.sum(members[a], function(s) return x[s] end)
end
m:st("asset_min", A, function(a)
  return asset_exposure(a), ">=", (1 - d_max[a]) * E_asset[a]
end)
m:st("asset_max", A, function(a)
  return asset_exposure(a), "<=", (1 + u_max[a]) * E_asset[a]
end)

-- One year's return on the target book, less origination and sale costs.
m:maximize(folio.sum(S, function(s)
  return p[s] * x[s] - c_orig[s] * buy[s] - c_sell[s] * sell[s]
end))

local r = m:solve{}
if not r.has_solution then return r end   -- the CLI reports the status

---------------------------------------------------------------------------
-- Report
---------------------------------------------------------------------------
local function round(v, digits)
  local f = 10 ^ digits
  local y = math.floor(v * f + 0.5) / f
  return y == 0 and 0 or y            -- no "-0"
end

-- Segments whose target differs from today's exposure, biggest growth first.
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

-- The result's own report lists the binding constraints with their shadow
-- prices: the change in optimal profit per unit of extra right-hand side
-- (rows are stored with the variables on the left, so `rwa` reads
-- sum rw_s x_s - rwa_limit * sum x_s <= 0 and its price is per unit of RWA
-- headroom). balance[s] is always tight: its price is the value of one more
-- unit of today's exposure in segment s.
-- The book and its capital in amounts: the `rwa` row above reads 0 against
-- 0 in its stored form, so the RWA, the book and their ratio are here.
local book0, book1, rwa0, rwa1 = 0, 0, 0, 0
for _, s in ipairs(S) do
  local target = r:value(x[s])
  book0, book1 = book0 + E[s], book1 + target
  rwa0, rwa1 = rwa0 + rw[s] * E[s], rwa1 + rw[s] * target
end

return {
  r,
  folio.table{
    title = "Segments that grow or shrink",
    columns = {"segment", "asset", "current", "target", "change", "change_pct"},
    rows = changed,
  },
  folio.table{
    title = "Book and capital (millions)",
    columns = {"measure", "current", "target", "limit"},
    rows = {
      {"book (total exposure)", round(book0, 2), round(book1, 2), round(growth_limit * E_total, 2)},
      {"risk-weighted assets", round(rwa0, 2), round(rwa1, 2), round(rwa_limit * book1, 2)},
      {"RWA density %", round(100 * rwa0 / book0, 2), round(100 * rwa1 / book1, 2), round(100 * rwa_limit, 2)},
    },
  },
}
