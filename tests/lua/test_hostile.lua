-- Hostile and careless input to the C side (issue 14): objects used after
-- they are closed or collected, numbers that overflow, data files that are
-- not what they claim. Each case was a crash or a wrong answer before.
-- Run from the repo root: build/folio run tests/lua/test_hostile.lua
local T = dofile("tests/lua/testlib.lua")
local folio = require "folio"

local function small_lp(name)
  local m = folio.model(name)
  local x = m:var("x", { lb = 0, ub = 1 })
  m:st("c", x, "<=", 0.5)
  m:maximize(x)
  return m, x
end

------------------------------------------------------------------------------
-- models and results: lifetime

do -- a result outlives a model closed by <close>: it keeps the model alive
  local r, x
  do
    local m <close>, x0 = small_lp("m")
    r, x = m:solve(), x0
  end
  collectgarbage()
  collectgarbage()
  T.eq(r.model, "m", "closed model: the result still names it")
  T.eq(r.status, "optimal", "closed model: status")
  T.eq(r:value(x), 0.5, "closed model: value")
  T.eq(r:to_table().model, "m", "closed model: to_table")
  T.eq(r:rows()[1].name, "c", "closed model: rows")
  T.eq(tostring(r), "result of 'm': optimal, objective 0.5", "closed model: tostring")
  T.eq(tostring(x), "x", "closed model: its variables still print their names")
end

do -- a closed model refuses further use, with its name
  local m, x = small_lp("book")
  local mt = getmetatable(m)
  do
    local m2 <close> = m
  end
  T.eq(tostring(m), "model 'book' (closed)", "closed: tostring")
  T.eq(m.name, "book", "closed: its name is still readable")
  T.raises_exact(function() m:var("y") end, "model 'book' is closed", "closed: var")
  T.raises_exact(function() m:st("d", x, "<=", 1) end, "model 'book' is closed", "closed: st")
  T.raises_exact(function() m:solve() end, "model 'book' is closed", "closed: solve")
  T.raises_exact(function() m:stats() end, "model 'book' is closed", "closed: stats")
  T.raises_exact(function() m:write("x.lp") end, "model 'book' is closed", "closed: write")
  T.ok(mt == getmetatable(m), "closed: same public metatable")
  do -- closing twice is harmless
    local m3 <close> = m
  end
  T.raises_exact(function() m:minimize(x) end, "model 'book' is closed", "closed twice: minimize")
end

do -- the metatables of models, results and expressions are protected
  local m, x = small_lp("p")
  local r = m:solve()
  for what, v in pairs { model = m, result = r, expression = 2 * x, variable = x } do
    local mt = getmetatable(v)
    T.eq(type(mt), "table", what .. ": getmetatable gives a table")
    T.eq(rawget(mt, "__gc"), nil, what .. ": no __gc to call by hand")
    T.eq(rawget(mt, "__close"), nil, what .. ": no __close to call by hand")
    T.ok(not pcall(setmetatable, v, {}), what .. ": setmetatable refused")
  end
  T.eq(getmetatable(r).__name, "folio.result", "result: the public metatable keeps __name")
  T.eq(getmetatable(m).__name, "folio.model", "model: the public metatable keeps __name")
  T.eq(type(rawget(getmetatable(r), "methods")), "table", "result: its methods are listed (REPL completion)")
  T.eq(getmetatable(2 * x).__name, "folio.expr", "expression: __name")
  -- a light userdata of another library shares the expression metatable
  local ok = pcall(function() getmetatable(x).__add = nil end)
  T.ok(ok, "writing to the public view is harmless")
  T.eq(tostring(x + x), "x + x", "and changes nothing")
  -- the model and result still work
  T.eq(r:value(x), 0.5, "result after the metatable checks")
  T.eq(m:stats().cols, 1, "model after the metatable checks")
end

do -- a finalizer that runs after a result and its model were collected
  -- (finalizers run in the reverse order of creation) gets clean errors
  local log, holder = {}, {}
  setmetatable(holder, { __gc = function(h)
    for _, f in ipairs { function() return h.r.model end, function() return h.r:value(h.x) end,
                         function() return h.m:stats() end, function() return tostring(h.m) end } do
      local ok, err = pcall(f)
      log[#log + 1] = ok and tostring(err) or tostring(err):gsub("^.-:%d+: ", "")
    end
  end })
  holder.m, holder.x = small_lp("late")
  holder.r = holder.m:solve()
  holder = nil
  collectgarbage()
  collectgarbage()
  T.eq(log[1], "result has been freed", "finalizer: a freed result's field")
  T.eq(log[2], "result has been freed", "finalizer: a freed result's method")
  T.eq(log[3], "model has been freed", "finalizer: a freed model's method")
  T.eq(log[4], "model (freed)", "finalizer: a freed model prints")
end

------------------------------------------------------------------------------
-- CSV files that are not what they seem

local READS = "; folio reads plain CSV and gzip (.csv.gz)"

do -- the issue's NUL cell: refused, and nothing is left behind
  local path = "tests/data/hostile/nul_cell.csv"
  T.raises_exact(function() folio.read_csv(path) end,
    "read_csv: '" .. path .. "' is not text (a NUL byte at byte 6)" .. READS, "a NUL byte after a number")
end

do -- only decimal numbers are numbers: 0x10 is text, not 16
  local path = "tests/data/hostile/hex.csv"
  local t = folio.read_csv(path)
  T.eq(t.x[1], "0x10", "hex cell: kept as text")
  T.eq(t.x[2], "-2", "hex cell: the column is a text column")
  T.eq(t.y[2], 2, "other columns stay numeric")
  T.raises_exact(function() folio.read_csv(path, { types = { x = "number" } }) end,
    path .. ":2:1: column 'x' expects a number, got '0x10'", "hex cell in a number column")
end

do -- devices are not files: /dev/zero once grew memory without limit
  T.raises_exact(function() folio.read_csv("/dev/zero") end,
    "cannot read '/dev/zero': it is a character device, not a file", "read_csv /dev/zero")
  T.raises_exact(function() folio.read_text("/dev/zero") end,
    "cannot read '/dev/zero': it is a character device, not a file", "read_text /dev/zero")
end

do -- a field or a record too long to be a table's is an error, early
  local tmp = os.tmpname()
  local f = assert(io.open(tmp, "wb"))
  f:write("a,b\n1,2\n3,", string.rep("x", 1024 * 1024 + 1), "\n")
  f:close()
  T.raises_exact(function() folio.read_csv(tmp) end,
    tmp .. ":3:2: a field longer than 1048576 bytes: not a table's cell (an unclosed quote?)", "long field")
  f = assert(io.open(tmp, "wb"))
  f:write("a,b\n1,\"2\n", string.rep("3,4\n", 300000))   -- the quote is never closed
  f:close()
  T.raises_exact(function() folio.read_csv(tmp) end,
    tmp .. ":2:2: a field longer than 1048576 bytes: not a table's cell (an unclosed quote?)", "unclosed quote")
  f = assert(io.open(tmp, "wb"))
  f:write("a\n", string.rep("1,", 9 * 1024 * 1024), "1\n")
  f:close()
  T.raises_exact(function() folio.read_csv(tmp) end,
    tmp .. ":2: a record longer than 16777216 bytes: not a table's row", "long record")
  os.remove(tmp)
end

------------------------------------------------------------------------------
-- numbers that overflow on the way into the model

do
  local m = folio.model("ovf")
  local x = m:var("x", { lb = 0, ub = 1 })
  local y = m:var("y", { lb = 0, ub = 1 })
  T.raises_exact(function() m:st("c", 1e308 * x + 1e308 * x, "<=", 1e308) end,
    "constraint 'c': coefficient of 'x' overflows to inf when its terms are summed", "merged row terms")
  T.raises_exact(function() m:st("c3", folio.sum { 1e308 * y, y, 1e308 * y }, "<=", 1) end,
    "constraint 'c3': coefficient of 'y' overflows to inf when its terms are summed", "merged sum")
  T.raises_exact(function() m:maximize(1e308 * x + 1e308 * x) end,
    "objective: coefficient of 'x' overflows to inf when its terms are summed", "merged objective terms")
  T.raises_exact(function() m:st("d", x - 1e308, "<=", 1e308) end,
    "constraint 'd': right-hand side overflows to inf when the constants are moved to the right", "rhs")
  T.raises_exact(function() m:st("e", -1e308, "<=", x + 1e308, "<=", 1) end,
    "constraint 'e': lower limit overflows to -inf when the constants are moved to the right", "range")
  T.raises_exact(function() return (x + 1e200) * (1e200 * y) end,
    "non-finite number (inf) in a folio expression", "product of a constant and a term")
  T.raises_exact(function() return (1e200 * y) * (x + 1e200) end,
    "non-finite number (inf) in a folio expression", "product of a term and a constant")
  T.raises_exact(function() return folio.dot({ 1e300, 1 }, { 1e10 * x, y }) end,
    "non-finite number (inf) in a folio expression", "dot: a coefficient times a term")
  -- large coefficients that stay finite are kept, and the answer is right
  m:st("ok", 1e308 * x, "<=", 0.5e308)
  m:maximize(x + y)
  local r = m:solve()
  T.eq(r.status, "optimal", "large coefficients: status")
  T.near(r:value(x), 0.5, 1e-9, "large coefficients: x")
end

------------------------------------------------------------------------------
-- integer bounds are rounded inward, for every backend

do
  local m = folio.model("round")
  local x = m:var("x", { lb = 0.5, ub = 10.5, kind = "integer" })
  m:maximize(x)
  for _, solver in ipairs { "glpk", "cbc", "qp" } do
    local r = m:solve { solver = solver }
    T.eq(r.status, "optimal", solver .. ": integer x in [0.5, 10.5]: status")
    T.eq(r:value(x), 10, solver .. ": integer x in [0.5, 10.5]: x")
  end
  local z = m:var("z", { lb = 0.2, ub = 0.8, kind = "integer" })
  local r = m:solve()
  T.eq(r.status, "infeasible", "no integer in [0.2, 0.8]: infeasible")
  T.eq(r.message, "integer variable 'z' has no integer value within its bounds [0.2, 0.8]", "and says why")
  local c = m:conflict()
  T.eq(c.text, "bounds z >= 0.2, z <= 0.8", "the conflict is z's bounds")
end

------------------------------------------------------------------------------
-- LP and MPS files, and folio solve

local H = "tests/data/hostile/"

do -- files cut short, and "inf" as a coefficient
  T.raises_exact(function() folio.read_model(H .. "truncated.lp") end,
    H .. "truncated.lp:6: the file ends in the middle of a line: it is truncated or incomplete", "truncated LP")
  T.raises_exact(function() folio.read_model(H .. "truncated.mps") end,
    H .. "truncated.mps:9: the file ends before ENDATA: it is truncated or incomplete", "truncated MPS")
  T.raises_exact(function() folio.read_model(H .. "inf_coefficient.lp") end,
    H .. "inf_coefficient.lp:2: infinite coefficient in 'inf x': the coefficients of an LP file must be finite "
    .. "numbers", "inf x")
  -- found by fuzzing (fuzz_lp): the model read, then written back, did not read again
  T.raises_exact(function() folio.read_model(H .. "duplicate_row.lp") end,
    H .. "duplicate_row.lp: constraint name 'r.6' is used twice (GLPK calls an unnamed constraint r.<its line>)",
    "an unnamed constraint named like another")
end

do -- found by fuzz_dsl: Cbc's greedy heuristic ran for minutes (its time limit unread) on a row
  -- bounded by 1e15 over integers; without the fix this case runs into ctest's timeout
  local r = folio.read_model(H .. "cbc_greedy_hang.lp"):solve { solver = "cbc", time_limit = 5 }
  T.eq(r.status, "optimal", "cbc: a row bound of 1e15: status")
  T.eq(r.objective, 0, "cbc: a row bound of 1e15: objective")
end

do -- an objective value that overflows is no optimum, on any backend
  local r = folio.read_model(H .. "big_objective.lp"):solve { solver = "glpk" }
  T.eq(r.status, "numerical_error", "glpk: 1e308 x + 1e308 y: status")
  T.eq(r.has_solution, false, "glpk: no solution")
  T.eq(r.message, "the objective value is not finite (inf): the model's numbers overflow double precision; "
    .. "scale them", "glpk: message")
  -- Clp asserts (the process aborts) on objective coefficients of 1e25 or more: Cbc refuses them
  T.raises(function() folio.read_model(H .. "big_objective.lp"):solve { solver = "cbc" } end,
    "solve: Cbc cannot take the objective coefficient 1e+308 of variable 'x' (Clp needs numbers below 1e+25 in "
    .. "absolute value): scale the model, or solve it with glpk", "cbc: 1e308 x + 1e308 y")
end

-- the folio binary (this process's, on Linux), for the command line
local exe
do
  local p = io.popen("readlink /proc/$PPID/exe 2>/dev/null")
  exe = p and p:read("l")
  if p then p:close() end
end

local function folio_cli(args)
  local out = os.tmpname()
  local ok, how, code = os.execute(("'%s' %s >'%s' 2>&1"):format(exe, args, out))
  local f = io.open(out)
  local text = f and f:read("a") or ""
  if f then f:close() end
  os.remove(out)
  return how == "exit" and code or -1, text
end

if exe and exe ~= "" then
  local code, text = folio_cli("solve " .. H .. "big_objective.lp")
  T.eq(code, 3, "folio solve, objective inf: exit 3 (no solution)")
  T.ok(text:find("numerical_error", 1, true) ~= nil, "folio solve, objective inf: says numerical_error")
  T.ok(text:find("Objective: inf", 1, true) == nil, "folio solve, objective inf: no objective printed")
  for _, v in ipairs { "nan", "inf", "-1", "''", "1x" } do
    code, text = folio_cli("solve " .. H .. "big_objective.lp --time-limit " .. v)
    T.eq(code, 2, "--time-limit " .. v .. ": a usage error")
    T.ok(text:find("--time-limit expects seconds (a number >= 0), got", 1, true) ~= nil,
      "--time-limit " .. v .. ": message (" .. text .. ")")
  end
  code, text = folio_cli("solve " .. H .. "truncated.mps")
  T.eq(code, 1, "folio solve, truncated MPS: exit 1")
  T.eq(text, "folio: " .. H .. "truncated.mps:9: the file ends before ENDATA: it is truncated or incomplete\n",
    "folio solve, truncated MPS: message")
else
  T.ok(false, "the folio binary could not be found through /proc")
end

T.done()
