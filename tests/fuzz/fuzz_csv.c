/* Fuzz target: folio.read_csv (src/lua/ldata.c) and folio.index on what it
 * returns. The first byte picks the options (delimiter, a forced column
 * type); the rest is the file. */
#include "fuzz.h"

#include <lauxlib.h>

static const char harness[] =
    "local path, mode = ...\n"
    "local delims = { ',', ';', '\\t', '|' }\n"
    "local opts = { delim = delims[mode % 4 + 1] }\n"
    "local ok, t = pcall(folio.read_csv, path, opts)\n"
    "if not ok then\n"
    "  if type(t) ~= 'string' then FUZZ_FAIL('read_csv raised a ' .. type(t)) end\n"
    "  return\n"
    "end\n"
    "if math.type(t.n) ~= 'integer' or t.n < 0 then FUZZ_FAIL('bad t.n') end\n"
    "if type(t.columns) ~= 'table' or #t.columns < 1 then FUZZ_FAIL('no columns') end\n"
    "for _, name in ipairs(t.columns) do\n"
    "  local col = t[name]\n"
    "  if type(col) ~= 'table' then FUZZ_FAIL('column ' .. name .. ' is a ' .. type(col)) end\n"
    "  local kind\n"
    "  for i, v in pairs(col) do\n"
    "    if math.type(i) ~= 'integer' or i < 1 or i > t.n then FUZZ_FAIL('row index ' .. tostring(i)) end\n"
    "    local k = type(v)\n"
    "    if k ~= 'number' and k ~= 'string' then FUZZ_FAIL('a ' .. k .. ' cell') end\n"
    "    if k == 'number' and (v ~= v or v == math.huge or v == -math.huge) then FUZZ_FAIL('non-finite cell') end\n"
    "    if kind and kind ~= k then FUZZ_FAIL('mixed column ' .. name) end\n"
    "    kind = k\n"
    "  end\n"
    "end\n"
    "pcall(folio.index, t, t.columns[1], t.columns[#t.columns])\n"
    "pcall(folio.index, t, t.columns[1])\n"
    "-- the first column forced to a type\n"
    "opts.types = { [t.columns[1]] = mode & 4 ~= 0 and 'number' or 'string' }\n"
    "pcall(folio.read_csv, path, opts)\n";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1) return 0;
    lua_State *L = fuzz_state();
    const char *path = fuzz_file(data + 1, size - 1, ".csv");
    fuzz_push_lua(L, "=fuzz_csv", harness);
    lua_pushstring(L, path);
    lua_pushinteger(L, data[0]);
    fuzz_pcall(L, 2);
    fuzz_done(L);
    return 0;
}
