/* `folio run deploy.json`: a planning state reads and validates the
 * config and lists the rows (--each, --shard); each row then runs in a
 * fresh state of its own, sandboxed unless the config is trusted, and
 * writes its outputs and run record (lua/folio/deploy.lua). */
#include "run.h"
#include "host.h"

#include <lauxlib.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "folio/folio.h"
#include "../lua/lsandbox.h"

#define DEPLOY_INSTRUCTIONS 10000000000LL
#define DEPLOY_MEMORY ((size_t)4 << 30)
#define PLAN_INSTRUCTIONS 100000000LL   /* a Lua config is data, not a program */

/* mkdir -p */
static int make_dirs(const char *path)
{
    char buf[4096];
    size_t n = strlen(path);
    if (n == 0 || n >= sizeof buf) return -1;
    memcpy(buf, path, n + 1);
    for (char *p = buf + 1; ; p++) {
        if (*p == '/' || *p == '\0') {
            char c = *p;
            *p = '\0';
            if (mkdir(buf, 0777) != 0 && errno != EEXIST) return -1;
            *p = c;
            if (!c) break;
        }
    }
    return 0;
}

static void push_strings(lua_State *L, const char **list, int n)
{
    lua_createtable(L, n, 0);
    for (int i = 0; i < n; i++) {
        lua_pushstring(L, list[i]);
        lua_rawseti(L, -2, i + 1);
    }
}

/* Planning's state: the texts are C strings that outlive the Lua state,
 * so the caller frees them whatever happened. */
typedef struct { run_opts *o; char **texts; int ntexts; } plan_ctx;

static int plan_body(lua_State *L, void *ud)
{
    plan_ctx *p = ud;
    run_opts *o = p->o;
    folio_sandbox_set_budget(L, PLAN_INSTRUCTIONS, 0);
    if (host_require(L, "folio.deploy") != LUA_OK) return host_report_error(L);
    int d = lua_gettop(L);
    lua_getfield(L, d, "load");
    lua_pushstring(L, o->target);
    push_strings(L, o->sets, o->nsets);
    lua_pushboolean(L, o->as_config || strstr(o->target, ".lua") != NULL);
    if (host_docall(L, 3, 1) != LUA_OK) return host_report_error(L);
    int cfg = lua_gettop(L);
    lua_getfield(L, d, "rows");
    if (o->each) lua_pushstring(L, o->each); else lua_pushnil(L);
    if (o->shard) lua_pushstring(L, o->shard); else lua_pushnil(L);
    lua_pushvalue(L, cfg);
    if (host_docall(L, 3, 1) != LUA_OK) return host_report_error(L);
    int rows = lua_gettop(L);
    int count = (int)lua_rawlen(L, rows);
    p->texts = calloc((size_t)count + 1, sizeof *p->texts);
    if (!p->texts) return luaL_error(L, "not enough memory");
    for (int i = 0; i < count; i++) {
        lua_getfield(L, d, "encode");
        lua_pushvalue(L, cfg);
        lua_rawgeti(L, rows, i + 1);
        if (host_docall(L, 2, 1) != LUA_OK) return host_report_error(L);
        if (!(p->texts[i] = strdup(lua_tostring(L, -1)))) return luaL_error(L, "not enough memory");
        p->ntexts = i + 1;
        lua_pop(L, 1);
    }
    return EXIT_SOLVED;
}

/* Plans the runs: one JSON job text per row, in rows[]; returns the count
 * or -1 after reporting the error. */
static int plan(run_opts *o, char ***rows_out)
{
    lua_State *L = host_new_state(0);
    if (!L) return -1;
    plan_ctx p = { o, NULL, 0 };
    int code = host_protected(L, plan_body, &p);
    host_close_state(L);
    if (code != EXIT_SOLVED) {
        for (int k = 0; k < p.ntexts; k++) free(p.texts[k]);
        free(p.texts);
        return -1;
    }
    *rows_out = p.texts;
    return p.ntexts;
}

static const char *field_string(lua_State *L, int t, const char *k)
{
    lua_getfield(L, t, k);
    const char *s = lua_tostring(L, -1);
    lua_pop(L, 1);   /* the string stays alive in the table */
    return s;
}

static double field_number(lua_State *L, int t, const char *k)
{
    lua_getfield(L, t, k);
    double v = lua_tonumber(L, -1);
    lua_pop(L, 1);
    return v;
}

typedef struct { run_opts *o; const char *text; int batch; } job_args;

/* One job, under host_protected; its exit code. batch: one summary line
 * instead of the report. */
static int job_body(lua_State *L, void *ud)
{
    const job_args *a = ud;
    run_opts *o = a->o;
    const char *text = a->text;
    int batch = a->batch;
    int code = EXIT_SCRIPT;
    if (host_require(L, "folio.deploy") != LUA_OK) return host_report_error(L);
    int d = lua_gettop(L);
    lua_getfield(L, d, "decode");
    lua_pushstring(L, text);
    if (host_docall(L, 1, 2) != LUA_OK) return host_report_error(L);
    lua_getfield(L, d, "job");
    lua_insert(L, -3);
    lua_createtable(L, 0, 3);
    if (o->json) { lua_pushstring(L, o->json); lua_setfield(L, -2, "json"); }
    if (o->report) { lua_pushstring(L, o->report); lua_setfield(L, -2, "report"); }
    if (o->shard) { lua_pushstring(L, o->shard); lua_setfield(L, -2, "shard"); }
    if (host_docall(L, 3, 1) != LUA_OK) return host_report_error(L);
    int job = lua_gettop(L);

    lua_getfield(L, job, "outputs");
    const char *outdir = field_string(L, -1, "dir");
    lua_pop(L, 1);
    if (make_dirs(outdir) != 0) {
        fprintf(stderr, "%s: cannot create output folder '%s': %s\n", host_progname, outdir, strerror(errno));
        return EXIT_SCRIPT;
    }
    const char *row_id = NULL;
    lua_getfield(L, job, "row");
    row_id = field_string(L, -1, "id");
    lua_pop(L, 1);

    sandbox_spec sb;
    memset(&sb, 0, sizeof sb);
    lua_getfield(L, job, "trusted");
    sb.on = !lua_toboolean(L, -1);
    lua_pop(L, 1);
    lua_getfield(L, job, "reads");
    int nreads = (int)lua_rawlen(L, -1);
    for (int i = 0; i < nreads && sb.nread < RUN_MAX_PATHS; i++) {
        lua_rawgeti(L, -1, i + 1);
        sb.read_dirs[sb.nread++] = lua_tostring(L, -1);
        lua_pop(L, 1);
    }
    lua_pop(L, 1);
    /* the script may write its output folder; the outputs themselves and
     * the record are the host's (D.finish), written after it */
    sb.write_dirs[sb.nwrite++] = outdir;
    lua_getfield(L, job, "sandbox");
    sb.instructions = (long long)field_number(L, -1, "instructions");
    sb.seconds = field_number(L, -1, "time");
    lua_pop(L, 1);
    sb.memory = (size_t)field_number(L, job, "memory");
    if (!sb.instructions) sb.instructions = DEPLOY_INSTRUCTIONS;
    if (!sb.memory) sb.memory = DEPLOY_MEMORY;

    lua_getfield(L, job, "params");
    const char *model = field_string(L, job, "model");
    if (set_script_context(L, model, o->argc, o->argv) != LUA_OK) return host_report_error(L);
    if (host_bind(L, 0) != LUA_OK) return host_report_error(L);
    if (sandbox_apply(L, &sb)) return EXIT_SCRIPT;
    lua_getfield(L, d, "begin");
    lua_pushvalue(L, job);
    if (host_docall(L, 1, 0) != LUA_OK) return host_report_error(L);

    /* the script */
    int base = lua_gettop(L);
    double t0 = folio_now();
    int ok = load_script(L, model, &sb) == LUA_OK;
    if (ok) {
        host_arm_interrupt(L);
        ok = host_docall(L, 0, LUA_MULTRET) == LUA_OK;
        host_disarm_interrupt();
    }
    double script_s = folio_now() - t0;
    long long used = folio_sandbox_used(L);
    if (!ok) {
        const char *msg = lua_tostring(L, -1);
        fprintf(stderr, "%s: %s%s%s%s\n", host_progname, row_id ? row_id : "", row_id ? ": " : "",
                host_mem_refused() ? "memory cap reached: " : "", msg ? msg : "(error without message)");
    }
    if (sb.on) {   /* a fresh allowance for writing the outputs */
        folio_sandbox_set_budget(L, sb.instructions, sb.seconds);
        host_set_mem_limit(sb.memory);
    }
    int values = lua_gettop(L);
    if (ok) {
        lua_createtable(L, values - base, 0);
        for (int i = base + 1; i <= values; i++) {
            lua_pushvalue(L, i);
            lua_rawseti(L, -2, i - base);
        }
        values = lua_gettop(L);
    }
    lua_getfield(L, d, "finish");
    lua_pushvalue(L, job);
    lua_pushboolean(L, ok);
    lua_pushvalue(L, values);
    lua_createtable(L, 0, 2);
    lua_pushnumber(L, script_s);
    lua_setfield(L, -2, "script_s");
    lua_pushinteger(L, (lua_Integer)used);
    lua_setfield(L, -2, "instructions");
    if (host_docall(L, 4, 3) != LUA_OK) {   /* a second fact, after the script's own error */
        const char *msg = lua_tostring(L, -1);
        fprintf(stderr, "%s: %s%soutputs and run record not written: %s\n", host_progname, row_id ? row_id : "",
                row_id ? ": " : "", msg ? msg : "(error without message)");
        return folio_interrupted() ? EXIT_INTERRUPTED : EXIT_SCRIPT;
    }
    code = (int)lua_tointeger(L, -3);
    const char *summary = lua_tostring(L, -2);
    const char *write_error = lua_tostring(L, -1);
    if (batch) printf("%s: %s (%s)\n", row_id ? row_id : "run", summary, outdir);
    else if (ok && !o->quiet && host_render(L, values) != EXIT_SOLVED) code = EXIT_SCRIPT;   /* written, but not shown */
    fflush(stdout);
    if (write_error)   /* the outputs could not be written: one line, exit 1 */
        fprintf(stderr, "%s: %s%s%s\n", host_progname, row_id ? row_id : "", row_id ? ": " : "", write_error);
    return code;
}

static int run_job(run_opts *o, const char *text, int batch)
{
    job_args args = { o, text, batch };
    lua_State *L = host_new_state(0);
    if (!L) return EXIT_SCRIPT;
    int code = host_protected(L, job_body, &args);
    host_close_state(L);
    return code;
}

int deploy_run(run_opts *o)
{
    if (o->sb_flags || o->sb.on) {
        return host_usage_error("%s", "run: a deployment's sandbox is set in its config ('sandbox', 'read_dirs', 'trusted'), not by flags");
    }
    char **rows = NULL;
    int n = plan(o, &rows);
    if (n < 0) return EXIT_SCRIPT;
    int worst = EXIT_SOLVED;
    for (int i = 0; i < n; i++) {
        if (folio_interrupted()) {   /* Ctrl-C ends the sweep, not just one row */
            fprintf(stderr, "%s: interrupted: %d of %d runs not started\n", host_progname, n - i, n);
            worst = EXIT_INTERRUPTED;
            for (int k = i; k < n; k++) free(rows[k]);
            break;
        }
        int code = run_job(o, rows[i], o->each != NULL);
        free(rows[i]);
        /* Ctrl-C outranks 1 (an error), which outranks 3 (no solution) and 0 */
        if (code == EXIT_INTERRUPTED || folio_interrupted()) worst = EXIT_INTERRUPTED;
        else if (code == EXIT_SCRIPT || (code == EXIT_NO_SOLUTION && worst == EXIT_SOLVED)) worst = code;
    }
    free(rows);
    if (o->each && n == 0) fprintf(stderr, "%s: --each: no rows in this shard\n", host_progname);
    return worst;
}
