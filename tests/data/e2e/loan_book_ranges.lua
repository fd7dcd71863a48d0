-- loan_book_ranges.lua -- runs models/loan_book.lua unchanged and writes the
-- sensitivity ranges of its result, r:ranges(), as JSON for
-- tests/e2e/test_ranges.sh:
--
--   folio run tests/data/e2e/loan_book_ranges.lua --set out=/tmp/ranges.json
--       [--set model=/abs/path/models/loan_book.lua]
--
-- model= may name any script that returns a result (or a list whose first
-- element is one); every --set value reaches that script too.
--
-- The JSON: {"status": ..., "objective": {col: {lo, hi, value}},
-- "rhs": {row: {lo, hi, value}}}. JSON has no infinities, so +-math.huge
-- are written as the strings "+Inf" / "-Inf" (glpsol's spelling).
local folio = require "folio"

local params = folio.params or {}
local out = params.out or error("loan_book_ranges.lua: --set out=FILE.json is required", 0)
local here = folio.script_dir or "."
local model = params.model or (here .. "/../../../models/loan_book.lua")
local model_dir = model:match("^(.*)/[^/]*$") or "."

-- The model finds its data next to itself through folio.script_dir.
local chunk = assert(loadfile(model))
local saved = folio.script_dir
folio.script_dir = model_dir
local returned = chunk()
folio.script_dir = saved

local r = returned
if type(returned) == "table" and getmetatable(returned) == nil then r = returned[1] end
if r.status ~= "optimal" then error("loan_book_ranges.lua: the model is " .. r.status, 0) end

local function finite(v)
  if v == math.huge then return "+Inf" end
  if v == -math.huge then return "-Inf" end
  return v
end

local ranges = r:ranges()
local doc = {status = r.status, objective = {}, rhs = {}}
for _, part in ipairs({"objective", "rhs"}) do
  for name, rg in pairs(ranges[part]) do
    doc[part][name] = {lo = finite(rg.lo), hi = finite(rg.hi), value = finite(rg.value)}
  end
end
folio.write_json(out, doc, {indent = 1})
