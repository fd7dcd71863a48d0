/* The "qp" backend: folio model -> cone form, convexity check, the
 * interior-point solve, and the answer mapped back to rows and columns. */
#include "qp.h"
#include "../backend.h"

#include <gsl/gsl_eigen.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_linalg.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* CSR under construction: rows appended one by one. */
typedef struct csr_builder {
    qp_csr M;
    size_t cap_rows, cap_nz;
    double *rhs;
    int *kind;
    long *src;
} csr_builder;

static int cb_row(csr_builder *b, size_t nnz, const int *idx, const double *val, double scale,
                  double rhs, int kind, long src)
{
    if (b->M.m + 1 >= b->cap_rows) {
        size_t c = b->cap_rows ? 2 * b->cap_rows : 64;
        size_t *st = realloc(b->M.start, (c + 1) * sizeof *st);
        if (!st) return -1;
        b->M.start = st;
        double *r = realloc(b->rhs, c * sizeof *r);
        if (!r) return -1;
        b->rhs = r;
        int *k = realloc(b->kind, c * sizeof *k);
        if (!k) return -1;
        b->kind = k;
        long *s = realloc(b->src, c * sizeof *s);
        if (!s) return -1;
        b->src = s;
        b->cap_rows = c;
    }
    if (b->M.nnz + nnz > b->cap_nz) {
        size_t c = b->cap_nz ? 2 * b->cap_nz : 256;
        while (c < b->M.nnz + nnz) c *= 2;
        int *i = realloc(b->M.idx, c * sizeof *i);
        if (!i) return -1;
        b->M.idx = i;
        double *v = realloc(b->M.val, c * sizeof *v);
        if (!v) return -1;
        b->M.val = v;
        b->cap_nz = c;
    }
    if (b->M.m == 0) b->M.start[0] = 0;
    for (size_t k = 0; k < nnz; k++) {
        b->M.idx[b->M.nnz + k] = idx[k];
        b->M.val[b->M.nnz + k] = scale * val[k];
    }
    b->M.nnz += nnz;
    b->rhs[b->M.m] = rhs;
    b->kind[b->M.m] = kind;
    b->src[b->M.m] = src;
    b->M.m++;
    b->M.start[b->M.m] = b->M.nnz;
    return 0;
}

static void cb_free(csr_builder *b)
{
    free(b->M.start); free(b->M.idx); free(b->M.val); free(b->rhs); free(b->kind); free(b->src);
}

/* Fills p from m; returns 0, or a folio error with m's message set. */
/* Marks columns fixed by their bounds or pinned by a row whose other
 * columns are all fixed; returns -1 when such a row cannot hold. */
static int presolve_fix(const folio_model *m, const double *lb, const double *ub, long *colmap, double *fixval)
{
    size_t n = m->ncols;
    for (size_t j = 0; j < n; j++) {
        colmap[j] = lb[j] == ub[j] ? -1 : 0;
        fixval[j] = lb[j];
    }
    for (int changed = 1; changed;) {
        changed = 0;
        for (size_t i = 0; i < m->nrows; i++) {
            size_t cnt = 0, jf = 0;
            double a = 0, shift = 0;
            for (size_t k = m->row_start[i]; k < m->row_start[i + 1]; k++) {
                size_t j = (size_t)m->nz_idx[k];
                if (colmap[j] < 0) shift += m->nz_val[k] * fixval[j];
                else { cnt++; jf = j; a = m->nz_val[k]; }
            }
            if (cnt != 1) continue;
            double l = (m->lo[i] - shift) / a, h = (m->hi[i] - shift) / a;
            if (a < 0) { double t = l; l = h; h = t; }
            l = fmax(l, lb[jf]);
            h = fmin(h, ub[jf]);
            if (!isfinite(l) || !isfinite(h)) {
                if (l > h) return -1;
                continue;
            }
            double tol = 1e-9 * (1 + fabs(l) + fabs(h));
            if (h < l - tol) return -1;
            if (h - l <= tol) {
                colmap[jf] = -1;
                fixval[jf] = 0.5 * (l + h);
                changed = 1;
            }
        }
    }
    return 0;
}

/* Row terms without the fixed columns, renumbered; returns the count and
 * adds the fixed columns' contribution to *shift. Two model columns that
 * are one problem column (an alias, below) merge into one term, and a
 * term that cancels is dropped. */
static size_t reduce_terms(const qp_problem *p, size_t len, const int *idx, const double *val, int *oi,
                           double *ov, double *shift)
{
    size_t w = 0;
    for (size_t k = 0; k < len; k++) {
        long c = p->colmap[idx[k]];
        if (c < 0) { *shift += val[k] * p->fixval[idx[k]]; continue; }
        if (p->nalias) {
            size_t q = 0;
            while (q < w && oi[q] != (int)c) q++;
            if (q < w) { ov[q] += val[k]; continue; }
        }
        oi[w] = (int)c;
        ov[w] = val[k];
        w++;
    }
    if (p->nalias) {
        size_t r = 0;
        for (size_t q = 0; q < w; q++)
            if (ov[q] != 0) { oi[r] = oi[q]; ov[r] = ov[q]; r++; }
        w = r;
    }
    return w;
}

/* Aliases: an equality row x_i - x_j = 0 (times a) between two free
 * continuous columns, once the fixed ones are substituted, makes x_i the
 * same problem column as x_j when x_i's bounds are no tighter than x_j's
 * (then they are implied, and only x_j's enter the problem). A search
 * that fixes an exposure in by making the row u_i <= kappa an equality
 * (lua/folio/exposure.lua) then costs the interior-point method no
 * column and no equality, as when the model was built with u_i = kappa.
 * A source (the column that leaves, the later one when both could) is in
 * no other alias; a target may have several sources but is none. alias[i]
 * is the row of source i, else -1. Returns the number of aliases. */
static size_t presolve_alias(const folio_model *m, const double *lb, const double *ub, long *colmap,
                             const double *fixval, long *alias)
{
    size_t na = 0;
    for (size_t j = 0; j < m->ncols; j++) alias[j] = -1;
    unsigned char *role = calloc(m->ncols + 1, 1);   /* 1 source, 2 target */
    if (!role) return 0;   /* no aliases: the problem stays as it is */
    for (size_t i = 0; i < m->nrows; i++) {
        if (m->lo[i] != m->hi[i]) continue;
        size_t cnt = 0, c[2] = { 0, 0 };
        double a[2] = { 0, 0 }, shift = 0;
        for (size_t k = m->row_start[i]; k < m->row_start[i + 1] && cnt <= 2; k++) {
            size_t j = (size_t)m->nz_idx[k];
            if (colmap[j] == -1) continue;   /* fixed: its constant is added below */
            if (cnt < 2) { c[cnt] = j; a[cnt] = m->nz_val[k]; }
            cnt++;
        }
        if (cnt != 2 || a[0] != -a[1] || a[0] == 0) continue;
        /* the fixed columns' constants: x_i - x_j must equal 0 exactly */
        for (size_t k = m->row_start[i]; k < m->row_start[i + 1]; k++) {
            size_t j = (size_t)m->nz_idx[k];
            if (colmap[j] == -1) shift += m->nz_val[k] * fixval[j];
        }
        if (m->hi[i] - shift != 0) continue;
        if (m->kind[c[0]] != FOLIO_CONTINUOUS || m->kind[c[1]] != FOLIO_CONTINUOUS) continue;
        if (c[0] > c[1]) { size_t t = c[0]; c[0] = c[1]; c[1] = t; }   /* the later column first */
        for (int side = 1; side >= 0; side--) {
            size_t src = c[side], dst = c[1 - side];
            if (role[src] == 0 && role[dst] != 1 && lb[src] <= lb[dst] && ub[src] >= ub[dst]) {
                alias[src] = (long)i;
                colmap[src] = -2 - (long)dst;   /* numbered after the others */
                role[src] = 1;
                role[dst] = 2;
                na++;
                break;
            }
        }
    }
    free(role);
    return na;
}

/* Fills p from m with column bounds lb/ub (the model's, or a branch and
 * bound node's); returns 0, or a folio error. */
static folio_error build_problem(folio_model *m, const double *lb, const double *ub, qp_problem *p)
{
    memset(p, 0, sizeof *p);
    size_t nm = m->ncols;
    double sgn = m->sense == FOLIO_MAXIMIZE ? -1.0 : 1.0;
    p->ncols_model = nm;
    p->colmap = malloc((nm + 1) * sizeof *p->colmap);
    p->fixval = malloc((nm + 1) * sizeof *p->fixval);
    if (!p->colmap || !p->fixval) return FOLIO_ERR_NOMEM;
    if (presolve_fix(m, lb, ub, p->colmap, p->fixval)) p->infeasible = 1;
    p->alias = malloc((nm + 1) * sizeof *p->alias);
    if (!p->alias) return FOLIO_ERR_NOMEM;
    p->nalias = presolve_alias(m, lb, ub, p->colmap, p->fixval, p->alias);
    size_t n = 0;
    for (size_t j = 0; j < nm; j++) if (p->colmap[j] >= 0) p->colmap[j] = (long)n++;
    for (size_t j = 0; j < nm; j++) if (p->alias[j] >= 0) p->colmap[j] = p->colmap[-2 - p->colmap[j]];
    p->n = n;
    p->c0 = sgn * m->obj_const;
    p->q = calloc(n + 1, sizeof *p->q);
    int *ti = malloc((nm + 1) * sizeof *ti);
    double *tv = malloc((nm + 1) * sizeof *tv);
    if (!p->q || !ti || !tv) { free(ti); free(tv); return FOLIO_ERR_NOMEM; }
    for (size_t j = 0; j < nm; j++) {
        if (p->colmap[j] >= 0) p->q[p->colmap[j]] += sgn * m->obj[j];
        else p->c0 += sgn * m->obj[j] * p->fixval[j];
    }
    int diagonal = 1;   /* a diagonal P (separable risk, lifted factor models) stays a vector */
    for (size_t k = 0; k < m->nq; k++)
        if (m->qi[k] != m->qj[k] && p->colmap[m->qi[k]] >= 0 && p->colmap[m->qj[k]] >= 0) diagonal = 0;
    if (m->nq && diagonal) {
        p->Pdiag = calloc(n + 1, sizeof *p->Pdiag);
        if (!p->Pdiag) { free(ti); free(tv); return FOLIO_ERR_NOMEM; }
        for (size_t k = 0; k < m->nq; k++) {
            size_t i = (size_t)m->qi[k], j = (size_t)m->qj[k];
            long ci = p->colmap[i], cj = p->colmap[j];
            double v = sgn * m->qv[k];
            if (ci >= 0 && cj >= 0) p->Pdiag[ci] += 2 * v;
            else if (ci >= 0) p->q[ci] += v * p->fixval[j];
            else if (cj >= 0) p->q[cj] += v * p->fixval[i];
            else p->c0 += v * p->fixval[i] * p->fixval[j];
        }
    } else if (m->nq) {
        p->P = calloc(n * n + 1, sizeof *p->P);
        if (!p->P) { free(ti); free(tv); return FOLIO_ERR_NOMEM; }
        /* objective terms v x_i x_j as 1/2 x'Px; fixed columns fold into q and c0 */
        for (size_t k = 0; k < m->nq; k++) {
            size_t i = (size_t)m->qi[k], j = (size_t)m->qj[k];
            long ci = p->colmap[i], cj = p->colmap[j];
            double v = sgn * m->qv[k];
            if (ci >= 0 && cj >= 0) {
                if (ci == cj) p->P[ci * (long)n + ci] += 2 * v;
                else { p->P[ci * (long)n + cj] += v; p->P[cj * (long)n + ci] += v; }
            } else if (ci >= 0) {
                p->q[ci] += v * p->fixval[j];
            } else if (cj >= 0) {
                p->q[cj] += v * p->fixval[i];
            } else {
                p->c0 += v * p->fixval[i] * p->fixval[j];
            }
        }
    }
    csr_builder A = { 0 }, G = { 0 };
    folio_error e = FOLIO_ERR_NOMEM;
    double one = 1.0;
    int jj;
    /* rows: equalities to A; a'x <= hi and -a'x <= -lo to G. A row left
     * with no free column is a constant: it holds or the node is infeasible */
    for (int pass = 0; pass < 2; pass++)
        for (size_t i = 0; i < m->nrows; i++) {
            int eq = m->lo[i] == m->hi[i];
            if (eq != (pass == 0)) continue;
            size_t s = m->row_start[i];
            double shift = 0;
            size_t len = reduce_terms(p, m->row_start[i + 1] - s, m->nz_idx + s, m->nz_val + s, ti, tv, &shift);
            if (len == 0) {
                double tol = 1e-9 * (1 + fabs(shift));
                if (shift < m->lo[i] - tol || shift > m->hi[i] + tol) p->infeasible = 1;
                continue;
            }
            if (eq) {
                if (cb_row(&A, len, ti, tv, 1.0, m->hi[i] - shift, QP_ROW_EQ, (long)i)) goto fail;
                continue;
            }
            if (isfinite(m->hi[i]) && cb_row(&G, len, ti, tv, 1.0, m->hi[i] - shift, QP_ROW_HI, (long)i))
                goto fail;
            if (isfinite(m->lo[i]) && cb_row(&G, len, ti, tv, -1.0, -(m->lo[i] - shift), QP_ROW_LO, (long)i))
                goto fail;
        }
    for (size_t j = 0; j < nm; j++) {
        if (p->colmap[j] < 0 || p->alias[j] >= 0) continue;   /* an alias's bounds are its target's */
        jj = (int)p->colmap[j];
        if (isfinite(ub[j]) && cb_row(&G, 1, &jj, &one, 1.0, ub[j], QP_COL_UB, (long)j)) goto fail;
        if (isfinite(lb[j]) && cb_row(&G, 1, &jj, &one, -1.0, -lb[j], QP_COL_LB, (long)j)) goto fail;
    }
    p->l = G.M.m;
    /* cones: s = h - Gx with s_0 = t'x + t0, s_i = a_i'x + b_i. A cone
     * whose columns are all fixed (a node that fixes a held exposure out,
     * say) is a constant point: it holds or the problem is infeasible, and
     * it stays out of the problem, since a point on the cone's boundary
     * (0 itself) would leave the interior-point method no interior */
    p->cone_dim = calloc(m->ncones + 1, sizeof *p->cone_dim);
    p->cone_src = calloc(m->ncones + 1, sizeof *p->cone_src);
    if (!p->cone_dim || !p->cone_src) goto fail;
    p->ncones = 0;
    for (size_t k = 0; k < m->ncones; k++) {
        size_t first = m->cone_start[k], last = m->cone_start[k + 1];
        int constant = 1;
        for (size_t a = first; a < last && constant; a++)
            for (size_t t = m->aff_start[a]; t < m->aff_start[a + 1]; t++)
                if (p->colmap[m->aff_idx[t]] >= 0 && m->aff_val[t] != 0) { constant = 0; break; }
        if (constant) {
            double s0 = 0, rest = 0;
            for (size_t a = first; a < last; a++) {
                double v = m->aff_cst[a];
                for (size_t t = m->aff_start[a]; t < m->aff_start[a + 1]; t++)
                    v += m->aff_val[t] * p->fixval[m->aff_idx[t]];
                if (a == first) s0 = v;
                else rest += v * v;
            }
            if (sqrt(rest) > s0 + 1e-9 * (1 + fabs(s0))) p->infeasible = 1;
            continue;
        }
        p->cone_dim[p->ncones] = last - first;
        p->cone_src[p->ncones] = (long)k;
        for (size_t a = first; a < last; a++) {
            size_t s = m->aff_start[a];
            double shift = 0;
            size_t len = reduce_terms(p, m->aff_start[a + 1] - s, m->aff_idx + s, m->aff_val + s, ti, tv, &shift);
            if (cb_row(&G, len, ti, tv, -1.0, m->aff_cst[a] + shift, QP_CONE, (long)k)) goto fail;
        }
        p->ncones++;
    }
    free(ti);
    free(tv);
    A.M.n = G.M.n = n;
    if (A.M.m == 0) { A.M.start = calloc(1, sizeof *A.M.start); if (!A.M.start) goto fail2; }
    if (G.M.m == 0) { G.M.start = calloc(1, sizeof *G.M.start); if (!G.M.start) goto fail2; }
    p->A = A.M; p->b = A.rhs; p->a_kind = A.kind; p->a_src = A.src;
    p->G = G.M; p->h = G.rhs; p->g_kind = G.kind; p->g_src = G.src;
    if (!p->b) p->b = calloc(1, sizeof *p->b);
    if (!p->h) p->h = calloc(1, sizeof *p->h);
    if (!p->b || !p->h) return FOLIO_ERR_NOMEM;
    return FOLIO_OK;
fail:
    free(ti);
    free(tv);
fail2:
    cb_free(&A);
    cb_free(&G);
    return e;
}

/* The objective must be convex: P positive semidefinite. */
static folio_error check_convex(folio_model *m, const qp_problem *p)
{
    size_t n = p->n;
    if (m->obj_convex) return FOLIO_OK;   /* built from checked forms (see lexpr.h) */
    if (p->Pdiag) {
        double lmin = 0, maxd = 0;
        for (size_t j = 0; j < n; j++) {
            lmin = fmin(lmin, p->Pdiag[j]);
            maxd = fmax(maxd, fabs(p->Pdiag[j]));
        }
        if (lmin >= -1e-9 * (1 + maxd)) return FOLIO_OK;
        return folio_model_fail(m, FOLIO_ERR_INVALID,
                                m->sense == FOLIO_MAXIMIZE
                                    ? "model '%s': maximising a quadratic objective that is not concave "
                                      "(largest eigenvalue of its Hessian is %.6g)"
                                    : "model '%s': minimising a quadratic objective that is not convex "
                                      "(smallest eigenvalue of its Hessian is %.6g)",
                                m->name, m->sense == FOLIO_MAXIMIZE ? -lmin : lmin);
    }
    if (!p->P || n == 0) return FOLIO_OK;
    double *C = malloc(n * n * sizeof *C);
    if (!C) return FOLIO_ERR_NOMEM;
    memcpy(C, p->P, n * n * sizeof *C);
    double maxd = 0;
    for (size_t i = 0; i < n; i++) maxd = fmax(maxd, fabs(C[i * n + i]));
    for (size_t i = 0; i < n; i++) C[i * n + i] += 1e-9 * (1 + maxd);
    gsl_matrix_view Cv = gsl_matrix_view_array(C, n, n);
    gsl_error_handler_t *old = gsl_set_error_handler_off();
    int bad = gsl_linalg_cholesky_decomp1(&Cv.matrix) != GSL_SUCCESS;
    folio_error e = FOLIO_OK;
    if (bad) {
        /* report the smallest eigenvalue of the Hessian */
        memcpy(C, p->P, n * n * sizeof *C);
        gsl_vector *ev = gsl_vector_alloc(n);
        gsl_eigen_symm_workspace *ws = gsl_eigen_symm_alloc(n);
        double lmin = NAN;
        if (ev && ws && gsl_eigen_symm(&Cv.matrix, ev, ws) == GSL_SUCCESS) lmin = gsl_vector_min(ev);
        gsl_vector_free(ev);
        gsl_eigen_symm_free(ws);
        /* P holds the Hessian of the minimised form */
        double shown = m->sense == FOLIO_MAXIMIZE ? -lmin : lmin;
        e = folio_model_fail(m, FOLIO_ERR_INVALID,
                             m->sense == FOLIO_MAXIMIZE
                                 ? "model '%s': maximising a quadratic objective that is not concave "
                                   "(largest eigenvalue of its Hessian is %.6g)"
                                 : "model '%s': minimising a quadratic objective that is not convex "
                                   "(smallest eigenvalue of its Hessian is %.6g)",
                             m->name, shown);
    }
    gsl_set_error_handler(old);
    free(C);
    return e;
}

static void map_result(folio_model *m, const qp_problem *p, const qp_solution *sol, folio_result *res)
{
    double sgn = m->sense == FOLIO_MAXIMIZE ? -1.0 : 1.0;
    switch (sol->status) {
    case QP_OPTIMAL: res->status = FOLIO_STATUS_OPTIMAL; break;
    case QP_PRIMAL_INFEASIBLE: res->status = FOLIO_STATUS_INFEASIBLE; break;
    case QP_DUAL_INFEASIBLE: res->status = FOLIO_STATUS_UNBOUNDED; break;
    case QP_MAX_ITER: res->status = FOLIO_STATUS_ITERATION_LIMIT; break;
    case QP_TIME_LIMIT: res->status = FOLIO_STATUS_TIME_LIMIT; break;
    case QP_INTERRUPTED: res->status = FOLIO_STATUS_INTERRUPTED; break;
    default: res->status = FOLIO_STATUS_NUMERICAL_ERROR; break;
    }
    res->iterations = sol->iterations;
    snprintf(res->message, sizeof res->message, "%s", sol->message);
    if (sol->status != QP_OPTIMAL) return;
    size_t nm = p->ncols_model;
    res->has_solution = res->has_duals = 1;
    for (size_t j = 0; j < nm; j++) res->x[j] = p->colmap[j] >= 0 ? sol->x[p->colmap[j]] : p->fixval[j];
    res->objective = sgn * (sol->pcost + p->c0);
    for (size_t i = 0; i < m->nrows; i++) {
        double a = 0;
        for (size_t k = m->row_start[i]; k < m->row_start[i + 1]; k++) a += m->nz_val[k] * res->x[m->nz_idx[k]];
        res->row_activity[i] = a;
    }
    /* duals: d objective / d rhs in the model's own sense. Reduced costs:
     * the gradient of the Lagrangian without the bound multipliers,
     * d = Px + q + (rows)'(multipliers) + (cones)'(multipliers), over the
     * full model so that substituted columns get theirs too. */
    double *d = res->reduced_cost;
    for (size_t j = 0; j < nm; j++) d[j] = sgn * m->obj[j];
    for (size_t k = 0; k < m->nq; k++) {
        size_t i = (size_t)m->qi[k], j = (size_t)m->qj[k];
        double v = sgn * m->qv[k];
        d[i] += v * res->x[j];
        d[j] += v * res->x[i];
    }
    for (size_t r = 0; r < p->A.m; r++) {
        long i = p->a_src[r];
        double y = sol->y[r];
        res->row_dual[i] += -sgn * y;
        for (size_t k = m->row_start[i]; k < m->row_start[i + 1]; k++) d[m->nz_idx[k]] += m->nz_val[k] * y;
    }
    size_t cone_row = p->l;
    for (size_t r = 0; r < p->G.m; r++) {
        double z = sol->z[r];
        long i = p->g_src[r];
        switch (p->g_kind[r]) {
        case QP_ROW_HI:
        case QP_ROW_LO: {
            double side = p->g_kind[r] == QP_ROW_HI ? 1.0 : -1.0;
            res->row_dual[i] += -side * sgn * z;
            for (size_t k = m->row_start[i]; k < m->row_start[i + 1]; k++)
                d[m->nz_idx[k]] += side * m->nz_val[k] * z;
            break;
        }
        default: break;
        }
    }
    (void)cone_row;
    size_t off = p->l;
    for (size_t kp = 0; kp < p->ncones; kp++) {
        size_t k = (size_t)p->cone_src[kp];   /* a constant cone's dual stays 0 */
        res->cone_dual[k] = -sgn * sol->z[off];
        /* G rows of a cone are minus its affine expressions */
        for (size_t a = m->cone_start[k]; a < m->cone_start[k + 1]; a++) {
            double z = sol->z[off + (a - m->cone_start[k])];
            for (size_t t = m->aff_start[a]; t < m->aff_start[a + 1]; t++) d[m->aff_idx[t]] -= m->aff_val[t] * z;
        }
        off += p->cone_dim[kp];
    }
    /* an alias row left the problem: its multiplier is the one that makes
     * its source's reduced cost 0 (the source's bounds are its target's) */
    for (size_t j = 0; j < nm && p->nalias; j++) {
        if (p->alias[j] < 0) continue;
        size_t i = (size_t)p->alias[j];
        double a = 0;
        for (size_t k = m->row_start[i]; k < m->row_start[i + 1]; k++)
            if ((size_t)m->nz_idx[k] == j) a = m->nz_val[k];
        double y = -d[j] / a;
        res->row_dual[i] += -sgn * y;
        for (size_t k = m->row_start[i]; k < m->row_start[i + 1]; k++) d[m->nz_idx[k]] += m->nz_val[k] * y;
    }
    for (size_t j = 0; j < nm; j++) d[j] *= sgn;
}

/* Solves the continuous problem with bounds lb/ub; fills sol (caller frees).
 * The convexity check runs once, on the first call (check != 0). */
static folio_error solve_relaxation(folio_model *m, const double *lb, const double *ub, const qp_settings *st,
                                    int check, qp_problem *p, qp_solution *sol)
{
    folio_error e = build_problem(m, lb, ub, p);
    if (e != FOLIO_OK) return folio_model_fail(m, e, "out of memory building the QP");
    if (check && (e = check_convex(m, p)) != FOLIO_OK) {
        if (e == FOLIO_ERR_NOMEM) folio_model_fail(m, e, "out of memory checking convexity");
        return e;
    }
    if (p->infeasible) {
        /* presolve: a row whose columns are all fixed does not hold */
        memset(sol, 0, sizeof *sol);
        sol->status = QP_PRIMAL_INFEASIBLE;
        snprintf(sol->message, sizeof sol->message, "presolve: fixed variables violate a constraint");
        return FOLIO_OK;
    }
    if (qp_ipm_solve(p, st, sol)) return folio_model_fail(m, FOLIO_ERR_NOMEM, "out of memory in the QP solver");
    return FOLIO_OK;
}

/* The model's columns from a solution of the presolved problem. */
static void full_x(const qp_problem *p, const qp_solution *sol, double *x)
{
    for (size_t j = 0; j < p->ncols_model; j++) x[j] = p->colmap[j] >= 0 ? sol->x[p->colmap[j]] : p->fixval[j];
}

/* ---- branch and bound for integer variables --------------------------- */

typedef struct bb_node {
    double bound;       /* the parent's relaxation value (min sense) */
    double *lb, *ub;    /* bounds of the integer columns, nint each */
} bb_node;

typedef struct bb_heap {
    bb_node *v;
    size_t n, cap;
} bb_heap;

static int heap_push(bb_heap *h, bb_node nd)
{
    if (h->n == h->cap) {
        size_t c = h->cap ? 2 * h->cap : 64;
        bb_node *v = realloc(h->v, c * sizeof *v);
        if (!v) return -1;
        h->v = v;
        h->cap = c;
    }
    size_t i = h->n++;
    h->v[i] = nd;
    while (i && h->v[(i - 1) / 2].bound > h->v[i].bound) {
        bb_node t = h->v[i]; h->v[i] = h->v[(i - 1) / 2]; h->v[(i - 1) / 2] = t;
        i = (i - 1) / 2;
    }
    return 0;
}

static bb_node heap_pop(bb_heap *h)
{
    bb_node top = h->v[0];
    h->v[0] = h->v[--h->n];
    size_t i = 0;
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, s = i;
        if (l < h->n && h->v[l].bound < h->v[s].bound) s = l;
        if (r < h->n && h->v[r].bound < h->v[s].bound) s = r;
        if (s == i) break;
        bb_node t = h->v[i]; h->v[i] = h->v[s]; h->v[s] = t;
        i = s;
    }
    return top;
}

#define INT_TOL 1e-6

/* Whether no node below lower can beat the incumbent by more than the
 * requested gap, or by more than the nodes' own accuracy (reltol). */
static int gap_closed(double incumbent, double lower, double gap_tol, double reltol)
{
    if (incumbent == HUGE_VAL) return 0;
    double d = incumbent - lower;
    return d <= gap_tol * fmax(1e-10, fabs(incumbent)) + 1e-12 || d <= reltol * fmax(1.0, fabs(incumbent));
}

/* One progress line, in the model's sense: lower is the least bound of
 * the open and dropped nodes (minimisation form). */
static void bb_progress(double sgn, long nodes, size_t open, double incumbent, double lower)
{
    char inc[32] = "none", gap[24] = "-";
    if (incumbent < HUGE_VAL) {
        snprintf(inc, sizeof inc, "%.8g", sgn * incumbent);
        if (lower > -HUGE_VAL)
            snprintf(gap, sizeof gap, "%.2f%%", 100 * fmax(0.0, incumbent - lower) / fmax(1e-10, fabs(incumbent)));
    }
    folio_progress("MIQP", "nodes %ld (%zu open)  incumbent %s  bound %.8g  gap %s", nodes, open, inc,
                   sgn * lower, gap);
}

/* The mip_start as a first incumbent: its values fixed (integer ones
 * rounded) and the unset columns set by one relaxation; when fixing the
 * continuous values leaves no feasible point, only the integer ones stay
 * fixed (as GLPK and Cbc do). Returns the minimised objective, with the
 * point in x, or HUGE_VAL with the reason in why. lb and ub are scratch.
 * The convexity check runs here when *check is set, and clears it. */
static double start_incumbent(folio_model *m, const double *start, const qp_settings *st, int *check,
                              double *lb, double *ub, double *x, char *why, size_t len, folio_error *err)
{
    size_t n = m->ncols;
    for (int pass = 0; pass < 2; pass++) {
        memcpy(lb, m->lb, n * sizeof *lb);
        memcpy(ub, m->ub, n * sizeof *ub);
        size_t fixed_continuous = 0;
        for (size_t j = 0; j < n; j++) {
            double v = start[j];
            if (isnan(v)) continue;
            if (m->kind[j] != FOLIO_CONTINUOUS) v = round(v);
            else if (pass) continue;
            else fixed_continuous++;
            if (v < m->lb[j] - 1e-9 * (1 + fabs(v)) || v > m->ub[j] + 1e-9 * (1 + fabs(v))) {
                snprintf(why, len, "%g is outside the bounds of '%.60s'", v, FOLIO_NAME(m, m->col_name[j]));
                return HUGE_VAL;
            }
            lb[j] = ub[j] = v;
        }
        qp_problem p;
        qp_solution sol;
        memset(&sol, 0, sizeof sol);
        *err = solve_relaxation(m, lb, ub, st, *check, &p, &sol);
        *check = 0;
        double val = sol.pcost + p.c0;
        int ok = *err == FOLIO_OK && sol.status == QP_OPTIMAL;
        if (ok) full_x(&p, &sol, x);
        qp_problem_free(&p);
        qp_solution_free(&sol);
        if (*err != FOLIO_OK) return HUGE_VAL;
        if (ok) {
            for (size_t j = 0; j < n; j++) {
                if (m->kind[j] == FOLIO_CONTINUOUS) continue;
                if (fabs(x[j] - round(x[j])) > INT_TOL) {
                    snprintf(why, len, "it leaves integer column '%.60s' fractional (%g): give it a value",
                             FOLIO_NAME(m, m->col_name[j]), x[j]);
                    return HUGE_VAL;
                }
                x[j] = round(x[j]);
            }
            return val;
        }
        if (!fixed_continuous) break;
    }
    snprintf(why, len, "no feasible point has its values");
    return HUGE_VAL;
}

/* Best-bound branch and bound; each node is a QP solved from scratch by the
 * interior-point method with the bounds its ancestors set. */
static folio_error branch_and_bound(folio_model *m, const folio_options *o, const qp_settings *st,
                                    folio_result *res)
{
    size_t n = m->ncols, ni = m->nint;
    double sgn = m->sense == FOLIO_MAXIMIZE ? -1.0 : 1.0;
    double t0 = folio_now();
    double gap_tol = o->mip_gap >= 0 ? o->mip_gap : 1e-6;
    size_t *ints = malloc((ni + 1) * sizeof *ints);
    double *lb = malloc((n + 1) * sizeof *lb), *ub = malloc((n + 1) * sizeof *ub);
    double *best_x = malloc((n + 1) * sizeof *best_x), *xn = malloc((n + 1) * sizeof *xn);
    bb_heap heap = { 0 };
    folio_error err = FOLIO_OK;
    if (!ints || !lb || !ub || !best_x || !xn) { err = FOLIO_ERR_NOMEM; goto out; }
    for (size_t j = 0, k = 0; j < n; j++) if (m->kind[j] != FOLIO_CONTINUOUS) ints[k++] = j;
    bb_node root = { -HUGE_VAL, malloc((ni + 1) * sizeof(double)), malloc((ni + 1) * sizeof(double)) };
    if (!root.lb || !root.ub) { free(root.lb); free(root.ub); err = FOLIO_ERR_NOMEM; goto out; }
    for (size_t k = 0; k < ni; k++) {
        /* integer bounds: round inwards */
        root.lb[k] = ceil(m->lb[ints[k]] - INT_TOL);
        root.ub[k] = floor(m->ub[ints[k]] + INT_TOL);
    }
    if (heap_push(&heap, root)) { free(root.lb); free(root.ub); err = FOLIO_ERR_NOMEM; goto out; }
    /* dropped: the least bound of subtrees abandoned after a numerical
     * failure, so that the reported bound and gap stay honest */
    double incumbent = HUGE_VAL, dropped = HUGE_VAL;
    long nodes = 0, iters = 0;
    int limit = 0, first = 1, numerical = 0, interrupted = 0, unbounded = 0, show = !o->verbose;
    char why[160] = "";
    if (o->mip_start) {
        incumbent = start_incumbent(m, o->mip_start, st, &first, lb, ub, best_x, why, sizeof why, &err);
        if (err != FOLIO_OK) goto out;
    }
    while (heap.n) {
        double lower = fmin(heap.v[0].bound, dropped);
        if (gap_closed(incumbent, lower, gap_tol, st->reltol)) break;
        int stop = folio_poll();   /* Ctrl-C, or the host's budget: a time limit */
        if ((o->time_limit > 0 && folio_now() - t0 > o->time_limit) ||
            (o->iteration_limit > 0 && nodes >= o->iteration_limit) || stop == FOLIO_POLL_BUDGET) {
            limit = 1;
            break;
        }
        if (stop == FOLIO_POLL_INTERRUPT) {
            interrupted = 1;
            break;
        }
        if (show && folio_progress_due()) bb_progress(sgn, nodes, heap.n, incumbent, lower);
        bb_node nd = heap_pop(&heap);
        if (gap_closed(incumbent, nd.bound, 0, st->reltol)) { free(nd.lb); free(nd.ub); continue; }
        memcpy(lb, m->lb, n * sizeof *lb);
        memcpy(ub, m->ub, n * sizeof *ub);
        int empty = 0;
        for (size_t k = 0; k < ni; k++) {
            lb[ints[k]] = nd.lb[k];
            ub[ints[k]] = nd.ub[k];
            if (nd.lb[k] > nd.ub[k]) empty = 1;
        }
        nodes++;
        qp_problem p;
        qp_solution sol;
        memset(&sol, 0, sizeof sol);
        folio_error e = empty ? FOLIO_OK : solve_relaxation(m, lb, ub, st, first, &p, &sol);
        first = 0;
        if (e != FOLIO_OK) {
            if (!empty) { qp_problem_free(&p); qp_solution_free(&sol); }
            free(nd.lb); free(nd.ub);
            err = e;
            goto out;
        }
        if (empty) { free(nd.lb); free(nd.ub); continue; }
        iters += sol.iterations;
        double val = sol.pcost + p.c0;
        int branch_k = -1;
        if (sol.status == QP_OPTIMAL && !gap_closed(incumbent, val, 0, st->reltol)) {
            full_x(&p, &sol, xn);
            double worst = INT_TOL;
            for (size_t k = 0; k < ni; k++) {
                double xv = xn[ints[k]], f = fabs(xv - round(xv));
                if (f > worst) { worst = f; branch_k = (int)k; }
            }
            if (branch_k < 0) {            /* integral: a new incumbent */
                incumbent = val;
                memcpy(best_x, xn, n * sizeof *best_x);
            } else {
                double xv = xn[ints[branch_k]];
                bb_node a = { val, malloc((ni + 1) * sizeof(double)), malloc((ni + 1) * sizeof(double)) };
                bb_node b = { val, malloc((ni + 1) * sizeof(double)), malloc((ni + 1) * sizeof(double)) };
                int bad = !a.lb || !a.ub || !b.lb || !b.ub;
                if (!bad) {
                    memcpy(a.lb, nd.lb, ni * sizeof(double)); memcpy(a.ub, nd.ub, ni * sizeof(double));
                    memcpy(b.lb, nd.lb, ni * sizeof(double)); memcpy(b.ub, nd.ub, ni * sizeof(double));
                    a.ub[branch_k] = floor(xv);
                    b.lb[branch_k] = ceil(xv);
                }
                if (bad || heap_push(&heap, a) || heap_push(&heap, b)) {
                    if (bad) { free(a.lb); free(a.ub); free(b.lb); free(b.ub); }
                    qp_problem_free(&p); qp_solution_free(&sol); free(nd.lb); free(nd.ub);
                    err = FOLIO_ERR_NOMEM;
                    goto out;
                }
            }
        } else if (sol.status == QP_DUAL_INFEASIBLE) {
            /* an unbounded relaxation: the model is unbounded if it has an
             * integer point at all, which the search cannot tell */
            unbounded = 1;
            qp_problem_free(&p); qp_solution_free(&sol); free(nd.lb); free(nd.ub);
            break;
        } else if (sol.status == QP_NUMERICAL || sol.status == QP_MAX_ITER || sol.status == QP_TIME_LIMIT ||
                   sol.status == QP_INTERRUPTED) {
            /* the node stays unexplored: its bound stays in the gap */
            if (sol.status == QP_INTERRUPTED) interrupted = 1;
            else numerical = 1;
            if (nd.bound < dropped) dropped = nd.bound;
        }
        qp_problem_free(&p);
        qp_solution_free(&sol);
        free(nd.lb); free(nd.ub);
    }
    double global_bound = fmin(heap.n ? heap.v[0].bound : incumbent, dropped);
    res->nodes = nodes;
    res->iterations = iters;
    res->mip_bound = sgn * global_bound;
    if (unbounded) {
        res->status = FOLIO_STATUS_INFEASIBLE_OR_UNBOUNDED;
        res->mip_bound = NAN;
        res->mip_gap = HUGE_VAL;
        snprintf(res->message, sizeof res->message, "branch and bound: the relaxation of node %ld is unbounded, "
                 "so the model is unbounded or has no integer solution", nodes);
        goto out;
    }
    if (incumbent == HUGE_VAL) {
        res->status = interrupted ? FOLIO_STATUS_INTERRUPTED : limit ? FOLIO_STATUS_TIME_LIMIT
                    : numerical ? FOLIO_STATUS_NUMERICAL_ERROR : FOLIO_STATUS_INFEASIBLE;
        res->mip_gap = HUGE_VAL;
        snprintf(res->message, sizeof res->message, "branch and bound: %ld nodes, no integer solution%s",
                 nodes, interrupted ? " before the interruption" : limit ? " before the limit" : "");
        goto out;
    }
    /* the incumbent's integers, fixed exactly, give the reported solution */
    memcpy(lb, m->lb, n * sizeof *lb);
    memcpy(ub, m->ub, n * sizeof *ub);
    for (size_t k = 0; k < ni; k++) lb[ints[k]] = ub[ints[k]] = round(best_x[ints[k]]);
    qp_problem p;
    qp_solution sol;
    memset(&sol, 0, sizeof sol);
    /* one QP, run even after an interrupt so that the incumbent is kept */
    qp_settings fin = *st;
    fin.interruptible = 0;
    err = solve_relaxation(m, lb, ub, &fin, 0, &p, &sol);
    if (err == FOLIO_OK) {
        map_result(m, &p, &sol, res);
        if (!o->mip_duals) res->has_duals = 0;
        double val = sgn * res->objective;
        res->mip_gap = fmax(0.0, val - global_bound) / fmax(1e-10, fabs(val));
        /* optimal only when the gap is closed, dropped subtrees included */
        int closed = gap_closed(val, global_bound, gap_tol, st->reltol);
        res->status = closed ? FOLIO_STATUS_OPTIMAL : interrupted ? FOLIO_STATUS_INTERRUPTED
                    : limit ? FOLIO_STATUS_TIME_LIMIT : FOLIO_STATUS_NUMERICAL_ERROR;
        /* a gap within the nodes' accuracy is none: proven, as the contract
         * says (the final fixed-integer solve may also land a hair past the
         * nodes' bound) */
        if (gap_closed(val, global_bound, 0, st->reltol) || sgn * (res->mip_bound - res->objective) > 0) {
            res->mip_bound = res->objective;
            res->mip_gap = 0;
        }
        res->has_solution = sol.status == QP_OPTIMAL;
        snprintf(res->message, sizeof res->message, "branch and bound: %ld nodes, gap %.3g%s%s%.120s%s", nodes,
                 res->mip_gap, res->status == FOLIO_STATUS_INTERRUPTED ? " (interrupted by the user)" : "",
                 why[0] ? " (mip_start not used: " : "", why, why[0] ? ")" : "");
    }
    qp_problem_free(&p);
    qp_solution_free(&sol);
out:
    while (heap.n) { bb_node nd = heap_pop(&heap); free(nd.lb); free(nd.ub); }
    free(heap.v);
    free(ints); free(lb); free(ub); free(best_x); free(xn);
    if (err == FOLIO_ERR_NOMEM) return folio_model_fail(m, err, "out of memory in branch and bound");
    return err;
}

static folio_error qp_solve_model(folio_model *m, const folio_options *o, folio_result *res)
{
    if (folio_result_alloc(res, m->ncols, m->nrows))
        return folio_model_fail(m, FOLIO_ERR_NOMEM, "out of memory allocating the result");
    res->ncones = m->ncones;
    res->cone_dual = calloc(m->ncones + 1, sizeof *res->cone_dual);
    if (!res->cone_dual) return folio_model_fail(m, FOLIO_ERR_NOMEM, "out of memory allocating the result");
    snprintf(res->solver, sizeof res->solver, "qp");
    res->is_mip = m->nint > 0;
    double t0 = folio_now();
    qp_settings st;
    qp_settings_default(&st);
    if (o->iteration_limit > 0 && !m->nint)
        st.max_iter = (int)(o->iteration_limit < 100000 ? o->iteration_limit : 100000);
    if (o->feastol > 0) st.feastol = o->feastol;
    if (o->reltol > 0) st.reltol = o->reltol;
    if (o->abstol > 0) st.abstol = o->abstol;
    st.verbose = o->verbose && !m->nint;
    st.dense_kkt = o->dense_kkt;
    st.progress = !o->verbose && !m->nint;   /* branch and bound reports nodes instead */
    folio_error e;
    if (m->nint) {
        e = branch_and_bound(m, o, &st, res);
    } else {
        if (o->time_limit > 0) st.time_limit = o->time_limit;
        qp_problem p;
        qp_solution sol;
        memset(&sol, 0, sizeof sol);
        e = solve_relaxation(m, m->lb, m->ub, &st, 1, &p, &sol);
        if (e == FOLIO_OK) map_result(m, &p, &sol, res);
        qp_solution_free(&sol);
        qp_problem_free(&p);
    }
    res->solve_time = folio_now() - t0;
    return e;
}

static folio_error qp_lower(folio_model *m, double *seconds)
{
    double t0 = folio_now();
    qp_problem p;
    folio_error e = build_problem(m, m->lb, m->ub, &p);
    qp_problem_free(&p);
    if (seconds) *seconds = folio_now() - t0;
    if (e != FOLIO_OK) return folio_model_fail(m, e, "out of memory building the QP");
    return FOLIO_OK;
}

const folio_backend folio_backend_qp = {
    "qp", FOLIO_CAP_LP | FOLIO_CAP_MIP | FOLIO_CAP_QP | FOLIO_CAP_SOC | FOLIO_CAP_DUALS | FOLIO_CAP_MIP_START,
    qp_solve_model, qp_lower
};
