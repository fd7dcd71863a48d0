-- The REPL's Lua half (the prompt, history and Ctrl-C live in
-- src/cli/repl.c): pretty printing, tab completion and :help.
local folio = require "folio"
local report = require "folio.report"

local M = {}

local MAX_ROWS, MAX_COLS, MAX_DEPTH, MAX_ITEMS = 20, 8, 2, 30

local function num(v) return report.number(v) end

local function sorted_keys(t)
  local keys = {}
  for k in pairs(t) do keys[#keys + 1] = k end
  table.sort(keys, function(a, b)
    local ta, tb = type(a), type(b)
    if ta ~= tb then return ta < tb end
    if ta == "number" or ta == "string" then return a < b end
    return tostring(a) < tostring(b)
  end)
  return keys
end

local function is_array(t)
  local n = #t
  if n == 0 then return false end
  local count = 0
  for _ in pairs(t) do count = count + 1 end
  return count == n
end

-- a matrix: an array of equally long arrays of numbers
local function is_matrix(t)
  if not is_array(t) or type(t[1]) ~= "table" then return false end
  local w = #t[1]
  if w == 0 then return false end
  for i = 1, #t do
    local row = t[i]
    if type(row) ~= "table" or #row ~= w or type(row[1]) ~= "number" then return false end
  end
  return true
end

local function show_matrix(t)
  local rows, cols = #t, #t[1]
  local shown_c = math.min(cols, MAX_COLS)
  local head = {}
  for j = 1, shown_c do head[j] = "[" .. j .. "]" end
  if cols > shown_c then head[#head + 1] = "..." end
  local out = {}
  for i = 1, math.min(rows, MAX_ROWS) do
    local r = {}
    for j = 1, shown_c do r[j] = t[i][j] end
    if cols > shown_c then r[#r + 1] = "" end
    out[i] = r
  end
  local text = string.format("matrix %d x %d\n", rows, cols) .. report.grid(head, out)
  if rows > MAX_ROWS then text = text .. string.format("\n  ... %d more rows", rows - MAX_ROWS) end
  return text
end

local function scalar(v)
  local t = type(v)
  if t == "number" then return num(v) end
  if t == "string" then return string.format("%q", v):gsub("\\\n", "\\n") end
  return tostring(v)
end

local function inline(v, depth, seen)
  if type(v) ~= "table" or getmetatable(v) ~= nil then return scalar(v) end
  if seen[v] then return "<cycle>" end
  if depth > MAX_DEPTH then return "{...}" end
  seen[v] = true
  local parts, n = {}, 0
  if is_array(v) then
    for i = 1, #v do
      n = n + 1
      if n > MAX_ITEMS then parts[#parts + 1] = string.format("... %d more", #v - MAX_ITEMS) break end
      parts[#parts + 1] = inline(v[i], depth + 1, seen)
    end
  else
    local keys = sorted_keys(v)
    for _, k in ipairs(keys) do
      n = n + 1
      if n > MAX_ITEMS then parts[#parts + 1] = string.format("... %d more", #keys - MAX_ITEMS) break end
      local ks = (type(k) == "string" and k:match("^[%a_][%w_]*$")) and k or "[" .. scalar(k) .. "]"
      parts[#parts + 1] = ks .. " = " .. inline(v[k], depth + 1, seen)
    end
  end
  seen[v] = nil
  return "{" .. table.concat(parts, ", ") .. "}"
end

-- a record of scalars (or a family) as an aligned key/value grid
local function show_keyed(t, title, value_of)
  local keys = sorted_keys(t)
  local rows = {}
  for i = 1, math.min(#keys, MAX_ROWS) do
    local k = keys[i]
    local v = t[k]
    if value_of then v = value_of(v)
    elseif type(v) ~= "number" then v = inline(v, 1, {}) end
    rows[i] = { tostring(k), v }
  end
  local text = (title and title .. "\n" or "") .. report.grid({ "key", "value" }, rows)
  if #keys > MAX_ROWS then text = text .. string.format("\n  ... %d more", #keys - MAX_ROWS) end
  return text
end

local function one(v)
  if report.is_result(v) or folio.is_table(v) then return report.render({ v }) end
  if type(v) ~= "table" then return scalar(v) end
  local mt = getmetatable(v)
  if mt and mt.__tostring and rawget(mt, "__name") ~= "folio.family" then return tostring(v) end
  if mt then   -- a variable family, a domain result: its entries by key
    local ok, text = pcall(show_keyed, v, tostring(v),
      function(x) return type(x) == "number" and x or tostring(x) end)
    if ok then return text end
  end
  if is_matrix(v) then return show_matrix(v) end
  local all_scalar, count = true, 0
  for _, x in pairs(v) do
    count = count + 1
    if type(x) == "table" then all_scalar = false end
  end
  if mt == nil and count > 0 and all_scalar and not is_array(v) then return show_keyed(v) end
  local s = inline(v, 0, {})
  if #s <= 100 or mt ~= nil then return s end
  return show_keyed(v, string.format("table with %d entries", count))
end

-- what the prompt prints for the values an input returned
function M.show(values, n)
  local out = {}
  for i = 1, n do out[i] = one(values[i]) end
  return table.concat(out, n > 1 and "\n" or "")
end

-- ---- compiling an input ----------------------------------------------------

local function ident(...) return ... end

local function lines_of(code)
  local lines = {}
  for l in (code .. "\n"):gmatch("([^\n]*)\n") do lines[#lines + 1] = l end
  while #lines > 0 and lines[#lines]:match("^%s*$") do lines[#lines] = nil end
  return lines
end

local MAX_TAIL = 40   -- lines a trailing expression may span

-- compile(code, chunkname, env) -> a function running code and returning
-- what it shows: a notebook cell, a Session.eval chunk. "=expr" is
-- "return expr"; code whose last lines are an expression shows its values
-- (after the statements before them); otherwise the code runs as written
-- (and shows what it returns). The expression is an argument of a call,
-- not a tail call, so an error in it keeps the chunk's line. env: the
-- globals (default _G). A syntax error is raised as Lua gives it.
function M.compile(code, chunkname, env)
  env = env or _G
  if code:sub(1, 1) == "=" then code = "return " .. code:sub(2) end
  local lines = lines_of(code)
  for k = 1, math.min(#lines, MAX_TAIL) do
    local tail = table.concat(lines, "\n", #lines - k + 1)
    -- the tail alone first: the whole chunk is compiled only for a tail
    -- that is an expression
    if load("return __folio_show(" .. tail .. "\n)", "=tail", "t", {}) then
      local head = table.concat(lines, "\n", 1, #lines - k)
      local src = "local __folio_show = ...; " .. head .. (head ~= "" and "\n" or "") ..
        "return __folio_show(" .. tail .. "\n)"
      local f = load(src, chunkname, "t", env)
      if f then return function() return f(ident) end end
    end
  end
  local f, err = load(code, chunkname, "t", env)
  if not f then error(err, 0) end
  return f
end

-- load(path, env) -> a function running the file as `folio run` runs a
-- script: folio.script is the path and folio.script_dir its folder (so
-- that a model reads the data beside it) while it runs, and are restored
-- after (on an error too); or nil and loadfile's message
function M.load(path, env)
  local f, err = loadfile(path, "t", env or _G)
  if not f then return nil, err end
  local dir = path:match("^(.*)/[^/]*$")
  dir = dir == nil and "." or (dir == "" and "/" or dir)
  return function(...)
    local saved_dir, saved_script = folio.script_dir, folio.script
    local _ <close> = setmetatable({}, { __close = function()
      folio.script_dir, folio.script = saved_dir, saved_script
    end })
    folio.script_dir, folio.script = dir, path
    return f(...)   -- not a tail call: the file's values, then the restore
  end
end

-- ---- completion ---------------------------------------------------------

-- the tables an __index function looks names up in: its upvalues (a C
-- closure's, as a model's methods; a Lua closure's but its _ENV). What
-- they hold is a guess, checked by indexing the value.
local function index_tables(f)
  local getupvalue = debug and debug.getupvalue
  local out = {}
  if not getupvalue then return out end
  for i = 1, 8 do
    local name, up = getupvalue(f, i)
    if name == nil then break end
    if type(up) == "table" and name ~= "_ENV" and up ~= _G then out[#out + 1] = up end
  end
  return out
end

-- fields(v, out): out[name] = true for the names v has (its keys, its
-- __index tables', a userdata's listed methods and fields), or "guess"
-- for the keys of the tables its __index function reads
local function fields(v, out, depth, guess)
  depth = depth or 0
  if depth > 3 then return end
  if type(v) == "table" then
    for k in pairs(v) do
      if type(k) == "string" and out[k] ~= true then out[k] = guess or true end
    end
  end
  local mt = getmetatable(v)
  if type(mt) ~= "table" then return end
  local index = rawget(mt, "__index")
  if type(index) == "table" then fields(index, out, depth + 1, guess) end
  if type(index) == "function" then
    for _, t in ipairs(index_tables(index)) do fields(t, out, depth + 1, "guess") end
  end
  -- userdata whose __index is a function list what it serves
  if type(rawget(mt, "methods")) == "table" then fields(rawget(mt, "methods"), out, depth + 1) end
  if type(rawget(mt, "fields")) == "table" then
    for _, k in ipairs(rawget(mt, "fields")) do out[k] = true end
  end
end

local keywords = {
  "and", "break", "do", "else", "elseif", "end", "false", "for", "function", "goto", "if",
  "in", "local", "nil", "not", "or", "repeat", "return", "then", "true", "until", "while",
}

-- complete(word, env): the completions of word (the text being completed,
-- e.g. "folio.Ma" or "r:du"), each the whole replacement, sorted
function M.complete(word, env)
  env = env or _G
  local path, sep, stem = word:match("^([%a_][%w_%.:]-)([%.:])([%w_]*)$")
  local base, names = env, {}
  if path then
    for part in path:gmatch("[^%.:]+") do
      local ok, nxt = pcall(function() return base[part] end)
      if not ok or nxt == nil then return {} end
      base = nxt
    end
    fields(base, names)
    for k, how in pairs(names) do
      if sep == ":" or how == "guess" then
        local ok, f = pcall(function() return base[k] end)
        if not ok or f == nil or (sep == ":" and type(f) ~= "function") then names[k] = nil end
      end
    end
  else
    stem = word
    fields(env, names)
    for _, k in ipairs(keywords) do names[k] = true end
  end
  local out = {}
  for k in pairs(names) do
    if k:sub(1, #stem) == stem and k:match("^[%a_][%w_]*$") and not k:match("^__") then
      out[#out + 1] = (path and (path .. sep) or "") .. k
    end
  end
  table.sort(out)
  return out
end

-- ---- :help ----------------------------------------------------------------

M.commands = [[
folio REPL commands:
  =expr, expr       print the value of an expression
  :help [name]      this text, or the documentation of a name (folio.model, solve, ...)
  :load FILE.lua    run a script here; its locals stay in it, its globals and returns stay
  :time EXPR        evaluate and print the wall-clock time it took
  :quit             leave (or Ctrl-D)
Tab completes globals and fields (folio.Ma<TAB>, r:du<TAB>); Ctrl-C stops a
long loop or solve and returns to the prompt. History is kept in
$FOLIO_HISTORY (default ~/.folio_history).]]

-- the order of the pages :help reads: the reference (the DSL, then the
-- models' and results' pages) before the guides, the benchmarks last; a
-- page named after the name (exposure_optimizer.md for ExposureOptimizer)
-- first
local REFERENCE = {
  ["docs/dsl.md"] = 1, ["docs/exposure_optimizer.md"] = 2, ["docs/trade_assignment.md"] = 2,
  ["docs/cim.md"] = 2, ["docs/qp.md"] = 2, ["docs/results.md"] = 2, ["docs/report.md"] = 2,
  ["docs/benchmarks.md"] = 4,
}

local function page_rank(path, short)
  local base = path:match("([^/]+)%.md$") or path
  if base:gsub("_", ""):lower() == short:lower() then return 0 end
  if path:match("^docs/models/") then return 2 end
  return REFERENCE[path] or 3
end

local function ranked_pages(docs, short)
  local paths = sorted_keys(docs)
  local rank = {}
  for _, p in ipairs(paths) do rank[p] = page_rank(p, short) end
  table.sort(paths, function(a, b)
    if rank[a] ~= rank[b] then return rank[a] < rank[b] end
    return a < b
  end)
  return paths
end

-- docs: {path = text} of the documentation pages to search
function M.help(name, docs)
  if not name or name == "" then return M.commands end
  local short = name:gsub("^folio[%.:]", "")
  local hits = {}
  local paths = ranked_pages(docs or {}, short)
  for _, path in ipairs(paths) do
    local text = docs[path]
    local para, lines = {}, {}
    for line in (text .. "\n\n"):gmatch("([^\n]*)\n") do lines[#lines + 1] = line end
    -- a paragraph or code block that names the function, with its heading
    local heading, i = nil, 1
    while i <= #lines do
      local l = lines[i]
      if l:match("^#+ ") then heading = l end
      local j = i
      while j <= #lines and lines[j] ~= "" do j = j + 1 end
      local block = table.concat(lines, "\n", i, j - 1)
      local pat = "[%.:`]" .. short:gsub("%p", "%%%0") .. "[%(`%s{]"
      if (" " .. block):find(pat) then
        para[#para + 1] = (heading and (heading .. "  (" .. path .. ")\n") or "") .. block
        heading = nil
      end
      i = j + 1
    end
    for _, p in ipairs(para) do hits[#hits + 1] = p end
  end
  if #hits == 0 then
    -- folio is strict (an unknown field is an error) and loads some
    -- fields on first use: the lookup is protected
    local ok, v = pcall(function() return folio[short] end)
    if ok and v ~= nil then return string.format("folio.%s is a %s; no documentation mentions it", short, type(v)) end
    return string.format("no documentation for '%s' (try :help for the commands)", name)
  end
  local shown = {}
  for k = 1, math.min(#hits, 4) do shown[k] = hits[k] end
  local text = table.concat(shown, "\n\n")
  if #hits > 4 then text = text .. string.format("\n\n(%d more passages mention '%s')", #hits - 4, short) end
  return text
end

return M
