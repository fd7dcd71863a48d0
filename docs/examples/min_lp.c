/* min_lp: a small LP built and solved through libfolio's C API.
 *
 *   maximise 3x + 5y  subject to  plant1:  x       <= 4
 *                                 plant2:       2y <= 12
 *                                 plant3: 3x + 2y  <= 18,   x, y >= 0
 *
 * By hand: plant2 and plant3 bind, so y = 6, x = 2 and the optimum is 36;
 * the duals solve 3 u3 = 3 and 2 u2 + 2 u3 = 5: u1 = 0, u2 = 1.5, u3 = 1.
 *
 * Build against an installed folio (docs/embedding.md):
 *   cc min_lp.c $(pkg-config --cflags --libs folio) -o min_lp
 */
#include <folio/folio.h>

#include <math.h>
#include <stdio.h>

static int fail(folio_model *m, const char *what)
{
    fprintf(stderr, "min_lp: %s: %s\n", what, folio_model_last_error(m));
    folio_model_free(m);
    return 1;
}

int main(void)
{
    folio_model *m = folio_model_new("wyndor");
    if (!m) {
        fprintf(stderr, "min_lp: out of memory\n");
        return 1;
    }
    if (folio_model_add_col(m, "x", 0, HUGE_VAL, FOLIO_CONTINUOUS) < 0 ||
        folio_model_add_col(m, "y", 0, HUGE_VAL, FOLIO_CONTINUOUS) < 0)
        return fail(m, "add_col");

    /* rows: name, terms (column indices and coefficients), lo <= . <= hi */
    const int x_only[] = {0}, y_only[] = {1}, both[] = {0, 1};
    const double one[] = {1}, two[] = {2}, three_two[] = {3, 2};
    if (folio_model_add_row(m, "plant1", 1, x_only, one, -HUGE_VAL, 4) < 0 ||
        folio_model_add_row(m, "plant2", 1, y_only, two, -HUGE_VAL, 12) < 0 ||
        folio_model_add_row(m, "plant3", 2, both, three_two, -HUGE_VAL, 18) < 0)
        return fail(m, "add_row");

    const double profit[] = {3, 5};
    if (folio_model_set_objective(m, FOLIO_MAXIMIZE, 0, 2, both, profit, 0, NULL, NULL, NULL) != FOLIO_OK)
        return fail(m, "set_objective");

    folio_options opts;
    folio_options_default(&opts);
    opts.solver = "glpk";
    folio_result res = {0};
    folio_error err = folio_solve(m, &opts, &res);
    if (err != FOLIO_OK) {
        fprintf(stderr, "min_lp: solve: %s (%s)\n", folio_error_message(err), folio_model_last_error(m));
        folio_result_free(&res);
        folio_model_free(m);
        return 1;
    }

    printf("status %s\n", folio_status_name(res.status));
    if (res.has_solution) {
        printf("objective %.10g\n", res.objective);
        for (size_t j = 0; j < res.ncols; j++)
            printf("value %s %.10g\n", folio_model_col_name(m, j), res.x[j]);
    }
    if (res.has_duals)
        for (size_t i = 0; i < res.nrows; i++)
            printf("dual %s %.10g\n", folio_model_row_name(m, i), res.row_dual[i]);

    int code = res.status == FOLIO_STATUS_OPTIMAL ? 0 : 3;
    folio_result_free(&res);
    folio_model_free(m);
    return code;
}
