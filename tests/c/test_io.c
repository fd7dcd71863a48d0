/* Writing and reading LP and MPS files: round trips, names, atomic writes
 * and error messages. Each test works in its own mkdtemp directory. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "folio/folio.h"

#define TOL 1e-9

/* Each test gets a fresh directory; the models it creates are owned by the
 * fixture and freed in teardown, so failing assertions leak nothing. */
typedef struct fixture {
    char dir[64];
    folio_model *models[16];
    int nmodels;
} fixture;

static fixture *current; /* the running test's fixture */

static folio_model *own(folio_model *m)
{
    assert_non_null(m);
    assert_true(current->nmodels < 16);
    current->models[current->nmodels++] = m;
    return m;
}

/* ---- temporary directory ------------------------------------------------- */

static int remove_tree(const char *path)
{
    DIR *d = opendir(path);
    if (!d) return unlink(path);
    struct dirent *e;
    char sub[512];
    while ((e = readdir(d)) != NULL) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
        snprintf(sub, sizeof sub, "%s/%s", path, e->d_name);
        remove_tree(sub);
    }
    closedir(d);
    return rmdir(path);
}

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    if (!f) return -1;
    snprintf(f->dir, sizeof f->dir, "/tmp/folio_test_io.XXXXXX");
    if (!mkdtemp(f->dir)) {
        free(f);
        return -1;
    }
    *state = f;
    current = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    for (int i = 0; i < f->nmodels; i++) folio_model_free(f->models[i]);
    int rc = remove_tree(f->dir);
    free(f);
    current = NULL;
    return rc;
}

static const char *path_in(void **state, const char *name)
{
    static char buf[4][256];
    static int next;
    fixture *f = *state;
    char *p = buf[next++ % 4];
    snprintf(p, sizeof buf[0], "%s/%s", f->dir, name);
    return p;
}

/* Number of entries in dir (without . and ..); if `list` is given, their
 * names joined by spaces. */
static int count_entries(const char *dir, char *list, size_t len)
{
    DIR *d = opendir(dir);
    assert_non_null(d);
    int n = 0;
    if (list) list[0] = '\0';
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
        n++;
        if (list) {
            strncat(list, e->d_name, len - strlen(list) - 1);
            strncat(list, " ", len - strlen(list) - 1);
        }
    }
    closedir(d);
    return n;
}

static void write_text(const char *path, const char *text)
{
    FILE *fp = fopen(path, "w");
    assert_non_null(fp);
    fputs(text, fp);
    assert_int_equal(fclose(fp), 0);
}

/* ---- a model exercising every kind of column and row ---------------------- */

/* Columns: bounded, lower-bounded, integer, binary, fixed; rows: <=, ==, >=,
 * and optionally a ranged row 2 <= x - y <= 8 (else x - y <= 8). */
static folio_model *sample_model(folio_sense sense, double constant, int ranged)
{
    folio_model *m = own(folio_model_new("sample"));
    assert_int_equal(folio_model_add_col(m, "x[a,b]", 0, 10, FOLIO_CONTINUOUS), 0);
    assert_int_equal(folio_model_add_col(m, "y", -5, HUGE_VAL, FOLIO_CONTINUOUS), 1);
    assert_int_equal(folio_model_add_col(m, "n", 0, 7, FOLIO_INTEGER), 2);
    assert_int_equal(folio_model_add_col(m, "pick", 0, 1, FOLIO_BINARY), 3);
    assert_int_equal(folio_model_add_col(m, "fx", 1.5, 1.5, FOLIO_CONTINUOUS), 4);
    assert_int_equal(folio_model_add_row(m, "cap[1]", 3, (int[]){ 0, 1, 2 }, (double[]){ 1, 1, 1 },
                                         -HUGE_VAL, 12), 0);
    assert_int_equal(folio_model_add_row(m, "spread", 2, (int[]){ 0, 1 }, (double[]){ 1, -1 },
                                         ranged ? 2 : -HUGE_VAL, 8), 1);
    assert_int_equal(folio_model_add_row(m, "eq", 3, (int[]){ 2, 3, 4 }, (double[]){ 1, 1, 1 }, 4.5, 4.5), 2);
    assert_int_equal(folio_model_add_row(m, "ge", 2, (int[]){ 0, 3 }, (double[]){ 1, 2 }, 1, HUGE_VAL), 3);
    assert_int_equal(folio_model_set_objective(m, sense, constant, 5, (int[]){ 0, 1, 2, 3, 4 },
                                               (double[]){ 2, 1, 3, 4, -1 }, 0, NULL, NULL, NULL),
                     FOLIO_OK);
    return m;
}

static double solve_objective(folio_model *m)
{
    folio_result r;
    folio_error e = folio_solve(m, NULL, &r);
    if (e != FOLIO_OK) fail_msg("solve: %s", folio_model_last_error(m));
    folio_status st = r.status;
    double obj = r.objective;
    folio_result_free(&r);
    if (st != FOLIO_STATUS_OPTIMAL) fail_msg("status %s", folio_status_name(st));
    return obj;
}

static folio_model *read_ok(const char *path, folio_file_format fmt)
{
    char err[512] = "";
    folio_model *m = folio_model_read(path, fmt, err, sizeof err);
    if (!m) fail_msg("reading %s: %s", path, err);
    return own(m);
}

/* Same columns, rows, bounds, kinds, coefficients and objective, by index. */
static void assert_same_model(folio_model *a, folio_model *b)
{
    if (folio_model_ncols(a) != folio_model_ncols(b) || folio_model_nrows(a) != folio_model_nrows(b))
        fail_msg("%zu columns and %zu rows read back as %zu and %zu", folio_model_ncols(a),
                 folio_model_nrows(a), folio_model_ncols(b), folio_model_nrows(b));
    assert_int_equal(folio_model_nnz(a), folio_model_nnz(b));
    assert_int_equal(folio_model_nintegers(a), folio_model_nintegers(b));
    if (folio_model_sense(a) != folio_model_sense(b))
        fail_msg("objective sense %d read back as %d", folio_model_sense(a), folio_model_sense(b));
    if (fabs(folio_model_obj_constant(a) - folio_model_obj_constant(b)) > TOL)
        fail_msg("objective constant %g read back as %g", folio_model_obj_constant(a),
                 folio_model_obj_constant(b));
    for (size_t j = 0; j < folio_model_ncols(a); j++) {
        double la, ua, lb, ub;
        folio_model_col_bounds(a, j, &la, &ua);
        folio_model_col_bounds(b, j, &lb, &ub);
        if (la != lb || ua != ub)
            fail_msg("column %zu: [%g, %g] read back as [%g, %g]", j, la, ua, lb, ub);
        assert_int_equal(folio_model_col_kind(a, j), folio_model_col_kind(b, j));
        assert_true(fabs(folio_model_obj_coef(a, j) - folio_model_obj_coef(b, j)) <= TOL);
    }
    for (size_t i = 0; i < folio_model_nrows(a); i++) {
        double la, ha, lb, hb;
        folio_model_row_bounds(a, i, &la, &ha);
        folio_model_row_bounds(b, i, &lb, &hb);
        if (la != lb || ha != hb)
            fail_msg("row %zu: [%g, %g] read back as [%g, %g]", i, la, ha, lb, hb);
        size_t na, nb;
        const int *ia, *ib;
        const double *va, *vb;
        folio_model_row(a, i, &na, &ia, &va);
        folio_model_row(b, i, &nb, &ib, &vb);
        assert_int_equal(na, nb);
        /* compare as sparse vectors: the order may differ */
        for (size_t k = 0; k < na; k++) {
            size_t q = 0;
            while (q < nb && ib[q] != ia[k]) q++;
            assert_true(q < nb);
            assert_true(fabs(va[k] - vb[q]) <= TOL);
        }
    }
}

/* ---- round trips --------------------------------------------------------- */

/* Writes m in fmt, reads it back, checks the copy and returns it. */
static folio_model *round_trip(void **state, folio_model *m, const char *file, folio_file_format fmt)
{
    const char *path = path_in(state, file);
    if (folio_model_write(m, path, fmt) != FOLIO_OK)
        fail_msg("writing %s: %s", path, folio_model_last_error(m));
    folio_model *back = read_ok(path, fmt);
    assert_same_model(m, back);
    double obj = solve_objective(m), obj_back = solve_objective(back);
    if (fabs(obj_back - obj) > TOL * (1 + fabs(obj)))
        fail_msg("objective %.17g read back as %.17g", obj, obj_back);
    return back;
}

static void test_mps_round_trip_keeps_names(void **state)
{
    folio_model *m = sample_model(FOLIO_MINIMIZE, 10, 1);
    folio_model *back = round_trip(state, m, "sample.mps", FOLIO_FORMAT_MPS);
    assert_string_equal(folio_model_col_name(back, 0), "x[a,b]");
    assert_string_equal(folio_model_row_name(back, 0), "cap[1]");
    assert_int_equal(folio_model_find_col(back, "x[a,b]"), 0);
    assert_int_equal(folio_model_find_row(back, "cap[1]"), 0);
    for (size_t j = 0; j < folio_model_ncols(m); j++)
        assert_string_equal(folio_model_col_name(back, j), folio_model_col_name(m, j));
    for (size_t i = 0; i < folio_model_nrows(m); i++)
        assert_string_equal(folio_model_row_name(back, i), folio_model_row_name(m, i));
}

static void test_lp_round_trip_rewrites_brackets(void **state)
{
    folio_model *m = sample_model(FOLIO_MAXIMIZE, 0, 0);
    folio_model *back = round_trip(state, m, "sample.lp", FOLIO_FORMAT_LP);
    assert_string_equal(folio_model_col_name(back, 0), "x(a,b)");
    assert_string_equal(folio_model_row_name(back, 0), "cap(1)");
    assert_int_equal(folio_model_find_col(back, "x[a,b]"), -1);
    assert_int_equal(folio_model_find_col(back, "x(a,b)"), 0);
    assert_int_equal(folio_model_find_row(back, "cap(1)"), 0);
    assert_int_equal(folio_model_find_col(back, "pick"), 3);
    assert_int_equal(folio_model_find_row(back, "spread"), 1);
    /* the model itself keeps its names */
    assert_string_equal(folio_model_col_name(m, 0), "x[a,b]");
}

/* The same round trips with what the two above leave out. */
static void test_mps_round_trip_keeps_maximisation(void **state)
{
    folio_model *m = sample_model(FOLIO_MAXIMIZE, 10, 1);
    round_trip(state, m, "max.mps", FOLIO_FORMAT_MPS);
}

/* GLPK's LP writer keeps an objective constant only as a comment, and MPS
 * readers disagree on the sign of the objective row's right-hand side, so
 * folio writes the constant as a column "_objconst" fixed at 1 in both
 * formats. An MPS file reads back with the constant folded in again; an
 * LP file with that column (one column more, the same optimum), as
 * before. */
static void test_round_trip_keeps_objective_constant(void **state)
{
    folio_model *m = sample_model(FOLIO_MAXIMIZE, 10, 0);
    folio_model *back = round_trip(state, m, "constant.mps", FOLIO_FORMAT_MPS);   /* same columns and constant */
    assert_true(folio_model_find_col(back, "_objconst") < 0);
    FILE *fp = fopen(path_in(state, "constant.mps"), "r");
    assert_non_null(fp);
    char buf[8192];
    size_t len = fread(buf, 1, sizeof buf - 1, fp);
    buf[len] = '\0';
    fclose(fp);
    assert_non_null(strstr(buf, " FX BND1 _objconst 1"));

    const char *path = path_in(state, "constant.lp");
    assert_int_equal(folio_model_write(m, path, FOLIO_FORMAT_LP), FOLIO_OK);
    back = read_ok(path, FOLIO_FORMAT_LP);
    assert_int_equal(folio_model_ncols(back), folio_model_ncols(m) + 1);
    long j = folio_model_find_col(back, "_objconst");
    assert_true(j >= 0);
    double lb, ub;
    folio_model_col_bounds(back, (size_t)j, &lb, &ub);
    assert_true(lb == 1.0 && ub == 1.0);
    assert_true(fabs(folio_model_obj_coef(back, (size_t)j) - 10) <= TOL);
    assert_true(fabs(solve_objective(back) - solve_objective(m)) <= TOL);
}

/* GLPK's LP writer turns a ranged row lo <= a'x <= hi into a'x - s = lo with
 * a slack column s in [0, hi - lo]: one column more, the same optimum. */
static void test_lp_round_trip_keeps_ranged_rows(void **state)
{
    folio_model *m = sample_model(FOLIO_MAXIMIZE, 0, 1);
    const char *path = path_in(state, "ranged.lp");
    assert_int_equal(folio_model_write(m, path, FOLIO_FORMAT_LP), FOLIO_OK);
    folio_model *back = read_ok(path, FOLIO_FORMAT_LP);
    assert_int_equal(folio_model_nrows(back), folio_model_nrows(m));
    assert_int_equal(folio_model_ncols(back), folio_model_ncols(m) + 1);
    assert_true(fabs(solve_objective(back) - solve_objective(m)) <= TOL);
}

/* Writing replaces an existing file atomically, keeping its permissions,
 * and leaves nothing else in the directory. */
static void test_write_replaces_existing_file(void **state)
{
    fixture *f = *state;
    const char *path = path_in(state, "model.lp");
    write_text(path, "old contents\n");
    assert_int_equal(chmod(path, 0640), 0);

    folio_model *m = sample_model(FOLIO_MINIMIZE, 0, 0);
    assert_int_equal(folio_model_write(m, path, FOLIO_FORMAT_LP), FOLIO_OK);
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 07777, 0640);
    char list[512];
    assert_int_equal(count_entries(f->dir, list, sizeof list), 1);

    folio_model *back = read_ok(path, FOLIO_FORMAT_LP);
    assert_int_equal(folio_model_ncols(back), folio_model_ncols(m));
}

/* ---- failures ------------------------------------------------------------ */

static void test_write_to_missing_directory(void **state)
{
    fixture *f = *state;
    const char *path = path_in(state, "no/such/dir/model.lp");
    folio_model *m = sample_model(FOLIO_MINIMIZE, 0, 1);
    char expect[512];
    snprintf(expect, sizeof expect, "cannot write '%s': No such file or directory", path);

    assert_int_equal(folio_model_write(m, path, FOLIO_FORMAT_LP), FOLIO_ERR_IO);
    assert_string_equal(folio_model_last_error(m), expect);
    assert_int_equal(folio_model_write(m, path, FOLIO_FORMAT_MPS), FOLIO_ERR_IO);
    assert_string_equal(folio_model_last_error(m), expect);
    char list[512];
    if (count_entries(f->dir, list, sizeof list) != 0) fail_msg("left behind: %s", list);
}

/* The temporary file can be created but not renamed over a directory: it
 * must be removed again. */
static void test_failed_commit_leaves_no_temp_file(void **state)
{
    fixture *f = *state;
    const char *path = path_in(state, "taken");
    assert_int_equal(mkdir(path, 0700), 0);
    write_text(path_in(state, "taken/keep"), "x\n"); /* a non-empty directory */

    folio_model *m = sample_model(FOLIO_MINIMIZE, 0, 1);
    assert_int_equal(folio_model_write(m, path, FOLIO_FORMAT_MPS), FOLIO_ERR_IO);
    assert_true(strncmp(folio_model_last_error(m), "cannot write '", 14) == 0);
    char list[512];
    if (count_entries(f->dir, list, sizeof list) != 1) fail_msg("left behind: %s", list);
    assert_string_equal(list, "taken ");
}

static void test_read_missing_file(void **state)
{
    const char *path = path_in(state, "absent.lp");
    char err[512] = "", expect[512];
    snprintf(expect, sizeof expect, "cannot open '%s': No such file or directory", path);
    assert_null(folio_model_read(path, FOLIO_FORMAT_LP, err, sizeof err));
    assert_string_equal(err, expect);
    assert_null(folio_model_read(path, FOLIO_FORMAT_MPS, err, sizeof err));
    assert_string_equal(err, expect);
}

/* "FILE:LINE: what" with the line of the offending token. */
static void test_read_malformed_lp(void **state)
{
    const char *path = path_in(state, "bad.lp");
    write_text(path,
               "Maximize\n"
               " obj: 3 x + 2 y\n"
               "Subject To\n"
               " c1: x + y <= 4\n"
               " c2: x @ y <= 3\n"
               "End\n");
    char err[512] = "", prefix[300];
    assert_null(folio_model_read(path, FOLIO_FORMAT_LP, err, sizeof err));
    snprintf(prefix, sizeof prefix, "%s:5: ", path);
    if (strncmp(err, prefix, strlen(prefix)) != 0) fail_msg("message '%s' does not start with '%s'", err, prefix);
    assert_true(strlen(err) > strlen(prefix)); /* and says what is wrong */
}

static void test_read_malformed_mps(void **state)
{
    const char *path = path_in(state, "bad.mps");
    write_text(path,
               "NAME bad\n"
               "ROWS\n"
               " N obj\n"
               " L c1\n"
               "COLUMNS\n"
               " x obj 1 c1 zz\n"
               "ENDATA\n");
    char err[512] = "", prefix[300];
    assert_null(folio_model_read(path, FOLIO_FORMAT_MPS, err, sizeof err));
    snprintf(prefix, sizeof prefix, "%s:6: ", path);
    if (strncmp(err, prefix, strlen(prefix)) != 0) fail_msg("message '%s' does not start with '%s'", err, prefix);
    assert_non_null(strstr(err, "zz"));
}

/* path's text read as fmt must fail with exactly "PATH:" followed by tail. */
static void check_read_error(void **state, const char *file, const char *text, folio_file_format fmt,
                             const char *tail)
{
    const char *path = path_in(state, file);
    write_text(path, text);
    char err[600] = "", expect[600];
    snprintf(expect, sizeof expect, "%s:%s", path, tail);
    folio_model *m = folio_model_read(path, fmt, err, sizeof err);
    if (m) fail_msg("%s was read", file);
    assert_string_equal(err, expect);
}

/* A file cut short says so and names the line where it ends (issue 14:
 * GLPK's "missing final end of line" was all it said, and an LP file
 * without its End line was read as if complete). */
static void test_read_truncated(void **state)
{
    check_read_error(state, "cut.lp", "Maximize\n obj: x + y\nSubj", FOLIO_FORMAT_LP,
                     "3: the file ends in the middle of a line: it is truncated or incomplete "
                     "(GLPK: constraints section missing)");
    check_read_error(state, "noend.lp", "Maximize\n obj: x + y\nSubject To\n c1: x + y <= 2\n", FOLIO_FORMAT_LP,
                     "4: the file ends without its 'End' line: it is truncated or incomplete");
    check_read_error(state, "cutword.lp", "Maximize\n obj: x + y\nSubject To\n c1: x + y <= 2\nBou",
                     FOLIO_FORMAT_LP, "5: the file ends in the middle of a line: it is truncated or incomplete");
    check_read_error(state, "noend.mps", "NAME t\nROWS\n N obj\n L c1\nCOLUMNS\n x obj 1 c1 1\nRHS\n rhs c1 2\n",
                     FOLIO_FORMAT_MPS, "9: the file ends before ENDATA: it is truncated or incomplete");
    check_read_error(state, "cut.mps", "NAME t\nROWS\n N obj\n L c1\nCOLUMNS\n x obj 1 c1", FOLIO_FORMAT_MPS,
                     "6: the file ends in the middle of a line: it is truncated or incomplete "
                     "(GLPK: missing numeric value in field 6)");
    /* complete files without a final newline are fine */
    const char *path = path_in(state, "fine.lp");
    write_text(path, "Maximize\n obj: x + y\nSubject To\n c1: x + y <= 2\nEnd");
    folio_model *m = read_ok(path, FOLIO_FORMAT_LP);
    assert_int_equal(folio_model_nrows(m), 1);
}

/* "inf x" is no coefficient: GLPK reads inf as a variable's name, and
 * then misses a section or a sense further on. */
static void test_read_infinite_coefficient(void **state)
{
    check_read_error(state, "infobj.lp", "Maximize\n obj: inf x\nSubject To\n c1: x <= 2\nEnd\n", FOLIO_FORMAT_LP,
                     "2: infinite coefficient in 'inf x': the coefficients of an LP file must be finite numbers");
    check_read_error(state, "infrow.lp", "Maximize\n obj: x\nSubject To\n c1: x - Infinity y <= 2\nEnd\n",
                     FOLIO_FORMAT_LP,
                     "4: infinite coefficient in 'Infinity y': the coefficients of an LP file must be finite numbers");
    check_read_error(state, "twonames.lp", "Maximize\n obj: x y\nSubject To\n c1: x <= 2\nEnd\n", FOLIO_FORMAT_LP,
                     "2: constraints section missing (expected 'Subject To' after the objective)");
}

/* max x + 2y, x + y <= 4, x <= 3, y <= 1: x = 3, y = 1, objective 5
 * (0 if the sense were lost). */
static const char tiny_mps_rest[] =
    "ROWS\n"
    " N obj\n"
    " L c1\n"
    "COLUMNS\n"
    " x obj 1 c1 1\n"
    " y obj 2 c1 1\n"
    "RHS\n"
    " rhs c1 4\n"
    "BOUNDS\n"
    " UP bnd x 3\n"
    " UP bnd y 1\n"
    "ENDATA\n";

static void check_tiny(void **state, const char *file, const char *head, folio_sense sense, double obj)
{
    char text[1024];
    snprintf(text, sizeof text, "%s%s", head, tiny_mps_rest);
    const char *path = path_in(state, file);
    write_text(path, text);
    folio_model *m = read_ok(path, FOLIO_FORMAT_MPS);
    assert_string_equal(folio_model_name(m), "tiny");
    assert_int_equal(folio_model_ncols(m), 2);
    assert_int_equal(folio_model_nrows(m), 1);
    if (folio_model_sense(m) != sense) fail_msg("%s: sense %d, expected %d", file, folio_model_sense(m), sense);
    assert_true(fabs(solve_objective(m) - obj) <= TOL);
}

static void test_read_mps_objsense(void **state)
{
    check_tiny(state, "none.mps", "NAME tiny\n", FOLIO_MINIMIZE, 0);
    check_tiny(state, "two_lines.mps", "NAME tiny\nOBJSENSE\n    MAX\n", FOLIO_MAXIMIZE, 5);
    check_tiny(state, "maximize.mps", "NAME tiny\nOBJSENSE\n    MAXIMIZE\n", FOLIO_MAXIMIZE, 5);
    check_tiny(state, "one_line.mps", "NAME tiny\nOBJSENSE MAX\n", FOLIO_MAXIMIZE, 5);
    check_tiny(state, "min.mps", "NAME tiny\nOBJSENSE\n    MIN\n", FOLIO_MINIMIZE, 0);
}

/* The line number in an error must count the lines of the user's file,
 * including an OBJSENSE section folio handles itself. */
static void test_read_malformed_mps_after_objsense(void **state)
{
    const char *path = path_in(state, "bad_max.mps");
    write_text(path,
               "NAME bad\n"
               "OBJSENSE\n"
               "    MAX\n"
               "ROWS\n"
               " N obj\n"
               " L c1\n"
               "COLUMNS\n"
               " x obj 1 c1 zz\n"
               "ENDATA\n");
    char err[512] = "", prefix[300];
    assert_null(folio_model_read(path, FOLIO_FORMAT_MPS, err, sizeof err));
    snprintf(prefix, sizeof prefix, "%s:8: ", path);
    if (strncmp(err, prefix, strlen(prefix)) != 0) fail_msg("message '%s' does not start with '%s'", err, prefix);
    assert_non_null(strstr(err, "zz"));
}

/* LP files carry no problem name: the model is named after the file. */
static void test_read_names_the_model(void **state)
{
    folio_model *m = sample_model(FOLIO_MINIMIZE, 0, 0);
    const char *lp = path_in(state, "book.v2.lp"), *mps = path_in(state, "other.mps");
    assert_int_equal(folio_model_write(m, lp, FOLIO_FORMAT_LP), FOLIO_OK);
    assert_int_equal(folio_model_write(m, mps, FOLIO_FORMAT_MPS), FOLIO_OK);
    assert_string_equal(folio_model_name(read_ok(lp, FOLIO_FORMAT_LP)), "book.v2");
    assert_string_equal(folio_model_name(read_ok(mps, FOLIO_FORMAT_MPS)), "sample");
}

static void test_write_refuses_cones_and_quadratics(void **state)
{
    fixture *f = *state;
    folio_model *m = sample_model(FOLIO_MINIMIZE, 0, 1);
    size_t start[] = { 0, 1 };
    double cst[] = { 0 };
    assert_int_equal(folio_model_add_soc(m, "k", 1, start, (int[]){ 0 }, (double[]){ 1 }, cst, 1,
                                         (int[]){ 1 }, (double[]){ 1 }, 0), 0);
    assert_int_equal(folio_model_write(m, path_in(state, "cone.lp"), FOLIO_FORMAT_LP), FOLIO_ERR_UNSUPPORTED);
    assert_non_null(strstr(folio_model_last_error(m), "as LP"));
    assert_int_equal(folio_model_write(m, path_in(state, "cone.mps"), FOLIO_FORMAT_MPS), FOLIO_ERR_UNSUPPORTED);
    assert_non_null(strstr(folio_model_last_error(m), "as MPS"));

    m = sample_model(FOLIO_MINIMIZE, 0, 1);
    assert_int_equal(folio_model_set_objective(m, FOLIO_MINIMIZE, 0, 0, NULL, NULL, 1, (int[]){ 0 },
                                               (int[]){ 0 }, (double[]){ 1 }), FOLIO_OK);
    assert_int_equal(folio_model_write(m, path_in(state, "quad.lp"), FOLIO_FORMAT_LP), FOLIO_ERR_UNSUPPORTED);

    char list[512];
    if (count_entries(f->dir, list, sizeof list) != 0) fail_msg("left behind: %s", list);
}

/* Columns with no coefficient anywhere and no rows at all (a model of
 * bounds only) are a valid model and must be writable. */
static void test_mps_round_trip_without_rows(void **state)
{
    folio_model *m = own(folio_model_new("bounds_only"));
    assert_int_equal(folio_model_add_col(m, "x", 1, 2, FOLIO_CONTINUOUS), 0);
    assert_int_equal(folio_model_add_col(m, "n", 0, 5, FOLIO_INTEGER), 1);
    assert_int_equal(folio_model_set_objective(m, FOLIO_MINIMIZE, 0, 2, (int[]){ 0, 1 }, (double[]){ 3, 1 },
                                               0, NULL, NULL, NULL), FOLIO_OK);
    round_trip(state, m, "bounds_only.mps", FOLIO_FORMAT_MPS);
}

/* With no rows, a variable in neither a row nor the objective cannot be
 * written by GLPK's MPS writer: a clear refusal, nothing left on disk. */
static void test_mps_refuses_unused_column_without_rows(void **state)
{
    folio_model *m = own(folio_model_new("unused"));
    assert_int_equal(folio_model_add_col(m, "x", 1, 2, FOLIO_CONTINUOUS), 0);
    assert_int_equal(folio_model_add_col(m, "unused", 0, 5, FOLIO_INTEGER), 1);
    assert_int_equal(folio_model_set_objective(m, FOLIO_MINIMIZE, 0, 1, (int[]){ 0 }, (double[]){ 3 },
                                               0, NULL, NULL, NULL), FOLIO_OK);
    const char *path = path_in(state, "unused.mps");
    assert_int_equal(folio_model_write(m, path, FOLIO_FORMAT_MPS), FOLIO_ERR_UNSUPPORTED);
    assert_string_equal(folio_model_last_error(m),
                        "cannot write model 'unused' as MPS: variable 'unused' appears in no constraint "
                        "and not in the objective, and there are no constraints (write it as .lp)");
    char list[256];
    assert_int_equal(count_entries(current->dir, list, sizeof list), 0);
}

/* A name that starts with '$' would be written and read back as a comment
 * (tests/fuzz/lp/regress-mps-dollar-name): a clear refusal instead; the
 * same model round-trips as LP. */
static void test_mps_refuses_dollar_names(void **state)
{
    for (int row = 0; row < 2; row++) {
        folio_model *m = own(folio_model_new("cash"));
        assert_int_equal(folio_model_add_col(m, row ? "x" : "$x", 0, 1, FOLIO_CONTINUOUS), 0);
        assert_int_equal(folio_model_add_row(m, row ? "$c" : "c", 1, (int[]){ 0 }, (double[]){ 1 }, -HUGE_VAL, 1),
                         0);
        const char *path = path_in(state, "cash.mps");
        assert_int_equal(folio_model_write(m, path, FOLIO_FORMAT_MPS), FOLIO_ERR_UNSUPPORTED);
        assert_string_equal(folio_model_last_error(m),
                            row ? "cannot write model 'cash' as MPS: constraint '$c' starts with '$', which MPS "
                                  "readers take for a comment (rename it, or write it as .lp)"
                                : "cannot write model 'cash' as MPS: variable '$x' starts with '$', which MPS "
                                  "readers take for a comment (rename it, or write it as .lp)");
        char list[256];
        assert_int_equal(count_entries(current->dir, list, sizeof list), row);   /* the first pass's .lp */
        round_trip(state, m, row ? "cash_row.lp" : "cash_col.lp", FOLIO_FORMAT_LP);
    }
}

/* A model with no columns and no rows survives a round trip. */
static void test_empty_model_round_trip(void **state)
{
    folio_model *m = own(folio_model_new("empty"));
    const char *path = path_in(state, "empty.mps");
    assert_int_equal(folio_model_write(m, path, FOLIO_FORMAT_MPS), FOLIO_OK);
    folio_model *back = read_ok(path, FOLIO_FORMAT_MPS);
    assert_int_equal(folio_model_ncols(back), 0);
    assert_int_equal(folio_model_nrows(back), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_mps_round_trip_keeps_names, setup, teardown),
        cmocka_unit_test_setup_teardown(test_lp_round_trip_rewrites_brackets, setup, teardown),
        cmocka_unit_test_setup_teardown(test_write_replaces_existing_file, setup, teardown),
        cmocka_unit_test_setup_teardown(test_mps_round_trip_keeps_maximisation, setup, teardown),
        cmocka_unit_test_setup_teardown(test_round_trip_keeps_objective_constant, setup, teardown),
        cmocka_unit_test_setup_teardown(test_lp_round_trip_keeps_ranged_rows, setup, teardown),
        cmocka_unit_test_setup_teardown(test_write_to_missing_directory, setup, teardown),
        cmocka_unit_test_setup_teardown(test_failed_commit_leaves_no_temp_file, setup, teardown),
        cmocka_unit_test_setup_teardown(test_read_missing_file, setup, teardown),
        cmocka_unit_test_setup_teardown(test_read_malformed_lp, setup, teardown),
        cmocka_unit_test_setup_teardown(test_read_truncated, setup, teardown),
        cmocka_unit_test_setup_teardown(test_read_infinite_coefficient, setup, teardown),
        cmocka_unit_test_setup_teardown(test_read_malformed_mps, setup, teardown),
        cmocka_unit_test_setup_teardown(test_read_mps_objsense, setup, teardown),
        cmocka_unit_test_setup_teardown(test_read_malformed_mps_after_objsense, setup, teardown),
        cmocka_unit_test_setup_teardown(test_read_names_the_model, setup, teardown),
        cmocka_unit_test_setup_teardown(test_write_refuses_cones_and_quadratics, setup, teardown),
        cmocka_unit_test_setup_teardown(test_mps_round_trip_without_rows, setup, teardown),
        cmocka_unit_test_setup_teardown(test_mps_refuses_unused_column_without_rows, setup, teardown),
        cmocka_unit_test_setup_teardown(test_empty_model_round_trip, setup, teardown),
        cmocka_unit_test_setup_teardown(test_mps_refuses_dollar_names, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
