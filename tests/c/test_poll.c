/* folio_poll (folio.h): the budget a host
 * installs beside folio_interrupt(), as the Lua sandbox does for its
 * budget. A check that says stop 0.2 s into work that would run for
 * minutes must end, within a second, subset and spin enumeration, the
 * Ising runs, the CIM flow, the QP interior point (as a time limit), its
 * branch and bound, GLPK's and Cbc's (each as a time limit); a check that never says stop
 * changes no answer; Ctrl-C still reads as an interruption, not as the
 * budget; a state closing removes only its own check. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "folio/cim.h"
#include "folio/folio.h"
#include "model_helpers.h"

#define LATENCY 1.0   /* seconds from the check saying stop to the work returning */

/* ---- the check: stop once the deadline has passed ---------------------------- */

typedef struct deadline {
    double at;     /* folio_now() after which the check says stop */
    long calls;
} deadline;

static double past(void *ud)
{
    deadline *d = ud;
    d->calls++;
    return d->at - folio_now();
}

static deadline dl;

static void stop_in_200ms(void)
{
    dl.at = folio_now() + 0.2;
    dl.calls = 0;
    folio_poll_install(past, &dl);
}

/* Fails unless the work ended within LATENCY of the deadline, after it. */
static void check_stopped_soon(void)
{
    double end = folio_now();
    assert_true(dl.calls > 0);
    if (end - dl.at > LATENCY) fail_msg("stopped %.3f s after the deadline", end - dl.at);
    assert_true(end >= dl.at);
}

static int reset(void **state)
{
    (void)state;
    folio_poll_install(NULL, NULL);
    folio_interrupt_clear();
    return 0;
}

/* ---- models ------------------------------------------------------------------- */

/* Jeroslow's problem (min y, 2 sum x + y = n, n odd, binary): about
 * 2^(n/2) nodes to prove y = 1, each an interior-point solve for "qp". */
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

/* min x'Kx - c'x on the simplex, K = 0.9^|i-j| dense: an interior-point
 * iteration factors an n x n matrix */
static folio_model *dense_qp(int n)
{
    folio_model *m = folio_model_new("dense_qp");
    size_t nq = (size_t)n * ((size_t)n + 1) / 2, k = 0;
    int *idx = malloc((size_t)n * sizeof *idx), *qi = malloc(nq * sizeof *qi), *qj = malloc(nq * sizeof *qj);
    double *one = malloc((size_t)n * sizeof *one), *c = malloc((size_t)n * sizeof *c), *qv = malloc(nq * sizeof *qv);
    assert_true(idx && qi && qj && one && c && qv);
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
    free(idx); free(qi); free(qj); free(one); free(c); free(qv);
    return m;
}

static folio_result solve_qp(folio_model *m)
{
    folio_options o;
    folio_options_default(&o);
    o.solver = "qp";
    folio_result r;
    if (folio_solve(m, &o, &r) != FOLIO_OK) fail_msg("folio_solve: %s", folio_model_last_error(m));
    return r;
}

/* a QUBO whose subsets all score alike */
static void qubo(size_t n, double *Q, double *q)
{
    for (size_t i = 0; i < n; i++) {
        q[i] = -0.01 * (double)(i % 7);
        for (size_t j = 0; j < n; j++) Q[i * n + j] = i == j ? 0.04 : 0.01;
    }
}

/* ---- tests ------------------------------------------------------------------- */

static void test_poll_answers(void **state)
{
    (void)state;
    deadline never = { HUGE_VAL, 0 }, now = { -HUGE_VAL, 0 };
    assert_int_equal(folio_poll(), FOLIO_POLL_GO);
    folio_poll_install(past, &never);
    assert_int_equal(folio_poll(), FOLIO_POLL_GO);
    assert_int_equal(never.calls, 1);
    folio_poll_install(past, &now);
    assert_int_equal(folio_poll(), FOLIO_POLL_BUDGET);
    folio_interrupt();   /* Ctrl-C is said first: it is the user's */
    assert_int_equal(folio_poll(), FOLIO_POLL_INTERRUPT);
    folio_interrupt_clear();
    folio_poll_uninstall(&never);   /* not the installed one: stays */
    assert_int_equal(folio_poll(), FOLIO_POLL_BUDGET);
    folio_poll_uninstall(&now);
    assert_int_equal(folio_poll(), FOLIO_POLL_GO);
}

static void test_best_subset(void **state)
{
    (void)state;
    enum { N = 60 };   /* C(60, 10) = 7.5e10 subsets */
    double Q[N * N], q[N], e = 0;
    int best[10];
    qubo(N, Q, q);
    stop_in_200ms();
    assert_int_equal(folio_qubo_best_subset(N, Q, q, 10, best, &e), 1);
    check_stopped_soon();

    /* a check that never says stop: the exact answer (C(10, 3) = 120) */
    deadline never = { HUGE_VAL, 0 };
    folio_poll_install(past, &never);
    double Qs[100], qs[10];
    qubo(10, Qs, qs);
    assert_int_equal(folio_qubo_best_subset(10, Qs, qs, 3, best, &e), 0);
    double want = INFINITY;
    for (int a = 0; a < 10; a++)
        for (int b = a + 1; b < 10; b++)
            for (int c = b + 1; c < 10; c++) {
                int s[3] = { a, b, c };
                double v = 0;
                for (int i = 0; i < 3; i++) {
                    v += qs[s[i]];
                    for (int j = 0; j < 3; j++) v += Qs[s[i] * 10 + s[j]];
                }
                if (v < want) want = v;
            }
    assert_close_tol(e, want, 1e-12);
}

static void test_bruteforce(void **state)
{
    (void)state;
    enum { N = 30 };   /* 2^30 states */
    double J[N * N];
    for (int i = 0; i < N; i++)
        for (int j = 0; j < N; j++) J[i * N + j] = i == j ? 0 : ((i * j) % 5 - 2) / 10.0;
    folio_ising_problem p = { N, J, NULL };
    int s[N];
    double e;
    stop_in_200ms();
    assert_int_equal(folio_ising_bruteforce(&p, s, &e), 1);
    check_stopped_soon();
    folio_interrupt();   /* Ctrl-C stops it the same way */
    assert_int_equal(folio_ising_bruteforce(&p, s, &e), 1);
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
    for (size_t k = 0; k < 2; k++) {
        folio_ising_options o;
        folio_ising_default_options(FOLIO_ISING_CIM_AHC, &o);
        o.path = paths[k];
        o.runs = 1000000;
        folio_ising_result r;
        stop_in_200ms();
        assert_int_equal(folio_ising_solve(&p, &o, &r), FOLIO_ISING_INTERRUPTED);
        check_stopped_soon();
        assert_non_null(strstr(r.message, "stopped by the budget in run "));
        assert_null(r.best_spins);   /* no half result */
        folio_ising_result_free(&r);
    }
}

static void test_cim_flow(void **state)
{
    (void)state;
    enum { N = 20 };   /* stiff under an explicit integrator: steps of ~3e-6 towards 1e6 */
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
    stop_in_200ms();
    assert_int_equal(folio_cim_solve(&p, &o, &r), FOLIO_CIM_INTERRUPTED);
    check_stopped_soon();
    assert_non_null(strstr(r.message, "stopped by the budget at t = "));
    folio_cim_result_free(&r);
}

static void test_qp_interior_point(void **state)
{
    (void)state;
    folio_model *m = dense_qp(2000);   /* 1.4 s on one core; an iteration is 0.1 s */
    stop_in_200ms();
    folio_result r = solve_qp(m);
    check_stopped_soon();
    if (r.status != FOLIO_STATUS_TIME_LIMIT) fail_msg("status %s: %s", folio_status_name(r.status), r.message);
    assert_false(r.has_solution);
    folio_result_free(&r);
    folio_model_free(m);

    /* a check that never says stop: solved as without one */
    deadline never = { HUGE_VAL, 0 };
    folio_poll_install(past, &never);
    folio_model *small = dense_qp(20);
    r = solve_qp(small);
    assert_int_equal(r.status, FOLIO_STATUS_OPTIMAL);
    assert_true(never.calls > 0);
    folio_result_free(&r);
    folio_model_free(small);
}

static void test_qp_branch_and_bound(void **state)
{
    (void)state;
    folio_model *m = jeroslow(25);
    stop_in_200ms();
    folio_result r = solve_qp(m);
    check_stopped_soon();
    if (r.status != FOLIO_STATUS_TIME_LIMIT) fail_msg("status %s: %s", folio_status_name(r.status), r.message);
    assert_true(r.nodes > 1);
    folio_result_free(&r);
    folio_model_free(m);
}

/* GLPK's and Cbc's branch and bound poll at each node (GLPK's callback,
 * Cbc's cut generator); a budget stop is a time limit, as in the QP engine.
 * Their time limits are capped by the budget too: a budget that never
 * says stop leaves them unbounded. */
static void mip_stops(const char *solver)
{
    folio_model *m = jeroslow(41);
    stop_in_200ms();
    folio_options o;
    folio_options_default(&o);
    o.solver = solver;
    folio_result r;
    if (folio_solve(m, &o, &r) != FOLIO_OK) fail_msg("folio_solve: %s", folio_model_last_error(m));
    check_stopped_soon();
    if (r.status != FOLIO_STATUS_TIME_LIMIT) fail_msg("%s: status %s: %s", solver, folio_status_name(r.status), r.message);
    folio_result_free(&r);
    folio_model_free(m);
}

static void test_glpk_branch_and_bound(void **state)
{
    (void)state;
    mip_stops("glpk");
}

static void test_cbc_branch_and_bound(void **state)
{
    (void)state;
    mip_stops("cbc");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_poll_answers, reset, reset),
        cmocka_unit_test_setup_teardown(test_best_subset, reset, reset),
        cmocka_unit_test_setup_teardown(test_bruteforce, reset, reset),
        cmocka_unit_test_setup_teardown(test_ising_runs, reset, reset),
        cmocka_unit_test_setup_teardown(test_cim_flow, reset, reset),
        cmocka_unit_test_setup_teardown(test_qp_interior_point, reset, reset),
        cmocka_unit_test_setup_teardown(test_qp_branch_and_bound, reset, reset),
        cmocka_unit_test_setup_teardown(test_glpk_branch_and_bound, reset, reset),
        cmocka_unit_test_setup_teardown(test_cbc_branch_and_bound, reset, reset),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
