/* The lean model build (issue 17): rows merged with 32-bit relative marks
 * checked against a dense brute-force merge, and the GLPK problem loaded
 * row by row in place checked against one loaded from triplets with
 * glp_load_matrix (the way it was loaded before), element by element and in
 * GLPK's own list order. */
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
#include "core/model_internal.h"
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

/* GLPK from the model's triplets, as folio loaded it before (the reference). */
static glp_prob *build_by_triplets(const folio_model *m)
{
    glp_prob *P = folio_glpk_build(m, GLPK_NAMES_EXACT);
    /* same columns, rows, names and bounds; replace the matrix */
    int nr = glp_get_num_rows(P);
    size_t nz = m->nz_len;
    int *ia = malloc((nz + 1) * sizeof *ia), *ja = malloc((nz + 1) * sizeof *ja);
    double *ar = malloc((nz + 1) * sizeof *ar);
    assert_true(ia && ja && ar);
    for (int i = 0; i < nr; i++)
        for (size_t k = m->row_start[i]; k < m->row_start[i + 1]; k++) {
            ia[k + 1] = i + 1;
            ja[k + 1] = m->nz_idx[k] + 1;
            ar[k + 1] = m->nz_val[k];
        }
    glp_load_matrix(P, (int)nz, ia, ja, ar);
    free(ia); free(ja); free(ar);
    return P;
}

static void assert_same_lists(int n1, const int *i1, const double *v1, int n2, const int *i2, const double *v2)
{
    assert_int_equal(n1, n2);
    for (int k = 1; k <= n1; k++) {   /* GLPK's list order, not sorted */
        assert_int_equal(i1[k], i2[k]);
        assert_true(v1[k] == v2[k]);
    }
}

static void assert_same_problem(glp_prob *A, glp_prob *B)
{
    int nr = glp_get_num_rows(A), nc = glp_get_num_cols(A);
    assert_int_equal(nr, glp_get_num_rows(B));
    assert_int_equal(nc, glp_get_num_cols(B));
    assert_int_equal(glp_get_num_nz(A), glp_get_num_nz(B));
    int big = (nr > nc ? nr : nc) + 1;
    int *ia = malloc((size_t)big * sizeof *ia), *ib = malloc((size_t)big * sizeof *ib);
    double *va = malloc((size_t)big * sizeof *va), *vb = malloc((size_t)big * sizeof *vb);
    assert_true(ia && ib && va && vb);
    for (int i = 1; i <= nr; i++) {
        assert_string_equal(glp_get_row_name(A, i), glp_get_row_name(B, i));
        assert_int_equal(glp_get_row_type(A, i), glp_get_row_type(B, i));
        assert_true(glp_get_row_lb(A, i) == glp_get_row_lb(B, i));
        assert_true(glp_get_row_ub(A, i) == glp_get_row_ub(B, i));
        int na = glp_get_mat_row(A, i, ia, va), nb = glp_get_mat_row(B, i, ib, vb);
        assert_same_lists(na, ia, va, nb, ib, vb);
    }
    for (int j = 1; j <= nc; j++) {
        assert_string_equal(glp_get_col_name(A, j), glp_get_col_name(B, j));
        assert_int_equal(glp_get_col_kind(A, j), glp_get_col_kind(B, j));
        int na = glp_get_mat_col(A, j, ia, va), nb = glp_get_mat_col(B, j, ib, vb);
        assert_same_lists(na, ia, va, nb, ib, vb);
    }
    free(ia); free(ib); free(va); free(vb);
}

static void test_glpk_rows_in_place_match_triplet_load(void **state)
{
    (void)state;
    jmp_buf jb;
    folio_glpk_begin(&jb, 0);
    if (setjmp(jb)) fail_msg("GLPK error");
    for (int nrows = 0; nrows <= 300; nrows += 150) {   /* no rows, then some */
        folio_model *m = random_model(nrows);
        glp_prob *A = folio_glpk_build(m, GLPK_NAMES_EXACT), *B = build_by_triplets(m);
        assert_non_null(A);
        assert_same_problem(A, B);
        glp_delete_prob(A);
        glp_delete_prob(B);
        folio_model_free(m);
    }
    folio_glpk_end();
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
        cmocka_unit_test(test_glpk_rows_in_place_match_triplet_load),
        cmocka_unit_test(test_glpk_all_rows_empty),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
