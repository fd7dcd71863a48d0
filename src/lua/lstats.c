/* folio.stats: the hot loops of the risk estimators in C: pairwise-complete
 * and weighted covariances, and the repair of a matrix to the nearest
 * positive semidefinite one. Columns are Lua arrays with nil holes. */
#include "lstats.h"
#include "laux.h"

#include <gsl/gsl_blas.h>
#include <gsl/gsl_eigen.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_linalg.h>
#include <lauxlib.h>
#include <math.h>
#include <stdlib.h>
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

/* stats.risk_parity(cov, budgets): long-only weights whose risk
 * contributions w_i (Sw)_i / w'Sw equal the budgets b_i (summing to 1).
 * Spinu's convex formulation: min 1/2 y'Sy - sum b_i log y_i, whose
 * optimum has y_i (Sy)_i = b_i; Newton's method with a step that keeps
 * y > 0, then w = y / sum y. Returns w and the iteration count. */
static int l_risk_parity(lua_State *L)
{
    size_t n;
    lua_settop(L, 2);
    double *S = laux_check_square(L, 1, "risk_parity", "cov", &n);
    const double *b0 = laux_check_vector(L, 2, "risk_parity", "budgets", n, LAUX_FINITE);
    double *b = lua_newuserdatauv(L, 6 * n * sizeof *b + n * n * sizeof *b, 0);
    double *y = b + n, *g = y + n, *d = g + n, *Sy = d + n, *yn = Sy + n, *H = yn + n;
    double bs = 0;
    for (size_t i = 0; i < n; i++) {
        b[i] = b0[i];
        if (!(b[i] > 0)) return luaL_error(L, "risk_parity: budgets[%d] must be positive", (int)i + 1);
        bs += b[i];
        if (!(S[i * n + i] > 0)) return luaL_error(L, "risk_parity: exposure %d has no variance", (int)i + 1);
    }
    for (size_t i = 0; i < n; i++) { b[i] /= bs; y[i] = sqrt(b[i] / S[i * n + i]); }
    gsl_matrix_view Sv = gsl_matrix_view_array(S, n, n), Hv = gsl_matrix_view_array(H, n, n);
    gsl_vector_view yv = gsl_vector_view_array(y, n), Syv = gsl_vector_view_array(Sy, n), dv = gsl_vector_view_array(d, n);
    gsl_error_handler_t *old = gsl_set_error_handler_off();
    int it, ok = 0;
    for (it = 0; it < 100; it++) {
        gsl_blas_dsymv(CblasLower, 1.0, &Sv.matrix, &yv.vector, 0.0, &Syv.vector);
        double gn = 0, f = 0;
        for (size_t i = 0; i < n; i++) {
            g[i] = Sy[i] - b[i] / y[i];
            gn = fmax(gn, fabs(g[i] * y[i]));     /* relative: y_i (Sy)_i - b_i */
            f += 0.5 * y[i] * Sy[i] - b[i] * log(y[i]);
        }
        if (gn <= 1e-14) { ok = 1; break; }
        memcpy(H, S, n * n * sizeof *H);
        for (size_t i = 0; i < n; i++) { H[i * n + i] += b[i] / (y[i] * y[i]); d[i] = -g[i]; }
        if (gsl_linalg_cholesky_decomp1(&Hv.matrix) != GSL_SUCCESS) break;
        gsl_linalg_cholesky_svx(&Hv.matrix, &dv.vector);
        /* backtracking: stay positive, decrease f */
        double step = 1;
        for (size_t i = 0; i < n; i++) if (d[i] < 0) step = fmin(step, -0.99 * y[i] / d[i]);
        double slope = 0;
        for (size_t i = 0; i < n; i++) slope += g[i] * d[i];
        /* near the optimum f no longer changes measurably: take the
         * (positive) Newton step as it is, where it converges quadratically */
        for (int ls = 0; ls < 60 && gn > 1e-8; ls++, step *= 0.5) {
            double fn = 0;
            for (size_t i = 0; i < n; i++) yn[i] = y[i] + step * d[i];
            gsl_vector_view ynv = gsl_vector_view_array(yn, n);
            gsl_blas_dsymv(CblasLower, 1.0, &Sv.matrix, &ynv.vector, 0.0, &Syv.vector);
            for (size_t i = 0; i < n; i++) fn += 0.5 * yn[i] * Sy[i] - b[i] * log(yn[i]);
            if (fn <= f + 1e-4 * step * slope || step < 1e-12) break;
        }
        if (gn <= 1e-8)
            for (size_t i = 0; i < n; i++) yn[i] = y[i] + step * d[i];
        memcpy(y, yn, n * sizeof *y);
    }
    gsl_set_error_handler(old);
    if (!ok) return luaL_error(L, "risk_parity: Newton's method did not converge in %d iterations", it);
    double sy = 0;
    for (size_t i = 0; i < n; i++) sy += y[i];
    lua_createtable(L, (int)n, 0);
    for (size_t i = 0; i < n; i++) {
        lua_pushnumber(L, y[i] / sy);
        lua_rawseti(L, -2, (lua_Integer)i + 1);
    }
    lua_pushinteger(L, it);
    return 2;
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

static const luaL_Reg stats_funcs[] = {
    {"ledoit_wolf", l_ledoit_wolf},
    {"risk_parity", l_risk_parity},
    {"cov_pairwise", l_cov_pairwise}, {"cov_weighted", l_cov_weighted}, {"psd_repair", l_psd_repair},
    {NULL, NULL}
};

int luaopen_folio_stats(lua_State *L)
{
    luaL_newlib(L, stats_funcs);
    return 1;
}
