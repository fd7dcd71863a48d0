-- Readable reports and JSON shapes for what a script returns: results,
-- folio.table values, and plain tables of scalars.
local folio = require "folio"
local results = require "folio.results"

local R = {}

-- a model's result (folio.result, from m:solve)
local function is_model_result(v)
  local mt = getmetatable(v)
  return type(v) == "userdata" and type(mt) == "table" and mt.__name == "folio.result"
end
R.is_model_result = is_model_result
-- any result of the contract (docs/results.md): model, exposure, trade, ...
R.is_result = results.is_result

local function number(v)
  if math.type(v) == "integer" then return tostring(v) end
  if v ~= v then return "nan" end
  if v == math.huge then return "inf" end
  if v == -math.huge then return "-inf" end
  if v == 0 then return "0" end
  local s = string.format("%.10g", v)
  return s
end
R.number = number

local function cell(v)
  if type(v) == "number" then return number(v), true end
  if v == nil then return "", false end
  return tostring(v), false
end

-- s padded to width w (string.format widths stop at 99)
local function pad(s, w, right)
  local fill = string.rep(" ", w - #s)
  return right and (fill .. s) or (s .. fill)
end

-- s without trailing blanks; gsub("%s+$") rescans every run of inner
-- blanks (padded lines are mostly blanks: a third of a report's time)
local function rtrim(s)
  local e = #s
  while e > 0 do
    local b = s:byte(e)
    if b ~= 32 and (b < 9 or b > 13) then break end
    e = e - 1
  end
  return s:sub(1, e)
end

-- Renders columns/rows aligned: numbers to the right, text to the left.
local function grid(columns, rows, indent)
  indent = indent or "  "
  local width, text, numeric = {}, {}, {}
  for j, c in ipairs(columns) do width[j] = #c end
  for i, row in ipairs(rows) do
    text[i], numeric[i] = {}, {}
    for j = 1, #columns do
      local s, isnum = cell(row[j])
      text[i][j], numeric[i][j] = s, isnum
      if #s > width[j] then width[j] = #s end
    end
  end
  local out = {}
  local head = {}
  for j, c in ipairs(columns) do head[j] = pad(c, width[j], false) end
  out[#out + 1] = indent .. rtrim(table.concat(head, "  "))
  local rule = {}
  for j = 1, #columns do rule[j] = string.rep("-", width[j]) end
  out[#out + 1] = indent .. table.concat(rule, "  ")
  for i = 1, #rows do
    local parts = {}
    for j = 1, #columns do
      parts[j] = pad(text[i][j], width[j], numeric[i][j])
    end
    out[#out + 1] = rtrim(indent .. table.concat(parts, "  "))
  end
  return table.concat(out, "\n")
end
R.grid = grid

local MAX_ROWS = 60

-- a row (from r:rows()) that holds with equality at one of its limits
local function binding(row)
  local lim = (row.upper ~= math.huge and row.activity >= (row.lower + row.upper) / 2) and row.upper or row.lower
  if lim == -math.huge or lim == math.huge then return false end
  return math.abs(row.activity - lim) <= 1e-7 * (1 + math.abs(lim))
end
R.binding = binding

function R.result(r)
  local out = {}
  local head = string.format("Model '%s': %s", r.model, r.status)
  local info = { r.solver }
  info[#info + 1] = string.format("%.3f s", r.solve_time)
  if r.is_mip then info[#info + 1] = string.format("%d nodes", r.nodes)
  else info[#info + 1] = string.format("%d iterations", r.iterations) end
  out[#out + 1] = head .. " (" .. table.concat(info, ", ") .. ")"
  if r.status ~= "optimal" then out[#out + 1] = "  " .. r.message end
  local conflict = results.model_conflict(r)
  if conflict then out[#out + 1] = "Conflict: " .. conflict.text end
  if not r.has_solution then return table.concat(out, "\n") end
  out[#out + 1] = "Objective: " .. number(r.objective)
  if r.is_mip then
    out[#out + 1] = string.format("MIP bound: %s   gap: %s", number(r.mip_bound), number(r.mip_gap))
  end
  local duals = r.has_duals
  local function section(title, columns, rows)
    out[#out + 1] = "\n" .. title
    if #rows == 0 then
      out[#out + 1] = "  (none)"
      return
    end
    local shown = {}
    for i = 1, math.min(#rows, MAX_ROWS) do shown[i] = rows[i] end
    out[#out + 1] = grid(columns, shown)
    if #rows > MAX_ROWS then out[#out + 1] = string.format("  ... %d more", #rows - MAX_ROWS) end
  end
  local cols, rows = r:columns(), {}
  for _, c in ipairs(cols) do
    if math.abs(c.value) > 1e-9 then rows[#rows + 1] = { c.name, c.value, c.reduced_cost } end
  end
  section(string.format("Variables (%d of %d nonzero):", #rows, #cols),
    duals and { "variable", "value", "reduced cost" } or { "variable", "value" }, rows)
  local bind = {}
  for _, row in ipairs(r:rows()) do
    if binding(row) then
      bind[#bind + 1] = { row.name, row.activity, row.lower ~= -math.huge and row.lower or nil,
                          row.upper ~= math.huge and row.upper or nil, row.dual }
    end
  end
  section(string.format("Binding constraints (%d):", #bind),
    duals and { "constraint", "activity", "lower", "upper", "shadow price" }
           or { "constraint", "activity", "lower", "upper" }, bind)
  return table.concat(out, "\n")
end

local function render_one(v, name)
  if results.is_result(v) then return results.summary(v) end
  if folio.is_table(v) then
    return (v.title and (v.title .. ":\n") or "") .. grid(v.columns, v.rows)
  end
  if type(v) == "table" then
    local keys = {}
    for k in pairs(v) do keys[#keys + 1] = k end
    table.sort(keys, function(a, b) return tostring(a) < tostring(b) end)
    local rows = {}
    for _, k in ipairs(keys) do
      local x = v[k]
      if type(x) == "table" or type(x) == "userdata" then x = tostring(x) end
      rows[#rows + 1] = { tostring(k), x }
    end
    return (name and (name .. ":\n") or "") .. grid({ "key", "value" }, rows)
  end
  if type(v) == "number" then return number(v) end
  return tostring(v)
end

-- a plain table whose keys are exactly 1..n, n >= 1
local function is_list(t)
  local n = rawlen(t)
  if n == 0 then return false end
  local count = 0
  for _ in next, t do count = count + 1 end
  return count == n
end

-- values: the list of what the script returned (a single list of
-- results/tables is unpacked one level; a table with other keys too,
-- {[1] = "a", b = "c"}, is one value, written as an object with every key).
local function flatten(values)
  local v = values[1]
  if #values == 1 and type(v) == "table" and getmetatable(v) == nil and is_list(v) then
    return v
  end
  return values
end
R.flatten = flatten

function R.render(values)
  local parts = {}
  for _, v in ipairs(flatten(values)) do parts[#parts + 1] = render_one(v) end
  return table.concat(parts, "\n\n")
end

local function json_value(v)
  if folio.is_table(v) then v = { title = v.title, columns = v.columns, rows = v.rows } end
  return results.json_safe(v)   -- results as their to_json(); never fails on a number
end

function R.json(values)
  local list = flatten(values)
  if #list == 1 then return json_value(list[1]) end
  local t = {}
  for i, v in ipairs(list) do t[i] = json_value(v) end
  return t
end

-- Every result among the values (one level into plain tables too, so that
-- `return {a = r1, b = r2}` counts both).
local function results_in(values)
  local out = {}
  for _, v in ipairs(flatten(values)) do
    if results.is_result(v) then
      out[#out + 1] = v
    elseif type(v) == "table" and getmetatable(v) == nil then
      for _, x in pairs(v) do if results.is_result(x) then out[#out + 1] = x end end
    end
  end
  return out
end
R.results_in = results_in

-- 3 when some returned result has no solution, else 0.
function R.exit_code(values)
  for _, v in ipairs(results_in(values)) do
    if not v.has_solution then return 3 end
  end
  return 0
end

return R
