/* Fuzz target: the LP/MPS reader (folio_model_read, src/backends/glpk_io.c
 * over GLPK's readers) and a solve of what it read on every backend (glpk,
 * cbc, qp) with a small time limit, then a write in both formats and a
 * read back. The first byte picks the format (bit 0: MPS) and bit 1 skips
 * the solves; the rest is the file. Invariants: a solve reported optimal
 * has a finite objective that matches its values, and a model written
 * out reads back with the same rows and the columns expected. */
#include "fuzz.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "folio/folio.h"

#define TIME_LIMIT 0.2
#define MAX_SIZE 100   /* columns and rows above this are solved by glpk only */

static double objective_at(const folio_model *m, const double *x, double *scale)
{
    double v = folio_model_obj_constant(m);
    *scale = fabs(v);
    for (size_t j = 0; j < folio_model_ncols(m); j++) {
        double t = folio_model_obj_coef(m, j) * x[j];
        v += t;
        *scale += fabs(t);
    }
    return v;
}

static void solve_on(folio_model *m, const char *solver)
{
    folio_options o;
    folio_options_default(&o);
    o.solver = solver;
    o.time_limit = TIME_LIMIT;
    o.iteration_limit = 20000;
    folio_result r;
    memset(&r, 0, sizeof r);
    if (folio_solve(m, &o, &r) == FOLIO_OK && r.status == FOLIO_STATUS_OPTIMAL) {
        if (!r.has_solution || !isfinite(r.objective))
            fuzz_fail("%s: optimal without a finite solution (objective %g)", solver, r.objective);
        double scale, v = objective_at(m, r.x, &scale);
        if (isfinite(v) && fabs(v - r.objective) > 1e-6 * (1 + scale))
            fuzz_fail("%s: optimal objective %.17g but the values give %.17g", solver, r.objective, v);
    }
    folio_result_free(&r);
}

static void round_trip(folio_model *m, folio_file_format fmt)
{
    const char *path = fuzz_file((const uint8_t *)"", 0, fmt == FOLIO_FORMAT_MPS ? ".out.mps" : ".out.lp");
    if (folio_model_write(m, path, fmt) != FOLIO_OK) return;
    char err[1024];
    folio_model *back = folio_model_read(path, fmt, err, sizeof err);
    if (!back) fuzz_fail("a model folio wrote as %s does not read back: %s", fmt == FOLIO_FORMAT_MPS ? "MPS" : "LP", err);
    /* An LP file carries the objective constant as one more column, and
     * each ranged row as an equality with a bounded column (GLPK's writer:
     * CPLEX LP has no ranges). */
    size_t extra = 0;
    if (fmt == FOLIO_FORMAT_LP) {
        extra = folio_model_obj_constant(m) != 0.0;
        for (size_t i = 0; i < folio_model_nrows(m); i++) {
            double lo, hi;
            folio_model_row_bounds(m, i, &lo, &hi);
            extra += isfinite(lo) && isfinite(hi) && lo != hi;
        }
    }
    if (folio_model_ncols(back) != folio_model_ncols(m) + extra || folio_model_nrows(back) != folio_model_nrows(m))
        fuzz_fail("%s round trip: %zu x %zu became %zu x %zu", fmt == FOLIO_FORMAT_MPS ? "MPS" : "LP",
                  folio_model_nrows(m), folio_model_ncols(m), folio_model_nrows(back), folio_model_ncols(back));
    folio_model_free(back);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1) return 0;
    static int quiet;
    if (!quiet) {
        folio_set_verbosity(0);
        quiet = 1;
    }
    folio_file_format fmt = data[0] & 1 ? FOLIO_FORMAT_MPS : FOLIO_FORMAT_LP;
    const char *path = fuzz_file(data + 1, size - 1, fmt == FOLIO_FORMAT_MPS ? ".mps" : ".lp");
    char err[1024];
    folio_model *m = folio_model_read(path, fmt, err, sizeof err);
    if (!m) return 0;
    if (!(data[0] & 2)) {
        int small = folio_model_ncols(m) <= MAX_SIZE && folio_model_nrows(m) <= MAX_SIZE;
        solve_on(m, "glpk");
        if (small) {
            solve_on(m, "cbc");
            solve_on(m, "qp");
        }
    }
    round_trip(m, FOLIO_FORMAT_LP);
    round_trip(m, FOLIO_FORMAT_MPS);
    folio_model_free(m);
    return 0;
}
