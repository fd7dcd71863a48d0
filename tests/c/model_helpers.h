/* Shared by the C backend tests: model building that fails the test with
 * the model's own message, a relative comparison, and one test body run
 * over every backend whose caps cover what it needs. Include after
 * <cmocka.h> (fail_msg) and "folio/folio.h". */
#ifndef FOLIO_TEST_MODEL_HELPERS_H
#define FOLIO_TEST_MODEL_HELPERS_H

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static inline int close_to(double got, double want, double tol)
{
    if (isinf(want)) return got == want;
    return fabs(got - want) <= tol * (1.0 + fabs(want));
}

#define assert_close_tol(got, want, tol)                                                    \
    do {                                                                                   \
        double g_ = (got), w_ = (want);                                                    \
        if (!close_to(g_, w_, tol)) fail_msg("%s = %.17g, expected %.17g", #got, g_, w_);  \
    } while (0)

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

/* ---- one test body, every backend that can run it ------------------------ */

/* A backend as the tests see it: its caps, and how closely its answers
 * meet exact ones. */
typedef struct test_backend {
    const char *name;
    unsigned caps;
    double tol;           /* relative, on values, duals and objectives */
    int plain_messages;   /* says folio_status_message() when it has nothing to add */
} test_backend;

/* What the tests know of each backend's accuracy: simplex vertices to
 * rounding, Clp to its primal tolerance, the interior point to its
 * stopping tolerances (1e-8 relative gap). Others get the loosest. */
static const struct { const char *name; double tol; int plain; } test_accuracy[] = {
    { "glpk", 1e-9, 1 }, { "cbc", 1e-7, 1 }, { "qp", 1e-6, 0 }
};

typedef struct backend_test {
    const char *name;       /* reported as name[backend] */
    CMUnitTestFunction run;
    unsigned needs;         /* FOLIO_CAP_ bits the backend must have */
} backend_test;

#define BACKEND_TEST(f, needs) { #f, f, needs }
#define THE_BACKEND(state) ((const test_backend *)*(state))

/* Runs each test over every backend compiled in whose caps cover its
 * needs, each with its backend as the cmocka state (as
 * cmocka_unit_test_prestate does, under a name of its own). */
static inline int run_over_backends(const char *group, const backend_test *tests, size_t ntests)
{
    enum { MAXB = 16, LABEL = 80 };
    static test_backend bk[MAXB];
    const char *const *names = folio_backends();
    size_t nb = 0;
    for (; names[nb] && nb < MAXB; nb++) {
        bk[nb] = (test_backend){ names[nb], folio_backend_caps(names[nb]), 1e-6, 0 };
        for (size_t a = 0; a < sizeof test_accuracy / sizeof *test_accuracy; a++)
            if (!strcmp(test_accuracy[a].name, names[nb])) {
                bk[nb].tol = test_accuracy[a].tol;
                bk[nb].plain_messages = test_accuracy[a].plain;
            }
    }
    struct CMUnitTest *cases = calloc(ntests * nb + 1, sizeof *cases);
    char *labels = calloc(ntests * nb + 1, LABEL);
    if (!cases || !labels) {
        free(cases); free(labels);
        fprintf(stderr, "out of memory\n");
        return 1;
    }
    size_t n = 0;
    for (size_t t = 0; t < ntests; t++)
        for (size_t b = 0; b < nb; b++) {
            if ((bk[b].caps & tests[t].needs) != tests[t].needs) continue;
            char *label = labels + n * LABEL;
            snprintf(label, LABEL, "%s[%s]", tests[t].name, bk[b].name);
            cases[n++] = (struct CMUnitTest){ label, tests[t].run, NULL, NULL, &bk[b] };
        }
    int failed = _cmocka_run_group_tests(group, cases, n, NULL, NULL);
    free(cases);
    free(labels);
    return failed;
}

/* m solved by B with o (NULL for the defaults); fails the test on an error. */
static inline folio_result solve_on(const test_backend *B, folio_model *m, const folio_options *o)
{
    folio_options opts;
    if (o) opts = *o;
    else folio_options_default(&opts);
    opts.solver = B->name;
    folio_result r;
    if (folio_solve(m, &opts, &r) != FOLIO_OK) fail_msg("folio_solve (%s): %s", B->name, folio_model_last_error(m));
    assert_string_equal(r.solver, B->name);
    return r;
}

/* r has duals exactly when caps claim FOLIO_CAP_DUALS, and then these:
 * one per row, and one reduced cost per column. */
static inline void check_duals(const folio_result *r, unsigned caps, double tol, const double *row_dual,
                               const double *reduced_cost)
{
    assert_int_equal(r->has_duals, (caps & FOLIO_CAP_DUALS) != 0);
    if (!r->has_duals) return;
    for (size_t i = 0; i < r->nrows; i++)
        if (!close_to(r->row_dual[i], row_dual[i], tol))
            fail_msg("row_dual[%zu] = %.17g, expected %.17g", i, r->row_dual[i], row_dual[i]);
    for (size_t j = 0; j < r->ncols; j++)
        if (!close_to(r->reduced_cost[j], reduced_cost[j], tol))
            fail_msg("reduced_cost[%zu] = %.17g, expected %.17g", j, r->reduced_cost[j], reduced_cost[j]);
}

/* Every bound and row of m holds at r->x (integer columns exactly
 * integral), and r's objective and activities are those of x. */
static inline void check_consistent(const folio_model *m, const folio_result *r, double tol)
{
    double f = folio_model_obj_constant(m);
    for (size_t j = 0; j < folio_model_ncols(m); j++) {
        double lb, ub;
        folio_model_col_bounds(m, j, &lb, &ub);
        if (r->x[j] < lb - 1e-7 || r->x[j] > ub + 1e-7)
            fail_msg("column %s = %g outside [%g, %g]", folio_model_col_name(m, j), r->x[j], lb, ub);
        if (folio_model_col_kind(m, j) != FOLIO_CONTINUOUS && r->x[j] != floor(r->x[j]))
            fail_msg("integer column %s = %.17g", folio_model_col_name(m, j), r->x[j]);
        f += folio_model_obj_coef(m, j) * r->x[j];
    }
    assert_close_tol(r->objective, f, tol);
    for (size_t i = 0; i < folio_model_nrows(m); i++) {
        size_t n;
        const int *idx;
        const double *val;
        double lo, hi, a = 0;
        folio_model_row(m, i, &n, &idx, &val);
        for (size_t k = 0; k < n; k++) a += val[k] * r->x[idx[k]];
        assert_close_tol(r->row_activity[i], a, tol);
        folio_model_row_bounds(m, i, &lo, &hi);
        if (a < lo - 1e-6 * (1 + fabs(lo)) || a > hi + 1e-6 * (1 + fabs(hi)))
            fail_msg("row %s = %g outside [%g, %g]", folio_model_row_name(m, i), a, lo, hi);
    }
}

#endif
