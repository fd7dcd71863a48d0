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
 * every further line raises the budget error, so pcall cannot swallow it. */
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

#endif
