-- The shipped trade model as a sandboxed deployment (issue 15, item 7):
-- models/deploy/pb_trade_assignment.json runs models/pb_trade_assignment.lua
-- in the sandbox (no dofile: the accounts are JSON read by folio.read_json),
-- writes its outputs, and its run record lists every input file with its
-- SHA-256 (checked against sha256sum). The MIP gets 0.001 s, so the
-- fallback answers; the outputs hold the design's tables.
local T = dofile("tests/lua/testlib.lua")
local folio = require "folio"

local p = io.popen("readlink /proc/$PPID/exe 2>/dev/null")
local exe = p and p:read("l")
if p then p:close() end
if not exe or exe == "" then
  print("skipped: needs /proc (Linux) to find the folio binary")
  T.done()
  return
end
local out = os.tmpname()
os.remove(out)
local q = ("FOLIO_OUT=%s %s --quiet run models/deploy/pb_trade_assignment.json --set params.time_limit=0.001 "
  .. ">%s.txt 2>&1; echo $?"):format(out, exe, out)
local h = io.popen(q)
local code = h:read("l")
h:close()
local log = io.open(out .. ".txt") and assert(io.open(out .. ".txt")):read("a") or ""
T.eq(code, "0", "the deployment ran and solved (exit 0): " .. log:sub(1, 300))
local rec = folio.read_json(out .. "/run.json")
T.ok(rec ~= nil, "a run record")
local want = { "pb_accounts.json", "pb_securities.csv", "pb_trades.csv" }
local got = {}
for _, f in ipairs(rec.inputs or {}) do got[f.path:match("[^/]+$")] = f.sha256 end
for _, name in ipairs(want) do
  local s = io.popen("sha256sum models/data/" .. name)
  local h2 = s:read("l"):match("^(%x+)")
  s:close()
  T.eq(got[name], h2, "the run record lists " .. name .. " with its SHA-256")
end
T.eq(rec.sandbox and rec.sandbox.on, true, "the run was sandboxed")
local res = folio.read_json(out .. "/result.json")
local titles = {}
for _, v in ipairs(res or {}) do if type(v) == "table" and v.title then titles[#titles + 1] = v.title end end
local joined = table.concat(titles, "\n")
T.ok(joined:find("Accounts before and after", 1, true) and joined:find("Net positions before", 1, true),
  "result.json holds the accounts and positions tables")
local found_fallback = false
for _, v in ipairs(res or {}) do if type(v) == "table" and v.status == "fallback" then found_fallback = true end end
T.ok(found_fallback, "the MIP given 0.001 s: the fallback's answer")
os.execute(("rm -rf %s %s.txt"):format(out, out))
T.done()
