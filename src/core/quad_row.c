/* Convex quadratic constraints, kept as a linear row plus a second-order
 * cone: for  l'x + x'Qx <= hi  (Q positive semidefinite)
 *     row   l'x + tau <= hi               (the user's name, dual and rhs)
 *     cone  ||(2 F x, 1 - tau)|| <= 1 + tau   with F'F = Q, tau >= 0,
 * which is tau >= ||Fx||^2 = x'Qx. A ">=" constraint with Q negative
 * semidefinite is  l'x - tau >= lo  with tau >= x'(-Q)x. */
#include "model_internal.h"

#include <gsl/gsl_eigen.h>
#include <gsl/gsl_errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

long folio_model_add_quad_row(folio_model *m, const char *name, size_t n, const int *idx,
                              const double *val, size_t nq, const int *qi, const int *qj,
                              const double *qv, double lo, double hi)
{
    const char *nm = name ? name : "?";
    int le = isinf(lo) && isfinite(hi), ge = isfinite(lo) && isinf(hi);
    if (!le && !ge) {
        folio_model_fail(m, FOLIO_ERR_INVALID,
                         "constraint '%s': a quadratic constraint must be one-sided (<= or >=): "
                         "an equality or a range is not convex", nm);
        return -1;
    }
    double s = le ? 1.0 : -1.0;   /* s * Q must be positive semidefinite */
    for (size_t k = 0; k < nq; k++)
        if (qi[k] < 0 || (size_t)qi[k] >= m->ncols || qj[k] < 0 || (size_t)qj[k] >= m->ncols ||
            !isfinite(qv[k])) {
            folio_model_fail(m, FOLIO_ERR_INVALID, "constraint '%s': bad quadratic term", nm);
            return -1;
        }
    char what[300];
    snprintf(what, sizeof what, "constraint '%s'", nm);
    if (folio_check_quad_sums(m, what, nq, qi, qj, qv)) return -1;
    /* the columns in the quadratic part, numbered locally */
    int *map = malloc((m->ncols + 1) * sizeof *map);
    int *cols = malloc((2 * nq + 1) * sizeof *cols);
    if (!map || !cols) {
        free(map); free(cols);
        folio_model_fail(m, FOLIO_ERR_NOMEM, "out of memory");
        return -1;
    }
    size_t k = 0;
    for (size_t t = 0; t < nq; t++) { map[qi[t]] = -1; map[qj[t]] = -1; }
    for (size_t t = 0; t < nq; t++) {
        if (map[qi[t]] < 0) { map[qi[t]] = (int)k; cols[k++] = qi[t]; }
        if (map[qj[t]] < 0) { map[qj[t]] = (int)k; cols[k++] = qj[t]; }
    }
    gsl_matrix *M = gsl_matrix_calloc(k ? k : 1, k ? k : 1), *V = gsl_matrix_alloc(k ? k : 1, k ? k : 1);
    gsl_vector *ev = gsl_vector_alloc(k ? k : 1);
    gsl_eigen_symmv_workspace *ws = gsl_eigen_symmv_alloc(k ? k : 1);
    size_t nnz = k * k + n + 2;
    int *ci = malloc(nnz * sizeof *ci);
    double *cv = malloc(nnz * sizeof *cv);
    size_t *start = malloc((k + 2) * sizeof *start);
    double *cst = malloc((k + 1) * sizeof *cst);
    int *ri = malloc((n + 1) * sizeof *ri);
    double *rv = malloc((n + 1) * sizeof *rv);
    long res = -1;
    if (!M || !V || !ev || !ws || !ci || !cv || !start || !cst || !ri || !rv) {
        folio_model_fail(m, FOLIO_ERR_NOMEM, "out of memory");
        goto out;
    }
    for (size_t t = 0; t < nq; t++) {
        size_t a = (size_t)map[qi[t]], b = (size_t)map[qj[t]];
        double v = s * qv[t];
        if (a == b) *gsl_matrix_ptr(M, a, a) += v;
        else { *gsl_matrix_ptr(M, a, b) += v / 2; *gsl_matrix_ptr(M, b, a) += v / 2; }
    }
    gsl_error_handler_t *old = gsl_set_error_handler_off();
    int eig = k ? gsl_eigen_symmv(M, ev, V, ws) : GSL_SUCCESS;
    gsl_set_error_handler(old);
    if (eig != GSL_SUCCESS) {
        folio_model_fail(m, FOLIO_ERR_INVALID, "constraint '%s': eigen-decomposition of its quadratic part failed", nm);
        goto out;
    }
    double lmax = 0, lmin = 0;
    for (size_t i = 0; i < k; i++) {
        lmax = fmax(lmax, gsl_vector_get(ev, i));
        lmin = fmin(lmin, gsl_vector_get(ev, i));
    }
    double tol = 1e-10 * fmax(1.0, lmax);
    if (lmin < -tol) {
        char msg[200];
        snprintf(msg, sizeof msg, le ? "is not convex (smallest eigenvalue of its quadratic form is %.6g)"
                                     : "is not concave (largest eigenvalue of its quadratic form is %.6g)",
                 le ? lmin : -lmin);
        folio_model_fail(m, FOLIO_ERR_INVALID, "constraint '%s': %s", nm, msg);
        goto out;
    }
    /* tau >= 0 and the cone ||(2 F x, 1 - tau)|| <= 1 + tau */
    char aux[300];
    snprintf(aux, sizeof aux, "%s.sq", nm);
    long tau = folio_model_add_col(m, aux, 0, HUGE_VAL, FOLIO_CONTINUOUS);
    if (tau < 0) goto out;
    size_t r = 0, len = 0;
    for (size_t i = 0; i < k; i++) {
        double lam = gsl_vector_get(ev, i);
        if (lam <= tol) continue;
        start[r] = len;
        for (size_t j = 0; j < k; j++) {
            double f = 2 * sqrt(lam) * gsl_matrix_get(V, j, i);
            if (f != 0) { ci[len] = cols[j]; cv[len] = f; len++; }
        }
        cst[r++] = 0;
    }
    start[r] = len;
    ci[len] = (int)tau;
    cv[len++] = -1;
    cst[r++] = 1;
    start[r] = len;
    int tidx = (int)tau;
    double tval = 1;
    if (folio_model_add_soc(m, aux, r, start, ci, cv, cst, 1, &tidx, &tval, 1) < 0) goto out;
    /* the row the user named: l'x + tau <= hi, or l'x - tau >= lo */
    if (n) {   /* idx and val may be NULL when there is no linear part */
        memcpy(ri, idx, n * sizeof *ri);
        memcpy(rv, val, n * sizeof *rv);
    }
    ri[n] = (int)tau;
    rv[n] = le ? 1.0 : -1.0;
    res = folio_model_add_row(m, name, n + 1, ri, rv, lo, hi);
    if (res >= 0) m->nqrows++;
out:
    gsl_matrix_free(M); gsl_matrix_free(V); gsl_vector_free(ev);
    if (ws) gsl_eigen_symmv_free(ws);
    free(map); free(cols); free(ci); free(cv); free(start); free(cst); free(ri); free(rv);
    return res;
}
