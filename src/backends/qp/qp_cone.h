/* Cone operations for the interior-point method (see qp_cone.c). */
#ifndef FOLIO_QP_CONE_H
#define FOLIO_QP_CONE_H

#include <stddef.h>

/* Nesterov-Todd scaling W with W z = W^{-1} s = lambda. The orthant part
 * is diagonal (w); each second-order block is beta * hyperbolic
 * Householder built on wbar. */
typedef struct qp_scaling {
    size_t l, ncones;
    const size_t *dim;
    double *w;         /* l */
    double *beta;      /* ncones */
    double *wbar;      /* m (the orthant part unused) */
    double *lambda;    /* m */
} qp_scaling;

/* Recomputes W and lambda from s and z; -1 if either is not interior. */
int qp_scaling_update(qp_scaling *W, const double *s, const double *z);
/* out = W u, or W^{-1} u (out must not alias u). */
void qp_scale(const qp_scaling *W, const double *u, double *out, int inverse);
void qp_scale_block(const qp_scaling *W, size_t k, size_t off, const double *u, double *out, int inverse);
/* Jordan product out = u o v, and division: out solves lam o out = r. */
void qp_jprod(const qp_scaling *W, const double *u, const double *v, double *out);
void qp_jdiv(const qp_scaling *W, const double *lam, const double *r, double *out);
/* u += alpha e */
void qp_add_identity(const qp_scaling *W, double *u, double alpha);
/* The least alpha with u + alpha e in K. */
double qp_shift_needed(const qp_scaling *W, const double *u);
/* The largest alpha with u + alpha du in K (u interior); HUGE_VAL if none. */
double qp_max_step(const qp_scaling *W, const double *u, const double *du);

#endif
