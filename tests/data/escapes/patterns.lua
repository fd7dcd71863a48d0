-- The sandbox's string.find, match, gmatch, gsub, rep and table.move,
-- insert, remove, concat, sort (src/lua/lsandbox_lib.c) against Lua's own:
-- tests/e2e/test_escapes.sh runs this script with lua5.4 and with
-- `folio run --sandbox` and compares the outputs line by line. Fixed
-- cases for every pattern item and error, then seeded random patterns.
local out = {}
local function show(v)
  if type(v) == "string" then return string.format("%q", v) end
  return tostring(v)
end
local function emit(label, ...)
  local n = select("#", ...)
  local t = {}
  for i = 1, n do t[i] = show((select(i, ...))) end
  out[#out + 1] = label .. " -> " .. table.concat(t, ", ")
end
local function try(label, f, ...)
  emit(label, pcall(f, ...))
end
local function all(label, s, p, init)
  try(label .. " find", string.find, s, p, init)
  try(label .. " match", string.match, s, p, init)
  try(label .. " gmatch", function()
    local r = {}
    for a, b, c in string.gmatch(s, p, init) do
      r[#r + 1] = show(a) .. "|" .. show(b) .. "|" .. show(c)
      if #r > 50 then break end
    end
    return table.concat(r, " ")
  end)
  try(label .. " gsub str", string.gsub, s, p, "<%0>")
  try(label .. " gsub %1", string.gsub, s, p, "[%1]")
  try(label .. " gsub fn", string.gsub, s, p, function(a, b) return b and (a .. "/" .. tostring(b)) or nil end)
  try(label .. " gsub tbl", string.gsub, s, p, { a = "A", [""] = "E", ab = false })
  try(label .. " gsub n=1", string.gsub, s, p, "#", 1)
end

local fixed = {
  { "hello world", "o" }, { "hello world", "o", 6 }, { "hello world", "o", -3 }, { "hello", "", 10 },
  { "hello", "l+" }, { "hello", "l*" }, { "hello", "l-" }, { "hello", "l?" }, { "hello", "^h" }, { "hello", "^e" },
  { "hello", "o$" }, { "hello", "l$" }, { "a$b", "$b" }, { "a$b", "a$" }, { "hello", "(h)(e)" }, { "hello", "()ll()" },
  { "hello", "(l)%1" }, { "hello", "%0" }, { "hello", "(l)%2" }, { "f(a(b)c)d", "%b()" }, { "f(a(b", "%b()" },
  { "THE (quick) fox", "%f[%a]%a+" }, { "x", "%f[%a" }, { "x", "%f" }, { "abc", "[a-b]+" }, { "a-c", "[a%-c]+" },
  { "a]b", "[]]" }, { "a]b", "[^]]+" }, { "a^b", "[%^]" }, { "abc", "[" }, { "abc", "[a" }, { "abc", "%" },
  { "abc", "(" }, { "abc", ")" }, { "abc", "%ba" }, { "abc", "(()" }, { "  trim me  ", "^%s*(.-)%s*$" },
  { "key = value", "(%w+)%s*=%s*(%w+)" }, { "a,b,,c", "([^,]*)" }, { "abc", "." }, { "", "" }, { "", "x*" },
  { "aaa", "a-b" }, { "a.b", "%." }, { "A1 b2", "%u%d" }, { "A1 b2", "%U%D" }, { "tab\there", "%c" },
  { "x=1,y=2", "(%w)=(%d)" }, { "abc", "b", 0 }, { "abc", "b", 100 }, { "abc", "b", -100 }, { "a\0b", "%z" },
  { "a\0b", "\0" }, { "a\0b", "[\0]" }, { "aaa", "(a*(.))" }, { "abab", "(ab)%1" }, { "xyz", "()" },
  { "one two", "%w+", 2 }, { "é", "[\128-\255]+" }, { "a+b", "a+b" }, { "a+b", "a%+b" },
}
for i, c in ipairs(fixed) do all("fixed " .. i, c[1], c[2], c[3]) end
try("find plain", string.find, "a.b.c", ".", 1, true)
try("find plain init", string.find, "a.b.c", ".b", 3, true)
try("find plain empty", string.find, "abc", "", 4, true)
try("find plain past", string.find, "abc", "", 5, true)
try("find arg", string.find, "abc")
try("gsub repl %", string.gsub, "abc", "b", "%")
try("gsub repl %x", string.gsub, "abc", "b", "%x")
try("gsub repl %2", string.gsub, "abc", "(b)", "%2")
try("gsub repl bad", string.gsub, "abc", "b", true)
try("gsub repl value", string.gsub, "abc", "b", function() return {} end)
try("gsub repl number", string.gsub, "abc", "b", 7)
try("gsub position", string.gsub, "abc", "()b", "%1")
try("gsub anchored", string.gsub, "aaa", "^a", "b")
try("gsub max 0", string.gsub, "aaa", "a", "b", 0)
try("gsub empty", string.gsub, "abc", "", "-")
try("gsub x*", string.gsub, "abc", "x*", "-")
try("too many captures", string.find, "a", string.rep("()", 33))
try("too complex", string.match, string.rep("a", 300), string.rep("a?", 300))
try("rep", string.rep, "ab", 3, ",")
try("rep 0", string.rep, "ab", 0)
try("rep neg", string.rep, "ab", -1, "x")
try("rep empty", string.rep, "", 5, "")
try("rep sep only", string.rep, "", 3, "-")
try("rep huge", string.rep, "ab", 1 << 40)

-- seeded random patterns (an LCG, the same in every Lua)
local seed = 12345
local function rand(n)
  seed = (seed * 1103515245 + 12345) % 2147483648
  return seed % n + 1
end
local items = { "a", "b", "a", "b", "c", ".", "%a", "%d", "%s", "%A", "[ab]", "[^a]", "[a-c]", "[%d_]", "%b()",
                "%f[%a]", "()", " ", "1", "(", ")", "%1", "%" }
local quants = { "", "", "", "*", "+", "-", "?" }
local chars = { "a", "b", "a", "b", "c", " ", "(", ")", "1", "_", "\0" }
for k = 1, 1000 do
  local p = {}
  if rand(5) == 1 then p[1] = "^" end
  local depth = 0
  for _ = 1, rand(6) do
    local it = items[rand(#items)]
    -- a stray ')', a '%1' before its capture or a final '%' is an error:
    -- keep some, not most
    if (it == ")" and depth == 0 or it == "%1" or it == "%") and rand(4) > 1 then it = "a" end
    if it == "(" then depth = depth + 1 elseif it == ")" and depth > 0 then depth = depth - 1 end
    p[#p + 1] = it
    if #it == 1 and it ~= "(" and it ~= ")" or it:sub(1, 1) == "[" or it == "%a" or it == "%d" then
      p[#p + 1] = quants[rand(#quants)]
    end
  end
  for _ = 1, depth do if rand(4) > 1 then p[#p + 1] = ")" end end
  if rand(6) == 1 then p[#p + 1] = "$" end
  local s = {}
  for _ = 1, rand(16) - 1 do s[#s + 1] = chars[rand(#chars)] end
  all("random " .. k, table.concat(s), table.concat(p), rand(4) == 1 and rand(7) - 4 or nil)
end

-- the table functions, on plain tables and on tables with metatables
local function tab(label, f)
  try(label, function()
    local r = table.pack(f())
    for i = 1, r.n do
      local v = r[i]
      if type(v) == "table" then
        local parts = {}
        for j = 1, rawlen(v) do parts[j] = show(rawget(v, j)) end
        r[i] = "{" .. table.concat(parts, ",") .. "}"
      end
    end
    return table.unpack(r, 1, r.n)
  end)
end
tab("move", function() return table.move({ 1, 2, 3, 4, 5 }, 2, 4, 1) end)
tab("move overlap", function() return table.move({ 1, 2, 3, 4, 5 }, 1, 3, 2) end)
tab("move to", function() return table.move({ 1, 2, 3 }, 1, 3, 2, { 9 }) end)
tab("move empty", function() return table.move({ 1, 2, 3 }, 3, 1, 1) end)
tab("move wrap", function() return table.move({}, 1, math.maxinteger, 2) end)
tab("move many", function() return table.move({}, -1, math.maxinteger, 2) end)
tab("move bad", function() return table.move(1, 1, 2, 3) end)
tab("insert", function() local t = { 1, 2 }; table.insert(t, 3); table.insert(t, 1, 0); return t end)
tab("insert pos", function() local t = { 1, 2 }; table.insert(t, 5, 0); return t end)
tab("insert args", function() local t = {}; table.insert(t, 1, 2, 3); return t end)
tab("remove", function() local t = { 1, 2, 3 }; return table.remove(t), table.remove(t, 1), t end)
tab("remove empty", function() local t = {}; return table.remove(t), table.remove(t, 0), t end)
tab("remove pos", function() local t = { 1 }; return table.remove(t, 3) end)
tab("concat", function() return table.concat({ 1, "a", 2.5 }, "-"), table.concat({}, "x"), table.concat({ 1, 2, 3 }, "", 2, 3) end)
tab("concat bad", function() return table.concat({ 1, {}, 3 }) end)
tab("concat range", function() return table.concat({ "a" }, ",", 1, 3) end)
tab("sort", function() local t = { 3, 1, 2 }; table.sort(t); return t end)
tab("sort cmp", function() local t = { 3, 1, 2 }; table.sort(t, function(a, b) return a > b end); return t end)
tab("sort bad cmp", function() table.sort({ 1, 2 }, 5) end)
tab("sort empty bad cmp", function() table.sort({}, 5) end)
tab("sort mixed", function() table.sort({ 1, "a" }) end)
local function proxy(n)
  local store = {}
  for i = 1, n do store[i] = (i * 7) % 5 end
  return setmetatable({}, { __index = store, __newindex = store, __len = function() return n end }), store
end
tab("proxy sort", function() local p, st = proxy(6); table.sort(p); return st end)
tab("proxy insert", function() local p, st = proxy(3); table.insert(p, 1, 9); return st end)
tab("proxy remove", function() local p, st = proxy(3); return table.remove(p, 1), st end)
tab("proxy concat", function() local p = proxy(4); return table.concat(p, ",") end)
tab("proxy move", function() local p, st = proxy(4); table.move(p, 1, 3, 2); return st end)

for _, line in ipairs(out) do print(line) end
