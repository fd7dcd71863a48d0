-- Tests for the host's Lua halves: the REPL's completion and printing
-- (lua/folio/repl.lua) and the deployment schema, interpolation, rows and
-- CSV tables (lua/folio/deploy.lua). Run from the repo root:
--   build/folio run tests/lua/test_host_lua.lua
local T = dofile("tests/lua/testlib.lua")
local folio = require "folio"
local repl = require "folio.repl"
local deploy = require "folio.deploy"

local function has(list, x)
  for _, v in ipairs(list) do if v == x then return true end end
  return false
end

-- ---- completion
local env = { folio = folio, alpha = 1, alphabet = 2, t = { inner = { deep = 1 }, fn = function() end } }
local c = repl.complete("alp", env)
T.eq(#c, 2, "two globals start with alp")
T.eq(c[1], "alpha", "sorted completions")
T.ok(has(repl.complete("fo", env), "folio"), "globals")
T.ok(has(repl.complete("wh", env), "while"), "keywords")
T.ok(has(repl.complete("folio.read_c", env), "folio.read_csv"), "a field of a global")
T.ok(has(repl.complete("folio.Exposure", env), "folio.ExposureOptimizer"), "lazily loaded names complete")
T.ok(has(repl.complete("t.inner.d", env), "t.inner.deep"), "nested fields")
T.eq(#repl.complete("t:in", env), 0, "':' offers only functions")
T.ok(has(repl.complete("t:f", env), "t:fn"), "':' offers methods")
T.eq(#repl.complete("nosuch.x", env), 0, "unknown base: nothing")
local m = folio.model("c")
local x = m:var("x", nil, { lb = 0, ub = 1 })
m:maximize(x)
env.r = m:solve()
T.ok(has(repl.complete("r:du", env), "r:dual"), "result methods")
T.ok(has(repl.complete("r.obj", env), "r.objective"), "result fields")
T.ok(has(repl.complete("r.sta", env), "r.status"), "result status field")

-- ---- printing
T.eq(repl.show({ 42 }, 1), "42", "a number")
T.eq(repl.show({ "a\nb" }, 1), '"a\\nb"', "a string is quoted")
T.eq(repl.show({ { 1, 2, 3 } }, 1), "{1, 2, 3}", "a short list inline")
local big = {}
for i = 1, 100 do big[i] = i end
T.ok(repl.show({ big }, 1):find("... 80 more", 1, true) ~= nil, "a long list is cut")
local mat = {}
for i = 1, 30 do mat[i] = { i, 2 * i } end
local s = repl.show({ mat }, 1)
T.ok(s:find("matrix 30 x 2", 1, true) ~= nil, "a matrix says its size")
T.ok(s:find("... 10 more rows", 1, true) ~= nil, "a tall matrix is cut")
T.ok(repl.show({ env.r }, 1):find("Objective: 1", 1, true) ~= nil, "a result prints as a report")
local cyc = {}
cyc.self = cyc
T.eq(type(repl.show({ { a = cyc } }, 1)), "string", "a cycle prints without looping")
T.ok(repl.help(nil):find(":load", 1, true) ~= nil, ":help lists the commands")
T.ok(repl.help("model", { ["docs/x.md"] = "# X\n\nUse `folio.model(name)` to start.\n" }):find("folio.model(name)", 1, true) ~= nil,
  ":help finds a passage")

-- ---- deployment schema and interpolation
local function load_err(json_text, ...)
  local path = os.tmpname() .. ".json"
  local f = io.open(path, "w")
  f:write(json_text)
  f:close()
  local ok, err = pcall(deploy.load, path, { ... }, false)
  os.remove(path)
  return ok, err
end
local ok, err = load_err('{"model": "m.lua", "outputs": {"dir": "o"}, "solver": {"time_limt": 3}}')
T.ok(not ok and err:find("'solver.time_limt' is not a known key", 1, true), "unknown nested key named: " .. tostring(err))
ok, err = load_err('{"model": "m.lua", "outputs": {"dir": "o"}, "params": [1, 2]}')
T.ok(not ok and err:find("'params' keys must be names", 1, true), "params must be an object: " .. tostring(err))
ok, err = load_err('{"model": "m.lua", "outputs": {"dir": "${HOME}/x"}}')
T.ok(ok and err.outputs.dir == os.getenv("HOME") .. "/x", "env interpolation")
ok, err = load_err('{"model": "m.lua", "outputs": {"dir": "${FOLIO_NOPE_1:-fallback}"}}')
T.ok(ok and err.outputs.dir:match("fallback$"), "env default")
ok, err = load_err('{"model": "m.lua", "outputs": {"dir": "a$$b"}}')
T.ok(ok and err.outputs.dir:match("a%$b$"), "$$ is a dollar")
ok, err = load_err('{"model": "m.lua", "outputs": {"dir": "o"}}', "gamma=2.5", "solver.mip_gap=0.01", "trusted=true")
T.ok(ok and err.params.gamma == 2.5 and err.solver.mip_gap == 0.01 and err.trusted == true, "--set targets")
ok, err = load_err('{"model": "m.lua", "outputs": {"dir": "o"}}', "solver.mip_gap=-1")
T.ok(not ok and err:find("'solver.mip_gap' must be a number >= 0", 1, true), "--set is validated: " .. tostring(err))
T.eq(deploy.parse_size("512M"), 512 * 2 ^ 20, "sizes")
T.eq(deploy.parse_size("2G"), 2 * 2 ^ 30, "sizes G")
T.eq(deploy.parse_size("lots"), nil, "bad size")

-- ---- rows and shards
local csv = os.tmpname() .. ".csv"
local f = io.open(csv, "w")
f:write("id,a\n")
for i = 1, 10 do f:write("r", i, ",", i, "\n") end
f:close()
local seen = {}
for i = 0, 2 do
  for _, row in ipairs(deploy.rows(csv, i .. "/3")) do
    T.eq((row.index - 1) % 3, i, "shard " .. i .. " takes every third row")
    T.eq(row.params.a, row.index, "row params")
    seen[row.id] = (seen[row.id] or 0) + 1
  end
end
local all_once = true
for i = 1, 10 do if seen["r" .. i] ~= 1 then all_once = false end end
T.ok(all_once, "three shards cover every row once")
T.ok(not pcall(deploy.rows, csv, "3/3"), "shard index must be below N")
os.remove(csv)

-- ---- CSV tables
local cols, rows = deploy.csv_table({ weights = { b = 0.25, a = 0.75 } })
T.eq(table.concat(cols, ","), "asset,weight", "weights columns")
T.eq(rows[1][1], "a", "weights sorted by name")
T.eq(deploy.csv_text({ "k", "v" }, { { "x,y", 'say "hi"' } }), 'k,v\n"x,y","say ""hi"""\n', "CSV quoting")

T.done()
