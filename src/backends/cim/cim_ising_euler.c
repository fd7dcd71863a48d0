/* The fixed-step reference path: explicit Euler for CIM-AHC and CAC, the
 * symplectic Euler map with inelastic walls for simulated bifurcation.
 * Step k goes from t = (k-1) dt to k dt (the last one is shortened to end
 * at t_max); the spins are read off sign(x) after every step. */
#include "cim_ising_internal.h"

#include <math.h>
#include <stdio.h>

/* CIM-AHC (Leleu, Yamamoto, McMahon, Aihara, PRL 122, 040607 (2019)):
 *   dx_i/dt = (p - 1) x_i - x_i^3 + eps e_i (sum_j J_ij x_j + h_i)
 *   de_i/dt = -beta (x_i^2 - a) e_i
 * The error variables e_i grow while the amplitude is below sqrt(a) and
 * shrink above it, equalising the amplitudes so that the fixed points of
 * local minima become unstable and the system keeps searching.
 * CAC (Leleu et al., Commun. Phys. 4, 266 (2021), as a variant): the same
 * x equation; a is replaced by a_cur = a + rho tanh(delta (H - H_best))
 * (fising_cac_update), and the growth of e_i is damped logistically by
 * (1 - e_i/e_max) so that e_i stays in (0, e_max) without a discontinuity. */
static int step_cim(fising_ctx *c, double h)
{
    const folio_ising_options *o = c->o;
    size_t n = c->n;
    double *x = c->x, *e = c->v, *g = c->g;
    int cac = o->method == FOLIO_ISING_CAC;
    double a = cac ? c->a_cur : o->a;
    fising_field(c, x, g);
    for (size_t i = 0; i < n; i++) {
        double xi = x[i], ei = e[i];
        double dx = (o->p - 1) * xi - xi * xi * xi + o->eps * ei * g[i];
        double r = -o->beta * (xi * xi - a);
        double de = r * ei;
        if (cac && r > 0) de *= 1 - ei / c->e_max;
        x[i] = xi + h * dx;
        e[i] = ei + h * de;
        if (!isfinite(x[i]) || !isfinite(e[i])) return -1;
    }
    return 0;
}

/* SB (Goto, Tatsumura, Dixon, Sci. Adv. 5, eaav2372 (2019); Goto et al.,
 * Sci. Adv. 7, eabe7953 (2021)), symplectic Euler at a(t) = a0 t / t_max:
 *   y_i += dt [-(a0 - a(t)) x_i + c0 (sum_j J_ij z_j + h_i)]
 *   x_i += dt a0 y_i
 *   |x_i| > 1:  x_i = sign(x_i), y_i = 0       (inelastic wall)
 * with z = x (ballistic) or z = sign(x) (discrete). The walls keep the
 * amplitudes in [-1, 1] as the pitchfork opens; a component pushed
 * outward stays at the wall, one pulled inward leaves it. */
static int step_sb(fising_ctx *c, double t, double h)
{
    const folio_ising_options *o = c->o;
    size_t n = c->n;
    double *x = c->x, *y = c->v, *z = c->z, *g = c->g;
    double at = o->a0 * t / o->t_max;
    if (o->method == FOLIO_ISING_SB_DISCRETE) {
        for (size_t i = 0; i < n; i++) z[i] = c->s[i];
        fising_field(c, z, g);
    } else {
        fising_field(c, x, g);
    }
    for (size_t i = 0; i < n; i++) y[i] += h * (-(o->a0 - at) * x[i] + c->c0 * g[i]);
    for (size_t i = 0; i < n; i++) {
        double before = fabs(x[i]);
        x[i] += h * o->a0 * y[i];
        if (!isfinite(x[i]) || !isfinite(y[i])) return -1;
        if (fabs(x[i]) > 1) {
            x[i] = x[i] > 0 ? 1 : -1;
            y[i] = 0;
            if (before < 1) c->events++;   /* an arrival, not a component held there */
        }
    }
    return 0;
}

int fising_run_euler(fising_ctx *c)
{
    const folio_ising_options *o = c->o;
    int sb = o->method == FOLIO_ISING_SB_BALLISTIC || o->method == FOLIO_ISING_SB_DISCRETE;
    double T = o->t_max, dt = o->dt;
    long K = (long)ceil(T / dt - 1e-9);
    if (K < 1) K = 1;
    fising_track_start(c, c->x, 0);
    if (o->method == FOLIO_ISING_CAC) fising_cac_update(c);
    if (c->trace) c->trace(c->trace_ctx, c->run, 0, c->n, c->x, c->v);
    for (long k = 1; k <= K; k++) {
        double t0 = (double)(k - 1) * dt;
        double t1 = k == K ? T : (double)k * dt;
        int rc = sb ? step_sb(c, t0, t1 - t0) : step_cim(c, t1 - t0);
        c->steps++;
        if (rc) {
            snprintf(c->msg, c->msglen, "Euler map diverged at t = %g (run %zu): reduce dt", t1, c->run + 1);
            return -1;
        }
        if (fising_track_sync(c, c->x, t1) && o->method == FOLIO_ISING_CAC) fising_cac_update(c);
        if (c->trace) c->trace(c->trace_ctx, c->run, t1, c->n, c->x, c->v);
        if (fising_poll(c, t1, (k & 63) == 0)) return -1;
    }
    return 0;
}
