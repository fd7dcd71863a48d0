-- folio.TradeAssigner's outputs: the independent validator, the result
-- class of the contract (folio.results: summary, CSV, JSON), the report
-- tables, the headroom chart and the audit trail.
local check = require "folio.check"
local results = require "folio.results"
local In = require "folio.trade_input"
local Solve = require "folio.trade_solve"
local fail = check.fail

local Rep = {}
local num = results.number

---------------------------------------------------------------------------
-- assignments given by the user: account indices or names, as a list in
-- trade order or keyed by trade id; 0 (or false) leaves a trade unbooked
---------------------------------------------------------------------------
function Rep.assignment_of(self, assign, fn)
  if type(assign) ~= "table" then
    fail("%s: expected an assignment (one account per trade, by index or name) (got %s)", fn, type(assign))
  end
  local nT, nA = #self.trades, #self.accounts
  local out, keyed = {}, false
  for k in pairs(assign) do
    if type(k) == "string" then keyed = true; break end
  end
  local function account(v, where)
    if v == nil or v == false or v == 0 then return 0 end
    if type(v) == "string" then
      local a = self.acc_index[v]
      if not a then fail("%s: %s names an unknown account '%s'", fn, where, v) end
      return a
    end
    if math.type(v) ~= "integer" or v < 0 or v > nA then
      fail("%s: %s must be an account name or an index 1..%d (got %s)", fn, where, nA, tostring(v))
    end
    return v
  end
  if keyed then
    local pos = {}
    for t, tr in ipairs(self.trades) do pos[tr.id] = t end
    for id in pairs(assign) do
      if not pos[id] then fail("%s: the assignment names an unknown trade '%s'", fn, tostring(id)) end
    end
    for t, tr in ipairs(self.trades) do out[t] = account(assign[tr.id], ("trade '%s'"):format(tr.id)) end
  else
    if #assign ~= nT and #assign > 0 then
      fail("%s: the assignment has %d entries for %d trades", fn, #assign, nT)
    end
    for t = 1, nT do out[t] = account(assign[t], ("assignment[%d]"):format(t)) end
  end
  return out
end

---------------------------------------------------------------------------
-- the validator: recomputes everything from the raw inputs (not from the
-- linear forms the MIP was built from)
---------------------------------------------------------------------------
-- an account's metric on a book (net positions pos[s], cash) with the
-- price factors f (nil: the nominal): the weight of each security's side
-- applies to its net position
local function metric_value(self, metric, pos, held, cash, f)
  local v = (metric.cash or 0) * cash
  for _, s in ipairs(held) do
    local q = pos[s]
    if q ~= 0 then
      local sec = self.securities[s]
      local px = sec.price * (f and f[s] or 1) + sec.accrued
      v = v + In.weight(metric, sec, q >= 0 and "long" or "short") * q * px
    end
  end
  return v
end

-- a limit's left-hand side on a book
local function limit_value(self, acc, lim, pos, held, cash, f)
  local v = 0
  for _, term in ipairs(lim.terms) do
    local mname, c = term[1], term[2]
    v = v + c * (mname == "cash" and cash or metric_value(self, acc.metrics[mname], pos, held, cash, f))
  end
  return v
end

local function sorted_metric_names(acc)
  local names = {}
  for mname in pairs(acc.metrics) do names[#names + 1] = mname end
  table.sort(names)
  return names
end

-- the validator: recomputes each account's book after the trades (net
-- position per security, cash) from the raw inputs, not from the linear
-- forms the MIP was built from, then every metric and every limit under
-- the nominal and every scenario. Per account: cash and positions before
-- and after, every metric before and after (nominal prices), and per
-- limit its value before the trades, after them (nominal), its worst
-- scenario and value there, and its headroom.
function Rep.validate(self, assign, tol)
  assign = Rep.assignment_of(self, assign, "validate")
  if tol ~= nil then In.number(tol, "tol", ">=0", "validate") end
  tol = tol or 1e-6
  local scen = self.scen
  local N = select(1, scen:size())
  local report = { compliant = true, accounts = {}, breaches = {} }
  local factors = {}
  for k = 1, N do factors[k] = scen:row(k) end
  for a, acc in ipairs(self.accounts) do
    -- post-trade book: net positions and cash
    local before, pos, cash = {}, {}, acc.cash
    for s, q in pairs(acc.pos) do before[s], pos[s] = q, q end
    for t, tr in ipairs(self.trades) do
      if assign[t] == a then
        pos[tr.sec] = (pos[tr.sec] or 0) + (tr.side == "buy" and tr.quantity or -tr.quantity)
        cash = cash - (tr.side == "buy" and 1 or -1) * tr.quantity * (tr.price + tr.accrued)
      end
    end
    -- in a fixed order, so that sums do not depend on string hashing
    local held = {}
    for s in pairs(pos) do held[#held + 1] = s end
    table.sort(held)
    local held0 = {}
    for s in pairs(before) do held0[#held0 + 1] = s end
    table.sort(held0)
    local acc_rep = { name = acc.name, cash_before = acc.cash, cash = cash, positions = {}, metrics = {}, limits = {} }
    for _, s in ipairs(held) do
      acc_rep.positions[#acc_rep.positions + 1] = { security = self.securities[s].id, before = before[s] or 0,
                                                    after = pos[s] }
    end
    for _, mname in ipairs(sorted_metric_names(acc)) do
      local metric = acc.metrics[mname]
      acc_rep.metrics[#acc_rep.metrics + 1] = { name = mname,
        before = metric_value(self, metric, before, held0, acc.cash), after = metric_value(self, metric, pos, held, cash) }
    end
    for _, lim in ipairs(acc.limits) do
      local worst_e, worst_k, worst_v, nominal
      for k = 0, N do
        local v = limit_value(self, acc, lim, pos, held, cash, k > 0 and factors[k] or nil)
        local excess = lim.sense == "<=" and v - lim.rhs or lim.rhs - v
        if k == 0 then nominal = v end
        if worst_e == nil or excess > worst_e then worst_e, worst_k, worst_v = excess, k, v end
        if excess > tol * (1 + math.abs(lim.rhs)) then
          report.compliant = false
          report.breaches[#report.breaches + 1] = { account = acc.name, limit = lim.name, scenario = k, excess = excess }
        end
      end
      acc_rep.limits[#acc_rep.limits + 1] = { name = lim.name, sense = lim.sense, rhs = lim.rhs,
        before = limit_value(self, acc, lim, before, held0, acc.cash), nominal = nominal, worst_scenario = worst_k,
        worst_value = worst_v, worst_excess = worst_e, headroom = -worst_e }
    end
    report.accounts[a] = acc_rep
  end
  return report
end

-- the cheapest other account for each trade (financing only)
function Rep.alternatives(self, assign)
  assign = Rep.assignment_of(self, assign, "alternatives")
  local out = {}
  for t = 1, #self.trades do
    local best, bc = nil, math.huge
    for a = 1, #self.accounts do
      local c, acc = self.costs[t][a], self.accounts[a]
      local takes = not acc.accepts or acc.accepts[self.trades[t].type] == true
      if a ~= assign[t] and c and takes and c < bc then best, bc = a, c end
    end
    out[t] = { account = best and self.accounts[best].name or nil, cost = best and bc or nil }
  end
  return out
end

---------------------------------------------------------------------------
-- the result (docs/trade_assignment.md, "The result")
---------------------------------------------------------------------------
local OBJECTIVE_TEXT = {
  financing_cost = "the financing cost of the assignment",
  concentration = "the largest gross book over the accounts",
  min_headroom = "the smallest scaled headroom over every limit and scenario",
  weighted = "the weighted sum of the objectives (headroom counted negative)",
}

-- columns and rows of the assignment (none without a solution)
local function assignment_table(self)
  local cols = { "trade", "side", "security", "notional", "account", "financing", "best alternative", "its financing" }
  local rows = {}
  if not self.has_solution then return cols, rows end
  local ta = self.assigner
  local alt = Rep.alternatives(ta, self.assignment)
  for t, tr in ipairs(ta.trades) do
    local a = self.assignment[t]
    rows[t] = { tr.id, tr.side, ta.securities[tr.sec].id, tr.quantity * tr.price, ta.accounts[a].name,
                ta.costs[t][a], alt[t].account or "", alt[t].cost or "" }
  end
  return cols, rows
end

-- the facts of a result: {{label, value}, ...} (nil values are left out)
local function facts(self)
  local ta = self.assigner
  local f = {
    { "status", self.status }, { "objective", self.has_solution and self.objective or nil },
    { "objective is", self.objective_kind and OBJECTIVE_TEXT[self.objective_kind] or nil },
    { "financing cost", self.cost }, { "trades", #ta.trades }, { "accounts", #ta.accounts },
    { "scenarios", self.scenarios }, { "method", self.method }, { "limit rows", self.rows_active },
    { "solver", self.solver }, { "solve time (s)", self.solve_time }, { "message", self.message },
    { "note", self.note },
  }
  if self.fallback then
    f[#f + 1] = { "fallback", self.fallback.complete and "the heuristic's answer (complete)"
      or ("the heuristic left %d trades unplaced"):format(#self.fallback.unplaced) }
    f[#f + 1] = { "fallback gap to the MIP bound", self.fallback.gap }
  end
  return f
end

local function summary(self)
  local out = { "Trade assignment: " .. results.headline(self) }
  if self.message then out[#out + 1] = "  " .. self.message end
  if self.note then out[#out + 1] = "  " .. self.note end
  local ta = self.assigner
  out[#out + 1] = ("%d trades, %d accounts, %d scenarios (method %s, %d limit rows)"):format(#ta.trades,
    #ta.accounts, self.scenarios or 0, self.method or "?", self.rows_active or 0)
  local tm = self.timing
  if tm then
    out[#out + 1] = ("Time: %.3g s of %s (model builds %.3g, MIP %.3g, checks %.3g, fallback %.3g, conflict search %.3g)")
      :format(tm.total, self.time_limit and self.time_limit > 0 and ("a " .. num(self.time_limit) .. " s budget")
        or "no budget", tm.build, tm.solve, tm.check, tm.fallback, tm.conflict)
  end
  if not self.has_solution then
    if self.fallback and not self.fallback.complete then
      out[#out + 1] = "Fallback heuristic: unplaced " .. table.concat(self.fallback.unplaced, ", ")
    end
    return table.concat(out, "\n")
  end
  out[#out + 1] = ("Objective: %s; financing cost %s over %s days"):format(OBJECTIVE_TEXT[self.objective_kind] or "?",
    num(self.cost), num(ta.cfg.days or 30))
  if self.fallback then
    out[#out + 1] = ("Fallback: the heuristic's answer%s"):format(self.fallback.gap
      and (", %.4g%% above the MIP's bound"):format(100 * self.fallback.gap) or "")
  end
  if #ta.trades > 0 then
    local cols, rows = assignment_table(self)
    out[#out + 1] = require("folio.report").grid(cols, rows)
  end
  return table.concat(out, "\n")
end

local Result = results.class("folio.trade_result", {
  kind = "trade",
  summary = summary,
  json_skip = { assigner = true },
  -- one layout whatever the outcome: no rows without a solution
  csv = function(self)
    local rows = {}
    if self.has_solution then
      for t, tr in ipairs(self.assigner.trades) do rows[t] = { tr.id, self.assigner.accounts[self.assignment[t]].name } end
    end
    return { "trade", "account" }, rows
  end,
})
Result.assignment_table = assignment_table
Result.facts = facts
Rep.Result = Result

function Rep.result(res) return setmetatable(res, Result) end

local function check_result(self, res, fn)
  if getmetatable(res) ~= Result then
    fail("%s: expected the result of ta:solve() (got %s)", fn, type(res) == "table" and "a plain table" or type(res))
  end
  if res.assigner ~= self then fail("%s: the result comes from another TradeAssigner", fn) end
end

---------------------------------------------------------------------------
-- report tables and the headroom chart
---------------------------------------------------------------------------
-- one row per account limit (v: a validation): account, limit, bound,
-- its value before the trades, at the base state (nominal prices) after
-- them, the worst scenario and the value there, the headroom (absolute,
-- and scaled as the min_headroom objective scales it)
local function limit_rows(self, v)
  local lrows = {}
  for a, acc in ipairs(v.accounts) do
    for l, lv in ipairs(acc.limits) do
      local scale = Solve.headroom_scale(self, a, l)
      lrows[#lrows + 1] = { acc.name, lv.name, lv.sense .. " " .. num(lv.rhs), lv.before, lv.nominal, lv.worst_scenario,
                            lv.worst_value, lv.headroom, lv.headroom / scale }
    end
  end
  return lrows
end
local LIMIT_COLUMNS = { "account", "limit", "bound", "before trades", "base (nominal)", "worst scenario", "worst value",
                        "headroom", "headroom (scaled)" }

-- per account: cash and every metric before and after the trades (nominal prices)
local function metric_rows(v)
  local rows = {}
  for _, acc in ipairs(v.accounts) do
    rows[#rows + 1] = { acc.name, "cash", acc.cash_before, acc.cash, acc.cash - acc.cash_before }
    for _, m in ipairs(acc.metrics) do rows[#rows + 1] = { acc.name, m.name, m.before, m.after, m.after - m.before } end
  end
  return rows
end

-- per account: each net position before and after the trades
local function position_rows(v)
  local rows = {}
  for _, acc in ipairs(v.accounts) do
    for _, p in ipairs(acc.positions) do rows[#rows + 1] = { acc.name, p.security, p.before, p.after, p.after - p.before } end
  end
  return rows
end
Rep.limit_rows, Rep.metric_rows, Rep.position_rows, Rep.LIMIT_COLUMNS = limit_rows, metric_rows, position_rows, LIMIT_COLUMNS

-- the scaled headroom of each account limit as bars (tightest limits stand out)
local function headroom_bars(lrows)
  local labels, values = {}, {}
  for i, l in ipairs(lrows) do labels[i], values[i] = l[1] .. " " .. l[2], 100 * l[9] end
  return require("folio.svg").bars { title = "Account headroom after the trades (worst scenario, % of the limit's scale)",
                                     labels = labels, values = values, unit = "%", max = 60 }
end

-- ta:headroom_svg(res): that chart for a solve's assignment
function Rep.headroom_svg(self, res)
  check_result(self, res, "headroom_svg")
  if not (res.has_solution and #res.assignment > 0) then fail("headroom_svg: the result has no assignment") end
  return headroom_bars(limit_rows(self, self:validate(res.assignment)))
end

-- res as the CLI's report: a summary, the result itself (which prints
-- the assignment), limits with headroom, cost by account, the solve log,
-- and for an infeasible batch how far each limit must give
function Rep.report(self, res)
  check_result(self, res, "report")
  local folio = require "folio"
  local out = {}
  local sum = { status = res.status, has_solution = res.has_solution, note = res.note,
                method = res.method, trades = #self.trades, accounts = #self.accounts, scenarios = res.scenarios,
                limit_rows = res.rows_active, seconds = res.solve_time, financing_cost = res.cost,
                objective = res.objective }
  out[1] = sum
  out[2] = res
  if res.has_solution and #res.assignment > 0 then
    local v = self:validate(res.assignment)
    sum.compliant = v.compliant
    sum.breaches = #v.breaches
    local lrows = limit_rows(self, v)
    local by = {}
    for t, a in ipairs(res.assignment) do
      by[a] = by[a] or { 0, 0, 0 }
      by[a][1] = by[a][1] + 1
      by[a][2] = by[a][2] + self.trades[t].quantity * self.trades[t].price
      by[a][3] = by[a][3] + self.costs[t][a]
    end
    local crows = {}
    for a, acc in ipairs(self.accounts) do
      local b = by[a] or { 0, 0, 0 }
      crows[a] = { acc.name, b[1], b[2], b[3] }
    end
    local limits = folio.table { title = "Limits: before the trades, after them at the base state (nominal prices), "
      .. "and the worst scenario (0 = the nominal); headroom to the bound there", columns = LIMIT_COLUMNS, rows = lrows }
    limits.chart = headroom_bars(lrows)   -- drawn by folio.html; the text and JSON reports leave it out
    out[#out + 1] = limits
    out[#out + 1] = folio.table { title = "Accounts before and after the trades (cash and every metric, nominal prices)",
      columns = { "account", "metric", "before", "after", "change" }, rows = metric_rows(v) }
    out[#out + 1] = folio.table { title = "Net positions before and after the trades",
      columns = { "account", "security", "before", "after", "change" }, rows = position_rows(v) }
    out[#out + 1] = folio.table { title = "By account", columns = { "account", "trades", "notional", "financing" },
      rows = crows }
  elseif res.has_solution then
    sum.compliant = res.validation and res.validation.compliant
  end
  local log = {}
  for i, l in ipairs(res.log or {}) do
    log[i] = { l.stage, l.round, l.solver, l.status, l.rows, l.added or 0, l.nodes or 0, l.gap or "", l.time }
  end
  if res.timing then
    local tm = res.timing
    out[#out + 1] = folio.table { title = ("Time spent (s), against a batch budget of %s"):format(
        res.time_limit and res.time_limit > 0 and (num(res.time_limit) .. " s") or "none"),
      columns = { "model builds", "MIP solves", "scenario checks", "fallback", "conflict search", "other", "total" },
      rows = { { tm.build, tm.solve, tm.check, tm.fallback, tm.conflict, tm.other, tm.total } } }
  end
  out[#out + 1] = folio.table { title = "Solve log", columns = { "stage", "round", "solver", "status", "rows",
    "rows added", "nodes", "gap", "seconds" }, rows = log }
  if res.status == "infeasible" and #self.trades > 0 then
    local ex = self:explain()
    local erows = {}
    for i, b in ipairs(ex.breaches or {}) do
      if i > 20 then break end
      if b.trade then
        erows[i] = { "trade " .. b.trade, b.reason, "", "" }
      else
        erows[i] = { b.account, b.limit, b.scenario == 0 and "nominal" or b.scenario, b.shortfall }
      end
    end
    out[#out + 1] = folio.table { title = "Why no assignment exists: the limits that must give, and by how much",
      columns = { "account", "limit", "scenario", "shortfall" }, rows = erows }
  end
  return out
end

---------------------------------------------------------------------------
-- the audit trail
---------------------------------------------------------------------------
-- One SHA-256 for run records and audits (src/lua/ldigest.c, folio.core).
local core = require "folio.core"
local os_date = os and os.date   -- nil where a sandbox leaves no os

-- a canonical text of a value: keys sorted, numbers as %.17g, so that
-- equal inputs give equal digests whatever the order of a Lua table
local function canon(v, out)
  local tv = type(v)
  if tv == "number" then
    out[#out + 1] = math.type(v) == "integer" and tostring(v) or ("%.17g"):format(v)
  elseif tv == "string" then
    out[#out + 1] = ("%q"):format(v)
  elseif tv == "boolean" or tv == "nil" then
    out[#out + 1] = tostring(v)
  elseif tv == "table" then
    local keys = {}
    for k in pairs(v) do keys[#keys + 1] = k end
    table.sort(keys, function(p, q)
      if type(p) ~= type(q) then return type(p) < type(q) end
      return p < q
    end)
    out[#out + 1] = "{"
    for _, k in ipairs(keys) do
      canon(k, out)
      out[#out + 1] = "="
      canon(v[k], out)
      out[#out + 1] = ";"
    end
    out[#out + 1] = "}"
  else
    out[#out + 1] = "<" .. tv .. ">"   -- a function (a scenario generator): its rows are digested instead
  end
  return out
end
local function digest(v) return core.sha256(table.concat(canon(v, {}))) end
Rep.canonical = function(v) return table.concat(canon(v, {})) end

-- everything that can change the answer, as the assigner read it
local function inputs_of(self, res)
  local accounts = {}
  for a, acc in ipairs(self.accounts) do
    local pos = {}
    for s, q in pairs(acc.pos) do pos[self.securities[s].id] = q end
    local limits = {}
    for l, lim in ipairs(acc.limits) do
      limits[l] = { name = lim.name, terms = lim.terms, sense = lim.sense, rhs = lim.rhs, scale = lim.scale }
    end
    accounts[a] = { name = acc.name, cash = acc.cash, positions = pos, financing = acc.financing, metrics = acc.metrics,
                    limits = limits, accepts = acc.accepts }
  end
  local trades = {}
  for t, tr in ipairs(self.trades) do
    trades[t] = { id = tr.id, side = tr.side, security = self.securities[tr.sec].id, quantity = tr.quantity,
                  price = tr.price, accrued = tr.accrued }
  end
  local sc = self.cfg.scenarios or {}
  local generator = {}
  for _, k in ipairs { "n", "seed", "dist", "df", "horizon", "vols", "correlation", "file" } do generator[k] = sc[k] end
  return {
    securities = self.securities, trades = trades, accounts = accounts,
    scenarios = { generator = generator, factors = core.sha256(self.scen:bytes()) },
    objectives = { list = self.objectives, combine = self.combine, risk = self.risk, days = self.cfg.days or 30 },
    options = res.options or {},
  }
end

-- non-finite numbers as "inf", "-inf", "nan" (the encoding of every
-- folio JSON); json_null and the rest untouched
local function finite_json(x)
  if type(x) == "number" then
    if x ~= x or x == math.huge or x == -math.huge then return num(x) end
    return x
  end
  if type(x) ~= "table" then return x end
  local out = {}
  for k, v in pairs(x) do out[k] = finite_json(v) end
  return out
end

-- ta:audit(res): the audit trail as a table (docs/trade_assignment.md,
-- "Audit trail"); ta:write_audit(res, path) writes it as JSON
function Rep.audit(self, res)
  check_result(self, res, "audit")
  local folio = require "folio"
  local inputs = inputs_of(self, res)
  local digests = { inputs = digest(inputs) }
  for k, v in pairs(inputs) do digests[k] = digest(v) end
  -- the files read, as bytes
  local files = {}
  local cfg = self.cfg
  local sc = cfg.scenarios or {}
  for _, p in ipairs { cfg.securities, cfg.trades, sc.file } do
    if type(p) == "string" then
      local ok, h, size = pcall(core.sha256_file, p)
      files[#files + 1] = { path = p, sha256 = ok and h or folio.json_null, bytes = ok and size or folio.json_null }
    end
  end
  local trades = {}
  local assign = res.has_solution and res.assignment or nil
  local alt = assign and Rep.alternatives(self, assign) or {}
  for t, tr in ipairs(self.trades) do
    local a = assign and assign[t]
    trades[t] = { id = tr.id, side = tr.side, security = self.securities[tr.sec].id, quantity = tr.quantity,
                  account = a and a > 0 and self.accounts[a].name or folio.json_null,
                  cost = a and a > 0 and self.costs[t][a] or folio.json_null,
                  best_alternative = alt[t] and alt[t].account or folio.json_null,
                  best_alternative_cost = alt[t] and alt[t].cost or folio.json_null }
  end
  local stages = {}
  for i, st in ipairs(res.stages or {}) do
    stages[i] = { stage = st.name, status = st.status, rounds = st.rounds, bound = st.bound or folio.json_null,
                  gap = st.gap or folio.json_null, kept_previous = st.kept_previous or false,
                  value = st[st.name == "financing_cost" and "cost" or st.name == "min_headroom" and "headroom"
                    or st.name] or folio.json_null,
                  seconds = (st.t_build or 0) + (st.t_solve or 0) + (st.t_check or 0) }
  end
  local rounds = {}
  for i, l in ipairs(res.log or {}) do
    rounds[i] = { stage = l.stage, round = l.round, solver = l.solver, status = l.status, rows = l.rows,
                  objective = l.objective, gap = l.gap, nodes = l.nodes, seconds = l.time, rows_added = l.added or 0 }
  end
  local objectives = {}
  for i, o in ipairs(self.objectives) do
    objectives[i] = { kind = o.kind, priority = o.priority, weight = o.weight, abs_tol = o.abs_tol, rel_tol = o.rel_tol }
    if o.kind == "risk" then objectives[i].alpha, objectives[i].aggregate = self.risk.alpha, self.risk.aggregate end
  end
  return finite_json {
    timestamp = os_date and os_date("!%Y-%m-%dT%H:%M:%SZ") or folio.json_null, folio_version = folio.version,
    digest_algorithm = "sha256", digests = digests, files = files,
    scenarios = { n = res.scenarios, seed = sc.seed or 1, dist = sc.dist or "normal",
                  source = sc.file and "file" or sc.returns and "returns table" or sc.prices and "prices table"
                    or (sc.generator and "lua generator" or "generated") },
    objectives = objectives, combine = self.combine, options = res.options or {},
    method = res.method, status = res.status, has_solution = res.has_solution, message = res.message,
    note = res.note, cost = res.cost or folio.json_null, objective = res.objective or folio.json_null,
    objective_kind = res.objective_kind, seconds = res.solve_time, timing = res.timing,
    fallback = res.fallback, stages = stages, rounds = rounds, trades = trades,
  }
end

function Rep.write_audit(self, res, path)
  check_result(self, res, "write_audit")
  if type(path) ~= "string" or path == "" then fail("write_audit: path must be a file name (got %s)", type(path)) end
  require("folio").write_json(path, Rep.audit(self, res), { indent = 2 })
end

return Rep
