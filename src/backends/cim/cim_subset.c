/* The exact minimum of a QUBO over the subsets of exactly K items, by
 * depth-first enumeration with incremental energies: adding item i to S
 * changes x'Qx + q'x by Q_ii + q_i + 2 sum_{j in S} Q_ij, and the sums
 * sum_{j in S} Q_ij are kept for every candidate, so each node costs O(n).
 * The reference for selection on port1 (C(31,10) = 44 million subsets).
 * C(64,32) is 1.8e18: the enumeration polls folio_poll (folio.h)
 * every POLL_NODES nodes and stops on Ctrl-C or the host's budget, when
 * folio_qubo_best_subset returns 1 (best and best_energy not set). */
#include "folio/cim.h"
#include "folio/folio.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    size_t n, K;
    const double *Q, *q;
    double *acc;          /* (K + 1) x n: sum_{j in S} Q_ij (symmetrised) at each depth */
    int *cur, *best;
    double best_e;
    unsigned long nodes;  /* since the last poll */
    int stopped;          /* folio_poll said stop */
} enum_ctx;

#define POLL_NODES 4096   /* each node costs O(n): a poll every ~0.1 ms */

static void descend(enum_ctx *c, size_t depth, size_t from, double e)
{
    if (++c->nodes == POLL_NODES) {
        c->nodes = 0;
        if (folio_poll() != FOLIO_POLL_GO) c->stopped = 1;
    }
    if (c->stopped) return;
    if (depth == c->K) {
        if (e < c->best_e) {
            c->best_e = e;
            memcpy(c->best, c->cur, c->K * sizeof *c->cur);
        }
        return;
    }
    const double *acc = c->acc + depth * c->n;
    double *next = c->acc + (depth + 1) * c->n;
    /* leave room for the items still to pick */
    for (size_t i = from; i + (c->K - depth) <= c->n; i++) {
        double de = c->Q[i * c->n + i] + c->q[i] + 2 * acc[i];
        c->cur[depth] = (int)i;
        if (depth + 1 < c->K)
            for (size_t j = i + 1; j < c->n; j++)
                next[j] = acc[j] + 0.5 * (c->Q[i * c->n + j] + c->Q[j * c->n + i]);
        descend(c, depth + 1, i + 1, e + de);
    }
}

int folio_qubo_best_subset(size_t n, const double *Q, const double *q, size_t K, int *best, double *best_energy)
{
    if (n == 0 || K == 0 || K > n || n > 64) return -1;
    enum_ctx c = { n, K, Q, q, calloc((K + 1) * n, sizeof(double)), malloc(K * sizeof(int)), best, INFINITY, 0, 0 };
    if (!c.acc || !c.cur) {
        free(c.acc);
        free(c.cur);
        return -1;
    }
    descend(&c, 0, 0, 0.0);
    if (!c.stopped) *best_energy = c.best_e;
    free(c.acc);
    free(c.cur);
    return c.stopped ? 1 : 0;
}
