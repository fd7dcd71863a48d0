/* SHA-256 digests for run records (ldigest.c). */
#ifndef FOLIO_LDIGEST_H
#define FOLIO_LDIGEST_H

#include <lua.h>

int luaopen_folio_digest(lua_State *L);

#endif
