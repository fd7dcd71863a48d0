/* Small models that more than one backend test file solves, each with the
 * answer worked out by hand or by brute force. Include after
 * model_helpers.h. */
#ifndef FOLIO_TEST_BACKEND_MODELS_H
#define FOLIO_TEST_BACKEND_MODELS_H

/* max 3x + 2y
 *   r1: x + y  <= 4
 *   r2: 2x + y <= 6
 *   r3: x - y  <= 5   (slack at the optimum)
 *   x, y >= 0
 * Optimum x = y = 2, objective 10. Duals solve pi1 + 2 pi2 = 3, pi1 + pi2 = 2:
 * pi = (1, 1, 0); both columns basic, reduced costs 0. */
static inline folio_model *lp_max(void)
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

/* The answer to lp_max; the duals when the backend claims FOLIO_CAP_DUALS,
 * none when it does not. */
static inline void check_lp_max(const folio_result *r, unsigned caps, double tol)
{
    assert_int_equal(r->status, FOLIO_STATUS_OPTIMAL);
    assert_true(r->has_solution);
    assert_false(r->is_mip);
    assert_int_equal(r->ncols, 2);
    assert_int_equal(r->nrows, 3);
    assert_close_tol(r->objective, 10, tol);
    assert_close_tol(r->x[0], 2, tol);
    assert_close_tol(r->x[1], 2, tol);
    assert_close_tol(r->row_activity[0], 4, tol);
    assert_close_tol(r->row_activity[1], 6, tol);
    assert_close_tol(r->row_activity[2], 0, tol);
    /* positive: relaxing a binding <= row of a maximisation raises the objective */
    check_duals(r, caps, tol, (double[]){ 1, 1, 0 }, (double[]){ 0, 0 });
}

/* A 0/1 knapsack small enough for a brute force over all 2^12 subsets. */
enum { KN = 12 };
static const double kw[KN] = { 23, 31, 29, 44, 53, 38, 63, 85, 89, 82, 17, 41 };
static const double kv[KN] = { 92, 57, 49, 68, 60, 43, 67, 84, 87, 72, 31, 60 };
static const double kcap = 200;

/* The best value; *best_set one subset reaching it, *unique whether it
 * is the only one. */
static inline double knapsack_brute_force(unsigned *best_set, int *unique)
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

static inline folio_model *knapsack(void)
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

/* General integers with negative bounds, a continuous column and an
 * objective constant: max 2a - b + c + 10 with a in [-3, 7], b in [-5, 5]
 * integer, c in [0, 2.5]; a + b <= 3.5, a - c >= -1. Each term at its best
 * bound is feasible (a + b = 2, a - c = 4.5): a = 7, b = -5, c = 2.5,
 * objective 14 + 5 + 2.5 + 10 = 31.5. */
static inline folio_model *general_integers(void)
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

/* The cone ||x|| <= y on a model whose first two columns are x and y. */
static inline void add_cone(folio_model *m)
{
    size_t start[] = { 0, 1 };
    if (folio_model_add_soc(m, "k", 1, start, (int[]){ 0 }, (double[]){ 1 }, (double[]){ 0 }, 1,
                            (int[]){ 1 }, (double[]){ 1 }, 0) < 0)
        fail_msg("add_soc: %s", folio_model_last_error(m));
}

#endif
