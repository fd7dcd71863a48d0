/* What the CLI commands share: the Lua state with its counting allocator,
 * the one pcall wrapper, error reporting, and printing what a script
 * returned (text report, JSON, HTML report). */
#ifndef FOLIO_CLI_HOST_H
#define FOLIO_CLI_HOST_H

#include <lua.h>
#include <stddef.h>

enum { EXIT_SOLVED = 0, EXIT_SCRIPT = 1, EXIT_USAGE = 2, EXIT_NO_SOLUTION = 3,
       EXIT_INTERRUPTED = 130 /* 128 + SIGINT, as shells report it */ };

extern const char *host_progname;

/* A new state with folio installed; mem_limit caps its bytes (0: none).
 * NULL (after a message) when memory runs out. */
lua_State *host_new_state(size_t mem_limit);
void host_close_state(lua_State *L);
/* What host_new_state does to a fresh state, as a lua_CFunction to run
 * under lua_pcall: the standard libraries, the host's coroutine.resume
 * and wrap (so Ctrl-C reaches coroutines), folio installed. Shared with
 * the Python module (python/), whose states have allocators of their own. */
int host_setup_state(lua_State *L);
int host_mem_refused(void);   /* the cap refused a request */
void host_set_mem_limit(size_t limit);

/* Runs body(L, ud) in protected mode, as lua.c runs pmain: an error the
 * body does not catch itself (memory running out in the host's own stack
 * work, mostly) is reported by host_report_error, never a panic. The
 * body's exit code, or the reported error's. */
typedef int (*host_body)(lua_State *L, void *ud);
int host_protected(lua_State *L, host_body body, void *ud);

/* lua_pcall under the traceback handler; the function sits below nargs. */
int host_docall(lua_State *L, int nargs, int nres);
/* require "name" under host_docall; leaves the module on the stack. */
int host_require(lua_State *L, const char *name);
/* Prints the error at the top (naming the memory cap when it was hit),
 * pops it, returns EXIT_SCRIPT (EXIT_INTERRUPTED after Ctrl-C). */
int host_report_error(lua_State *L);
int host_usage_error(const char *fmt, const char *arg);

typedef struct host_outputs {
    const char *json, *report;   /* paths or NULL */
    const char *title, *script;
    int quiet;                   /* no text report on stdout */
    double started;              /* folio_now() at the start, 0 if unknown */
} host_outputs;

/* Takes the report's, JSON's and exit code's functions (and, with html,
 * the HTML report's) from folio's modules into the registry: call it
 * before the script runs, so that nothing the script changes is consulted
 * afterwards. A Lua status; the error at the top. */
int host_bind(lua_State *L, int html);
/* The table at the top (popped) is the run's parameters as the host set
 * them, for the HTML report's header. */
void host_bind_params(lua_State *L);
/* Prints the report of the values list at index values with the bound
 * renderer; EXIT_SOLVED, or EXIT_SCRIPT after reporting an error. */
int host_render(lua_State *L, int values);

/* Before the script: completes the outputs an earlier run left half
 * renamed (a crash during its commit) and removes the temp files of runs
 * that died. */
void host_prepare_outputs(const host_outputs *out);

/* Prints and writes what the script returned (the values at [first, top])
 * and returns the exit code they call for. The JSON and the HTML report
 * are written as one set (atomic_file.h): a crash leaves the old pair or
 * the new one; a failed write is one line on stderr and EXIT_SCRIPT. */
int host_finish(lua_State *L, int first, const host_outputs *out);

/* Ctrl-C: while armed, SIGINT stops the running Lua code, in the main
 * thread and in every coroutine (a hook raises "interrupted" until
 * disarmed), and asks the solvers to stop. */
void host_arm_interrupt(lua_State *L);
void host_disarm_interrupt(void);

/* Parses "64M", "2G", "512k", "1000" (bytes); 0 on error. */
size_t host_parse_size(const char *s);

#endif
