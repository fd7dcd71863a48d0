/*
 * fac_glpk.c - baseline for the fac-G facility-location benchmark
 * (Dunning, Huchette, Lubin 2017, "JuMP: A modeling language for
 * mathematical optimization"), linear part only.
 *
 * Fills plain C arrays (column bounds/kinds, row bounds, triplets
 * ia/ja/ar, row/column names) and loads them into a GLPK problem through
 * the C API.  Nothing is solved.  The second-order cone
 * ||(r[i,j,f,1], r[i,j,f,2])|| <= s[i,j,f] is not loaded.
 *
 * Model (i, j in 0..G; f in 1..F with F = G; k in 1..2):
 *   min  d
 *   assign[i,j]:  sum_f z[i,j,f] = 1
 *   link[i,j,f]:  s[i,j,f] - d + M z[i,j,f] = M      (M = 2 sqrt 2)
 *   r1[i,j,f]:    r[i,j,f,1] + y[f,1] = i/G
 *   r2[i,j,f]:    r[i,j,f,2] + y[f,2] = j/G
 *   d >= 0, 0 <= y <= 1, z binary, s >= 0, r free.
 *
 * Usage: fac_glpk G
 * Prints to stderr:  fac_glpk G=.. rows=.. cols=.. nnz=.. load_s=..
 * where load_s is the time from program start until the problem is loaded.
 */
#define _POSIX_C_SOURCE 200809L

#include <glpk.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Names are kept in one growing character pool; names[] holds offsets. */
typedef struct {
    char *buf;
    size_t len;
    size_t cap;
} pool_t;

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static void *xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (p == NULL) {
        fprintf(stderr, "fac_glpk: out of memory\n");
        exit(EXIT_FAILURE);
    }
    return p;
}

/* Append a formatted name (with its terminating NUL); return its offset. */
static size_t pool_add(pool_t *p, const char *fmt, int a, int b, int c, int d)
{
    char tmp[64];
    int n;

    /* unused trailing arguments are harmless for snprintf */
    n = snprintf(tmp, sizeof tmp, fmt, a, b, c, d);
    if (n < 0 || (size_t)n >= sizeof tmp) {
        fprintf(stderr, "fac_glpk: name too long\n");
        exit(EXIT_FAILURE);
    }
    if (p->len + (size_t)n + 1 > p->cap) {
        size_t cap = p->cap ? p->cap : 4096;
        char *nb;
        while (p->len + (size_t)n + 1 > cap)
            cap *= 2;
        nb = realloc(p->buf, cap);
        if (nb == NULL) {
            fprintf(stderr, "fac_glpk: out of memory\n");
            exit(EXIT_FAILURE);
        }
        p->buf = nb;
        p->cap = cap;
    }
    memcpy(p->buf + p->len, tmp, (size_t)n + 1);
    p->len += (size_t)n + 1;
    return p->len - (size_t)n - 1;
}

int main(int argc, char **argv)
{
    double t0 = now_s();
    const double M = 2.0 * sqrt(2.0);
    long G;
    int F, N, nP, ncols, nrows, nnz;
    int i, j, f, k;
    char *end;

    if (argc != 2) {
        fprintf(stderr, "usage: %s G\n", argv[0]);
        return EXIT_FAILURE;
    }
    G = strtol(argv[1], &end, 10);
    if (*end != '\0' || G < 1 || G > 400) {
        fprintf(stderr, "fac_glpk: G must be an integer in 1..400\n");
        return EXIT_FAILURE;
    }
    F = (int)G;
    N = (int)G + 1;   /* grid points per side */
    nP = N * N;       /* customers */

    ncols = 1 + 2 * F + 4 * nP * F;        /* d, y, z, s, r (2 per) */
    nrows = nP + 3 * nP * F;               /* assign, link, r1, r2 */
    nnz = nP * F + 3 * nP * F + 2 * nP * F + 2 * nP * F;

    /* ---- column arrays (1-based, as GLPK) ---- */
    int *ctype = xmalloc(sizeof(int) * ((size_t)ncols + 1));
    int *ckind = xmalloc(sizeof(int) * ((size_t)ncols + 1));
    double *clb = xmalloc(sizeof(double) * ((size_t)ncols + 1));
    double *cub = xmalloc(sizeof(double) * ((size_t)ncols + 1));
    double *cobj = xmalloc(sizeof(double) * ((size_t)ncols + 1));
    size_t *cname = xmalloc(sizeof(size_t) * ((size_t)ncols + 1));
    /* ---- row arrays ---- */
    double *rrhs = xmalloc(sizeof(double) * ((size_t)nrows + 1));
    size_t *rname = xmalloc(sizeof(size_t) * ((size_t)nrows + 1));
    /* ---- triplets ---- */
    int *ia = xmalloc(sizeof(int) * ((size_t)nnz + 1));
    int *ja = xmalloc(sizeof(int) * ((size_t)nnz + 1));
    double *ar = xmalloc(sizeof(double) * ((size_t)nnz + 1));
    pool_t names = {NULL, 0, 0};

    int c = 0, r = 0, e = 0;
    int col_d, col_y[2];

#define NEWCOL(type, kind, lb, ub, obj, ...)                          \
    (c++, ctype[c] = (type), ckind[c] = (kind), clb[c] = (lb),        \
     cub[c] = (ub), cobj[c] = (obj),                                  \
     cname[c] = pool_add(&names, __VA_ARGS__), c)
#define NEWROW(rhs, ...)                                              \
    (r++, rrhs[r] = (rhs), rname[r] = pool_add(&names, __VA_ARGS__), r)
#define NZ(row, col, val) (e++, ia[e] = (row), ja[e] = (col), ar[e] = (val))

    /* d and y[f,k] */
    col_d = NEWCOL(GLP_LO, GLP_CV, 0.0, 0.0, 1.0, "d", 0, 0, 0, 0);
    int y0 = c + 1; /* y[f,k] is column y0 + 2*(f-1) + (k-1) */
    for (f = 1; f <= F; f++)
        for (k = 1; k <= 2; k++)
            (void)NEWCOL(GLP_DB, GLP_CV, 0.0, 1.0, 0.0, "y[%d,%d]", f, k, 0, 0);

    /* per customer: assign row, then per facility z, s, r1, r2 columns and
       link, r1, r2 rows */
    for (i = 0; i <= (int)G; i++) {
        for (j = 0; j <= (int)G; j++) {
            int ra = NEWROW(1.0, "assign[%d,%d]", i, j, 0, 0);
            for (f = 1; f <= F; f++) {
                int cz, cs, cr1, cr2, rl, rr1, rr2;
                cz = NEWCOL(GLP_DB, GLP_BV, 0.0, 1.0, 0.0,
                            "z[%d,%d,%d]", i, j, f, 0);
                cs = NEWCOL(GLP_LO, GLP_CV, 0.0, 0.0, 0.0,
                            "s[%d,%d,%d]", i, j, f, 0);
                cr1 = NEWCOL(GLP_FR, GLP_CV, 0.0, 0.0, 0.0,
                             "r[%d,%d,%d,%d]", i, j, f, 1);
                cr2 = NEWCOL(GLP_FR, GLP_CV, 0.0, 0.0, 0.0,
                             "r[%d,%d,%d,%d]", i, j, f, 2);
                rl = NEWROW(M, "link[%d,%d,%d]", i, j, f, 0);
                rr1 = NEWROW((double)i / (double)G, "r1[%d,%d,%d]", i, j, f, 0);
                rr2 = NEWROW((double)j / (double)G, "r2[%d,%d,%d]", i, j, f, 0);
                col_y[0] = y0 + 2 * (f - 1);
                col_y[1] = col_y[0] + 1;

                NZ(ra, cz, 1.0);
                NZ(rl, cs, 1.0);
                NZ(rl, col_d, -1.0);
                NZ(rl, cz, M);
                NZ(rr1, cr1, 1.0);
                NZ(rr1, col_y[0], 1.0);
                NZ(rr2, cr2, 1.0);
                NZ(rr2, col_y[1], 1.0);
            }
        }
    }
#undef NEWCOL
#undef NEWROW
#undef NZ

    if (c != ncols || r != nrows || e != nnz) {
        fprintf(stderr, "fac_glpk: internal count mismatch "
                "(cols %d/%d rows %d/%d nnz %d/%d)\n",
                c, ncols, r, nrows, e, nnz);
        return EXIT_FAILURE;
    }

    /* ---- load into GLPK ---- */
    glp_prob *lp = glp_create_prob();
    glp_set_prob_name(lp, "fac");
    glp_set_obj_name(lp, "obj");
    glp_set_obj_dir(lp, GLP_MIN);
    glp_add_cols(lp, ncols);
    glp_add_rows(lp, nrows);
    for (c = 1; c <= ncols; c++) {
        glp_set_col_name(lp, c, names.buf + cname[c]);
        if (ckind[c] == GLP_BV)
            glp_set_col_kind(lp, c, GLP_BV); /* also sets bounds [0,1] */
        else
            glp_set_col_bnds(lp, c, ctype[c], clb[c], cub[c]);
        if (cobj[c] != 0.0)
            glp_set_obj_coef(lp, c, cobj[c]);
    }
    for (r = 1; r <= nrows; r++) {
        glp_set_row_name(lp, r, names.buf + rname[r]);
        glp_set_row_bnds(lp, r, GLP_FX, rrhs[r], rrhs[r]);
    }
    glp_load_matrix(lp, nnz, ia, ja, ar);

    double t1 = now_s();
    fprintf(stderr, "fac_glpk G=%ld rows=%d cols=%d nnz=%d load_s=%.6f\n",
            G, glp_get_num_rows(lp), glp_get_num_cols(lp),
            glp_get_num_nz(lp), t1 - t0);

    glp_delete_prob(lp);
    free(ctype);
    free(ckind);
    free(clb);
    free(cub);
    free(cobj);
    free(cname);
    free(rrhs);
    free(rname);
    free(ia);
    free(ja);
    free(ar);
    free(names.buf);
    return EXIT_SUCCESS;
}
