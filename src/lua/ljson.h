/* Deterministic JSON encoding (sorted keys, round-trip numbers). */
#ifndef FOLIO_LJSON_H
#define FOLIO_LJSON_H

#include <lua.h>

/* Pushes the JSON text of the value at idx, newline-terminated, indented
 * by indent spaces per level (0: compact). Raises
 * "cannot encode JSON for 'WHAT': ... at $.path" for NaN, functions,
 * cycles and the like. */
void folio_json_encode(lua_State *L, int idx, int indent, const char *what);

#endif
