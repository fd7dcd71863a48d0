/* The host's shared pieces (host.h). */
#include "host.h"

#include <lauxlib.h>
#include <lualib.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "folio/folio.h"
#include "../core/atomic_file.h"
#include "../lua/lfolio.h"
#include "../lua/laux.h"
#include "../lua/lalloc.h"
#include "../lua/ljson.h"

const char *host_progname = "folio";

static folio_alloc *state_alloc;   /* the allocator of the one state */

int host_usage_error(const char *fmt, const char *arg)
{
    fprintf(stderr, "%s: ", host_progname);
    fprintf(stderr, fmt, arg);
    fprintf(stderr, "\n(see 'folio --help')\n");
    return EXIT_USAGE;
}

/* Message handler: keeps the message and appends the user's frames. */
static int msghandler(lua_State *L)
{
    const char *msg = lua_tostring(L, 1);
    if (!msg) {
        if (luaL_callmeta(L, 1, "__tostring") && lua_type(L, -1) == LUA_TSTRING) return 1;
        msg = lua_pushfstring(L, "(error object is a %s value)", luaL_typename(L, 1));
    }
    luaL_Buffer B;
    luaL_buffinit(L, &B);
    luaL_addstring(&B, msg);
    lua_Debug ar;
    int shown = 0;
    for (int level = 1; lua_getstack(L, level, &ar) && shown < 12; level++) {
        lua_getinfo(L, "Sln", &ar);
        if (!laux_is_user_frame(&ar)) continue;   /* C, folio's own Lua, a REPL line */
        char line[512];
        snprintf(line, sizeof line, "%s  %s:%d%s%s", shown ? "\n" : "\nstack traceback (script frames):\n",
                 ar.short_src, ar.currentline, ar.name ? " in function " : " in main chunk",
                 ar.name ? ar.name : "");
        luaL_addstring(&B, line);
        shown++;
    }
    luaL_pushresult(&B);
    return 1;
}

int host_docall(lua_State *L, int nargs, int nres)
{
    int base = lua_gettop(L) - nargs;
    lua_pushcfunction(L, msghandler);
    lua_insert(L, base);
    int status = lua_pcall(L, nargs, nres, base);
    lua_remove(L, base);
    return status;
}

typedef struct { host_body body; void *ud; int code; } protected_call;

static int protected_entry(lua_State *L)
{
    protected_call *c = lua_touserdata(L, 1);
    c->code = c->body(L, c->ud);
    lua_sethook(L, NULL, 0, 0);   /* a spent budget's hook would raise again on this return */
    return 0;
}

int host_protected(lua_State *L, host_body body, void *ud)
{
    protected_call c = { body, ud, EXIT_SCRIPT };
    lua_pushcfunction(L, protected_entry);   /* neither push allocates */
    lua_pushlightuserdata(L, &c);
    int st = lua_pcall(L, 1, 0, 0);
    host_disarm_interrupt();   /* the error may have jumped past the body's own */
    return st == LUA_OK ? c.code : host_report_error(L);
}

int host_report_error(lua_State *L)
{
    const char *msg = lua_tostring(L, -1);
    if (state_alloc && folio_alloc_refused(state_alloc))
        fprintf(stderr, "%s: memory cap of %.0f MiB reached: %s\n", host_progname,
                (double)folio_alloc_limit(state_alloc) / (1024.0 * 1024.0), msg ? msg : "not enough memory");
    else
        fprintf(stderr, "%s: %s\n", host_progname, msg ? msg : "(error without message)");
    lua_pop(L, 1);
    return folio_interrupted() ? EXIT_INTERRUPTED : EXIT_SCRIPT;
}

static int at_panic(lua_State *L)
{
    fprintf(stderr, "%s: unprotected Lua error: %s\n", host_progname, lua_tostring(L, -1));
    return 0;   /* Lua then aborts */
}

static void wrap_coroutines(lua_State *L);

int host_setup_state(lua_State *L)
{
    luaL_openlibs(L);
    wrap_coroutines(L);
    folio_lua_install(L);
    return 0;
}

lua_State *host_new_state(size_t mem_limit)
{
    lua_State *L = folio_alloc_newstate(&state_alloc, mem_limit);
    if (!L) {
        fprintf(stderr, "%s: cannot create Lua state: out of memory\n", host_progname);
        return NULL;
    }
    lua_atpanic(L, at_panic);
    /* protected: a failed allocation while loading the libraries is an
     * error message, not a panic (a light C function needs no memory) */
    lua_pushcfunction(L, host_setup_state);
    if (lua_pcall(L, 0, 0, 0) != LUA_OK) {
        fprintf(stderr, "%s: cannot create Lua state: %s\n", host_progname, lua_tostring(L, -1));
        host_close_state(L);
        return NULL;
    }
    return L;
}

void host_close_state(lua_State *L)
{
    lua_close(L);
    folio_alloc_free(state_alloc);
    state_alloc = NULL;
}

int host_mem_refused(void) { return state_alloc && folio_alloc_refused(state_alloc); }

void host_set_mem_limit(size_t limit) { if (state_alloc) folio_alloc_set_limit(state_alloc, limit); }

int host_require(lua_State *L, const char *name)
{
    lua_getglobal(L, "require");
    lua_pushstring(L, name);
    return host_docall(L, 1, 1);
}

/* ---- what the host writes ------------------------------------------------
 *
 * The functions that print a run's report, make its JSON and HTML and
 * decide its exit code are taken from folio's modules once, before the
 * script runs, and kept in the registry: whatever the script does to the
 * tables it can reach afterwards, the host calls its own. */

#define HOST_KEY "folio.host"

int host_bind(lua_State *L, int html)
{
    lua_createtable(L, 0, 5);
    int t = lua_gettop(L);
    if (host_require(L, "folio.report") != LUA_OK) return LUA_ERRRUN;
    static const char *const fns[] = { "render", "json", "exit_code", NULL };
    for (const char *const *f = fns; *f; f++) {
        lua_getfield(L, -1, *f);
        lua_setfield(L, t, *f);
    }
    lua_pop(L, 1);
    if (html) {
        if (host_require(L, "folio.html") != LUA_OK) return LUA_ERRRUN;
        lua_getfield(L, -1, "render");
        lua_setfield(L, t, "html_render");
        lua_pop(L, 1);
    }
    lua_setfield(L, LUA_REGISTRYINDEX, HOST_KEY);
    return LUA_OK;
}

void host_bind_params(lua_State *L)
{
    lua_getfield(L, LUA_REGISTRYINDEX, HOST_KEY);
    lua_insert(L, -2);
    lua_setfield(L, -2, "params");
    lua_pop(L, 1);
}

/* Calls the bound fn with the nargs values at the top. */
static int call_bound(lua_State *L, const char *fn, int nargs, int nres)
{
    if (lua_getfield(L, LUA_REGISTRYINDEX, HOST_KEY) != LUA_TTABLE) {   /* host_bind was not called */
        lua_pop(L, nargs + 1);
        lua_pushfstring(L, "folio's %s is not bound", fn);
        return LUA_ERRRUN;
    }
    lua_getfield(L, -1, fn);
    lua_remove(L, -2);
    lua_insert(L, -nargs - 1);
    return host_docall(L, nargs, nres);
}

int host_render(lua_State *L, int values)
{
    lua_pushvalue(L, values);
    if (call_bound(L, "render", 1, 1) != LUA_OK) return host_report_error(L);
    printf("%s\n", lua_tostring(L, -1));
    lua_pop(L, 1);
    return EXIT_SOLVED;
}

/* json_text(values): the JSON of what the script returned */
static int json_text(lua_State *L)
{
    const char *what = lua_tostring(L, lua_upvalueindex(1));
    folio_json_encode(L, 1, 2, what);
    return 1;
}

static void journal_of(const host_outputs *out, char *buf, size_t len)
{
    /* beside a file that is replaced, not one written in place (/dev/stdout) */
    const char *anchor = out->json && !folio_atomic_in_place(out->json) ? out->json : out->report;
    if (anchor && folio_atomic_in_place(anchor)) anchor = NULL;
    if (!anchor || folio_atomic_journal_for(anchor, buf, len) != 0) buf[0] = '\0';
}

void host_prepare_outputs(const host_outputs *out)
{
    char journal[4352];
    journal_of(out, journal, sizeof journal);
    if (!journal[0]) return;
    char err[4352];
    if (folio_atomic_recover(journal, err, sizeof err) != 0)
        fprintf(stderr, "%s: warning: could not complete the outputs of an earlier run: %s\n", host_progname, err);
    if (out->json) folio_atomic_clean(out->json);
    if (out->report) folio_atomic_clean(out->report);
    folio_atomic_clean(journal);
}

int host_finish(lua_State *L, int first, const host_outputs *out)
{
    int nvals = lua_gettop(L) - first + 1;
    lua_createtable(L, nvals, 0);
    for (int i = 0; i < nvals; i++) {
        lua_pushvalue(L, first + i);
        lua_rawseti(L, -2, i + 1);
    }
    int values = lua_gettop(L);
    if (nvals > 0 && !out->quiet && host_render(L, values) != EXIT_SOLVED) return EXIT_SCRIPT;
    /* the texts first; nothing is written unless every one is ready */
    folio_atomic_file files[2];
    size_t nfiles = 0;
    if (out->json) {
        lua_pushvalue(L, values);
        if (call_bound(L, "json", 1, 1) != LUA_OK) return host_report_error(L);
        lua_pushstring(L, out->json);
        lua_pushcclosure(L, json_text, 1);
        lua_insert(L, -2);
        if (host_docall(L, 1, 1) != LUA_OK) return host_report_error(L);
        files[nfiles].path = out->json;
        files[nfiles].data = lua_tolstring(L, -1, &files[nfiles].len);   /* stays on the stack */
        files[nfiles++].remove = 0;
    }
    if (out->report) {
        lua_pushvalue(L, values);
        lua_createtable(L, 0, 4);
        lua_pushstring(L, out->title ? out->title : out->script ? out->script : "folio run");
        lua_setfield(L, -2, "title");
        if (out->script) {
            lua_pushstring(L, out->script);
            lua_setfield(L, -2, "script");
        }
        lua_getfield(L, LUA_REGISTRYINDEX, HOST_KEY);
        lua_getfield(L, -1, "params");
        lua_setfield(L, -3, "params");
        lua_pop(L, 1);
        /* the run's facts for the page header */
        lua_createtable(L, 0, 3);
        lua_pushliteral(L, FOLIO_VERSION);
        lua_setfield(L, -2, "folio");
        char stamp[32];
        time_t now = time(NULL);
        struct tm tm;
        if (gmtime_r(&now, &tm) && strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%SZ", &tm)) {
            lua_pushstring(L, stamp);
            lua_setfield(L, -2, "finished");
        }
        if (out->started > 0) {
            lua_pushnumber(L, folio_now() - out->started);
            lua_setfield(L, -2, "duration_s");
        }
        lua_setfield(L, -2, "run");
        if (call_bound(L, "html_render", 2, 1) != LUA_OK) return host_report_error(L);
        if (!lua_isstring(L, -1)) {
            fprintf(stderr, "%s: the HTML report did not render\n", host_progname);
            return EXIT_SCRIPT;
        }
        files[nfiles].path = out->report;
        files[nfiles].data = lua_tolstring(L, -1, &files[nfiles].len);
        files[nfiles++].remove = 0;
    }
    lua_pushvalue(L, values);
    if (call_bound(L, "exit_code", 1, 1) != LUA_OK) return host_report_error(L);
    int code = (int)lua_tointeger(L, -1);
    fflush(stdout);
    if (nfiles) {
        char journal[4352], err[4352];
        journal_of(out, journal, sizeof journal);
        if (folio_atomic_write_set(files, nfiles, journal, err, sizeof err) != 0) {
            fprintf(stderr, "%s: %s\n", host_progname, err);
            return EXIT_SCRIPT;
        }
    }
    return code;
}

/* ---- Ctrl-C, as lua.c does it ------------------------------------------- *
 *
 * A hook stops the running Lua code. Hooks belong to one thread, so the
 * host keeps the threads that are running (the main one and the
 * coroutines resumed inside it: coroutine.resume and coroutine.wrap are
 * the host's) and sets the hook on each; a coroutine resumed after the
 * interrupt gets it when it resumes. The hook raises "interrupted" on
 * every instruction until the host disarms it, so pcall cannot swallow it. */

#define MAX_RUNNING 200   /* nested resumes tracked (Lua's C stack allows about as many) */

static lua_State *volatile interrupt_L;
static lua_State *volatile running[MAX_RUNNING];
static volatile sig_atomic_t nrunning;

#define STOP_MASK (LUA_MASKCALL | LUA_MASKRET | LUA_MASKCOUNT)

static void stop_hook(lua_State *L, lua_Debug *ar)
{
    (void)ar;
    if (!folio_interrupted()) {   /* a thread from an earlier, interrupted evaluation */
        lua_sethook(L, NULL, 0, 0);
        return;
    }
    /* blame the script's line, wherever the hook fired (level 0 is the
     * function the hook interrupted) */
    lua_Debug d;
    for (int level = 0; lua_getstack(L, level, &d); level++) {
        lua_getinfo(L, "Sl", &d);
        if (laux_is_user_frame(&d)) {
            lua_pushfstring(L, "%s:%d: interrupted", d.short_src, d.currentline);
            lua_error(L);
        }
    }
    lua_pushliteral(L, "interrupted");
    lua_error(L);
}

static void on_sigint(int sig)
{
    signal(sig, SIG_DFL);   /* a second Ctrl-C ends the process */
    folio_interrupt();   /* solvers poll it and stop */
    lua_State *main = interrupt_L;
    if (!main) return;
    lua_sethook(main, stop_hook, STOP_MASK, 1);
    int n = nrunning;
    for (int i = 0; i < n && i < MAX_RUNNING; i++)
        if (running[i]) lua_sethook(running[i], stop_hook, STOP_MASK, 1);
}

void host_arm_interrupt(lua_State *L)
{
    nrunning = 0;
    interrupt_L = L;
    folio_interrupt_clear();
    signal(SIGINT, on_sigint);
}

void host_disarm_interrupt(void)
{
    signal(SIGINT, SIG_DFL);
    lua_State *L = interrupt_L;
    interrupt_L = NULL;
    if (L && lua_gethook(L) == stop_hook) lua_sethook(L, NULL, 0, 0);   /* the host's own code runs next */
}

/* Resumes co with the narg values at the top of L, as coroutine.resume
 * does, with co on the running list meanwhile; returns the number of
 * results moved to L, or -1 with the error at the top. Nothing here
 * raises between the push and the pop. */
static int resume_tracked(lua_State *L, lua_State *co, int narg)
{
    if (!lua_checkstack(co, narg)) {
        lua_pushliteral(L, "too many arguments to resume");
        return -1;
    }
    lua_xmove(L, co, narg);
    int slot = nrunning;
    if (slot < MAX_RUNNING) {
        running[slot] = co;
        nrunning = slot + 1;
    }
    if (interrupt_L && folio_interrupted()) lua_sethook(co, stop_hook, STOP_MASK, 1);
    int nres;
    int status = lua_resume(co, L, narg, &nres);
    if (slot < MAX_RUNNING) {
        nrunning = slot;
        running[slot] = NULL;
    }
    if (status == LUA_OK || status == LUA_YIELD) {
        if (!lua_checkstack(L, nres + 1)) {
            lua_pop(co, nres);
            lua_pushliteral(L, "too many results to resume");
            return -1;
        }
        lua_xmove(co, L, nres);
        return nres;
    }
    lua_xmove(co, L, 1);   /* the error */
    return -1;
}

static int co_resume(lua_State *L)
{
    lua_State *co = lua_tothread(L, 1);
    luaL_argexpected(L, co, 1, "coroutine");
    int r = resume_tracked(L, co, lua_gettop(L) - 1);
    if (r < 0) {
        lua_pushboolean(L, 0);
        lua_insert(L, -2);
        return 2;
    }
    lua_pushboolean(L, 1);
    lua_insert(L, -(r + 1));
    return r + 1;
}

static int co_wrapped(lua_State *L)
{
    lua_State *co = lua_tothread(L, lua_upvalueindex(1));
    int r = resume_tracked(L, co, lua_gettop(L));
    if (r < 0) {   /* as coroutine.wrap: close the coroutine, add the position */
        int st = lua_status(co);
        if (st != LUA_OK && st != LUA_YIELD) {
#if LUA_VERSION_RELEASE_NUM >= 50406
            st = lua_closethread(co, L);
#else
            st = lua_resetthread(co);
#endif
            lua_xmove(co, L, 1);
        }
        if (st != LUA_ERRMEM && lua_type(L, -1) == LUA_TSTRING) {
            luaL_where(L, 1);
            lua_insert(L, -2);
            lua_concat(L, 2);
        }
        return lua_error(L);
    }
    return r;
}

static int co_wrap(lua_State *L)
{
    luaL_checktype(L, 1, LUA_TFUNCTION);
    lua_State *co = lua_newthread(L);
    lua_pushvalue(L, 1);
    lua_xmove(L, co, 1);
    lua_pushcclosure(L, co_wrapped, 1);
    return 1;
}

static void wrap_coroutines(lua_State *L)
{
    if (lua_getglobal(L, "coroutine") == LUA_TTABLE) {
        lua_pushcfunction(L, co_resume);
        lua_setfield(L, -2, "resume");
        lua_pushcfunction(L, co_wrap);
        lua_setfield(L, -2, "wrap");
    }
    lua_pop(L, 1);
}

size_t host_parse_size(const char *s)
{
    char *end;
    double v = strtod(s, &end);
    if (end == s || v <= 0) return 0;
    double mult = 1;
    switch (*end) {
    case 'k': case 'K': mult = 1024.0; end++; break;
    case 'm': case 'M': mult = 1024.0 * 1024; end++; break;
    case 'g': case 'G': mult = 1024.0 * 1024 * 1024; end++; break;
    default: break;
    }
    if (*end == 'B' || *end == 'b') end++;
    if (*end) return 0;
    return (size_t)(v * mult);
}

