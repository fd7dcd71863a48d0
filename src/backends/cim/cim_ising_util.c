/* Ising helpers without dynamics: the energy, the exhaustive minimum by
 * Gray code, and the QUBO -> Ising change of variables (docs/cim.md). */
#include "cim_ising_internal.h"
#include "folio/folio.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>

/* H(s) = -1/2 s'Js - h's. */
double folio_ising_energy(const folio_ising_problem *p, const int *s)
{
    size_t n = p->n;
    double quad = 0, lin = 0;
    for (size_t i = 0; i < n; i++) {
        const double *Ji = p->J + i * n;
        double r = 0;
        for (size_t j = 0; j < n; j++) r += Ji[j] * s[j];
        quad += s[i] * r;
        if (p->h) lin += p->h[i] * s[i];
    }
    return -0.5 * quad - lin;
}

/* f = J s + h and H = -1/2 s'(f + h) (since s'Js = s'(f - h)). */
static double local_fields(const folio_ising_problem *p, const int *s, double *f)
{
    size_t n = p->n;
    double e = 0;
    for (size_t i = 0; i < n; i++) {
        const double *Ji = p->J + i * n;
        double r = p->h ? p->h[i] : 0;
        for (size_t j = 0; j < n; j++) r += Ji[j] * s[j];
        f[i] = r;
        e += s[i] * (r + (p->h ? p->h[i] : 0));
    }
    return -0.5 * e;
}

/* Gray code: step k flips the spin of index ctz(k), so all 2^n states are
 * visited with one flip each. Flipping s_i changes H by 2 s_i f_i (the
 * diagonal of J is zero) and the fields by f_j -= 2 s_i J_ji: O(n) per
 * state. The fields are recomputed every 2^16 states so rounding cannot
 * drift, and the returned energy is evaluated afresh from the spins. It
 * polls folio_poll (folio.h) at the same rhythm: 1 when stopped by
 * Ctrl-C or the host's budget (n = 30 is a billion states). */
int folio_ising_bruteforce(const folio_ising_problem *p, int *best_spins, double *best_energy)
{
    if (!p || !p->J || p->n < 1 || p->n > 30 || !best_spins) return -1;
    size_t n = p->n;
    int *s = malloc(n * sizeof *s);
    double *f = malloc(n * sizeof *f);
    if (!s || !f) { free(s); free(f); return -1; }
    for (size_t i = 0; i < n; i++) s[i] = -1;
    double e = local_fields(p, s, f), best = e;
    for (size_t i = 0; i < n; i++) best_spins[i] = s[i];
    uint64_t total = (uint64_t)1 << n;
    for (uint64_t k = 1; k < total; k++) {
        size_t i = (size_t)__builtin_ctzll(k);
        int si = s[i];
        e += 2.0 * si * f[i];
        s[i] = -si;
        const double *Ji = p->J + i * n;
        double d = -2.0 * si;
        for (size_t j = 0; j < n; j++) f[j] += d * Ji[j];
        if ((k & 0xffff) == 0) {
            e = local_fields(p, s, f);
            if (folio_poll() != FOLIO_POLL_GO) {   /* Ctrl-C or the host's budget */
                free(s);
                free(f);
                return 1;
            }
        }
        if (e < best) {
            best = e;
            for (size_t j = 0; j < n; j++) best_spins[j] = s[j];
        }
    }
    free(s);
    free(f);
    if (best_energy) *best_energy = folio_ising_energy(p, best_spins);
    return 0;
}

/* x = (1 + s)/2 and S = (Q + Q')/2, so x'Qx = x'Sx. With x_i^2 = x_i,
 *   x'Sx + q'x = sum_{i!=j} S_ij x_i x_j + sum_i (S_ii + q_i) x_i,
 * and x_i x_j = (1 + s_i + s_j + s_i s_j)/4, x_i = (1 + s_i)/2 give
 *   = 1/4 sum_{i!=j} S_ij s_i s_j
 *   + sum_i s_i [1/2 sum_{j!=i} S_ij + 1/2 (S_ii + q_i)]
 *   + 1/4 sum_{i!=j} S_ij + 1/2 sum_i (S_ii + q_i).
 * Matching H(s) = -1/2 sum_{i!=j} J_ij s_i s_j - sum_i h_i s_i + offset:
 *   J_ij = -S_ij / 2 (i != j), J_ii = 0,
 *   h_i = -1/2 sum_{j!=i} S_ij - 1/2 (S_ii + q_i),
 *   offset = 1/4 sum_{i!=j} S_ij + 1/2 sum_i (S_ii + q_i).
 * q may be NULL (zeros). */
void folio_qubo_to_ising(size_t n, const double *Q, const double *q, double *J, double *h, double *offset)
{
    double off = 0;
    for (size_t i = 0; i < n; i++) {
        double row = 0;
        for (size_t j = 0; j < n; j++) {
            if (i == j) { J[i * n + j] = 0; continue; }
            double sij = 0.5 * (Q[i * n + j] + Q[j * n + i]);
            J[i * n + j] = -0.5 * sij;
            row += sij;
        }
        double lin = Q[i * n + i] + (q ? q[i] : 0);
        h[i] = -0.5 * row - 0.5 * lin;
        off += 0.25 * row + 0.5 * lin;
    }
    *offset = off;
}
