-- folio.repl, the REPL's and the Jupyter kernel's Lua half: :help on names
-- folio does not have, completion of a userdata's methods, the order of
-- :help's passages, and repl.compile (a cell or a Session.eval chunk).
local T = dofile("tests/lua/testlib.lua")
local folio = require "folio"
local repl = require "folio.repl"
local docs = require("folio.core").docs()

-- 1. :help of a name that is not a field of the (strict) folio table
for _, name in ipairs({ "folio.Nope", "folio.Ma", "MinVol", "folio.MinVol" }) do
  local ok, text = pcall(repl.help, name, docs)
  T.eq(ok and text, ("no documentation for '%s' (try :help for the commands)"):format(name),
    ":help " .. name)
end
T.ok(repl.help("folio.MinVolatility", docs):find("MinVolatility", 1, true), ":help folio.MinVolatility finds it")

-- :help's passages: the reference pages first, the benchmarks last
do
  local text = repl.help("folio.ExposureOptimizer", docs)
  T.eq(text:match("^[^\n]*"), "# The exposure optimizer  (docs/exposure_optimizer.md)",
    ":help folio.ExposureOptimizer: the first passage is the page named after it")
  T.ok(not text:find("(docs/benchmarks.md)", 1, true), ":help folio.ExposureOptimizer: no benchmark passage among the four")
  text = repl.help("folio.model", docs)
  T.eq(text:match("^[^\n]*"), "## Models and variables  (docs/dsl.md)", ":help folio.model: the DSL reference first")
  -- the same ranking with made-up pages
  local pages = { ["docs/benchmarks.md"] = "## B\n\nuses `zork()` here",
                  ["docs/cli.md"] = "## C\n\nuses `zork()` too",
                  ["docs/dsl.md"] = "## D\n\n`zork()` is defined here" }
  local order = {}
  for path in repl.help("zork", pages):gmatch("%((docs/[%w_]+%.md)%)") do order[#order + 1] = path end
  T.eq(table.concat(order, " "), "docs/dsl.md docs/cli.md docs/benchmarks.md", ":help: dsl.md, then the guides, benchmarks last")
end

-- 2. completion of a userdata's methods (a model: its __index is a C
-- function over its methods table) and of an exposure result's
do
  local m = folio.model("lp")
  local env = { m = m }
  T.eq(table.concat(repl.complete("m:v", env), " "), "m:var", "complete m:v")
  T.eq(table.concat(repl.complete("m:so", env), " "), "m:soc m:solve", "complete m:so")
  T.eq(table.concat(repl.complete("m:zz", env), " "), "", "complete m:zz: nothing")
  local x = m:var("x", { "a" }, { lb = 0, ub = 1 })
  m:maximize(x.a)
  env.res = m:solve()
  T.eq(table.concat(repl.complete("res:du", env), " "), "res:dual", "complete res:du (a model result)")
  env.r = folio.ExposureOptimizer():optimize { exposures = { "a", "b" },
    cov = { { 0.04, 0.01 }, { 0.01, 0.09 } }, objective = folio.MinVolatility {} }
  T.eq(table.concat(repl.complete("r:", env), " "),
    "r:allocation_svg r:csv r:plot_allocation r:plot_risk_contributions r:risk_contributions_svg r:summary r:to_json",
    "complete r: (an exposure result's methods)")
  T.eq(table.concat(repl.complete("r:du", env), " "), "", "complete r:du: an exposure result has no dual")
  T.eq(table.concat(repl.complete("r:pl", env), " "), "r:plot_allocation r:plot_risk_contributions", "complete r:pl")
  T.eq(table.concat(repl.complete("r.has_s", env), " "), "r.has_solution", "complete r.has_s (a field)")
end

-- 3. repl.compile: the REPL's reading of a chunk, in the globals given
do
  local env = setmetatable({ folio = folio }, { __index = _G })
  local function run(code, name) return repl.compile(code, name or "=c", env)() end
  T.eq(select("#", run("x = 1")), 0, "compile: a statement shows nothing")
  T.eq(run("x + 1"), 2, "compile: an expression shows its value")
  T.eq(run("y = x * 10\ny + 1"), 11, "compile: a trailing expression after statements")
  T.eq(rawget(env, "y"), 10, "compile: the statements ran in env")
  T.eq(rawget(_G, "y"), nil, "compile: not in _G")
  T.eq(run("=3 * 3"), 9, "compile: =expr")
  T.eq(select(2, run("local a = 1\na, a + 1")), 2, "compile: several values")
  T.eq(run("local t = {\n  7,\n}\nt[1]"), 7, "compile: a table constructor over lines, then an expression")
  T.eq(run("do return 4 end"), 4, "compile: a return runs as written")
  local ok, err = pcall(run, "local a = 1\nerror('boom')", "@cell3")
  T.eq(err, "cell3:2: boom", "compile: an error names the chunk's line")
  ok, err = pcall(run, "local a = 1\nfolio.MinVolatility{bad = 1}", "@cell4")
  T.eq(err, "cell4:2: MinVolatility: unknown option 'bad' (options: l2_reg)",
    "compile: an error in a trailing expression keeps its line (no tail call)")
  ok, err = pcall(repl.compile, "x = = 1", "@cell5", env)
  T.eq(err, "cell5:1: unexpected symbol near '='", "compile: a syntax error as Lua gives it")
end

-- 4. repl.load (:load): the file runs as `folio run` runs it, with
-- folio.script and folio.script_dir its own, restored after
do
  local dir = os.tmpname()
  os.remove(dir)
  os.execute("mkdir -p " .. dir)
  local path = dir .. "/m.lua"
  local f = assert(io.open(path, "w"))
  f:write("loaded = true\nreturn folio.script_dir, folio.script\n")
  f:close()
  local before_dir, before_script = folio.script_dir, folio.script
  local env = setmetatable({ folio = folio }, { __index = _G })
  local d, s = assert(repl.load(path, env))()
  T.eq(d, dir, ":load: folio.script_dir is the file's folder")
  T.eq(s, path, ":load: folio.script is the file")
  T.eq(rawget(env, "loaded"), true, ":load: the file's globals are env's")
  T.eq(folio.script_dir, before_dir, ":load: folio.script_dir restored after")
  T.eq(folio.script, before_script, ":load: folio.script restored after")
  f = assert(io.open(path, "w"))
  f:write("local a = 1\nerror('boom in ' .. folio.script_dir)\n")
  f:close()
  local ok, err = pcall(assert(repl.load(path, env)))
  T.eq(err, path .. ":2: boom in " .. dir, ":load: an error names the file's line")
  T.eq(folio.script_dir, before_dir, ":load: folio.script_dir restored after an error")
  local fn, why = repl.load(dir .. "/none.lua", env)
  T.eq(fn, nil, ":load of a missing file: nil")
  T.eq(why, "cannot open " .. dir .. "/none.lua: No such file or directory", ":load of a missing file: loadfile's message")
  os.remove(path)
  os.remove(dir)
end

T.done()
