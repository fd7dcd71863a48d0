-- Why a trade batch has no assignment, in the user's words
-- (docs/trade_assignment.md, "Infeasible inputs"):
--   conflict(): the account limits, `accepts` restrictions and trades that
--     cannot all hold together, found by the model's IIS search in group
--     mode (m:conflict, a deletion filter over the user's own groups);
--   explain(): an elastic model, how far each limit must give.
local check = require "folio.check"
local results = require "folio.results"
local In = require "folio.trade_input"
local Solve = require "folio.trade_solve"
local T = require("folio.core").trade

local E = {}
local phrase = In.phrase
local num = results.number
local allowed = Solve.allowed_pair

---------------------------------------------------------------------------
-- the user's groups, as labels
---------------------------------------------------------------------------
-- "cash >= 250000", "coll >= 0.9 mv", "cash + collateral >= 0"
local function formula(lim)
  if lim.ratio then
    local r = lim.ratio
    return ("%s %s %s %s"):format(r[1], r[2], num(r[3]), r[4])
  end
  local parts = {}
  for i, term in ipairs(lim.terms) do
    local m, c = term[1], term[2]
    local mag = math.abs(c)
    local t = mag == 1 and m or (num(mag) .. " " .. m)
    if i == 1 then parts[1] = (c < 0 and "-" or "") .. t
    else parts[#parts + 1] = (c < 0 and " - " or " + ") .. t end
  end
  return ("%s %s %s"):format(table.concat(parts), lim.sense, num(lim.rhs))
end
E.formula = formula

-- "PB1 limit 'cash' (cash >= 250000)"
function E.limit_label(acc, lim)
  return ("%s limit '%s' (%s)"):format(acc.name, lim.name, formula(lim))
end

local function accepted(acc)
  local list = {}
  for ty in pairs(acc.accepts) do list[#list + 1] = ty end
  table.sort(list)
  return phrase(list)
end

-- "PB3 accepts only government"
function E.accepts_label(acc)
  return ("%s accepts only %s"):format(acc.name, accepted(acc))
end

-- "t1 (buy 900 UST10)"
function E.trade_text(self, t)
  local tr = self.trades[t]
  return ("%s (%s %s %s)"):format(tr.id, tr.side, num(tr.quantity), self.securities[tr.sec].id)
end

---------------------------------------------------------------------------
-- the conflict
---------------------------------------------------------------------------
-- trades no account accepts, and the message that names them
local function orphans(self)
  local out, types = {}, {}
  for t, tr in ipairs(self.trades) do
    local any = false
    for a = 1, #self.accounts do any = any or allowed(self, t, a) end
    if not any then
      out[#out + 1] = t
      if not types[tr.type] then types[#types + 1] = tr.type; types[tr.type] = true end
    end
  end
  return out, types
end

local function orphan_message(self, list, types)
  local trades, labels = {}, {}
  for i, t in ipairs(list) do trades[i] = E.trade_text(self, t) end
  local accs = {}
  for a, acc in ipairs(self.accounts) do
    accs[a] = E.accepts_label(acc)
    labels[#labels + 1] = accs[a]
  end
  for _, t in ipairs(list) do labels[#labels + 1] = "trade " .. E.trade_text(self, t) end
  local msg = ("infeasible: no account accepts %s, so %s %s cannot be booked (%s)"):format(phrase(types),
    #list == 1 and "trade" or "trades", phrase(trades), table.concat(accs, "; "))
  return msg, labels
end

-- The conflict of an infeasible batch in the user's terms: a deletion
-- filter (m:conflict in group mode) over the account limits (every
-- scenario row of a limit is one group), each account's `accepts` and each
-- trade's need to be booked, on the active scenario rows of the solve that
-- proved the batch infeasible. Returns the message and the group labels.
function E.conflict(self, active, o)
  local list, types = orphans(self)
  if #list > 0 then return orphan_message(self, list, types) end
  local folio = require "folio"
  local rows = self:build_rows()
  local nT, nA = #self.trades, #self.accounts
  local tid, aid = {}, {}
  for t = 1, nT do tid[t] = t end
  for a = 1, nA do aid[a] = a end
  local m = folio.model("trade_conflict")
  -- x without zero bounds: what an account refuses is a row of its own group
  local x = m:var("x", { tid, aid }, { kind = "binary" })
  local net = Solve.add_netting(self, m, x, true)
  local groups, info = {}, {}
  local function group(row, label, what)
    groups[row] = label
    info[label] = what
  end
  for t = 1, nT do
    local one = folio.sum(aid, function(a) return x[t][a] end)
    m:st("at_most_one_" .. t, one, "<=", 1)
    m:st("booked_" .. t, one, ">=", 1)
    group("booked_" .. t, "trade " .. E.trade_text(self, t), { trade = t, order = t })
  end
  for a, acc in ipairs(self.accounts) do
    if acc.accepts then
      local refused = {}
      for t = 1, nT do if not allowed(self, t, a) then refused[#refused + 1] = x[t][a] end end
      if #refused > 0 then
        m:st("accepts_" .. a, folio.sum(refused), "<=", 0)
        group("accepts_" .. a, E.accepts_label(acc), { order = a * 1000 + 999 })
      end
    end
  end
  -- limit rows: the active scenarios of every limit, one group per limit
  local index = {}
  for a, acc in ipairs(self.accounts) do
    for l, lim in ipairs(acc.limits) do index[lim] = a * 1000 + l end
  end
  for _, key in ipairs(Solve.sorted_keys(active)) do
    local r = active[key][1]
    local lhs, bound = self:limit_row(active[key], x, true, net)
    local info_r = rows.info[r]
    m:st("limit_" .. key, lhs, "<=", bound)
    group("limit_" .. key, E.limit_label(self.accounts[info_r.account], info_r.lim), { order = index[info_r.lim] })
  end
  local c = m:conflict { groups = groups, time_limit = o.time_limit or 10, solver = o.solver }
  local cons, trades = {}, {}
  for _, label in ipairs(c.items) do
    local what = info[label]
    if what.trade then trades[#trades + 1] = { label = label, order = what.order }
    else cons[#cons + 1] = { label = label, order = what.order } end
  end
  local by_order = function(p, q) return p.order < q.order end
  table.sort(cons, by_order)
  table.sort(trades, by_order)
  local labels, climits, ttexts = {}, {}, {}
  for _, g in ipairs(cons) do labels[#labels + 1] = g.label; climits[#climits + 1] = g.label end
  for _, g in ipairs(trades) do
    labels[#labels + 1] = g.label
    ttexts[#ttexts + 1] = E.trade_text(self, g.order)
  end
  if #climits == 0 then
    return ("infeasible: the account limits cannot all hold in every scenario (the conflict search ended %s)")
      :format(c.status), labels
  end
  local msg = ("infeasible: %s %s"):format(phrase(climits), #climits == 1 and "cannot hold" or "cannot all hold")
  if #ttexts == 0 then
    msg = msg .. ", whichever trades are booked"
  else
    msg = msg .. (" with %s %s booked"):format(#ttexts == 1 and "trade" or "trades", phrase(ttexts))
  end
  if not c.irreducible then
    msg = msg .. (" (the search ended %s before it could show this set is minimal)"):format(c.status)
  end
  return msg, labels
end

-- n = 0: the limits the books breach as they stand
function E.books_message(self, v)
  local labels, seen = {}, {}
  for _, b in ipairs(v.breaches) do
    local a = self.acc_index[b.account]
    for _, lim in ipairs(self.accounts[a].limits) do
      if lim.name == b.limit then
        local label = E.limit_label(self.accounts[a], lim)
        if not seen[label] then seen[label] = true; labels[#labels + 1] = label end
      end
    end
  end
  return ("infeasible: with no trades to book, %s %s as the books stand"):format(phrase(labels),
    #labels == 1 and "fails" or "fail"), labels
end

---------------------------------------------------------------------------
-- the elastic explanation: which limit must give, and by how much
---------------------------------------------------------------------------
-- An elastic version of the model: every active limit row gets a slack,
-- the objective is the total slack relative to each row's scale, and rows
-- are added lazily as in solve_stage. The positive slacks at the end are
-- the limits that cannot all be met, with the amount each must give.
local EXPLAIN = { solver = "string", time_limit = "number" }

function E.explain(self, opts)
  check.options(opts, "explain", EXPLAIN)
  opts = opts or {}
  In.solver(opts.solver, "explain")
  In.limits(opts, "explain")
  local folio = require "folio"
  local rows = self:build_rows()
  local nT, nA = #self.trades, #self.accounts
  -- a trade no account takes cannot be booked, whatever the limits
  local list = orphans(self)
  if #list > 0 then
    local out = {}
    for i, t in ipairs(list) do
      out[i] = { trade = self.trades[t].id, reason = ("no account accepts %s"):format(self.trades[t].type) }
    end
    return { status = "explained", breaches = out }
  end
  local active = self:initial_active()
  local tid, aid = {}, {}
  for t = 1, nT do tid[t] = t end
  for a = 1, nA do aid[a] = a end
  local assign, slacks
  for _ = 1, self.cfg.max_rounds or 100 do
    local m = folio.model("trade_elastic")
    local x = nT > 0 and m:var("x", { tid, aid }, { kind = "binary",
      ub = function(t, a) return allowed(self, t, a) and 1 or 0 end }) or nil
    if x then m:st("one_account", tid, function(t) return folio.sum(aid, function(a) return x[t][a] end), "==", 1 end) end
    local net = x and Solve.add_netting(self, m, x) or nil
    local obj, slack = {}, {}
    for _, key in ipairs(Solve.sorted_keys(active)) do
      local lhs, bound
      if x then
        lhs, bound = self:limit_row(active[key], x, false, net)
      else
        local _, const, rhs = T.row(self.limits_c, self.scen, active[key][1], active[key][2])
        lhs, bound = 0, rhs - const
      end
      slack[key] = m:var("slack_" .. key, { lb = 0 })
      m:st("limit_" .. key, lhs - slack[key], "<=", bound)
      obj[#obj + 1] = (1 / rows.scale[active[key][1]]) * slack[key]
    end
    m:minimize(folio.sum(obj))
    local r = m:solve { solver = opts.solver or self.cfg.solver, time_limit = opts.time_limit or self.cfg.time_limit }
    if not r.has_solution then return { status = r.status } end
    assign = x and Solve.read_assignment(r, x, nT, nA) or {}
    slacks = {}
    for key, v in pairs(slack) do slacks[key] = r:value(v) end
    -- rows violated beyond their slack (or without one yet)
    if Solve.add_violated(active, T.check(self.limits_c, self.scen, assign, 1e-9, 1)) == 0 then break end
  end
  local out = {}
  for key, v in pairs(slacks) do
    if v > 1e-6 * (1 + math.abs(rows.rhs[active[key][1]])) then
      local info = rows.info[active[key][1]]
      out[#out + 1] = { account = self.accounts[info.account].name, limit = info.limit, scenario = active[key][2],
                        shortfall = v }
    end
  end
  table.sort(out, function(a, b)
    if a.shortfall ~= b.shortfall then return a.shortfall > b.shortfall end
    if a.account ~= b.account then return a.account < b.account end
    if a.limit ~= b.limit then return a.limit < b.limit end
    return a.scenario < b.scenario
  end)
  return { status = "explained", breaches = out, assignment = assign }
end

return E
