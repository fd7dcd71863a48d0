/* folio.core.cim: the CIM gradient flow (include/folio/cim.h) for Lua.
 *   solve{mu =, theta =, gamma =, groups = {{i, ...}, ...}, lambdas =, rho =,
 *         limits = {{i, ...}, ...}, caps =, lower =, upper =, nu =, omega =,
 *         sigma =, l1_eps =, w0 =, integrator =, linear_solver =, rtol =,
 *         atol =, grad_tol =, t_max =, max_steps =, samples =}
 *   exact{...same problem fields...} -> w (array), note
 * Indices are 1-based asset positions; lua/folio/cim.lua maps names. All
 * arguments are read and checked into Lua-owned userdata before the
 * engine allocates, so a Lua error cannot leak. */
#include "lcim.h"
#include "folio/cim.h"

#include <lauxlib.h>
#include <math.h>
#include <string.h>

static const char *const PROBLEM_KEYS[] = { "mu", "theta", "gamma", "groups", "lambdas", "rho", "limits", "caps",
                                            "lower", "upper", "nu", "omega", "sigma", "l1_eps", "w0", NULL };
static const char *const OPTION_KEYS[] = { "integrator", "linear_solver", "rtol", "atol", "grad_tol", "t_max",
                                           "max_steps", "samples", NULL };

static void check_keys(lua_State *L, int t, const char *fn, int with_options)
{
    lua_pushnil(L);
    while (lua_next(L, t)) {
        lua_pop(L, 1);
        if (lua_type(L, -1) != LUA_TSTRING) luaL_error(L, "cim.%s: option names must be strings", fn);
        const char *k = lua_tostring(L, -1);
        int ok = 0;
        for (int i = 0; PROBLEM_KEYS[i] && !ok; i++) ok = !strcmp(k, PROBLEM_KEYS[i]);
        for (int i = 0; with_options && OPTION_KEYS[i] && !ok; i++) ok = !strcmp(k, OPTION_KEYS[i]);
        if (!ok) luaL_error(L, "cim.%s: unknown option '%s'", fn, k);
    }
}

static double *scratch(lua_State *L, size_t n)
{
    return lua_newuserdatauv(L, (n ? n : 1) * sizeof(double), 0);   /* collected with the call's stack */
}

/* t[key] as a length-n array of finite numbers (or NULL when absent) */
static double *get_vector(lua_State *L, int t, const char *key, size_t n, int required)
{
    int ty = lua_getfield(L, t, key);
    if (ty == LUA_TNIL) {
        lua_pop(L, 1);
        if (required) luaL_error(L, "cim: %s is required", key);
        return NULL;
    }
    if (ty != LUA_TTABLE) luaL_error(L, "cim: %s must be an array of numbers", key);
    if (lua_rawlen(L, -1) != n)
        luaL_error(L, "cim: %s has %d entries, expected %d", key, (int)lua_rawlen(L, -1), (int)n);
    int arr = lua_gettop(L);
    double *v = scratch(L, n);
    lua_insert(L, arr);   /* keep the userdata below the table */
    for (size_t i = 0; i < n; i++) {
        lua_rawgeti(L, arr + 1, (lua_Integer)i + 1);
        int isnum;
        v[i] = lua_tonumberx(L, -1, &isnum);
        if (!isnum) luaL_error(L, "cim: %s[%d] is not a number", key, (int)i + 1);
        if (isnan(v[i])) luaL_error(L, "cim: %s[%d] is not a number (nan)", key, (int)i + 1);
        lua_pop(L, 1);
    }
    lua_pop(L, 1);        /* the table; the userdata stays on the stack */
    return v;
}

static double get_number(lua_State *L, int t, const char *key, double def)
{
    int ty = lua_getfield(L, t, key);
    double v = def;
    if (ty != LUA_TNIL) {
        int isnum;
        v = lua_tonumberx(L, -1, &isnum);
        if (!isnum) luaL_error(L, "cim: %s must be a number", key);
    }
    lua_pop(L, 1);
    return v;
}

/* t[key] = {{i, ...}, ...} as CSR (0-based); returns the set count */
static size_t get_sets(lua_State *L, int t, const char *key, size_t n, size_t **start, int **idx)
{
    *start = NULL;
    *idx = NULL;
    int ty = lua_getfield(L, t, key);
    if (ty == LUA_TNIL) { lua_pop(L, 1); return 0; }
    if (ty != LUA_TTABLE) luaL_error(L, "cim: %s must be a list of index lists", key);
    int sets = lua_gettop(L);
    size_t k = lua_rawlen(L, sets), total = 0;
    for (size_t g = 1; g <= k; g++) {
        if (lua_rawgeti(L, sets, (lua_Integer)g) != LUA_TTABLE) luaL_error(L, "cim: %s[%d] is not a list", key, (int)g);
        total += lua_rawlen(L, -1);
        lua_pop(L, 1);
    }
    *start = lua_newuserdatauv(L, (k + 1) * sizeof **start, 0);
    *idx = lua_newuserdatauv(L, (total ? total : 1) * sizeof **idx, 0);
    size_t pos = 0;
    for (size_t g = 1; g <= k; g++) {
        (*start)[g - 1] = pos;
        lua_rawgeti(L, sets, (lua_Integer)g);
        size_t len = lua_rawlen(L, -1);
        for (size_t a = 1; a <= len; a++) {
            lua_rawgeti(L, -1, (lua_Integer)a);
            int isint;
            lua_Integer v = lua_tointegerx(L, -1, &isint);
            if (!isint) luaL_error(L, "cim: %s[%d][%d] is not an asset index", key, (int)g, (int)a);
            if (v < 1 || (size_t)v > n)
                luaL_error(L, "cim: %s[%d]: asset index %d is out of range 1..%d", key, (int)g, (int)v, (int)n);
            (*idx)[pos++] = (int)(v - 1);
            lua_pop(L, 1);
        }
        lua_pop(L, 1);
    }
    (*start)[k] = pos;
    lua_remove(L, sets);  /* the two userdata stay */
    return k;
}

/* reads the problem from the table at t; every array lives on the Lua stack */
static void read_problem(lua_State *L, int t, folio_cim_problem *p)
{
    memset(p, 0, sizeof *p);
    if (lua_getfield(L, t, "mu") != LUA_TTABLE) luaL_error(L, "cim: mu must be an array of numbers");
    size_t n = lua_rawlen(L, -1);
    lua_pop(L, 1);
    if (n == 0) luaL_error(L, "cim: mu is empty");
    p->n = n;
    p->mu = get_vector(L, t, "mu", n, 1);
    if (lua_getfield(L, t, "theta") != LUA_TTABLE) luaL_error(L, "cim: theta (the covariance) is required");
    int th = lua_gettop(L);
    if (lua_rawlen(L, th) != n) luaL_error(L, "cim: theta has %d rows, expected %d", (int)lua_rawlen(L, th), (int)n);
    double *T = scratch(L, n * n);
    lua_insert(L, th);
    for (size_t i = 0; i < n; i++) {
        if (lua_rawgeti(L, th + 1, (lua_Integer)i + 1) != LUA_TTABLE || lua_rawlen(L, -1) != n)
            luaL_error(L, "cim: theta row %d must have %d numbers", (int)i + 1, (int)n);
        for (size_t j = 0; j < n; j++) {
            lua_rawgeti(L, -1, (lua_Integer)j + 1);
            int isnum;
            T[i * n + j] = lua_tonumberx(L, -1, &isnum);
            if (!isnum) luaL_error(L, "cim: theta[%d][%d] is not a number", (int)i + 1, (int)j + 1);
            lua_pop(L, 1);
        }
        lua_pop(L, 1);
    }
    lua_pop(L, 1);
    p->theta = T;
    p->gamma = get_number(L, t, "gamma", 1);
    p->ngroups = get_sets(L, t, "groups", n, (size_t **)&p->group_start, (int **)&p->group_idx);
    p->lambda = p->ngroups ? get_vector(L, t, "lambdas", p->ngroups, 1) : NULL;
    p->rho = get_number(L, t, "rho", 0);
    p->nlimits = get_sets(L, t, "limits", n, (size_t **)&p->limit_start, (int **)&p->limit_idx);
    p->limit_cap = p->nlimits ? get_vector(L, t, "caps", p->nlimits, 1) : NULL;
    p->lo = get_vector(L, t, "lower", n, 0);
    p->hi = get_vector(L, t, "upper", n, 0);
    p->nu = get_vector(L, t, "nu", n, 0);
    p->omega = get_vector(L, t, "omega", n, 0);
    p->sigma = get_number(L, t, "sigma", 0);
    p->l1_eps = get_number(L, t, "l1_eps", 0);
    p->w0 = get_vector(L, t, "w0", n, 0);
}

void lcim_push_numbers(lua_State *L, const double *v, size_t n)
{
    lua_createtable(L, (int)n, 0);
    for (size_t i = 0; i < n; i++) {
        lua_pushnumber(L, v[i]);
        lua_rawseti(L, -2, (lua_Integer)i + 1);
    }
}

static const char *const INTEGRATORS[] = { "cvode_bdf", "cvode_adams", "erk_dp5", "erk_tsit5", NULL };
static const char *const LINSOLS[] = { "auto", "dense", "pcg", NULL };
static const char *const STATUS[] = { "converged", "t_max", "solver_failure", "step_limit", "invalid",
                                      "interrupted" };

static int choice(lua_State *L, int t, const char *key, const char *const *names, int def)
{
    int ty = lua_getfield(L, t, key);
    int v = def;
    if (ty != LUA_TNIL) {
        const char *s = lua_tostring(L, -1);
        v = -1;
        for (int i = 0; s && names[i]; i++) if (!strcmp(s, names[i])) v = i;
        if (v < 0) {
            luaL_Buffer b;
            luaL_buffinit(L, &b);
            for (int i = 0; names[i]; i++) {
                if (i) luaL_addstring(&b, ", ");
                luaL_addstring(&b, names[i]);
            }
            luaL_pushresult(&b);
            luaL_error(L, "cim: %s must be one of %s (got '%s')", key, lua_tostring(L, -1), s ? s : luaL_typename(L, -2));
        }
    }
    lua_pop(L, 1);
    return v;
}

typedef struct { folio_cim_result r; } result_box;

static int result_gc(lua_State *L)
{
    result_box *b = luaL_checkudata(L, 1, "folio.cim_result");
    folio_cim_result_free(&b->r);
    return 0;
}

static int l_solve(lua_State *L)
{
    luaL_checktype(L, 1, LUA_TTABLE);
    lua_settop(L, 1);
    check_keys(L, 1, "solve", 1);
    folio_cim_problem p;
    read_problem(L, 1, &p);
    folio_cim_options o;
    folio_cim_default_options(&o);
    o.integrator = (folio_cim_integrator)choice(L, 1, "integrator", INTEGRATORS, 0);
    o.linsol = (folio_cim_linsol)choice(L, 1, "linear_solver", LINSOLS, 0);
    o.rtol = get_number(L, 1, "rtol", o.rtol);
    o.atol = get_number(L, 1, "atol", o.atol);
    o.grad_tol = get_number(L, 1, "grad_tol", o.grad_tol);
    o.t_max = get_number(L, 1, "t_max", o.t_max);
    double ms = get_number(L, 1, "max_steps", (double)o.max_steps);
    double smp = get_number(L, 1, "samples", (double)o.samples);
    if (!(ms >= 0 && ms <= 1e12)) luaL_error(L, "cim: max_steps must be >= 0");
    if (!(smp >= 0 && smp <= 1e6)) luaL_error(L, "cim: samples must be in 0..1e6");
    o.max_steps = (long)ms;
    o.samples = (size_t)smp;
    char msg[256];
    if (folio_cim_validate(&p, msg, sizeof msg)) luaL_error(L, "cim: %s", msg);
    /* the result lives in a userdata so an error below cannot leak it */
    result_box *b = lua_newuserdatauv(L, sizeof *b, 0);
    memset(b, 0, sizeof *b);
    luaL_setmetatable(L, "folio.cim_result");
    int box = lua_gettop(L);
    folio_cim_status st = folio_cim_solve(&p, &o, &b->r);
    folio_cim_result *r = &b->r;
    if (st == FOLIO_CIM_INVALID) luaL_error(L, "cim: %s", r->message);
    /* a script must not carry on with half an answer (the box frees r) */
    if (st == FOLIO_CIM_INTERRUPTED) luaL_error(L, "interrupted by the user (cim.solve)");
    size_t n = p.n;
    lua_createtable(L, 0, 16);
    lua_pushstring(L, STATUS[st]);
    lua_setfield(L, -2, "status");
    lua_pushstring(L, r->message);
    lua_setfield(L, -2, "message");
    lcim_push_numbers(L, r->w, n);
    lua_setfield(L, -2, "weights");
    lua_pushnumber(L, r->energy);
    lua_setfield(L, -2, "energy");
    lua_pushnumber(L, r->grad_norm);
    lua_setfield(L, -2, "grad_norm");
    lua_pushnumber(L, r->t_end);
    lua_setfield(L, -2, "t_end");
    lua_pushnumber(L, r->max_violation);
    lua_setfield(L, -2, "max_violation");
    lua_createtable(L, 0, 9);
    const struct { const char *k; long v; } stats[] = {
        { "steps", r->steps }, { "rhs_evals", r->rhs_evals }, { "jac_evals", r->jac_evals },
        { "lin_iters", r->lin_iters }, { "nonlin_iters", r->nonlin_iters },
        { "err_test_fails", r->err_test_fails }, { "projections", r->projections }, { "events", r->events },
    };
    for (size_t i = 0; i < sizeof stats / sizeof stats[0]; i++) {
        lua_pushinteger(L, stats[i].v);
        lua_setfield(L, -2, stats[i].k);
    }
    lua_pushnumber(L, r->time_s);
    lua_setfield(L, -2, "time");
    lua_pushstring(L, INTEGRATORS[o.integrator]);
    lua_setfield(L, -2, "integrator");
    lua_setfield(L, -2, "stats");
    lua_createtable(L, 0, 3);
    lcim_push_numbers(L, r->sample_t, r->nsamples);
    lua_setfield(L, -2, "t");
    lcim_push_numbers(L, r->sample_energy, r->nsamples);
    lua_setfield(L, -2, "energy");
    lua_createtable(L, (int)r->nsamples, 0);
    for (size_t k = 0; k < r->nsamples; k++) {
        lcim_push_numbers(L, r->sample_w + k * n, n);
        lua_rawseti(L, -2, (lua_Integer)k + 1);
    }
    lua_setfield(L, -2, "weights");
    lua_setfield(L, -2, "trajectory");
    folio_cim_result_free(r);
    lua_remove(L, box);
    return 1;
}

static int l_exact(lua_State *L)
{
    luaL_checktype(L, 1, LUA_TTABLE);
    lua_settop(L, 1);
    check_keys(L, 1, "exact", 0);
    folio_cim_problem p;
    read_problem(L, 1, &p);
    double *w = scratch(L, p.n);
    char msg[256] = "";
    if (folio_cim_exact(&p, w, msg, sizeof msg)) luaL_error(L, "cim.exact: %s", msg);
    lcim_push_numbers(L, w, p.n);
    if (msg[0]) lua_pushstring(L, msg);
    else lua_pushnil(L);
    return 2;
}

/* best_subset(Q, q, K) -> indices (1-based, ascending), energy */
static int l_best_subset(lua_State *L)
{
    luaL_checktype(L, 1, LUA_TTABLE);
    luaL_checktype(L, 2, LUA_TTABLE);
    lua_Integer K = luaL_checkinteger(L, 3);
    size_t n = lua_rawlen(L, 1);
    if (n == 0 || n > 64) luaL_error(L, "cim.best_subset: Q must have 1..64 rows (got %d)", (int)n);
    if (K < 1 || (size_t)K > n) luaL_error(L, "cim.best_subset: K must be in 1..%d", (int)n);
    if (lua_rawlen(L, 2) != n) luaL_error(L, "cim.best_subset: q has %d entries, expected %d", (int)lua_rawlen(L, 2), (int)n);
    double *Q = scratch(L, n * n), *q = scratch(L, n);
    int *best = lua_newuserdatauv(L, (size_t)K * sizeof *best, 0);
    for (size_t i = 0; i < n; i++) {
        if (lua_rawgeti(L, 1, (lua_Integer)i + 1) != LUA_TTABLE || lua_rawlen(L, -1) != n)
            luaL_error(L, "cim.best_subset: Q row %d must have %d numbers", (int)i + 1, (int)n);
        for (size_t j = 0; j < n; j++) {
            lua_rawgeti(L, -1, (lua_Integer)j + 1);
            int ok;
            Q[i * n + j] = lua_tonumberx(L, -1, &ok);
            if (!ok) luaL_error(L, "cim.best_subset: Q[%d][%d] is not a number", (int)i + 1, (int)j + 1);
            lua_pop(L, 1);
        }
        lua_pop(L, 1);
        lua_rawgeti(L, 2, (lua_Integer)i + 1);
        int ok;
        q[i] = lua_tonumberx(L, -1, &ok);
        if (!ok) luaL_error(L, "cim.best_subset: q[%d] is not a number", (int)i + 1);
        lua_pop(L, 1);
    }
    double e;
    if (folio_qubo_best_subset(n, Q, q, (size_t)K, best, &e)) luaL_error(L, "cim.best_subset: out of memory");
    lua_createtable(L, (int)K, 0);
    for (lua_Integer k = 0; k < K; k++) {
        lua_pushinteger(L, best[k] + 1);
        lua_rawseti(L, -2, k + 1);
    }
    lua_pushnumber(L, e);
    return 2;
}

static const luaL_Reg cim_funcs[] = {
    { "solve", l_solve },
    { "exact", l_exact },
    { "best_subset", l_best_subset },
    { NULL, NULL },
};

int luaopen_folio_cim(lua_State *L)
{
    if (luaL_newmetatable(L, "folio.cim_result")) {
        lua_pushcfunction(L, result_gc);
        lua_setfield(L, -2, "__gc");
    }
    lua_pop(L, 1);
    luaL_newlib(L, cim_funcs);
    return 1;
}
