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

T.done()
