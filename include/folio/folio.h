/* libfolio: a solver-neutral optimisation model and its backends.
 *
 * A model holds columns (bounds, kind, name), named linear rows, a linear
 * objective with optional quadratic terms, and second-order cones. Backends
 * (GLPK and COIN-OR Cbc for LP/MIP, folio's own QP/SOCP engine) solve it
 * behind one interface.
 *
 * Conventions: every function that can fail returns a folio_error and fills
 * an error message retrievable with folio_model_last_error(); solve
 * outcomes are a separate enum (folio_status). Indices are 0-based.
 * Infinite bounds are +/-HUGE_VAL. No function calls exit(); nothing prints
 * except the progress and log lines on stderr below (folio_set_verbosity).
 */
#ifndef FOLIO_FOLIO_H
#define FOLIO_FOLIO_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

#include "folio/version.h"   /* FOLIO_VERSION, written by CMake from project() */

/* What went wrong while building or solving (not the solve outcome). */
typedef enum folio_error {
    FOLIO_OK = 0,
    FOLIO_ERR_NOMEM,
    FOLIO_ERR_INVALID,      /* bad argument: NaN, lb > ub, bad index, ... */
    FOLIO_ERR_UNSUPPORTED,  /* backend cannot handle the model (e.g. cones in GLPK) */
    FOLIO_ERR_IO,           /* file could not be read or written */
    FOLIO_ERR_PARSE,        /* file could not be parsed */
    FOLIO_ERR_BACKEND,      /* the solver library failed internally */
    FOLIO_ERR_NOT_FOUND     /* unknown backend, name, ... */
} folio_error;

/* The outcome of a solve. */
typedef enum folio_status {
    FOLIO_STATUS_UNSOLVED = 0,
    FOLIO_STATUS_OPTIMAL,
    FOLIO_STATUS_INFEASIBLE,
    FOLIO_STATUS_UNBOUNDED,
    FOLIO_STATUS_INFEASIBLE_OR_UNBOUNDED,
    FOLIO_STATUS_TIME_LIMIT,
    FOLIO_STATUS_ITERATION_LIMIT,
    FOLIO_STATUS_NUMERICAL_ERROR,
    FOLIO_STATUS_INTERRUPTED  /* folio_interrupt() was called: stopped early */
} folio_status;

typedef enum folio_kind {
    FOLIO_CONTINUOUS = 0,
    FOLIO_INTEGER,
    FOLIO_BINARY
} folio_kind;

typedef enum folio_sense { FOLIO_MINIMIZE = 0, FOLIO_MAXIMIZE } folio_sense;

typedef enum folio_file_format { FOLIO_FORMAT_LP = 0, FOLIO_FORMAT_MPS } folio_file_format;

const char *folio_error_message(folio_error e);
const char *folio_status_name(folio_status s);    /* "optimal", "time_limit", ... */
const char *folio_status_message(folio_status s); /* a sentence */

/* ---- model ------------------------------------------------------------ */

typedef struct folio_model folio_model;

folio_model *folio_model_new(const char *name);
void folio_model_free(folio_model *m);               /* accepts NULL */
const char *folio_model_name(const folio_model *m);
const char *folio_model_last_error(const folio_model *m);

/* Adds one column; returns its index, or -1 (see last_error). */
long folio_model_add_col(folio_model *m, const char *name, double lb, double ub,
                         folio_kind kind);
/* Adds one linear row lo <= sum val[k] x[idx[k]] <= hi. Use -HUGE_VAL/HUGE_VAL
 * for a missing side, lo == hi for an equality. Duplicate indices are summed
 * and zero coefficients dropped. Returns the row index, or -1. */
long folio_model_add_row(folio_model *m, const char *name, size_t n,
                         const int *idx, const double *val, double lo, double hi);
/* Declares the current objective's quadratic part known to be convex (when
 * minimising) or concave (when maximising), as the Lua layer can tell from
 * how it was built; the QP engine then skips its own Cholesky check.
 * Setting the objective again clears the mark. */
void folio_model_mark_objective_convex(folio_model *m);
/* Adds a convex quadratic constraint  lo <= l'x + sum_k qv[k] x[qi[k]] x[qj[k]] <= hi
 * with one side infinite: "<=" needs a positive semidefinite form, ">=" a
 * negative semidefinite one (otherwise FOLIO_ERR_INVALID names the extreme
 * eigenvalue). Stored as a row with this name, plus a column and a cone
 * named "NAME.sq" (see src/core/quad_row.c). Returns the row index or -1. */
long folio_model_add_quad_row(folio_model *m, const char *name, size_t n, const int *idx,
                              const double *val, size_t nq, const int *qi, const int *qj,
                              const double *qv, double lo, double hi);
/* Replaces the objective: constant + sum_k val[k] x[idx[k]]
 *                         + sum_k qv[k] x[qi[k]] x[qj[k]]
 * (quadratic terms as written, no factor 1/2; i and j in any order). */
folio_error folio_model_set_objective(folio_model *m, folio_sense sense, double constant,
                                      size_t n, const int *idx, const double *val,
                                      size_t nq, const int *qi, const int *qj,
                                      const double *qv);
/* Second-order cone ||(a_1 x + b_1, ..., a_k x + b_k)||_2 <= t x + t0, each
 * member an affine expression given in CSR form: member r has terms
 * start[r]..start[r+1]-1 of idx/val and constant cst[r]; the right-hand side
 * is (nt, tidx, tval, t0). Returns the cone index, or -1. */
long folio_model_add_soc(folio_model *m, const char *name, size_t k,
                         const size_t *start, const int *idx, const double *val,
                         const double *cst, size_t nt, const int *tidx,
                         const double *tval, double t0);

size_t folio_model_ncols(const folio_model *m);
size_t folio_model_nrows(const folio_model *m);
size_t folio_model_nnz(const folio_model *m);
size_t folio_model_nquad(const folio_model *m);
size_t folio_model_ncones(const folio_model *m);
size_t folio_model_nintegers(const folio_model *m);

const char *folio_model_col_name(const folio_model *m, size_t j);
const char *folio_model_row_name(const folio_model *m, size_t i);
const char *folio_model_cone_name(const folio_model *m, size_t k);
void folio_model_col_bounds(const folio_model *m, size_t j, double *lb, double *ub);
folio_kind folio_model_col_kind(const folio_model *m, size_t j);
void folio_model_row_bounds(const folio_model *m, size_t i, double *lo, double *hi);
/* Row i: *n terms in idx and val, valid until the model next changes. */
void folio_model_row(const folio_model *m, size_t i, size_t *n, const int **idx,
                     const double **val);
folio_sense folio_model_sense(const folio_model *m);
double folio_model_obj_constant(const folio_model *m);
double folio_model_obj_coef(const folio_model *m, size_t j);
/* Name lookup (hash built on first use); -1 when absent, -2 when memory
 * ran out building the hash (see last_error). */
long folio_model_find_col(folio_model *m, const char *name);
long folio_model_find_row(folio_model *m, const char *name);
long folio_model_find_cone(folio_model *m, const char *name);

/* Writes the model in CPLEX LP or free MPS format, names kept, atomically. */
folio_error folio_model_write(folio_model *m, const char *path, folio_file_format fmt);
/* Reads an LP or MPS file into a new model; NULL on failure with a message
 * in err ("FILE:LINE: ..."). */
folio_model *folio_model_read(const char *path, folio_file_format fmt, char *err,
                              size_t errlen);

/* ---- solving ---------------------------------------------------------- */

/* FOLIO_LP_AUTO (the default): each backend's fastest LP method (GLPK:
 * presolve and the dual simplex; Clp: its own choice); docs/dsl.md. */
typedef enum folio_lp_method { FOLIO_LP_SIMPLEX = 0, FOLIO_LP_DUAL_SIMPLEX,
                               FOLIO_LP_INTERIOR, FOLIO_LP_AUTO } folio_lp_method;

typedef struct folio_options {
    const char *solver;      /* NULL or "auto": chosen from the model */
    double time_limit;       /* seconds, <= 0 for none */
    double mip_gap;          /* relative, < 0 for the backend default */
    long iteration_limit;    /* <= 0 for none */
    int presolve;            /* 0 off, 1 on, -1 the method's default (on for FOLIO_LP_AUTO) */
    folio_lp_method method;
    int verbose;
    int mip_duals;           /* MIP: re-solve the LP with integers fixed, for duals */
    /* MIP: a starting point, one value per column with NAN for columns left
     * unset, or NULL; the backend fixes the given values, completes the
     * rest and, if that is feasible, starts from it as an incumbent. */
    const double *mip_start;
    int ranges;              /* compute LP sensitivity ranges */
    double feastol, reltol, abstol;   /* interior point (qp): <= 0 for the defaults */
    int dense_kkt;           /* qp: 1 factors the full KKT matrix (no arrow elimination) */
} folio_options;

void folio_options_default(folio_options *o);

typedef struct folio_result {
    folio_status status;
    int has_solution;        /* primal values exist (optimal or incumbent) */
    int has_duals;
    int has_ranges;
    int is_mip;
    double objective;
    double mip_bound;        /* best bound (MIP) */
    double mip_gap;          /* relative gap (MIP), 0 when proven */
    long iterations;         /* simplex/IPM iterations */
    long nodes;              /* MIP nodes */
    double solve_time;       /* seconds spent in the backend */
    char solver[16];
    char message[256];       /* backend's words on the outcome */
    size_t ncols, nrows;
    double *x;               /* ncols */
    double *reduced_cost;    /* ncols */
    double *row_activity;    /* nrows */
    double *row_dual;        /* nrows */
    /* sensitivity (LP, basic solution): objective coefficient ranges per
     * column and activity (rhs) ranges per row; +/-HUGE_VAL for open ends */
    double *obj_lo, *obj_hi;
    double *rhs_lo, *rhs_hi;
    size_t ncones;
    double *cone_dual;       /* per cone: d objective / d (constant of its t side) */
} folio_result;

void folio_result_free(folio_result *r);  /* frees the arrays; accepts NULL */

/* Solves m with the backend named in opts (or chosen automatically). On
 * FOLIO_OK, *res holds the outcome; its arrays are owned by res. */
folio_error folio_solve(folio_model *m, const folio_options *opts, folio_result *res);

/* Loads the model into a backend's in-memory form and discards it, without
 * solving (benchmarks, checks). skip_cones drops cones and quadratic terms
 * instead of refusing them. *seconds gets the time spent loading. */
folio_error folio_lower(folio_model *m, const char *solver, int skip_cones,
                        double *seconds);

/* Names of the backends compiled in, NULL-terminated, in the order the
 * automatic choice tries them. */
const char *const *folio_backends(void);

/* What a backend can do (docs/dsl.md, "Solvers"). The first four are what
 * a model may need: integer columns need MIP, quadratic objective terms
 * QP, cones and quadratic constraints (kept as cones) SOC, and every model
 * LP, its linear part. A backend handles any mix of the ones it has.
 * folio_solve() and folio_lower() refuse a model that needs one the named
 * backend lacks (FOLIO_ERR_UNSUPPORTED), and the automatic choice is the
 * first backend that has all the model needs. The others say what a
 * backend gives or uses; a backend without them ignores the option, or
 * leaves the result's flag unset, and is never refused for it. */
typedef enum folio_cap {
    FOLIO_CAP_LP = 1 << 0,         /* linear rows and objective, continuous columns */
    FOLIO_CAP_MIP = 1 << 1,        /* integer and binary columns */
    FOLIO_CAP_QP = 1 << 2,         /* convex quadratic objective terms */
    FOLIO_CAP_SOC = 1 << 3,        /* second-order cones and quadratic constraints */
    FOLIO_CAP_DUALS = 1 << 8,      /* row duals and reduced costs (MIP: with mip_duals) */
    FOLIO_CAP_RANGES = 1 << 9,     /* LP sensitivity ranges (ranges) */
    FOLIO_CAP_MIP_START = 1 << 10  /* starts from mip_start */
} folio_cap;

/* The FOLIO_CAP_ bits of the backend called name; 0 for an unknown name. */
unsigned folio_backend_caps(const char *name);
/* "LP", "MIP", "QP", "SOC", "duals", "ranges", "mip_start"; NULL for
 * anything but one of the bits above. */
const char *folio_cap_name(unsigned cap);

/* ---- progress, logging and interruption (docs/progress.md) ------------- */

/* Verbosity of the process: 0 quiet, 1 normal (the default), 2 verbose. */
void folio_set_verbosity(int level);
int folio_verbosity(void);

/* Progress of long work, on stderr. At verbosity >= 1 on a terminal, one
 * line "WHAT  MESSAGE  ELAPSED s" is redrawn in place (at most 10 times a
 * second, from 0.25 s into the work); at verbosity 2 on anything else, the
 * same as plain lines (at most one a second); otherwise nothing.
 * A piece of work starts at folio_progress_begin(), or at the first update
 * when none is open, and ends at folio_progress_done(), which clears its
 * line; the elapsed time counts from its start. Work begun inside other
 * work (a solve in a script's loop) is nested: it ends without wiping the
 * outer line unless it drew over it. folio_solve() begins and ends its own.
 * folio_progress_due() says, cheaply, whether an update would show now:
 * callers test it before computing costly figures. For the one thread
 * that solves. */
void folio_progress_begin(void);
int folio_progress_due(void);
void folio_progress(const char *what, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;
void folio_progress_done(void);

/* A log line on stderr when the verbosity is at least level (clears a
 * progress line first). */
void folio_log(int level, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

/* Interruption (Ctrl-C). folio_interrupt() only sets a flag, so a signal
 * handler may call it; backends poll the flag and stop with
 * FOLIO_STATUS_INTERRUPTED, keeping an incumbent when they have one. The
 * flag stays set, so later solves stop at once, until
 * folio_interrupt_clear(). */
void folio_interrupt(void);
void folio_interrupt_clear(void);
int folio_interrupted(void);

/* The host's budget beside Ctrl-C: the Lua sandbox installs its time and
 * instruction budget here, so that no budget stops at the edge of C.
 * folio's long C loops (the QP engine's iterations and branch and bound,
 * the CIM flow, the Ising machines, subset and spin enumeration, GLPK's
 * and Cbc's branch and bound) poll folio_poll(); folio_solve() also caps
 * every backend's time limit at the seconds left, which is how GLPK's
 * simplex, which cannot be polled, stops in time. For the one thread that
 * solves. */
enum {
    FOLIO_POLL_GO = 0,          /* carry on */
    FOLIO_POLL_INTERRUPT = 1,   /* folio_interrupt() was called (Ctrl-C) */
    FOLIO_POLL_BUDGET = 2       /* the installed budget is spent */
};
/* Seconds of budget left: <= 0 when spent, HUGE_VAL without a limit.
 * Cheap (a clock read): called between pieces of work of some microseconds. */
typedef double (*folio_budget_fn)(void *ud);
/* Installs fn (NULL: none), replacing any other. */
void folio_poll_install(folio_budget_fn fn, void *ud);
/* Removes the budget if ud is the one installed (a state closing). */
void folio_poll_uninstall(void *ud);
/* FOLIO_POLL_INTERRUPT, FOLIO_POLL_BUDGET or FOLIO_POLL_GO. */
int folio_poll(void);
/* The installed budget's seconds left (HUGE_VAL without one). */
double folio_poll_seconds_left(void);

/* Monotonic wall-clock seconds (CLOCK_MONOTONIC): the one clock for solve
 * times, budgets and folio.now(). */
double folio_now(void);

#ifdef __cplusplus
}
#endif
#endif
