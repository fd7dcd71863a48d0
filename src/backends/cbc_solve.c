/* LP and MIP through COIN-OR Cbc's C interface (Cbc 2.10): statuses mapped
 * honestly, time limit, relative gap, MIP starts.
 *
 * The C interface gives no row prices, so results carry no duals, and it
 * sends LPs straight to Clp's initialSolve, which applies no time limit.
 * Branch and bound runs with the LP "crunch" of OsiClp off: in Cbc 2.10.8
 * it can abort the process on small models (mip_once).
 * Cbc's preprocessing (CglPreProcess) runs only when asked for (presolve):
 * in Cbc 2.10.8 it can cut off the optimum, so its answers are checked
 * and, if found wrong, the model is solved again without it.
 *
 * Progress: the C interface's only message callback also prints every
 * message it passes on stdout, so a helper thread shows the elapsed time
 * while Cbc works (docs/progress.md).
 *
 * Ctrl-C: the C interface offers no call that stops branch and cut, but
 * it takes cut generators (Cbc_addCutCallback), which Cbc calls at every
 * node. Once folio_interrupt() is set, folio's generator adds two cuts no
 * point satisfies, so every open node is pruned and Cbc returns within
 * about a second; the result says "interrupted" and keeps the incumbent,
 * with no bound. Clp's LP solves (an LP model, the root relaxation) do not
 * call it: an interrupt takes effect when they end. */
#include "cbc_model.h"
#include "coin_plugin.h"

#include <float.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* ---- progress while Cbc_solve runs ---------------------------------------------- */

typedef struct ticker {
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int stop, running;
    const char *phase;
} ticker;

static void *tick(void *arg)
{
    ticker *k = arg;
    sigset_t block;   /* Ctrl-C is the solving thread's: the host's handler sets Lua hooks */
    sigemptyset(&block);
    sigaddset(&block, SIGINT);
    pthread_sigmask(SIG_BLOCK, &block, NULL);
    pthread_mutex_lock(&k->mu);
    while (!k->stop) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_nsec += 100000000L;
        if (ts.tv_nsec >= 1000000000L) { ts.tv_sec++; ts.tv_nsec -= 1000000000L; }
        pthread_cond_timedwait(&k->cv, &k->mu, &ts);
        if (k->stop) break;
        /* the solving thread is inside Cbc and does not report meanwhile */
        if (folio_interrupted())
            folio_progress("cbc", "%s: stopping Cbc at its next node", k->phase);
        else
            folio_progress("cbc", "%s (Cbc reports no figures)", k->phase);
    }
    pthread_mutex_unlock(&k->mu);
    return NULL;
}

static void ticker_start(ticker *k, const char *phase, int verbose)
{
    memset(k, 0, sizeof *k);
    k->phase = phase;
    /* nothing to show when Cbc prints its own log or nothing is shown */
    if (verbose || folio_verbosity() <= 0) return;
    pthread_mutex_init(&k->mu, NULL);
    pthread_cond_init(&k->cv, NULL);
    k->running = pthread_create(&k->thread, NULL, tick, k) == 0;
    if (!k->running) {
        pthread_cond_destroy(&k->cv);
        pthread_mutex_destroy(&k->mu);
    }
}

static void ticker_stop(ticker *k)
{
    if (!k->running) return;
    pthread_mutex_lock(&k->mu);
    k->stop = 1;
    pthread_cond_signal(&k->cv);
    pthread_mutex_unlock(&k->mu);
    pthread_join(k->thread, NULL);
    pthread_cond_destroy(&k->cv);
    pthread_mutex_destroy(&k->mu);
    k->running = 0;
}

/* The interrupt's cut generator (see the top of the file). */
typedef struct cbc_stop { int fired; } cbc_stop;

static void stop_cuts(void *osi, void *cuts, void *data)
{
    cbc_stop *st = data;
    if (folio_poll() == FOLIO_POLL_GO || Osi_getNumCols(osi) < 1) return;   /* Ctrl-C, or the host's budget */
    st->fired = 1;
    int col = 0;
    double one = 1.0;
    OsiCuts_addRowCut(cuts, 1, &col, &one, 'L', -1.0);   /* x_0 <= -1 */
    OsiCuts_addRowCut(cuts, 1, &col, &one, 'G', 1.0);    /* x_0 >= 1 */
}

/* Cbc_solve with the ticker running. */
static void cbc_run(Cbc_Model *cm, const char *phase, int verbose)
{
    ticker k;
    ticker_start(&k, phase, verbose);
    Cbc_solve(cm);
    ticker_stop(&k);
}

/* ---- LP --------------------------------------------------------------------- */

/* An LP that Clp reports infeasible may be primal infeasible or unbounded
 * (the C interface does not say which): the same rows with a zero
 * objective tell them apart. */
static folio_status lp_failure(folio_model *m, folio_error *err)
{
    folio_cbc_how how = { 1, NULL, 0, NULL };
    Cbc_Model *cm = folio_cbc_load(m, &how, err);
    if (!cm) return FOLIO_STATUS_UNSOLVED;
    Cbc_solve(cm);
    folio_status s = Cbc_isProvenOptimal(cm) ? FOLIO_STATUS_UNBOUNDED
                   : Cbc_isProvenInfeasible(cm) ? FOLIO_STATUS_INFEASIBLE
                   : FOLIO_STATUS_INFEASIBLE_OR_UNBOUNDED;
    Cbc_deleteModel(cm);
    return s;
}

static folio_error solve_lp(folio_model *m, const folio_options *o, folio_result *res)
{
    folio_error e = FOLIO_OK;
    folio_cbc_how how = { 0, NULL, o->verbose, NULL };
    Cbc_Model *cm = folio_cbc_load(m, &how, &e);
    if (!cm) return e;
    cbc_run(cm, "LP", o->verbose);
    res->iterations = Cbc_getIterationCount(cm);
    if (Cbc_isProvenOptimal(cm)) {
        res->status = FOLIO_STATUS_OPTIMAL;
        if (m->ncols) memcpy(res->x, Cbc_getColSolution(cm), m->ncols * sizeof *res->x);
        folio_coin_evaluate(m, res);
        res->has_solution = 1;
    } else if (Cbc_isProvenInfeasible(cm)) {
        res->status = lp_failure(m, &e);
    } else {
        res->status = FOLIO_STATUS_NUMERICAL_ERROR;
        snprintf(res->message, sizeof res->message, "Clp stopped without a proven outcome%s",
                 Cbc_isAbandoned(cm) ? " (abandoned for numerical difficulties)" : "");
    }
    Cbc_deleteModel(cm);
    return e;
}

/* ---- MIP -------------------------------------------------------------------- */

typedef struct mip_run {
    int preprocess;
    double time_limit;    /* <= 0: none */
    char doubt[200];      /* why a preprocessed answer cannot stand, or "" */
} mip_run;

/* Only the columns given (not NAN) go to Cbc, which fixes them and
 * completes the rest itself. */
static folio_error pass_mip_start(folio_model *m, Cbc_Model *cm, const double *start)
{
    size_t n = m->ncols, cnt = 0;
    int *idx = malloc((n + 1) * sizeof *idx);
    double *val = malloc((n + 1) * sizeof *val);
    if (!idx || !val) {
        free(idx); free(val);
        return folio_model_fail(m, FOLIO_ERR_NOMEM, "out of memory passing the MIP start to Cbc");
    }
    for (size_t j = 0; j < n; j++)
        if (!isnan(start[j])) {
            idx[cnt] = (int)j;
            val[cnt++] = start[j];
        }
    if (cnt) Cbc_setMIPStartI(cm, (int)cnt, idx, val);
    free(idx);
    free(val);
    return FOLIO_OK;
}

/* Copies Cbc's point into res->x with integer columns made exactly
 * integral (as GLPK returns them), and checks it against m: returns 0, or
 * 1 with the first violation in why. Row tolerances scale with the row's
 * terms. */
static int take_point(const folio_model *m, const double *best, folio_result *res, char *why, size_t len)
{
    const double tol = 1e-6;
    for (size_t j = 0; j < m->ncols; j++) {
        double v = best[j], r = round(v);
        const char *name = FOLIO_NAME(m, m->col_name[j]);
        if (m->kind[j] != FOLIO_CONTINUOUS) {
            if (fabs(v - r) > tol) {
                snprintf(why, len, "gives integer column '%.60s' the value %.9g", name, v);
                return 1;
            }
            v = r;
        }
        if (v < m->lb[j] - tol * (1 + fabs(v)) || v > m->ub[j] + tol * (1 + fabs(v))) {
            snprintf(why, len, "puts column '%.60s' at %.9g, outside [%g, %g]", name, v, m->lb[j], m->ub[j]);
            return 1;
        }
        res->x[j] = v;
    }
    for (size_t i = 0; i < m->nrows; i++) {
        double a = 0, scale = 1;
        for (size_t k = m->row_start[i]; k < m->row_start[i + 1]; k++) {
            double t = m->nz_val[k] * res->x[m->nz_idx[k]];
            a += t;
            scale += fabs(t);
        }
        double lo = m->lo[i], hi = m->hi[i];
        if ((isfinite(lo) && a < lo - tol * (scale + fabs(lo))) ||
            (isfinite(hi) && a > hi + tol * (scale + fabs(hi)))) {
            snprintf(why, len, "violates row '%.60s' (activity %.9g, limits [%g, %g])",
                     FOLIO_NAME(m, m->row_name[i]), a, lo, hi);
            return 1;
        }
    }
    return 0;
}

/* Whether the LP over the continuous columns, with the integer ones fixed
 * at res->x, beats res->objective: Cbc's incumbents are optimal in their
 * continuous part, so a better value shows a wrong answer. */
static int continuous_part_improves(folio_model *m, folio_result *res, char *why, size_t len,
                                    folio_error *err)
{
    folio_cbc_how how = { 0, res->x, 0, NULL };
    Cbc_Model *cm = folio_cbc_load(m, &how, err);
    if (!cm) return 0;
    Cbc_solve(cm);
    int better = 0;
    if (Cbc_isProvenOptimal(cm)) {
        const double *x = Cbc_getColSolution(cm);
        double f = m->obj_const;
        for (size_t j = 0; j < m->ncols; j++) f += m->obj[j] * x[j];
        double d = m->sense == FOLIO_MAXIMIZE ? f - res->objective : res->objective - f;
        if (d > 1e-6 * (1 + fabs(res->objective))) {
            better = 1;
            snprintf(why, len, "missed the best values of the continuous columns (objective %.10g, "
                     "not %.10g)", f, res->objective);
        }
    }
    Cbc_deleteModel(cm);
    return better;
}

static int has_huge_row_bound(const folio_model *m)
{
    for (size_t i = 0; i < m->nrows; i++)
        if ((isfinite(m->lo[i]) && fabs(m->lo[i]) > 1e9) || (isfinite(m->hi[i]) && fabs(m->hi[i]) > 1e9)) return 1;
    return 0;
}

static folio_error mip_once(folio_model *m, const folio_options *o, mip_run *run, folio_result *res)
{
    folio_error e = FOLIO_OK;
    folio_cbc_how how = { 0, NULL, o->verbose, NULL };
    Cbc_Model *cm = folio_cbc_load(m, &how, &e);
    if (!cm) return e;
    if (!run->preprocess) Cbc_setParameter(cm, "preprocess", "off");
    /* mipOptions become OsiClpSolverInterface's special options in branch
     * and bound. Cbc's default, 1057, includes 1: resolve "crunches" the
     * LP to a smaller one first, and on small models (a singleton row
     * among two) that trips an assertion in crunch() which aborts the
     * whole process (issue 14; cbc itself aborts on the same model). 1056
     * keeps the other bits (32, 1024) and resolves without crunching. */
    Cbc_setParameter(cm, "mipOptions", "1056");
    /* Cbc's greedy heuristics walk a row's slack in unit steps at the
     * root, where no time limit is looked at: a row bound of 1e15 (a
     * "no limit" written as a number) hung a trivial MIP for minutes
     * (found by fuzz_dsl). They are worth keeping otherwise (the trade
     * assigner runs 3x slower without them), so they are off only then. */
    if (has_huge_row_bound(m)) Cbc_setParameter(cm, "greedyHeuristic", "off");
    if (run->time_limit > 0) {
        Cbc_setParameter(cm, "timeMode", "elapsed");   /* wall clock, as GLPK's limit */
        folio_cbc_set_number(cm, "seconds", run->time_limit);
    }
    if (o->mip_gap >= 0) folio_cbc_set_number(cm, "ratioGap", o->mip_gap);
    if (o->mip_start && (e = pass_mip_start(m, cm, o->mip_start)) != FOLIO_OK) {
        Cbc_deleteModel(cm);
        return e;
    }
    cbc_stop stop = { 0 };
    Cbc_addCutCallback(cm, stop_cuts, "folio-interrupt", &stop);
    cbc_run(cm, "branch and cut", o->verbose);
    res->iterations += Cbc_getIterationCount(cm);
    res->nodes += Cbc_getNodeCount(cm);
    const double *best = Cbc_bestSolution(cm);
    int have = best != NULL;
    if (Cbc_isProvenOptimal(cm) && have) {
        res->status = FOLIO_STATUS_OPTIMAL;   /* within mip_gap when one is set */
    } else if (Cbc_isProvenInfeasible(cm)) {
        res->status = FOLIO_STATUS_INFEASIBLE;
        have = 0;
    } else if (Cbc_isContinuousUnbounded(cm)) {
        res->status = FOLIO_STATUS_INFEASIBLE_OR_UNBOUNDED;
        have = 0;
    } else if (Cbc_isSecondsLimitReached(cm)) {
        res->status = FOLIO_STATUS_TIME_LIMIT;
    } else {
        res->status = FOLIO_STATUS_NUMERICAL_ERROR;
        snprintf(res->message, sizeof res->message, "Cbc stopped with status %d, secondary status %d%s",
                 Cbc_status(cm), Cbc_secondaryStatus(cm),
                 Cbc_isAbandoned(cm) ? " (abandoned for numerical difficulties)" : "");
    }
    double bound = Cbc_getBestPossibleObjValue(cm);
    int have_bound = fabs(bound) < 1e30;   /* Cbc's "none" is +/-1e50 or DBL_MAX */
    if (stop.fired) {
        /* the tree was cut off: Cbc's "optimal" or "infeasible" and its
         * bound say nothing; an incumbent found before is still a point */
        res->status = folio_interrupted() ? FOLIO_STATUS_INTERRUPTED : FOLIO_STATUS_TIME_LIMIT;   /* or the host's budget */
        have = best != NULL;
        have_bound = 0;
    }
    if (have_bound) bound += m->obj_const;
    /* secondary status 2: stopped within ratioGap, so the gap may not be 0 */
    int proven = res->status == FOLIO_STATUS_OPTIMAL && Cbc_secondaryStatus(cm) != 2;
    char why[160];
    if (have && take_point(m, best, res, why, sizeof why)) {
        if (run->preprocess) {
            snprintf(run->doubt, sizeof run->doubt, "returned a point that %s", why);
        } else {
            res->status = FOLIO_STATUS_NUMERICAL_ERROR;
            snprintf(res->message, sizeof res->message, "Cbc returned a point that %s", why);
        }
        have = 0;
    }
    Cbc_deleteModel(cm);   /* best is gone from here on */
    if (run->preprocess && res->status == FOLIO_STATUS_INFEASIBLE)
        snprintf(run->doubt, sizeof run->doubt, "declared the model infeasible");
    if (!have) {
        res->mip_bound = have_bound ? bound : NAN;
        res->mip_gap = HUGE_VAL;
        return FOLIO_OK;
    }
    folio_coin_evaluate(m, res);
    res->has_solution = 1;
    if (proven) {
        res->mip_bound = res->objective;
        res->mip_gap = 0.0;
    } else {
        res->mip_bound = have_bound ? bound : NAN;
        res->mip_gap = have_bound ? fabs(res->objective - bound) / (fabs(res->objective) + DBL_EPSILON)
                                  : HUGE_VAL;
    }
    if (run->preprocess && !stop.fired && m->nint < m->ncols &&
        continuous_part_improves(m, res, why, sizeof why, &e))
        snprintf(run->doubt, sizeof run->doubt, "%s", why);
    return e;
}

static folio_error solve_mip(folio_model *m, const folio_options *o, folio_result *res)
{
    double t0 = folio_now();
    mip_run run = { o->presolve > 0, o->time_limit, "" };
    folio_error e = mip_once(m, o, &run, res);
    if (e != FOLIO_OK || !run.doubt[0]) return e;

    /* the preprocessed answer cannot stand (or, for infeasibility, is
     * confirmed): solve again without preprocessing, in the time left */
    folio_status first = res->status;
    char doubt[sizeof run.doubt];
    memcpy(doubt, run.doubt, sizeof doubt);
    if (folio_interrupted()) {
        /* the doubted answer cannot stand, and there is no time for another run */
        res->status = FOLIO_STATUS_INTERRUPTED;
        res->has_solution = 0;
        res->mip_gap = HUGE_VAL;
        snprintf(res->message, sizeof res->message, "interrupted by the user before Cbc ran again without its "
                 "preprocessing, which %.150s", doubt);
        return FOLIO_OK;
    }
    res->status = FOLIO_STATUS_UNSOLVED;
    res->has_solution = 0;
    res->objective = 0;
    res->message[0] = '\0';
    run.preprocess = 0;
    run.doubt[0] = '\0';
    if (o->time_limit > 0) run.time_limit = fmax(o->time_limit - (folio_now() - t0), 1e-3);
    e = mip_once(m, o, &run, res);
    if (e != FOLIO_OK) return e;
    if (first == FOLIO_STATUS_INFEASIBLE && res->status == FOLIO_STATUS_INFEASIBLE) return FOLIO_OK;
    char base[sizeof res->message];
    snprintf(base, sizeof base, "%s", res->message[0] ? res->message : folio_status_message(res->status));
    snprintf(res->message, sizeof res->message, "%.60s (solved again without Cbc's preprocessing, "
             "which %.140s)", base, doubt);
    return FOLIO_OK;
}

/* ---- the backend ------------------------------------------------------------- */

static folio_error cbc_solve(folio_model *m, const folio_options *o, folio_result *res)
{
    if (folio_result_alloc(res, m->ncols, m->nrows))
        return folio_model_fail(m, FOLIO_ERR_NOMEM, "out of memory allocating the result");
    snprintf(res->solver, sizeof res->solver, "cbc");
    res->is_mip = m->nint > 0;
    double t0 = folio_now();
    folio_error e = res->is_mip ? solve_mip(m, o, res) : solve_lp(m, o, res);
    res->solve_time = folio_now() - t0;
    if (e != FOLIO_OK) return e;
    if (!res->message[0]) snprintf(res->message, sizeof res->message, "%s", folio_status_message(res->status));
    return FOLIO_OK;
}

static folio_error cbc_lower(folio_model *m, double *seconds)
{
    double t0 = folio_now();
    folio_error e = FOLIO_OK;
    folio_cbc_how how = { 0, NULL, 0, NULL };
    Cbc_Model *cm = folio_cbc_load(m, &how, &e);
    if (cm) Cbc_deleteModel(cm);
    if (seconds) *seconds = folio_now() - t0;   /* build and free, as a solve would */
    return e;
}

const folio_backend folio_coin_backend_cbc = {
    "cbc", FOLIO_COIN_CBC_CAPS, cbc_solve, cbc_lower
};
