/* folio.core: the C functions behind the `folio` Lua module, and the
 * loader that serves the embedded lua/folio sources to `require`. */
#include "lfolio.h"
#include "laux.h"
#include "lexpr.h"
#include "lmodel.h"
#include "ldata.h"
#include "lstats.h"
#include "lcim.h"
#include "ltrade.h"
#include "lprogress.h"
#include "ldigest.h"
#include "folio/folio.h"

#include <string.h>

/* Generated at build time from the lua/folio sources (cmake/embed_lua.cmake). */
typedef struct embedded_module { const char *name, *path; const unsigned char *code; size_t len; } embedded_module;
extern const embedded_module folio_embedded_modules[];

/* Adds every field of the table at the top into the table at dst, pops it. */
static void merge_into(lua_State *L, int dst)
{
    lua_pushnil(L);
    while (lua_next(L, -2)) {
        lua_pushvalue(L, -2);
        lua_insert(L, -2);
        lua_rawset(L, dst);
    }
    lua_pop(L, 1);
}

static int l_backends(lua_State *L)
{
    lua_newtable(L);
    const char *const *b = folio_backends();
    for (int i = 0; b[i]; i++) {
        lua_pushstring(L, b[i]);
        lua_rawseti(L, -2, i + 1);
    }
    return 1;
}

/* folio.now(): monotonic wall-clock seconds, for timing in scripts and
 * benches (os.clock is CPU time, which counts every BLAS thread) */
static int l_now(lua_State *L)
{
    lua_pushnumber(L, folio_now());
    return 1;
}

static int l_docs(lua_State *L);

int luaopen_folio_core(lua_State *L)
{
    lua_newtable(L);
    int core = lua_gettop(L);
    luaopen_folio_expr(L);
    merge_into(L, core);
    luaopen_folio_model(L);
    merge_into(L, core);
    luaopen_folio_result(L);
    merge_into(L, core);
    luaopen_folio_data(L);
    merge_into(L, core);
    luaopen_folio_progress(L);
    merge_into(L, core);
    luaopen_folio_stats(L);
    lua_setfield(L, core, "stats");
    luaopen_folio_cim(L);
    lua_setfield(L, core, "cim");
    luaopen_folio_ising(L);
    lua_setfield(L, core, "ising");
    luaopen_folio_trade(L);
    lua_setfield(L, core, "trade");
    luaopen_folio_digest(L);
    merge_into(L, core);
    lua_pushcfunction(L, l_backends);
    lua_setfield(L, core, "backends");
    lua_pushcfunction(L, l_now);
    lua_setfield(L, core, "now");
    lua_pushcfunction(L, l_docs);
    lua_setfield(L, core, "docs");
    lua_pushcfunction(L, laux_lua_check_options);
    lua_setfield(L, core, "check_options");
    lua_pushcfunction(L, laux_lua_did_you_mean);
    lua_setfield(L, core, "did_you_mean");
    lua_pushcfunction(L, laux_lua_where_user);
    lua_setfield(L, core, "where_user");
    lua_pushliteral(L, FOLIO_VERSION);
    lua_setfield(L, core, "version");
    return 1;
}

static int is_lua(const embedded_module *m)
{
    size_t n = strlen(m->path);
    return n > 4 && !strcmp(m->path + n - 4, ".lua");
}

/* docs(): {path = text} of the embedded documentation pages (docs, *.md) */
static int l_docs(lua_State *L)
{
    lua_newtable(L);
    for (const embedded_module *m = folio_embedded_modules; m->name; m++) {
        if (is_lua(m)) continue;
        lua_pushlstring(L, (const char *)m->code, m->len);
        lua_setfield(L, -2, m->path);
    }
    return 1;
}

static int embedded_searcher(lua_State *L)
{
    const char *name = luaL_checkstring(L, 1);
    for (const embedded_module *m = folio_embedded_modules; m->name; m++) {
        if (!is_lua(m) || strcmp(m->name, name)) continue;
        char chunk[256];
        snprintf(chunk, sizeof chunk, "@%s", m->path);
        if (luaL_loadbuffer(L, (const char *)m->code, m->len, chunk) != LUA_OK)
            return luaL_error(L, "error loading embedded module '%s': %s", name, lua_tostring(L, -1));
        lua_pushstring(L, m->path);
        return 2;
    }
    lua_pushfstring(L, "no embedded module '%s'", name);
    return 1;
}

void folio_lua_install(lua_State *L)
{
    lua_getglobal(L, "package");
    lua_getfield(L, -1, "preload");
    lua_pushcfunction(L, luaopen_folio_core);
    lua_setfield(L, -2, "folio.core");
    lua_pop(L, 1);
    /* embedded sources come right after preload, before the file system */
    lua_getfield(L, -1, "searchers");
    lua_Integer n = (lua_Integer)lua_rawlen(L, -1);
    for (lua_Integer i = n; i >= 2; i--) {
        lua_rawgeti(L, -1, i);
        lua_rawseti(L, -2, i + 1);
    }
    lua_pushcfunction(L, embedded_searcher);
    lua_rawseti(L, -2, 2);
    lua_pop(L, 2);
}

int luaopen_folio(lua_State *L)
{
    folio_lua_install(L);
    lua_getglobal(L, "require");
    lua_pushliteral(L, "folio");
    lua_call(L, 1, 1);
    return 1;
}
