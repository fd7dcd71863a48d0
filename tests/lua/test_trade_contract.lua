-- The result contract (docs/results.md) on the trade assigner: a
-- registered result with status, has_solution, objective (the financing
-- cost, recomputed here from the raw inputs), solve_time and solver; an
-- infeasible batch says which limits, restrictions and trades conflict;
-- JSON always encodes; `folio run` exits 3 without an assignment; errors
-- blame the caller's line; scenario tables are matched by security id.
local T = dofile("tests/lua/testlib.lua")
local folio = require "folio"
local core = require "folio.core"
local results = require "folio.results"
local report = require "folio.report"

local SECURITIES = {
  { id = "UST5", type = "government", price = 99.2, accrued = 0.4, vol = 0.015 },
  { id = "UST10", type = "government", price = 97.5, accrued = 0.9, vol = 0.03 },
  { id = "ACME", type = "corporate", price = 101.3, accrued = 1.2, vol = 0.06 },
  { id = "BOLT", type = "corporate", price = 88.0, accrued = 0.2, vol = 0.09 },
}
local function config(extra)
  local c = {
    securities = SECURITIES,
    trades = {
      { id = "t1", side = "buy", security = "UST10", quantity = 900 },
      { id = "t2", side = "buy", security = "ACME", quantity = 700 },
      { id = "t3", side = "sell", security = "UST5", quantity = 400 },
      { id = "t4", side = "buy", security = "BOLT", quantity = 600 },
      { id = "t5", side = "buy", security = "UST5", quantity = 500 },
      { id = "t6", side = "sell", security = "ACME", quantity = 200 },
    },
    accounts = {
      { name = "PB1", cash = 150000, positions = { UST5 = 800, ACME = 300 },
        financing = { government = { long = 0.010, short = 0.006 }, corporate = { long = 0.022, short = 0.015 } },
        metrics = { mv = { default = 1 }, corp = { by_type = { corporate = 1 } } },
        limits = { { name = "cash", lhs = "cash", sense = ">=", rhs = 0 },
                   { name = "corp_cap", lhs = "corp", sense = "<=", rhs = 120000 } } },
      { name = "PB2", cash = 120000, positions = { UST10 = 500 },
        financing = { government = { long = 0.012, short = 0.005 }, corporate = { long = 0.018, short = 0.012 } },
        metrics = { mv = { default = 1 }, coll = { by_type = { government = 0.98, corporate = 0.80 } } },
        limits = { { name = "cash", lhs = "cash", sense = ">=", rhs = -40000 },
                   { name = "cover", ratio = { "coll", ">=", 0.9, "mv" } } } },
      { name = "PB3", cash = 90000, accepts = { "government" },
        financing = { default = 0.008 },
        metrics = { mv = { default = 1 } },
        limits = { { name = "cash", lhs = "cash", sense = ">=", rhs = -20000 },
                   { name = "mv_cap", lhs = "mv", sense = "<=", rhs = 150000 } } },
    },
    scenarios = { n = 200, seed = 5, correlation = { within_type = 0.7, across = 0.3 } },
  }
  for k, v in pairs(extra or {}) do c[k] = v end
  return c
end

-- the financing cost of an assignment (trade id -> account name), from the
-- configuration alone: rate x quantity x (price + accrued) x 30 / 360
local function cost_of(cfg, accounts_by_trade)
  local sec = {}
  for _, s in ipairs(cfg.securities) do sec[s.id] = s end
  local acc = {}
  for _, a in ipairs(cfg.accounts) do acc[a.name] = a end
  local total = 0
  for _, t in ipairs(cfg.trades) do
    local s, a = sec[t.security], acc[accounts_by_trade[t.id]]
    local rate = a.financing[s.type]
    if type(rate) == "table" then rate = rate[t.side == "buy" and "long" or "short"] end
    rate = rate or a.financing.default
    total = total + rate * t.quantity * (s.price + s.accrued) * 30 / 360
  end
  return total
end

---------------------------------------------------------------------------
-- 1. a feasible batch
---------------------------------------------------------------------------
local cfg = config()
local ta = folio.TradeAssigner(cfg)
local r = ta:solve()
T.ok(results.is_result(r), "a registered result")
T.eq(getmetatable(r).__name, "folio.trade_result", "its metatable is named")
T.eq(r.status, "optimal", "feasible: status")
T.eq(r.has_solution, true, "feasible: has_solution")
T.near(r.objective, cost_of(cfg, r.accounts), 1e-9, "the objective is the financing cost, recomputed from the inputs")
T.near(r.cost, r.objective, 1e-12, "cost is the same number")
T.eq(r.objective_kind, "financing_cost", "what the objective is")
T.eq(r.solver, "glpk", "the MIP backend is named")
T.ok(type(r.solve_time) == "number" and r.solve_time >= 0, "solve_time in seconds")
T.eq(r.time, r.solve_time, "time is solve_time's older name")
local text = r:summary()
T.ok(not text:find("table: 0x"), "the summary shows no table address")
T.eq(tostring(r), text, "tostring is the summary")
T.ok(text:find("Trade assignment: optimal, objective ", 1, true) == 1, "the summary opens with the headline")
for _, tr in ipairs(cfg.trades) do
  T.ok(text:find("\n  " .. tr.id .. " ", 1, true) ~= nil, "the summary lists trade " .. tr.id)
end
local cols, rows = r:csv()
T.eq(table.concat(cols, ","), "trade,account", "CSV columns")
T.eq(#rows, 6, "a CSV row per trade")
for _, row in ipairs(rows) do T.eq(row[2], r.accounts[row[1]], "CSV: trade " .. row[1] .. "'s account") end
T.eq(report.exit_code({ r }), 0, "exit code 0 with an assignment")
local ok_json, j = pcall(core.json_encode, report.json({ r }))
T.ok(ok_json, "JSON encodes: " .. tostring(j))
T.ok(not tostring(j):find('"assigner"', 1, true), "JSON leaves the assigner out")
T.ok(ok_json and j:find('"status":"optimal"', 1, true) ~= nil, "JSON: the status")

-- the same through the full expansion, Cbc, and priorities
local full = ta:solve { method = "full", solver = "cbc" }
T.eq(full.status, "optimal", "full/cbc: status")
T.eq(full.solver, "cbc", "full/cbc: solver")
T.near(full.objective, r.objective, 1e-9, "full/cbc: the same optimum")
local heads = folio.TradeAssigner(config { objectives = { { "min_headroom" }, { "financing_cost" } } }):solve()
T.eq(heads.objective_kind, "min_headroom", "headroom first: the objective is the headroom")
T.near(heads.objective, heads.stages[1].headroom, 1e-6, "headroom first: the objective is stage 1's headroom")
local weighted = folio.TradeAssigner(config { combine = "weighted",
  objectives = { { "financing_cost", weight = 1 }, { "min_headroom", weight = 100 } } }):solve()
T.eq(weighted.objective_kind, "weighted", "weighted: the objective is the weighted sum")
T.near(weighted.objective, weighted.stages[1].cost - 100 * weighted.stages[1].headroom, 1e-6,
  "weighted: cost - 100 x headroom, as solved")

---------------------------------------------------------------------------
-- 2. infeasible batches, explained in the user's words
---------------------------------------------------------------------------
-- PB1 may hold little corporate, PB2 is capped and must keep its cover,
-- PB3 takes only government: nobody can take t2 (700 ACME)
local stuck_cfg = config()
stuck_cfg.accounts[1].limits[2].rhs = 40000
table.insert(stuck_cfg.accounts[2].limits, { name = "mv_cap", lhs = "mv", sense = "<=", rhs = 150000 })
local stuck = folio.TradeAssigner(stuck_cfg)
local WHY = "infeasible: PB1 limit 'corp_cap' (corp <= 40000), PB2 limit 'cover' (coll >= 0.9 mv), "
  .. "PB2 limit 'mv_cap' (mv <= 150000) and PB3 accepts only government cannot all hold with trade t2 "
  .. "(buy 700 ACME) booked"
for _, method in ipairs { "lazy", "full" } do
  local ri = stuck:solve { method = method }
  T.eq(ri.status, "infeasible", method .. ": status")
  T.eq(ri.has_solution, false, method .. ": no solution")
  T.eq(ri.objective, nil, method .. ": no objective")
  T.eq(ri.assignment, nil, method .. ": no assignment")
  T.eq(ri.message, WHY, method .. ": the conflict in the user's words")
  T.eq(report.exit_code({ ri }), 3, method .. ": exit code 3")
end
local ri = stuck:solve()
T.eq(table.concat(ri.conflicts, "; "), "PB1 limit 'corp_cap' (corp <= 40000); PB2 limit 'cover' (coll >= 0.9 mv); "
  .. "PB2 limit 'mv_cap' (mv <= 150000); PB3 accepts only government; trade t2 (buy 700 ACME)", "the groups")
-- PB2's cap at 250000 takes t2, but not t2 and t4 together
local looser = config()
looser.accounts[1].limits[2].rhs = 40000
table.insert(looser.accounts[2].limits, { name = "mv_cap", lhs = "mv", sense = "<=", rhs = 250000 })
T.eq(folio.TradeAssigner(looser):solve().message, "infeasible: PB1 limit 'corp_cap' (corp <= 40000), PB2 limit "
  .. "'cover' (coll >= 0.9 mv), PB2 limit 'mv_cap' (mv <= 250000) and PB3 accepts only government cannot all hold "
  .. "with trades t2 (buy 700 ACME) and t4 (buy 600 BOLT) booked", "a looser cap: the next conflict")
T.ok(not ri:summary():find("table: 0x") and ri:summary():find(WHY, 1, true), "the summary says why")
local icols, irows = ri:csv()
T.eq(table.concat(icols, ","), "trade,account", "CSV columns without a solution")
T.eq(#irows, 0, "no CSV rows without a solution")
-- JSON never fails: the log of an infeasible MIP has an infinite gap, and NaN too
ri.log[1].gap, ri.log[1].objective = math.huge, 0 / 0
local ok_i, ji = pcall(core.json_encode, report.json({ ri }))
T.ok(ok_i, "infeasible: JSON encodes with inf and NaN in the log (" .. tostring(ji) .. ")")
T.ok(ok_i and ji:find('"gap":"inf"', 1, true) and ji:find('"objective":"nan"', 1, true), "as \"inf\" and \"nan\"")
local ok_r, jr = pcall(core.json_encode, report.json(stuck:report(ri)))
T.ok(ok_r, "the report's JSON encodes too (" .. tostring(jr) .. ")")
local audit = os.tmpname()
local ok_a, ea = pcall(stuck.write_audit, stuck, ri, audit)
T.ok(ok_a, "write_audit writes the same log (" .. tostring(ea) .. ")")
local aj = ok_a and folio.read_json(audit) or {}
os.remove(audit)
T.eq(aj.stages and aj.stages[1].gap, "inf", "the audit encodes inf as \"inf\"")
T.eq(aj.status, "infeasible", "the audit's status")

-- a limit the books already break, whatever is booked
local tight = config()
tight.accounts[3].limits[1].rhs = 200000
T.eq(folio.TradeAssigner(tight):solve().message,
  "infeasible: PB3 limit 'cash' (cash >= 200000) cannot hold, whichever trades are booked", "one limit on its own")
-- trades no account accepts
local closed = config()
closed.accounts[1].accepts = { "government" }
closed.accounts[2].accepts = { "government" }
T.eq(folio.TradeAssigner(closed):solve().message, "infeasible: no account accepts corporate, so trades "
  .. "t2 (buy 700 ACME), t4 (buy 600 BOLT) and t6 (sell 200 ACME) cannot be booked (PB1 accepts only government; "
  .. "PB2 accepts only government; PB3 accepts only government)", "trades no account takes")
-- no trades, and books that break a limit as they stand
local none = folio.TradeAssigner(config { trades = {} })
local r0 = none:solve()
T.eq(r0.status, "optimal", "no trades: the books comply")
T.eq(r0.has_solution, true, "no trades: an (empty) solution")
T.eq(r0.objective, 0, "no trades: no financing")
local bad0 = config { trades = {} }
bad0.accounts[2].limits[1].rhs = 130000
local rb = folio.TradeAssigner(bad0):solve()
T.eq(rb.status, "infeasible", "no trades, books in breach: infeasible")
T.eq(rb.message, "infeasible: with no trades to book, PB2 limit 'cash' (cash >= 130000) fails as the books stand",
  "no trades: the breached limit")

-- the greedy fallback answer is a solution; with trades it cannot place, there is none
do
  local easy = config()
  for _, acc in ipairs(easy.accounts) do acc.limits[1].rhs = -1e7 end   -- cash limits that never bind
  easy.accounts[1].limits[2].rhs = 1e7                                     -- nor PB1's corporate cap
  local fb = folio.TradeAssigner(easy)
  fb.solve_stage = function() return { status = "time_limit", result = {} } end
  local rf = fb:solve()
  T.eq(rf.status, "fallback", "fallback: status")
  T.eq(rf.has_solution, true, "fallback: a complete answer is a solution")
  T.eq(rf.solver, "greedy", "fallback: no MIP ran, the greedy answered")
  T.near(rf.objective, cost_of(cfg, rf.accounts), 1e-9, "fallback: the objective is its financing cost")
  T.eq(report.exit_code({ rf }), 0, "fallback: exit code 0")
  -- a later priority that stops without an incumbent leaves the earlier
  -- answer standing: a solution, not proven optimal
  local lex = folio.TradeAssigner(config { objectives = { { "financing_cost" }, { "min_headroom" } } })
  local real = lex.solve_stage
  lex.solve_stage = function(self, stage, ...)
    if stage.name == "min_headroom" then return { status = "time_limit", result = {} } end
    return real(self, stage, ...)
  end
  local rl = lex:solve()
  T.eq(rl.status, "feasible", "stage 2 at its limit: feasible")
  T.eq(rl.has_solution, true, "stage 2 at its limit: stage 1's answer is a solution")
  T.near(rl.objective, r.objective, 1e-9, "stage 2 at its limit: the cost of stage 1's optimum")
  T.eq(rl.note, "stage 2 (min_headroom) ended time_limit; the answer of stage 1 stands", "stage 2 at its limit: why")
  local st = folio.TradeAssigner(stuck_cfg)
  st.solve_stage = function() return { status = "time_limit", result = {} } end
  local rs = st:solve()
  T.eq(rs.status, "time_limit", "no incumbent, greedy incomplete: the MIP's status")
  T.eq(rs.has_solution, false, "no incumbent, greedy incomplete: no solution")
  T.eq(rs.message, "time_limit: the MIP stopped without an assignment that holds in every scenario, and the fallback "
    .. "heuristic could not place trade t2", "no incumbent: what is missing")
  T.eq(report.exit_code({ rs }), 3, "no incumbent: exit code 3")
end

-- `folio run` on a script that returns an infeasible assignment: exit 3,
-- and --json and --report work (the binary is this process's, on Linux)
do
  local p = io.popen("readlink /proc/$PPID/exe 2>/dev/null")
  local exe = p and p:read("l")
  if p then p:close() end
  if exe and exe ~= "" then
    local dir = os.tmpname()
    os.remove(dir)
    assert(os.execute("mkdir -p " .. dir))
    -- the script: this file's configuration, made infeasible as above
    local src = assert(io.open("tests/lua/test_trade_contract.lua")):read("a")
    local cfg_src = assert(src:match("(local SECURITIES = .-\n  return c\nend\n)"))
    local f = assert(io.open(dir .. "/stuck.lua", "w"))
    f:write('local folio = require "folio"\n', cfg_src, [[
local c = config()
c.accounts[1].limits[2].rhs = 40000
table.insert(c.accounts[2].limits, { name = "mv_cap", lhs = "mv", sense = "<=", rhs = 150000 })
return folio.TradeAssigner(c):solve()
]])
    f:close()
    local q = ("cd %s && %s run stuck.lua --json out.json --report out.html >out.txt 2>err.txt; echo $?")
      :format(dir, exe)
    local h = io.popen(q)
    local code = h:read("l")
    h:close()
    T.eq(code, "3", "folio run: exit code 3 for an infeasible assignment")
    local js = folio.read_json(dir .. "/out.json")
    T.eq(js.status, "infeasible", "folio run --json: the status")
    T.eq(js.message, WHY, "folio run --json: the message")
    local html = assert(io.open(dir .. "/out.html")):read("a")
    T.ok(html:find('data-kind="trade"', 1, true) and html:find("cannot all hold", 1, true), "folio run --report: the page")
    local out = assert(io.open(dir .. "/out.txt")):read("a")
    T.ok(out:find(WHY, 1, true) ~= nil, "folio run: the report says why")
    os.execute("rm -rf " .. dir)
  else
    print("skipped: the folio run check needs /proc (Linux)")
  end
end

---------------------------------------------------------------------------
-- 3. errors blame the caller's line
---------------------------------------------------------------------------
T.raises_exact(function() folio.TradeAssigner { securities = 5 } end,
  "TradeAssigner: securities must be a table or string (got number)", "a wrong type")
T.raises_exact(function() folio.TradeAssigner() end, "TradeAssigner: expected a table of options (got nil)",
  "no configuration")
local c1 = config()
c1.accounts[2].finanzing, c1.accounts[2].financing = c1.accounts[2].financing, nil
T.raises_exact(function() folio.TradeAssigner(c1) end, "TradeAssigner: account 'PB2': unknown option 'finanzing' "
  .. "(did you mean 'financing'? options: accepts, cash, financing, limits, metrics, name, positions)",
  "a misspelt account field")
local c2 = config()
c2.accounts[1].limits[2].rsh = 1
T.raises_exact(function() folio.TradeAssigner(c2) end, "TradeAssigner: account 'PB1', limit 'corp_cap': unknown "
  .. "option 'rsh' (did you mean 'rhs'? options: lhs, name, ratio, rhs, scale, sense)", "a misspelt limit field")
T.raises_exact(function() folio.TradeAssigner(config { objectives = { { "financing_cost", priorty = 1 } } }) end,
  "TradeAssigner: objectives[1]: unknown option 'priorty' (did you mean 'priority'? options: abs_tol, aggregate, "
  .. "alpha, kind, priority, rel_tol, weight)", "a misspelt objective field")
T.raises_exact(function() folio.TradeAssigner(config { objectives = { { "cheapest" } } }) end,
  "TradeAssigner: objectives[1]: unknown objective 'cheapest' (financing_cost, min_headroom, concentration, risk)",
  "an unknown objective")
local c3 = config()
c3.accounts[1].limits[1].rhs = "0"
T.raises_exact(function() folio.TradeAssigner(c3) end,
  "TradeAssigner: account 'PB1', limit 'cash': rhs must be a number (got string)", "a limit's type")
local c4 = config()
c4.trades[3].quantity = 0 / 0
T.raises_exact(function() folio.TradeAssigner(c4) end, "TradeAssigner: trade 't3': quantity must be finite (got nan)",
  "non-finite data")
T.raises_exact(function() ta:solve { methd = "full" } end,
  "solve: unknown option 'methd' (did you mean 'method'? options: discovery_gap, method, mip_gap, mip_start, "
  .. "netting, per_row, solver, time_limit, verbose)", "a misspelt solve option")
T.raises_exact(function() ta:solve { method = "fast" } end, "solve: method must be 'lazy' or 'full' (got 'fast')",
  "a wrong method")
T.raises_exact(function() ta:solve { solver = "gurobi" } end,
  "solve: unknown solver 'gurobi' (available: " .. table.concat(core.backends(), ", ") .. ")", "an unknown solver")
T.raises_exact(function() ta:solve { time_limit = -1 } end, "solve: time_limit must be >= 0 (got -1)",
  "a negative time limit")
T.raises_exact(function() ta:explain { solvr = "cbc" } end,
  "explain: unknown option 'solvr' (did you mean 'solver'? options: solver, time_limit)", "explain's options")
T.raises_exact(function() ta:validate({ 1, 2 }) end, "validate: the assignment has 2 entries for 6 trades",
  "an assignment of the wrong size")
T.raises_exact(function() ta:validate({ t1 = "PB9" }) end, "validate: trade 't1' names an unknown account 'PB9'",
  "an unknown account")
T.raises_exact(function() ta:report({ status = "optimal" }) end,
  "report: expected the result of ta:solve() (got a plain table)", "report of something else")
T.raises_exact(function() stuck:report(r) end, "report: the result comes from another TradeAssigner",
  "report of another assigner's result")
T.raises_exact(function() stuck:headroom_svg(ri) end, "headroom_svg: the result has no assignment",
  "a chart without an assignment")
T.raises_exact(function() ta:write_audit(r, 42) end, "write_audit: path must be a file name (got number)",
  "write_audit's path")
T.raises_exact(function() ta:cost("t1", "PB9") end, "cost: unknown account 'PB9'", "cost of an unknown account")
T.raises_exact(function() ta:alternatives(42) end,
  "alternatives: expected an assignment (one account per trade, by index or name) (got number)", "alternatives")
T.raises_exact(function() folio.TradeAssigner(config { securities = "no/such/securities.csv" }) end,
  "TradeAssigner: securities: cannot open 'no/such/securities.csv': No such file or directory",
  "a missing file")

---------------------------------------------------------------------------
-- 4. inputs by name
---------------------------------------------------------------------------
-- a returns table: its columns are matched by security id, in any order
local returns = { columns = { "date", "BOLT", "UST10", "ACME", "UST5" }, n = 3,
  date = { "2024-01-31", "2024-02-29", "2024-03-31" },
  BOLT = { -0.04, 0.02, 0.01 }, UST10 = { 0.01, -0.02, 0.0 }, ACME = { 0.03, -0.01, -0.05 },
  UST5 = { 0.002, -0.001, 0.004 } }
local hist = folio.TradeAssigner(config { scenarios = { returns = returns } })
local f2 = hist:scenarios():row(2)
T.eq(select(1, hist:scenarios():size()), 3, "one scenario per row")
T.near(f2[1], 1 - 0.001, 1e-15, "UST5's factor by name")
T.near(f2[2], 1 - 0.02, 1e-15, "UST10's factor by name")
T.near(f2[3], 1 - 0.01, 1e-15, "ACME's factor by name")
T.near(f2[4], 1 + 0.02, 1e-15, "BOLT's factor by name")
-- a price table: scenario prices over today's, by name
local prices = { columns = { "ACME", "UST5", "BOLT", "UST10" }, n = 1, ACME = { 96.235 }, UST5 = { 99.2 },
                 BOLT = { 92.4 }, UST10 = { 97.5 } }
local fp = folio.TradeAssigner(config { scenarios = { prices = prices } }):scenarios():row(1)
T.near(fp[3], 0.95, 1e-12, "ACME's price factor by name")
T.near(fp[4], 1.05, 1e-12, "BOLT's price factor by name")
T.near(fp[1], 1, 1e-15, "UST5's price factor by name")
local csv = os.tmpname()
local fh = assert(io.open(csv, "w"))
fh:write("date,BOLT,UST10,ACME,UST5\n2024-01-31,-0.04,0.01,0.03,0.002\n2024-02-29,0.02,-0.02,-0.01,-0.001\n",
  "2024-03-31,0.01,0,-0.05,0.004\n")
fh:close()
local from_file = folio.TradeAssigner(config { scenarios = { file = csv } })
T.near(from_file:scenarios():row(3)[4], 1.01, 1e-15, "a returns file, by name")
T.near(from_file:solve().objective, hist:solve().objective, 1e-9, "file and table: the same answer")
os.remove(csv)
local extra = { columns = { "date", "BOLT", "UST10", "ACME", "UST5", "ACNE" }, n = 1, date = { "x" }, BOLT = { 0 },
  UST10 = { 0 }, ACME = { 0 }, UST5 = { 0 }, ACNE = { 0 } }
T.raises_exact(function() folio.TradeAssigner(config { scenarios = { returns = extra } }) end,
  "TradeAssigner: scenarios: returns has a column 'ACNE' that is no security (columns are security ids, and date or "
  .. "scenario)", "a column that names no security")
local short = { columns = { "BOLT", "UST10", "ACME" }, n = 1, BOLT = { 0 }, UST10 = { 0 }, ACME = { 0 } }
T.raises_exact(function() folio.TradeAssigner(config { scenarios = { returns = short } }) end,
  "TradeAssigner: scenarios: returns has no column 'UST5'", "a security without a column")
-- a securities file's columns are the fields' names
local sec_csv = os.tmpname()
fh = assert(io.open(sec_csv, "w"))
fh:write("id,type,price,accured,vol\nUST5,government,99.2,0.4,0.015\n")
fh:close()
T.raises_exact(function() folio.TradeAssigner(config { securities = sec_csv }) end, ("TradeAssigner: securities file "
  .. "%s: unknown column 'accured' (did you mean 'accrued'?) (columns: accrued, id, price, type, vol)"):format(sec_csv),
  "a misspelt column")
os.remove(sec_csv)
-- a generator's rows keyed by id
local gen = folio.TradeAssigner(config { scenarios = { n = 2, generator = function(_, k)
  return { BOLT = 1 + 0.01 * k, ACME = 1, UST10 = 1, UST5 = 1 - 0.01 * k } end } })
T.near(gen:scenarios():row(2)[4], 1.02, 1e-15, "a generator's row by name: BOLT")
T.near(gen:scenarios():row(2)[1], 0.98, 1e-15, "a generator's row by name: UST5")
T.raises_exact(function() folio.TradeAssigner(config { scenarios = { n = 1, generator = function()
  return { BOLT = 1, ACME = 1, UST10 = 1, UST6 = 1 } end } }) end,
  "TradeAssigner: scenarios.generator's scenario 1 has a name not in the universe: 'UST6'", "a generator's stranger")
-- names of types and securities elsewhere
T.raises_exact(function() folio.TradeAssigner(config { scenarios = { n = 5, vols = { ACNE = 0.1 } } }) end,
  "TradeAssigner: scenarios.vols names 'ACNE', which is no security id or type", "vols for no security")
local c5 = config()
c5.accounts[3].financing = { goverment = 0.008 }
T.raises_exact(function() folio.TradeAssigner(c5) end, "TradeAssigner: account 'PB3': financing names a type no "
  .. "security has: 'goverment' (known: corporate, default, government)", "a misspelt type")
local c6 = config()
c6.accounts[3].accepts = { "govt" }
T.raises_exact(function() folio.TradeAssigner(c6) end,
  "TradeAssigner: account 'PB3': accepts names a type no security has: 'govt' (known: corporate, government)",
  "accepts a type no security has")
local c7 = config()
c7.accounts[1].positions.ACNE = 5
T.raises_exact(function() folio.TradeAssigner(c7) end,
  "TradeAssigner: account 'PB1': position in unknown security 'ACNE'", "a position in no security")
local keyed = {}
for i, a in ipairs(SECURITIES) do
  keyed[a.id] = {}
  for j, b in ipairs(SECURITIES) do keyed[a.id][b.id] = i == j and 1 or 0.5 end
end
T.raises_exact(function() folio.TradeAssigner(config { scenarios = { n = 5, correlation = { UST5 = keyed.UST5 } } })
  end, "TradeAssigner: scenarios.correlation has no rows for 'UST10'", "a keyed correlation that misses a security")

-- a round that stops at its limit with an incumbent that holds in every
-- scenario: that incumbent is the answer (feasible), not the fallback's.
-- The solver's result is wrapped so that it reports time_limit, and the
-- solve takes all the (1 s) budget it is given, as a solve stopped by its
-- limit does: no round is left for the loop.
do
  local ta2 = folio.TradeAssigner(config { time_limit = 1 })
  local real_build = ta2.build_model
  ta2.build_model = function(self, ...)
    local m, v = real_build(self, ...)
    if not m then return m, v end
    local proxy = {}
    function proxy.stats() return m:stats() end
    function proxy.solve(_, so)
      local t0 = folio.now()
      local r0 = m:solve(so)
      while folio.now() - t0 < so.time_limit do end   -- the limit used up
      local wrapped = { status = "time_limit", has_solution = r0.has_solution, objective = r0.objective,
                        mip_gap = r0.mip_gap, mip_bound = r0.mip_bound, nodes = r0.nodes, solve_time = r0.solve_time,
                        solver = r0.solver }
      function wrapped.value(_, x) return r0:value(x) end
      return wrapped
    end
    return proxy, v
  end
  local rt = ta2:solve()
  T.eq(rt.status, "feasible", "an incumbent at a limit that holds everywhere: feasible")
  T.eq(rt.fallback, nil, "... not the fallback's answer")
  T.ok(rt.has_solution and ta2:validate(rt.assignment).compliant, "... a compliant assignment")
  T.ok(rt.note and rt.note:find("ended time_limit", 1, true) ~= nil, "... and the note says the stage ended at its limit")
end
T.done()
