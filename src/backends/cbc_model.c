/* folio model -> Cbc model (and the column-major arrays the Clp backend
 * loads): matrix, bounds, integrality, sense. */
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
    *err = folio_model_fail(m, FOLIO_ERR_UNSUPPORTED, "%s cannot take the %s %g of %s '%s' (Clp needs numbers "
                            "below %g in absolute value): scale the model, or solve it with glpk",
                            how->who ? how->who : "Cbc", what, v, kind, name, limit);
    return 1;
}

void folio_coin_lp_free(folio_coin_lp *lp)
{
    free(lp->start); free(lp->rowidx); free(lp->val);
    free(lp->lb); free(lp->ub); free(lp->obj); free(lp->rlo); free(lp->rhi);
    memset(lp, 0, sizeof *lp);
}

folio_error folio_coin_lp_make(folio_model *m, const folio_cbc_how *how, folio_coin_lp *lp)
{
    memset(lp, 0, sizeof *lp);
    size_t n = m->ncols, r = m->nrows, nz = m->nz_len;
    if (n > INT_MAX - 1 || r > INT_MAX || nz > INT_MAX)
        return folio_model_fail(m, FOLIO_ERR_INVALID, "model '%s' is too large for COIN-OR (over %d rows, "
                                "columns or nonzeros)", m->name, INT_MAX);
    folio_error err = FOLIO_OK;
    if (clp_refuses(m, how, &err)) return err;
    /* COIN-OR takes the matrix by columns; folio stores it by rows */
    int *fill = malloc((n + 1) * sizeof *fill);
    lp->start = calloc(n + 1, sizeof *lp->start);
    lp->rowidx = malloc((nz + 1) * sizeof *lp->rowidx);
    lp->val = malloc((nz + 1) * sizeof *lp->val);
    lp->lb = malloc((n + 1) * sizeof *lp->lb);
    lp->ub = malloc((n + 1) * sizeof *lp->ub);
    lp->obj = calloc(n + 1, sizeof *lp->obj);
    lp->rlo = malloc((r + 1) * sizeof *lp->rlo);
    lp->rhi = malloc((r + 1) * sizeof *lp->rhi);
    if (!fill || !lp->start || !lp->rowidx || !lp->val || !lp->lb || !lp->ub || !lp->obj || !lp->rlo || !lp->rhi) {
        free(fill);
        folio_coin_lp_free(lp);
        return folio_model_fail(m, FOLIO_ERR_NOMEM, "out of memory loading model '%s' into COIN-OR", m->name);
    }
    lp->ncols = (int)n;
    lp->nrows = (int)r;
    for (size_t k = 0; k < nz; k++) lp->start[m->nz_idx[k] + 1]++;
    for (size_t j = 0; j < n; j++) lp->start[j + 1] += lp->start[j];
    memcpy(fill, lp->start, (n + 1) * sizeof *fill);
    for (size_t i = 0; i < r; i++) {
        for (size_t k = m->row_start[i]; k < m->row_start[i + 1]; k++) {
            int p = fill[m->nz_idx[k]]++;
            lp->rowidx[p] = (int)i;
            lp->val[p] = m->nz_val[k];
        }
        lp->rlo[i] = coin_bound(m->lo[i]);
        lp->rhi[i] = coin_bound(m->hi[i]);
    }
    free(fill);
    for (size_t j = 0; j < n; j++) {
        int fixed = how->fix && m->kind[j] != FOLIO_CONTINUOUS;
        lp->lb[j] = fixed ? how->fix[j] : coin_bound(m->lb[j]);
        lp->ub[j] = fixed ? how->fix[j] : coin_bound(m->ub[j]);
        if (!how->zero_objective) lp->obj[j] = m->obj[j];
    }
    return FOLIO_OK;
}

Cbc_Model *folio_cbc_load(folio_model *m, const folio_cbc_how *how, folio_error *err)
{
    folio_coin_lp lp;
    if ((*err = folio_coin_lp_make(m, how, &lp)) != FOLIO_OK) return NULL;
    Cbc_Model *cm = Cbc_newModel();
    Cbc_loadProblem(cm, lp.ncols, lp.nrows, lp.start, lp.rowidx, lp.val, lp.lb, lp.ub, lp.obj, lp.rlo, lp.rhi);
    folio_coin_lp_free(&lp);
    if (!how->fix)
        for (size_t j = 0; j < m->ncols; j++)
            if (m->kind[j] != FOLIO_CONTINUOUS) Cbc_setInteger(cm, (int)j);
    Cbc_setObjSense(cm, m->sense == FOLIO_MAXIMIZE ? -1.0 : 1.0);
    /* "log" quiets branch and cut; the log level quiets Clp on pure LPs */
    Cbc_setLogLevel(cm, how->verbose ? 1 : 0);
    Cbc_setParameter(cm, "log", how->verbose ? "1" : "0");
    return cm;
}

void folio_cbc_set_number(Cbc_Model *cm, const char *name, double v)
{
    char buf[40];
    snprintf(buf, sizeof buf, "%.17g", v);
    Cbc_setParameter(cm, name, buf);
}

void folio_coin_evaluate(const folio_model *m, folio_result *res)
{
    double f = m->obj_const;
    for (size_t j = 0; j < m->ncols; j++) f += m->obj[j] * res->x[j];
    res->objective = f;
    for (size_t i = 0; i < m->nrows; i++) {
        double a = 0;
        for (size_t k = m->row_start[i]; k < m->row_start[i + 1]; k++)
            a += m->nz_val[k] * res->x[m->nz_idx[k]];
        res->row_activity[i] = a;
    }
}
