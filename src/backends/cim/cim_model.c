/* The CIM portfolio energy, its gradient and Hessian, the projection onto
 * boxes and allocation limits, validation and the exact stationary point.
 * E(w) = -mu'w + (gamma/2) w'Theta w + sigma sum nu_i (w_i - Omega_i)^2
 *        + rho sum_k (u_k'w - lambda_k)^2 [+ sum nu_i sqrt((w_i - Omega_i)^2 + eps^2)]
 * (docs/cim.md derives it and corrects the design notes' signs). */
#include "cim_internal.h"

#include <gsl/gsl_blas.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_linalg.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int fail(char *msg, size_t len, const char *fmt, ...)
{
    if (msg && len) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(msg, len, fmt, ap);
        va_end(ap);
    }
    return -1;
}

static int check_sets(const char *what, size_t n, size_t k, const size_t *start, const int *idx,
                      char *msg, size_t len)
{
    if (k == 0) return 0;
    if (!start || !idx) return fail(msg, len, "%s: missing index lists", what);
    for (size_t g = 0; g < k; g++) {
        if (start[g + 1] < start[g]) return fail(msg, len, "%s %zu: bad index range", what, g + 1);
        if (start[g + 1] == start[g]) return fail(msg, len, "%s %zu is empty", what, g + 1);
        for (size_t a = start[g]; a < start[g + 1]; a++)
            if (idx[a] < 0 || (size_t)idx[a] >= n)
                return fail(msg, len, "%s %zu: asset index %d is out of range 1..%zu", what, g + 1, idx[a] + 1, n);
    }
    return 0;
}

int folio_cim_validate(const folio_cim_problem *p, char *msg, size_t len)
{
    size_t n = p->n;
    if (n == 0) return fail(msg, len, "no assets");
    if (!p->mu || !p->theta) return fail(msg, len, "mu and Theta are required");
    for (size_t i = 0; i < n; i++)
        if (!isfinite(p->mu[i])) return fail(msg, len, "mu[%zu] is not finite", i + 1);
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < n; j++) {
            double a = p->theta[i * n + j], b = p->theta[j * n + i];
            if (!isfinite(a)) return fail(msg, len, "Theta[%zu][%zu] is not finite", i + 1, j + 1);
            if (j > i && fabs(a - b) > 1e-12 * (1 + fabs(a) + fabs(b)))
                return fail(msg, len, "Theta is not symmetric (Theta[%zu][%zu] = %.17g, Theta[%zu][%zu] = %.17g)",
                            i + 1, j + 1, a, j + 1, i + 1, b);
        }
    if (!(p->gamma >= 0) || !isfinite(p->gamma)) return fail(msg, len, "gamma must be a finite number >= 0");
    if (p->ngroups && !(p->rho > 0 && isfinite(p->rho)))
        return fail(msg, len, "rho must be > 0 (got %g)", p->rho);
    if (check_sets("group", n, p->ngroups, p->group_start, p->group_idx, msg, len)) return -1;
    if (check_sets("limit", n, p->nlimits, p->limit_start, p->limit_idx, msg, len)) return -1;
    for (size_t k = 0; k < p->ngroups; k++)
        if (!isfinite(p->lambda[k])) return fail(msg, len, "lambda[%zu] is not finite", k + 1);
    if (p->nu)
        for (size_t i = 0; i < n; i++)
            if (!(p->nu[i] >= 0) || !isfinite(p->nu[i]))
                return fail(msg, len, "nu[%zu] must be a finite number >= 0 (got %g)", i + 1, p->nu[i]);
    if (p->omega)
        for (size_t i = 0; i < n; i++)
            if (!isfinite(p->omega[i])) return fail(msg, len, "Omega[%zu] is not finite", i + 1);
    if (!(p->sigma >= 0) || !isfinite(p->sigma)) return fail(msg, len, "sigma must be a finite number >= 0");
    if (!(p->l1_eps >= 0) || !isfinite(p->l1_eps)) return fail(msg, len, "the L1 smoothing must be >= 0");
    if (p->l1_eps > 0 && !p->nu) return fail(msg, len, "the L1 trading cost needs nu");
    for (size_t i = 0; i < n; i++) {
        double lo = p->lo ? p->lo[i] : -INFINITY, hi = p->hi ? p->hi[i] : INFINITY;
        if (isnan(lo) || isnan(hi) || lo > hi)
            return fail(msg, len, "asset %zu: lower limit %g above upper limit %g", i + 1, lo, hi);
        if (p->w0 && !isfinite(p->w0[i])) return fail(msg, len, "w0[%zu] is not finite", i + 1);
    }
    for (size_t k = 0; k < p->nlimits; k++) {
        if (isnan(p->limit_cap[k])) return fail(msg, len, "limit %zu: cap is not a number", k + 1);
        double least = 0;
        for (size_t a = p->limit_start[k]; a < p->limit_start[k + 1]; a++)
            least += p->lo ? p->lo[p->limit_idx[a]] : -INFINITY;
        if (least > p->limit_cap[k] + 1e-12 * (1 + fabs(least)))
            return fail(msg, len, "limit %zu: cap %g is below the sum of its lower limits %g", k + 1,
                        p->limit_cap[k], least);
    }
    return 0;
}

int cim_ctx_init(cim_ctx *c, const folio_cim_problem *p)
{
    memset(c, 0, sizeof *c);
    c->p = p;
    c->n = p->n;
    size_t n = p->n;
    c->tmp = malloc(n * sizeof *c->tmp);
    c->proj_v = malloc(n * sizeof *c->proj_v);
    c->bp = malloc(2 * n * sizeof *c->bp);
    c->pdiag = malloc(n * sizeof *c->pdiag);
    c->gbuf = malloc(n * sizeof *c->gbuf);
    c->proj_y = calloc(n * (p->nlimits + 1), sizeof *c->proj_y);
    if (!c->tmp || !c->proj_v || !c->bp || !c->pdiag || !c->gbuf || !c->proj_y) return -1;
    /* limits that share no asset project in one pass; otherwise Dykstra */
    c->disjoint = 1;
    if (p->nlimits > 1) {
        char *seen = calloc(n, 1);
        if (!seen) return -1;
        for (size_t a = 0; a < p->limit_start[p->nlimits]; a++) {
            if (seen[p->limit_idx[a]]) c->disjoint = 0;
            seen[p->limit_idx[a]] = 1;
        }
        free(seen);
    }
    /* H v only steers Newton's linear solves (the field itself is always
     * evaluated in double), so for large N it reads Theta in single
     * precision: half the memory traffic of a product that is bound by it */
    if (n >= 256) {
        c->theta_f = malloc(n * n * sizeof *c->theta_f);
        c->vf = malloc(n * sizeof *c->vf);
        c->of = malloc(n * sizeof *c->of);
        if (!c->theta_f || !c->vf || !c->of) return -1;
        for (size_t i = 0; i < n * n; i++) c->theta_f[i] = (float)p->theta[i];
    }
    /* U'U for splitting the residual along the group indicators */
    size_t K = p->ngroups;
    c->rbuf = malloc(n * sizeof *c->rbuf);
    c->cbuf = malloc((K + 1) * sizeof *c->cbuf);
    if (!c->rbuf || !c->cbuf) return -1;
    if (K) {
        c->utu = calloc(K * K, sizeof *c->utu);
        char *in = calloc(n, 1);
        if (!c->utu || !in) { free(in); return -1; }
        for (size_t k = 0; k < K; k++) {
            memset(in, 0, n);
            for (size_t a = p->group_start[k]; a < p->group_start[k + 1]; a++) in[p->group_idx[a]] = 1;
            for (size_t l = 0; l < K; l++)
                for (size_t a = p->group_start[l]; a < p->group_start[l + 1]; a++)
                    c->utu[k * K + l] += in[p->group_idx[a]];
        }
        free(in);
        gsl_error_handler_t *old = gsl_set_error_handler_off();
        gsl_matrix_view Mv = gsl_matrix_view_array(c->utu, K, K);
        if (gsl_linalg_cholesky_decomp1(&Mv.matrix) != GSL_SUCCESS) { free(c->utu); c->utu = NULL; }
        gsl_set_error_handler(old);
    }
    c->constrained = p->nlimits > 0;
    for (size_t i = 0; i < n && !c->constrained; i++)
        if ((p->lo && isfinite(p->lo[i])) || (p->hi && isfinite(p->hi[i]))) c->constrained = 1;
    if (!c->constrained) return 0;
    /* the tangent cone is a problem of the same shape: boxes with zero
     * sides at the active bounds, and the active limits with cap 0 */
    size_t nnz = p->nlimits ? p->limit_start[p->nlimits] : 0;
    c->tan_p = calloc(1, sizeof *c->tan_p);
    c->tan = calloc(1, sizeof *c->tan);
    c->tan_lo = malloc(n * sizeof *c->tan_lo);
    c->tan_hi = malloc(n * sizeof *c->tan_hi);
    c->tan_cap = calloc(p->nlimits + 1, sizeof *c->tan_cap);
    c->tan_start = calloc(p->nlimits + 1, sizeof *c->tan_start);
    c->tan_idx = malloc((nnz + 1) * sizeof *c->tan_idx);
    c->clamped = calloc(n, 1);
    c->active = malloc((p->nlimits + 1) * sizeof *c->active);
    if (!c->tan_p || !c->tan || !c->tan_lo || !c->tan_hi || !c->tan_cap || !c->tan_start || !c->tan_idx ||
        !c->clamped || !c->active)
        return -1;
    *c->tan_p = *p;
    c->tan_p->lo = c->tan_lo;
    c->tan_p->hi = c->tan_hi;
    c->tan_p->limit_start = c->tan_start;
    c->tan_p->limit_idx = c->tan_idx;
    c->tan_p->limit_cap = c->tan_cap;
    folio_cim_problem shape = *c->tan_p;
    shape.lo = shape.hi = NULL;
    shape.nlimits = 0;
    if (cim_ctx_init(c->tan, &shape)) return -1;
    c->tan->p = c->tan_p;
    c->tan->disjoint = c->disjoint;
    c->tan->constrained = 1;
    /* Dykstra's increments for up to every limit */
    free(c->tan->proj_y);
    c->tan->proj_y = calloc(n * (p->nlimits + 1), sizeof *c->tan->proj_y);
    return c->tan->proj_y ? 0 : -1;
}

void cim_ctx_free(cim_ctx *c)
{
    if (!c) return;
    if (c->tan) cim_ctx_free(c->tan);
    free(c->tan);
    free(c->tan_p);
    free(c->tan_lo);
    free(c->tan_hi);
    free(c->tan_cap);
    free(c->tan_start);
    free(c->tan_idx);
    free(c->clamped);
    free(c->active);
    free(c->tmp);
    free(c->proj_v);
    free(c->proj_y);
    free(c->bp);
    free(c->pdiag);
    free(c->gbuf);
    free(c->utu);
    free(c->theta_f);
    free(c->vf);
    free(c->of);
    free(c->rbuf);
    free(c->cbuf);
    memset(c, 0, sizeof *c);
}

/* out = a Theta v, row by row: a plain loop, since a threaded BLAS call
 * costs more than the product at the sizes a right-hand side sees */
static void theta_times(const double *T, size_t n, double a, const double *v, double *out)
{
    if (n >= 64) {
        /* large enough for BLAS (single-threaded in the CLI) to pay; the
         * symmetric product reads half of Theta, and at N = 1,000 the
         * product is bound by memory traffic */
        gsl_matrix_const_view Tv = gsl_matrix_const_view_array(T, n, n);
        gsl_vector_const_view vv = gsl_vector_const_view_array(v, n);
        gsl_vector_view ov = gsl_vector_view_array(out, n);
        gsl_blas_dsymv(CblasUpper, a, &Tv.matrix, &vv.vector, 0.0, &ov.vector);
        return;
    }
    for (size_t i = 0; i < n; i++) {
        const double *row = T + i * n;
        double s = 0;
        for (size_t j = 0; j < n; j++) s += row[j] * v[j];
        out[i] = a * s;
    }
}

double cim_energy_grad(const cim_ctx *c, const double *w, double *g)
{
    const folio_cim_problem *p = c->p;
    size_t n = c->n;
    double *tw = c->tmp;   /* Theta w */
    theta_times(p->theta, n, 1.0, w, tw);
    double e = 0;
    for (size_t i = 0; i < n; i++) {
        e += -p->mu[i] * w[i] + 0.5 * p->gamma * w[i] * tw[i];
        if (g) g[i] = -p->mu[i] + p->gamma * tw[i];
    }
    if (p->nu) {
        for (size_t i = 0; i < n; i++) {
            double d = w[i] - (p->omega ? p->omega[i] : 0);
            e += p->sigma * p->nu[i] * d * d;
            if (g) g[i] += 2 * p->sigma * p->nu[i] * d;
            if (p->l1_eps > 0) {
                double r = sqrt(d * d + p->l1_eps * p->l1_eps);
                e += p->nu[i] * r;
                if (g) g[i] += p->nu[i] * d / r;
            }
        }
    }
    /* U = rho sum_k (u_k'w - lambda_k)^2: its gradient is 2 rho sum_k (u_k'w - lambda_k) u_k */
    for (size_t k = 0; k < p->ngroups; k++) {
        double s = -p->lambda[k];
        for (size_t a = p->group_start[k]; a < p->group_start[k + 1]; a++) s += w[p->group_idx[a]];
        e += p->rho * s * s;
        if (g)
            for (size_t a = p->group_start[k]; a < p->group_start[k + 1]; a++) g[p->group_idx[a]] += 2 * p->rho * s;
    }
    return e;
}

/* the L1 cost's curvature nu_i eps^2 / (d^2 + eps^2)^(3/2) */
static double l1_curv(const folio_cim_problem *p, const double *w, size_t i)
{
    double d = w[i] - (p->omega ? p->omega[i] : 0);
    double r2 = d * d + p->l1_eps * p->l1_eps;
    return p->nu[i] * p->l1_eps * p->l1_eps / (r2 * sqrt(r2));
}

void cim_hess_vec(const cim_ctx *c, const double *w, const double *v, double *out)
{
    const folio_cim_problem *p = c->p;
    size_t n = c->n;
    if (c->theta_f) {
        for (size_t i = 0; i < n; i++) c->vf[i] = (float)v[i];
        gsl_matrix_float_const_view Tv = gsl_matrix_float_const_view_array(c->theta_f, n, n);
        gsl_vector_float_const_view vv = gsl_vector_float_const_view_array(c->vf, n);
        gsl_vector_float_view ov = gsl_vector_float_view_array(c->of, n);
        gsl_blas_ssymv(CblasUpper, (float)p->gamma, &Tv.matrix, &vv.vector, 0.0f, &ov.vector);
        for (size_t i = 0; i < n; i++) out[i] = (double)c->of[i];
    } else {
        theta_times(p->theta, n, p->gamma, v, out);
    }
    if (p->nu)
        for (size_t i = 0; i < n; i++) {
            out[i] += 2 * p->sigma * p->nu[i] * v[i];
            if (p->l1_eps > 0) out[i] += l1_curv(p, w, i) * v[i];
        }
    for (size_t k = 0; k < p->ngroups; k++) {
        double s = 0;
        for (size_t a = p->group_start[k]; a < p->group_start[k + 1]; a++) s += v[p->group_idx[a]];
        for (size_t a = p->group_start[k]; a < p->group_start[k + 1]; a++) out[p->group_idx[a]] += 2 * p->rho * s;
    }
}

void cim_hess_diag(const cim_ctx *c, const double *w, double *d)
{
    const folio_cim_problem *p = c->p;
    size_t n = c->n;
    for (size_t i = 0; i < n; i++) {
        d[i] = p->gamma * p->theta[i * n + i];
        if (p->nu) d[i] += 2 * p->sigma * p->nu[i] + (p->l1_eps > 0 ? l1_curv(p, w, i) : 0);
    }
    for (size_t k = 0; k < p->ngroups; k++)
        for (size_t a = p->group_start[k]; a < p->group_start[k + 1]; a++) d[p->group_idx[a]] += 2 * p->rho;
}

void cim_hess_dense(const cim_ctx *c, const double *w, double *H)
{
    const folio_cim_problem *p = c->p;
    size_t n = c->n;
    for (size_t i = 0; i < n * n; i++) H[i] = p->gamma * p->theta[i];
    if (p->nu)
        for (size_t i = 0; i < n; i++)
            H[i * n + i] += 2 * p->sigma * p->nu[i] + (p->l1_eps > 0 ? l1_curv(p, w, i) : 0);
    for (size_t k = 0; k < p->ngroups; k++)
        for (size_t a = p->group_start[k]; a < p->group_start[k + 1]; a++)
            for (size_t b = p->group_start[k]; b < p->group_start[k + 1]; b++)
                H[(size_t)p->group_idx[a] * n + (size_t)p->group_idx[b]] += 2 * p->rho;
}

static double clampd(double v, double lo, double hi) { return v < lo ? lo : v > hi ? hi : v; }

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Projects v onto {lo <= w <= hi} restricted to limit k's assets with
 * sum <= cap: w_i = clamp(v_i - tau) with the smallest tau >= 0 that meets
 * the cap. phi(tau) = sum clamp(v_i - tau) is piecewise linear and
 * nonincreasing; its breakpoints are sorted and the segment solved exactly. */
static void project_limit(cim_ctx *c, size_t k, const double *v, double *out)
{
    const folio_cim_problem *p = c->p;
    size_t s = p->limit_start[k], e = p->limit_start[k + 1];
    double lo_def = -INFINITY, hi_def = INFINITY;
#define LO(i) (p->lo ? p->lo[i] : lo_def)
#define HI(i) (p->hi ? p->hi[i] : hi_def)
    double sum = 0;
    for (size_t a = s; a < e; a++) {
        int i = p->limit_idx[a];
        sum += clampd(v[i], LO(i), HI(i));
    }
    if (sum <= p->limit_cap[k]) {
        for (size_t a = s; a < e; a++) { int i = p->limit_idx[a]; out[i] = clampd(v[i], LO(i), HI(i)); }
        return;
    }
    size_t nb = 0;
    for (size_t a = s; a < e; a++) {
        int i = p->limit_idx[a];
        if (isfinite(HI(i))) c->bp[nb++] = v[i] - HI(i);
        if (isfinite(LO(i))) c->bp[nb++] = v[i] - LO(i);
    }
    qsort(c->bp, nb, sizeof *c->bp, cmp_double);
    /* phi at tau, and its slope (minus the number of free assets) */
    double tau_lo = 0, tau = 0;
    for (size_t b = 0; b <= nb; b++) {
        double t1 = b < nb ? c->bp[b] : INFINITY;
        if (t1 <= tau_lo) continue;
        /* on (tau_lo, t1) phi is linear: phi(t) = base - free * (t - tau_lo) */
        double base = 0, free_n = 0;
        double mid = isfinite(t1) ? 0.5 * (tau_lo + t1) : tau_lo + 1;
        for (size_t a = s; a < e; a++) {
            int i = p->limit_idx[a];
            double x = v[i] - mid;
            if (x > LO(i) && x < HI(i)) { free_n += 1; base += v[i] - tau_lo; }
            else base += x <= LO(i) ? LO(i) : HI(i);
        }
        double at_t1 = isfinite(t1) ? base - free_n * (t1 - tau_lo) : -INFINITY;
        if (at_t1 <= p->limit_cap[k] || !isfinite(t1)) {
            tau = free_n > 0 ? tau_lo + (base - p->limit_cap[k]) / free_n : tau_lo;
            break;
        }
        tau_lo = t1;
    }
    for (size_t a = s; a < e; a++) { int i = p->limit_idx[a]; out[i] = clampd(v[i] - tau, LO(i), HI(i)); }
#undef LO
#undef HI
}

void cim_project(cim_ctx *c, const double *v, double *out)
{
    const folio_cim_problem *p = c->p;
    size_t n = c->n;
    if (!c->constrained) {
        if (out != v) memcpy(out, v, n * sizeof *out);
        return;
    }
    c->nproj++;
    double lo_def = -INFINITY, hi_def = INFINITY;
    if (out == v && p->nlimits) {   /* the limits read v after the boxes wrote out */
        memcpy(c->proj_v, v, n * sizeof *v);
        v = c->proj_v;
    }
    if (p->nlimits == 0 || c->disjoint) {
        for (size_t i = 0; i < n; i++)
            out[i] = clampd(v[i], p->lo ? p->lo[i] : lo_def, p->hi ? p->hi[i] : hi_def);
        for (size_t k = 0; k < p->nlimits; k++) project_limit(c, k, v, out);
        return;
    }
    /* overlapping limits: Dykstra's alternating projections onto
     * C_k = box ∩ {sum_{I_k} w <= cap_k}, which converge to the projection
     * onto their intersection */
    size_t K = p->nlimits;
    double *x = c->proj_v, *y = c->proj_y;
    if (x != v) memcpy(x, v, n * sizeof *x);
    memset(y, 0, n * K * sizeof *y);
    double *z = c->tmp;
    for (int it = 0; it < 10000; it++) {
        double change = 0;
        for (size_t k = 0; k < K; k++) {
            double *yk = y + k * n;
            for (size_t i = 0; i < n; i++) z[i] = x[i] + yk[i];
            for (size_t i = 0; i < n; i++) out[i] = clampd(z[i], p->lo ? p->lo[i] : lo_def, p->hi ? p->hi[i] : hi_def);
            project_limit(c, k, z, out);
            for (size_t i = 0; i < n; i++) {
                change = fmax(change, fabs(out[i] - x[i]));
                yk[i] = z[i] - out[i];
                x[i] = out[i];
            }
        }
        if (change <= 1e-15 * (1 + fabs(x[0]))) break;
    }
}

double cim_violation(const cim_ctx *c, const double *w)
{
    const folio_cim_problem *p = c->p;
    double v = 0;
    for (size_t i = 0; i < c->n; i++) {
        if (p->lo) v = fmax(v, p->lo[i] - w[i]);
        if (p->hi) v = fmax(v, w[i] - p->hi[i]);
    }
    for (size_t k = 0; k < p->nlimits; k++) {
        double s = 0;
        for (size_t a = p->limit_start[k]; a < p->limit_start[k + 1]; a++) s += w[p->limit_idx[a]];
        v = fmax(v, s - p->limit_cap[k]);
    }
    return v;
}

void cim_field(cim_ctx *c, const double *w, double *f)
{
    const folio_cim_problem *p = c->p;
    size_t n = c->n;
    cim_energy_grad(c, w, f);
    for (size_t i = 0; i < n; i++) f[i] = -f[i];
    if (!c->constrained) return;
    for (size_t i = 0; i < n; i++) {
        double lo = p->lo ? p->lo[i] : -INFINITY, hi = p->hi ? p->hi[i] : INFINITY;
        c->tan_lo[i] = (isfinite(lo) && w[i] <= lo + CIM_BAND * (1 + fabs(lo))) ? 0 : -INFINITY;
        c->tan_hi[i] = (isfinite(hi) && w[i] >= hi - CIM_BAND * (1 + fabs(hi))) ? 0 : INFINITY;
    }
    size_t k2 = 0, nnz = 0;
    for (size_t k = 0; k < p->nlimits; k++) {
        double s = 0;
        for (size_t a = p->limit_start[k]; a < p->limit_start[k + 1]; a++) s += w[p->limit_idx[a]];
        if (s < p->limit_cap[k] - CIM_BAND * (1 + fabs(p->limit_cap[k]))) continue;
        c->tan_start[k2] = nnz;
        for (size_t a = p->limit_start[k]; a < p->limit_start[k + 1]; a++) c->tan_idx[nnz++] = p->limit_idx[a];
        c->tan_cap[k2] = 0;
        c->active[k2++] = k;
    }
    c->tan_start[k2] = nnz;
    c->tan_p->nlimits = k2;
    cim_project(c->tan, f, f);
    c->nproj--;   /* count projections of states only */
    /* the active set: held at a bound, or a limit whose members' field sums to 0 */
    for (size_t i = 0; i < n; i++) c->clamped[i] = (c->tan_lo[i] == 0 || c->tan_hi[i] == 0) && f[i] == 0;
    c->nactive = 0;
    for (size_t k = 0; k < k2; k++) {
        double s = 0, mag = 0;
        for (size_t a = c->tan_start[k]; a < c->tan_start[k + 1]; a++) {
            s += f[c->tan_idx[a]];
            mag += fabs(f[c->tan_idx[a]]);
        }
        if (fabs(s) <= 1e-12 * (1 + mag)) c->active[c->nactive++] = c->active[k];
    }
}

int cim_snap(cim_ctx *c, double *w)
{
    if (!c->constrained) return 0;
    const folio_cim_problem *p = c->p;
    int changed = 0;
    if (cim_violation(c, w) > 0) {
        cim_project(c, w, w);
        changed = 1;
    }
    /* only what the field pushes outward is put on its bound: a state
     * leaving a bound must be free to leave the band */
    double *g = c->gbuf;
    cim_energy_grad(c, w, g);
    for (size_t i = 0; i < c->n; i++) {
        double lo = p->lo ? p->lo[i] : -INFINITY, hi = p->hi ? p->hi[i] : INFINITY;
        if (isfinite(lo) && w[i] != lo && w[i] <= lo + CIM_BAND * (1 + fabs(lo)) && g[i] >= 0) { w[i] = lo; changed = 1; }
        if (isfinite(hi) && w[i] != hi && w[i] >= hi - CIM_BAND * (1 + fabs(hi)) && g[i] <= 0) { w[i] = hi; changed = 1; }
    }
    for (size_t k = 0; k < p->nlimits; k++) {
        double s = 0, gs = 0, cap = p->limit_cap[k];
        size_t nfree = 0;
        for (size_t a = p->limit_start[k]; a < p->limit_start[k + 1]; a++) {
            int i = p->limit_idx[a];
            s += w[i];
            if ((!p->lo || w[i] > p->lo[i]) && (!p->hi || w[i] < p->hi[i])) { nfree++; gs += g[i]; }
        }
        if (s >= cap || s < cap - CIM_BAND * (1 + fabs(cap)) || nfree == 0 || gs > 0) continue;
        /* onto the face: the free members share the gap, within their boxes */
        double step = (cap - s) / (double)nfree;
        for (size_t a = p->limit_start[k]; a < p->limit_start[k + 1]; a++) {
            int i = p->limit_idx[a];
            if ((!p->lo || w[i] > p->lo[i]) && (!p->hi || w[i] < p->hi[i])) {
                w[i] += step;
                if (p->hi && w[i] > p->hi[i]) w[i] = p->hi[i];
            }
        }
        changed = 1;
    }
    if (changed && cim_violation(c, w) > 0) cim_project(c, w, w);
    return changed;
}

void cim_active_op(const cim_ctx *c, double *v)
{
    if (!c->constrained) return;
    const folio_cim_problem *p = c->p;
    for (size_t i = 0; i < c->n; i++) if (c->clamped[i]) v[i] = 0;
    /* one pass projects onto disjoint active limits; overlapping ones need
     * alternating passes (von Neumann), which converge to the projector */
    int passes = (c->disjoint || c->nactive < 2) ? 1 : 200;
    for (int it = 0; it < passes; it++) {
        double worst = 0;
        for (size_t m = 0; m < c->nactive; m++) {
            size_t k = c->active[m];
            double s = 0, cnt = 0, mag = 0;
            for (size_t a = p->limit_start[k]; a < p->limit_start[k + 1]; a++)
                if (!c->clamped[p->limit_idx[a]]) { s += v[p->limit_idx[a]]; cnt += 1; mag += fabs(v[p->limit_idx[a]]); }
            if (cnt > 0)
                for (size_t a = p->limit_start[k]; a < p->limit_start[k + 1]; a++)
                    if (!c->clamped[p->limit_idx[a]]) v[p->limit_idx[a]] -= s / cnt;
            worst = fmax(worst, fabs(s) / (1e-300 + mag));
        }
        if (worst <= 1e-15) break;
    }
}

double cim_stop_measure(cim_ctx *c, const double *w, double tol, int *floored)
{
    const folio_cim_problem *p = c->p;
    size_t n = c->n, K = p->ngroups;
    double *r = c->rbuf, *cc = c->cbuf;
    cim_energy_grad(c, w, r);
    for (size_t i = 0; i < n; i++) r[i] = w[i] - r[i];
    cim_project(c, r, r);
    for (size_t i = 0; i < n; i++) r[i] = w[i] - r[i];
    if (floored) *floored = 0;
    if (!K || !c->utu) {
        double s = 0;
        for (size_t i = 0; i < n; i++) s += r[i] * r[i];
        return sqrt(s) - tol;
    }
    /* r = U c + r_perp with c = (U'U)^-1 U'r */
    for (size_t k = 0; k < K; k++) {
        cc[k] = 0;
        for (size_t a = p->group_start[k]; a < p->group_start[k + 1]; a++) cc[k] += r[p->group_idx[a]];
    }
    gsl_matrix_view Mv = gsl_matrix_view_array(c->utu, K, K);
    gsl_vector_view cv = gsl_vector_view_array(cc, K);
    gsl_linalg_cholesky_svx(&Mv.matrix, &cv.vector);
    for (size_t k = 0; k < K; k++)
        for (size_t a = p->group_start[k]; a < p->group_start[k + 1]; a++) r[p->group_idx[a]] -= cc[k];
    double s = 0;
    for (size_t i = 0; i < n; i++) s += r[i] * r[i];
    double m = sqrt(s) - tol;
    for (size_t k = 0; k < K; k++) {
        /* u_k'w is known to about 16 eps (sum |w_i| + |lambda_k|) */
        double abs_sum = fabs(p->lambda[k]);
        for (size_t a = p->group_start[k]; a < p->group_start[k + 1]; a++) abs_sum += fabs(w[p->group_idx[a]]);
        double root = sqrt((double)(p->group_start[k + 1] - p->group_start[k]));
        double floor_k = 2 * p->rho * 16 * 2.220446049250313e-16 * abs_sum * root;
        double along = fabs(cc[k]) * root;
        if (floored && along > tol && along - tol <= floor_k) *floored = 1;
        m = fmax(m, along - tol - floor_k);
    }
    return m;
}

double cim_residual(cim_ctx *c, const double *w)
{
    size_t n = c->n;
    double *g = malloc(n * sizeof *g);
    if (!g) return INFINITY;
    cim_energy_grad(c, w, g);
    for (size_t i = 0; i < n; i++) g[i] = w[i] - g[i];
    cim_project(c, g, g);
    double s = 0;
    for (size_t i = 0; i < n; i++) s += (w[i] - g[i]) * (w[i] - g[i]);
    free(g);
    return sqrt(s);
}

double folio_cim_energy(const folio_cim_problem *p, const double *w, double *grad)
{
    cim_ctx c;
    if (cim_ctx_init(&c, p)) { cim_ctx_free(&c); return NAN; }
    double e = cim_energy_grad(&c, w, grad);
    cim_ctx_free(&c);
    return e;
}

/* Solves H x = r in place (H overwritten): Cholesky, else LU */
static int solve_sym(double *H, double *r, size_t n, int *used_lu)
{
    gsl_matrix_view Hv = gsl_matrix_view_array(H, n, n);
    gsl_vector_view rv = gsl_vector_view_array(r, n);
    double *copy = malloc(n * n * sizeof *copy);
    if (!copy) return -1;
    memcpy(copy, H, n * n * sizeof *copy);
    gsl_error_handler_t *old = gsl_set_error_handler_off();
    int rc = gsl_linalg_cholesky_decomp1(&Hv.matrix);
    if (rc == GSL_SUCCESS) {
        gsl_linalg_cholesky_svx(&Hv.matrix, &rv.vector);
        *used_lu = 0;
    } else {
        gsl_matrix_view Cv = gsl_matrix_view_array(copy, n, n);
        gsl_permutation *perm = gsl_permutation_alloc(n);
        int sgn;
        rc = perm ? gsl_linalg_LU_decomp(&Cv.matrix, perm, &sgn) : GSL_ENOMEM;
        if (rc == GSL_SUCCESS) {
            double amax = 0, dmin = INFINITY;
            for (size_t i = 0; i < n; i++) {
                amax = fmax(amax, fabs(copy[i * n + i]));
                dmin = fmin(dmin, fabs(copy[i * n + i]));
            }
            rc = dmin <= 1e-14 * amax ? GSL_ESING : gsl_linalg_LU_svx(&Cv.matrix, perm, &rv.vector);
        }
        gsl_permutation_free(perm);
        *used_lu = 1;
    }
    gsl_set_error_handler(old);
    free(copy);
    return rc == GSL_SUCCESS ? 0 : -1;
}

/* Without the L1 term, by Woodbury on H = H0 + 2 rho U U' with H0 =
 * gamma Theta + 2 sigma diag(nu): w = y + Z c, y = H0^-1 (mu + 2 sigma
 * nu.*Omega), Z = H0^-1 U, (I / (2 rho) + U'Z) c = lambda - U'y. Unlike a
 * factorisation of H (condition number ~ rho N / lambda_min), it stays
 * accurate as rho grows. Returns 0, or -1 when H0 is not positive definite. */
static int exact_woodbury(const folio_cim_problem *p, double *w)
{
    size_t n = p->n, K = p->ngroups;
    double *H0 = malloc(n * n * sizeof *H0), *Z = malloc(n * (K + 1) * sizeof *Z);
    double *S = malloc((K * K + 1) * sizeof *S), *c = malloc((K + 1) * sizeof *c);
    int rc = -1;
    if (!H0 || !Z || !S || !c) goto done;
    for (size_t i = 0; i < n * n; i++) H0[i] = p->gamma * p->theta[i];
    for (size_t i = 0; i < n; i++) {
        double d = p->nu ? 2 * p->sigma * p->nu[i] : 0;
        H0[i * n + i] += d;
        w[i] = p->mu[i] + d * (p->omega ? p->omega[i] : 0);
    }
    gsl_error_handler_t *old = gsl_set_error_handler_off();
    gsl_matrix_view Hv = gsl_matrix_view_array(H0, n, n);
    int ok = gsl_linalg_cholesky_decomp1(&Hv.matrix) == GSL_SUCCESS;
    if (ok) {
        gsl_vector_view yv = gsl_vector_view_array(w, n);
        gsl_linalg_cholesky_svx(&Hv.matrix, &yv.vector);
        for (size_t k = 0; k < K; k++) {
            double *z = Z + k * n;
            memset(z, 0, n * sizeof *z);
            for (size_t a = p->group_start[k]; a < p->group_start[k + 1]; a++) z[p->group_idx[a]] = 1;
            gsl_vector_view zv = gsl_vector_view_array(z, n);
            gsl_linalg_cholesky_svx(&Hv.matrix, &zv.vector);
        }
        for (size_t k = 0; k < K; k++) {
            double uy = 0;
            for (size_t a = p->group_start[k]; a < p->group_start[k + 1]; a++) uy += w[p->group_idx[a]];
            c[k] = p->lambda[k] - uy;
            for (size_t l = 0; l < K; l++) {
                double uz = 0;
                for (size_t a = p->group_start[k]; a < p->group_start[k + 1]; a++) uz += Z[l * n + p->group_idx[a]];
                S[k * K + l] = uz + (k == l ? 1 / (2 * p->rho) : 0);
            }
        }
        gsl_matrix_view Sv = gsl_matrix_view_array(S, K, K);
        gsl_vector_view cv = gsl_vector_view_array(c, K);
        ok = gsl_linalg_cholesky_decomp1(&Sv.matrix) == GSL_SUCCESS &&
             gsl_linalg_cholesky_svx(&Sv.matrix, &cv.vector) == GSL_SUCCESS;
        if (ok)
            for (size_t k = 0; k < K; k++)
                for (size_t i = 0; i < n; i++) w[i] += Z[k * n + i] * c[k];
    }
    gsl_set_error_handler(old);
    rc = ok ? 0 : -1;
done:
    free(H0);
    free(Z);
    free(S);
    free(c);
    return rc;
}

int folio_cim_exact(const folio_cim_problem *p, double *w, char *msg, size_t len)
{
    if (folio_cim_validate(p, msg, len)) return -1;
    if (p->l1_eps == 0 && p->ngroups > 0 && exact_woodbury(p, w) == 0) return 0;
    size_t n = p->n;
    cim_ctx c;
    memset(&c, 0, sizeof c);   /* freed below even when init is never reached */
    double *H = malloc(n * n * sizeof *H), *r = malloc(n * sizeof *r), *g = malloc(n * sizeof *g);
    int rc = -1, lu = 0;
    if (!H || !r || !g || cim_ctx_init(&c, p)) {
        fail(msg, len, "out of memory");
        goto done;
    }
    /* Newton on the smooth energy from 0: one step when E is quadratic
     * (no L1 term), a few damped steps otherwise */
    memset(w, 0, n * sizeof *w);
    for (int it = 0; it < 500; it++) {
        double e0 = cim_energy_grad(&c, w, g);
        cim_hess_dense(&c, w, H);
        for (size_t i = 0; i < n; i++) r[i] = -g[i];
        if (solve_sym(H, r, n, &lu)) {
            fail(msg, len, "the Hessian gamma*Theta + 2 sigma diag(nu) + 2 rho U U' is singular");
            goto done;
        }
        /* converged when the Newton step is at rounding level */
        double sn = 0, wn = 0;
        for (size_t i = 0; i < n; i++) { sn = fmax(sn, fabs(r[i])); wn = fmax(wn, fabs(w[i])); }
        if (it > 0 && sn <= 1e-14 * (1 + wn)) { rc = 0; break; }
        double step = 1;
        for (int ls = 0; ls < 60 && p->l1_eps > 0; ls++) {
            for (size_t i = 0; i < n; i++) g[i] = w[i] + step * r[i];
            if (cim_energy_grad(&c, g, NULL) <= e0) break;
            step *= 0.5;
        }
        for (size_t i = 0; i < n; i++) w[i] += step * r[i];
        if (p->l1_eps == 0) { rc = 0; break; }
    }
    if (rc) fail(msg, len, "Newton's method did not converge");
    else if (lu && msg && len) snprintf(msg, len, "H is not positive definite: solved by LU");
done:
    cim_ctx_free(&c);
    free(H);
    free(r);
    free(g);
    return rc;
}
