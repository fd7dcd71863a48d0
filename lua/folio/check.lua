-- Argument checks for the Lua domain modules, and the one rule for whose
-- line an error blames: the user's call of a public entry point.
--
-- Inside a module, check.fail(msg) raises a user error wherever it is;
-- check.entry(f) wraps a public function so that a user error raised
-- anywhere below it is re-raised on the user's line. Nobody counts stack
-- levels. Errors that are not user errors
-- (folio's own bugs) pass through untouched, with folio's location.
local core = require "folio.core"

local C = {}

local UserError = { __name = "folio.user_error" }
UserError.__tostring = function(e) return e.msg end

function C.fail(msg, ...)
  if select("#", ...) > 0 then msg = msg:format(...) end
  error(setmetatable({ msg = msg }, UserError), 0)
end

function C.is_user_error(e) return getmetatable(e) == UserError end

-- check.entry(f) -> a function with f's arguments and results. A user
-- error is re-raised with the location of the innermost frame that is not
-- folio's own Lua (core.where_user): the user's line, through any depth of
-- folio calls and tail calls inside folio.
function C.entry(f)
  return function(...)
    local r = table.pack(pcall(f, ...))
    if r[1] then return table.unpack(r, 2, r.n) end
    local e = r[2]
    if getmetatable(e) == UserError then error(core.where_user() .. e.msg, 0) end
    error(e, 0)
  end
end

-- Wraps every function field of t (a module or a metatable) listed in names.
function C.entries(t, names)
  for _, k in ipairs(names) do
    assert(type(t[k]) == "function", "check.entries: no function " .. k)
    t[k] = C.entry(t[k])
  end
  return t
end

---------------------------------------------------------------------------
-- option tables
---------------------------------------------------------------------------
-- check.options(t, fn, schema): t's keys must be schema's (an unknown one
-- is an error with a did-you-mean suggestion, laux's), and each value of
-- the type its entry names: "number", "string", "table", "boolean",
-- "function", several joined by "|", or "any".
function C.options(t, fn, schema)
  if t == nil then return end
  if type(t) ~= "table" then C.fail("%s: expected a table of options (got %s)", fn, type(t)) end
  local ok, err = pcall(core.check_options, t, fn, schema, 0)
  if not ok then C.fail(tostring(err)) end
  for k, v in pairs(t) do
    local want = schema[k]
    if type(want) == "string" and want ~= "any" then
      local t_ = type(v)
      local good = false
      for w in want:gmatch("[^|]+") do
        if w == t_ or (w == "integer" and math.type(v) == "integer") then good = true end
      end
      if not good then
        C.fail("%s: %s must be a %s (got %s)", fn, k, want:gsub("|", " or "), t_)
      end
    end
  end
end

-- check.names(keys, universe, fn, what): every key of the table keys must
-- be a name of the universe (a list); the error lists the strangers.
function C.names(keys, universe, fn, what)
  local known = {}
  for _, e in ipairs(universe) do known[e] = true end
  local bad = {}
  for k in pairs(keys) do
    if not known[k] then bad[#bad + 1] = tostring(k) end
  end
  if #bad > 0 then
    table.sort(bad)
    C.fail("%s: %s names %s not in the universe: %s", fn, what, #bad == 1 and "an exposure" or #bad .. " exposures",
      table.concat(bad, ", "))
  end
end

return C
