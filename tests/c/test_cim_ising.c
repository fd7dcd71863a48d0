/* Ising amplitude dynamics (include/folio/cim.h): the QUBO mapping, the
 * exhaustive minimum, the energy, the four methods on both paths against
 * brute force, the agreement of the paths, the SB walls (through the
 * trace hook of the internal header), invalid input and reproducibility. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <gsl/gsl_rng.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "folio/cim.h"
#include "backends/cim/cim_ising_internal.h"

static const char *const method_name[] = {"cim_ahc", "cac", "sb_ballistic", "sb_discrete"};
static const char *const path_name[] = {"euler", "sundials"};

/* ---- instances ----------------------------------------------------------- */

/* Sherrington-Kirkpatrick: J_ij = +-1 with equal odds, zero diagonal;
 * h_i = +-hscale (0: no field). */
static void sk_instance(size_t n, unsigned long seed, double hscale, double *J, double *h)
{
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, seed);
    for (size_t i = 0; i < n; i++) {
        J[i * n + i] = 0;
        for (size_t j = i + 1; j < n; j++) J[i * n + j] = J[j * n + i] = gsl_rng_uniform(r) < 0.5 ? -1 : 1;
    }
    for (size_t i = 0; i < n; i++) h[i] = hscale * (gsl_rng_uniform(r) < 0.5 ? -1 : 1);
    gsl_rng_free(r);
}

/* Gaussian couplings and fields (no ties between states) */
static void gauss_instance(size_t n, unsigned long seed, double *J, double *h)
{
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, seed);
    for (size_t i = 0; i < n; i++) {
        J[i * n + i] = 0;
        for (size_t j = i + 1; j < n; j++) J[i * n + j] = J[j * n + i] = 2 * gsl_rng_uniform(r) - 1;
    }
    for (size_t i = 0; i < n; i++) h[i] = 0.6 * gsl_rng_uniform(r) - 0.3;
    gsl_rng_free(r);
}

/* H(s) written out pair by pair: -sum_{i<j} J_ij s_i s_j - sum_i h_i s_i */
static double direct_energy(size_t n, const double *J, const double *h, const int *s)
{
    double e = 0;
    for (size_t i = 0; i < n; i++) {
        for (size_t j = i + 1; j < n; j++) e -= J[i * n + j] * s[i] * s[j];
        if (h) e -= h[i] * s[i];
    }
    return e;
}

/* the minimum over all 2^n states by counting: bit i of k set -> s_i = +1 */
static double enumerate_min(size_t n, const double *J, const double *h)
{
    int s[32];
    double best = INFINITY;
    for (unsigned long k = 0; k < (1ul << n); k++) {
        for (size_t i = 0; i < n; i++) s[i] = (k >> i) & 1 ? 1 : -1;
        double e = direct_energy(n, J, h, s);
        if (e < best) best = e;
    }
    return best;
}

/* ---- QUBO, brute force, energy -------------------------------------------- */

static void test_qubo_to_ising(void **state)
{
    (void)state;
    enum { n = 6 };
    double Q[n * n], q[n], J[n * n], h[n], off;
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, 11);
    for (int trial = 0; trial < 5; trial++) {
        for (size_t i = 0; i < n * n; i++) Q[i] = 4 * gsl_rng_uniform(r) - 2;   /* not symmetric */
        for (size_t i = 0; i < n; i++) q[i] = 4 * gsl_rng_uniform(r) - 2;
        int with_q = trial != 4;   /* the last trial: q = NULL */
        folio_qubo_to_ising(n, Q, with_q ? q : NULL, J, h, &off);
        for (size_t i = 0; i < n; i++) {
            assert_true(J[i * n + i] == 0);
            for (size_t j = 0; j < n; j++) assert_true(J[i * n + j] == J[j * n + i]);
        }
        folio_ising_problem p = {n, J, h};
        for (unsigned k = 0; k < (1u << n); k++) {
            int x[n], s[n];
            for (size_t i = 0; i < n; i++) { x[i] = (k >> i) & 1; s[i] = 2 * x[i] - 1; }
            double eq = 0;
            for (size_t i = 0; i < n; i++) {
                for (size_t j = 0; j < n; j++) eq += Q[i * n + j] * x[i] * x[j];
                if (with_q) eq += q[i] * x[i];
            }
            double ei = folio_ising_energy(&p, s) + off;
            assert_true(fabs(eq - ei) <= 1e-12 * (1 + fabs(eq)));
        }
    }
    gsl_rng_free(r);
}

static void test_bruteforce(void **state)
{
    (void)state;
    enum { n = 10 };
    double J[n * n], h[n];
    int s[n];
    for (unsigned long seed = 1; seed <= 6; seed++) {
        if (seed % 2) gauss_instance(n, seed, J, h);
        else sk_instance(n, seed, 0.5, J, h);
        folio_ising_problem p = {n, J, h};
        double e = NAN;
        assert_int_equal(folio_ising_bruteforce(&p, s, &e), 0);
        double ref = enumerate_min(n, J, h);
        assert_true(fabs(e - ref) <= 1e-9 * (1 + fabs(ref)));
        for (size_t i = 0; i < n; i++) assert_true(s[i] == 1 || s[i] == -1);
        assert_true(fabs(direct_energy(n, J, h, s) - ref) <= 1e-9 * (1 + fabs(ref)));
        /* without a field */
        p.h = NULL;
        assert_int_equal(folio_ising_bruteforce(&p, s, &e), 0);
        ref = enumerate_min(n, J, NULL);
        assert_true(fabs(e - ref) <= 1e-9 * (1 + fabs(ref)));
    }
    /* n = 1: the field decides */
    double J1 = 0, h1 = -2;
    folio_ising_problem p1 = {1, &J1, &h1};
    double e1;
    assert_int_equal(folio_ising_bruteforce(&p1, s, &e1), 0);
    assert_int_equal(s[0], -1);
    assert_true(e1 == -2);
    /* too large */
    folio_ising_problem big = {31, J, NULL};
    assert_int_equal(folio_ising_bruteforce(&big, s, &e1), -1);
}

static void test_energy(void **state)
{
    (void)state;
    enum { n = 9 };
    double J[n * n], h[n];
    int s[n];
    gauss_instance(n, 5, J, h);
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, 3);
    for (int trial = 0; trial < 20; trial++) {
        for (size_t i = 0; i < n; i++) s[i] = gsl_rng_uniform(r) < 0.5 ? -1 : 1;
        folio_ising_problem p = {n, J, h}, p0 = {n, J, NULL};
        assert_true(fabs(folio_ising_energy(&p, s) - direct_energy(n, J, h, s)) <= 1e-12);
        assert_true(fabs(folio_ising_energy(&p0, s) - direct_energy(n, J, NULL, s)) <= 1e-12);
    }
    gsl_rng_free(r);
    /* a hand-worked case: two spins, J_12 = 1, h = (0.5, -1) */
    double J2[4] = {0, 1, 1, 0}, h2[2] = {0.5, -1};
    folio_ising_problem p2 = {2, J2, h2};
    int up_down[2] = {1, -1};
    assert_true(fabs(folio_ising_energy(&p2, up_down) - (1 - 0.5 - 1)) <= 1e-15);
}

/* ---- the dynamics against brute force ------------------------------------- */

/* Measured on these instances (30 runs, seed 42, default options): every
 * method on every path reached the ground state in 30/30 runs on SK(12,
 * seed 7) and SK(16, seed 8), except dSB on the SUNDIALS path at N = 16
 * (29/30). The threshold, 60% of the runs, leaves a wide margin; the best
 * over the runs must equal the brute-force optimum exactly. */
static void run_methods_on(size_t n, unsigned long seed)
{
    double *J = malloc(n * n * sizeof *J), *h = malloc(n * sizeof *h);
    int *gs = malloc(n * sizeof *gs);
    assert_non_null(J);
    sk_instance(n, seed, 0, J, h);
    folio_ising_problem p = {n, J, NULL};
    double ground;
    assert_int_equal(folio_ising_bruteforce(&p, gs, &ground), 0);
    for (int m = 0; m < 4; m++)
        for (int pa = 0; pa < 2; pa++) {
            folio_ising_options o;
            folio_ising_default_options((folio_ising_method)m, &o);
            o.path = (folio_ising_path)pa;
            o.runs = 30;
            o.seed = 42;
            folio_ising_result r;
            int rc = folio_ising_solve(&p, &o, &r);
            if (rc) print_message("%s/%s: %s\n", method_name[m], path_name[pa], r.message);
            assert_int_equal(rc, 0);
            assert_int_equal(r.status, 0);
            print_message("N=%zu %-12s %-8s best %g (ground %g) p_s %.2f TTS %.1f steps %ld events %ld reinits %ld %.3f s\n",
                          n, method_name[m], path_name[pa], r.best_energy, ground, r.success_probability,
                          r.time_to_solution, r.steps, r.events, r.reinits, r.time_s);
            assert_true(fabs(r.best_energy - ground) <= 1e-9);
            assert_true(r.success_probability >= 0.6);
            for (size_t i = 0; i < n; i++) assert_true(r.best_spins[i] == 1 || r.best_spins[i] == -1);
            assert_true(fabs(direct_energy(n, J, NULL, r.best_spins) - r.best_energy) <= 1e-9);
            /* hit times: one per successful run, inside [0, t_max] */
            size_t hits = 0;
            for (size_t k = 0; k < o.runs; k++) {
                assert_true(r.run_energy[k] >= ground - 1e-9);
                if (r.run_hit_time[k] >= 0) {
                    hits++;
                    assert_true(r.run_hit_time[k] <= o.t_max);
                    assert_true(r.run_energy[k] <= ground + 1e-9);
                } else {
                    assert_true(r.run_hit_time[k] == -1);
                }
            }
            assert_true(fabs((double)hits / (double)o.runs - r.success_probability) < 1e-12);
            assert_true(isfinite(r.time_to_solution) && r.time_to_solution > 0);
            assert_true(r.steps > 0 && r.events > 0);
            if (pa == FOLIO_ISING_EULER) assert_true(r.reinits == 0);
            else if (m != FOLIO_ISING_CIM_AHC) assert_true(r.reinits > 0);   /* AHC never changes its field */
            folio_ising_result_free(&r);
        }
    free(J);
    free(h);
    free(gs);
}

static void test_methods_n12(void **state) { (void)state; run_methods_on(12, 7); }
static void test_methods_n16(void **state) { (void)state; run_methods_on(16, 8); }

/* The target given explicitly: success and TTS follow the definitions. */
static void test_target_and_tts(void **state)
{
    (void)state;
    enum { n = 12 };
    double J[n * n], h[n];
    sk_instance(n, 7, 0, J, h);
    folio_ising_problem p = {n, J, NULL};
    folio_ising_options o;
    folio_ising_default_options(FOLIO_ISING_SB_BALLISTIC, &o);
    o.runs = 20;
    o.t_max = 10;      /* too short to settle: some runs miss */
    o.dt = 0.5;
    folio_ising_result r;
    assert_int_equal(folio_ising_solve(&p, &o, &r), 0);
    double best = r.best_energy;
    folio_ising_result_free(&r);
    /* unreachable target: nobody succeeds */
    o.target_energy = best - 1;
    assert_int_equal(folio_ising_solve(&p, &o, &r), 0);
    assert_true(r.success_probability == 0);
    assert_true(isinf(r.time_to_solution));
    for (size_t k = 0; k < o.runs; k++) assert_true(r.run_hit_time[k] == -1);
    folio_ising_result_free(&r);
    /* a trivial target: everybody at t = 0, TTS = the slowest hit = 0 */
    o.target_energy = 1e6;
    assert_int_equal(folio_ising_solve(&p, &o, &r), 0);
    assert_true(r.success_probability == 1);
    assert_true(r.time_to_solution == 0);
    folio_ising_result_free(&r);
    /* the middle: the formula */
    o.target_energy = NAN;
    assert_int_equal(folio_ising_solve(&p, &o, &r), 0);
    print_message("short bSB: p_s %.2f TTS %.2f mean %.2f\n", r.success_probability, r.time_to_solution, r.mean_energy);
    if (r.success_probability > 0 && r.success_probability < 1)
        assert_true(fabs(r.time_to_solution - o.t_max * log(0.01) / log(1 - r.success_probability)) < 1e-9);
    double m = 0;
    for (size_t k = 0; k < o.runs; k++) m += r.run_energy[k];
    assert_true(fabs(m / (double)o.runs - r.mean_energy) < 1e-9);
    folio_ising_result_free(&r);
}

/* ---- the paths agree -------------------------------------------------------- */

/* CIM-AHC on a small instance, same seed and so the same starts: Euler
 * with a fine step against CVODE with tight tolerances. Their run bests,
 * best spins and the times they first reached the best agree (the hit
 * times to within 0.05 time units; measured 1.3e-4, 19 events on
 * each path). */
static void test_paths_agree(void **state)
{
    (void)state;
    enum { n = 8 };
    double J[n * n], h[n];
    gauss_instance(n, 21, J, h);
    folio_ising_problem p = {n, J, h};
    folio_ising_options o;
    folio_ising_default_options(FOLIO_ISING_CIM_AHC, &o);
    o.runs = 6;
    o.seed = 5;
    o.t_max = 80;
    o.dt = 1e-3;
    o.rtol = 1e-10;
    o.atol = 1e-16;
    folio_ising_result re, rs;
    assert_int_equal(folio_ising_solve(&p, &o, &re), 0);
    o.path = FOLIO_ISING_SUNDIALS;
    assert_int_equal(folio_ising_solve(&p, &o, &rs), 0);
    assert_true(fabs(re.best_energy - rs.best_energy) <= 1e-12);
    assert_memory_equal(re.best_spins, rs.best_spins, n * sizeof *re.best_spins);
    double worst = 0;
    for (size_t k = 0; k < o.runs; k++) {
        assert_true(fabs(re.run_energy[k] - rs.run_energy[k]) <= 1e-12);
        assert_true((re.run_hit_time[k] < 0) == (rs.run_hit_time[k] < 0));
        worst = fmax(worst, fabs(re.run_hit_time[k] - rs.run_hit_time[k]));
    }
    print_message("Euler (dt 1e-3) vs CVODE: largest hit-time difference %.2e, events %ld vs %ld\n", worst, re.events, rs.events);
    assert_true(worst <= 0.05);
    folio_ising_result_free(&re);
    folio_ising_result_free(&rs);
}

/* ---- SB walls ----------------------------------------------------------------- */

typedef struct {
    double max_abs;        /* largest |x_i| seen */
    long at_wall;          /* (step, component) pairs with |x_i| = 1 */
    long outward;          /* at the wall with a momentum pointing outward */
    long calls;
} wall_stats;

static void wall_trace(void *ctx, size_t run, double t, size_t n, const double *x, const double *y)
{
    wall_stats *w = ctx;
    (void)run;
    (void)t;
    w->calls++;
    for (size_t i = 0; i < n; i++) {
        w->max_abs = fmax(w->max_abs, fabs(x[i]));
        if (fabs(x[i]) == 1) {
            w->at_wall++;
            if (x[i] * y[i] > 0) w->outward++;
        }
    }
}

static void test_sb_walls(void **state)
{
    (void)state;
    enum { n = 16 };
    double J[n * n], h[n];
    sk_instance(n, 8, 0.5, J, h);
    folio_ising_problem p = {n, J, h};
    for (int m = FOLIO_ISING_SB_BALLISTIC; m <= FOLIO_ISING_SB_DISCRETE; m++)
        for (int pa = 0; pa < 2; pa++) {
            folio_ising_options o;
            folio_ising_default_options((folio_ising_method)m, &o);
            o.path = (folio_ising_path)pa;
            o.runs = 4;
            wall_stats w = {0, 0, 0, 0};
            folio_ising_result r;
            assert_int_equal(folio_ising_solve_traced(&p, &o, &r, wall_trace, &w), 0);
            print_message("%s/%s: %ld trace calls, max |x| %.17g, %ld at the wall\n", method_name[m], path_name[pa],
                          w.calls, w.max_abs, w.at_wall);
            assert_true(w.calls > 10);
            assert_true(w.max_abs <= 1);
            assert_true(w.at_wall > 0);      /* the walls are reached, so they are exercised */
            assert_int_equal(w.outward, 0);  /* inelastic: nothing leaves a wall outward */
            folio_ising_result_free(&r);
        }
}

/* ---- invalid input ------------------------------------------------------------- */

static void expect_fail(const folio_ising_problem *p, const folio_ising_options *o, const char *word)
{
    folio_ising_result r;
    memset(&r, 0x5a, sizeof r);   /* garbage in: solve must start from scratch */
    assert_int_equal(folio_ising_solve(p, o, &r), -1);
    assert_int_equal(r.status, -1);
    if (!strstr(r.message, word)) print_message("message '%s' lacks '%s'\n", r.message, word);
    assert_non_null(strstr(r.message, word));
    assert_null(r.best_spins);
    assert_null(r.run_energy);
    folio_ising_result_free(&r);
}

static void test_invalid(void **state)
{
    (void)state;
    enum { n = 4 };
    double J[n * n], h[n];
    sk_instance(n, 1, 0, J, h);
    folio_ising_problem p = {n, J, NULL};
    folio_ising_options o;
    folio_ising_default_options(FOLIO_ISING_CIM_AHC, &o);
    folio_ising_result ok;
    assert_int_equal(folio_ising_solve(&p, &o, &ok), 0);
    folio_ising_result_free(&ok);

    J[1 * n + 2] += 0.25;
    expect_fail(&p, &o, "symmetric");
    J[1 * n + 2] -= 0.25;
    J[2 * n + 2] = 1;
    expect_fail(&p, &o, "diagonal");
    J[2 * n + 2] = 0;
    J[0 * n + 3] = J[3 * n + 0] = NAN;
    expect_fail(&p, &o, "finite");
    J[0 * n + 3] = J[3 * n + 0] = 1;
    h[2] = INFINITY;
    folio_ising_problem ph = {n, J, h};
    expect_fail(&ph, &o, "h[2]");
    folio_ising_problem p0 = {0, J, NULL};
    expect_fail(&p0, &o, "n must");

    folio_ising_options b = o;
    b.runs = 0;
    expect_fail(&p, &b, "runs");
    b = o;
    b.dt = 0;
    expect_fail(&p, &b, "dt");
    b.dt = -0.1;
    expect_fail(&p, &b, "dt");
    b.dt = b.t_max;
    expect_fail(&p, &b, "dt");
    b = o;
    b.t_max = 0;
    expect_fail(&p, &b, "t_max");
    b = o;
    b.method = (folio_ising_method)7;
    expect_fail(&p, &b, "method");
    b = o;
    b.path = FOLIO_ISING_SUNDIALS;
    b.rtol = 0;
    expect_fail(&p, &b, "rtol");
    folio_ising_default_options(FOLIO_ISING_SB_DISCRETE, &b);
    b.a0 = -1;
    expect_fail(&p, &b, "a0");
    b.a0 = 1;
    b.target_energy = -INFINITY;
    expect_fail(&p, &b, "target_energy");

    /* failures during the integration: status -1 and the reason */
    b = o;
    b.path = FOLIO_ISING_SUNDIALS;
    b.rtol = b.atol = 1e-300;
    expect_fail(&p, &b, "CV_TOO_MUCH_ACC");
    double Jbig[4] = {0, 100, 100, 0};
    folio_ising_problem pb = {2, Jbig, NULL};
    b = o;
    b.dt = 1.9;
    b.runs = 1;
    expect_fail(&pb, &b, "diverged");

    /* result_free on a zeroed result, twice */
    folio_ising_result z;
    memset(&z, 0, sizeof z);
    folio_ising_result_free(&z);
    folio_ising_result_free(&z);
}

/* ---- reproducibility ----------------------------------------------------------- */

static void test_reproducible(void **state)
{
    (void)state;
    enum { n = 30 };
    double J[n * n], h[n];
    sk_instance(n, 99, 0, J, h);
    folio_ising_problem p = {n, J, NULL};
    for (int m = 0; m < 4; m++)
        for (int pa = 0; pa < 2; pa++) {
            folio_ising_options o;
            folio_ising_default_options((folio_ising_method)m, &o);
            o.path = (folio_ising_path)pa;
            o.runs = 6;
            o.t_max = m < 2 ? 60 : 20;   /* short: the runs end in different states */
            o.seed = 1234;
            folio_ising_result a, b, c;
            assert_int_equal(folio_ising_solve(&p, &o, &a), 0);
            assert_int_equal(folio_ising_solve(&p, &o, &b), 0);
            o.seed = 4321;
            assert_int_equal(folio_ising_solve(&p, &o, &c), 0);
            assert_memory_equal(a.run_energy, b.run_energy, o.runs * sizeof *a.run_energy);
            assert_memory_equal(a.run_hit_time, b.run_hit_time, o.runs * sizeof *a.run_hit_time);
            assert_memory_equal(a.best_spins, b.best_spins, n * sizeof *a.best_spins);
            assert_true(a.steps == b.steps && a.events == b.events && a.reinits == b.reinits);
            int differ = memcmp(a.run_energy, c.run_energy, o.runs * sizeof *a.run_energy) != 0;
            if (!differ) print_message("%s/%s: seeds 1234 and 4321 gave the same run energies\n", method_name[m], path_name[pa]);
            assert_true(differ);
            folio_ising_result_free(&a);
            folio_ising_result_free(&b);
            folio_ising_result_free(&c);
        }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_qubo_to_ising),
        cmocka_unit_test(test_bruteforce),
        cmocka_unit_test(test_energy),
        cmocka_unit_test(test_methods_n12),
        cmocka_unit_test(test_methods_n16),
        cmocka_unit_test(test_target_and_tts),
        cmocka_unit_test(test_paths_agree),
        cmocka_unit_test(test_sb_walls),
        cmocka_unit_test(test_invalid),
        cmocka_unit_test(test_reproducible),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
