/* The SUNDIALS path: CVODE integrates the smooth dynamics between discrete
 * events that its root finder locates (docs/cim.md).
 *
 * Integrator: Adams-Moulton with the fixed-point nonlinear solver. The
 * dynamics is not stiff at the default parameters (the fastest rate is
 * that of the cubic, ~ 1 - p + 3 x^2), no Jacobian is needed, and after
 * every restart Adams climbs back from order 1 cheaply. CVODE runs in
 * CV_ONE_STEP mode so that every accepted step is seen (trace, checks).
 *
 * State y = [x (n), v (n)], v = e (CIM/CAC) or the momenta (SB).
 * Root functions:
 *   g_i = x_i (i < n): a sign change; the new spin is the direction of
 *     the crossing reported by CVodeGetRootInfo.
 *   SB only, g_{n+i}: s_i x_i - 1 for a free component (it reaches the
 *     wall), s_i F_i for one held at the wall (F_i the force of the y
 *     equation; the hold ends when the force turns inward).
 * Events: sign change -> the tracker (best energy); for CAC the target
 * amplitude a(t) changes, for dSB the coupling force jumps. Wall arrival
 * -> x_i = s_i, y_i = 0, held while s_i F_i > 0 (dx_i = dy_i = 0 then).
 * CVodeReInit follows every event that changes the state or the vector
 * field; sign changes of CIM-AHC and bSB only update the tracker, since
 * their right-hand sides are smooth across x_i = 0, and CVODE carries on. */
#include "cim_ising_internal.h"

#include <cvode/cvode.h>
#include <math.h>
#include <nvector/nvector_serial.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sundials/sundials_context.h>
#include <sunnonlinsol/sunnonlinsol_fixedpoint.h>

typedef struct {
    SUNContext sunctx;
    N_Vector y;
    void *mem;
    SUNNonlinearSolver nls;
    int nroots;
    int *rootsfound;
    char err[160];     /* the last error text CVODE reported */
} sun_state;

static int is_sb(const fising_ctx *c)
{
    return c->o->method == FOLIO_ISING_SB_BALLISTIC || c->o->method == FOLIO_ISING_SB_DISCRETE;
}

/* g = J z + h with z = x, or the spins for dSB */
static void sb_field(fising_ctx *c, const double *x)
{
    if (c->o->method == FOLIO_ISING_SB_DISCRETE) {
        for (size_t i = 0; i < c->n; i++) c->z[i] = c->s[i];
        fising_field(c, c->z, c->g);
    } else {
        fising_field(c, x, c->g);
    }
}

/* the y-equation force of component i, after sb_field */
static double sb_force(const fising_ctx *c, const double *x, size_t i, double t)
{
    const folio_ising_options *o = c->o;
    double at = o->a0 * t / o->t_max;
    return -(o->a0 - at) * x[i] + c->c0 * c->g[i];
}

static int rhs(sunrealtype t, N_Vector yv, N_Vector ydot, void *ud)
{
    fising_ctx *c = ud;
    const folio_ising_options *o = c->o;
    size_t n = c->n;
    const double *x = N_VGetArrayPointer(yv), *v = x + n;
    double *dx = N_VGetArrayPointer(ydot), *dv = dx + n;
    if (is_sb(c)) {
        sb_field(c, x);
        for (size_t i = 0; i < n; i++) {
            if (c->stuck[i]) { dx[i] = dv[i] = 0; continue; }
            dx[i] = o->a0 * v[i];
            dv[i] = sb_force(c, x, i, t);
        }
        return 0;
    }
    int cac = o->method == FOLIO_ISING_CAC;
    double a = cac ? c->a_cur : o->a;
    fising_field(c, x, c->g);
    for (size_t i = 0; i < n; i++) {
        double xi = x[i], ei = v[i];
        dx[i] = (o->p - 1) * xi - xi * xi * xi + o->eps * ei * c->g[i];
        double r = -o->beta * (xi * xi - a);
        dv[i] = r * ei;
        if (cac && r > 0) dv[i] *= 1 - ei / c->e_max;
    }
    return 0;
}

static int roots(sunrealtype t, N_Vector yv, sunrealtype *gout, void *ud)
{
    fising_ctx *c = ud;
    size_t n = c->n;
    const double *x = N_VGetArrayPointer(yv);
    for (size_t i = 0; i < n; i++) gout[i] = x[i];
    if (is_sb(c)) {
        sb_field(c, x);
        for (size_t i = 0; i < n; i++)
            gout[n + i] = c->stuck[i] ? c->s[i] * sb_force(c, x, i, t) : c->s[i] * x[i] - 1;
    }
    return 0;
}

static void err_handler(int code, const char *module, const char *function, char *msg, void *ud)
{
    sun_state *S = ud;
    (void)module;
    if (code < 0) snprintf(S->err, sizeof S->err, "%s: %s", function, msg);
}

static int fail(fising_ctx *c, const char *what, int flag, double t)
{
    sun_state *S = c->sun;
    char *name = CVodeGetReturnFlagName(flag);
    snprintf(c->msg, c->msglen, "SUNDIALS %s failed (%s) at t = %g, run %zu%s%s", what, name ? name : "?", t,
             c->run + 1, S && S->err[0] ? ": " : "", S ? S->err : "");
    free(name);
    return -1;
}

int fising_sundials_open(fising_ctx *c)
{
    size_t n = c->n;
    sun_state *S = calloc(1, sizeof *S);
    if (!S) { snprintf(c->msg, c->msglen, "out of memory"); return -1; }
    c->sun = S;
    S->nroots = (int)(is_sb(c) ? 2 * n : n);
    S->rootsfound = malloc((size_t)S->nroots * sizeof *S->rootsfound);
    if (!S->rootsfound || SUNContext_Create(NULL, &S->sunctx) != 0) {
        snprintf(c->msg, c->msglen, "out of memory (SUNDIALS context)");
        return -1;
    }
    S->y = N_VNew_Serial((sunindextype)(2 * n), S->sunctx);
    S->mem = CVodeCreate(CV_ADAMS, S->sunctx);
    if (!S->y || !S->mem) { snprintf(c->msg, c->msglen, "out of memory (CVODE)"); return -1; }
    N_VConst(0, S->y);
    int flag;
    if ((flag = CVodeSetErrHandlerFn(S->mem, err_handler, S)) < 0) return fail(c, "CVodeSetErrHandlerFn", flag, 0);
    if ((flag = CVodeInit(S->mem, rhs, 0, S->y)) < 0) return fail(c, "CVodeInit", flag, 0);
    if ((flag = CVodeSStolerances(S->mem, c->o->rtol, c->o->atol)) < 0) return fail(c, "CVodeSStolerances", flag, 0);
    if ((flag = CVodeSetUserData(S->mem, c)) < 0) return fail(c, "CVodeSetUserData", flag, 0);
    S->nls = SUNNonlinSol_FixedPoint(S->y, 0, S->sunctx);
    if (!S->nls) { snprintf(c->msg, c->msglen, "out of memory (fixed-point solver)"); return -1; }
    if ((flag = CVodeSetNonlinearSolver(S->mem, S->nls)) < 0) return fail(c, "CVodeSetNonlinearSolver", flag, 0);
    if ((flag = CVodeRootInit(S->mem, S->nroots, roots)) < 0) return fail(c, "CVodeRootInit", flag, 0);
    /* a root function that is zero where we restart (the component just
     * clamped or flipped) is inactive until it moves off zero: expected */
    if ((flag = CVodeSetNoInactiveRootWarn(S->mem)) < 0) return fail(c, "CVodeSetNoInactiveRootWarn", flag, 0);
    /* no step longer than 1 time unit (the scale of the amplitude
     * dynamics), so a sign change and back cannot hide inside one step */
    if ((flag = CVodeSetMaxStep(S->mem, 1.0)) < 0) return fail(c, "CVodeSetMaxStep", flag, 0);
    return 0;
}

void fising_sundials_close(fising_ctx *c)
{
    sun_state *S = c->sun;
    if (!S) return;
    if (S->mem) CVodeFree(&S->mem);
    if (S->nls) SUNNonlinSolFree(S->nls);
    if (S->y) N_VDestroy(S->y);
    if (S->sunctx) SUNContext_Free(&S->sunctx);
    free(S->rootsfound);
    free(S);
    c->sun = NULL;
}

/* SB: clamp free components at or past a wall, then decide for every
 * component at a wall whether it is held (force outward) or free; a
 * component whose release root just fired stays free. Returns 1 when
 * the state or the held set changed. */
static int sb_settle(fising_ctx *c, double *x, double *y, double t, int force, const int *released)
{
    size_t n = c->n;
    int changed = 0;
    for (size_t i = 0; i < n; i++) {
        /* on the wall and not moving outward (e.g. just left it): free */
        if (c->stuck[i] || fabs(x[i]) < 1 || (fabs(x[i]) == 1 && x[i] * y[i] <= 0)) continue;
        c->events++;
        x[i] = x[i] > 0 ? 1 : -1;
        y[i] = 0;
        changed = 1;
    }
    if (!changed && !force) return 0;
    sb_field(c, x);
    for (size_t i = 0; i < n; i++) {
        if (fabs(x[i]) != 1 || y[i] != 0) continue;
        int hold = !(released && released[i]) && c->s[i] * sb_force(c, x, i, t) > 0;
        if (hold != c->stuck[i]) { c->stuck[i] = hold; changed = 1; }
    }
    return changed;
}

int fising_run_sundials(fising_ctx *c)
{
    sun_state *S = c->sun;
    const folio_ising_options *o = c->o;
    size_t n = c->n;
    int sb = is_sb(c);
    int field_on_spins = o->method == FOLIO_ISING_CAC || o->method == FOLIO_ISING_SB_DISCRETE;
    double T = o->t_max;
    double *x = N_VGetArrayPointer(S->y), *v = x + n;
    memcpy(x, c->x, n * sizeof *x);
    memcpy(v, c->v, n * sizeof *v);
    for (size_t i = 0; i < n; i++) c->stuck[i] = 0;
    fising_track_start(c, x, 0);
    if (o->method == FOLIO_ISING_CAC) fising_cac_update(c);
    if (sb) sb_settle(c, x, v, 0, 1, NULL);
    S->err[0] = 0;
    int flag;
    if ((flag = CVodeReInit(S->mem, 0, S->y)) < 0) return fail(c, "CVodeReInit", flag, 0);
    if ((flag = CVodeSetStopTime(S->mem, T)) < 0) return fail(c, "CVodeSetStopTime", flag, 0);
    if (c->trace) c->trace(c->trace_ctx, c->run, 0, n, x, v);
    double t = 0;
    long nst = 0;
    int *released = c->stuck + n;   /* stuck has 2n entries: held, just released */
    long stalled = 0, nst_run = 0;
    while (T - t > 1e-12 * (1 + T)) {
        double t_prev = t;
        int ret = CVode(S->mem, T, S->y, &t, CV_ONE_STEP);
        if (ret < 0) return fail(c, "CVode", ret, t);
        /* events piling up without time advancing (chatter at a wall or
         * a zero): give up rather than loop */
        if (t - t_prev <= 1e-12 * (1 + fabs(t))) {
            if (++stalled > 100000) {
                snprintf(c->msg, c->msglen, "SUNDIALS path stalled at t = %g, run %zu: events without progress", t, c->run + 1);
                return -1;
            }
        } else {
            stalled = 0;
        }
        int restart = 0, flips = 0;
        if (ret == CV_ROOT_RETURN) {
            if ((flag = CVodeGetRootInfo(S->mem, S->rootsfound)) < 0) return fail(c, "CVodeGetRootInfo", flag, t);
            for (size_t k = 0; k < n; k++) {
                if (!S->rootsfound[k]) continue;
                int ns = S->rootsfound[k] > 0 ? 1 : -1;
                if (ns != c->s[k]) { fising_track_flip(c, k); flips++; }
                /* the root is reported where g has changed sign or is
                 * zero; if rounding left x on the old side, put it on 0 */
                if (x[k] * ns < 0) { x[k] = 0; restart = 1; }
            }
            if (sb) {
                for (size_t k = 0; k < n; k++) released[k] = 0;
                for (size_t k = 0; k < n; k++) {
                    int dir = S->rootsfound[n + k];
                    if (c->stuck[k] && dir < 0) {            /* the force turned inward */
                        c->stuck[k] = 0; released[k] = 1; c->events++; restart = 1;
                    } else if (!c->stuck[k] && dir > 0) {    /* arrival at the wall */
                        x[k] = c->s[k]; v[k] = 0; c->events++; restart = 1;
                    }
                }
            }
        }
        /* a crossing the root finder did not see (it cannot, short of a
         * zero touched tangentially) is taken up here */
        for (size_t k = 0; k < n; k++)
            if (x[k] != 0 && fising_sign(x[k]) != c->s[k]) { fising_track_flip(c, k); flips++; }
        if (flips) {
            fising_track_commit(c, t);
            if (o->method == FOLIO_ISING_CAC) fising_cac_update(c);
            if (field_on_spins) restart = 1;
        }
        if (sb && sb_settle(c, x, v, t, ret == CV_ROOT_RETURN || flips, ret == CV_ROOT_RETURN ? released : NULL))
            restart = 1;
        if (c->oom) { snprintf(c->msg, c->msglen, "out of memory"); return -1; }
        if (restart && T - t > 1e-12 * (1 + T)) {
            long k;
            CVodeGetNumSteps(S->mem, &k);
            nst += k;
            if ((flag = CVodeReInit(S->mem, t, S->y)) < 0) return fail(c, "CVodeReInit", flag, t);
            if ((flag = CVodeSetStopTime(S->mem, T)) < 0) return fail(c, "CVodeSetStopTime", flag, t);
            c->reinits++;
        }
        if (c->trace) c->trace(c->trace_ctx, c->run, t, n, x, v);
        if (ret == CV_TSTOP_RETURN) break;
        if (fising_poll(c, t, 1)) {
            CVodeGetNumSteps(S->mem, &nst_run);
            c->steps += nst + nst_run;
            return -1;
        }
    }
    long k;
    CVodeGetNumSteps(S->mem, &k);
    c->steps += nst + k;
    return 0;
}
