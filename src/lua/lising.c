/* folio.core.ising: the Ising amplitude dynamics of include/folio/cim.h
 * for Lua. Matrices are Lua tables of rows, vectors arrays, indices in
 * messages 1-based. Every argument is checked before the C call; errors
 * are one line naming the function and the argument. */
#include "lcim.h"
#include "laux.h"
#include "lprogress.h"
#include "lsandbox.h"
#include "folio/cim.h"

#include <lauxlib.h>
#include <math.h>
#include <string.h>

#define RESULT_MT "folio.ising.result"

/* J must be symmetric with a zero diagonal (the C tolerance). */
static void check_couplings(lua_State *L, const double *J, size_t n, const char *fn)
{
    for (size_t i = 0; i < n; i++) {
        if (J[i * n + i] != 0)
            luaL_error(L, "%s: J has a nonzero diagonal (J[%d][%d] = %f); the diagonal must be zero", fn, (int)i + 1,
                       (int)i + 1, J[i * n + i]);
        for (size_t j = i + 1; j < n; j++) {
            double a = J[i * n + j], b = J[j * n + i];
            if (!(fabs(a - b) <= 1e-12 * (1 + fabs(a))))
                luaL_error(L, "%s: J is not symmetric (J[%d][%d] = %f, J[%d][%d] = %f)", fn, (int)i + 1, (int)j + 1, a,
                           (int)j + 1, (int)i + 1, b);
        }
    }
}

/* The optional vector at idx (n finite numbers), or NULL for nil
 * (nothing pushed then; otherwise a userdata is pushed). */
static double *opt_vector(lua_State *L, int idx, const char *fn, const char *arg, size_t n)
{
    return lua_isnoneornil(L, idx) ? NULL : laux_check_vector(L, idx, fn, arg, n, LAUX_FINITE);
}

static void push_spins(lua_State *L, const int *s, size_t n)
{
    lua_createtable(L, (int)n, 0);
    for (size_t i = 0; i < n; i++) {
        lua_pushinteger(L, s[i]);
        lua_rawseti(L, -2, (lua_Integer)i + 1);
    }
}

/* ---- solve ------------------------------------------------------------- */

static const char *const method_names[] = {"cim_ahc", "cac", "sb_ballistic", "sb_discrete", NULL};
static const char *const path_names[] = {"euler", "sundials", NULL};
static const char *const solve_keys[] = {"J", "h", "method", "path", "runs", "seed", "t_max", "dt", "rtol", "atol",
                                         "p", "eps", "beta", "a", "a0", "c0", "target_energy", NULL};

static int result_gc(lua_State *L)
{
    folio_ising_result *r = luaL_checkudata(L, 1, RESULT_MT);
    folio_ising_result_free(r);
    return 0;
}

/* ising.solve{J = ..., h = ..., method = ..., path = ..., runs = ..., ...}:
 * options as in folio_ising_options (docs/cim.md), unset ones at the
 * method's defaults; returns a table of the folio_ising_result fields
 * plus method and path. */
static int l_solve(lua_State *L)
{
    const char *fn = "ising.solve";
    if (lua_type(L, 1) != LUA_TTABLE) return luaL_error(L, "%s: expects one table of options (got %s)", fn, luaL_typename(L, 1));
    lua_settop(L, 1);
    /* unknown keys first: a misspelt option must not pass silently */
    laux_check_options(L, 1, fn, solve_keys);
    int method = laux_opt_enum(L, 1, fn, "method", method_names, FOLIO_ISING_CIM_AHC);
    int path = laux_opt_enum(L, 1, fn, "path", path_names, FOLIO_ISING_EULER);
    folio_ising_options o;
    folio_ising_default_options((folio_ising_method)method, &o);
    o.path = (folio_ising_path)path;
    o.runs = (size_t)laux_opt_integer(L, 1, fn, "runs", (lua_Integer)o.runs, 1, LUA_MAXINTEGER);
    o.seed = (unsigned long)laux_opt_integer(L, 1, fn, "seed", (lua_Integer)o.seed, 0, LUA_MAXINTEGER);
    struct { const char *key; double *dst; } nums[] = {
        { "t_max", &o.t_max }, { "dt", &o.dt }, { "rtol", &o.rtol }, { "atol", &o.atol }, { "p", &o.p },
        { "eps", &o.eps }, { "beta", &o.beta }, { "a", &o.a }, { "a0", &o.a0 }, { "c0", &o.c0 },
        { "target_energy", &o.target_energy },
    };
    for (size_t i = 0; i < sizeof nums / sizeof nums[0]; i++)
        *nums[i].dst = laux_opt_number(L, 1, fn, nums[i].key, *nums[i].dst, -HUGE_VAL);

    lua_getfield(L, 1, "J");
    if (lua_isnil(L, -1)) return luaL_error(L, "%s: J is required", fn);
    size_t n;
    double *J = laux_check_square(L, -1, fn, "J", &n);
    check_couplings(L, J, n, fn);
    lua_getfield(L, 1, "h");
    double *h = opt_vector(L, -1, fn, "h", n);

    folio_ising_problem p = {n, J, h};
    folio_ising_result *r = lua_newuserdatauv(L, sizeof *r, 0);
    memset(r, 0, sizeof *r);
    luaL_setmetatable(L, RESULT_MT);
    int st = folio_ising_solve(&p, &o, r);
    /* a script must not carry on with half an answer: stopped by the
     * sandbox's budget, or by Ctrl-C */
    if (st == FOLIO_ISING_INTERRUPTED) {
        folio_sandbox_check(L);
        return luaL_error(L, "interrupted by the user (%s)", fn);
    }
    if (st != 0) return luaL_error(L, "%s: %s", fn, r->message);

    lua_createtable(L, 0, 16);
    lua_pushnumber(L, r->best_energy);
    lua_setfield(L, -2, "best_energy");
    push_spins(L, r->best_spins, n);
    lua_setfield(L, -2, "best_spins");
    lcim_push_numbers(L, r->run_energy, r->runs);
    lua_setfield(L, -2, "run_energy");
    lcim_push_numbers(L, r->run_hit_time, r->runs);
    lua_setfield(L, -2, "run_hit_time");
    lua_pushnumber(L, r->mean_energy);
    lua_setfield(L, -2, "mean_energy");
    lua_pushnumber(L, r->std_energy);
    lua_setfield(L, -2, "std_energy");
    lua_pushnumber(L, r->success_probability);
    lua_setfield(L, -2, "success_probability");
    lua_pushnumber(L, r->time_to_solution);
    lua_setfield(L, -2, "time_to_solution");
    lua_pushinteger(L, r->steps);
    lua_setfield(L, -2, "steps");
    lua_pushinteger(L, r->events);
    lua_setfield(L, -2, "events");
    lua_pushinteger(L, r->reinits);
    lua_setfield(L, -2, "reinits");
    lua_pushnumber(L, r->time_s);
    lua_setfield(L, -2, "time_s");
    lua_pushstring(L, method_names[method]);
    lua_setfield(L, -2, "method");
    lua_pushstring(L, path_names[path]);
    lua_setfield(L, -2, "path");
    folio_ising_result_free(r);
    return 1;
}

/* ---- energy, bruteforce, qubo_to_ising ------------------------------------ */

/* ising.energy(J, h, spins): H(s) = -1/2 s'Js - h's; h may be nil. */
static int l_energy(lua_State *L)
{
    const char *fn = "ising.energy";
    lua_settop(L, 3);   /* buffers go above the arguments */
    size_t n;
    double *J = laux_check_square(L, 1, fn, "J", &n);
    check_couplings(L, J, n, fn);
    double *h = opt_vector(L, 2, fn, "h", n);
    if (lua_type(L, 3) != LUA_TTABLE) return luaL_error(L, "%s: spins must be an array of +1/-1 (got %s)", fn, luaL_typename(L, 3));
    if (lua_rawlen(L, 3) != n) return luaL_error(L, "%s: spins has %d entries, want %d", fn, (int)lua_rawlen(L, 3), (int)n);
    int *s = lua_newuserdatauv(L, n * sizeof *s, 0);
    for (size_t i = 0; i < n; i++) {
        lua_rawgeti(L, 3, (lua_Integer)i + 1);
        int ok;
        lua_Integer v = lua_tointegerx(L, -1, &ok);
        if (!ok || (v != 1 && v != -1)) return luaL_error(L, "%s: spins[%d] must be 1 or -1", fn, (int)i + 1);
        s[i] = (int)v;
        lua_pop(L, 1);
    }
    folio_ising_problem p = {n, J, h};
    lua_pushnumber(L, folio_ising_energy(&p, s));
    return 1;
}

/* ising.bruteforce(J [, h]) -> energy, spins: the exact minimum, n <= 30. */
static int l_bruteforce(lua_State *L)
{
    const char *fn = "ising.bruteforce";
    lua_settop(L, 2);
    size_t n;
    double *J = laux_check_square(L, 1, fn, "J", &n);
    if (n > 30) return luaL_error(L, "%s: n = %d is more than 30 spins", fn, (int)n);
    check_couplings(L, J, n, fn);
    double *h = opt_vector(L, 2, fn, "h", n);
    int *s = lua_newuserdatauv(L, n * sizeof *s, 0);
    folio_ising_problem p = {n, J, h};
    double e;
    int rc = folio_ising_bruteforce(&p, s, &e);
    if (rc == 1) {   /* stopped: the sandbox's budget, or Ctrl-C */
        folio_sandbox_check(L);
        lprogress_check_interrupt(L, fn);
    }
    if (rc) return luaL_error(L, "%s: out of memory", fn);
    lua_pushnumber(L, e);
    push_spins(L, s, n);
    return 2;
}

/* ising.qubo_to_ising(Q [, q]) -> J, h, offset with x = (1 + s)/2:
 * x'Qx + q'x = H(s) + offset for every s. */
static int l_qubo_to_ising(lua_State *L)
{
    const char *fn = "ising.qubo_to_ising";
    lua_settop(L, 2);
    size_t n;
    double *Q = laux_check_square(L, 1, fn, "Q", &n);
    double *q = opt_vector(L, 2, fn, "q", n);
    double *J = lua_newuserdatauv(L, (n * n + n) * sizeof *J, 0), *h = J + n * n, off;
    folio_qubo_to_ising(n, Q, q, J, h, &off);
    lua_createtable(L, (int)n, 0);
    for (size_t i = 0; i < n; i++) {
        lcim_push_numbers(L, J + i * n, n);
        lua_rawseti(L, -2, (lua_Integer)i + 1);
    }
    lcim_push_numbers(L, h, n);
    lua_pushnumber(L, off);
    return 3;
}

static const luaL_Reg ising_funcs[] = {
    {"solve", l_solve},
    {"energy", l_energy},
    {"bruteforce", l_bruteforce},
    {"qubo_to_ising", l_qubo_to_ising},
    {NULL, NULL}
};

int luaopen_folio_ising(lua_State *L)
{
    /* the box never reaches a script; protected all the same */
    if (luaL_newmetatable(L, RESULT_MT)) {
        lua_pushcfunction(L, result_gc);
        lua_setfield(L, -2, "__gc");
        laux_protect_metatable(L, -1);
    }
    lua_pop(L, 1);
    luaL_newlib(L, ising_funcs);
    return 1;
}
