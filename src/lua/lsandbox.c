/* The sandbox (lsandbox.h), after Redis scripting: an allow-list
 * environment, a count hook for the instruction and time budget, and a
 * path policy every folio reader and writer consults in C. The policy
 * lives in a userdata in the registry; the hook finds it through the
 * state's extra space, which new coroutines inherit. */
#define _XOPEN_SOURCE 700   /* realpath */
#include "lsandbox.h"
#include "folio/folio.h"

#include <lauxlib.h>
#include <lualib.h>

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define POLICY_KEY "folio.sandbox"
#define READS_KEY "folio.sandbox.reads"
#define HOOK_STEP 1000          /* instructions between budget checks */
#define C_RATE 1e8              /* instructions charged per second of a C loop */
#define CLOCK_STEPS 4096        /* charged steps between clock reads */
#define MAX_RULES 64

typedef struct rule { int access; char path[PATH_MAX]; } rule;

typedef struct policy {
    int enabled;
    size_t nrules;
    rule rules[MAX_RULES];
    long long budget, used;     /* instructions; 0 budget for none */
    double seconds, started;    /* wall-clock budget; 0 for none */
    double mark;                /* when the hook or a C loop's poll last ran */
    unsigned long pending;      /* steps charged since the clock was read */
    int exceeded;               /* spent: every hook event raises the error */
    lua_State *L;               /* the main thread, for C loops that spend it */
} policy;

/* The state is closing: C loops must no longer ask this policy. */
static int policy_gc(lua_State *L)
{
    policy *p = lua_touserdata(L, 1);
    folio_poll_uninstall(p);
    if (*(policy **)lua_getextraspace(p->L) == p) *(policy **)lua_getextraspace(p->L) = NULL;
    return 0;
}

static policy *get_policy(lua_State *L, int create)
{
    policy *p = NULL;
    if (lua_getfield(L, LUA_REGISTRYINDEX, POLICY_KEY) == LUA_TUSERDATA)
        p = lua_touserdata(L, -1);
    lua_pop(L, 1);
    if (p || !create) return p;
    p = lua_newuserdatauv(L, sizeof *p, 0);
    memset(p, 0, sizeof *p);
    lua_rawgeti(L, LUA_REGISTRYINDEX, LUA_RIDX_MAINTHREAD);
    p->L = lua_tothread(L, -1);
    lua_pop(L, 1);
    lua_createtable(L, 0, 1);
    lua_pushcfunction(L, policy_gc);
    lua_setfield(L, -2, "__gc");
    lua_setmetatable(L, -2);
    lua_setfield(L, LUA_REGISTRYINDEX, POLICY_KEY);
    *(policy **)lua_getextraspace(p->L) = p;
    return p;
}

void folio_sandbox_enable(lua_State *L) { get_policy(L, 1)->enabled = 1; }


/* Resolves path's folder and joins the last component, for files that may
 * not exist yet. */
static int resolve_for_write(const char *path, char *out, const char **why)
{
    char dir[PATH_MAX];
    const char *slash = strrchr(path, '/');
    const char *base = slash ? slash + 1 : path;
    size_t dlen = slash ? (size_t)(slash - path) : 0;
    if (!*base || !strcmp(base, ".") || !strcmp(base, "..")) { *why = "not a file name"; return -1; }
    if (dlen >= sizeof dir) { *why = "path too long"; return -1; }
    if (slash) {
        memcpy(dir, path, dlen);
        dir[dlen] = '\0';
        if (dlen == 0) strcpy(dir, "/");
    } else {
        strcpy(dir, ".");
    }
    char real[PATH_MAX];
    if (!realpath(dir, real)) { *why = strerror(errno); return -1; }
    size_t rlen = strlen(real), blen = strlen(base);
    int sep = strcmp(real, "/") != 0;
    if (rlen + (size_t)sep + blen >= PATH_MAX) { *why = "path too long"; return -1; }
    memcpy(out, real, rlen);
    if (sep) out[rlen] = '/';
    memcpy(out + rlen + (size_t)sep, base, blen + 1);
    return 0;
}

static int under(const char *dir, const char *path)
{
    size_t n = strlen(dir);
    if (strncmp(dir, path, n)) return 0;
    return path[n] == '/' || path[n] == '\0' || (n == 1 && dir[0] == '/');
}

int folio_sandbox_allow(lua_State *L, const char *path, int access, char *err, size_t errlen)
{
    policy *p = get_policy(L, 1);
    if (p->nrules == MAX_RULES) {
        snprintf(err, errlen, "sandbox: more than %d allowed paths", MAX_RULES);
        return -1;
    }
    rule *r = &p->rules[p->nrules];
    const char *why = NULL;
    if (access == FOLIO_ALLOW_WRITE_FILE) {
        if (resolve_for_write(path, r->path, &why) != 0) {
            snprintf(err, errlen, "sandbox: cannot allow writing '%s': %s", path, why);
            return -1;
        }
    } else if (!realpath(path, r->path)) {
        snprintf(err, errlen, "sandbox: cannot allow folder '%s': %s", path, strerror(errno));
        return -1;
    }
    r->access = access;
    p->nrules++;
    return 0;
}

static void deny(lua_State *L, policy *p, const char *path, int write, const char *why)
{
    luaL_Buffer b;
    luaL_buffinit(L, &b);
    lua_pushfstring(L, "sandbox: %s '%s' is not allowed", write ? "writing" : "reading", path);
    luaL_addvalue(&b);
    if (why) {
        lua_pushfstring(L, " (%s)", why);
        luaL_addvalue(&b);
    } else {
        int n = 0;
        for (size_t i = 0; i < p->nrules; i++) {
            const rule *r = &p->rules[i];
            if (write && r->access == FOLIO_ALLOW_READ_DIR) continue;
            if (!write && r->access == FOLIO_ALLOW_WRITE_FILE) continue;
            luaL_addstring(&b, n++ ? ", " : write ? " (writable: " : " (readable: ");
            luaL_addstring(&b, r->path);
        }
        luaL_addstring(&b, n ? ")" : write ? " (nothing is writable)" : " (nothing is readable)");
    }
    luaL_pushresult(&b);
    lua_error(L);
}

/* Adds a file that was read to the registry's list (for run records). */
static void record_read(lua_State *L, const char *real)
{
    if (lua_getfield(L, LUA_REGISTRYINDEX, READS_KEY) != LUA_TTABLE) {
        lua_pop(L, 1);
        lua_newtable(L);
        lua_pushvalue(L, -1);
        lua_setfield(L, LUA_REGISTRYINDEX, READS_KEY);
    }
    if (lua_getfield(L, -1, real) == LUA_TNIL) {
        lua_pushboolean(L, 1);
        lua_setfield(L, -3, real);
        lua_pushstring(L, real);
        lua_rawseti(L, -3, (lua_Integer)lua_rawlen(L, -3) + 1);
    }
    lua_pop(L, 2);
}

void folio_sandbox_push_reads(lua_State *L)
{
    lua_newtable(L);
    if (lua_getfield(L, LUA_REGISTRYINDEX, READS_KEY) == LUA_TTABLE) {
        lua_Integer n = (lua_Integer)lua_rawlen(L, -1);
        for (lua_Integer i = 1; i <= n; i++) {
            lua_rawgeti(L, -1, i);
            lua_rawseti(L, -3, i);
        }
    }
    lua_pop(L, 1);
}

void folio_sandbox_check_path(lua_State *L, const char *path, int write)
{
    policy *p = get_policy(L, 0);
    char real[PATH_MAX];
    if (!write && realpath(path, real)) record_read(L, real);
    if (!p || !p->enabled) return;
    const char *why = NULL;
    if (write) {
        if (resolve_for_write(path, real, &why) != 0) deny(L, p, path, write, why);
    } else if (!realpath(path, real)) {
        /* a missing file is reported as such by the reader, unless its
         * folder is outside the policy (no probing of other folders) */
        if (resolve_for_write(path, real, &why) != 0) deny(L, p, path, write, why);
    }
    for (size_t i = 0; i < p->nrules; i++) {
        const rule *r = &p->rules[i];
        if (r->access == FOLIO_ALLOW_WRITE_FILE) {
            if (!strcmp(r->path, real)) return;
        } else if ((!write || r->access == FOLIO_ALLOW_WRITE_DIR) && under(r->path, real)) {
            return;
        }
    }
    deny(L, p, path, write, NULL);
}

/* ---- budget --------------------------------------------------------------- */

/* The error has no position: it is the same wherever the budget ran out
 * (the host's traceback names the script's lines). */
static int budget_error(lua_State *L, policy *p)
{
    if (p->budget && p->used > p->budget)
        lua_pushfstring(L, "sandbox: instruction budget of %I exceeded", (LUAI_UACINT)p->budget);
    else
        lua_pushfstring(L, "sandbox: time budget of %f s exceeded", p->seconds);
    return lua_error(L);
}

static int over(const policy *p, double now)
{
    return (p->budget && p->used > p->budget) || (p->seconds > 0 && now - p->started > p->seconds);
}

static void count_hook(lua_State *L, lua_Debug *ar);

#define SPENT (LUA_MASKCOUNT | LUA_MASKLINE | LUA_MASKRET)

/* From now on every line and instruction of L (the running thread; NULL
 * from a C loop's poll, which may run in any) raises the budget error.
 * Other threads see p->exceeded at their next count event; the main
 * thread also at any return to C, so that `return pcall(f)` or
 * `return m:solve()` cannot hand the host a result with no instruction
 * after the budget ran out. */
static void trip(policy *p, lua_State *L)
{
    p->exceeded = 1;
    if (L) lua_sethook(L, count_hook, SPENT, 1);
    if (p->L && p->L != L) {
        if (L) lua_sethook(p->L, count_hook, LUA_MASKCOUNT | LUA_MASKRET, HOOK_STEP);
        else lua_sethook(p->L, count_hook, SPENT, 1);
    }
}

/* Whether the function returning (in a return event) returns to Lua code,
 * whose next count or line event raises anyway. */
static int returns_to_lua(lua_State *L)
{
    lua_Debug caller;
    return lua_getstack(L, 1, &caller) && lua_getinfo(L, "S", &caller) && strcmp(caller.what, "C") != 0;
}

static void count_hook(lua_State *L, lua_Debug *ar)
{
    policy *p = *(policy **)lua_getextraspace(L);
    if (!p) return;
    if (p->exceeded) {   /* in every thread */
        if (ar->event == LUA_HOOKRET && returns_to_lua(L)) return;
        budget_error(L, p);
    }
    if (ar->event != LUA_HOOKCOUNT) return;
    p->used += HOOK_STEP;
    p->mark = folio_now();
    if (over(p, p->mark)) {
        trip(p, L);
        budget_error(L, p);
    }
}

/* The budget of C loops (folio_poll): the time since the hook or the
 * last poll is charged as instructions, at C_RATE; the seconds left are
 * the nearer of the two limits. */
static double budget_poll(void *ud)
{
    policy *p = ud;
    if (p->exceeded) return 0;
    double now = folio_now();
    if (p->budget) p->used += (long long)((now - p->mark) * C_RATE);
    p->mark = now;
    if (over(p, now)) {
        trip(p, NULL);
        return 0;
    }
    double left = HUGE_VAL;
    if (p->budget) left = (double)(p->budget - p->used) / C_RATE;
    if (p->seconds > 0) left = fmin(left, p->seconds - (now - p->started));
    return left;
}

void folio_sandbox_set_budget(lua_State *L, long long instructions, double seconds)
{
    policy *p = get_policy(L, 1);
    p->budget = instructions > 0 ? instructions : 0;
    p->seconds = seconds > 0 ? seconds : 0;
    p->used = 0;
    p->exceeded = 0;
    p->started = p->mark = folio_now();
    if (p->budget || p->seconds > 0) {
        lua_sethook(L, count_hook, LUA_MASKCOUNT, HOOK_STEP);
        folio_poll_install(budget_poll, p);
    } else {
        lua_sethook(L, NULL, 0, 0);
        folio_poll_uninstall(p);
    }
}

long long folio_sandbox_used(lua_State *L)
{
    policy *p = get_policy(L, 0);
    return p ? p->used : 0;
}

/* The policy when a budget is set, or NULL. Through the registry: the
 * state's extra space is set only in states that have a policy, and the
 * bindings call this in every state. */
static policy *active(lua_State *L)
{
    policy *p = get_policy(L, 0);
    return p && (p->budget || p->seconds > 0) ? p : NULL;
}

int folio_sandbox_poll(lua_State *L)
{
    (void)L;
    return folio_poll() != FOLIO_POLL_GO;
}

void folio_sandbox_check(lua_State *L)
{
    policy *p = active(L);
    if (p && p->exceeded) budget_error(L, p);
}

void folio_sandbox_charge(lua_State *L, unsigned long steps)
{
    policy *p = active(L);
    if (!p) return;
    if (p->exceeded) budget_error(L, p);
    if (p->budget) p->used += (long long)steps;
    p->pending += steps;
    if (p->pending >= CLOCK_STEPS) {
        p->pending = 0;
        p->mark = folio_now();
    }
    if (over(p, p->mark)) {
        trip(p, L);
        budget_error(L, p);
    }
}

/* ---- environment ------------------------------------------------------- */

static const char *const base_names[] = {
    "assert", "error", "ipairs", "next", "pairs", "pcall", "xpcall", "select",
    "tonumber", "tostring", "type", "rawequal", "rawget", "rawset", "rawlen",
    "setmetatable", "getmetatable", "print", "_VERSION", NULL
};
static const char *const lib_names[] = { "string", "table", "math", "utf8", "coroutine", NULL };
/* folio's Lua modules a sandboxed script may require; its C core and the
 * host's own modules are not among them */
static const char *const module_names[] = {
    "folio", "folio.exposure", "folio.estimators", "folio.cim", "folio.trade",
    "folio.svg", "folio.report", "folio.html", NULL
};

/* load(chunk [, name [, mode [, env]]]): text chunks only; the default
 * environment is the sandbox's own */
static int sb_load(lua_State *L)
{
    int has_env = lua_gettop(L) >= 4;
    lua_settop(L, 4);
    if (!has_env) {
        lua_pushvalue(L, lua_upvalueindex(2));
        lua_replace(L, 4);
    }
    lua_pushliteral(L, "t");
    lua_replace(L, 3);
    lua_pushvalue(L, lua_upvalueindex(1));
    lua_insert(L, 1);
    lua_call(L, 4, LUA_MULTRET);
    return lua_gettop(L);
}

static int sb_require(lua_State *L)
{
    const char *name = luaL_checkstring(L, 1);
    for (const char *const *m = module_names; *m; m++) {
        if (strcmp(*m, name)) continue;
        lua_pushvalue(L, lua_upvalueindex(1));
        lua_pushstring(L, name);
        lua_call(L, 1, 1);
        return 1;
    }
    return luaL_error(L, "sandbox: module '%s' is not available (scripts may require folio and its modules)", name);
}

/* xpcall(f, handler, ...): Lua calls a message handler where the error
 * was raised; for the budget error, that is inside the hook, where Lua
 * runs no hooks, so a handler that loops would never stop. Once the
 * budget is spent (or after Ctrl-C), the script's handler is not called:
 * the error passes through as it is. */
static int sb_handler(lua_State *L)
{
    policy *p = active(L);
    if ((p && p->exceeded) || folio_interrupted()) return 1;
    lua_pushvalue(L, lua_upvalueindex(1));
    lua_insert(L, 1);
    lua_call(L, lua_gettop(L) - 1, 1);
    return 1;
}

static int xpcall_done(lua_State *L, int status, lua_KContext ctx)
{
    (void)status;
    (void)ctx;
    return lua_gettop(L);
}

static int sb_xpcall(lua_State *L)
{
    luaL_checktype(L, 2, LUA_TFUNCTION);
    lua_pushvalue(L, 2);
    lua_pushcclosure(L, sb_handler, 1);
    lua_replace(L, 2);
    lua_pushvalue(L, lua_upvalueindex(1));   /* the real xpcall */
    lua_insert(L, 1);
    lua_callk(L, lua_gettop(L) - 1, LUA_MULTRET, 0, xpcall_done);
    return xpcall_done(L, LUA_OK, 0);
}

/* setmetatable(t, mt) without __gc: Lua runs finalizers with hooks off,
 * so no budget could stop one (a field added to mt later is never a
 * finalizer: Lua marks objects when the metatable is set). */
static int sb_setmetatable(lua_State *L)
{
    int t = lua_type(L, 2);
    luaL_checktype(L, 1, LUA_TTABLE);
    luaL_argexpected(L, t == LUA_TNIL || t == LUA_TTABLE, 2, "nil or table");
    if (t == LUA_TTABLE) {
        lua_pushliteral(L, "__gc");
        if (lua_rawget(L, 2) != LUA_TNIL)
            return luaL_error(L, "sandbox: __gc metamethods are not available (no budget can stop a finalizer)");
        lua_pop(L, 1);
    }
    if (luaL_getmetafield(L, 1, "__metatable") != LUA_TNIL) return luaL_error(L, "cannot change a protected metatable");
    lua_settop(L, 2);
    lua_setmetatable(L, 1);
    return 1;
}

/* A coroutine that died of the budget error died inside the hook, and Lua
 * would run its pending __close handlers with hooks off: once the budget
 * is spent (or after Ctrl-C), coroutine.close and a wrapped coroutine's
 * error do not run them (the run ends with that error anyway). */
static void check_closing(lua_State *L)
{
    folio_sandbox_check(L);
    if (folio_interrupted()) luaL_error(L, "interrupted by the user");
}

static int close_thread(lua_State *co, lua_State *L)
{
#if LUA_VERSION_RELEASE_NUM >= 50406
    return lua_closethread(co, L);
#else
    (void)L;
    return lua_resetthread(co);
#endif
}

/* coroutine.close(co), as Lua's, after check_closing */
static int sb_co_close(lua_State *L)
{
    lua_State *co = lua_tothread(L, 1);
    luaL_argexpected(L, co, 1, "coroutine");
    const char *busy = NULL;
    lua_Debug ar;
    if (co == L) busy = "running";
    else if (lua_status(co) == LUA_OK && lua_getstack(co, 0, &ar)) busy = "normal";
    if (busy) return luaL_error(L, "cannot close a %s coroutine", busy);
    check_closing(L);
    if (close_thread(co, L) == LUA_OK) {
        lua_pushboolean(L, 1);
        return 1;
    }
    lua_pushboolean(L, 0);
    lua_xmove(co, L, 1);
    return 2;
}

/* The function coroutine.wrap returns: resumes its coroutine (upvalue 1)
 * through coroutine.resume (upvalue 2: the host's, which tracks running
 * threads for Ctrl-C), and on an error closes a dead coroutine's
 * variables, as Lua's wrap does, but only after check_closing. */
static int sb_co_resume(lua_State *L)
{
    lua_State *co = lua_tothread(L, lua_upvalueindex(1));
    int nargs = lua_gettop(L);
    lua_pushvalue(L, lua_upvalueindex(2));
    lua_pushvalue(L, lua_upvalueindex(1));
    lua_rotate(L, 1, 2);
    lua_call(L, nargs + 1, LUA_MULTRET);
    if (lua_toboolean(L, 1)) {
        lua_remove(L, 1);
        return lua_gettop(L);
    }
    lua_settop(L, 2);   /* false, the error */
    int st = lua_status(co);
    if (st != LUA_OK && st != LUA_YIELD) {   /* dead of an error */
        check_closing(L);
        st = close_thread(co, L);   /* its pending __close handlers; the error on top */
        lua_xmove(co, L, 1);
    }
    if (st != LUA_ERRMEM && lua_type(L, -1) == LUA_TSTRING) {   /* where the wrapped function was called */
        luaL_where(L, 1);
        lua_insert(L, -2);
        lua_concat(L, 2);
    }
    return lua_error(L);
}

/* coroutine.wrap(f); upvalue 1: coroutine.resume */
static int sb_co_wrap(lua_State *L)
{
    luaL_checktype(L, 1, LUA_TFUNCTION);
    lua_State *co = lua_newthread(L);
    lua_pushvalue(L, 1);
    lua_xmove(L, co, 1);
    lua_pushvalue(L, lua_upvalueindex(1));
    lua_pushcclosure(L, sb_co_resume, 2);
    return 1;
}

static int sb_collectgarbage(lua_State *L)
{
    const char *opt = luaL_optstring(L, 1, "collect");
    if (strcmp(opt, "count") && strcmp(opt, "collect") && strcmp(opt, "step"))
        return luaL_error(L, "sandbox: collectgarbage('%s') is not available", opt);
    lua_settop(L, 1);
    lua_pushstring(L, opt);
    lua_replace(L, 1);
    lua_pushvalue(L, lua_upvalueindex(1));
    lua_insert(L, 1);
    lua_call(L, 1, LUA_MULTRET);
    return lua_gettop(L);
}

/* a shallow copy of library t (at -1) without the names in drop */
static void copy_table(lua_State *L, const char *drop)
{
    lua_newtable(L);
    lua_pushnil(L);
    while (lua_next(L, -3)) {
        if (!(drop && lua_type(L, -2) == LUA_TSTRING && !strcmp(lua_tostring(L, -2), drop))) {
            lua_pushvalue(L, -2);
            lua_insert(L, -2);
            lua_rawset(L, -4);
        } else {
            lua_pop(L, 1);
        }
    }
    lua_remove(L, -2);
}

void folio_sandbox_push_env(lua_State *L)
{
    lua_rawgeti(L, LUA_REGISTRYINDEX, LUA_RIDX_GLOBALS);
    int g = lua_gettop(L);
    lua_newtable(L);
    int env = lua_gettop(L);
    for (const char *const *n = base_names; *n; n++) {
        lua_getfield(L, g, *n);
        lua_setfield(L, env, *n);
    }
    lua_getfield(L, g, "xpcall");
    lua_pushcclosure(L, sb_xpcall, 1);
    lua_setfield(L, env, "xpcall");
    lua_pushcfunction(L, sb_setmetatable);
    lua_setfield(L, env, "setmetatable");
    /* in the state's own string and table libraries, so that s:find(p)
     * and folio's Lua code get them too */
    folio_sandbox_open_libs(L);
    for (const char *const *n = lib_names; *n; n++) {
        if (lua_getfield(L, g, *n) != LUA_TTABLE) { lua_pop(L, 1); continue; }
        copy_table(L, !strcmp(*n, "string") ? "dump" : NULL);
        if (!strcmp(*n, "coroutine")) {
            lua_pushcfunction(L, sb_co_close);
            lua_setfield(L, -2, "close");
            lua_getfield(L, -1, "resume");
            lua_pushcclosure(L, sb_co_wrap, 1);
            lua_setfield(L, -2, "wrap");
        }
        lua_setfield(L, env, *n);
    }
    lua_getfield(L, g, "load");
    lua_pushvalue(L, env);
    lua_pushcclosure(L, sb_load, 2);
    lua_setfield(L, env, "load");
    lua_getfield(L, g, "require");
    lua_pushcclosure(L, sb_require, 1);
    lua_setfield(L, env, "require");
    lua_getfield(L, g, "collectgarbage");
    lua_pushcclosure(L, sb_collectgarbage, 1);
    lua_setfield(L, env, "collectgarbage");
    if (lua_getfield(L, g, "arg") == LUA_TTABLE) {
        copy_table(L, NULL);
        lua_setfield(L, env, "arg");
    } else {
        lua_pop(L, 1);
    }
    lua_pushvalue(L, env);
    lua_setfield(L, env, "_G");
    /* strings share one metatable with trusted code: hide it */
    lua_pushliteral(L, "");
    if (lua_getmetatable(L, -1)) {
        lua_pushboolean(L, 0);
        lua_setfield(L, -2, "__metatable");
        lua_pop(L, 1);
    }
    lua_pop(L, 1);
    lua_remove(L, g);
}
