-- folio.TradeAssigner's solve (docs/trade_assignment.md): every account
-- limit as a linear form in the binaries (evaluated for all scenarios in
-- C, src/lua/ltrade.c), the MIP with lazily added scenario rows, one stage
-- per priority, the greedy fallback, and the result of the contract
-- (folio.results: status, has_solution, objective, solve_time, solver).
local core = require "folio.core"
local check = require "folio.check"
local results = require "folio.results"
local In = require "folio.trade_input"
local T = core.trade

local S = {}

local function allowed(self, t, a)
  local acc = self.accounts[a]
  return not acc.accepts or acc.accepts[self.trades[t].type] == true
end
S.allowed_pair = allowed

---------------------------------------------------------------------------
-- linear forms: every limit row as alpha f + beta + sum_t x (gamma f + delta)
---------------------------------------------------------------------------
-- a metric's value of holding q of security sec (with its price factor
-- left out): returns the price part and the constant (accrued) part
local function holding_terms(metric, sec, q, side)
  local w = In.weight(metric, sec, side)
  return w * q * sec.price, w * q * sec.accrued
end

function S.build_rows(self)
  if self.rows then return self.rows end
  local nS, nT = #self.securities, #self.trades
  local rows = { account = {}, alpha = {}, beta = {}, rhs = {}, gamma = {}, delta = {}, security = {}, info = {} }
  local R = 0
  for a, acc in ipairs(self.accounts) do
    for _, lim in ipairs(acc.limits) do
      R = R + 1
      local fold = lim.sense == ">=" and -1 or 1
      rows.account[R] = a
      rows.rhs[R] = fold * lim.rhs
      local beta = 0
      for s = 1, nS do rows.alpha[(R - 1) * nS + s] = 0 end
      for _, term in ipairs(lim.terms) do
        local mname, c = term[1], term[2]
        if mname == "cash" then
          beta = beta + c * acc.cash
        else
          local metric = acc.metrics[mname]
          for s, q in pairs(acc.pos) do
            local pa, pc = holding_terms(metric, self.securities[s], q, q >= 0 and "long" or "short")
            rows.alpha[(R - 1) * nS + s] = rows.alpha[(R - 1) * nS + s] + fold * c * pa
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
      local g, d = 0, 0
      for _, term in ipairs(info.lim.terms) do
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
  -- headroom scale per row: the limit's scale, else |rhs|, else the row's nominal size
  rows.scale = {}
  for r = 1, R do
    local lim = rows.info[r].lim
    local size = math.abs(rows.beta[r])
    for s = 1, nS do size = size + math.abs(rows.alpha[(r - 1) * nS + s]) end
    rows.scale[r] = lim.scale or math.max(math.abs(rows.rhs[r]), size, 1)
  end
  self.limits_c = T.limits { rows = R, securities = nS, trades = nT, account = rows.account, alpha = rows.alpha,
                             beta = rows.beta, rhs = rows.rhs, gamma = rows.gamma, delta = rows.delta,
                             security = rows.security }
  self.rows = rows
  return rows
end

-- the active pair {row r, scenario k} as sum_t coef_t x[t][a(r)] and its
-- bound; every trade's term when `all` (x then has no zero bounds)
function S.limit_row(self, pair, x, all)
  local folio = require "folio"
  local coef, const, rhs = T.row(self.limits_c, self.scen, pair[1], pair[2])
  local a = self.rows.account[pair[1]]
  local terms = {}
  for t = 1, #self.trades do
    if coef[t] ~= 0 and (all or allowed(self, t, a)) then terms[#terms + 1] = coef[t] * x[t][a] end
  end
  return folio.sum(terms), rhs - const
end

local function key_of(r, k) return string.format("r%d_s%d", r, k) end
S.key_of = key_of

-- adds the violated pairs not yet active; returns how many
function S.add_violated(active, viol)
  local added = 0
  for _, v in ipairs(viol) do
    local key = key_of(v[1], v[2])
    if not active[key] then active[key] = { v[1], v[2] }; added = added + 1 end
  end
  return added
end

-- the active keys in a fixed order
function S.sorted_keys(active)
  local keys = {}
  for key in pairs(active) do keys[#keys + 1] = key end
  table.sort(keys)
  return keys
end

---------------------------------------------------------------------------
-- the MIP
---------------------------------------------------------------------------
-- one model: x[t][a], one account per trade, the active scenario rows,
-- the objective(s) of this stage, and the bounds from earlier stages
function S.build_model(self, active, stage, fixed)
  local folio = require "folio"
  local rows = self:build_rows()
  local nT, nA = #self.trades, #self.accounts
  local m = folio.model("trade_assignment")
  local tid, aid = {}, {}
  for t = 1, nT do tid[t] = t end
  for a = 1, nA do aid[a] = a end
  local x = m:var("x", { tid, aid }, {
    kind = "binary",
    ub = function(t, a) return allowed(self, t, a) and 1 or 0 end,
  })
  m:st("one_account", tid, function(t) return folio.sum(aid, function(a) return x[t][a] end), "==", 1 end)
  local cost = folio.sum(tid, function(t)
    return folio.sum(aid, function(a) if allowed(self, t, a) then return self.costs[t][a] * x[t][a] end end)
  end)
  local needs = {}
  for _, o in ipairs(stage.objs) do needs[o.kind] = true end
  for _, f in ipairs(fixed) do needs[f.kind] = true end
  local z = needs.min_headroom and m:var("headroom", { lb = -1e6, ub = 1e6 }) or nil
  local u
  if needs.concentration then
    u = m:var("largest_book", { lb = 0 })
    m:st("book", aid, function(a)
      local base = 0
      for s2, q in pairs(self.accounts[a].pos) do base = base + math.abs(q) * self.securities[s2].price end
      return folio.sum(tid, function(t)
        if allowed(self, t, a) then return self.trades[t].quantity * self.securities[self.trades[t].sec].price * x[t][a] end
      end) + base, "<=", u
    end)
  end
  -- limit rows for the active (row, scenario) pairs
  for _, key in ipairs(S.sorted_keys(active)) do
    local r = active[key][1]
    local lhs, bound = self:limit_row(active[key], x)
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
function S.read_assignment(r, x, nT, nA)
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
local read_assignment = S.read_assignment

-- a MIP start {[x[t][a]] = 0/1} from an assignment
local function start_from(assign, nT, nA)
  return function(xx)
    local st = {}
    for t = 1, nT do for a = 1, nA do st[xx[t][a]] = assign[t] == a and 1 or 0 end end
    return st
  end
end

-- Solves one stage. method "lazy": start from the nominal and a few
-- extreme scenarios, check every scenario in C, add the violated rows,
-- repeat; "full": every scenario's rows from the start.
function S.solve_stage(self, stage, fixed, active, opts, log, prev_assign)
  local folio = require "folio"
  local nT, nA = #self.trades, #self.accounts
  local rows = self:build_rows()
  local R = rows.R
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
    local so = { solver = opts.solver, time_limit = opts.time_limit, mip_gap = gap, verbose = opts.verbose }
    if start and opts.mip_start ~= false then so.mip_start = start(x) end
    local t0 = folio.now()
    r = m:solve(so)
    t_solve = t_solve + folio.now() - t0
    local st = m:stats()
    log[#log + 1] = { stage = stage.name, round = rounds, status = r.status, rows = st.rows, nnz = st.nnz,
                      objective = r.objective, gap = r.mip_gap, nodes = r.nodes, time = r.solve_time, solver = r.solver }
    if not r.has_solution then return { status = r.status, result = r, rounds = rounds, active = active,
                                        t_solve = t_solve, t_check = t_check } end
    assign = read_assignment(r, x, nT, nA)
    if opts.method == "full" then break end
    -- check every scenario; add only the violated (row, scenario) pairs
    t0 = folio.now()
    local viol, worst = T.check(self.limits_c, self.scen, assign, 1e-9, opts.per_row or 1)
    local added = S.add_violated(active, viol)
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
    t_check = t_check + folio.now() - t0
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
function S.initial_active(self)
  local rows = self:build_rows()
  local active = {}
  for r = 1, rows.R do active[key_of(r, 0)] = { r, 0 } end
  local count = self.cfg.initial_scenarios
  if count == nil then count = 1 end
  if count > 0 and select(1, self.scen:size()) > 0 then
    local none = {}
    for t = 1, #self.trades do none[t] = 0 end
    local _, worst = T.check(self.limits_c, self.scen, none, 1e-9, 0)
    for r = 1, rows.R do
      if worst[r][1] > 0 then active[key_of(r, worst[r][1])] = { r, worst[r][1] } end
    end
  end
  return active
end

---------------------------------------------------------------------------
-- objective values of an assignment, recomputed from it
---------------------------------------------------------------------------
local function financing(self, assign)
  local c = 0
  for t, a in ipairs(assign) do if a > 0 then c = c + self.costs[t][a] end end
  return c
end

-- the largest gross book (nominal prices) over the accounts
local function largest_book(self, assign)
  local best = 0
  for a, acc in ipairs(self.accounts) do
    local book = 0
    for s, q in pairs(acc.pos) do book = book + math.abs(q) * self.securities[s].price end
    for t, b in ipairs(assign) do
      if b == a then book = book + self.trades[t].quantity * self.securities[self.trades[t].sec].price end
    end
    best = math.max(best, book)
  end
  return best
end

-- the smallest scaled headroom over every limit and scenario (inf without limits)
local function least_headroom(self, assign)
  local rows = self:build_rows()
  if rows.R == 0 then return math.huge end
  local _, worst = T.check(self.limits_c, self.scen, assign, 1e-9, 0)
  local h = math.huge
  for r = 1, rows.R do h = math.min(h, (rows.rhs[r] - worst[r][2]) / rows.scale[r]) end
  return h
end

local VALUE = { financing_cost = financing, concentration = largest_book, min_headroom = least_headroom }

-- the objective in the user's terms: the first priority's value
-- (lexicographic), or sum weight_i value_i with headroom counted as
-- -weight z (weighted, what that solve minimised)
function S.objective_value(self, assign)
  local objs = self.objectives
  if self.combine ~= "weighted" then return VALUE[objs[1].kind](self, assign), objs[1].kind end
  local v = 0
  for _, o in ipairs(objs) do
    local x = VALUE[o.kind](self, assign)
    v = v + (o.kind == "min_headroom" and -o.weight * x or o.weight * x)
  end
  return v, "weighted"
end

-- an assignment holds every limit in every scenario (the C check of the
-- linear forms, at the validator's tolerance)
local function complies(self, assign)
  local viol = T.check(self.limits_c, self.scen, assign, 1e-6, 1)
  return #viol == 0
end
S.complies = complies

---------------------------------------------------------------------------
-- solve
---------------------------------------------------------------------------
local SOLVE = { method = "string", solver = "string", time_limit = "number", mip_gap = "number",
                discovery_gap = "number", per_row = "number", mip_start = "boolean", verbose = "boolean" }
S.SOLVE_OPTIONS = SOLVE

local function count(t)
  local n = 0
  for _ in pairs(t or {}) do n = n + 1 end
  return n
end

-- the stages: one per priority (lexicographic), or one weighted stage
local function stages_of(self)
  local stages = {}
  if self.combine == "weighted" then
    stages[1] = { name = "weighted", objs = self.objectives }
  else
    for _, o in ipairs(self.objectives) do stages[#stages + 1] = { name = o.kind, objs = { o } } end
  end
  return stages
end

-- the bound that keeps a priority's optimum within its tolerance
local function keep(o, out)
  local v = o.kind == "financing_cost" and out.cost or o.kind == "concentration" and out.concentration or out.headroom
  local tol = math.max(o.abs_tol, o.rel_tol * math.abs(v))
  return { kind = o.kind, bound = o.kind == "min_headroom" and v - tol or v + tol }
end

-- the result of a batch with no trades: do the books comply as they are?
local function no_trades(self, o, res, t_start)
  local v = self:validate({})
  res.validation, res.rows_active = v, 0
  local status = v.compliant and "optimal" or "infeasible"
  if not v.compliant then
    res.message, res.conflicts = require("folio.trade_explain").books_message(self, v)
  end
  local objective
  if v.compliant then
    res.assignment, res.accounts, res.cost = {}, {}, 0
    objective, res.objective_kind = S.objective_value(self, {})
  end
  return status, objective, "none"
end

function S.solve(self, opts)
  local folio = require "folio"
  check.options(opts, "solve", SOLVE)
  opts = opts or {}
  local cfg = self.cfg
  In.limits(opts, "solve")
  local o = {
    method = In.method(opts.method, "solve") or cfg.method or "lazy",
    solver = In.solver(opts.solver, "solve") or cfg.solver,
    time_limit = opts.time_limit or cfg.time_limit, mip_gap = opts.mip_gap or cfg.mip_gap,
    discovery_gap = opts.discovery_gap, per_row = opts.per_row, mip_start = opts.mip_start,
    verbose = opts.verbose == nil and cfg.verbose or opts.verbose,
  }
  local t_start = folio.now()
  local rows = self:build_rows()
  local N = select(1, self.scen:size())
  local res = { method = o.method, scenarios = N, stages = {}, log = {}, assigner = self }
  local status, objective, solver
  if #self.trades == 0 then
    status, objective, solver = no_trades(self, o, res, t_start)
  else
    local active
    if o.method == "full" then
      active = {}
      for r = 1, rows.R do
        for k = 0, N do active[key_of(r, k)] = { r, k } end
      end
    else
      active = self:initial_active()
    end
    local stages = stages_of(self)
    local log, fixed, stage_out = res.log, {}, res.stages
    local final
    for i, stage in ipairs(stages) do
      local out = self:solve_stage(stage, fixed, active, o, log, final and final.assign)
      stage_out[i] = { name = stage.name, status = out.status, rounds = out.rounds, cost = out.cost,
                       headroom = out.headroom, concentration = out.concentration, t_solve = out.t_solve,
                       t_check = out.t_check }
      if not out.assign then
        if final and final.assign then
          -- a later priority found nothing better in its limit: the earlier
          -- stage's answer stands (feasible, and optimal for its priorities)
          stage_out[i].kept_previous = true
          res.note = ("stage %d (%s) ended %s; the answer of stage %d stands"):format(i, stage.name, out.status, i - 1)
        else
          final = out
        end
        break
      end
      final = out
      -- keep this priority's optimum within its tolerance for the next ones
      if #stage.objs == 1 and i < #stages then fixed[#fixed + 1] = keep(stage.objs[1], out) end
    end
    res.rows_active = count(final.active or active)
    status, objective, solver = S.settle_assignment(self, res, final, o)
    if status == "infeasible" then
      res.message, res.conflicts = require("folio.trade_explain").conflict(self, final.active or active, o)
    end
  end
  results.settle(res, { status = status, has_solution = res.assignment ~= nil, objective = objective,
                        solve_time = folio.now() - t_start, solver = solver })
  res.time = res.solve_time   -- the older name
  return require("folio.trade_report").result(res)
end

-- The status, objective and solver of a solve whose stages are done, and
-- the assignment on res when there is one that holds every limit in
-- every scenario: the MIP's, else the greedy fallback's.
function S.settle_assignment(self, res, final, o)
  -- the first stage that did not end optimal says why the answer is not proven
  local word, first = "optimal", nil
  for i, st in ipairs(res.stages) do
    if st.status ~= "optimal" then word, first = st.status, i; break end
  end
  word = results.status_word(word)
  local assign = final.assign
  if assign and not complies(self, assign) then
    -- a lazy loop stopped (iteration limit) on an answer that breaks a scenario
    res.breaks_scenarios = true
    if word == "optimal" then word = "numerical_error" end
    assign = nil
  end
  if assign and word ~= "optimal" then
    -- an incumbent at a limit, or an earlier stage's answer standing after
    -- a later one failed: a solution, not proven optimal
    res.note = res.note or ("stage %d (%s) ended %s: the answer holds every limit but is not proven optimal")
      :format(first, res.stages[first].name, res.stages[first].status)
    word = "feasible"
  end
  if not assign and word ~= "infeasible" then
    -- the MIP failed or stopped without an incumbent: the greedy answer,
    -- marked as a fallback, with its gap to the MIP's bound when there is one
    local g = self:greedy()
    res.fallback = { complete = g.complete, unplaced = g.unplaced, cost = g.cost }
    if g.complete then
      assign, word = g.assignment, "fallback"
      local bound = final.result and final.result.mip_bound
      if bound and bound == bound and math.abs(bound) < math.huge then
        res.fallback.bound = bound
        res.fallback.gap = (g.cost - bound) / math.max(1e-9, math.abs(g.cost))
      end
    else
      res.message = ("%s: the MIP stopped without an assignment that holds in every scenario, and the greedy "
        .. "fallback could not place %s %s"):format(word, #g.unplaced == 1 and "trade" or "trades", In.phrase(g.unplaced))
    end
  end
  local last = res.log[#res.log]
  local solver = last and last.solver or (assign and "greedy") or "none"
  if not assign then return word, nil, solver end
  res.assignment = assign
  res.cost = financing(self, assign)
  res.accounts = {}
  for t, a in ipairs(assign) do res.accounts[self.trades[t].id] = self.accounts[a].name end
  local objective
  objective, res.objective_kind = S.objective_value(self, assign)
  return word, objective, solver
end

---------------------------------------------------------------------------
-- greedy fallback: trades by decreasing notional, each to the cheapest
-- account that stays feasible in every scenario
---------------------------------------------------------------------------
function S.greedy(self)
  self:build_rows()
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
    for a = 1, nA do if allowed(self, t, a) then cands[#cands + 1] = a end end
    table.sort(cands, function(p, q)
      if self.costs[t][p] ~= self.costs[t][q] then return self.costs[t][p] < self.costs[t][q] end
      return p < q
    end)
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
  return { assignment = assign, cost = financing(self, assign), unplaced = unplaced, complete = #unplaced == 0 }
end

return S
