/* Fuzz target: the JSON reader (folio.read_json and core.json_decode,
 * src/lua/ljson_decode.c) and the encoder (core.json_encode,
 * src/lua/ljson.c) on what was decoded. The input is the JSON text.
 * Invariants: read_json and json_decode agree on whether the text is
 * JSON, and encoding is stable: decode(encode(v)) encodes the same. */
#include "fuzz.h"

static const char harness[] =
    "local text, path = ...\n"
    "local core = require 'folio.core'\n"
    "local ok, v = pcall(core.json_decode, text)\n"
    "local ok_file, v_file = pcall(core.read_json, path)\n"
    "if ok ~= ok_file and not tostring(ok and v_file or v):find('memory') then\n"
    "  FUZZ_FAIL(('json_decode %s but read_json %s'):format(ok and 'accepts' or 'refuses', ok_file and 'accepts' or 'refuses'))\n"
    "end\n"
    "if not ok then return end\n"
    "local ok_enc, e1 = pcall(core.json_encode, v)\n"
    "if not ok_enc then return end\n"
    "local ok_dec, w = pcall(core.json_decode, e1)\n"
    "if not ok_dec then FUZZ_FAIL('json_decode refuses what json_encode wrote: ' .. tostring(w) .. '\\n' .. e1) end\n"
    "local e2 = core.json_encode(w)\n"
    "if e1 ~= e2 then FUZZ_FAIL('encoding is not stable:\\n' .. e1 .. '\\n' .. e2) end\n";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    lua_State *L = fuzz_state();
    const char *path = fuzz_file(data, size, ".json");
    fuzz_push_lua(L, "=fuzz_json", harness);
    lua_pushlstring(L, (const char *)data, size);
    lua_pushstring(L, path);
    fuzz_pcall(L, 2);
    fuzz_done(L);
    return 0;
}
