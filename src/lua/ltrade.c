/* folio.core.trade: the hot loops of the trade assigner.
 *
 * Price scenarios ("folio.scenarios"): N rows of S price factors (price in
 * scenario = nominal price x factor), generated here (seeded GSL, normal or
 * Student-t shocks through a Cholesky factor of the correlations) or packed
 * from Lua rows (historical files, Lua generators).
 *
 * Limit rows ("folio.limits"): each row r belongs to one account a and
 * reads, on the account's books after the trades booked to it,
 *   v_r = sum_s w_r(s, side of n_s) n_s (p_s f_s + accrued_s) + c_r cash
 *   n_s  = the account's position in s plus the signed quantities booked,
 *   cash = its cash minus the cash amounts of the trades booked,
 * and must satisfy v_r <= rhs[r] (lua/folio/trade_solve.lua folds >= rows
 * and ratio limits M1 <= c M2 into this form). Side-dependent weights
 * apply to the NET position, so a sale into a long position shrinks it.
 * For a fixed assignment everything is linear in the price factors, so
 * one assignment is checked against every scenario by collapsing it into
 * per-row weights W[r][s] and a constant first.
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
    size_t R, S, T, A;
    int *acct;          /* R: account of the row (0-based) */
    double *lng, *sht;  /* R x S: the row's weight per unit of a long / short net position */
    double *ccash;      /* R: the row's weight of the account's cash */
    double *rhs;        /* R */
    double *cash;       /* A: cash before the trades */
    double *pos;        /* A x S: positions before the trades */
    double *price, *accr; /* S: nominal price and accrued */
    int *sec;           /* T: security of the trade (0-based) */
    double *dq, *dcash; /* T: signed quantity, cash change of its account */
    int *mode;          /* A x S: 0 long, 1 short, 2 the trades can flip the sign */
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

/* sc:bytes() -> the price factors as one string of doubles (row by row,
 * this platform's IEEE-754 layout): what the audit trail digests */
static int scen_bytes(lua_State *L)
{
    scen *sc = luaL_checkudata(L, 1, SCEN_MT);
    lua_pushlstring(L, (const char *)sc->f, sc->n * sc->s * sizeof *sc->f);
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

/* limits{rows = R, securities = S, trades = T, accounts = A,
 *        account = {R}, long = {R*S}, short = {R*S}, cash_coef = {R}, rhs = {R},
 *        cash = {A}, positions = {A*S}, price = {S}, accrued = {S},
 *        security = {T}, dq = {T}, dcash = {T}, mode = {A*S}} */
static int l_limits(lua_State *L)
{
    const char *fn = "trade.limits";
    luaL_checktype(L, 1, LUA_TTABLE);
    lua_settop(L, 1);
    size_t R = get_size(L, 1, fn, "rows"), S = get_size(L, 1, fn, "securities"), T = get_size(L, 1, fn, "trades");
    size_t A = get_size(L, 1, fn, "accounts");
    if (S && A > SIZE_MAX / S / sizeof(double) - 1) luaL_error(L, "%s: too many accounts", fn);
    if (S && R > SIZE_MAX / S / sizeof(double) - 1) luaL_error(L, "%s: too many rows", fn);
    /* everything is read and checked before the C arrays are allocated */
    const double *lng = laux_field_vector(L, 1, fn, "long", R * S, LAUX_REQUIRED);
    const double *sht = laux_field_vector(L, 1, fn, "short", R * S, LAUX_REQUIRED);
    const double *ccash = laux_field_vector(L, 1, fn, "cash_coef", R, LAUX_REQUIRED);
    const double *rhs = laux_field_vector(L, 1, fn, "rhs", R, LAUX_REQUIRED);
    const double *cash = laux_field_vector(L, 1, fn, "cash", A, LAUX_REQUIRED);
    const double *pos = laux_field_vector(L, 1, fn, "positions", A * S, LAUX_REQUIRED);
    const double *price = laux_field_vector(L, 1, fn, "price", S, LAUX_REQUIRED);
    const double *accr = laux_field_vector(L, 1, fn, "accrued", S, LAUX_REQUIRED);
    const double *acct = laux_field_vector(L, 1, fn, "account", R, LAUX_REQUIRED);
    const double *sec = laux_field_vector(L, 1, fn, "security", T, LAUX_REQUIRED);
    const double *dq = laux_field_vector(L, 1, fn, "dq", T, LAUX_REQUIRED);
    const double *dcash = laux_field_vector(L, 1, fn, "dcash", T, LAUX_REQUIRED);
    const double *mode = laux_field_vector(L, 1, fn, "mode", A * S, LAUX_REQUIRED);
    for (size_t t = 0; t < T; t++)
        if (sec[t] < 1 || sec[t] > (double)S) luaL_error(L, "%s: trade %d: security index out of range", fn, (int)t + 1);
    for (size_t r = 0; r < R; r++)
        if (acct[r] < 1 || acct[r] > (double)A) luaL_error(L, "%s: row %d: account index out of range", fn, (int)r + 1);
    for (size_t i = 0; i < A * S; i++)
        if (mode[i] != 0 && mode[i] != 1 && mode[i] != 2) luaL_error(L, "%s: mode[%d] must be 0, 1 or 2", fn, (int)i + 1);
    limits *lm = lua_newuserdatauv(L, sizeof *lm, 16);
    memset(lm, 0, sizeof *lm);
    luaL_setmetatable(L, LIMITS_MT);
    lm->acct = new_array(L, -1, 1, R, sizeof *lm->acct, fn);
    lm->lng = new_array(L, -1, 2, R * S, sizeof *lm->lng, fn);
    lm->sht = new_array(L, -1, 3, R * S, sizeof *lm->sht, fn);
    lm->ccash = new_array(L, -1, 4, R, sizeof *lm->ccash, fn);
    lm->rhs = new_array(L, -1, 5, R, sizeof *lm->rhs, fn);
    lm->cash = new_array(L, -1, 6, A, sizeof *lm->cash, fn);
    lm->pos = new_array(L, -1, 7, A * S, sizeof *lm->pos, fn);
    lm->price = new_array(L, -1, 8, S, sizeof *lm->price, fn);
    lm->accr = new_array(L, -1, 9, S, sizeof *lm->accr, fn);
    lm->sec = new_array(L, -1, 10, T, sizeof *lm->sec, fn);
    lm->dq = new_array(L, -1, 11, T, sizeof *lm->dq, fn);
    lm->dcash = new_array(L, -1, 12, T, sizeof *lm->dcash, fn);
    lm->mode = new_array(L, -1, 13, A * S, sizeof *lm->mode, fn);
    lm->R = R; lm->S = S; lm->T = T; lm->A = A;
    memcpy(lm->lng, lng, R * S * sizeof *lng);
    memcpy(lm->sht, sht, R * S * sizeof *sht);
    memcpy(lm->ccash, ccash, R * sizeof *ccash);
    memcpy(lm->rhs, rhs, R * sizeof *rhs);
    memcpy(lm->cash, cash, A * sizeof *cash);
    memcpy(lm->pos, pos, A * S * sizeof *pos);
    memcpy(lm->price, price, S * sizeof *price);
    memcpy(lm->accr, accr, S * sizeof *accr);
    memcpy(lm->dq, dq, T * sizeof *dq);
    memcpy(lm->dcash, dcash, T * sizeof *dcash);
    for (size_t r = 0; r < R; r++) lm->acct[r] = (int)acct[r] - 1;
    for (size_t t = 0; t < T; t++) lm->sec[t] = (int)sec[t] - 1;
    for (size_t i = 0; i < A * S; i++) lm->mode[i] = (int)mode[i];
    return 1;
}

/* reads the assignment (array of account indices, 1-based; 0 = unassigned) */
static int *read_assign(lua_State *L, int idx, const limits *lm)
{
    size_t T = lm->T;
    const double *v = laux_check_vector(L, idx, "trade.check", "assignment", T, LAUX_FINITE);
    int *a = lua_newuserdatauv(L, (T + 1) * sizeof *a, 0);
    for (size_t t = 0; t < T; t++) {
        if (v[t] < 0 || v[t] > (double)lm->A) luaL_error(L, "trade.check: assignment[%d] is out of range", (int)t + 1);
        a[t] = (int)v[t] - 1;
    }
    return a;
}

/* the row's weight per unit of a net position n (price left out): the
 * long slope for n >= 0, the short slope below */
static double slope(const limits *lm, size_t r, size_t s, double n)
{
    return n >= 0 ? lm->lng[r * lm->S + s] : lm->sht[r * lm->S + s];
}

/* net[A x S], cash[A]: the accounts' books after the assignment */
static void books(const limits *lm, const int *assign, double *net, double *cash)
{
    memcpy(net, lm->pos, lm->A * lm->S * sizeof *net);
    memcpy(cash, lm->cash, lm->A * sizeof *cash);
    for (size_t t = 0; t < lm->T; t++) {
        if (assign[t] < 0) continue;
        net[(size_t)assign[t] * lm->S + (size_t)lm->sec[t]] += lm->dq[t];
        cash[assign[t]] += lm->dcash[t];
    }
}

/* W[r][s], C[r]: the rows collapsed for one assignment, on the net
 * positions (row value in scenario k = C[r] + sum_s W[r][s] f_s^k) */
static void collapse(const limits *lm, const double *net, const double *cash, double *W, double *C)
{
    size_t R = lm->R, S = lm->S;
    for (size_t r = 0; r < R; r++) {
        size_t a = (size_t)lm->acct[r];
        double c = lm->ccash[r] * cash[a];
        for (size_t s = 0; s < S; s++) {
            double n = net[a * S + s];
            double w = n != 0 ? slope(lm, r, s, n) * n : 0;
            W[r * S + s] = w * lm->price[s];
            c += w * lm->accr[s];
        }
        C[r] = c;
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
    int *assign = read_assign(L, 3, lm);
    double tol = luaL_optnumber(L, 4, 1e-9);
    lua_Integer per_row = luaL_optinteger(L, 5, 1);
    size_t R = lm->R, S = lm->S, N = sc->n;
    double *W = lua_newuserdatauv(L, (R * S + 1) * sizeof *W, 0);
    double *C = lua_newuserdatauv(L, (R + 1) * sizeof *C, 0);
    double *net = lua_newuserdatauv(L, (lm->A * S + 1) * sizeof *net, 0);
    double *cash = lua_newuserdatauv(L, (lm->A + 1) * sizeof *cash, 0);
    double *val = lua_newuserdatauv(L, (N + 1) * sizeof *val, 0);
    int *order = lua_newuserdatauv(L, (N + 1) * sizeof *order, 0);
    books(lm, assign, net, cash);
    collapse(lm, net, cash, W, C);
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
        lua_pushnumber(L, nominal);
        lua_rawseti(L, -2, 3);
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

/* row(limits, scenarios, r, k) -> coefficients, constant, rhs, split:
 * row r in scenario k (0 = nominal) for the MIP, as
 *   sum_t coef_t x[t, a(r)] + sum_{split s} (P_s p_s + M_s m_s) <= rhs - constant
 * A security of the row's account whose net position keeps one sign
 * (mode 0 long, 1 short) enters through the trades' quantities at that
 * side's weight; one whose sign the trades can flip (mode 2) through its
 * long and short parts p_s, m_s >= 0 (p_s - m_s = the net position):
 * split = {{s, P_s, M_s}, ...}, and its trades carry only their cash. */
static int l_row(lua_State *L)
{
    limits *lm = luaL_checkudata(L, 1, LIMITS_MT);
    scen *sc = luaL_checkudata(L, 2, SCEN_MT);
    lua_Integer r = luaL_checkinteger(L, 3), k = luaL_checkinteger(L, 4);
    if (r < 1 || (size_t)r > lm->R) luaL_error(L, "trade.row: row %d is out of range", (int)r);
    if (k < 0 || (size_t)k > sc->n) luaL_error(L, "trade.row: scenario %d is out of range 0..%d", (int)k, (int)sc->n);
    size_t S = lm->S, rr = (size_t)r - 1, a = (size_t)lm->acct[rr];
    const double *f = k ? sc->f + (size_t)(k - 1) * S : NULL;
    const int *mode = lm->mode + a * S;
    lua_createtable(L, (int)lm->T, 0);
    for (size_t t = 0; t < lm->T; t++) {
        size_t s = (size_t)lm->sec[t];
        double px = lm->price[s] * (f ? f[s] : 1.0) + lm->accr[s];
        double c = lm->ccash[rr] * lm->dcash[t];
        if (mode[s] != 2) c += (mode[s] == 0 ? lm->lng[rr * S + s] : lm->sht[rr * S + s]) * lm->dq[t] * px;
        lua_pushnumber(L, c);
        lua_rawseti(L, -2, (lua_Integer)t + 1);
    }
    double c = lm->ccash[rr] * lm->cash[a];
    lua_newtable(L);
    lua_Integer ns = 0;
    for (size_t s = 0; s < S; s++) {
        double px = lm->price[s] * (f ? f[s] : 1.0) + lm->accr[s];
        if (mode[s] == 2) {
            lua_createtable(L, 3, 0);
            lua_pushinteger(L, (lua_Integer)s + 1); lua_rawseti(L, -2, 1);
            lua_pushnumber(L, lm->lng[rr * S + s] * px); lua_rawseti(L, -2, 2);
            lua_pushnumber(L, -lm->sht[rr * S + s] * px); lua_rawseti(L, -2, 3);
            lua_rawseti(L, -2, ++ns);
        } else {
            double q = lm->pos[a * S + s];
            if (q != 0) c += (mode[s] == 0 ? lm->lng[rr * S + s] : lm->sht[rr * S + s]) * q * px;
        }
    }
    lua_pushnumber(L, c);
    lua_pushnumber(L, lm->rhs[rr]);
    lua_rotate(L, -3, -1);   /* coefficients, constant, rhs, split */
    return 4;
}

/* cvar(limits, scenarios, assignment, K) -> per account {value, worst,
 * coef = {S}}: the mean of the K largest losses of the account's net book,
 * loss_k = sum_s n_s p_s (1 - f_s^k), the scenario of the largest, and the
 * cut coefficients p_s (1 - mean of f_s over those K scenarios), so that
 * CVaR >= sum_s coef_s n_s holds for every assignment (a subgradient cut). */
static int cmp_desc(const void *p, const void *q)
{
    double a = ((const double *)p)[0], b = ((const double *)q)[0];
    return (a < b) - (a > b);
}

static int l_cvar(lua_State *L)
{
    limits *lm = luaL_checkudata(L, 1, LIMITS_MT);
    scen *sc = luaL_checkudata(L, 2, SCEN_MT);
    if (sc->s != lm->S) luaL_error(L, "trade.cvar: scenarios have %d securities, limits %d", (int)sc->s, (int)lm->S);
    int *assign = read_assign(L, 3, lm);
    lua_Integer K = luaL_checkinteger(L, 4);
    size_t A = lm->A, S = lm->S, N = sc->n;
    if (K < 1 || (size_t)K > (N ? N : 1)) luaL_error(L, "trade.cvar: K = %d is out of range 1..%d", (int)K, (int)N);
    double *net = lua_newuserdatauv(L, (A * S + 1) * sizeof *net, 0);
    double *cash = lua_newuserdatauv(L, (A + 1) * sizeof *cash, 0);
    double *pair = lua_newuserdatauv(L, (2 * N + 2) * sizeof *pair, 0);
    books(lm, assign, net, cash);
    lua_createtable(L, (int)A, 0);
    size_t work = 0;
    for (size_t a = 0; a < A; a++) {
        const double *n = net + a * S;
        for (size_t k = 0; k < N; k++) {
            poll_work(L, &work, S, "trade.cvar");
            double loss = 0;
            for (size_t s = 0; s < S; s++) loss += n[s] * lm->price[s] * (1 - sc->f[k * S + s]);
            pair[2 * k] = loss;
            pair[2 * k + 1] = (double)k;
        }
        if (N) qsort(pair, N, 2 * sizeof *pair, cmp_desc);
        lua_createtable(L, 0, 3);
        lua_createtable(L, (int)S, 0);
        double value = 0;
        for (size_t s = 0; s < S; s++) {
            double fbar = 0;
            for (size_t i = 0; i < (size_t)K && i < N; i++) fbar += sc->f[(size_t)pair[2 * i + 1] * S + s];
            fbar = N ? fbar / (double)K : 1;
            double coef = lm->price[s] * (1 - fbar);
            value += coef * n[s];
            lua_pushnumber(L, coef);
            lua_rawseti(L, -2, (lua_Integer)s + 1);
        }
        lua_setfield(L, -2, "coef");
        lua_pushnumber(L, value);
        lua_setfield(L, -2, "value");
        lua_pushinteger(L, N ? (lua_Integer)pair[1] + 1 : 0);
        lua_setfield(L, -2, "worst");
        lua_rawseti(L, -2, (lua_Integer)a + 1);
    }
    return 1;
}

/* ---- incremental state for the fallback heuristic ---------------------------- */

typedef struct tstate {
    size_t R, N, A, S, T;
    double *v;          /* R x (N + 1): row values, nominal first */
    double *net;        /* A x S: net positions */
    double *cash;       /* A */
    int *assign;        /* T: account (0-based), -1 = not booked */
    double *vmax;       /* R: the largest row value over the nominal and every scenario */
    double *fhi, *flo;  /* S: the largest and smallest price factor (the nominal's 1 included) */
} tstate;

/* state(limits, scenarios): the row values with no trade booked */
static int l_state(lua_State *L)
{
    limits *lm = luaL_checkudata(L, 1, LIMITS_MT);
    scen *sc = luaL_checkudata(L, 2, SCEN_MT);
    if (sc->s != lm->S) luaL_error(L, "trade.state: scenarios have %d securities, limits %d", (int)sc->s, (int)lm->S);
    size_t R = lm->R, S = lm->S, N = sc->n;
    tstate *st = lua_newuserdatauv(L, sizeof *st, 9);
    memset(st, 0, sizeof *st);
    luaL_setmetatable(L, STATE_MT);
    lua_pushvalue(L, 1);
    lua_setiuservalue(L, -2, 1);
    lua_pushvalue(L, 2);
    lua_setiuservalue(L, -2, 2);
    if (R && N + 1 > SIZE_MAX / sizeof *st->v / R - 1) luaL_error(L, "trade.state: too many rows and scenarios");
    st->v = new_array(L, -1, 3, R * (N + 1), sizeof *st->v, "trade.state");
    st->net = new_array(L, -1, 4, lm->A * S, sizeof *st->net, "trade.state");
    st->cash = new_array(L, -1, 5, lm->A, sizeof *st->cash, "trade.state");
    st->assign = new_array(L, -1, 6, lm->T, sizeof *st->assign, "trade.state");
    st->vmax = new_array(L, -1, 7, R, sizeof *st->vmax, "trade.state");
    st->fhi = new_array(L, -1, 8, S, sizeof *st->fhi, "trade.state");
    st->flo = new_array(L, -1, 9, S, sizeof *st->flo, "trade.state");
    for (size_t s = 0; s < S; s++) {
        double hi = 1, lo = 1;
        for (size_t k = 0; k < N; k++) {
            hi = fmax(hi, sc->f[k * S + s]);
            lo = fmin(lo, sc->f[k * S + s]);
        }
        st->fhi[s] = hi;
        st->flo[s] = lo;
    }
    st->R = R; st->N = N; st->A = lm->A; st->S = S; st->T = lm->T;
    for (size_t t = 0; t < lm->T; t++) st->assign[t] = -1;
    books(lm, st->assign, st->net, st->cash);
    double *W = lua_newuserdatauv(L, (R * S + 1) * sizeof *W, 0);
    double *C = lua_newuserdatauv(L, (R + 1) * sizeof *C, 0);
    collapse(lm, st->net, st->cash, W, C);
    size_t work = 0;
    for (size_t r = 0; r < R; r++) {
        double *v = st->v + r * (N + 1);
        v[0] = C[r];
        for (size_t s = 0; s < S; s++) v[0] += W[r * S + s];
        for (size_t k = 0; k < N; k++) {
            poll_work(L, &work, S + 1, "trade.state");
            double x = C[r];
            for (size_t s = 0; s < S; s++) x += W[r * S + s] * sc->f[k * S + s];
            v[k + 1] = x;
        }
        double mx = v[0];
        for (size_t k = 1; k <= N; k++) mx = fmax(mx, v[k]);
        st->vmax[r] = mx;
    }
    lua_pop(L, 2);
    return 1;
}

static tstate *check_state(lua_State *L, limits **lm, scen **sc)
{
    tstate *st = luaL_checkudata(L, 1, STATE_MT);
    lua_getiuservalue(L, 1, 1);
    *lm = luaL_checkudata(L, -1, LIMITS_MT);
    lua_getiuservalue(L, 1, 2);
    *sc = luaL_checkudata(L, -1, SCEN_MT);
    lua_pop(L, 2);
    return st;
}

/* the trade and account arguments at idx, idx + 1 (account 0 = unbooked) */
static void trade_account(lua_State *L, const tstate *st, int idx, size_t *t, int *a, const char *fn)
{
    lua_Integer tt = luaL_checkinteger(L, idx), aa = luaL_checkinteger(L, idx + 1);
    if (tt < 1 || (size_t)tt > st->T) luaL_error(L, "%s: trade %d is out of range", fn, (int)tt);
    if (aa < 0 || (size_t)aa > st->A) luaL_error(L, "%s: account %d is out of range", fn, (int)aa);
    *t = (size_t)tt - 1;
    *a = (int)aa - 1;
}

/* Moves trade t from its account to account a (-1: out of every account):
 * the worst excess over the rows of both accounts, in every scenario,
 * afterwards; applied to the state when book is set. */
static double move(lua_State *L, tstate *st, const limits *lm, const scen *sc, size_t t, int a, int book, const char *fn,
                   double *sides, double stop)
{
    int from = st->assign[t];
    size_t S = st->S, N = st->N, s = (size_t)lm->sec[t];
    double worst = -INFINITY;
    if (sides) sides[0] = sides[1] = -INFINITY;
    size_t work = 0;
    for (int side = 0; side < 2; side++) {
        int b = side == 0 ? from : a;
        if (b < 0 || (side == 1 && a == from)) continue;
        double sign = side == 0 ? -1.0 : 1.0;
        if (a == from) sign = 0;   /* no change: the account as it stands */
        double n0 = st->net[(size_t)b * S + s], n1 = n0 + sign * lm->dq[t];
        double dc = sign * lm->dcash[t];
        double before = worst;
        worst = -INFINITY;
        for (size_t r = 0; r < st->R; r++) {
            if (lm->acct[r] != b) continue;
            double dg = slope(lm, r, s, n1) * n1 - slope(lm, r, s, n0) * n0;
            double dcr = lm->ccash[r] * dc, rhs = lm->rhs[r];
            double *v = st->v + r * (N + 1);
            if (!book && stop < HUGE_VAL) {
                /* a bound first: the row's largest value plus the largest
                 * change any scenario's factor can make; when that fits,
                 * the row fits in every scenario without a scan */
                double hi = st->vmax[r] + fmax(dg * lm->price[s] * st->fhi[s], dg * lm->price[s] * st->flo[s])
                          + dg * lm->accr[s] + dcr;
                if (hi - rhs <= stop) {
                    worst = fmax(worst, hi - rhs);
                    continue;
                }
            }
            poll_work(L, &work, N, fn);   /* before the row: a booking is never half done */
            double x0 = v[0] + dg * (lm->price[s] + lm->accr[s]) + dcr;
            worst = fmax(worst, x0 - rhs);
            double mx = x0;
            if (book) v[0] = x0;
            const double *f = sc->f + s;
            for (size_t k = 0; k < N; k++) {
                double x = v[k + 1] + dg * (lm->price[s] * f[k * S] + lm->accr[s]) + dcr;
                worst = fmax(worst, x - rhs);
                mx = fmax(mx, x);
                if (book) v[k + 1] = x;
                else if (worst > stop) return worst;   /* a try that only asks "does it fit?" */
            }
            if (book) st->vmax[r] = mx;
        }
        if (sides) sides[side] = worst;
        worst = fmax(worst, before);
        if (book) {
            st->net[(size_t)b * S + s] = n1;
            st->cash[b] += dc;
        }
    }
    if (book) st->assign[t] = a;
    return worst;
}

/* st:try_swap(t1, t2 [, stop]) -> the worst excess over the rows of the
 * two trades' accounts, in every scenario, if they exchanged accounts
 * (both booked, to different accounts); with stop, as try's: any excess
 * above stop, or an upper bound at most stop. Nothing changes. */
static int state_try_swap(lua_State *L)
{
    limits *lm; scen *sc;
    tstate *st = check_state(L, &lm, &sc);
    lua_Integer i1 = luaL_checkinteger(L, 2), i2 = luaL_checkinteger(L, 3);
    double stop = luaL_optnumber(L, 4, HUGE_VAL);
    if (i1 < 1 || (size_t)i1 > st->T || i2 < 1 || (size_t)i2 > st->T) luaL_error(L, "state:try_swap: trade out of range");
    size_t t1 = (size_t)i1 - 1, t2 = (size_t)i2 - 1;
    int a1 = st->assign[t1], a2 = st->assign[t2];
    if (a1 < 0 || a2 < 0 || a1 == a2) luaL_error(L, "state:try_swap: the trades must be booked to two accounts");
    size_t S = st->S, N = st->N, work = 0;
    double worst = -INFINITY;
    for (int side = 0; side < 2; side++) {
        /* account b loses trade `out` and gains trade `in` */
        int b = side == 0 ? a1 : a2;
        size_t out = side == 0 ? t1 : t2, in = side == 0 ? t2 : t1;
        size_t s1 = (size_t)lm->sec[out], s2 = (size_t)lm->sec[in];
        double n1 = st->net[(size_t)b * S + s1], n1b = n1 - lm->dq[out];
        double n2 = s2 == s1 ? n1b : st->net[(size_t)b * S + s2];
        double n2b = n2 + lm->dq[in];
        double dc = lm->dcash[in] - lm->dcash[out];
        for (size_t r = 0; r < st->R; r++) {
            if (lm->acct[r] != b) continue;
            double d1 = slope(lm, r, s1, n1b) * n1b - slope(lm, r, s1, n1) * n1;
            double d2 = slope(lm, r, s2, n2b) * n2b - slope(lm, r, s2, n2) * n2;
            double c = d1 * lm->accr[s1] + d2 * lm->accr[s2] + lm->ccash[r] * dc, rhs = lm->rhs[r];
            double p1 = lm->price[s1], p2 = lm->price[s2];
            if (stop < HUGE_VAL) {
                double hi = st->vmax[r] + fmax(d1 * p1 * st->fhi[s1], d1 * p1 * st->flo[s1])
                          + fmax(d2 * p2 * st->fhi[s2], d2 * p2 * st->flo[s2]) + c;
                if (hi - rhs <= stop) {
                    worst = fmax(worst, hi - rhs);
                    continue;
                }
            }
            const double *v = st->v + r * (N + 1);
            poll_work(L, &work, N, "state:try_swap");
            worst = fmax(worst, v[0] + d1 * p1 + d2 * p2 + c - rhs);
            for (size_t k = 0; k < N; k++) {
                const double *f = sc->f + k * S;
                worst = fmax(worst, v[k + 1] + d1 * p1 * f[s1] + d2 * p2 * f[s2] + c - rhs);
                if (worst > stop) break;
            }
            if (worst > stop) {
                lua_pushnumber(L, worst);
                return 1;
            }
        }
    }
    lua_pushnumber(L, worst);
    return 1;
}

/* st:try(t, a) -> the worst excess over the rows of t's account and of
 * account a, in every scenario, if trade t moved to a (0: unbooked);
 * <= 0 means every limit of both holds. Nothing changes. st:try(t, a,
 * stop) answers "is it at most stop?": it may return any excess above
 * stop as soon as it finds one, and an upper bound of the excess that is
 * at most stop without scanning the scenarios.
 * st:book(t, a): makes that move; returns the same figure afterwards.
 * st:try2(t, a) -> the worst excess of t's account without it and of
 * account a with it, apart (-inf for no account). */
static int state_move(lua_State *L, int book, int apart)
{
    const char *fn = book ? "state:book" : apart ? "state:try2" : "state:try";
    limits *lm; scen *sc;
    tstate *st = check_state(L, &lm, &sc);
    size_t t; int a;
    trade_account(L, st, 2, &t, &a, fn);
    double sides[2];
    /* try's third argument: stop at the first excess above it */
    double stop = (!book && !apart) ? luaL_optnumber(L, 4, HUGE_VAL) : HUGE_VAL;
    double w = move(L, st, lm, sc, t, a, book, fn, apart ? sides : NULL, stop);
    if (!apart) {
        lua_pushnumber(L, w);
        return 1;
    }
    lua_pushnumber(L, sides[0]);
    lua_pushnumber(L, sides[1]);
    return 2;
}

static int state_try(lua_State *L) { return state_move(L, 0, 0); }
static int state_try2(lua_State *L) { return state_move(L, 0, 1); }
static int state_book(lua_State *L) { return state_move(L, 1, 0); }

/* st:excess([a]) -> the worst excess over the rows of account a (every
 * account when a is missing or 0), in every scenario, as booked */
static int state_excess(lua_State *L)
{
    limits *lm; scen *sc;
    tstate *st = check_state(L, &lm, &sc);
    lua_Integer a = luaL_optinteger(L, 2, 0);
    if (a < 0 || (size_t)a > st->A) luaL_error(L, "state:excess: account %d is out of range", (int)a);
    double worst = -INFINITY;
    size_t work = 0;
    for (size_t r = 0; r < st->R; r++) {
        if (a && lm->acct[r] != (int)a - 1) continue;
        const double *v = st->v + r * (st->N + 1);
        poll_work(L, &work, st->N, "state:excess");
        for (size_t k = 0; k <= st->N; k++) worst = fmax(worst, v[k] - lm->rhs[r]);
    }
    lua_pushnumber(L, worst);
    return 1;
}

/* st:account(t) -> the account trade t is booked to (0: none) */
static int state_account(lua_State *L)
{
    limits *lm; scen *sc;
    tstate *st = check_state(L, &lm, &sc);
    lua_Integer t = luaL_checkinteger(L, 2);
    if (t < 1 || (size_t)t > st->T) luaL_error(L, "state:account: trade %d is out of range", (int)t);
    lua_pushinteger(L, st->assign[t - 1] + 1);
    return 1;
}

static const luaL_Reg scen_methods[] = { { "size", scen_size }, { "row", scen_row }, { "bytes", scen_bytes },
                                         { NULL, NULL } };
static const luaL_Reg state_methods[] = { { "try", state_try }, { "try2", state_try2 }, { "try_swap", state_try_swap }, { "book", state_book }, { "excess", state_excess },
                                          { "account", state_account }, { NULL, NULL } };
static const luaL_Reg trade_funcs[] = {
    { "generate", l_generate }, { "from_rows", l_from_rows }, { "limits", l_limits },
    { "check", l_check }, { "row", l_row }, { "state", l_state }, { "cvar", l_cvar }, { NULL, NULL },
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
