/* Affine and quadratic expressions as Lua userdata ("folio.expr").
 *
 * An expression is a constant plus terms; a term is v*x_i (j < 0) or
 * v*x_i*x_j. Small expressions keep their terms inside the userdata; large
 * ones point into a shared append-only buffer ("folio.termbuf") so that
 * `e = e + t` in a loop appends in place instead of copying. Expressions are
 * immutable: an append only ever extends a buffer past every view of it.
 */
#ifndef FOLIO_LEXPR_H
#define FOLIO_LEXPR_H

#include <lua.h>
#include <lauxlib.h>
#include <assert.h>
#include <stddef.h>
#include <stdint.h>

typedef struct fterm {
    int32_t i, j;      /* j < 0: linear term */
    double v;
} fterm;

/* What is known of the quadratic part's curvature: it is PSD, NSD, both
 * (no quadratic terms), or unknown (0). Kept through arithmetic so that an
 * objective built from checked forms (folio.quad, squares) needs no second
 * convexity check. */
#define CURV_PSD 1u
#define CURV_NSD 2u
#define CURV_LINEAR 3u

typedef struct fexpr {
    uint32_t model;    /* serial of the model whose columns appear, 0 if none */
    uint32_t n;        /* number of terms */
    uint32_t curv;     /* CURV_* bits */
    uint32_t unused;
    double c;          /* constant */
    fterm *t;          /* inline (just after this header) or in a termbuf */
} fexpr;

#define FEXPR_MT "folio.expr"
#define FEXPR_MT "folio.expr"

/* Storage for viewing a number or a variable as an expression. */
typedef struct fview {
    fexpr e;
    fterm one;
} fview;

/* Pushes a new expression with n terms copied from t (t may be NULL: the
 * caller fills e->t); its curvature is unknown until the caller sets it. */
fexpr *fexpr_push(lua_State *L, uint32_t model, double c, const fterm *t, size_t n);
/* A single variable: 1 * x_col (a tagged light userdata). */
void fexpr_push_var(lua_State *L, uint32_t model, int32_t col);
/* The expression or variable at idx (viewed through *tmp), or NULL. */
const fexpr *fexpr_test(lua_State *L, int idx, fview *tmp);
/* Value at idx as an expression view: numbers become constants in *tmp.
 * Raises "what: expected a number or folio expression, got T" otherwise. */
const fexpr *fexpr_view(lua_State *L, int idx, fview *tmp, const char *what);

/* For loops: push the expression metatable once (absolute index mt), then
 * view values against it without a registry lookup each time. */
void fexpr_push_mt(lua_State *L);
const fexpr *fexpr_view_mt(lua_State *L, int idx, int mt, fview *tmp, const char *what);

/* An accumulator of terms whose storage is a termbuf userdata kept at a
 * stack slot, so a Lua error part-way leaks nothing. */
typedef struct facc {
    fterm *t;
    size_t n, cap;
    double c;
    uint32_t model;
    uint32_t curv;
    int slot;          /* absolute stack index of the termbuf */
} facc;

/* Pushes an empty termbuf for the accumulator at the top of the stack. */
void facc_init(lua_State *L, facc *a, size_t cap);
/* a += scale * e; checks models and finiteness. */
void facc_add(lua_State *L, facc *a, const fexpr *e, double scale);
/* Replaces the termbuf slot by the finished expression (one copy at most). */
void facc_finish(lua_State *L, facc *a);

/* Returns the name of column col of model serial (for messages), or "?" */
const char *fexpr_col_name(lua_State *L, uint32_t model, int32_t col);

int luaopen_folio_expr(lua_State *L);

/* Model serials: the model module registers a resolver for names. */
typedef const char *(*fexpr_name_fn)(lua_State *L, uint32_t model, int32_t col);
void fexpr_set_name_resolver(fexpr_name_fn fn);

#endif
