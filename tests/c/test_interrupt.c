/* Interruption (folio_interrupt, as a SIGINT handler would call it): a
 * second thread sets the flag 0.2 s into work that would run for seconds,
 * and each engine must stop within a second with the interrupted status:
 * GLPK's branch and cut (keeping its incumbent), the QP interior point
 * method and its branch and bound, the CIM flow and the Ising runs. A flag
 * already set stops every backend before it starts; once cleared, solves
 * are normal again. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "folio/cim.h"
#include "folio/folio.h"
#include "model_helpers.h"

#define LATENCY 1.0   /* seconds from folio_interrupt() to the solve returning */

/* ---- the second thread ------------------------------------------------------ */

typedef struct interrupter {
    pthread_t thread;
    double at;   /* when it called folio_interrupt() */
} interrupter;

static void *interrupt_later(void *arg)
{
    interrupter *k = arg;
    struct timespec ts = { 0, 200000000L };
    nanosleep(&ts, NULL);
    k->at = folio_now();
    folio_interrupt();
    return NULL;
}

static void interrupt_in_200ms(interrupter *k)
{
    k->at = 0;
    assert_int_equal(pthread_create(&k->thread, NULL, interrupt_later, k), 0);
}

/* Joins the thread; fails unless the work ended within LATENCY of the flag. */
static void check_stopped_soon(interrupter *k)
{
    double end = folio_now();
    pthread_join(k->thread, NULL);
    assert_true(k->at > 0);
    if (end - k->at > LATENCY) fail_msg("stopped %.3f s after the interrupt", end - k->at);
    assert_true(end >= k->at);   /* it was still working when the flag came */
}

static int clear_flag(void **state)
{
    (void)state;
    folio_interrupt_clear();
    return 0;
}

/* ---- models ------------------------------------------------------------------- */

/* Jeroslow's problem: min y  s.t.  2 (x_1 + ... + x_n) + y = n, n odd, all
 * binary. y = 1 is optimal and found early, but every relaxation with
 * fewer than n/2 variables fixed has y = 0, so proving it takes about
 * 2^(n/2) nodes. */
static folio_model *jeroslow(int n)
{
    folio_model *m = folio_model_new("jeroslow");
    int idx[64];
    double val[64];
    for (int j = 0; j < n; j++) {
        char name[16];
        snprintf(name, sizeof name, "x%d", j);
        idx[j] = (int)add_col(m, name, 0, 1, FOLIO_BINARY);
        val[j] = 2;
    }
    idx[n] = (int)add_col(m, "y", 0, 1, FOLIO_BINARY);
    val[n] = 1;
    add_row(m, "parity", (size_t)n + 1, idx, val, n, n);
    double one = 1;
    set_linear_objective(m, FOLIO_MINIMIZE, 0, 1, &idx[n], &one);
    return m;
}

/* min x'Kx - c'x on the simplex, K the dense Kac-Murdock-Szego matrix
 * 0.9^|i-j|: each interior-point iteration factors an n x n matrix. */
static folio_model *dense_qp(int n)
{
    folio_model *m = folio_model_new("dense_qp");
    int *idx = malloc((size_t)n * sizeof *idx);
    double *one = malloc((size_t)n * sizeof *one), *c = malloc((size_t)n * sizeof *c);
    size_t nq = (size_t)n * ((size_t)n + 1) / 2, k = 0;
    int *qi = malloc(nq * sizeof *qi), *qj = malloc(nq * sizeof *qj);
    double *qv = malloc(nq * sizeof *qv);
    assert_true(idx && one && c && qi && qj && qv);
    for (int j = 0; j < n; j++) {
        char name[16];
        snprintf(name, sizeof name, "w%d", j);
        idx[j] = (int)add_col(m, name, 0, 1, FOLIO_CONTINUOUS);
        one[j] = 1;
        c[j] = -0.01 * (j % 7);
    }
    add_row(m, "budget", (size_t)n, idx, one, 1, 1);
    for (int i = 0; i < n; i++)
        for (int j = i; j < n; j++, k++) {
            qi[k] = i;
            qj[k] = j;
            qv[k] = (i == j ? 1.0 : 2.0) * pow(0.9, j - i);
        }
    if (folio_model_set_objective(m, FOLIO_MINIMIZE, 0, (size_t)n, idx, c, nq, qi, qj, qv) != FOLIO_OK)
        fail_msg("set_objective: %s", folio_model_last_error(m));
    free(idx); free(one); free(c); free(qi); free(qj); free(qv);
    return m;
}

static folio_result solve_with(folio_model *m, const char *solver, double time_limit)
{
    folio_options o;
    folio_options_default(&o);
    o.solver = solver;
    o.time_limit = time_limit;
    folio_result r;
    if (folio_solve(m, &o, &r) != FOLIO_OK) fail_msg("folio_solve: %s", folio_model_last_error(m));
    return r;
}

/* ---- tests ------------------------------------------------------------------- */

static void test_status_name_and_message(void **state)
{
    (void)state;
    /* added at the end: the other statuses keep their numbers */
    assert_int_equal(FOLIO_STATUS_INTERRUPTED, FOLIO_STATUS_NUMERICAL_ERROR + 1);
    assert_string_equal(folio_status_name(FOLIO_STATUS_INTERRUPTED), "interrupted");
    assert_string_equal(folio_status_message(FOLIO_STATUS_INTERRUPTED), "interrupted by the user");
    assert_int_equal(FOLIO_CIM_INTERRUPTED, FOLIO_CIM_INVALID + 1);
    assert_false(folio_interrupted());
    folio_interrupt();
    folio_interrupt();
    assert_true(folio_interrupted());
    folio_interrupt_clear();
    assert_false(folio_interrupted());
}

static void test_glpk_branch_and_cut_keeps_its_incumbent(void **state)
{
    (void)state;
    folio_model *m = jeroslow(41);
    interrupter k;
    interrupt_in_200ms(&k);
    folio_result r = solve_with(m, "glpk", 30);
    check_stopped_soon(&k);
    if (r.status != FOLIO_STATUS_INTERRUPTED) fail_msg("status %s", folio_status_name(r.status));
    assert_string_equal(r.message, "interrupted by the user");
    assert_true(r.nodes > 1);
    /* y = 1 is found within the first few hundred nodes */
    assert_true(r.has_solution);
    assert_true(r.objective == 1);
    assert_true(r.mip_bound < 0.5 && r.mip_gap > 0);
    folio_result_free(&r);

    /* cleared: the next solve is normal (a small instance, solved to the end) */
    folio_interrupt_clear();
    folio_model *small = jeroslow(7);
    r = solve_with(small, "glpk", 30);
    assert_int_equal(r.status, FOLIO_STATUS_OPTIMAL);
    assert_true(r.objective == 1);
    folio_result_free(&r);
    folio_model_free(small);
    folio_model_free(m);
}

/* A flag already set stops every backend before any work. */
static void test_flag_set_before_the_solve(void **state)
{
    (void)state;
    folio_model *m = jeroslow(7);
    const char *solvers[] = { "glpk", "cbc", "qp" };
    folio_interrupt();
    for (size_t i = 0; i < 3; i++) {
        double t0 = folio_now();
        folio_result r = solve_with(m, solvers[i], 0);
        assert_true(folio_now() - t0 < 0.5);
        assert_int_equal(r.status, FOLIO_STATUS_INTERRUPTED);
        assert_string_equal(r.solver, solvers[i]);
        assert_false(r.has_solution);
        assert_true(r.is_mip);
        assert_non_null(r.x);   /* the arrays exist, as after any solve */
        assert_int_equal(r.ncols, folio_model_ncols(m));
        assert_non_null(strstr(r.message, "before the solve started"));
        folio_result_free(&r);
    }
    assert_true(folio_interrupted());   /* it stays set until cleared */
    folio_interrupt_clear();
    for (size_t i = 0; i < 3; i++) {
        folio_result r = solve_with(m, solvers[i], 0);
        if (r.status != FOLIO_STATUS_OPTIMAL) fail_msg("%s: %s", solvers[i], folio_status_name(r.status));
        assert_true(fabs(r.objective - 1) < 1e-6);
        folio_result_free(&r);
    }
    folio_model_free(m);
}

static void test_qp_interior_point(void **state)
{
    (void)state;
    folio_model *m = dense_qp(2000);   /* 1.4 s to solve on one core; an iteration is 0.1 s */
    interrupter k;
    interrupt_in_200ms(&k);
    folio_result r = solve_with(m, "qp", 0);
    check_stopped_soon(&k);
    if (r.status != FOLIO_STATUS_INTERRUPTED) fail_msg("status %s: %s", folio_status_name(r.status), r.message);
    assert_false(r.has_solution);
    assert_non_null(strstr(r.message, "interrupted by the user after"));
    folio_result_free(&r);

    folio_interrupt_clear();
    folio_model *small = dense_qp(20);
    r = solve_with(small, "qp", 0);
    assert_int_equal(r.status, FOLIO_STATUS_OPTIMAL);
    folio_result_free(&r);
    folio_model_free(small);
    folio_model_free(m);
}

static void test_qp_branch_and_bound(void **state)
{
    (void)state;
    folio_model *m = jeroslow(25);   /* every node is an interior-point solve */
    interrupter k;
    interrupt_in_200ms(&k);
    folio_result r = solve_with(m, "qp", 30);
    check_stopped_soon(&k);
    if (r.status != FOLIO_STATUS_INTERRUPTED) fail_msg("status %s: %s", folio_status_name(r.status), r.message);
    assert_true(r.nodes > 1);
    assert_true(r.is_mip);
    if (r.has_solution) {
        assert_true(fabs(r.objective - 1) < 1e-6);
        assert_non_null(strstr(r.message, "(interrupted by the user)"));
    } else {
        assert_true(isinf(r.mip_gap));
        assert_non_null(strstr(r.message, "no integer solution before the interruption"));
    }
    folio_result_free(&r);
    folio_model_free(m);
}

/* A stiff flow under an explicit integrator: steps of about 3e-6 towards
 * t_max = 1e6, and a gradient tolerance it cannot reach. */
static void test_cim_flow(void **state)
{
    (void)state;
    enum { N = 20 };
    double mu[N], theta[N * N] = { 0 };
    for (int i = 0; i < N; i++) {
        mu[i] = 0.01 * (i % 5);
        theta[i * N + i] = pow(10.0, 6.0 * i / (N - 1));
    }
    folio_cim_problem p;
    memset(&p, 0, sizeof p);
    p.n = N;
    p.mu = mu;
    p.theta = theta;
    p.gamma = 1;
    folio_cim_options o;
    folio_cim_default_options(&o);
    o.integrator = FOLIO_CIM_ERK_DP5;
    o.t_max = 1e6;
    o.max_steps = 0;
    o.grad_tol = 1e-300;
    o.samples = 0;
    folio_cim_result r;
    interrupter k;
    interrupt_in_200ms(&k);
    folio_cim_status st = folio_cim_solve(&p, &o, &r);
    check_stopped_soon(&k);
    if (st != FOLIO_CIM_INTERRUPTED) fail_msg("status %d: %s", (int)st, r.message);
    assert_int_equal(r.status, FOLIO_CIM_INTERRUPTED);
    assert_non_null(strstr(r.message, "interrupted by the user at t = "));
    assert_true(r.t_end > 0 && r.t_end < o.t_max);
    assert_true(r.steps > 0);
    for (int i = 0; i < N; i++) assert_true(isfinite(r.w[i]));
    folio_cim_result_free(&r);

    folio_interrupt_clear();
    o.integrator = FOLIO_CIM_CVODE_BDF;
    o.grad_tol = 1e-8;
    assert_int_equal(folio_cim_solve(&p, &o, &r), FOLIO_CIM_CONVERGED);
    folio_cim_result_free(&r);
}

static void test_ising_runs(void **state)
{
    (void)state;
    enum { N = 12 };
    double J[N * N];
    for (int i = 0; i < N; i++)
        for (int j = 0; j < N; j++) J[i * N + j] = i == j ? 0 : ((i * 7 + j * 7) % 5) - 2.0;
    folio_ising_problem p = { N, J, NULL };
    const folio_ising_path paths[] = { FOLIO_ISING_EULER, FOLIO_ISING_SUNDIALS };
    for (size_t q = 0; q < 2; q++) {
        folio_ising_options o;
        folio_ising_default_options(FOLIO_ISING_CIM_AHC, &o);
        o.path = paths[q];
        o.runs = 1000000;
        folio_ising_result r;
        interrupter k;
        interrupt_in_200ms(&k);
        int rc = folio_ising_solve(&p, &o, &r);
        check_stopped_soon(&k);
        assert_int_equal(rc, FOLIO_ISING_INTERRUPTED);
        assert_int_equal(r.status, FOLIO_ISING_INTERRUPTED);
        assert_non_null(strstr(r.message, "interrupted by the user in run "));
        assert_null(r.best_spins);   /* no half result */
        folio_ising_result_free(&r);
        folio_interrupt_clear();
        o.runs = 2;
        assert_int_equal(folio_ising_solve(&p, &o, &r), 0);
        folio_ising_result_free(&r);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_status_name_and_message, clear_flag, clear_flag),
        cmocka_unit_test_setup_teardown(test_glpk_branch_and_cut_keeps_its_incumbent, clear_flag, clear_flag),
        cmocka_unit_test_setup_teardown(test_flag_set_before_the_solve, clear_flag, clear_flag),
        cmocka_unit_test_setup_teardown(test_qp_interior_point, clear_flag, clear_flag),
        cmocka_unit_test_setup_teardown(test_qp_branch_and_bound, clear_flag, clear_flag),
        cmocka_unit_test_setup_teardown(test_cim_flow, clear_flag, clear_flag),
        cmocka_unit_test_setup_teardown(test_ising_runs, clear_flag, clear_flag),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
