/* `folio run SCRIPT.lua`, with or without the sandbox; configs go to
 * deploy.c. */
#include "run.h"
#include "host.h"

#include <lauxlib.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "folio/folio.h"
#include "../lua/lfolio.h"
#include "../lua/lsandbox.h"

#define DEFAULT_INSTRUCTIONS 10000000000LL   /* about a minute of pure Lua */
#define DEFAULT_MEMORY ((size_t)4 << 30)

static int ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), k = strlen(suffix);
    return n >= k && !strcmp(s + n - k, suffix);
}

static int add_path(const char **list, int *n, const char *path, const char *flag)
{
    if (*n == RUN_MAX_PATHS) {
        fprintf(stderr, "%s: too many %s paths (at most %d)\n", host_progname, flag, RUN_MAX_PATHS);
        return -1;
    }
    list[(*n)++] = path;
    return 0;
}

int sandbox_apply(lua_State *L, const sandbox_spec *sb)
{
    if (!sb->on) return 0;
    char err[4352];
    folio_sandbox_enable(L);
    for (int i = 0; i < sb->nread; i++)
        if (folio_sandbox_allow(L, sb->read_dirs[i], FOLIO_ALLOW_READ_DIR, err, sizeof err)) goto fail;
    for (int i = 0; i < sb->nwrite; i++)
        if (folio_sandbox_allow(L, sb->write_dirs[i], FOLIO_ALLOW_WRITE_DIR, err, sizeof err)) goto fail;
    for (int i = 0; i < sb->nfiles; i++)
        if (folio_sandbox_allow(L, sb->write_files[i], FOLIO_ALLOW_WRITE_FILE, err, sizeof err)) goto fail;
    host_set_mem_limit(sb->memory);
    if (sb->solver_time > 0) {
        if (host_require(L, "folio.deploy") != LUA_OK) return host_report_error(L), -1;
        lua_getfield(L, -1, "wrap_solve");
        lua_pushnil(L);
        lua_pushnumber(L, sb->solver_time);
        if (host_docall(L, 2, 0) != LUA_OK) return host_report_error(L), -1;
        lua_pop(L, 1);
    }
    folio_sandbox_set_budget(L, sb->instructions, sb->seconds);
    return 0;
fail:
    fprintf(stderr, "%s: %s\n", host_progname, err);
    return -1;
}

int load_script(lua_State *L, const char *path, const sandbox_spec *sb)
{
    int st = luaL_loadfilex(L, path, sb->on ? "t" : NULL);
    if (st != LUA_OK || !sb->on) return st;
    folio_sandbox_push_env(L);
    /* folio's modules as read-only views: the host's own code looks
     * functions up in them after the script (folio.params and folio.data
     * stay the script's: the host keeps its own copies) */
    folio_lua_readonly_require(L, -1);
    if (host_require(L, "folio") != LUA_OK) return LUA_ERRRUN;
    lua_getfield(L, -1, "params");
    folio_lua_readonly_skip(L, -1);
    lua_getfield(L, -2, "data");   /* a deployment's data paths, the script's copy too */
    folio_lua_readonly_skip(L, -1);
    lua_pop(L, 3);
    lua_setupvalue(L, -2, 1);   /* the main chunk's one upvalue is _ENV */
    return LUA_OK;
}

/* The script's parameters: --set key=value, numbers converted. */
static void push_params(lua_State *L, const run_opts *o);

int set_script_context(lua_State *L, const char *script, int argc, char **argv)
{
    int params = lua_gettop(L);
    if (host_require(L, "folio") != LUA_OK) return LUA_ERRRUN;
    lua_pushvalue(L, params);
    lua_setfield(L, -2, "params");
    const char *slash = strrchr(script, '/');
    if (slash) lua_pushlstring(L, script, (size_t)(slash - script) + (slash == script));
    else lua_pushliteral(L, ".");
    lua_setfield(L, -2, "script_dir");
    lua_pushstring(L, script);
    lua_setfield(L, -2, "script");
    lua_pop(L, 2);
    lua_createtable(L, argc, 1);
    lua_pushstring(L, script);
    lua_rawseti(L, -2, 0);
    for (int i = 0; i < argc; i++) {
        lua_pushstring(L, argv[i]);
        lua_rawseti(L, -2, i + 1);
    }
    lua_setglobal(L, "arg");
    return LUA_OK;
}

static void push_param(lua_State *L, const char *kv)
{
    const char *eq = strchr(kv, '=');
    lua_pushlstring(L, kv, (size_t)(eq - kv));
    if (!lua_stringtonumber(L, eq + 1)) lua_pushstring(L, eq + 1);
    lua_settable(L, -3);
}

/* A script's own folder is readable in the sandbox: models read their
 * data beside them (folio.script_dir). */
static int sandbox_defaults(run_opts *o, char *script_dir, size_t len)
{
    sandbox_spec *sb = &o->sb;
    if (!sb->instructions) sb->instructions = DEFAULT_INSTRUCTIONS;
    if (!sb->memory) sb->memory = DEFAULT_MEMORY;
    const char *slash = strrchr(o->target, '/');
    size_t n = slash ? (size_t)(slash - o->target) + (slash == o->target) : 1;
    if (n >= len) return -1;
    memcpy(script_dir, slash ? o->target : ".", n);
    script_dir[n] = '\0';
    /* the --json and --report files are the host's to write (host_finish),
     * not the script's to read or write */
    return add_path(sb->read_dirs, &sb->nread, script_dir, "--allow-read");
}

static void push_params(lua_State *L, const run_opts *o)
{
    lua_newtable(L);
    for (int i = 0; i < o->nsets; i++) push_param(L, o->sets[i]);
}

/* The run, under host_protected: errors in the host's own steps too are
 * messages, and nothing is written before host_finish has every text. */
static int run_body(lua_State *L, void *ud)
{
    run_opts *o = ud;
    host_outputs out = { o->json, o->report, NULL, o->target, o->quiet, 0 };
    push_params(L, o);
    if (set_script_context(L, o->target, o->argc, o->argv) != LUA_OK) return host_report_error(L);
    /* the host's own functions and parameters, bound before the script */
    if (host_bind(L, o->report != NULL) != LUA_OK) return host_report_error(L);
    push_params(L, o);
    host_bind_params(L);
    host_prepare_outputs(&out);
    if (sandbox_apply(L, &o->sb)) return EXIT_SCRIPT;
    if (o->sb.on) {
        if (o->json) folio_lua_deny_read(L, o->json);
        if (o->report) folio_lua_deny_read(L, o->report);
    }
    int base = lua_gettop(L);
    out.started = folio_now();
    if (load_script(L, o->target, &o->sb) != LUA_OK) return host_report_error(L);
    host_arm_interrupt(L);
    int st = host_docall(L, 0, LUA_MULTRET);
    host_disarm_interrupt();
    if (st != LUA_OK) return host_report_error(L);
    if (o->sb.on) folio_sandbox_set_budget(L, o->sb.instructions, o->sb.seconds);   /* fresh allowance for the report */
    return host_finish(L, base + 1, &out);
}

static int run_script(run_opts *o)
{
    char script_dir[4096];
    if (o->sb.on && sandbox_defaults(o, script_dir, sizeof script_dir)) return EXIT_USAGE;
    lua_State *L = host_new_state(0);
    if (!L) return EXIT_SCRIPT;
    int code = host_protected(L, run_body, o);
    host_close_state(L);
    return code;
}

/* A positive, finite number ("inf" and "nan" parse, but are no budget). */
static int parse_number(const char *flag, const char *s, double *v)
{
    char *end;
    *v = strtod(s, &end);
    if (end == s || *end || !isfinite(*v) || !(*v > 0)) {
        fprintf(stderr, "%s: %s expects a positive, finite number, got '%s'\n(see 'folio --help')\n",
                host_progname, flag, s);
        return -1;
    }
    return 0;
}

int cmd_run(int argc, char **argv, int quiet)
{
    run_opts o;
    memset(&o, 0, sizeof o);
    o.quiet = quiet;
    o.sets = calloc((size_t)argc + 1, sizeof *o.sets);
    if (!o.sets) {
        fprintf(stderr, "%s: out of memory reading the command line\n", host_progname);
        return EXIT_SCRIPT;
    }
    int code = EXIT_USAGE, i;
    for (i = 0; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        int takes = !strcmp(a, "--json") || !strcmp(a, "--set") || !strcmp(a, "--report") ||
                    !strcmp(a, "--each") || !strcmp(a, "--shard") || !strcmp(a, "--allow-read") ||
                    !strcmp(a, "--allow-write") || !strncmp(a, "--max-", 6) || !strcmp(a, "--solver-time-limit");
        if (takes && !v) { host_usage_error("%s needs a value", a); goto done; }
        double num;
        if (!strcmp(a, "--json")) o.json = argv[++i];
        else if (!strcmp(a, "--report")) o.report = argv[++i];
        else if (!strcmp(a, "--each")) o.each = argv[++i];
        else if (!strcmp(a, "--shard")) o.shard = argv[++i];
        else if (!strcmp(a, "--set")) {
            const char *kv = argv[++i];
            if (!strchr(kv, '=') || kv[0] == '=') { host_usage_error("--set expects key=value, got '%s'", kv); goto done; }
            o.sets[o.nsets++] = kv;
        } else if (!strcmp(a, "--sandbox")) o.sb.on = 1;
        else if (!strcmp(a, "--config")) o.as_config = 1;
        else if (!strcmp(a, "--allow-read")) {
            if (add_path(o.sb.read_dirs, &o.sb.nread, argv[++i], a)) goto done;
            o.sb_flags = 1;
        } else if (!strcmp(a, "--allow-write")) {
            if (add_path(o.sb.write_dirs, &o.sb.nwrite, argv[++i], a)) goto done;
            o.sb_flags = 1;
        } else if (!strcmp(a, "--max-instructions")) {
            if (parse_number(a, argv[++i], &num)) goto done;
            if (num < 1 || num != floor(num) || num > 9.2e18) {
                fprintf(stderr, "%s: --max-instructions expects a whole number >= 1, got '%s'\n(see 'folio --help')\n",
                        host_progname, argv[i]);
                goto done;
            }
            o.sb.instructions = (long long)num;
            o.sb_flags = 1;
        } else if (!strcmp(a, "--max-time")) {
            if (parse_number(a, argv[++i], &o.sb.seconds)) goto done;
            o.sb_flags = 1;
        } else if (!strcmp(a, "--solver-time-limit")) {
            if (parse_number(a, argv[++i], &o.sb.solver_time)) goto done;
            o.sb_flags = 1;
        } else if (!strcmp(a, "--max-memory")) {
            o.sb.memory = host_parse_size(argv[++i]);
            if (!o.sb.memory) { host_usage_error("--max-memory expects a size such as 512M or 2G, got '%s'", argv[i]); goto done; }
            o.sb_flags = 1;
        } else if (!strcmp(a, "--quiet") || !strcmp(a, "-q")) o.quiet = 1;
        else if (!strcmp(a, "--")) { i++; break; }
        else if (a[0] == '-' && a[1]) { host_usage_error("run: unknown option '%s'", a); goto done; }
        else if (!o.target) o.target = a;
        else break;
    }
    o.argc = argc - i;
    o.argv = argv + i;
    if (!o.target) { host_usage_error("%s", "run: no script or config given"); goto done; }
    int config = o.as_config || ends_with(o.target, ".json") || ends_with(o.target, ".deploy.lua");
    if (config) {
        if (o.shard && !o.each) { host_usage_error("%s", "run: --shard needs --each (it splits the rows of a sweep)"); goto done; }
        code = deploy_run(&o);
    } else {
        if (o.each || o.shard) { host_usage_error("%s", "run: --each and --shard need a deployment config (.json or .deploy.lua)"); goto done; }
        if (o.sb_flags && !o.sb.on) { host_usage_error("%s", "run: --allow-*, --max-* and --solver-time-limit need --sandbox"); goto done; }
        code = run_script(&o);
    }
done:
    free(o.sets);
    return code;
}
