/* Shared by the C backend tests: model building that fails the test with
 * the model's own message, and a relative comparison. Include after
 * <cmocka.h> (fail_msg) and "folio/folio.h". */
#ifndef FOLIO_TEST_MODEL_HELPERS_H
#define FOLIO_TEST_MODEL_HELPERS_H

#include <math.h>

static inline int close_to(double got, double want, double tol)
{
    if (isinf(want)) return got == want;
    return fabs(got - want) <= tol * (1.0 + fabs(want));
}

static inline long add_col(folio_model *m, const char *name, double lb, double ub, folio_kind kind)
{
    long j = folio_model_add_col(m, name, lb, ub, kind);
    if (j < 0) fail_msg("add_col %s: %s", name, folio_model_last_error(m));
    return j;
}

static inline long add_row(folio_model *m, const char *name, size_t n, const int *idx, const double *val,
                           double lo, double hi)
{
    long i = folio_model_add_row(m, name, n, idx, val, lo, hi);
    if (i < 0) fail_msg("add_row %s: %s", name, folio_model_last_error(m));
    return i;
}

static inline void set_linear_objective(folio_model *m, folio_sense sense, double constant, size_t n,
                                        const int *idx, const double *val)
{
    folio_error e = folio_model_set_objective(m, sense, constant, n, idx, val, 0, NULL, NULL, NULL);
    if (e != FOLIO_OK) fail_msg("set_objective: %s", folio_model_last_error(m));
}

#endif
