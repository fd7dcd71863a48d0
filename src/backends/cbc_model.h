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
} folio_cbc_how;

/* The linear part of m as a new Cbc model (the caller refuses or skips
 * quadratic terms and cones); NULL with *err and m's message set. The
 * objective constant is not loaded: Cbc has none. */
Cbc_Model *folio_cbc_load(folio_model *m, const folio_cbc_how *how, folio_error *err);

/* Cbc_setParameter with a number. */
void folio_cbc_set_number(Cbc_Model *cm, const char *name, double v);

#endif
