/* folio.model: variables, constraints, cones, objective, solve, export. */
#include "lmodel.h"
#include "folio/conflict.h"
#include "laux.h"
#include "lexpr.h"
#include "lfamily.h"
#include "lsandbox.h"
#include "../backends/lazy_ranges.h"

#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define NAME_CAP 512

static uint32_t next_serial = 1;
static const char models_key = 'm';    /* registry: serial -> model (weak) */

lmodel *lmodel_check_live(lua_State *L, int idx)
{
    lmodel *lm = luaL_checkudata(L, idx, LMODEL_MT);
    if (!lm->m) luaL_error(L, "model has been freed");
    return lm;
}

lmodel *lmodel_check(lua_State *L, int idx)
{
    lmodel *lm = lmodel_check_live(L, idx);
    if (lm->closed) luaL_error(L, "model '%s' is closed", folio_model_name(lm->m));
    return lm;
}

void lmodel_push_meta(lua_State *L, int model_idx)
{
    lua_getiuservalue(L, model_idx, 1);
}

static const char *resolve_name(lua_State *L, uint32_t serial, int32_t col)
{
    lua_rawgetp(L, LUA_REGISTRYINDEX, &models_key);
    lua_rawgeti(L, -1, serial);
    lmodel *lm = lua_touserdata(L, -1);
    lua_pop(L, 2);   /* the model stays referenced by the caller's values */
    if (!lm || !lm->m) return NULL;
    return folio_model_col_name(lm->m, (size_t)col);
}

/* "name[text]" into buf */
static void name_with(lua_State *L, const char *name, const char *text, size_t tlen, char *buf, size_t cap)
{
    size_t nl = strlen(name);
    if (nl + tlen + 3 > cap) luaL_error(L, "'%s': name with its index keys exceeds %d characters", name, (int)cap);
    memcpy(buf, name, nl);
    buf[nl] = '[';
    memcpy(buf + nl + 1, text, tlen);
    buf[nl + 1 + tlen] = ']';
    buf[nl + 2 + tlen] = '\0';
}

void lmodel_format_name(lua_State *L, const char *name, int nkeys, char *buf, size_t cap)
{
    size_t len = strlen(name);
    if (len + 3 >= cap) luaL_error(L, "name '%s' is too long", name);
    memcpy(buf, name, len);
    if (nkeys == 0) {
        buf[len] = '\0';
        return;
    }
    buf[len++] = '[';
    if (folio_keys_format(L, nkeys, buf, &len, cap - 1))
        luaL_error(L, "'%s': index keys must be strings or numbers and the name under %d characters",
                   name, (int)cap);
    buf[len++] = ']';
    buf[len] = '\0';
}

static void ensure_scratch(lua_State *L, lmodel *lm, size_t n)
{
    if (n <= lm->cap) return;
    size_t cap = lm->cap ? lm->cap : 64;
    while (cap < n) cap *= 2;
    int *idx = realloc(lm->idx, cap * sizeof *idx);
    if (idx) lm->idx = idx;
    double *val = realloc(lm->val, cap * sizeof *val);
    if (val) lm->val = val;
    if (!idx || !val) luaL_error(L, "out of memory");
    lm->cap = cap;
}

/* ---- folio.model(name) --------------------------------------------------- */

/* Pushes an empty model userdata; the caller attaches lm->m. It exists
 * (and will be collected) before the C model does, so nothing leaks if
 * creating or reading that model raises an error. */
static lmodel *push_model(lua_State *L)
{
    lmodel *lm = lua_newuserdatauv(L, sizeof *lm, 1);
    memset(lm, 0, sizeof *lm);
    luaL_setmetatable(L, LMODEL_MT);
    lm->serial = next_serial++;
    lua_createtable(L, 0, 3);
    lua_newtable(L); lua_setfield(L, -2, "vars");
    lua_newtable(L); lua_setfield(L, -2, "cons");
    lua_newtable(L); lua_setfield(L, -2, "cones");
    lua_setiuservalue(L, -2, 1);
    lua_rawgetp(L, LUA_REGISTRYINDEX, &models_key);
    lua_pushvalue(L, -2);
    lua_rawseti(L, -2, lm->serial);
    lua_pop(L, 1);
    return lm;
}

static int l_model(lua_State *L)
{
    const char *name = luaL_optstring(L, 1, "model");
    lmodel *lm = push_model(L);
    lm->m = folio_model_new(name);
    if (!lm->m) return luaL_error(L, "out of memory creating model");
    return 1;
}

/* folio.read_model(path): an LP (.lp) or MPS (.mps) file as a model; its
 * rows and columns are addressed by their names in the file. */
static int l_read_model(lua_State *L)
{
    size_t len;
    const char *path = luaL_checklstring(L, 1, &len);
    folio_file_format fmt;
    if (len > 3 && !strcmp(path + len - 3, ".lp")) fmt = FOLIO_FORMAT_LP;
    else if (len > 4 && !strcmp(path + len - 4, ".mps")) fmt = FOLIO_FORMAT_MPS;
    else return luaL_error(L, "read_model: '%s': the file name must end in .lp or .mps", path);
    folio_sandbox_check_path(L, path, 0);
    char err[600];
    lmodel *lm = push_model(L);
    lm->m = folio_model_read(path, fmt, err, sizeof err);
    if (!lm->m) return luaL_error(L, "%s", err);
    return 1;
}

/* __close: the model refuses further use, but its memory stays for the
 * results that refer to it (they hold the userdata), until __gc. */
static int m_close(lua_State *L)
{
    lmodel *lm = luaL_checkudata(L, 1, LMODEL_MT);
    lm->closed = 1;
    return 0;
}

static int m_gc(lua_State *L)
{
    lmodel *lm = luaL_checkudata(L, 1, LMODEL_MT);
    folio_model_free(lm->m);
    free(lm->idx);
    free(lm->val);
    lm->m = NULL;
    lm->idx = NULL;
    lm->val = NULL;
    lm->cap = 0;
    return 0;
}

/* Checks that name is unused in the model's table `kind` and records it. */
static void claim_name(lua_State *L, int model_idx, const char *kind, const char *what,
                       const char *name, int nsets)
{
    if (!*name) luaL_error(L, "%s name must not be empty", what);
    if (strpbrk(name, "[],")) luaL_error(L, "%s name '%s' must not contain '[', ']' or ','", what, name);
    lmodel_push_meta(L, model_idx);
    lua_getfield(L, -1, kind);
    if (lua_getfield(L, -1, name) != LUA_TNIL) luaL_error(L, "%s '%s' already exists in this model", what, name);
    lua_pop(L, 1);
    lua_pushinteger(L, nsets);
    lua_setfield(L, -2, name);
    lua_pop(L, 2);
}

/* ---- m:var(name [, sets] [, opts]) ------------------------------------ */

typedef struct var_ctx {
    lmodel *lm;
    const char *name;
    int lb_idx, ub_idx;   /* stack slots of lb/ub specs (number, table, function) */
    folio_kind kind;
    char buf[NAME_CAP];
} var_ctx;

/* Bound from a spec: number, function(keys...), or table keyed like the family. */
static double bound_of(lua_State *L, var_ctx *v, int spec, int nkeys, double dflt, const char *which)
{
    int t = lua_type(L, spec);
    if (t == LUA_TNIL) return dflt;
    if (t == LUA_TNUMBER) return lua_tonumber(L, spec);
    int top = lua_gettop(L);
    if (t == LUA_TFUNCTION) {
        lua_pushvalue(L, spec);
        for (int k = 0; k < nkeys; k++) lua_pushvalue(L, top - nkeys + 1 + k);
        lua_call(L, nkeys, 1);
    } else {   /* table keyed like the family */
        lua_pushvalue(L, spec);
        for (int k = 0; k < nkeys; k++) {
            if (!lua_istable(L, -1)) luaL_error(L, "variable '%s': %s table is not nested like the index sets", v->name, which);
            lua_pushvalue(L, top - nkeys + 1 + k);
            lua_gettable(L, -2);
            lua_remove(L, -2);
        }
    }
    double b = dflt;
    if (!lua_isnil(L, -1)) {
        int isnum;
        b = lua_tonumberx(L, -1, &isnum);
        if (!isnum) luaL_error(L, "variable '%s': %s must be a number, got %s", v->buf, which, luaL_typename(L, -1));
    }
    lua_settop(L, top);
    return b;
}

static void add_var(lua_State *L, var_ctx *v, int nkeys)
{
    double lb = bound_of(L, v, v->lb_idx, nkeys, v->kind == FOLIO_BINARY ? 0.0 : -HUGE_VAL, "lb");
    double ub = bound_of(L, v, v->ub_idx, nkeys, v->kind == FOLIO_BINARY ? 1.0 : HUGE_VAL, "ub");
    if (isnan(lb) || isnan(ub)) luaL_error(L, "variable '%s': bound is not a number (nan)", v->buf);
    long j = folio_model_add_col(v->lm->m, v->buf, lb, ub, v->kind);
    if (j < 0) luaL_error(L, "%s", folio_model_last_error(v->lm->m));
    fexpr_push_var(L, v->lm->serial, (int32_t)j);
}

static void var_leaf(lua_State *L, void *ud, int nkeys, const char *text, size_t len)
{
    var_ctx *v = ud;
    name_with(L, v->name, text, len, v->buf, sizeof v->buf);
    add_var(L, v, nkeys);
}

static const char *const var_opts[] = { "lb", "ub", "kind", NULL };
static const char *const var_kind_names[] = { "continuous", "integer", "binary", NULL };
static const folio_kind var_kinds[] = { FOLIO_CONTINUOUS, FOLIO_INTEGER, FOLIO_BINARY };

static int m_var(lua_State *L)
{
    lmodel *lm = lmodel_check(L, 1);
    const char *name = luaL_checkstring(L, 2);
    /* m:var(name, opts) declares a scalar with options */
    lua_settop(L, 4);
    if (lua_istable(L, 3) && lua_isnil(L, 4) && lua_rawlen(L, 3) == 0) {
        lua_pushnil(L);
        if (lua_next(L, 3)) {
            lua_pop(L, 2);
            lua_pushvalue(L, 3);
            lua_replace(L, 4);
            lua_pushnil(L);
            lua_replace(L, 3);
        }
    }
    char what[300];
    snprintf(what, sizeof what, "variable '%s'", name);
    laux_check_options(L, 4, what, var_opts);
    var_ctx ctx;
    ctx.lm = lm;
    ctx.name = name;
    ctx.kind = FOLIO_CONTINUOUS;
    if (lua_istable(L, 4)) {
        ctx.kind = var_kinds[laux_opt_enum(L, 4, what, "kind", var_kind_names, 0)];
        lua_getfield(L, 4, "lb");
        lua_getfield(L, 4, "ub");
    } else {
        lua_pushnil(L); lua_pushnil(L);
    }
    lua_pushnil(L);   /* 7: a free slot, the index sets go to 8 */
    ctx.lb_idx = 5;
    ctx.ub_idx = 6;
    for (int s = 5; s <= 6; s++) {
        int t = lua_type(L, s);
        if (t != LUA_TNIL && t != LUA_TNUMBER && t != LUA_TTABLE && t != LUA_TFUNCTION)
            return luaL_error(L, "%s: %s must be a number, a table or a function", what, s == 5 ? "lb" : "ub");
    }
    int nsets = folio_sets_push(L, 3, what, 0);   /* 8 */
    claim_name(L, 1, "vars", "variable", name, nsets);
    if (nsets == 0) {
        snprintf(ctx.buf, sizeof ctx.buf, "%s", name);
        add_var(L, &ctx, 0);
    } else {
        int need_keys = lua_type(L, 5) == LUA_TTABLE || lua_type(L, 5) == LUA_TFUNCTION ||
                        lua_type(L, 6) == LUA_TTABLE || lua_type(L, 6) == LUA_TFUNCTION;
        folio_family_build(L, name, 8, need_keys, var_leaf, &ctx);
    }
    /* remember the family for lookups by name */
    lmodel_push_meta(L, 1);
    lua_getfield(L, -1, "families");
    if (lua_isnil(L, -1)) {
        lua_pop(L, 1);
        lua_newtable(L);
        lua_pushvalue(L, -1);
        lua_setfield(L, -3, "families");
    }
    lua_pushvalue(L, -3);
    lua_setfield(L, -2, name);
    lua_pop(L, 2);
    return 1;
}

/* ---- constraints ------------------------------------------------------ */

typedef enum { REL_LE, REL_GE, REL_EQ } rel_t;

static rel_t check_rel(lua_State *L, int idx, const char *cname)
{
    const char *r = lua_type(L, idx) == LUA_TSTRING ? lua_tostring(L, idx) : NULL;
    if (r && !strcmp(r, "<=")) return REL_LE;
    if (r && !strcmp(r, ">=")) return REL_GE;
    if (r && !strcmp(r, "==")) return REL_EQ;
    if (r) luaL_error(L, "constraint '%s': relation must be \"<=\", \">=\" or \"==\", got \"%s\"", cname, r);
    luaL_error(L, "constraint '%s': relation must be \"<=\", \">=\" or \"==\", got a %s", cname,
               luaL_typename(L, idx));
    return REL_EQ;
}

/* Copies scale * (linear terms of e) into the scratch at *n. */
/* Copies scale * e's linear terms into the scratch at *n; returns the
 * number of quadratic terms it skipped. */
static size_t scratch_add(lua_State *L, lmodel *lm, size_t *n, const fexpr *e, double scale, const char *cname)
{
    if (e->model && e->model != lm->serial)
        luaL_error(L, "constraint '%s': uses variables of another model", cname);
    ensure_scratch(L, lm, *n + e->n);
    size_t nq = 0;
    for (uint32_t k = 0; k < e->n; k++) {
        if (e->t[k].j >= 0) { nq++; continue; }
        lm->idx[*n] = e->t[k].i;
        lm->val[*n] = scale * e->t[k].v;
        (*n)++;
    }
    return nq;
}

/* A constraint with quadratic terms: a - b, kept as a row plus a cone. */
static void add_quad_row(lua_State *L, lmodel *lm, const char *cname, size_t n, const fexpr *a,
                         const fexpr *b, size_t nq, double lo, double hi)
{
    /* quadratic terms after the linear ones in the scratch */
    ensure_scratch(L, lm, n + nq);
    int *qi = lua_newuserdatauv(L, 2 * nq * sizeof(int) + 1, 0);
    int *qj = qi + nq;
    size_t w = 0;
    for (int side = 0; side < 2; side++) {
        const fexpr *e = side ? b : a;
        for (uint32_t k = 0; k < e->n; k++)
            if (e->t[k].j >= 0) {
                qi[w] = e->t[k].i;
                qj[w] = e->t[k].j;
                lm->val[n + w] = (side ? -1.0 : 1.0) * e->t[k].v;
                w++;
            }
    }
    if (folio_model_add_quad_row(lm->m, cname, n, lm->idx, lm->val, nq, qi, qj, lm->val + n, lo, hi) < 0)
        luaL_error(L, "%s", folio_model_last_error(lm->m));
    lua_pop(L, 1);
}

/* Adds the row described by nvals values starting at stack index first:
 * a rel b, or a rel b rel c (a and c numbers). */
static void add_row_from(lua_State *L, lmodel *lm, const char *cname, int first, int nvals, int mt)
{
    fview t1, t2, t3;
    size_t n = 0;
    double lo, hi;
    if (nvals == 3) {
        rel_t r = check_rel(L, first + 1, cname);
        const fexpr *a = fexpr_view_mt(L, first, mt, &t1, cname);
        const fexpr *b = fexpr_view_mt(L, first + 2, mt, &t2, cname);
        size_t nq = scratch_add(L, lm, &n, a, 1.0, cname);
        nq += scratch_add(L, lm, &n, b, -1.0, cname);
        double rhs = b->c - a->c;
        if (!isfinite(rhs))
            luaL_error(L, "constraint '%s': right-hand side overflows to %s when the constants are moved to "
                          "the right", cname, rhs > 0 ? "inf" : "-inf");
        lo = r == REL_LE ? -HUGE_VAL : rhs;
        hi = r == REL_GE ? HUGE_VAL : rhs;
        if (nq) {
            add_quad_row(L, lm, cname, n, a, b, nq, lo, hi);
            return;
        }
    } else if (nvals == 5) {
        rel_t r1 = check_rel(L, first + 1, cname), r2 = check_rel(L, first + 3, cname);
        if (r1 != r2 || r1 == REL_EQ)
            luaL_error(L, "constraint '%s': a two-sided constraint needs \"<=\" twice or \">=\" twice", cname);
        const fexpr *a = fexpr_view_mt(L, first, mt, &t1, cname);
        const fexpr *b = fexpr_view_mt(L, first + 2, mt, &t2, cname);
        const fexpr *c = fexpr_view_mt(L, first + 4, mt, &t3, cname);
        if (a->n || c->n)
            luaL_error(L, "constraint '%s': the outer parts of a two-sided constraint must be numbers", cname);
        if (scratch_add(L, lm, &n, b, 1.0, cname))
            luaL_error(L, "constraint '%s': a quadratic constraint must be one-sided (<= or >=): "
                          "a range is not convex", cname);
        double l = (r1 == REL_LE ? a->c : c->c) - b->c, h = (r1 == REL_LE ? c->c : a->c) - b->c;
        if (!isfinite(l) || !isfinite(h))
            luaL_error(L, "constraint '%s': %s limit overflows to %s when the constants are moved to the right",
                       cname, isfinite(l) ? "upper" : "lower", (isfinite(l) ? h : l) > 0 ? "inf" : "-inf");
        lo = l;
        hi = h;
        if (lo > hi) {
            char msg[160];   /* lua_pushfstring has no %g */
            snprintf(msg, sizeof msg, "lower limit %g exceeds upper limit %g", lo + b->c, hi + b->c);
            luaL_error(L, "constraint '%s': %s", cname, msg);
        }
    } else {
        luaL_error(L, "constraint '%s': expected lhs, relation, rhs (got %d values)", cname, nvals);
        return;
    }
    if (folio_model_add_row(lm->m, cname, n, lm->idx, lm->val, lo, hi) < 0)
        luaL_error(L, "%s", folio_model_last_error(lm->m));
}

/* ---- cones -------------------------------------------------------------- */

/* Appends the linear terms of e to the scratch at *n, refusing quadratic
 * terms and other models' variables. */
static void cone_terms(lua_State *L, lmodel *lm, size_t *n, const fexpr *e, const char *cname)
{
    if (e->model && e->model != lm->serial) luaL_error(L, "cone '%s': uses variables of another model", cname);
    ensure_scratch(L, lm, *n + e->n);
    for (uint32_t q = 0; q < e->n; q++) {
        if (e->t[q].j >= 0) luaL_error(L, "cone '%s': members and t must be affine (no quadratic terms)", cname);
        lm->idx[*n] = e->t[q].i;
        lm->val[*n] = e->t[q].v;
        (*n)++;
    }
}

static void add_cone_from(lua_State *L, lmodel *lm, const char *cname, int first, int nvals, int mt)
{
    if (nvals != 3) luaL_error(L, "cone '%s': expected {members}, \"<=\", t (got %d values)", cname, nvals);
    if (!lua_istable(L, first)) luaL_error(L, "cone '%s': members must be a table of expressions", cname);
    const char *r = lua_tostring(L, first + 1);
    if (!r || strcmp(r, "<=")) luaL_error(L, "cone '%s': relation must be \"<=\" (||members|| <= t)", cname);
    size_t k = lua_rawlen(L, first);
    if (k == 0) luaL_error(L, "cone '%s': no members", cname);
    /* start and cst: on the C stack when small, else in a userdata, so
     * that an error cannot leak them */
    size_t start_small[17];
    double cst_small[16];
    size_t *start = start_small;
    double *cst = cst_small;
    int boxed = k > 16;
    if (boxed) {
        start = lua_newuserdatauv(L, (k + 1) * sizeof *start + k * sizeof(double), 0);
        cst = (double *)(start + k + 1);
    }
    size_t n = 0;
    for (size_t q = 0; q < k; q++) {
        lua_rawgeti(L, first, (lua_Integer)q + 1);
        fview mv;
        const fexpr *v = fexpr_view_mt(L, lua_gettop(L), mt, &mv, cname);
        start[q] = n;
        cone_terms(L, lm, &n, v, cname);
        cst[q] = v->c;
        lua_pop(L, 1);
    }
    start[k] = n;
    fview tv;
    const fexpr *t = fexpr_view_mt(L, first + 2, mt, &tv, cname);
    size_t tfirst = n;
    cone_terms(L, lm, &n, t, cname);
    ensure_scratch(L, lm, n + 1);   /* lm->idx + tfirst must not be NULL + 0 (a cone without terms) */
    long res = folio_model_add_soc(lm->m, cname, k, start, lm->idx, lm->val, cst, t->n, lm->idx + tfirst,
                                   lm->val + tfirst, t->c);
    if (boxed) lua_pop(L, 1);
    if (res < 0) luaL_error(L, "%s", folio_model_last_error(lm->m));
}

/* ---- m:st and m:soc: one row (cone), or a family over index sets ---- */

typedef void (*add_fn)(lua_State *L, lmodel *lm, const char *cname, int first, int nvals, int mt);

typedef struct decl_kind {
    const char *table, *what;   /* bookkeeping table and the word in messages */
    add_fn add;
} decl_kind;

static const decl_kind ROWS = { "cons", "constraint", add_row_from };
static const decl_kind CONES = { "cones", "cone", add_cone_from };

typedef struct decl_ctx {
    lmodel *lm;
    const char *name;
    const decl_kind *kind;
    int mt;
    char buf[NAME_CAP];
} decl_ctx;

static void decl_leaf(lua_State *L, void *ud, int nkeys, const char *text, size_t len)
{
    /* stack: fn k1..kn */
    decl_ctx *c = ud;
    name_with(L, c->name, text, len, c->buf, sizeof c->buf);
    int base = lua_gettop(L) - nkeys - 1;     /* below fn */
    lua_call(L, nkeys, LUA_MULTRET);
    int nres = lua_gettop(L) - base;
    if (nres > 0 && !lua_isnil(L, base + 1))  /* nil skips the index */
        c->kind->add(L, c->lm, c->buf, base + 1, nres, c->mt);
    lua_settop(L, base);
}

static int declare(lua_State *L, const decl_kind *kind)
{
    lmodel *lm = lmodel_check(L, 1);
    const char *name = luaL_checkstring(L, 2);
    int nargs = lua_gettop(L);
    if (lua_type(L, 4) == LUA_TFUNCTION) {
        if (nargs > 4)
            return luaL_error(L, "%s '%s': the family form takes (name, sets, fn)", kind->what, name);
        char what[300];
        snprintf(what, sizeof what, "%s '%s'", kind->what, name);
        int nsets = folio_sets_push(L, 3, what, 0);
        lua_pop(L, 1);
        claim_name(L, 1, kind->table, kind->what, name, nsets);
        decl_ctx c;
        c.lm = lm;
        c.name = name;
        c.kind = kind;
        fexpr_push_mt(L);
        c.mt = lua_gettop(L);
        folio_product_each(L, 3, 4, what, decl_leaf, &c);
        return 0;
    }
    claim_name(L, 1, kind->table, kind->what, name, 0);
    fexpr_push_mt(L);
    kind->add(L, lm, name, 3, nargs - 2, lua_gettop(L));
    return 0;
}

static int m_st(lua_State *L) { return declare(L, &ROWS); }
static int m_soc(lua_State *L) { return declare(L, &CONES); }

/* ---- objective ------------------------------------------------------------ */

static int set_objective(lua_State *L, folio_sense sense)
{
    lmodel *lm = lmodel_check(L, 1);
    fview tmp;
    const fexpr *e = fexpr_view(L, 2, &tmp, "objective");
    if (e->model && e->model != lm->serial) return luaL_error(L, "objective uses variables of another model");
    size_t nl = 0, nq = 0;
    for (uint32_t k = 0; k < e->n; k++) {
        if (e->t[k].j < 0) nl++;
        else nq++;
    }
    int *li = malloc((nl + 1) * sizeof *li), *qi = malloc((nq + 1) * sizeof *qi), *qj = malloc((nq + 1) * sizeof *qj);
    double *lv = malloc((nl + 1) * sizeof *lv), *qv = malloc((nq + 1) * sizeof *qv);
    folio_error err = FOLIO_ERR_NOMEM;
    if (li && qi && qj && lv && qv) {
        size_t a = 0, b = 0;
        for (uint32_t k = 0; k < e->n; k++) {
            if (e->t[k].j < 0) { li[a] = e->t[k].i; lv[a] = e->t[k].v; a++; }
            else { qi[b] = e->t[k].i; qj[b] = e->t[k].j; qv[b] = e->t[k].v; b++; }
        }
        err = folio_model_set_objective(lm->m, sense, e->c, nl, li, lv, nq, qi, qj, qv);
    }
    free(li); free(qi); free(qj); free(lv); free(qv);
    if (err == FOLIO_ERR_NOMEM) return luaL_error(L, "out of memory setting the objective");
    if (err) return luaL_error(L, "%s", folio_model_last_error(lm->m));
    if (nq && (e->curv & (sense == FOLIO_MINIMIZE ? CURV_PSD : CURV_NSD)))
        folio_model_mark_objective_convex(lm->m);
    lua_settop(L, 1);
    return 1;
}

static int m_minimize(lua_State *L) { return set_objective(L, FOLIO_MINIMIZE); }
static int m_maximize(lua_State *L) { return set_objective(L, FOLIO_MAXIMIZE); }

/* ---- solve ---------------------------------------------------------------- */

static const char *const solve_opts[] = {
    "solver", "time_limit", "mip_gap", "iteration_limit", "presolve", "method",
    "verbose", "mip_duals", "ranges", "feastol", "reltol", "abstol", "dense_kkt", "mip_start", NULL
};
static const char *const lp_method_names[] = { "simplex", "dual", "interior", "auto", NULL };
static const folio_lp_method lp_methods[] = { FOLIO_LP_SIMPLEX, FOLIO_LP_DUAL_SIMPLEX, FOLIO_LP_INTERIOR,
                                              FOLIO_LP_AUTO };

/* mip_start = {[x["a"]] = 1, [y] = 0, ...} keyed by variable, or an
 * earlier result of this model: pushes an array of one value per column
 * (NAN where none is given) and returns it, or NULL when there is none. */
static const double *opt_mip_start(lua_State *L, int t, lmodel *lm)
{
    if (lua_getfield(L, t, "mip_start") == LUA_TNIL) {
        lua_pop(L, 1);
        return NULL;
    }
    int src = lua_gettop(L);
    size_t n = folio_model_ncols(lm->m);
    double *x = lua_newuserdatauv(L, (n + 1) * sizeof *x, 0);
    for (size_t j = 0; j < n; j++) x[j] = NAN;
    uint32_t serial;
    const folio_result *r = lresult_test(L, src, &serial);
    if (r) {
        if (serial != lm->serial) luaL_error(L, "solve: mip_start: the result belongs to another model");
        if (!r->has_solution)
            luaL_error(L, "solve: mip_start: the result has no solution (status '%s')",
                       folio_status_name(r->status));
        memcpy(x, r->x, (r->ncols < n ? r->ncols : n) * sizeof *x);
    } else if (lua_istable(L, src)) {
        lua_pushnil(L);
        while (lua_next(L, src)) {
            fview tmp;
            const fexpr *e = fexpr_test(L, -2, &tmp);
            if (!e || e->n != 1 || e->t[0].j >= 0 || e->t[0].v != 1.0 || e->c != 0.0)
                luaL_error(L, "solve: mip_start: keys must be variables such as x[\"a\"], got %s",
                           luaL_typename(L, -2));
            if (e->model != lm->serial)
                luaL_error(L, "solve: mip_start: variable '%s' belongs to another model",
                           fexpr_col_name(L, e->model, e->t[0].i));
            const char *name = folio_model_col_name(lm->m, (size_t)e->t[0].i);
            int isnum;
            double v = lua_tonumberx(L, -1, &isnum);
            if (!isnum || !isfinite(v))
                luaL_error(L, "solve: mip_start: the value of '%s' must be a finite number", name);
            x[e->t[0].i] = v;
            lua_pop(L, 1);
        }
    } else {
        luaL_error(L, "solve: mip_start must be a table {[variable] = value} or a result, got %s",
                   luaL_typename(L, src));
    }
    lua_remove(L, src);   /* the array stays on the stack until the solve returns */
    return x;
}

/* Ranges on demand (lazy_ranges.h): a result's kept basis lives in a
 * registry table with weak keys, result -> a userdata owning the basis. */
static const char BASES_KEY[] = "folio.model.bases";

static int basis_gc(lua_State *L)
{
    folio_basis **bp = lua_touserdata(L, 1);
    folio_basis_free(*bp);
    *bp = NULL;
    return 0;
}

static void push_bases(lua_State *L)
{
    if (luaL_getsubtable(L, LUA_REGISTRYINDEX, BASES_KEY)) return;
    lua_createtable(L, 0, 1);   /* new: weak keys */
    lua_pushliteral(L, "k");
    lua_setfield(L, -2, "__mode");
    lua_setmetatable(L, -2);
}

/* Keeps the basis the solve left (if any) with the result at the stack
 * top; frees it when the result cannot use it. */
static void keep_basis(lua_State *L, const folio_result *r)
{
    folio_basis **bp = lua_newuserdatauv(L, sizeof *bp, 0);   /* owner first: no leak if this raises */
    *bp = NULL;
    if (luaL_newmetatable(L, "folio.basis")) {
        lua_pushcfunction(L, basis_gc);
        lua_setfield(L, -2, "__gc");
    }
    lua_setmetatable(L, -2);
    *bp = folio_basis_take();
    if (!*bp || r->status != FOLIO_STATUS_OPTIMAL || r->is_mip) {
        lua_pop(L, 1);   /* the collector frees it */
        return;
    }
    push_bases(L);
    lua_pushvalue(L, -3);   /* the result */
    lua_pushvalue(L, -3);   /* its basis */
    lua_rawset(L, -3);
    lua_pop(L, 2);
}

int lmodel_ranges_later(lua_State *L, int result_idx, folio_result *r, folio_model *m)
{
    result_idx = lua_absindex(L, result_idx);
    push_bases(L);
    lua_pushvalue(L, result_idx);
    if (lua_rawget(L, -2) != LUA_TUSERDATA) {
        lua_pop(L, 2);
        return 0;
    }
    folio_basis **bp = lua_touserdata(L, -1);
    if (!*bp) {
        lua_pop(L, 2);
        return 0;
    }
    if (folio_basis_ranges(m, *bp, r) != FOLIO_OK) return luaL_error(L, "ranges: %s", folio_model_last_error(m));
    /* computed: the basis is no longer needed */
    lua_pushvalue(L, result_idx);
    lua_pushnil(L);
    lua_rawset(L, -4);
    lua_pop(L, 2);
    return 1;
}

static int m_solve(lua_State *L)
{
    lmodel *lm = lmodel_check(L, 1);
    lua_settop(L, 2);
    if (lua_isnil(L, 2)) { lua_newtable(L); lua_replace(L, 2); }
    laux_check_options(L, 2, "solve", solve_opts);
    folio_options o;
    folio_options_default(&o);
    char solver[32] = "";
    if (lua_getfield(L, 2, "solver") != LUA_TNIL) {
        if (lua_type(L, -1) != LUA_TSTRING)
            return luaL_error(L, "solve: solver must be a string (got %s)", luaL_typename(L, -1));
        const char *s = lua_tostring(L, -1);
        snprintf(solver, sizeof solver, "%s", s);
        o.solver = solver;
    }
    lua_pop(L, 1);
    o.time_limit = laux_opt_number(L, 2, "solve", "time_limit", 0, 0);
    o.mip_gap = laux_opt_number(L, 2, "solve", "mip_gap", -1, -1);
    o.iteration_limit = (long)laux_opt_integer(L, 2, "solve", "iteration_limit", 0, 0, LONG_MAX);
    o.presolve = laux_opt_boolean(L, 2, "solve", "presolve", -1);   /* -1: the method's default */
    o.verbose = laux_opt_boolean(L, 2, "solve", "verbose", 0);
    o.mip_duals = laux_opt_boolean(L, 2, "solve", "mip_duals", 0);
    o.feastol = laux_opt_number(L, 2, "solve", "feastol", 0, 0);
    o.reltol = laux_opt_number(L, 2, "solve", "reltol", 0, 0);
    o.abstol = laux_opt_number(L, 2, "solve", "abstol", 0, 0);
    o.dense_kkt = laux_opt_boolean(L, 2, "solve", "dense_kkt", 0);
    /* ranging costs two basis solves per row and column, often more than
     * the solve: by default an LP keeps its optimal basis and r:ranges()
     * computes them from it when first asked (lazy_ranges.h); true
     * computes them at the solve, false never */
    o.ranges = laux_opt_boolean(L, 2, "solve", "ranges", FOLIO_RANGES_LATER);
    o.method = lp_methods[laux_opt_enum(L, 2, "solve", "method", lp_method_names, 3)];
    o.mip_start = opt_mip_start(L, 2, lm);
    folio_result *r = lresult_new(L, 1);   /* owns the arrays from the start */
    folio_basis_free(folio_basis_take());   /* none should be left, but never another solve's */
    folio_error e = folio_solve(lm->m, &o, r);
    if (e != FOLIO_OK) {
        folio_basis_free(folio_basis_take());
        return luaL_error(L, "solve: %s", folio_model_last_error(lm->m));
    }
    keep_basis(L, r);
    /* a script must not carry on with half an answer: a spent budget
     * (the solver stopped at the time it left) is the budget's error */
    if (folio_poll() == FOLIO_POLL_BUDGET) folio_sandbox_check(L);
    if (r->status == FOLIO_STATUS_INTERRUPTED)
        return luaL_error(L, "interrupted by the user (solve of model '%s')", folio_model_name(lm->m));
    return 1;
}

/* ---- bounds ------------------------------------------------------------- */

/* m:set_bounds(x, lb, ub) with x a variable: its bounds; with x a
 * constraint's name: its limits, as the range of its variable part (the
 * constants moved to the right, as m:st stores it). The model keeps the new
 * values, so that a search can fix and release variables and re-solve
 * without building the model again. Earlier results of the model lose the
 * basis they kept for ranges on demand (it was the old problem's). */
static int m_set_bounds(lua_State *L)
{
    lmodel *lm = lmodel_check(L, 1);
    folio_model *m = lm->m;
    double lb = luaL_checknumber(L, 3), ub = luaL_checknumber(L, 4);
    const char *what;
    char label[NAME_CAP + 16];
    double *plo, *phi;
    int binary = 0;
    if (lua_type(L, 2) == LUA_TSTRING) {
        const char *name = lua_tostring(L, 2);
        long i = folio_model_find_row(m, name);
        if (i < 0) return luaL_error(L, "set_bounds: the model has no constraint '%s'", name);
        snprintf(label, sizeof label, "%s.sq", name);
        if (folio_model_find_cone(m, label) >= 0)
            return luaL_error(L, "set_bounds: constraint '%s' is quadratic; only a linear constraint's limits "
                                 "can change", name);
        snprintf(label, sizeof label, "constraint '%s'", name);
        what = "limit";
        plo = &m->lo[i];
        phi = &m->hi[i];
    } else {
        fview tmp;
        const fexpr *e = fexpr_test(L, 2, &tmp);
        if (!e || e->n != 1 || e->t[0].j >= 0 || e->t[0].v != 1.0 || e->c != 0.0)
            return luaL_error(L, "set_bounds: expected a variable such as x[\"a\"] or a constraint's name, got %s",
                              e ? "an expression" : luaL_typename(L, 2));
        if (e->model != lm->serial)
            return luaL_error(L, "set_bounds: variable '%s' belongs to another model",
                              fexpr_col_name(L, e->model, e->t[0].i));
        size_t j = (size_t)e->t[0].i;
        snprintf(label, sizeof label, "variable '%s'", folio_model_col_name(m, j));
        what = "bound";
        binary = folio_model_col_kind(m, j) == FOLIO_BINARY;
        plo = &m->lb[j];
        phi = &m->ub[j];
    }
    if (isnan(lb) || isnan(ub) || lb == HUGE_VAL || ub == -HUGE_VAL)
        return luaL_error(L, "set_bounds: %s: %s is not a number or infinite the wrong way", label, what);
    if (binary) {
        lb = lb < 0 ? 0 : lb;
        ub = ub > 1 ? 1 : ub;
    }
    if (lb > ub) {
        char msg[160];   /* lua_pushfstring has no %g */
        snprintf(msg, sizeof msg, "lower %s %g exceeds upper %s %g", what, lb, what, ub);
        return luaL_error(L, "set_bounds: %s: %s", label, msg);
    }
    *plo = lb;
    *phi = ub;
    /* bases kept for ranges on demand belong to the problem before */
    push_bases(L);
    int bases = lua_gettop(L);
    lua_pushnil(L);
    while (lua_next(L, bases)) {
        uint32_t serial;
        lua_pop(L, 1);
        if (lresult_test(L, -1, &serial) && serial == lm->serial) {
            lua_pushvalue(L, -1);
            lua_pushnil(L);
            lua_rawset(L, bases);   /* clearing an existing field keeps lua_next valid */
        }
    }
    lua_pop(L, 1);
    return 0;
}

/* ---- conflict ------------------------------------------------------------- */

static const char *const conflict_opts[] = { "solver", "time_limit", "groups", NULL };

/* A named solver must exist and handle what the feasibility problems keep
 * of the model (integrality, cones; the objective is dropped), so that a
 * bad name is an error here rather than a failed search. */
static void conflict_check_solver(lua_State *L, const folio_model *m, const char *solver)
{
    if (!*solver || !strcmp(solver, "auto")) return;
    unsigned caps = folio_backend_caps(solver);
    unsigned need = (folio_model_nintegers(m) ? FOLIO_CAP_MIP : 0) | (folio_model_ncones(m) ? FOLIO_CAP_SOC : 0);
    if (caps && (caps & need) == need) return;
    luaL_Buffer b;
    luaL_buffinit(L, &b);
    int n = 0;
    for (const char *const *k = folio_backends(); *k; k++) {
        unsigned c = folio_backend_caps(*k);
        if (caps && (c & need) != need) continue;
        if (n++) luaL_addstring(&b, ", ");
        luaL_addstring(&b, *k);
    }
    luaL_pushresult(&b);
    if (!caps) luaL_error(L, "conflict: unknown solver '%s' (available: %s)", solver, lua_tostring(L, -1));
    const char *what = (need & ~caps & FOLIO_CAP_MIP) && (need & ~caps & FOLIO_CAP_SOC)
                           ? "integer variables and cones"
                           : need & ~caps & FOLIO_CAP_MIP ? "integer variables" : "cones";
    luaL_error(L, "conflict: solver '%s' cannot solve this model: it has %s (backends that can: %s)", solver, what,
               n ? lua_tostring(L, -1) : "none");
}

static int cmp_label(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* groups[key] for the name (or family prefix) at the stack top, which is
 * popped: the group id of its label, or -1. Marks the key found. */
static int group_lookup(lua_State *L, int groups, int ids, int found)
{
    lua_pushvalue(L, -1);
    if (lua_rawget(L, groups) != LUA_TSTRING) {
        lua_pop(L, 2);
        return -1;
    }
    lua_rawget(L, ids);
    int id = (int)lua_tointeger(L, -1);
    lua_pop(L, 1);
    lua_pushboolean(L, 1);
    lua_rawset(L, found);
    return id;
}

/* The group of a row or column name: its exact name first, then its
 * family (the name before '['). */
static int group_of(lua_State *L, const char *name, int groups, int ids, int found)
{
    lua_pushstring(L, name);
    int id = group_lookup(L, groups, ids, found);
    const char *br = strchr(name, '[');
    if (br && br > name) {
        lua_pushlstring(L, name, (size_t)(br - name));
        int fam = group_lookup(L, groups, ids, found);
        if (id < 0) id = fam;
    }
    return id;
}

/* opts.groups at index g: {name or family = label}. Fills o's row and
 * column groups (arrays in userdata on the stack) and pushes the labels
 * by id, 1-based, sorted; returns the stack index of that array. */
static int conflict_groups(lua_State *L, const folio_model *m, int g, folio_conflict_options *o)
{
    /* labels: checked and collected as a set */
    lua_newtable(L);
    int ids = lua_gettop(L);
    size_t nlabels = 0;
    lua_pushnil(L);
    while (lua_next(L, g)) {
        if (lua_type(L, -2) != LUA_TSTRING)
            luaL_error(L, "conflict: groups: keys must be constraint or variable names (got a %s key)",
                       luaL_typename(L, -2));
        if (lua_type(L, -1) != LUA_TSTRING)
            luaL_error(L, "conflict: groups: the group of '%s' must be a string label (got %s)", lua_tostring(L, -2),
                       luaL_typename(L, -1));
        lua_pushvalue(L, -1);
        if (lua_rawget(L, ids) == LUA_TNIL) {
            lua_pushvalue(L, -2);
            lua_pushboolean(L, 1);
            lua_rawset(L, ids);
            nlabels++;
        }
        lua_pop(L, 2);
    }
    /* ids in the labels' sorted order, so that the groups found come out sorted */
    const char **sorted = lua_newuserdatauv(L, (nlabels + 1) * sizeof *sorted, 0);
    size_t k = 0;
    lua_pushnil(L);
    while (lua_next(L, ids)) {
        lua_pop(L, 1);
        sorted[k++] = lua_tostring(L, -1);   /* kept alive by ids */
    }
    qsort(sorted, nlabels, sizeof *sorted, cmp_label);
    lua_createtable(L, (int)nlabels, 0);
    int labels = lua_gettop(L);
    for (k = 0; k < nlabels; k++) {
        lua_pushstring(L, sorted[k]);
        lua_rawseti(L, labels, (lua_Integer)k + 1);
        lua_pushinteger(L, (lua_Integer)k);
        lua_setfield(L, ids, sorted[k]);
    }
    /* every row and column to its group, or -1: always enforced */
    size_t nrows = folio_model_nrows(m), ncols = folio_model_ncols(m);
    int *row_group = lua_newuserdatauv(L, (nrows + ncols + 1) * sizeof *row_group, 0);
    int *col_group = row_group + nrows;
    lua_newtable(L);
    int found = lua_gettop(L);
    for (size_t i = 0; i < nrows; i++) row_group[i] = group_of(L, folio_model_row_name(m, i), g, ids, found);
    for (size_t j = 0; j < ncols; j++) col_group[j] = group_of(L, folio_model_col_name(m, j), g, ids, found);
    /* a key that names nothing is a typo, not an empty group: the first
     * such key in sorted order, for a message that does not vary */
    const char *missing = NULL;
    lua_pushnil(L);
    while (lua_next(L, g)) {
        lua_pop(L, 1);
        lua_pushvalue(L, -1);
        if (lua_rawget(L, found) == LUA_TNIL && (!missing || strcmp(lua_tostring(L, -2), missing) < 0))
            missing = lua_tostring(L, -2);   /* kept alive by groups */
        lua_pop(L, 1);
    }
    if (missing) {
        lua_getfield(L, g, missing);
        luaL_error(L, "conflict: groups: no constraint or variable named '%s' in this model (group '%s')", missing,
                   lua_tostring(L, -1));
    }
    lua_pop(L, 1);   /* found; the group arrays stay on the stack */
    o->row_group = row_group;
    o->col_group = col_group;
    o->ngroups = nlabels;
    return labels;
}

static void add_number(luaL_Buffer *b, double v)
{
    char num[32];
    snprintf(num, sizeof num, "%.14g", v);
    luaL_addstring(b, num);
}

/* "lo <= name <= hi", "name <= hi", "name >= lo" or "name == v" */
static void add_row_text(luaL_Buffer *b, const char *name, double lo, double hi)
{
    if (lo == hi) {
        luaL_addstring(b, name);
        luaL_addstring(b, " == ");
        add_number(b, hi);
    } else if (isfinite(lo) && isfinite(hi)) {
        add_number(b, lo);
        luaL_addstring(b, " <= ");
        luaL_addstring(b, name);
        luaL_addstring(b, " <= ");
        add_number(b, hi);
    } else {
        luaL_addstring(b, name);
        luaL_addstring(b, isfinite(hi) ? " <= " : " >= ");
        add_number(b, isfinite(hi) ? hi : lo);
    }
}

/* The conflict in one line: "rows a <= 1, b >= 2; bounds x <= 0" or
 * "groups g1, g2"; pushed. */
static void push_conflict_text(lua_State *L, const folio_model *m, const folio_conflict *c,
                               const folio_conflict_item *items, int labels)
{
    if (c->status == FOLIO_STATUS_OPTIMAL) {
        lua_pushliteral(L, "no conflict: the model is feasible");
        return;
    }
    if (c->n == 0) {
        lua_pushstring(L, c->message);
        return;
    }
    size_t nrow = 0, nbound = 0, ngroup = 0;
    for (size_t k = 0; k < c->n; k++) {
        if (items[k].part == FOLIO_CONFLICT_ROW) nrow++;
        else if (items[k].part == FOLIO_CONFLICT_GROUP) ngroup++;
        else nbound++;
    }
    luaL_Buffer b;
    luaL_buffinit(L, &b);
    for (int pass = 0; pass < 3; pass++) {
        size_t count = pass == 0 ? nrow : pass == 1 ? nbound : ngroup;
        if (!count) continue;
        if (pass == 1 && nrow) luaL_addstring(&b, "; ");
        luaL_addstring(&b, pass == 0 ? (count == 1 ? "row " : "rows ")
                           : pass == 1 ? (count == 1 ? "bound " : "bounds ")
                                       : (count == 1 ? "group " : "groups "));
        size_t done = 0;
        for (size_t k = 0; k < c->n; k++) {
            folio_conflict_item it = items[k];
            int kind = it.part == FOLIO_CONFLICT_ROW ? 0 : it.part == FOLIO_CONFLICT_GROUP ? 2 : 1;
            if (kind != pass) continue;
            if (done++) luaL_addstring(&b, ", ");
            if (it.part == FOLIO_CONFLICT_ROW) {
                double lo, hi;
                folio_model_row_bounds(m, it.index, &lo, &hi);
                add_row_text(&b, folio_model_row_name(m, it.index), lo, hi);
            } else if (it.part == FOLIO_CONFLICT_GROUP) {
                lua_rawgeti(L, labels, (lua_Integer)it.index + 1);
                luaL_addvalue(&b);
            } else {
                double lb, ub;
                folio_model_col_bounds(m, it.index, &lb, &ub);
                luaL_addstring(&b, folio_model_col_name(m, it.index));
                luaL_addstring(&b, it.part == FOLIO_CONFLICT_COL_LOWER ? " >= " : " <= ");
                add_number(&b, it.part == FOLIO_CONFLICT_COL_LOWER ? lb : ub);
            }
        }
    }
    if (!c->irreducible) luaL_addstring(&b, " (the search stopped: not irreducible)");
    luaL_pushresult(&b);
}

int lmodel_conflict(lua_State *L, int model_idx, int opts_idx)
{
    model_idx = lua_absindex(L, model_idx);
    lmodel *lm = lmodel_check_live(L, model_idx);
    lua_pushvalue(L, opts_idx);
    int t = lua_gettop(L);
    if (lua_isnoneornil(L, t)) {
        lua_newtable(L);
        lua_replace(L, t);
    }
    if (!lua_istable(L, t)) return luaL_error(L, "conflict: expected a table of options (got %s)", luaL_typename(L, t));
    laux_check_options(L, t, "conflict", conflict_opts);
    folio_conflict_options o;
    folio_conflict_options_default(&o);
    char solver[32] = "";
    if (lua_getfield(L, t, "solver") != LUA_TNIL) {
        if (lua_type(L, -1) != LUA_TSTRING)
            return luaL_error(L, "conflict: solver must be a string (got %s)", luaL_typename(L, -1));
        snprintf(solver, sizeof solver, "%s", lua_tostring(L, -1));
        conflict_check_solver(L, lm->m, lua_tostring(L, -1));
        o.solver = solver;
    }
    lua_pop(L, 1);
    o.time_limit = laux_opt_number(L, t, "conflict", "time_limit", 0, 0);
    int labels = 0;
    int gt = lua_getfield(L, t, "groups");
    if (gt != LUA_TNIL) {
        if (gt != LUA_TTABLE) return luaL_error(L, "conflict: groups must be a table (got %s)", luaL_typename(L, -1));
        labels = conflict_groups(L, lm->m, lua_gettop(L), &o);
    }
    /* room for every item, so that nothing can raise while the C
     * outcome is held */
    size_t cap = labels ? o.ngroups : folio_model_nrows(lm->m) + 2 * folio_model_ncols(lm->m);
    folio_conflict_item *items = lua_newuserdatauv(L, (cap + 1) * sizeof *items, 0);
    folio_conflict c;
    if (folio_model_conflict(lm->m, &o, &c) != FOLIO_OK)
        return luaL_error(L, "%s", folio_model_last_error(lm->m));
    size_t n = c.n;
    memcpy(items, c.items, n * sizeof *items);
    folio_conflict_free(&c);
    c.n = n;
    c.items = items;
    if (c.status == FOLIO_STATUS_INTERRUPTED)   /* as a solve: no half answers */
        return luaL_error(L, "interrupted by the user (conflict of model '%s')", folio_model_name(lm->m));

    lua_createtable(L, 0, 8);
    lua_pushstring(L, folio_status_name(c.status)); lua_setfield(L, -2, "status");
    lua_pushboolean(L, c.irreducible); lua_setfield(L, -2, "irreducible");
    lua_pushinteger(L, c.solves); lua_setfield(L, -2, "solves");
    lua_pushnumber(L, c.seconds); lua_setfield(L, -2, "seconds");
    lua_pushstring(L, c.message); lua_setfield(L, -2, "message");
    lua_createtable(L, (int)c.n, 0);
    for (size_t k = 0; k < c.n; k++) {
        folio_conflict_item it = items[k];
        if (it.part == FOLIO_CONFLICT_GROUP) {
            lua_rawgeti(L, labels, (lua_Integer)it.index + 1);
        } else if (it.part == FOLIO_CONFLICT_ROW) {
            double lo, hi;
            folio_model_row_bounds(lm->m, it.index, &lo, &hi);
            lua_createtable(L, 0, 4);
            lua_pushliteral(L, "row"); lua_setfield(L, -2, "kind");
            lua_pushstring(L, folio_model_row_name(lm->m, it.index)); lua_setfield(L, -2, "name");
            lua_pushnumber(L, lo); lua_setfield(L, -2, "lower");
            lua_pushnumber(L, hi); lua_setfield(L, -2, "upper");
        } else {
            double lb, ub;
            int lower = it.part == FOLIO_CONFLICT_COL_LOWER;
            folio_model_col_bounds(lm->m, it.index, &lb, &ub);
            lua_createtable(L, 0, 3);
            lua_pushstring(L, lower ? "lower" : "upper"); lua_setfield(L, -2, "kind");
            lua_pushstring(L, folio_model_col_name(lm->m, it.index)); lua_setfield(L, -2, "name");
            lua_pushnumber(L, lower ? lb : ub); lua_setfield(L, -2, "value");
        }
        lua_rawseti(L, -2, (lua_Integer)k + 1);
    }
    lua_setfield(L, -2, "items");
    push_conflict_text(L, lm->m, &c, items, labels);
    lua_setfield(L, -2, "text");
    return 1;
}

static int m_conflict(lua_State *L)
{
    lmodel_check(L, 1);
    lua_settop(L, 2);
    return lmodel_conflict(L, 1, 2);
}

static int m_write(lua_State *L)
{
    lmodel *lm = lmodel_check(L, 1);
    size_t len;
    const char *path = luaL_checklstring(L, 2, &len);
    folio_file_format fmt;
    if (len > 3 && !strcmp(path + len - 3, ".lp")) fmt = FOLIO_FORMAT_LP;
    else if (len > 4 && !strcmp(path + len - 4, ".mps")) fmt = FOLIO_FORMAT_MPS;
    else return luaL_error(L, "write: '%s': the file name must end in .lp or .mps", path);
    folio_sandbox_check_path(L, path, 1);
    if (folio_model_write(lm->m, path, fmt) != FOLIO_OK)
        return luaL_error(L, "write: %s", folio_model_last_error(lm->m));
    return 0;
}

static int m_lower(lua_State *L)
{
    lmodel *lm = lmodel_check(L, 1);
    const char *solver = luaL_optstring(L, 2, "glpk");
    int skip = 0;
    if (lua_istable(L, 3)) {
        lua_getfield(L, 3, "skip_cones");
        skip = lua_toboolean(L, -1);
        lua_pop(L, 1);
    }
    double secs = 0;
    if (folio_lower(lm->m, solver, skip, &secs) != FOLIO_OK)
        return luaL_error(L, "lower: %s", folio_model_last_error(lm->m));
    lua_pushnumber(L, secs);
    return 1;
}

static int m_stats(lua_State *L)
{
    lmodel *lm = lmodel_check(L, 1);
    lua_createtable(L, 0, 7);
    lua_pushstring(L, folio_model_name(lm->m)); lua_setfield(L, -2, "name");
    lua_pushinteger(L, (lua_Integer)folio_model_nrows(lm->m)); lua_setfield(L, -2, "rows");
    lua_pushinteger(L, (lua_Integer)folio_model_ncols(lm->m)); lua_setfield(L, -2, "cols");
    lua_pushinteger(L, (lua_Integer)folio_model_nnz(lm->m)); lua_setfield(L, -2, "nnz");
    lua_pushinteger(L, (lua_Integer)folio_model_nintegers(lm->m)); lua_setfield(L, -2, "integers");
    lua_pushinteger(L, (lua_Integer)folio_model_nquad(lm->m)); lua_setfield(L, -2, "quadratic");
    lua_pushinteger(L, (lua_Integer)folio_model_ncones(lm->m)); lua_setfield(L, -2, "cones");
    return 1;
}

static int m_tostring(lua_State *L)
{
    lmodel *lm = luaL_checkudata(L, 1, LMODEL_MT);
    if (!lm->m) { lua_pushliteral(L, "model (freed)"); return 1; }
    if (lm->closed) {
        lua_pushfstring(L, "model '%s' (closed)", folio_model_name(lm->m));
        return 1;
    }
    lua_pushfstring(L, "model '%s' (%d variables, %d constraints)", folio_model_name(lm->m),
                    (int)folio_model_ncols(lm->m), (int)folio_model_nrows(lm->m));
    return 1;
}

static const luaL_Reg model_methods[] = {
    {"var", m_var}, {"st", m_st}, {"soc", m_soc}, {"minimize", m_minimize},
    {"maximize", m_maximize}, {"solve", m_solve}, {"write", m_write}, {"lower", m_lower},
    {"stats", m_stats}, {"conflict", m_conflict}, {"set_bounds", m_set_bounds}, {NULL, NULL}
};

static int m_index(lua_State *L)
{
    lmodel *lm = luaL_checkudata(L, 1, LMODEL_MT);
    const char *k = luaL_checkstring(L, 2);
    if (lua_getfield(L, lua_upvalueindex(1), k) != LUA_TNIL) return 1;
    if (!strcmp(k, "name") && lm->m) {
        lua_pushstring(L, folio_model_name(lm->m));
        return 1;
    }
    return luaL_error(L, "model has no field or method '%s'", k);
}

static const luaL_Reg model_meta[] = {
    {"__gc", m_gc}, {"__close", m_close}, {"__tostring", m_tostring}, {NULL, NULL}
};

static const luaL_Reg model_funcs[] = { {"model", l_model}, {"read_model", l_read_model}, {NULL, NULL} };

int luaopen_folio_model(lua_State *L)
{
    lua_newtable(L);
    lua_newtable(L);
    lua_pushliteral(L, "v");
    lua_setfield(L, -2, "__mode");
    lua_setmetatable(L, -2);
    lua_rawsetp(L, LUA_REGISTRYINDEX, &models_key);
    fexpr_set_name_resolver(resolve_name);

    luaL_newmetatable(L, LMODEL_MT);
    luaL_setfuncs(L, model_meta, 0);
    luaL_newlib(L, model_methods);
    lua_pushvalue(L, -1);
    lua_pushcclosure(L, m_index, 1);
    lua_setfield(L, -3, "__index");
    /* the methods table, so lua/folio can add methods written in Lua */
    luaL_newlib(L, model_funcs);
    lua_insert(L, -2);
    lua_setfield(L, -2, "model_methods");
    laux_protect_metatable(L, -2);
    lua_remove(L, -2);
    return 1;
}
