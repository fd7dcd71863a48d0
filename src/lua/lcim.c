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
#include "laux.h"
#include "lprogress.h"
#include "lsandbox.h"
#include "folio/cim.h"

#include <lauxlib.h>
#include <math.h>
#include <string.h>

static const char *const PROBLEM_KEYS[] = { "mu", "theta", "gamma", "groups", "lambdas", "rho", "limits", "caps",
                                            "lower", "upper", "nu", "omega", "sigma", "l1_eps", "w0", NULL };
static const char *const OPTION_KEYS[] = { "integrator", "linear_solver", "rtol", "atol", "grad_tol", "t_max",
                                           "max_steps", "samples", NULL };
#define NPROBLEM (sizeof PROBLEM_KEYS / sizeof *PROBLEM_KEYS - 1)
#define NOPTION (sizeof OPTION_KEYS / sizeof *OPTION_KEYS - 1)

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
    size_t n = lua_getfield(L, t, "mu") == LUA_TTABLE ? lua_rawlen(L, -1) : 0;
    if (n == 0 && lua_istable(L, -1)) luaL_error(L, "cim: mu is empty");
    p->n = n;
    p->mu = laux_check_vector(L, -1, "cim", "mu", n, LAUX_FINITE);
    lua_remove(L, -2);
    if (lua_getfield(L, t, "theta") != LUA_TTABLE) luaL_error(L, "cim: theta (the covariance) is required");
    p->theta = laux_check_matrix(L, -1, "cim", "theta", n, n);
    lua_remove(L, -2);
    p->gamma = laux_opt_number(L, t, "cim", "gamma", 1, -HUGE_VAL);
    p->ngroups = get_sets(L, t, "groups", n, (size_t **)&p->group_start, (int **)&p->group_idx);
    p->lambda = p->ngroups ? laux_field_vector(L, t, "cim", "lambdas", p->ngroups, LAUX_REQUIRED) : NULL;
    p->rho = laux_opt_number(L, t, "cim", "rho", 0, -HUGE_VAL);
    p->nlimits = get_sets(L, t, "limits", n, (size_t **)&p->limit_start, (int **)&p->limit_idx);
    p->limit_cap = p->nlimits ? laux_field_vector(L, t, "cim", "caps", p->nlimits, LAUX_REQUIRED) : NULL;
    p->lo = laux_field_vector(L, t, "cim", "lower", n, LAUX_INF_OK);
    p->hi = laux_field_vector(L, t, "cim", "upper", n, LAUX_INF_OK);
    p->nu = laux_field_vector(L, t, "cim", "nu", n, LAUX_FINITE);
    p->omega = laux_field_vector(L, t, "cim", "omega", n, LAUX_FINITE);
    p->sigma = laux_opt_number(L, t, "cim", "sigma", 0, -HUGE_VAL);
    p->l1_eps = laux_opt_number(L, t, "cim", "l1_eps", 0, -HUGE_VAL);
    p->w0 = laux_field_vector(L, t, "cim", "w0", n, LAUX_FINITE);
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
                                      "interrupted", "no_memory" };

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
    /* solve takes the problem's keys and then the integrator's */
    const char *keys[NPROBLEM + NOPTION + 1];
    memcpy(keys, PROBLEM_KEYS, NPROBLEM * sizeof *keys);
    memcpy(keys + NPROBLEM, OPTION_KEYS, (NOPTION + 1) * sizeof *keys);
    laux_check_options(L, 1, "cim.solve", keys);
    folio_cim_problem p;
    read_problem(L, 1, &p);
    folio_cim_options o;
    folio_cim_default_options(&o);
    o.integrator = (folio_cim_integrator)laux_opt_enum(L, 1, "cim", "integrator", INTEGRATORS, 0);
    o.linsol = (folio_cim_linsol)laux_opt_enum(L, 1, "cim", "linear_solver", LINSOLS, 0);
    o.rtol = laux_opt_number(L, 1, "cim", "rtol", o.rtol, -HUGE_VAL);
    o.atol = laux_opt_number(L, 1, "cim", "atol", o.atol, -HUGE_VAL);
    o.grad_tol = laux_opt_number(L, 1, "cim", "grad_tol", o.grad_tol, -HUGE_VAL);
    o.t_max = laux_opt_number(L, 1, "cim", "t_max", o.t_max, -HUGE_VAL);
    o.max_steps = (long)laux_opt_integer(L, 1, "cim", "max_steps", o.max_steps, 0, 1000000000000);
    o.samples = (size_t)laux_opt_integer(L, 1, "cim", "samples", (lua_Integer)o.samples, 0, 1000000);
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
    /* a script must not carry on with half an answer (the box frees r):
     * stopped by the sandbox's budget, or by Ctrl-C */
    if (st == FOLIO_CIM_INTERRUPTED) {
        folio_sandbox_check(L);
        luaL_error(L, "interrupted by the user (cim.solve)");
    }
    if (st == FOLIO_CIM_NO_MEMORY) luaL_error(L, "cim: not enough memory");
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
    laux_check_options(L, 1, "cim.exact", PROBLEM_KEYS);
    folio_cim_problem p;
    read_problem(L, 1, &p);
    double *w = lua_newuserdatauv(L, p.n * sizeof *w, 0);   /* p.n >= 1: mu is not empty */
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
    const char *fn = "cim.best_subset";
    lua_Integer K = luaL_checkinteger(L, 3);
    size_t n = lua_type(L, 1) == LUA_TTABLE ? lua_rawlen(L, 1) : 0;
    if (n > 64) luaL_error(L, "%s: Q must have 1..64 rows (got %d)", fn, (int)n);
    lua_settop(L, 3);   /* the arrays go above the arguments */
    double *Q = laux_check_square(L, 1, fn, "Q", &n);
    double *q = laux_check_vector(L, 2, fn, "q", n, LAUX_FINITE);
    if (K < 1 || (size_t)K > n) luaL_error(L, "%s: K must be in 1..%d", fn, (int)n);
    int *best = lua_newuserdatauv(L, (size_t)K * sizeof *best, 0);
    double e;
    int rc = folio_qubo_best_subset(n, Q, q, (size_t)K, best, &e);
    if (rc == 1) {   /* stopped: the sandbox's budget, or Ctrl-C */
        folio_sandbox_check(L);
        lprogress_check_interrupt(L, fn);
    }
    if (rc) luaL_error(L, "%s: out of memory", fn);
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
    /* the box never reaches a script; protected all the same */
    if (luaL_newmetatable(L, "folio.cim_result")) {
        lua_pushcfunction(L, result_gc);
        lua_setfield(L, -2, "__gc");
        laux_protect_metatable(L, -1);
    }
    lua_pop(L, 1);
    luaL_newlib(L, cim_funcs);
    return 1;
}
