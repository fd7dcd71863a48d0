-- The inputs of folio.cim and folio.cim.select (docs/cim.md, "Inputs by
-- name"): the universe of assets, vectors and matrices aligned with it by
-- name (folio.align), lists of assets, and the C bindings' input errors
-- raised as the user's (folio.check).
local check = require "folio.check"
local align = require "folio.align"
local fail = check.fail

local I = {}

-- the assets an estimate or a labelled vector/matrix covers, or nil
local function labels_of(x)
  if type(x) ~= "table" then return nil end
  if type(x.assets) == "table" and (type(x.cov) == "table" or type(x.mu) == "table") then return x.assets end
  return align.labels_of(x)
end

-- I.universe(assets, cov, mu, fn) -> names. The assets given, else those
-- of an estimate (or a labelled input: cov first, then mu), else the
-- sorted names of a cov keyed by name, else the positions 1..n of a
-- positional cov.
function I.universe(assets, cov, mu, fn)
  local names = {}
  if assets ~= nil then
    if #assets == 0 then fail("%s: assets must be a non-empty list of names", fn) end
    local seen = {}
    for i, a in ipairs(assets) do
      if type(a) ~= "string" and math.type(a) ~= "integer" then
        fail("%s: assets[%d] must be a name (got %s)", fn, i, type(a))
      end
      if seen[a] then fail("%s: assets names '%s' twice", fn, tostring(a)) end
      seen[a] = true
      names[i] = a
    end
    return names
  end
  local lab = labels_of(cov) or labels_of(mu)
  if lab then
    for i, a in ipairs(lab) do names[i] = a end
    return names
  end
  for k in pairs(cov) do
    if type(k) == "string" then names[#names + 1] = k end
  end
  if #names > 0 then
    table.sort(names)
    return names
  end
  for i = 1, #cov do names[i] = i end
  if #names == 0 then fail("%s: cov is empty", fn) end
  return names
end

-- I.vector(v, names, fn, what, fill) -> array aligned with names, or nil
-- for nil. v is one number for every asset, or a vector by name, by
-- position or from an estimate (folio.align). With fill, a table keyed by
-- name may leave assets out: they get fill.
function I.vector(v, names, fn, what, fill)
  if v == nil then return nil end
  if type(v) == "number" then
    local out = {}
    for i = 1, #names do out[i] = v end
    return out
  end
  if type(v) ~= "table" then fail("%s: %s must be a number or a table (got %s)", fn, what, type(v)) end
  if fill ~= nil and not labels_of(v) and rawlen(v) == 0 and next(v) ~= nil then
    local full = {}
    for k, x in pairs(v) do full[k] = x end
    for _, e in ipairs(names) do if full[e] == nil then full[e] = fill end end
    v = full
  end
  return align.vector(v, names, fn, what)
end

I.matrix = align.matrix

-- I.members(list, names, fn, what) -> positions: a list of assets by name
-- or by 1-based position
function I.members(list, names, fn, what)
  if type(list) ~= "table" then fail("%s: %s must be a list of assets (got %s)", fn, what, type(list)) end
  local pos = {}
  for i, e in ipairs(names) do pos[e] = i end
  local out = {}
  for k, a in ipairs(list) do
    local i = pos[a]
    if not i then
      if type(a) ~= "number" then fail("%s: %s names unknown asset '%s'", fn, what, tostring(a)) end
      if math.type(a) ~= "integer" and a ~= math.floor(a) then fail("%s: %s[%d] is not an asset index", fn, what, k) end
      i = math.tointeger(a)
      if not i or i < 1 or i > #names then
        fail("%s: %s: asset index %s is out of range 1..%d", fn, what, tostring(i or a), #names)
      end
    end
    out[#out + 1] = i
  end
  return out
end

-- keyed(array, names) -> {name = value}
function I.keyed(arr, names)
  local t = {}
  for i, e in ipairs(names) do t[e] = arr[i] end
  return t
end

-- I.call(fn, rename, f, ...) -> f(...). An error a C binding raises about
-- its input ("cim: ...", "ising.solve: ...") is the user's: without the
-- binding's location, its prefix `rename` replaced by fn. Other errors
-- (an interrupt, out of memory) pass through.
function I.call(fn, rename, f, ...)
  local r = table.pack(pcall(f, ...))
  if r[1] then return table.unpack(r, 2, r.n) end
  local e = r[2]
  if type(e) == "string" then
    local msg = e:gsub("^[^%s:]+:%d+: ", "", 1)
    if rename and msg:sub(1, #rename + 2) == rename .. ": " then msg = fn .. msg:sub(#rename + 1) end
    if msg:sub(1, #fn + 2) == fn .. ": " and not msg:find("out of memory", 1, true) then fail(msg) end
  end
  error(e, 0)
end

return I
