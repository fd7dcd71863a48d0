/* The spin tracker shared by both paths: s = sign(x) (sign(0) = +1), its
 * local fields f = J s + h and energy H(s), updated in O(n) per flip;
 * improvements of the run's best energy are recorded with their time so
 * that hit times can be read off once the target is known. */
#include "cim_ising_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* exact fields and energy from s: H = -1/2 s'(f + h) */
static void resync(fising_ctx *c)
{
    size_t n = c->n;
    double e = 0;
    for (size_t i = 0; i < n; i++) {
        const double *Ji = c->J + i * n;
        double r = c->h[i];
        for (size_t j = 0; j < n; j++) r += Ji[j] * c->s[j];
        c->f[i] = r;
        e += c->s[i] * (r + c->h[i]);
    }
    c->E = -0.5 * e;
    c->since_resync = 0;
}

void fising_field(const fising_ctx *c, const double *z, double *g)
{
    size_t n = c->n;
    for (size_t i = 0; i < n; i++) {
        const double *Ji = c->J + i * n;
        double r = c->h[i];
        for (size_t j = 0; j < n; j++) r += Ji[j] * z[j];
        g[i] = r;
    }
}

static void record(fising_ctx *c, double t)
{
    if (c->nhist == c->caphist) {
        size_t cap = c->caphist ? 2 * c->caphist : 64;
        double *nt = realloc(c->hist_t, cap * sizeof *nt);
        if (!nt) { c->oom = 1; return; }
        c->hist_t = nt;
        double *ne = realloc(c->hist_e, cap * sizeof *ne);
        if (!ne) { c->oom = 1; return; }
        c->hist_e = ne;
        c->caphist = cap;
    }
    c->hist_t[c->nhist] = t;
    c->hist_e[c->nhist] = c->E;
    c->nhist++;
}

void fising_track_start(fising_ctx *c, const double *x, double t)
{
    for (size_t i = 0; i < c->n; i++) c->s[i] = fising_sign(x[i]);
    resync(c);
    c->run_best = INFINITY;
    fising_track_commit(c, t);
}

/* Flipping s_k changes H by 2 s_k f_k and each f_j by -2 s_k J_jk. */
void fising_track_flip(fising_ctx *c, size_t k)
{
    size_t n = c->n;
    int sk = c->s[k];
    c->E += 2.0 * sk * c->f[k];
    c->s[k] = -sk;
    const double *Jk = c->J + k * n;   /* column k = row k: J is symmetric */
    double d = -2.0 * sk;
    for (size_t j = 0; j < n; j++) c->f[j] += d * Jk[j];
    c->since_resync++;
    c->events++;
}

/* A candidate improvement is confirmed on exact energies (O(n^2), but
 * improvements are rare: the run best only decreases); every 4096 flips
 * the incremental values are refreshed as well. */
void fising_track_commit(fising_ctx *c, double t)
{
    if (c->since_resync >= 4096) resync(c);
    if (isfinite(c->run_best) && !(c->E < c->run_best - 1e-12 * (1 + fabs(c->run_best)))) return;
    resync(c);
    if (!(c->E < c->run_best)) return;
    c->run_best = c->E;
    memcpy(c->run_best_s, c->s, c->n * sizeof *c->s);
    record(c, t);
}

int fising_track_sync(fising_ctx *c, const double *x, double t)
{
    int flips = 0;
    for (size_t i = 0; i < c->n; i++)
        if (fising_sign(x[i]) != c->s[i]) { fising_track_flip(c, i); flips++; }
    if (flips) fising_track_commit(c, t);
    return flips;
}

/* CAC variant: the target amplitude rises with the gap between the
 * current and the run's best energy, a = a_base + rho tanh(delta (H - H_best)). */
void fising_cac_update(fising_ctx *c)
{
    double gap = c->E - c->run_best;
    if (!(gap > 0)) gap = 0;
    c->a_cur = c->o->a + c->cac_rho * tanh(c->cac_delta * gap);
}
