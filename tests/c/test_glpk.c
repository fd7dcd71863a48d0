/* What GLPK alone offers (the LP and MIP tests every backend passes are in
 * test_lp_mip.c): sensitivity ranges against hand-computed ones, its LP
 * methods, the simplex iteration limit, and why a mip_start went unused. */
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

#define TOL 1e-9
#define IPM_TOL 1e-6 /* the interior point method stops at ~1e-8 relative accuracy */

#define assert_close(got, want) assert_close_tol(got, want, TOL)

static folio_options glpk(void)
{
    folio_options o;
    folio_options_default(&o);
    o.solver = "glpk";
    return o;
}

static void solve_ok(folio_model *m, const folio_options *o, folio_result *r)
{
    if (folio_solve(m, o, r) != FOLIO_OK) fail_msg("folio_solve: %s", folio_model_last_error(m));
    assert_string_equal(r->solver, "glpk");
}

static void test_lp_methods_agree(void **state)
{
    (void)state;
    folio_model *m = lp_max();
    folio_options o = glpk();
    folio_result r;

    o.method = FOLIO_LP_DUAL_SIMPLEX;
    solve_ok(m, &o, &r);
    check_lp_max(&r, folio_backend_caps("glpk"), TOL);
    folio_result_free(&r);

    o.method = FOLIO_LP_INTERIOR;
    solve_ok(m, &o, &r);
    assert_int_equal(r.status, FOLIO_STATUS_OPTIMAL);
    assert_true(r.has_solution && r.has_duals);
    assert_close_tol(r.objective, 10, IPM_TOL);
    assert_close_tol(r.x[0], 2, IPM_TOL);
    assert_close_tol(r.x[1], 2, IPM_TOL);
    assert_close_tol(r.row_dual[0], 1, IPM_TOL);
    assert_close_tol(r.row_dual[1], 1, IPM_TOL);
    folio_result_free(&r);
    folio_model_free(m);
}

/* From the slack basis the optimum needs at least two pivots; one is allowed. */
static void test_lp_iteration_limit(void **state)
{
    (void)state;
    folio_model *m = lp_max();
    folio_options o = glpk();
    folio_result r;
    solve_ok(m, &o, &r);
    assert_true(r.iterations >= 2);
    folio_result_free(&r);

    o.iteration_limit = 1;
    solve_ok(m, &o, &r);
    assert_int_equal(r.status, FOLIO_STATUS_ITERATION_LIMIT);
    assert_false(r.has_duals);
    folio_result_free(&r);
    folio_model_free(m);
}

/* ---- sensitivity ranges -------------------------------------------------- */

/* For lp_max (optimal vertex of r1 and r2, normals (1,1) and (2,1)):
 *  - c_x with c_y = 2 keeps the vertex while 1 <= c_x / c_y <= 2: [2, 4];
 *  - c_y with c_x = 3: 1 <= 3 / c_y <= 2: [1.5, 3];
 *  - rhs of r1 (b2 = 6): x = b2 - b1 >= 0, y = 2 b1 - b2 >= 0: [3, 6];
 *  - rhs of r2 (b1 = 4): x = b2 - 4 >= 0, y = 8 - b2 >= 0: [4, 8]
 *    (r3 = 2 b2 - 3 b1 <= 5 is looser in both cases);
 *  - r3 is inactive at activity 0: its limit may move in [0, +inf). */
static void check_lp_max_ranges(const folio_result *r)
{
    assert_true(r->has_ranges);
    assert_close(r->obj_lo[0], 2);
    assert_close(r->obj_hi[0], 4);
    assert_close(r->obj_lo[1], 1.5);
    assert_close(r->obj_hi[1], 3);
    assert_close(r->rhs_lo[0], 3);
    assert_close(r->rhs_hi[0], 6);
    assert_close(r->rhs_lo[1], 4);
    assert_close(r->rhs_hi[1], 8);
    assert_close(r->rhs_lo[2], 0);
    assert_true(r->rhs_hi[2] == HUGE_VAL);
}

static void test_lp_ranges(void **state)
{
    (void)state;
    folio_model *m = lp_max();
    folio_options o = glpk();
    o.ranges = 1;
    folio_result r;
    solve_ok(m, &o, &r);
    check_lp_max(&r, folio_backend_caps("glpk"), TOL);
    check_lp_max_ranges(&r);
    folio_result_free(&r);

    o.presolve = 1;
    solve_ok(m, &o, &r);
    check_lp_max(&r, folio_backend_caps("glpk"), TOL);
    check_lp_max_ranges(&r);
    folio_result_free(&r);
    folio_model_free(m);
}

/* lp_max plus z (obj 1, in r1 and r2) and w <= 1 (obj 5, in r3 only).
 * z stays at 0 with reduced cost 1 - (1 + 1) = -1: optimal while c_z <= 2.
 * w sits at its upper bound with reduced cost 5 - 0 = 5: optimal while c_w >= 0. */
static void test_lp_ranges_nonbasic_columns(void **state)
{
    (void)state;
    folio_model *m = folio_model_new("lp_nonbasic");
    add_col(m, "x", 0, HUGE_VAL, FOLIO_CONTINUOUS);
    add_col(m, "y", 0, HUGE_VAL, FOLIO_CONTINUOUS);
    add_col(m, "z", 0, HUGE_VAL, FOLIO_CONTINUOUS);
    add_col(m, "w", 0, 1, FOLIO_CONTINUOUS);
    add_row(m, "r1", 3, (int[]){ 0, 1, 2 }, (double[]){ 1, 1, 1 }, -HUGE_VAL, 4);
    add_row(m, "r2", 3, (int[]){ 0, 1, 2 }, (double[]){ 2, 1, 1 }, -HUGE_VAL, 6);
    add_row(m, "r3", 3, (int[]){ 0, 1, 3 }, (double[]){ 1, -1, 1 }, -HUGE_VAL, 5);
    set_linear_objective(m, FOLIO_MAXIMIZE, 0, 4, (int[]){ 0, 1, 2, 3 }, (double[]){ 3, 2, 1, 5 });

    folio_options o = glpk();
    o.ranges = 1;
    folio_result r;
    solve_ok(m, &o, &r);
    assert_int_equal(r.status, FOLIO_STATUS_OPTIMAL);
    assert_close(r.objective, 15);
    assert_close(r.x[2], 0);
    assert_close(r.x[3], 1);
    assert_close(r.reduced_cost[2], -1);
    assert_close(r.reduced_cost[3], 5);
    assert_true(r.has_ranges);
    assert_true(r.obj_lo[2] == -HUGE_VAL);
    assert_close(r.obj_hi[2], 2);
    assert_close(r.obj_lo[3], 0);
    assert_true(r.obj_hi[3] == HUGE_VAL);
    /* r3 now has activity 1 */
    assert_close(r.rhs_lo[2], 1);
    assert_true(r.rhs_hi[2] == HUGE_VAL);
    folio_result_free(&r);
    folio_model_free(m);
}

/* ---- MIP starts GLPK could not use, and why --------------------------------- */

static void test_mip_start_not_used(void **state)
{
    (void)state;
    folio_model *m = knapsack();
    unsigned set;
    int unique;
    double best = knapsack_brute_force(&set, &unique);
    double start[KN];
    for (int j = 0; j < KN; j++) start[j] = 1; /* far over capacity */
    folio_options o = glpk();
    o.mip_start = start;
    folio_result r;
    solve_ok(m, &o, &r);
    assert_int_equal(r.status, FOLIO_STATUS_OPTIMAL);
    assert_close(r.objective, best);
    assert_non_null(strstr(r.message, "mip_start not used: no feasible point"));
    folio_result_free(&r);

    /* a value outside a column's bounds */
    start[0] = 3;
    solve_ok(m, &o, &r);
    assert_int_equal(r.status, FOLIO_STATUS_OPTIMAL);
    assert_close(r.objective, best);
    assert_non_null(strstr(r.message, "3 is outside the bounds of 'take[0]'"));
    folio_result_free(&r);
    folio_model_free(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lp_methods_agree),
        cmocka_unit_test(test_lp_iteration_limit),
        cmocka_unit_test(test_lp_ranges),
        cmocka_unit_test(test_lp_ranges_nonbasic_columns),
        cmocka_unit_test(test_mip_start_not_used),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
