/* Primal-dual interior-point method for convex QP/SOCP (CVXOPT's coneqp
 * scheme): Nesterov-Todd scaling, Mehrotra predictor-corrector, one step
 * of iterative refinement per Newton solve.
 *
 * Newton system, in the scaled variables dz~ = W dz, ds~ = W^{-1} ds:
 *   P dx + A'dy + G'dz = -rx,  A dx = -ry,  G dx + ds = -rz,
 *   lambda o (dz~ + ds~) = rc.
 * Eliminating ds and dz leaves [H A'; A 0], H = P + G'W^{-2}G, solved
 * through K = H + A'A (Cholesky) and the Schur complement A K^{-1} A'. */
#include "qp.h"
#include "qp_cone.h"
#include "../backend.h"

#include <gsl/gsl_blas.h>
#include <gsl/gsl_cblas.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_linalg.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define DENSE_ROW 16     /* G rows with more nonzeros go through dsyrk */
/* infeasibility certificates are judged at least this loosely: a tight
 * feastol (1e-10) would otherwise hide a certificate behind round-off */
#define CERT_TOL 1e-8

/* OpenBLAS's worker threads spin after each call; on small matrices they
 * cost more than they give and take CPU from the rest of the process
 * (measured at n = 500: 24 ms with one thread, 36 ms with two; at
 * n = 2000 two threads win by about 6%). The host runs OpenBLAS with one
 * thread (src/cli/main.c); large dense solves use every core. */
void openblas_set_num_threads(int);
int openblas_get_num_threads(void);
#define BLAS_THREADS_MIN_N 1500

/* OpenBLAS's LAPACK Cholesky: faster than GSL's recursive one on the KKT
 * matrix. A row-major lower triangle is a column-major upper one, so
 * dpotrf("U") leaves the same L that gsl_linalg_cholesky_svx expects. */
void dpotrf_(const char *uplo, const int *n, double *a, const int *lda, int *info);

void qp_settings_default(qp_settings *st)
{
    st->feastol = 1e-8;
    st->abstol = 1e-12;
    st->reltol = 1e-8;
    st->max_iter = 100;
    st->time_limit = 0;
    st->verbose = 0;
    st->dense_kkt = 0;
    st->progress = 0;
    st->interruptible = 1;
}

void qp_csr_mul(const qp_csr *M, const double *x, double *y, double alpha, double beta)
{
    for (size_t i = 0; i < M->m; i++) {
        double s = 0;
        for (size_t k = M->start[i]; k < M->start[i + 1]; k++) s += M->val[k] * x[M->idx[k]];
        y[i] = alpha * s + (beta == 0 ? 0 : beta * y[i]);
    }
}

void qp_csr_tmul(const qp_csr *M, const double *x, double *y, double alpha, double beta)
{
    if (beta != 1.0)
        for (size_t j = 0; j < M->n; j++) y[j] = beta == 0 ? 0 : beta * y[j];
    for (size_t i = 0; i < M->m; i++) {
        double xi = alpha * x[i];
        if (xi == 0) continue;
        for (size_t k = M->start[i]; k < M->start[i + 1]; k++) y[M->idx[k]] += M->val[k] * xi;
    }
}

static double nrm2(const double *v, size_t n)
{
    double s = 0;
    for (size_t i = 0; i < n; i++) s += v[i] * v[i];
    return sqrt(s);
}

static double dotp(const double *a, const double *b, size_t n)
{
    double s = 0;
    for (size_t i = 0; i < n; i++) s += a[i] * b[i];
    return s;
}

/* y = P x */
static void pmul(const qp_problem *p, const double *x, double *y)
{
    size_t n = p->n;
    if (p->P) {
        if (n == 0) return;
        gsl_matrix_const_view Pv = gsl_matrix_const_view_array(p->P, n, n);
        gsl_vector_const_view xv = gsl_vector_const_view_array(x, n);
        gsl_vector_view yv = gsl_vector_view_array(y, n);
        gsl_blas_dsymv(CblasLower, 1.0, &Pv.matrix, &xv.vector, 0.0, &yv.vector);
    } else if (p->Pdiag)
        for (size_t i = 0; i < n; i++) y[i] = p->Pdiag[i] * x[i];
    else
        for (size_t i = 0; i < n; i++) y[i] = 0;
}

typedef struct ipm {
    const qp_problem *p;
    size_t n, np, m;
    qp_scaling W;
    double *K;          /* n x n, lower triangle: Cholesky factor after factor() */
    double *X;          /* n x np: K^{-1} A' */
    double *S;          /* np x np: Cholesky factor of A K^{-1} A' */
    double *Dm;         /* dense scaled rows, md x n */
    double *Ad;         /* A dense, np x n */
    int *mark;          /* column marker, n */
    int *cols;          /* columns of a cone block */
    double *U;          /* a cone block's scaled rows, restricted to its columns */
    /* work vectors */
    double *t, *u, *v, *r1, *r2, *gdx, *dzt, *dst;
    double *e1, *e2, *e3, *e4, *cx, *cy, *cz, *cs, *ct;
    double *tn;         /* n */
    size_t maxdim;
    /* diagonal path: P diagonal, every inequality a single-column row and no
     * cones, so H = P + G'W^{-2}G is a diagonal Hd and the equalities are
     * handled through A Hd^{-1} A' (O(n p^2), no n x n matrix) */
    int diag;
    double *Hd;
    /* arrow path: "local" columns L (no P, no cone, at most one per G row)
     * make K = [K_BB K_BL; K_LB diag(dL)]; they are eliminated into the
     * nb x nb Schur complement C = K_BB - K_BL dL^{-1} K_LB, so a model with
     * one variable per scenario (CVaR) costs O(nl nb^2), not O(n^3). A rows
     * that touch L stay out of the A'A term (arow = 0). */
    int arrow;
    size_t nb, nl;
    int *bpos, *lpos, *bcol, *lcol;
    double *C, *KLB, *dL, *tb;
    unsigned char *arow;
    /* the support of P (columns with a nonzero): with one variable per
     * scenario it is a small corner of n, and P x, the arrow build and the
     * column choice only need that corner (Ps, nps x nps) */
    size_t nps;
    int *psup;
    double *Ps;
} ipm;

/* y = P x through the support when it is small */
static void ipm_pmul(const ipm *w, const double *x, double *y)
{
    const qp_problem *p = w->p;
    if (!w->Ps) { pmul(p, x, y); return; }
    size_t n = w->n, k = w->nps;
    for (size_t i = 0; i < n; i++) y[i] = 0;
    for (size_t a = 0; a < k; a++) {
        double s = 0;
        const double *row = w->Ps + a * k;
        for (size_t b = 0; b < k; b++) s += row[b] * x[w->psup[b]];
        y[w->psup[a]] = s;
    }
}

static void *xcalloc(size_t n, size_t sz, int *fail)
{
    void *p = calloc(n ? n : 1, sz);
    if (!p) *fail = 1;
    return p;
}

static void ipm_free(ipm *w)
{
    free(w->W.w); free(w->W.beta); free(w->W.wbar); free(w->W.lambda);
    free(w->K); free(w->Hd); free(w->X); free(w->S); free(w->Dm); free(w->Ad); free(w->mark); free(w->cols);
    free(w->U);
    free(w->bpos); free(w->lpos); free(w->bcol); free(w->lcol); free(w->C); free(w->KLB); free(w->dL);
    free(w->tb); free(w->arow); free(w->psup); free(w->Ps);
    free(w->t); free(w->u); free(w->v); free(w->r1); free(w->r2); free(w->gdx); free(w->dzt);
    free(w->dst); free(w->e1); free(w->e2); free(w->e3); free(w->e4); free(w->cx); free(w->cy);
    free(w->cz); free(w->cs); free(w->ct); free(w->tn);
}

/* Picks the local columns of the arrow path (see the ipm struct). In a G
 * row with several candidates the one in the fewest rows stays local
 * (u_s, not the z every loss row shares). Used only when the local
 * columns are at least half of n and at least ARROW_MIN. */
#define ARROW_MIN 64
static int detect_arrow(ipm *w, int *fail)
{
    const qp_problem *p = w->p;
    size_t n = w->n;
    w->arrow = 0;
    if (n < ARROW_MIN) return 0;
    int *deg = xcalloc(n, sizeof(int), fail);
    unsigned char *cand = xcalloc(n, 1, fail);
    if (*fail) { free(deg); free(cand); return -1; }
    for (size_t j = 0; j < n; j++) cand[j] = 1;
    for (size_t a = 0; a < w->nps; a++) cand[w->psup[a]] = 0;   /* P is symmetric */
    const qp_csr *G = &p->G;
    for (size_t r = 0; r < G->m; r++)
        for (size_t k = G->start[r]; k < G->start[r + 1]; k++) {
            if (r >= p->l) cand[G->idx[k]] = 0;   /* cone rows */
            deg[G->idx[k]]++;
        }
    for (size_t r = 0; r < p->l; r++) {
        int keep = -1;
        for (size_t k = G->start[r]; k < G->start[r + 1]; k++) {
            int j = G->idx[k];
            if (!cand[j] || j == keep) continue;
            if (keep < 0 || deg[j] < deg[keep] || (deg[j] == deg[keep] && j < keep)) keep = j;
        }
        for (size_t k = G->start[r]; k < G->start[r + 1]; k++)
            if (G->idx[k] != keep) cand[G->idx[k]] = 0;
    }
    size_t nl = 0;
    for (size_t j = 0; j < n; j++) nl += cand[j];
    free(deg);
    if (nl < ARROW_MIN || 2 * nl < n) { free(cand); return 0; }
    w->nl = nl;
    w->nb = n - nl;
    w->bpos = xcalloc(n, sizeof(int), fail);
    w->lpos = xcalloc(n, sizeof(int), fail);
    w->bcol = xcalloc(w->nb + 1, sizeof(int), fail);
    w->lcol = xcalloc(nl, sizeof(int), fail);
    w->arow = xcalloc(w->np + 1, 1, fail);
    if (*fail) { free(cand); return -1; }
    size_t b = 0, l = 0;
    for (size_t j = 0; j < n; j++) {
        w->bpos[j] = w->lpos[j] = -1;
        if (cand[j]) { w->lpos[j] = (int)l; w->lcol[l++] = (int)j; }
        else { w->bpos[j] = (int)b; w->bcol[b++] = (int)j; }
    }
    for (size_t i = 0; i < w->np; i++) {
        w->arow[i] = 1;
        for (size_t k = p->A.start[i]; k < p->A.start[i + 1]; k++)
            if (cand[p->A.idx[k]]) w->arow[i] = 0;
    }
    free(cand);
    w->arrow = 1;
    return 0;
}

static int ipm_alloc(ipm *w, const qp_problem *p, int dense_kkt)
{
    int fail = 0;
    memset(w, 0, sizeof *w);
    w->p = p;
    w->n = p->n;
    w->np = p->A.m;
    w->m = p->G.m;
    size_t n = w->n, np = w->np, m = w->m;
    w->W.l = p->l;
    w->W.ncones = p->ncones;
    w->W.dim = p->cone_dim;
    w->W.w = xcalloc(p->l, sizeof(double), &fail);
    w->W.beta = xcalloc(p->ncones, sizeof(double), &fail);
    w->W.wbar = xcalloc(m, sizeof(double), &fail);
    w->W.lambda = xcalloc(m, sizeof(double), &fail);
    w->diag = !p->P && p->ncones == 0;
    for (size_t i = 0; i < p->l && w->diag; i++)
        if (p->G.start[i + 1] - p->G.start[i] != 1) w->diag = 0;
    if (p->P) {
        /* one pass over P for its support; kept only when it is small */
        w->psup = xcalloc(n, sizeof(int), &fail);
        if (!fail) {
            for (size_t i = 0; i < n; i++)
                for (size_t j = 0; j < n; j++)
                    if (p->P[i * n + j] != 0) { w->psup[w->nps++] = (int)i; break; }
            if (2 * w->nps <= n) {
                size_t k = w->nps;
                w->Ps = xcalloc(k * k, sizeof(double), &fail);
                for (size_t a = 0; a < k && !fail; a++)
                    for (size_t b = 0; b < k; b++) w->Ps[a * k + b] = p->P[(size_t)w->psup[a] * n + (size_t)w->psup[b]];
            }
        }
    }
    if (!w->diag && !dense_kkt && !fail && detect_arrow(w, &fail) == 0 && w->arrow) {
        size_t nb = w->nb, nl = w->nl;
        w->C = xcalloc(nb * nb, sizeof(double), &fail);
        w->KLB = xcalloc(nl * nb, sizeof(double), &fail);
        w->dL = xcalloc(nl, sizeof(double), &fail);
        w->tb = xcalloc(nb, sizeof(double), &fail);
    }
    w->K = (w->diag || w->arrow) ? NULL : xcalloc(n * n, sizeof(double), &fail);
    w->Hd = w->diag ? xcalloc(n, sizeof(double), &fail) : NULL;
    w->X = xcalloc(n * np, sizeof(double), &fail);
    w->S = xcalloc(np * np, sizeof(double), &fail);
    w->Ad = xcalloc(np * n, sizeof(double), &fail);
    size_t md = 0;
    for (size_t i = 0; i < p->l && !w->arrow; i++)
        if (p->G.start[i + 1] - p->G.start[i] > DENSE_ROW) md++;
    w->Dm = xcalloc(md * n, sizeof(double), &fail);
    w->mark = xcalloc(n, sizeof(int), &fail);
    w->cols = xcalloc(n, sizeof(int), &fail);
    for (size_t k = 0; k < p->ncones; k++)
        if (p->cone_dim[k] > w->maxdim) w->maxdim = p->cone_dim[k];
    w->U = xcalloc(w->maxdim * n + n, sizeof(double), &fail);
    double **vecs[] = { &w->t, &w->u, &w->v, &w->gdx, &w->dzt, &w->dst, &w->e3, &w->e4, &w->cz,
                        &w->cs, &w->ct };
    for (size_t i = 0; i < sizeof vecs / sizeof *vecs; i++) *vecs[i] = xcalloc(m, sizeof(double), &fail);
    w->r1 = xcalloc(n, sizeof(double), &fail);
    w->e1 = xcalloc(n, sizeof(double), &fail);
    w->cx = xcalloc(n, sizeof(double), &fail);
    w->tn = xcalloc(n, sizeof(double), &fail);
    w->r2 = xcalloc(np, sizeof(double), &fail);
    w->e2 = xcalloc(np, sizeof(double), &fail);
    w->cy = xcalloc(np, sizeof(double), &fail);
    if (!fail)
        for (size_t i = 0; i < np; i++)
            for (size_t k = p->A.start[i]; k < p->A.start[i + 1]; k++)
                w->Ad[i * n + (size_t)p->A.idx[k]] += p->A.val[k];
    for (size_t j = 0; j < n && !fail; j++) w->mark[j] = -1;
    if (fail) ipm_free(w);
    return fail ? -1 : 0;
}

/* S = A X with X = (K or Hd)^{-1} A' already in place; Cholesky of S.
 * Returns 2 when S is not definite (dependent equality rows). */
static int schur_factor(ipm *w)
{
    size_t n = w->n, np = w->np;
    for (size_t i = 0; i < np; i++)
        for (size_t k = 0; k <= i; k++) {
            double s = 0;
            for (size_t j = 0; j < n; j++) s += w->Ad[i * n + j] * w->X[j * np + k];
            w->S[i * np + k] = s;
        }
    double maxs = 1e-300;
    for (size_t i = 0; i < np; i++) if (w->S[i * np + i] > maxs) maxs = w->S[i * np + i];
    for (size_t i = 0; i < np; i++) w->S[i * np + i] += 1e-14 * maxs;
    gsl_matrix_view Sv = gsl_matrix_view_array(w->S, np, np);
    return gsl_linalg_cholesky_decomp1(&Sv.matrix) == GSL_SUCCESS ? 0 : 2;
}

/* U = W_k^{-1} G_k restricted to the cone block's columns (d x c, one
 * column after another); w->cols lists them and w->mark maps them back,
 * and the caller resets mark. Returns c. */
static size_t scaled_cone_block(ipm *w, size_t kc, size_t off)
{
    const qp_csr *G = &w->p->G;
    size_t d = w->p->cone_dim[kc], c = 0;
    for (size_t r = off; r < off + d; r++)
        for (size_t k = G->start[r]; k < G->start[r + 1]; k++) {
            int j = G->idx[k];
            if (w->mark[j] < 0) { w->mark[j] = (int)c; w->cols[c++] = j; }
        }
    double *U = w->U;
    memset(U, 0, d * c * sizeof *U);
    for (size_t r = off; r < off + d; r++)
        for (size_t k = G->start[r]; k < G->start[r + 1]; k++)
            U[(size_t)w->mark[G->idx[k]] * d + (r - off)] += G->val[k];
    for (size_t col = 0; col < c; col++) {
        double *uc = U + col * d;
        qp_scale_block(&w->W, kc, off, uc, w->t, 1);
        memcpy(uc, w->t, d * sizeof *uc);
    }
    return c;
}

/* K = P + G'W^{-2}G + A'A (lower triangle) + reg, then Cholesky and the
 * Schur complement. identity: W = I (the starting point). Returns 0, 1
 * when K is not definite, 2 when the Schur complement is not. */
static int build_and_factor(ipm *w, double reg)
{
    const qp_problem *p = w->p;
    size_t n = w->n, np = w->np;
    double *K = w->K;
    if (p->P) {
        for (size_t i = 0; i < n; i++) memcpy(K + i * n, p->P + i * n, (i + 1) * sizeof *K);
    } else {
        for (size_t i = 0; i < n; i++) memset(K + i * n, 0, (i + 1) * sizeof *K);
        if (p->Pdiag)
            for (size_t i = 0; i < n; i++) K[i * n + i] = p->Pdiag[i];
    }
    const qp_csr *G = &p->G;
    size_t md = 0;
    for (size_t i = 0; i < p->l; i++) {
        double winv = 1.0 / w->W.w[i];
        size_t a = G->start[i], e = G->start[i + 1];
        if (e - a > DENSE_ROW) {
            double *row = w->Dm + md * n;
            memset(row, 0, n * sizeof *row);
            for (size_t k = a; k < e; k++) row[G->idx[k]] += G->val[k] * winv;
            md++;
            continue;
        }
        double d = winv * winv;
        for (size_t k1 = a; k1 < e; k1++)
            for (size_t k2 = a; k2 < e; k2++) {
                int r = G->idx[k1], c = G->idx[k2];
                if (r >= c) K[(size_t)r * n + (size_t)c] += d * G->val[k1] * G->val[k2];
            }
    }
    if (md) {
        gsl_matrix_view Dv = gsl_matrix_view_array(w->Dm, md, n);
        gsl_matrix_view Kv = gsl_matrix_view_array(K, n, n);
        gsl_blas_dsyrk(CblasLower, CblasTrans, 1.0, &Dv.matrix, 1.0, &Kv.matrix);
    }
    /* cones: U = W_k^{-1} G_k on the block's columns; K += U'U */
    size_t off = p->l;
    for (size_t kc = 0; kc < p->ncones; kc++) {
        size_t d = p->cone_dim[kc], c = scaled_cone_block(w, kc, off);
        double *U = w->U;
        for (size_t a = 0; a < c; a++)
            for (size_t b = 0; b <= a; b++) {
                double s = dotp(U + a * d, U + b * d, d);
                int r = w->cols[a], cc = w->cols[b];
                if (r >= cc) K[(size_t)r * n + (size_t)cc] += s;
                else K[(size_t)cc * n + (size_t)r] += s;
            }
        for (size_t a = 0; a < c; a++) w->mark[w->cols[a]] = -1;
        off += d;
    }
    /* A'A keeps K definite when H is only semidefinite on the null space of A */
    const qp_csr *A = &p->A;
    for (size_t i = 0; i < np; i++)
        for (size_t k1 = A->start[i]; k1 < A->start[i + 1]; k1++)
            for (size_t k2 = A->start[i]; k2 < A->start[i + 1]; k2++) {
                int r = A->idx[k1], c = A->idx[k2];
                if (r >= c) K[(size_t)r * n + (size_t)c] += A->val[k1] * A->val[k2];
            }
    double maxd = 1;
    for (size_t i = 0; i < n; i++) if (K[i * n + i] > maxd) maxd = K[i * n + i];
    /* a small regularisation; iterative refinement removes its effect */
    for (size_t i = 0; i < n; i++) K[i * n + i] += reg * maxd;
    if (n) {
        int ni = (int)n, info = 0;
        dpotrf_("U", &ni, K, &ni, &info);
        if (info != 0) return 1;
    }
    if (np == 0) return 0;
    /* X = K^{-1} A' = L'^{-1} L^{-1} A' (K's lower triangle holds L), S = A X:
     * two triangular solves with np right-hand sides, not np solves of one */
    for (size_t i = 0; i < np; i++)
        for (size_t j = 0; j < n; j++) w->X[j * np + i] = w->Ad[i * n + j];
    if (n) {
        cblas_dtrsm(CblasRowMajor, CblasLeft, CblasLower, CblasNoTrans, CblasNonUnit, (int)n, (int)np, 1.0, K,
                    (int)n, w->X, (int)np);
        cblas_dtrsm(CblasRowMajor, CblasLeft, CblasLower, CblasTrans, CblasNonUnit, (int)n, (int)np, 1.0, K,
                    (int)n, w->X, (int)np);
    }
    return schur_factor(w);
}

/* The diagonal path: Hd, X = Hd^{-1} A', S = A X (Cholesky). */
static int build_and_factor_diag(ipm *w, double reg)
{
    const qp_problem *p = w->p;
    size_t n = w->n, np = w->np;
    double *H = w->Hd;
    for (size_t j = 0; j < n; j++) H[j] = p->Pdiag ? p->Pdiag[j] : 0.0;
    for (size_t i = 0; i < p->l; i++) {
        size_t k = p->G.start[i];
        double g = p->G.val[k] / w->W.w[i];
        H[p->G.idx[k]] += g * g;
    }
    double maxd = 1e-300;
    for (size_t j = 0; j < n; j++) maxd = fmax(maxd, H[j]);
    for (size_t j = 0; j < n; j++) {
        H[j] += reg * maxd;
        if (!(H[j] > 0)) return 1;
    }
    if (np == 0) return 0;
    for (size_t j = 0; j < n; j++)
        for (size_t i = 0; i < np; i++) w->X[j * np + i] = w->Ad[i * n + j] / H[j];
    return schur_factor(w);
}

/* K x = r on the arrow path, in place: x_B = C^{-1}(r_B - K_BL dL^{-1} r_L),
 * x_L = dL^{-1}(r_L - K_LB x_B). */
static void arrow_solve(ipm *w, double *x)
{
    size_t nb = w->nb, nl = w->nl;
    double *tb = w->tb;
    for (size_t b = 0; b < nb; b++) tb[b] = x[w->bcol[b]];
    for (size_t l = 0; l < nl; l++) {
        double f = x[w->lcol[l]] / w->dL[l];
        const double *row = w->KLB + l * nb;
        for (size_t b = 0; b < nb; b++) tb[b] -= row[b] * f;
    }
    if (nb) {
        gsl_matrix_view Cv = gsl_matrix_view_array(w->C, nb, nb);
        gsl_vector_view tv = gsl_vector_view_array(tb, nb);
        gsl_linalg_cholesky_svx(&Cv.matrix, &tv.vector);
    }
    for (size_t b = 0; b < nb; b++) x[w->bcol[b]] = tb[b];
    for (size_t l = 0; l < nl; l++) {
        const double *row = w->KLB + l * nb;
        x[w->lcol[l]] = (x[w->lcol[l]] - dotp(row, tb, nb)) / w->dL[l];
    }
}

/* Adds v to K at columns (r, c) on the arrow path; K_LL is diagonal by
 * construction, so a local pair is always r == c. */
static void arrow_add(ipm *w, int r, int c, double v)
{
    int lr = w->lpos[r], lc = w->lpos[c];
    if (lr >= 0 && lc >= 0) {
        if (r == c) w->dL[lr] += v;
    } else if (lr >= 0) {
        w->KLB[(size_t)lr * w->nb + (size_t)w->bpos[c]] += v;
    } else if (lc >= 0) {
        w->KLB[(size_t)lc * w->nb + (size_t)w->bpos[r]] += v;
    } else {
        int br = w->bpos[r], bc = w->bpos[c];
        if (br < bc) { int t = br; br = bc; bc = t; }
        w->C[(size_t)br * w->nb + (size_t)bc] += v;
    }
}

/* The arrow path's build and factor: K_BB (lower), K_LB, dL; then
 * C = K_BB - K_BL dL^{-1} K_LB (Cholesky) and the equality Schur complement. */
static int build_and_factor_arrow(ipm *w, double reg)
{
    const qp_problem *p = w->p;
    size_t n = w->n, np = w->np, nb = w->nb, nl = w->nl;
    memset(w->C, 0, nb * nb * sizeof *w->C);
    memset(w->KLB, 0, nl * nb * sizeof *w->KLB);
    memset(w->dL, 0, nl * sizeof *w->dL);
    for (size_t a = 0; a < w->nps; a++)
        for (size_t b = 0; b < w->nps; b++) {
            int i = w->psup[a], j = w->psup[b];
            double v = p->P[(size_t)i * n + (size_t)j];
            if (j <= i && v != 0) arrow_add(w, i, j, v);
        }
    if (p->Pdiag)
        for (size_t i = 0; i < n; i++) arrow_add(w, (int)i, (int)i, p->Pdiag[i]);
    const qp_csr *G = &p->G;
    for (size_t i = 0; i < p->l; i++) {
        double winv = 1.0 / w->W.w[i], d = winv * winv;
        for (size_t k1 = G->start[i]; k1 < G->start[i + 1]; k1++)
            for (size_t k2 = G->start[i]; k2 < G->start[i + 1]; k2++) {
                int r = G->idx[k1], c = G->idx[k2];
                /* one triangle: B-B pairs with r >= c, mixed pairs from the local side */
                int lr = w->lpos[r] >= 0, lc = w->lpos[c] >= 0;
                if ((lr && !lc) || (!lr && !lc && r >= c) || (lr && lc && r == c))
                    arrow_add(w, r, c, d * G->val[k1] * G->val[k2]);
            }
    }
    /* cones touch only B columns */
    size_t off = p->l;
    for (size_t kc = 0; kc < p->ncones; kc++) {
        size_t d = p->cone_dim[kc], c = scaled_cone_block(w, kc, off);
        double *U = w->U;
        for (size_t a = 0; a < c; a++)
            for (size_t b = 0; b <= a; b++) arrow_add(w, w->cols[a], w->cols[b], dotp(U + a * d, U + b * d, d));
        for (size_t a = 0; a < c; a++) w->mark[w->cols[a]] = -1;
        off += d;
    }
    const qp_csr *A = &p->A;
    for (size_t i = 0; i < np; i++) {
        if (!w->arow[i]) continue;
        for (size_t k1 = A->start[i]; k1 < A->start[i + 1]; k1++)
            for (size_t k2 = A->start[i]; k2 < A->start[i + 1]; k2++)
                if (A->idx[k1] >= A->idx[k2]) arrow_add(w, A->idx[k1], A->idx[k2], A->val[k1] * A->val[k2]);
    }
    double maxd = 1;
    for (size_t b = 0; b < nb; b++) maxd = fmax(maxd, w->C[b * nb + b]);
    for (size_t l = 0; l < nl; l++) maxd = fmax(maxd, w->dL[l]);
    for (size_t b = 0; b < nb; b++) w->C[b * nb + b] += reg * maxd;
    for (size_t l = 0; l < nl; l++) {
        w->dL[l] += reg * maxd;
        if (!(w->dL[l] > 0)) return 1;
    }
    /* C -= K_BL dL^{-1} K_LB, lower triangle */
    for (size_t l = 0; l < nl; l++) {
        const double *row = w->KLB + l * nb;
        double f = 1.0 / w->dL[l];
        for (size_t a = 0; a < nb; a++) {
            if (row[a] == 0) continue;
            double ra = row[a] * f;
            for (size_t b = 0; b <= a; b++) w->C[a * nb + b] -= ra * row[b];
        }
    }
    if (nb) {
        int ni = (int)nb, info = 0;
        dpotrf_("U", &ni, w->C, &ni, &info);
        if (info != 0) return 1;
    }
    if (np == 0) return 0;
    for (size_t i = 0; i < np; i++) {
        memcpy(w->tn, w->Ad + i * n, n * sizeof *w->tn);
        arrow_solve(w, w->tn);
        for (size_t j = 0; j < n; j++) w->X[j * np + i] = w->tn[j];
    }
    return schur_factor(w);
}

/* Builds and factors the KKT matrix, raising the regularisation if needed. */
static int factor(ipm *w)
{
    /* no regularisation unless K turns out not to be definite */
    double reg = 0;
    for (int attempt = 0; attempt < 6; attempt++, reg = reg ? reg * 100 : 1e-15) {
        int r = w->diag ? build_and_factor_diag(w, reg)
              : w->arrow ? build_and_factor_arrow(w, reg) : build_and_factor(w, reg);
        if (r == 0) return 0;
        if (r == 2) return -1;   /* dependent equality rows: no reg helps */
    }
    return -1;
}

/* [H A'; A 0][dx; dy] = [r1; r2] */
static void kkt_solve(ipm *w, const double *r1, const double *r2, double *dx, double *dy)
{
    size_t n = w->n, np = w->np;
    const qp_problem *p = w->p;
    if (w->diag) {
        /* dx = Hd^{-1}(r1 - A'dy), dy = S^{-1}(A Hd^{-1} r1 - r2) */
        for (size_t j = 0; j < n; j++) dx[j] = r1[j] / w->Hd[j];
        if (!np) return;
        qp_csr_mul(&p->A, dx, dy, 1.0, 0.0);
        for (size_t i = 0; i < np; i++) dy[i] -= r2[i];
        gsl_matrix_view Sv = gsl_matrix_view_array(w->S, np, np);
        gsl_vector_view yv = gsl_vector_view_array(dy, np);
        gsl_linalg_cholesky_svx(&Sv.matrix, &yv.vector);
        for (size_t j = 0; j < n; j++) dx[j] -= dotp(w->X + j * np, dy, np);
        return;
    }
    memcpy(dx, r1, n * sizeof *dx);
    if (w->arrow) {
        /* K holds A'A only for the rows in arow: add A_s' r2_s to match */
        for (size_t i = 0; i < np; i++)
            if (w->arow[i])
                for (size_t k = p->A.start[i]; k < p->A.start[i + 1]; k++) dx[p->A.idx[k]] += p->A.val[k] * r2[i];
        arrow_solve(w, dx);
    } else {
        if (np) qp_csr_tmul(&p->A, r2, dx, 1.0, 1.0);
        gsl_matrix_view Kv = gsl_matrix_view_array(w->K, n, n);
        gsl_vector_view xv = gsl_vector_view_array(dx, n);
        if (n) gsl_linalg_cholesky_svx(&Kv.matrix, &xv.vector);
    }
    if (!np) return;
    /* dy = S^{-1} (A u - r2), dx = u - X dy */
    qp_csr_mul(&p->A, dx, dy, 1.0, 0.0);
    for (size_t i = 0; i < np; i++) dy[i] -= r2[i];
    gsl_matrix_view Sv = gsl_matrix_view_array(w->S, np, np);
    gsl_vector_view yv = gsl_vector_view_array(dy, np);
    gsl_linalg_cholesky_svx(&Sv.matrix, &yv.vector);
    for (size_t j = 0; j < n; j++) dx[j] -= dotp(w->X + j * np, dy, np);
}

/* One Newton solve (see the top of the file); fills dx..ds and the scaled
 * dzt, dst. */
static void newton1(ipm *w, const double *rx, const double *ry, const double *rz, const double *rc,
                    double *dx, double *dy, double *dz, double *ds)
{
    const qp_problem *p = w->p;
    size_t n = w->n, np = w->np, m = w->m;
    qp_jdiv(&w->W, w->W.lambda, rc, w->t);                 /* t = lambda \ rc */
    qp_scale(&w->W, rz, w->u, 1);
    for (size_t i = 0; i < m; i++) w->u[i] += w->t[i];     /* u = W^{-1} rz + t */
    qp_scale(&w->W, w->u, w->v, 1);                        /* v = W^{-1} u */
    for (size_t j = 0; j < n; j++) w->r1[j] = -rx[j];
    qp_csr_tmul(&p->G, w->v, w->r1, -1.0, 1.0);
    for (size_t i = 0; i < np; i++) w->r2[i] = -ry[i];
    kkt_solve(w, w->r1, w->r2, dx, dy);
    qp_csr_mul(&p->G, dx, w->gdx, 1.0, 0.0);
    for (size_t i = 0; i < m; i++) w->gdx[i] += rz[i];
    qp_scale(&w->W, w->gdx, w->dzt, 1);
    for (size_t i = 0; i < m; i++) {
        w->dzt[i] += w->t[i];
        w->dst[i] = w->t[i] - w->dzt[i];
    }
    qp_scale(&w->W, w->dzt, dz, 1);
    qp_scale(&w->W, w->dst, ds, 0);
}

/* The residuals of a computed direction in the Newton system, negated
 * (the right-hand side of its correction) into e1..e4; returns their
 * largest magnitude. */
static double newton_residual(ipm *w, const double *rx, const double *ry, const double *rz, const double *rc,
                              const double *dx, const double *dy, const double *dz, const double *ds)
{
    const qp_problem *p = w->p;
    size_t n = w->n, np = w->np, m = w->m;
    for (size_t j = 0; j < n; j++) w->e1[j] = -rx[j];
    if (p->P || p->Pdiag) {
        ipm_pmul(w, dx, w->tn);
        for (size_t i = 0; i < n; i++) w->e1[i] -= w->tn[i];
    }
    qp_csr_tmul(&p->A, dy, w->e1, -1.0, 1.0);
    qp_csr_tmul(&p->G, dz, w->e1, -1.0, 1.0);
    qp_csr_mul(&p->A, dx, w->e2, -1.0, 0.0);
    for (size_t i = 0; i < np; i++) w->e2[i] -= ry[i];
    qp_csr_mul(&p->G, dx, w->e3, -1.0, 0.0);
    for (size_t i = 0; i < m; i++) w->e3[i] -= rz[i] + ds[i];
    /* complementarity residual in the scaled space */
    for (size_t i = 0; i < m; i++) w->ct[i] = w->dzt[i] + w->dst[i];
    qp_jprod(&w->W, w->W.lambda, w->ct, w->e4);
    for (size_t i = 0; i < m; i++) w->e4[i] = rc[i] - w->e4[i];
    double big = 0;
    for (size_t j = 0; j < n; j++) big = fmax(big, fabs(w->e1[j] = -w->e1[j]));
    for (size_t i = 0; i < np; i++) big = fmax(big, fabs(w->e2[i] = -w->e2[i]));
    for (size_t i = 0; i < m; i++) big = fmax(big, fmax(fabs(w->e3[i] = -w->e3[i]), fabs(w->e4[i])));
    return big;
}

/* Newton solve plus iterative refinement on the full system: one step,
 * and up to REFINE_MAX while each halves the residual. Near the optimum
 * the scaling spans many orders of magnitude, and one step can leave the
 * direction short of the accuracy the stopping test asks of the iterate
 * (a CVaR limit's scenario rows on the arrow path stalled at a primal
 * residual of 1.4e-8 with one step, on some BLAS kernels). */
#define REFINE_MAX 3
static void newton(ipm *w, const double *rx, const double *ry, const double *rz, const double *rc,
                   double *dx, double *dy, double *dz, double *ds)
{
    size_t n = w->n, np = w->np, m = w->m;
    newton1(w, rx, ry, rz, rc, dx, dy, dz, ds);
    double last = HUGE_VAL;
    for (int step = 0; step < REFINE_MAX; step++) {
        double res = newton_residual(w, rx, ry, rz, rc, dx, dy, dz, ds);
        if (step > 0 && !(res <= 0.5 * last)) break;
        last = res;
        /* the correction solves the same system with the residuals as data */
        double *sz = w->cz;   /* keep the scaled directions so far */
        memcpy(w->cs, w->dzt, m * sizeof *sz);
        memcpy(sz, w->dst, m * sizeof *sz);
        newton1(w, w->e1, w->e2, w->e3, w->e4, w->cx, w->cy, w->ct, w->u);
        for (size_t j = 0; j < n; j++) dx[j] += w->cx[j];
        for (size_t i = 0; i < np; i++) dy[i] += w->cy[i];
        for (size_t i = 0; i < m; i++) {
            dz[i] += w->ct[i];
            ds[i] += w->u[i];
            w->dzt[i] += w->cs[i];
            w->dst[i] += sz[i];
        }
    }
}

/* ---- crossover: guess the active set and solve for the exact vertex ---- */

/* The equality-constrained system [P_FF A_F'; A_F 0][x; y] = (r1, r2) of
 * the crossover, KKT being that (dim = nf + np)^2 matrix row-major, solved
 * through the Cholesky factor of K = P_FF + A_F'A_F (as the iterations
 * factor theirs: A_F'A_F keeps K well scaled when the variances are small
 * beside the constraint rows) and the np x np Schur complement
 * A_F K^{-1} A_F', with two steps of iterative refinement on the original
 * system. Half the work of an LU of the whole: on a dense optimum (most
 * assets held) the crossover then costs one Cholesky of P on the free
 * columns. */
typedef struct eq_chol {
    double *KKT;        /* K's factor in the lower triangle, P_FF's upper triangle intact */
    size_t nf, np, dim;
    double *diag;       /* P_FF's diagonal */
    double *X, *S, *t;  /* K^{-1} A_F' by rows; the Schur complement's factor; scratch */
} eq_chol;

/* (x, y) for right-hand side (r1, r2), r in place (nf + np) */
static void eq_chol_solve(const eq_chol *e, double *r)
{
    size_t nf = e->nf, np = e->np, dim = e->dim;
    const double *KKT = e->KKT;
    /* [K A'; A 0] has the same solution for r1 + A' r2 */
    for (size_t q = 0; q < np; q++)
        for (size_t j = 0; j < nf; j++) r[j] += KKT[(nf + q) * dim + j] * r[nf + q];
    gsl_matrix_const_view Lv = gsl_matrix_const_view_array_with_tda(KKT, nf, nf, dim);
    gsl_vector_view uv = gsl_vector_view_array(r, nf);
    gsl_linalg_cholesky_svx(&Lv.matrix, &uv.vector);
    if (!np) return;
    for (size_t q = 0; q < np; q++) e->t[q] = dotp(KKT + (nf + q) * dim, r, nf) - r[nf + q];
    gsl_matrix_const_view Sv = gsl_matrix_const_view_array(e->S, np, np);
    gsl_vector_view tv = gsl_vector_view_array(e->t, np);
    gsl_linalg_cholesky_svx(&Sv.matrix, &tv.vector);
    for (size_t q = 0; q < np; q++) {
        r[nf + q] = e->t[q];
        for (size_t j = 0; j < nf; j++) r[j] -= e->X[q * nf + j] * e->t[q];
    }
}

/* Solves the system in place of rhs; returns 1, with KKT as it was, when
 * K or the Schur complement is not (numerically) definite, for the
 * caller's LU. */
static int eq_solve_chol(double *KKT, size_t nf, size_t np, double *rhs, int *fail)
{
    size_t dim = nf + np;
    if (nf == 0 || nf > INT32_MAX || dim > INT32_MAX) return 1;
    eq_chol e = { KKT, nf, np, dim, xcalloc(nf, sizeof(double), fail), xcalloc(np * nf + 1, sizeof(double), fail),
                  xcalloc(np * np + 1, sizeof(double), fail), xcalloc(np + 1, sizeof(double), fail) };
    double *b = xcalloc(dim, sizeof(double), fail), *res = xcalloc(dim, sizeof(double), fail);
    int bad = 1;
    if (*fail) goto out;
    for (size_t i = 0; i < nf; i++) e.diag[i] = KKT[i * dim + i];
    /* K = P_FF + A_F'A_F in the lower triangle */
    for (size_t q = 0; q < np; q++) {
        const double *a = KKT + (nf + q) * dim;
        for (size_t i = 0; i < nf; i++)
            if (a[i] != 0)
                for (size_t j = 0; j <= i; j++) KKT[i * dim + j] += a[i] * a[j];
    }
    double maxd = 0;
    for (size_t i = 0; i < nf; i++) maxd = fmax(maxd, KKT[i * dim + i]);
    int ni = (int)nf, ld = (int)dim, info = 0;
    dpotrf_("U", &ni, KKT, &ld, &info);   /* the row-major lower triangle */
    if (info != 0) goto restore;
    for (size_t i = 0; i < nf; i++)
        if (!(KKT[i * dim + i] * KKT[i * dim + i] > 1e-12 * maxd)) goto restore;   /* ill-conditioned: LU */
    gsl_matrix_view Lv = gsl_matrix_view_array_with_tda(KKT, nf, nf, dim);
    for (size_t q = 0; q < np; q++) {
        gsl_vector_view xr = gsl_vector_view_array(e.X + q * nf, nf);
        memcpy(e.X + q * nf, KKT + (nf + q) * dim, nf * sizeof *e.X);
        gsl_linalg_cholesky_svx(&Lv.matrix, &xr.vector);
    }
    for (size_t q = 0; q < np; q++)
        for (size_t k = 0; k <= q; k++)
            e.S[q * np + k] = e.S[k * np + q] = dotp(KKT + (nf + q) * dim, e.X + k * nf, nf);
    if (np) {
        gsl_matrix_view Sv = gsl_matrix_view_array(e.S, np, np);
        if (gsl_linalg_cholesky_decomp1(&Sv.matrix) != GSL_SUCCESS) goto restore;
        for (size_t q = 0; q < np; q++)
            if (!(e.S[q * np + q] > 0)) goto restore;
    }
    memcpy(b, rhs, dim * sizeof *b);
    eq_chol_solve(&e, rhs);
    for (int step = 0; step < 2; step++) {
        /* residual of the original system: P_FF from its upper triangle */
        for (size_t i = 0; i < nf; i++) {
            double v = e.diag[i] * rhs[i];
            for (size_t j = 0; j < i; j++) v += KKT[j * dim + i] * rhs[j];
            for (size_t j = i + 1; j < nf; j++) v += KKT[i * dim + j] * rhs[j];
            res[i] = b[i] - v;
        }
        for (size_t q = 0; q < np; q++) {
            const double *a = KKT + (nf + q) * dim;
            res[nf + q] = b[nf + q] - dotp(a, rhs, nf);
            for (size_t j = 0; j < nf; j++) res[j] -= a[j] * rhs[nf + q];
        }
        eq_chol_solve(&e, res);
        for (size_t i = 0; i < dim; i++) rhs[i] += res[i];
    }
    bad = 0;
    goto out;
restore:
    /* dpotrf, and K, wrote the lower triangle and the diagonal only */
    for (size_t i = 0; i < nf; i++) {
        KKT[i * dim + i] = e.diag[i];
        for (size_t j = 0; j < i; j++) KKT[i * dim + j] = KKT[j * dim + i];
    }
out:
    free(e.diag); free(e.X); free(e.S); free(e.t); free(b); free(res);
    return bad;
}

/* When every inequality is a single-column row and there are no cones, a
 * nearly converged iterate tells which rows are active (s_i < z_i). Fixing
 * their columns leaves an equality-constrained QP on the free columns,
 *   [P_FF A_F'; A_F 0] [x_F; y] = [-q_F - P_FC x_C; b - A_C x_C],
 * one LU of size |F| + p. If its x keeps the inactive rows and the active
 * rows get multipliers of the right sign, it is an exact optimum and the
 * remaining iterations are skipped; otherwise the iterations go on. */
static int crossover(ipm *w, double *x, double *y, double *z, double *s, int rounds, int interruptible)
{
    const qp_problem *p = w->p;
    size_t n = w->n, np = w->np, m = w->m;
    if (p->ncones || m != p->l) return 0;
    for (size_t i = 0; i < m; i++)
        if (p->G.start[i + 1] - p->G.start[i] != 1) return 0;
    int fail = 0;
    unsigned char *act = xcalloc(m, 1, &fail);          /* the guessed active rows */
    double *xc = xcalloc(n, sizeof(double), &fail);    /* fixed values */
    long *fixrow = xcalloc(n, sizeof(long), &fail);      /* active row per column, or -1 */
    long *pos = xcalloc(n, sizeof(long), &fail);         /* column -> free index */
    double *KKT = NULL;     /* (|F| + p)^2, sized per round */
    double *rhs = xcalloc(n + np, sizeof(double), &fail);
    double *xn = xcalloc(n, sizeof(double), &fail), *g = xcalloc(n, sizeof(double), &fail);
    gsl_permutation *perm = NULL;
    int ok = 0;
    if (fail) goto out;
    for (size_t i = 0; i < m; i++) act[i] = s[i] < z[i];
    double hscale = 1;
    for (size_t i = 0; i < m; i++) hscale = fmax(hscale, fabs(p->h[i]));
    /* a few primal-dual active-set corrections on top of the guess */
    for (int round = 0; round < rounds && !ok; round++) {
        /* a round is a factorisation: none once the budget or Ctrl-C says stop */
        int why = folio_poll();
        if (why == FOLIO_POLL_BUDGET || (interruptible && why == FOLIO_POLL_INTERRUPT)) goto out;
        for (size_t j = 0; j < n; j++) fixrow[j] = -1;
        for (size_t i = 0; i < m; i++) {
            if (!act[i]) continue;
            size_t k = p->G.start[i];
            int c = p->G.idx[k];
            double v = p->h[i] / p->G.val[k];
            if (fixrow[c] >= 0 && fabs(xc[c] - v) > 1e-12 * (1 + fabs(v))) goto out;  /* both bounds, apart */
            fixrow[c] = (long)i;
            xc[c] = v;
        }
        size_t nf = 0;
        for (size_t j = 0; j < n; j++) pos[j] = fixrow[j] < 0 ? (long)nf++ : -1;
        size_t dim = nf + np;
        if (dim == 0) goto out;
        free(KKT);
        KKT = calloc(dim * dim, sizeof *KKT);
        if (!KKT) goto out;
        for (size_t j = 0; j < n; j++) xn[j] = pos[j] < 0 ? xc[j] : 0.0;
        /* rhs_F = -q_F - P_FC x_C; equality rows with the fixed part moved right */
        pmul(p, xn, g);
        for (size_t j = 0; j < n; j++)
            if (pos[j] >= 0) rhs[pos[j]] = -p->q[j] - g[j];
        for (size_t r = 0; r < np; r++) {
            double bc = p->b[r];
            for (size_t k = p->A.start[r]; k < p->A.start[r + 1]; k++) {
                int c = p->A.idx[k];
                if (pos[c] >= 0) {
                    KKT[(nf + r) * dim + (size_t)pos[c]] += p->A.val[k];
                    KKT[(size_t)pos[c] * dim + nf + r] += p->A.val[k];
                } else {
                    bc -= p->A.val[k] * xc[c];
                }
            }
            rhs[nf + r] = bc;
        }
        for (size_t a = 0; a < n; a++) {
            if (pos[a] < 0) continue;
            if (p->P)
                for (size_t b = 0; b < n; b++)
                    if (pos[b] >= 0) KKT[(size_t)pos[a] * dim + (size_t)pos[b]] = p->P[a * n + b];
            if (p->Pdiag) KKT[(size_t)pos[a] * dim + (size_t)pos[a]] = p->Pdiag[a];
        }
        if (eq_solve_chol(KKT, nf, np, rhs, &fail)) {
            if (fail) goto out;
            if (perm) gsl_permutation_free(perm);
            perm = gsl_permutation_alloc(dim);
            if (!perm) goto out;
            gsl_matrix_view Kv = gsl_matrix_view_array(KKT, dim, dim);
            gsl_vector_view rv = gsl_vector_view_array(rhs, dim);
            int signum;
            if (gsl_linalg_LU_decomp(&Kv.matrix, perm, &signum) != GSL_SUCCESS) goto out;
            for (size_t i = 0; i < dim; i++)
                if (fabs(gsl_matrix_get(&Kv.matrix, i, i)) < 1e-13) goto out;    /* no unique point */
            if (gsl_linalg_LU_svx(&Kv.matrix, perm, &rv.vector) != GSL_SUCCESS) goto out;
        }
        for (size_t j = 0; j < n; j++) xn[j] = pos[j] < 0 ? xc[j] : rhs[pos[j]];
        /* gradient of the Lagrangian without the row multipliers */
        pmul(p, xn, g);
        for (size_t j = 0; j < n; j++) g[j] += p->q[j];
        qp_csr_tmul(&p->A, rhs + nf, g, 1.0, 1.0);
        double gscale = 1;
        for (size_t j = 0; j < n; j++) gscale = fmax(gscale, fabs(g[j]));
        int clean = 1;
        for (size_t i = 0; i < m; i++) {
            size_t k = p->G.start[i];
            int c = p->G.idx[k];
            if (act[i] && fixrow[c] == (long)i) {
                if (-g[c] / p->G.val[k] < -1e-12 * gscale) { act[i] = 0; clean = 0; }   /* wrong sign: release */
            } else if (!act[i] && p->h[i] - p->G.val[k] * xn[c] < -1e-12 * hscale) {
                act[i] = 1;                                                             /* violated: hold it */
                clean = 0;
            }
        }
        if (!clean) continue;
        /* accept the exact point: x, y, and z_i = -g_c / g_i on the active rows */
        memcpy(x, xn, n * sizeof *x);
        memcpy(y, rhs + nf, np * sizeof *y);
        for (size_t i = 0; i < m; i++) {
            size_t k = p->G.start[i];
            int c = p->G.idx[k];
            z[i] = act[i] && fixrow[c] == (long)i ? fmax(0.0, -g[c] / p->G.val[k]) : 0.0;
            s[i] = fmax(0.0, p->h[i] - p->G.val[k] * x[c]);
        }
        ok = 1;
    }
out:
    free(act); free(xc); free(fixrow); free(pos); free(KKT); free(rhs); free(xn); free(g);
    if (perm) gsl_permutation_free(perm);
    return ok;
}

static void set_identity_scaling(qp_scaling *W, size_t m)
{
    for (size_t i = 0; i < W->l; i++) W->w[i] = 1.0;
    memset(W->wbar, 0, m * sizeof *W->wbar);
    size_t off = W->l;
    for (size_t k = 0; k < W->ncones; k++) {
        W->beta[k] = 1.0;
        W->wbar[off] = 1.0;
        off += W->dim[k];
    }
}

void qp_solution_free(qp_solution *s)
{
    if (!s) return;
    free(s->x); free(s->y); free(s->z); free(s->s);
    s->x = s->y = s->z = s->s = NULL;
}

int qp_ipm_solve(const qp_problem *p, const qp_settings *st, qp_solution *sol)
{
    memset(sol, 0, sizeof *sol);
    ipm w;
    if (ipm_alloc(&w, p, st->dense_kkt)) return -1;
    size_t n = w.n, np = w.np, m = w.m;
    int fail = 0;
    double *x = xcalloc(n, sizeof(double), &fail), *y = xcalloc(np, sizeof(double), &fail);
    double *z = xcalloc(m, sizeof(double), &fail), *s = xcalloc(m, sizeof(double), &fail);
    double *rx = xcalloc(n, sizeof(double), &fail), *ry = xcalloc(np, sizeof(double), &fail);
    double *rz = xcalloc(m, sizeof(double), &fail), *rc = xcalloc(m, sizeof(double), &fail);
    double *dx = xcalloc(n, sizeof(double), &fail), *dy = xcalloc(np, sizeof(double), &fail);
    double *dz = xcalloc(m, sizeof(double), &fail), *ds = xcalloc(m, sizeof(double), &fail);
    double *dsa = xcalloc(m, sizeof(double), &fail), *dza = xcalloc(m, sizeof(double), &fail);
    double *px = xcalloc(n, sizeof(double), &fail);
    if (fail) {
        free(x); free(y); free(z); free(s); free(rx); free(ry); free(rz); free(rc);
        free(dx); free(dy); free(dz); free(ds); free(dsa); free(dza); free(px);
        ipm_free(&w);
        return -1;
    }
    sol->x = x; sol->y = y; sol->z = z; sol->s = s;
    gsl_error_handler_t *old = gsl_set_error_handler_off();
    int blas_threads = openblas_get_num_threads();
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    if (n >= BLAS_THREADS_MIN_N && !w.diag && !w.arrow && !getenv("OPENBLAS_NUM_THREADS") && cores > blas_threads)
        openblas_set_num_threads((int)cores);
    double t0 = folio_now();
    const double resx0 = fmax(1.0, nrm2(p->q, n)), resy0 = fmax(1.0, nrm2(p->b, np)),
                 resz0 = fmax(1.0, nrm2(p->h, m));
    size_t degree = p->l + p->ncones;

    /* starting point: x, y minimise 1/2 x'Px + q'x + 1/2 ||Gx - h||^2 on Ax = b;
     * s = h - Gx and z = Gx - h, each shifted into the cone */
    set_identity_scaling(&w.W, m);
    if (factor(&w)) {
        sol->status = QP_NUMERICAL;
        snprintf(sol->message, sizeof sol->message,
                 "the KKT system is singular at the start (dependent equalities or an unconstrained direction)");
        goto done;
    }
    for (size_t j = 0; j < n; j++) rx[j] = -p->q[j];
    qp_csr_tmul(&p->G, p->h, rx, 1.0, 1.0);
    kkt_solve(&w, rx, p->b, x, y);
    qp_csr_mul(&p->G, x, z, 1.0, 0.0);
    for (size_t i = 0; i < m; i++) {
        z[i] -= p->h[i];
        s[i] = -z[i];
    }
    double a = qp_shift_needed(&w.W, s);
    if (a >= -1e-8 * fmax(1.0, nrm2(s, m))) qp_add_identity(&w.W, s, 1 + a);
    a = qp_shift_needed(&w.W, z);
    if (a >= -1e-8 * fmax(1.0, nrm2(z, m))) qp_add_identity(&w.W, z, 1 + a);
    if (m == 0) { /* no inequalities: the start is the solution of the KKT system */ }

    sol->status = QP_MAX_ITER;
    /* early crossovers (below): the active-set guess last tried, and how many */
    size_t early_guess = SIZE_MAX;
    int early_tries = 0;
    for (int it = 0;; it++) {
        /* residuals and costs */
        ipm_pmul(&w, x, px);
        for (size_t j = 0; j < n; j++) rx[j] = px[j] + p->q[j];
        qp_csr_tmul(&p->A, y, rx, 1.0, 1.0);
        qp_csr_tmul(&p->G, z, rx, 1.0, 1.0);
        qp_csr_mul(&p->A, x, ry, 1.0, 0.0);
        for (size_t i = 0; i < np; i++) ry[i] -= p->b[i];
        qp_csr_mul(&p->G, x, rz, 1.0, 0.0);
        for (size_t i = 0; i < m; i++) rz[i] += s[i] - p->h[i];
        double xpx = dotp(x, px, n), qx = dotp(p->q, x, n);
        double gap = dotp(s, z, m);
        double pcost = 0.5 * xpx + qx;
        double dcost = pcost + dotp(y, ry, np) + dotp(z, rz, m) - gap;
        double pres = fmax(nrm2(ry, np) / resy0, nrm2(rz, m) / resz0);
        double dres = nrm2(rx, n) / resx0;
        double relgap = pcost < 0 ? gap / -pcost : dcost > 0 ? gap / dcost : HUGE_VAL;
        sol->iterations = it;
        sol->pcost = pcost;
        sol->dcost = dcost;
        sol->gap = gap;
        sol->pres = pres;
        sol->dres = dres;
        if (st->verbose)
            fprintf(stderr, "qp %3d  pcost % .10e  dcost % .10e  gap %.2e  pres %.2e  dres %.2e\n", it, pcost,
                    dcost, gap, pres, dres);
        else if (st->progress && folio_progress_due())
            folio_progress("QP", "iteration %d  primal res %.1e  dual res %.1e  gap %.1e", it, pres, dres,
                           isfinite(relgap) ? relgap : gap);
        if (pres <= st->feastol && dres <= st->feastol && (gap <= st->abstol || relgap <= st->reltol)) {
            sol->status = QP_OPTIMAL;
            break;
        }
        /* A dense optimum (most bounds inactive, say most assets held): as
         * soon as the iterate's guess of the active bounds is small, try
         * the crossover, which then costs one Cholesky of P on the free
         * columns, long before the iterations would converge. Once per
         * guess, at most three times, two correction rounds each; a
         * sparse optimum (most bounds active) never tries here. */
        size_t guess = 0;
        for (size_t i = 0; i < m; i++) guess += s[i] < z[i];
        int early = m && guess * 10 <= m && guess != early_guess && early_tries < 3;
        if (early) {
            early_guess = guess;
            early_tries++;
        }
        /* close to the optimum: try to jump to the exact vertex */
        if (((pres <= 1e-6 && dres <= 1e-6 && relgap <= 1e-1) || early) &&
            crossover(&w, x, y, z, s, early && !(pres <= 1e-6 && dres <= 1e-6 && relgap <= 1e-1) ? 2 : 8, st->interruptible)) {
            ipm_pmul(&w, x, px);
            sol->pcost = 0.5 * dotp(x, px, n) + dotp(p->q, x, n);
            sol->dcost = sol->pcost;
            sol->gap = dotp(s, z, m);
            sol->pres = sol->dres = 0;
            sol->iterations = it;
            sol->status = QP_OPTIMAL;
            snprintf(sol->message, sizeof sol->message, "optimal after %d iterations and an active-set crossover", it);
            break;
        }
        /* certificates: (y, z) with A'y + G'z = 0, z in K, b'y + h'z < 0 proves
         * primal infeasibility; x with Px = 0, Ax = 0, -Gx in K, q'x < 0 an
         * unbounded objective. Iterates diverge along them. */
        double bh = dotp(p->b, y, np) + dotp(p->h, z, m);
        if (bh < 0 && m) {
            for (size_t j = 0; j < n; j++) dx[j] = 0;
            qp_csr_tmul(&p->A, y, dx, 1.0, 1.0);
            qp_csr_tmul(&p->G, z, dx, 1.0, 1.0);
            if (nrm2(dx, n) / resx0 <= fmax(st->feastol, CERT_TOL) * -bh && -bh > 1e3) {
                sol->status = QP_PRIMAL_INFEASIBLE;
                break;
            }
        }
        if (qx < 0) {
            double ax = nrm2(ry, np) , gx = 0;
            for (size_t i = 0; i < np; i++) ax = fmax(ax, 0);
            qp_csr_mul(&p->A, x, dy, 1.0, 0.0);
            qp_csr_mul(&p->G, x, dz, 1.0, 0.0);
            for (size_t i = 0; i < m; i++) dz[i] += s[i];
            gx = nrm2(dz, m);
            double thr = fmax(st->feastol, CERT_TOL) * -qx;
            if (nrm2(px, n) <= thr && nrm2(dy, np) <= thr && gx <= thr && -qx > 1e3 * resx0) {
                sol->status = QP_DUAL_INFEASIBLE;
                break;
            }
        }
        if (it >= st->max_iter) break;
        if (st->time_limit > 0 && folio_now() - t0 > st->time_limit) {
            sol->status = QP_TIME_LIMIT;
            break;
        }
        /* Ctrl-C when interruptible; the host's budget always (folio.h):
         * a stop by the budget reads as a time limit */
        int why = folio_poll();
        if (why == FOLIO_POLL_BUDGET) {
            sol->status = QP_TIME_LIMIT;
            break;
        }
        if (st->interruptible && why == FOLIO_POLL_INTERRUPT) {
            sol->status = QP_INTERRUPTED;
            break;
        }
        if (qp_scaling_update(&w.W, s, z) || factor(&w)) {
            sol->status = QP_NUMERICAL;
            snprintf(sol->message, sizeof sol->message, "the KKT system became singular at iteration %d", it);
            break;
        }
        double mu = gap / (double)(degree ? degree : 1);
        /* predictor: rc = -lambda o lambda */
        qp_jprod(&w.W, w.W.lambda, w.W.lambda, rc);
        for (size_t i = 0; i < m; i++) rc[i] = -rc[i];
        newton(&w, rx, ry, rz, rc, dx, dy, dz, ds);
        double step = fmin(qp_max_step(&w.W, s, ds), qp_max_step(&w.W, z, dz));
        if (step > 1) step = 1;
        double sigma = pow(1 - step, 3);
        /* corrector: rc = -lambda o lambda - dsa~ o dza~ + sigma mu e */
        memcpy(dsa, w.dst, m * sizeof *dsa);
        memcpy(dza, w.dzt, m * sizeof *dza);
        qp_jprod(&w.W, dsa, dza, w.t);
        qp_jprod(&w.W, w.W.lambda, w.W.lambda, rc);
        for (size_t i = 0; i < m; i++) rc[i] = -rc[i] - w.t[i];
        qp_add_identity(&w.W, rc, sigma * mu);
        newton(&w, rx, ry, rz, rc, dx, dy, dz, ds);
        step = fmin(qp_max_step(&w.W, s, ds), qp_max_step(&w.W, z, dz));
        step = fmin(1.0, 0.99 * step);
        if (!(step > 1e-12)) {
            sol->status = QP_NUMERICAL;
            snprintf(sol->message, sizeof sol->message, "no progress at iteration %d (step %g)", it, step);
            break;
        }
        for (size_t j = 0; j < n; j++) x[j] += step * dx[j];
        for (size_t i = 0; i < np; i++) y[i] += step * dy[i];
        for (size_t i = 0; i < m; i++) {
            z[i] += step * dz[i];
            s[i] += step * ds[i];
        }
    }
    if (!sol->message[0]) {
        static const char *const what[] = {
            "optimal", "primal infeasible (certificate found)", "dual infeasible: the objective is unbounded",
            "iteration limit reached", "time limit reached", "numerical failure", "interrupted by the user"
        };
        snprintf(sol->message, sizeof sol->message, "%s after %d iterations", what[sol->status], sol->iterations);
    }
done:
    if (openblas_get_num_threads() != blas_threads) openblas_set_num_threads(blas_threads);
    gsl_set_error_handler(old);
    free(rx); free(ry); free(rz); free(rc); free(dx); free(dy); free(dz); free(ds);
    free(dsa); free(dza); free(px);
    ipm_free(&w);
    return 0;
}

void qp_problem_free(qp_problem *p)
{
    if (!p) return;
    free(p->P); free(p->Pdiag); free(p->q); free(p->b); free(p->h);
    free(p->A.start); free(p->A.idx); free(p->A.val);
    free(p->G.start); free(p->G.idx); free(p->G.val);
    free(p->cone_dim); free(p->cone_src); free(p->a_kind); free(p->g_kind); free(p->a_src); free(p->g_src);
    free(p->colmap); free(p->fixval); free(p->alias);
    memset(p, 0, sizeof *p);
}
