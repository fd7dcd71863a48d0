/* Why a model is infeasible: an irreducible infeasible subset (IIS) of its
 * rows and column bounds, found by a deletion filter (docs/dsl.md,
 * "Conflicts").
 *
 * The search solves feasibility versions of the model (its objective
 * dropped) with some rows or bounds relaxed. Each solve either proves the
 * relaxed model infeasible, and the relaxed items are dropped for good, or
 * finds it feasible, and they are kept. What is left is infeasible, and
 * relaxing any one item of it makes it feasible. Cones, quadratic rows'
 * cones and integrality are never relaxed: they are part of every subset.
 * Items can be single rows and bounds, or groups of them (a constraint
 * family, a user's option), so that a conflict is stated in the words the
 * model was written in. */
#ifndef FOLIO_CONFLICT_H
#define FOLIO_CONFLICT_H

#include "folio/folio.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum folio_conflict_part {
    FOLIO_CONFLICT_ROW = 0,      /* row index: both of its sides */
    FOLIO_CONFLICT_COL_LOWER,    /* column index: its lower bound */
    FOLIO_CONFLICT_COL_UPPER,    /* column index: its upper bound */
    FOLIO_CONFLICT_GROUP         /* a group id of folio_conflict_options */
} folio_conflict_part;

typedef struct folio_conflict_item {
    folio_conflict_part part;
    size_t index;
} folio_conflict_item;

typedef struct folio_conflict_options {
    const char *solver;      /* NULL: chosen from the model, as by folio_solve */
    double time_limit;       /* seconds for the whole search, <= 0 for none */
    /* Groups: row_group[i] and col_group[j] (both bounds of column j) name
     * the group, 0..ngroups-1, that an item belongs to; a negative id keeps
     * it enforced throughout. With both NULL, every row and every finite
     * column bound is an item of its own (binary columns' 0/1 bounds are
     * part of their kind and stay). Either may be NULL in group mode: its
     * rows or bounds are then always enforced. */
    const int *row_group;
    const int *col_group;
    size_t ngroups;
} folio_conflict_options;

void folio_conflict_options_default(folio_conflict_options *o);

typedef struct folio_conflict {
    /* FOLIO_STATUS_INFEASIBLE: items is an irreducible infeasible subset.
     * FOLIO_STATUS_OPTIMAL: the model is feasible, there is no conflict.
     * TIME_LIMIT, INTERRUPTED, NUMERICAL_ERROR, ...: the search stopped;
     * items is then an infeasible subset that may not be irreducible (or
     * empty when not even the whole model was proven infeasible). */
    folio_status status;
    int irreducible;
    size_t n;
    folio_conflict_item *items;
    long solves;             /* feasibility problems solved */
    double seconds;
    char message[256];
} folio_conflict;

/* Searches m for a conflict. Returns FOLIO_OK with the outcome in *out
 * (free it with folio_conflict_free), or an error (bad options, no memory)
 * with m's last error set. m is not changed. */
folio_error folio_model_conflict(folio_model *m, const folio_conflict_options *o, folio_conflict *out);
void folio_conflict_free(folio_conflict *c);   /* accepts NULL */

#ifdef __cplusplus
}
#endif
#endif
