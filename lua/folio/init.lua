-- folio: the Lua face of the engine. The heavy lifting (expressions, sums,
-- model storage, solving, data readers) lives in folio.core (C); this file
-- gathers it into one module and adds the small Lua-level helpers.
local core = require "folio.core"

local folio = {
  version = core.version,
  model = core.model,
  read_model = core.read_model,
  sum = core.sum,
  dot = core.dot,
  quad = core.quad,
  read_csv = core.read_csv,
  index = core.index,
  read_json = core.read_json,
  write_json = core.write_json,
  json_null = core.json_null,
  backends = core.backends,
  -- set by the host: --set key=value pairs and the running script's folder
  params = {},
  script_dir = ".",
}

local table_mt = { __name = "folio.table" }
table_mt.__index = table_mt

-- folio.table{title =, columns = {...}, rows = {{...}, ...}}: a table the
-- CLI prints aligned and writes to JSON as {title, columns, rows}.
function folio.table(spec)
  if type(spec) ~= "table" then error("folio.table: expected a table {title, columns, rows}", 2) end
  local cols, rows = spec.columns, spec.rows or {}
  if type(cols) ~= "table" or #cols == 0 then error("folio.table: 'columns' must be a non-empty list of names", 2) end
  for i, c in ipairs(cols) do
    if type(c) ~= "string" then error(("folio.table: column %d is a %s, not a string"):format(i, type(c)), 2) end
  end
  if type(rows) ~= "table" then error("folio.table: 'rows' must be a list of rows", 2) end
  for i, row in ipairs(rows) do
    if type(row) ~= "table" then error(("folio.table: row %d is not a list"):format(i), 2) end
    for j = 1, #cols do
      local v = row[j]
      if v ~= nil and type(v) ~= "number" and type(v) ~= "string" and type(v) ~= "boolean" then
        error(("folio.table: row %d, column '%s' holds a %s"):format(i, cols[j], type(v)), 2)
      end
    end
  end
  return setmetatable({ title = spec.title, columns = cols, rows = rows }, table_mt)
end

function folio.is_table(v) return getmetatable(v) == table_mt end

return folio
