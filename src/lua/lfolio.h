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

/* folio's readers (read_csv, read_json, read_text, read_model,
 * sha256_file) refuse path from now on: "sandbox: reading 'PATH' is not
 * allowed (an output of this run)". For the outputs of a sandboxed run. */
void folio_lua_deny_read(lua_State *L, const char *path);

/* Pushes a read-only view of the table at idx (the value itself when it
 * is not a table or was passed to folio_lua_readonly_skip): reads go
 * through, tables read from it are views too, assignments raise
 * "sandbox: folio's tables are read-only (cannot set 'KEY')". One view
 * per table. */
void folio_lua_push_readonly(lua_State *L, int idx);
/* The table at idx is the script's own (folio.params): handed out as is. */
void folio_lua_readonly_skip(lua_State *L, int idx);
/* Makes env.require (of the table at env) return read-only views. */
void folio_lua_readonly_require(lua_State *L, int env);

#endif
