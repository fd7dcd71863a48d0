/* folio.result: status, values, duals, reduced costs, ranges, export. */
#include "lmodel.h"
#include "laux.h"
#include "lexpr.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../core/model_internal.h"

typedef struct lresult {
    folio_result r;
    int freed;          /* __gc has run (a finalizer may still reach it) */
    uint32_t serial;
    lmodel *lm;         /* the model's userdata, kept alive by the user value;
                         * read lm->m (NULL once the model is freed) */
    size_t nrows, ncols, ncones;   /* the model's size at the solve */
} lresult;

/* The result at idx, whose model is there to read: a result keeps its
 * model alive, even closed, so only finalizers that run after both were
 * collected (at the end of a state) can see these errors. */
static lresult *check_result(lua_State *L, int idx)
{
    lresult *lr = luaL_checkudata(L, idx, LRESULT_MT);
    if (lr->freed) luaL_error(L, "result has been freed");
    if (!lr->lm->m) luaL_error(L, "the model of this result has been freed");
    return lr;
}

folio_result *lresult_new(lua_State *L, int model_idx)
{
    model_idx = lua_absindex(L, model_idx);
    lmodel *lm = lmodel_check(L, model_idx);
    lresult *lr = lua_newuserdatauv(L, sizeof *lr, 1);
    memset(lr, 0, sizeof *lr);
    lr->serial = lm->serial;
    lr->lm = lm;
    lr->nrows = folio_model_nrows(lm->m);
    lr->ncols = folio_model_ncols(lm->m);
    lr->ncones = folio_model_ncones(lm->m);
    luaL_setmetatable(L, LRESULT_MT);
    lua_pushvalue(L, model_idx);
    lua_setiuservalue(L, -2, 1);
    return &lr->r;
}

const folio_result *lresult_test(lua_State *L, int idx, uint32_t *serial)
{
    lresult *lr = luaL_testudata(L, idx, LRESULT_MT);
    if (!lr) return NULL;
    if (lr->freed) luaL_error(L, "result has been freed");
    *serial = lr->serial;
    return &lr->r;
}

static int r_gc(lua_State *L)
{
    lresult *lr = luaL_checkudata(L, 1, LRESULT_MT);
    folio_result_free(&lr->r);
    lr->freed = 1;
    return 0;
}

static void need_solution(lua_State *L, lresult *lr, const char *what)
{
    if (!lr->r.has_solution)
        luaL_error(L, "%s: no solution (status '%s')", what, folio_status_name(lr->r.status));
}

static double eval_expr(lua_State *L, lresult *lr, const fexpr *e)
{
    if (e->model && e->model != lr->serial) luaL_error(L, "value: the expression belongs to another model");
    double v = e->c;
    const double *x = lr->r.x;
    for (uint32_t k = 0; k < e->n; k++) {
        const fterm *t = &e->t[k];
        if ((size_t)t->i >= lr->r.ncols || (t->j >= 0 && (size_t)t->j >= lr->r.ncols))
            luaL_error(L, "value: the expression uses a variable added after this solve");
        v += t->j < 0 ? t->v * x[t->i] : t->v * x[t->i] * x[t->j];
    }
    return v;
}

/* Maps values (numbers, expressions, nested tables of them) to numbers. */
static void push_value(lua_State *L, lresult *lr, int idx, int depth)
{
    if (lua_type(L, idx) == LUA_TNUMBER) {
        lua_pushvalue(L, idx);
        return;
    }
    fview tmp;
    const fexpr *e = fexpr_test(L, idx, &tmp);
    if (e) {
        lua_pushnumber(L, eval_expr(L, lr, e));
        return;
    }
    if (!lua_istable(L, idx)) luaL_error(L, "value: expected an expression, a number or a table of them, got %s",
                                         luaL_typename(L, idx));
    if (depth > 32) luaL_error(L, "value: tables nested too deeply");
    idx = lua_absindex(L, idx);
    lua_newtable(L);
    lua_pushnil(L);
    while (lua_next(L, idx)) {
        push_value(L, lr, -1, depth + 1);
        lua_remove(L, -2);
        lua_pushvalue(L, -2);
        lua_insert(L, -2);
        lua_rawset(L, -4);
    }
}

static int r_value(lua_State *L)
{
    lresult *lr = check_result(L, 1);
    need_solution(L, lr, "value");
    luaL_checkany(L, 2);
    push_value(L, lr, 2, 0);
    return 1;
}

/* The index folio_model_find_row/cone gave, or an error when memory ran
 * out building the name hash (-2): that is no answer on whether the name
 * exists. */
static long found(lua_State *L, lresult *lr, long i)
{
    if (i == -2) luaL_error(L, "%s", folio_model_last_error(lr->lm->m));
    return i;
}

/* Finds the row for r:dual(name, keys...) etc.; raises a precise error. */
static size_t find_row(lua_State *L, lresult *lr, const char *what)
{
    const char *name = luaL_checkstring(L, 2);
    int nkeys = lua_gettop(L) - 2;
    lua_getiuservalue(L, 1, 1);
    lmodel_push_meta(L, lua_gettop(L));
    lua_getfield(L, -1, "cons");
    lua_getfield(L, -1, name);
    if (lua_isnil(L, -1)) {
        /* models read from files know their rows only by full name */
        long i = nkeys == 0 ? found(L, lr, folio_model_find_row(lr->lm->m, name)) : -1;
        if (i >= 0 && (size_t)i < lr->r.nrows) {
            lua_pop(L, 4);
            return (size_t)i;
        }
        luaL_error(L, "%s: no constraint named '%s'", what, name);
    }
    int nsets = (int)lua_tointeger(L, -1);
    lua_pop(L, 4);
    if (nsets != nkeys)
        luaL_error(L, "%s: constraint '%s' takes %d ind%s, got %d", what, name, nsets,
                   nsets == 1 ? "ex" : "ices", nkeys);
    char buf[512];
    for (int k = 3; k <= 2 + nkeys; k++) lua_pushvalue(L, k);
    lmodel_format_name(L, name, nkeys, buf, sizeof buf);
    lua_pop(L, nkeys);
    long i = found(L, lr, folio_model_find_row(lr->lm->m, buf));
    if (i < 0) luaL_error(L, "%s: no constraint '%s' (the index may have been skipped)", what, buf);
    if ((size_t)i >= lr->r.nrows) luaL_error(L, "%s: constraint '%s' was added after this solve", what, buf);
    return (size_t)i;
}

static void need_duals(lua_State *L, lresult *lr, const char *what)
{
    if (lr->r.has_duals) return;
    if (lr->r.has_solution && !strcmp(lr->r.solver, "cbc"))
        luaL_error(L, "%s: Cbc reports no duals (its C interface has no row prices): solve with "
                      "solver = \"glpk\"", what);
    if (lr->r.is_mip && lr->r.has_solution)
        luaL_error(L, "%s: duals are not defined for a MIP solution: solve with {mip_duals = true} "
                      "for those of the LP with the integer variables fixed", what);
    if (!lr->r.has_solution) luaL_error(L, "%s: no solution (status '%s')", what, folio_status_name(lr->r.status));
    luaL_error(L, "%s: the solver reported no duals (status '%s')", what, folio_status_name(lr->r.status));
}

/* If name is a cone (family) of the model, its index for the given keys,
 * else -1. */
static long find_cone(lua_State *L, lresult *lr)
{
    const char *name = luaL_checkstring(L, 2);
    int nkeys = lua_gettop(L) - 2;
    lua_getiuservalue(L, 1, 1);
    lmodel_push_meta(L, lua_gettop(L));
    lua_getfield(L, -1, "cones");
    int is_cone = lua_getfield(L, -1, name) != LUA_TNIL;
    int nsets = (int)lua_tointeger(L, -1);
    lua_pop(L, 4);
    if (!is_cone) return -1;
    if (nsets != nkeys)
        luaL_error(L, "dual: cone '%s' takes %d ind%s, got %d", name, nsets, nsets == 1 ? "ex" : "ices", nkeys);
    char buf[512];
    for (int k = 3; k <= 2 + nkeys; k++) lua_pushvalue(L, k);
    lmodel_format_name(L, name, nkeys, buf, sizeof buf);
    lua_pop(L, nkeys);
    long k = found(L, lr, folio_model_find_cone(lr->lm->m, buf));
    if (k < 0) luaL_error(L, "dual: no cone '%s' (the index may have been skipped)", buf);
    if (!lr->r.cone_dual || (size_t)k >= lr->r.ncones) luaL_error(L, "dual: cone '%s' was added after this solve", buf);
    return k;
}

static int r_dual(lua_State *L)
{
    lresult *lr = check_result(L, 1);
    long cone = find_cone(L, lr);
    if (cone >= 0) {
        need_duals(L, lr, "dual");
        lua_pushnumber(L, lr->r.cone_dual[cone]);
        return 1;
    }
    size_t i = find_row(L, lr, "dual");
    need_duals(L, lr, "dual");
    lua_pushnumber(L, lr->r.row_dual[i]);
    return 1;
}

static int r_activity(lua_State *L)
{
    lresult *lr = check_result(L, 1);
    size_t i = find_row(L, lr, "activity");
    need_solution(L, lr, "activity");
    lua_pushnumber(L, lr->r.row_activity[i]);
    return 1;
}

static double slack_of(const folio_model *m, size_t i, double act)
{
    double lo = m->lo[i], hi = m->hi[i], s = HUGE_VAL;
    if (isfinite(hi)) s = hi - act;
    if (isfinite(lo) && act - lo < s) s = act - lo;
    return s;
}

static int r_slack(lua_State *L)
{
    lresult *lr = check_result(L, 1);
    size_t i = find_row(L, lr, "slack");
    need_solution(L, lr, "slack");
    lua_pushnumber(L, slack_of(lr->lm->m, i, lr->r.row_activity[i]));
    return 1;
}

static size_t single_var(lua_State *L, lresult *lr, int idx, const char *what)
{
    fview tmp;
    const fexpr *e = fexpr_test(L, idx, &tmp);
    if (!e || e->n != 1 || e->t[0].j >= 0 || e->t[0].v != 1.0 || e->c != 0.0)
        luaL_error(L, "%s: expected a single variable such as x[\"a\"]", what);
    if (e->model != lr->serial) luaL_error(L, "%s: the variable belongs to another model", what);
    if ((size_t)e->t[0].i >= lr->r.ncols) luaL_error(L, "%s: the variable was added after this solve", what);
    return (size_t)e->t[0].i;
}

static int r_reduced_cost(lua_State *L)
{
    lresult *lr = check_result(L, 1);
    size_t j = single_var(L, lr, 2, "reduced_cost");
    need_duals(L, lr, "reduced_cost");
    lua_pushnumber(L, lr->r.reduced_cost[j]);
    return 1;
}

static void set_range(lua_State *L, const char *name, double lo, double hi, double value)
{
    lua_createtable(L, 0, 3);
    lua_pushnumber(L, lo); lua_setfield(L, -2, "lo");
    lua_pushnumber(L, hi); lua_setfield(L, -2, "hi");
    lua_pushnumber(L, value); lua_setfield(L, -2, "value");
    lua_setfield(L, -2, name);
}

static int r_ranges(lua_State *L)
{
    lresult *lr = check_result(L, 1);
    if (!lr->r.has_ranges) lmodel_ranges_later(L, 1, &lr->r, lr->lm->m);   /* computed on first ask */
    if (!lr->r.has_ranges) {
        if (lr->r.is_mip) return luaL_error(L, "ranges: sensitivity ranges are defined for LPs only");
        if (!strcmp(lr->r.solver, "cbc"))
            return luaL_error(L, "ranges: Cbc computes no sensitivity ranges: solve with solver = \"glpk\"");
        if (lr->r.status != FOLIO_STATUS_OPTIMAL)
            return luaL_error(L, "ranges: no optimal basis (status '%s')", folio_status_name(lr->r.status));
        return luaL_error(L, "ranges: not computed: solve with {ranges = true} (and the simplex method)");
    }
    lua_createtable(L, 0, 2);
    lua_createtable(L, 0, (int)lr->r.ncols);
    for (size_t j = 0; j < lr->r.ncols; j++)
        set_range(L, folio_model_col_name(lr->lm->m, j), lr->r.obj_lo[j], lr->r.obj_hi[j], lr->lm->m->obj[j]);
    lua_setfield(L, -2, "objective");
    lua_createtable(L, 0, (int)lr->r.nrows);
    for (size_t i = 0; i < lr->r.nrows; i++)
        set_range(L, folio_model_row_name(lr->lm->m, i), lr->r.rhs_lo[i], lr->r.rhs_hi[i], lr->r.row_activity[i]);
    lua_setfield(L, -2, "rhs");
    return 1;
}

/* Rows in model order: {name, activity, lower, upper, dual, slack}. */
static int r_rows(lua_State *L)
{
    lresult *lr = check_result(L, 1);
    need_solution(L, lr, "rows");
    lua_createtable(L, (int)lr->r.nrows, 0);
    for (size_t i = 0; i < lr->r.nrows; i++) {
        lua_createtable(L, 0, 6);
        lua_pushstring(L, folio_model_row_name(lr->lm->m, i)); lua_setfield(L, -2, "name");
        lua_pushnumber(L, lr->r.row_activity[i]); lua_setfield(L, -2, "activity");
        lua_pushnumber(L, lr->lm->m->lo[i]); lua_setfield(L, -2, "lower");
        lua_pushnumber(L, lr->lm->m->hi[i]); lua_setfield(L, -2, "upper");
        if (lr->r.has_duals) { lua_pushnumber(L, lr->r.row_dual[i]); lua_setfield(L, -2, "dual"); }
        lua_pushnumber(L, slack_of(lr->lm->m, i, lr->r.row_activity[i])); lua_setfield(L, -2, "slack");
        lua_rawseti(L, -2, (lua_Integer)i + 1);
    }
    return 1;
}

/* Columns in model order: {name, value, reduced_cost}. */
static int r_columns(lua_State *L)
{
    lresult *lr = check_result(L, 1);
    need_solution(L, lr, "columns");
    lua_createtable(L, (int)lr->r.ncols, 0);
    for (size_t j = 0; j < lr->r.ncols; j++) {
        lua_createtable(L, 0, 3);
        lua_pushstring(L, folio_model_col_name(lr->lm->m, j)); lua_setfield(L, -2, "name");
        lua_pushnumber(L, lr->r.x[j]); lua_setfield(L, -2, "value");
        if (lr->r.has_duals) { lua_pushnumber(L, lr->r.reduced_cost[j]); lua_setfield(L, -2, "reduced_cost"); }
        lua_rawseti(L, -2, (lua_Integer)j + 1);
    }
    return 1;
}

/* The JSON shape of DESIGN.md: model, status, has_solution, objective,
 * solver, solve_time_s, variables, reduced_costs, constraints. */
static int r_to_table(lua_State *L)
{
    lresult *lr = check_result(L, 1);
    const folio_result *r = &lr->r;
    lua_createtable(L, 0, 14);
    lua_pushstring(L, folio_model_name(lr->lm->m)); lua_setfield(L, -2, "model");
    lua_pushstring(L, folio_status_name(r->status)); lua_setfield(L, -2, "status");
    lua_pushboolean(L, r->has_solution); lua_setfield(L, -2, "has_solution");
    if (r->has_solution) { lua_pushnumber(L, r->objective); lua_setfield(L, -2, "objective"); }
    lua_pushstring(L, r->solver); lua_setfield(L, -2, "solver");
    lua_pushnumber(L, r->solve_time); lua_setfield(L, -2, "solve_time_s");
    lua_pushinteger(L, r->iterations); lua_setfield(L, -2, "iterations");
    lua_pushstring(L, r->message); lua_setfield(L, -2, "message");
    if (r->is_mip) {
        lua_pushinteger(L, r->nodes); lua_setfield(L, -2, "nodes");
        if (isfinite(r->mip_bound)) { lua_pushnumber(L, r->mip_bound); lua_setfield(L, -2, "mip_bound"); }
        if (isfinite(r->mip_gap)) { lua_pushnumber(L, r->mip_gap); lua_setfield(L, -2, "mip_gap"); }
    }
    if (r->has_solution) {
        lua_createtable(L, 0, (int)r->ncols);
        for (size_t j = 0; j < r->ncols; j++) {
            lua_pushnumber(L, r->x[j]);
            lua_setfield(L, -2, folio_model_col_name(lr->lm->m, j));
        }
        lua_setfield(L, -2, "variables");
        if (r->has_duals) {
            lua_createtable(L, 0, (int)r->ncols);
            for (size_t j = 0; j < r->ncols; j++) {
                lua_pushnumber(L, r->reduced_cost[j]);
                lua_setfield(L, -2, folio_model_col_name(lr->lm->m, j));
            }
            lua_setfield(L, -2, "reduced_costs");
        }
        lua_createtable(L, 0, (int)r->nrows);
        for (size_t i = 0; i < r->nrows; i++) {
            lua_createtable(L, 0, 3);
            lua_pushnumber(L, r->row_activity[i]); lua_setfield(L, -2, "activity");
            if (r->has_duals) { lua_pushnumber(L, r->row_dual[i]); lua_setfield(L, -2, "dual"); }
            double s = slack_of(lr->lm->m, i, r->row_activity[i]);
            if (isfinite(s)) { lua_pushnumber(L, s); lua_setfield(L, -2, "slack"); }
            lua_setfield(L, -2, folio_model_row_name(lr->lm->m, i));
        }
        lua_setfield(L, -2, "constraints");
    }
    return 1;
}

/* r:conflict(opts): the conflict of the model this result solved, which
 * must not have grown since (models only grow: rows, columns and cones
 * are added, bounds never change; the objective plays no part). */
static int r_conflict(lua_State *L)
{
    lresult *lr = check_result(L, 1);
    lua_settop(L, 2);
    lua_getiuservalue(L, 1, 1);
    const folio_model *m = lr->lm->m;   /* closed or not, the result keeps it */
    if (folio_model_nrows(m) != lr->nrows || folio_model_ncols(m) != lr->ncols || folio_model_ncones(m) != lr->ncones)
        return luaL_error(L, "conflict: the model has constraints or variables added after this solve: "
                             "call conflict on the model");
    return lmodel_conflict(L, 3, 2);
}

static int r_tostring(lua_State *L)
{
    lresult *lr = check_result(L, 1);
    if (lr->r.has_solution)
        lua_pushfstring(L, "result of '%s': %s, objective %f", folio_model_name(lr->lm->m),
                        folio_status_name(lr->r.status), lr->r.objective);
    else
        lua_pushfstring(L, "result of '%s': %s", folio_model_name(lr->lm->m), folio_status_name(lr->r.status));
    return 1;
}

static const luaL_Reg result_methods[] = {
    {"value", r_value}, {"dual", r_dual}, {"reduced_cost", r_reduced_cost},
    {"ranges", r_ranges}, {"activity", r_activity}, {"slack", r_slack},
    {"rows", r_rows}, {"columns", r_columns}, {"to_table", r_to_table}, {"conflict", r_conflict},
    {NULL, NULL}
};

static int r_index(lua_State *L)
{
    lresult *lr = check_result(L, 1);
    const char *k = luaL_checkstring(L, 2);
    if (lua_getfield(L, lua_upvalueindex(1), k) != LUA_TNIL) return 1;
    const folio_result *r = &lr->r;
    if (!strcmp(k, "status")) lua_pushstring(L, folio_status_name(r->status));
    else if (!strcmp(k, "has_solution")) lua_pushboolean(L, r->has_solution);
    else if (!strcmp(k, "objective")) { if (r->has_solution) lua_pushnumber(L, r->objective); else lua_pushnil(L); }
    else if (!strcmp(k, "solver")) lua_pushstring(L, r->solver);
    else if (!strcmp(k, "solve_time")) lua_pushnumber(L, r->solve_time);
    else if (!strcmp(k, "iterations")) lua_pushinteger(L, r->iterations);
    else if (!strcmp(k, "nodes")) lua_pushinteger(L, r->nodes);
    else if (!strcmp(k, "is_mip")) lua_pushboolean(L, r->is_mip);
    else if (!strcmp(k, "has_duals")) lua_pushboolean(L, r->has_duals);
    else if (!strcmp(k, "mip_gap")) { if (r->is_mip) lua_pushnumber(L, r->mip_gap); else lua_pushnil(L); }
    else if (!strcmp(k, "mip_bound")) { if (r->is_mip) lua_pushnumber(L, r->mip_bound); else lua_pushnil(L); }
    else if (!strcmp(k, "message")) lua_pushstring(L, r->message);
    else if (!strcmp(k, "model")) lua_pushstring(L, folio_model_name(lr->lm->m));
    else return luaL_error(L, "result has no field or method '%s'", k);
    return 1;
}

int luaopen_folio_result(lua_State *L)
{
    luaL_newmetatable(L, LRESULT_MT);
    lua_pushcfunction(L, r_gc);
    lua_setfield(L, -2, "__gc");
    lua_pushcfunction(L, r_tostring);
    lua_setfield(L, -2, "__tostring");
    luaL_newlib(L, result_methods);
    lua_pushvalue(L, -1);
    lua_setfield(L, -3, "methods");   /* for the REPL's completion */
    lua_pushcclosure(L, r_index, 1);
    lua_setfield(L, -2, "__index");
    static const char *const fields[] = { "status", "has_solution", "objective", "solver", "solve_time",
        "iterations", "nodes", "is_mip", "has_duals", "mip_gap", "mip_bound", "message", "model", NULL };
    lua_newtable(L);
    for (int i = 0; fields[i]; i++) {
        lua_pushstring(L, fields[i]);
        lua_rawseti(L, -2, i + 1);
    }
    lua_setfield(L, -2, "fields");
    laux_protect_metatable(L, -1);
    lua_pop(L, 1);
    lua_newtable(L);
    return 1;
}
