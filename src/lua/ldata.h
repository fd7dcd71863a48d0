/* folio data readers: CSV (libcsv) and JSON (lua-cjson) for Lua scripts.
 *
 * luaopen_folio_data() returns a table of functions the host exposes as
 * folio.read_csv, folio.index, folio.read_json, folio.write_json, plus
 * json_null (the value JSON null decodes to). See ldata.c for the contract.
 */
#ifndef FOLIO_LDATA_H
#define FOLIO_LDATA_H

#include <lua.h>

int luaopen_folio_data(lua_State *L);

#endif
