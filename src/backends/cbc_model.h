/* Loading a folio model into COIN-OR Cbc through its C interface. */
#ifndef FOLIO_CBC_MODEL_H
#define FOLIO_CBC_MODEL_H

#include "backend.h"
#include <Cbc_C_Interface.h>

typedef struct folio_cbc_load {
    int zero_objective;   /* load a zero objective: the feasibility problem */
    const double *fix;    /* NULL, or values at which the integer columns are
                           * fixed and loaded as continuous (an LP) */
    int verbose;          /* let Cbc and Clp print their logs (on stdout) */
    const char *who;      /* the solver named in errors: NULL for "Cbc" */
} folio_cbc_how;

/* The linear part of m by columns, as COIN-OR's loaders take it, with
 * COIN-OR's infinities (DBL_MAX). */
typedef struct folio_coin_lp {
    int ncols, nrows;
    int *start, *rowidx;           /* ncols + 1 column starts; row indices */
    double *val, *lb, *ub, *obj, *rlo, *rhi;
} folio_coin_lp;

/* Fills lp from m (how->fix and how->zero_objective as for
 * folio_cbc_load); refuses, with m's message set, numbers Clp cannot
 * take. Free with folio_coin_lp_free (also after a failure). */
folio_error folio_coin_lp_make(folio_model *m, const folio_cbc_how *how, folio_coin_lp *lp);
void folio_coin_lp_free(folio_coin_lp *lp);

/* The linear part of m as a new Cbc model (the caller refuses or skips
 * quadratic terms and cones); NULL with *err and m's message set. The
 * objective constant is not loaded: Cbc has none. */
Cbc_Model *folio_cbc_load(folio_model *m, const folio_cbc_how *how, folio_error *err);

/* Cbc_setParameter with a number. */
void folio_cbc_set_number(Cbc_Model *cm, const char *name, double v);

/* Objective and row activities from res->x, in folio's own terms (with
 * the objective constant, which Cbc and Clp do not hold). */
void folio_coin_evaluate(const folio_model *m, folio_result *res);

#endif
