/* folio.core.cim (the gradient flow, lcim.c) and folio.core.ising (the
 * amplitude dynamics, lising.c): tables of functions over include/folio/cim.h. */
#ifndef FOLIO_LCIM_H
#define FOLIO_LCIM_H

#include <lua.h>

int luaopen_folio_cim(lua_State *L);
int luaopen_folio_ising(lua_State *L);

#endif
