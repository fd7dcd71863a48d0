/* Fuzz target: the model-building DSL (folio.model and its methods,
 * expressions, families, quad, solve, results, write/read; src/lua/lmodel.c,
 * lexpr.c, lfamily.c, lresult.c and the core beneath). A small interpreter
 * (below, in Lua) turns the bytes into calls: each byte chooses an
 * operation and the next ones its arguments (names, sets, numbers from a
 * table of awkward values, relations, kinds, solvers). Each call runs in
 * pcall: errors are the DSL's answers; crashes, sanitizer reports and
 * broken invariants (an "optimal" result without a finite objective, a
 * value that is not a number) are findings. Replaying an input with
 * FUZZ_DSL_DUMP=/tmp/m writes the model of each solve to /tmp/m1.lp, ...
 */
#include "fuzz.h"

#include <stdio.h>
#include <string.h>

static const char harness[] =
    "local data, scratch = ...\n"
    "local pos, nsolve = 0, 0\n"
    "local function byte() pos = pos + 1; return data:byte(pos) or 0 end\n"
    "local function pick(list) if #list == 0 then return nil end return list[byte() % #list + 1] end\n"
    "local VALUES = { 0, 1, -1, 2, 0.5, -0.5, 10, 1e-9, 1e9, 1e300, -1e300, math.huge, -math.huge, 0 / 0,\n"
    "  3.7, 1e-300, 100, -100, 0.25, 1e15, 1e308, 10.5, -2.5, 7 }\n"
    "local function num() return VALUES[byte() % #VALUES + 1] end\n"
    "local NAMES = { 'x', 'y', 'z', 'w', 'c', 'x[1]', 'a b', 'r.1', '', ('n'):rep(300), 'x', 'y' }\n"
    "local SETS = { { 'a' }, { 'a', 'b' }, { 'a', 'b', 'c' }, { 1, 2, 3, 4 }, {}, { 'b', 'a' } }\n"
    "local KINDS = { 'continuous', 'integer', 'binary', 'continuous', 'bogus' }\n"
    "local RELS = { '<=', '>=', '==', '<=', '>=', '=<' }\n"
    "local SOLVERS = { 'glpk', 'cbc', 'qp', false, 'nope' }\n"
    "\n"
    "local m = folio.model(pick(NAMES))\n"
    "local vars, fams, exprs, results, rows = {}, {}, {}, {}, {}\n"
    "local function operand()\n"
    "  local c = byte() % 4\n"
    "  if c == 0 then return pick(exprs) or num() elseif c == 1 then return pick(vars) or num()\n"
    "  elseif c == 2 then local f = pick(fams); return f and f.sum or num() end\n"
    "  return num()\n"
    "end\n"
    "local function opts()\n"
    "  local o, c = {}, byte()\n"
    "  if c & 1 ~= 0 then o.lb = num() end\n"
    "  if c & 2 ~= 0 then o.ub = num() end\n"
    "  if c & 4 ~= 0 then o.kind = pick(KINDS) end\n"
    "  if c & 8 ~= 0 then o.lb = function() return num() end end\n"
    "  return o\n"
    "end\n"
    "local function members(f, out)\n"
    "  for _, v in pairs(f) do\n"
    "    if type(v) == 'table' and getmetatable(v) == nil then members(v, out) else out[#out + 1] = v end\n"
    "  end\n"
    "  return out\n"
    "end\n"
    "local function numbers(v)\n"
    "  if type(v) ~= 'table' then return math.type(v) ~= nil end\n"
    "  for _, x in pairs(v) do if not numbers(x) then return false end end\n"
    "  return true\n"
    "end\n"
    "local function add_family(f)\n"
    "  local list = members(f, {})\n"
    "  for _, v in ipairs(list) do vars[#vars + 1] = v end\n"
    "  fams[#fams + 1] = { f = f, sum = folio.sum(f), list = list }\n"
    "end\n"
    "\n"
    "local ops = {\n"
    "  function() vars[#vars + 1] = m:var(pick(NAMES), opts()) end,\n"
    "  function() add_family(m:var(pick(NAMES), pick(SETS), opts())) end,\n"
    "  function() add_family(m:var(pick(NAMES), { pick(SETS), pick(SETS) }, opts())) end,\n"
    "  function()\n"
    "    local a, b, c = operand(), operand(), byte() % 7\n"
    "    local e\n"
    "    if c == 0 then e = a + b elseif c == 1 then e = a - b elseif c == 2 then e = num() * a\n"
    "    elseif c == 3 then e = a * b elseif c == 4 then e = -a elseif c == 5 then e = a / num()\n"
    "    else local f = pick(fams); if f then e = folio.sum(f.list[1] and { f.list[1], a } or { a }) end end\n"
    "    exprs[#exprs + 1] = e\n"
    "  end,\n"
    "  function() local name = pick(NAMES); m:st(name, operand(), pick(RELS), operand()); rows[#rows + 1] = name end,\n"
    "  function() local name = pick(NAMES); m:st(name, num(), '<=', operand(), '<=', num()); rows[#rows + 1] = name end,\n"
    "  function()\n"
    "    local f, rel, rhs = pick(fams), pick(RELS), num()\n"
    "    if not f then return end\n"
    "    local S = pick(SETS)\n"
    "    local name = pick(NAMES)\n"
    "    m:st(name, S, function(s) local v = f.list[(#tostring(s) + byte()) % (#f.list + 1)]\n"
    "      if v then return v, rel, rhs end end)\n"
    "    rows[#rows + 1] = name\n"
    "  end,\n"
    "  function() m:soc(pick(NAMES), { operand(), operand() }, '<=', operand()) end,\n"
    "  function() if byte() % 2 == 0 then m:minimize(operand()) else m:maximize(operand()) end end,\n"
    "  function()\n"
    "    local f = pick(fams)\n"
    "    if not f then return end\n"
    "    local n, S = #f.list, {}\n"
    "    for i = 1, n do S[i] = {}; for j = 1, n do S[i][j] = (i == j) and math.abs(num()) or 0 end end\n"
    "    if n > 0 then exprs[#exprs + 1] = folio.quad(f.list, S) end\n"
    "  end,\n"
    "  function()\n"
    "    if nsolve >= 3 then return end\n"
    "    nsolve = nsolve + 1\n"
    "    local solver = pick(SOLVERS)\n"
    "    local dump = os.getenv('FUZZ_DSL_DUMP')   -- replaying: the model of each solve, as LP\n"
    "    if dump then pcall(m.write, m, dump .. nsolve .. '.lp'); io.stderr:write('solve on ', tostring(solver), '\\n') end\n"
    "    local r = m:solve { solver = solver or nil, time_limit = 0.2, iteration_limit = 20000,\n"
    "                        mip_duals = byte() % 2 == 0, ranges = byte() % 2 == 0 }\n"
    "    if r.status == 'optimal' then\n"
    "      if not r.has_solution then FUZZ_FAIL('optimal without a solution') end\n"
    "      local o = r.objective\n"
    "      if type(o) ~= 'number' or o ~= o or o == math.huge or o == -math.huge then\n"
    "        FUZZ_FAIL('optimal with objective ' .. tostring(o))\n"
    "      end\n"
    "    end\n"
    "    results[#results + 1] = r\n"
    "  end,\n"
    "  function()\n"
    "    local r = pick(results)\n"
    "    if not r then return end\n"
    "    local c = byte() % 6\n"
    "    if c == 0 then\n"
    "      -- a number for an expression, a table of numbers for a (sub-)family\n"
    "      local v = r:value(operand())\n"
    "      if r.has_solution and not numbers(v) then FUZZ_FAIL('a value that is not a number') end\n"
    "    elseif c == 1 then r:dual(pick(rows) or 'x')\n"
    "    elseif c == 2 then r:ranges()\n"
    "    elseif c == 3 then r:rows(); r:columns()\n"
    "    elseif c == 4 then r:to_table()\n"
    "    else r:reduced_cost(pick(vars) or 1) end\n"
    "  end,\n"
    "  function()\n"
    "    local path = scratch .. (byte() % 2 == 0 and '.lp' or '.mps')\n"
    "    m:write(path)\n"
    "    folio.read_model(path)\n"
    "  end,\n"
    "  function() m:stats(); tostring(m); tostring(operand()) end,\n"
    "  function() do local closing <close> = m end end,\n"
    "}\n"
    "for _ = 1, 64 do\n"
    "  if pos >= #data then break end\n"
    "  local op = ops[byte() % #ops + 1]\n"
    "  local ok, err = pcall(op)\n"
    "  if not ok and type(err) ~= 'string' then FUZZ_FAIL('an error that is a ' .. type(err)) end\n"
    "end\n";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static char scratch[256];
    lua_State *L = fuzz_state();
    if (!scratch[0]) {
        /* registers the files for removal at exit */
        const char *lp = fuzz_file((const uint8_t *)"", 0, ".dsl.lp");
        fuzz_file((const uint8_t *)"", 0, ".dsl.mps");
        snprintf(scratch, sizeof scratch, "%.*s", (int)(strlen(lp) - 3), lp);
    }
    fuzz_push_lua(L, "=fuzz_dsl", harness);
    lua_pushlstring(L, (const char *)data, size);
    lua_pushstring(L, scratch);
    fuzz_pcall(L, 2);
    fuzz_done(L);
    return 0;
}
