/* What only the Cbc backend does (the LP and MIP tests every backend passes
 * are in test_lp_mip.c): Cbc 2.10.8's preprocessing can cut off the
 * optimum, so with presolve on its answers are checked and, when wrong,
 * solved again without it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "folio/folio.h"
#include "model_helpers.h"
#include "backend_models.h"

#define TOL 1e-7 /* Clp's primal tolerance */

static folio_result solve_preprocessed(folio_model *m)
{
    folio_options o;
    folio_options_default(&o);
    o.solver = "cbc";
    o.presolve = 1;
    folio_result r;
    if (folio_solve(m, &o, &r) != FOLIO_OK) fail_msg("folio_solve: %s", folio_model_last_error(m));
    return r;
}

/* On general_integers the preprocessing answers 31 ("optimal", with
 * c = 2), as the cbc program does too: the backend sees that the LP over
 * c with a and b fixed does better (31.5), and solves again without it. */
static void test_preprocessing_checked(void **state)
{
    (void)state;
    folio_model *m = general_integers();
    folio_result r = solve_preprocessed(m);
    assert_int_equal(r.status, FOLIO_STATUS_OPTIMAL);
    assert_close_tol(r.objective, 31.5, TOL);
    assert_close_tol(r.mip_bound, 31.5, TOL);
    assert_close_tol(r.x[2], 2.5, TOL);
    check_consistent(m, &r, TOL);
    if (!strstr(r.message, "solved again without Cbc's preprocessing")) fail_msg("message: %s", r.message);
    folio_result_free(&r);
    folio_model_free(m);
}

/* Where the preprocessing is right, its answer stands. */
static void test_preprocessing_kept(void **state)
{
    (void)state;
    folio_model *k = knapsack();
    unsigned set;
    int unique;
    double best = knapsack_brute_force(&set, &unique);
    folio_result r = solve_preprocessed(k);
    assert_int_equal(r.status, FOLIO_STATUS_OPTIMAL);
    assert_close_tol(r.objective, best, TOL);
    assert_string_equal(r.message, folio_status_message(FOLIO_STATUS_OPTIMAL));
    folio_result_free(&r);
    folio_model_free(k);
}

/* An infeasibility it finds is confirmed without it: same status, no note. */
static void test_preprocessing_infeasible_confirmed(void **state)
{
    (void)state;
    folio_model *m = folio_model_new("odd");
    add_col(m, "x", 0, 10, FOLIO_INTEGER);
    add_row(m, "odd", 1, (int[]){ 0 }, (double[]){ 2 }, 1, 1);
    folio_result r = solve_preprocessed(m);
    assert_int_equal(r.status, FOLIO_STATUS_INFEASIBLE);
    assert_string_equal(r.message, folio_status_message(FOLIO_STATUS_INFEASIBLE));
    folio_result_free(&r);
    folio_model_free(m);
}

/* Numbers Clp cannot take aborted the process on assertions (an
 * objective coefficient of 1e25 or more, tests/fuzz/lp/regress-cbc-huge-
 * objective; a right-hand side of 1e100 or more, tests/fuzz/dsl/regress-
 * cbc-huge-rhs) or gave answers for another model (Clp takes 1e30 and more
 * as infinite: x >= 1e31 was "unbounded"). The backend refuses them with
 * one message; GLPK solves the same LPs. */
static void test_numbers_clp_cannot_take(void **state)
{
    (void)state;
    static const struct {
        double obj, lo, hi;
        int mip;
        const char *msg;
    } cases[] = {
        { 1e30, -HUGE_VAL, 1, 0, "Cbc cannot take the objective coefficient 1e+30 of variable 'x' (Clp needs "
                                 "numbers below 1e+25 in absolute value): scale the model, or solve it with glpk" },
        { -1e25, -HUGE_VAL, 1, 1, "Cbc cannot take the objective coefficient -1e+25 of variable 'x' (Clp needs "
                                  "numbers below 1e+25 in absolute value): scale the model, or solve it with glpk" },
        { 1, 1e300, HUGE_VAL, 0, "Cbc cannot take the lower limit 1e+300 of constraint 'c' (Clp needs numbers "
                                 "below 1e+30 in absolute value): scale the model, or solve it with glpk" },
        { 1, -1e308, -1e308, 1, "Cbc cannot take the lower limit -1e+308 of constraint 'c' (Clp needs numbers "
                                "below 1e+30 in absolute value): scale the model, or solve it with glpk" },
    };
    for (size_t c = 0; c < sizeof cases / sizeof *cases; c++) {
        folio_model *m = folio_model_new("huge");
        add_col(m, "x", -HUGE_VAL, HUGE_VAL, cases[c].mip ? FOLIO_INTEGER : FOLIO_CONTINUOUS);
        add_col(m, "y", 0, 1, FOLIO_CONTINUOUS);
        add_row(m, "c", 2, (int[]){ 0, 1 }, (double[]){ 1, 1 }, cases[c].lo, cases[c].hi);
        set_linear_objective(m, cases[c].obj > 0 ? FOLIO_MAXIMIZE : FOLIO_MINIMIZE, 0, 2, (int[]){ 0, 1 },
                             (double[]){ cases[c].obj, 1 });
        folio_options o;
        folio_options_default(&o);
        o.solver = "cbc";
        folio_result r;
        assert_int_equal(folio_solve(m, &o, &r), FOLIO_ERR_UNSUPPORTED);
        assert_string_equal(folio_model_last_error(m), cases[c].msg);
        if (c < 3) {   /* GLPK's MIP preprocessor refuses -1e308 == x + y too */
            o.solver = "glpk";
            assert_int_equal(folio_solve(m, &o, &r), FOLIO_OK);
            folio_result_free(&r);
        }
        folio_model_free(m);
    }
    /* Cbc's own infinity is still infinite */
    folio_model *m = folio_model_new("open");
    add_col(m, "x", 0, HUGE_VAL, FOLIO_CONTINUOUS);
    add_row(m, "c", 1, (int[]){ 0 }, (double[]){ 1 }, 2, HUGE_VAL);
    set_linear_objective(m, FOLIO_MINIMIZE, 0, 1, (int[]){ 0 }, (double[]){ 1 });
    folio_options o;
    folio_options_default(&o);
    o.solver = "cbc";
    folio_result r;
    assert_int_equal(folio_solve(m, &o, &r), FOLIO_OK);
    assert_int_equal(r.status, FOLIO_STATUS_OPTIMAL);
    assert_close_tol(r.objective, 2, TOL);
    folio_result_free(&r);
    folio_model_free(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_numbers_clp_cannot_take),
        cmocka_unit_test(test_preprocessing_checked),
        cmocka_unit_test(test_preprocessing_kept),
        cmocka_unit_test(test_preprocessing_infeasible_confirmed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
