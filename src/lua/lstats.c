/* folio.stats: the hot loops of the risk estimators in C: pairwise-complete
 * and weighted covariances, and the repair of a matrix to the nearest
 * positive semidefinite one. Columns are Lua arrays with nil holes. */
#include "lstats.h"
#include "laux.h"

#include <gsl/gsl_blas.h>
#include <gsl/gsl_cblas.h>
#include <gsl/gsl_eigen.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_linalg.h>
#include <lauxlib.h>
#include <float.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

/* Reads data = {n = T, col_1, ..., col_k} (columns as arrays with nil
 * holes, T rows each) into a T x k row-major matrix with NaN for holes,
 * kept in a userdata pushed on the stack. *T and *k receive the shape. */
static double *read_columns(lua_State *L, int idx, size_t *T, size_t *k)
{
    luaL_checktype(L, idx, LUA_TTABLE);
    size_t nk = lua_rawlen(L, idx);
    lua_getfield(L, idx, "n");
    if (!lua_isinteger(L, -1) || lua_tointeger(L, -1) < 0) luaL_error(L, "covariance: data.n must be the number of rows");
    size_t nt = (size_t)lua_tointeger(L, -1);
    lua_pop(L, 1);
    if (nk == 0) luaL_error(L, "covariance: no columns");
    for (size_t j = 1; j <= nk; j++) {
        if (lua_rawgeti(L, idx, (lua_Integer)j) != LUA_TTABLE) luaL_error(L, "covariance: column %d is not a table", (int)j);
        lua_pop(L, 1);
    }
    double *X = lua_newuserdatauv(L, (nt * nk + 1) * sizeof *X, 0);
    for (size_t j = 0; j < nk; j++) {
        lua_rawgeti(L, idx, (lua_Integer)j + 1);
        for (size_t t = 0; t < nt; t++) {
            int ty = lua_rawgeti(L, -1, (lua_Integer)t + 1);
            double v = NAN;
            if (ty == LUA_TNUMBER) {
                v = lua_tonumber(L, -1);
                if (!isfinite(v)) luaL_error(L, "covariance: column %d, row %d is not finite", (int)j + 1, (int)t + 1);
            } else if (ty != LUA_TNIL) {
                luaL_error(L, "covariance: column %d, row %d is a %s", (int)j + 1, (int)t + 1, luaL_typename(L, -1));
            }
            X[t * nk + j] = v;
            lua_pop(L, 1);
        }
        lua_pop(L, 1);
    }
    *T = nt;
    *k = nk;
    return X;
}

static void push_matrix(lua_State *L, const double *M, size_t k)
{
    lua_createtable(L, (int)k, 0);
    for (size_t i = 0; i < k; i++) {
        lua_createtable(L, (int)k, 0);
        for (size_t j = 0; j < k; j++) {
            lua_pushnumber(L, M[i * k + j]);
            lua_rawseti(L, -2, (lua_Integer)j + 1);
        }
        lua_rawseti(L, -2, (lua_Integer)i + 1);
    }
}

/* stats.cov_pairwise(data [, ddof [, center]]): for each pair, the
 * covariance over the rows where both are present, about the means of
 * those rows (pandas' DataFrame.cov); center = false takes the second
 * moments about zero (semicovariance of downside returns). Pairs with
 * fewer than ddof + 1 common rows are an error. */
static int l_cov_pairwise(lua_State *L)
{
    lua_Integer ddof = luaL_optinteger(L, 2, 1);
    int center = lua_isnoneornil(L, 3) ? 1 : lua_toboolean(L, 3);
    size_t T, k;
    double *X = read_columns(L, 1, &T, &k);
    double *C = lua_newuserdatauv(L, k * k * sizeof *C, 0);
    int complete = 1;
    for (size_t i = 0; i < T * k && complete; i++) if (isnan(X[i])) complete = 0;
    if (complete) {
        if ((lua_Integer)T <= ddof) return luaL_error(L, "covariance: %d rows are too few", (int)T);
        /* no holes: centre once and let BLAS form X'X */
        for (size_t j = 0; j < k && center; j++) {
            double m = 0;
            for (size_t t = 0; t < T; t++) m += X[t * k + j];
            m /= (double)T;
            for (size_t t = 0; t < T; t++) X[t * k + j] -= m;
        }
        gsl_matrix_view Xv = gsl_matrix_view_array(X, T, k), Cv = gsl_matrix_view_array(C, k, k);
        gsl_blas_dsyrk(CblasLower, CblasTrans, 1.0 / (double)(T - (size_t)ddof), &Xv.matrix, 0.0, &Cv.matrix);
        for (size_t i = 0; i < k; i++)
            for (size_t j = i + 1; j < k; j++) C[i * k + j] = C[j * k + i];
    } else {
        for (size_t a = 0; a < k; a++)
            for (size_t b = 0; b <= a; b++) {
                double sa = 0, sb = 0;
                size_t n = 0;
                for (size_t t = 0; t < T; t++) {
                    double xa = X[t * k + a], xb = X[t * k + b];
                    if (isnan(xa) || isnan(xb)) continue;
                    sa += xa; sb += xb; n++;
                }
                if ((lua_Integer)n <= ddof)
                    return luaL_error(L, "covariance: columns %d and %d share only %d rows", (int)a + 1, (int)b + 1, (int)n);
                double ma = center ? sa / (double)n : 0, mb = center ? sb / (double)n : 0, s = 0;
                for (size_t t = 0; t < T; t++) {
                    double xa = X[t * k + a], xb = X[t * k + b];
                    if (isnan(xa) || isnan(xb)) continue;
                    s += (xa - ma) * (xb - mb);
                }
                C[a * k + b] = C[b * k + a] = s / (double)(n - (size_t)ddof);
            }
    }
    push_matrix(L, C, k);
    return 1;
}

/* stats.cov_weighted(columns, weights): sum_t w_t (x_t - m)(x_t - m)' /
 * (1 - sum w^2) with m = sum_t w_t x_t and the weights normalised to sum
 * to one (the unbiased weighted covariance); rows with any hole are
 * dropped and the remaining weights renormalised. */
static int l_cov_weighted(lua_State *L)
{
    size_t T, k;
    double *X = read_columns(L, 1, &T, &k);
    double *w = laux_check_vector(L, 2, "covariance", "weights", T, LAUX_FINITE);
    double *C = lua_newuserdatauv(L, k * k * sizeof *C, 0);
    double sw = 0;
    for (size_t t = 0; t < T; t++) {
        if (!(w[t] >= 0)) return luaL_error(L, "covariance: weights[%d] must be >= 0", (int)t + 1);
        for (size_t j = 0; j < k; j++) if (isnan(X[t * k + j])) w[t] = 0;
        sw += w[t];
    }
    if (!(sw > 0)) return luaL_error(L, "covariance: no complete row with positive weight");
    double sw2 = 0;
    for (size_t t = 0; t < T; t++) { w[t] /= sw; sw2 += w[t] * w[t]; }
    if (!(sw2 < 1)) return luaL_error(L, "covariance: the weights leave a single row");
    double *m = lua_newuserdatauv(L, k * sizeof *m, 0);
    for (size_t j = 0; j < k; j++) {
        m[j] = 0;
        for (size_t t = 0; t < T; t++) if (w[t] > 0) m[j] += w[t] * X[t * k + j];
    }
    for (size_t a = 0; a < k; a++)
        for (size_t b = 0; b <= a; b++) {
            double s = 0;
            for (size_t t = 0; t < T; t++)
                if (w[t] > 0) s += w[t] * (X[t * k + a] - m[a]) * (X[t * k + b] - m[b]);
            C[a * k + b] = C[b * k + a] = s / (1 - sw2);
        }
    push_matrix(L, C, k);
    return 1;
}

/* stats.psd_repair(M): the nearest (Frobenius) positive semidefinite
 * matrix, negative eigenvalues set to zero; returns it and the smallest
 * eigenvalue of M. */
static int l_psd_repair(lua_State *L)
{
    size_t k;
    lua_settop(L, 1);
    double *M = laux_check_square(L, 1, "psd_repair", "M", &k);
    double *V = lua_newuserdatauv(L, k * k * sizeof *V, 0);
    double *e = lua_newuserdatauv(L, k * sizeof *e, 0);
    gsl_matrix_view Mv = gsl_matrix_view_array(M, k, k), Vv = gsl_matrix_view_array(V, k, k);
    gsl_vector_view ev = gsl_vector_view_array(e, k);
    gsl_eigen_symmv_workspace *ws = gsl_eigen_symmv_alloc(k);
    if (!ws) return luaL_error(L, "out of memory");
    gsl_error_handler_t *old = gsl_set_error_handler_off();
    int st = gsl_eigen_symmv(&Mv.matrix, &ev.vector, &Vv.matrix, ws);
    gsl_set_error_handler(old);
    gsl_eigen_symmv_free(ws);
    if (st != GSL_SUCCESS) return luaL_error(L, "psd_repair: eigen-decomposition failed");
    double lmin = e[0];
    for (size_t i = 1; i < k; i++) lmin = fmin(lmin, e[i]);
    /* M = V diag(max(e, 0)) V' */
    for (size_t i = 0; i < k; i++)
        for (size_t j = 0; j < k; j++) {
            double s = 0;
            for (size_t q = 0; q < k; q++) if (e[q] > 0) s += V[i * k + q] * e[q] * V[j * k + q];
            M[i * k + j] = s;
        }
    push_matrix(L, M, k);
    lua_pushnumber(L, lmin);
    return 2;
}

/* ---- risk parity --------------------------------------------------------
 * Spinu's convex formulation: min f(y) = 1/2 y'Sy - sum b_i log y_i
 * (budgets b summing to 1), whose optimum has y_i (Sy)_i = b_i; the
 * weights are w = y / sum y. Up to RP_DENSE exposures, Newton's method
 * with a dense Cholesky factorisation per step. Above, cyclic coordinate
 * descent (each coordinate's minimiser is a root of a quadratic, and Sy is
 * kept up to date in O(n)) brings the risk contributions near the budgets
 * while its sweeps pay, and Newton's method finishes with each step
 * solved by conjugate gradients (Jacobi preconditioner, S times a vector
 * per iteration: O(n^2) against O(n^3) for a factorisation), to a
 * tolerance that tightens with the residual. Should CG stall (a badly
 * conditioned S), the remaining steps use the dense factorisation. */

void dpotrf_(const char *uplo, const int *n, double *a, const int *lda, int *info);

#define RP_DENSE 64        /* up to this size, dense Newton steps */
#define RP_TOL 1e-12       /* max |y_i (Sy)_i / b_i - 1| at the solution */
#define RP_ACCEPT 1e-10    /* accepted when rounding stops progress short of RP_TOL */
#define RP_SWEEPS 10       /* coordinate sweeps at most ... */
#define RP_SWEEP_TOL 1e-3  /* ... until the residual is this small */
#define RP_CG_MAX 60       /* CG iterations per Newton step before falling back */

typedef struct {
    size_t n;
    const double *S, *b;
    double *y, *Sy, *g, *d, *yn, *r, *z, *p, *q, *dg, *H;
} rp_work;

static void rp_symv(const rp_work *w, const double *x, double *out)
{
    cblas_dsymv(CblasRowMajor, CblasLower, (int)w->n, 1.0, w->S, (int)w->n, x, 1, 0.0, out, 1);
}

/* max_i |y_i (Sy)_i / b_i - 1| for the Sy in w */
static double rp_resid(const rp_work *w)
{
    double e = 0;
    for (size_t i = 0; i < w->n; i++) e = fmax(e, fabs(w->y[i] * w->Sy[i] / w->b[i] - 1));
    return e;
}

/* The rounding level of the residual: max_i y_i (|S| |y|)_i / b_i units
 * of roundoff */
static double rp_floor(const rp_work *w)
{
    size_t n = w->n;
    double e = 0;
    for (size_t i = 0; i < n; i++) {
        double s = 0;
        for (size_t j = 0; j < n; j++) s += fabs(w->S[i * n + j]) * w->y[j];
        e = fmax(e, w->y[i] * s / w->b[i]);
    }
    return e * DBL_EPSILON;
}

/* Sweeps of cyclic coordinate descent; Sy must hold S y on entry and
 * holds it (up to rounding) on return. Returns the sweeps made. */
static int rp_sweeps(rp_work *w)
{
    size_t n = w->n;
    double *y = w->y, *Sy = w->Sy, *y0 = w->yn, *Sy0 = w->r;
    double res = rp_resid(w);
    int s;
    /* stop once within RP_SWEEP_TOL, or when a sweep no longer halves the
     * residual (strong correlations: Newton's method does better there);
     * a sweep that leaves it larger is undone */
    for (s = 0; s < RP_SWEEPS && res > RP_SWEEP_TOL; s++) {
        memcpy(y0, y, n * sizeof *y);
        memcpy(Sy0, Sy, n * sizeof *Sy);
        for (size_t i = 0; i < n; i++) {
            const double *Si = w->S + i * n;
            double a = Si[i], c = Sy[i] - a * y[i], bi = w->b[i];
            /* the positive root of a t^2 + c t - b_i, without cancellation */
            double t = c >= 0 ? 2 * bi / (c + sqrt(c * c + 4 * a * bi)) : (-c + sqrt(c * c + 4 * a * bi)) / (2 * a);
            double dl = t - y[i];
            if (dl == 0) continue;
            y[i] = t;
            for (size_t j = 0; j < n; j++) Sy[j] += dl * Si[j];   /* row i is column i */
        }
        double prev = res;
        res = rp_resid(w);
        if (res > prev) {
            memcpy(y, y0, n * sizeof *y);
            memcpy(Sy, Sy0, n * sizeof *Sy);
            break;
        }
        if (res > 0.5 * prev) { s++; break; }
    }
    return s;
}

/* Newton direction d from H d = -g, H = S + diag(b / y^2), by Jacobi-
 * preconditioned CG until the scaled residual max |y_i r_i / b_i| is eta
 * times that of g. Returns 0 when CG did not get there (d is then still a
 * descent direction, every CG iterate being one). */
static int rp_cg(rp_work *w, double eta)
{
    size_t n = w->n;
    double *r = w->r, *z = w->z, *p = w->p, *q = w->q, *d = w->d, *dg = w->dg;
    const double *y = w->y, *b = w->b, *S = w->S;
    double g0 = 0, rz = 0;
    for (size_t i = 0; i < n; i++) {
        double h = b[i] / (y[i] * y[i]);
        dg[i] = S[i * n + i] + h;
        d[i] = 0;
        r[i] = -w->g[i];
        z[i] = r[i] / dg[i];
        p[i] = z[i];
        rz += r[i] * z[i];
        g0 = fmax(g0, fabs(y[i] * r[i] / b[i]));
    }
    for (int k = 0; k < RP_CG_MAX; k++) {
        rp_symv(w, p, q);
        double pq = 0;
        for (size_t i = 0; i < n; i++) {
            q[i] += b[i] / (y[i] * y[i]) * p[i];
            pq += p[i] * q[i];
        }
        if (!(pq > 0)) return 0;
        double al = rz / pq, rn = 0, rzn = 0;
        for (size_t i = 0; i < n; i++) {
            d[i] += al * p[i];
            r[i] -= al * q[i];
            rn = fmax(rn, fabs(y[i] * r[i] / b[i]));
            z[i] = r[i] / dg[i];
            rzn += r[i] * z[i];
        }
        if (rn <= eta * g0) return 1;
        double be = rzn / rz;
        rz = rzn;
        for (size_t i = 0; i < n; i++) p[i] = z[i] + be * p[i];
    }
    return 0;
}

/* Newton direction by a dense Cholesky factorisation of H (0: H is not
 * numerically positive definite) */
static int rp_dense(rp_work *w)
{
    size_t n = w->n;
    int ni = (int)n, info;
    memcpy(w->H, w->S, n * n * sizeof *w->H);
    for (size_t i = 0; i < n; i++) {
        w->H[i * n + i] += w->b[i] / (w->y[i] * w->y[i]);
        w->d[i] = -w->g[i];
    }
    /* column-major "U" of a row-major array is the row-major lower L
     * that gsl_linalg_cholesky_svx expects */
    dpotrf_("U", &ni, w->H, &ni, &info);
    if (info != 0) return 0;
    gsl_matrix_view Hv = gsl_matrix_view_array(w->H, n, n);
    gsl_vector_view dv = gsl_vector_view_array(w->d, n);
    return gsl_linalg_cholesky_svx(&Hv.matrix, &dv.vector) == GSL_SUCCESS;
}

/* The solve: y on entry is the start; returns 1 when converged, with the
 * Newton iterations and coordinate sweeps made and the final residual. */
static int rp_solve(rp_work *w, int *iters, int *sweeps, double *resid)
{
    size_t n = w->n;
    double *y = w->y, *Sy = w->Sy, *g = w->g, *d = w->d, *yn = w->yn;
    const double *b = w->b;
    int dense = n <= RP_DENSE, ok = 0, it, best_it = 0;
    double best = INFINITY;
    *sweeps = 0;
    /* the start's scale is the best along its ray: y'Sy = sum b = 1 */
    rp_symv(w, y, Sy);
    double v = 0;
    for (size_t i = 0; i < n; i++) v += y[i] * Sy[i];
    for (size_t i = 0; i < n; i++) { y[i] /= sqrt(v); Sy[i] /= sqrt(v); }
    if (!dense) *sweeps = rp_sweeps(w);
    rp_symv(w, y, Sy);   /* then kept by the line search for the point it accepts */
    for (it = 0; it < 200; it++) {
        double f = 0;
        for (size_t i = 0; i < n; i++) {
            g[i] = Sy[i] - b[i] / y[i];
            f += 0.5 * y[i] * Sy[i] - b[i] * log(y[i]);
        }
        double res = rp_resid(w);
        if (res <= RP_TOL) { ok = 1; break; }
        if (res < 0.5 * best) { best = res; best_it = it; }
        /* close to the solution, rounding keeps the residual from falling
         * further: after three steps without halving it, accept RP_ACCEPT,
         * or the residual's own rounding level where that is larger (an
         * ill-conditioned S, whose (Sy)_i cancel) */
        if (res <= 1e-6 && it - best_it >= 3) {
            ok = res <= fmax(RP_ACCEPT, rp_floor(w));
            break;
        }
        if (!dense && !rp_cg(w, fmin(0.1, fmax(res, 0.1 * RP_TOL / res)))) dense = 1;
        if (dense && !rp_dense(w)) break;
        /* backtracking: stay positive and decrease f or, near the optimum
         * where f no longer changes measurably, the residual */
        double step = 1, slope = 0;
        for (size_t i = 0; i < n; i++) {
            if (d[i] < 0) step = fmin(step, -0.99 * y[i] / d[i]);
            slope += g[i] * d[i];
        }
        int accepted = 0;
        for (int ls = 0; ls < 60 && !accepted; ls++, step *= 0.5) {
            double fn = 0, rn = 0;
            for (size_t i = 0; i < n; i++) yn[i] = y[i] + step * d[i];
            rp_symv(w, yn, Sy);
            for (size_t i = 0; i < n; i++) {
                fn += 0.5 * yn[i] * Sy[i] - b[i] * log(yn[i]);
                rn = fmax(rn, fabs(yn[i] * Sy[i] / b[i] - 1));
            }
            accepted = fn <= f + 1e-4 * step * slope || (res < 1e-3 && rn < res);
        }
        if (!accepted) break;
        memcpy(y, yn, n * sizeof *y);
    }
    *iters = it;
    *resid = rp_resid(w);
    return ok;
}

/* Is S (n x n, symmetric) positive semidefinite? A Cholesky factorisation
 * of S + 1e-10 (1 + max S_ii) I (its lower triangle, copied to the
 * scratch H) decides. */
static int rp_psd(const double *S, size_t n, double *H)
{
    double maxd = 0;
    for (size_t i = 0; i < n; i++) {
        memcpy(H + i * n, S + i * n, (i + 1) * sizeof *H);
        maxd = fmax(maxd, fabs(S[i * n + i]));
    }
    for (size_t i = 0; i < n; i++) H[i * n + i] += 1e-10 * (1 + maxd);
    int ni = (int)n, info;
    dpotrf_("U", &ni, H, &ni, &info);   /* column-major "U": the row-major lower triangle */
    return info == 0;
}

#define RP_BLOCK 256   /* entries on the stack at a time while reading cov */

/* the error of fn for the entry cov[r][c] at stack index at */
static void bad_entry(lua_State *L, const char *fn, int at, lua_Integer r, lua_Integer c)
{
    if (lua_type(L, at) != LUA_TNUMBER)
        luaL_error(L, "%s: cov[%I][%I] must be a number (got %s)", fn, r, c, luaL_typename(L, at));
    double v = lua_tonumber(L, at);
    if (isfinite(v)) return;   /* a block holding a non-number elsewhere */
    luaL_error(L, "%s: cov[%I][%I] must be finite (got %s)", fn, r, c, isnan(v) ? "nan" : v > 0 ? "inf" : "-inf");
}

/* How read_cov treats the upper triangle */
enum { COV_CHECK_SYMMETRY, COV_MIRROR_LOWER, COV_AS_IS };

/* The k x k matrix of cov's rows and columns sub (1-based; NULL: all N,
 * k = N), every row of cov being of length N, for fn's messages. how:
 * COV_CHECK_SYMMETRY reads it all and raises on an asymmetric pair;
 * COV_MIRROR_LOWER reads the entries on and below the diagonal only (the
 * caller has checked symmetry) and mirrors them; COV_AS_IS reads it all.
 * Kept in a userdata pushed on the stack. */
static double *read_cov(lua_State *L, const char *fn, int idx, const lua_Integer *sub, size_t k, size_t N, int how)
{
    double *S = lua_newuserdatauv(L, k * k * sizeof *S, 0);
    luaL_checkstack(L, RP_BLOCK + 2, "reading cov");
    for (size_t a = 0; a < k; a++) {
        lua_Integer r = sub ? sub[a] : (lua_Integer)a + 1;
        int ty = lua_rawgeti(L, idx, r);
        if (ty != LUA_TTABLE) luaL_error(L, "%s: cov[%I] must be a row of numbers (got %s)", fn, r, luaL_typename(L, -1));
        if (lua_rawlen(L, -1) != N)
            luaL_error(L, "%s: cov[%I] has %I entries, expected %I", fn, r, (lua_Integer)lua_rawlen(L, -1), (lua_Integer)N);
        int row = lua_gettop(L);
        size_t upto = how == COV_MIRROR_LOWER ? a + 1 : k;
        /* pushed in blocks and popped together: one API call less each */
        for (size_t c0 = 0; c0 < upto; c0 += RP_BLOCK) {
            size_t c1 = c0 + RP_BLOCK < upto ? c0 + RP_BLOCK : upto;
            int numbers = 1;
            for (size_t c = c0; c < c1; c++) numbers &= lua_rawgeti(L, row, sub ? sub[c] : (lua_Integer)c + 1) == LUA_TNUMBER;
            for (size_t c = c0; c < c1; c++) {
                int at = row + 1 + (int)(c - c0);
                double v = numbers ? lua_tonumber(L, at) : NAN;
                if (!isfinite(v)) bad_entry(L, fn, at, r, sub ? sub[c] : (lua_Integer)c + 1);
                S[a * k + c] = v;
            }
            lua_settop(L, row);
        }
        lua_pop(L, 1);
    }
    if (how == COV_AS_IS) return S;
    for (size_t a = 0; a < k; a++)
        for (size_t c = a + 1; c < k; c++) {
            if (how == COV_MIRROR_LOWER) { S[a * k + c] = S[c * k + a]; continue; }
            double u = S[a * k + c], v = S[c * k + a];
            if (fabs(u - v) > 1e-12 * (1 + fabs(u) + fabs(v))) {
                lua_Integer ra = sub ? sub[a] : (lua_Integer)a + 1, rc = sub ? sub[c] : (lua_Integer)c + 1;
                char msg[200];   /* lua_pushfstring has no %g */
                snprintf(msg, sizeof msg, "%s: cov is not symmetric: cov[%lld][%lld] = %g but cov[%lld][%lld] = %g", fn,
                         (long long)ra, (long long)rc, u, (long long)rc, (long long)ra, v);
                luaL_error(L, "%s", msg);
            }
        }
    return S;
}

/* stats.risk_parity(cov, budgets [, opts]): long-only weights whose risk
 * contributions w_i (Sw)_i / w'Sw equal the budgets (normalised to sum
 * to 1): max_i |y_i (Sy)_i / b_i - 1| <= 1e-12 at y = w / sqrt(w'Sw),
 * or, where rounding stops progress short of that, 1e-10 or the
 * residual's rounding level (max_i y_i (|S| |y|)_i / b_i units of
 * roundoff) if larger; a risk contribution is then within twice that of
 * its budget. opts: subset = indices of cov's rows and columns to use (the
 * budgets then go with them; default all), lower = true to read only the
 * lower triangle of a covariance the caller has checked for symmetry
 * (otherwise an asymmetric cov is an error), psd = false to skip the
 * positive semidefiniteness check. Returns w, the Newton iterations, the
 * coordinate-descent sweeps and that residual. */
static int l_risk_parity(lua_State *L)
{
    lua_settop(L, 3);
    static const char *const opts[] = {"subset", "lower", "psd", NULL};
    int lower = 0, psd = 1;
    lua_Integer *sub = NULL;
    size_t N = lua_type(L, 1) == LUA_TTABLE ? lua_rawlen(L, 1) : 0;
    if (lua_type(L, 1) != LUA_TTABLE) luaL_error(L, "risk_parity: cov must be a table of rows (got %s)", luaL_typename(L, 1));
    if (N == 0) luaL_error(L, "risk_parity: cov is empty");
    size_t n = N;
    if (!lua_isnil(L, 3)) {
        laux_check_options(L, 3, "risk_parity", opts);
        lower = laux_opt_boolean(L, 3, "risk_parity", "lower", 0);
        psd = laux_opt_boolean(L, 3, "risk_parity", "psd", 1);
        if (lua_getfield(L, 3, "subset") != LUA_TNIL) {
            const double *sv;
            if (lua_type(L, -1) != LUA_TTABLE || lua_rawlen(L, -1) == 0)
                luaL_error(L, "risk_parity: subset must be a non-empty array of indices");
            n = lua_rawlen(L, -1);
            sv = laux_check_vector(L, -1, "risk_parity", "subset", n, LAUX_FINITE);
            sub = lua_newuserdatauv(L, n * sizeof *sub, 0);
            for (size_t a = 0; a < n; a++) {
                if (sv[a] != floor(sv[a]) || sv[a] < 1 || sv[a] > (double)N || (a > 0 && !(sv[a] > sv[a - 1])))
                    luaL_error(L, "risk_parity: subset must be increasing indices of cov's rows (1 to %d)", (int)N);
                sub[a] = (lua_Integer)sv[a];
            }
        }
    }
    int top = lua_gettop(L);
    double *S = read_cov(L, "risk_parity", 1, sub, n, N, lower ? COV_MIRROR_LOWER : COV_CHECK_SYMMETRY);
    const double *b0 = laux_check_vector(L, 2, "risk_parity", "budgets", n, LAUX_FINITE);
    double *buf = lua_newuserdatauv(L, 11 * n * sizeof *buf, 0);
    rp_work w = {n, S, buf, buf + n, buf + 2 * n, buf + 3 * n, buf + 4 * n, buf + 5 * n, buf + 6 * n, buf + 7 * n,
                 buf + 8 * n, buf + 9 * n, buf + 10 * n, NULL};
    double *b = buf, bs = 0;
    for (size_t i = 0; i < n; i++) {
        b[i] = b0[i];
        if (!(b[i] > 0)) return luaL_error(L, "risk_parity: budgets[%d] must be positive", (int)i + 1);
        bs += b[i];
        if (!(S[i * n + i] > 0)) return luaL_error(L, "risk_parity: exposure %d has no variance", (int)i + 1);
    }
    /* the n x n scratch of the PSD check and of dense Newton steps */
    if (psd || n <= RP_DENSE) w.H = lua_newuserdatauv(L, n * n * sizeof *w.H, 0);
    if (psd && !rp_psd(S, n, w.H)) return luaL_error(L, "risk_parity: cov is not positive semidefinite");
    if (!w.H) w.H = lua_newuserdatauv(L, n * n * sizeof *w.H, 0);
    for (size_t i = 0; i < n; i++) { b[i] /= bs; w.y[i] = sqrt(b[i] / S[i * n + i]); }
    gsl_error_handler_t *old = gsl_set_error_handler_off();
    int iters, sweeps;
    double resid;
    int ok = rp_solve(&w, &iters, &sweeps, &resid);
    gsl_set_error_handler(old);
    if (!ok) return luaL_error(L, "risk_parity: Newton's method did not converge in %d iterations", iters);
    double sy = 0;
    for (size_t i = 0; i < n; i++) sy += w.y[i];
    lua_settop(L, top);
    lua_createtable(L, (int)n, 0);
    for (size_t i = 0; i < n; i++) {
        lua_pushnumber(L, w.y[i] / sy);
        lua_rawseti(L, -2, (lua_Integer)i + 1);
    }
    lua_pushinteger(L, iters);
    lua_pushinteger(L, sweeps);
    lua_pushnumber(L, resid);
    return 4;
}

/* Constant-correlation target (Ledoit and Wolf 2004): F_ii = s_ii,
 * F_ij = rbar sqrt(s_ii s_jj). Returns rho; F is filled in. */
static double lw_target_cc(const double *Y, const double *S, double *F, size_t T, size_t n)
{
    double rbar = 0;
    for (size_t a = 0; a < n; a++)
        for (size_t b = a + 1; b < n; b++) rbar += S[a * n + b] / sqrt(S[a * n + a] * S[b * n + b]);
    rbar *= 2.0 / (double)(n * (n - 1));
    for (size_t a = 0; a < n; a++)
        for (size_t b = 0; b < n; b++)
            F[a * n + b] = a == b ? S[a * n + a] : rbar * sqrt(S[a * n + a] * S[b * n + b]);
    /* rho = sum_{i != j} (rbar/2)(sqrt(s_jj/s_ii) theta_ii,ij + sqrt(s_ii/s_jj) theta_jj,ij) */
    double rho = 0;
    for (size_t a = 0; a < n; a++)
        for (size_t b = 0; b < n; b++) {
            if (a == b) continue;
            double tai = 0, tbi = 0;
            for (size_t t = 0; t < T; t++) {
                double ya = Y[t * n + a], yb = Y[t * n + b], c = ya * yb - S[a * n + b];
                tai += (ya * ya - S[a * n + a]) * c;
                tbi += (yb * yb - S[b * n + b]) * c;
            }
            rho += 0.5 * rbar * (sqrt(S[b * n + b] / S[a * n + a]) * tai / (double)T +
                                 sqrt(S[a * n + a] / S[b * n + b]) * tbi / (double)T);
        }
    return rho;
}

/* Single-factor target (Ledoit and Wolf 2003): the market is the
 * equal-weighted average of the assets, F_ij = c_i c_j / v (i != j),
 * F_ii = s_ii, with c_i = cov(asset i, market) and v = var(market). */
static double lw_target_sf(const double *Y, const double *S, double *F, size_t T, size_t n, double *m)
{
    double v = 0;
    for (size_t t = 0; t < T; t++) {
        double s = 0;
        for (size_t j = 0; j < n; j++) s += Y[t * n + j];
        m[t] = s / (double)n;
        v += m[t] * m[t];
    }
    v /= (double)T;
    double *c = m + T;
    for (size_t j = 0; j < n; j++) {
        double s = 0;
        for (size_t t = 0; t < T; t++) s += Y[t * n + j] * m[t];
        c[j] = s / (double)T;
    }
    for (size_t a = 0; a < n; a++)
        for (size_t b = 0; b < n; b++) F[a * n + b] = a == b ? S[a * n + a] : c[a] * c[b] / v;
    /* rho_off = sum_{i != j} 2 c_j/v (A_ij - c_i s_ij) - c_i c_j/v^2 (B_ij - v s_ij),
     * A_ij = mean(y_i^2 y_j m), B_ij = mean(y_i y_j m^2) */
    double rho = 0;
    for (size_t a = 0; a < n; a++)
        for (size_t b = 0; b < n; b++) {
            if (a == b) continue;
            double A = 0, B = 0;
            for (size_t t = 0; t < T; t++) {
                double ya = Y[t * n + a], yb = Y[t * n + b];
                A += ya * ya * yb * m[t];
                B += ya * yb * m[t] * m[t];
            }
            A /= (double)T;
            B /= (double)T;
            rho += 2 * c[b] / v * (A - c[a] * S[a * n + b]) - c[a] * c[b] / (v * v) * (B - v * S[a * n + b]);
        }
    return rho;
}

/* stats.ledoit_wolf(data, target): Ledoit-Wolf shrinkage on the rows
 * without holes, S = Y'Y/T with Y demeaned. target is
 * "constant_correlation", "single_factor" or "identity". Returns the
 * shrunk matrix, the intensity delta and the number of rows used. */
static int l_ledoit_wolf(lua_State *L)
{
    static const char *const targets[] = {"constant_correlation", "single_factor", "identity", NULL};
    int target = luaL_checkoption(L, 2, "constant_correlation", targets);
    size_t T0, n;
    double *X0 = read_columns(L, 1, &T0, &n);
    if (n < 2) return luaL_error(L, "ledoit_wolf: needs at least 2 assets");
    double *Y = lua_newuserdatauv(L, (T0 * n + T0 + n + 1) * sizeof *Y, 0);
    size_t T = 0;
    for (size_t t = 0; t < T0; t++) {
        int full = 1;
        for (size_t j = 0; j < n; j++) if (isnan(X0[t * n + j])) full = 0;
        if (full) memcpy(Y + (T++) * n, X0 + t * n, n * sizeof *Y);
    }
    if (T < 2) return luaL_error(L, "ledoit_wolf: fewer than 2 rows without holes");
    double *work = Y + T * n;   /* T + n scratch for the single-factor target */
    double *S = lua_newuserdatauv(L, 2 * n * n * sizeof *S, 0), *F = S + n * n;
    for (size_t j = 0; j < n; j++) {
        double mean = 0;
        for (size_t t = 0; t < T; t++) mean += Y[t * n + j];
        mean /= (double)T;
        for (size_t t = 0; t < T; t++) Y[t * n + j] -= mean;
    }
    for (size_t a = 0; a < n; a++)
        for (size_t b = 0; b <= a; b++) {
            double v = 0;
            for (size_t t = 0; t < T; t++) v += Y[t * n + a] * Y[t * n + b];
            S[a * n + b] = S[b * n + a] = v / (double)T;
        }
    for (size_t j = 0; j < n; j++)
        if (!(S[j * n + j] > 0))
            return luaL_error(L, "ledoit_wolf: asset %d has zero variance in the window", (int)j + 1);
    /* pi = sum_ij mean((y_i y_j - s_ij)^2); its diagonal part enters rho */
    double pi = 0, pi_diag = 0;
    for (size_t a = 0; a < n; a++)
        for (size_t b = 0; b < n; b++) {
            double p = 0;
            for (size_t t = 0; t < T; t++) {
                double c = Y[t * n + a] * Y[t * n + b] - S[a * n + b];
                p += c * c;
            }
            pi += p / (double)T;
            if (a == b) pi_diag += p / (double)T;
        }
    double delta;
    if (target == 2) {
        /* Ledoit and Wolf (2004a): F = (tr S / n) I, delta = min(b2, d2) / d2
         * with b2 = pi / T (the mean squared error of S) and d2 = |S - F|^2. */
        double mu = 0;
        for (size_t j = 0; j < n; j++) mu += S[j * n + j];
        mu /= (double)n;
        double d2 = 0;
        for (size_t a = 0; a < n; a++)
            for (size_t b = 0; b < n; b++) {
                F[a * n + b] = a == b ? mu : 0;
                double d = S[a * n + b] - F[a * n + b];
                d2 += d * d;
            }
        double b2 = pi / (double)T;
        delta = d2 > 0 ? fmin(b2, d2) / d2 : 1.0;
    } else {
        double rho = pi_diag + (target == 0 ? lw_target_cc(Y, S, F, T, n) : lw_target_sf(Y, S, F, T, n, work));
        double gamma = 0;
        for (size_t i = 0; i < n * n; i++) gamma += (F[i] - S[i]) * (F[i] - S[i]);
        delta = gamma > 0 ? fmax(0.0, fmin(1.0, (pi - rho) / gamma / (double)T)) : 1.0;
    }
    for (size_t i = 0; i < n * n; i++) S[i] = delta * F[i] + (1 - delta) * S[i];
    push_matrix(L, S, n);
    lua_pushnumber(L, delta);
    lua_pushinteger(L, (lua_Integer)T);
    return 3;
}

/* ---- figures of an aligned covariance (lua/folio/exposure.lua) ---------
 * O(n^2) loops over a matrix that align.matrix has checked (rows of n
 * finite numbers); in Lua they were most of an optimization at 1,000
 * exposures. */

/* cov (argument 1) as an n x n array in a userdata on the stack */
static const double *square_cov(lua_State *L, const char *fn, size_t *n)
{
    luaL_checktype(L, 1, LUA_TTABLE);
    *n = lua_rawlen(L, 1);
    if (*n == 0) luaL_error(L, "%s: cov is empty", fn);
    return read_cov(L, fn, 1, NULL, *n, *n, COV_AS_IS);
}

/* stats.asymmetric(cov) -> nil, or i, j: the first pair (i < j, row by
 * row) with |c_ij - c_ji| > 1e-10 (|c_ij| + |c_ji| + 1e-300) */
static int l_asymmetric(lua_State *L)
{
    size_t n;
    const double *S = square_cov(L, "asymmetric", &n);
    for (size_t i = 0; i < n; i++)
        for (size_t j = i + 1; j < n; j++) {
            double u = S[i * n + j], v = S[j * n + i];
            if (fabs(u - v) > 1e-10 * (fabs(u) + fabs(v) + 1e-300)) {
                lua_pushinteger(L, (lua_Integer)i + 1);
                lua_pushinteger(L, (lua_Integer)j + 1);
                return 2;
            }
        }
    lua_pushnil(L);
    return 1;
}

/* stats.correlated_pairs(cov, r) -> {{i, j}, ...}: the pairs i < j (row by
 * row) with c_ij / sqrt(c_ii c_jj) > r where that root is positive */
static int l_correlated_pairs(lua_State *L)
{
    size_t n;
    double r = luaL_checknumber(L, 2);
    const double *S = square_cov(L, "correlated_pairs", &n);
    lua_newtable(L);
    lua_Integer k = 0;
    for (size_t i = 0; i < n; i++)
        for (size_t j = i + 1; j < n; j++) {
            double d = sqrt(S[i * n + i] * S[j * n + j]);
            if (!(d > 0 && S[i * n + j] / d > r)) continue;
            lua_createtable(L, 2, 0);
            lua_pushinteger(L, (lua_Integer)i + 1);
            lua_rawseti(L, -2, 1);
            lua_pushinteger(L, (lua_Integer)j + 1);
            lua_rawseti(L, -2, 2);
            lua_rawseti(L, -2, ++k);
        }
    return 1;
}

/* stats.describe(cov, w, names) -> Sw, corr: the product S w (a list) and
 * the correlation matrix keyed by name both ways, c_ij / (s_i s_j) with
 * s_i = sqrt(c_ii), or (i == j and 1 or 0) where s_i s_j is not positive */
static int l_describe(lua_State *L)
{
    size_t n;
    luaL_checktype(L, 3, LUA_TTABLE);
    const double *S = square_cov(L, "describe", &n);
    const double *w = laux_check_vector(L, 2, "describe", "w", n, LAUX_FINITE);
    double *sd = lua_newuserdatauv(L, n * sizeof *sd, 0);
    for (size_t i = 0; i < n; i++) sd[i] = sqrt(S[i * n + i]);
    if (lua_rawlen(L, 3) != n) luaL_error(L, "describe: names must have %d entries", (int)n);
    luaL_checkstack(L, (int)n + 8, "describe: names");
    for (size_t i = 1; i <= n; i++)
        if (lua_rawgeti(L, 3, (lua_Integer)i) != LUA_TSTRING) luaL_error(L, "describe: names[%d] must be a string", (int)i);
    int key0 = lua_gettop(L) - (int)n;   /* names[j] at key0 + j */
    lua_createtable(L, (int)n, 0);
    for (size_t i = 0; i < n; i++) {
        double s = 0;
        for (size_t j = 0; j < n; j++) s += S[i * n + j] * w[j];
        lua_pushnumber(L, s);
        lua_rawseti(L, -2, (lua_Integer)i + 1);
    }
    lua_createtable(L, 0, (int)n);
    for (size_t i = 0; i < n; i++) {
        lua_pushvalue(L, key0 + (int)i + 1);
        lua_createtable(L, 0, (int)n);
        for (size_t j = 0; j < n; j++) {
            double d = sd[i] * sd[j];
            lua_pushvalue(L, key0 + (int)j + 1);
            lua_pushnumber(L, d > 0 ? S[i * n + j] / d : (i == j ? 1 : 0));
            lua_rawset(L, -3);
        }
        lua_rawset(L, -3);
    }
    return 2;
}

/* stats.gather_rows(M, key) -> out, or nil, i, j: out[i][j] = M[key[i]][key[j]]
 * for i, j = 1..#key (align.matrix, which has checked the rows), or the
 * first (row by row) entry that is not a finite number */
static int l_gather_rows(lua_State *L)
{
    luaL_checktype(L, 1, LUA_TTABLE);
    luaL_checktype(L, 2, LUA_TTABLE);
    lua_settop(L, 2);
    lua_Integer n = (lua_Integer)lua_rawlen(L, 2);
    luaL_checkstack(L, 8, "gather_rows");
    lua_createtable(L, n < INT_MAX ? (int)n : 0, 0);   /* 3: out */
    for (lua_Integer i = 1; i <= n; i++) {
        lua_rawgeti(L, 2, i);
        if (lua_gettable(L, 1) != LUA_TTABLE) luaL_error(L, "gather_rows: M[key[%I]] is not a row", i);   /* 4 */
        lua_createtable(L, n < INT_MAX ? (int)n : 0, 0);   /* 5 */
        for (lua_Integer j = 1; j <= n; j++) {
            lua_rawgeti(L, 2, j);
            int isnum = lua_gettable(L, 4) == LUA_TNUMBER;
            if (!isnum || !isfinite(lua_tonumber(L, -1))) {
                lua_pushnil(L);
                lua_pushinteger(L, i);
                lua_pushinteger(L, j);
                return 3;
            }
            lua_rawseti(L, 5, j);
        }
        lua_rawseti(L, 3, i);
        lua_pop(L, 1);
    }
    return 1;
}

/* stats.solve(A, b) -> x, or nil when A is singular: A x = b for a small
 * dense system (n = #b, A n rows of n numbers) by Gaussian elimination
 * with partial pivoting. The Black-Litterman posterior and the bounded
 * least squares' subproblems (exposure.lua) use it. */
static int l_solve(lua_State *L)
{
    luaL_checktype(L, 1, LUA_TTABLE);
    luaL_checktype(L, 2, LUA_TTABLE);
    size_t n = lua_rawlen(L, 2), w = n + 1;
    if (lua_rawlen(L, 1) != n)
        luaL_error(L, "solve: A has %I rows, b %I entries", (lua_Integer)lua_rawlen(L, 1), (lua_Integer)n);
    if (n > 4096) luaL_error(L, "solve: %I unknowns is more than a small dense system", (lua_Integer)n);
    double *M = lua_newuserdatauv(L, (n * w + 1) * sizeof *M, 0);   /* [A | b], row-major */
    for (size_t i = 0; i < n; i++) {
        if (lua_rawgeti(L, 1, (lua_Integer)i + 1) != LUA_TTABLE || lua_rawlen(L, -1) != n)
            luaL_error(L, "solve: A[%I] is not a row of %I numbers", (lua_Integer)i + 1, (lua_Integer)n);
        for (size_t j = 0; j < n; j++) {
            if (lua_rawgeti(L, -1, (lua_Integer)j + 1) != LUA_TNUMBER)
                luaL_error(L, "solve: A[%I][%I] is not a number", (lua_Integer)i + 1, (lua_Integer)j + 1);
            M[i * w + j] = lua_tonumber(L, -1);
            lua_pop(L, 1);
        }
        lua_pop(L, 1);
        if (lua_rawgeti(L, 2, (lua_Integer)i + 1) != LUA_TNUMBER) luaL_error(L, "solve: b[%I] is not a number", (lua_Integer)i + 1);
        M[i * w + n] = lua_tonumber(L, -1);
        lua_pop(L, 1);
    }
    for (size_t c = 0; c < n; c++) {
        size_t p = c;
        for (size_t r = c + 1; r < n; r++)
            if (fabs(M[r * w + c]) > fabs(M[p * w + c])) p = r;
        if (M[p * w + c] == 0) {
            lua_pushnil(L);
            return 1;
        }
        for (size_t k = 0; p != c && k < w; k++) {
            double t = M[c * w + k];
            M[c * w + k] = M[p * w + k];
            M[p * w + k] = t;
        }
        for (size_t r = c + 1; r < n; r++) {
            double f = M[r * w + c] / M[c * w + c];
            if (f != 0)
                for (size_t k = c; k < w; k++) M[r * w + k] -= f * M[c * w + k];
        }
    }
    double *x = lua_newuserdatauv(L, (n + 1) * sizeof *x, 0);
    for (size_t r = n; r-- > 0;) {
        double s = M[r * w + n];
        for (size_t k = r + 1; k < n; k++) s -= M[r * w + k] * x[k];
        x[r] = s / M[r * w + r];
    }
    lua_createtable(L, (int)n, 0);
    for (size_t i = 0; i < n; i++) {
        lua_pushnumber(L, x[i]);
        lua_rawseti(L, -2, (lua_Integer)i + 1);
    }
    return 1;
}

static const luaL_Reg stats_funcs[] = {
    {"ledoit_wolf", l_ledoit_wolf},
    {"risk_parity", l_risk_parity},
    {"cov_pairwise", l_cov_pairwise}, {"cov_weighted", l_cov_weighted}, {"psd_repair", l_psd_repair},
    {"asymmetric", l_asymmetric}, {"correlated_pairs", l_correlated_pairs}, {"describe", l_describe},
    {"gather_rows", l_gather_rows}, {"solve", l_solve}, {NULL, NULL}
};

int luaopen_folio_stats(lua_State *L)
{
    luaL_newlib(L, stats_funcs);
    return 1;
}
