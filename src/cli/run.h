/* `folio run`: a model script, or a deployment config (deploy.c). */
#ifndef FOLIO_CLI_RUN_H
#define FOLIO_CLI_RUN_H

#include <lua.h>
#include <stddef.h>

#define RUN_MAX_PATHS 32

typedef struct sandbox_spec {
    int on;
    const char *read_dirs[RUN_MAX_PATHS], *write_dirs[RUN_MAX_PATHS], *write_files[RUN_MAX_PATHS];
    int nread, nwrite, nfiles;
    long long instructions;   /* 0: none */
    double seconds;           /* Lua wall-clock budget, 0: none */
    size_t memory;            /* bytes, 0: none */
    double solver_time;       /* cap on every solve's time limit, 0: none */
} sandbox_spec;

typedef struct run_opts {
    const char *target;       /* script or config */
    const char *json, *report, *each, *shard;
    const char **sets;
    int nsets;
    int quiet;
    int as_config;            /* --config: the .lua target is a config */
    int argc;                 /* script arguments after the target or -- */
    char **argv;
    sandbox_spec sb;
    int sb_flags;             /* some --max-* or --allow-* flag was given */
} run_opts;

int cmd_run(int argc, char **argv, int quiet);
int deploy_run(run_opts *o);

/* Applies spec to the fresh state L (path policy, budgets, memory cap).
 * Returns 0, or prints the problem and returns -1. */
int sandbox_apply(lua_State *L, const sandbox_spec *spec);
/* Loads the script at path as a text chunk, in the sandbox environment
 * when spec->on, leaving the function on the stack; LUA_OK or an error
 * message on the stack. */
int load_script(lua_State *L, const char *path, const sandbox_spec *spec);
/* Sets folio.params from the table at the top (popped), folio.script,
 * folio.script_dir and the global arg. Returns a Lua status. */
int set_script_context(lua_State *L, const char *script, int argc, char **argv);

#endif
