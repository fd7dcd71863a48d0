/* laux: one implementation of each argument check the bindings share
 * (see laux.h for the contract and the message formats). */
#include "laux.h"

#include <lauxlib.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SZ(x) ((LUAI_UACINT)(x))   /* sizes as lua_pushfstring's %I */

/* Raises msg with the location of the function `level` calls up (as
 * error(msg, level) does; 1 is the Lua caller of the binding). */
static void raise_at(lua_State *L, int level, const char *msg)
{
    luaL_where(L, level);
    lua_pushstring(L, msg);
    lua_concat(L, 2);
    lua_error(L);
}

/* Pushes names[0..n) joined by ", ", each between quote marks. */
static const char *push_names(lua_State *L, const char *const *names, size_t n, const char *quote)
{
    luaL_Buffer b;
    luaL_buffinit(L, &b);
    for (size_t i = 0; i < n; i++) {
        if (i) luaL_addstring(&b, ", ");
        luaL_addstring(&b, quote);
        luaL_addstring(&b, names[i]);
        luaL_addstring(&b, quote);
    }
    luaL_pushresult(&b);
    return lua_tostring(L, -1);
}

/* ---- option tables ----------------------------------------------------- */

/* Edit distance (insertions, deletions, substitutions, adjacent swaps)
 * between a and b, capped at 8: names longer than 31 bytes count as far. */
static int distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    if (la > 31 || lb > 31) return 8;
    int d[32][32];
    for (size_t i = 0; i <= la; i++) d[i][0] = (int)i;
    for (size_t j = 0; j <= lb; j++) d[0][j] = (int)j;
    for (size_t i = 1; i <= la; i++)
        for (size_t j = 1; j <= lb; j++) {
            int best = d[i - 1][j - 1] + (a[i - 1] != b[j - 1]);
            if (d[i - 1][j] + 1 < best) best = d[i - 1][j] + 1;
            if (d[i][j - 1] + 1 < best) best = d[i][j - 1] + 1;
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] && d[i - 2][j - 2] + 1 < best)
                best = d[i - 2][j - 2] + 1;
            d[i][j] = best;
        }
    return d[la][lb] < 8 ? d[la][lb] : 8;
}

/* The allowed name nearest to k, if near enough to be a likely typo (at
 * most a third of its length away, one edit for short names), else the
 * shortest name k abbreviates (3 letters or more), else NULL. */
static const char *closest(const char *k, const char *const *names, size_t n)
{
    const char *best = NULL;
    int bd = 8;
    for (size_t i = 0; i < n; i++) {
        int d = distance(k, names[i]);
        if (d < bd) bd = d, best = names[i];
    }
    size_t len = strlen(k);
    int allowed = len / 3 > 1 ? (int)(len / 3) : 1;
    if (best && bd <= allowed && (size_t)bd < len) return best;
    /* an abbreviation: the shortest name that k begins */
    best = NULL;
    for (size_t i = 0; len >= 3 && i < n; i++)
        if (!strncmp(names[i], k, len) && (!best || strlen(names[i]) < strlen(best))) best = names[i];
    return best;
}

static void check_keys(lua_State *L, int t, int level, const char *fn, const char *const *names, size_t n)
{
    lua_pushnil(L);
    while (lua_next(L, t)) {
        lua_pop(L, 1);
        int key = lua_gettop(L);
        if (lua_type(L, key) != LUA_TSTRING)
            raise_at(L, level, lua_pushfstring(L, "%s: option names must be strings (got a %s key)", fn,
                                               luaL_typename(L, key)));
        const char *k = lua_tostring(L, key);
        size_t i = 0;
        while (i < n && strcmp(k, names[i])) i++;
        if (i == n) {
            const char *list = n ? push_names(L, names, n, "") : "none";
            const char *near = closest(k, names, n);
            if (near)
                raise_at(L, level, lua_pushfstring(L, "%s: unknown option '%s' (did you mean '%s'? options: %s)", fn, k,
                                                   near, list));
            raise_at(L, level, lua_pushfstring(L, "%s: unknown option '%s' (options: %s)", fn, k, list));
        }
    }
}

void laux_check_options(lua_State *L, int idx, const char *fn, const char *const *allowed)
{
    if (lua_isnoneornil(L, idx)) return;
    idx = lua_absindex(L, idx);
    luaL_checktype(L, idx, LUA_TTABLE);
    size_t n = 0;
    while (allowed[n]) n++;
    check_keys(L, idx, 1, fn, allowed, n);
}

static int by_name(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

int laux_lua_check_options(lua_State *L)
{
    const char *fn = luaL_checkstring(L, 2);
    luaL_checktype(L, 3, LUA_TTABLE);
    lua_Integer level = luaL_optinteger(L, 4, 2);
    /* level 0: no location (a Lua caller that blames the line itself) */
    luaL_argcheck(L, level >= 0 && level <= 100, 4, "level must be in 0..100");
    lua_settop(L, 3);
    if (lua_isnil(L, 1)) return 0;
    if (!lua_istable(L, 1))
        raise_at(L, (int)level, lua_pushfstring(L, "%s: expected a table of options (got %s)", fn, luaL_typename(L, 1)));
    /* the names live in `allowed` (argument 3), so the pointers stay valid */
    size_t n = lua_rawlen(L, 3);
    int set = n == 0;   /* no list entries: a set {name = true} */
    if (set) {
        lua_pushnil(L);
        while (lua_next(L, 3)) {
            n += lua_toboolean(L, -1);
            lua_pop(L, 1);
        }
    }
    const char **names = lua_newuserdatauv(L, (n ? n : 1) * sizeof *names, 0);
    size_t k = 0;
    if (set) {
        lua_pushnil(L);
        while (lua_next(L, 3)) {
            if (lua_type(L, -2) != LUA_TSTRING) luaL_argerror(L, 3, "option names must be strings");
            if (lua_toboolean(L, -1)) names[k++] = lua_tostring(L, -2);
            lua_pop(L, 1);
        }
        qsort(names, k, sizeof *names, by_name);
    } else {
        for (; k < n; k++) {
            if (lua_rawgeti(L, 3, (lua_Integer)k + 1) != LUA_TSTRING) luaL_argerror(L, 3, "option names must be strings");
            names[k] = lua_tostring(L, -1);
            lua_pop(L, 1);
        }
    }
    check_keys(L, 1, (int)level, fn, names, k);
    return 0;
}

/* folio.core.did_you_mean(name, {names...}) -> the likely intended name, or nil */
int laux_lua_did_you_mean(lua_State *L)
{
    const char *k = luaL_checkstring(L, 1);
    luaL_checktype(L, 2, LUA_TTABLE);
    size_t n = lua_rawlen(L, 2);
    const char **names = lua_newuserdatauv(L, (n ? n : 1) * sizeof *names, 0);
    for (size_t i = 0; i < n; i++) {
        if (lua_rawgeti(L, 2, (lua_Integer)i + 1) != LUA_TSTRING) luaL_argerror(L, 2, "names must be strings");
        names[i] = lua_tostring(L, -1);   /* kept alive by the table */
        lua_pop(L, 1);
    }
    const char *near = closest(k, names, n);
    if (near) lua_pushstring(L, near);
    else lua_pushnil(L);
    return 1;
}

/* ---- blame ------------------------------------------------------------- */

int laux_is_user_frame(const lua_Debug *ar)
{
    return ar->currentline > 0 && ar->source[0] == '@' && strncmp(ar->source, "@lua/folio/", 11) != 0;
}

int laux_lua_where_user(lua_State *L)
{
    lua_Debug ar;
    int tail = 0;
    for (int level = 1; lua_getstack(L, level, &ar); level++) {
        lua_getinfo(L, "Slt", &ar);
        if (laux_is_user_frame(&ar)) {
            lua_pushfstring(L, "%s:%d: ", ar.short_src, ar.currentline);
            return 1;
        }
        tail |= ar.istailcall;
    }
    /* `return folio.f(...)` is a tail call: Lua drops the script's frame,
     * and with it the line. The script that runs is still known. */
    if (tail && lua_getfield(L, LUA_REGISTRYINDEX, LUA_LOADED_TABLE) == LUA_TTABLE &&
        lua_getfield(L, -1, "folio") == LUA_TTABLE && (lua_pushliteral(L, "script"), lua_rawget(L, -2)) == LUA_TSTRING) {
        lua_pushfstring(L, "%s, a `return` line: ", lua_tostring(L, -1));
        return 1;
    }
    lua_pushliteral(L, "");
    return 1;
}

/* ---- vectors and matrices ---------------------------------------------- */

/* A userdata for rows x cols doubles, after a check that the size fits. */
static double *new_array(lua_State *L, const char *fn, const char *arg, size_t rows, size_t cols)
{
    if (cols && rows > SIZE_MAX / sizeof(double) / cols)
        luaL_error(L, "%s: %s is too large (%I x %I)", fn, arg, SZ(rows), SZ(cols));
    size_t n = rows * cols;
    return lua_newuserdatauv(L, (n ? n : 1) * sizeof(double), 0);
}

/* Pops the entry on the top of the stack (arg[i], or arg[i][j] when j is
 * not 0) and returns it: a number, not a string that converts to one. */
static double pop_entry(lua_State *L, const char *fn, const char *arg, size_t i, size_t j, int flags)
{
    int isnum = lua_type(L, -1) == LUA_TNUMBER;
    double v = isnum ? lua_tonumber(L, -1) : 0;
    if (isnum && (isfinite(v) || ((flags & LAUX_INF_OK) && !isnan(v)))) {
        lua_pop(L, 1);
        return v;
    }
    const char *pos = j ? lua_pushfstring(L, "%s[%I][%I]", arg, SZ(i), SZ(j)) : lua_pushfstring(L, "%s[%I]", arg, SZ(i));
    if (!isnum) luaL_error(L, "%s: %s must be a number (got %s)", fn, pos, luaL_typename(L, -2));
    if (flags & LAUX_INF_OK) luaL_error(L, "%s: %s must not be NaN", fn, pos);
    luaL_error(L, "%s: %s must be finite (got %s)", fn, pos, isnan(v) ? "nan" : v > 0 ? "inf" : "-inf");
    return 0;
}

/* The value at idx (absolute) must be a table of length n: arg, or its
 * row arg[row] when row is not 0, is named in the message. */
static void check_length(lua_State *L, int idx, const char *fn, const char *arg, size_t row, const char *kind,
                         const char *unit, size_t n)
{
    int table = lua_type(L, idx) == LUA_TTABLE;
    if (table && lua_rawlen(L, idx) == n) return;
    const char *name = row ? lua_pushfstring(L, "%s[%I]", arg, SZ(row)) : arg;
    if (!table) luaL_error(L, "%s: %s must be %s (got %s)", fn, name, kind, luaL_typename(L, idx));
    luaL_error(L, "%s: %s has %I %s, expected %I", fn, name, SZ(lua_rawlen(L, idx)), unit, SZ(n));
}

double *laux_check_vector(lua_State *L, int idx, const char *fn, const char *arg, size_t n, int flags)
{
    idx = lua_absindex(L, idx);
    check_length(L, idx, fn, arg, 0, "an array of numbers", "entries", n);
    double *v = new_array(L, fn, arg, n, 1);
    for (size_t i = 0; i < n; i++) {
        lua_rawgeti(L, idx, (lua_Integer)i + 1);
        v[i] = pop_entry(L, fn, arg, i + 1, 0, flags);
    }
    return v;
}

double *laux_field_vector(lua_State *L, int t, const char *fn, const char *key, size_t n, int flags)
{
    if (lua_getfield(L, t, key) == LUA_TNIL) {
        if (flags & LAUX_REQUIRED) luaL_error(L, "%s: %s is required", fn, key);
        lua_pop(L, 1);
        return NULL;
    }
    double *v = laux_check_vector(L, -1, fn, key, n, flags);
    lua_remove(L, -2);   /* the field; the userdata stays */
    return v;
}

double *laux_check_matrix(lua_State *L, int idx, const char *fn, const char *arg, size_t rows, size_t cols)
{
    idx = lua_absindex(L, idx);
    check_length(L, idx, fn, arg, 0, "a table of rows", "rows", rows);
    /* the shape first, so nothing is allocated for a malformed matrix */
    for (size_t i = 1; i <= rows; i++) {
        lua_rawgeti(L, idx, (lua_Integer)i);
        check_length(L, lua_gettop(L), fn, arg, i, "a row of numbers", "entries", cols);
        lua_pop(L, 1);
    }
    double *M = new_array(L, fn, arg, rows, cols);
    for (size_t i = 0; i < rows; i++) {
        lua_rawgeti(L, idx, (lua_Integer)i + 1);
        for (size_t j = 0; j < cols; j++) {
            lua_rawgeti(L, -1, (lua_Integer)j + 1);
            M[i * cols + j] = pop_entry(L, fn, arg, i + 1, j + 1, LAUX_FINITE);
        }
        lua_pop(L, 1);
    }
    return M;
}

double *laux_check_square(lua_State *L, int idx, const char *fn, const char *arg, size_t *n)
{
    size_t k = lua_type(L, idx) == LUA_TTABLE ? lua_rawlen(L, idx) : 0;
    if (k == 0 && lua_type(L, idx) == LUA_TTABLE) luaL_error(L, "%s: %s is empty", fn, arg);
    *n = k;
    return laux_check_matrix(L, idx, fn, arg, k, k);
}

/* ---- typed options ------------------------------------------------------- */

double laux_opt_number(lua_State *L, int t, const char *fn, const char *key, double dflt, double lo)
{
    double v = dflt;
    int ty = lua_getfield(L, t, key);
    if (ty != LUA_TNIL) {
        if (ty != LUA_TNUMBER) luaL_error(L, "%s: %s must be a number (got %s)", fn, key, luaL_typename(L, -1));
        v = lua_tonumber(L, -1);
        if (isnan(v)) luaL_error(L, "%s: %s must be a number, not NaN", fn, key);
        if (v < lo) {
            char want[32], got[32];   /* lua_pushfstring has no %g */
            snprintf(want, sizeof want, "%.14g", lo);
            snprintf(got, sizeof got, "%.14g", v);
            luaL_error(L, "%s: %s must be >= %s (got %s)", fn, key, want, got);
        }
    }
    lua_pop(L, 1);
    return v;
}

lua_Integer laux_opt_integer(lua_State *L, int t, const char *fn, const char *key, lua_Integer dflt, lua_Integer lo,
                             lua_Integer hi)
{
    lua_Integer v = dflt;
    int ty = lua_getfield(L, t, key);
    if (ty != LUA_TNIL) {
        int ok = 0;
        if (ty == LUA_TNUMBER) v = lua_tointegerx(L, -1, &ok);
        if (!ok || v < lo || v > hi) {
            const char *got = ty == LUA_TNUMBER ? luaL_tolstring(L, -1, NULL) : luaL_typename(L, -1);
            if (hi == LUA_MAXINTEGER && lo == LUA_MININTEGER)
                luaL_error(L, "%s: %s must be an integer (got %s)", fn, key, got);
            if (hi == LUA_MAXINTEGER) luaL_error(L, "%s: %s must be an integer >= %I (got %s)", fn, key, lo, got);
            luaL_error(L, "%s: %s must be an integer in %I..%I (got %s)", fn, key, lo, hi, got);
        }
    }
    lua_pop(L, 1);
    return v;
}

int laux_opt_boolean(lua_State *L, int t, const char *fn, const char *key, int dflt)
{
    int v = dflt;
    int ty = lua_getfield(L, t, key);
    if (ty == LUA_TBOOLEAN) v = lua_toboolean(L, -1);
    else if (ty != LUA_TNIL) luaL_error(L, "%s: %s must be true or false (got %s)", fn, key, luaL_typename(L, -1));
    lua_pop(L, 1);
    return v;
}

int laux_opt_enum(lua_State *L, int t, const char *fn, const char *key, const char *const *names, int dflt)
{
    int v = dflt;
    int ty = lua_getfield(L, t, key);
    if (ty != LUA_TNIL) {
        const char *s = ty == LUA_TSTRING ? lua_tostring(L, -1) : NULL;
        size_t n = 0;
        v = -1;
        for (; names[n]; n++)
            if (s && !strcmp(s, names[n])) v = (int)n;
        if (v < 0) {
            const char *got = s ? lua_pushfstring(L, "\"%s\"", s) : luaL_typename(L, -1);
            luaL_error(L, "%s: %s must be one of %s (got %s)", fn, key, push_names(L, names, n, "\""), got);
        }
    }
    lua_pop(L, 1);
    return v;
}

void laux_protect_metatable(lua_State *L, int idx)
{
    idx = lua_absindex(L, idx);
    lua_newtable(L);
    lua_pushnil(L);
    while (lua_next(L, idx)) {
        const char *k = lua_type(L, -2) == LUA_TSTRING ? lua_tostring(L, -2) : NULL;
        if (k && (!strcmp(k, "__gc") || !strcmp(k, "__close") || !strcmp(k, "__metatable"))) {
            lua_pop(L, 1);
            continue;
        }
        lua_pushvalue(L, -2);
        lua_insert(L, -2);
        lua_rawset(L, -4);
    }
    lua_setfield(L, idx, "__metatable");
}
