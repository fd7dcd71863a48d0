-- The design's outputs (issue 15, item 2): per account every metric, cash
-- and positions before and after the trades; per limit its value before
-- the trades, at the base state after them, the worst scenario (index and
-- value) and the headroom. Every figure of ta:report's tables is checked
-- against a recomputation written here from the raw inputs; the tables
-- reach the text report, JSON, CSV and HTML.
local T = dofile("tests/lua/testlib.lua")
local folio = require "folio"
local config = dofile("tests/data/trade/small.lua")

local cfg = config()
local ta = folio.TradeAssigner(cfg)
local r = ta:solve()
T.eq(r.status, "optimal", "solved")
local rep = ta:report(r)
local function find_in(list, prefix)
  for _, v in ipairs(list) do
    if folio.is_table(v) and v.title:sub(1, #prefix) == prefix then return v end
  end
end
local function find(prefix) return find_in(rep, prefix) end
local lt, mt, pt = find("Limits: before the trades"), find("Accounts before and after"), find("Net positions before")
T.ok(lt and mt and pt, "the report has the limits, accounts and positions tables")

-- the raw recomputation
local secs, sidx = cfg.securities, {}
for i, s in ipairs(secs) do sidx[s.id] = i end
local N = 300
local factors = {}
for k = 1, N do factors[k] = ta:scenarios():row(k) end
local function weight(m, sec, side)
  local w = m.by_type and m.by_type[sec.type] or m.default or 0
  return w * (m.by_side and m.by_side[side] or 1)
end
local expect = { limits = {}, metrics = {}, positions = {} }
for a, acc in ipairs(cfg.accounts) do
  local before, after, cash = {}, {}, acc.cash
  for id, q in pairs(acc.positions or {}) do before[sidx[id]], after[sidx[id]] = q, q end
  for t, tr in ipairs(cfg.trades) do
    if r.assignment[t] == a then
      local s, sg = sidx[tr.security], tr.side == "buy" and 1 or -1
      after[s] = (after[s] or 0) + sg * tr.quantity
      cash = cash - sg * tr.quantity * (secs[s].price + secs[s].accrued)
    end
  end
  local function M(name, pos, c, f)
    if name == "cash" then return c end
    local m = acc.metrics[name]
    local v = (m.cash or 0) * c
    for s, q in pairs(pos) do
      v = v + weight(m, secs[s], q >= 0 and "long" or "short") * q * (secs[s].price * (f and f[s] or 1) + secs[s].accrued)
    end
    return v
  end
  local function L(lim, pos, c, f)
    if lim.ratio then return M(lim.ratio[1], pos, c, f) - lim.ratio[3] * M(lim.ratio[4], pos, c, f) end
    if type(lim.lhs) == "string" then return M(lim.lhs, pos, c, f) end
    local v = 0
    for name, k in pairs(lim.lhs) do v = v + k * M(name, pos, c, f) end
    return v
  end
  expect.metrics[acc.name .. "/cash"] = { acc.cash, cash }
  for name in pairs(acc.metrics) do expect.metrics[acc.name .. "/" .. name] = { M(name, before, acc.cash), M(name, after, cash) } end
  for s, q in pairs(after) do expect.positions[acc.name .. "/" .. secs[s].id] = { before[s] or 0, q } end
  for _, lim in ipairs(acc.limits) do
    local sense = lim.ratio and lim.ratio[2] or lim.sense
    local rhs = lim.ratio and 0 or lim.rhs
    local wk, wv, we
    for k = 0, N do
      local v = L(lim, after, cash, factors[k])
      local e = sense == "<=" and v - rhs or rhs - v
      if not we or e > we then wk, wv, we = k, v, e end
    end
    -- the headroom's scale: the limit's own, else the larger of |rhs|, the
    -- row's gross size on the books before the trades and 1
    local k = lim.ratio and { [lim.ratio[1]] = 1 } or type(lim.lhs) == "string" and { [lim.lhs] = 1 } or lim.lhs
    if lim.ratio then k[lim.ratio[4]] = (k[lim.ratio[4]] or 0) - lim.ratio[3] end
    local cash_coef = 0
    for name, c in pairs(k) do cash_coef = cash_coef + c * (name == "cash" and 1 or acc.metrics[name].cash or 0) end
    local size = math.abs(cash_coef * acc.cash)
    for s, q in pairs(before) do
      local w = 0
      for name, c in pairs(k) do
        if name ~= "cash" then w = w + c * weight(acc.metrics[name], secs[s], q >= 0 and "long" or "short") end
      end
      size = size + math.abs(w * q * (secs[s].price + secs[s].accrued))
    end
    local scale = lim.scale or math.max(math.abs(rhs), size, 1)
    expect.limits[acc.name .. "/" .. lim.name] = { L(lim, before, acc.cash), L(lim, after, cash), wk, wv, -we, scale }
  end
end

local function near(got, want, what)
  T.near(got, want, 1e-7 * (1 + math.abs(want)), what)
end
local seen = 0
for _, row in ipairs(lt.rows) do
  local e = expect.limits[row[1] .. "/" .. row[2]]
  local what = row[1] .. " " .. row[2]
  near(row[4], e[1], what .. ": before the trades")
  near(row[5], e[2], what .. ": base (nominal) after the trades")
  T.eq(row[6], e[3], what .. ": the worst scenario")
  near(row[7], e[4], what .. ": the value in the worst scenario")
  near(row[8], e[5], what .. ": the headroom")
  near(row[9], e[5] / e[6], what .. ": the scaled headroom")
  seen = seen + 1
end
T.eq(seen, 7, "one row per account limit")

-- the scaled headroom is the min_headroom objective's: with that objective
-- first, the table's smallest entry is the MIP's optimum z
do
  local hta = folio.TradeAssigner(config { objectives = { { "min_headroom" }, { "financing_cost" } } })
  local hr = hta:solve()
  T.eq(hr.status, "optimal", "min_headroom first: solved")
  local least = math.huge
  for _, row in ipairs(find_in(hta:report(hr), "Limits: before the trades").rows) do least = math.min(least, row[9]) end
  T.near(least, hr.stages[1].headroom, 1e-6, "min_headroom first: the report's least scaled headroom is the objective")
end
seen = 0
for _, row in ipairs(mt.rows) do
  local e = expect.metrics[row[1] .. "/" .. row[2]]
  near(row[3], e[1], row[1] .. " " .. row[2] .. ": before")
  near(row[4], e[2], row[1] .. " " .. row[2] .. ": after")
  seen = seen + 1
end
T.eq(seen, 4 + 3 + 2, "cash and every metric of every account")
seen = 0
for _, row in ipairs(pt.rows) do
  local e = expect.positions[row[1] .. "/" .. row[2]]
  T.ok(e ~= nil, row[1] .. " " .. row[2] .. ": a position the trades or the books hold")
  if e then
    near(row[3], e[1], row[1] .. " " .. row[2] .. ": before")
    near(row[4], e[2], row[1] .. " " .. row[2] .. ": after")
  end
  seen = seen + 1
end
local npos = 0
for _ in pairs(expect.positions) do npos = npos + 1 end
T.eq(seen, npos, "every net position")

-- the same tables in every view
local text = require("folio.report").render(rep)
T.ok(text:find("Accounts before and after the trades", 1, true) and text:find("worst value", 1, true),
  "text report: the accounts and limits tables")
local json = require("folio.core").json_text(require("folio.report").json(rep))
T.ok(json:find("Net positions before and after", 1, true) ~= nil and json:find("worst value", 1, true) ~= nil,
  "JSON: the positions and limits tables")
local cols, rows = require("folio.deploy").csv_table(mt)
T.eq(table.concat(cols, ","), "account,metric,before,after,change", "CSV: the accounts table's columns")
T.eq(#rows, #mt.rows, "CSV: its rows")
local html = require("folio.html").render(rep)
T.ok(html:find("Net positions before and after", 1, true) and html:find("headroom (scaled)", 1, true),
  "HTML: the positions and limits tables")
-- how the time was spent
T.ok(text:find("Time spent (s)", 1, true) and r.timing.total == r.solve_time, "the time table, and timing.total")
T.done()
