/* The lean model build (issue 17): rows merged with 32-bit row-relative
 * marks, checked against a dense brute-force merge, and a model whose
 * every row cancels to nothing loaded into GLPK. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "folio/folio.h"
#include "backends/glpk_common.h"

#define NCOLS 40

static unsigned rng_state = 12345u;
static unsigned rnd(unsigned n)
{
    rng_state = rng_state * 1103515245u + 12345u;
    return (rng_state >> 8) % n;
}

/* Random rows over NCOLS columns with many repeated columns, cancelling
 * pairs and empty rows; returns the model. */
static folio_model *random_model(int nrows)
{
    folio_model *m = folio_model_new("lean");
    assert_non_null(m);
    char name[32];
    for (int j = 0; j < NCOLS; j++) {
        snprintf(name, sizeof name, "x[%d]", j);
        folio_kind kind = j % 7 == 0 ? FOLIO_BINARY : j % 5 == 0 ? FOLIO_INTEGER : FOLIO_CONTINUOUS;
        double lb = j % 3 == 0 ? -HUGE_VAL : -(double)j, ub = j % 4 == 0 ? HUGE_VAL : (double)(2 * j + 1);
        assert_true(folio_model_add_col(m, name, lb, ub, kind) >= 0);
    }
    int idx[3 * NCOLS];
    double val[3 * NCOLS];
    for (int i = 0; i < nrows; i++) {
        size_t n = rnd(3 * NCOLS);
        for (size_t k = 0; k < n; k++) {
            idx[k] = (int)rnd(i % 3 == 0 ? 6 : NCOLS);   /* some rows: few columns, many repeats */
            val[k] = (double)((int)rnd(9) - 4) / 2.0;
        }
        if (n >= 2 && i % 4 == 0) {   /* a pair that cancels exactly */
            idx[n - 1] = idx[0];
            val[n - 1] = -val[0];
            for (size_t k = 1; k + 1 < n; k++)
                if (idx[k] == idx[0]) val[k] = 0.0;
        }
        snprintf(name, sizeof name, "r[%d]", i);
        double lo = i % 3 == 0 ? -HUGE_VAL : (double)i, hi = i % 5 == 0 ? HUGE_VAL : (double)i + (i % 2);
        assert_true(folio_model_add_row(m, name, n, idx, val, lo, hi) >= 0);

        /* reference: dense sums, columns in order of first appearance,
         * exact zeros dropped */
        double acc[NCOLS] = { 0 };
        int seen[NCOLS] = { 0 }, order[3 * NCOLS];
        size_t norder = 0;
        for (size_t k = 0; k < n; k++) {
            if (!seen[idx[k]]) {
                seen[idx[k]] = 1;
                order[norder++] = idx[k];
            }
            acc[idx[k]] += val[k];
        }
        size_t got_n;
        const int *got_idx;
        const double *got_val;
        folio_model_row(m, (size_t)i, &got_n, &got_idx, &got_val);
        size_t w = 0;
        for (size_t k = 0; k < norder; k++) {
            if (acc[order[k]] == 0.0) continue;
            assert_true(w < got_n);
            assert_int_equal(got_idx[w], order[k]);
            assert_true(got_val[w] == acc[order[k]]);
            w++;
        }
        assert_int_equal(got_n, w);
    }
    return m;
}

static void test_rows_merge_like_dense_reference(void **state)
{
    (void)state;
    folio_model *m = random_model(400);
    assert_int_equal(folio_model_nrows(m), 400);
    folio_model_free(m);
}

/* A model whose every row is empty (all terms cancel): nothing to load. */
static void test_glpk_all_rows_empty(void **state)
{
    (void)state;
    folio_model *m = folio_model_new("empty_rows");
    assert_true(folio_model_add_col(m, "x", 0, 1, FOLIO_CONTINUOUS) >= 0);
    int idx[2] = { 0, 0 };
    double val[2] = { 1.5, -1.5 };
    assert_true(folio_model_add_row(m, "r", 2, idx, val, 0, 1) >= 0);
    jmp_buf jb;
    folio_glpk_begin(&jb, 0);
    if (setjmp(jb)) fail_msg("GLPK error");
    glp_prob *P = folio_glpk_build(m, GLPK_NAMES_EXACT);
    assert_non_null(P);
    assert_int_equal(glp_get_num_rows(P), 1);
    assert_int_equal(glp_get_num_nz(P), 0);
    glp_delete_prob(P);
    folio_glpk_end();
    folio_model_free(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rows_merge_like_dense_reference),
        cmocka_unit_test(test_glpk_all_rows_empty),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
