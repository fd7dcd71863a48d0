-- folio.TradeAssigner's configuration, read and checked: one function per
-- input table (securities, trades, accounts with their metrics, limits and
-- financing, scenarios, objectives). Every problem is a user error
-- (check.fail) naming the table, the record and the field; the entry point
-- (folio.trade) puts the user's file:line in front. Names are matched by
-- name: positions, metric weights and scenario columns by security id,
-- financing, accepts and volatilities by security type or id.
local core = require "folio.core"
local check = require "folio.check"
local align = require "folio.align"
local fail = check.fail

local I = {}
local FN = "TradeAssigner"

local function finite(v) return type(v) == "number" and v == v and v ~= math.huge and v ~= -math.huge end

-- a number that must be finite (and > 0, >= 0 or a whole number >= 0
-- when cond asks); where names it in the message
local function number(v, where, cond, fn)
  fn = fn or FN
  if type(v) ~= "number" then fail("%s: %s must be a number (got %s)", fn, where, type(v)) end
  if not finite(v) then fail("%s: %s must be finite (got %s)", fn, where, require("folio.results").number(v)) end
  if cond == ">0" and not (v > 0) then fail("%s: %s must be > 0 (got %s)", fn, where, tostring(v)) end
  if cond == ">=0" and not (v >= 0) then fail("%s: %s must be >= 0 (got %s)", fn, where, tostring(v)) end
  if cond == "count" and not (v >= 0 and v == math.floor(v)) then
    fail("%s: %s must be a whole number >= 0 (got %s)", fn, where, tostring(v))
  end
  return v
end
I.number = number

-- "a, b and c"
local function phrase(list)
  if #list <= 1 then return list[1] or "" end
  return table.concat(list, ", ", 1, #list - 1) .. " and " .. list[#list]
end
I.phrase = phrase

local function sorted_keys(t)
  local keys = {}
  for k in pairs(t) do keys[#keys + 1] = tostring(k) end
  table.sort(keys)
  return keys
end

-- a message's leading "file:line: " (an error raised by folio's own code)
local function bare(e)
  return (tostring(e):gsub("^[^%s:]+:%d+: ", ""))
end
I.bare = bare

local function is_list(t) return type(t) == "table" and (#t > 0 or next(t) == nil) end

-- the keys of t must name members of `known` (a set): the error names
-- the strangers and lists what is known
local function known_keys(t, known, where, noun)
  local bad = {}
  for k in pairs(t) do if not known[k] then bad[#bad + 1] = "'" .. tostring(k) .. "'" end end
  if #bad == 0 then return end
  table.sort(bad)
  fail("%s: %s names %s no security has: %s (known: %s)", FN, where, #bad == 1 and ("a " .. noun) or
    (#bad .. " " .. noun .. "s"), table.concat(bad, ", "), table.concat(sorted_keys(known), ", "))
end

---------------------------------------------------------------------------
-- records: a CSV path or a Lua list of tables
---------------------------------------------------------------------------
-- rows of a CSV (its columns checked against the schema) or a Lua list
-- (each record's fields checked by check.options); returns the records
-- and a function(i) -> how to name record i in a message
local function records(src, what, schema)
  if type(src) == "string" then
    local folio = require "folio"
    local ok, tb = pcall(folio.read_csv, src)
    if not ok then fail("%s: %s: %s", FN, what, bare(tb)) end
    local cols = {}
    for _, c in ipairs(schema) do cols[#cols + 1] = c end
    for _, c in ipairs(tb.columns) do
      if not schema.types[c] then
        local near = core.did_you_mean(c, cols)
        fail("%s: %s file %s: unknown column '%s'%s (columns: %s)", FN, what, src, c,
          near and (" (did you mean '" .. near .. "'?)") or "", table.concat(sorted_keys(schema.types), ", "))
      end
    end
    local out = {}
    for i = 1, tb.n do
      local r = {}
      for _, c in ipairs(tb.columns) do r[c] = tb[c][i] end
      out[i] = r
    end
    return out, function(i) return ("%s file %s row %d"):format(what, src, i + 1) end
  end
  if src == nil then return {}, nil end
  if not is_list(src) then fail("%s: %s must be a list of tables or a CSV path (got %s)", FN, what, type(src)) end
  for i, r in ipairs(src) do
    if type(r) ~= "table" then fail("%s: %s[%d] must be a table (got %s)", FN, what, i, type(r)) end
    check.options(r, ("%s: %s[%d]"):format(FN, what, i), schema.types)
  end
  return src, function(i) return ("%s[%d]"):format(what, i) end
end

-- a schema: the typed fields, and their names as a list (for did-you-mean)
local function schema(types)
  local s = { types = types }
  for k in pairs(types) do s[#s + 1] = k end
  table.sort(s)
  return s
end

-- an id read from Lua or CSV (a CSV id may parse as a number)
local function id_of(v)
  if type(v) == "number" then return math.type(v) == "integer" and tostring(v) or string.format("%.17g", v) end
  return v
end

---------------------------------------------------------------------------
-- securities: {id, type, price, accrued, vol}
---------------------------------------------------------------------------
local SECURITY = schema { id = "string|number", type = "string", price = "number", accrued = "number",
                          vol = "number" }

function I.securities(src)
  local list, name = records(src, "securities", SECURITY)
  local secs, index, types = {}, {}, {}
  for i, s in ipairs(list) do
    local id = id_of(s.id)
    if type(id) ~= "string" or id == "" then fail("%s: %s has no id", FN, name(i)) end
    if index[id] then fail("%s: duplicate security '%s'", FN, id) end
    local where = ("security '%s': "):format(id)
    if type(s.type) ~= "string" then fail("%s: security '%s' has no type", FN, id) end
    number(s.price, where .. "price", ">0")
    if s.accrued ~= nil then number(s.accrued, where .. "accrued") end
    if s.vol ~= nil then number(s.vol, where .. "vol", ">=0") end
    secs[#secs + 1] = { id = id, type = s.type, price = s.price, accrued = s.accrued or 0, vol = s.vol }
    index[id] = #secs
    types[s.type] = true
  end
  if #secs == 0 then fail("%s: no securities", FN) end
  return secs, index, types
end

---------------------------------------------------------------------------
-- trades: {id, side, security, quantity, price, accrued}
---------------------------------------------------------------------------
local TRADE = schema { id = "string|number", side = "string", security = "string|number", quantity = "number",
                       price = "number", accrued = "number" }
local SIDES = { buy = 1, sell = -1 }

function I.trades(src, secs, sec_index)
  local list = records(src, "trades", TRADE)
  local trades, seen = {}, {}
  for i, t in ipairs(list) do
    local id = t.id ~= nil and id_of(t.id) or ("t" .. i)
    if seen[id] then fail("%s: duplicate trade id '%s'", FN, id) end
    seen[id] = true
    local sgn = SIDES[t.side]
    if not sgn then fail("%s: trade '%s': side must be 'buy' or 'sell' (got '%s')", FN, id, tostring(t.side)) end
    local si = sec_index[id_of(t.security)]
    if not si then fail("%s: trade '%s': unknown security '%s'", FN, id, tostring(t.security)) end
    local where = ("trade '%s': "):format(id)
    number(t.quantity, where .. "quantity", ">0")
    local sec = secs[si]
    local price = t.price or sec.price
    number(price, where .. "price", ">0")
    local accrued = t.accrued or sec.accrued
    number(accrued, where .. "accrued")
    trades[i] = { id = id, side = t.side, sign = sgn, sec = si, quantity = t.quantity, price = price,
                  accrued = accrued, type = sec.type }
  end
  if #trades > 200 then fail("%s: %d trades; at most 200 per batch", FN, #trades) end
  return trades
end

---------------------------------------------------------------------------
-- accounts: positions, financing, metrics, limits, accepts
---------------------------------------------------------------------------
local ACCOUNT = { name = "string", cash = "number", positions = "table", financing = "table", metrics = "table",
                  limits = "table", accepts = "table" }
local METRIC = { default = "number", by_type = "table", by_security = "table", by_side = "table", cash = "number" }
local LIMIT = { name = "string", lhs = "string|table", sense = "string", rhs = "number", ratio = "table",
                scale = "number" }
local RATE = { long = "number", short = "number", buy = "number", sell = "number", default = "number" }
local SENSES = { ["<="] = true, [">="] = true }

-- positions {security id = quantity} -> {security index = quantity}
local function positions(p, acc, ctx)
  local pos = {}
  for sid, q in pairs(p or {}) do
    local si = ctx.sec_index[sid]
    if not si then fail("%s: account '%s': position in unknown security '%s'", FN, acc, tostring(sid)) end
    number(q, ("account '%s': position in '%s'"):format(acc, sid))
    pos[si] = q
  end
  return pos
end

-- a metric's weights: by_security (ids), by_type (types), by_side, default, cash
local function metric(m, acc, mname, ctx)
  local where = ("account '%s', metric '%s'"):format(acc, mname)
  if type(m) ~= "table" then fail("%s: %s must be a table (got %s)", FN, where, type(m)) end
  check.options(m, FN .. ": " .. where, METRIC)
  for _, k in ipairs { "default", "cash" } do
    if m[k] ~= nil then number(m[k], where .. ": " .. k) end
  end
  if m.by_type then
    known_keys(m.by_type, ctx.types, where .. ": by_type", "type")
    for ty, w in pairs(m.by_type) do number(w, ("%s: by_type['%s']"):format(where, ty)) end
  end
  if m.by_security then
    for sid, w in pairs(m.by_security) do
      if not ctx.sec_index[sid] then fail("%s: %s: by_security names an unknown security '%s'", FN, where, tostring(sid)) end
      number(w, ("%s: by_security['%s']"):format(where, sid))
    end
  end
  if m.by_side then
    for side, w in pairs(m.by_side) do
      if side ~= "long" and side ~= "short" then
        fail("%s: %s: by_side keys are 'long' and 'short' (got '%s')", FN, where, tostring(side))
      end
      number(w, ("%s: by_side['%s']"):format(where, side))
    end
  end
  return m
end

local function metrics(ms, acc, ctx)
  for mname, m in pairs(ms or {}) do
    if mname == "cash" then fail("%s: account '%s': 'cash' is a built-in metric", FN, acc) end
    metric(m, acc, mname, ctx)
  end
  return ms or {}
end

-- one limit: {name, lhs = metric | {metric = coef}, sense, rhs} or
-- {name, ratio = {M1, sense, c, M2}} (M1 sense c M2, kept as M1 - c M2 sense 0)
local function limit(lim, l, acc, ms)
  if type(lim) ~= "table" then fail("%s: account '%s', limit %d must be a table (got %s)", FN, acc, l, type(lim)) end
  local name = lim.name or ("limit" .. l)
  local fn = ("%s: account '%s', limit '%s'"):format(FN, acc, name)
  check.options(lim, fn, LIMIT)
  local lhs, sense, rhs = {}, lim.sense, lim.rhs or 0
  if lim.ratio then
    local r = lim.ratio
    if #r ~= 4 or type(r[1]) ~= "string" or type(r[4]) ~= "string" or not finite(r[3]) then
      fail("%s: ratio must be {metric, '<=' or '>=', c, metric}", fn)
    end
    if lim.lhs ~= nil or lim.rhs ~= nil or lim.sense ~= nil then
      fail("%s: a ratio limit takes no lhs, sense or rhs (the ratio holds them)", fn)
    end
    lhs[r[1]] = (lhs[r[1]] or 0) + 1
    lhs[r[4]] = (lhs[r[4]] or 0) - r[3]
    sense, rhs = r[2], 0
  elseif type(lim.lhs) == "string" then
    lhs[lim.lhs] = 1
  elseif type(lim.lhs) == "table" then
    for k, v in pairs(lim.lhs) do lhs[k] = v end
  else
    fail("%s: lhs must name a metric or be {metric = coef}", fn)
  end
  if not SENSES[sense] then fail("%s: sense must be '<=' or '>='", fn) end
  number(rhs, ("account '%s', limit '%s': rhs"):format(acc, name))
  if lim.scale ~= nil then number(lim.scale, ("account '%s', limit '%s': scale"):format(acc, name), ">0") end
  -- a fixed order of terms: sums, and so the models, do not depend on
  -- Lua's (seeded) string hashing
  local terms = {}
  for mname, c in pairs(lhs) do
    if type(mname) ~= "string" or (mname ~= "cash" and not ms[mname]) then
      fail("%s: unknown metric '%s'", fn, tostring(mname))
    end
    if not finite(c) then fail("%s: coefficient of '%s' is not a number", fn, mname) end
    terms[#terms + 1] = { mname, c }
  end
  table.sort(terms, function(p, q) return p[1] < q[1] end)
  return { name = name, lhs = lhs, terms = terms, sense = sense, rhs = rhs, scale = lim.scale, ratio = lim.ratio }
end

-- financing {type = rate | {long, short, buy, sell, default}, default = rate}
local function financing(fin, acc, ctx)
  fin = fin or {}
  local known = { default = true }
  for ty in pairs(ctx.types) do known[ty] = true end
  known_keys(fin, known, ("account '%s': financing"):format(acc), "type")
  for ty, rate in pairs(fin) do
    local where = ("account '%s': financing['%s']"):format(acc, ty)
    if type(rate) == "table" then
      check.options(rate, FN .. ": " .. where, RATE)
      for k, v in pairs(rate) do number(v, where .. "." .. k) end
    else
      number(rate, where)
    end
  end
  return fin
end

local function accepts(list, acc, ctx)
  if list == nil then return nil end
  if not is_list(list) then fail("%s: account '%s': accepts must be a list of security types", FN, acc) end
  local set = {}
  for _, ty in ipairs(list) do set[ty] = true end
  known_keys(set, ctx.types, ("account '%s': accepts"):format(acc), "type")
  return set
end

local function account(acc, a, ctx)
  if type(acc) ~= "table" then fail("%s: accounts[%d] must be a table (got %s)", FN, a, type(acc)) end
  local label = type(acc.name) == "string" and ("account '%s'"):format(acc.name) or ("accounts[%d]"):format(a)
  check.options(acc, FN .. ": " .. label, ACCOUNT)
  if type(acc.name) ~= "string" then fail("%s: accounts[%d] has no name", FN, a) end
  local name = acc.name
  local ms = metrics(acc.metrics, name, ctx)
  local lims = {}
  if acc.limits ~= nil and not is_list(acc.limits) then fail("%s: account '%s': limits must be a list", FN, name) end
  for l, lim in ipairs(acc.limits or {}) do lims[l] = limit(lim, l, name, ms) end
  if acc.cash ~= nil then number(acc.cash, ("account '%s': cash"):format(name)) end
  return { name = name, cash = acc.cash or 0, pos = positions(acc.positions, name, ctx), metrics = ms, limits = lims,
           financing = financing(acc.financing, name, ctx), accepts = accepts(acc.accepts, name, ctx) }
end

function I.accounts(accs, ctx)
  if not is_list(accs) then fail("%s: accounts must be a list", FN) end
  if #accs < 2 or #accs > 5 then fail("%s: %d accounts; between 2 and 5 are supported", FN, #accs) end
  local out, index = {}, {}
  for a, acc in ipairs(accs) do
    out[a] = account(acc, a, ctx)
    if index[out[a].name] then fail("%s: duplicate account '%s'", FN, out[a].name) end
    index[out[a].name] = a
  end
  return out, index
end

-- the financing rate of a trade at an account, or nil
local function rate_of(acc, tr)
  local fin = acc.financing
  local rate = fin[tr.type]
  if type(rate) == "table" then
    rate = rate[tr.side] or rate[tr.sign > 0 and "long" or "short"] or rate.default
  end
  if rate == nil then rate = fin.default end
  return rate
end

-- cost[t][a]: financing of trade t at account a over `days` (nil where
-- the account does not take the trade); a missing rate is an error
function I.costs(trades, accounts, days)
  local cost = {}
  for t, tr in ipairs(trades) do
    cost[t] = {}
    for a, acc in ipairs(accounts) do
      local rate = rate_of(acc, tr)
      local allowed = not acc.accepts or acc.accepts[tr.type] == true
      if rate == nil and allowed then
        fail("%s: account '%s' has no financing rate for %s %s", FN, acc.name, tr.type, tr.side)
      end
      if rate ~= nil then cost[t][a] = rate * tr.quantity * (tr.price + tr.accrued) * days / 360 end
    end
  end
  return cost
end

---------------------------------------------------------------------------
-- scenarios
---------------------------------------------------------------------------
local SCENARIOS = { n = "number", seed = "number", dist = "string", df = "number", horizon = "number",
                    vols = "table", correlation = "table", file = "string", returns = "table",
                    prices = "table", generator = "function" }
local LABEL_COLUMNS = { date = true, Date = true, scenario = true }

-- a returns or price table (folio.read_csv's shape: columns, n, a list
-- per column) -> rows of price factors, its columns matched to the
-- securities by id: 1 + r for a return, p / price for a price
local function from_table(tb, secs, sec_index, what, kind)
  if type(tb.columns) ~= "table" or type(tb.n) ~= "number" then
    fail("%s: scenarios: %s must be a table from folio.read_csv (with columns and n)", FN, what)
  end
  for _, c in ipairs(tb.columns) do
    if not sec_index[c] and not LABEL_COLUMNS[c] then
      fail("%s: scenarios: %s has a column '%s' that is no security (columns are security ids, and date or scenario)",
        FN, what, tostring(c))
    end
  end
  local rows = {}
  for i = 1, tb.n do rows[i] = {} end
  for s, sec in ipairs(secs) do
    local col = tb[sec.id]
    if type(col) ~= "table" then fail("%s: scenarios: %s has no column '%s'", FN, what, sec.id) end
    for i = 1, tb.n do
      local v = col[i]
      if not finite(v) then
        fail("%s: scenarios: %s, scenario %d, column '%s' must be a finite %s (got %s)", FN, what, i, sec.id, kind,
          v == nil and "nothing" or tostring(v))
      end
      local f = kind == "return" and 1 + v or v / sec.price
      if not (f > 0) then
        fail("%s: scenarios: %s, scenario %d, column '%s': a %s of %s leaves no positive price", FN, what, i, sec.id,
          kind, tostring(v))
      end
      rows[i][s] = f
    end
  end
  return rows
end

-- {within_type =, across =} or a matrix (positional with the securities'
-- order, or keyed by id)
local function correlation(c, secs, ids)
  if c == nil then return nil end
  if c.within_type ~= nil or c.across ~= nil then
    check.options(c, FN .. ": scenarios.correlation", { within_type = "number", across = "number" })
    local w, x = c.within_type or 0, c.across or 0
    local corr = {}
    for i, si in ipairs(secs) do
      corr[i] = {}
      for j, sj in ipairs(secs) do corr[i][j] = i == j and 1 or (si.type == sj.type and w or x) end
    end
    return corr
  end
  return align.matrix(c, ids, FN, "scenarios.correlation")
end

local function generated(sc, secs, ids)
  local vols = {}
  if sc.vols then
    local known = {}
    for _, s in ipairs(secs) do known[s.id] = true; known[s.type] = true end
    for k in pairs(sc.vols) do
      if not known[k] then fail("%s: scenarios.vols names '%s', which is no security id or type", FN, tostring(k)) end
    end
  end
  for s, sec in ipairs(secs) do
    local v = sec.vol
    if v == nil and sc.vols then v = sc.vols[sec.id] or sc.vols[sec.type] end
    if v == nil then fail("%s: no volatility for security '%s'", FN, sec.id) end
    vols[s] = number(v, ("volatility of '%s'"):format(sec.id), ">=0")
  end
  local dist = sc.dist or "normal"
  if dist ~= "normal" and dist ~= "t" then fail("%s: scenarios.dist must be 'normal' or 't' (got '%s')", FN, dist) end
  local spec = { securities = #secs, vols = vols, corr = correlation(sc.correlation, secs, ids), n = sc.n or 0,
                 seed = sc.seed or 1, dist = dist, df = sc.df or 5, horizon = sc.horizon or 1 }
  local T = core.trade
  local ok, scen = pcall(T.generate, spec)
  if not ok then fail("%s: scenarios: %s", FN, bare(scen)) end
  return scen
end

-- the scenario set (a folio.scenarios of price factors) from the
-- configuration: generated, a returns file or table, or a Lua generator
function I.scenarios(sc, secs, sec_index)
  local T = core.trade
  sc = sc or { n = 0 }
  check.options(sc, FN .. ": scenarios", SCENARIOS)
  local sources = {}
  for _, k in ipairs { "file", "returns", "prices", "generator" } do
    if sc[k] ~= nil then sources[#sources + 1] = k end
  end
  if #sources > 1 then
    fail("%s: scenarios: give one of file, returns, prices and generator (got %s)", FN, phrase(sources))
  end
  if sc.n ~= nil then number(sc.n, "scenarios.n", "count") end
  if sc.seed ~= nil then number(sc.seed, "scenarios.seed", "count") end
  if sc.df ~= nil then number(sc.df, "scenarios.df", ">0") end
  if sc.horizon ~= nil then number(sc.horizon, "scenarios.horizon", ">0") end
  local ids = {}
  for s, sec in ipairs(secs) do ids[s] = sec.id end
  local S = #secs
  if sc.file then
    -- one row per scenario, one column per security id, each a return
    local ok, tb = pcall(require("folio").read_csv, sc.file)
    if not ok then fail("%s: scenarios: %s", FN, bare(tb)) end
    return T.from_rows(from_table(tb, secs, sec_index, "file " .. sc.file, "return"), S), sc
  elseif sc.returns or sc.prices then
    local what = sc.returns and "returns" or "prices"
    return T.from_rows(from_table(sc[what], secs, sec_index, what, what == "returns" and "return" or "price"), S), sc
  elseif sc.generator then
    -- a Lua function(securities, k) returning the price factors of
    -- scenario k, keyed by security id (or a list in the securities' order)
    local rows = {}
    for k = 1, sc.n or 0 do
      local row = sc.generator(secs, k)
      if type(row) ~= "table" then fail("%s: scenarios.generator returned no row for scenario %d", FN, k) end
      rows[k] = align.vector(row, ids, FN, ("scenarios.generator's scenario %d"):format(k))
    end
    return T.from_rows(rows, S), sc
  end
  return generated(sc, secs, ids), sc
end

---------------------------------------------------------------------------
-- objectives: {{"financing_cost", priority =, weight =, abs_tol =, rel_tol =}, ...}
---------------------------------------------------------------------------
local OBJECTIVES = { financing_cost = true, min_headroom = true, concentration = true, risk = true }
local OBJECTIVE = { kind = "string", priority = "number", weight = "number", abs_tol = "number", rel_tol = "number",
                    alpha = "number", aggregate = "string" }

-- returns the objectives by priority, the combination, and the risk
-- measure's settings {alpha, aggregate} (defaults when no risk objective)
function I.objectives(objs, combine)
  objs = objs or { { "financing_cost" } }
  if not is_list(objs) or #objs == 0 then fail("%s: objectives must be a non-empty list", FN) end
  local out = {}
  local risk
  for i, o in ipairs(objs) do
    if type(o) ~= "table" then fail("%s: objectives[%d] must be a table (got %s)", FN, i, type(o)) end
    local named = {}
    for k, v in pairs(o) do if k ~= 1 then named[k] = v end end
    local fn = ("%s: objectives[%d]"):format(FN, i)
    check.options(named, fn, OBJECTIVE)
    local kind = o[1] or o.kind
    if not OBJECTIVES[kind] then
      fail("%s: unknown objective '%s' (financing_cost, min_headroom, concentration, risk)", fn, tostring(kind))
    end
    for _, k in ipairs { "priority", "weight" } do if o[k] ~= nil then number(o[k], ("objectives[%d].%s"):format(i, k)) end end
    for _, k in ipairs { "abs_tol", "rel_tol" } do
      if o[k] ~= nil then number(o[k], ("objectives[%d].%s"):format(i, k), ">=0") end
    end
    if (o.alpha ~= nil or o.aggregate ~= nil) and kind ~= "risk" then
      fail("%s: alpha and aggregate belong to the 'risk' objective (got them on '%s')", fn, kind)
    end
    if kind == "risk" then
      if risk then fail("%s: a second 'risk' objective (give one)", fn) end
      local alpha = o.alpha == nil and 0.95 or number(o.alpha, ("objectives[%d].alpha"):format(i), ">=0")
      if alpha >= 1 then fail("%s: alpha must be in [0, 1) (got %s)", fn, tostring(alpha)) end
      local agg = o.aggregate or "max"
      if agg ~= "max" and agg ~= "sum" then fail("%s: aggregate must be 'max' or 'sum' (got '%s')", fn, tostring(agg)) end
      risk = { alpha = alpha, aggregate = agg }
    end
    out[i] = { kind = kind, priority = o.priority or i, weight = o.weight or 1, abs_tol = o.abs_tol or 0,
               rel_tol = o.rel_tol or 1e-6, index = i }
  end
  table.sort(out, function(a, b)
    if a.priority ~= b.priority then return a.priority < b.priority end
    return a.index < b.index
  end)
  combine = combine or "lexicographic"
  if combine ~= "lexicographic" and combine ~= "weighted" then
    fail("%s: combine must be 'lexicographic' or 'weighted' (got '%s')", FN, tostring(combine))
  end
  return out, combine, risk or { alpha = 0.95, aggregate = "max" }
end

-- metric weight of security sec on a side ("long" or "short"):
-- by_security overrides by_type, else default; times by_side (default 1)
function I.weight(metric, sec, side)
  local w = metric.by_security and metric.by_security[sec.id]
  if w == nil then w = metric.by_type and metric.by_type[sec.type] end
  if w == nil then w = metric.default or 0 end
  local sw = metric.by_side and metric.by_side[side]
  if sw == nil then sw = 1 end
  return w * sw
end

---------------------------------------------------------------------------
-- the run settings: method, solver and limits (also solve()'s options)
---------------------------------------------------------------------------
function I.method(m, fn)
  if m ~= nil and m ~= "lazy" and m ~= "full" then fail("%s: method must be 'lazy' or 'full' (got '%s')", fn, tostring(m)) end
  return m
end

function I.solver(s, fn)
  if s == nil then return nil end
  local list = core.backends()
  for _, b in ipairs(list) do if b == s then return s end end
  fail("%s: unknown solver '%s' (available: %s)", fn, tostring(s), table.concat(list, ", "))
end

-- the numbers among the settings: fn names the caller in messages
function I.limits(o, fn)
  for _, k in ipairs { "time_limit", "mip_gap", "discovery_gap" } do
    if o[k] ~= nil then number(o[k], k, ">=0", fn) end
  end
  for _, k in ipairs { "initial_scenarios", "max_rounds", "per_row" } do
    if o[k] ~= nil then number(o[k], k, "count", fn) end
  end
  if o.max_rounds ~= nil and o.max_rounds < 1 then fail("%s: max_rounds must be at least 1", fn) end
  if o.per_row ~= nil and o.per_row < 1 then fail("%s: per_row must be at least 1", fn) end
  if o.days ~= nil then number(o.days, "days", ">0", fn) end
end

I.CONFIG = { securities = "table|string", trades = "table|string", accounts = "table", scenarios = "table",
             objectives = "table", combine = "string", solver = "string", time_limit = "number", mip_gap = "number",
             method = "string", initial_scenarios = "number", days = "number", verbose = "boolean",
             max_rounds = "number" }

-- everything the assigner reads from its configuration
function I.read(cfg)
  if type(cfg) ~= "table" then fail("%s: expected a table of options (got %s)", FN, type(cfg)) end
  check.options(cfg, FN, I.CONFIG)
  I.method(cfg.method, FN)
  I.solver(cfg.solver, FN)
  I.limits(cfg, FN)
  local a = {}
  a.securities, a.sec_index, a.types = I.securities(cfg.securities)
  a.trades = I.trades(cfg.trades, a.securities, a.sec_index)
  a.accounts, a.acc_index = I.accounts(cfg.accounts, { sec_index = a.sec_index, types = a.types })
  a.costs = I.costs(a.trades, a.accounts, cfg.days or 30)
  a.scen = I.scenarios(cfg.scenarios, a.securities, a.sec_index)
  a.objectives, a.combine, a.risk = I.objectives(cfg.objectives, cfg.combine)
  return a
end

return I
