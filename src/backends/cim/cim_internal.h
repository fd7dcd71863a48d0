/* Shared by the gradient-flow files: the energy, its derivatives, the
 * projection onto the limits, and the Tsitouras 5(4) table. */
#ifndef FOLIO_CIM_INTERNAL_H
#define FOLIO_CIM_INTERNAL_H

#include "folio/cim.h"

typedef struct cim_ctx {
    const folio_cim_problem *p;
    size_t n;
    double *tmp;        /* n: gradient / scratch */
    double *proj_v;     /* n: projection workspace */
    double *proj_y;     /* n x (nlimits + 1): Dykstra increments */
    double *bp;         /* 2 n: breakpoints of one limit's projection */
    double *pdiag;      /* n: Jacobi preconditioner */
    double *gbuf;       /* n: the gradient for cim_snap */
    int disjoint;       /* no asset in two limits: projection in one pass */
    int constrained;    /* boxes or limits present */
    long nrhs, nproj;
    double *utu;                  /* K x K Cholesky factor of U'U (NULL: not definite) */
    float *theta_f;               /* Theta in single precision for H v (large N), or NULL */
    float *vf, *of;               /* n: single-precision vectors for it */
    double *rbuf, *cbuf;          /* n, K: scratch of cim_stop_measure */
    /* the tangent cone at w, for the projected field (constrained only) */
    struct cim_ctx *tan;          /* a context over tan_p */
    folio_cim_problem *tan_p;
    double *tan_lo, *tan_hi, *tan_cap;
    size_t *tan_start;
    int *tan_idx;
    char *clamped;                /* n: held at a bound by the last field */
    size_t *active;               /* limits at their cap in the last field */
    size_t nactive;
} cim_ctx;

/* 0, or -1 (out of memory) */
int cim_ctx_init(cim_ctx *c, const folio_cim_problem *p);
void cim_ctx_free(cim_ctx *c);

/* E(w), and grad E(w) into g when g is not NULL */
double cim_energy_grad(const cim_ctx *c, const double *w, double *g);
/* out = H(w) v, H the Hessian of E (constant unless the L1 cost is on) */
void cim_hess_vec(const cim_ctx *c, const double *w, const double *v, double *out);
/* d = diag H(w) */
void cim_hess_diag(const cim_ctx *c, const double *w, double *d);
/* Hdense = H(w), n x n row-major */
void cim_hess_dense(const cim_ctx *c, const double *w, double *Hdense);
/* out = the Euclidean projection of v onto boxes and limits (out may be v) */
void cim_project(cim_ctx *c, const double *v, double *out);
/* largest violation of a box or limit at w (0 when feasible) */
double cim_violation(const cim_ctx *c, const double *w);
/* f = the projection of -grad E(w) onto the tangent cone of the limits at
 * w (f = -grad E(w) without limits): the flow that stays on an active limit
 * instead of pushing through it. Records the active set for cim_active_op. */
void cim_field(cim_ctx *c, const double *w, double *f);
/* A state within CIM_BAND (relative) of a bound or a limit's cap counts as
 * on it: the field treats it as active, and cim_snap puts it there after
 * each step, so Newton's iterates do not flip the active set */
#define CIM_BAND 1e-9
/* projects w if it violates a limit, then moves it onto every bound and
 * cap within the band; returns 1 if w changed */
int cim_snap(cim_ctx *c, double *w);
/* v := P v, P the orthogonal projector onto the active set's subspace
 * (clamped components zero, each active limit's free members mean-free) */
void cim_active_op(const cim_ctx *c, double *v);
/* <= 0 once w is stationary to tol: the residual r = w - P(w - grad E)
 * split into its part along the group indicators u_k and the rest. The
 * rest must be below tol; along u_k, where r carries 2 rho (u_k'w -
 * lambda_k) and the rounding of that sum is amplified by 2 rho, tol plus
 * that rounding floor. *floored is set when a floor was needed. */
double cim_stop_measure(cim_ctx *c, const double *w, double tol, int *floored);
/* ||w - P(w - grad E(w))||: zero exactly at the constrained stationary point */
double cim_residual(cim_ctx *c, const double *w);

/* Tsitouras (2011) 5(4): 7 stages, FSAL; c, A (7x7 row-major), b, d */
void cim_tsit5_coefficients(double c[7], double A[49], double b[7], double d[7]);

#endif
