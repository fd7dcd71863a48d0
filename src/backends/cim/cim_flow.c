/* The gradient flow dw/dt = -grad E(w) on SUNDIALS: CVODE BDF (dense with
 * the analytic Jacobian, or matrix-free PCG), CVODE Adams with fixed-point
 * iteration, ARKODE ERKStep with Dormand-Prince or Tsitouras 5(4).
 * Termination by root-finding on ||w - P(w - grad E)|| - grad_tol.
 * Limits hold at every accepted step: BDF through CVODE's projection hook,
 * ERK through its post-step hook, Adams by projecting and re-initialising
 * (CVODE allows projection only with BDF). */
#include "cim_internal.h"

#include <arkode/arkode_erkstep.h>
#include <cvode/cvode.h>
#include <cvode/cvode_proj.h>
#include <math.h>
#include <nvector/nvector_serial.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sunlinsol/sunlinsol_dense.h>
#include <sunlinsol/sunlinsol_pcg.h>
#include <sunmatrix/sunmatrix_dense.h>
#include <sunnonlinsol/sunnonlinsol_fixedpoint.h>
#include <time.h>

typedef struct flow {
    cim_ctx c;
    const folio_cim_options *o;
    folio_cim_result *r;
    double *Hd;              /* dense Hessian when it is constant */
    double *wtmp;            /* n */
    size_t cap, stride, seen; /* trajectory decimation */
    char err[200];           /* SUNDIALS's last error text */
    long base[6];            /* counters carried over CVodeReInit */
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

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* ---- callbacks ---------------------------------------------------------- */

static int rhs(sunrealtype t, N_Vector y, N_Vector ydot, void *ud)
{
    (void)t;
    flow *f = ud;
    cim_field(&f->c, N_VGetArrayPointer(y), N_VGetArrayPointer(ydot));
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

/* Jacobi preconditioner of the Newton matrix I - gamma J = I + gamma H */
static int prec_setup(sunrealtype t, N_Vector y, N_Vector fy, sunbooleantype jok, sunbooleantype *jcur,
                      sunrealtype gamma, void *ud)
{
    (void)t; (void)fy; (void)jok;
    flow *f = ud;
    cim_hess_diag(&f->c, N_VGetArrayPointer(y), f->c.pdiag);
    for (size_t i = 0; i < f->c.n; i++)
        f->c.pdiag[i] = 1 + ((f->c.constrained && f->c.clamped[i]) ? 0 : gamma * f->c.pdiag[i]);
    *jcur = SUNTRUE;
    return 0;
}

static int prec_solve(sunrealtype t, N_Vector y, N_Vector fy, N_Vector r, N_Vector z, sunrealtype gamma,
                      sunrealtype delta, int lr, void *ud)
{
    (void)t; (void)y; (void)fy; (void)gamma; (void)delta; (void)lr;
    flow *f = ud;
    const double *rv = N_VGetArrayPointer(r);
    double *zv = N_VGetArrayPointer(z);
    for (size_t i = 0; i < f->c.n; i++) zv[i] = rv[i] / f->c.pdiag[i];
    return 0;
}

static int root_fn(sunrealtype t, N_Vector y, sunrealtype *g, void *ud)
{
    (void)t;
    flow *f = ud;
    g[0] = cim_residual(&f->c, N_VGetArrayPointer(y)) - f->o->grad_tol;
    return 0;
}

/* CVODE's projection hook (BDF only): corr = P(y) - y */
static int proj_fn(sunrealtype t, N_Vector y, N_Vector corr, sunrealtype eps, N_Vector err, void *ud)
{
    (void)t; (void)eps; (void)err;
    flow *f = ud;
    const double *yv = N_VGetArrayPointer(y);
    double *cv = N_VGetArrayPointer(corr);
    cim_project(&f->c, yv, f->wtmp);
    for (size_t i = 0; i < f->c.n; i++) cv[i] = f->wtmp[i] - yv[i];
    return 0;
}

/* ERKStep's post-step hook: project in place */
static int post_step(sunrealtype t, N_Vector y, void *ud)
{
    (void)t;
    flow *f = ud;
    double *yv = N_VGetArrayPointer(y);
    if (cim_violation(&f->c, yv) > 0) cim_project(&f->c, yv, yv);
    return 0;
}

static void err_handler(int code, const char *module, const char *function, char *msg, void *ud)
{
    flow *f = ud;
    snprintf(f->err, sizeof f->err, "%s %s: %s (%d)", module, function, msg, code);
}

/* ---- trajectory ---------------------------------------------------------- */

/* keeps at most `samples` points spread over the steps: when full, every
 * other point is dropped and the stride doubles */
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
        CHECK(ERKStepRootInit(mem, 1, root_fn));
        if (f->c.constrained) CHECK(ERKStepSetPostprocessStepFn(mem, post_step));
    } else {
        mem = CVodeCreate(adams ? CV_ADAMS : CV_BDF, ctx);
        if (!mem) { snprintf(r->message, sizeof r->message, "CVODE: CVodeCreate failed"); goto out; }
        CHECK(CVodeSetErrHandlerFn(mem, err_handler, f));
        CHECK(CVodeInit(mem, rhs, 0.0, y));
        CHECK(CVodeSetUserData(mem, f));
        CHECK(CVodeSStolerances(mem, o->rtol, o->atol));
        CHECK(CVodeSetMaxNumSteps(mem, -1));
        CHECK(CVodeSetStopTime(mem, o->t_max));
        CHECK(CVodeRootInit(mem, 1, root_fn));
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
                if (!f->Hd || !LS) { snprintf(r->message, sizeof r->message, "out of memory"); goto out; }
                CHECK(CVodeSetLinearSolver(mem, LS, A));
                CHECK(CVodeSetJacFn(mem, jac_dense));
                if (f->c.p->l1_eps == 0 && !f->c.constrained) {
                    /* the Jacobian is constant: evaluate it once, refactor
                     * only when the step size changes enough */
                    CHECK(CVodeSetJacEvalFrequency(mem, 1000000));
                    CHECK(CVodeSetLSetupFrequency(mem, 1000));
                }
            } else {
                int maxl = n < 100 ? (int)n : 100;
                LS = SUNLinSol_PCG(y, SUN_PREC_LEFT, maxl, ctx);
                if (!LS) { snprintf(r->message, sizeof r->message, "out of memory"); goto out; }
                CHECK(CVodeSetLinearSolver(mem, LS, NULL));
                CHECK(CVodeSetJacTimes(mem, NULL, jac_times));
                CHECK(CVodeSetPreconditioner(mem, prec_setup, prec_solve));
            }
            if (f->c.constrained) {
                CHECK(CVodeSetProjFn(mem, proj_fn));
                CHECK(CVodeSetProjErrEst(mem, SUNFALSE));
            }
        }
    }
    double t = 0;
    sample(f, 0, w);
    r->grad_norm = cim_residual(&f->c, w);
    if (r->grad_norm <= o->grad_tol) { st = FOLIO_CIM_CONVERGED; goto out; }
    long steps = 0;
    for (;;) {
        flag = erk ? ERKStepEvolve(mem, o->t_max, y, &t, ARK_ONE_STEP) : CVode(mem, o->t_max, y, &t, CV_ONE_STEP);
        if (flag < 0) { st = finish_fail(f, what, erk, flag); goto out; }
        steps++;
        if (adams && cim_violation(&f->c, w) > 0) {
            /* project, then restart Adams from the projected state */
            long cnt[6];
            cvode_counters(mem, cnt);
            for (int k = 0; k < 6; k++) f->base[k] += cnt[k];
            cim_project(&f->c, w, w);
            CHECK(CVodeReInit(mem, t, y));
        }
        r->max_violation = fmax(r->max_violation, cim_violation(&f->c, w));
        sample(f, t, w);
        if (flag == CV_ROOT_RETURN) { st = FOLIO_CIM_CONVERGED; break; }
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
    double t0 = now_s();
    SUNContext ctx = NULL;
    N_Vector y = NULL;
    r->n = n;
    r->w = malloc(n * sizeof *r->w);
    f.wtmp = malloc(n * sizeof *f.wtmp);
    if (f.cap) {
        r->sample_t = malloc(f.cap * sizeof *r->sample_t);
        r->sample_energy = malloc(f.cap * sizeof *r->sample_energy);
        r->sample_w = malloc(f.cap * n * sizeof *r->sample_w);
    }
    if (!r->w || !f.wtmp || (f.cap && (!r->sample_t || !r->sample_energy || !r->sample_w)) ||
        cim_ctx_init(&f.c, p) || SUNContext_Create(NULL, &ctx) || !(y = N_VNew_Serial((sunindextype)n, ctx))) {
        snprintf(r->message, sizeof r->message, "out of memory");
        r->status = FOLIO_CIM_SOLVER_FAILURE;
        goto done;
    }
    double *w = N_VGetArrayPointer(y);
    for (size_t i = 0; i < n; i++) w[i] = p->w0 ? p->w0[i] : 0.0;
    cim_project(&f.c, w, w);   /* start feasible */
    r->status = run(&f, ctx, y);
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
    r->time_s = now_s() - t0;
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
