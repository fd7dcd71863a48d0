/* LP and MPS files through GLPK's readers and writers. */
#include "glpk_common.h"
#include "../core/atomic_file.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

folio_error folio_model_write(folio_model *m, const char *path, folio_file_format fmt)
{
    const char *what = fmt == FOLIO_FORMAT_LP ? "LP" : "MPS";
    if (m->nq || m->ncones)
        return folio_model_fail(m, FOLIO_ERR_UNSUPPORTED,
                                "cannot write model '%s' as %s: it has quadratic terms or cones, "
                                "which folio's LP/MPS writers do not support yet", m->name, what);
    char tmp[4096], err[512];
    if (folio_atomic_begin(path, tmp, sizeof tmp, err, sizeof err))
        return folio_model_fail(m, FOLIO_ERR_IO, "%s", err);
    glp_prob *volatile P = NULL;
    jmp_buf jb;
    folio_glpk_begin(&jb, 0);
    if (setjmp(jb)) {
        glp_free_env();
        folio_glpk_end();
        folio_atomic_abort(tmp);
        return folio_model_fail(m, FOLIO_ERR_BACKEND, "GLPK failed writing '%s': %s", path,
                                folio_glpk_last_message());
    }
    P = folio_glpk_build(m, fmt == FOLIO_FORMAT_LP ? GLPK_NAMES_LP : GLPK_NAMES_EXACT);
    if (!P) {
        folio_glpk_end();
        folio_atomic_abort(tmp);
        return folio_model_fail(m, FOLIO_ERR_NOMEM, "out of memory writing '%s'", path);
    }
    int ret = fmt == FOLIO_FORMAT_LP ? glp_write_lp(P, NULL, tmp)
                                     : glp_write_mps(P, GLP_MPS_FILE, NULL, tmp);
    glp_delete_prob(P);
    folio_glpk_end();
    if (ret) {
        folio_atomic_abort(tmp);
        return folio_model_fail(m, FOLIO_ERR_IO, "cannot write '%s': %s", path,
                                folio_glpk_last_message());
    }
    if (folio_atomic_commit(tmp, path, err, sizeof err))
        return folio_model_fail(m, FOLIO_ERR_IO, "%s", err);
    return FOLIO_OK;
}

static double lower_of(int type, double lb)
{
    return (type == GLP_LO || type == GLP_DB || type == GLP_FX) ? lb : -HUGE_VAL;
}

static double upper_of(int type, double ub)
{
    return (type == GLP_UP || type == GLP_DB || type == GLP_FX) ? ub : HUGE_VAL;
}

/* Copies a GLPK problem into a new folio model; NULL on failure (err set). */
static folio_model *from_glpk(glp_prob *P, const char *path, char *err, size_t errlen)
{
    const char *pname = glp_get_prob_name(P);
    folio_model *m = folio_model_new(pname ? pname : path);
    int n = glp_get_num_cols(P), r = glp_get_num_rows(P);
    int *ind = malloc((size_t)(n + 1) * sizeof *ind);
    double *val = malloc((size_t)(n + 1) * sizeof *val);
    if (!m || !ind || !val) goto nomem;
    for (int j = 1; j <= n; j++) {
        int type = glp_get_col_type(P, j), kind = glp_get_col_kind(P, j);
        folio_kind k = kind == GLP_BV ? FOLIO_BINARY : kind == GLP_IV ? FOLIO_INTEGER : FOLIO_CONTINUOUS;
        if (folio_model_add_col(m, glp_get_col_name(P, j), lower_of(type, glp_get_col_lb(P, j)),
                                upper_of(type, glp_get_col_ub(P, j)), k) < 0)
            goto bad;
    }
    for (int i = 1; i <= r; i++) {
        int type = glp_get_row_type(P, i), len = glp_get_mat_row(P, i, ind, val);
        for (int k = 1; k <= len; k++) ind[k]--;
        if (folio_model_add_row(m, glp_get_row_name(P, i), (size_t)len, ind + 1, val + 1,
                                lower_of(type, glp_get_row_lb(P, i)),
                                upper_of(type, glp_get_row_ub(P, i))) < 0)
            goto bad;
    }
    int cnt = 0;
    for (int j = 1; j <= n; j++) {
        double c = glp_get_obj_coef(P, j);
        if (c != 0.0) { ind[cnt] = j - 1; val[cnt] = c; cnt++; }
    }
    if (folio_model_set_objective(m, glp_get_obj_dir(P) == GLP_MAX ? FOLIO_MAXIMIZE : FOLIO_MINIMIZE,
                                  glp_get_obj_coef(P, 0), (size_t)cnt, ind, val, 0, NULL, NULL, NULL))
        goto bad;
    free(ind);
    free(val);
    return m;
nomem:
    snprintf(err, errlen, "out of memory reading '%s'", path);
    goto out;
bad:
    snprintf(err, errlen, "%s: %s", path, folio_model_last_error(m));
out:
    free(ind);
    free(val);
    folio_model_free(m);
    return NULL;
}

folio_model *folio_model_read(const char *path, folio_file_format fmt, char *err, size_t errlen)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        snprintf(err, errlen, "cannot open '%s': %s", path, strerror(errno));
        return NULL;
    }
    fclose(f);
    glp_prob *volatile P = NULL;
    jmp_buf jb;
    folio_glpk_begin(&jb, 0);
    if (setjmp(jb)) {
        glp_free_env();
        folio_glpk_end();
        snprintf(err, errlen, "%s: GLPK failed: %s", path, folio_glpk_last_message());
        return NULL;
    }
    P = glp_create_prob();
    int ret;
    char line[512], prefix[4200];
    snprintf(prefix, sizeof prefix, "%s:", path);
    if (fmt == FOLIO_FORMAT_LP) {
        ret = glp_read_lp(P, NULL, path);
    } else {
        ret = glp_read_mps(P, GLP_MPS_FILE, NULL, path);
        if (ret) {
            /* not free MPS: try the fixed (column-position) dialect */
            char first[512] = "";
            folio_glpk_find_line(prefix, first, sizeof first);
            glp_erase_prob(P);
            folio_glpk_begin(&jb, 0);
            ret = glp_read_mps(P, GLP_MPS_DECK, NULL, path);
            if (ret) {
                glp_delete_prob(P);
                folio_glpk_end();
                snprintf(err, errlen, "%s", first[0] ? first : "cannot parse MPS file");
                return NULL;
            }
        }
    }
    if (ret) {
        if (!folio_glpk_find_line(prefix, line, sizeof line))
            snprintf(line, sizeof line, "%s: %s", path, folio_glpk_last_message());
        glp_delete_prob(P);
        folio_glpk_end();
        snprintf(err, errlen, "%s", line);
        return NULL;
    }
    folio_model *m = from_glpk(P, path, err, errlen);
    glp_delete_prob(P);
    folio_glpk_end();
    return m;
}
