/* The backend contract in folio_solve and folio_lower: the caps table, the
 * automatic choice, refusals made by caps before any backend runs (the
 * exact message, and refused exactly when the caps say so), unknown
 * solvers, bad options, status and error names. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include "folio/folio.h"
#include "model_helpers.h"
#include "backend_models.h"

static folio_options with_solver(const char *solver)
{
    folio_options o;
    folio_options_default(&o);
    o.solver = solver;
    return o;
}

/* ---- models, one per thing a model can need ------------------------------- */

enum { NEED_LP, NEED_MIP, NEED_QP, NEED_SOC, NEED_QROW, NEED_MIQP, NNEEDS };
static const unsigned need_caps[NNEEDS] = {
    FOLIO_CAP_LP, FOLIO_CAP_LP | FOLIO_CAP_MIP, FOLIO_CAP_LP | FOLIO_CAP_QP, FOLIO_CAP_LP | FOLIO_CAP_SOC,
    FOLIO_CAP_LP | FOLIO_CAP_SOC, FOLIO_CAP_LP | FOLIO_CAP_MIP | FOLIO_CAP_QP
};

/* max 3x + 2y - x^2 on lp_max's rows: concave, so the QP engine solves it */
static void set_concave_objective(folio_model *m)
{
    int idx[] = { 0, 1 }, q[] = { 0 };
    if (folio_model_set_objective(m, FOLIO_MAXIMIZE, 0, 2, idx, (double[]){ 3, 2 }, 1, q, q, (double[]){ -1 }))
        fail_msg("set_objective: %s", folio_model_last_error(m));
}

/* x^2 + y^2 <= 8 on lp_max */
static void add_disk(folio_model *m)
{
    if (folio_model_add_quad_row(m, "disk", 0, NULL, NULL, 2, (int[]){ 0, 1 }, (int[]){ 0, 1 },
                                 (double[]){ 1, 1 }, -HUGE_VAL, 8) < 0)
        fail_msg("add_quad_row: %s", folio_model_last_error(m));
}

static folio_model *model_needing(int need)
{
    if (need == NEED_MIP) return knapsack();
    folio_model *m = lp_max();
    if (need == NEED_QP || need == NEED_MIQP) set_concave_objective(m);
    if (need == NEED_SOC) add_cone(m);
    if (need == NEED_QROW) add_disk(m);
    if (need == NEED_MIQP) add_col(m, "n", 0, 3, FOLIO_INTEGER);
    return m;
}

/* ---- the caps table ----------------------------------------------------------- */

static void test_caps_table(void **state)
{
    (void)state;
    const char *const *names = folio_backends();
    assert_string_equal(names[0], "glpk");
    assert_string_equal(names[1], "qp");
    assert_string_equal(names[2], "cbc");
    assert_string_equal(names[3], "clp");
    assert_null(names[4]);
    assert_int_equal(folio_backend_caps("glpk"), FOLIO_CAP_LP | FOLIO_CAP_MIP | FOLIO_CAP_DUALS |
                                                     FOLIO_CAP_RANGES | FOLIO_CAP_MIP_START);
    assert_int_equal(folio_backend_caps("qp"), FOLIO_CAP_LP | FOLIO_CAP_MIP | FOLIO_CAP_QP | FOLIO_CAP_SOC |
                                                   FOLIO_CAP_DUALS | FOLIO_CAP_MIP_START);
    assert_int_equal(folio_backend_caps("cbc"), FOLIO_CAP_LP | FOLIO_CAP_MIP | FOLIO_CAP_MIP_START);
    assert_int_equal(folio_backend_caps("clp"), FOLIO_CAP_LP | FOLIO_CAP_DUALS | FOLIO_CAP_RANGES);
    assert_int_equal(folio_backend_caps("cplex"), 0);
    assert_int_equal(folio_backend_caps(NULL), 0);

    static const struct { unsigned cap; const char *name; } bits[] = {
        { FOLIO_CAP_LP, "LP" }, { FOLIO_CAP_MIP, "MIP" }, { FOLIO_CAP_QP, "QP" }, { FOLIO_CAP_SOC, "SOC" },
        { FOLIO_CAP_DUALS, "duals" }, { FOLIO_CAP_RANGES, "ranges" }, { FOLIO_CAP_MIP_START, "mip_start" }
    };
    for (size_t i = 0; i < sizeof bits / sizeof *bits; i++)
        assert_string_equal(folio_cap_name(bits[i].cap), bits[i].name);
    assert_null(folio_cap_name(0));
    assert_null(folio_cap_name(FOLIO_CAP_LP | FOLIO_CAP_MIP));
}

/* ---- refusals ------------------------------------------------------------------ */

/* solver refuses m with exactly want, before anything was allocated, and
 * folio_lower refuses it the same way unless told to skip what it lacks. */
static void check_refused(folio_model *m, const char *solver, const char *want)
{
    folio_options o = with_solver(solver);
    folio_result r;
    assert_int_equal(folio_solve(m, &o, &r), FOLIO_ERR_UNSUPPORTED);
    assert_string_equal(folio_model_last_error(m), want);
    assert_null(r.x); /* nothing to free */
    assert_false(r.has_solution);
    assert_int_equal(folio_lower(m, solver, 0, NULL), FOLIO_ERR_UNSUPPORTED);
    assert_string_equal(folio_model_last_error(m), want);
}

static void test_refusal_messages(void **state)
{
    (void)state;
    folio_model *m = model_needing(NEED_QP);
    check_refused(m, "glpk", "solver 'glpk' cannot solve this model: it has quadratic objective terms "
                             "(glpk handles LP, MIP; backends that can: qp)");
    folio_model_free(m);

    m = model_needing(NEED_SOC);
    check_refused(m, "cbc", "solver 'cbc' cannot solve this model: it has second-order cones "
                            "(cbc handles LP, MIP; backends that can: qp)");
    folio_model_free(m);

    /* a quadratic constraint is a row plus a cone, and named as what it is */
    m = model_needing(NEED_QROW);
    check_refused(m, "glpk", "solver 'glpk' cannot solve this model: it has quadratic constraints "
                             "(glpk handles LP, MIP; backends that can: qp)");
    add_cone(m);
    set_concave_objective(m);
    check_refused(m, "cbc", "solver 'cbc' cannot solve this model: it has quadratic objective terms, "
                            "quadratic constraints and second-order cones (cbc handles LP, MIP; "
                            "backends that can: qp)");
    /* told to skip them, GLPK and Cbc load the linear part */
    double secs = -1;
    assert_int_equal(folio_lower(m, "glpk", 1, &secs), FOLIO_OK);
    assert_true(secs >= 0);
    assert_int_equal(folio_lower(m, "cbc", 1, NULL), FOLIO_OK);
    assert_int_equal(folio_lower(m, NULL, 1, NULL), FOLIO_OK);
    folio_model_free(m);
}

/* Every backend refuses a model exactly when its caps lack what the model
 * needs, and solves it to optimality otherwise. */
static void test_refused_exactly_by_caps(void **state)
{
    (void)state;
    const char *const *names = folio_backends();
    for (size_t b = 0; names[b]; b++)
        for (int need = 0; need < NNEEDS; need++) {
            unsigned caps = folio_backend_caps(names[b]);
            int able = (caps & need_caps[need]) == need_caps[need];
            folio_model *m = model_needing(need);
            folio_options o = with_solver(names[b]);
            folio_result r;
            folio_error e = folio_solve(m, &o, &r);
            if (able && (e != FOLIO_OK || r.status != FOLIO_STATUS_OPTIMAL))
                fail_msg("%s, model %d: error %d, status %s (%s)", names[b], need, (int)e,
                         e ? "-" : folio_status_name(r.status), e ? folio_model_last_error(m) : r.message);
            if (!able && e != FOLIO_ERR_UNSUPPORTED)
                fail_msg("%s, model %d: not refused (error %d)", names[b], need, (int)e);
            if (!able)
                assert_non_null(strstr(folio_model_last_error(m),
                                       need_caps[need] & (FOLIO_CAP_QP | FOLIO_CAP_SOC)
                                           ? "backends that can: qp)" : "backends that can: glpk, qp, cbc)"));
            if (e == FOLIO_OK) folio_result_free(&r);
            folio_model_free(m);
        }
}

/* The error code does not depend on what the model is called. */
static void test_refusal_code_independent_of_model_name(void **state)
{
    (void)state;
    folio_model *m = folio_model_new("unknown solver");
    add_col(m, "x", 0, 1, FOLIO_CONTINUOUS);
    add_col(m, "t", 0, 1, FOLIO_CONTINUOUS);
    add_cone(m);
    folio_options o = with_solver("glpk");
    folio_result r;
    folio_error e = folio_solve(m, &o, &r);
    folio_model_free(m);
    assert_int_equal(e, FOLIO_ERR_UNSUPPORTED);
}

/* ---- the automatic choice -------------------------------------------------------- */

/* GLPK for LPs and MIPs, the QP engine for quadratic terms, cones and
 * quadratic constraints: the first backend in the table that can. */
static void test_automatic_choice(void **state)
{
    (void)state;
    static const char *const chosen[NNEEDS] = { "glpk", "glpk", "qp", "qp", "qp", "qp" };
    const char *spellings[] = { NULL, "", "auto" };
    for (int need = 0; need < NNEEDS; need++)
        for (size_t s = 0; s < 3; s++) {
            folio_model *m = model_needing(need);
            folio_options o = with_solver(spellings[s]);
            folio_result r;
            if (folio_solve(m, &o, &r) != FOLIO_OK) fail_msg("model %d: %s", need, folio_model_last_error(m));
            assert_string_equal(r.solver, chosen[need]);
            assert_int_equal(r.status, FOLIO_STATUS_OPTIMAL);
            folio_result_free(&r);
            /* folio_lower chooses the same way */
            assert_int_equal(folio_lower(m, spellings[s], 0, NULL), FOLIO_OK);
            folio_model_free(m);
        }

    /* NULL options mean the defaults */
    folio_model *m = lp_max();
    folio_result r;
    if (folio_solve(m, NULL, &r) != FOLIO_OK) fail_msg("%s", folio_model_last_error(m));
    assert_string_equal(r.solver, "glpk");
    check_lp_max(&r, folio_backend_caps("glpk"), 1e-9);
    folio_result_free(&r);
    folio_model_free(m);
}

/* An n x n transportation LP (supply rows <= , demand rows >=), with
 * costs from a fixed formula: 2n rows, n^2 columns, 2n^2 nonzeros. */
static folio_model *transport(int n, int integer)
{
    folio_model *m = folio_model_new("transport");
    char name[48];
    int *idx = malloc((size_t)n * sizeof *idx);
    double *one = malloc((size_t)n * sizeof *one), *cost = malloc((size_t)n * (size_t)n * sizeof *cost);
    int *all = malloc((size_t)n * (size_t)n * sizeof *all);
    for (int i = 0; i < n; i++)
        for (int j = 0; j < n; j++) {
            snprintf(name, sizeof name, "x[%d,%d]", i, j);
            add_col(m, name, 0, HUGE_VAL, integer ? FOLIO_INTEGER : FOLIO_CONTINUOUS);
            cost[i * n + j] = 1 + (i * 37 + j * 91) % 53;
            all[i * n + j] = i * n + j;
        }
    for (int k = 0; k < n; k++) one[k] = 1;
    for (int i = 0; i < n; i++) {
        for (int j = 0; j < n; j++) idx[j] = i * n + j;
        snprintf(name, sizeof name, "supply[%d]", i);
        add_row(m, name, (size_t)n, idx, one, -HUGE_VAL, 30 + i % 7);
    }
    for (int j = 0; j < n; j++) {
        for (int i = 0; i < n; i++) idx[i] = i * n + j;
        snprintf(name, sizeof name, "demand[%d]", j);
        add_row(m, name, (size_t)n, idx, one, 20 + j % 11, HUGE_VAL);
    }
    set_linear_objective(m, FOLIO_MINIMIZE, 0, (size_t)n * (size_t)n, all, cost);
    free(idx); free(one); free(cost); free(all);
    return m;
}

/* A chain of n columns, x[k] + x[k+1] >= 1 + k % 3: rows of two terms. */
static folio_model *chain(int n)
{
    folio_model *m = folio_model_new("chain");
    char name[32];
    for (int k = 0; k < n; k++) {
        snprintf(name, sizeof name, "x[%d]", k);
        add_col(m, name, 0, 10, FOLIO_CONTINUOUS);
    }
    for (int k = 0; k + 1 < n; k++) {
        snprintf(name, sizeof name, "c[%d]", k);
        add_row(m, name, 2, (int[]){ k, k + 1 }, (double[]){ 1, 1 }, 1 + k % 3, HUGE_VAL);
    }
    int *all = malloc((size_t)n * sizeof *all);
    double *c = malloc((size_t)n * sizeof *c);
    for (int k = 0; k < n; k++) { all[k] = k; c[k] = 1 + k % 5; }
    set_linear_objective(m, FOLIO_MINIMIZE, 0, (size_t)n, all, c);
    free(all); free(c);
    return m;
}

static folio_result solve_with(folio_model *m, const char *solver, int ranges)
{
    folio_options o = with_solver(solver);
    o.ranges = ranges;
    folio_result r;
    if (folio_solve(m, &o, &r) != FOLIO_OK) fail_msg("%s: %s", solver ? solver : "auto", folio_model_last_error(m));
    return r;
}

/* The automatic choice for LPs (docs/dsl.md): Clp for a model of 5,000
 * nonzeros or more whose rows average 10 or more and whose columns average
 * fewer than 10, GLPK for the rest; its
 * answer, duals and ranges are GLPK's (primal simplex, no presolve: the
 * path folio took before the choice existed), within 1e-7. */
static void test_automatic_lp_rule(void **state)
{
    (void)state;
    folio_model *big = transport(60, 0);     /* 120 rows, 7,200 nonzeros: Clp */
    folio_result a = solve_with(big, NULL, 1);
    assert_string_equal(a.solver, "clp");
    assert_int_equal(a.status, FOLIO_STATUS_OPTIMAL);
    folio_options o = with_solver("glpk");
    o.method = FOLIO_LP_SIMPLEX;
    o.presolve = 0;
    o.ranges = 1;
    folio_result g;
    if (folio_solve(big, &o, &g) != FOLIO_OK) fail_msg("%s", folio_model_last_error(big));
    assert_int_equal(g.status, FOLIO_STATUS_OPTIMAL);
    assert_true(fabs(a.objective - g.objective) <= 1e-7 * (1 + fabs(g.objective)));
    /* a transportation LP is degenerate: duals and ranges may differ
     * between optimal bases, but each basis's duals price the objective */
    for (int which = 0; which < 2; which++) {
        const folio_result *r = which ? &g : &a;
        assert_true(r->has_duals);
        assert_true(r->has_ranges);
        double dual_obj = 0;
        for (int i = 0; i < 60; i++) dual_obj += r->row_dual[i] * (30 + i % 7) + r->row_dual[60 + i] * (20 + i % 11);
        assert_true(fabs(dual_obj - g.objective) <= 1e-7 * (1 + fabs(g.objective)));
        for (size_t j = 0; j < r->ncols; j++) {
            assert_true(r->obj_lo[j] <= r->obj_hi[j]);
            assert_true(r->reduced_cost[j] >= -1e-9);   /* minimising: reduced costs >= 0 */
        }
    }
    folio_result_free(&a);
    folio_result_free(&g);
    folio_model_free(big);

    folio_model *small = transport(40, 0);   /* 3,200 nonzeros: GLPK */
    a = solve_with(small, NULL, 0);
    assert_string_equal(a.solver, "glpk");
    folio_result_free(&a);
    folio_model_free(small);

    folio_model *shortrows = chain(6000);    /* 11,998 nonzeros in rows of 2: GLPK */
    a = solve_with(shortrows, "auto", 0);
    assert_string_equal(a.solver, "glpk");
    assert_int_equal(a.status, FOLIO_STATUS_OPTIMAL);
    g = solve_with(shortrows, "clp", 0);
    assert_true(fabs(a.objective - g.objective) <= 1e-7 * (1 + fabs(g.objective)));
    folio_result_free(&a);
    folio_result_free(&g);
    folio_model_free(shortrows);

    folio_model *mip = transport(60, 1);     /* integer columns: GLPK, as every MIP */
    a = solve_with(mip, NULL, 0);
    assert_string_equal(a.solver, "glpk");
    folio_result_free(&a);
    folio_model_free(mip);
}

/* Every LP path gives lp_max's ranges, worked out by hand: x = 6 - b1,
 * y = 2 b1 - 6 keep x, y >= 0 and r3 for b1 in [3, 6]; x = b2 - 4,
 * y = 8 - b2 for b2 in [4, 8]; r3 is slack at activity 0; the basis
 * stays optimal for c_x / c_y in [1, 2]: c_x in [2, 4], c_y in [1.5, 3]. */
static void test_ranges_on_every_lp_path(void **state)
{
    (void)state;
    static const struct { const char *solver; folio_lp_method method; int presolve; } paths[] = {
        { "glpk", FOLIO_LP_AUTO, -1 },        /* presolve, dual simplex, warm primal for the basis */
        { "glpk", FOLIO_LP_SIMPLEX, 0 },      /* the old default */
        { "glpk", FOLIO_LP_DUAL_SIMPLEX, 1 },
        { "clp", FOLIO_LP_AUTO, -1 },         /* ranges from GLPK at Clp's basis */
        { "clp", FOLIO_LP_SIMPLEX, 0 },
    };
    const double obj_lo[] = { 2, 1.5 }, obj_hi[] = { 4, 3 };
    const double rhs_lo[] = { 3, 4, 0 }, rhs_hi[] = { 6, 8, HUGE_VAL };
    for (size_t p = 0; p < sizeof paths / sizeof *paths; p++) {
        folio_model *m = lp_max();
        folio_options o = with_solver(paths[p].solver);
        o.method = paths[p].method;
        o.presolve = paths[p].presolve;
        o.ranges = 1;
        folio_result r;
        if (folio_solve(m, &o, &r) != FOLIO_OK) fail_msg("%s: %s", paths[p].solver, folio_model_last_error(m));
        check_lp_max(&r, folio_backend_caps(paths[p].solver), 1e-9);
        if (!r.has_ranges) fail_msg("path %zu (%s): no ranges (%s)", p, paths[p].solver, r.message);
        for (int j = 0; j < 2; j++)
            if (fabs(r.obj_lo[j] - obj_lo[j]) > 1e-9 || fabs(r.obj_hi[j] - obj_hi[j]) > 1e-9)
                fail_msg("path %zu (%s): column %d ranges [%g, %g], expected [%g, %g]", p, paths[p].solver, j,
                         r.obj_lo[j], r.obj_hi[j], obj_lo[j], obj_hi[j]);
        for (int i = 0; i < 3; i++)
            if (fabs(r.rhs_lo[i] - rhs_lo[i]) > 1e-9 ||
                (isinf(rhs_hi[i]) ? !isinf(r.rhs_hi[i]) : fabs(r.rhs_hi[i] - rhs_hi[i]) > 1e-9))
                fail_msg("path %zu (%s): row %d ranges [%g, %g], expected [%g, %g]", p, paths[p].solver, i,
                         r.rhs_lo[i], r.rhs_hi[i], rhs_lo[i], rhs_hi[i]);
        folio_result_free(&r);
        folio_model_free(m);
    }
}

/* An iteration limit stops both LP backends' default paths honestly. */
static void test_lp_iteration_limit(void **state)
{
    (void)state;
    const char *solvers[] = { "glpk", "clp" };
    for (size_t s = 0; s < 2; s++) {
        folio_model *m = transport(60, 0);
        folio_options o = with_solver(solvers[s]);
        o.iteration_limit = 3;
        folio_result r;
        if (folio_solve(m, &o, &r) != FOLIO_OK) fail_msg("%s: %s", solvers[s], folio_model_last_error(m));
        if (r.status != FOLIO_STATUS_ITERATION_LIMIT)
            fail_msg("%s: status %s (%s)", solvers[s], folio_status_name(r.status), r.message);
        assert_false(r.has_duals);
        folio_result_free(&r);
        folio_model_free(m);
    }
}

/* The QP engine, chosen for 3x + 2y - xy, finds it is not concave (its
 * Hessian has eigenvalues -1 and 1): INVALID, not UNSUPPORTED. */
static void test_automatic_choice_checks_convexity(void **state)
{
    (void)state;
    folio_model *m = lp_max();
    assert_int_equal(folio_model_set_objective(m, FOLIO_MAXIMIZE, 0, 2, (int[]){ 0, 1 }, (double[]){ 3, 2 }, 1,
                                               (int[]){ 0 }, (int[]){ 1 }, (double[]){ -1 }),
                     FOLIO_OK);
    const char *spellings[] = { NULL, "auto" };
    for (size_t s = 0; s < 2; s++) {
        folio_options o = with_solver(spellings[s]);
        folio_result r;
        assert_int_equal(folio_solve(m, &o, &r), FOLIO_ERR_INVALID);
        assert_non_null(strstr(folio_model_last_error(m), "not concave (largest eigenvalue of its Hessian is 1)"));
        assert_null(r.x);
    }
    folio_model_free(m);
}

/* ---- names and options ---------------------------------------------------------- */

static void test_unknown_solver(void **state)
{
    (void)state;
    folio_model *m = knapsack();
    const char *names[] = { "cplex", "gurobi" };
    for (size_t i = 0; i < 2; i++) {
        folio_options o = with_solver(names[i]);
        folio_result r;
        char want[96];
        snprintf(want, sizeof want, "unknown solver '%s' (available: glpk, qp, cbc, clp)", names[i]);
        assert_int_equal(folio_solve(m, &o, &r), FOLIO_ERR_NOT_FOUND);
        assert_string_equal(folio_model_last_error(m), want);
        assert_null(r.x);
        assert_int_equal(folio_lower(m, names[i], 1, NULL), FOLIO_ERR_NOT_FOUND);
        assert_string_equal(folio_model_last_error(m), want);
    }
    folio_model_free(m);
}

static void test_lower_every_backend(void **state)
{
    (void)state;
    folio_model *m = lp_max();
    const char *const *names = folio_backends();
    for (size_t b = 0; names[b]; b++) {
        double secs = -1;
        assert_int_equal(folio_lower(m, names[b], 0, &secs), FOLIO_OK);
        assert_true(secs >= 0);
    }
    folio_model_free(m);
}

static void test_invalid_options(void **state)
{
    (void)state;
    folio_model *m = knapsack();
    folio_options o = with_solver(NULL);
    o.time_limit = NAN;
    folio_result r;
    assert_int_equal(folio_solve(m, &o, &r), FOLIO_ERR_INVALID);
    assert_string_equal(folio_model_last_error(m), "solve options: time_limit and mip_gap must be numbers");

    double start[KN];
    for (int j = 0; j < KN; j++) start[j] = NAN;
    start[0] = HUGE_VAL;
    o = with_solver("cbc");
    o.mip_start = start;
    assert_int_equal(folio_solve(m, &o, &r), FOLIO_ERR_INVALID);
    assert_string_equal(folio_model_last_error(m),
                        "solve options: mip_start value of 'take[0]' is infinite (NAN leaves a column unset)");
    folio_model_free(m);
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
        cmocka_unit_test(test_caps_table),
        cmocka_unit_test(test_refusal_messages),
        cmocka_unit_test(test_refused_exactly_by_caps),
        cmocka_unit_test(test_refusal_code_independent_of_model_name),
        cmocka_unit_test(test_automatic_choice),
        cmocka_unit_test(test_automatic_choice_checks_convexity),
        cmocka_unit_test(test_automatic_lp_rule),
        cmocka_unit_test(test_ranges_on_every_lp_path),
        cmocka_unit_test(test_lp_iteration_limit),
        cmocka_unit_test(test_unknown_solver),
        cmocka_unit_test(test_lower_every_backend),
        cmocka_unit_test(test_invalid_options),
        cmocka_unit_test(test_status_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
