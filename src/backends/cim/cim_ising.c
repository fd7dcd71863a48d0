/* Ising amplitude dynamics (include/folio/cim.h, docs/cim.md): options,
 * validation, the loop over random starts and the statistics. The models
 * are integrated by cim_ising_euler.c (fixed-step reference map) and
 * cim_ising_sundials.c (CVODE between events); cim_ising_track.c follows
 * the spins sign(x) and their energy. */
#include "cim_ising_internal.h"
#include "folio/folio.h"

#include <gsl/gsl_rng.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* CAC variant constants (not in the options): the target amplitude rises
 * by up to CAC_RHO above a when the current energy exceeds the run's best
 * by about one coupling scale; e_i is kept below CAC_E_MAX. */
#define CAC_RHO 1.0
#define CAC_E_MAX 100.0

/* Defaults. CIM/CAC: p, eps, beta, a as in the issue (Leleu et al. 2019);
 * dt = 0.05 keeps the Euler map stable (the stiffest rate is the cubic's,
 * 1 - p + 3 x^2 ~ 4 at |x| ~ 1, so dt < 0.5) and close to the flow;
 * t_max = 200 leaves room for the e_i to lift the origin's stability
 * (they grow at rate beta a) and then to search; CVODE rtol 1e-6 and
 * atol 1e-14 (CIM/CAC) or 1e-9 (SB). SB: a0 = 1, c0 from the
 * coupling scale, dt = 0.5 (in Goto's range; symplectic Euler is stable
 * below 2/omega, omega^2 ~ a0 (a0 + c0 lambda_max) ~ 2), t_max = 100. */
void folio_ising_default_options(folio_ising_method m, folio_ising_options *o)
{
    memset(o, 0, sizeof *o);
    o->method = m;
    o->path = FOLIO_ISING_EULER;
    o->runs = 50;
    o->seed = 1;
    o->rtol = 1e-6;
    o->atol = 1e-9;
    o->p = 0.2;
    o->eps = 0.07;
    o->beta = 0.05;
    o->a = 0.2;
    o->a0 = 1.0;
    o->c0 = 0.0;
    o->target_energy = NAN;
    if (m == FOLIO_ISING_SB_BALLISTIC || m == FOLIO_ISING_SB_DISCRETE) {
        o->dt = 0.5;
        o->t_max = 100;
    } else {
        o->dt = 0.05;
        o->t_max = 200;
        /* the amplitudes decay towards the origin by many orders of
         * magnitude before the e_i lift its stability, and their signs
         * are the spins: the absolute tolerance must lie far below them
         * (with 1e-9 the signs of the smallest ones chatter) */
        o->atol = 1e-14;
    }
}

double folio_ising_coupling_scale(const folio_ising_problem *p)
{
    size_t n = p->n;
    double s1 = 0, s2 = 0, m = (double)n * (double)(n - 1);
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < n; j++) {
            if (i == j) continue;
            s1 += p->J[i * n + j];
            s2 += p->J[i * n + j] * p->J[i * n + j];
        }
    double sd = 0, rms = 0;
    if (m > 0) {
        double mean = s1 / m;
        sd = sqrt(fmax(0, s2 / m - mean * mean));
        rms = sqrt(s2 / m);
    }
    if (!(sd > 1e-12 * rms)) sd = rms;
    if (!(sd > 0) && p->h) {
        double hs = 0;
        for (size_t i = 0; i < n; i++) hs += p->h[i] * p->h[i];
        sd = sqrt(hs / (double)n);
    }
    if (!(sd > 0)) return 1.0;
    return sqrt((double)n) * sd;
}

static int invalid(char *msg, size_t len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static int invalid(char *msg, size_t len, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, len, fmt, ap);
    va_end(ap);
    return -1;
}

/* Everything is checked before anything is allocated. Indices in the
 * messages are 0-based (the Lua binding checks J itself, 1-based). */
static int validate(const folio_ising_problem *p, const folio_ising_options *o, char *msg, size_t len)
{
    if (!p || !o) return invalid(msg, len, "problem or options is NULL");
    if (p->n < 1) return invalid(msg, len, "n must be >= 1 (got %zu)", p->n);
    if (!p->J) return invalid(msg, len, "J is NULL");
    size_t n = p->n;
    for (size_t i = 0; i < n; i++) {
        for (size_t j = 0; j < n; j++) {
            double a = p->J[i * n + j], b = p->J[j * n + i];
            if (!isfinite(a)) return invalid(msg, len, "J[%zu][%zu] is not finite", i, j);
            if (i == j && a != 0)
                return invalid(msg, len, "J has a nonzero diagonal (J[%zu][%zu] = %g): the diagonal must be zero", i, i, a);
            if (j > i && !(fabs(a - b) <= 1e-12 * (1 + fabs(a))))
                return invalid(msg, len, "J is not symmetric (J[%zu][%zu] = %g, J[%zu][%zu] = %g)", i, j, a, j, i, b);
        }
        if (p->h && !isfinite(p->h[i])) return invalid(msg, len, "h[%zu] is not finite", i);
    }
    if ((int)o->method < 0 || o->method > FOLIO_ISING_SB_DISCRETE) return invalid(msg, len, "unknown method %d", (int)o->method);
    if ((int)o->path < 0 || o->path > FOLIO_ISING_SUNDIALS) return invalid(msg, len, "unknown path %d", (int)o->path);
    if (o->runs < 1) return invalid(msg, len, "runs must be >= 1 (got %zu)", o->runs);
    if (!(o->t_max > 0) || !isfinite(o->t_max)) return invalid(msg, len, "t_max must be a finite number > 0 (got %g)", o->t_max);
    if (!(o->dt > 0) || !(o->dt < o->t_max))
        return invalid(msg, len, "dt must be > 0 and < t_max (got dt = %g, t_max = %g)", o->dt, o->t_max);
    if (o->t_max / o->dt > 1e9) return invalid(msg, len, "t_max / dt = %g steps is too many", o->t_max / o->dt);
    if (o->path == FOLIO_ISING_SUNDIALS && (!(o->rtol > 0) || !(o->atol > 0) || !isfinite(o->rtol) || !isfinite(o->atol)))
        return invalid(msg, len, "rtol and atol must be finite and > 0 (got rtol = %g, atol = %g)", o->rtol, o->atol);
    if (o->method == FOLIO_ISING_CIM_AHC || o->method == FOLIO_ISING_CAC) {
        if (!isfinite(o->p)) return invalid(msg, len, "p must be finite");
        if (!(o->eps >= 0) || !isfinite(o->eps)) return invalid(msg, len, "eps must be finite and >= 0 (got %g)", o->eps);
        if (!(o->beta >= 0) || !isfinite(o->beta)) return invalid(msg, len, "beta must be finite and >= 0 (got %g)", o->beta);
        if (!(o->a > 0) || !isfinite(o->a)) return invalid(msg, len, "a must be finite and > 0 (got %g)", o->a);
    } else {
        if (!(o->a0 > 0) || !isfinite(o->a0)) return invalid(msg, len, "a0 must be finite and > 0 (got %g)", o->a0);
        if (!(o->c0 >= 0) || !isfinite(o->c0)) return invalid(msg, len, "c0 must be finite and >= 0 (got %g; 0 = default)", o->c0);
    }
    if (!isnan(o->target_energy) && !isfinite(o->target_energy))
        return invalid(msg, len, "target_energy must be finite or NAN (got %g)", o->target_energy);
    return 0;
}

void folio_ising_result_free(folio_ising_result *r)
{
    if (!r) return;
    free(r->best_spins);
    free(r->run_energy);
    free(r->run_hit_time);
    r->best_spins = NULL;
    r->run_energy = NULL;
    r->run_hit_time = NULL;
}

int fising_poll(fising_ctx *c, double t, int show)
{
    /* the flag at every step; the budget's clock with the progress line */
    int why = show ? folio_poll() : folio_interrupted() ? FOLIO_POLL_INTERRUPT : FOLIO_POLL_GO;
    if (why != FOLIO_POLL_GO) {
        c->interrupted = 1;
        snprintf(c->msg, c->msglen, "%s in run %zu of %zu at t = %g",
                 why == FOLIO_POLL_BUDGET ? "stopped by the budget" : "interrupted by the user", c->run + 1,
                 c->o->runs, t);
        return -1;
    }
    if (show && folio_progress_due())
        folio_progress("Ising", "run %zu / %zu  t %.4g / %.4g  energy %.8g  best of the run %.8g", c->run + 1,
                       c->o->runs, t, c->o->t_max, c->E, c->run_best);
    return 0;
}

/* success threshold and statistics over the runs */
static void summarise(folio_ising_result *r, const fising_ctx *c, const size_t *hist_start, double t_max, double target)
{
    size_t R = r->runs;
    double tgt = isnan(target) ? r->best_energy : target;
    double thr = tgt + 1e-9 * (1 + fabs(tgt));
    double sum = 0, sum2 = 0, slowest = 0;
    size_t hits = 0;
    for (size_t k = 0; k < R; k++) sum += r->run_energy[k];
    r->mean_energy = sum / (double)R;
    for (size_t k = 0; k < R; k++) sum2 += (r->run_energy[k] - r->mean_energy) * (r->run_energy[k] - r->mean_energy);
    r->std_energy = sqrt(sum2 / (double)R);   /* population standard deviation */
    for (size_t k = 0; k < R; k++) {
        r->run_hit_time[k] = -1;
        /* the improvements of a run decrease: the first one at or below
         * the threshold is when the run reached the target */
        for (size_t q = hist_start[k]; q < hist_start[k + 1]; q++)
            if (c->hist_e[q] <= thr) { r->run_hit_time[k] = c->hist_t[q]; break; }
        if (r->run_hit_time[k] >= 0) {
            hits++;
            slowest = fmax(slowest, r->run_hit_time[k]);
        }
    }
    double ps = (double)hits / (double)R;
    r->success_probability = ps;
    /* runs needed for 99% confidence times t_max; every run succeeding:
     * the slowest hit time; none: infinite */
    if (hits == 0) r->time_to_solution = INFINITY;
    else if (hits == R) r->time_to_solution = slowest;
    else r->time_to_solution = t_max * log(0.01) / log(1 - ps);
}

int folio_ising_solve_traced(const folio_ising_problem *p, const folio_ising_options *o, folio_ising_result *r,
                             folio_ising_trace_fn fn, void *trace_ctx)
{
    if (!r) return -1;
    double t_start = folio_now();
    memset(r, 0, sizeof *r);
    if (validate(p, o, r->message, sizeof r->message)) {
        r->status = -1;
        return -1;
    }
    size_t n = p->n, R = o->runs;
    int sb = o->method == FOLIO_ISING_SB_BALLISTIC || o->method == FOLIO_ISING_SB_DISCRETE;
    fising_ctx c;
    memset(&c, 0, sizeof c);
    c.n = n;
    c.J = p->J;
    c.o = o;
    c.msg = r->message;
    c.msglen = sizeof r->message;
    c.trace = fn;
    c.trace_ctx = trace_ctx;
    double scale = folio_ising_coupling_scale(p);
    c.c0 = o->c0 > 0 ? o->c0 : 0.5 / scale;
    c.cac_rho = CAC_RHO;
    c.cac_delta = 1.0 / scale;
    c.e_max = CAC_E_MAX;

    double *hzero = p->h ? NULL : calloc(n, sizeof *hzero);
    c.h = p->h ? p->h : hzero;
    c.s = malloc(n * sizeof *c.s);
    c.run_best_s = malloc(n * sizeof *c.run_best_s);
    c.stuck = calloc(2 * n, sizeof *c.stuck);
    c.f = malloc(n * sizeof *c.f);
    c.x = malloc(n * sizeof *c.x);
    c.v = malloc(n * sizeof *c.v);
    c.z = malloc(n * sizeof *c.z);
    c.g = malloc(n * sizeof *c.g);
    size_t *hist_start = malloc((R + 1) * sizeof *hist_start);
    r->best_spins = malloc(n * sizeof *r->best_spins);
    r->run_energy = malloc(R * sizeof *r->run_energy);
    r->run_hit_time = malloc(R * sizeof *r->run_hit_time);
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    int rc = 0;
    if (!c.h || !c.s || !c.run_best_s || !c.stuck || !c.f || !c.x || !c.v || !c.z || !c.g || !hist_start ||
        !r->best_spins || !r->run_energy || !r->run_hit_time || !rng) {
        snprintf(r->message, sizeof r->message, "out of memory");
        rc = -1;
    }
    if (!rc && o->path == FOLIO_ISING_SUNDIALS) rc = fising_sundials_open(&c);
    r->n = n;
    r->runs = R;
    r->best_energy = INFINITY;
    folio_progress_begin();
    if (!rc) {
        gsl_rng_set(rng, o->seed);
        for (size_t k = 0; k < R && !rc; k++) {
            /* starts from the one stream, run after run: CIM/CAC x_i
             * uniform in [-0.01, 0.01] (near the origin the instability
             * decides, not the start) and e_i = 1; SB x_i, y_i uniform
             * in [-0.1, 0.1] (Goto et al. 2021) */
            for (size_t i = 0; i < n; i++) {
                if (sb) {
                    c.x[i] = 0.1 * (2 * gsl_rng_uniform(rng) - 1);
                    c.v[i] = 0.1 * (2 * gsl_rng_uniform(rng) - 1);
                } else {
                    c.x[i] = 0.01 * (2 * gsl_rng_uniform(rng) - 1);
                    c.v[i] = 1;
                }
            }
            c.run = k;
            hist_start[k] = c.nhist;
            if (fising_poll(&c, 0, 1)) { rc = -1; break; }
            rc = o->path == FOLIO_ISING_SUNDIALS ? fising_run_sundials(&c) : fising_run_euler(&c);
            if (!rc && c.oom) {
                snprintf(r->message, sizeof r->message, "out of memory");
                rc = -1;
            }
            if (rc) break;
            r->run_energy[k] = c.run_best;
            if (c.run_best < r->best_energy) {
                r->best_energy = c.run_best;
                memcpy(r->best_spins, c.run_best_s, n * sizeof *r->best_spins);
            }
        }
        hist_start[R] = c.nhist;
    }
    folio_progress_done();
    if (!rc) summarise(r, &c, hist_start, o->t_max, o->target_energy);
    r->steps = c.steps;
    r->events = c.events;
    r->reinits = c.reinits;
    fising_sundials_close(&c);
    gsl_rng_free(rng);
    free(hist_start);
    free(c.hist_t);
    free(c.hist_e);
    free(hzero);
    free(c.s);
    free(c.run_best_s);
    free(c.stuck);
    free(c.f);
    free(c.x);
    free(c.v);
    free(c.z);
    free(c.g);
    if (rc) {
        folio_ising_result_free(r);
        r->status = c.interrupted ? FOLIO_ISING_INTERRUPTED : -1;
        r->n = r->runs = 0;
        r->best_energy = NAN;
    }
    r->time_s = folio_now() - t_start;
    return r->status;
}

int folio_ising_solve(const folio_ising_problem *p, const folio_ising_options *o, folio_ising_result *r)
{
    return folio_ising_solve_traced(p, o, r, NULL, NULL);
}
