/* The sandbox: an allow-list environment for untrusted model scripts, the
 * folders folio's readers and writers may touch, and an instruction and
 * wall-clock budget enforced by a count hook (see lsandbox.c). The memory
 * cap is the host allocator's limit (lalloc.h). */
#ifndef FOLIO_LSANDBOX_H
#define FOLIO_LSANDBOX_H

#include <lua.h>

enum folio_sandbox_access {
    FOLIO_ALLOW_READ_DIR,    /* files under the folder may be read */
    FOLIO_ALLOW_WRITE_DIR,   /* files under the folder may be read and written */
    FOLIO_ALLOW_WRITE_FILE   /* this one file may be written (an output) */
};

/* Turns the path policy on for L: from now on readers and writers only
 * touch what folio_sandbox_allow granted. Idempotent. */
void folio_sandbox_enable(lua_State *L);

/* Grants access; the path is resolved (symbolic links, ..) now. Returns 0,
 * or -1 with a one-line reason in err. A write file's folder must exist. */
int folio_sandbox_allow(lua_State *L, const char *path, int access, char *err, size_t errlen);

/* Instruction and wall-clock budget (0 for none) from now on. Once spent,
 * every further line, instruction and return raises the budget error, so
 * pcall cannot swallow it, and no xpcall handler, __gc finalizer or __close
 * of a dead coroutine runs outside it (docs/sandbox.md). */
void folio_sandbox_set_budget(lua_State *L, long long instructions, double seconds);
/* Instructions run since the budget was set. */
long long folio_sandbox_used(lua_State *L);

/* Pushes a fresh allow-list environment (no io, os, package, debug;
 * text-only load; require limited to folio's own modules). */
void folio_sandbox_push_env(lua_State *L);

/* Raises a Lua error unless the policy allows the access (write != 0 for
 * writing). No-op when the sandbox is off. */
void folio_sandbox_check_path(lua_State *L, const char *path, int write);

/* Pushes the list of files folio's readers have opened (resolved paths,
 * first read first). */
void folio_sandbox_push_reads(lua_State *L);

/* ---- for folio's bindings: C loops under the budget ----------------------
 * While a budget is set, libfolio's own loops (the CIM, the Ising machines,
 * subset enumeration, the QP engine, GLPK's and Cbc's branch and bound)
 * poll it through folio_poll (folio.h), which charges their time as instructions
 * (10^8 a second) and stops them once it is spent; the bindings then raise
 * the budget error with folio_sandbox_check. */

/* Nonzero when a C loop of the bindings should stop: Ctrl-C, or the budget
 * spent (charging the loop's time). Free what the loop holds, then call
 * folio_sandbox_check and lprogress_check_interrupt. */
int folio_sandbox_poll(lua_State *L);
/* Raises the budget error once the budget is spent; returns otherwise. */
void folio_sandbox_check(lua_State *L);
/* Charges steps of C work as instructions (the clock is read every few
 * thousand) and raises the budget error once the budget is spent. */
void folio_sandbox_charge(lua_State *L, unsigned long steps);
/* Replaces string.find, match, gmatch, gsub, rep and table.move, insert,
 * remove, concat, sort in L's libraries by versions that charge the budget
 * for their C loops (lsandbox_lib.c). Idempotent. */
void folio_sandbox_open_libs(lua_State *L);

#endif
