-- folio.TradeAssigner{...}: book each trade of a batch to one prime-
-- brokerage account so that every account limit holds under every price
-- scenario, then optimise the objectives by priority (docs/trade_assignment.md).
-- Scenario generation and the scenario checks run in C (src/lua/ltrade.c).
local core = require "folio.core"
local T = core.trade

local M = {}
-- __name: folio.html knows a solve's result by its assigner
local Assigner = { __name = "folio.trade_assigner" }
Assigner.__index = Assigner

local function fail(fmt, ...) error(string.format(fmt, ...), 3) end

local function is_list(t) return type(t) == "table" and (#t > 0 or next(t) == nil) end

---------------------------------------------------------------------------
-- inputs
---------------------------------------------------------------------------
local SIDES = { buy = 1, sell = -1 }

-- rows of a CSV (folio.read_csv table) or a Lua list of records
local function records(src, what, folio)
  if type(src) == "string" then
    local tb = folio.read_csv(src)
    local out = {}
    for i = 1, tb.n do
      local r = {}
      for _, c in ipairs(tb.columns) do r[c] = tb[c][i] end
      out[i] = r
    end
    return out
  end
  if src == nil then return {} end
  if not is_list(src) then fail("TradeAssigner: %s must be a list or a CSV path", what) end
  return src
end

local CONFIG_KEYS = {
  securities = true, trades = true, accounts = true, scenarios = true, objectives = true, combine = true,
  solver = true, time_limit = true, mip_gap = true, method = true, initial_scenarios = true, days = true,
  verbose = true, max_rounds = true,
}
local ACCOUNT_KEYS = { name = true, cash = true, positions = true, financing = true, metrics = true, limits = true,
                       accepts = true }
local LIMIT_KEYS = { name = true, lhs = true, sense = true, rhs = true, ratio = true, scale = true }

-- metric weight of security s on a side: by_security overrides by_type,
-- then times by_side (default 1)
local function weight(metric, sec, side)
  local w = metric.by_security and metric.by_security[sec.id]
  if w == nil then w = metric.by_type and metric.by_type[sec.type] end
  if w == nil then w = metric.default or 0 end
  local sw = metric.by_side and metric.by_side[side]
  if sw == nil then sw = 1 end
  return w * sw
end

function M.TradeAssigner(cfg)
  local folio = require "folio"
  if type(cfg) ~= "table" then fail("TradeAssigner: expected a table of options") end
  core.check_options(cfg, "TradeAssigner", CONFIG_KEYS, 2)
  local self = setmetatable({ cfg = cfg }, Assigner)
  -- securities
  self.securities, self.sec_index = {}, {}
  for i, s in ipairs(records(cfg.securities, "securities", folio)) do
    if type(s.id) ~= "string" then fail("TradeAssigner: securities[%d] has no id", i) end
    if self.sec_index[s.id] then fail("TradeAssigner: duplicate security '%s'", s.id) end
    if type(s.price) ~= "number" or not (s.price > 0) then fail("TradeAssigner: security '%s': price must be > 0", s.id) end
    if type(s.type) ~= "string" then fail("TradeAssigner: security '%s' has no type", s.id) end
    local sec = { id = s.id, type = s.type, price = s.price, accrued = s.accrued or 0, vol = s.vol }
    self.securities[#self.securities + 1] = sec
    self.sec_index[s.id] = #self.securities
  end
  if #self.securities == 0 then fail("TradeAssigner: no securities") end
  -- trades
  self.trades = {}
  local seen = {}
  for i, t in ipairs(records(cfg.trades, "trades", folio)) do
    local id = t.id ~= nil and tostring(t.id) or ("t" .. i)
    if seen[id] then fail("TradeAssigner: duplicate trade id '%s'", id) end
    seen[id] = true
    local sgn = SIDES[t.side]
    if not sgn then fail("TradeAssigner: trade '%s': side must be 'buy' or 'sell' (got '%s')", id, tostring(t.side)) end
    local si = self.sec_index[t.security]
    if not si then fail("TradeAssigner: trade '%s': unknown security '%s'", id, tostring(t.security)) end
    if type(t.quantity) ~= "number" or not (t.quantity > 0) then fail("TradeAssigner: trade '%s': quantity must be > 0", id) end
    local sec = self.securities[si]
    local price = t.price or sec.price
    if type(price) ~= "number" or not (price > 0) then fail("TradeAssigner: trade '%s': price must be > 0", id) end
    self.trades[i] = { id = id, side = t.side, sign = sgn, sec = si, quantity = t.quantity, price = price,
                       accrued = t.accrued or sec.accrued, type = sec.type }
  end
  if #self.trades > 200 then fail("TradeAssigner: %d trades; at most 200 per batch", #self.trades) end
  -- accounts
  local accs = cfg.accounts
  if not is_list(accs) then fail("TradeAssigner: accounts must be a list") end
  if #accs < 2 or #accs > 5 then fail("TradeAssigner: %d accounts; between 2 and 5 are supported", #accs) end
  self.accounts, self.acc_index = {}, {}
  for a, acc in ipairs(accs) do
    for k in pairs(acc) do
      if not ACCOUNT_KEYS[k] then fail("TradeAssigner: accounts[%d]: unknown field '%s'", a, tostring(k)) end
    end
    if type(acc.name) ~= "string" then fail("TradeAssigner: accounts[%d] has no name", a) end
    if self.acc_index[acc.name] then fail("TradeAssigner: duplicate account '%s'", acc.name) end
    local pos = {}
    for sid, q in pairs(acc.positions or {}) do
      local si = self.sec_index[sid]
      if not si then fail("TradeAssigner: account '%s': position in unknown security '%s'", acc.name, tostring(sid)) end
      if type(q) ~= "number" then fail("TradeAssigner: account '%s': position in '%s' is not a number", acc.name, sid) end
      pos[si] = q
    end
    local metrics = acc.metrics or {}
    for mname, m in pairs(metrics) do
      if mname == "cash" then fail("TradeAssigner: account '%s': 'cash' is a built-in metric", acc.name) end
      if type(m) ~= "table" then fail("TradeAssigner: account '%s': metric '%s' must be a table", acc.name, mname) end
    end
    local limits = {}
    for l, lim in ipairs(acc.limits or {}) do
      for k in pairs(lim) do
        if not LIMIT_KEYS[k] then fail("TradeAssigner: account '%s', limit %d: unknown field '%s'", acc.name, l, tostring(k)) end
      end
      local name = lim.name or ("limit" .. l)
      local lhs, sense, rhs = {}, lim.sense, lim.rhs or 0
      if lim.ratio then
        -- {"M1", "<=", c, "M2"}: M1 <= c * M2, written M1 - c M2 <= 0
        local r = lim.ratio
        if type(r) ~= "table" or #r ~= 4 or type(r[3]) ~= "number" then
          fail("TradeAssigner: account '%s', limit '%s': ratio must be {metric, '<=' or '>=', c, metric}", acc.name, name)
        end
        lhs[r[1]] = (lhs[r[1]] or 0) + 1
        lhs[r[4]] = (lhs[r[4]] or 0) - r[3]
        sense, rhs = r[2], 0
      else
        if type(lim.lhs) == "string" then lhs[lim.lhs] = 1
        elseif type(lim.lhs) == "table" then for k, v in pairs(lim.lhs) do lhs[k] = v end
        else fail("TradeAssigner: account '%s', limit '%s': lhs must name a metric or be {metric = coef}", acc.name, name) end
      end
      if sense ~= "<=" and sense ~= ">=" then
        fail("TradeAssigner: account '%s', limit '%s': sense must be '<=' or '>='", acc.name, name)
      end
      if type(rhs) ~= "number" then fail("TradeAssigner: account '%s', limit '%s': rhs must be a number", acc.name, name) end
      -- a fixed order of terms: sums, and so the models, do not depend on
      -- Lua's (seeded) string hashing
      local terms = {}
      for mname, c in pairs(lhs) do terms[#terms + 1] = { mname, c } end
      table.sort(terms, function(p, q) return p[1] < q[1] end)
      for _, term in ipairs(terms) do
        local mname, c = term[1], term[2]
        if mname ~= "cash" and not metrics[mname] then
          fail("TradeAssigner: account '%s', limit '%s': unknown metric '%s'", acc.name, name, tostring(mname))
        end
        if type(c) ~= "number" then fail("TradeAssigner: account '%s', limit '%s': coefficient of '%s' is not a number", acc.name, name, mname) end
      end
      limits[l] = { name = name, lhs = lhs, terms = terms, sense = sense, rhs = rhs, scale = lim.scale }
    end
    local accepts
    if acc.accepts then
      accepts = {}
      for _, ty in ipairs(acc.accepts) do accepts[ty] = true end
    end
    self.accounts[a] = { name = acc.name, cash = acc.cash or 0, pos = pos, metrics = metrics, limits = limits,
                         financing = acc.financing or {}, accepts = accepts }
    self.acc_index[acc.name] = a
  end
  return self
end

---------------------------------------------------------------------------
-- linear forms: every limit row as alpha f + beta + sum_t x (gamma f + delta)
---------------------------------------------------------------------------
-- a metric's value of holding q of security sec (with its price factor
-- left out): returns the price part and the constant (accrued) part
local function holding_terms(metric, sec, q, side)
  local w = weight(metric, sec, side)
  return w * q * sec.price, w * q * sec.accrued
end

function Assigner:allowed(t, a)
  local acc = self.accounts[a]
  return not acc.accepts or acc.accepts[self.trades[t].type] == true
end

function Assigner:build_rows()
  if self.rows then return self.rows end
  local S, nT = #self.securities, #self.trades
  local rows = { account = {}, alpha = {}, beta = {}, rhs = {}, gamma = {}, delta = {}, security = {}, info = {} }
  local R = 0
  for a, acc in ipairs(self.accounts) do
    for _, lim in ipairs(acc.limits) do
      R = R + 1
      local fold = lim.sense == ">=" and -1 or 1
      rows.account[R] = a
      rows.rhs[R] = fold * lim.rhs
      local beta = 0
      for s = 1, S do rows.alpha[(R - 1) * S + s] = 0 end
      for _, term in ipairs(lim.terms) do
        local mname, c = term[1], term[2]
        if mname == "cash" then
          beta = beta + c * acc.cash
        else
          local metric = acc.metrics[mname]
          for s, q in pairs(acc.pos) do
            local pa, pc = holding_terms(metric, self.securities[s], q, q >= 0 and "long" or "short")
            rows.alpha[(R - 1) * S + s] = rows.alpha[(R - 1) * S + s] + fold * c * pa
            beta = beta + c * pc
          end
          beta = beta + c * (metric.cash or 0) * acc.cash
        end
      end
      rows.beta[R] = fold * beta
      rows.info[R] = { account = a, limit = lim.name, sense = lim.sense, rhs = lim.rhs, fold = fold, lim = lim }
    end
  end
  -- trades: gamma (price part) and delta (accrued and cash part), T x R
  for t, tr in ipairs(self.trades) do
    local sec = self.securities[tr.sec]
    local side = tr.sign > 0 and "long" or "short"
    rows.security[t] = tr.sec
    for r = 1, R do
      local info = rows.info[r]
      local acc = self.accounts[info.account]
      local lim = info.lim
      local g, d = 0, 0
      for _, term in ipairs(lim.terms) do
        local mname, c = term[1], term[2]
        if mname == "cash" then
          d = d - c * tr.sign * tr.quantity * (tr.price + tr.accrued)
        else
          local metric = acc.metrics[mname]
          local pa, pc = holding_terms(metric, sec, tr.sign * tr.quantity, side)
          g = g + c * pa
          d = d + c * pc - c * (metric.cash or 0) * tr.sign * tr.quantity * (tr.price + tr.accrued)
        end
      end
      rows.gamma[(t - 1) * R + r] = info.fold * g
      rows.delta[(t - 1) * R + r] = info.fold * d
    end
  end
  rows.R = R
  -- headroom scale per row: |rhs|, else the row's nominal size
  rows.scale = {}
  for r = 1, R do
    local lim = rows.info[r].lim
    local size = math.abs(rows.beta[r])
    for s = 1, S do size = size + math.abs(rows.alpha[(r - 1) * S + s]) end
    rows.scale[r] = lim.scale or math.max(math.abs(rows.rhs[r]), size, 1)
  end
  self.limits_c = T.limits { rows = R, securities = S, trades = nT, account = rows.account, alpha = rows.alpha,
                             beta = rows.beta, rhs = rows.rhs, gamma = rows.gamma, delta = rows.delta,
                             security = rows.security }
  self.rows = rows
  return rows
end

---------------------------------------------------------------------------
-- scenarios
---------------------------------------------------------------------------
local SCEN_KEYS = { n = true, seed = true, dist = true, df = true, horizon = true, vols = true, correlation = true,
                    file = true, generator = true }

function Assigner:scenarios()
  if self.scen then return self.scen end
  local folio = require "folio"
  local sc = self.cfg.scenarios or { n = 0 }
  for k in pairs(sc) do
    if not SCEN_KEYS[k] then fail("TradeAssigner: scenarios: unknown field '%s'", tostring(k)) end
  end
  local S = #self.securities
  if sc.file then
    -- historical: one row per scenario, one column per security id, each a
    -- return (price factor 1 + r)
    local tb = folio.read_csv(sc.file)
    local rows = {}
    for i = 1, tb.n do
      local row = {}
      for s, sec in ipairs(self.securities) do
        local col = tb[sec.id]
        if not col then fail("TradeAssigner: scenario file %s has no column '%s'", sc.file, sec.id) end
        row[s] = 1 + col[i]
      end
      rows[i] = row
    end
    self.scen = T.from_rows(rows, S)
  elseif sc.generator then
    -- a Lua function(securities, k) returning the price factors of scenario k
    if type(sc.generator) ~= "function" then fail("TradeAssigner: scenarios.generator must be a function") end
    local rows = {}
    for k = 1, sc.n or 0 do
      local row = sc.generator(self.securities, k)
      if type(row) ~= "table" then fail("TradeAssigner: scenarios.generator returned no row for scenario %d", k) end
      rows[k] = row
    end
    self.scen = T.from_rows(rows, S)
  else
    local vols = {}
    for s, sec in ipairs(self.securities) do
      local v = sec.vol
      if v == nil and sc.vols then v = sc.vols[sec.id] or sc.vols[sec.type] end
      if type(v) ~= "number" then fail("TradeAssigner: no volatility for security '%s'", sec.id) end
      vols[s] = v
    end
    local corr = nil
    local c = sc.correlation
    if type(c) == "table" and c.within_type then
      corr = {}
      for i, si in ipairs(self.securities) do
        corr[i] = {}
        for j, sj in ipairs(self.securities) do
          corr[i][j] = i == j and 1 or (si.type == sj.type and c.within_type or (c.across or 0))
        end
      end
    elseif type(c) == "table" then
      corr = c
    end
    self.scen = T.generate { securities = S, vols = vols, corr = corr, n = sc.n or 0, seed = sc.seed or 1,
                             dist = sc.dist or "normal", df = sc.df or 5, horizon = sc.horizon or 1 }
  end
  return self.scen
end

---------------------------------------------------------------------------
-- the MIP
---------------------------------------------------------------------------
-- financing cost of booking trade t to account a over `days`
function Assigner:cost(t, a)
  local tr = self.trades[t]
  local fin = self.accounts[a].financing
  local rate = fin[tr.type]
  if type(rate) == "table" then
    rate = rate[tr.side] or rate[tr.sign > 0 and "long" or "short"] or rate.default
  end
  if rate == nil then rate = fin.default end
  if type(rate) ~= "number" then
    fail("TradeAssigner: account '%s' has no financing rate for %s %s", self.accounts[a].name, tr.type, tr.side)
  end
  local days = self.cfg.days or 30
  return rate * tr.quantity * (tr.price + tr.accrued) * days / 360
end

-- concentration: the largest post-trade gross book (nominal prices) over
-- the accounts, a counterparty risk measure to minimise
local OBJECTIVES = { financing_cost = true, min_headroom = true, concentration = true }

function Assigner:objective_list()
  local objs = self.cfg.objectives or { { "financing_cost" } }
  local out = {}
  for i, o in ipairs(objs) do
    local kind = o[1] or o.kind
    if not OBJECTIVES[kind] then
      fail("TradeAssigner: objectives[%d]: unknown objective '%s' (financing_cost, min_headroom, concentration)", i,
           tostring(kind))
    end
    out[i] = { kind = kind, priority = o.priority or i, weight = o.weight or 1, abs_tol = o.abs_tol or 0,
               rel_tol = o.rel_tol or 1e-6 }
  end
  table.sort(out, function(a, b) return a.priority < b.priority end)
  return out
end

-- the active pair {row r, scenario k} as sum_t coef_t x[t][a(r)] and its bound
function Assigner:limit_row(pair, x)
  local folio = require "folio"
  local coef, const, rhs = T.row(self.limits_c, self.scen, pair[1], pair[2])
  local a = self.rows.account[pair[1]]
  local terms = {}
  for t = 1, #self.trades do
    if coef[t] ~= 0 and self:allowed(t, a) then terms[#terms + 1] = coef[t] * x[t][a] end
  end
  return folio.sum(terms), rhs - const
end

local function key_of(r, k) return string.format("r%d_s%d", r, k) end

-- adds the violated pairs not yet active; returns how many
local function add_violated(active, viol)
  local added = 0
  for _, v in ipairs(viol) do
    local key = key_of(v[1], v[2])
    if not active[key] then active[key] = { v[1], v[2] }; added = added + 1 end
  end
  return added
end

-- one model: x[t][a], one account per trade, the active scenario rows,
-- the objective(s) of this stage, and the bounds from earlier stages
function Assigner:build_model(active, stage, fixed)
  local folio = require "folio"
  local rows = self:build_rows()
  local nT, nA = #self.trades, #self.accounts
  local m = folio.model("trade_assignment")
  local tid, aid = {}, {}
  for t = 1, nT do tid[t] = t end
  for a = 1, nA do aid[a] = a end
  local x = m:var("x", { tid, aid }, {
    kind = "binary",
    ub = function(t, a) return self:allowed(t, a) and 1 or 0 end,
  })
  m:st("one_account", tid, function(t) return folio.sum(aid, function(a) return x[t][a] end), "==", 1 end)
  local cost = folio.sum(tid, function(t)
    return folio.sum(aid, function(a) if self:allowed(t, a) then return self:cost(t, a) * x[t][a] end end)
  end)
  local needs_z = false
  for _, o in ipairs(stage.objs) do if o.kind == "min_headroom" then needs_z = true end end
  for _, f in ipairs(fixed) do if f.kind == "min_headroom" then needs_z = true end end
  local z = needs_z and m:var("headroom", { lb = -1e6, ub = 1e6 }) or nil
  local needs_u = false
  for _, o in ipairs(stage.objs) do if o.kind == "concentration" then needs_u = true end end
  for _, f in ipairs(fixed) do if f.kind == "concentration" then needs_u = true end end
  local u
  if needs_u then
    u = m:var("largest_book", { lb = 0 })
    m:st("book", aid, function(a)
      local base = 0
      for s2, q in pairs(self.accounts[a].pos) do base = base + math.abs(q) * self.securities[s2].price end
      return folio.sum(tid, function(t)
        if self:allowed(t, a) then return self.trades[t].quantity * self.securities[self.trades[t].sec].price * x[t][a] end
      end) + base, "<=", u
    end)
  end
  -- limit rows for the active (row, scenario) pairs
  local keys, by = {}, {}
  for key, pr in pairs(active) do keys[#keys + 1] = key; by[key] = pr end
  table.sort(keys)
  for _, key in ipairs(keys) do
    local r = by[key][1]
    local lhs, bound = self:limit_row(by[key], x)
    m:st("limit_" .. key, lhs, "<=", bound)
    if z then m:st("headroom_" .. key, rows.scale[r] * z + lhs, "<=", bound) end
  end
  -- earlier priorities kept within their tolerance
  for i, f in ipairs(fixed) do
    if f.kind == "financing_cost" then m:st("keep_" .. i, cost, "<=", f.bound)
    elseif f.kind == "concentration" then m:st("keep_" .. i, u, "<=", f.bound)
    else m:st("keep_" .. i, z, ">=", f.bound) end
  end
  -- this stage's objective: one, or a weighted sum
  local terms = {}
  for _, o in ipairs(stage.objs) do
    if o.kind == "financing_cost" then terms[#terms + 1] = o.weight * cost
    elseif o.kind == "concentration" then terms[#terms + 1] = o.weight * u
    else terms[#terms + 1] = -o.weight * z end
  end
  m:minimize(folio.sum(terms))
  return m, x, z, cost, u
end


-- the assignment (account per trade) read from a solve
local function read_assignment(r, x, nT, nA)
  local assign = {}
  for t = 1, nT do
    local best, bv = 1, -1
    for a = 1, nA do
      local v = r:value(x[t][a])
      if v > bv then best, bv = a, v end
    end
    assign[t] = best
  end
  return assign
end

-- Solves one stage. method "lazy": start from the nominal and a few
-- extreme scenarios, check every scenario in C, add the violated rows,
-- repeat; "full": every scenario's rows from the start.
-- a MIP start {[x[t][a]] = 0/1} from an assignment
local function start_from(assign, nT, nA)
  return function(xx)
    local st = {}
    for t = 1, nT do for a = 1, nA do st[xx[t][a]] = assign[t] == a and 1 or 0 end end
    return st
  end
end

function Assigner:solve_stage(stage, fixed, active, opts, log, prev_assign)
  local nT, nA = #self.trades, #self.accounts
  local rows = self:build_rows()
  local R = rows.R
  local N = select(1, self.scen:size())
  local rounds, max_rounds = 0, self.cfg.max_rounds or 100
  local r, x, z, cost, u, assign
  local t_solve, t_check = 0, 0
  -- the previous stage's answer is feasible here: start from it
  local start = prev_assign and start_from(prev_assign, nT, nA) or nil
  -- rounds that only discover violated rows solve to a loose gap; once a
  -- round adds nothing, one more solve at the target gap (which, if its
  -- answer breaks a scenario, goes on discovering at the target gap)
  local target_gap = opts.mip_gap or 1e-9
  local gap = opts.method == "lazy" and math.max(target_gap, opts.discovery_gap or 1e-2) or target_gap
  while true do
    rounds = rounds + 1
    local m
    m, x, z, cost, u = self:build_model(active, stage, fixed)
    local so = { solver = opts.solver, time_limit = opts.time_limit, mip_gap = gap }
    if start and opts.mip_start ~= false then so.mip_start = start(x) end
    local t0 = require("folio").now()
    r = m:solve(so)
    t_solve = t_solve + require("folio").now() - t0
    local st = m:stats()
    log[#log + 1] = { stage = stage.name, round = rounds, status = r.status, rows = st.rows, nnz = st.nnz,
                      objective = r.objective, gap = r.mip_gap, nodes = r.nodes, time = r.solve_time, solver = r.solver }
    if not r.has_solution then return { status = r.status, result = r, rounds = rounds, active = active,
                                        t_solve = t_solve, t_check = t_check } end
    assign = read_assignment(r, x, nT, nA)
    if opts.method == "full" then break end
    -- check every scenario; add only the violated (row, scenario) pairs
    t0 = require("folio").now()
    local viol, worst = T.check(self.limits_c, self.scen, assign, 1e-9, opts.per_row or 1)
    local added = add_violated(active, viol)
    if z then
      -- the headroom rows: z may not exceed any scenario's headroom
      local zv = r:value(z)
      for rr = 1, R do
        local w = worst[rr]
        local h = (rows.rhs[rr] - w[2]) / rows.scale[rr]
        local key = key_of(rr, w[1])
        if h < zv - 1e-9 and not active[key] then active[key] = { rr, w[1] }; added = added + 1 end
      end
    end
    t_check = t_check + require("folio").now() - t0
    log[#log].added = added
    if added == 0 then
      if gap <= target_gap then break end
      gap = target_gap
    end
    if rounds >= max_rounds then
      return { status = "iteration_limit", result = r, assign = assign, rounds = rounds, active = active,
               t_solve = t_solve, t_check = t_check }
    end
    -- the checked assignment may now break an added row: it is offered
    -- as a start, and the solver keeps it only if it is still feasible
    start = start_from(assign, nT, nA)
  end
  local out = { status = r.status, result = r, assign = assign, rounds = rounds, active = active,
                t_solve = t_solve, t_check = t_check, cost = r:value(cost) }
  if z then out.headroom = r:value(z) end
  if u then out.concentration = r:value(u) end
  return out
end

-- the initial scenario set of the lazy method: the nominal, and for each
-- row the scenario that is worst for the accounts' current books
function Assigner:initial_active()
  local rows = self:build_rows()
  local active = {}
  local nT = #self.trades
  for r = 1, rows.R do active[key_of(r, 0)] = { r, 0 } end
  local count = self.cfg.initial_scenarios
  if count == nil then count = 1 end
  if count > 0 and select(1, self.scen:size()) > 0 then
    local none = {}
    for t = 1, nT do none[t] = 0 end
    local _, worst = T.check(self.limits_c, self.scen, none, 1e-9, 0)
    for r = 1, rows.R do
      if worst[r][1] > 0 then active[key_of(r, worst[r][1])] = { r, worst[r][1] } end
    end
  end
  return active
end

function Assigner:solve(opts)
  local folio = require "folio"
  opts = opts or {}
  local cfg = self.cfg
  opts.method = opts.method or cfg.method or "lazy"
  if opts.method ~= "lazy" and opts.method ~= "full" then fail("TradeAssigner: method must be 'lazy' or 'full'") end
  opts.solver = opts.solver or cfg.solver
  opts.time_limit = opts.time_limit or cfg.time_limit
  opts.mip_gap = opts.mip_gap or cfg.mip_gap
  local t_start = folio.now()
  self:build_rows()
  self:scenarios()
  if #self.trades == 0 then
    -- nothing to book: the answer is whether the books comply as they are
    local v = self:validate({})
    return { status = v.compliant and "optimal" or "infeasible", method = opts.method, assignment = {}, cost = 0,
             accounts = {}, stages = {}, log = {}, rows_active = 0, scenarios = select(1, self.scen:size()),
             time = folio.now() - t_start, assigner = self, validation = v }
  end
  local N = select(1, self.scen:size())
  local rows = self.rows
  local active
  if opts.method == "full" then
    active = {}
    for r = 1, rows.R do
      for k = 0, N do active[key_of(r, k)] = { r, k } end
    end
  else
    active = self:initial_active()
  end
  -- stages: one per priority (lexicographic), or one weighted stage
  local objs = self:objective_list()
  local stages = {}
  if (cfg.combine or "lexicographic") == "weighted" then
    stages[1] = { name = "weighted", objs = objs }
  else
    for _, o in ipairs(objs) do stages[#stages + 1] = { name = o.kind, objs = { o } } end
  end
  local log, fixed, stage_out = {}, {}, {}
  local final
  for i, stage in ipairs(stages) do
    local out = self:solve_stage(stage, fixed, active, opts, log, final and final.assign)
    stage_out[i] = { name = stage.name, status = out.status, rounds = out.rounds, cost = out.cost,
                     headroom = out.headroom, concentration = out.concentration, t_solve = out.t_solve,
                     t_check = out.t_check }
    if not out.assign then
      if final and final.assign then
        -- a later priority found nothing better in its limit: the earlier
        -- stage's answer stands (feasible, and optimal for its priorities)
        stage_out[i].kept_previous = true
        final.note = ("stage %d (%s) ended %s; the answer of stage %d stands"):format(i, stage.name, out.status, i - 1)
      else
        final = out
      end
      break
    end
    final = out
    -- keep this priority's optimum within its tolerance for the next ones
    if #stage.objs == 1 and i < #stages then
      local o = stage.objs[1]
      if o.kind == "financing_cost" then
        fixed[#fixed + 1] = { kind = o.kind, bound = out.cost + math.max(o.abs_tol, o.rel_tol * math.abs(out.cost)) }
      elseif o.kind == "concentration" then
        fixed[#fixed + 1] = { kind = o.kind,
                              bound = out.concentration + math.max(o.abs_tol, o.rel_tol * math.abs(out.concentration)) }
      else
        fixed[#fixed + 1] = { kind = o.kind, bound = out.headroom - math.max(o.abs_tol, o.rel_tol * math.abs(out.headroom)) }
      end
    end
  end
  local res = {
    status = final.status, note = final.note, method = opts.method, assignment = final.assign, stages = stage_out,
    log = log,
    rows_active = 0, scenarios = N, time = folio.now() - t_start, assigner = self,
  }
  if not final.assign and final.status ~= "infeasible" then
    -- the MIP failed or stopped without an incumbent: the greedy answer,
    -- marked as a fallback, with its gap to the MIP's bound when there is one
    local g = self:greedy()
    res.fallback = { complete = g.complete, unplaced = g.unplaced, cost = g.cost }
    if g.complete then
      res.assignment, res.status = g.assignment, "fallback"
      local bound = final.result and final.result.mip_bound
      if bound and bound == bound and math.abs(bound) < math.huge then
        res.fallback.bound = bound
        res.fallback.gap = (g.cost - bound) / math.max(1e-9, math.abs(g.cost))
      end
    end
  end
  for _ in pairs(active) do res.rows_active = res.rows_active + 1 end
  if res.assignment then
    res.cost = 0
    for t, a in ipairs(res.assignment) do res.cost = res.cost + self:cost(t, a) end
    res.accounts = {}
    for t, a in ipairs(res.assignment) do res.accounts[self.trades[t].id] = self.accounts[a].name end
  end
  return res
end

---------------------------------------------------------------------------
-- greedy fallback: trades by decreasing notional, each to the cheapest
-- account that stays feasible in every scenario
---------------------------------------------------------------------------
function Assigner:greedy()
  self:build_rows()
  self:scenarios()
  local nT, nA = #self.trades, #self.accounts
  local order = {}
  for t = 1, nT do order[t] = t end
  table.sort(order, function(p, q)
    local np = self.trades[p].quantity * self.trades[p].price
    local nq = self.trades[q].quantity * self.trades[q].price
    if np ~= nq then return np > nq end
    return p < q
  end)
  local st = T.state(self.limits_c, self.scen)
  local assign, unplaced = {}, {}
  for _, t in ipairs(order) do
    local cands = {}
    for a = 1, nA do if self:allowed(t, a) then cands[#cands + 1] = a end end
    table.sort(cands, function(p, q) return self:cost(t, p) < self:cost(t, q) end)
    local placed = false
    for _, a in ipairs(cands) do
      if st:try(t, a) <= 1e-9 then
        st:try(t, a, true)
        assign[t], placed = a, true
        break
      end
    end
    if not placed then
      unplaced[#unplaced + 1] = self.trades[t].id
      assign[t] = 0
    end
  end
  local cost = 0
  for t = 1, nT do if assign[t] > 0 then cost = cost + self:cost(t, assign[t]) end end
  return { assignment = assign, cost = cost, unplaced = unplaced, complete = #unplaced == 0 }
end

---------------------------------------------------------------------------
-- the validator: recomputes everything from the raw inputs (not from the
-- linear forms the MIP was built from)
---------------------------------------------------------------------------
function Assigner:validate(assign, tol)
  tol = tol or 1e-6
  local scen = self:scenarios()
  local N = select(1, scen:size())
  local report = { compliant = true, accounts = {}, breaches = {} }
  for a, acc in ipairs(self.accounts) do
    -- post-trade book: positions and cash
    local pos, cash = {}, acc.cash
    for s, q in pairs(acc.pos) do pos[s] = { held = q, bought = 0, sold = 0 } end
    for t, tr in ipairs(self.trades) do
      if assign[t] == a then
        pos[tr.sec] = pos[tr.sec] or { held = 0, bought = 0, sold = 0 }
        if tr.sign > 0 then pos[tr.sec].bought = pos[tr.sec].bought + tr.quantity
        else pos[tr.sec].sold = pos[tr.sec].sold + tr.quantity end
        cash = cash - tr.sign * tr.quantity * (tr.price + tr.accrued)
      end
    end
    local acc_rep = { name = acc.name, cash = cash, limits = {} }
    for _, lim in ipairs(acc.limits) do
      local worst_v, worst_k, nominal = nil, nil, nil
      for k = 0, N do
        local f = k > 0 and scen:row(k) or nil
        local metric_val = {}
        local v = 0
        for _, term in ipairs(lim.terms) do
          local mname, c = term[1], term[2]
          local mv
          if mname == "cash" then
            mv = cash
          else
            local metric = acc.metrics[mname]
            mv = (metric.cash or 0) * cash
            for s, p in pairs(pos) do
              local sec = self.securities[s]
              local px = sec.price * (f and f[s] or 1) + sec.accrued
              -- held positions by their own side; trades by theirs
              mv = mv + weight(metric, sec, p.held >= 0 and "long" or "short") * p.held * px
                      + weight(metric, sec, "long") * p.bought * px
                      - weight(metric, sec, "short") * p.sold * px
            end
          end
          metric_val[mname] = mv
          v = v + c * mv
        end
        local excess = lim.sense == "<=" and v - lim.rhs or lim.rhs - v
        if k == 0 then nominal = v end
        if worst_v == nil or excess > worst_v then worst_v, worst_k = excess, k end
        if excess > tol * (1 + math.abs(lim.rhs)) then
          report.compliant = false
          report.breaches[#report.breaches + 1] = { account = acc.name, limit = lim.name, scenario = k, excess = excess }
        end
      end
      acc_rep.limits[#acc_rep.limits + 1] = { name = lim.name, sense = lim.sense, rhs = lim.rhs, nominal = nominal,
                                              worst_scenario = worst_k, worst_excess = worst_v }
    end
    report.accounts[a] = acc_rep
  end
  return report
end

---------------------------------------------------------------------------
-- infeasible inputs: which account, limit and scenario, and by how much
---------------------------------------------------------------------------
-- An elastic version of the model: every active limit row gets a slack,
-- the objective is the total slack relative to each row's scale, and rows
-- are added lazily as in solve_stage. The positive slacks at the end are
-- the limits that cannot all be met, with the amount each must give.
function Assigner:explain(opts)
  local folio = require "folio"
  opts = opts or {}
  local rows = self:build_rows()
  self:scenarios()
  local nT, nA = #self.trades, #self.accounts
  -- a trade no account takes cannot be booked, whatever the limits
  local orphans = {}
  for t = 1, nT do
    local any = false
    for a = 1, nA do any = any or self:allowed(t, a) end
    if not any then
      orphans[#orphans + 1] = { trade = self.trades[t].id, reason = ("no account accepts %s"):format(self.trades[t].type) }
    end
  end
  if #orphans > 0 then return { status = "explained", breaches = orphans } end
  local active = self:initial_active()
  local tid, aid = {}, {}
  for t = 1, nT do tid[t] = t end
  for a = 1, nA do aid[a] = a end
  local assign, slacks
  for _ = 1, self.cfg.max_rounds or 100 do
    local m = folio.model("trade_elastic")
    local x = nT > 0 and m:var("x", { tid, aid }, { kind = "binary",
      ub = function(t, a) return self:allowed(t, a) and 1 or 0 end }) or nil
    if x then m:st("one_account", tid, function(t) return folio.sum(aid, function(a) return x[t][a] end), "==", 1 end) end
    local keys, obj = {}, {}
    for key in pairs(active) do keys[#keys + 1] = key end
    table.sort(keys)
    local slack = {}
    for _, key in ipairs(keys) do
      local lhs, bound
      if x then
        lhs, bound = self:limit_row(active[key], x)
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
    assign = x and read_assignment(r, x, nT, nA) or {}
    slacks = {}
    for key, v in pairs(slack) do slacks[key] = r:value(v) end
    -- rows violated beyond their slack (or without one yet)
    if add_violated(active, T.check(self.limits_c, self.scen, assign, 1e-9, 1)) == 0 then break end
  end
  local out = {}
  for key, v in pairs(slacks) do
    if v > 1e-6 * (1 + math.abs(rows.rhs[active[key][1]])) then
      local info = rows.info[active[key][1]]
      out[#out + 1] = { account = self.accounts[info.account].name, limit = info.limit, scenario = active[key][2],
                        shortfall = v }
    end
  end
  table.sort(out, function(a, b) return a.shortfall > b.shortfall end)
  return { status = "explained", breaches = out, assignment = assign }
end

---------------------------------------------------------------------------
-- reports and the audit trail
---------------------------------------------------------------------------
-- FNV-1a, 64 bits: a digest to tell inputs apart in the audit trail (not
-- a cryptographic hash)
local function fnv1a(text)
  local h = -3750763034362895579   -- 0xcbf29ce484222325 as a signed 64-bit integer
  for i = 1, #text do
    h = h ~ text:byte(i)
    h = h * 1099511628211
  end
  return string.format("%016x", h)
end

local function file_digest(path)
  local f = io.open(path, "rb")
  if not f then return nil end
  local text = f:read("a")
  f:close()
  return fnv1a(text)
end

-- the cheapest other account for each trade (financing only)
function Assigner:alternatives(assign)
  local out = {}
  for t = 1, #self.trades do
    local best, bc = nil, math.huge
    for a = 1, #self.accounts do
      if a ~= assign[t] and self:allowed(t, a) then
        local c = self:cost(t, a)
        if c < bc then best, bc = a, c end
      end
    end
    out[t] = { account = best and self.accounts[best].name or nil, cost = best and bc or nil }
  end
  return out
end

function Assigner:write_audit(res, path)
  local folio = require "folio"
  local cfg = self.cfg
  local digests = {}
  for _, k in ipairs { "securities", "trades" } do
    if type(cfg[k]) == "string" then digests[k] = file_digest(cfg[k]) end
  end
  local sc = cfg.scenarios or {}
  if sc.file then digests.scenarios = file_digest(sc.file) end
  -- the accounts as the assigner read them, in a fixed order
  local parts = {}
  for _, acc in ipairs(self.accounts) do
    parts[#parts + 1] = acc.name .. ":" .. acc.cash
    local ss = {}
    for s, q in pairs(acc.pos) do ss[#ss + 1] = self.securities[s].id .. "=" .. q end
    table.sort(ss)
    parts[#parts + 1] = table.concat(ss, ",")
    for _, l in ipairs(acc.limits) do
      local ls = {}
      for mname, c in pairs(l.lhs) do ls[#ls + 1] = mname .. "*" .. c end
      table.sort(ls)
      parts[#parts + 1] = l.name .. l.sense .. l.rhs .. "[" .. table.concat(ls, ",") .. "]"
    end
  end
  digests.accounts = fnv1a(table.concat(parts, ";"))
  local trades = {}
  local alt = res.assignment and self:alternatives(res.assignment) or {}
  for t, tr in ipairs(self.trades) do
    local a = res.assignment and res.assignment[t]
    trades[t] = { id = tr.id, account = a and a > 0 and self.accounts[a].name or folio.json_null,
                  cost = a and a > 0 and self:cost(t, a) or folio.json_null,
                  best_alternative = alt[t] and alt[t].account or folio.json_null,
                  best_alternative_cost = alt[t] and alt[t].cost or folio.json_null }
  end
  local function num(v) return (type(v) == "number" and v == v and v ~= math.huge and v ~= -math.huge) and v or folio.json_null end
  local stages = {}
  for i, l in ipairs(res.log or {}) do
    stages[i] = { stage = l.stage, round = l.round, solver = l.solver, status = l.status, rows = l.rows,
                  objective = num(l.objective), gap = num(l.gap), nodes = l.nodes, seconds = l.time,
                  rows_added = l.added or 0 }
  end
  folio.write_json(path, {
    folio_version = folio.version, digests = digests,
    scenarios = { n = res.scenarios, seed = sc.seed or 1, dist = sc.dist or "normal",
                  source = sc.file and "file" or (sc.generator and "lua generator" or "generated") },
    method = res.method, status = res.status, cost = res.cost or folio.json_null, seconds = res.time,
    stages = stages, trades = trades,
  }, { indent = 2 })
end

-- one row per account limit after the trades (v: a validation): account,
-- limit, bound, nominal, worst scenario, headroom, headroom (scaled)
local function limit_rows(self, v)
  local lrows = {}
  for _, acc in ipairs(v.accounts) do
    for _, l in ipairs(acc.limits) do
      local lim
      for _, ll in ipairs(self.accounts[self.acc_index[acc.name]].limits) do if ll.name == l.name then lim = ll end end
      local scale = lim.scale or math.max(math.abs(l.rhs), math.abs(l.nominal), 1)
      lrows[#lrows + 1] = { acc.name, l.name, l.sense .. " " .. l.rhs, l.nominal, l.worst_scenario,
                            -l.worst_excess, -l.worst_excess / scale }
    end
  end
  return lrows
end

-- the scaled headroom of each account limit as bars (tightest limits stand out)
local function headroom_bars(lrows)
  local labels, values = {}, {}
  for i, l in ipairs(lrows) do labels[i], values[i] = l[1] .. " " .. l[2], 100 * l[7] end
  return require("folio.svg").bars { title = "Account headroom after the trades (worst scenario, % of the limit's scale)",
                                     labels = labels, values = values, unit = "%", max = 60 }
end

-- ta:headroom_svg(res): that chart for a solve's assignment
function Assigner:headroom_svg(res)
  if not (res.assignment and #res.assignment > 0) then error("headroom_svg: the result has no assignment", 2) end
  return headroom_bars(limit_rows(self, self:validate(res.assignment)))
end

-- res as the CLI's report: summary, assignment, limits with headroom,
-- cost by account, the solve log (and the explanation when infeasible)
function Assigner:report(res)
  local folio = require "folio"
  local out = {}
  local summary = { status = res.status, note = res.note, method = res.method, trades = #self.trades,
                    accounts = #self.accounts,
                    scenarios = res.scenarios, limit_rows = res.rows_active, seconds = res.time,
                    financing_cost = res.cost }
  if res.assignment and #res.assignment > 0 then
    local v = self:validate(res.assignment)
    summary.compliant = v.compliant
    summary.breaches = #v.breaches
    local lrows = limit_rows(self, v)
    local arows = {}
    local alt = self:alternatives(res.assignment)
    for t, tr in ipairs(self.trades) do
      local a = res.assignment[t]
      arows[t] = { tr.id, tr.side, self.securities[tr.sec].id, tr.quantity * tr.price, self.accounts[a].name,
                   self:cost(t, a), alt[t].account or "", alt[t].cost or "" }
    end
    local by = {}
    for t, a in ipairs(res.assignment) do
      by[a] = by[a] or { 0, 0, 0 }
      by[a][1] = by[a][1] + 1
      by[a][2] = by[a][2] + self.trades[t].quantity * self.trades[t].price
      by[a][3] = by[a][3] + self:cost(t, a)
    end
    local crows = {}
    for a, acc in ipairs(self.accounts) do
      local b = by[a] or { 0, 0, 0 }
      crows[a] = { acc.name, b[1], b[2], b[3] }
    end
    out[#out + 1] = folio.table { title = "Assignment", columns = { "trade", "side", "security", "notional", "account",
      "financing", "best alternative", "its financing" }, rows = arows }
    local limits = folio.table { title = "Limits after the trades (worst over the nominal and every scenario)",
      columns = { "account", "limit", "bound", "nominal", "worst scenario", "headroom", "headroom (scaled)" }, rows = lrows }
    limits.chart = headroom_bars(lrows)   -- drawn by folio.html; the text and JSON reports leave it out
    out[#out + 1] = limits
    out[#out + 1] = folio.table { title = "By account", columns = { "account", "trades", "notional", "financing" },
      rows = crows }
  end
  local log = {}
  for i, l in ipairs(res.log or {}) do
    log[i] = { l.stage, l.round, l.solver, l.status, l.rows, l.added or 0, l.nodes or 0, l.gap or "", l.time }
  end
  out[#out + 1] = folio.table { title = "Solve log", columns = { "stage", "round", "solver", "status", "rows",
    "rows added", "nodes", "gap", "seconds" }, rows = log }
  if res.status ~= "optimal" and res.status ~= "time_limit" then
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
  table.insert(out, 1, summary)
  return out
end

return M
