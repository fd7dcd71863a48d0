/* Backend registry, dispatch, options, results and messages; progress
 * lines, log lines and the interrupt flag (docs/progress.md). */
#include "../backends/backend.h"

#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

/* Every backend, in the order the automatic choice tries them: the first
 * whose caps cover the model's needs solves it, so GLPK takes MIPs, and
 * the QP engine models with quadratic terms or cones; an LP goes to GLPK
 * or Clp by its shape (lp_wants_clp). Names and caps are the backends'
 * own. */
static const folio_backend *const backends[] = { &folio_backend_glpk, &folio_backend_qp,
                                                  &folio_backend_cbc, &folio_backend_clp };
enum { NBACKENDS = sizeof backends / sizeof *backends };

/* The caps a model can need; the others describe results and options. */
#define MODEL_CAPS (FOLIO_CAP_LP | FOLIO_CAP_MIP | FOLIO_CAP_QP | FOLIO_CAP_SOC)

static const char *backend_names[NBACKENDS + 1];
static pthread_once_t names_once = PTHREAD_ONCE_INIT;

static void fill_names(void)
{
    for (size_t i = 0; i < NBACKENDS; i++) backend_names[i] = backends[i]->name;
}

const char *const *folio_backends(void)
{
    pthread_once(&names_once, fill_names);
    return backend_names;
}

static const folio_backend *backend_named(const char *name)
{
    for (size_t i = 0; name && i < NBACKENDS; i++)
        if (!strcmp(backends[i]->name, name)) return backends[i];
    return NULL;
}

unsigned folio_backend_caps(const char *name)
{
    const folio_backend *b = backend_named(name);
    return b ? b->caps : 0;
}

const char *folio_cap_name(unsigned cap)
{
    switch (cap) {
    case FOLIO_CAP_LP: return "LP";
    case FOLIO_CAP_MIP: return "MIP";
    case FOLIO_CAP_QP: return "QP";
    case FOLIO_CAP_SOC: return "SOC";
    case FOLIO_CAP_DUALS: return "duals";
    case FOLIO_CAP_RANGES: return "ranges";
    case FOLIO_CAP_MIP_START: return "mip_start";
    }
    return NULL;
}

double folio_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

const char *folio_error_message(folio_error e)
{
    switch (e) {
    case FOLIO_OK: return "no error";
    case FOLIO_ERR_NOMEM: return "out of memory";
    case FOLIO_ERR_INVALID: return "invalid model or argument";
    case FOLIO_ERR_UNSUPPORTED: return "the solver does not support this model";
    case FOLIO_ERR_IO: return "file could not be read or written";
    case FOLIO_ERR_PARSE: return "file could not be parsed";
    case FOLIO_ERR_BACKEND: return "the solver library failed";
    case FOLIO_ERR_NOT_FOUND: return "not found";
    }
    return "unknown error";
}

const char *folio_status_name(folio_status s)
{
    switch (s) {
    case FOLIO_STATUS_UNSOLVED: return "unsolved";
    case FOLIO_STATUS_OPTIMAL: return "optimal";
    case FOLIO_STATUS_INFEASIBLE: return "infeasible";
    case FOLIO_STATUS_UNBOUNDED: return "unbounded";
    case FOLIO_STATUS_INFEASIBLE_OR_UNBOUNDED: return "infeasible_or_unbounded";
    case FOLIO_STATUS_TIME_LIMIT: return "time_limit";
    case FOLIO_STATUS_ITERATION_LIMIT: return "iteration_limit";
    case FOLIO_STATUS_NUMERICAL_ERROR: return "numerical_error";
    case FOLIO_STATUS_INTERRUPTED: return "interrupted";
    }
    return "unknown";
}

const char *folio_status_message(folio_status s)
{
    switch (s) {
    case FOLIO_STATUS_UNSOLVED: return "the model has not been solved";
    case FOLIO_STATUS_OPTIMAL: return "an optimal solution was found";
    case FOLIO_STATUS_INFEASIBLE: return "no solution satisfies all constraints";
    case FOLIO_STATUS_UNBOUNDED: return "the objective can improve without limit";
    case FOLIO_STATUS_INFEASIBLE_OR_UNBOUNDED:
        return "the relaxation has no bounded optimum: the model is infeasible or unbounded";
    case FOLIO_STATUS_TIME_LIMIT: return "the time limit was reached before optimality was proven";
    case FOLIO_STATUS_ITERATION_LIMIT: return "the iteration limit was reached";
    case FOLIO_STATUS_NUMERICAL_ERROR: return "the solver failed for numerical reasons";
    case FOLIO_STATUS_INTERRUPTED: return "interrupted by the user";
    }
    return "unknown status";
}

void folio_options_default(folio_options *o)
{
    memset(o, 0, sizeof *o);
    o->solver = NULL;
    o->time_limit = 0;
    o->mip_gap = -1;
    o->iteration_limit = 0;
    o->presolve = -1;
    o->method = FOLIO_LP_AUTO;
    o->verbose = 0;
    o->mip_duals = 0;
    o->ranges = 0;
    o->mip_start = NULL;
}

folio_error folio_result_alloc(folio_result *res, size_t ncols, size_t nrows)
{
    res->ncols = ncols;
    res->nrows = nrows;
    /* +1 so that empty models still get valid pointers */
    res->x = calloc(ncols + 1, sizeof *res->x);
    res->reduced_cost = calloc(ncols + 1, sizeof *res->reduced_cost);
    res->row_activity = calloc(nrows + 1, sizeof *res->row_activity);
    res->row_dual = calloc(nrows + 1, sizeof *res->row_dual);
    if (!res->x || !res->reduced_cost || !res->row_activity || !res->row_dual)
        return FOLIO_ERR_NOMEM;
    return FOLIO_OK;
}

void folio_result_free(folio_result *r)
{
    if (!r) return;
    free(r->x); free(r->reduced_cost); free(r->row_activity); free(r->row_dual);
    free(r->obj_lo); free(r->obj_hi); free(r->rhs_lo); free(r->rhs_hi); free(r->cone_dual);
    r->x = r->reduced_cost = r->row_activity = r->row_dual = NULL;
    r->obj_lo = r->obj_hi = r->rhs_lo = r->rhs_hi = r->cone_dual = NULL;
}

/* The model caps m needs; its quadratic terms and cones count for
 * nothing when they are to be skipped (folio_lower). */
static unsigned model_needs(const folio_model *m, int skip_nonlinear)
{
    unsigned need = FOLIO_CAP_LP;
    if (m->nint) need |= FOLIO_CAP_MIP;
    if (m->nq && !skip_nonlinear) need |= FOLIO_CAP_QP;
    if (m->ncones && !skip_nonlinear) need |= FOLIO_CAP_SOC;
    return need;
}

/* Appends words to buf (room for len), after sep when buf is not empty. */
static void append(char *buf, size_t len, const char *sep, const char *words)
{
    size_t n = strlen(buf);
    if (n + 1 < len) snprintf(buf + n, len - n, "%s%s", n ? sep : "", words);
}

/* "it has ..." for the parts of m that need the caps in missing. */
static void describe_parts(const folio_model *m, unsigned missing, char *buf, size_t len)
{
    const char *part[5];
    size_t n = 0;
    if (missing & FOLIO_CAP_LP) part[n++] = "a linear part";
    if (missing & FOLIO_CAP_MIP) part[n++] = "integer variables";
    if (missing & FOLIO_CAP_QP) part[n++] = "quadratic objective terms";
    if (missing & FOLIO_CAP_SOC) {
        if (m->nqrows) part[n++] = "quadratic constraints";
        if (m->ncones > m->nqrows) part[n++] = "second-order cones";
    }
    buf[0] = '\0';
    for (size_t i = 0; i < n; i++) append(buf, len, i + 1 == n ? " and " : ", ", part[i]);
}

/* The automatic choice for a pure LP (docs/dsl.md, "Solvers"): Clp when
 * the model is not small, its rows long (10 or more nonzeros on average)
 * and its columns short (fewer than 10 on average); GLPK otherwise.
 * bench/lp/family.sh, medians of 5 paired runs (docs/benchmarks.md):
 * - long rows of short columns (transportation, random sparse): Clp's
 *   dual simplex is 1.4-6.6x faster than GLPK's;
 * - short rows (fac-25's relaxation, a staircase): GLPK's presolver wins;
 * - long rows made by a few dense columns (CVaR scenario LPs: each row
 *   holds every asset, so columns average as long as rows): Clp was
 *   6-11x slower at 10-50 assets x 4,000 scenarios and 10-20 x 10,000,
 *   its optima there off by 2.5-5.6e-4, while it won by 1.7x at most
 *   elsewhere (0.1 s at most) and by 1.14x at 50 x 10,000 (0.27 s). */
#define CLP_MIN_NONZEROS 5000
#define CLP_MIN_ROW_LENGTH 10
#define CLP_MAX_COLUMN_LENGTH 10

static int lp_wants_clp(const folio_model *m)
{
    return m->nz_len >= CLP_MIN_NONZEROS && m->nz_len >= CLP_MIN_ROW_LENGTH * m->nrows &&
           m->nz_len < CLP_MAX_COLUMN_LENGTH * m->ncols;
}

/* The backend named (or chosen for m), when its caps cover what m needs;
 * NULL with *err and m's message set. */
static const folio_backend *find_backend(folio_model *m, const char *name, int skip_nonlinear,
                                         folio_error *err)
{
    unsigned need = model_needs(m, skip_nonlinear);
    char parts[120], able[64] = "", caps[64] = "";
    if (!name || !*name || !strcmp(name, "auto")) {
        if (need == FOLIO_CAP_LP && lp_wants_clp(m)) return &folio_backend_clp;
        for (size_t i = 0; i < NBACKENDS; i++)
            if ((backends[i]->caps & need) == need) return backends[i];
        describe_parts(m, need & ~FOLIO_CAP_LP, parts, sizeof parts);
        *err = folio_model_fail(m, FOLIO_ERR_UNSUPPORTED, "no solver can solve this model: it has %s", parts);
        return NULL;
    }
    const folio_backend *b = backend_named(name);
    if (!b) {
        for (size_t i = 0; i < NBACKENDS; i++) append(able, sizeof able, ", ", backends[i]->name);
        *err = folio_model_fail(m, FOLIO_ERR_NOT_FOUND, "unknown solver '%s' (available: %s)", name, able);
        return NULL;
    }
    if ((b->caps & need) == need) return b;
    describe_parts(m, need & ~b->caps, parts, sizeof parts);
    for (unsigned bit = 1; bit & MODEL_CAPS; bit <<= 1)
        if (b->caps & bit) append(caps, sizeof caps, ", ", folio_cap_name(bit));
    for (size_t i = 0; i < NBACKENDS; i++)
        if ((backends[i]->caps & need) == need) append(able, sizeof able, ", ", backends[i]->name);
    *err = folio_model_fail(m, FOLIO_ERR_UNSUPPORTED,
                            "solver '%s' cannot solve this model: it has %s (%s handles %s; backends that can: %s)",
                            b->name, parts, b->name, caps, able[0] ? able : "none");
    return NULL;
}

/* A solve asked for after an interrupt: no work, an outcome that says so. */
static folio_error interrupted_before(folio_model *m, const folio_backend *b, folio_result *res)
{
    if (folio_result_alloc(res, m->ncols, m->nrows)) {
        folio_result_free(res);
        return folio_model_fail(m, FOLIO_ERR_NOMEM, "out of memory allocating the result");
    }
    res->status = FOLIO_STATUS_INTERRUPTED;
    res->is_mip = m->nint > 0;
    res->mip_bound = NAN;
    res->mip_gap = HUGE_VAL;
    snprintf(res->solver, sizeof res->solver, "%s", b->name);
    snprintf(res->message, sizeof res->message, "%s before the solve started", folio_status_message(res->status));
    return FOLIO_OK;
}

/* A solution with a non-finite objective value, value or activity is not
 * one, whatever the backend says (each number of the model is finite, but
 * 1e308 x + 1e308 y is not): numerical_error, with no solution. */
static void refuse_nonfinite(const folio_model *m, folio_result *res)
{
    if (!res->has_solution) return;
    char what[160] = "";
    if (!isfinite(res->objective)) {
        snprintf(what, sizeof what, "the objective value is not finite (%s)", isnan(res->objective) ? "nan"
                 : res->objective > 0 ? "inf" : "-inf");
    } else {
        for (size_t j = 0; j < res->ncols && !what[0]; j++)
            if (!isfinite(res->x[j]))
                snprintf(what, sizeof what, "the value of '%.80s' is not finite", FOLIO_NAME(m, m->col_name[j]));
        for (size_t i = 0; i < res->nrows && !what[0]; i++)
            if (!isfinite(res->row_activity[i]))
                snprintf(what, sizeof what, "the activity of '%.80s' is not finite", FOLIO_NAME(m, m->row_name[i]));
    }
    if (!what[0]) return;
    res->status = FOLIO_STATUS_NUMERICAL_ERROR;
    res->has_solution = res->has_duals = res->has_ranges = 0;
    res->mip_gap = HUGE_VAL;
    snprintf(res->message, sizeof res->message, "%s: the model's numbers overflow double precision; scale them",
             what);
}

/* "optimal" promises values (the result contract): a backend that says so
 * without them failed somewhere (the QP engine's branch and bound, when
 * the final solve with the integers fixed does not converge):
 * numerical_error, with the backend's words kept. */
static void refuse_optimal_without_solution(folio_result *res)
{
    if (res->status != FOLIO_STATUS_OPTIMAL || res->has_solution) return;
    char was[sizeof res->message];
    snprintf(was, sizeof was, "%s", res->message);
    res->status = FOLIO_STATUS_NUMERICAL_ERROR;
    res->has_duals = res->has_ranges = 0;
    res->mip_gap = HUGE_VAL;
    snprintf(res->message, sizeof res->message, "the solver reported an optimum but no solution (%.180s)", was);
}

/* ---- integer bounds: rounded inward, once for every backend ---------------- */

#define INT_BOUND_TOL 1e-9   /* relative: 2 + 1e-13 is the integer 2 */

/* v rounded inward to an integer: up (a lower bound) or down (an upper
 * one); a value within the tolerance of an integer is that integer. */
static double round_bound(double v, int up)
{
    if (!isfinite(v)) return v;
    double r = nearbyint(v);
    if (fabs(v - r) <= INT_BOUND_TOL * fmax(1.0, fabs(v))) return r;
    return up ? ceil(v) : floor(v);
}

typedef struct saved_bound { size_t j; double lb, ub; } saved_bound;

/* Rounds the bounds of m's integer columns inward, in place (GLPK refuses
 * fractional ones; Cbc and the QP engine then see the same model), saving
 * those it changes in *saved (*nsaved of them) for unround_bounds. A
 * column left without an integer value makes the model infeasible: its
 * index goes to *empty (else -1) and nothing is changed. */
static folio_error round_bounds(folio_model *m, saved_bound **saved, size_t *nsaved, long *empty)
{
    *saved = NULL;
    *nsaved = 0;
    *empty = -1;
    size_t n = 0;
    for (size_t j = 0; j < m->ncols; j++) {
        if (m->kind[j] == FOLIO_CONTINUOUS) continue;
        double lb = round_bound(m->lb[j], 1), ub = round_bound(m->ub[j], 0);
        if (lb > ub) {
            *empty = (long)j;
            return FOLIO_OK;
        }
        if (lb != m->lb[j] || ub != m->ub[j]) n++;
    }
    if (!n) return FOLIO_OK;
    saved_bound *s = malloc(n * sizeof *s);
    if (!s) return folio_model_fail(m, FOLIO_ERR_NOMEM, "out of memory rounding integer bounds");
    size_t k = 0;
    for (size_t j = 0; j < m->ncols; j++) {
        if (m->kind[j] == FOLIO_CONTINUOUS) continue;
        double lb = round_bound(m->lb[j], 1), ub = round_bound(m->ub[j], 0);
        if (lb == m->lb[j] && ub == m->ub[j]) continue;
        s[k++] = (saved_bound){ j, m->lb[j], m->ub[j] };
        m->lb[j] = lb;
        m->ub[j] = ub;
    }
    *saved = s;
    *nsaved = k;
    return FOLIO_OK;
}

static void unround_bounds(folio_model *m, saved_bound *saved, size_t nsaved)
{
    for (size_t k = 0; k < nsaved; k++) {
        m->lb[saved[k].j] = saved[k].lb;
        m->ub[saved[k].j] = saved[k].ub;
    }
    free(saved);
}

/* The outcome for an integer column j whose bounds hold no integer. */
static folio_error no_integer_in_bounds(folio_model *m, const folio_backend *b, size_t j, folio_result *res)
{
    if (folio_result_alloc(res, m->ncols, m->nrows)) {
        folio_result_free(res);
        return folio_model_fail(m, FOLIO_ERR_NOMEM, "out of memory allocating the result");
    }
    res->status = FOLIO_STATUS_INFEASIBLE;
    res->is_mip = 1;
    res->mip_bound = NAN;
    res->mip_gap = HUGE_VAL;
    snprintf(res->solver, sizeof res->solver, "%s", b->name);
    snprintf(res->message, sizeof res->message, "integer variable '%.80s' has no integer value within its "
             "bounds [%.10g, %.10g]", FOLIO_NAME(m, m->col_name[j]), m->lb[j], m->ub[j]);
    return FOLIO_OK;
}

folio_error folio_solve(folio_model *m, const folio_options *opts, folio_result *res)
{
    folio_options def;
    if (!opts) {
        folio_options_default(&def);
        opts = &def;
    }
    memset(res, 0, sizeof *res);
    if (isnan(opts->time_limit) || isnan(opts->mip_gap))
        return folio_model_fail(m, FOLIO_ERR_INVALID, "solve options: time_limit and mip_gap must be numbers");
    if (opts->mip_start)
        for (size_t j = 0; j < m->ncols; j++)
            if (isinf(opts->mip_start[j]))
                return folio_model_fail(m, FOLIO_ERR_INVALID, "solve options: mip_start value of '%s' is "
                                        "infinite (NAN leaves a column unset)", FOLIO_NAME(m, m->col_name[j]));
    folio_error e = FOLIO_OK;
    const folio_backend *b = find_backend(m, opts->solver, 0, &e);
    if (!b) return e;
    if (folio_interrupted()) return interrupted_before(m, b, res);
    /* the host's budget is a time limit too (GLPK's simplex cannot poll);
     * a little beyond it, so that a solver stopped by it has surely spent
     * it and the host raises the budget's error, not a time_limit result */
    folio_options capped;
    double left = folio_poll_seconds_left();
    if (left < HUGE_VAL) {
        capped = *opts;
        left = fmax(left, 0) + 0.1;
        if (!(capped.time_limit > 0) || capped.time_limit > left) capped.time_limit = left;
        opts = &capped;
    }
    saved_bound *saved;
    size_t nsaved;
    long empty;
    if ((e = round_bounds(m, &saved, &nsaved, &empty)) != FOLIO_OK) return e;
    if (empty >= 0) return no_integer_in_bounds(m, b, (size_t)empty, res);
    folio_progress_begin();
    e = b->solve(m, opts, res);
    folio_progress_done();
    unround_bounds(m, saved, nsaved);
    if (e != FOLIO_OK) folio_result_free(res);
    else {
        refuse_nonfinite(m, res);
        refuse_optimal_without_solution(res);
    }
    return e;
}

folio_error folio_lower(folio_model *m, const char *solver, int skip_cones, double *seconds)
{
    folio_error e = FOLIO_OK;
    const folio_backend *b = find_backend(m, solver, skip_cones, &e);
    if (!b) return e;
    return b->lower(m, seconds);
}

/* ---- progress, logging and interruption ---------------------------------- */

#define PROGRESS_DELAY 0.25      /* work shorter than this shows nothing */
#define PROGRESS_REDRAW 0.1      /* terminal: at most 10 redraws a second */
#define PROGRESS_LINE 1.0        /* plain lines: at most one a second */
#define PROGRESS_DEPTH 8

static volatile sig_atomic_t interrupt_flag;

void folio_interrupt(void) { interrupt_flag = 1; }
void folio_interrupt_clear(void) { interrupt_flag = 0; }
int folio_interrupted(void) { return interrupt_flag != 0; }

static folio_budget_fn budget_fn;
static void *budget_ud;

void folio_poll_install(folio_budget_fn fn, void *ud)
{
    budget_fn = fn;
    budget_ud = fn ? ud : NULL;
}

void folio_poll_uninstall(void *ud)
{
    if (budget_fn && budget_ud == ud) folio_poll_install(NULL, NULL);
}

double folio_poll_seconds_left(void) { return budget_fn ? budget_fn(budget_ud) : HUGE_VAL; }

int folio_poll(void)
{
    if (folio_interrupted()) return FOLIO_POLL_INTERRUPT;
    if (budget_fn && !(budget_fn(budget_ud) > 0)) return FOLIO_POLL_BUDGET;
    return FOLIO_POLL_GO;
}

enum { SHOW_NOTHING, SHOW_REDRAW, SHOW_LINES };

/* One level per piece of work; a solve inside a script's loop is nested,
 * so that a quick solve does not wipe the loop's line. */
typedef struct { int active; double start; } work_level;

static struct {
    int verbosity;
    int show, colour;
    int depth, overflow;
    int screen;          /* level whose line is on the terminal, or -1 */
    double last;         /* time of the last update shown, at any level */
    work_level lv[PROGRESS_DEPTH];
} pg = { 1, SHOW_NOTHING, 0, 0, 0, -1, -HUGE_VAL, { { 0, 0 } } };

void folio_set_verbosity(int level)
{
    pg.verbosity = level < 0 ? 0 : level > 2 ? 2 : level;
}

int folio_verbosity(void) { return pg.verbosity; }

static void write_err(const char *buf, size_t len)
{
    /* one write per update: stderr is unbuffered */
    fwrite(buf, 1, len, stderr);
    fflush(stderr);
}

static void clear_line(void)
{
    if (pg.screen >= 0) write_err("\r\033[K", 4);
    pg.screen = -1;
}

static void start_level(work_level *w)
{
    w->active = 1;
    w->start = folio_now();
    for (int d = 0; d < pg.depth; d++)
        if (pg.lv[d].active) return;   /* decided when the outer work began */
    /* looked at afresh for each top-level piece of work: stderr may have
     * been redirected since */
    int tty = isatty(STDERR_FILENO);
    const char *nc = getenv("NO_COLOR"), *term = getenv("TERM");
    pg.show = pg.verbosity <= 0 ? SHOW_NOTHING : tty ? SHOW_REDRAW
            : pg.verbosity >= 2 ? SHOW_LINES : SHOW_NOTHING;
    /* https://no-color.org: set and not empty means no colour */
    pg.colour = tty && !(nc && *nc) && !(term && !strcmp(term, "dumb"));
}

void folio_progress_begin(void)
{
    if (pg.depth + 1 >= PROGRESS_DEPTH) {
        pg.overflow++;   /* deeper work shares the innermost level */
        return;
    }
    pg.depth++;
    pg.lv[pg.depth].active = 0;
    if (pg.verbosity > 0) start_level(&pg.lv[pg.depth]);
}

int folio_progress_due(void)
{
    if (pg.verbosity <= 0) return 0;
    work_level *w = &pg.lv[pg.depth];
    if (!w->active) start_level(w);
    if (pg.show == SHOW_NOTHING) return 0;
    double now = folio_now();
    return now - w->start >= PROGRESS_DELAY &&
           now - pg.last >= (pg.show == SHOW_REDRAW ? PROGRESS_REDRAW : PROGRESS_LINE);
}

static size_t term_width(void)
{
    struct winsize ws;
    if (ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0) return ws.ws_col;
    const char *c = getenv("COLUMNS");
    long v = c ? strtol(c, NULL, 10) : 0;
    return v > 0 && v < 1000 ? (size_t)v : 80;
}

/* Copies src into dst (room for cap bytes) with control characters made
 * spaces, keeping at most *cols characters (UTF-8 aware); *cols drops by
 * the characters kept. Returns the bytes written. */
static size_t put_text(char *dst, size_t cap, const char *src, size_t *cols)
{
    size_t n = 0;
    for (const unsigned char *p = (const unsigned char *)src; *p && n + 1 < cap; p++) {
        int cont = (*p & 0xC0) == 0x80;
        if (!cont) {
            if (!*cols) break;
            (*cols)--;
        }
        dst[n++] = *p < 0x20 || *p == 0x7F ? ' ' : (char)*p;
    }
    dst[n] = '\0';
    return n;
}

void folio_progress(const char *what, const char *fmt, ...)
{
    if (!folio_progress_due()) return;
    char msg[256], tail[32], line[640];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    double now = folio_now();
    pg.last = now;
    snprintf(tail, sizeof tail, "  %.1f s", now - pg.lv[pg.depth].start);
    size_t cols = pg.show == SHOW_REDRAW ? term_width() - 1 : sizeof line;
    size_t n = 0;
    if (pg.show == SHOW_REDRAW) n += (size_t)snprintf(line, sizeof line, "\r\033[K%s", pg.colour ? "\033[36m" : "");
    n += put_text(line + n, 100, what, &cols);
    if (pg.show == SHOW_REDRAW && pg.colour) n += (size_t)snprintf(line + n, sizeof line - n, "\033[0m");
    n += put_text(line + n, sizeof line - n, "  ", &cols);
    n += put_text(line + n, sizeof line - n - sizeof tail, msg, &cols);
    n += put_text(line + n, sizeof line - n - 1, tail, &cols);
    if (pg.show == SHOW_LINES) {
        line[n++] = '\n';
    } else {
        pg.screen = pg.depth;
    }
    write_err(line, n);
}

void folio_progress_done(void)
{
    if (pg.overflow) {
        pg.overflow--;
        return;
    }
    if (pg.screen >= pg.depth) clear_line();
    pg.lv[pg.depth].active = 0;
    if (pg.depth > 0) pg.depth--;
}

void folio_log(int level, const char *fmt, ...)
{
    if (level > pg.verbosity) return;
    char buf[1024];
    va_list ap;
    va_start(ap, fmt);
    int len = vsnprintf(buf, sizeof buf - 1, fmt, ap);
    va_end(ap);
    if (len < 0) return;
    size_t n = strlen(buf);
    if (!n || buf[n - 1] != '\n') buf[n++] = '\n';
    clear_line();
    pg.last = -HUGE_VAL;   /* the progress line comes back at the next update */
    write_err(buf, n);
}
