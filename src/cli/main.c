/* folio: run model scripts and deployments, solve LP/MPS files, and a
 * REPL. Exit codes: 0 solved, 3 no solution, 1 script or data error,
 * 2 usage. */
#include <lua.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "folio/folio.h"
#include "host.h"
#include "jupyter.h"
#include "repl.h"
#include "run.h"

static void usage_text(FILE *f)
{
    fprintf(f,
        "usage: folio [--quiet | --verbose] COMMAND ...\n"
        "       folio run SCRIPT.lua [--json OUT.json] [--report OUT.html] [--set key=value ...]\n"
        "                 [--sandbox [--allow-read DIR] [--allow-write DIR] [--max-instructions N]\n"
        "                  [--max-memory SIZE] [--max-time S] [--solver-time-limit S]] [--] [args...]\n"
        "       folio run DEPLOY.json|DEPLOY.deploy.lua [--set key=value ...] [--each PARAMS.csv]\n"
        "                 [--shard I/N] [--json OUT.json] [--report OUT.html]\n"
        "       folio solve FILE.lp|FILE.mps [--json OUT.json] [--time-limit S] [--solver NAME]\n"
        "       folio repl\n"
        "       folio jupyter install [--user | --prefix P] [--sandbox ...]   (docs/jupyter.md)\n"
        "       folio --version | --help\n"
        "\n"
        "run    executes a model script; what it returns is printed as a report\n"
        "       (and written as JSON with --json, as an HTML page with --report).\n"
        "       --set values reach the script as folio.params.key (numbers converted).\n"
        "       --sandbox runs it with an allow-list environment, reads only under its\n"
        "       own folder and --allow-read folders, and instruction/memory budgets.\n"
        "       A .json or .deploy.lua target is a deployment config (docs/deploy.md):\n"
        "       sandboxed unless it says trusted, with a run record beside its outputs;\n"
        "       --each runs it once per CSV row, --shard I/N takes rows I, I+N, ...\n"
        "solve  reads an LP or MPS file and solves it; --solver picks the backend\n"
        "       (glpk, clp, cbc, qp) instead of the automatic choice.\n"
        "repl   an interactive prompt with folio loaded (:help for its commands).\n"
        "\n"
        "--quiet prints no report and no progress; --verbose logs solver progress;\n"
        "NO_COLOR turns colours off.\n"
        "\n"
        "exit status: 0 solved (optimal or feasible), 3 no solution, 1 script or\n"
        "data error, 2 usage error, 130 interrupted (Ctrl-C).\n");
}

typedef struct {
    const char *file, *json, *solver;
    double limit;
    int verbose, quiet;
} solve_args;

/* `folio solve`'s work, under host_protected */
static int solve_body(lua_State *L, void *ud)
{
    const solve_args *a = ud;
    host_outputs out = { a->json, NULL, NULL, a->file, a->quiet, 0 };
    if (host_bind(L, 0) != LUA_OK) return host_report_error(L);
    host_prepare_outputs(&out);
    /* called from C, so errors carry the file's own position only */
    if (host_require(L, "folio") != LUA_OK) return host_report_error(L);
    /* Ctrl-C stops the reader and the solver, as in `folio run` */
    host_arm_interrupt(L);
    lua_getfield(L, -1, "read_model");
    lua_pushstring(L, a->file);
    int st = host_docall(L, 1, 1);
    if (st == LUA_OK) {
        int model = lua_gettop(L);
        lua_getfield(L, model, "solve");
        lua_pushvalue(L, model);
        lua_createtable(L, 0, 3);
        lua_pushnumber(L, a->limit);
        lua_setfield(L, -2, "time_limit");
        if (a->solver) {
            lua_pushstring(L, a->solver);
            lua_setfield(L, -2, "solver");
        }
        lua_pushboolean(L, a->verbose);
        lua_setfield(L, -2, "verbose");
        st = host_docall(L, 2, 1);
    }
    host_disarm_interrupt();
    if (folio_interrupted()) {   /* no report and no JSON of a stopped solve, as `folio run` */
        fprintf(stderr, "%s: %s: interrupted\n", host_progname, a->file);
        return EXIT_INTERRUPTED;
    }
    if (st != LUA_OK) return host_report_error(L);
    return host_finish(L, lua_gettop(L), &out);
}

static int cmd_solve(int argc, char **argv, int level)
{
    const char *file = NULL, *json = NULL, *solver = NULL;
    double limit = 0;
    int verbose = level == 2, quiet = level == 0;
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--json")) {
            if (i + 1 >= argc) return host_usage_error("%s needs a value", a);
            json = argv[++i];
        } else if (!strcmp(a, "--time-limit")) {
            if (i + 1 >= argc) return host_usage_error("%s needs a value", a);
            char *end;
            limit = strtod(argv[++i], &end);
            /* "nan" and "inf" parse too: a limit is a finite number of seconds */
            if (end == argv[i] || *end || !isfinite(limit) || limit < 0)
                return host_usage_error("--time-limit expects seconds (a number >= 0), got '%s'", argv[i]);
        } else if (!strcmp(a, "--solver")) {
            if (i + 1 >= argc) return host_usage_error("%s needs a value", a);
            solver = argv[++i];
        } else if (a[0] == '-' && a[1]) {
            return host_usage_error("solve: unknown option '%s'", a);
        } else if (!file) {
            file = a;
        } else {
            return host_usage_error("solve: unexpected argument '%s'", a);
        }
    }
    if (!file) return host_usage_error("%s", "solve: no file given");
    solve_args args = { file, json, solver, limit, verbose, quiet };
    lua_State *L = host_new_state(0);
    if (!L) return EXIT_SCRIPT;
    int code = host_protected(L, solve_body, &args);
    host_close_state(L);
    return code;
}

/* OpenBLAS's spinning worker threads slow model building and small solves
 * on a shared machine; the QP engine asks for more threads on large dense
 * problems. OPENBLAS_NUM_THREADS, when set, decides instead. */
void openblas_set_num_threads(int);

/* Takes --quiet/-q and --verbose out of argv (up to a "--"); returns
 * the verbosity: 0 quiet, 1 normal, 2 verbose. */
static int take_verbosity(int *argc, char **argv)
{
    int level = 1, j = 1, rest = 0;
    for (int i = 1; i < *argc; i++) {
        const char *a = argv[i];
        if (!rest && !strcmp(a, "--")) rest = 1;
        if (!rest && (!strcmp(a, "--quiet") || !strcmp(a, "-q"))) level = 0;
        else if (!rest && !strcmp(a, "--verbose")) level = 2;
        else argv[j++] = argv[i];
    }
    *argc = j;
    argv[j] = NULL;
    return level;
}

int main(int argc, char **argv)
{
    if (!getenv("OPENBLAS_NUM_THREADS")) openblas_set_num_threads(1);
    int level = take_verbosity(&argc, argv);
    folio_set_verbosity(level);
    int quiet = level == 0;
    if (argc < 2) {
        if (isatty(0)) return cmd_repl();
        usage_text(stderr);
        return EXIT_USAGE;
    }
    const char *cmd = argv[1];
    if (!strcmp(cmd, "--version")) {
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
    if (!strcmp(cmd, "run")) return cmd_run(argc - 2, argv + 2, quiet);
    if (!strcmp(cmd, "solve")) return cmd_solve(argc - 2, argv + 2, level);
    if (!strcmp(cmd, "jupyter")) return cmd_jupyter(argc - 2, argv + 2);
    if (!strcmp(cmd, "repl")) {
        if (argc > 2) return host_usage_error("repl: unexpected argument '%s'", argv[2]);
        return cmd_repl();
    }
    return host_usage_error("unknown command '%s'", cmd);
}
