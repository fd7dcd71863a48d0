/* folio.core: the C functions behind the `folio` Lua module, and the
 * loader that serves the embedded lua/folio sources to `require`. */
#define _XOPEN_SOURCE 700   /* realpath */
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
#include "ljson.h"
#include "lsandbox.h"
#include "folio/folio.h"
#include "../core/atomic_file.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

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

/* ---- outputs: what the host writes at the end of a run ---------------------
 *
 * The host (src/cli, lua/folio/deploy.lua) writes a run's outputs as one
 * set (atomic_file.h): these bindings live in folio.core, which scripts in
 * the sandbox cannot require. */

/* json_text(value, what) -> the JSON text of value, indented by 2, as
 * --json and a deployment's outputs write it */
static int l_json_text(lua_State *L)
{
    luaL_checkany(L, 1);
    const char *what = luaL_optstring(L, 2, "json_text");
    lua_settop(L, 1);
    folio_json_encode(L, 1, 2, what);
    return 1;
}

/* commit_outputs(files, journal): files is a list of {path =, text =} and
 * {path =, remove = true}, written as one set with its journal at journal;
 * raises "cannot write 'PATH': why" (no position: the host reports it). */
static int l_commit_outputs(lua_State *L)
{
    luaL_checktype(L, 1, LUA_TTABLE);
    const char *journal = luaL_checkstring(L, 2);
    size_t n = (size_t)lua_rawlen(L, 1);
    folio_atomic_file *files = lua_newuserdatauv(L, (n ? n : 1) * sizeof *files, 0);
    for (size_t i = 0; i < n; i++) {
        lua_rawgeti(L, 1, (lua_Integer)i + 1);
        luaL_checktype(L, -1, LUA_TTABLE);
        lua_getfield(L, -1, "path");
        files[i].path = luaL_checkstring(L, -1);   /* kept alive by the list */
        lua_getfield(L, -2, "remove");
        files[i].remove = lua_toboolean(L, -1);
        lua_getfield(L, -3, "text");
        files[i].data = files[i].remove ? NULL : luaL_checklstring(L, -1, &files[i].len);
        if (files[i].remove) files[i].len = 0;
        lua_pop(L, 4);
    }
    char err[4352];
    if (folio_atomic_write_set(files, n, journal, err, sizeof err) != 0) {
        lua_pushstring(L, err);
        return lua_error(L);
    }
    return 0;
}

/* prepare_outputs(paths, journal): before a run that writes the set
 * anchored at journal: completes a set an earlier run left half renamed
 * and removes the temp files of runs that died. Returns nil, or a message
 * when the earlier set could not be completed. */
static int l_prepare_outputs(lua_State *L)
{
    luaL_checktype(L, 1, LUA_TTABLE);
    const char *journal = luaL_checkstring(L, 2);
    char err[4352];
    int bad = folio_atomic_recover(journal, err, sizeof err);
    lua_Integer n = (lua_Integer)lua_rawlen(L, 1);
    for (lua_Integer i = 1; i <= n; i++) {
        lua_rawgeti(L, 1, i);
        const char *p = lua_tostring(L, -1);
        if (p) folio_atomic_clean(p);
        lua_pop(L, 1);
    }
    folio_atomic_clean(journal);
    if (bad) {
        lua_pushfstring(L, "could not complete the outputs of an earlier run: %s", err);
        return 1;
    }
    return 0;
}

static int l_journal_for(lua_State *L)
{
    const char *path = luaL_checkstring(L, 1);
    char buf[PATH_MAX + 64];
    if (folio_atomic_journal_for(path, buf, sizeof buf) != 0) return luaL_error(L, "path too long: '%s'", path);
    lua_pushstring(L, buf);
    return 1;
}

/* ---- files the script may not read -----------------------------------------
 *
 * The outputs of a sandboxed run: a script must not read what it is about
 * to replace (an earlier run's results, or whatever the path held). Every
 * folio reader goes through guard() (the wrappers below), which refuses a
 * listed path by name or, through links, by inode. */

#define DENY_KEY "folio.deny_read"

/* path resolved (its folder, for a file that does not exist yet) */
static int resolve(const char *path, char *out)
{
    if (realpath(path, out)) return 0;
    const char *slash = strrchr(path, '/');
    char dir[PATH_MAX], real[PATH_MAX];
    const char *base = slash ? slash + 1 : path;
    size_t dlen = slash ? (size_t)(slash - path) : 0;
    if (dlen >= sizeof dir) return -1;
    if (slash) {
        memcpy(dir, path, dlen);
        dir[dlen] = '\0';
        if (dlen == 0) strcpy(dir, "/");
    } else {
        strcpy(dir, ".");
    }
    if (!realpath(dir, real)) return -1;
    size_t rlen = strlen(real), blen = strlen(base);
    int sep = strcmp(real, "/") != 0;
    if (rlen + (size_t)sep + blen >= PATH_MAX) return -1;
    memcpy(out, real, rlen);
    if (sep) out[rlen] = '/';
    memcpy(out + rlen + (size_t)sep, base, blen + 1);
    return 0;
}

void folio_lua_deny_read(lua_State *L, const char *path)
{
    char real[PATH_MAX];
    if (resolve(path, real) != 0) return;   /* a folder that does not exist: nothing to read there */
    if (lua_getfield(L, LUA_REGISTRYINDEX, DENY_KEY) != LUA_TTABLE) {
        lua_pop(L, 1);
        lua_newtable(L);
        lua_pushvalue(L, -1);
        lua_setfield(L, LUA_REGISTRYINDEX, DENY_KEY);
    }
    lua_pushstring(L, real);
    lua_rawseti(L, -2, (lua_Integer)lua_rawlen(L, -2) + 1);
    lua_pop(L, 1);
}

static int l_deny_read(lua_State *L)
{
    folio_lua_deny_read(L, luaL_checkstring(L, 1));
    return 0;
}

/* Raises unless the path at index 1 may be read. */
static void guard(lua_State *L)
{
    const char *path = lua_tostring(L, 1);
    if (!path) return;   /* the reader's own check names the bad argument */
    if (lua_getfield(L, LUA_REGISTRYINDEX, DENY_KEY) != LUA_TTABLE) {
        lua_pop(L, 1);
        return;
    }
    char real[PATH_MAX];
    struct stat st, ds;
    int have_real = resolve(path, real) == 0, have_st = stat(path, &st) == 0;
    lua_Integer n = (lua_Integer)lua_rawlen(L, -1);
    for (lua_Integer i = 1; i <= n; i++) {
        lua_rawgeti(L, -1, i);
        const char *d = lua_tostring(L, -1);
        int same = (have_real && !strcmp(d, real)) ||
                   (have_st && stat(d, &ds) == 0 && ds.st_dev == st.st_dev && ds.st_ino == st.st_ino);
        lua_pop(L, 1);
        if (same) {
            lua_pushfstring(L, "sandbox: reading '%s' is not allowed (an output of this run)", path);
            lua_error(L);
        }
    }
    lua_pop(L, 1);
}

/* A reader behind the guard: the original C function, called in this
 * frame (so that its errors still blame the script's line and name the
 * reader), with the original's upvalues and, after them, a userdata that
 * holds its address. */
typedef struct reader_fn { lua_CFunction fn; } reader_fn;

static int guarded(lua_State *L)
{
    int last = 1;
    while (lua_type(L, lua_upvalueindex(last + 1)) != LUA_TNONE) last++;
    const reader_fn *r = lua_touserdata(L, lua_upvalueindex(last));
    guard(L);
    return r->fn(L);
}

static const char *const reader_names[] = { "read_csv", "read_json", "read_text", "read_model", "sha256_file", NULL };

static void guard_readers(lua_State *L, int core)
{
    for (const char *const *name = reader_names; *name; name++) {
        lua_getfield(L, core, *name);
        lua_CFunction fn = lua_tocfunction(L, -1);
        if (!fn) {   /* not a C function: leave it */
            lua_pop(L, 1);
            continue;
        }
        int nup = 0;
        while (lua_getupvalue(L, -1 - nup, nup + 1)) nup++;
        reader_fn *r = lua_newuserdatauv(L, sizeof *r, 0);
        r->fn = fn;
        lua_pushcclosure(L, guarded, nup + 1);
        lua_setfield(L, core, *name);
        lua_pop(L, 1);
    }
}

/* ---- read-only views --------------------------------------------------------
 *
 * What a sandboxed script gets from require: a view of folio's module
 * tables that reads through (tables inside them as views too) and refuses
 * every assignment, so trusted code that looks a function up in them at
 * call time (the report, the JSON, the run record) finds folio's own. */

#define RO_CACHE_KEY "folio.readonly"
#define RO_SKIP_KEY "folio.readonly.skip"

static void push_weak(lua_State *L, const char *key)
{
    if (lua_getfield(L, LUA_REGISTRYINDEX, key) == LUA_TTABLE) return;
    lua_pop(L, 1);
    lua_newtable(L);
    lua_createtable(L, 0, 1);
    lua_pushliteral(L, "k");
    lua_setfield(L, -2, "__mode");
    lua_setmetatable(L, -2);
    lua_pushvalue(L, -1);
    lua_setfield(L, LUA_REGISTRYINDEX, key);
}

static int ro_gettable(lua_State *L)
{
    lua_gettable(L, 1);
    return 1;
}

static int ro_index(lua_State *L)
{
    lua_settop(L, 2);
    lua_pushcfunction(L, ro_gettable);
    lua_pushvalue(L, lua_upvalueindex(1));
    lua_pushvalue(L, 2);
    if (lua_pcall(L, 2, 1, 0) != LUA_OK) {
        /* an __index of the module's own (folio's lazy fields) blames its
         * caller's caller, which is C here: blame the script's line */
        if (lua_type(L, -1) == LUA_TSTRING) {
            luaL_where(L, 1);
            lua_insert(L, -2);
            lua_concat(L, 2);
        }
        return lua_error(L);
    }
    folio_lua_push_readonly(L, -1);
    return 1;
}

static int ro_newindex(lua_State *L)
{
    luaL_where(L, 1);
    lua_pushfstring(L, "sandbox: folio's tables are read-only (cannot set '%s')", luaL_tolstring(L, 2, NULL));
    lua_remove(L, -2);
    lua_concat(L, 2);
    return lua_error(L);
}

static int ro_len(lua_State *L)
{
    lua_len(L, lua_upvalueindex(1));
    return 1;
}

static int ro_next(lua_State *L)
{
    lua_settop(L, 2);
    if (!lua_next(L, lua_upvalueindex(1))) {
        lua_pushnil(L);
        return 1;
    }
    folio_lua_push_readonly(L, -1);
    lua_remove(L, -2);
    return 2;
}

static int ro_pairs(lua_State *L)
{
    lua_pushvalue(L, lua_upvalueindex(1));
    lua_pushcclosure(L, ro_next, 1);
    lua_pushvalue(L, 1);
    lua_pushnil(L);
    return 3;
}

static int ro_call(lua_State *L)
{
    lua_pushvalue(L, lua_upvalueindex(1));
    lua_replace(L, 1);
    lua_call(L, lua_gettop(L) - 1, LUA_MULTRET);
    return lua_gettop(L);
}

void folio_lua_push_readonly(lua_State *L, int idx)
{
    idx = lua_absindex(L, idx);
    if (lua_type(L, idx) != LUA_TTABLE) {
        lua_pushvalue(L, idx);
        return;
    }
    push_weak(L, RO_SKIP_KEY);
    lua_pushvalue(L, idx);
    int skip = lua_rawget(L, -2) != LUA_TNIL;
    lua_pop(L, 2);
    if (skip) {
        lua_pushvalue(L, idx);
        return;
    }
    push_weak(L, RO_CACHE_KEY);
    lua_pushvalue(L, idx);
    if (lua_rawget(L, -2) == LUA_TTABLE) {
        lua_remove(L, -2);
        return;
    }
    lua_pop(L, 1);
    lua_newtable(L);   /* the view: always empty, so every access goes through its metatable */
    lua_createtable(L, 0, 7);
    static const struct { const char *name; lua_CFunction fn; } meta[] = {
        {"__index", ro_index}, {"__newindex", ro_newindex}, {"__len", ro_len}, {"__pairs", ro_pairs}, {NULL, NULL}
    };
    for (int i = 0; meta[i].name; i++) {
        lua_pushvalue(L, idx);
        lua_pushcclosure(L, meta[i].fn, 1);
        lua_setfield(L, -2, meta[i].name);
    }
    if (luaL_getmetafield(L, idx, "__call") != LUA_TNIL) {
        lua_pop(L, 1);
        lua_pushvalue(L, idx);
        lua_pushcclosure(L, ro_call, 1);
        lua_setfield(L, -2, "__call");
    }
    lua_pushboolean(L, 0);
    lua_setfield(L, -2, "__metatable");
    lua_setmetatable(L, -2);
    lua_pushvalue(L, idx);
    lua_pushvalue(L, -2);
    lua_rawset(L, -4);   /* cache[t] = view */
    lua_remove(L, -2);
}

void folio_lua_readonly_skip(lua_State *L, int idx)
{
    idx = lua_absindex(L, idx);
    if (!lua_istable(L, idx)) return;
    push_weak(L, RO_SKIP_KEY);
    lua_pushvalue(L, idx);
    lua_pushboolean(L, 1);
    lua_rawset(L, -3);
    lua_pop(L, 1);
}

static int ro_require(lua_State *L)
{
    lua_settop(L, 1);
    lua_pushvalue(L, lua_upvalueindex(1));
    lua_insert(L, 1);
    lua_call(L, 1, 1);
    folio_lua_push_readonly(L, -1);
    return 1;
}

void folio_lua_readonly_require(lua_State *L, int env)
{
    env = lua_absindex(L, env);
    lua_getfield(L, env, "require");
    lua_pushcclosure(L, ro_require, 1);
    lua_setfield(L, env, "require");
}

/* The metatables made in C hand scripts a copy (laux_protect_metatable),
 * but the tables in it (a result's methods, its field list) are the
 * originals: give the copy read-only views of them. */
static void protect_copies(lua_State *L)
{
    static const char *const names[] = { "folio.result", "folio.model", "folio.expr", NULL };
    for (const char *const *n = names; *n; n++) {
        int top = lua_gettop(L);
        if (luaL_getmetatable(L, *n) == LUA_TTABLE && lua_getfield(L, -1, "__metatable") == LUA_TTABLE) {
            int copy = lua_gettop(L);
            lua_pushnil(L);
            while (lua_next(L, copy)) {
                if (lua_istable(L, -1)) {
                    folio_lua_push_readonly(L, -1);
                    lua_pushvalue(L, -3);
                    lua_insert(L, -2);
                    lua_rawset(L, copy);
                }
                lua_pop(L, 1);
            }
        }
        lua_settop(L, top);
    }
}

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
    static const luaL_Reg host_funcs[] = {
        {"json_text", l_json_text}, {"commit_outputs", l_commit_outputs},
        {"prepare_outputs", l_prepare_outputs}, {"journal_for", l_journal_for},
        {"deny_read", l_deny_read}, {NULL, NULL}
    };
    luaL_setfuncs(L, host_funcs, 0);
    guard_readers(L, core);
    protect_copies(L);
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
