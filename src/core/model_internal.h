/* The model's storage, shared by the core and the backends (not public). */
#ifndef FOLIO_MODEL_INTERNAL_H
#define FOLIO_MODEL_INTERNAL_H

#include "folio/folio.h"
#include <stdint.h>

typedef struct name_index {
    size_t cap;       /* power of two, 0 when not built */
    long *slot;       /* entity index, -1 empty */
} name_index;

struct folio_model {
    char *name;

    /* names of columns, rows and cones live in one arena; entities keep offsets */
    char *arena;
    size_t arena_len, arena_cap;

    size_t ncols, col_cap;
    double *lb, *ub, *obj;
    unsigned char *kind;
    size_t *col_name;
    size_t nint;

    size_t nrows, row_cap;
    double *lo, *hi;
    size_t *row_name;
    size_t *row_start;          /* nrows + 1 */
    int *nz_idx;
    double *nz_val;
    size_t nz_len, nz_cap;
    uint32_t *mark;             /* per column: its position within the row being added */
    size_t mark_cap;

    folio_sense sense;
    double obj_const;
    int obj_convex;             /* the caller vouches for the objective's curvature */
    size_t nq, q_cap;
    int *qi, *qj;
    double *qv;

    /* cones: cone k owns affine expressions cone_start[k]..cone_start[k+1]-1;
     * the first is the right-hand side t, the rest the members */
    size_t ncones, cone_cap;
    size_t *cone_start;
    size_t *cone_name;
    size_t naff, aff_cap;
    size_t *aff_start;          /* naff + 1, into aff_idx/aff_val */
    double *aff_cst;
    int *aff_idx;
    double *aff_val;
    size_t aff_len, aff_nz_cap;
    size_t nqrows;              /* cones made by folio_model_add_quad_row (named in refusals) */

    name_index col_index, row_index, cone_index;
    char err[512];
};

/* Sets m->err (printf-style) and returns e. */
folio_error folio_model_fail(folio_model *m, folio_error e, const char *fmt, ...)
#ifdef __GNUC__
    __attribute__((format(printf, 3, 4)))
#endif
    ;

#define FOLIO_NAME(m, off) ((m)->arena + (off))

/* Quadratic terms (finite, in range) whose pairs (i, j) = (j, i) would
 * sum to inf when a backend adds them up: an error with m->err set
 * ("WHAT: coefficient of 'x*y' overflows ..."), else FOLIO_OK. */
folio_error folio_check_quad_sums(folio_model *m, const char *what, size_t nq, const int *qi, const int *qj,
                          const double *qv);

#endif
