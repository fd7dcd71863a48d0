/* Entry points of folio's Lua bindings. */
#ifndef FOLIO_LFOLIO_H
#define FOLIO_LFOLIO_H

#include <lua.h>
#include <lauxlib.h>
#include <stdio.h>

/* Registers folio.core in package.preload and the embedded lua/folio
 * sources as a searcher, so `require "folio"` works in this state. */
void folio_lua_install(lua_State *L);
int luaopen_folio_core(lua_State *L);
int luaopen_folio(lua_State *L);

#endif
