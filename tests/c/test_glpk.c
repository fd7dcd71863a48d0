/* Solving through folio_solve with the GLPK backend: LP values and duals
 * against hand-computed optima, statuses, MIP, time limits, ranging,
 * LP methods, refusals and folio_lower. */
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

#define TOL 1e-9
#define IPM_TOL 1e-6 /* the interior point method stops at ~1e-8 relative accuracy */

#define assert_close(got, want) assert_close_tol(got, want, TOL)
#define assert_close_tol(got, want, tol)                                                    \
    do {                                                                                   \
        double g_ = (got), w_ = (want);                                                    \
        if (!close_to(g_, w_, tol))                                                        \
            fail_msg("%s = %.17g, expected %.17g", #got, g_, w_);                          \
    } while (0)

static void solve_ok(folio_model *m, const folio_options *o, folio_result *r)
{
    folio_error e = folio_solve(m, o, r);
    if (e != FOLIO_OK) fail_msg("folio_solve: %s", folio_model_last_error(m));
}

/* max 3x + 2y
 *   r1: x + y  <= 4
 *   r2: 2x + y <= 6
 *   r3: x - y  <= 5   (slack at the optimum)
 *   x, y >= 0
 * Optimum x = y = 2, objective 10. Duals solve pi1 + 2 pi2 = 3, pi1 + pi2 = 2:
 * pi = (1, 1, 0); both columns basic, reduced costs 0. */
static folio_model *lp_max(void)
{
    folio_model *m = folio_model_new("lp_max");
    add_col(m, "x", 0, HUGE_VAL, FOLIO_CONTINUOUS);
    add_col(m, "y", 0, HUGE_VAL, FOLIO_CONTINUOUS);
    int idx[] = { 0, 1 };
    add_row(m, "r1", 2, idx, (double[]){ 1, 1 }, -HUGE_VAL, 4);
    add_row(m, "r2", 2, idx, (double[]){ 2, 1 }, -HUGE_VAL, 6);
    add_row(m, "r3", 2, idx, (double[]){ 1, -1 }, -HUGE_VAL, 5);
    set_linear_objective(m, FOLIO_MAXIMIZE, 0, 2, idx, (double[]){ 3, 2 });
    return m;
}

static void check_lp_max(const folio_result *r)
{
    assert_int_equal(r->status, FOLIO_STATUS_OPTIMAL);
    assert_true(r->has_solution);
    assert_true(r->has_duals);
    assert_false(r->is_mip);
    assert_int_equal(r->ncols, 2);
    assert_int_equal(r->nrows, 3);
    assert_close(r->objective, 10);
    assert_close(r->x[0], 2);
    assert_close(r->x[1], 2);
    assert_close(r->row_activity[0], 4);
    assert_close(r->row_activity[1], 6);
    assert_close(r->row_activity[2], 0);
    /* positive: relaxing a binding <= row of a maximisation raises the objective */
    assert_close(r->row_dual[0], 1);
    assert_close(r->row_dual[1], 1);
    assert_close(r->row_dual[2], 0);
    assert_close(r->reduced_cost[0], 0);
    assert_close(r->reduced_cost[1], 0);
}

/* ---- LP ------------------------------------------------------------------ */

static void test_lp_maximise_closed_form(void **state)
{
    (void)state;
    folio_model *m = lp_max();
    folio_options o;
    folio_options_default(&o);
    folio_result r;
    solve_ok(m, &o, &r);
    check_lp_max(&r);
    assert_string_equal(r.solver, "glpk");
    assert_string_equal(r.message, folio_status_message(FOLIO_STATUS_OPTIMAL));
    assert_false(r.has_ranges);
    assert_null(r.obj_lo);
    assert_true(r.iterations >= 1);
    assert_true(r.solve_time >= 0);
    folio_result_free(&r);
    assert_null(r.x);
    folio_result_free(&r); /* idempotent */
    folio_result_free(NULL);

    /* NULL options mean the defaults */
    solve_ok(m, NULL, &r);
    check_lp_max(&r);
    folio_result_free(&r);

    /* presolve must not change the answer */
    o.presolve = 1;
    solve_ok(m, &o, &r);
    check_lp_max(&r);
    folio_result_free(&r);
    folio_model_free(m);
}

/* min 2x + 3y + 5w + 1.5
 *   r1: x + y  + w >= 4
 *   r2: x + 2y + w >= 6
 * Optimum x = y = 2, w = 0, objective 10 + 1.5. Duals pi = (1, 1), positive for
 * binding >= rows of a minimisation; reduced cost of w = 5 - (1 + 1) = 3. */
static void test_lp_minimise_closed_form(void **state)
{
    (void)state;
    folio_model *m = folio_model_new("lp_min");
    add_col(m, "x", 0, HUGE_VAL, FOLIO_CONTINUOUS);
    add_col(m, "y", 0, HUGE_VAL, FOLIO_CONTINUOUS);
    add_col(m, "w", 0, HUGE_VAL, FOLIO_CONTINUOUS);
    int idx[] = { 0, 1, 2 };
    add_row(m, "r1", 3, idx, (double[]){ 1, 1, 1 }, 4, HUGE_VAL);
    add_row(m, "r2", 3, idx, (double[]){ 1, 2, 1 }, 6, HUGE_VAL);
    set_linear_objective(m, FOLIO_MINIMIZE, 1.5, 3, idx, (double[]){ 2, 3, 5 });

    folio_options o;
    folio_options_default(&o);
    folio_result r;
    solve_ok(m, &o, &r);
    assert_int_equal(r.status, FOLIO_STATUS_OPTIMAL);
    assert_close(r.objective, 11.5);
    assert_close(r.x[0], 2);
    assert_close(r.x[1], 2);
    assert_close(r.x[2], 0);
    assert_close(r.row_activity[0], 4);
    assert_close(r.row_activity[1], 6);
    assert_close(r.row_dual[0], 1);
    assert_close(r.row_dual[1], 1);
    assert_close(r.reduced_cost[0], 0);
    assert_close(r.reduced_cost[1], 0);
    assert_close(r.reduced_cost[2], 3);
    folio_result_free(&r);
    folio_model_free(m);
}

/* min -x with a ranged row 1 <= x + y <= 3, y in [0.5, 10], x in [0, 10]:
 * x = 2.5 at the upper limit of the row; dual -1 (raising the upper limit
 * lowers the objective); y at its lower bound with reduced cost +1. */
static void test_lp_ranged_row(void **state)
{
    (void)state;
    folio_model *m = folio_model_new("ranged");
    add_col(m, "x", 0, 10, FOLIO_CONTINUOUS);
    add_col(m, "y", 0.5, 10, FOLIO_CONTINUOUS);
    int idx[] = { 0, 1 };
    add_row(m, "r", 2, idx, (double[]){ 1, 1 }, 1, 3);
    set_linear_objective(m, FOLIO_MINIMIZE, 0, 1, idx, (double[]){ -1 });

    folio_result r;
    solve_ok(m, NULL, &r);
    assert_int_equal(r.status, FOLIO_STATUS_OPTIMAL);
    assert_close(r.objective, -2.5);
    assert_close(r.x[0], 2.5);
    assert_close(r.x[1], 0.5);
    assert_close(r.row_activity[0], 3);
    assert_close(r.row_dual[0], -1);
    assert_close(r.reduced_cost[0], 0);
    assert_close(r.reduced_cost[1], 1);
    folio_result_free(&r);
    folio_model_free(m);
}

/* x + y <= 1 and x + y >= 3 */
static folio_model *lp_infeasible(void)
{
    folio_model *m = folio_model_new("infeasible");
    add_col(m, "x", 0, HUGE_VAL, FOLIO_CONTINUOUS);
    add_col(m, "y", 0, HUGE_VAL, FOLIO_CONTINUOUS);
    int idx[] = { 0, 1 };
    double one[] = { 1, 1 };
    add_row(m, "lo", 2, idx, one, -HUGE_VAL, 1);
    add_row(m, "hi", 2, idx, one, 3, HUGE_VAL);
    set_linear_objective(m, FOLIO_MAXIMIZE, 0, 2, idx, one);
    return m;
}

/* max x + y with x - y <= 1, x, y >= 0 */
static folio_model *lp_unbounded(void)
{
    folio_model *m = folio_model_new("unbounded");
    add_col(m, "x", 0, HUGE_VAL, FOLIO_CONTINUOUS);
    add_col(m, "y", 0, HUGE_VAL, FOLIO_CONTINUOUS);
    int idx[] = { 0, 1 };
    add_row(m, "r", 2, idx, (double[]){ 1, -1 }, -HUGE_VAL, 1);
    set_linear_objective(m, FOLIO_MAXIMIZE, 0, 2, idx, (double[]){ 1, 1 });
    return m;
}

static void check_status(folio_model *m, int presolve, folio_lp_method method, folio_status want)
{
    folio_options o;
    folio_options_default(&o);
    o.presolve = presolve;
    o.method = method;
    folio_result r;
    solve_ok(m, &o, &r);
    if (r.status != want)
        fail_msg("presolve %d method %d: status %s, expected %s (%s)", presolve, (int)method,
                 folio_status_name(r.status), folio_status_name(want), r.message);
    assert_false(r.has_solution);
    assert_false(r.has_duals);
    folio_result_free(&r);
}

static void test_lp_infeasible(void **state)
{
    (void)state;
    folio_model *m = lp_infeasible();
    check_status(m, 0, FOLIO_LP_SIMPLEX, FOLIO_STATUS_INFEASIBLE);
    check_status(m, 1, FOLIO_LP_SIMPLEX, FOLIO_STATUS_INFEASIBLE);
    check_status(m, 0, FOLIO_LP_DUAL_SIMPLEX, FOLIO_STATUS_INFEASIBLE);
    folio_model_free(m);
}

static void test_lp_unbounded(void **state)
{
    (void)state;
    folio_model *m = lp_unbounded();
    check_status(m, 0, FOLIO_LP_SIMPLEX, FOLIO_STATUS_UNBOUNDED);
    check_status(m, 1, FOLIO_LP_SIMPLEX, FOLIO_STATUS_UNBOUNDED);
    folio_model_free(m);
}

static void test_lp_methods_agree(void **state)
{
    (void)state;
    folio_model *m = lp_max();
    folio_options o;
    folio_options_default(&o);
    folio_result r;

    o.method = FOLIO_LP_DUAL_SIMPLEX;
    solve_ok(m, &o, &r);
    check_lp_max(&r);
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
    folio_options o;
    folio_options_default(&o);
    o.iteration_limit = 1;
    folio_result r;
    solve_ok(m, &o, &r);
    assert_int_equal(r.status, FOLIO_STATUS_ITERATION_LIMIT);
    assert_false(r.has_duals);
    folio_result_free(&r);
    folio_model_free(m);
}

/* min 3x, x in [1, 2], no rows at all: x = 1 with reduced cost 3; the
 * bound stays optimal while c_x >= 0. */
static void test_lp_without_rows(void **state)
{
    (void)state;
    folio_model *m = folio_model_new("no_rows");
    add_col(m, "x", 1, 2, FOLIO_CONTINUOUS);
    set_linear_objective(m, FOLIO_MINIMIZE, 0, 1, (int[]){ 0 }, (double[]){ 3 });
    folio_options o;
    folio_options_default(&o);
    o.ranges = 1;
    folio_result r;
    solve_ok(m, &o, &r);
    assert_int_equal(r.status, FOLIO_STATUS_OPTIMAL);
    assert_int_equal(r.nrows, 0);
    assert_close(r.objective, 3);
    assert_close(r.x[0], 1);
    assert_close(r.reduced_cost[0], 3);
    assert_true(r.has_ranges);
    assert_close(r.obj_lo[0], 0);
    assert_true(r.obj_hi[0] == HUGE_VAL);
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
    folio_options o;
    folio_options_default(&o);
    o.ranges = 1;
    folio_result r;
    solve_ok(m, &o, &r);
    check_lp_max(&r);
    check_lp_max_ranges(&r);
    folio_result_free(&r);

    o.presolve = 1;
    solve_ok(m, &o, &r);
    check_lp_max(&r);
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

    folio_options o;
    folio_options_default(&o);
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

/* ---- MIP ----------------------------------------------------------------- */

enum { KN = 12 };
static const double kw[KN] = { 23, 31, 29, 44, 53, 38, 63, 85, 89, 82, 17, 41 };
static const double kv[KN] = { 92, 57, 49, 68, 60, 43, 67, 84, 87, 72, 31, 60 };
static const double kcap = 200;

static double knapsack_brute_force(void)
{
    double best = -1;
    for (unsigned s = 0; s < (1u << KN); s++) {
        double w = 0, v = 0;
        for (int j = 0; j < KN; j++)
            if (s & (1u << j)) { w += kw[j]; v += kv[j]; }
        if (w <= kcap && v > best) best = v;
    }
    return best;
}

static void test_mip_knapsack(void **state)
{
    (void)state;
    folio_model *m = folio_model_new("knapsack");
    int idx[KN];
    for (int j = 0; j < KN; j++) {
        char name[16];
        snprintf(name, sizeof name, "take%d", j);
        idx[j] = (int)add_col(m, name, 0, 1, FOLIO_BINARY);
    }
    add_row(m, "cap", KN, idx, kw, -HUGE_VAL, kcap);
    set_linear_objective(m, FOLIO_MAXIMIZE, 0, KN, idx, kv);

    double best = knapsack_brute_force();
    assert_true(best > 0);

    folio_options o;
    folio_options_default(&o);
    folio_result r;
    solve_ok(m, &o, &r);
    assert_int_equal(r.status, FOLIO_STATUS_OPTIMAL);
    assert_true(r.is_mip);
    assert_true(r.has_solution);
    assert_false(r.has_duals); /* mip_duals is off */
    assert_close(r.objective, best);
    assert_true(r.mip_gap == 0.0);
    assert_true(r.mip_bound == r.objective);
    double w = 0, v = 0;
    for (int j = 0; j < KN; j++) {
        assert_true(r.x[j] == 0.0 || r.x[j] == 1.0);
        w += kw[j] * r.x[j];
        v += kv[j] * r.x[j];
    }
    assert_true(w <= kcap);
    assert_close(v, best);
    assert_close(r.row_activity[0], w);
    folio_result_free(&r);
    folio_model_free(m);
}

/* 2x = 1 has no integer solution. */
static void test_mip_infeasible(void **state)
{
    (void)state;
    folio_model *m = folio_model_new("mip_infeasible");
    add_col(m, "x", 0, 10, FOLIO_INTEGER);
    add_col(m, "y", 0, 10, FOLIO_CONTINUOUS);
    add_row(m, "odd", 1, (int[]){ 0 }, (double[]){ 2 }, 1, 1);
    set_linear_objective(m, FOLIO_MINIMIZE, 0, 2, (int[]){ 0, 1 }, (double[]){ 1, 1 });
    folio_result r;
    solve_ok(m, NULL, &r);
    assert_int_equal(r.status, FOLIO_STATUS_INFEASIBLE);
    assert_true(r.is_mip);
    assert_false(r.has_solution);
    folio_result_free(&r);
    folio_model_free(m);
}

/* Time-limit instances: n binaries with even weights 2 a_j (a_j in
 * [1000, 9999], fixed pseudo-random sequence) against an odd right-hand
 * side B, so that no subset of weights can ever equal B, while the LP
 * relaxation can (fractionally) meet it at almost every node: branch and
 * bound without cuts must enumerate an exponential tree. */
enum { HARD_N = 64 };

static unsigned long long lcg_state;
static long lcg_between(long lo, long hi)
{
    lcg_state = lcg_state * 6364136223846793005ULL + 1442695040888963407ULL;
    return lo + (long)((lcg_state >> 33) % (unsigned long long)(hi - lo + 1));
}

static double hard_weights(double *a, int *idx)
{
    lcg_state = 12345;
    double total = 0;
    for (int j = 0; j < HARD_N; j++) {
        idx[j] = j;
        a[j] = 2.0 * (double)lcg_between(1000, 9999);
        total += a[j];
    }
    return 2.0 * floor(total / 4) + 1; /* odd, about half the total weight */
}

static folio_model *hard_binaries(const char *name)
{
    folio_model *m = folio_model_new(name);
    for (int j = 0; j < HARD_N; j++) {
        char nm[16];
        snprintf(nm, sizeof nm, "x%d", j);
        add_col(m, nm, 0, 1, FOLIO_BINARY);
    }
    return m;
}

static folio_options time_limited(void)
{
    folio_options o;
    folio_options_default(&o);
    o.time_limit = 0.2;
    return o;
}

static void check_timed_out(const folio_result *r)
{
    if (r->status != FOLIO_STATUS_TIME_LIMIT)
        fail_msg("status %s after %.3f s, expected time_limit", folio_status_name(r->status),
                 r->solve_time);
    assert_true(r->is_mip);
    /* it really ran until the limit, and stopped close to it */
    assert_true(r->solve_time >= 0.15);
    assert_true(r->solve_time < 5.0);
    assert_true(r->nodes > 1);
    assert_string_equal(r->message, folio_status_message(FOLIO_STATUS_TIME_LIMIT));
}

/* sum 2 a_j x_j = B (odd): infeasible, so no incumbent can exist. */
static void test_mip_time_limit_without_incumbent(void **state)
{
    (void)state;
    double a[HARD_N];
    int idx[HARD_N];
    double b = hard_weights(a, idx);
    assert_true(fmod(b, 2.0) == 1.0);
    for (int j = 0; j < HARD_N; j++) assert_true(fmod(a[j], 2.0) == 0.0);

    folio_model *m = hard_binaries("parity_eq");
    add_row(m, "eq", HARD_N, idx, a, b, b);
    set_linear_objective(m, FOLIO_MINIMIZE, 0, 0, NULL, NULL);
    folio_options o = time_limited();
    folio_result r;
    solve_ok(m, &o, &r);
    check_timed_out(&r);
    assert_false(r.has_solution);
    assert_true(isinf(r.mip_gap));
    folio_result_free(&r);
    folio_model_free(m);
}

/* max sum 2 a_j x_j + y s.t. sum 2 a_j x_j + y <= B, y in [0, 0.5]:
 * rounding down finds incumbents at once, the LP bound is B at every
 * fractional node, but the best integer value is at most (B - 1) + 0.5. */
static void test_mip_time_limit_with_incumbent(void **state)
{
    (void)state;
    double a[HARD_N + 1];
    int idx[HARD_N + 1];
    double b = hard_weights(a, idx);
    folio_model *m = hard_binaries("parity_le");
    idx[HARD_N] = (int)add_col(m, "y", 0, 0.5, FOLIO_CONTINUOUS);
    a[HARD_N] = 1;
    add_row(m, "cap", HARD_N + 1, idx, a, -HUGE_VAL, b);
    set_linear_objective(m, FOLIO_MAXIMIZE, 0, HARD_N + 1, idx, a);
    folio_options o = time_limited();
    folio_result r;
    solve_ok(m, &o, &r);
    check_timed_out(&r);
    assert_true(r.has_solution);

    double lhs = 0;
    for (int j = 0; j < HARD_N; j++) {
        assert_true(r.x[j] == 0.0 || r.x[j] == 1.0);
        lhs += a[j] * r.x[j];
    }
    lhs += r.x[HARD_N];
    assert_true(lhs <= b + 1e-6);
    assert_close(r.objective, lhs);
    assert_true(r.objective <= b - 0.5 + 1e-6);
    /* the proven bound lies above the incumbent: a positive, finite gap */
    assert_true(r.mip_bound >= r.objective);
    assert_true(r.mip_bound <= b + 1e-6);
    assert_true(r.mip_gap > 0 && isfinite(r.mip_gap));
    folio_result_free(&r);
    folio_model_free(m);
}

/* max 3x + 2y, x integer in [0, 10], y >= 0
 *   c1: x + y <= 4.5
 *   c2: x     <= 2.7
 * Objective on c1: x + 9, so x = 2, y = 2.5, objective 11. With x fixed at 2:
 * c1 binds with dual 2 (one more unit of y), c2 is slack (dual 0), the
 * reduced cost of x is 3 - 2 = 1 and of y 0. */
static void test_mip_duals_of_fixed_lp(void **state)
{
    (void)state;
    folio_model *m = folio_model_new("mip_duals");
    add_col(m, "x", 0, 10, FOLIO_INTEGER);
    add_col(m, "y", 0, HUGE_VAL, FOLIO_CONTINUOUS);
    int idx[] = { 0, 1 };
    add_row(m, "c1", 2, idx, (double[]){ 1, 1 }, -HUGE_VAL, 4.5);
    add_row(m, "c2", 1, idx, (double[]){ 1 }, -HUGE_VAL, 2.7);
    set_linear_objective(m, FOLIO_MAXIMIZE, 0, 2, idx, (double[]){ 3, 2 });

    folio_options o;
    folio_options_default(&o);
    folio_result r;
    solve_ok(m, &o, &r);
    assert_int_equal(r.status, FOLIO_STATUS_OPTIMAL);
    assert_false(r.has_duals);
    folio_result_free(&r);

    o.mip_duals = 1;
    solve_ok(m, &o, &r);
    assert_int_equal(r.status, FOLIO_STATUS_OPTIMAL);
    assert_close(r.objective, 11);
    assert_close(r.x[0], 2);
    assert_close(r.x[1], 2.5);
    assert_true(r.has_duals);
    assert_close(r.row_dual[0], 2);
    assert_close(r.row_dual[1], 0);
    assert_close(r.reduced_cost[0], 1);
    assert_close(r.reduced_cost[1], 0);
    assert_close(r.row_activity[0], 4.5);
    assert_close(r.row_activity[1], 2);
    folio_result_free(&r);
    folio_model_free(m);
}

/* A binary clamped to [1, 1] is a fixed integer column, not GLPK's 0/1 kind. */
static void test_mip_fixed_binary(void **state)
{
    (void)state;
    folio_model *m = folio_model_new("fixed_binary");
    add_col(m, "b", 1, 5, FOLIO_BINARY);
    add_col(m, "c", 0, 1, FOLIO_BINARY);
    set_linear_objective(m, FOLIO_MINIMIZE, 0, 2, (int[]){ 0, 1 }, (double[]){ 1, 1 });
    folio_result r;
    solve_ok(m, NULL, &r);
    assert_int_equal(r.status, FOLIO_STATUS_OPTIMAL);
    assert_close(r.x[0], 1);
    assert_close(r.x[1], 0);
    assert_close(r.objective, 1);
    folio_result_free(&r);
    folio_model_free(m);
}

/* ---- refusals and dispatch ----------------------------------------------- */

static folio_model *lp_with_quadratic(void)
{
    folio_model *m = lp_max();
    int idx[] = { 0, 1 };
    int qi[] = { 0 }, qj[] = { 1 };
    double qv[] = { -1 };
    assert_int_equal(folio_model_set_objective(m, FOLIO_MAXIMIZE, 0, 2, idx, (double[]){ 3, 2 },
                                               1, qi, qj, qv), FOLIO_OK);
    return m;
}

static void add_cone(folio_model *m)
{
    size_t start[] = { 0, 1 };
    int idx[] = { 0 };
    double val[] = { 1 };
    double cst[] = { 0 };
    int tidx[] = { 1 };
    double tval[] = { 1 };
    assert_int_equal(folio_model_add_soc(m, "k", 1, start, idx, val, cst, 1, tidx, tval, 0), 0);
}

static void check_refused(folio_model *m, const char *solver, folio_error want, const char *needle)
{
    folio_options o;
    folio_options_default(&o);
    o.solver = solver;
    folio_result r;
    folio_error e = folio_solve(m, &o, &r);
    assert_int_equal(e, want);
    const char *msg = folio_model_last_error(m);
    if (!strstr(msg, needle)) fail_msg("message '%s' does not mention %s", msg, needle);
    assert_null(r.x); /* nothing to free */
    assert_false(r.has_solution);
}

static void test_quadratic_refused(void **state)
{
    (void)state;
    folio_model *m = lp_with_quadratic();
    check_refused(m, "glpk", FOLIO_ERR_UNSUPPORTED, "GLPK");
    /* the automatic choice is the QP engine, which finds 3x + 2y - xy is
     * not concave (its Hessian has eigenvalues -1 and 1) */
    check_refused(m, NULL, FOLIO_ERR_INVALID, "not concave (largest eigenvalue of its Hessian is 1)");
    check_refused(m, "auto", FOLIO_ERR_INVALID, "not concave");
    folio_model_free(m);
}

static void test_cone_refused(void **state)
{
    (void)state;
    folio_model *m = lp_max();
    add_cone(m);
    check_refused(m, "glpk", FOLIO_ERR_UNSUPPORTED, "GLPK");
    check_refused(m, "glpk", FOLIO_ERR_UNSUPPORTED, "cones");
    /* the automatic choice solves it with the QP/SOCP engine */
    folio_result r;
    assert_int_equal(folio_solve(m, NULL, &r), FOLIO_OK);
    assert_string_equal(r.solver, "qp");
    assert_int_equal(r.status, FOLIO_STATUS_OPTIMAL);
    folio_result_free(&r);
    folio_model_free(m);
}

static void test_unknown_solver(void **state)
{
    (void)state;
    folio_model *m = lp_max();
    check_refused(m, "cplex", FOLIO_ERR_NOT_FOUND, "unknown solver 'cplex'");
    assert_string_equal(folio_model_last_error(m), "unknown solver 'cplex' (available: glpk, qp, cbc)");
    const char *const *names = folio_backends();
    assert_string_equal(names[0], "glpk");
    assert_string_equal(names[1], "qp");
    assert_string_equal(names[2], "cbc");
    assert_null(names[3]);
    folio_model_free(m);
}

static void test_invalid_options(void **state)
{
    (void)state;
    folio_model *m = lp_max();
    folio_options o;
    folio_options_default(&o);
    o.time_limit = NAN;
    folio_result r;
    assert_int_equal(folio_solve(m, &o, &r), FOLIO_ERR_INVALID);
    assert_string_equal(folio_model_last_error(m),
                        "solve options: time_limit and mip_gap must be numbers");
    folio_model_free(m);
}

/* The error code must not depend on what the model is called: GLPK
 * refusing a cone is UNSUPPORTED whatever the name. */
static void test_refusal_code_independent_of_model_name(void **state)
{
    (void)state;
    folio_model *m = folio_model_new("unknown solver");
    add_col(m, "x", 0, 1, FOLIO_CONTINUOUS);
    add_col(m, "t", 0, 1, FOLIO_CONTINUOUS);
    add_cone(m);
    folio_options o;
    folio_options_default(&o);
    o.solver = "glpk";
    folio_result r;
    folio_error e = folio_solve(m, &o, &r);
    folio_model_free(m);
    assert_int_equal(e, FOLIO_ERR_UNSUPPORTED);
}

/* GLPK refuses problem names holding control characters; folio accepts
 * any model name, so solving must not fail on it (GLPK's names are only
 * labels). A later solve must work either way. */
static void test_model_name_with_control_character(void **state)
{
    (void)state;
    folio_model *m = folio_model_new("book\t2024");
    add_col(m, "x", 1, 2, FOLIO_CONTINUOUS);
    set_linear_objective(m, FOLIO_MINIMIZE, 0, 1, (int[]){ 0 }, (double[]){ 1 });
    folio_result r;
    folio_error e = folio_solve(m, NULL, &r);
    char msg[512];
    snprintf(msg, sizeof msg, "%s", folio_model_last_error(m));
    if (e == FOLIO_OK) folio_result_free(&r);
    folio_model_free(m);

    m = lp_max();
    solve_ok(m, NULL, &r);
    check_lp_max(&r);
    folio_result_free(&r);
    folio_model_free(m);

    if (e != FOLIO_OK) fail_msg("folio_solve returned %d: %s", (int)e, msg);
}

static void test_lower(void **state)
{
    (void)state;
    folio_model *m = lp_max();
    double secs = -1;
    assert_int_equal(folio_lower(m, "glpk", 0, &secs), FOLIO_OK);
    assert_true(secs >= 0);
    assert_int_equal(folio_lower(m, NULL, 0, NULL), FOLIO_OK);

    add_cone(m);
    assert_int_equal(folio_lower(m, "glpk", 0, &secs), FOLIO_ERR_UNSUPPORTED);
    assert_non_null(strstr(folio_model_last_error(m), "GLPK"));
    secs = -1;
    assert_int_equal(folio_lower(m, "glpk", 1, &secs), FOLIO_OK);
    assert_true(secs >= 0);
    assert_int_equal(folio_lower(m, NULL, 1, NULL), FOLIO_OK);

    assert_int_equal(folio_lower(m, "cplex", 1, NULL), FOLIO_ERR_NOT_FOUND);
    assert_string_equal(folio_model_last_error(m), "unknown solver 'cplex' (available: glpk, qp, cbc)");
    folio_model_free(m);
}

/* "auto" lowers a cone model into the QP engine; GLPK refuses it unless
 * told to skip the cones (UNSUPPORTED; NOT_FOUND is for unknown backends). */
static void test_lower_auto_refusal_code(void **state)
{
    (void)state;
    folio_model *m = lp_max();
    add_cone(m);
    folio_error auto_e = folio_lower(m, "auto", 0, NULL);
    folio_error glpk_e = folio_lower(m, "glpk", 0, NULL);
    int names_glpk = strstr(folio_model_last_error(m), "GLPK") != NULL;
    folio_model_free(m);
    assert_int_equal(auto_e, FOLIO_OK);
    assert_int_equal(glpk_e, FOLIO_ERR_UNSUPPORTED);
    assert_true(names_glpk);
}

static void test_status_names(void **state)
{
    (void)state;
    assert_string_equal(folio_status_name(FOLIO_STATUS_OPTIMAL), "optimal");
    assert_string_equal(folio_status_name(FOLIO_STATUS_TIME_LIMIT), "time_limit");
    assert_string_equal(folio_status_name(FOLIO_STATUS_INFEASIBLE_OR_UNBOUNDED), "infeasible_or_unbounded");
    assert_string_equal(folio_error_message(FOLIO_ERR_UNSUPPORTED), "the solver does not support this model");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lp_maximise_closed_form),
        cmocka_unit_test(test_lp_minimise_closed_form),
        cmocka_unit_test(test_lp_ranged_row),
        cmocka_unit_test(test_lp_infeasible),
        cmocka_unit_test(test_lp_unbounded),
        cmocka_unit_test(test_lp_methods_agree),
        cmocka_unit_test(test_lp_iteration_limit),
        cmocka_unit_test(test_lp_without_rows),
        cmocka_unit_test(test_lp_ranges),
        cmocka_unit_test(test_lp_ranges_nonbasic_columns),
        cmocka_unit_test(test_mip_knapsack),
        cmocka_unit_test(test_mip_infeasible),
        cmocka_unit_test(test_mip_time_limit_without_incumbent),
        cmocka_unit_test(test_mip_time_limit_with_incumbent),
        cmocka_unit_test(test_mip_duals_of_fixed_lp),
        cmocka_unit_test(test_mip_fixed_binary),
        cmocka_unit_test(test_quadratic_refused),
        cmocka_unit_test(test_cone_refused),
        cmocka_unit_test(test_unknown_solver),
        cmocka_unit_test(test_invalid_options),
        cmocka_unit_test(test_lower),
        cmocka_unit_test(test_status_names),
        cmocka_unit_test(test_refusal_code_independent_of_model_name),
        cmocka_unit_test(test_lower_auto_refusal_code),
        cmocka_unit_test(test_model_name_with_control_character),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
