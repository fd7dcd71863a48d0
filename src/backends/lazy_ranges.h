/* LP sensitivity ranges on demand (issue 17): by default a solve computes
 * no ranges but keeps the optimal basis, and the ranges are computed from
 * it when r:ranges() first asks (src/lua/lmodel.c). Ranging costs two basis
 * solves per row and column, often more than the solve itself.
 *
 * A backend that solved an LP to optimality with options->ranges ==
 * FOLIO_RANGES_LATER records its final basis, in GLPK's terms, with
 * folio_basis_keep; the caller of folio_solve takes it with
 * folio_basis_take. Not public. */
#ifndef FOLIO_LAZY_RANGES_H
#define FOLIO_LAZY_RANGES_H

#include "../core/model_internal.h"

/* folio_options.ranges: 0 none, 1 at the solve, FOLIO_RANGES_LATER: keep
 * the basis for later */
#define FOLIO_RANGES_LATER 2

typedef struct folio_basis {
    size_t ncols, nrows, nz_len;   /* the model's shape at the solve */
    folio_sense sense;
    uint64_t digest;               /* of the objective, bounds and row limits */
    unsigned char *stat;           /* GLP_BS, GLP_NL, ...: columns, then rows */
} folio_basis;

/* A basis for m's shape (statuses zero), or NULL when out of memory. */
folio_basis *folio_basis_new(const folio_model *m);
void folio_basis_free(folio_basis *b);

/* Hands b over to the next folio_basis_take of this thread (freeing a
 * basis not taken since). */
void folio_basis_keep(folio_basis *b);
/* The basis kept by this thread's last solve, or NULL; the caller owns it. */
folio_basis *folio_basis_take(void);

/* The ranges of m at basis b, into res (obj_lo ... rhs_hi, has_ranges):
 * GLPK started at b, as the solve would have computed them. FOLIO_OK, or
 * an error with m's message set (the model changed since the solve, no
 * optimal basis from b, out of memory). */
folio_error folio_basis_ranges(folio_model *m, const folio_basis *b, folio_result *res);
/* The same, for a solve that computes its ranges at once (Clp's): when
 * GLPK reaches no optimal basis from b, or cannot factorise it, returns
 * FOLIO_OK without ranges and says why in why[len]. */
folio_error folio_basis_ranges_why(folio_model *m, const folio_basis *b, folio_result *res, char *why,
                                   size_t len);

#endif
