/* Operations on the cone K = R^l_+ x Q^{d_1} x ... : Nesterov-Todd
 * scaling, Jordan product and division, step to the boundary. */
#include "qp_cone.h"

#include <math.h>
#include <string.h>

static double dot(const double *a, const double *b, size_t n)
{
    double s = 0;
    for (size_t i = 0; i < n; i++) s += a[i] * b[i];
    return s;
}

/* u0^2 - ||u1||^2 */
static double soc_det(const double *u, size_t d)
{
    return u[0] * u[0] - dot(u + 1, u + 1, d - 1);
}

int qp_scaling_update(qp_scaling *W, const double *s, const double *z)
{
    size_t l = W->l;
    for (size_t i = 0; i < l; i++) {
        if (!(s[i] > 0) || !(z[i] > 0)) return -1;
        W->w[i] = sqrt(s[i] / z[i]);
        W->lambda[i] = sqrt(s[i] * z[i]);
    }
    size_t off = l;
    for (size_t k = 0; k < W->ncones; k++) {
        size_t d = W->dim[k];
        const double *sk = s + off, *zk = z + off;
        double ds = soc_det(sk, d), dz = soc_det(zk, d);
        if (!(ds > 0) || !(dz > 0) || !(sk[0] > 0) || !(zk[0] > 0)) return -1;
        double sn = sqrt(ds), zn = sqrt(dz);
        /* normalised points and their NT scaling point w = (sb + J zb) / (2 gamma) */
        double sz = 0;
        for (size_t i = 0; i < d; i++) sz += (sk[i] / sn) * (zk[i] / zn);
        double gamma = sqrt((1 + sz) / 2);
        double *wb = W->wbar + off;
        wb[0] = (sk[0] / sn + zk[0] / zn) / (2 * gamma);
        for (size_t i = 1; i < d; i++) wb[i] = (sk[i] / sn - zk[i] / zn) / (2 * gamma);
        W->beta[k] = sqrt(sn / zn);
        off += d;
    }
    /* lambda = W z on the cones */
    off = l;
    for (size_t k = 0; k < W->ncones; k++) {
        qp_scale_block(W, k, off, z + off, W->lambda + off, 0);
        off += W->dim[k];
    }
    return 0;
}

void qp_scale_block(const qp_scaling *W, size_t k, size_t off, const double *u, double *out, int inverse)
{
    size_t d = W->dim[k];
    const double *wb = W->wbar + off;
    double beta = inverse ? 1.0 / W->beta[k] : W->beta[k];
    /* W = beta [w0 w1'; w1 I + w1 w1'/(1 + w0)], W^{-1} = (1/beta) J Wbar J */
    double sgn = inverse ? -1.0 : 1.0;
    double w1u1 = dot(wb + 1, u + 1, d - 1);
    double u0 = u[0];
    double o0 = wb[0] * u0 + sgn * w1u1;
    double coef = sgn * u0 + w1u1 / (1 + wb[0]);
    out[0] = beta * o0;
    for (size_t i = 1; i < d; i++) out[i] = beta * (u[i] + coef * wb[i]);
}

void qp_scale(const qp_scaling *W, const double *u, double *out, int inverse)
{
    for (size_t i = 0; i < W->l; i++) out[i] = inverse ? u[i] / W->w[i] : u[i] * W->w[i];
    size_t off = W->l;
    for (size_t k = 0; k < W->ncones; k++) {
        qp_scale_block(W, k, off, u + off, out + off, inverse);
        off += W->dim[k];
    }
}

void qp_jprod(const qp_scaling *W, const double *u, const double *v, double *out)
{
    for (size_t i = 0; i < W->l; i++) out[i] = u[i] * v[i];
    size_t off = W->l;
    for (size_t k = 0; k < W->ncones; k++) {
        size_t d = W->dim[k];
        const double *uk = u + off, *vk = v + off;
        double *ok = out + off;
        double u0 = uk[0], v0 = vk[0];
        double p0 = dot(uk, vk, d);
        for (size_t i = 1; i < d; i++) ok[i] = u0 * vk[i] + v0 * uk[i];
        ok[0] = p0;
        off += d;
    }
}

void qp_jdiv(const qp_scaling *W, const double *lam, const double *r, double *out)
{
    for (size_t i = 0; i < W->l; i++) out[i] = r[i] / lam[i];
    size_t off = W->l;
    for (size_t k = 0; k < W->ncones; k++) {
        size_t d = W->dim[k];
        const double *lk = lam + off, *rk = r + off;
        double *ok = out + off;
        double det = soc_det(lk, d);
        double l1r1 = dot(lk + 1, rk + 1, d - 1);
        double x0 = (lk[0] * rk[0] - l1r1) / det;
        for (size_t i = 1; i < d; i++) ok[i] = (rk[i] - x0 * lk[i]) / lk[0];
        ok[0] = x0;
        off += d;
    }
}

void qp_add_identity(const qp_scaling *W, double *u, double alpha)
{
    for (size_t i = 0; i < W->l; i++) u[i] += alpha;
    size_t off = W->l;
    for (size_t k = 0; k < W->ncones; k++) {
        u[off] += alpha;
        off += W->dim[k];
    }
}

double qp_shift_needed(const qp_scaling *W, const double *u)
{
    /* the least alpha with u + alpha e in K */
    double a = -HUGE_VAL;
    for (size_t i = 0; i < W->l; i++) if (-u[i] > a) a = -u[i];
    size_t off = W->l;
    for (size_t k = 0; k < W->ncones; k++) {
        size_t d = W->dim[k];
        double t = sqrt(dot(u + off + 1, u + off + 1, d - 1)) - u[off];
        if (t > a) a = t;
        off += d;
    }
    return a;
}

/* Smallest positive root of a t^2 + 2 b t + c (c > 0), or HUGE_VAL. */
static double first_root(double a, double b, double c)
{
    if (a == 0) return b < 0 ? -c / (2 * b) : HUGE_VAL;
    double disc = b * b - a * c;
    if (disc < 0) return HUGE_VAL;
    double sq = sqrt(disc);
    /* stable forms of (-b -/+ sq) / a */
    double q = -(b + (b >= 0 ? sq : -sq));
    double r1 = q / a, r2 = q != 0 ? c / q : HUGE_VAL;
    double best = HUGE_VAL;
    if (r1 > 0 && r1 < best) best = r1;
    if (r2 > 0 && r2 < best) best = r2;
    return best;
}

double qp_max_step(const qp_scaling *W, const double *u, const double *du)
{
    double alpha = HUGE_VAL;
    for (size_t i = 0; i < W->l; i++)
        if (du[i] < 0) {
            double t = -u[i] / du[i];
            if (t < alpha) alpha = t;
        }
    size_t off = W->l;
    for (size_t k = 0; k < W->ncones; k++) {
        size_t d = W->dim[k];
        const double *uk = u + off, *dk = du + off;
        double a = dk[0] * dk[0] - dot(dk + 1, dk + 1, d - 1);
        double b = uk[0] * dk[0] - dot(uk + 1, dk + 1, d - 1);
        double c = soc_det(uk, d);
        double t = c > 0 ? first_root(a, b, c) : 0;
        if (dk[0] < 0 && -uk[0] / dk[0] < t) t = -uk[0] / dk[0];
        if (t < alpha) alpha = t;
        off += d;
    }
    return alpha;
}
