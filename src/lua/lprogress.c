/* Progress lines, log lines, the verbosity and the interrupt flag for Lua
 * scripts (folio.core.progress, ...), so that loops written in Lua report
 * and stop as the solvers do. */
#include "lprogress.h"
#include "folio/folio.h"

#include <lauxlib.h>

void lprogress_check_interrupt(lua_State *L, const char *where)
{
    if (folio_interrupted()) luaL_error(L, "interrupted by the user (%s)", where);
}

/* progress(what, message): the progress line (rate-limited, see docs) */
static int l_progress(lua_State *L)
{
    const char *what = luaL_checkstring(L, 1), *msg = luaL_checkstring(L, 2);
    folio_progress(what, "%s", msg);
    return 0;
}

static int l_progress_done(lua_State *L)
{
    (void)L;
    folio_progress_done();
    return 0;
}

/* log(level, message): a line on stderr when the verbosity is >= level */
static int l_log(lua_State *L)
{
    lua_Integer level = luaL_checkinteger(L, 1);
    const char *msg = luaL_checkstring(L, 2);
    folio_log(level < 0 ? 0 : level > 2 ? 2 : (int)level, "%s", msg);
    return 0;
}

static int l_verbosity(lua_State *L)
{
    lua_pushinteger(L, folio_verbosity());
    return 1;
}

static int l_interrupted(lua_State *L)
{
    lua_pushboolean(L, folio_interrupted());
    return 1;
}

/* check_interrupt([where]): raises "interrupted by the user (where)" */
static int l_check_interrupt(lua_State *L)
{
    lprogress_check_interrupt(L, luaL_optstring(L, 1, "script"));
    return 0;
}

static const luaL_Reg progress_funcs[] = {
    { "progress", l_progress },
    { "progress_done", l_progress_done },
    { "log", l_log },
    { "verbosity", l_verbosity },
    { "interrupted", l_interrupted },
    { "check_interrupt", l_check_interrupt },
    { NULL, NULL }
};

int luaopen_folio_progress(lua_State *L)
{
    luaL_newlib(L, progress_funcs);
    return 1;
}
