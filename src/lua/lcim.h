/* folio.core.cim (the gradient flow, lcim.c) and folio.core.ising (the
 * amplitude dynamics, lising.c): tables of functions over include/folio/cim.h. */
#ifndef FOLIO_LCIM_H
#define FOLIO_LCIM_H

#include <lua.h>
#include <stddef.h>

int luaopen_folio_cim(lua_State *L);
int luaopen_folio_ising(lua_State *L);

/* Pushes v[0..n) as a Lua array (shared by both bindings). */
void lcim_push_numbers(lua_State *L, const double *v, size_t n);

#endif
