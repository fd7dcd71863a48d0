/* Model building: columns, rows, objective, cones, counts, names and the
 * exact error messages of folio_model_last_error(). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "folio/folio.h"
#include "core/model_internal.h" /* white box: stored quadratic terms and cones */

#define TOL 1e-12

static folio_model *new_model(void)
{
    folio_model *m = folio_model_new("t");
    assert_non_null(m);
    return m;
}

static void assert_row(const folio_model *m, size_t i, size_t n, const int *idx, const double *val)
{
    size_t got_n;
    const int *got_idx;
    const double *got_val;
    folio_model_row(m, i, &got_n, &got_idx, &got_val);
    assert_int_equal(got_n, n);
    for (size_t k = 0; k < n; k++) {
        assert_int_equal(got_idx[k], idx[k]);
        assert_true(fabs(got_val[k] - val[k]) <= TOL);
    }
}

/* ---- model life cycle ---------------------------------------------------- */

static void test_new_names_and_free_null(void **state)
{
    (void)state;
    folio_model *m = folio_model_new(NULL);
    assert_non_null(m);
    assert_string_equal(folio_model_name(m), "model");
    assert_string_equal(folio_model_last_error(m), "");
    assert_int_equal(folio_model_ncols(m), 0);
    assert_int_equal(folio_model_nrows(m), 0);
    assert_int_equal(folio_model_sense(m), FOLIO_MINIMIZE);
    folio_model_free(m);

    m = folio_model_new("portfolio");
    assert_string_equal(folio_model_name(m), "portfolio");
    folio_model_free(m);

    folio_model_free(NULL); /* must not crash */
}

/* ---- columns ------------------------------------------------------------- */

static void test_add_col_bounds_and_kinds(void **state)
{
    (void)state;
    folio_model *m = new_model();
    double lb, ub;

    assert_int_equal(folio_model_add_col(m, "free", -HUGE_VAL, HUGE_VAL, FOLIO_CONTINUOUS), 0);
    assert_int_equal(folio_model_add_col(m, "n", 0, 10, FOLIO_INTEGER), 1);
    assert_int_equal(folio_model_add_col(m, "b", -5, 7, FOLIO_BINARY), 2);
    assert_int_equal(folio_model_add_col(m, "b_inf", -HUGE_VAL, HUGE_VAL, FOLIO_BINARY), 3);
    assert_int_equal(folio_model_add_col(m, "b_half", 0, 0.5, FOLIO_BINARY), 4);
    assert_int_equal(folio_model_add_col(m, "fixed", 2.5, 2.5, FOLIO_CONTINUOUS), 5);

    folio_model_col_bounds(m, 0, &lb, &ub);
    assert_true(lb == -HUGE_VAL && ub == HUGE_VAL);
    folio_model_col_bounds(m, 1, &lb, &ub);
    assert_true(lb == 0.0 && ub == 10.0);
    folio_model_col_bounds(m, 2, &lb, &ub); /* binary clamps to [0,1] */
    assert_true(lb == 0.0 && ub == 1.0);
    folio_model_col_bounds(m, 3, &lb, &ub);
    assert_true(lb == 0.0 && ub == 1.0);
    folio_model_col_bounds(m, 4, &lb, &ub); /* tighter bounds are kept */
    assert_true(lb == 0.0 && ub == 0.5);
    folio_model_col_bounds(m, 5, &lb, &ub);
    assert_true(lb == 2.5 && ub == 2.5);

    assert_int_equal(folio_model_col_kind(m, 0), FOLIO_CONTINUOUS);
    assert_int_equal(folio_model_col_kind(m, 1), FOLIO_INTEGER);
    assert_int_equal(folio_model_col_kind(m, 2), FOLIO_BINARY);
    assert_int_equal(folio_model_ncols(m), 6);
    assert_int_equal(folio_model_nintegers(m), 4);
    assert_string_equal(folio_model_col_name(m, 2), "b");
    assert_null(folio_model_col_name(m, 6));
    assert_true(folio_model_obj_coef(m, 5) == 0.0);
    folio_model_free(m);
}

static void test_add_col_invalid_bounds(void **state)
{
    (void)state;
    folio_model *m = new_model();

    assert_int_equal(folio_model_add_col(m, "x", NAN, 1, FOLIO_CONTINUOUS), -1);
    assert_string_equal(folio_model_last_error(m),
                        "variable 'x': bound is not a number or infinite the wrong way");
    assert_int_equal(folio_model_add_col(m, "x", 0, NAN, FOLIO_CONTINUOUS), -1);
    assert_string_equal(folio_model_last_error(m),
                        "variable 'x': bound is not a number or infinite the wrong way");
    assert_int_equal(folio_model_add_col(m, "x", HUGE_VAL, HUGE_VAL, FOLIO_CONTINUOUS), -1);
    assert_string_equal(folio_model_last_error(m),
                        "variable 'x': bound is not a number or infinite the wrong way");
    assert_int_equal(folio_model_add_col(m, NULL, -HUGE_VAL, -HUGE_VAL, FOLIO_CONTINUOUS), -1);
    assert_string_equal(folio_model_last_error(m),
                        "variable '?': bound is not a number or infinite the wrong way");

    assert_int_equal(folio_model_add_col(m, "y", 3, 2, FOLIO_CONTINUOUS), -1);
    assert_string_equal(folio_model_last_error(m),
                        "variable 'y': lower bound 3 exceeds upper bound 2");
    /* clamping a binary [2,5] to [2,1] leaves an empty interval */
    assert_int_equal(folio_model_add_col(m, "b", 2, 5, FOLIO_BINARY), -1);
    assert_string_equal(folio_model_last_error(m),
                        "variable 'b': lower bound 2 exceeds upper bound 1");

    assert_int_equal(folio_model_ncols(m), 0);
    assert_int_equal(folio_model_nintegers(m), 0);
    /* the model stays usable */
    assert_int_equal(folio_model_add_col(m, "ok", 0, 1, FOLIO_CONTINUOUS), 0);
    folio_model_free(m);
}

static void test_names_length_and_control_characters(void **state)
{
    (void)state;
    folio_model *m = new_model();
    char name[300], expect[400];

    memset(name, 'a', 255);
    name[255] = '\0';
    assert_int_equal(folio_model_add_col(m, name, 0, 1, FOLIO_CONTINUOUS), 0);
    assert_string_equal(folio_model_col_name(m, 0), name);

    memset(name, 'b', 256);
    name[256] = '\0';
    assert_int_equal(folio_model_add_col(m, name, 0, 1, FOLIO_CONTINUOUS), -1);
    snprintf(expect, sizeof expect, "variable name '%.40s...' is longer than 255 characters", name);
    assert_string_equal(folio_model_last_error(m), expect);

    assert_int_equal(folio_model_add_col(m, "a\tb", 0, 1, FOLIO_CONTINUOUS), -1);
    assert_string_equal(folio_model_last_error(m), "variable name 'a\tb' holds a control character");
    assert_int_equal(folio_model_add_col(m, "del\x7f", 0, 1, FOLIO_INTEGER), -1);
    assert_string_equal(folio_model_last_error(m), "variable name 'del\x7f' holds a control character");
    assert_int_equal(folio_model_ncols(m), 1);
    assert_int_equal(folio_model_nintegers(m), 0);

    /* rows check names the same way */
    int idx[] = { 0 };
    double val[] = { 1 };
    assert_int_equal(folio_model_add_row(m, name, 1, idx, val, 0, 1), -1);
    snprintf(expect, sizeof expect, "constraint name '%.40s...' is longer than 255 characters", name);
    assert_string_equal(folio_model_last_error(m), expect);
    assert_int_equal(folio_model_add_row(m, "r\n", 1, idx, val, 0, 1), -1);
    assert_string_equal(folio_model_last_error(m), "constraint name 'r\n' holds a control character");
    assert_int_equal(folio_model_nrows(m), 0);
    assert_int_equal(folio_model_nnz(m), 0);
    folio_model_free(m);
}

/* Every byte position of names of every length up to 40 (and 255): a byte
 * below 0x20 or 0x7f anywhere is refused; printable ASCII and UTF-8 bytes
 * (>= 0x80) anywhere are accepted. */
static void test_control_characters_at_every_position(void **state)
{
    (void)state;
    static const unsigned char bad[] = { 0x01, 0x09, 0x0a, 0x1f, 0x7f };
    static const unsigned char good[] = { 0x20, 0x21, 0x5b, 0x7e, 0x80, 0xc3, 0xff };
    folio_model *m = new_model();
    char name[256];
    size_t lengths[41];
    for (size_t l = 1; l <= 40; l++) lengths[l - 1] = l;
    lengths[40] = 255;
    long next = 0;

    for (size_t li = 0; li < 41; li++) {
        size_t len = lengths[li];
        for (size_t pos = 0; pos < len; pos++) {
            memset(name, 'a' + (int)(len % 26), len);
            name[len] = '\0';
            for (size_t b = 0; b < sizeof bad; b++) {
                name[pos] = (char)bad[b];
                if (folio_model_add_col(m, name, 0, 1, FOLIO_CONTINUOUS) != -1)
                    fail_msg("byte 0x%02x at %zu of %zu accepted", bad[b], pos, len);
                assert_non_null(strstr(folio_model_last_error(m), "holds a control character"));
            }
            for (size_t g = 0; g < sizeof good; g++) {
                name[pos] = (char)good[g];
                long j = folio_model_add_col(m, name, 0, 1, FOLIO_CONTINUOUS);
                if (j != next)
                    fail_msg("byte 0x%02x at %zu of %zu refused: %s", good[g], pos, len,
                             folio_model_last_error(m));
                next++;
                assert_string_equal(folio_model_col_name(m, (size_t)j), name);
            }
        }
    }
    assert_int_equal(folio_model_ncols(m), (size_t)next);
    /* names stored earlier are intact after all the failed attempts */
    assert_string_equal(folio_model_col_name(m, 0), " ");
    assert_string_equal(folio_model_col_name(m, 1), "!");
    folio_model_free(m);
}

static void test_automatic_names(void **state)
{
    (void)state;
    folio_model *m = new_model();
    assert_int_equal(folio_model_add_col(m, NULL, 0, 1, FOLIO_CONTINUOUS), 0);
    assert_int_equal(folio_model_add_col(m, "", 0, 1, FOLIO_CONTINUOUS), 1);
    assert_int_equal(folio_model_add_col(m, "y", 0, 1, FOLIO_CONTINUOUS), 2);
    assert_int_equal(folio_model_add_col(m, NULL, 0, 1, FOLIO_CONTINUOUS), 3);
    assert_string_equal(folio_model_col_name(m, 0), "_c1");
    assert_string_equal(folio_model_col_name(m, 1), "_c2");
    assert_string_equal(folio_model_col_name(m, 2), "y");
    assert_string_equal(folio_model_col_name(m, 3), "_c4");

    int idx[] = { 0 };
    double val[] = { 1 };
    assert_int_equal(folio_model_add_row(m, NULL, 1, idx, val, 0, 1), 0);
    assert_int_equal(folio_model_add_row(m, "", 1, idx, val, 0, 1), 1);
    assert_string_equal(folio_model_row_name(m, 0), "_r1");
    assert_string_equal(folio_model_row_name(m, 1), "_r2");
    assert_null(folio_model_row_name(m, 2));

    size_t start[] = { 0, 1 };
    double cst[] = { 0 };
    int t[] = { 1 };
    double tv[] = { 1 };
    assert_int_equal(folio_model_add_soc(m, NULL, 1, start, idx, val, cst, 1, t, tv, 0), 0);
    assert_string_equal(folio_model_cone_name(m, 0), "_k1");
    assert_null(folio_model_cone_name(m, 1));

    assert_int_equal(folio_model_find_col(m, "_c4"), 3);
    assert_int_equal(folio_model_find_row(m, "_r2"), 1);
    folio_model_free(m);
}

/* ---- rows ---------------------------------------------------------------- */

static folio_model *model_with_cols(size_t n)
{
    folio_model *m = new_model();
    char name[32];
    for (size_t j = 0; j < n; j++) {
        snprintf(name, sizeof name, "x%zu", j);
        assert_int_equal(folio_model_add_col(m, name, 0, 10, FOLIO_CONTINUOUS), (long)j);
    }
    return m;
}

static void test_add_row_invalid(void **state)
{
    (void)state;
    folio_model *m = model_with_cols(3);
    int idx[] = { 0, 1 };
    double val[] = { 1, NAN };

    assert_int_equal(folio_model_add_row(m, "c1", 2, idx, val, 0, 1), -1);
    assert_string_equal(folio_model_last_error(m), "constraint 'c1': coefficient of 'x1' is not finite (nan)");
    val[1] = HUGE_VAL;
    assert_int_equal(folio_model_add_row(m, "c1", 2, idx, val, 0, 1), -1);
    assert_string_equal(folio_model_last_error(m), "constraint 'c1': coefficient of 'x1' is not finite (inf)");

    val[1] = 1;
    idx[1] = 3;
    assert_int_equal(folio_model_add_row(m, "c2", 2, idx, val, 0, 1), -1);
    assert_string_equal(folio_model_last_error(m), "constraint 'c2': column index 3 out of range");
    idx[1] = -1;
    assert_int_equal(folio_model_add_row(m, NULL, 2, idx, val, 0, 1), -1);
    assert_string_equal(folio_model_last_error(m), "constraint '?': column index -1 out of range");

    idx[1] = 1;
    assert_int_equal(folio_model_add_row(m, "r", 2, idx, val, 2, 1), -1);
    assert_string_equal(folio_model_last_error(m), "constraint 'r': lower limit 2 exceeds upper limit 1");
    assert_int_equal(folio_model_add_row(m, "r", 2, idx, val, NAN, 1), -1);
    assert_string_equal(folio_model_last_error(m), "constraint 'r': right-hand side is not a number");
    assert_int_equal(folio_model_add_row(m, "r", 2, idx, val, 0, NAN), -1);
    assert_string_equal(folio_model_last_error(m), "constraint 'r': right-hand side is not a number");
    assert_int_equal(folio_model_add_row(m, "r", 2, idx, val, HUGE_VAL, HUGE_VAL), -1);
    assert_string_equal(folio_model_last_error(m), "constraint 'r': right-hand side is infinite");
    assert_int_equal(folio_model_add_row(m, "r", 2, idx, val, -HUGE_VAL, -HUGE_VAL), -1);
    assert_string_equal(folio_model_last_error(m), "constraint 'r': right-hand side is infinite");

    assert_int_equal(folio_model_nrows(m), 0);
    assert_int_equal(folio_model_nnz(m), 0);
    assert_int_equal(folio_model_add_row(m, "r", 2, idx, val, 0, 1), 0);
    assert_int_equal(folio_model_nnz(m), 2);
    folio_model_free(m);
}

static void test_add_row_merges_duplicates(void **state)
{
    (void)state;
    folio_model *m = model_with_cols(4);

    /* x0 appears twice (1+3), x1 cancels exactly (2-2), x2 once */
    int i0[] = { 0, 1, 0, 2, 1 };
    double v0[] = { 1, 2, 3, 4, -2 };
    assert_int_equal(folio_model_add_row(m, "a", 5, i0, v0, -HUGE_VAL, 8), 0);
    assert_row(m, 0, 2, (int[]){ 0, 2 }, (double[]){ 4, 4 });

    /* after the cancellation above, x1 and x2 must be merged correctly in
     * a new row (stale positions from row "a" must not be reused) */
    int i1[] = { 3, 2, 1, 2, 1 };
    double v1[] = { 1, 5, 7, -1, 0.5 };
    assert_int_equal(folio_model_add_row(m, "b", 5, i1, v1, 1, 1), 1);
    assert_row(m, 1, 3, (int[]){ 3, 2, 1 }, (double[]){ 1, 4, 7.5 });

    /* explicit zeros are dropped; a row may end up empty */
    int i2[] = { 3, 0 };
    double v2[] = { 0.0, -0.0 };
    assert_int_equal(folio_model_add_row(m, "c", 2, i2, v2, -HUGE_VAL, HUGE_VAL), 2);
    assert_row(m, 2, 0, NULL, NULL);

    /* only exact cancellations are dropped: 0.1 + 0.2 - 0.3 != 0 */
    int i3[] = { 2, 2, 2 };
    double v3[] = { 0.1, 0.2, -0.3 };
    assert_int_equal(folio_model_add_row(m, "d", 3, i3, v3, 0, HUGE_VAL), 3);
    size_t n;
    const int *idx;
    const double *val;
    folio_model_row(m, 3, &n, &idx, &val);
    assert_int_equal(n, 1);
    assert_int_equal(idx[0], 2);
    assert_true(val[0] == (0.1 + 0.2) - 0.3);

    /* a row with no terms at all */
    assert_int_equal(folio_model_add_row(m, "e", 0, NULL, NULL, -1, 1), 4);
    assert_row(m, 4, 0, NULL, NULL);

    assert_int_equal(folio_model_nrows(m), 5);
    assert_int_equal(folio_model_nnz(m), 2 + 3 + 0 + 1 + 0);
    /* earlier rows are untouched by later ones */
    assert_row(m, 0, 2, (int[]){ 0, 2 }, (double[]){ 4, 4 });

    /* columns added after rows exist can be merged in new rows */
    char name[32];
    for (int j = 4; j < 100; j++) {
        snprintf(name, sizeof name, "late%d", j);
        assert_int_equal(folio_model_add_col(m, name, 0, 1, FOLIO_CONTINUOUS), j);
    }
    int i5[] = { 99, 2, 64, 99, 2, 0 };
    double v5[] = { 1, 1, 1, 1, -1, 1 };
    assert_int_equal(folio_model_add_row(m, "f", 6, i5, v5, 0, 1), 5);
    assert_row(m, 5, 3, (int[]){ 99, 64, 0 }, (double[]){ 2, 1, 1 });
    assert_int_equal(folio_model_nnz(m), 6 + 3);
    folio_model_free(m);
}

/* Terms that are finite alone but overflow when a column's terms are
 * summed are errors that name the column, in rows, cones, the objective
 * and quadratic terms (issue 14: 1e308 x + 1e308 x became inf x), and
 * nothing of the failed call is kept. Quadratic terms are kept apart and
 * summed by the backends, in their own order: a pair overflows when the
 * sum of its terms' magnitudes does. */
static void test_sums_that_overflow(void **state)
{
    (void)state;
    folio_model *m = model_with_cols(3);
    int i[] = { 1, 0, 1, 2 };
    double big[] = { 1e308, 1, 1e308, 1 };
    assert_int_equal(folio_model_add_row(m, "c", 4, i, big, -HUGE_VAL, 1e308), -1);
    assert_string_equal(folio_model_last_error(m),
                        "constraint 'c': coefficient of 'x1' overflows to inf when its terms are summed");
    /* the sums are those folio stores: in the order the terms come */
    int k[] = { 1, 1, 1 };
    double late[] = { 1e308, 1e308, -1e308 }, early[] = { 1e308, -1e308, 1e308 };
    assert_int_equal(folio_model_add_row(m, "c", 3, k, late, -HUGE_VAL, 1), -1);
    assert_string_equal(folio_model_last_error(m),
                        "constraint 'c': coefficient of 'x1' overflows to inf when its terms are summed");
    assert_int_equal(folio_model_nrows(m), 0);
    assert_int_equal(folio_model_nnz(m), 0);
    assert_int_equal(folio_model_add_row(m, "c", 3, k, early, -HUGE_VAL, 1), 0);
    assert_row(m, 0, 1, (int[]){ 1 }, (double[]){ 1e308 });
    /* large terms of different columns are fine */
    int j[] = { 0, 1, 2 };
    double fine[] = { 1e308, 1e308, -1e308 };
    assert_int_equal(folio_model_add_row(m, "ok", 3, j, fine, -HUGE_VAL, 1), 1);
    assert_row(m, 1, 3, j, fine);

    /* the objective: linear and quadratic terms */
    double lin[] = { 1, 2, 3 };
    assert_int_equal(folio_model_set_objective(m, FOLIO_MAXIMIZE, 0, 3, j, lin, 0, NULL, NULL, NULL), FOLIO_OK);
    assert_int_equal(folio_model_set_objective(m, FOLIO_MINIMIZE, 0, 4, i, big, 0, NULL, NULL, NULL),
                     FOLIO_ERR_INVALID);
    assert_string_equal(folio_model_last_error(m),
                        "objective: coefficient of 'x1' overflows to inf when its terms are summed");
    int qi[] = { 0, 2, 1, 2 }, qj[] = { 2, 2, 1, 0 };
    double qv[] = { 1e308, 1, 1, 1e308 };
    assert_int_equal(folio_model_set_objective(m, FOLIO_MINIMIZE, 0, 0, NULL, NULL, 4, qi, qj, qv),
                     FOLIO_ERR_INVALID);
    assert_string_equal(folio_model_last_error(m),
                        "objective: coefficient of 'x0*x2' overflows to inf when its terms are summed");
    assert_int_equal(folio_model_sense(m), FOLIO_MAXIMIZE);
    assert_true(folio_model_obj_coef(m, 1) == 2);
    assert_int_equal(folio_model_nquad(m), 0);
    qj[3] = 1; /* x2*x1 and x0*x2: no pair overflows */
    assert_int_equal(folio_model_set_objective(m, FOLIO_MINIMIZE, 0, 0, NULL, NULL, 4, qi, qj, qv), FOLIO_OK);

    /* a cone: its right-hand side and each member */
    size_t start[] = { 0, 2 };
    int ci[] = { 0, 0 };
    double cv[] = { 1e308, 1e308 }, cst[] = { 0 };
    int ti[] = { 1 };
    double tv[] = { 1 };
    assert_int_equal(folio_model_add_soc(m, "k", 1, start, ci, cv, cst, 1, ti, tv, 0), -1);
    assert_string_equal(folio_model_last_error(m),
                        "cone 'k': coefficient of 'x0' overflows to inf when its terms are summed");
    int ti2[] = { 1, 1 };
    double ok_cv[] = { 1, 1 };
    assert_int_equal(folio_model_add_soc(m, "k", 1, start, ci, ok_cv, cst, 2, ti2, cv, 0), -1);
    assert_string_equal(folio_model_last_error(m),
                        "cone 'k': coefficient of 'x1' overflows to inf when its terms are summed");
    assert_int_equal(folio_model_ncones(m), 0);

    /* a quadratic constraint */
    int q1[] = { 0, 0 }, q2[] = { 0, 0 };
    double qq[] = { 1e308, 1e308 };
    assert_int_equal(folio_model_add_quad_row(m, "q", 0, NULL, NULL, 2, q1, q2, qq, -HUGE_VAL, 1), -1);
    assert_string_equal(folio_model_last_error(m),
                        "constraint 'q': coefficient of 'x0*x0' overflows to inf when its terms are summed");
    assert_int_equal(folio_model_ncols(m), 3);
    assert_int_equal(folio_model_nrows(m), 2);
    folio_model_free(m);
}

static void test_row_bounds_ranged_and_one_sided(void **state)
{
    (void)state;
    folio_model *m = model_with_cols(2);
    int idx[] = { 0, 1 };
    double val[] = { 1, -1 };
    double lo, hi;

    assert_int_equal(folio_model_add_row(m, "ranged", 2, idx, val, -1.5, 2.5), 0);
    assert_int_equal(folio_model_add_row(m, "eq", 2, idx, val, 3, 3), 1);
    assert_int_equal(folio_model_add_row(m, "ge", 2, idx, val, 1, HUGE_VAL), 2);
    assert_int_equal(folio_model_add_row(m, "le", 2, idx, val, -HUGE_VAL, 4), 3);
    assert_int_equal(folio_model_add_row(m, "free", 2, idx, val, -HUGE_VAL, HUGE_VAL), 4);

    folio_model_row_bounds(m, 0, &lo, &hi);
    assert_true(lo == -1.5 && hi == 2.5);
    folio_model_row_bounds(m, 1, &lo, &hi);
    assert_true(lo == 3 && hi == 3);
    folio_model_row_bounds(m, 2, &lo, &hi);
    assert_true(lo == 1 && hi == HUGE_VAL);
    folio_model_row_bounds(m, 3, &lo, &hi);
    assert_true(lo == -HUGE_VAL && hi == 4);
    folio_model_row_bounds(m, 4, &lo, &hi);
    assert_true(lo == -HUGE_VAL && hi == HUGE_VAL);
    assert_string_equal(folio_model_row_name(m, 0), "ranged");
    folio_model_free(m);
}

static void test_many_rows_and_columns_grow(void **state)
{
    (void)state;
    enum { N = 1000, R = 300 };
    folio_model *m = model_with_cols(N);
    for (int i = 0; i < R; i++) {
        int idx[3] = { i, (i * 7) % N, N - 1 - i };
        double val[3] = { 1.0 + i, 2.0, 3.0 };
        char name[32];
        snprintf(name, sizeof name, "r%d", i);
        assert_int_equal(folio_model_add_row(m, name, 3, idx, val, -HUGE_VAL, i), i);
    }
    assert_int_equal(folio_model_nrows(m), R);
    /* row 0: x0 gets 1 + 2 (idx 0 twice), x999 gets 3 */
    assert_row(m, 0, 2, (int[]){ 0, N - 1 }, (double[]){ 3, 3 });
    assert_row(m, 150, 3, (int[]){ 150, 50, 849 }, (double[]){ 151, 2, 3 });
    assert_row(m, R - 1, 3, (int[]){ R - 1, ((R - 1) * 7) % N, N - R }, (double[]){ R, 2, 3 });
    assert_int_equal(folio_model_nnz(m), 3 * R - 1);
    double lo, hi;
    folio_model_row_bounds(m, R - 1, &lo, &hi);
    assert_true(lo == -HUGE_VAL && hi == R - 1);
    assert_int_equal(folio_model_find_col(m, "x999"), 999);
    assert_int_equal(folio_model_find_row(m, "r299"), 299);
    folio_model_free(m);
}

/* ---- objective ----------------------------------------------------------- */

static void test_set_objective_linear_and_quadratic(void **state)
{
    (void)state;
    folio_model *m = model_with_cols(3);
    int idx[] = { 0, 2, 0 };
    double val[] = { 1.5, -2, 0.5 };
    int qi[] = { 1, 0, 2, 2 };
    int qj[] = { 0, 0, 1, 0 };
    double qv[] = { 2, 3, 0, -1 };

    assert_int_equal(folio_model_set_objective(m, FOLIO_MAXIMIZE, 7.25, 3, idx, val, 4, qi, qj, qv),
                     FOLIO_OK);
    assert_int_equal(folio_model_sense(m), FOLIO_MAXIMIZE);
    assert_true(folio_model_obj_constant(m) == 7.25);
    assert_true(fabs(folio_model_obj_coef(m, 0) - 2.0) <= TOL); /* 1.5 + 0.5 */
    assert_true(folio_model_obj_coef(m, 1) == 0.0);
    assert_true(fabs(folio_model_obj_coef(m, 2) + 2.0) <= TOL);

    /* zero terms dropped; stored with i <= j, in the given order */
    assert_int_equal(folio_model_nquad(m), 3);
    assert_int_equal(m->qi[0], 0); assert_int_equal(m->qj[0], 1); assert_true(m->qv[0] == 2);
    assert_int_equal(m->qi[1], 0); assert_int_equal(m->qj[1], 0); assert_true(m->qv[1] == 3);
    assert_int_equal(m->qi[2], 0); assert_int_equal(m->qj[2], 2); assert_true(m->qv[2] == -1);
    for (size_t k = 0; k < folio_model_nquad(m); k++) assert_true(m->qi[k] <= m->qj[k]);

    /* a new objective replaces the old one entirely */
    int idx2[] = { 1 };
    double val2[] = { 4 };
    assert_int_equal(folio_model_set_objective(m, FOLIO_MINIMIZE, 0, 1, idx2, val2, 0, NULL, NULL, NULL),
                     FOLIO_OK);
    assert_int_equal(folio_model_sense(m), FOLIO_MINIMIZE);
    assert_true(folio_model_obj_coef(m, 0) == 0.0);
    assert_true(folio_model_obj_coef(m, 1) == 4.0);
    assert_true(folio_model_obj_coef(m, 2) == 0.0);
    assert_true(folio_model_obj_constant(m) == 0.0);
    assert_int_equal(folio_model_nquad(m), 0);
    folio_model_free(m);
}

static void test_set_objective_invalid_keeps_previous(void **state)
{
    (void)state;
    folio_model *m = model_with_cols(2);
    int idx[] = { 0, 1 };
    double val[] = { 1, 2 };
    assert_int_equal(folio_model_set_objective(m, FOLIO_MAXIMIZE, 1, 2, idx, val, 0, NULL, NULL, NULL),
                     FOLIO_OK);

    double bad[] = { 1, NAN };
    assert_int_equal(folio_model_set_objective(m, FOLIO_MINIMIZE, 0, 2, idx, bad, 0, NULL, NULL, NULL),
                     FOLIO_ERR_INVALID);
    assert_string_equal(folio_model_last_error(m),
                        "objective 'objective': coefficient of 'x1' is not finite (nan)");

    int far[] = { 0, 5 };
    assert_int_equal(folio_model_set_objective(m, FOLIO_MINIMIZE, 0, 2, far, val, 0, NULL, NULL, NULL),
                     FOLIO_ERR_INVALID);
    assert_string_equal(folio_model_last_error(m), "objective 'objective': column index 5 out of range");

    assert_int_equal(folio_model_set_objective(m, FOLIO_MINIMIZE, HUGE_VAL, 2, idx, val, 0, NULL, NULL, NULL),
                     FOLIO_ERR_INVALID);
    assert_string_equal(folio_model_last_error(m), "objective: constant is not finite");

    int qi[] = { 0 }, qj[] = { 2 };
    double qv[] = { 1 };
    assert_int_equal(folio_model_set_objective(m, FOLIO_MINIMIZE, 0, 2, idx, val, 1, qi, qj, qv),
                     FOLIO_ERR_INVALID);
    assert_string_equal(folio_model_last_error(m), "objective: quadratic index out of range");
    qj[0] = 1;
    qv[0] = NAN;
    assert_int_equal(folio_model_set_objective(m, FOLIO_MINIMIZE, 0, 2, idx, val, 1, qi, qj, qv),
                     FOLIO_ERR_INVALID);
    assert_string_equal(folio_model_last_error(m), "objective: coefficient of 'x0*x1' is not finite (nan)");

    /* nothing of the failed calls stuck */
    assert_int_equal(folio_model_sense(m), FOLIO_MAXIMIZE);
    assert_true(folio_model_obj_constant(m) == 1);
    assert_true(folio_model_obj_coef(m, 0) == 1 && folio_model_obj_coef(m, 1) == 2);
    assert_int_equal(folio_model_nquad(m), 0);
    folio_model_free(m);
}

/* ---- cones --------------------------------------------------------------- */

static void test_add_soc(void **state)
{
    (void)state;
    folio_model *m = model_with_cols(3);
    /* ||(x0 - 1, 2 x1 + x0)|| <= x2 + 0.5 */
    size_t start[] = { 0, 1, 3 };
    int idx[] = { 0, 1, 0 };
    double val[] = { 1, 2, 1 };
    double cst[] = { -1, 0 };
    int tidx[] = { 2 };
    double tval[] = { 1 };
    assert_int_equal(folio_model_add_soc(m, "risk", 2, start, idx, val, cst, 1, tidx, tval, 0.5), 0);
    assert_int_equal(folio_model_ncones(m), 1);
    assert_string_equal(folio_model_cone_name(m, 0), "risk");
    /* storage: the right-hand side first, then the members */
    assert_int_equal(m->cone_start[0], 0);
    assert_int_equal(m->cone_start[1], 3);
    assert_true(m->aff_cst[0] == 0.5 && m->aff_cst[1] == -1 && m->aff_cst[2] == 0);
    assert_int_equal(m->aff_start[1] - m->aff_start[0], 1);
    assert_int_equal(m->aff_start[2] - m->aff_start[1], 1);
    assert_int_equal(m->aff_start[3] - m->aff_start[2], 2);
    assert_int_equal(m->aff_idx[m->aff_start[0]], 2);
    assert_int_equal(m->aff_idx[m->aff_start[2] + 1], 0);

    /* a second cone with a member range not starting at 0 */
    size_t start2[] = { 1, 3 };
    assert_int_equal(folio_model_add_soc(m, "second", 1, start2, idx, val, cst, 1, tidx, tval, 0), 1);
    assert_int_equal(folio_model_ncones(m), 2);
    assert_int_equal(m->cone_start[2], 5);
    assert_int_equal(m->aff_start[5] - m->aff_start[4], 2);
    assert_int_equal(m->aff_idx[m->aff_start[4]], 1);

    /* repeated columns in a member or on the right are summed, so a member
     * never holds more terms than there are columns (the QP engine's row
     * buffers rely on it) */
    size_t start3[] = { 0, 5 };
    int idx3[] = { 0, 1, 0, 0, 1 };
    double val3[] = { 1, 2, 1, 1, -2 };
    int tidx3[] = { 2, 2, 2, 2 };
    double tval3[] = { 1, 1, 1, 1 };
    assert_int_equal(folio_model_add_soc(m, "merged", 1, start3, idx3, val3, cst, 4, tidx3, tval3, 0), 2);
    size_t a0 = m->cone_start[2];
    assert_int_equal(m->aff_start[a0 + 1] - m->aff_start[a0], 1);   /* 4 t terms -> one */
    assert_true(m->aff_idx[m->aff_start[a0]] == 2 && m->aff_val[m->aff_start[a0]] == 4);
    assert_int_equal(m->aff_start[a0 + 2] - m->aff_start[a0 + 1], 1); /* x1 cancels, x0 sums to 3 */
    assert_true(m->aff_idx[m->aff_start[a0 + 1]] == 0 && m->aff_val[m->aff_start[a0 + 1]] == 3);

    /* cones are not rows and add no linear nonzeros */
    assert_int_equal(folio_model_nrows(m), 0);
    assert_int_equal(folio_model_nnz(m), 0);
    folio_model_free(m);
}

static void test_add_soc_invalid(void **state)
{
    (void)state;
    folio_model *m = model_with_cols(2);
    size_t start[] = { 0, 1 };
    int idx[] = { 0 };
    double val[] = { 1 };
    double cst[] = { 0 };
    int tidx[] = { 1 };
    double tval[] = { 1 };

    assert_int_equal(folio_model_add_soc(m, "c", 0, start, idx, val, cst, 1, tidx, tval, 0), -1);
    assert_string_equal(folio_model_last_error(m), "cone 'c': no members");
    int bad_idx[] = { 9 };
    assert_int_equal(folio_model_add_soc(m, "c", 1, start, bad_idx, val, cst, 1, tidx, tval, 0), -1);
    assert_string_equal(folio_model_last_error(m), "cone 'c': column index 9 out of range");
    assert_int_equal(folio_model_add_soc(m, "c", 1, start, idx, val, cst, 1, bad_idx, tval, 0), -1);
    assert_string_equal(folio_model_last_error(m), "cone 'c': column index 9 out of range");
    double nan_val[] = { NAN };
    assert_int_equal(folio_model_add_soc(m, "c", 1, start, idx, nan_val, cst, 1, tidx, tval, 0), -1);
    assert_string_equal(folio_model_last_error(m), "cone 'c': coefficient of 'x0' is not finite (nan)");
    double nan_cst[] = { NAN };
    assert_int_equal(folio_model_add_soc(m, "c", 1, start, idx, val, nan_cst, 1, tidx, tval, 0), -1);
    assert_string_equal(folio_model_last_error(m), "cone 'c': constant is not finite");
    assert_int_equal(folio_model_add_soc(m, "c", 1, start, idx, val, cst, 1, tidx, tval, HUGE_VAL), -1);
    assert_string_equal(folio_model_last_error(m), "cone 'c': constant is not finite");
    assert_int_equal(folio_model_add_soc(m, "c\x01", 1, start, idx, val, cst, 1, tidx, tval, 0), -1);
    assert_string_equal(folio_model_last_error(m), "cone name 'c\x01' holds a control character");

    assert_int_equal(folio_model_ncones(m), 0);
    folio_model_free(m);
}

/* ---- counts and names ---------------------------------------------------- */

static void test_counts(void **state)
{
    (void)state;
    folio_model *m = new_model();
    assert_int_equal(folio_model_add_col(m, "a", 0, 1, FOLIO_BINARY), 0);
    assert_int_equal(folio_model_add_col(m, "b", 0, 5, FOLIO_INTEGER), 1);
    assert_int_equal(folio_model_add_col(m, "c", 0, 5, FOLIO_CONTINUOUS), 2);
    int idx[] = { 0, 1, 2 };
    double val[] = { 1, 1, 1 };
    assert_int_equal(folio_model_add_row(m, "r0", 3, idx, val, 0, 4), 0);
    assert_int_equal(folio_model_add_row(m, "r1", 2, idx + 1, val, 0, 4), 1);
    int qi[] = { 2, 1 }, qj[] = { 2, 2 };
    double qv[] = { 1, 0.5 };
    assert_int_equal(folio_model_set_objective(m, FOLIO_MINIMIZE, 0, 0, NULL, NULL, 2, qi, qj, qv), FOLIO_OK);
    size_t start[] = { 0, 1 };
    double cst[] = { 0 };
    assert_int_equal(folio_model_add_soc(m, "k", 1, start, idx, val, cst, 1, idx + 2, val, 0), 0);

    assert_int_equal(folio_model_ncols(m), 3);
    assert_int_equal(folio_model_nrows(m), 2);
    assert_int_equal(folio_model_nnz(m), 5);
    assert_int_equal(folio_model_nquad(m), 2);
    assert_int_equal(folio_model_ncones(m), 1);
    assert_int_equal(folio_model_nintegers(m), 2);
    folio_model_free(m);
}

static void test_find_col_and_row(void **state)
{
    (void)state;
    folio_model *m = new_model();
    assert_int_equal(folio_model_find_col(m, "x"), -1); /* empty model */
    assert_int_equal(folio_model_find_row(m, "r"), -1);

    assert_int_equal(folio_model_add_col(m, "x[a,b]", 0, 1, FOLIO_CONTINUOUS), 0);
    assert_int_equal(folio_model_add_col(m, "y", 0, 1, FOLIO_CONTINUOUS), 1);
    assert_int_equal(folio_model_find_col(m, "x[a,b]"), 0);
    assert_int_equal(folio_model_find_col(m, "y"), 1);
    assert_int_equal(folio_model_find_col(m, "z"), -1);
    assert_int_equal(folio_model_find_col(m, "x[a,b"), -1);
    assert_int_equal(folio_model_find_col(m, ""), -1);

    /* the index built above must see columns added afterwards */
    char name[32];
    for (int j = 2; j < 200; j++) {
        snprintf(name, sizeof name, "v%d", j);
        assert_int_equal(folio_model_add_col(m, name, 0, 1, FOLIO_CONTINUOUS), j);
        if (j % 37 == 0) assert_int_equal(folio_model_find_col(m, name), j);
    }
    assert_int_equal(folio_model_add_col(m, "z", 0, 1, FOLIO_CONTINUOUS), 200);
    assert_int_equal(folio_model_find_col(m, "z"), 200);
    assert_int_equal(folio_model_find_col(m, "v2"), 2);
    assert_int_equal(folio_model_find_col(m, "v199"), 199);
    assert_int_equal(folio_model_find_col(m, "x[a,b]"), 0);
    assert_int_equal(folio_model_find_col(m, "v200"), -1);

    /* duplicate names: the first definition wins */
    assert_int_equal(folio_model_add_col(m, "y", 0, 1, FOLIO_CONTINUOUS), 201);
    assert_int_equal(folio_model_find_col(m, "y"), 1);

    /* rows have their own name space */
    int idx[] = { 0 };
    double val[] = { 1 };
    assert_int_equal(folio_model_find_row(m, "y"), -1);
    assert_int_equal(folio_model_add_row(m, "budget", 1, idx, val, 0, 1), 0);
    assert_int_equal(folio_model_find_row(m, "budget"), 0);
    assert_int_equal(folio_model_add_row(m, "y", 1, idx, val, 0, 1), 1);
    assert_int_equal(folio_model_find_row(m, "y"), 1);
    assert_int_equal(folio_model_find_row(m, "budget"), 0);
    assert_int_equal(folio_model_find_row(m, "x[a,b]"), -1);
    assert_int_equal(folio_model_find_col(m, "budget"), -1);
    folio_model_free(m);
}

/* ---- empty arrays -------------------------------------------------------- */

/* Zero-length inputs given as NULL are legal C API usage (n == 0); these
 * must not pass NULL to memset/memcpy (undefined behaviour, caught by UBSan). */
static void test_empty_objective_on_empty_model(void **state)
{
    (void)state;
    folio_model *m = new_model();
    assert_int_equal(folio_model_set_objective(m, FOLIO_MAXIMIZE, 3, 0, NULL, NULL, 0, NULL, NULL, NULL),
                     FOLIO_OK);
    assert_int_equal(folio_model_sense(m), FOLIO_MAXIMIZE);
    assert_true(folio_model_obj_constant(m) == 3);
    folio_model_free(m);
}

static void test_cone_with_constant_right_hand_side(void **state)
{
    (void)state;
    folio_model *m = model_with_cols(1);
    /* ||x0|| <= 2: no variable terms on the right */
    size_t start[] = { 0, 1 };
    int idx[] = { 0 };
    double val[] = { 1 };
    double cst[] = { 0 };
    assert_int_equal(folio_model_add_soc(m, "ball", 1, start, idx, val, cst, 0, NULL, NULL, 2), 0);
    assert_int_equal(folio_model_ncones(m), 1);
    assert_true(m->aff_cst[0] == 2);
    assert_int_equal(m->aff_start[1], 0);
    folio_model_free(m);
}

/* Rows without terms (tests/fuzz/dsl/regress-qp-row-without-terms): the
 * term arrays of rows and cones are never NULL, so m->nz_idx + row_start[i]
 * is defined (UBSan flagged NULL + 0 in the QP engine), and every backend
 * solves the model. */
static void test_rows_without_terms(void **state)
{
    (void)state;
    folio_model *m = model_with_cols(1);
    assert_int_equal(folio_model_add_row(m, "empty", 0, NULL, NULL, -1, 1), 0);
    assert_int_equal(folio_model_add_row(m, "fixed", 0, NULL, NULL, 0, 0), 1);
    size_t n;
    const int *idx;
    const double *val;
    folio_model_row(m, 0, &n, &idx, &val);
    assert_int_equal(n, 0);
    assert_non_null(idx);
    assert_non_null(val);
    assert_non_null(m->aff_idx);
    assert_non_null(m->aff_val);
    static const char *const solvers[] = { "glpk", "cbc", "qp" };
    for (size_t s = 0; s < 3; s++) {
        folio_options o;
        folio_options_default(&o);
        o.solver = solvers[s];
        folio_result r;
        assert_int_equal(folio_solve(m, &o, &r), FOLIO_OK);
        assert_int_equal(r.status, FOLIO_STATUS_OPTIMAL);
        folio_result_free(&r);
    }
    folio_model_free(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rows_without_terms),
        cmocka_unit_test(test_new_names_and_free_null),
        cmocka_unit_test(test_add_col_bounds_and_kinds),
        cmocka_unit_test(test_add_col_invalid_bounds),
        cmocka_unit_test(test_names_length_and_control_characters),
        cmocka_unit_test(test_control_characters_at_every_position),
        cmocka_unit_test(test_automatic_names),
        cmocka_unit_test(test_add_row_invalid),
        cmocka_unit_test(test_add_row_merges_duplicates),
        cmocka_unit_test(test_sums_that_overflow),
        cmocka_unit_test(test_row_bounds_ranged_and_one_sided),
        cmocka_unit_test(test_many_rows_and_columns_grow),
        cmocka_unit_test(test_set_objective_linear_and_quadratic),
        cmocka_unit_test(test_set_objective_invalid_keeps_previous),
        cmocka_unit_test(test_add_soc),
        cmocka_unit_test(test_add_soc_invalid),
        cmocka_unit_test(test_counts),
        cmocka_unit_test(test_find_col_and_row),
        cmocka_unit_test(test_cone_with_constant_right_hand_side),
        cmocka_unit_test(test_empty_objective_on_empty_model),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
