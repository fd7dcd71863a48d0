/* The gradient flow dw/dt = -grad E(w) on SUNDIALS: CVODE BDF (dense with
 * the analytic Jacobian, or matrix-free PCG), CVODE Adams with fixed-point
 * iteration, ARKODE ERKStep with Dormand-Prince or Tsitouras 5(4).
 * Termination by root-finding on ||w - P(w - grad E)|| - grad_tol.
 * Limits: the flow is a hybrid system. Between events the active set A
 * (components on a bound, limits at their cap) is fixed and the field is
 * P_A(-grad E), smooth on that face; root-finding catches a free component
 * or limit reaching its bound, a check after each step catches one that
 * the field pulls off; each event re-initialises the integrator
 * (CVodeReInit / ERKStepReInit), so every integrator keeps the limits at
 * every accepted step without a projection hook. */
#include "cim_internal.h"
#include "folio/folio.h"

#include <arkode/arkode_erkstep.h>
#include <cvode/cvode.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_linalg.h>
#include <math.h>
#include <nvector/nvector_serial.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sunlinsol/sunlinsol_dense.h>
#include <sunlinsol/sunlinsol_pcg.h>
#include <sunmatrix/sunmatrix_dense.h>
#include <sunnonlinsol/sunnonlinsol_fixedpoint.h>

typedef struct flow {
    cim_ctx c;
    const folio_cim_options *o;
    folio_cim_result *r;
    double *Hd;              /* dense Hessian when it is constant */
    double *wtmp;            /* n */
    size_t cap, stride, seen; /* trajectory decimation */
    char err[200];           /* SUNDIALS's last error text */
    long base[6];            /* counters carried over CVodeReInit */
    /* root functions: 0 is convergence; then free bounds and open limits */
    int *root_kind;          /* 1 lower, 2 upper, 3 limit */
    size_t *root_idx;
    int *root_dir, *roots_found;
    size_t nroots;
    char *clamp_save;        /* the active set before a release check */
    size_t *active_save, nactive_save;
    long events;
    double *pmask, *pS, *pc;  /* preconditioner: free mask (n), K x K factor, K */
} flow;

void folio_cim_default_options(folio_cim_options *o)
{
    memset(o, 0, sizeof *o);
    o->integrator = FOLIO_CIM_CVODE_BDF;
    o->linsol = FOLIO_CIM_LS_AUTO;
    o->rtol = 1e-8;
    o->atol = 1e-12;
    o->grad_tol = 1e-10;
    o->t_max = 1e8;
    o->max_steps = 1000000;
    o->samples = 200;
}

/* ---- callbacks ---------------------------------------------------------- */

static int rhs(sunrealtype t, N_Vector y, N_Vector ydot, void *ud)
{
    (void)t;
    flow *f = ud;
    double *g = N_VGetArrayPointer(ydot);
    cim_energy_grad(&f->c, N_VGetArrayPointer(y), g);
    for (size_t i = 0; i < f->c.n; i++) g[i] = -g[i];
    cim_active_op(&f->c, g);   /* P_A: the segment's face */
    f->c.nrhs++;
    return 0;
}

static int jac_dense(sunrealtype t, N_Vector y, N_Vector fy, SUNMatrix J, void *ud, N_Vector t1, N_Vector t2,
                     N_Vector t3)
{
    (void)t; (void)fy; (void)t1; (void)t2; (void)t3;
    flow *f = ud;
    size_t n = f->c.n;
    if (!f->Hd) return -1;
    cim_hess_dense(&f->c, N_VGetArrayPointer(y), f->Hd);
    /* J = -P H P on the active set of the last field evaluation (P H P
     * keeps the Newton matrix symmetric; on the free subspace it equals
     * the projected field's Jacobian) */
    for (size_t j = 0; j < n; j++) {
        sunrealtype *col = SUNDenseMatrix_Column(J, (sunindextype)j);
        for (size_t i = 0; i < n; i++) col[i] = f->Hd[i * n + j];   /* H is symmetric */
        cim_active_op(&f->c, col);
    }
    if (f->c.constrained) {
        /* rows: (P H P)' = P H P, so apply P to the rows through the columns again */
        for (size_t i = 0; i < n; i++) {
            for (size_t j = 0; j < n; j++) f->wtmp[j] = SUNDenseMatrix_Column(J, (sunindextype)j)[i];
            cim_active_op(&f->c, f->wtmp);
            for (size_t j = 0; j < n; j++) SUNDenseMatrix_Column(J, (sunindextype)j)[i] = f->wtmp[j];
        }
    }
    for (size_t j = 0; j < n; j++) {
        sunrealtype *col = SUNDenseMatrix_Column(J, (sunindextype)j);
        for (size_t i = 0; i < n; i++) col[i] = -col[i];
    }
    return 0;
}

static int jac_times(N_Vector v, N_Vector Jv, sunrealtype t, N_Vector y, N_Vector fy, void *ud, N_Vector tmp)
{
    (void)t; (void)fy; (void)tmp;
    flow *f = ud;
    double *out = N_VGetArrayPointer(Jv);
    memcpy(f->wtmp, N_VGetArrayPointer(v), f->c.n * sizeof *f->wtmp);
    cim_active_op(&f->c, f->wtmp);
    cim_hess_vec(&f->c, N_VGetArrayPointer(y), f->wtmp, out);
    cim_active_op(&f->c, out);
    for (size_t i = 0; i < f->c.n; i++) out[i] = -out[i];
    return 0;
}

/* Preconditioner of the Newton matrix I - g J = I + g H: its diagonal
 * without the budget terms, D, plus those terms exactly, D + 2 rho g U U',
 * inverted by Woodbury with the K x K matrix I / (2 rho g) + U'D^-1 U.
 * The rank-K penalty is the stiff part, so PCG needs few iterations even
 * at rho = 1e6. Clamped components are left out (their rows are identity). */
static int prec_setup(sunrealtype t, N_Vector y, N_Vector fy, sunbooleantype jok, sunbooleantype *jcur,
                      sunrealtype gamma, void *ud)
{
    (void)t; (void)fy; (void)jok;
    flow *f = ud;
    const folio_cim_problem *p = f->c.p;
    size_t n = f->c.n, K = p->ngroups;
    double *d = f->c.pdiag;
    cim_hess_diag(&f->c, N_VGetArrayPointer(y), d);
    for (size_t k = 0; k < K; k++)
        for (size_t a = p->group_start[k]; a < p->group_start[k + 1]; a++) d[p->group_idx[a]] -= 2 * p->rho;
    for (size_t i = 0; i < n; i++) {
        int held = f->c.constrained && f->c.clamped[i];
        d[i] = held ? 1 : 1 + gamma * d[i];
        f->pmask[i] = held ? 0.0 : 1.0;
    }
    if (K) {
        for (size_t k = 0; k < K; k++)
            for (size_t l = 0; l < K; l++) f->pS[k * K + l] = k == l ? 1 / (2 * p->rho * gamma) : 0;
        /* U'D^-1 U over the free members, one column of memberships at a time */
        for (size_t k = 0; k < K; k++) {
            memset(f->wtmp, 0, n * sizeof *f->wtmp);
            for (size_t a = p->group_start[k]; a < p->group_start[k + 1]; a++) {
                size_t i = (size_t)p->group_idx[a];
                f->wtmp[i] += f->pmask[i] / d[i];
            }
            for (size_t l = 0; l < K; l++)
                for (size_t a = p->group_start[l]; a < p->group_start[l + 1]; a++)
                    f->pS[l * K + k] += f->wtmp[p->group_idx[a]];
        }
        gsl_error_handler_t *old = gsl_set_error_handler_off();
        gsl_matrix_view Sv = gsl_matrix_view_array(f->pS, K, K);
        int bad = gsl_linalg_cholesky_decomp1(&Sv.matrix) != GSL_SUCCESS;
        gsl_set_error_handler(old);
        if (bad) return 1;   /* recoverable: CVODE retries with a fresh setup */
    }
    *jcur = SUNTRUE;
    return 0;
}

static int prec_solve(sunrealtype t, N_Vector y, N_Vector fy, N_Vector r, N_Vector z, sunrealtype gamma,
                      sunrealtype delta, int lr, void *ud)
{
    (void)t; (void)y; (void)fy; (void)gamma; (void)delta; (void)lr;
    flow *f = ud;
    const folio_cim_problem *p = f->c.p;
    size_t n = f->c.n, K = p->ngroups;
    const double *rv = N_VGetArrayPointer(r);
    double *zv = N_VGetArrayPointer(z), *d = f->c.pdiag;
    for (size_t i = 0; i < n; i++) zv[i] = rv[i] / d[i];
    if (K) {
        for (size_t k = 0; k < K; k++) {
            double s = 0;
            for (size_t a = p->group_start[k]; a < p->group_start[k + 1]; a++) s += f->pmask[p->group_idx[a]] * zv[p->group_idx[a]];
            f->pc[k] = s;
        }
        gsl_matrix_view Sv = gsl_matrix_view_array(f->pS, K, K);
        gsl_vector_view cv = gsl_vector_view_array(f->pc, K);
        gsl_linalg_cholesky_svx(&Sv.matrix, &cv.vector);
        for (size_t k = 0; k < K; k++)
            for (size_t a = p->group_start[k]; a < p->group_start[k + 1]; a++) {
                size_t i = (size_t)p->group_idx[a];
                zv[i] -= f->pmask[i] * f->pc[k] / d[i];
            }
    }
    return 0;
}

static int root_fn(sunrealtype t, N_Vector y, sunrealtype *g, void *ud)
{
    (void)t;
    flow *f = ud;
    const folio_cim_problem *p = f->c.p;
    const double *w = N_VGetArrayPointer(y);
    g[0] = cim_stop_measure(&f->c, w, f->o->grad_tol, NULL);
    for (size_t r = 1; r < f->nroots; r++) {
        size_t i = f->root_idx[r];
        if (f->root_kind[r] == 1) g[r] = w[i] - p->lo[i];
        else if (f->root_kind[r] == 2) g[r] = p->hi[i] - w[i];
        else {
            double s = p->limit_cap[i];
            for (size_t a = p->limit_start[i]; a < p->limit_start[i + 1]; a++) s -= w[p->limit_idx[a]];
            g[r] = s;
        }
    }
    return 0;
}

/* Starts a segment at w: puts w on the bounds it has reached, takes the
 * active set of the tangent-cone field there, and lists the bounds and
 * limits still open as root functions. */
static void begin_segment(flow *f, double *w)
{
    const folio_cim_problem *p = f->c.p;
    f->nroots = 1;
    f->root_dir[0] = -1;
    if (!f->c.constrained) return;
    cim_snap(&f->c, w);
    cim_field(&f->c, w, f->wtmp);
    for (size_t i = 0; i < f->c.n; i++) {
        if (f->c.clamped[i]) continue;
        if (p->lo && isfinite(p->lo[i])) { f->root_kind[f->nroots] = 1; f->root_idx[f->nroots++] = i; }
        if (p->hi && isfinite(p->hi[i])) { f->root_kind[f->nroots] = 2; f->root_idx[f->nroots++] = i; }
    }
    for (size_t k = 0; k < p->nlimits; k++) {
        int on = 0;
        for (size_t m = 0; m < f->c.nactive; m++) on |= f->c.active[m] == k;
        if (!on) { f->root_kind[f->nroots] = 3; f->root_idx[f->nroots++] = k; }
    }
    for (size_t r = 1; r < f->nroots; r++) f->root_dir[r] = -1;   /* reaching the bound */
}

/* After a step: does the tangent-cone field at w keep the same active set?
 * (a clamped component or a limit the field now pulls off ends the segment) */
static int active_set_changed(flow *f, const double *w)
{
    if (!f->c.constrained) return 0;
    size_t n = f->c.n;
    memcpy(f->clamp_save, f->c.clamped, n);
    f->nactive_save = f->c.nactive;
    memcpy(f->active_save, f->c.active, f->c.nactive * sizeof *f->active_save);
    cim_field(&f->c, w, f->wtmp);
    int same = f->c.nactive == f->nactive_save && !memcmp(f->clamp_save, f->c.clamped, n) &&
               !memcmp(f->active_save, f->c.active, f->c.nactive * sizeof *f->active_save);
    if (!same) {
        /* keep the segment's set until the caller re-initialises */
        memcpy(f->c.clamped, f->clamp_save, n);
        f->c.nactive = f->nactive_save;
        memcpy(f->c.active, f->active_save, f->nactive_save * sizeof *f->active_save);
    }
    return !same;
}

static void err_handler(int code, const char *module, const char *function, char *msg, void *ud)
{
    flow *f = ud;
    snprintf(f->err, sizeof f->err, "%s %s: %s (%d)", module, function, msg, code);
}

/* ---- trajectory ---------------------------------------------------------- */

/* keeps at most `samples` points spread over the steps: when full, every
 * other point is dropped and the stride doubles (one sample: the last) */
static void sample(flow *f, double t, const double *w)
{
    folio_cim_result *r = f->r;
    size_t n = f->c.n;
    if (f->cap == 0) return;
    if (f->seen++ % f->stride) return;
    if (r->nsamples == f->cap) {
        size_t k = 0;
        for (size_t i = 0; i < r->nsamples; i += 2, k++) {
            r->sample_t[k] = r->sample_t[i];
            r->sample_energy[k] = r->sample_energy[i];
            memmove(r->sample_w + k * n, r->sample_w + i * n, n * sizeof *r->sample_w);
        }
        r->nsamples = k;
        f->stride *= 2;
        if (r->nsamples == f->cap) r->nsamples--;   /* cap 1: the newest point replaces the one kept */
    }
    r->sample_t[r->nsamples] = t;
    r->sample_energy[r->nsamples] = cim_energy_grad(&f->c, w, NULL);
    memcpy(r->sample_w + r->nsamples * n, w, n * sizeof *w);
    r->nsamples++;
}

/* ---- integrators ---------------------------------------------------------- */

static const char *flag_name(int erk, int flag, char *buf, size_t len)
{
    char *s = erk ? ERKStepGetReturnFlagName(flag) : CVodeGetReturnFlagName(flag);
    snprintf(buf, len, "%s", s ? s : "unknown flag");
    free(s);
    return buf;
}

static void cvode_counters(void *mem, long out[6])
{
    long v;
    memset(out, 0, 6 * sizeof *out);
    if (CVodeGetNumSteps(mem, &v) == CV_SUCCESS) out[0] = v;
    if (CVodeGetNumRhsEvals(mem, &v) == CV_SUCCESS) out[1] = v;
    if (CVodeGetNumJacEvals(mem, &v) == CV_SUCCESS) out[2] = v;
    if (CVodeGetNumLinIters(mem, &v) == CV_SUCCESS) out[3] = v;
    if (CVodeGetNumNonlinSolvIters(mem, &v) == CV_SUCCESS) out[4] = v;
    if (CVodeGetNumErrTestFails(mem, &v) == CV_SUCCESS) out[5] = v;
}

static folio_cim_status finish_fail(flow *f, const char *what, int erk, int flag)
{
    char name[64];
    flag_name(erk, flag, name, sizeof name);
    snprintf(f->r->message, sizeof f->r->message, "%s failed with %.40s%s%.180s", what, name, f->err[0] ? ": " : "",
             f->err);
    return FOLIO_CIM_SOLVER_FAILURE;
}

static folio_cim_status run(flow *f, SUNContext ctx, N_Vector y)
{
    const folio_cim_options *o = f->o;
    folio_cim_result *r = f->r;
    size_t n = f->c.n;
    int erk = o->integrator == FOLIO_CIM_ERK_DP5 || o->integrator == FOLIO_CIM_ERK_TSIT5;
    int adams = o->integrator == FOLIO_CIM_CVODE_ADAMS;
    void *mem = NULL;
    SUNMatrix A = NULL;
    SUNLinearSolver LS = NULL;
    SUNNonlinearSolver NLS = NULL;
    ARKodeButcherTable B = NULL;
    folio_cim_status st = FOLIO_CIM_SOLVER_FAILURE;
    int flag = 0;
    const char *what = erk ? "ARKODE" : "CVODE";
#define CHECK(call) do { flag = (call); if (flag < 0) { st = finish_fail(f, what, erk, flag); goto out; } } while (0)
    double *w = N_VGetArrayPointer(y);
    begin_segment(f, w);
    if (erk) {
        mem = ERKStepCreate(rhs, 0.0, y, ctx);
        if (!mem) { snprintf(r->message, sizeof r->message, "ARKODE: ERKStepCreate failed"); goto out; }
        CHECK(ERKStepSetErrHandlerFn(mem, err_handler, f));
        CHECK(ERKStepSetUserData(mem, f));
        CHECK(ERKStepSStolerances(mem, o->rtol, o->atol));
        if (o->integrator == FOLIO_CIM_ERK_DP5) {
            CHECK(ERKStepSetTableNum(mem, ARKODE_DORMAND_PRINCE_7_4_5));
        } else {
            double c[7], Am[49], b[7], d[7];
            cim_tsit5_coefficients(c, Am, b, d);
            B = ARKodeButcherTable_Create(7, 5, 4, c, Am, b, d);
            if (!B) { snprintf(r->message, sizeof r->message, "ARKODE: cannot create the Tsit5 table"); goto out; }
            CHECK(ERKStepSetTable(mem, B));
        }
        CHECK(ERKStepSetMaxNumSteps(mem, -1));
        CHECK(ERKStepSetStopTime(mem, o->t_max));
        CHECK(ERKStepRootInit(mem, (int)f->nroots, root_fn));
        CHECK(ERKStepSetRootDirection(mem, f->root_dir));
    } else {
        mem = CVodeCreate(adams ? CV_ADAMS : CV_BDF, ctx);
        if (!mem) { snprintf(r->message, sizeof r->message, "CVODE: CVodeCreate failed"); goto out; }
        CHECK(CVodeSetErrHandlerFn(mem, err_handler, f));
        CHECK(CVodeInit(mem, rhs, 0.0, y));
        CHECK(CVodeSetUserData(mem, f));
        CHECK(CVodeSStolerances(mem, o->rtol, o->atol));
        CHECK(CVodeSetMaxNumSteps(mem, -1));
        CHECK(CVodeSetStopTime(mem, o->t_max));
        CHECK(CVodeRootInit(mem, (int)f->nroots, root_fn));
        CHECK(CVodeSetRootDirection(mem, f->root_dir));
        if (adams) {
            /* Adams needs the fixed-point iteration (Newton would need a
             * Jacobian it cannot use well); it diverges once rho is large */
            NLS = SUNNonlinSol_FixedPoint(y, 0, ctx);
            if (!NLS) { snprintf(r->message, sizeof r->message, "CVODE: cannot create the fixed-point solver"); goto out; }
            CHECK(CVodeSetNonlinearSolver(mem, NLS));
        } else {
            folio_cim_linsol ls = o->linsol;
            if (ls == FOLIO_CIM_LS_AUTO) ls = n <= 200 ? FOLIO_CIM_LS_DENSE : FOLIO_CIM_LS_PCG;
            if (ls == FOLIO_CIM_LS_DENSE) {
                f->Hd = malloc(n * n * sizeof *f->Hd);
                A = SUNDenseMatrix((sunindextype)n, (sunindextype)n, ctx);
                LS = A ? SUNLinSol_Dense(y, A, ctx) : NULL;
                if (!f->Hd || !LS) { snprintf(r->message, sizeof r->message, "out of memory"); st = FOLIO_CIM_NO_MEMORY; goto out; }
                CHECK(CVodeSetLinearSolver(mem, LS, A));
                CHECK(CVodeSetJacFn(mem, jac_dense));
                if (f->c.p->l1_eps == 0) {
                    /* the Jacobian is constant within a segment: evaluate
                     * it once, refactor when the step size changes enough */
                    CHECK(CVodeSetJacEvalFrequency(mem, 1000000));
                    CHECK(CVodeSetLSetupFrequency(mem, 1000));
                }
            } else {
                int maxl = n < 100 ? (int)n : 100;
                LS = SUNLinSol_PCG(y, SUN_PREC_LEFT, maxl, ctx);
                if (!LS) { snprintf(r->message, sizeof r->message, "out of memory"); st = FOLIO_CIM_NO_MEMORY; goto out; }
                CHECK(CVodeSetLinearSolver(mem, LS, NULL));
                CHECK(CVodeSetJacTimes(mem, NULL, jac_times));
                CHECK(CVodeSetPreconditioner(mem, prec_setup, prec_solve));
            }
        }
    }
    double t = 0;
    sample(f, 0, w);
    r->grad_norm = cim_residual(&f->c, w);
    if (cim_stop_measure(&f->c, w, o->grad_tol, NULL) <= 0) { st = FOLIO_CIM_CONVERGED; goto out; }
    long steps = 0;
    for (;;) {
        int why = folio_poll();   /* Ctrl-C, or the host's budget (folio.h) */
        if (why != FOLIO_POLL_GO) {
            snprintf(r->message, sizeof r->message, "%s at t = %.6g",
                     why == FOLIO_POLL_BUDGET ? "stopped by the budget" : "interrupted by the user", t);
            st = FOLIO_CIM_INTERRUPTED;
            break;
        }
        if (folio_progress_due())
            folio_progress("CIM", "t %.4g / %.4g  steps %ld  |grad| %.3g", t, o->t_max, steps,
                           cim_residual(&f->c, w));
        flag = erk ? ERKStepEvolve(mem, o->t_max, y, &t, ARK_ONE_STEP) : CVode(mem, o->t_max, y, &t, CV_ONE_STEP);
        if (flag < 0) { st = finish_fail(f, what, erk, flag); goto out; }
        steps++;
        int converged = 0, event = 0;
        if (flag == CV_ROOT_RETURN) {
            if (erk) CHECK(ERKStepGetRootInfo(mem, f->roots_found));
            else CHECK(CVodeGetRootInfo(mem, f->roots_found));
            converged = f->roots_found[0] != 0;
            for (size_t k = 1; k < f->nroots; k++) event |= f->roots_found[k] != 0;
        }
        if (!converged && (event || active_set_changed(f, w) || cim_violation(&f->c, w) > 0)) {
            /* a new face: restart the integrator from the snapped state */
            long cnt[6] = { 0 };
            if (erk) {
                ERKStepGetNumSteps(mem, &cnt[0]);
                ERKStepGetNumRhsEvals(mem, &cnt[1]);
                ERKStepGetNumErrTestFails(mem, &cnt[5]);
            } else {
                cvode_counters(mem, cnt);
            }
            for (int k = 0; k < 6; k++) f->base[k] += cnt[k];
            begin_segment(f, w);
            f->events++;
            if (erk) {
                CHECK(ERKStepReInit(mem, rhs, t, y));
                CHECK(ERKStepRootInit(mem, (int)f->nroots, root_fn));
                CHECK(ERKStepSetRootDirection(mem, f->root_dir));
            } else {
                CHECK(CVodeReInit(mem, t, y));
                CHECK(CVodeRootInit(mem, (int)f->nroots, root_fn));
                CHECK(CVodeSetRootDirection(mem, f->root_dir));
            }
        }
        r->max_violation = fmax(r->max_violation, cim_violation(&f->c, w));
        sample(f, t, w);
        if (converged) {
            int floored = 0;
            cim_stop_measure(&f->c, w, o->grad_tol, &floored);
            if (floored)
                snprintf(r->message, sizeof r->message,
                         "converged to grad_tol across the groups; along a group indicator the gradient stopped at "
                         "its rounding floor (2 rho x the rounding of u'w)");
            st = FOLIO_CIM_CONVERGED;
            break;
        }
        if (flag == CV_TSTOP_RETURN || t >= o->t_max) { st = FOLIO_CIM_TMAX; break; }
        if (o->max_steps > 0 && steps >= o->max_steps) {
            snprintf(r->message, sizeof r->message, "stopped after max_steps = %ld steps at t = %.6g", o->max_steps, t);
            st = FOLIO_CIM_STEP_LIMIT;
            break;
        }
    }
    r->t_end = t;
out:
    if (mem) {
        long cnt[6] = { 0 };
        r->events = f->events;
        if (erk) {
            long a, b2;
            if (ERKStepGetNumSteps(mem, &a) == ARK_SUCCESS) cnt[0] = a;
            if (ERKStepGetNumRhsEvals(mem, &b2) == ARK_SUCCESS) cnt[1] = b2;
            if (ERKStepGetNumErrTestFails(mem, &a) == ARK_SUCCESS) cnt[5] = a;
        } else {
            cvode_counters(mem, cnt);
        }
        r->steps = f->base[0] + cnt[0];
        r->rhs_evals = f->base[1] + cnt[1];
        r->jac_evals = f->base[2] + cnt[2];
        r->lin_iters = f->base[3] + cnt[3];
        r->nonlin_iters = f->base[4] + cnt[4];
        r->err_test_fails = f->base[5] + cnt[5];
    }
    if (erk) ERKStepFree(&mem);
    else if (mem) CVodeFree(&mem);
    ARKodeButcherTable_Free(B);
    if (LS) SUNLinSolFree(LS);
    if (A) SUNMatDestroy(A);
    if (NLS) SUNNonlinSolFree(NLS);
    return st;
#undef CHECK
}

folio_cim_status folio_cim_solve(const folio_cim_problem *p, const folio_cim_options *opts, folio_cim_result *r)
{
    memset(r, 0, sizeof *r);
    folio_cim_options o;
    if (opts) o = *opts;
    else folio_cim_default_options(&o);
    r->status = FOLIO_CIM_INVALID;
    if (folio_cim_validate(p, r->message, sizeof r->message)) return r->status;
    if (!(o.rtol > 0) || !(o.atol > 0)) { snprintf(r->message, sizeof r->message, "rtol and atol must be > 0"); return r->status; }
    if (!(o.grad_tol > 0)) { snprintf(r->message, sizeof r->message, "grad_tol must be > 0"); return r->status; }
    if (!(o.t_max > 0) || !isfinite(o.t_max)) { snprintf(r->message, sizeof r->message, "t_max must be a finite number > 0"); return r->status; }
    if ((unsigned)o.integrator > FOLIO_CIM_ERK_TSIT5) { snprintf(r->message, sizeof r->message, "unknown integrator"); return r->status; }
    size_t n = p->n;
    flow f;
    memset(&f, 0, sizeof f);
    f.o = &o;
    f.r = r;
    f.cap = o.samples;
    f.stride = 1;
    double t0 = folio_now();
    SUNContext ctx = NULL;
    N_Vector y = NULL;
    r->n = n;
    r->w = malloc(n * sizeof *r->w);
    f.wtmp = malloc(n * sizeof *f.wtmp);
    size_t maxroots = 1 + 2 * n + p->nlimits;
    f.root_kind = malloc(maxroots * sizeof *f.root_kind);
    f.root_idx = malloc(maxroots * sizeof *f.root_idx);
    f.root_dir = malloc(maxroots * sizeof *f.root_dir);
    f.roots_found = calloc(maxroots, sizeof *f.roots_found);
    f.clamp_save = malloc(n);
    f.pmask = malloc(n * sizeof *f.pmask);
    f.pS = malloc((p->ngroups * p->ngroups + 1) * sizeof *f.pS);
    f.pc = malloc((p->ngroups + 1) * sizeof *f.pc);
    f.active_save = malloc((p->nlimits + 1) * sizeof *f.active_save);
    if (f.cap) {
        r->sample_t = malloc(f.cap * sizeof *r->sample_t);
        r->sample_energy = malloc(f.cap * sizeof *r->sample_energy);
        r->sample_w = malloc(f.cap * n * sizeof *r->sample_w);
    }
    if (!r->w || !f.wtmp || !f.root_kind || !f.root_idx || !f.root_dir || !f.roots_found || !f.clamp_save ||
        !f.active_save || !f.pmask || !f.pS || !f.pc || (f.cap && (!r->sample_t || !r->sample_energy || !r->sample_w)) ||
        cim_ctx_init(&f.c, p) || SUNContext_Create(NULL, &ctx) || !(y = N_VNew_Serial((sunindextype)n, ctx))) {
        snprintf(r->message, sizeof r->message, "out of memory");
        r->status = FOLIO_CIM_NO_MEMORY;
        goto done;
    }
    double *w = N_VGetArrayPointer(y);
    for (size_t i = 0; i < n; i++) w[i] = p->w0 ? p->w0[i] : 0.0;
    cim_project(&f.c, w, w);   /* start feasible */
    folio_progress_begin();
    r->status = run(&f, ctx, y);
    folio_progress_done();
    if (f.c.constrained && cim_violation(&f.c, w) > 0) cim_project(&f.c, w, w);
    memcpy(r->w, w, n * sizeof *w);
    r->energy = cim_energy_grad(&f.c, w, NULL);
    r->grad_norm = cim_residual(&f.c, w);
    r->projections = f.c.nproj;
done:
    if (y) N_VDestroy(y);
    if (ctx) SUNContext_Free(&ctx);
    cim_ctx_free(&f.c);
    free(f.Hd);
    free(f.wtmp);
    free(f.root_kind);
    free(f.root_idx);
    free(f.root_dir);
    free(f.roots_found);
    free(f.clamp_save);
    free(f.pmask);
    free(f.pS);
    free(f.pc);
    free(f.active_save);
    r->time_s = folio_now() - t0;
    return r->status;
}

void folio_cim_result_free(folio_cim_result *r)
{
    if (!r) return;
    free(r->w);
    free(r->sample_t);
    free(r->sample_energy);
    free(r->sample_w);
    r->w = r->sample_t = r->sample_energy = r->sample_w = NULL;
    r->nsamples = 0;
}
