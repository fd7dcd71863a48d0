/* Solving through folio_solve with the Cbc backend: LP values against a
 * hand computation, MIPs against brute force and GLPK on the same model,
 * statuses, time limits with and without an incumbent, MIP starts (both
 * backends), refusals, dispatch and folio_lower. */
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

#define TOL 1e-7   /* Clp's primal tolerance */

#define assert_close(got, want)                                                            \
    do {                                                                                   \
        double g_ = (got), w_ = (want);                                                    \
        if (!close_to(g_, w_, TOL)) fail_msg("%s = %.17g, expected %.17g", #got, g_, w_);  \
    } while (0)

static folio_options with_solver(const char *solver)
{
    folio_options o;
    folio_options_default(&o);
    o.solver = solver;
    return o;
}

static void solve_with(folio_model *m, const char *solver, folio_result *r)
{
    folio_options o = with_solver(solver);
    folio_error e = folio_solve(m, &o, r);
    if (e != FOLIO_OK) fail_msg("folio_solve (%s): %s", solver, folio_model_last_error(m));
    assert_string_equal(r->solver, solver);
}

static void solve_opts(folio_model *m, const folio_options *o, folio_result *r)
{
    folio_error e = folio_solve(m, o, r);
    if (e != FOLIO_OK) fail_msg("folio_solve (%s): %s", o->solver, folio_model_last_error(m));
}

/* Every row of m holds at x within a small tolerance, and the result's
 * activities and objective are those of x. */
static void check_consistent(const folio_model *m, const folio_result *r)
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
    assert_close(r->objective, f);
    for (size_t i = 0; i < folio_model_nrows(m); i++) {
        size_t n;
        const int *idx;
        const double *val;
        double lo, hi, a = 0;
        folio_model_row(m, i, &n, &idx, &val);
        for (size_t k = 0; k < n; k++) a += val[k] * r->x[idx[k]];
        assert_close(r->row_activity[i], a);
        folio_model_row_bounds(m, i, &lo, &hi);
        if (a < lo - 1e-6 * (1 + fabs(lo)) || a > hi + 1e-6 * (1 + fabs(hi)))
            fail_msg("row %s = %g outside [%g, %g]", folio_model_row_name(m, i), a, lo, hi);
    }
}

/* ---- LP ------------------------------------------------------------------ */

/* min x + 2y + 3z + 5
 *   r1:   1 <= x - y <= 3     (ranged)
 *   r2:        x + y >= 4
 *   info:     x + 2y          (free row: reported, never binding)
 *   z fixed at 2, x, y >= 0.
 * On r2, cost x + 2(4 - x) = 8 - x falls with x while r1 allows x - (4 - x)
 * <= 3: x = 3.5, y = 0.5, objective 3.5 + 1 + 6 + 5 = 15.5; activities
 * r1 = 3, r2 = 4, info = 4.5. */
static folio_model *lp_mixed(void)
{
    folio_model *m = folio_model_new("lp_mixed");
    add_col(m, "x", 0, HUGE_VAL, FOLIO_CONTINUOUS);
    add_col(m, "y", 0, HUGE_VAL, FOLIO_CONTINUOUS);
    add_col(m, "z", 2, 2, FOLIO_CONTINUOUS);
    int idx[] = { 0, 1, 2 };
    add_row(m, "r1", 2, idx, (double[]){ 1, -1 }, 1, 3);
    add_row(m, "r2", 2, idx, (double[]){ 1, 1 }, 4, HUGE_VAL);
    add_row(m, "info", 2, idx, (double[]){ 1, 2 }, -HUGE_VAL, HUGE_VAL);
    set_linear_objective(m, FOLIO_MINIMIZE, 5, 3, idx, (double[]){ 1, 2, 3 });
    return m;
}

static void test_lp_closed_form(void **state)
{
    (void)state;
    folio_model *m = lp_mixed();
    folio_result r;
    solve_with(m, "cbc", &r);
    assert_int_equal(r.status, FOLIO_STATUS_OPTIMAL);
    assert_true(r.has_solution);
    assert_false(r.is_mip);
    assert_false(r.has_duals);   /* the C interface gives no row prices */
    assert_false(r.has_ranges);
    assert_close(r.objective, 15.5);
    assert_close(r.x[0], 3.5);
    assert_close(r.x[1], 0.5);
    assert_close(r.x[2], 2);
    assert_close(r.row_activity[0], 3);
    assert_close(r.row_activity[1], 4);
    assert_close(r.row_activity[2], 4.5);
    assert_string_equal(r.message, folio_status_message(FOLIO_STATUS_OPTIMAL));
    folio_result_free(&r);

    /* the same under GLPK */
    solve_with(m, "glpk", &r);
    assert_close(r.objective, 15.5);
    assert_close(r.row_activity[2], 4.5);
    folio_result_free(&r);
    folio_model_free(m);
}

/* max 3x + 2y on x + y <= 4, 2x + y <= 6: x = y = 2, objective 10. */
static void test_lp_maximise(void **state)
{
    (void)state;
    folio_model *m = folio_model_new("lp_max");
    add_col(m, "x", 0, HUGE_VAL, FOLIO_CONTINUOUS);
    add_col(m, "y", 0, HUGE_VAL, FOLIO_CONTINUOUS);
    int idx[] = { 0, 1 };
    add_row(m, "r1", 2, idx, (double[]){ 1, 1 }, -HUGE_VAL, 4);
    add_row(m, "r2", 2, idx, (double[]){ 2, 1 }, -HUGE_VAL, 6);
    set_linear_objective(m, FOLIO_MAXIMIZE, 0, 2, idx, (double[]){ 3, 2 });
    folio_result r;
    solve_with(m, "cbc", &r);
    assert_int_equal(r.status, FOLIO_STATUS_OPTIMAL);
    assert_close(r.objective, 10);
    assert_close(r.x[0], 2);
    assert_close(r.x[1], 2);
    assert_close(r.row_activity[0], 4);
    assert_close(r.row_activity[1], 6);
    folio_result_free(&r);
    folio_model_free(m);
}

/* x + y >= 3 with x, y in [0, 1]. */
static void test_lp_infeasible(void **state)
{
    (void)state;
    folio_model *m = folio_model_new("lp_infeasible");
    add_col(m, "x", 0, 1, FOLIO_CONTINUOUS);
    add_col(m, "y", 0, 1, FOLIO_CONTINUOUS);
    add_row(m, "r", 2, (int[]){ 0, 1 }, (double[]){ 1, 1 }, 3, HUGE_VAL);
    set_linear_objective(m, FOLIO_MAXIMIZE, 0, 2, (int[]){ 0, 1 }, (double[]){ 1, 1 });
    folio_result r;
    solve_with(m, "cbc", &r);
    assert_int_equal(r.status, FOLIO_STATUS_INFEASIBLE);
    assert_false(r.has_solution);
    assert_string_equal(r.message, folio_status_message(FOLIO_STATUS_INFEASIBLE));
    folio_result_free(&r);
    folio_model_free(m);
}

/* max x + y with x - y <= 1, x, y >= 0: y grows without limit. Clp alone
 * calls this "infeasible" too; the backend must tell them apart. */
static void test_lp_unbounded(void **state)
{
    (void)state;
    folio_model *m = folio_model_new("lp_unbounded");
    add_col(m, "x", 0, HUGE_VAL, FOLIO_CONTINUOUS);
    add_col(m, "y", 0, HUGE_VAL, FOLIO_CONTINUOUS);
    add_row(m, "r", 2, (int[]){ 0, 1 }, (double[]){ 1, -1 }, -HUGE_VAL, 1);
    set_linear_objective(m, FOLIO_MAXIMIZE, 0, 2, (int[]){ 0, 1 }, (double[]){ 1, 1 });
    folio_result r;
    solve_with(m, "cbc", &r);
    assert_int_equal(r.status, FOLIO_STATUS_UNBOUNDED);
    assert_false(r.has_solution);
    folio_result_free(&r);

    /* and without any row */
    folio_model *m2 = folio_model_new("free_column");
    add_col(m2, "x", -HUGE_VAL, HUGE_VAL, FOLIO_CONTINUOUS);
    set_linear_objective(m2, FOLIO_MINIMIZE, 0, 1, (int[]){ 0 }, (double[]){ 1 });
    solve_with(m2, "cbc", &r);
    assert_int_equal(r.status, FOLIO_STATUS_UNBOUNDED);
    folio_result_free(&r);
    folio_model_free(m2);
    folio_model_free(m);
}

/* min 3x, x in [1, 2], no rows. */
static void test_lp_without_rows(void **state)
{
    (void)state;
    folio_model *m = folio_model_new("no_rows");
    add_col(m, "x", 1, 2, FOLIO_CONTINUOUS);
    set_linear_objective(m, FOLIO_MINIMIZE, 0, 1, (int[]){ 0 }, (double[]){ 3 });
    folio_result r;
    solve_with(m, "cbc", &r);
    assert_int_equal(r.status, FOLIO_STATUS_OPTIMAL);
    assert_int_equal(r.nrows, 0);
    assert_close(r.objective, 3);
    assert_close(r.x[0], 1);
    folio_result_free(&r);
    folio_model_free(m);
}

/* ---- MIP against brute force and GLPK ------------------------------------- */

enum { KN = 12 };
static const double kw[KN] = { 23, 31, 29, 44, 53, 38, 63, 85, 89, 82, 17, 41 };
static const double kv[KN] = { 92, 57, 49, 68, 60, 43, 67, 84, 87, 72, 31, 60 };
static const double kcap = 200;

/* The best value; *unique says whether one subset alone reaches it. */
static double knapsack_brute_force(unsigned *best_set, int *unique)
{
    double best = -1;
    int count = 0;
    for (unsigned s = 0; s < (1u << KN); s++) {
        double w = 0, v = 0;
        for (int j = 0; j < KN; j++)
            if (s & (1u << j)) { w += kw[j]; v += kv[j]; }
        if (w > kcap) continue;
        if (v > best) { best = v; *best_set = s; count = 1; }
        else if (v == best) count++;
    }
    *unique = count == 1;
    return best;
}

static folio_model *knapsack(void)
{
    folio_model *m = folio_model_new("knapsack");
    int idx[KN];
    for (int j = 0; j < KN; j++) {
        char name[16];
        snprintf(name, sizeof name, "take[%d]", j);
        idx[j] = (int)add_col(m, name, 0, 1, FOLIO_BINARY);
    }
    add_row(m, "cap", KN, idx, kw, -HUGE_VAL, kcap);
    set_linear_objective(m, FOLIO_MAXIMIZE, 0, KN, idx, kv);
    return m;
}

static void test_mip_knapsack(void **state)
{
    (void)state;
    unsigned set = 0;
    int unique = 0;
    double best = knapsack_brute_force(&set, &unique);
    folio_model *m = knapsack();
    folio_result c, g;
    solve_with(m, "cbc", &c);
    solve_with(m, "glpk", &g);
    assert_int_equal(c.status, FOLIO_STATUS_OPTIMAL);
    assert_true(c.is_mip);
    assert_true(c.has_solution);
    assert_false(c.has_duals);
    assert_close(c.objective, best);
    assert_true(c.mip_gap == 0.0);
    assert_true(c.mip_bound == c.objective);
    assert_true(c.nodes >= 0);
    check_consistent(m, &c);
    if (unique)
        for (int j = 0; j < KN; j++) {
            assert_true(c.x[j] == ((set >> j) & 1u));
            assert_true(c.x[j] == g.x[j]);
        }
    assert_close(c.objective, g.objective);
    folio_result_free(&c);
    folio_result_free(&g);
    folio_model_free(m);
}

/* A small generalised assignment: NT trades to NA accounts, one account per
 * trade, account capacities on the trades' sizes, minimum total cost. */
enum { NT = 9, NA = 3 };
static const double gsize[NT] = { 5, 7, 3, 8, 4, 6, 2, 9, 5 };
static const double gcap[NA] = { 18, 17, 16 };
static const double gcost[NT][NA] = {
    { 4, 6, 5 }, { 7, 3, 6 }, { 2, 5, 4 }, { 6, 6, 3 }, { 5, 2, 7 },
    { 3, 8, 4 }, { 6, 4, 2 }, { 8, 5, 6 }, { 4, 7, 3 }
};

static double assignment_brute_force(int *best, int *unique)
{
    int a[NT] = { 0 };
    double opt = HUGE_VAL;
    int count = 0;
    for (;;) {
        double load[NA] = { 0 }, c = 0;
        for (int t = 0; t < NT; t++) {
            load[a[t]] += gsize[t];
            c += gcost[t][a[t]];
        }
        int ok = 1;
        for (int k = 0; k < NA; k++) ok &= load[k] <= gcap[k];
        if (ok && c < opt) { opt = c; count = 1; memcpy(best, a, sizeof a); }
        else if (ok && c == opt) count++;
        int t = 0;
        while (t < NT && ++a[t] == NA) a[t++] = 0;
        if (t == NT) break;
    }
    *unique = count == 1;
    return opt;
}

static folio_model *assignment(void)
{
    folio_model *m = folio_model_new("assignment");
    int obj_idx[NT * NA];
    double obj_val[NT * NA];
    for (int t = 0; t < NT; t++)
        for (int k = 0; k < NA; k++) {
            char name[32];
            snprintf(name, sizeof name, "x[t%d,a%d]", t, k);
            int j = (int)add_col(m, name, 0, 1, FOLIO_BINARY);
            obj_idx[j] = j;
            obj_val[j] = gcost[t][k];
        }
    for (int t = 0; t < NT; t++) {
        char name[32];
        snprintf(name, sizeof name, "one[t%d]", t);
        add_row(m, name, NA, (int[]){ t * NA, t * NA + 1, t * NA + 2 }, (double[]){ 1, 1, 1 }, 1, 1);
    }
    for (int k = 0; k < NA; k++) {
        int idx[NT];
        char name[32];
        for (int t = 0; t < NT; t++) idx[t] = t * NA + k;
        snprintf(name, sizeof name, "cap[a%d]", k);
        add_row(m, name, NT, idx, gsize, -HUGE_VAL, gcap[k]);
    }
    set_linear_objective(m, FOLIO_MINIMIZE, 0, NT * NA, obj_idx, obj_val);
    return m;
}

static void test_mip_assignment(void **state)
{
    (void)state;
    int best[NT], unique = 0;
    double opt = assignment_brute_force(best, &unique);
    folio_model *m = assignment();
    folio_result c, g;
    solve_with(m, "cbc", &c);
    solve_with(m, "glpk", &g);
    assert_int_equal(c.status, FOLIO_STATUS_OPTIMAL);
    assert_int_equal(g.status, FOLIO_STATUS_OPTIMAL);
    assert_close(c.objective, opt);
    assert_close(g.objective, opt);
    check_consistent(m, &c);
    if (unique)
        for (int t = 0; t < NT; t++)
            for (int k = 0; k < NA; k++) {
                assert_true(c.x[t * NA + k] == (best[t] == k));
                assert_true(g.x[t * NA + k] == c.x[t * NA + k]);
            }
    folio_result_free(&c);
    folio_result_free(&g);
    folio_model_free(m);
}

/* General integers with negative bounds, a continuous column and an
 * objective constant: max 2a - b + c + 10 with a in [-3, 7], b in [-5, 5]
 * integer, c in [0, 2.5]; a + b <= 3.5, a - c >= -1. Each term at its best
 * bound is feasible (a + b = 2, a - c = 4.5): a = 7, b = -5, c = 2.5,
 * objective 14 + 5 + 2.5 + 10 = 31.5. */
static folio_model *general_integers(void)
{
    folio_model *m = folio_model_new("general");
    add_col(m, "a", -3, 7, FOLIO_INTEGER);
    add_col(m, "b", -5, 5, FOLIO_INTEGER);
    add_col(m, "c", 0, 2.5, FOLIO_CONTINUOUS);
    add_row(m, "s", 2, (int[]){ 0, 1 }, (double[]){ 1, 1 }, -HUGE_VAL, 3.5);
    add_row(m, "d", 2, (int[]){ 0, 2 }, (double[]){ 1, -1 }, -1, HUGE_VAL);
    set_linear_objective(m, FOLIO_MAXIMIZE, 10, 3, (int[]){ 0, 1, 2 }, (double[]){ 2, -1, 1 });
    return m;
}

static void test_mip_general_integers(void **state)
{
    (void)state;
    folio_model *m = general_integers();
    folio_result r;
    solve_with(m, "cbc", &r);
    assert_int_equal(r.status, FOLIO_STATUS_OPTIMAL);
    assert_close(r.objective, 31.5);
    assert_true(r.x[0] == 7 && r.x[1] == -5);
    assert_close(r.x[2], 2.5);
    assert_close(r.mip_bound, 31.5);
    assert_string_equal(r.message, folio_status_message(FOLIO_STATUS_OPTIMAL));
    check_consistent(m, &r);
    folio_result_free(&r);
    folio_model_free(m);
}

/* Cbc 2.10.8's preprocessing answers 31 ("optimal", with c = 2) on this
 * model, as the cbc program does too: with presolve on, the backend sees
 * that the LP over c with a and b fixed does better, and solves again
 * without preprocessing. */
static void test_mip_preprocessing_checked(void **state)
{
    (void)state;
    folio_model *m = general_integers();
    folio_options o = with_solver("cbc");
    o.presolve = 1;
    folio_result r;
    solve_opts(m, &o, &r);
    assert_int_equal(r.status, FOLIO_STATUS_OPTIMAL);
    assert_close(r.objective, 31.5);
    assert_close(r.mip_bound, 31.5);
    assert_close(r.x[2], 2.5);
    check_consistent(m, &r);
    if (!strstr(r.message, "solved again without Cbc's preprocessing"))
        fail_msg("message: %s", r.message);
    folio_result_free(&r);

    /* where preprocessing is right, its answer stands */
    folio_model *k = knapsack();
    unsigned set;
    int unique;
    double best = knapsack_brute_force(&set, &unique);
    solve_opts(k, &o, &r);
    assert_int_equal(r.status, FOLIO_STATUS_OPTIMAL);
    assert_close(r.objective, best);
    assert_string_equal(r.message, folio_status_message(FOLIO_STATUS_OPTIMAL));
    folio_result_free(&r);
    folio_model_free(k);
    folio_model_free(m);

    /* an infeasibility it finds is confirmed without it: same status, no note */
    folio_model *inf = folio_model_new("odd");
    add_col(inf, "x", 0, 10, FOLIO_INTEGER);
    add_row(inf, "odd", 1, (int[]){ 0 }, (double[]){ 2 }, 1, 1);
    solve_opts(inf, &o, &r);
    assert_int_equal(r.status, FOLIO_STATUS_INFEASIBLE);
    assert_string_equal(r.message, folio_status_message(FOLIO_STATUS_INFEASIBLE));
    folio_result_free(&r);
    folio_model_free(inf);
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
    solve_with(m, "cbc", &r);
    assert_int_equal(r.status, FOLIO_STATUS_INFEASIBLE);
    assert_true(r.is_mip);
    assert_false(r.has_solution);
    assert_true(isinf(r.mip_gap));
    folio_result_free(&r);
    folio_model_free(m);
}

/* max x + y, x integer, x - y <= 1: the relaxation is unbounded, which
 * says nothing of integer feasibility; GLPK reports the same. */
static void test_mip_unbounded_relaxation(void **state)
{
    (void)state;
    folio_model *m = folio_model_new("mip_unbounded");
    add_col(m, "x", 0, HUGE_VAL, FOLIO_INTEGER);
    add_col(m, "y", 0, HUGE_VAL, FOLIO_CONTINUOUS);
    add_row(m, "r", 2, (int[]){ 0, 1 }, (double[]){ 1, -1 }, -HUGE_VAL, 1);
    set_linear_objective(m, FOLIO_MAXIMIZE, 0, 2, (int[]){ 0, 1 }, (double[]){ 1, 1 });
    folio_result r;
    solve_with(m, "cbc", &r);
    assert_int_equal(r.status, FOLIO_STATUS_INFEASIBLE_OR_UNBOUNDED);
    assert_false(r.has_solution);
    folio_result_free(&r);
    solve_with(m, "glpk", &r);
    assert_int_equal(r.status, FOLIO_STATUS_INFEASIBLE_OR_UNBOUNDED);
    folio_result_free(&r);
    folio_model_free(m);
}

/* ---- time limits ---------------------------------------------------------- */

/* Market split (Cornuejols and Dawande): MS rows sum_j a_ij x_j = d_i with
 * a_ij in [0, 99] and d_i half the row sum, over MN = 10 (MS - 1) binaries;
 * branch and cut needs far more than a second on these. */
enum { MS = 5, MN = 40 };

static unsigned long long lcg_state;
static long lcg_between(long lo, long hi)
{
    lcg_state = lcg_state * 6364136223846793005ULL + 1442695040888963407ULL;
    return lo + (long)((lcg_state >> 33) % (unsigned long long)(hi - lo + 1));
}

/* hidden != NULL: d_i is the row sum over that subset (so it is feasible) */
static folio_model *market_split(const char *name, int slack, const unsigned char *hidden)
{
    folio_model *m = folio_model_new(name);
    lcg_state = 4242;
    double a[MS][MN];
    for (int i = 0; i < MS; i++)
        for (int j = 0; j < MN; j++) a[i][j] = (double)lcg_between(0, 99);
    int idx[MN + 2];
    for (int j = 0; j < MN; j++) {
        char nm[16];
        snprintf(nm, sizeof nm, "x%d", j);
        idx[j] = (int)add_col(m, nm, 0, 1, FOLIO_BINARY);
    }
    int obj_idx[2 * MS];
    double obj_val[2 * MS];
    for (int i = 0; i < MS; i++) {
        double d = 0, row[MN + 2];
        for (int j = 0; j < MN; j++) {
            row[j] = a[i][j];
            d += hidden ? (hidden[j] ? a[i][j] : 0) : a[i][j];
        }
        if (!hidden) d = floor(d / 2);
        size_t n = MN;
        if (slack) {
            char nm[16];
            snprintf(nm, sizeof nm, "up%d", i);
            idx[MN] = (int)add_col(m, nm, 0, HUGE_VAL, FOLIO_CONTINUOUS);
            snprintf(nm, sizeof nm, "down%d", i);
            idx[MN + 1] = (int)add_col(m, nm, 0, HUGE_VAL, FOLIO_CONTINUOUS);
            row[MN] = 1;
            row[MN + 1] = -1;
            obj_idx[2 * i] = idx[MN];
            obj_idx[2 * i + 1] = idx[MN + 1];
            obj_val[2 * i] = obj_val[2 * i + 1] = 1;
            n = MN + 2;
        }
        char nm[16];
        snprintf(nm, sizeof nm, "split%d", i);
        add_row(m, nm, n, idx, row, d, d);
    }
    set_linear_objective(m, FOLIO_MINIMIZE, 0, slack ? 2 * MS : 0, obj_idx, obj_val);
    return m;
}

static folio_options time_limited(const char *solver)
{
    folio_options o = with_solver(solver);
    o.time_limit = 0.05;
    return o;
}

static void check_timed_out(const folio_result *r)
{
    if (r->status != FOLIO_STATUS_TIME_LIMIT)
        fail_msg("status %s after %.3f s, expected time_limit", folio_status_name(r->status),
                 r->solve_time);
    assert_true(r->is_mip);
    assert_true(r->solve_time >= 0.04);
    assert_true(r->solve_time < 5.0);
    assert_string_equal(r->message, folio_status_message(FOLIO_STATUS_TIME_LIMIT));
}

/* The equality form: no incumbent within the limit, so none is reported. */
static void test_time_limit_without_incumbent(void **state)
{
    (void)state;
    folio_model *m = market_split("split_eq", 0, NULL);
    folio_options o = time_limited("cbc");
    folio_result r;
    solve_opts(m, &o, &r);
    check_timed_out(&r);
    assert_false(r.has_solution);
    assert_true(isinf(r.mip_gap));
    folio_result_free(&r);
    folio_model_free(m);
}

/* With slack columns any x is feasible: an incumbent exists at once, but
 * a positive bound is not proven in 0.05 s. */
static void test_time_limit_with_incumbent(void **state)
{
    (void)state;
    folio_model *m = market_split("split_slack", 1, NULL);
    folio_options o = time_limited("cbc");
    folio_result r;
    solve_opts(m, &o, &r);
    check_timed_out(&r);
    assert_true(r.has_solution);
    check_consistent(m, &r);
    assert_true(r.objective >= 0);
    /* minimising: the bound lies below the incumbent */
    if (!isnan(r.mip_bound)) assert_true(r.mip_bound <= r.objective + 1e-9);
    assert_true(r.mip_gap > 0);
    folio_result_free(&r);
    folio_model_free(m);
}

/* ---- MIP starts ------------------------------------------------------------ */

static void test_mip_start_optimal(void **state)
{
    (void)state;
    folio_model *m = knapsack();
    folio_result first;
    solve_with(m, "glpk", &first);
    assert_int_equal(first.status, FOLIO_STATUS_OPTIMAL);
    const char *solvers[] = { "glpk", "cbc" };
    for (int s = 0; s < 2; s++) {
        folio_options o = with_solver(solvers[s]);
        o.mip_start = first.x;
        folio_result r;
        solve_opts(m, &o, &r);
        assert_int_equal(r.status, FOLIO_STATUS_OPTIMAL);
        assert_close(r.objective, first.objective);
        assert_string_equal(r.message, folio_status_message(FOLIO_STATUS_OPTIMAL));
        for (int j = 0; j < KN; j++) assert_true(r.x[j] == first.x[j]);
        folio_result_free(&r);
    }
    folio_result_free(&first);
    folio_model_free(m);
}

/* A feasible market split with a hidden solution and a zero objective:
 * found in time only from the start; with it, optimal at once. */
static void test_mip_start_makes_feasible(void **state)
{
    (void)state;
    unsigned char hidden[MN];
    double start[MN];
    for (int j = 0; j < MN; j++) {
        hidden[j] = (unsigned char)((j * 7 + 3) % 5 < 2);
        start[j] = hidden[j];
    }
    folio_model *m = market_split("split_hidden", 0, hidden);
    const char *solvers[] = { "glpk", "cbc" };
    for (int s = 0; s < 2; s++) {
        folio_options o = time_limited(solvers[s]);
        o.time_limit = 5;
        o.mip_start = start;
        folio_result r;
        solve_opts(m, &o, &r);
        if (r.status != FOLIO_STATUS_OPTIMAL)
            fail_msg("%s: status %s (%s)", solvers[s], folio_status_name(r.status), r.message);
        assert_true(r.has_solution);
        check_consistent(m, &r);
        assert_true(r.solve_time < 2.0);
        folio_result_free(&r);
    }
    folio_model_free(m);
}

/* Continuous columns left unset (NAN) are completed by an LP with the
 * integer ones fixed. max 3x + 2y, x integer, on x + y <= 4.5, x <= 2.7:
 * x = 2, y = 2.5, objective 11; the start names x only. */
static void test_mip_start_partial(void **state)
{
    (void)state;
    folio_model *m = folio_model_new("partial");
    add_col(m, "x", 0, 10, FOLIO_INTEGER);
    add_col(m, "y", 0, HUGE_VAL, FOLIO_CONTINUOUS);
    int idx[] = { 0, 1 };
    add_row(m, "c1", 2, idx, (double[]){ 1, 1 }, -HUGE_VAL, 4.5);
    add_row(m, "c2", 1, idx, (double[]){ 1 }, -HUGE_VAL, 2.7);
    set_linear_objective(m, FOLIO_MAXIMIZE, 0, 2, idx, (double[]){ 3, 2 });
    double start[] = { 2, NAN };
    const char *solvers[] = { "glpk", "cbc" };
    for (int s = 0; s < 2; s++) {
        folio_options o = with_solver(solvers[s]);
        o.mip_start = start;
        folio_result r;
        solve_opts(m, &o, &r);
        assert_int_equal(r.status, FOLIO_STATUS_OPTIMAL);
        assert_string_equal(r.message, folio_status_message(FOLIO_STATUS_OPTIMAL));
        assert_close(r.objective, 11);
        assert_close(r.x[1], 2.5);
        folio_result_free(&r);
    }
    folio_model_free(m);
}

/* An infeasible start is a hint that fails, not an error: the solve goes on
 * (GLPK says in its message that it did not use it). */
static void test_mip_start_infeasible(void **state)
{
    (void)state;
    folio_model *m = knapsack();
    double start[KN];
    for (int j = 0; j < KN; j++) start[j] = 1;   /* far over capacity */
    unsigned set;
    int unique;
    double best = knapsack_brute_force(&set, &unique);
    const char *solvers[] = { "glpk", "cbc" };
    for (int s = 0; s < 2; s++) {
        folio_options o = with_solver(solvers[s]);
        o.mip_start = start;
        folio_result r;
        solve_opts(m, &o, &r);
        assert_int_equal(r.status, FOLIO_STATUS_OPTIMAL);
        assert_close(r.objective, best);
        if (s == 0) assert_non_null(strstr(r.message, "mip_start not used: no feasible point"));
        folio_result_free(&r);
    }
    /* a value outside a column's bounds */
    start[0] = 3;
    folio_options o = with_solver("glpk");
    o.mip_start = start;
    folio_result r;
    solve_opts(m, &o, &r);
    assert_int_equal(r.status, FOLIO_STATUS_OPTIMAL);
    assert_non_null(strstr(r.message, "3 is outside the bounds of 'take[0]'"));
    folio_result_free(&r);
    /* infinite values are errors */
    start[0] = HUGE_VAL;
    assert_int_equal(folio_solve(m, &o, &r), FOLIO_ERR_INVALID);
    assert_non_null(strstr(folio_model_last_error(m), "mip_start value of 'take[0]' is infinite"));
    folio_model_free(m);
}

/* ---- refusals, dispatch, lower -------------------------------------------- */

static void test_quadratic_and_cone_refused(void **state)
{
    (void)state;
    folio_model *m = lp_mixed();
    int idx[] = { 0, 1 };
    int qi[] = { 0 }, qj[] = { 0 };
    double qv[] = { 1 };
    assert_int_equal(folio_model_set_objective(m, FOLIO_MINIMIZE, 0, 2, idx, (double[]){ 1, 1 },
                                               1, qi, qj, qv), FOLIO_OK);
    folio_options o = with_solver("cbc");
    folio_result r;
    assert_int_equal(folio_solve(m, &o, &r), FOLIO_ERR_UNSUPPORTED);
    assert_string_equal(folio_model_last_error(m),
                        "Cbc solves LP and MIP only: model 'lp_mixed' has 1 quadratic objective "
                        "terms and 0 second-order cones (use solver = \"qp\")");
    assert_null(r.x);
    assert_int_equal(folio_lower(m, "cbc", 0, NULL), FOLIO_ERR_UNSUPPORTED);
    double secs = -1;
    assert_int_equal(folio_lower(m, "cbc", 1, &secs), FOLIO_OK);
    assert_true(secs >= 0);

    size_t start[] = { 0, 1 };
    assert_int_equal(folio_model_add_soc(m, "k", 1, start, (int[]){ 0 }, (double[]){ 1 },
                                         (double[]){ 0 }, 1, (int[]){ 1 }, (double[]){ 1 }, 0), 0);
    assert_int_equal(folio_solve(m, &o, &r), FOLIO_ERR_UNSUPPORTED);
    assert_non_null(strstr(folio_model_last_error(m), "1 second-order cones"));
    folio_model_free(m);
}

static void test_dispatch(void **state)
{
    (void)state;
    const char *const *names = folio_backends();
    int found = 0;
    for (size_t i = 0; names[i]; i++) found |= !strcmp(names[i], "cbc");
    assert_true(found);

    folio_model *m = knapsack();
    folio_options o = with_solver("gurobi");
    folio_result r;
    assert_int_equal(folio_solve(m, &o, &r), FOLIO_ERR_NOT_FOUND);
    assert_string_equal(folio_model_last_error(m), "unknown solver 'gurobi' (available: glpk, qp, cbc)");
    /* the automatic choice for MIPs is GLPK until measured otherwise */
    assert_int_equal(folio_solve(m, NULL, &r), FOLIO_OK);
    assert_string_equal(r.solver, "glpk");
    folio_result_free(&r);
    double secs = -1;
    assert_int_equal(folio_lower(m, "cbc", 0, &secs), FOLIO_OK);
    assert_true(secs >= 0);
    folio_model_free(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lp_closed_form),
        cmocka_unit_test(test_lp_maximise),
        cmocka_unit_test(test_lp_infeasible),
        cmocka_unit_test(test_lp_unbounded),
        cmocka_unit_test(test_lp_without_rows),
        cmocka_unit_test(test_mip_knapsack),
        cmocka_unit_test(test_mip_assignment),
        cmocka_unit_test(test_mip_general_integers),
        cmocka_unit_test(test_mip_preprocessing_checked),
        cmocka_unit_test(test_mip_infeasible),
        cmocka_unit_test(test_mip_unbounded_relaxation),
        cmocka_unit_test(test_time_limit_without_incumbent),
        cmocka_unit_test(test_time_limit_with_incumbent),
        cmocka_unit_test(test_mip_start_optimal),
        cmocka_unit_test(test_mip_start_makes_feasible),
        cmocka_unit_test(test_mip_start_partial),
        cmocka_unit_test(test_mip_start_infeasible),
        cmocka_unit_test(test_quadratic_and_cone_refused),
        cmocka_unit_test(test_dispatch),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
