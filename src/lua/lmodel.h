/* folio.model and folio.result as Lua userdata. */
#ifndef FOLIO_LMODEL_H
#define FOLIO_LMODEL_H

#include <lua.h>
#include <lauxlib.h>
#include <stdint.h>
#include "folio/folio.h"

#define LMODEL_MT "folio.model"
#define LRESULT_MT "folio.result"

/* A model's life: open; closed by __close (<close>), after which its
 * methods refuse ("model 'm' is closed") but its results, which hold a
 * reference to it, still read it; freed by __gc only, when nothing refers
 * to it any more (m is then NULL: "model has been freed", seen only by
 * finalizers that run after it at the end of a state). */
typedef struct lmodel {
    folio_model *m;
    int closed;
    uint32_t serial;
    int *idx;               /* row scratch */
    double *val;
    size_t cap;
} lmodel;

/* The open model at idx; raises if it is closed or freed. */
lmodel *lmodel_check(lua_State *L, int idx);
/* The model at idx, open or closed; raises if it has been freed. */
lmodel *lmodel_check_live(lua_State *L, int idx);
/* Pushes the model's bookkeeping table (vars, cons, cones by name). */
void lmodel_push_meta(lua_State *L, int model_idx);

/* Builds the row name "name" or "name[k1,...]" from the nkeys keys at the
 * stack top into buf; raises on bad keys or overlong names. */
void lmodel_format_name(lua_State *L, const char *name, int nkeys, char *buf, size_t cap);

/* Pushes an empty result userdata tied to the model at model_idx and
 * returns its folio_result for folio_solve to fill. It exists before the
 * solve, so the solve's arrays always have an owner: a memory error in
 * creating the userdata afterwards would leak them. */
folio_result *lresult_new(lua_State *L, int model_idx);
/* The ranges of the result at result_idx (r, of model m) from the basis
 * its solve kept (ranges on demand, the default): 1 when computed into r,
 * 0 when there is no kept basis; raises when they cannot be computed. */
int lmodel_ranges_later(lua_State *L, int result_idx, folio_result *r, folio_model *m);
/* The result at idx and the serial of its model, or NULL if idx holds none. */
const folio_result *lresult_test(lua_State *L, int idx, uint32_t *serial);

/* m:conflict(opts) for the (live) model at model_idx with the options (nil or a
 * table) at opts_idx: pushes the outcome table (docs/dsl.md, "Conflicts"). */
int lmodel_conflict(lua_State *L, int model_idx, int opts_idx);

int luaopen_folio_model(lua_State *L);
int luaopen_folio_result(lua_State *L);

#endif
