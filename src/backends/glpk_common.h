/* Shared pieces of the GLPK backend: loading a model, guarding GLPK's
 * abort-on-error, capturing its terminal output. */
#ifndef FOLIO_GLPK_COMMON_H
#define FOLIO_GLPK_COMMON_H

#include "backend.h"
#include <glpk.h>
#include <setjmp.h>

/* Names as stored, or rewritten for CPLEX LP format ('[' -> '(', ']' -> ')'),
 * whose readers accept no brackets. */
enum { GLPK_NAMES_EXACT = 0, GLPK_NAMES_LP = 1 };

/* Builds a GLPK problem from m (linear part only: the caller refuses or
 * skips quadratic terms and cones). NULL on out-of-memory. Must run under
 * GLPK_GUARD. */
glp_prob *folio_glpk_build(const folio_model *m, int names);

/* Builds m into a GLPK problem under the error guard, runs op on it, and
 * frees it: the one place that sets up the guard around a model. op
 * returns FOLIO_OK or an error it has explained in m. */
typedef folio_error (*folio_glpk_op)(glp_prob *P, void *ud);
folio_error folio_glpk_run(folio_model *m, int verbose, int names, folio_glpk_op op, void *ud);

/* Objective and right-hand-side ranges of P's optimal basis (factorised
 * here if need be) into res; FOLIO_ERR_NOMEM or FOLIO_ERR_BACKEND (no
 * basis factorisation) on failure. Runs under the GLPK guard. */
folio_error folio_glpk_ranges(glp_prob *P, folio_result *res);

/* GLPK calls abort() after its error hook returns, so the hook jumps back.
 * Usage: jmp_buf jb; folio_glpk_begin(&jb, verbose);
 *        if (setjmp(jb)) { glp_free_env(); ...report...; }   */
extern jmp_buf *folio_glpk_jump;
void folio_glpk_begin(jmp_buf *jb, int verbose);
void folio_glpk_end(void);
/* The last line GLPK printed (with trailing newline removed). */
const char *folio_glpk_last_message(void);
/* After GLPK's error hook fired: its diagnosis and location, in buf. */
const char *folio_glpk_failure(char *buf, size_t len);
/* Copies the first line GLPK printed since begin that starts with prefix;
 * returns 0 when there is none. */
int folio_glpk_find_line(const char *prefix, char *out, size_t outlen);

/* What GLPK's readers printed since begin about a file, from its lines
 * that start with prefix ("FILE:"): each field holds "LINE: text" (the
 * part after the prefix) or "". */
typedef struct folio_glpk_read_log {
    char error[512];   /* the first line that is not a warning */
    char noeol[512];   /* "warning: missing final end of line" */
    char noend[512];   /* "warning: keyword 'end' missing" (LP) */
} folio_glpk_read_log;
void folio_glpk_read_log_get(const char *prefix, folio_glpk_read_log *log);

#endif
