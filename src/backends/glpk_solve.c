/* LP and MIP through GLPK: simplex, interior point, branch and cut;
 * statuses mapped honestly, duals, ranging, MIP bound and gap. Branch and
 * cut reports progress and stops on folio_interrupt() from its callback;
 * GLPK's LP solvers have no callback, so LPs run to their end. */
#include "glpk_common.h"
#include "lazy_ranges.h"

#include <float.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int ms_limit(double seconds)
{
    if (seconds <= 0) return INT_MAX;
    double ms = ceil(seconds * 1000.0);
    return ms >= (double)INT_MAX ? INT_MAX : (int)ms;
}

static double open_end(double v)
{
    return v >= DBL_MAX ? HUGE_VAL : v <= -DBL_MAX ? -HUGE_VAL : v;
}

static void extract_basic(glp_prob *P, folio_result *res, int with_duals)
{
    size_t n = res->ncols, r = res->nrows;
    res->objective = glp_get_obj_val(P);
    for (size_t j = 0; j < n; j++) {
        res->x[j] = glp_get_col_prim(P, (int)j + 1);
        if (with_duals) res->reduced_cost[j] = glp_get_col_dual(P, (int)j + 1);
    }
    for (size_t i = 0; i < r; i++) {
        res->row_activity[i] = glp_get_row_prim(P, (int)i + 1);
        if (with_duals) res->row_dual[i] = glp_get_row_dual(P, (int)i + 1);
    }
    res->has_solution = 1;
    res->has_duals = with_duals;
}

/* Objective-coefficient ranges for columns and activity ranges for rows,
 * over which the current basis stays optimal. */
folio_error folio_glpk_ranges(glp_prob *P, folio_result *res)
{
    size_t n = res->ncols, r = res->nrows;
    res->obj_lo = malloc((n + 1) * sizeof(double));
    res->obj_hi = malloc((n + 1) * sizeof(double));
    res->rhs_lo = malloc((r + 1) * sizeof(double));
    res->rhs_hi = malloc((r + 1) * sizeof(double));
    if (!res->obj_lo || !res->obj_hi || !res->rhs_lo || !res->rhs_hi) return FOLIO_ERR_NOMEM;
    if (!glp_bf_exists(P) && glp_factorize(P) != 0) return FOLIO_ERR_BACKEND;
    int maximize = glp_get_obj_dir(P) == GLP_MAX;
    int nr = (int)r;
    for (size_t j = 0; j < n; j++) {
        int k = nr + (int)j + 1, stat = glp_get_col_stat(P, (int)j + 1);
        double c = glp_get_obj_coef(P, (int)j + 1), lo, hi;
        if (stat == GLP_BS) {
            int v1, v2;
            double val1, val2;
            glp_analyze_coef(P, k, &lo, &v1, &val1, &hi, &v2, &val2);
            lo = open_end(lo);
            hi = open_end(hi);
        } else {
            /* non-basic: the basis stays optimal until the reduced cost changes sign */
            double d = glp_get_col_dual(P, (int)j + 1);
            int improving_down = (stat == GLP_NL) != maximize;
            if (stat == GLP_NF) { lo = c; hi = c; }
            else if (stat == GLP_NS) { lo = -HUGE_VAL; hi = HUGE_VAL; }
            else if (improving_down) { lo = c - d; hi = HUGE_VAL; }
            else { lo = -HUGE_VAL; hi = c - d; }
        }
        res->obj_lo[j] = lo;
        res->obj_hi[j] = hi;
    }
    for (size_t i = 0; i < r; i++) {
        int stat = glp_get_row_stat(P, (int)i + 1);
        double act = glp_get_row_prim(P, (int)i + 1), lo, hi;
        if (stat == GLP_BS) {
            /* inactive: the limit may move up to the activity */
            switch (glp_get_row_type(P, (int)i + 1)) {
            case GLP_UP: lo = act; hi = HUGE_VAL; break;
            case GLP_LO: lo = -HUGE_VAL; hi = act; break;
            case GLP_FX: lo = act; hi = act; break;
            default: lo = -HUGE_VAL; hi = HUGE_VAL; break;
            }
        } else {
            int v1, v2;
            glp_analyze_bound(P, (int)i + 1, &lo, &v1, &hi, &v2);
            lo = open_end(lo);
            hi = open_end(hi);
        }
        res->rhs_lo[i] = lo;
        res->rhs_hi[i] = hi;
    }
    res->has_ranges = 1;
    return FOLIO_OK;
}

static void set_message(folio_result *res, const char *what, int ret)
{
    const char *last = folio_glpk_last_message();
    snprintf(res->message, sizeof res->message, "%s returned code %d%s%s", what, ret,
             *last ? ": " : "", last);
}

static folio_error solve_interior(glp_prob *P, const folio_options *o, folio_result *res)
{
    glp_iptcp p;
    glp_init_iptcp(&p);
    p.msg_lev = o->verbose ? GLP_MSG_ALL : GLP_MSG_ERR;
    int ret = glp_interior(P, &p);
    res->iterations = glp_get_it_cnt(P);
    if (ret == GLP_EFAIL && glp_get_num_rows(P) == 0) {
        res->status = FOLIO_STATUS_NUMERICAL_ERROR;
        snprintf(res->message, sizeof res->message,
                 "GLPK's interior point needs at least one constraint");
        return FOLIO_OK;
    }
    int st = glp_ipt_status(P);
    if (ret == 0 && st == GLP_OPT) {
        res->status = FOLIO_STATUS_OPTIMAL;
        res->objective = glp_ipt_obj_val(P);
        for (size_t j = 0; j < res->ncols; j++) {
            res->x[j] = glp_ipt_col_prim(P, (int)j + 1);
            res->reduced_cost[j] = glp_ipt_col_dual(P, (int)j + 1);
        }
        for (size_t i = 0; i < res->nrows; i++) {
            res->row_activity[i] = glp_ipt_row_prim(P, (int)i + 1);
            res->row_dual[i] = glp_ipt_row_dual(P, (int)i + 1);
        }
        res->has_solution = res->has_duals = 1;
    } else if (ret == 0 && st == GLP_NOFEAS) {
        res->status = FOLIO_STATUS_INFEASIBLE_OR_UNBOUNDED;
    } else if (ret == GLP_EITLIM) {
        res->status = FOLIO_STATUS_ITERATION_LIMIT;
    } else if (ret == GLP_ENOFEAS) {
        res->status = FOLIO_STATUS_INFEASIBLE_OR_UNBOUNDED;
    } else {
        res->status = FOLIO_STATUS_NUMERICAL_ERROR;
        set_message(res, "glp_interior", ret);
    }
    return FOLIO_OK;
}

/* What the presolver's "no primal (or dual) feasible solution" means: the
 * rows and bounds alone, with a zero objective, solved by the dual simplex
 * without presolve (the standard basis is dual feasible for a zero
 * objective, so it goes straight to its second phase). Returns
 * FOLIO_STATUS_INFEASIBLE, FOLIO_STATUS_UNBOUNDED (feasible after a
 * GLP_ENODFS), or FOLIO_STATUS_UNSOLVED when it cannot tell (a limit, or
 * feasible after GLP_ENOPFS). Runs under the GLPK guard. */
static folio_status classify_failure(glp_prob *P, const glp_smcp *base, int presolve_ret)
{
    glp_prob *Q = glp_create_prob();
    glp_copy_prob(Q, P, GLP_OFF);
    int n = glp_get_num_cols(Q);
    for (int j = 0; j <= n; j++) glp_set_obj_coef(Q, j, 0.0);
    glp_std_basis(Q);
    glp_smcp p = *base;
    p.presolve = GLP_OFF;
    p.meth = GLP_DUALP;
    int ret = glp_simplex(Q, &p);
    int st = glp_get_status(Q);
    glp_delete_prob(Q);
    if (ret != 0) return FOLIO_STATUS_UNSOLVED;
    if (st == GLP_NOFEAS) return FOLIO_STATUS_INFEASIBLE;
    if (st == GLP_OPT && presolve_ret == GLP_ENODFS) return FOLIO_STATUS_UNBOUNDED;
    return FOLIO_STATUS_UNSOLVED;
}

/* The limits of a follow-up run: what is left of the caller's. */
static void limits_left(glp_smcp *p, const folio_options *o, double t0, int its_used)
{
    if (o->time_limit > 0) p->tm_lim = ms_limit(fmax(o->time_limit - (folio_now() - t0), 1e-3));
    if (p->it_lim < INT_MAX) p->it_lim = p->it_lim > its_used ? p->it_lim - its_used : 1;
}

/* The method and presolve of an LP solve: automatic (the default) is the
 * dual simplex after GLPK's presolver; "simplex" is the primal simplex,
 * without presolve unless asked for. */
static void lp_method(const folio_options *o, glp_smcp *p)
{
    p->meth = o->method == FOLIO_LP_SIMPLEX ? GLP_PRIMAL : GLP_DUALP;
    int presolve = o->presolve >= 0 ? o->presolve : o->method == FOLIO_LP_AUTO;
    p->presolve = presolve ? GLP_ON : GLP_OFF;
}

static folio_error solve_lp(glp_prob *P, const folio_options *o, folio_result *res)
{
    if (o->method == FOLIO_LP_INTERIOR) return solve_interior(P, o, res);
    double t0 = folio_now();
    glp_smcp p;
    glp_init_smcp(&p);
    p.msg_lev = o->verbose ? GLP_MSG_ALL : GLP_MSG_ERR;
    lp_method(o, &p);
    p.tm_lim = ms_limit(o->time_limit);
    if (o->iteration_limit > 0) p.it_lim = o->iteration_limit > INT_MAX ? INT_MAX : (int)o->iteration_limit;
    int ret = glp_simplex(P, &p);
    if (ret == GLP_ENOPFS || ret == GLP_ENODFS) {
        /* the presolver proved that no optimum exists, with no basis:
         * the rows alone tell infeasible from unbounded */
        glp_smcp q = p;
        limits_left(&q, o, t0, glp_get_it_cnt(P));
        folio_status s = classify_failure(P, &q, ret);
        if (s != FOLIO_STATUS_UNSOLVED) {
            res->status = s;
            res->iterations = glp_get_it_cnt(P);
            return FOLIO_OK;
        }
        /* undecided: solve without the presolver, as it would have */
        p.presolve = GLP_OFF;
        limits_left(&p, o, t0, glp_get_it_cnt(P));
        ret = glp_simplex(P, &p);
    } else if (ret == 0 && p.presolve == GLP_ON && glp_get_status(P) == GLP_OPT) {
        /* GLPK recovers the original problem's solution and statuses from
         * the presolved one, but no factorised basis: a warm primal run
         * from those statuses (no pivots when they are optimal, as they
         * should be) gives the basis that ranging and the duals need */
        glp_smcp q = p;
        q.presolve = GLP_OFF;
        q.meth = GLP_PRIMAL;
        q.msg_lev = o->verbose ? GLP_MSG_ON : GLP_MSG_ERR;
        limits_left(&q, o, t0, glp_get_it_cnt(P));
        int warm = glp_simplex(P, &q);
        if (warm == GLP_EBADB || warm == GLP_ESING || warm == GLP_ECOND) {
            /* the recovered statuses are not a usable basis: GLPK's
             * advanced basis and the primal simplex from there */
            glp_adv_basis(P, 0);
            warm = glp_simplex(P, &q);
        }
        ret = warm;
    }
    res->iterations = glp_get_it_cnt(P);
    int st = glp_get_status(P);
    switch (ret) {
    case 0:
        if (st == GLP_OPT) {
            res->status = FOLIO_STATUS_OPTIMAL;
            extract_basic(P, res, 1);
            if (o->ranges == 1) return folio_glpk_ranges(P, res);   /* else kept for later: solve_op */
        } else if (st == GLP_NOFEAS) {
            res->status = FOLIO_STATUS_INFEASIBLE;
        } else if (st == GLP_UNBND) {
            res->status = FOLIO_STATUS_UNBOUNDED;
        } else if (glp_get_dual_stat(P) == GLP_NOFEAS &&
                   (res->status = classify_failure(P, &p, GLP_ENODFS)) != FOLIO_STATUS_UNSOLVED) {
            /* the dual simplex found no dual feasible basis to start from
             * and stopped undecided: the rows alone decide */
        } else {
            res->status = FOLIO_STATUS_NUMERICAL_ERROR;
            set_message(res, "glp_simplex", ret);
        }
        break;
    case GLP_ETMLIM:
    case GLP_EITLIM:
        res->status = ret == GLP_ETMLIM ? FOLIO_STATUS_TIME_LIMIT : FOLIO_STATUS_ITERATION_LIMIT;
        if (st == GLP_FEAS) extract_basic(P, res, 0);
        break;
    default:
        res->status = FOLIO_STATUS_NUMERICAL_ERROR;
        set_message(res, "glp_simplex", ret);
        break;
    }
    return FOLIO_OK;
}

typedef struct mip_track {
    double bound;
    int have_bound;
    long nodes;
    const double *start;   /* 1-based complete start, offered once */
    int start_offered;
    int show;              /* progress lines (not while GLPK prints its own log) */
} mip_track;

static void mip_progress(glp_tree *T, const mip_track *t, int active)
{
    glp_prob *P = glp_ios_get_prob(T);
    int st = glp_mip_status(P);
    char inc[32] = "none", bnd[32] = "-", gap[24] = "-";
    if (st == GLP_FEAS || st == GLP_OPT) {
        snprintf(inc, sizeof inc, "%.8g", glp_mip_obj_val(P));
        if (t->have_bound) snprintf(gap, sizeof gap, "%.2f%%", 100 * glp_ios_mip_gap(T));
    }
    if (t->have_bound) snprintf(bnd, sizeof bnd, "%.8g", t->bound);
    folio_progress("MIP", "nodes %ld (%d active)  incumbent %s  bound %s  gap %s", t->nodes, active, inc, bnd, gap);
}

static void mip_callback(glp_tree *T, void *info)
{
    mip_track *t = info;
    int a, n, total;
    glp_ios_tree_size(T, &a, &n, &total);
    t->nodes = total;
    int best = glp_ios_best_node(T);
    if (best) {
        t->bound = glp_ios_node_bound(T, best);
        t->have_bound = 1;
    }
    if (folio_poll() != FOLIO_POLL_GO) {   /* Ctrl-C, or the host's budget */
        glp_ios_terminate(T);   /* glp_intopt returns GLP_ESTOP, incumbent kept */
        return;
    }
    /* GLPK rejects it only when it is no better than its incumbent */
    if (t->start && !t->start_offered && glp_ios_reason(T) == GLP_IHEUR) {
        t->start_offered = 1;
        glp_ios_heur_sol(T, t->start);
    }
    if (t->show && folio_progress_due()) mip_progress(T, t, a);
}

static int outside(double v, int type, double lo, double hi)
{
    double tol = 1e-9;
    int has_lo = type == GLP_LO || type == GLP_DB || type == GLP_FX;
    int has_hi = type == GLP_UP || type == GLP_DB || type == GLP_FX;
    return (has_lo && v < lo - tol * (1 + fabs(lo))) || (has_hi && v > hi + tol * (1 + fabs(hi)));
}

static const char *col_name(glp_prob *P, int j)
{
    const char *s = glp_get_col_name(P, j);
    return s ? s : "?";
}

/* The start as a complete point for glp_ios_heur_sol, which checks only
 * integrality: the given integer columns (rounded) and continuous columns
 * are fixed and an LP with the model's objective sets the others; if
 * fixing the continuous ones leaves that LP infeasible, only the integer
 * ones are fixed (as Cbc does). Returns n + 1 values (1-based, from
 * glp_alloc), or NULL with the reason in why. Runs under the GLPK guard. */
static double *complete_start(glp_prob *P, const double *start, int tm_lim, char *why, size_t len)
{
    int n = glp_get_num_cols(P);
    double *x = NULL;
    for (int pass = 0; pass < 2; pass++) {
        glp_prob *Q = glp_create_prob();
        glp_copy_prob(Q, P, GLP_OFF);
        int fixed_continuous = 0;
        for (int j = 1; j <= n; j++) {
            double v = start[j - 1];
            if (isnan(v)) continue;
            if (glp_get_col_kind(P, j) != GLP_CV) v = floor(v + 0.5);
            else if (pass) continue;
            else fixed_continuous++;
            if (outside(v, glp_get_col_type(P, j), glp_get_col_lb(P, j), glp_get_col_ub(P, j))) {
                snprintf(why, len, "%g is outside the bounds of '%s'", v, col_name(P, j));
                glp_delete_prob(Q);
                return NULL;
            }
            glp_set_col_bnds(Q, j, GLP_FX, v, v);
        }
        glp_smcp p;
        glp_init_smcp(&p);
        p.msg_lev = GLP_MSG_OFF;
        p.tm_lim = tm_lim;
        int ok = glp_simplex(Q, &p) == 0 && glp_get_status(Q) == GLP_OPT;
        if (ok) {
            /* GLPK's allocator: freed by the guard if GLPK fails later */
            x = glp_alloc(n + 1, sizeof *x);
            for (int j = 1; j <= n; j++) x[j] = glp_get_col_prim(Q, j);
        }
        glp_delete_prob(Q);
        if (ok || !fixed_continuous) break;
    }
    if (!x) {
        snprintf(why, len, "no feasible point has its values");
        return NULL;
    }
    x[0] = 0;
    for (int j = 1; j <= n; j++) {
        if (glp_get_col_kind(P, j) == GLP_CV) continue;
        double r = floor(x[j] + 0.5);
        if (fabs(x[j] - r) > 1e-6) {
            snprintf(why, len, "it leaves integer column '%s' fractional (%g): give it a value",
                     col_name(P, j), x[j]);
            glp_free(x);
            return NULL;
        }
        x[j] = r;
    }
    return x;
}

/* x (1-based, n + 1 values) as the result's point, with its objective
 * and row activities. Runs under the GLPK guard. */
static void take_point(glp_prob *P, const double *x, folio_result *res)
{
    int n = glp_get_num_cols(P);
    int *ind = glp_alloc(n + 1, sizeof *ind);
    double *val = glp_alloc(n + 1, sizeof *val);
    double f = glp_get_obj_coef(P, 0);
    for (int j = 1; j <= n; j++) {
        res->x[j - 1] = x[j];
        f += glp_get_obj_coef(P, j) * x[j];
    }
    res->objective = f;
    for (size_t i = 0; i < res->nrows; i++) {
        int len = glp_get_mat_row(P, (int)i + 1, ind, val);
        double a = 0;
        for (int k = 1; k <= len; k++) a += val[k] * x[ind[k]];
        res->row_activity[i] = a;
    }
    glp_free(ind);
    glp_free(val);
}

/* Duals of the LP with the integer columns fixed at their MIP values. */
static void fixed_lp_duals(glp_prob *P, folio_result *res)
{
    int n = glp_get_num_cols(P);
    for (int j = 1; j <= n; j++) {
        if (glp_get_col_kind(P, j) == GLP_CV) continue;
        double v = round(res->x[j - 1]);
        glp_set_col_kind(P, j, GLP_CV);
        glp_set_col_bnds(P, j, GLP_FX, v, v);
    }
    glp_smcp p;
    glp_init_smcp(&p);
    p.msg_lev = GLP_MSG_ERR;
    if (glp_simplex(P, &p) == 0 && glp_get_status(P) == GLP_OPT) {
        for (size_t j = 0; j < res->ncols; j++) res->reduced_cost[j] = glp_get_col_dual(P, (int)j + 1);
        for (size_t i = 0; i < res->nrows; i++) res->row_dual[i] = glp_get_row_dual(P, (int)i + 1);
        res->has_duals = 1;
    }
}

static folio_error solve_mip(glp_prob *P, const folio_options *o, folio_result *res)
{
    mip_track track = { 0, 0, 0, NULL, 0, !o->verbose };
    /* as glpsol does: without scaling, rows of prices x quantities (1e7)
     * beside 0/1 links gave basis condition numbers of 1e14-1e16 and
     * "numerical_error" on the trade model at N = 10,000 */
    glp_scale_prob(P, GLP_SF_AUTO);
    glp_iocp p;
    glp_init_iocp(&p);
    p.msg_lev = o->verbose ? GLP_MSG_ALL : GLP_MSG_ERR;
    p.presolve = GLP_ON;
    p.tm_lim = ms_limit(o->time_limit);
    if (o->mip_gap >= 0) p.mip_gap = o->mip_gap;
    p.cb_func = mip_callback;
    p.cb_info = &track;
    char why[300] = "";
    double *start = NULL;
    if (o->mip_start) {
        double t0 = folio_now();
        start = complete_start(P, o->mip_start, p.tm_lim, why, sizeof why);
        /* GLPK's MIP presolver would renumber the columns the start is
         * given in: solve the relaxation here and branch on P itself */
        glp_smcp sp;
        glp_init_smcp(&sp);
        sp.msg_lev = p.msg_lev;
        sp.tm_lim = p.tm_lim;
        if (start && glp_simplex(P, &sp) == 0 && glp_get_status(P) == GLP_OPT) {
            p.presolve = GLP_OFF;
            track.start = start;
        } else if (start) {
            /* glp_intopt's presolver reports the relaxation's outcome */
            snprintf(why, sizeof why, "the LP relaxation was not solved to optimality");
        }
        if (o->time_limit > 0) p.tm_lim = ms_limit(fmax(o->time_limit - (folio_now() - t0), 1e-3));
    }
    int ret = glp_intopt(P, &p);
    res->iterations = glp_get_it_cnt(P);
    res->nodes = track.nodes;
    int st = glp_mip_status(P);
    int have = st == GLP_OPT || st == GLP_FEAS;
    /* stopped before GLPK took the start: a feasible point all the same,
     * so a limit never loses an incumbent the caller gave */
    int from_start = !have && start && (ret == GLP_ETMLIM || ret == GLP_ESTOP);
    if (from_start) {
        have = 1;
        why[0] = '\0';
    }
    switch (ret) {
    case 0:
        res->status = st == GLP_OPT ? FOLIO_STATUS_OPTIMAL
                    : st == GLP_NOFEAS ? FOLIO_STATUS_INFEASIBLE : FOLIO_STATUS_NUMERICAL_ERROR;
        break;
    case GLP_EMIPGAP:   /* stopped at the requested relative gap */
        res->status = have ? FOLIO_STATUS_OPTIMAL : FOLIO_STATUS_NUMERICAL_ERROR;
        break;
    case GLP_ETMLIM:
        res->status = FOLIO_STATUS_TIME_LIMIT;
        break;
    case GLP_ESTOP:     /* glp_ios_terminate: Ctrl-C, or the host's budget (a time limit, as in the QP engine) */
        res->status = folio_interrupted() ? FOLIO_STATUS_INTERRUPTED : FOLIO_STATUS_TIME_LIMIT;
        break;
    case GLP_ENOPFS:
        res->status = FOLIO_STATUS_INFEASIBLE;
        have = 0;
        break;
    case GLP_ENODFS:
        res->status = FOLIO_STATUS_INFEASIBLE_OR_UNBOUNDED;
        have = 0;
        break;
    default:
        res->status = FOLIO_STATUS_NUMERICAL_ERROR;
        set_message(res, "glp_intopt", ret);
        break;
    }
    if (res->status == FOLIO_STATUS_NUMERICAL_ERROR && !res->message[0])
        set_message(res, "glp_intopt", ret);
    if (why[0] && !res->message[0])
        snprintf(res->message, sizeof res->message, "%s (mip_start not used: %.170s)",
                 folio_status_message(res->status), why);
    if (!have) {
        if (start) glp_free(start);
        res->mip_bound = track.have_bound ? track.bound : NAN;
        res->mip_gap = HUGE_VAL;
        return FOLIO_OK;
    }
    if (from_start) take_point(P, start, res);
    else {
        res->objective = glp_mip_obj_val(P);
        for (size_t j = 0; j < res->ncols; j++) res->x[j] = glp_mip_col_val(P, (int)j + 1);
        for (size_t i = 0; i < res->nrows; i++) res->row_activity[i] = glp_mip_row_val(P, (int)i + 1);
    }
    if (start) glp_free(start);
    res->has_solution = 1;
    if (ret == 0 && st == GLP_OPT) {
        res->mip_bound = res->objective;
        res->mip_gap = 0.0;
    } else {
        res->mip_bound = track.have_bound ? track.bound : NAN;
        res->mip_gap = track.have_bound
            ? fabs(res->objective - track.bound) / (fabs(res->objective) + DBL_EPSILON)
            : HUGE_VAL;
    }
    if (o->mip_duals && res->status != FOLIO_STATUS_INTERRUPTED) fixed_lp_duals(P, res);
    return FOLIO_OK;
}

typedef struct solve_job {
    folio_model *m;
    const folio_options *o;
    folio_result *res;
} solve_job;

static folio_error solve_op(glp_prob *P, void *ud)
{
    solve_job *j = ud;
    folio_error e = j->res->is_mip ? solve_mip(P, j->o, j->res) : solve_lp(P, j->o, j->res);
    if (e == FOLIO_OK && !j->res->is_mip && j->o->ranges == FOLIO_RANGES_LATER &&
        j->o->method != FOLIO_LP_INTERIOR && j->res->status == FOLIO_STATUS_OPTIMAL &&
        glp_get_status(P) == GLP_OPT) {
        /* the optimal basis, for ranges on demand (lazy_ranges.h) */
        folio_basis *b = folio_basis_new(j->m);
        if (!b) return folio_model_fail(j->m, FOLIO_ERR_NOMEM, "out of memory keeping the basis");
        size_t n = j->res->ncols;
        for (size_t k = 0; k < n; k++) b->stat[k] = (unsigned char)glp_get_col_stat(P, (int)k + 1);
        for (size_t i = 0; i < j->res->nrows; i++) b->stat[n + i] = (unsigned char)glp_get_row_stat(P, (int)i + 1);
        folio_basis_keep(b);
    }
    if (e == FOLIO_ERR_NOMEM) return folio_model_fail(j->m, e, "out of memory computing ranges");
    if (e != FOLIO_OK) return folio_model_fail(j->m, e, "GLPK could not factorize the basis for ranging");
    return FOLIO_OK;
}

static folio_error glpk_solve(folio_model *m, const folio_options *o, folio_result *res)
{
    if (folio_result_alloc(res, m->ncols, m->nrows))
        return folio_model_fail(m, FOLIO_ERR_NOMEM, "out of memory allocating the result");
    snprintf(res->solver, sizeof res->solver, "glpk");
    res->is_mip = m->nint > 0;
    double t0 = folio_now();
    solve_job job = { m, o, res };
    folio_error e = folio_glpk_run(m, o->verbose, GLPK_NAMES_EXACT, solve_op, &job);
    res->solve_time = folio_now() - t0;
    if (e != FOLIO_OK) return e;
    if (!res->message[0]) snprintf(res->message, sizeof res->message, "%s", folio_status_message(res->status));
    return FOLIO_OK;
}

static folio_error lower_op(glp_prob *P, void *ud)
{
    (void)P;
    (void)ud;
    return FOLIO_OK;
}

static folio_error glpk_lower(folio_model *m, double *seconds)
{
    double t0 = folio_now();
    folio_error e = folio_glpk_run(m, 0, GLPK_NAMES_EXACT, lower_op, NULL);
    if (seconds) *seconds = folio_now() - t0;   /* build and free, as a solve would */
    return e;
}

const folio_backend folio_backend_glpk = {
    "glpk", FOLIO_CAP_LP | FOLIO_CAP_MIP | FOLIO_CAP_DUALS | FOLIO_CAP_RANGES | FOLIO_CAP_MIP_START,
    glpk_solve, glpk_lower
};
