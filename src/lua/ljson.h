/* JSON: deterministic encoding (sorted keys, round-trip numbers) and a
 * decoder that keeps every byte in the Lua state. */
#ifndef FOLIO_LJSON_H
#define FOLIO_LJSON_H

#include <lua.h>

/* Pushes the JSON text of the value at idx, newline-terminated, indented
 * by indent spaces per level (0: compact). Raises
 * "cannot encode JSON for 'WHAT': ... at $.path" for NaN, functions,
 * cycles and the like. */
void folio_json_encode(lua_State *L, int idx, int indent, const char *what);

/* Pushes the value of the JSON text (RFC 8259): objects and arrays as
 * tables, null as a NULL light userdata (folio.json_null), whole numbers
 * that fit as integers. Raises "WHAT: invalid JSON: ... at line L,
 * column C"; memory errors propagate as they are. */
void folio_json_decode(lua_State *L, const char *text, size_t len, const char *what);

#endif
