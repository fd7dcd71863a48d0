/* folio model -> Cbc model: column-major matrix, bounds, integrality, sense. */
#include "cbc_model.h"

#include <float.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Clp asserts on an objective coefficient of 1e25 or more (createRim),
 * and on right-hand sides near 1e100 or more (checkInfeasibilities; an
 * objective that overflows in statusOfProblemInPrimal), aborting the
 * process; it takes numbers from its infinity, 1e30, on as infinite. */
#define CLP_MAX_OBJECTIVE 1e25
#define CLP_INFINITY 1e30

/* Cbc's infinity is DBL_MAX (COIN_DBL_MAX), not HUGE_VAL. */
static double coin_bound(double v)
{
    return v >= HUGE_VAL ? DBL_MAX : v <= -HUGE_VAL ? -DBL_MAX : v;
}

static int too_large(double v, double limit) { return isfinite(v) && fabs(v) >= limit; }

/* Refuses (1, with *err set) a model with a number Clp cannot take: the
 * backend says so instead of aborting or answering for another model. */
static int clp_refuses(folio_model *m, const folio_cbc_how *how, folio_error *err)
{
    const char *what = NULL, *kind = NULL, *name = NULL;
    double v = 0, limit = CLP_INFINITY;
    for (size_t j = 0; j < m->ncols && !what; j++) {
        name = FOLIO_NAME(m, m->col_name[j]);
        kind = "variable";
        if (!how->zero_objective && too_large(m->obj[j], CLP_MAX_OBJECTIVE))
            what = "objective coefficient", v = m->obj[j], limit = CLP_MAX_OBJECTIVE;
        else if (too_large(m->lb[j], CLP_INFINITY)) what = "lower bound", v = m->lb[j];
        else if (too_large(m->ub[j], CLP_INFINITY)) what = "upper bound", v = m->ub[j];
    }
    for (size_t i = 0; i < m->nrows && !what; i++) {
        name = FOLIO_NAME(m, m->row_name[i]);
        kind = "constraint";
        if (too_large(m->lo[i], CLP_INFINITY)) what = "lower limit", v = m->lo[i];
        else if (too_large(m->hi[i], CLP_INFINITY)) what = "upper limit", v = m->hi[i];
        for (size_t k = m->row_start[i]; k < m->row_start[i + 1] && !what; k++)
            if (too_large(m->nz_val[k], CLP_INFINITY)) what = "coefficient", v = m->nz_val[k];
    }
    if (!what) return 0;
    *err = folio_model_fail(m, FOLIO_ERR_UNSUPPORTED, "Cbc cannot take the %s %g of %s '%s' (Clp needs numbers "
                            "below %g in absolute value): scale the model, or solve it with glpk",
                            what, v, kind, name, limit);
    return 1;
}

Cbc_Model *folio_cbc_load(folio_model *m, const folio_cbc_how *how, folio_error *err)
{
    size_t n = m->ncols, r = m->nrows, nz = m->nz_len;
    if (n > INT_MAX - 1 || r > INT_MAX || nz > INT_MAX) {
        *err = folio_model_fail(m, FOLIO_ERR_INVALID, "model '%s' is too large for Cbc (over %d rows, "
                                "columns or nonzeros)", m->name, INT_MAX);
        return NULL;
    }
    if (clp_refuses(m, how, err)) return NULL;
    /* Cbc takes the matrix by columns; folio stores it by rows */
    int *start = calloc(n + 1, sizeof *start), *fill = malloc((n + 1) * sizeof *fill);
    int *rowidx = malloc((nz + 1) * sizeof *rowidx);
    double *val = malloc((nz + 1) * sizeof *val);
    double *lb = malloc((n + 1) * sizeof *lb), *ub = malloc((n + 1) * sizeof *ub);
    double *obj = calloc(n + 1, sizeof *obj);
    double *rlo = malloc((r + 1) * sizeof *rlo), *rhi = malloc((r + 1) * sizeof *rhi);
    Cbc_Model *cm = NULL;
    if (!start || !fill || !rowidx || !val || !lb || !ub || !obj || !rlo || !rhi) {
        *err = folio_model_fail(m, FOLIO_ERR_NOMEM, "out of memory loading model '%s' into Cbc", m->name);
        goto out;
    }
    for (size_t k = 0; k < nz; k++) start[m->nz_idx[k] + 1]++;
    for (size_t j = 0; j < n; j++) start[j + 1] += start[j];
    memcpy(fill, start, (n + 1) * sizeof *fill);
    for (size_t i = 0; i < r; i++) {
        for (size_t k = m->row_start[i]; k < m->row_start[i + 1]; k++) {
            int p = fill[m->nz_idx[k]]++;
            rowidx[p] = (int)i;
            val[p] = m->nz_val[k];
        }
        rlo[i] = coin_bound(m->lo[i]);
        rhi[i] = coin_bound(m->hi[i]);
    }
    for (size_t j = 0; j < n; j++) {
        int fixed = how->fix && m->kind[j] != FOLIO_CONTINUOUS;
        lb[j] = fixed ? how->fix[j] : coin_bound(m->lb[j]);
        ub[j] = fixed ? how->fix[j] : coin_bound(m->ub[j]);
        if (!how->zero_objective) obj[j] = m->obj[j];
    }
    cm = Cbc_newModel();
    Cbc_loadProblem(cm, (int)n, (int)r, start, rowidx, val, lb, ub, obj, rlo, rhi);
    if (!how->fix)
        for (size_t j = 0; j < n; j++)
            if (m->kind[j] != FOLIO_CONTINUOUS) Cbc_setInteger(cm, (int)j);
    Cbc_setObjSense(cm, m->sense == FOLIO_MAXIMIZE ? -1.0 : 1.0);
    /* "log" quiets branch and cut; the log level quiets Clp on pure LPs */
    Cbc_setLogLevel(cm, how->verbose ? 1 : 0);
    Cbc_setParameter(cm, "log", how->verbose ? "1" : "0");
out:
    free(start); free(fill); free(rowidx); free(val);
    free(lb); free(ub); free(obj); free(rlo); free(rhi);
    return cm;
}

void folio_cbc_set_number(Cbc_Model *cm, const char *name, double v)
{
    char buf[40];
    snprintf(buf, sizeof buf, "%.17g", v);
    Cbc_setParameter(cm, name, buf);
}
