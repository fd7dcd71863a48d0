/* folio.core.trade: the hot loops of the trade assigner.
 *
 * Price scenarios ("folio.scenarios"): N rows of S price factors (price in
 * scenario = nominal price x factor), generated here (seeded GSL, normal or
 * Student-t shocks through a Cholesky factor of the correlations) or packed
 * from Lua rows (historical files, Lua generators).
 *
 * Limit rows ("folio.limits"): each row r belongs to one account and reads
 *   v_r = sum_s alpha[r][s] f_s + beta[r]
 *       + sum over trades t booked to the row's account of (gamma[t][r] f_{sec t} + delta[t][r])
 * and must satisfy v_r <= rhs[r] (lua/folio/trade.lua folds >= rows and
 * ratio limits M1 <= c M2 into this form). Everything is linear in the
 * price factors, so one assignment is checked against every scenario by
 * collapsing it into per-row weights W[r][s] and a constant first.
 *
 * Every array lives in Lua memory (a userdata held as a user value), so
 * the sandbox's memory cap counts it and no object has a finalizer that a
 * script could call by hand; every loop over scenarios polls the budget
 * and Ctrl-C (lsandbox.h). */
#include "ltrade.h"
#include "laux.h"
#include "lprogress.h"
#include "lsandbox.h"
#include "folio/folio.h"

#include <gsl/gsl_errno.h>
#include <gsl/gsl_linalg.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include <lauxlib.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define SCEN_MT "folio.scenarios"
#define LIMITS_MT "folio.limits"
#define STATE_MT "folio.trade_state"

typedef struct scen {
    size_t n, s;        /* scenarios, securities */
    double *f;          /* n x s */
} scen;

typedef struct limits {
    size_t R, S, T;
    int *acct;          /* R: account of the row (0-based) */
    double *alpha;      /* R x S */
    double *beta, *rhs; /* R */
    double *gamma, *delta; /* T x R */
    int *sec;           /* T: security of the trade (0-based) */
} limits;

#define POLL_WORK 200000   /* multiply-adds between polls: ~0.1 ms */

/* Counts work; every POLL_WORK, stops with the budget error or the
 * interrupt if either is due. Only for loops that hold nothing outside
 * Lua memory. */
static void poll_work(lua_State *L, size_t *work, size_t add, const char *fn)
{
    *work += add;
    if (*work < POLL_WORK) return;
    *work = 0;
    if (!folio_sandbox_poll(L)) return;
    folio_sandbox_check(L);
    lprogress_check_interrupt(L, fn);
}

/* A zeroed array of n items of size bytes in Lua memory, set as user
 * value uv of the userdata at idx. */
static void *new_array(lua_State *L, int idx, int uv, size_t n, size_t size, const char *fn)
{
    idx = lua_absindex(L, idx);
    if (n > SIZE_MAX / size - 1) luaL_error(L, "%s: too many entries", fn);
    void *a = lua_newuserdatauv(L, (n + 1) * size, 0);
    memset(a, 0, (n + 1) * size);
    lua_setiuservalue(L, idx, uv);
    return a;
}

/* ---- reading helpers ------------------------------------------------------- */

/* t[key] (required): a count up to 10^8 */
static size_t get_size(lua_State *L, int t, const char *fn, const char *key)
{
    lua_Integer v = laux_opt_integer(L, t, fn, key, -1, 0, 100000000);
    if (v < 0) luaL_error(L, "%s: %s is required", fn, key);
    return (size_t)v;
}

/* ---- scenarios --------------------------------------------------------------- */

static scen *push_scen(lua_State *L, size_t n, size_t s)
{
    scen *sc = lua_newuserdatauv(L, sizeof *sc, 1);
    memset(sc, 0, sizeof *sc);
    luaL_setmetatable(L, SCEN_MT);
    if (s && n > SIZE_MAX / sizeof *sc->f / s - 1) luaL_error(L, "trade: %d x %d scenarios are too many", (int)n, (int)s);
    sc->f = new_array(L, -1, 1, n * s, sizeof *sc->f, "trade");
    sc->n = n;
    sc->s = s;
    return sc;
}

static int scen_size(lua_State *L)
{
    scen *sc = luaL_checkudata(L, 1, SCEN_MT);
    lua_pushinteger(L, (lua_Integer)sc->n);
    lua_pushinteger(L, (lua_Integer)sc->s);
    return 2;
}

/* sc:row(k) -> {f_1, ..., f_S} */
static int scen_row(lua_State *L)
{
    scen *sc = luaL_checkudata(L, 1, SCEN_MT);
    lua_Integer k = luaL_checkinteger(L, 2);
    if (k < 1 || (size_t)k > sc->n) luaL_error(L, "scenarios:row: %d is out of range 1..%d", (int)k, (int)sc->n);
    lua_createtable(L, (int)sc->s, 0);
    for (size_t j = 0; j < sc->s; j++) {
        lua_pushnumber(L, sc->f[(size_t)(k - 1) * sc->s + j]);
        lua_rawseti(L, -2, (lua_Integer)j + 1);
    }
    return 1;
}

/* generate{securities = S, vols = {...}, corr = {{...}} | nil, n = N,
 *          seed = 1, dist = "normal" | "t", df = 5, horizon = 1}:
 * lognormal factors exp(sigma sqrt(h) z - sigma^2 h / 2), z = L e with
 * e standard normal or Student-t scaled to unit variance */
static int l_generate(lua_State *L)
{
    static const char *const dists[] = { "normal", "t", NULL };
    const char *fn = "trade.generate";
    luaL_checktype(L, 1, LUA_TTABLE);
    size_t S = get_size(L, 1, fn, "securities"), N = get_size(L, 1, fn, "n");
    if (S == 0) luaL_error(L, "%s: no securities", fn);
    const double *vol = laux_field_vector(L, 1, fn, "vols", S, LAUX_REQUIRED);
    for (size_t i = 0; i < S; i++)
        if (vol[i] < 0) luaL_error(L, "%s: vols[%d] is negative", fn, (int)i + 1);
    double *C;
    if (lua_getfield(L, 1, "corr") == LUA_TNIL) {
        C = lua_newuserdatauv(L, S * S * sizeof *C, 0);
        for (size_t i = 0; i < S * S; i++) C[i] = (i % (S + 1) == 0) ? 1.0 : 0.0;
    } else {
        C = laux_check_matrix(L, -1, fn, "corr", S, S);
        for (size_t i = 0; i < S; i++) {
            if (fabs(C[i * S + i] - 1) > 1e-9) luaL_error(L, "%s: corr[%d][%d] must be 1", fn, (int)i + 1, (int)i + 1);
            for (size_t j = 0; j < i; j++)
                if (fabs(C[i * S + j] - C[j * S + i]) > 1e-12)
                    luaL_error(L, "%s: corr is not symmetric at [%d][%d]", fn, (int)i + 1, (int)j + 1);
        }
    }
    /* any integer seeds the generator, as before (negative ones wrap) */
    unsigned long seed = (unsigned long)laux_opt_integer(L, 1, fn, "seed", 1, LUA_MININTEGER, LUA_MAXINTEGER);
    int student = laux_opt_enum(L, 1, fn, "dist", dists, 0) == 1;
    double df = laux_opt_number(L, 1, fn, "df", 5, -HUGE_VAL);
    if (student && !(df > 2)) luaL_error(L, "%s: df must be > 2 (a finite variance)", fn);
    double h = laux_opt_number(L, 1, fn, "horizon", 1, -HUGE_VAL);
    if (!(h > 0)) luaL_error(L, "%s: horizon must be > 0", fn);
    gsl_error_handler_t *old = gsl_set_error_handler_off();
    gsl_matrix_view Cv = gsl_matrix_view_array(C, S, S);
    int bad = gsl_linalg_cholesky_decomp1(&Cv.matrix) != GSL_SUCCESS;
    gsl_set_error_handler(old);
    if (bad) luaL_error(L, "trade.generate: corr is not positive definite");
    scen *sc = push_scen(L, N, S);
    double *e = lua_newuserdatauv(L, S * sizeof *e, 0);
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    if (!rng) return luaL_error(L, "trade.generate: out of memory");
    gsl_rng_set(rng, seed);
    double tscale = student ? sqrt((df - 2) / df) : 1;
    /* a poll every POLL_WORK multiply-adds: the clock costs more than a small row */
    size_t work = 0, per = S * (S + 1) / 2 + S;
    folio_progress_begin();
    for (size_t k = 0; k < N; k++) {
        work += per;
        if (work >= POLL_WORK) {
            work = 0;
            if (folio_sandbox_poll(L)) break;   /* the budget or Ctrl-C: free the generator first */
            if (folio_progress_due()) folio_progress("scenarios", "%zu / %zu generated", k, N);
        }
        for (size_t j = 0; j < S; j++) e[j] = student ? tscale * gsl_ran_tdist(rng, df) : gsl_ran_ugaussian(rng);
        for (size_t i = 0; i < S; i++) {
            double z = 0;
            for (size_t j = 0; j <= i; j++) z += C[i * S + j] * e[j];   /* lower factor */
            double sg = vol[i] * sqrt(h);
            sc->f[k * S + i] = exp(sg * z - 0.5 * sg * sg);
        }
    }
    gsl_rng_free(rng);
    folio_progress_done();
    folio_sandbox_check(L);
    lprogress_check_interrupt(L, "trade.generate");
    lua_pop(L, 1);   /* e: the scenarios on top */
    return 1;
}

/* from_rows({{f_1..f_S}, ...}, S) */
static int l_from_rows(lua_State *L)
{
    size_t S = (size_t)luaL_checkinteger(L, 2), N = lua_rawlen(L, 1);
    const double *f = laux_check_matrix(L, 1, "trade", "scenarios", N, S);
    for (size_t k = 0; k < N * S; k++)
        if (!(f[k] > 0))
            luaL_error(L, "trade: scenario %d, security %d: price factor %f must be > 0", (int)(k / S) + 1,
                       (int)(k % S) + 1, f[k]);
    scen *sc = push_scen(L, N, S);
    memcpy(sc->f, f, N * S * sizeof *f);
    return 1;
}

/* ---- limit rows ------------------------------------------------------------- */

/* limits{rows = R, securities = S, trades = T, account = {...}, alpha = {R*S},
 *        beta = {R}, rhs = {R}, gamma = {T*R}, delta = {T*R}, security = {T}} */
static int l_limits(lua_State *L)
{
    const char *fn = "trade.limits";
    luaL_checktype(L, 1, LUA_TTABLE);
    lua_settop(L, 1);
    size_t R = get_size(L, 1, fn, "rows"), S = get_size(L, 1, fn, "securities"), T = get_size(L, 1, fn, "trades");
    /* everything is read and checked before the C arrays are allocated */
    const double *alpha = laux_field_vector(L, 1, fn, "alpha", R * S, LAUX_REQUIRED);
    const double *beta = laux_field_vector(L, 1, fn, "beta", R, LAUX_REQUIRED);
    const double *rhs = laux_field_vector(L, 1, fn, "rhs", R, LAUX_REQUIRED);
    const double *gamma = laux_field_vector(L, 1, fn, "gamma", T * R, LAUX_REQUIRED);
    const double *delta = laux_field_vector(L, 1, fn, "delta", T * R, LAUX_REQUIRED);
    const double *acct = laux_field_vector(L, 1, fn, "account", R, LAUX_REQUIRED);
    const double *sec = laux_field_vector(L, 1, fn, "security", T, LAUX_REQUIRED);
    for (size_t t = 0; t < T; t++)
        if (sec[t] < 1 || sec[t] > (double)S) luaL_error(L, "%s: trade %d: security index out of range", fn, (int)t + 1);
    limits *lm = lua_newuserdatauv(L, sizeof *lm, 7);
    memset(lm, 0, sizeof *lm);
    luaL_setmetatable(L, LIMITS_MT);
    lm->acct = new_array(L, -1, 1, R, sizeof *lm->acct, fn);
    lm->alpha = new_array(L, -1, 2, R * S, sizeof *lm->alpha, fn);
    lm->beta = new_array(L, -1, 3, R, sizeof *lm->beta, fn);
    lm->rhs = new_array(L, -1, 4, R, sizeof *lm->rhs, fn);
    lm->gamma = new_array(L, -1, 5, T * R, sizeof *lm->gamma, fn);
    lm->delta = new_array(L, -1, 6, T * R, sizeof *lm->delta, fn);
    lm->sec = new_array(L, -1, 7, T, sizeof *lm->sec, fn);
    lm->R = R; lm->S = S; lm->T = T;
    memcpy(lm->alpha, alpha, R * S * sizeof *alpha);
    memcpy(lm->beta, beta, R * sizeof *beta);
    memcpy(lm->rhs, rhs, R * sizeof *rhs);
    memcpy(lm->gamma, gamma, T * R * sizeof *gamma);
    memcpy(lm->delta, delta, T * R * sizeof *delta);
    for (size_t r = 0; r < R; r++) lm->acct[r] = (int)acct[r] - 1;
    for (size_t t = 0; t < T; t++) lm->sec[t] = (int)sec[t] - 1;
    return 1;
}

/* reads the assignment (array of account indices, 1-based; 0 = unassigned) */
static int *read_assign(lua_State *L, int idx, size_t T)
{
    const double *v = laux_check_vector(L, idx, "trade.check", "assignment", T, LAUX_FINITE);
    int *a = lua_newuserdatauv(L, (T + 1) * sizeof *a, 0);
    for (size_t t = 0; t < T; t++) a[t] = (int)v[t] - 1;
    return a;
}

/* W[r][s], C[r]: the rows collapsed for one assignment */
static void collapse(const limits *lm, const int *assign, double *W, double *C)
{
    size_t R = lm->R, S = lm->S;
    memcpy(W, lm->alpha, R * S * sizeof *W);
    memcpy(C, lm->beta, R * sizeof *C);
    for (size_t t = 0; t < lm->T; t++) {
        if (assign[t] < 0) continue;
        for (size_t r = 0; r < R; r++) {
            if (lm->acct[r] != assign[t]) continue;
            W[r * S + (size_t)lm->sec[t]] += lm->gamma[t * R + r];
            C[r] += lm->delta[t * R + r];
        }
    }
}

/* check(limits, scenarios, assignment [, tol [, per_row]]) ->
 *   violations {{row, scenario, excess}, ...} (worst first, at most per_row
 *   per row; scenario 0 is the nominal), worst {row -> {scenario, value}} */
static int l_check(lua_State *L)
{
    limits *lm = luaL_checkudata(L, 1, LIMITS_MT);
    scen *sc = luaL_checkudata(L, 2, SCEN_MT);
    if (sc->s != lm->S) luaL_error(L, "trade.check: scenarios have %d securities, limits %d", (int)sc->s, (int)lm->S);
    int *assign = read_assign(L, 3, lm->T);
    double tol = luaL_optnumber(L, 4, 1e-9);
    lua_Integer per_row = luaL_optinteger(L, 5, 1);
    size_t R = lm->R, S = lm->S, N = sc->n;
    double *W = lua_newuserdatauv(L, (R * S + 1) * sizeof *W, 0);
    double *C = lua_newuserdatauv(L, (R + 1) * sizeof *C, 0);
    double *val = lua_newuserdatauv(L, (N + 1) * sizeof *val, 0);
    int *order = lua_newuserdatauv(L, (N + 1) * sizeof *order, 0);
    collapse(lm, assign, W, C);
    lua_newtable(L);   /* violations */
    int viol = lua_gettop(L);
    lua_newtable(L);   /* worst */
    int worst = lua_gettop(L);
    lua_Integer nv = 0;
    size_t work = 0;
    for (size_t r = 0; r < R; r++) {
        /* the nominal (all factors 1) is scenario 0 */
        double nominal = C[r], wmax = -INFINITY;
        for (size_t s = 0; s < S; s++) nominal += W[r * S + s];
        size_t wk = 0, nbad = 0;
        for (size_t k = 0; k < N; k++) {
            poll_work(L, &work, S + 1, "trade.check");
            const double *f = sc->f + k * S;
            const double *w = W + r * S;
            double v = C[r];
            for (size_t s = 0; s < S; s++) v += w[s] * f[s];
            val[k] = v;
            if (v > wmax) { wmax = v; wk = k + 1; }
            if (v > lm->rhs[r] + tol * (1 + fabs(lm->rhs[r]))) order[nbad++] = (int)k;
        }
        if (nominal >= wmax) { wmax = nominal; wk = 0; }
        lua_createtable(L, 2, 0);
        lua_pushinteger(L, (lua_Integer)wk);
        lua_rawseti(L, -2, 1);
        lua_pushnumber(L, wmax);
        lua_rawseti(L, -2, 2);
        lua_rawseti(L, worst, (lua_Integer)r + 1);
        if (nominal > lm->rhs[r] + tol * (1 + fabs(lm->rhs[r]))) {
            lua_createtable(L, 3, 0);
            lua_pushinteger(L, (lua_Integer)r + 1); lua_rawseti(L, -2, 1);
            lua_pushinteger(L, 0); lua_rawseti(L, -2, 2);
            lua_pushnumber(L, nominal - lm->rhs[r]); lua_rawseti(L, -2, 3);
            lua_rawseti(L, viol, ++nv);
        }
        /* the per_row worst violated scenarios (partial selection) */
        for (lua_Integer m = 0; m < per_row && (size_t)m < nbad; m++) {
            poll_work(L, &work, nbad - (size_t)m, "trade.check");
            size_t best = (size_t)m;
            for (size_t i = (size_t)m + 1; i < nbad; i++)
                if (val[order[i]] > val[order[best]]) best = i;
            int tmpk = order[m]; order[m] = order[best]; order[best] = tmpk;
            lua_createtable(L, 3, 0);
            lua_pushinteger(L, (lua_Integer)r + 1); lua_rawseti(L, -2, 1);
            lua_pushinteger(L, (lua_Integer)order[m] + 1); lua_rawseti(L, -2, 2);
            lua_pushnumber(L, val[order[m]] - lm->rhs[r]); lua_rawseti(L, -2, 3);
            lua_rawseti(L, viol, ++nv);
        }
    }
    return 2;
}

/* row(limits, scenarios, r, k) -> coefficients {gamma f + delta per trade
 * (only meaningful for trades booked to the row's account)}, constant, rhs:
 * row r in scenario k (0 = nominal) as sum_t x[t, a(r)] coef_t <= rhs - constant */
static int l_row(lua_State *L)
{
    limits *lm = luaL_checkudata(L, 1, LIMITS_MT);
    scen *sc = luaL_checkudata(L, 2, SCEN_MT);
    lua_Integer r = luaL_checkinteger(L, 3), k = luaL_checkinteger(L, 4);
    if (r < 1 || (size_t)r > lm->R) luaL_error(L, "trade.row: row %d is out of range", (int)r);
    if (k < 0 || (size_t)k > sc->n) luaL_error(L, "trade.row: scenario %d is out of range 0..%d", (int)k, (int)sc->n);
    size_t R = lm->R, S = lm->S, rr = (size_t)r - 1;
    const double *f = k ? sc->f + (size_t)(k - 1) * S : NULL;
    lua_createtable(L, (int)lm->T, 0);
    for (size_t t = 0; t < lm->T; t++) {
        double fs = f ? f[lm->sec[t]] : 1.0;
        lua_pushnumber(L, lm->gamma[t * R + rr] * fs + lm->delta[t * R + rr]);
        lua_rawseti(L, -2, (lua_Integer)t + 1);
    }
    double c = lm->beta[rr];
    for (size_t s = 0; s < S; s++) c += lm->alpha[rr * S + s] * (f ? f[s] : 1.0);
    lua_pushnumber(L, c);
    lua_pushnumber(L, lm->rhs[rr]);
    return 3;
}

/* ---- incremental state for the greedy fallback ------------------------------ */

typedef struct tstate {
    size_t R, N;
    double *v;          /* R x (N + 1): row values, nominal first */
} tstate;

/* state(limits, scenarios): the row values with no trade booked */
static int l_state(lua_State *L)
{
    limits *lm = luaL_checkudata(L, 1, LIMITS_MT);
    scen *sc = luaL_checkudata(L, 2, SCEN_MT);
    size_t R = lm->R, S = lm->S, N = sc->n;
    tstate *st = lua_newuserdatauv(L, sizeof *st, 3);
    memset(st, 0, sizeof *st);
    luaL_setmetatable(L, STATE_MT);
    lua_pushvalue(L, 1);
    lua_setiuservalue(L, -2, 1);
    lua_pushvalue(L, 2);
    lua_setiuservalue(L, -2, 2);
    if (R && N + 1 > SIZE_MAX / sizeof *st->v / R - 1) luaL_error(L, "trade.state: too many rows and scenarios");
    st->v = new_array(L, -1, 3, R * (N + 1), sizeof *st->v, "trade.state");
    st->R = R;
    st->N = N;
    size_t work = 0;
    for (size_t r = 0; r < R; r++) {
        double *v = st->v + r * (N + 1);
        v[0] = lm->beta[r];
        for (size_t s = 0; s < S; s++) v[0] += lm->alpha[r * S + s];
        for (size_t k = 0; k < N; k++) {
            poll_work(L, &work, S + 1, "trade.state");
            double x = lm->beta[r];
            for (size_t s = 0; s < S; s++) x += lm->alpha[r * S + s] * sc->f[k * S + s];
            v[k + 1] = x;
        }
    }
    return 1;
}

/* st:try(t, a [, book]) -> worst excess over the account's rows and every
 * scenario if trade t is booked to account a (<= 0: feasible); books it
 * when `book` is true */
static int state_try(lua_State *L)
{
    tstate *st = luaL_checkudata(L, 1, STATE_MT);
    lua_Integer t = luaL_checkinteger(L, 2), a = luaL_checkinteger(L, 3);
    int book = lua_toboolean(L, 4);
    lua_getiuservalue(L, 1, 1);
    limits *lm = luaL_checkudata(L, -1, LIMITS_MT);
    lua_getiuservalue(L, 1, 2);
    scen *sc = luaL_checkudata(L, -1, SCEN_MT);
    if (t < 1 || (size_t)t > lm->T) luaL_error(L, "state:try: trade %d is out of range", (int)t);
    size_t R = lm->R, S = lm->S, N = st->N, tt = (size_t)t - 1;
    int sec = lm->sec[tt];
    double worst = -INFINITY;
    size_t work = 0;
    for (size_t r = 0; r < R; r++) {
        if (lm->acct[r] != (int)a - 1) continue;
        double g = lm->gamma[tt * R + r], d = lm->delta[tt * R + r];
        double *v = st->v + r * (N + 1);
        double e = v[0] + g + d - lm->rhs[r];
        worst = fmax(worst, e);
        poll_work(L, &work, N, "state:try");   /* before the row: a booking is never half done */
        for (size_t k = 0; k < N; k++) {
            double x = v[k + 1] + g * sc->f[k * S + (size_t)sec] + d;
            worst = fmax(worst, x - lm->rhs[r]);
            if (book) v[k + 1] = x;
        }
        if (book) v[0] += g + d;
    }
    lua_pushnumber(L, worst);
    return 1;
}

static const luaL_Reg scen_methods[] = { { "size", scen_size }, { "row", scen_row }, { NULL, NULL } };
static const luaL_Reg state_methods[] = { { "try", state_try }, { NULL, NULL } };
static const luaL_Reg trade_funcs[] = {
    { "generate", l_generate }, { "from_rows", l_from_rows }, { "limits", l_limits },
    { "check", l_check }, { "row", l_row }, { "state", l_state }, { NULL, NULL },
};

/* obj.key: the method table (upvalue 1), which scripts cannot reach */
static int class_index(lua_State *L)
{
    lua_settop(L, 2);
    lua_rawget(L, lua_upvalueindex(1));
    return 1;
}

/* No __gc: the arrays are Lua's (user values). The metatable is protected
 * and its methods sit behind a function, so that a script cannot change
 * what folio's own trade code calls. */
static void new_class(lua_State *L, const char *name, const luaL_Reg *methods)
{
    luaL_newmetatable(L, name);
    if (methods) {
        lua_newtable(L);
        luaL_setfuncs(L, methods, 0);
        lua_pushcclosure(L, class_index, 1);
        lua_setfield(L, -2, "__index");
    }
    laux_protect_metatable(L, -1);
    lua_pop(L, 1);
}

int luaopen_folio_trade(lua_State *L)
{
    new_class(L, SCEN_MT, scen_methods);
    new_class(L, LIMITS_MT, NULL);
    new_class(L, STATE_MT, state_methods);
    luaL_newlib(L, trade_funcs);
    return 1;
}
