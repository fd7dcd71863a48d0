/* The interface every solver backend implements (not public). */
#ifndef FOLIO_BACKEND_H
#define FOLIO_BACKEND_H

#include "../core/model_internal.h"

/* A backend is reached only through folio_solve() and folio_lower(), which
 * refuse, by caps (FOLIO_CAP_ in folio.h), every model that needs what it
 * lacks: it never sees one. */
typedef struct folio_backend {
    const char *name;
    unsigned caps;
    /* Solves m; fills res (arrays allocated by the backend). Returns an
     * error only when no outcome could be produced. */
    folio_error (*solve)(folio_model *m, const folio_options *o, folio_result *res);
    /* Loads m into the solver's own form and discards it (benchmarks).
     * Parts of m the backend has no caps for are left out. */
    folio_error (*lower)(folio_model *m, double *seconds);
} folio_backend;

extern const folio_backend folio_backend_glpk;
extern const folio_backend folio_backend_qp;
extern const folio_backend folio_backend_cbc;
extern const folio_backend folio_backend_clp;

/* Allocates res's arrays for m's size, zeroed; returns FOLIO_OK or NOMEM. */
folio_error folio_result_alloc(folio_result *res, size_t ncols, size_t nrows);

#endif
