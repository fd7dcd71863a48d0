/* The fuzz targets' shared state and scratch files (fuzz.h). */
#include "fuzz.h"

#include <lauxlib.h>

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "folio/folio.h"
#include "host.h"

/* Big enough for any reasonable input, small enough that a decompression
 * bomb or a huge table is a Lua "not enough memory" error rather than
 * libFuzzer's out-of-memory report. */
#define FUZZ_MEMORY ((size_t)256 << 20)
#define MAX_FILES 8

static lua_State *state;
static char files[MAX_FILES][256];
static int nfiles;

static void cleanup(void)
{
    for (int i = 0; i < nfiles; i++) unlink(files[i]);
    if (state) host_close_state(state);
    state = NULL;
}

static int l_fuzz_fail(lua_State *L)
{
    fuzz_fail("%s", luaL_tolstring(L, 1, NULL));
}

lua_State *fuzz_state(void)
{
    if (state) return state;
    folio_set_verbosity(0);
    state = host_new_state(FUZZ_MEMORY);
    if (!state) fuzz_fail("cannot create the Lua state");
    if (host_require(state, "folio") != LUA_OK) fuzz_fail("require 'folio': %s", lua_tostring(state, -1));
    lua_setglobal(state, "folio");
    lua_pushcfunction(state, l_fuzz_fail);
    lua_setglobal(state, "FUZZ_FAIL");
    atexit(cleanup);
    return state;
}

int fuzz_pcall(lua_State *L, int nargs)
{
    int base = lua_gettop(L) - nargs - 1;
    int st = lua_pcall(L, nargs, LUA_MULTRET, 0);
    if (st != LUA_OK && st != LUA_ERRRUN && st != LUA_ERRMEM)
        fuzz_fail("unexpected Lua status %d: %s", st, lua_tostring(L, -1));
    if (st != LUA_OK && lua_type(L, -1) != LUA_TSTRING)
        fuzz_fail("a folio error without a message (a %s value)", luaL_typename(L, -1));
    lua_settop(L, base);
    return st;
}

void fuzz_done(lua_State *L)
{
    lua_settop(L, 0);
    lua_gc(L, LUA_GCSTEP, 0);
}

void fuzz_push_lua(lua_State *L, const char *name, const char *code)
{
    if (lua_getfield(L, LUA_REGISTRYINDEX, name) == LUA_TFUNCTION) return;
    lua_pop(L, 1);
    if (luaL_loadbuffer(L, code, strlen(code), name) != LUA_OK) fuzz_fail("%s", lua_tostring(L, -1));
    lua_pushvalue(L, -1);
    lua_setfield(L, LUA_REGISTRYINDEX, name);
}

const char *fuzz_file(const uint8_t *data, size_t size, const char *suffix)
{
    int i;
    char name[256];
    const char *dir = getenv("TMPDIR");
    snprintf(name, sizeof name, "%s/folio-fuzz-%ld%s", dir && *dir ? dir : "/tmp", (long)getpid(), suffix);
    for (i = 0; i < nfiles && strcmp(files[i], name); i++) {}
    if (i == nfiles) {
        if (nfiles == MAX_FILES) fuzz_fail("too many scratch files");
        memcpy(files[nfiles++], name, sizeof name);
    }
    FILE *f = fopen(files[i], "wb");
    if (!f || fwrite(data, 1, size, f) != size || fclose(f) != 0) fuzz_fail("cannot write %s", files[i]);
    return files[i];
}

void fuzz_fail(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "fuzz: ");
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\n");
    va_end(ap);
    abort();
}
