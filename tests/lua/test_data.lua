-- Tests for the data readers: folio.read_csv, folio.index, folio.read_json,
-- folio.write_json (src/lua/ldata.c). Run from the repo root:
--   build/folio run tests/lua/test_data.lua
-- or, against the bare module, with a global folio_data set beforehand.
local T = dofile("tests/lua/testlib.lua")
local data = folio_data or require("folio")

local D = "tests/data/csv/"
local function p(name) return D .. name end

-- the values of column `col` as one string, "nil" for holes, with Lua types
local function dump(t, col)
  local out = {}
  for i = 1, t.n do
    local v = t[col][i]
    if v == nil then out[#out + 1] = "nil"
    elseif math.type(v) then out[#out + 1] = math.type(v) .. ":" .. tostring(v)
    else out[#out + 1] = type(v) .. ":" .. tostring(v) end
  end
  return table.concat(out, " ")
end

local function count_keys(t)
  local n = 0
  for _ in pairs(t) do n = n + 1 end
  return n
end

------------------------------------------------------------------------------
-- read_csv: shapes, quoting, type inference
------------------------------------------------------------------------------
do
  local t = data.read_csv(p("basic.csv"))
  T.eq(t.file, p("basic.csv"), "basic: file")
  T.eq(t.n, 4, "basic: n")
  T.eq(table.concat(t.columns, ","), "segment,exposure,count,rating,note", "basic: columns in order")
  T.eq(count_keys(t), 5 + 3, "basic: one field per column plus columns, n, file")
  T.eq(dump(t, "segment"), "string:cards string:mortgages string:autos string:sme", "basic: string column")
  T.eq(dump(t, "exposure"), "float:1200.5 integer:5000 float:750.25 nil", "basic: numeric column, spaces, hole")
  T.eq(dump(t, "count"), "integer:3 integer:10 nil integer:7", "basic: integers stay integers")
  T.eq(dump(t, "rating"), "string:AA string:A string:BBB nil", "basic: hole in a string column")
  T.eq(t.note[1], "plain", "basic: quoted field")
  T.eq(t.note[2], "has, comma", "basic: quoted comma")
  T.eq(t.note[3], 'says "hi"', "basic: doubled quotes")
  T.eq(t.note[4], "two\nlines", "basic: newline inside quotes")
end

do -- UTF-8 BOM, CRLF line ends, CRLF inside quotes, trailing blank lines
  local t = data.read_csv(p("crlf_bom.csv"))
  T.eq(t.columns[1], "name", "bom: stripped from the first header name")
  T.ok(t.name ~= nil, "bom: column reachable by its plain name")
  T.eq(t.n, 3, "crlf: trailing blank lines ignored")
  T.eq(dump(t, "value"), "integer:1 float:2.5 integer:-3", "crlf: values")
  T.eq(t.name[2], "be\r\nta", "crlf: quoted CRLF kept verbatim")
  T.eq(t.name[3], "gamma", "crlf: no stray CR on the last field")
end

do -- other delimiters
  local t = data.read_csv(p("semicolon.csv"), { delim = ";" })
  T.eq(table.concat(t.columns, ","), "a,b,c", "delim ';': header")
  T.eq(dump(t, "c"), "float:2.5 integer:3", "delim ';': numbers")
  T.eq(t.b[2], "y", "delim ';': strings")
  local u = data.read_csv(p("tab.csv"), { delim = "\t" })
  T.eq(table.concat(u.columns, ","), "a,b", "delim tab: header")
  T.eq(u.b[1], "hello world", "delim tab: inner space kept")
  T.eq(u.b[2], "padded", "delim tab: unquoted cell trimmed")
  local w = data.read_csv(p("tab.csv"))
  T.eq(#w.columns, 1, "default delim is a comma, so a TSV is one column")
end

do -- header only: zero rows, columns present and empty
  for _, f in ipairs { "header_only.csv", "header_only_noeol.csv" } do
    local t = data.read_csv(p(f))
    T.eq(t.n, 0, f .. ": n")
    T.eq(table.concat(t.columns, ","), "a,b,c", f .. ": columns")
    T.eq(type(t.a), "table", f .. ": column table exists")
    T.eq(next(t.a), nil, f .. ": column is empty")
  end
end

do -- number forms: decimal numbers only (0x10 is text in a CSV, so its column is text)
  local t = data.read_csv(p("numforms.csv"))
  T.eq(dump(t, "x"), "string:0x10 string:-2", "hex is not a number")
  T.eq(dump(t, "y"), "integer:7 float:1000.0", "spaces allowed; 1e3 is a float")
  T.eq(dump(t, "z"), "integer:8 integer:9", "quoted number with spaces")
end

do -- quoted empty and blank cells are holes
  local t = data.read_csv(p("blanks.csv"))
  T.eq(dump(t, "a"), "nil integer:1", "quoted empty cell is a hole")
  T.eq(dump(t, "b"), "nil integer:2", "blank cell is a hole; column stays numeric")
end

do -- "nan" among strings is just a string
  local t = data.read_csv(p("nan_in_strings.csv"))
  T.eq(dump(t, "nick"), "string:nan string:Bob", "nan in a string column")
end

do -- forced types
  local t = data.read_csv(p("forced.csv"))
  T.eq(dump(t, "code"), "integer:7 integer:10 nil", "inferred: codes become numbers")
  T.eq(dump(t, "qty"), "string:10 string:x string:12", "inferred: one text cell makes a string column")
  local u = data.read_csv(p("forced.csv"), { types = { code = "string" } })
  T.eq(dump(u, "code"), "string:007 string:010 nil", "forced string keeps leading zeros")
  T.eq(dump(u, "id"), "integer:1 integer:2 integer:3", "other columns still inferred")
  local v = data.read_csv(p("years.csv"), { types = { value = "number", label = "string" } })
  T.eq(dump(v, "value"), "float:1.5 float:2.5 integer:3", "forced number on a numeric column")
end

------------------------------------------------------------------------------
-- read_csv: errors (exact text after the script location)
------------------------------------------------------------------------------
T.raises(function() data.read_csv(p("missing.csv")) end,
  "cannot open '" .. p("missing.csv") .. "': No such file or directory", "missing file")
T.raises(function() data.read_csv("tests/data/csv") end,
  "cannot open 'tests/data/csv': Is a directory", "directory")
for _, f in ipairs { "empty.csv", "blank_only.csv", "bom_only.csv" } do
  T.raises(function() data.read_csv(p(f)) end, p(f) .. ": empty file (no header row)", f)
end
T.raises(function() data.read_csv(p("dup_header.csv")) end,
  p("dup_header.csv") .. ":1:3: duplicate column name 'a'", "duplicate header")
T.raises(function() data.read_csv(p("empty_header.csv")) end,
  p("empty_header.csv") .. ":1:2: empty column name", "empty header cell")
T.raises(function() data.read_csv(p("reserved.csv")) end,
  p("reserved.csv") .. ":1:2: column name 'n' is reserved (it would hide t.n)", "reserved name")
T.raises(function() data.read_csv(p("ragged_short.csv")) end,
  p("ragged_short.csv") .. ":3: expected 3 fields, found 2", "short row")
T.raises(function() data.read_csv(p("ragged_long.csv")) end,
  p("ragged_long.csv") .. ":4: expected 3 fields, found 4", "long row (blank line not counted)")
T.raises(function() data.read_csv(p("ragged_after_multiline.csv")) end,
  p("ragged_after_multiline.csv") .. ":4: expected 2 fields, found 1", "row counts records, not lines")
local malformed = "malformed CSV: error parsing data while strict checking enabled"
T.raises(function() data.read_csv(p("malformed_quote.csv")) end,
  p("malformed_quote.csv") .. ":3: " .. malformed, "quote inside an unquoted field")
T.raises(function() data.read_csv(p("malformed_after_quote.csv")) end,
  p("malformed_after_quote.csv") .. ":3: " .. malformed, "text after a closing quote")
T.raises(function() data.read_csv(p("unterminated.csv")) end,
  p("unterminated.csv") .. ":3: " .. malformed, "unterminated quote at end of file")
T.raises(function() data.read_csv(p("nonfinite_nan.csv")) end,
  p("nonfinite_nan.csv") .. ":3:2: non-finite value 'NaN' in column 'ret'", "NaN")
T.raises(function() data.read_csv(p("nonfinite_inf.csv")) end,
  p("nonfinite_inf.csv") .. ":4:2: non-finite value '-Infinity' in column 'ret'", "-Infinity")
T.raises(function() data.read_csv(p("nonfinite_overflow.csv")) end,
  p("nonfinite_overflow.csv") .. ":2:2: non-finite value '1e999' in column 'ret'", "overflow to inf")
T.raises(function() data.read_csv(p("forced.csv"), { types = { qty = "number" } }) end,
  p("forced.csv") .. ":3:3: column 'qty' expects a number, got 'x'", "forced number")
T.raises(function() data.read_csv(p("forced_nonfinite.csv"), { types = { qty = "number" } }) end,
  p("forced_nonfinite.csv") .. ":2:3: non-finite value 'inf' in column 'qty'", "forced number, inf")
T.ok(pcall(data.read_csv, p("forced_nonfinite.csv"), { types = { qty = "string" } }),
  "forced string accepts inf")
T.raises(function() data.read_csv(p("forced.csv"), { types = { zzz = "number" } }) end,
  p("forced.csv") .. ": no column 'zzz' (columns: id, code, qty)", "unknown column in opts.types")

------------------------------------------------------------------------------
-- read_csv: gzip, and the formats it refuses (whole messages, this line blamed)
------------------------------------------------------------------------------
do -- a real published file (skfolio's S&P 500 prices); the figures below come
   -- from zcat and from Python's gzip + csv modules, summing in row order
  local sp = "data/skfolio/sp500_dataset.csv.gz"
  local t = data.read_csv(sp)
  T.eq(t.n, 8313, "sp500: rows")
  T.eq(#t.columns, 21, "sp500: columns")
  T.eq(table.concat(t.columns, ",", 1, 4) .. "," .. t.columns[21], "Date,AAPL,AMD,BAC,XOM", "sp500: header")
  T.eq(t.file, sp, "sp500: t.file is the path as given")
  T.eq(t.Date[1], "1990-01-02", "sp500: first date")
  T.eq(t.AAPL[1], 0.264, "sp500: first AAPL")
  T.eq(t.GE[1], 14.391, "sp500: first GE")
  T.eq(t.Date[8313], "2022-12-28", "sp500: last date")
  T.eq(t.UNH[8313], 524.422, "sp500: last UNH")
  T.eq(t.XOM[8313], 106.627, "sp500: last XOM")
  local function sum(col)
    local s = 0.0
    for i = 1, t.n do s = s + col[i] end
    return s
  end
  T.eq(sum(t.AAPL), 166487.95299999986, "sp500: AAPL column sum")
  T.eq(sum(t.XOM), 289146.0249999997, "sp500: XOM column sum")
  T.eq(sum(t.JPM), 315263.03000000055, "sp500: JPM column sum")
  -- what takes a read_csv table takes a .csv.gz: folio.returns
  if data.returns then
    local r = data.returns(t)
    T.eq(r.n, 8312, "sp500 returns: rows")
    T.eq(r.AAPL[1], 0.266 / 0.264 - 1, "sp500 returns: first AAPL return")
  end
end

do -- gzip with a BOM, quoted commas and quotes, CRLF line ends and a CRLF in quotes
  local t = data.read_csv(p("quoted_crlf.csv.gz"))
  T.eq(table.concat(t.columns, ","), "id,name,amount", "gz: header, BOM stripped")
  T.eq(dump(t, "amount"), "float:10.5 integer:-3 integer:7", "gz: numbers")
  T.eq(t.name[1], "Smith, J.", "gz: quoted comma")
  T.eq(t.name[2], 'says "hi"', "gz: doubled quotes")
  T.eq(t.name[3], "two\r\nlines", "gz: CRLF inside quotes")
  -- the magic bytes decide, not the name
  local u = data.read_csv(p("gzip_named.csv"))
  T.eq(u.n .. " " .. u.name[1], "3 Smith, J.", "gzip named .csv is read as gzip")
  local v = data.read_csv(p("plain_named.csv.gz"))
  T.eq(dump(v, "b"), "integer:2 integer:4", "plain text named .csv.gz is read as text")
  local w = data.read_csv(p("members.csv.gz"))
  T.eq(dump(w, "a"), "integer:1 integer:3", "two gzip members read as one file (as gzip -d does)")
end

local reads = "; folio reads plain CSV and gzip (.csv.gz)"
T.raises_exact(function() data.read_csv(p("compressed.csv.bz2")) end,
  "read_csv: '" .. p("compressed.csv.bz2") .. "' is bzip2-compressed" .. reads, "bzip2 refused")
T.raises_exact(function() data.read_csv(p("compressed.csv.xz")) end,
  "read_csv: '" .. p("compressed.csv.xz") .. "' is xz-compressed" .. reads, "xz refused")
T.raises_exact(function() data.read_csv(p("compressed.csv.zst")) end,
  "read_csv: '" .. p("compressed.csv.zst") .. "' is zstd-compressed" .. reads, "zstd refused")
T.raises_exact(function() data.read_csv(p("workbook.xlsx")) end,
  "read_csv: '" .. p("workbook.xlsx") .. "' is a zip archive (as .xlsx workbooks are)" .. reads, "zip refused")
T.raises_exact(function() data.read_csv(p("utf16.csv")) end,
  "read_csv: '" .. p("utf16.csv") .. "' is UTF-16 text (save it as UTF-8)" .. reads, "UTF-16 refused")
T.raises_exact(function() data.read_csv(p("nul.csv")) end,
  "read_csv: '" .. p("nul.csv") .. "' is not text (a NUL byte at byte 6)" .. reads, "a NUL byte in the first block")
T.raises_exact(function() data.read_csv(p("nul_inside.csv.gz")) end, "read_csv: '" .. p("nul_inside.csv.gz")
  .. "' is gzip-compressed, and what it holds is not text (a NUL byte at byte 6)" .. reads, "gzip of a binary")
T.raises_exact(function() data.read_csv(p("truncated.csv.gz")) end,
  "read_csv: '" .. p("truncated.csv.gz") .. "' is truncated: its gzip data ends early", "truncated gzip")
T.raises_exact(function() data.read_csv(p("corrupt.csv.gz")) end,
  "read_csv: '" .. p("corrupt.csv.gz") .. "' has corrupt gzip data (incorrect data check)", "gzip with a bad CRC")
T.raises_exact(function() data.read_csv(p("trailing.csv.gz")) end,
  "read_csv: '" .. p("trailing.csv.gz") .. "' has data after the end of its gzip stream", "junk after the stream")

-- a NUL byte in a cell past the first block (where the file looked like
-- text): a numeric prefix such as "1\0z" once left a value on the Lua
-- stack per column, and 300 such columns crashed the reader
local nul_row = "tests/data/csv/nul_cells.csv.gz:122:1: a NUL byte in the field: the file is not text" .. reads
T.raises_exact(function() data.read_csv(p("nul_cells.csv.gz")) end, nul_row, "NUL cells, gzip")
do
  local cols, ok, bad = {}, {}, {}
  for i = 1, 300 do cols[i], ok[i], bad[i] = "c" .. i, tostring((i - 1) % 10), "1\0z" end
  local tmp = os.tmpname()
  local f = assert(io.open(tmp, "wb"))
  f:write(table.concat(cols, ","), "\n", string.rep(table.concat(ok, ",") .. "\n", 120), table.concat(bad, ","), "\n")
  f:close()
  local msg = tmp .. ":122:1: a NUL byte in the field: the file is not text" .. reads
  T.raises_exact(function() data.read_csv(tmp) end, msg, "NUL cells, plain")
  os.remove(tmp)
end

-- argument checks
T.raises(function() data.read_csv() end, "(string expected, got no value)", "no path")
T.raises(function() data.read_csv(p("basic.csv"), 5) end, "(table expected, got number)", "opts type")
T.raises(function() data.read_csv(p("basic.csv"), { delim = ",," }) end,
  "(opts.delim must be a one-character string (not a quote or newline))", "long delim")
T.raises(function() data.read_csv(p("basic.csv"), { delim = '"' }) end,
  "(opts.delim must be a one-character string (not a quote or newline))", "quote as delim")
T.raises_exact(function() data.read_csv(p("basic.csv"), { typez = {} }) end,
  "read_csv: unknown option 'typez' (did you mean 'types'? options: delim, types)", "unknown option")
T.raises_exact(function() data.read_csv(p("basic.csv"), { ";" }) end,
  "read_csv: option names must be strings (got a number key)", "positional option")
T.raises(function() data.read_csv(p("basic.csv"), { types = { count = "int" } }) end,
  "(opts.types['count'] must be \"number\" or \"string\")", "bad type name")
T.raises(function() data.read_csv(p("basic.csv"), { types = "number" }) end,
  "(opts.types must be a table {column = \"number\"|\"string\"})", "types not a table")

------------------------------------------------------------------------------
-- index
------------------------------------------------------------------------------
do
  local t = data.read_csv(p("years.csv"))
  local E = data.index(t, "year", "value")
  T.eq(count_keys(E), 3, "index: one entry per row")
  T.eq(E[2020], 1.5, "index: integer keys")
  T.eq(E[2022], 3, "index: value")
  T.eq(math.type(next(E)), "integer", "index: keys keep their type")
  local R = data.index(t, "label")
  T.eq(R.a, 1, "index without valcol: row number")
  T.eq(R.c, 3, "index without valcol: last row")
  T.eq(t.value[R.b], 2.5, "row number indexes the columns")
  local S = data.index(data.read_csv(p("basic.csv")), "segment", "note")
  T.eq(S.autos, 'says "hi"', "index: string values")
end

T.raises(function() data.index(data.read_csv(p("years.csv")), "nope", "value") end,
  p("years.csv") .. ": no column 'nope' (columns: year, value, label)", "index: unknown key column")
T.raises(function() data.index(data.read_csv(p("years.csv")), "year", "nope") end,
  p("years.csv") .. ": no column 'nope' (columns: year, value, label)", "index: unknown value column")
T.raises(function() data.index(data.read_csv(p("dupkey.csv")), "key", "val") end,
  p("dupkey.csv") .. ":4: duplicate key 'a' in column 'key'", "index: duplicate key")
T.raises(function() data.index(data.read_csv(p("dupkey.csv")), "key") end,
  p("dupkey.csv") .. ":4: duplicate key 'a' in column 'key'", "index: duplicate key, no valcol")
T.raises(function() data.index(data.read_csv(p("emptykey.csv")), "key", "val") end,
  p("emptykey.csv") .. ":3:1: empty key in column 'key'", "index: empty key")
T.raises(function() data.index(data.read_csv(p("emptyval.csv")), "key", "val") end,
  p("emptyval.csv") .. ":3:2: empty value in column 'val'", "index: empty value")
T.raises(function() data.index(data.read_csv(p("basic.csv")), "segment", "exposure") end,
  p("basic.csv") .. ":5:2: empty value in column 'exposure'", "index: hole in value column")

-- plain tables: "<table>" and data row numbers
T.raises(function() data.index({ a = { "x", "y", "x" }, b = { 1, 2, 3 } }, "a", "b") end,
  "<table>:3: duplicate key 'x' in column 'a'", "plain: duplicate key")
T.raises(function() data.index({ a = { "x", nil, "z" }, b = { 1, 2, 3 }, n = 3 }, "a", "b") end,
  "<table>:2: empty key in column 'a'", "plain: empty key")
T.raises(function() data.index({ a = { "x", "y", "z" }, b = { 1, nil, 3 }, n = 3 }, "a", "b") end,
  "<table>:2: empty value in column 'b'", "plain: empty value")
T.raises(function() data.index({ a = { "x" }, b = { 1 } }, "c", "b") end,
  "<table>: no column 'c' (columns: a, b)", "plain: unknown column")
T.raises(function() data.index({ columns = { "a", "b" }, a = { "x", "y" }, b = { 1 }, n = 2 }, "a", "b") end,
  "<table>:2:2: empty value in column 'b'", "plain with columns: field number")
do
  local M = data.index({ a = { "x", "y" }, b = { 10, 20 } }, "a", "b")
  T.eq(M.y, 20, "plain: value")
end
T.raises(function() data.index(nil, "a") end, "(table expected, got nil)", "index: no table")
T.raises(function() data.index({}, nil) end, "(string expected, got nil)", "index: no key column")

------------------------------------------------------------------------------
-- read_json / write_json
------------------------------------------------------------------------------
do
  local j = data.read_json(p("good.json"))
  T.eq(j.name, "book", "json: string")
  T.eq(j.limits.max, 0.5, "json: float")
  T.eq(j.limits.n, 10, "json: number")
  T.eq(math.type(j.limits.n), "integer", "json: integral numbers become integers")
  T.eq(math.type(j.list[2]), "float", "json: 2.5 stays a float")
  T.eq(j.list[3], data.json_null, "json: null decodes to json_null")
  T.eq(type(j.list[3]), "userdata", "json: json_null is a light userdata")
  T.eq(j.list[4], "x", "json: array after a null")
  T.eq(j.flag, true, "json: boolean")
  T.eq(data.read_json(p("scalar.json")), 42, "json: scalar document")
  T.eq(math.type(data.read_json(p("scalar.json"))), "integer", "json: scalar integer")
end
T.raises(function() data.read_json(p("none.json")) end,
  "cannot open '" .. p("none.json") .. "': No such file or directory", "json: missing file")
T.raises(function() data.read_json(p("bad.json")) end,
  p("bad.json") .. ": invalid JSON: expected a value, found ',' at line 1, column 13", "json: syntax")
T.raises(function() data.read_json(p("nan.json")) end,
  p("nan.json") .. ": invalid JSON: expected a value, found 'N' at line 1, column 7", "json: NaN")
T.raises(function() data.read_json(p("empty.json")) end,
  p("empty.json") .. ": invalid JSON: expected a value, found the end of the text at line 1, column 1", "json: empty")

-- the decoder (ljson_decode.c) against RFC 8259, one case per rule
do
  local dec = data.json_decode or require("folio.core").json_decode
  T.eq(dec('"a\\u00e9\\u20ac\\ud83d\\ude00"'), "a\u{e9}\u{20ac}\u{1f600}", "json: \\u escapes and a surrogate pair to UTF-8")
  T.eq(dec('"\\"\\\\\\/\\b\\f\\n\\r\\t"'), '"\\/\b\f\n\r\t', "json: the short escapes")
  T.eq(dec("-0.5e2"), -50, "json: exponent")
  T.eq(math.type(dec("1e3")), "integer", "json: 1e3 is the integer 1000")
  T.eq(dec("1.7976931348623157e308"), 1.7976931348623157e308, "json: the largest double")
  T.eq(dec("0.1"), 0.1, "json: 0.1 reads as the nearest double")
  T.eq(next(dec(" \t\r\n[ ]\n")), nil, "json: whitespace and an empty array")
  T.eq(dec('{"k": 1, "k": 2}').k, 2, "json: a repeated key, the last holds")
  T.eq(dec('\239\187\191{"a": 1}').a, 1, "json: a UTF-8 byte order mark")
  T.eq(dec(string.rep("[", 1000) .. string.rep("]", 1000))[1][1][1] ~= nil, true, "json: 1000 levels")
  local bad = {
    { "1e999", "number out of range at line 1, column 1" },
    { "01", "more text after the value at line 1, column 2" },
    { "-", "expected a value, found '-' at line 1, column 1" },
    { "1.", "malformed number (a digit must follow '.') at line 1, column 1" },
    { "2e+", "malformed number (a digit must follow the exponent) at line 1, column 1" },
    { "+1", "expected a value, found '+' at line 1, column 1" },
    { "0x10", "more text after the value at line 1, column 2" },
    { "Infinity", "expected a value, found 'I' at line 1, column 1" },
    { "[1,]", "expected a value, found ']' at line 1, column 4" },
    { '{"a" 1}', "expected ':', found '1' at line 1, column 6" },
    { "{a: 1}", "expected a key in quotes, found 'a' at line 1, column 2" },
    { '{"a": 1,\n "b": 2', "expected ',' or '}', found the end of the text at line 2, column 8" },
    { '"abc', "string not closed at line 1, column 1" },
    { '"a\tb"', "control character in a string (escape it) at line 1, column 3" },
    { '"\\x"', "unknown escape in a string at line 1, column 2" },
    { '"\\u12"', "\\u needs four hex digits at line 1, column 4" },
    { '"\\ud800"', "unpaired surrogate \\u escape at line 1, column 2" },
    { '"\\udc00"', "unpaired surrogate \\u escape at line 1, column 2" },
    { "tru", "expected a value, found 't' at line 1, column 1" },
    { "[1] 2", "more text after the value at line 1, column 5" },
    { "\0", "expected a value, found byte 0x00 at line 1, column 1" },
    { string.rep("[", 1001) .. string.rep("]", 1001), "nested more than 1000 deep at line 1, column 1001" },
  }
  for _, c in ipairs(bad) do
    T.raises(function() dec(c[1]) end, "json_decode: invalid JSON: " .. c[2], "json: rejects " .. c[1]:sub(1, 12))
  end
end

do
  local tmp = os.tmpname()
  local value = { name = "x/y", w = { 0.25, 0.75 }, n = 3, nested = { ok = true, list = { 1, 2 } } }
  data.write_json(tmp, value)
  local back = data.read_json(tmp)
  T.eq(back.name, "x/y", "round trip: string")
  T.eq(back.w[2], 0.75, "round trip: array")
  T.eq(back.n, 3, "round trip: integer")
  T.eq(back.nested.list[2], 2, "round trip: nested")
  local f = assert(io.open(tmp, "rb"))
  local text = f:read("a")
  f:close()
  T.eq(text:find("\n", 1, true), #text, "compact: one line, newline-terminated")

  data.write_json(tmp, { a = { b = { 1, 2 } }, e = {} }, { indent = 2 })
  f = assert(io.open(tmp, "rb"))
  text = f:read("a")
  f:close()
  T.ok(text:find('\n  "a": {\n    "b": [\n      1,\n      2\n    ]\n  }', 1, true) ~= nil, "indent 2 layout")
  T.ok(text:find('"e": {}', 1, true) ~= nil, "indent: empty table stays {}")
  T.eq(data.read_json(tmp).a.b[2], 2, "indented output reads back")

  -- a failed encode leaves the existing file untouched
  T.raises(function() data.write_json(tmp, { bad = 0 / 0 }) end,
    "cannot encode JSON for '" .. tmp .. "': non-finite number at $.bad", "encode NaN")
  T.raises(function() data.write_json(tmp, { f = print }) end,
    "cannot encode JSON for '" .. tmp .. "': a function value at $.f", "encode function")
  T.eq(data.read_json(tmp).a.b[1], 1, "file unchanged after a failed write")
  os.remove(tmp)
  T.raises(function() data.write_json(tmp, { x = { 1, 1 / 0 } }) end, "non-finite number at $.x[2]", "encode inf")
  -- keys come out sorted and numbers exactly, so equal inputs give equal bytes
  data.write_json(tmp, { zeta = 0.1, alpha = 1 / 3, mid = { b = 2, a = 1 }, big = 2 ^ 60, whole = 3.0 })
  f = assert(io.open(tmp, "rb"))
  text = f:read("a")
  f:close()
  T.eq(text, '{"alpha":0.33333333333333331,"big":1.152921504606847e+18,"mid":{"a":1,"b":2},"whole":3.0,"zeta":0.1}\n',
    "sorted keys, round-trip numbers")
  T.eq(data.read_json(tmp).alpha, 1 / 3, "1/3 reads back exactly")
  os.remove(tmp)
  T.eq(io.open(tmp, "rb"), nil, "nothing written after a failed encode")
end
T.raises(function() data.write_json("/nonexistent-folio-dir/out.json", { 1 }) end,
  "cannot write '/nonexistent-folio-dir/out.json': No such file or directory", "write into a missing dir")
T.raises(function() data.write_json("tests/data/csv", { 1 }) end,
  "cannot write 'tests/data/csv': Is a directory", "write over a directory")
T.raises(function() data.write_json("x.json") end, "(value expected)", "write_json: no value")
T.raises_exact(function() data.write_json("x.json", 1, { indnt = 2 }) end,
  "write_json: unknown option 'indnt' (did you mean 'indent'? options: indent)", "write_json: unknown option")
T.raises_exact(function() data.write_json("x.json", 1, { indent = -1 }) end,
  "write_json: indent must be an integer in 0..16 (got -1)", "write_json: bad indent")
T.raises_exact(function() data.write_json("x.json", 1, { indent = 2.5 }) end,
  "write_json: indent must be an integer in 0..16 (got 2.5)", "write_json: fractional indent")

T.done()
