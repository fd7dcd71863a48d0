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
-- the limit rows on net positions (docs/trade_assignment.md, "Netting")
---------------------------------------------------------------------------
-- Row r (account a) reads, after the trades,
--   v_r = sum_s w_r(s, side of n_s) n_s (p_s f_s + accrued_s) + c_r cash_a
-- with n_s the account's net position (held + signed quantities booked).
-- long[r][s], short[r][s]: the weight per unit on each side (folded, so
-- every row is <=); cash_coef[r]: the weight of the post-trade cash.
-- mode[a][s]: 0 when n_s >= 0 whatever is booked, 1 when n_s <= 0, 2 when
-- the trades can flip its sign (the MIP then splits n_s = p_s - m_s).
function S.build_rows(self)
  if self.rows then return self.rows end
  local nS, nT, nA = #self.securities, #self.trades, #self.accounts
  local rows = { account = {}, long = {}, short = {}, cash_coef = {}, rhs = {}, info = {}, index = {} }
  local R = 0
  for a, acc in ipairs(self.accounts) do
    rows.index[a] = {}
    for l, lim in ipairs(acc.limits) do
      R = R + 1
      rows.index[a][l] = R
      local fold = lim.sense == ">=" and -1 or 1
      rows.account[R] = a
      rows.rhs[R] = fold * lim.rhs
      local cc = 0
      for s, sec in ipairs(self.securities) do
        local L, Sh = 0, 0
        for _, term in ipairs(lim.terms) do
          local mname, c = term[1], term[2]
          if mname ~= "cash" then
            local metric = acc.metrics[mname]
            L = L + c * In.weight(metric, sec, "long")
            Sh = Sh + c * In.weight(metric, sec, "short")
          end
        end
        rows.long[(R - 1) * nS + s] = fold * L
        rows.short[(R - 1) * nS + s] = fold * Sh
      end
      for _, term in ipairs(lim.terms) do
        local mname, c = term[1], term[2]
        cc = cc + (mname == "cash" and c or c * (acc.metrics[mname].cash or 0))
      end
      rows.cash_coef[R] = fold * cc
      rows.info[R] = { account = a, limit = lim.name, sense = lim.sense, rhs = lim.rhs, fold = fold, lim = lim }
    end
  end
  rows.R = R
  -- the range of each net position over every choice of bookings (every
  -- trade counted, whichever account accepts it: the conflict search
  -- lifts `accepts`), and with it the sign mode and the big-M bounds
  local lo, hi = {}, {}
  for a, acc in ipairs(self.accounts) do
    for s = 1, nS do
      local q = acc.pos[s] or 0
      lo[(a - 1) * nS + s], hi[(a - 1) * nS + s] = q, q
    end
  end
  local cash, positions, mode = {}, {}, {}
  rows.split, rows.big_long, rows.big_short, rows.flip_binary = {}, {}, {}, {}
  for a, acc in ipairs(self.accounts) do
    cash[a] = acc.cash
    rows.split[a] = {}
    for _, tr in ipairs(self.trades) do
      local i = (a - 1) * nS + tr.sec
      local dq = tr.sign * tr.quantity
      if dq > 0 then hi[i] = hi[i] + dq else lo[i] = lo[i] + dq end
    end
    for s = 1, nS do
      local i = (a - 1) * nS + s
      positions[i] = acc.pos[s] or 0
      if lo[i] >= 0 then mode[i] = 0
      elseif hi[i] <= 0 then mode[i] = 1
      else
        mode[i] = 2
        rows.split[a][#rows.split[a] + 1] = s
        rows.big_long[i], rows.big_short[i] = hi[i], -lo[i]
        -- a binary for the sign only where some row is not convex in n_s
        -- (a long weight below the short one: the row would under-count
        -- a split with both parts positive)
        for r = 1, R do
          if rows.account[r] == a and rows.long[(r - 1) * nS + s] < rows.short[(r - 1) * nS + s] - 1e-12 then
            rows.flip_binary[i] = true
          end
        end
      end
    end
  end
  rows.mode = mode
  -- headroom scale per row: the limit's scale, else |rhs|, else the size
  -- of the row on the books before the trades
  rows.scale = {}
  for r = 1, R do
    local lim, a = rows.info[r].lim, rows.account[r]
    local size = math.abs(rows.cash_coef[r] * self.accounts[a].cash)
    for s, q in pairs(self.accounts[a].pos) do
      local sec = self.securities[s]
      local w = q >= 0 and rows.long[(r - 1) * nS + s] or rows.short[(r - 1) * nS + s]
      size = size + math.abs(w * q * (sec.price + sec.accrued))
    end
    rows.scale[r] = lim.scale or math.max(math.abs(rows.rhs[r]), size, 1)
  end
  local price, accrued, security, dq, dcash = {}, {}, {}, {}, {}
  for s, sec in ipairs(self.securities) do price[s], accrued[s] = sec.price, sec.accrued end
  for t, tr in ipairs(self.trades) do
    security[t], dq[t] = tr.sec, tr.sign * tr.quantity
    dcash[t] = -tr.sign * tr.quantity * (tr.price + tr.accrued)
  end
  rows.security = security
  self.limits_c = T.limits { rows = R, securities = nS, trades = nT, accounts = nA, account = rows.account,
                             long = rows.long, short = rows.short, cash_coef = rows.cash_coef, rhs = rows.rhs,
                             cash = cash, positions = positions, price = price, accrued = accrued,
                             security = security, dq = dq, dcash = dcash, mode = mode }
  self.rows = rows
  return rows
end

-- the net positions' split parts in a model: for each account a and each
-- security s whose sign the trades can flip, p, m >= 0 with
-- p - m = held + sum_t x[t][a] dq_t, and a binary sign where a row is not
-- convex in n_s (p <= M+ z, m <= M- (1 - z), M from the data). `flips`
-- (a set of indices (a - 1) S + s) limits the binaries to those pairs:
-- the lazy loop adds them as its answers need them; nil gives every pair
-- that needs one. Returns net[a][s] = {p =, m =, z =}. `all`: x has no
-- zero bounds.
function S.add_netting(self, m, x, all, flips)
  local folio = require "folio"
  local rows = self:build_rows()
  local nS = #self.securities
  local net = {}
  for a, list in ipairs(rows.split) do
    net[a] = {}
    for _, s in ipairs(list) do
      local i = (a - 1) * nS + s
      local tag = ("%d_%d"):format(a, s)
      local p = m:var("net_long_" .. tag, { lb = 0, ub = rows.big_long[i] })
      local q = m:var("net_short_" .. tag, { lb = 0, ub = rows.big_short[i] })
      local terms, buys, sells = {}, {}, {}
      for t, tr in ipairs(self.trades) do
        if tr.sec == s and (all or allowed(self, t, a)) then
          terms[#terms + 1] = tr.sign * tr.quantity * x[t][a]
          if tr.sign > 0 then buys[#buys + 1] = tr.quantity * x[t][a] else sells[#sells + 1] = tr.quantity * x[t][a] end
        end
      end
      local q0 = self.accounts[a].pos[s] or 0
      m:st("net_" .. tag, p - q - folio.sum(terms), "==", q0)
      -- valid bounds that tie each part to the trades booked: the long
      -- part is at most the long holding plus the buys, the short part the
      -- short holding plus the sales (exact when nothing of s is booked)
      m:st("net_long_cap_" .. tag, p - folio.sum(buys), "<=", math.max(q0, 0))
      m:st("net_short_cap_" .. tag, q - folio.sum(sells), "<=", math.max(-q0, 0))
      local z
      if rows.flip_binary[i] and (not flips or flips[i]) then
        z = m:var("net_sign_" .. tag, { kind = "binary" })
        m:st("net_long_on_" .. tag, p - rows.big_long[i] * z, "<=", 0)
        m:st("net_short_on_" .. tag, q + rows.big_short[i] * z, "<=", rows.big_short[i])
      end
      net[a][s] = { p = p, m = q, z = z, index = i }
    end
  end
  return net
end

-- the active pair {row r, scenario k} as a linear form in x (and the
-- split parts in net) and its bound; every trade's term when `all`
function S.limit_row(self, pair, x, all, net)
  local folio = require "folio"
  local coef, const, rhs, split = T.row(self.limits_c, self.scen, pair[1], pair[2])
  local a = self.rows.account[pair[1]]
  local terms = {}
  for t = 1, #self.trades do
    if coef[t] ~= 0 and (all or allowed(self, t, a)) then terms[#terms + 1] = coef[t] * x[t][a] end
  end
  for _, sp in ipairs(split) do
    local v = net[a][sp[1]]
    if sp[2] ~= 0 then terms[#terms + 1] = sp[2] * v.p end
    if sp[3] ~= 0 then terms[#terms + 1] = sp[3] * v.m end
  end
  return folio.sum(terms), rhs - const
end

-- the post-trade books of an assignment: net[a][s] (nonzero entries) and cash[a]
function S.books(self, assign)
  local net, cash = {}, {}
  for a, acc in ipairs(self.accounts) do
    net[a], cash[a] = {}, acc.cash
    for s, q in pairs(acc.pos) do net[a][s] = q end
  end
  for t, a in ipairs(assign) do
    if a > 0 then
      local tr = self.trades[t]
      net[a][tr.sec] = (net[a][tr.sec] or 0) + tr.sign * tr.quantity
      cash[a] = cash[a] - tr.sign * tr.quantity * (tr.price + tr.accrued)
    end
  end
  return net, cash
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
-- the largest gross book and the risk measure as expressions of a model
local function gross_book(self, x, net, a)
  local folio = require "folio"
  local rows, nS = self.rows, #self.securities
  local terms, base = {}, 0
  for s, q in pairs(self.accounts[a].pos) do
    if rows.mode[(a - 1) * nS + s] ~= 2 then base = base + math.abs(q) * self.securities[s].price end
  end
  for t, tr in ipairs(self.trades) do
    local md = rows.mode[(a - 1) * nS + tr.sec]
    if md ~= 2 and allowed(self, t, a) then
      terms[#terms + 1] = (md == 0 and 1 or -1) * tr.sign * tr.quantity * self.securities[tr.sec].price * x[t][a]
    end
  end
  for s, v in pairs(net[a] or {}) do terms[#terms + 1] = self.securities[s].price * (v.p + v.m) end
  return folio.sum(terms) + base
end

-- a CVaR cut {account, coef[s]}: t_a >= sum_s coef_s n_{a,s}
local function cut_expr(self, x, cut)
  local folio = require "folio"
  local a, coef = cut[1], cut[2]
  local terms, base = {}, 0
  for s, q in pairs(self.accounts[a].pos) do base = base + coef[s] * q end
  for t, tr in ipairs(self.trades) do
    if allowed(self, t, a) and coef[tr.sec] ~= 0 then terms[#terms + 1] = coef[tr.sec] * tr.sign * tr.quantity * x[t][a] end
  end
  return folio.sum(terms) + base
end

-- one model: x[t][a], one account per trade, the net positions' split
-- parts, the active scenario rows, the risk cuts, the objective(s) of this
-- stage, and the bounds from earlier stages. Returns nil when the
-- deadline passes while it is built.
function S.build_model(self, active, stage, fixed, cuts, deadline, flips)
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
  local net = S.add_netting(self, m, x, false, flips)
  local cost = folio.sum(tid, function(t)
    return folio.sum(aid, function(a) if allowed(self, t, a) then return self.costs[t][a] * x[t][a] end end)
  end)
  local needs = {}
  for _, o in ipairs(stage.objs) do needs[o.kind] = true end
  for _, f in ipairs(fixed) do needs[f.kind] = true end
  local v = { x = x, net = net, cost = cost }
  v.z = needs.min_headroom and m:var("headroom", { lb = -1e6, ub = 1e6 }) or nil
  if needs.concentration then
    v.u = m:var("largest_book", { lb = 0 })
    m:st("book", aid, function(a) return gross_book(self, x, net, a), "<=", v.u end)
  end
  if needs.risk then
    v.risk_acc = m:var("account_risk", aid, { lb = -math.huge })
    if self.risk.aggregate == "sum" then
      v.risk = folio.sum(v.risk_acc)
    else
      v.risk = m:var("largest_risk", { lb = -math.huge })
      m:st("risk_max", aid, function(a) return v.risk_acc[a], "<=", v.risk end)
    end
    for i, cut in ipairs(cuts) do m:st("risk_cut_" .. i, v.risk_acc[cut[1]] - cut_expr(self, x, cut), ">=", 0) end
  end
  -- limit rows for the active (row, scenario) pairs
  local now = folio.now
  for i, key in ipairs(S.sorted_keys(active)) do
    if deadline and i % 128 == 0 and now() > deadline then return nil end
    local r = active[key][1]
    local lhs, bound = self:limit_row(active[key], x, false, net)
    m:st("limit_" .. key, lhs, "<=", bound)
    if v.z then m:st("headroom_" .. key, rows.scale[r] * v.z + lhs, "<=", bound) end
  end
  -- earlier priorities kept within their tolerance
  for i, f in ipairs(fixed) do
    if f.kind == "financing_cost" then m:st("keep_" .. i, cost, "<=", f.bound)
    elseif f.kind == "concentration" then m:st("keep_" .. i, v.u, "<=", f.bound)
    elseif f.kind == "risk" then m:st("keep_" .. i, v.risk, "<=", f.bound)
    else m:st("keep_" .. i, v.z, ">=", f.bound) end
  end
  -- this stage's objective: one, or a weighted sum
  local terms = {}
  for _, o in ipairs(stage.objs) do
    if o.kind == "financing_cost" then terms[#terms + 1] = o.weight * cost
    elseif o.kind == "concentration" then terms[#terms + 1] = o.weight * v.u
    elseif o.kind == "risk" then terms[#terms + 1] = o.weight * v.risk
    else terms[#terms + 1] = -o.weight * v.z end
  end
  m:minimize(folio.sum(terms))
  return m, v
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

-- a MIP start from an assignment: x, and the split parts and signs of the
-- net positions it gives
local function start_from(self, assign)
  return function(v)
    local st = {}
    for t = 1, #self.trades do
      for a = 1, #self.accounts do st[v.x[t][a]] = assign[t] == a and 1 or 0 end
    end
    local netp = S.books(self, assign)
    for a, list in pairs(v.net) do
      for s, sv in pairs(list) do
        local n = netp[a][s] or 0
        st[sv.p], st[sv.m] = math.max(n, 0), math.max(-n, 0)
        if sv.z then st[sv.z] = n >= 0 and 1 or 0 end
      end
    end
    return st
  end
end

-- the number K of worst scenarios the risk measure averages
local function risk_k(self)
  local N = select(1, self.scen:size())
  return math.max(1, math.min(N, math.ceil((1 - self.risk.alpha) * N - 1e-9)))
end

-- What a MIP solve may take before it first looks at its time limit, from
-- the time its model took to build and its nonzeros. On the full expansion
-- at N = 1,000 (4.2 million nonzeros, built in 1.5-1.8 s), GLPK's root LP
-- ran 12-17 s and Cbc's set-up 8-11 s past limits of 2.5-6 s; on another
-- machine Cbc took 6.7 builds. The larger of 8 builds and 5 us a nonzero
-- covers both (docs/trade_assignment.md, "Time").
S.ROOT_COST = { builds = 8, per_nnz = 5e-6 }
function S.root_cost(build_time, nnz)
  return math.max(S.ROOT_COST.builds * build_time, S.ROOT_COST.per_nnz * nnz)
end

-- Solves one stage. method "lazy": start from the nominal and a few
-- extreme scenarios, check every scenario in C, add the violated rows,
-- repeat; "full": every scenario's rows from the start. The risk measure's
-- cuts are added lazily by both. o.deadline bounds the whole batch.
function S.solve_stage(self, stage, fixed, active, opts, log, prev_assign, cuts, flips)
  local folio = require "folio"
  local nT, nA = #self.trades, #self.accounts
  local rows = self:build_rows()
  local R = rows.R
  cuts = cuts or {}
  local rounds, max_rounds = 0, self.cfg.max_rounds or 100
  local r, v, assign
  local t_solve, t_check, t_build = 0, 0, 0
  local function out_of_time(res)
    res.status, res.rounds, res.active, res.out_of_time = "time_limit", rounds, active, true
    res.t_solve, res.t_check, res.t_build = t_solve, t_check, t_build
    return res
  end
  -- the previous stage's answer is feasible here: start from it
  local start = prev_assign and start_from(self, prev_assign) or nil
  -- rounds that only discover violated rows solve to a loose gap; once a
  -- round adds nothing, one more solve at the target gap (which, if its
  -- answer breaks a scenario, goes on discovering at the target gap)
  local target_gap = opts.mip_gap or 1e-9
  local gap = opts.method == "lazy" and math.max(target_gap, opts.discovery_gap or 1e-2) or target_gap
  local check_rows = opts.method == "lazy"
  while true do
    rounds = rounds + 1
    local left = opts.deadline and opts.deadline - folio.now()
    if left and left <= 0 then return out_of_time {} end
    local t0 = folio.now()
    local m
    m, v = self:build_model(active, stage, fixed, cuts, opts.deadline, flips)
    t_build = t_build + folio.now() - t0
    if not m then return out_of_time {} end
    -- neither GLPK's nor Cbc's set-up and root relaxation poll the time
    -- limit: a solve starts only when the budget left covers what they
    -- may take (S.ROOT_COST)
    left = opts.deadline and opts.deadline - folio.now()
    if left and left <= S.root_cost(folio.now() - t0, m:stats().nnz) then return out_of_time { skipped = true } end
    local so = { solver = opts.solver, time_limit = left and math.max(left, 1e-3) or nil, mip_gap = gap,
                 verbose = opts.verbose }
    if start and opts.mip_start ~= false then so.mip_start = start(v) end
    t0 = folio.now()
    r = m:solve(so)
    t_solve = t_solve + folio.now() - t0
    local st = m:stats()
    log[#log + 1] = { stage = stage.name, round = rounds, status = r.status, rows = st.rows, nnz = st.nnz,
                      objective = r.objective, gap = r.mip_gap, nodes = r.nodes, time = r.solve_time, solver = r.solver }
    if not r.has_solution then return { status = r.status, result = r, rounds = rounds, active = active,
                                        t_solve = t_solve, t_check = t_check, t_build = t_build } end
    assign = read_assignment(r, v.x, nT, nA)
    -- check every scenario; add only the violated (row, scenario) pairs
    t0 = folio.now()
    local added = 0
    -- the accounts whose rows the answer breaks (or whose headroom it
    -- overstates): a net position split into long and short parts that
    -- are both positive there gets its sign binary next round
    local broken = {}
    if check_rows or flips then
      local viol, worst = T.check(self.limits_c, self.scen, assign, 1e-9, opts.per_row or 1)
      for _, vi in ipairs(viol) do broken[rows.account[vi[1]]] = true end
      if check_rows then added = S.add_violated(active, viol) end
      if v.z then
        -- the headroom rows: z may not exceed any scenario's headroom
        local zv = r:value(v.z)
        for rr = 1, R do
          local w = worst[rr]
          local h = (rows.rhs[rr] - w[2]) / rows.scale[rr]
          local key = key_of(rr, w[1])
          if h < zv - 1e-7 * (1 + math.abs(zv)) then
            broken[rows.account[rr]] = true
            if check_rows and not active[key] then active[key] = { rr, w[1] }; added = added + 1 end
          end
        end
      end
    end
    if flips then
      for a in pairs(broken) do
        for _, sv in pairs(v.net[a] or {}) do
          if not sv.z and rows.flip_binary[sv.index] then
            local pv, mv = r:value(sv.p), r:value(sv.m)
            if math.min(pv, mv) > 1e-7 * (1 + math.max(pv, mv)) then flips[sv.index] = true; added = added + 1 end
          end
        end
      end
    end
    if v.risk_acc then
      -- the risk cuts: each account's CVaR at this assignment, where the
      -- model's value falls short of it
      local cv = T.cvar(self.limits_c, self.scen, assign, risk_k(self))
      for a = 1, nA do
        local tv = r:value(v.risk_acc[a])
        if tv < cv[a].value - 1e-7 * (1 + math.abs(cv[a].value)) then
          cuts[#cuts + 1] = { a, cv[a].coef }
          added = added + 1
        end
      end
    end
    t_check = t_check + folio.now() - t0
    log[#log].added = added
    -- a round stopped at a limit with an incumbent that holds in every
    -- scenario: the stage's answer, not proven optimal (another round
    -- would have no budget left)
    if added == 0 and r.status ~= "optimal" then break end
    if added == 0 then
      -- a discovery round that closed the target gap anyway is final
      if gap <= target_gap or (r.mip_gap and r.mip_gap <= target_gap) then break end
      gap = target_gap
    elseif opts.method == "lazy" then
      -- the answer at the target gap broke a row: back to discovering at
      -- the loose gap until a round adds nothing again
      gap = math.max(target_gap, opts.discovery_gap or 1e-2)
    end
    if rounds >= max_rounds then
      return { status = "iteration_limit", result = r, assign = assign, rounds = rounds, active = active,
               t_solve = t_solve, t_check = t_check, t_build = t_build }
    end
    -- the checked assignment may now break an added row: it is offered
    -- as a start, and the solver keeps it only if it is still feasible
    start = start_from(self, assign)
  end
  local out = { status = r.status, result = r, assign = assign, rounds = rounds, active = active,
                t_solve = t_solve, t_check = t_check, t_build = t_build, cost = r:value(v.cost) }
  if v.z then out.headroom = r:value(v.z) end
  if v.u then out.concentration = r:value(v.u) end
  if v.risk then out.risk = r:value(v.risk) end
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
S.financing = financing

-- the gross book of each account (sum_s |net_s| x nominal price) after the assignment
function S.gross_books(self, assign)
  local net = S.books(self, assign)
  local out = {}
  for a = 1, #self.accounts do
    local book = 0
    for s, q in pairs(net[a]) do book = book + math.abs(q) * self.securities[s].price end
    out[a] = book
  end
  return out
end

-- the largest gross book over the accounts
local function largest_book(self, assign)
  return math.max(table.unpack(S.gross_books(self, assign)))
end

-- the scale that headroom is divided by for limit l of account a: the one
-- the min_headroom objective uses, so the report's scaled headroom has
-- that objective as its minimum
function S.headroom_scale(self, a, l)
  local rows = self:build_rows()
  return rows.scale[rows.index[a][l]]
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

-- the risk measure: each account's CVaR (C), then their largest or sum
function S.account_risk(self, assign)
  self:build_rows()
  local cv = T.cvar(self.limits_c, self.scen, assign, risk_k(self))
  local out = {}
  for a = 1, #self.accounts do out[a] = cv[a].value end
  return out, cv
end
local function risk_value(self, assign)
  local per = S.account_risk(self, assign)
  if self.risk.aggregate == "sum" then
    local s = 0
    for _, v in ipairs(per) do s = s + v end
    return s
  end
  return math.max(table.unpack(per))
end

local VALUE = { financing_cost = financing, concentration = largest_book, min_headroom = least_headroom,
                risk = risk_value }
S.VALUE = VALUE

-- what a stage minimised, for an assignment: sum weight_i value_i, the
-- headroom counted as -weight z
local function stage_value(self, assign, objs)
  local v = 0
  for _, o in ipairs(objs) do
    local x = VALUE[o.kind](self, assign)
    v = v + (o.kind == "min_headroom" and -o.weight * x or o.weight * x)
  end
  return v
end

-- the objective in the user's terms: the first priority's value
-- (lexicographic), or sum weight_i value_i with headroom counted as
-- -weight z (weighted, what that solve minimised)
function S.objective_value(self, assign)
  local objs = self.objectives
  if self.combine ~= "weighted" then return VALUE[objs[1].kind](self, assign), objs[1].kind end
  return stage_value(self, assign, objs), "weighted"
end

-- an assignment holds every limit in every scenario (the C check of the
-- net books, at the validator's tolerance)
local function complies(self, assign)
  local viol = T.check(self.limits_c, self.scen, assign, 1e-6, 1)
  return #viol == 0
end
S.complies = complies

---------------------------------------------------------------------------
-- solve
---------------------------------------------------------------------------
local SOLVE = { method = "string", solver = "string", time_limit = "number", mip_gap = "number",
                discovery_gap = "number", per_row = "number", mip_start = "boolean", verbose = "boolean",
                netting = "string" }
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
  local v = out[o.kind == "financing_cost" and "cost" or o.kind == "min_headroom" and "headroom" or o.kind]
  local tol = math.max(o.abs_tol, o.rel_tol * math.abs(v))
  return { kind = o.kind, bound = o.kind == "min_headroom" and v - tol or v + tol }
end

-- the result of a batch with no trades: do the books comply as they are?
local function no_trades(self, res)
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
  local t_start = folio.now()
  local o = {
    method = In.method(opts.method, "solve") or cfg.method or "lazy",
    solver = In.solver(opts.solver, "solve") or cfg.solver,
    time_limit = opts.time_limit or cfg.time_limit, mip_gap = opts.mip_gap or cfg.mip_gap,
    discovery_gap = opts.discovery_gap, per_row = opts.per_row, mip_start = opts.mip_start,
    verbose = opts.verbose == nil and cfg.verbose or opts.verbose, netting = opts.netting,
  }
  if o.netting ~= nil and o.netting ~= "lazy" and o.netting ~= "exact" then
    check.fail("solve: netting must be 'lazy' or 'exact' (got '%s')", tostring(o.netting))
  end
  -- time_limit is the budget of the whole batch: every stage, lazy round,
  -- model build and scenario check (docs/trade_assignment.md, "Time")
  if o.time_limit and o.time_limit > 0 then o.deadline = t_start + o.time_limit end
  local rows = self:build_rows()
  local N = select(1, self.scen:size())
  local res = { method = o.method, scenarios = N, stages = {}, log = {}, assigner = self, time_limit = o.time_limit,
                options = { method = o.method, solver = o.solver or "default", time_limit = o.time_limit or 0,
                            mip_gap = o.mip_gap, discovery_gap = o.discovery_gap, per_row = o.per_row,
                            mip_start = o.mip_start ~= false, netting = o.netting or "exact",
                            max_rounds = cfg.max_rounds, initial_scenarios = cfg.initial_scenarios } }
  local status, objective, solver
  local timing = { build = 0, solve = 0, check = 0, fallback = 0, conflict = 0 }
  if #self.trades == 0 then
    status, objective, solver = no_trades(self, res)
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
    local log, fixed, stage_out, cuts = res.log, {}, res.stages, {}
    -- the sign binaries: all from the start (netting = "exact", the
    -- default: fewer rounds, faster on the demo with both solvers), or
    -- added lazily as answers exploit a split (netting = "lazy")
    local flips = o.netting == "lazy" and {} or nil
    for _, ob in ipairs(self.objectives) do
      if ob.kind == "risk" then
        -- a first cut per account (at the books before any trade), so that
        -- each account's risk variable is bounded from the first round
        local none = {}
        for t = 1, #self.trades do none[t] = 0 end
        local cv = T.cvar(self.limits_c, self.scen, none, risk_k(self))
        for a = 1, #self.accounts do cuts[a] = { a, cv[a].coef } end
      end
    end
    local final
    for i, stage in ipairs(stages) do
      local out = self:solve_stage(stage, fixed, active, o, log, final and final.assign, cuts, flips)
      stage_out[i] = { name = stage.name, status = out.status, rounds = out.rounds, cost = out.cost,
                       headroom = out.headroom, concentration = out.concentration, risk = out.risk,
                       t_solve = out.t_solve, t_check = out.t_check, t_build = out.t_build,
                       bound = out.result and out.result.mip_bound, gap = out.result and out.result.mip_gap,
                       out_of_time = out.out_of_time }
      timing.build = timing.build + (out.t_build or 0)
      timing.solve = timing.solve + (out.t_solve or 0)
      timing.check = timing.check + (out.t_check or 0)
      if not out.assign then
        if final and final.assign then
          -- a later priority found nothing better in its limit: the earlier
          -- stage's answer stands (feasible, and optimal for its priorities)
          stage_out[i].kept_previous = true
          res.note = ("stage %d (%s) ended %s; the answer of stage %d stands"):format(i, stage.name, out.status, i - 1)
        else
          final = out
          final.stage = stage
        end
        break
      end
      final = out
      final.stage = stage
      -- keep this priority's optimum within its tolerance for the next ones
      if #stage.objs == 1 and i < #stages then fixed[#fixed + 1] = keep(stage.objs[1], out) end
    end
    res.rows_active = count(final.active or active)
    res.risk_cuts = #cuts
    local nflips = 0
    for _ in pairs(flips or rows.flip_binary) do nflips = nflips + 1 end
    res.sign_binaries = nflips
    status, objective, solver = S.settle_assignment(self, res, final, o, timing)
    if status == "infeasible" then
      local t0 = folio.now()
      local left = o.deadline and math.max(o.deadline - folio.now(), 0.1) or nil
      res.message, res.conflicts = require("folio.trade_explain").conflict(self, final.active or active,
        { solver = o.solver, time_limit = left or o.time_limit })
      timing.conflict = folio.now() - t0
    end
  end
  local total = folio.now() - t_start
  timing.total = total
  timing.other = math.max(0, total - timing.build - timing.solve - timing.check - timing.fallback - timing.conflict)
  res.timing = timing
  results.settle(res, { status = status, has_solution = res.assignment ~= nil, objective = objective,
                        solve_time = total, solver = solver })
  res.time = res.solve_time   -- the older name
  return require("folio.trade_report").result(res)
end

-- The status, objective and solver of a solve whose stages are done, and
-- the assignment on res when there is one that holds every limit in
-- every scenario: the MIP's, else the fallback heuristic's.
function S.settle_assignment(self, res, final, o, timing)
  local folio = require "folio"
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
    -- the MIP failed or stopped without an incumbent: the heuristic's
    -- answer, marked as a fallback, with its gap to the MIP's bound on the
    -- stage's objective when there is a bound
    local t0 = folio.now()
    local g = S.greedy(self, nil, o.deadline)
    timing.fallback = folio.now() - t0
    res.fallback = { complete = g.complete, unplaced = g.unplaced, cost = g.cost, seconds = timing.fallback,
                     phases = g.phases }
    if g.complete then
      assign, word = g.assignment, "fallback"
      local bound = final.result and final.result.mip_bound
      local objs = final.stage and final.stage.objs or { self.objectives[1] }
      local value = stage_value(self, assign, objs)
      res.fallback.value = value
      -- a bound is honest only when finite and below the value it bounds
      if type(bound) == "number" and bound == bound and math.abs(bound) < 1e300
        and bound <= value + 1e-9 * (1 + math.abs(value)) then
        res.fallback.bound = bound
        res.fallback.gap = (value - bound) / math.max(1e-9, math.abs(value))
      end
    else
      res.message = ("%s: the MIP stopped without an assignment that holds in every scenario, and the fallback "
        .. "heuristic could not place %s %s"):format(word, #g.unplaced == 1 and "trade" or "trades",
        In.phrase(g.unplaced))
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
-- the fallback heuristic (docs/trade_assignment.md, "Fallback"): a
-- regret-ordered greedy, then repair moves (book a trade where it breaks
-- a limit, and move one trade out of that account to restore it), then
-- cost-improving moves and swaps. Every step is checked in C against
-- every limit of the accounts it touches, in every scenario.
---------------------------------------------------------------------------
local FEAS = 1e-9

local GREEDY = { improve_time = "number", repair_steps = "number" }

-- ta:greedy{improve_time =, repair_steps =}; deadline (internal): the
-- batch's, which ends the optional improvement phase
function S.greedy(self, opts, deadline)
  local folio = require "folio"
  check.options(opts, "greedy", GREEDY)
  opts = opts or {}
  if opts.improve_time ~= nil then In.number(opts.improve_time, "improve_time", ">=0", "greedy") end
  if opts.repair_steps ~= nil then In.number(opts.repair_steps, "repair_steps", "count", "greedy") end
  self:build_rows()
  local nT, nA = #self.trades, #self.accounts
  local costs = self.costs
  local st = T.state(self.limits_c, self.scen)
  local cands = {}
  for t = 1, nT do
    local list = {}
    for a = 1, nA do if allowed(self, t, a) then list[#list + 1] = a end end
    table.sort(list, function(p, q)
      if costs[t][p] ~= costs[t][q] then return costs[t][p] < costs[t][q] end
      return p < q
    end)
    cands[t] = list
  end
  local notional = {}
  for t, tr in ipairs(self.trades) do notional[t] = tr.quantity * tr.price end
  local phases = {}
  local t0 = folio.now()
  -- 1. regret-ordered greedy: feas[t][a] as of the last change of account a
  local feas, left = {}, {}
  for t = 1, nT do
    feas[t] = {}
    for _, a in ipairs(cands[t]) do feas[t][a] = st:try(t, a, FEAS) <= FEAS end
    left[t] = true
  end
  local placed_n = 0
  while true do
    local pick, pick_a, pick_regret = nil, nil, -1
    for t = 1, nT do
      if left[t] then
        local first, second
        for _, a in ipairs(cands[t]) do
          if feas[t][a] then
            if not first then first = a else second = a; break end
          end
        end
        if first then
          local regret = second and costs[t][second] - costs[t][first] or math.huge
          if regret > pick_regret or (regret == pick_regret and notional[t] > notional[pick]) then
            pick, pick_a, pick_regret = t, first, regret
          end
        end
      end
    end
    if not pick then break end
    st:book(pick, pick_a)
    left[pick] = nil
    placed_n = placed_n + 1
    -- only account pick_a changed: re-check the trades that could go there
    for t = 1, nT do
      if left[t] and feas[t][pick_a] ~= nil then feas[t][pick_a] = st:try(t, pick_a, FEAS) <= FEAS end
    end
  end
  phases[#phases + 1] = { name = "regret greedy", placed = placed_n, seconds = folio.now() - t0 }
  -- 2. repair: each trade left, by decreasing notional: any account that
  -- now takes it; else book it to an account and move one trade out
  t0 = folio.now()
  local order = {}
  for t = 1, nT do if left[t] then order[#order + 1] = t end end
  table.sort(order, function(p, q)
    if notional[p] ~= notional[q] then return notional[p] > notional[q] end
    return p < q
  end)
  local repaired, moves = 0, 0
  -- book t at a and move other trades, out of a or into it, while the
  -- worst excess of a falls and every other account touched stays within
  -- its limits; undone when a stays broken
  local function repair_at(t, a)
    st:book(t, a)
    local e = st:excess(a)
    local log = {}
    for _ = 1, opts.repair_steps or 25 do
      if e <= FEAS then break end
      local best, bs = nil, e - 1e-9 * (1 + math.abs(e))
      for t2 = 1, nT do
        if t2 ~= t then
          local b = st:account(t2)
          if b == a then
            for _, c in ipairs(cands[t2]) do
              if c ~= a then
                local ea, ec = st:try2(t2, c)
                if ec <= FEAS and ea < bs then best, bs = { t2, c, a }, ea end
              end
            end
          elseif b > 0 and allowed(self, t2, a) then
            local eb, ea = st:try2(t2, a)
            if eb <= FEAS and ea < bs then best, bs = { t2, a, b }, ea end
          end
        end
      end
      if best then
        st:book(best[1], best[2])
        log[#log + 1] = best
        e = bs
      else
        -- no single move helps: swap a trade of a with one of another account
        local sw
        for t2 = 1, nT do
          if t2 ~= t and st:account(t2) == a then
            for t3 = 1, nT do
              local b = st:account(t3)
              if t3 ~= t and b > 0 and b ~= a and allowed(self, t2, b) and allowed(self, t3, a) then
                st:book(t2, b)
                local eb, ea = st:try2(t3, a)
                st:book(t2, a)
                if eb <= FEAS and ea < bs then sw, bs = { t2, t3, b }, ea end
              end
            end
          end
        end
        if not sw then break end
        st:book(sw[1], sw[3]); log[#log + 1] = { sw[1], sw[3], a }
        st:book(sw[2], a); log[#log + 1] = { sw[2], a, sw[3] }
        e = bs
      end
    end
    if e <= FEAS then return #log end
    for i = #log, 1, -1 do st:book(log[i][1], log[i][3]) end
    st:book(t, 0)
    return nil
  end
  for _, t in ipairs(order) do
    local done = false
    for _, a in ipairs(cands[t]) do
      if st:try(t, a, FEAS) <= FEAS then st:book(t, a); done = true; break end
    end
    if not done then
      -- the accounts by how far t alone would break them
      local by = {}
      for _, a in ipairs(cands[t]) do by[#by + 1] = { a, st:try(t, a) } end
      table.sort(by, function(p, q) if p[2] ~= q[2] then return p[2] < q[2] end return p[1] < q[1] end)
      for _, pa in ipairs(by) do
        local n = repair_at(t, pa[1])
        if n then done, moves = true, moves + n; break end
      end
    end
    if done then left[t], repaired = nil, repaired + 1 end
  end
  phases[#phases + 1] = { name = "repair", placed = repaired, moves = moves, seconds = folio.now() - t0 }
  -- 3. improvement: cheaper accounts for single trades, then pairwise
  -- swaps, while they save and every limit holds (bounded passes)
  t0 = folio.now()
  local saved, improved = 0, 0
  -- the improvement is optional: it stops at the batch's deadline (or
  -- after improve_time seconds, 5 by default)
  deadline = deadline or (folio.now() + (opts.improve_time or 5))
  for _ = 1, 3 do
    local any = false
    for t = 1, nT do
      local a = st:account(t)
      if a > 0 then
        for _, b in ipairs(cands[t]) do
          if costs[t][b] >= costs[t][a] then break end
          if st:try(t, b, FEAS) <= FEAS then
            saved = saved + costs[t][a] - costs[t][b]
            st:book(t, b); improved = improved + 1; any = true
            break
          end
        end
      end
    end
    for t1 = 1, nT do
      if folio.now() > deadline then break end
      local a = st:account(t1)
      if a > 0 then
        for t2 = t1 + 1, nT do
          local b = st:account(t2)
          if b > 0 and b ~= a and costs[t1][b] and costs[t2][a] and allowed(self, t1, b) and allowed(self, t2, a) then
            local gain = costs[t1][a] + costs[t2][b] - costs[t1][b] - costs[t2][a]
            if gain > 1e-9 and st:try_swap(t1, t2, FEAS) <= FEAS then
              st:book(t1, b)
              st:book(t2, a)
              saved, improved, any, a = saved + gain, improved + 1, true, b
            end
          end
        end
      end
    end
    if not any or folio.now() > deadline then break end
  end
  phases[#phases + 1] = { name = "improve", moves = improved, saved = saved, seconds = folio.now() - t0 }
  local assign, unplaced = {}, {}
  for t = 1, nT do
    assign[t] = st:account(t)
    if assign[t] == 0 then unplaced[#unplaced + 1] = self.trades[t].id end
  end
  local complete = #unplaced == 0 and complies(self, assign)
  return { assignment = assign, cost = financing(self, assign), unplaced = unplaced, complete = complete,
           phases = phases }
end

return S
