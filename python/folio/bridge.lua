-- The Python package's side in Lua (python/folio/__init__.py): what a
-- returned value is, and its views through folio's own result contract
-- (lua/folio/results.lua, report.lua, html.lua), so a Python result says
-- what `folio run`, --json and --report say.
local folio = require "folio"
local core = require "folio.core"
local report = require "folio.report"
local results = require "folio.results"

local B = {}

-- "result", "table" (folio.table), "data" (a plain table) or "object"
local function kind(v)
  if results.is_result(v) then return "result" end
  if folio.is_table(v) then return "table" end
  if type(v) == "table" and getmetatable(v) == nil then return "data" end
  return "object"
end

local function json_text(v) return core.json_text(v, "python") end

-- A result's core fields (docs/results.md) and the ones the Python
-- Result reads without its whole JSON (weights, duals by name); the JSON,
-- which may be large (an exposure result's correlation matrix), is made
-- when asked for.
local CORE = { "status", "has_solution", "objective", "message", "solver", "solve_time", "exposures", "assets",
               "weights", "shadow_prices", "active_constraints" }
local function core_of(v)
  local c = {}
  for _, k in ipairs(CORE) do
    local ok, x = pcall(function() return v[k] end)   -- a C result raises on fields it lacks
    if ok and type(x) ~= "function" and type(x) ~= "userdata" then c[k] = x end
  end
  c.kind = results.spec_of(v).kind
  return results.json_safe(c)
end

-- describe(flatten, ...) -> JSON text of {values = {{kind =, core = | json =},
-- ...}, exit_code =}, then the values themselves: with flatten, the list
-- folio run reports (flattened as it flattens it), else the values as
-- given. A result has its core fields, a folio table its JSON (as --json
-- writes it); a plain table is read by B:data.
function B:describe(flatten, ...)
  local values = table.pack(...)
  local flat = values
  if flatten then
    values.n = nil
    flat = report.flatten(values)
  end
  local out = { values = {}, exit_code = report.exit_code(values) }
  for i = 1, flat.n or #flat do
    local v = flat[i]
    local k = kind(v)
    local d = { kind = k }
    if k == "result" then d.core = core_of(v)
    elseif k == "table" then d.json = report.json({ v }) end
    out.values[i] = d
  end
  return json_text(out), table.unpack(flat, 1, flat.n or #flat)
end

-- the JSON text `folio run --json` writes for these values
function B:json(...)
  local values = table.pack(...)
  values.n = nil
  return json_text(report.json(values))
end

-- the text report `folio run` prints
function B:summary(...)
  local values = table.pack(...)
  values.n = nil
  return report.render(values)
end

-- the HTML report (folio run --report) of these values
function B:html(opts, ...)
  local values = table.pack(...)
  values.n = nil
  return require("folio.html").render(values, opts)
end

-- data(v) -> a plain table as JSON text, then the values in it that are
-- not plain data (results, folio tables, functions, objects), which Python
-- converts as it converts a value returned alone: in the text, the i-th of
-- them is {"\1folio:value": i} and a non-finite number {"\1folio:number":
-- "inf" | "-inf" | "nan"}, so that a string "inf" stays a string (the mark
-- starts with byte 1: the JSON writer cuts a key at a byte 0). A table met
-- again inside itself is "(cycle)", as in results.json_safe; a key true or
-- false is "true" or "false"; a table or function as a key is an error.
local VALUE, NUMBER = "\1folio:value", "\1folio:number"
function B:data(v)
  local others, seen = {}, {}
  local function walk(x)
    local t = type(x)
    if t == "number" then
      if x ~= x then return { [NUMBER] = "nan" } end
      if x == math.huge or x == -math.huge then return { [NUMBER] = x > 0 and "inf" or "-inf" } end
      return x
    end
    if t == "table" and kind(x) == "data" then
      if seen[x] then return "(cycle)" end
      seen[x] = true
      local out = {}
      for k, y in pairs(x) do
        local tk = type(k)
        if tk == "boolean" then k = tostring(k)   -- as Python's json writes True: "true"
        elseif tk ~= "string" and tk ~= "number" then
          error(("a table returned to Python has a %s as a key (only strings, numbers and booleans convert)"):format(tk), 0)
        end
        out[k] = walk(y)
      end
      seen[x] = nil
      return out
    end
    if t == "table" or t == "userdata" or t == "function" or t == "thread" then
      others[#others + 1] = x
      return { [VALUE] = #others }
    end
    return x
  end
  return json_text(walk(v)), table.unpack(others)
end

-- a field of an object (t[k]) and what it is
function B:get(t, k)
  local v = t[k]
  return v, kind(v)
end

-- a result's CSV view (r:csv()) as JSON {columns, rows}; holes are null
function B:csv(v)
  local cols, rows = results.csv(v)
  local out = {}
  for i, row in ipairs(rows) do
    local r = {}
    for j = 1, #cols do
      local x = row[j]
      if x == nil then r[j] = core.json_null else r[j] = results.json_safe(x) end
    end
    out[i] = r
  end
  return json_text({ columns = cols, rows = out })
end

function B:kind(v) return kind(v) end

function B:tostring(v) return tostring(v) end

return B
