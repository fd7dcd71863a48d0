-- Inputs matched to a universe by name (docs/results.md, "Inputs by
-- name"). A vector or matrix can be
--   * keyed by name:            mu = {gold = 0.04, ...}, cov = {gold = {gold = 0.02, ...}, ...}
--   * an estimate:              mu = ret (a ReturnEstimator result), cov = risk (a RiskEstimator result)
--   * labelled by an estimate:  mu = ret.mu, cov = risk.cov (they remember their assets)
--   * positional:               arrays in the order of the universe's names, checked for size;
--   * a matrix as a data table:  folio.read_csv of a CSV whose first column names the rows, or a
--                                pandas DataFrame (rets.cov()) from the Python module.
-- Labelled inputs may cover more names than the universe (the universe's
-- are picked out); names of a keyed input that are not in the universe are
-- an error naming them, as are names of the universe an input lacks.
local check = require "folio.check"
local stats = require("folio.core").stats
local fail = check.fail

local A = {}

local labels = setmetatable({}, { __mode = "k" })

-- align.label(t, names): t (a vector or matrix) is in the order of names
function A.label(t, names)
  labels[t] = names
  return t
end
function A.labels_of(t) return labels[t] end

local function index_of(list)
  local pos = {}
  for i, e in ipairs(list) do pos[e] = i end
  return pos
end

-- string keys of t (sorted), and whether t also has array entries
local function string_keys(t)
  local keys = {}
  for k in pairs(t) do if type(k) == "string" then keys[#keys + 1] = k end end
  table.sort(keys)
  return keys, rawlen(t) > 0
end

local function strangers(keys, pos, fn, what)
  local bad = {}
  for _, k in ipairs(keys) do if not pos[k] then bad[#bad + 1] = "'" .. k .. "'" end end
  if #bad > 0 then
    fail("%s: %s has %s not in the universe: %s", fn, what, #bad == 1 and "a name" or #bad .. " names",
      table.concat(bad, ", "))
  end
end

-- no vector or matrix folio reads may hold an infinity or a NaN
local function number_at(x, fn, where)
  if type(x) ~= "number" then fail("%s: %s must be a number (got %s)", fn, where, type(x)) end
  if x ~= x then fail("%s: %s must be a number (got NaN)", fn, where) end
  if x == math.huge or x == -math.huge then fail("%s: %s must be finite (got %s)", fn, where, x > 0 and "inf" or "-inf") end
  return x
end

-- The key of each name in t: its position in t's labels, the name itself
-- when t is keyed by name, or its position when t is a positional list of
-- the right size; every mismatch is an error naming it. noun: "entries"
-- for a vector, "rows" for a matrix.
local function keys_for(t, names, fn, what, noun)
  local n, key = #names, {}
  local lab = labels[t]
  if lab then
    local pos = index_of(lab)
    for i, e in ipairs(names) do
      key[i] = pos[e]
      if not key[i] then fail("%s: %s has no %s for '%s' (it covers %s)", fn, what, noun, e, table.concat(lab, ", ")) end
    end
    return key, "label"
  end
  local keys, has_array = string_keys(t)
  if #keys > 0 then
    if has_array then fail("%s: %s mixes names and positions; key it by name only", fn, what) end
    strangers(keys, index_of(names), fn, what)
    for i, e in ipairs(names) do
      if t[e] == nil then fail("%s: %s has no %s for '%s'", fn, what, noun, e) end
      key[i] = e
    end
    return key, "name"
  end
  if #t ~= n then
    fail("%s: %s has %d %s for %d names (a positional %s follows the order of the names)", fn, what, #t, noun, n,
      noun == "rows" and "matrix" or "list")
  end
  for i = 1, n do key[i] = i end
  return key, "position"
end

local function where(what, k)
  return type(k) == "string" and ("%s['%s']"):format(what, k) or ("%s[%d]"):format(what, k)
end

-- align.vector(v, names, fn, what) -> array aligned with names
function A.vector(v, names, fn, what)
  if type(v) ~= "table" then fail("%s: %s must be a table (got %s)", fn, what, type(v)) end
  if type(v.mu) == "table" and type(v.assets) == "table" then v = A.label(v.mu, v.assets) end
  local key = keys_for(v, names, fn, what, "entries")
  local out = {}
  for i = 1, #names do out[i] = number_at(v[key[i]], fn, where(what, key[i])) end
  return out
end

-- A data table (folio.read_csv's shape, or a pandas DataFrame from the
-- Python module: .columns, .n, a column each) holding a square matrix: its
-- first column labels the rows (a CSV's first column, the frame's index),
-- the other columns' names label the columns. -> rows keyed by name
local function keyed_table(M, fn, what)
  local cols, n = M.columns, M.n
  local labels = M[cols[1]]
  if #cols ~= n + 1 or type(labels) ~= "table" then
    fail("%s: %s is a data table of %d rows and %d columns: a matrix keyed by name needs the row names "
      .. "in its first column and one column per name", fn, what, n, #cols)
  end
  local rows = {}
  for i = 1, n do
    local name = labels[i]
    if type(name) ~= "string" then
      fail("%s: %s's row %d is named by %s in column '%s' (row names must be text)", fn, what, i,
        name == nil and "nothing" or type(name), cols[1])
    end
    if rows[name] then fail("%s: %s names row '%s' twice", fn, what, name) end
    local row = {}
    for j = 2, #cols do row[cols[j]] = M[cols[j]][i] end
    rows[name] = row
  end
  return rows
end

-- align.matrix(M, names, fn, what) -> n x n rows aligned with names, of
-- finite numbers
function A.matrix(M, names, fn, what)
  if type(M) ~= "table" then fail("%s: %s must be a table (got %s)", fn, what, type(M)) end
  if type(M.cov) == "table" and type(M.assets) == "table" then M = A.label(M.cov, M.assets) end
  if type(M.columns) == "table" and math.type(M.n) == "integer" then M = keyed_table(M, fn, what) end
  local key, by = keys_for(M, names, fn, what, "rows")
  local n = #names
  for i = 1, n do
    local row = M[key[i]]
    local at = where(what, key[i])
    if type(row) ~= "table" then fail("%s: %s must be a row (got %s)", fn, at, type(row)) end
    if by == "name" then strangers((string_keys(row)), index_of(names), fn, at)
    elseif by == "position" and #row ~= n then fail("%s: %s must have %d entries", fn, at, n) end
  end
  -- the n^2 entries are copied in C, which stops at the first that is not
  -- a finite number; its name is formatted only for the message
  local out, i, j = stats.gather_rows(M, key)
  if not out then
    local x, at = M[key[i]][key[j]], where(what, key[i])
    if x == nil and by == "name" then fail("%s: %s has no entry for '%s'", fn, at, names[j]) end
    number_at(x, fn, where(at, key[j]))
    error("align.matrix: the C copy stopped at a finite entry")   -- gather_rows and number_at disagree
  end
  return out
end

-- align.keys(t, names, fn, what): a table keyed by name (min_weights,
-- categories, ...) may only name names of the universe
function A.keys(t, names, fn, what)
  if t == nil then return end
  if type(t) ~= "table" then fail("%s: %s must be a table keyed by name (got %s)", fn, what, type(t)) end
  strangers((string_keys(t)), index_of(names), fn, what)
end

return A
