/* Fuzz target: the deployment loader (lua/folio/deploy.lua D.load) on a
 * config file: read, validated against the schema, ${ENV} expanded, paths
 * resolved. The input is the config text, then optional --set values,
 * each after a NUL byte. A text that starts with '{' or '[' (after white
 * space) is a JSON config, anything else a Lua config (.deploy.lua), run
 * under an instruction budget as the host plans a deployment
 * (src/cli/deploy.c). Any Lua error is a refusal; the loader must not
 * crash, and a config it accepts has the fields the host relies on. */
#include "fuzz.h"

#include <lauxlib.h>
#include <string.h>

#include "../../src/lua/lsandbox.h"

#define FUZZ_INSTRUCTIONS 2000000LL   /* the host allows 1e8; a config is data */
#define MAX_SETS 8

static const char harness[] =
    "local path, sets, as_lua = ...\n"
    "local D = require 'folio.deploy'\n"
    "local ok, cfg = pcall(D.load, path, sets, as_lua)\n"
    "if not ok then\n"
    "  if type(cfg) ~= 'string' then FUZZ_FAIL('D.load raised a ' .. type(cfg)) end\n"
    "  return\n"
    "end\n"
    "if type(cfg) ~= 'table' then FUZZ_FAIL('D.load returned a ' .. type(cfg)) end\n"
    "for _, k in ipairs { 'model', 'name', 'config_path', 'config_sha256' } do\n"
    "  if type(cfg[k]) ~= 'string' then FUZZ_FAIL('cfg.' .. k .. ' is a ' .. type(cfg[k])) end\n"
    "end\n"
    "for _, k in ipairs { 'data', 'read_dirs', 'params', 'solver', 'sandbox', 'outputs' } do\n"
    "  if type(cfg[k]) ~= 'table' then FUZZ_FAIL('cfg.' .. k .. ' is a ' .. type(cfg[k])) end\n"
    "end\n"
    "if type(cfg.outputs.dir) ~= 'string' then FUZZ_FAIL('cfg.outputs.dir is not a string') end\n"
    "pcall(D.encode, cfg, { index = 0 })\n";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint8_t *nul = memchr(data, 0, size);
    size_t cfg_len = nul ? (size_t)(nul - data) : size;
    size_t k = 0;
    while (k < cfg_len && strchr(" \t\r\n", data[k])) k++;
    int as_lua = !(k < cfg_len && (data[k] == '{' || data[k] == '['));

    lua_State *L = fuzz_state();
    const char *path = fuzz_file(data, cfg_len, as_lua ? ".deploy.lua" : ".json");
    fuzz_push_lua(L, "=fuzz_deploy", harness);
    lua_pushstring(L, path);
    lua_newtable(L);
    int nsets = 0;
    for (const uint8_t *p = nul; p && nsets < MAX_SETS;) {
        const uint8_t *start = p + 1, *end = data + size;
        p = memchr(start, 0, (size_t)(end - start));
        size_t len = (size_t)((p ? p : end) - start);
        /* what `folio run --set` lets through (src/cli/run.c) */
        if (len == 0 || start[0] == '=' || !memchr(start, '=', len)) continue;
        lua_pushlstring(L, (const char *)start, len);
        lua_rawseti(L, -2, ++nsets);
    }
    lua_pushboolean(L, as_lua);
    folio_sandbox_set_budget(L, FUZZ_INSTRUCTIONS, 0);
    fuzz_pcall(L, 3);
    folio_sandbox_set_budget(L, 0, 0);
    fuzz_done(L);
    return 0;
}
