/* folio: run model scripts, solve LP/MPS files, evaluate lines at a prompt.
 * Exit codes: 0 solved, 3 no solution, 1 script or data error, 2 usage. */
#include <lua.h>
#include <lauxlib.h>
#include <lualib.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "folio/folio.h"
#include "../lua/lfolio.h"
#include "../lua/lalloc.h"

enum { EXIT_SOLVED = 0, EXIT_SCRIPT = 1, EXIT_USAGE = 2, EXIT_NO_SOLUTION = 3 };

static const char *progname = "folio";

static void usage_text(FILE *f)
{
    fprintf(f,
        "usage: folio run SCRIPT.lua [--json OUT.json] [--set key=value ...] [--] [args...]\n"
        "       folio solve FILE.lp|FILE.mps [--json OUT.json] [--time-limit S] [--solver NAME]\n"
        "                   [--verbose]\n"
        "       folio repl\n"
        "       folio --version | --help\n"
        "\n"
        "run    executes a model script; what it returns is printed as a report\n"
        "       (and written as JSON with --json). --set values reach the script\n"
        "       as folio.params.key (numbers converted).\n"
        "solve  reads an LP or MPS file and solves it; --solver picks the backend\n"
        "       (glpk, cbc, qp) instead of the automatic choice.\n"
        "repl   evaluates Lua lines with folio loaded.\n"
        "\n"
        "exit status: 0 solved (optimal or feasible), 3 no solution, 1 script or\n"
        "data error, 2 usage error.\n");
}

static int usage_error(const char *fmt, const char *arg)
{
    fprintf(stderr, "%s: ", progname);
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
        if (ar.currentline <= 0 || ar.source[0] != '@') continue;
        if (!strncmp(ar.source, "@lua/folio/", 11)) continue;   /* folio's own Lua */
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

/* The one pcall wrapper: calls the function below nargs arguments. */
static int docall(lua_State *L, int nargs, int nres)
{
    int base = lua_gettop(L) - nargs;
    lua_pushcfunction(L, msghandler);
    lua_insert(L, base);
    int status = lua_pcall(L, nargs, nres, base);
    lua_remove(L, base);
    return status;
}

static int report_error(lua_State *L)
{
    const char *msg = lua_tostring(L, -1);
    fprintf(stderr, "%s: %s\n", progname, msg ? msg : "(error without message)");
    lua_pop(L, 1);
    return EXIT_SCRIPT;
}

static folio_alloc *state_alloc;   /* the allocator of the one state */

static int at_panic(lua_State *L)
{
    fprintf(stderr, "%s: unprotected Lua error: %s\n", progname, lua_tostring(L, -1));
    return 0;   /* Lua then aborts */
}

static lua_State *new_state(void)
{
    lua_State *L = folio_alloc_newstate(&state_alloc, 0);
    if (!L) {
        fprintf(stderr, "%s: cannot create Lua state: out of memory\n", progname);
        return NULL;
    }
    lua_atpanic(L, at_panic);
    luaL_openlibs(L);
    folio_lua_install(L);
    return L;
}

static void close_state(lua_State *L)
{
    lua_close(L);
    folio_alloc_free(state_alloc);
    state_alloc = NULL;
}

/* require "name" under the wrapper; leaves the module on the stack */
static int require_module(lua_State *L, const char *name)
{
    lua_getglobal(L, "require");
    lua_pushstring(L, name);
    return docall(L, 1, 1);
}

/* Prints the report of the values at [first, top] and writes JSON;
 * returns the exit code. */
static int finish(lua_State *L, int first, const char *json_path)
{
    int nvals = lua_gettop(L) - first + 1;
    lua_createtable(L, nvals, 0);
    for (int i = 0; i < nvals; i++) {
        lua_pushvalue(L, first + i);
        lua_rawseti(L, -2, i + 1);
    }
    int values = lua_gettop(L);
    if (require_module(L, "folio.report") != LUA_OK) return report_error(L);
    int rep = lua_gettop(L);
    if (nvals > 0) {
        lua_getfield(L, rep, "render");
        lua_pushvalue(L, values);
        if (docall(L, 1, 1) != LUA_OK) return report_error(L);
        printf("%s\n", lua_tostring(L, -1));
        lua_pop(L, 1);
    }
    if (json_path) {
        if (require_module(L, "folio") != LUA_OK) return report_error(L);
        lua_getfield(L, -1, "write_json");
        lua_pushstring(L, json_path);
        lua_getfield(L, rep, "json");
        lua_pushvalue(L, values);
        if (docall(L, 1, 1) != LUA_OK) return report_error(L);
        lua_createtable(L, 0, 1);
        lua_pushinteger(L, 2);
        lua_setfield(L, -2, "indent");
        if (docall(L, 3, 0) != LUA_OK) return report_error(L);
        lua_pop(L, 1);
    }
    lua_getfield(L, rep, "exit_code");
    lua_pushvalue(L, values);
    if (docall(L, 1, 1) != LUA_OK) return report_error(L);
    int code = (int)lua_tointeger(L, -1);
    fflush(stdout);
    return code;
}

static void set_param(lua_State *L, int params, const char *kv)
{
    const char *eq = strchr(kv, '=');
    lua_pushlstring(L, kv, (size_t)(eq - kv));
    if (!lua_stringtonumber(L, eq + 1)) lua_pushstring(L, eq + 1);
    lua_settable(L, params);
}

static int cmd_run(int argc, char **argv)
{
    const char *script = NULL, *json = NULL;
    int nsets = 0, first_arg = argc;
    const char **sets = calloc((size_t)argc + 1, sizeof *sets);
    if (!sets) return EXIT_SCRIPT;
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--json") || !strcmp(a, "--set")) {
            if (i + 1 >= argc) { free(sets); return usage_error("%s needs a value", a); }
            if (!strcmp(a, "--json")) json = argv[++i];
            else {
                const char *kv = argv[++i];
                if (!strchr(kv, '=') || kv[0] == '=') { free(sets); return usage_error("--set expects key=value, got '%s'", kv); }
                sets[nsets++] = kv;
            }
        } else if (!strcmp(a, "--")) {
            first_arg = i + 1;
            break;
        } else if (a[0] == '-' && a[1]) {
            free(sets);
            return usage_error("run: unknown option '%s'", a);
        } else if (!script) {
            script = a;
        } else {
            first_arg = i;
            break;
        }
    }
    if (!script) { free(sets); return usage_error("%s", "run: no script given"); }
    lua_State *L = new_state();
    if (!L) { free(sets); return EXIT_SCRIPT; }
    int code = EXIT_SCRIPT;
    if (require_module(L, "folio") != LUA_OK) { code = report_error(L); goto out; }
    /* folio.params, folio.script_dir, folio.script and the global arg */
    lua_newtable(L);
    for (int i = 0; i < nsets; i++) set_param(L, lua_gettop(L), sets[i]);
    lua_setfield(L, -2, "params");
    {
        const char *slash = strrchr(script, '/');
        if (slash) lua_pushlstring(L, script, (size_t)(slash - script) + (slash == script));
        else lua_pushliteral(L, ".");
        lua_setfield(L, -2, "script_dir");
        lua_pushstring(L, script);
        lua_setfield(L, -2, "script");
    }
    lua_pop(L, 1);
    lua_createtable(L, argc - first_arg, 1);
    lua_pushstring(L, script);
    lua_rawseti(L, -2, 0);
    for (int i = first_arg; i < argc; i++) {
        lua_pushstring(L, argv[i]);
        lua_rawseti(L, -2, i - first_arg + 1);
    }
    lua_setglobal(L, "arg");
    int base = lua_gettop(L);
    if (luaL_loadfile(L, script) != LUA_OK) { code = report_error(L); goto out; }
    if (docall(L, 0, LUA_MULTRET) != LUA_OK) { code = report_error(L); goto out; }
    code = finish(L, base + 1, json);
out:
    close_state(L);
    free(sets);
    return code;
}

static int cmd_solve(int argc, char **argv)
{
    const char *file = NULL, *json = NULL, *solver = NULL;
    double limit = 0;
    int verbose = 0;
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--json")) {
            if (i + 1 >= argc) return usage_error("%s needs a value", a);
            json = argv[++i];
        } else if (!strcmp(a, "--time-limit")) {
            if (i + 1 >= argc) return usage_error("%s needs a value", a);
            char *end;
            limit = strtod(argv[++i], &end);
            if (*end || limit < 0) return usage_error("--time-limit expects seconds, got '%s'", argv[i]);
        } else if (!strcmp(a, "--solver")) {
            if (i + 1 >= argc) return usage_error("%s needs a value", a);
            solver = argv[++i];
        } else if (!strcmp(a, "--verbose")) {
            verbose = 1;
        } else if (a[0] == '-' && a[1]) {
            return usage_error("solve: unknown option '%s'", a);
        } else if (!file) {
            file = a;
        } else {
            return usage_error("solve: unexpected argument '%s'", a);
        }
    }
    if (!file) return usage_error("%s", "solve: no file given");
    lua_State *L = new_state();
    if (!L) return EXIT_SCRIPT;
    int code = EXIT_SCRIPT;
    /* called from C, so errors carry the file's own position only */
    if (require_module(L, "folio") != LUA_OK) { code = report_error(L); goto out; }
    lua_getfield(L, -1, "read_model");
    lua_pushstring(L, file);
    if (docall(L, 1, 1) != LUA_OK) { code = report_error(L); goto out; }
    int model = lua_gettop(L);
    lua_getfield(L, model, "solve");
    lua_pushvalue(L, model);
    lua_createtable(L, 0, 3);
    lua_pushnumber(L, limit);
    lua_setfield(L, -2, "time_limit");
    if (solver) {
        lua_pushstring(L, solver);
        lua_setfield(L, -2, "solver");
    }
    lua_pushboolean(L, verbose);
    lua_setfield(L, -2, "verbose");
    if (docall(L, 2, 1) != LUA_OK) { code = report_error(L); goto out; }
    code = finish(L, lua_gettop(L), json);
out:
    close_state(L);
    return code;
}

/* A minimal prompt: each line is evaluated as an expression if it is one,
 * else as a statement; values are printed like script results. */
static int cmd_repl(void)
{
    lua_State *L = new_state();
    if (!L) return EXIT_SCRIPT;
    if (require_module(L, "folio") != LUA_OK || (lua_setglobal(L, "folio"), 0) ||
        require_module(L, "folio.report") != LUA_OK) {
        int code = report_error(L);
        close_state(L);
        return code;
    }
    int rep = lua_gettop(L);
    int tty = isatty(0);
    if (tty) printf("folio %s (Lua %s.%s) -- Ctrl-D to quit\n", FOLIO_VERSION, LUA_VERSION_MAJOR, LUA_VERSION_MINOR);
    char line[8192];
    for (;;) {
        if (tty) { fputs("> ", stdout); fflush(stdout); }
        if (!fgets(line, sizeof line, stdin)) break;
        size_t n = strlen(line);
        if (n && line[n - 1] == '\n') line[--n] = '\0';
        if (!n) continue;
        const char *src = line[0] == '=' ? line + 1 : line;
        lua_pushfstring(L, "return %s", src);
        int st = luaL_loadbuffer(L, lua_tostring(L, -1), strlen(lua_tostring(L, -1)), "=stdin");
        lua_remove(L, -2);
        if (st != LUA_OK) {
            lua_pop(L, 1);
            st = luaL_loadbuffer(L, src, strlen(src), "=stdin");
        }
        if (st != LUA_OK) { fprintf(stderr, "%s\n", lua_tostring(L, -1)); lua_pop(L, 1); continue; }
        int base = lua_gettop(L) - 1;
        if (docall(L, 0, LUA_MULTRET) != LUA_OK) { fprintf(stderr, "%s\n", lua_tostring(L, -1)); lua_pop(L, 1); continue; }
        int nres = lua_gettop(L) - base;
        if (nres > 0) {
            lua_createtable(L, nres, 0);
            for (int i = 1; i <= nres; i++) { lua_pushvalue(L, base + i); lua_rawseti(L, -2, i); }
            lua_getfield(L, rep, "render");
            lua_insert(L, -2);
            if (docall(L, 1, 1) == LUA_OK) printf("%s\n", lua_tostring(L, -1));
            else fprintf(stderr, "%s\n", lua_tostring(L, -1));
        }
        lua_settop(L, base);
    }
    close_state(L);
    return EXIT_SOLVED;
}

/* OpenBLAS's spinning worker threads slow model building and small solves
 * on a shared machine; the QP engine asks for more threads on large dense
 * problems. OPENBLAS_NUM_THREADS, when set, decides instead. */
void openblas_set_num_threads(int);

int main(int argc, char **argv)
{
    if (!getenv("OPENBLAS_NUM_THREADS")) openblas_set_num_threads(1);
    if (argc < 2) {
        if (isatty(0)) return cmd_repl();
        usage_text(stderr);
        return EXIT_USAGE;
    }
    const char *cmd = argv[1];
    if (!strcmp(cmd, "--version") || !strcmp(cmd, "-v")) {
        printf("folio %s (%s; solvers:", FOLIO_VERSION, LUA_RELEASE);
        const char *const *names = folio_backends();
        for (size_t i = 0; names[i]; i++) printf("%s %s", i ? "," : "", names[i]);
        printf(")\n");
        return EXIT_SOLVED;
    }
    if (!strcmp(cmd, "--help") || !strcmp(cmd, "-h") || !strcmp(cmd, "help")) {
        usage_text(stdout);
        return EXIT_SOLVED;
    }
    if (!strcmp(cmd, "run")) return cmd_run(argc - 2, argv + 2);
    if (!strcmp(cmd, "solve")) return cmd_solve(argc - 2, argv + 2);
    if (!strcmp(cmd, "repl")) return cmd_repl();
    return usage_error("unknown command '%s'", cmd);
}
