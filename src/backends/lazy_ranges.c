/* LP sensitivity ranges on demand: the kept basis and the ranging from it
 * (lazy_ranges.h). */
#include "lazy_ranges.h"
#include "glpk_common.h"

#include <stdio.h>
#include <stdlib.h>

/* FNV-1a over the numbers a later call could have changed (objective
 * coefficients, variable bounds, row limits): rows and columns are only
 * ever added, which the counts catch. */
static uint64_t digest_doubles(uint64_t h, const double *v, size_t n)
{
    const unsigned char *p = (const unsigned char *)v;
    for (size_t k = 0; k < n * sizeof *v; k++) h = (h ^ p[k]) * 1099511628211u;
    return h;
}

static uint64_t model_digest(const folio_model *m)
{
    uint64_t h = 14695981039346656037u;
    h = digest_doubles(h, m->obj, m->ncols);
    h = digest_doubles(h, m->lb, m->ncols);
    h = digest_doubles(h, m->ub, m->ncols);
    h = digest_doubles(h, m->lo, m->nrows);
    return digest_doubles(h, m->hi, m->nrows);
}

folio_basis *folio_basis_new(const folio_model *m)
{
    folio_basis *b = malloc(sizeof *b);
    if (!b) return NULL;
    b->ncols = m->ncols;
    b->nrows = m->nrows;
    b->nz_len = m->nz_len;
    b->sense = m->sense;
    b->digest = model_digest(m);
    b->stat = calloc(m->ncols + m->nrows + 1, 1);
    if (!b->stat) {
        free(b);
        return NULL;
    }
    return b;
}

void folio_basis_free(folio_basis *b)
{
    if (!b) return;
    free(b->stat);
    free(b);
}

static _Thread_local folio_basis *kept;

void folio_basis_keep(folio_basis *b)
{
    folio_basis_free(kept);
    kept = b;
}

folio_basis *folio_basis_take(void)
{
    folio_basis *b = kept;
    kept = NULL;
    return b;
}

typedef struct range_job {
    const folio_basis *b;
    folio_result *res;
    char why[160];
} range_job;

static folio_error range_op(glp_prob *P, void *ud)
{
    range_job *j = ud;
    const folio_basis *b = j->b;
    int n = (int)b->ncols, r = (int)b->nrows;
    for (int k = 0; k < n; k++) glp_set_col_stat(P, k + 1, b->stat[k]);
    for (int i = 0; i < r; i++) glp_set_row_stat(P, i + 1, b->stat[n + i]);
    /* from an optimal basis the primal simplex only factorises it and
     * checks it (no pivots); a basis it cannot use is repaired as the
     * solve would have */
    glp_smcp p;
    glp_init_smcp(&p);
    p.msg_lev = GLP_MSG_OFF;
    p.meth = GLP_PRIMAL;
    int ret = glp_simplex(P, &p);
    if (ret == GLP_EBADB || ret == GLP_ESING || ret == GLP_ECOND) {
        glp_adv_basis(P, 0);
        ret = glp_simplex(P, &p);
    }
    if (ret != 0 || glp_get_status(P) != GLP_OPT) {
        snprintf(j->why, sizeof j->why, "GLPK did not reach an optimal basis from the solver's (code %d)", ret);
        return FOLIO_OK;
    }
    folio_error e = folio_glpk_ranges(P, j->res);
    if (e == FOLIO_ERR_BACKEND) {
        j->res->has_ranges = 0;
        snprintf(j->why, sizeof j->why, "GLPK could not factorize the optimal basis");
        return FOLIO_OK;
    }
    return e;
}

static void drop_ranges(folio_result *res)
{
    free(res->obj_lo); free(res->obj_hi); free(res->rhs_lo); free(res->rhs_hi);
    res->obj_lo = res->obj_hi = res->rhs_lo = res->rhs_hi = NULL;
    res->has_ranges = 0;
}

folio_error folio_basis_ranges_why(folio_model *m, const folio_basis *b, folio_result *res, char *why,
                                   size_t len)
{
    if (m->ncols != b->ncols || m->nrows != b->nrows || m->nz_len != b->nz_len || m->sense != b->sense ||
        res->ncols != b->ncols || res->nrows != b->nrows || model_digest(m) != b->digest)
        return folio_model_fail(m, FOLIO_ERR_INVALID,
                                "the model changed since this solve: solve it again for its ranges");
    range_job j = { b, res, "" };
    folio_error e = folio_glpk_run(m, 0, GLPK_NAMES_EXACT, range_op, &j);
    if (e != FOLIO_OK || j.why[0]) drop_ranges(res);
    if (e == FOLIO_ERR_NOMEM) return folio_model_fail(m, e, "out of memory computing ranges");
    snprintf(why, len, "%s", j.why);
    return e;
}

folio_error folio_basis_ranges(folio_model *m, const folio_basis *b, folio_result *res)
{
    char why[160];
    folio_error e = folio_basis_ranges_why(m, b, res, why, sizeof why);
    if (e == FOLIO_OK && why[0]) return folio_model_fail(m, FOLIO_ERR_BACKEND, "no ranges: %s", why);
    return e;
}
