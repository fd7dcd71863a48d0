/* Shared state of the Ising amplitude dynamics (cim_ising*.c): the spin
 * tracker that follows sign(x) with O(n) energy updates, the per-solve
 * context, the two integration paths, and a trace hook for the tests.
 * Not installed; the public API is include/folio/cim.h. */
#ifndef FOLIO_CIM_ISING_INTERNAL_H
#define FOLIO_CIM_ISING_INTERNAL_H

#include "folio/cim.h"

#include <stddef.h>

/* Called after every accepted Euler step and every CVODE step or event,
 * with the state after walls and clamps have been applied: x (n) and v
 * (n: the momenta y for SB, the error variables e for CIM/CAC). */
typedef void (*folio_ising_trace_fn)(void *ctx, size_t run, double t, size_t n, const double *x, const double *v);

/* folio_ising_solve with a trace hook (fn may be NULL). */
int folio_ising_solve_traced(const folio_ising_problem *p, const folio_ising_options *o, folio_ising_result *r,
                             folio_ising_trace_fn fn, void *trace_ctx);

/* Sizing of the coupling: sqrt(n) times the standard deviation of the
 * off-diagonal J (their root mean square when they are all equal, the RMS
 * of h when J is zero, 1 when everything is zero). The SB default c0 is
 * 0.5 / this; CAC scales its energy gap by it. */
double folio_ising_coupling_scale(const folio_ising_problem *p);

typedef struct fising_ctx {
    size_t n;
    const double *J;             /* n x n, symmetric, zero diagonal */
    const double *h;             /* n, never NULL (zeros when the problem has none) */
    const folio_ising_options *o;
    double c0;                   /* SB coupling, resolved from the default */
    double cac_rho, cac_delta;   /* CAC: a(t) = a + rho tanh(delta (H - H_best)) */
    double e_max;                /* CAC: soft ceiling of the error variables */
    double a_cur;                /* CAC: the current target amplitude */
    size_t run;                  /* index of the current run */

    /* spin tracker: s = sign(x), f = J s + h, E = H(s) */
    int *s;
    double *f;
    double E;
    long since_resync;
    double run_best;             /* best energy of this run */
    int *run_best_s;
    /* improvements of the run best, all runs: (t, E) at hist[k], the
     * entries of run r are hist[hist_start[r] .. hist_start[r + 1]) */
    double *hist_t, *hist_e;
    size_t nhist, caphist;
    int oom;

    /* workspace: state x, v (n each), coupling input z and field g */
    double *x, *v, *z, *g;
    int *stuck;                  /* SB on the SUNDIALS path: held at a wall */
    void *sun;                   /* SUNDIALS path: its private state */

    long steps, events, reinits;
    int interrupted;             /* a run stopped on folio_interrupt() */
    folio_ising_trace_fn trace;
    void *trace_ctx;
    char *msg;                   /* result.message */
    size_t msglen;
} fising_ctx;

/* spin tracker */
void fising_track_start(fising_ctx *c, const double *x, double t);
void fising_track_flip(fising_ctx *c, size_t k);          /* no best check: see commit */
void fising_track_commit(fising_ctx *c, double t);        /* after a batch of flips */
int fising_track_sync(fising_ctx *c, const double *x, double t);   /* flips to sign(x); count */
void fising_cac_update(fising_ctx *c);                    /* a_cur from the tracker */
void fising_field(const fising_ctx *c, const double *z, double *g);  /* g = J z + h */

/* Between the steps of a run: 0 to go on, or -1 once folio_interrupt()
 * was called or, when show is set, the budget check says stop
 * (folio_poll, folio.h): c->interrupted and the message are set.
 * Progress and the budget are looked at only when show is set: reading
 * the clock costs more than an Euler step of a small problem. */
int fising_poll(fising_ctx *c, double t, int show);

/* one run from the start (c->x, c->v) over [0, t_max]; 0 or -1 (message set) */
int fising_run_euler(fising_ctx *c);
int fising_sundials_open(fising_ctx *c);
int fising_run_sundials(fising_ctx *c);
void fising_sundials_close(fising_ctx *c);

static inline int fising_sign(double x) { return x >= 0 ? 1 : -1; }

#endif
