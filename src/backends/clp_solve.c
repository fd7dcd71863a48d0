/* LPs through COIN-OR Clp's C interface (the Clp that Cbc is built on):
 * presolve and Clp's own choice of simplex by default, duals and reduced
 * costs from Clp, statuses mapped honestly, and sensitivity ranges from
 * GLPK started at Clp's optimal basis (Clp's C interface has no ranging).
 *
 * Like GLPK's simplex, Clp offers no callback that could stop it: an
 * interrupt or the host's budget takes effect when it returns, and the
 * time limit is Clp's own. */
#include "cbc_model.h"
#include "coin_plugin.h"
#include "glpk_common.h"
#include "lazy_ranges.h"

/* the header declares ClpSolve_new() without (void) */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wstrict-prototypes"
#include <Clp_C_Interface.h>
#pragma GCC diagnostic pop
#include <float.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Clp's basis statuses (ClpSimplex::Status), in the low 3 bits */
enum { CLP_FREE = 0, CLP_BASIC = 1, CLP_AT_UPPER = 2, CLP_AT_LOWER = 3, CLP_SUPERBASIC = 4, CLP_FIXED = 5 };

/* ClpSolve::SolveType and PresolveType */
enum { CLP_USE_DUAL = 0, CLP_USE_PRIMAL = 1, CLP_USE_BARRIER = 3 };
enum { CLP_PRESOLVE_ON = 0, CLP_PRESOLVE_OFF = 1 };

/* m as a Clp model (the objective constant left out), or NULL with *err
 * and m's message set. */
static Clp_Simplex *clp_load(folio_model *m, int zero_objective, int verbose, folio_error *err)
{
    folio_cbc_how how = { zero_objective, NULL, verbose, "Clp" };
    folio_coin_lp lp;
    if ((*err = folio_coin_lp_make(m, &how, &lp)) != FOLIO_OK) return NULL;
    Clp_Simplex *cm = Clp_newModel();
    Clp_setLogLevel(cm, verbose ? 1 : 0);
    Clp_loadProblem(cm, lp.ncols, lp.nrows, lp.start, lp.rowidx, lp.val, lp.lb, lp.ub, lp.obj, lp.rlo, lp.rhi);
    folio_coin_lp_free(&lp);
    Clp_setOptimizationDirection(cm, m->sense == FOLIO_MAXIMIZE ? -1.0 : 1.0);
    return cm;
}

/* Runs Clp's initial solve with the method and presolve of o. */
static void clp_run(Clp_Simplex *cm, const folio_options *o, double time_limit)
{
    if (time_limit > 0) Clp_setMaximumSeconds(cm, time_limit);
    if (o->iteration_limit > 0)
        Clp_setMaximumIterations(cm, o->iteration_limit > INT_MAX ? INT_MAX : (int)o->iteration_limit);
    Clp_Solve *how = ClpSolve_new();
    int type = o->method == FOLIO_LP_SIMPLEX ? CLP_USE_PRIMAL
             : o->method == FOLIO_LP_DUAL_SIMPLEX ? CLP_USE_DUAL
             : o->method == FOLIO_LP_INTERIOR ? CLP_USE_BARRIER
             : CLP_USE_DUAL;   /* FOLIO_LP_AUTO: after presolve, the dual simplex (bench/lp) */
    ClpSolve_setSolveType(how, type, -1);
    ClpSolve_setPresolveType(how, o->presolve == 0 ? CLP_PRESOLVE_OFF : CLP_PRESOLVE_ON, -1);
    Clp_initialSolveWithOptions(cm, how);
    ClpSolve_delete(how);
}

/* Clp found no dual feasible solution (status 2): with a zero objective
 * the rows alone say whether the model is unbounded or infeasible. */
static folio_status dual_infeasible(folio_model *m, const folio_options *o, double time_limit, folio_error *err)
{
    Clp_Simplex *cm = clp_load(m, 1, 0, err);
    if (!cm) return FOLIO_STATUS_UNSOLVED;
    folio_options q = *o;
    q.method = FOLIO_LP_DUAL_SIMPLEX;   /* the slack basis is dual feasible for a zero objective */
    clp_run(cm, &q, time_limit);
    int st = Clp_status(cm);
    Clp_deleteModel(cm);
    return st == 0 ? FOLIO_STATUS_UNBOUNDED : st == 1 ? FOLIO_STATUS_INFEASIBLE
                                           : FOLIO_STATUS_INFEASIBLE_OR_UNBOUNDED;
}

/* ---- ranging: GLPK from Clp's basis ------------------------------------------ */

/* A non-basic variable at the bound its value is nearer to. */
static int nonbasic_stat(double v, double lo, double hi)
{
    return fabs(v - hi) < fabs(v - lo) ? GLP_NU : GLP_NL;
}

/* Clp's optimal basis in GLPK's terms (GLPK makes each status fit its
 * variable's type), for the ranges (lazy_ranges.h); NULL when out of
 * memory. */
static folio_basis *clp_basis(folio_model *m, Clp_Simplex *cm, const folio_result *res)
{
    folio_basis *b = folio_basis_new(m);
    if (!b) return NULL;
    const unsigned char *status = Clp_statusArray(cm);
    size_t n = m->ncols;
    for (size_t j = 0; j < n; j++)
        b->stat[j] = (unsigned char)((status[j] & 7) == CLP_BASIC ? GLP_BS
                                     : nonbasic_stat(res->x[j], m->lb[j], m->ub[j]));
    for (size_t i = 0; i < m->nrows; i++)
        b->stat[n + i] = (unsigned char)((status[n + i] & 7) == CLP_BASIC ? GLP_BS
                                         : nonbasic_stat(res->row_activity[i], m->lo[i], m->hi[i]));
    return b;
}

/* ---- the backend ------------------------------------------------------------- */

static folio_error clp_solve(folio_model *m, const folio_options *o, folio_result *res)
{
    if (folio_result_alloc(res, m->ncols, m->nrows))
        return folio_model_fail(m, FOLIO_ERR_NOMEM, "out of memory allocating the result");
    snprintf(res->solver, sizeof res->solver, "clp");
    res->is_mip = 0;   /* the caps keep integer columns away */
    double t0 = folio_now();
    folio_error e = FOLIO_OK;
    Clp_Simplex *cm = clp_load(m, 0, o->verbose, &e);
    if (!cm) return e;
    clp_run(cm, o, o->time_limit);
    res->iterations = Clp_numberIterations(cm);
    int st = Clp_status(cm), st2 = Clp_secondaryStatus(cm);
    if (st == 0 && st2 >= 2 && st2 <= 4) {
        /* "optimal" for the scaled problem only: the unscaled one has primal
         * (2), dual (3) or both (4) infeasibilities. On CVaR LPs of 4,000
         * scenarios that was an optimum 2.7e-4 off with a bound broken by
         * 4e-6 (bench/lp/family.md). The primal simplex from that basis,
         * unscaled, settles it (usually in a few iterations). */
        Clp_scaling(cm, 0);
        Clp_primal(cm, 0);
        res->iterations += Clp_numberIterations(cm);
        st = Clp_status(cm);
        st2 = Clp_secondaryStatus(cm);
        if (st == 0 && st2 >= 2 && st2 <= 4) st = -1;   /* still not optimal as given: a numerical error */
    }
    size_t n = m->ncols, r = m->nrows;
    if (st == 0) {
        res->status = FOLIO_STATUS_OPTIMAL;
        if (n) {
            memcpy(res->x, Clp_primalColumnSolution(cm), n * sizeof *res->x);
            memcpy(res->reduced_cost, Clp_dualColumnSolution(cm), n * sizeof *res->reduced_cost);
        }
        if (r) memcpy(res->row_dual, Clp_dualRowSolution(cm), r * sizeof *res->row_dual);
        folio_coin_evaluate(m, res);
        res->has_solution = res->has_duals = 1;
    } else if (st == 1) {
        res->status = FOLIO_STATUS_INFEASIBLE;   /* Clp proves it with a dual ray */
    } else if (st == 2) {
        double left = o->time_limit > 0 ? fmax(o->time_limit - (folio_now() - t0), 1e-3) : 0;
        res->status = dual_infeasible(m, o, left, &e);
    } else if (st == 3) {
        /* secondary status 9: stopped on time */
        res->status = st2 == 9 || (o->time_limit > 0 && !Clp_hitMaximumIterations(cm))
                    ? FOLIO_STATUS_TIME_LIMIT : FOLIO_STATUS_ITERATION_LIMIT;
        if (Clp_primalFeasible(cm) && n) {
            memcpy(res->x, Clp_primalColumnSolution(cm), n * sizeof *res->x);
            folio_coin_evaluate(m, res);
            res->has_solution = 1;
        }
    } else if (st == -1) {
        res->status = FOLIO_STATUS_NUMERICAL_ERROR;
        snprintf(res->message, sizeof res->message,
                 "Clp's optimum of the scaled problem is not optimal for the model as given (secondary status %d), "
                 "also after an unscaled primal simplex; try solver = \"glpk\"", st2);
    } else {
        res->status = FOLIO_STATUS_NUMERICAL_ERROR;
        snprintf(res->message, sizeof res->message, "Clp stopped with status %d, secondary status %d", st, st2);
    }
    if (e == FOLIO_OK && res->status == FOLIO_STATUS_OPTIMAL && o->ranges) {
        /* the ranges from GLPK started at Clp's optimal basis: now, or
         * kept for r:ranges() to ask (FOLIO_RANGES_LATER) */
        folio_basis *b = clp_basis(m, cm, res);
        Clp_deleteModel(cm);
        cm = NULL;
        if (!b) return folio_model_fail(m, FOLIO_ERR_NOMEM, "out of memory keeping the basis");
        if (o->ranges == FOLIO_RANGES_LATER) {
            folio_basis_keep(b);
        } else {
            char why[160];
            e = folio_basis_ranges_why(m, b, res, why, sizeof why);
            folio_basis_free(b);
            if (e != FOLIO_OK) return e;
            if (why[0]) snprintf(res->message, sizeof res->message, "%s (no ranges: %s)",
                                 folio_status_message(res->status), why);
        }
    }
    if (cm) Clp_deleteModel(cm);
    res->solve_time = folio_now() - t0;
    if (e != FOLIO_OK) return e;
    if (!res->message[0]) snprintf(res->message, sizeof res->message, "%s", folio_status_message(res->status));
    return FOLIO_OK;
}

static folio_error clp_lower(folio_model *m, double *seconds)
{
    double t0 = folio_now();
    folio_error e = FOLIO_OK;
    Clp_Simplex *cm = clp_load(m, 0, 0, &e);
    if (cm) Clp_deleteModel(cm);
    if (seconds) *seconds = folio_now() - t0;   /* build and free, as a solve would */
    return e;
}

const folio_backend folio_coin_backend_clp = {
    "clp", FOLIO_COIN_CLP_CAPS, clp_solve, clp_lower
};
