/* The CIM gradient flow: the Tsitouras table against the order conditions,
 * the exact stationary point against an independent elimination, every
 * integrator converging to it, limits held along the trajectory, the
 * penalty error shrinking like 1/rho, and the input errors. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>   /* before arkode_butcher.h, which uses FILE */
#include <arkode/arkode_butcher.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "folio/cim.h"
#include "backends/cim/cim_internal.h"

/* ---- Tsitouras 5(4) -------------------------------------------------------- */

/* residuals of the order conditions through order q for weights w */
static double order_residual(const double *c, const double *A, const double *w, int q)
{
    double Ac[7], Ac2[7], AAc[7], Ac3[7], AAc2[7], AAAc[7], AcAc[7];
    for (int i = 0; i < 7; i++) {
        Ac[i] = Ac2[i] = Ac3[i] = 0;
        for (int j = 0; j < 7; j++) {
            Ac[i] += A[i * 7 + j] * c[j];
            Ac2[i] += A[i * 7 + j] * c[j] * c[j];
            Ac3[i] += A[i * 7 + j] * c[j] * c[j] * c[j];
        }
    }
    for (int i = 0; i < 7; i++) {
        AAc[i] = AAc2[i] = AcAc[i] = 0;
        for (int j = 0; j < 7; j++) {
            AAc[i] += A[i * 7 + j] * Ac[j];
            AAc2[i] += A[i * 7 + j] * Ac2[j];
            AcAc[i] += A[i * 7 + j] * c[j] * Ac[j];
        }
    }
    for (int i = 0; i < 7; i++) {
        AAAc[i] = 0;
        for (int j = 0; j < 7; j++) AAAc[i] += A[i * 7 + j] * AAc[j];
    }
    double s[17] = { 0 };
    for (int i = 0; i < 7; i++) {
        double ci = c[i];
        s[0] += w[i]; s[1] += w[i] * ci; s[2] += w[i] * ci * ci; s[3] += w[i] * Ac[i];
        s[4] += w[i] * ci * ci * ci; s[5] += w[i] * ci * Ac[i]; s[6] += w[i] * Ac2[i]; s[7] += w[i] * AAc[i];
        s[8] += w[i] * ci * ci * ci * ci; s[9] += w[i] * ci * ci * Ac[i]; s[10] += w[i] * Ac[i] * Ac[i];
        s[11] += w[i] * ci * Ac2[i]; s[12] += w[i] * Ac3[i]; s[13] += w[i] * ci * AAc[i];
        s[14] += w[i] * AcAc[i]; s[15] += w[i] * AAc2[i]; s[16] += w[i] * AAAc[i];
    }
    static const double want[17] = { 1, 1. / 2, 1. / 3, 1. / 6, 1. / 4, 1. / 8, 1. / 12, 1. / 24,
                                      1. / 5, 1. / 10, 1. / 20, 1. / 15, 1. / 20, 1. / 30, 1. / 40, 1. / 60, 1. / 120 };
    int count = q >= 5 ? 17 : q == 4 ? 8 : q == 3 ? 4 : q == 2 ? 2 : 1;
    double worst = 0;
    for (int k = 0; k < count; k++) worst = fmax(worst, fabs(s[k] - want[k]));
    return worst;
}

static void test_tsit5_order_conditions(void **state)
{
    (void)state;
    double c[7], A[49], b[7], d[7];
    cim_tsit5_coefficients(c, A, b, d);
    for (int i = 0; i < 7; i++) {
        double row = 0;
        for (int j = 0; j < 7; j++) {
            row += A[i * 7 + j];
            if (j >= i) assert_true(A[i * 7 + j] == 0);   /* explicit */
        }
        assert_true(fabs(row - c[i]) < 1e-14);
    }
    for (int j = 0; j < 7; j++) assert_true(b[j] == A[6 * 7 + j]);   /* first same as last */
    assert_true(order_residual(c, A, b, 5) < 1e-14);   /* b: order 5 */
    assert_true(order_residual(c, A, d, 4) < 1e-14);   /* d: the embedded order 4 */
    assert_true(order_residual(c, A, d, 5) > 1e-5);    /* ... and not 5 */
    /* SUNDIALS's own check agrees */
    ARKodeButcherTable B = ARKodeButcherTable_Create(7, 5, 4, c, A, b, d);
    assert_non_null(B);
    int q = 0, p = 0;
    ARKodeButcherTable_CheckOrder(B, &q, &p, NULL);
    assert_int_equal(q, 5);
    assert_int_equal(p, 4);
    ARKodeButcherTable_Free(B);
}

/* ---- a small problem ---------------------------------------------------------- */

#define N 6
static double theta[N * N], mu[N], nu[N], omega[N];
static size_t gstart[] = { 0, 6, 9 };
static int gidx[] = { 0, 1, 2, 3, 4, 5, 0, 1, 2 };
static double lambda[] = { 1.0, 0.5 };

static void make_data(void)
{
    /* Theta = B B' / 10 + diag: factor-model covariance, positive definite */
    double B[N][2];
    unsigned s = 7;
    for (int i = 0; i < N; i++)
        for (int k = 0; k < 2; k++) { s = s * 1103515245u + 12345u; B[i][k] = ((s >> 8) % 1000) / 1000.0 - 0.3; }
    for (int i = 0; i < N; i++)
        for (int j = 0; j < N; j++)
            theta[i * N + j] = (B[i][0] * B[j][0] + B[i][1] * B[j][1]) / 10 + (i == j ? 0.02 + 0.01 * i : 0);
    for (int i = 0; i < N; i++) {
        mu[i] = 0.05 + 0.01 * i;
        nu[i] = 0.001 * (i + 1);
        omega[i] = 1.0 / N;
    }
}

static folio_cim_problem problem(double rho, size_t ngroups)
{
    folio_cim_problem p;
    memset(&p, 0, sizeof p);
    p.n = N;
    p.mu = mu;
    p.theta = theta;
    p.gamma = 3;
    p.ngroups = ngroups;
    p.group_start = gstart;
    p.group_idx = gidx;
    p.lambda = lambda;
    p.rho = rho;
    p.nu = nu;
    p.omega = omega;
    p.sigma = 0.5;
    return p;
}

/* Gaussian elimination with partial pivoting (independent of GSL) */
static void gauss(int n, double *M, double *x)
{
    for (int c = 0; c < n; c++) {
        int piv = c;
        for (int r = c + 1; r < n; r++) if (fabs(M[r * (n + 1) + c]) > fabs(M[piv * (n + 1) + c])) piv = r;
        for (int k = 0; k <= n; k++) { double t = M[c * (n + 1) + k]; M[c * (n + 1) + k] = M[piv * (n + 1) + k]; M[piv * (n + 1) + k] = t; }
        for (int r = c + 1; r < n; r++) {
            double f = M[r * (n + 1) + c] / M[c * (n + 1) + c];
            for (int k = c; k <= n; k++) M[r * (n + 1) + k] -= f * M[c * (n + 1) + k];
        }
    }
    for (int r = n - 1; r >= 0; r--) {
        double s = M[r * (n + 1) + n];
        for (int k = r + 1; k < n; k++) s -= M[r * (n + 1) + k] * x[k];
        x[r] = s / M[r * (n + 1) + r];
    }
}

/* the stationary point from the linear system, assembled here */
static void reference_exact(double rho, size_t ngroups, double *w)
{
    double M[N * (N + 1)];
    for (int i = 0; i < N; i++) {
        for (int j = 0; j < N; j++) M[i * (N + 1) + j] = 3 * theta[i * N + j];
        M[i * (N + 1) + i] += 2 * 0.5 * nu[i];
        M[i * (N + 1) + N] = mu[i] + 2 * 0.5 * nu[i] * omega[i];
    }
    for (size_t k = 0; k < ngroups; k++)
        for (size_t a = gstart[k]; a < gstart[k + 1]; a++) {
            for (size_t b = gstart[k]; b < gstart[k + 1]; b++) M[gidx[a] * (N + 1) + gidx[b]] += 2 * rho;
            M[gidx[a] * (N + 1) + N] += 2 * rho * lambda[k];
        }
    gauss(N, M, w);
}

static double dist(const double *a, const double *b)
{
    double s = 0;
    for (int i = 0; i < N; i++) s = fmax(s, fabs(a[i] - b[i]));
    return s;
}

static void test_exact_solution(void **state)
{
    (void)state;
    make_data();
    folio_cim_problem p = problem(50, 2);
    double w[N], ref[N], g[N];
    char msg[256] = "";
    assert_int_equal(folio_cim_exact(&p, w, msg, sizeof msg), 0);
    reference_exact(50, 2, ref);
    assert_true(dist(w, ref) < 1e-12);
    folio_cim_energy(&p, w, g);
    for (int i = 0; i < N; i++) assert_true(fabs(g[i]) < 1e-11);
}

static void converge_with(folio_cim_integrator integ, folio_cim_linsol ls, double rho)
{
    folio_cim_problem p = problem(rho, 2);
    folio_cim_options o;
    folio_cim_default_options(&o);
    o.integrator = integ;
    o.linsol = ls;
    /* an explicit method holds the stiff modes at its stability limit with
     * an amplitude near rtol |w|, so its gradient floors near
     * lambda_max rtol |w|: rtol must sit below grad_tol / lambda_max */
    int erk = integ == FOLIO_CIM_ERK_DP5 || integ == FOLIO_CIM_ERK_TSIT5;
    o.rtol = erk ? 1e-12 : 1e-10;
    o.atol = erk ? 1e-14 : 1e-13;
    o.grad_tol = 1e-10;
    folio_cim_result r;
    folio_cim_status st = folio_cim_solve(&p, &o, &r);
    if (st != FOLIO_CIM_CONVERGED) fprintf(stderr, "integrator %d: status %d: %s\n", (int)integ, (int)st, r.message);
    assert_int_equal(st, FOLIO_CIM_CONVERGED);
    double ref[N];
    reference_exact(rho, 2, ref);
    assert_true(dist(r.w, ref) < 1e-7);
    /* at rho = 1e6 the part along the budget indicator stops at its rounding floor */
    assert_true(r.grad_norm < (rho < 1e5 ? 1e-9 : 1e-6));
    assert_true(r.steps > 0 && r.rhs_evals > 0);
    /* a gradient flow never raises the energy */
    for (size_t k = 1; k < r.nsamples; k++)
        assert_true(r.sample_energy[k] <= r.sample_energy[k - 1] + 1e-12 * (1 + fabs(r.sample_energy[k - 1])));
    folio_cim_result_free(&r);
}

static void test_every_integrator_converges(void **state)
{
    (void)state;
    make_data();
    converge_with(FOLIO_CIM_CVODE_BDF, FOLIO_CIM_LS_DENSE, 10);
    converge_with(FOLIO_CIM_CVODE_BDF, FOLIO_CIM_LS_PCG, 10);
    converge_with(FOLIO_CIM_CVODE_ADAMS, FOLIO_CIM_LS_AUTO, 10);
    converge_with(FOLIO_CIM_ERK_DP5, FOLIO_CIM_LS_AUTO, 10);
    converge_with(FOLIO_CIM_ERK_TSIT5, FOLIO_CIM_LS_AUTO, 10);
    /* stiff: rho = 1e6 is routine for BDF */
    converge_with(FOLIO_CIM_CVODE_BDF, FOLIO_CIM_LS_DENSE, 1e6);
    converge_with(FOLIO_CIM_CVODE_BDF, FOLIO_CIM_LS_PCG, 1e6);
}

/* the hard-equality optimum: [H0 U; U' 0][w; m] = [mu + 2 sigma nu Omega; lambda] */
static void reference_hard(double *w)
{
    int m = N + 2;
    double M[(N + 2) * (N + 3)];
    memset(M, 0, sizeof M);
    for (int i = 0; i < N; i++) {
        for (int j = 0; j < N; j++) M[i * (m + 1) + j] = 3 * theta[i * N + j];
        M[i * (m + 1) + i] += 2 * 0.5 * nu[i];
        M[i * (m + 1) + m] = mu[i] + 2 * 0.5 * nu[i] * omega[i];
    }
    for (int k = 0; k < 2; k++) {
        for (size_t a = gstart[k]; a < gstart[k + 1]; a++) {
            M[gidx[a] * (m + 1) + N + k] = 1;
            M[(N + k) * (m + 1) + gidx[a]] = 1;
        }
        M[(N + k) * (m + 1) + m] = lambda[k];
    }
    double x[N + 2];
    gauss(m, M, x);
    memcpy(w, x, N * sizeof *w);
}

static void test_penalty_error_shrinks_like_one_over_rho(void **state)
{
    (void)state;
    make_data();
    double hard[N];
    reference_hard(hard);
    double prev = 0;
    for (double rho = 10; rho <= 1e4; rho *= 10) {
        folio_cim_problem p = problem(rho, 2);
        folio_cim_result r;
        folio_cim_options o;
        folio_cim_default_options(&o);
        o.grad_tol = 1e-11;
        assert_int_equal(folio_cim_solve(&p, &o, &r), FOLIO_CIM_CONVERGED);
        double e = dist(r.w, hard);
        if (prev > 0) {
            double ratio = prev / e;   /* 10 when the error is c / rho */
            assert_true(ratio > 9 && ratio < 11);
        }
        prev = e;
        folio_cim_result_free(&r);
    }
}

static void test_limits_hold_along_the_trajectory(void **state)
{
    (void)state;
    make_data();
    double lo[N], hi[N];
    for (int i = 0; i < N; i++) { lo[i] = 0; hi[i] = 0.3; }
    size_t lstart[] = { 0, 2, 4 };
    int lidx[] = { 4, 5, 0, 5 };        /* overlapping: Dykstra's projection */
    double cap[] = { 0.35, 0.4 };
    for (int integ = FOLIO_CIM_CVODE_BDF; integ <= FOLIO_CIM_ERK_TSIT5; integ++) {
        folio_cim_problem p = problem(100, 1);
        p.lo = lo;
        p.hi = hi;
        p.nlimits = 2;
        p.limit_start = lstart;
        p.limit_idx = lidx;
        p.limit_cap = cap;
        folio_cim_options o;
        folio_cim_default_options(&o);
        o.integrator = (folio_cim_integrator)integ;
        o.samples = 1000;
        if (integ >= FOLIO_CIM_ERK_DP5) o.rtol = 1e-13;   /* the floor above, with lambda_max near 1200 */
        folio_cim_result r;
        folio_cim_status st = folio_cim_solve(&p, &o, &r);
        if (st != FOLIO_CIM_CONVERGED) fprintf(stderr, "integrator %d: %s\n", integ, r.message);
        assert_int_equal(st, FOLIO_CIM_CONVERGED);
        assert_true(r.max_violation <= 1e-12);
        for (size_t k = 0; k < r.nsamples; k++) {
            const double *w = r.sample_w + k * N;
            for (int i = 0; i < N; i++) assert_true(w[i] >= -1e-12 && w[i] <= 0.3 + 1e-12);
            assert_true(w[4] + w[5] <= 0.35 + 1e-12 && w[0] + w[5] <= 0.4 + 1e-12);
        }
        /* a limit binds at the answer (built to) */
        assert_true(fabs(r.w[4] + r.w[5] - 0.35) < 1e-9 || fabs(r.w[0] + r.w[5] - 0.4) < 1e-9 ||
                    fabs(r.w[5] - 0.3) < 1e-9);
        folio_cim_result_free(&r);
    }
}

static void expect_invalid(folio_cim_problem p, const char *needle)
{
    folio_cim_result r;
    assert_int_equal(folio_cim_solve(&p, NULL, &r), FOLIO_CIM_INVALID);
    if (!strstr(r.message, needle)) fprintf(stderr, "message: %s\nwanted: %s\n", r.message, needle);
    assert_non_null(strstr(r.message, needle));
    folio_cim_result_free(&r);
}

static void test_invalid_inputs(void **state)
{
    (void)state;
    make_data();
    double bad[N * N];
    memcpy(bad, theta, sizeof bad);
    bad[1 * N + 4] += 0.01;
    folio_cim_problem p = problem(10, 2);
    p.theta = bad;
    expect_invalid(p, "Theta is not symmetric (Theta[2][5]");
    double negnu[N];
    memcpy(negnu, nu, sizeof negnu);
    negnu[3] = -1;
    p = problem(10, 2);
    p.nu = negnu;
    expect_invalid(p, "nu[4] must be a finite number >= 0");
    expect_invalid(problem(0, 2), "rho must be > 0");
    expect_invalid(problem(-1, 2), "rho must be > 0");
    int badidx[] = { 0, 1, 2, 3, 4, 6, 0, 1, 2 };
    p = problem(10, 2);
    p.group_idx = badidx;
    expect_invalid(p, "group 1: asset index 7 is out of range 1..6");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tsit5_order_conditions),
        cmocka_unit_test(test_exact_solution),
        cmocka_unit_test(test_every_integrator_converges),
        cmocka_unit_test(test_penalty_error_shrinks_like_one_over_rho),
        cmocka_unit_test(test_limits_hold_along_the_trajectory),
        cmocka_unit_test(test_invalid_inputs),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
