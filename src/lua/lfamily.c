/* Index sets, products and variable families. */
#include "lfamily.h"
#include "lexpr.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

static const char family_key = 'f';   /* metatable field marking a family */

static void key_text(lua_State *L, int idx, char *out, size_t cap)
{
    if (lua_type(L, idx) == LUA_TSTRING) snprintf(out, cap, "%s", lua_tostring(L, idx));
    else if (lua_isinteger(L, idx)) snprintf(out, cap, "%lld", (long long)lua_tointeger(L, idx));
    else if (lua_type(L, idx) == LUA_TNUMBER) snprintf(out, cap, "%.14g", lua_tonumber(L, idx));
    else snprintf(out, cap, "<%s>", luaL_typename(L, idx));
}

static int is_set_key(lua_State *L, int idx)
{
    int t = lua_type(L, idx);
    if (t == LUA_TSTRING) return 1;
    if (t == LUA_TNUMBER) return lua_isinteger(L, idx) || isfinite(lua_tonumber(L, idx));
    return 0;
}

/* Validates one set (sequence of unique keys) at idx. */
static void check_set(lua_State *L, int idx, const char *what, int pos, int allow_empty)
{
    lua_Integer n = (lua_Integer)lua_rawlen(L, idx);
    if (n == 0) {
        lua_pushnil(L);
        if (lua_next(L, idx)) luaL_error(L, "%s: index set %d is not a sequence (use an array of keys)", what, pos);
        if (!allow_empty) luaL_error(L, "%s: index set %d is empty", what, pos);
        return;
    }
    lua_createtable(L, 0, (int)(n < 1 << 24 ? n : 1 << 24));
    int seen = lua_gettop(L);
    for (lua_Integer i = 1; i <= n; i++) {
        lua_rawgeti(L, idx, i);
        if (!is_set_key(L, -1))
            luaL_error(L, "%s: index set %d: key %d is a %s (keys must be strings or numbers)",
                       what, pos, (int)i, luaL_typename(L, -1));
        lua_pushvalue(L, -1);
        if (lua_rawget(L, seen) != LUA_TNIL) {
            char k[128];
            key_text(L, -2, k, sizeof k);
            luaL_error(L, "%s: duplicate key '%s' in index set %d", what, k, pos);
        }
        lua_pop(L, 1);
        lua_pushboolean(L, 1);
        lua_rawset(L, seen);
    }
    lua_pop(L, 1);
}

int folio_sets_push(lua_State *L, int idx, const char *what, int allow_empty)
{
    idx = lua_absindex(L, idx);
    lua_newtable(L);
    if (lua_isnoneornil(L, idx)) return 0;
    if (!lua_istable(L, idx)) luaL_error(L, "%s: index set must be a table, got %s", what, luaL_typename(L, idx));
    int first = lua_rawgeti(L, idx, 1);
    lua_pop(L, 1);
    if (first == LUA_TTABLE) {
        lua_Integer n = (lua_Integer)lua_rawlen(L, idx);
        for (lua_Integer k = 1; k <= n; k++) {
            if (lua_rawgeti(L, idx, k) != LUA_TTABLE)
                luaL_error(L, "%s: index set %d must be a table", what, (int)k);
            check_set(L, lua_gettop(L), what, (int)k, allow_empty);
            lua_rawseti(L, -2, k);
        }
        return (int)n;
    }
    check_set(L, idx, what, 1, allow_empty);
    lua_pushvalue(L, idx);
    lua_rawseti(L, -2, 1);
    return 1;
}

void folio_product_each(lua_State *L, int sets_idx, int fn_idx, const char *what, folio_keys_cb cb, void *ud)
{
    sets_idx = lua_absindex(L, sets_idx);
    if (fn_idx) fn_idx = lua_absindex(L, fn_idx);
    int nsets = folio_sets_push(L, sets_idx, what, 1);
    int sets = lua_gettop(L);
    if (nsets == 0) luaL_error(L, "%s: no index set given", what);
    if (nsets > 64) luaL_error(L, "%s: more than 64 index sets", what);
    luaL_checkstack(L, 2 * nsets + 8, "too many index sets");
    lua_Integer pos[64], len[64];
    int base = lua_gettop(L);
    for (int q = 0; q < nsets; q++) {
        lua_rawgeti(L, sets, q + 1);            /* set q at base + 1 + q */
        len[q] = (lua_Integer)lua_rawlen(L, -1);
        pos[q] = 1;
        if (len[q] == 0) {                      /* empty product */
            lua_settop(L, sets - 1);
            return;
        }
    }
    for (;;) {
        if (fn_idx) lua_pushvalue(L, fn_idx);
        for (int q = 0; q < nsets; q++) lua_rawgeti(L, base + 1 + q, pos[q]);
        cb(L, ud, nsets);
        int q = nsets - 1;
        while (q >= 0 && ++pos[q] > len[q]) pos[q--] = 1;
        if (q < 0) break;
    }
    lua_settop(L, sets - 1);
}

/* ---- families ---------------------------------------------------------- */

static int family_index(lua_State *L)
{
    /* upvalues: family name, level, number of levels */
    char k[128];
    key_text(L, 2, k, sizeof k);
    const char *name = lua_tostring(L, lua_upvalueindex(1));
    int level = (int)lua_tointeger(L, lua_upvalueindex(2)), n = (int)lua_tointeger(L, lua_upvalueindex(3));
    if (n > 1)
        return luaL_error(L, "unknown index '%s' for %s (index %d of %d)", k, name, level, n);
    return luaL_error(L, "unknown index '%s' for %s", k, name);
}

static int family_newindex(lua_State *L)
{
    const char *name = lua_tostring(L, lua_upvalueindex(1));
    return luaL_error(L, "%s is a variable family: its entries cannot be assigned", name);
}

static int family_tostring(lua_State *L)
{
    lua_getmetatable(L, 1);
    lua_getfield(L, -1, "name");
    lua_pushfstring(L, "family %s", lua_tostring(L, -1));
    return 1;
}

/* Pushes the metatable for one level of a family. */
static void push_level_mt(lua_State *L, const char *name, int level, int nsets, int sets)
{
    lua_createtable(L, 0, 8);
    lua_pushstring(L, name);
    lua_pushinteger(L, level);
    lua_pushinteger(L, nsets);
    lua_pushcclosure(L, family_index, 3);
    lua_setfield(L, -2, "__index");
    lua_pushstring(L, name);
    lua_pushcclosure(L, family_newindex, 1);
    lua_setfield(L, -2, "__newindex");
    lua_pushcfunction(L, family_tostring);
    lua_setfield(L, -2, "__tostring");
    lua_pushliteral(L, "folio.family");
    lua_setfield(L, -2, "__name");
    lua_pushstring(L, name);
    lua_setfield(L, -2, "name");
    lua_pushinteger(L, level);
    lua_setfield(L, -2, "level");
    lua_pushvalue(L, sets);
    lua_setfield(L, -2, "sets");
    lua_pushboolean(L, 1);
    lua_rawsetp(L, -2, &family_key);
}

void folio_family_build(lua_State *L, const char *name, int sets_idx, folio_keys_cb cb, void *ud)
{
    sets_idx = lua_absindex(L, sets_idx);
    int nsets = (int)lua_rawlen(L, sets_idx);
    if (nsets < 1 || nsets > 64) luaL_error(L, "%s: between 1 and 64 index sets", name);
    luaL_checkstack(L, 3 * nsets + 8, "too many index sets");
    lua_createtable(L, nsets, 0);
    int mts = lua_gettop(L);
    for (int k = 1; k <= nsets; k++) {
        push_level_mt(L, name, k, nsets, sets_idx);
        lua_rawseti(L, mts, k);
    }
    lua_createtable(L, nsets, 0);
    int keys = lua_gettop(L);                   /* current key per level */
    /* depth-first over the levels; frame d holds level d's set and table */
    struct frame { int set, tab; lua_Integer i, n; } fr[64];
    int d = 0;
    fr[0].set = 0;
    for (;;) {
        if (fr[d].set == 0) {
            lua_rawgeti(L, sets_idx, d + 1);
            fr[d].set = lua_gettop(L);
            fr[d].n = (lua_Integer)lua_rawlen(L, fr[d].set);
            lua_createtable(L, 0, (int)(fr[d].n < (1 << 24) ? fr[d].n : (1 << 24)));
            fr[d].tab = lua_gettop(L);
            fr[d].i = 0;
        }
        if (fr[d].i == fr[d].n) {               /* level d finished */
            lua_rawgeti(L, mts, d + 1);
            lua_setmetatable(L, fr[d].tab);
            if (d == 0) break;
            lua_rawgeti(L, keys, d);            /* the parent's key */
            lua_pushvalue(L, fr[d].tab);
            lua_rawset(L, fr[d - 1].tab);
            lua_settop(L, fr[d].set - 1);
            fr[d].set = 0;
            d--;
            continue;
        }
        fr[d].i++;
        lua_rawgeti(L, fr[d].set, fr[d].i);
        lua_rawseti(L, keys, d + 1);
        if (d + 1 < nsets) {
            d++;
            fr[d].set = 0;
            continue;
        }
        for (int q = 1; q <= nsets; q++) lua_rawgeti(L, keys, q);
        cb(L, ud, nsets);                       /* pushes the leaf */
        lua_rawgeti(L, keys, nsets);
        lua_insert(L, -2);
        lua_rawset(L, fr[d].tab);
        lua_pop(L, nsets);
    }
    /* stack: mts keys set0 tab0 */
    lua_replace(L, mts);
    lua_settop(L, mts);
}

int folio_is_family(lua_State *L, int idx)
{
    if (!lua_getmetatable(L, idx)) return 0;
    int is = lua_rawgetp(L, -1, &family_key) == LUA_TBOOLEAN;
    lua_pop(L, 2);
    return is;
}

static void each_rec(lua_State *L, int tab, const char *what, folio_keys_cb cb, void *ud, int depth,
                     int keys)
{
    if (depth > 64) luaL_error(L, "%s: tables nested too deeply", what);
    luaL_checkstack(L, depth + 8, "tables nested too deeply");
    if (folio_is_family(L, tab)) {
        lua_getmetatable(L, tab);
        lua_getfield(L, -1, "sets");
        lua_getfield(L, -2, "level");
        int level = (int)lua_tointeger(L, -1);
        lua_pop(L, 1);
        lua_rawgeti(L, -1, level);
        int set = lua_gettop(L);
        lua_Integer n = (lua_Integer)lua_rawlen(L, set);
        for (lua_Integer i = 1; i <= n; i++) {
            lua_rawgeti(L, set, i);
            lua_rawseti(L, keys, depth);
            lua_rawgeti(L, set, i);
            lua_rawget(L, tab);
            if (lua_istable(L, -1)) {
                each_rec(L, lua_gettop(L), what, cb, ud, depth + 1, keys);
            } else if (!lua_isnil(L, -1)) {
                int v = lua_gettop(L);
                for (int q = 1; q <= depth; q++) lua_rawgeti(L, keys, q);
                lua_pushvalue(L, v);
                cb(L, ud, depth);
                lua_pop(L, depth + 1);
            }
            lua_pop(L, 1);
        }
        lua_pop(L, 3);
        return;
    }
    /* plain table: the sequence part in order, then any other keys */
    lua_Integer n = (lua_Integer)lua_rawlen(L, tab);
    lua_pushnil(L);
    while (lua_next(L, tab)) {
        int isint = lua_isinteger(L, -2);
        lua_Integer k = isint ? lua_tointeger(L, -2) : 0;
        if (!(isint && k >= 1 && k <= n)) {
            lua_pushvalue(L, -2);
            lua_rawseti(L, keys, depth);
            if (lua_istable(L, -1) && !fexpr_test(L, -1)) {
                each_rec(L, lua_gettop(L), what, cb, ud, depth + 1, keys);
            } else {
                int v = lua_gettop(L);
                for (int q = 1; q <= depth; q++) lua_rawgeti(L, keys, q);
                lua_pushvalue(L, v);
                cb(L, ud, depth);
                lua_pop(L, depth + 1);
            }
        }
        lua_pop(L, 1);
    }
    for (lua_Integer i = 1; i <= n; i++) {
        lua_pushinteger(L, i);
        lua_rawseti(L, keys, depth);
        lua_rawgeti(L, tab, i);
        if (lua_istable(L, -1)) {
            each_rec(L, lua_gettop(L), what, cb, ud, depth + 1, keys);
        } else if (!lua_isnil(L, -1)) {
            int v = lua_gettop(L);
            for (int q = 1; q <= depth; q++) lua_rawgeti(L, keys, q);
            lua_pushvalue(L, v);
            cb(L, ud, depth);
            lua_pop(L, depth + 1);
        }
        lua_pop(L, 1);
    }
}

void folio_family_each(lua_State *L, int idx, const char *what, folio_keys_cb cb, void *ud)
{
    idx = lua_absindex(L, idx);
    lua_newtable(L);
    each_rec(L, idx, what, cb, ud, 1, lua_gettop(L));
    lua_pop(L, 1);
}

int folio_keys_format(lua_State *L, int nkeys, char *buf, size_t *len, size_t cap)
{
    size_t l = *len;
    for (int k = nkeys; k >= 1; k--) {
        int idx = -k;
        if (k != nkeys) {
            if (l + 1 >= cap) return -1;
            buf[l++] = ',';
        }
        int t = lua_type(L, idx);
        if (t == LUA_TSTRING) {
            size_t sl;
            const char *s = lua_tolstring(L, idx, &sl);
            if (l + sl >= cap) return -1;
            memcpy(buf + l, s, sl);
            l += sl;
        } else if (t == LUA_TNUMBER) {
            int w = lua_isinteger(L, idx)
                ? snprintf(buf + l, cap - l, "%lld", (long long)lua_tointeger(L, idx))
                : snprintf(buf + l, cap - l, "%.14g", lua_tonumber(L, idx));
            if (w < 0 || (size_t)w >= cap - l) return -1;
            l += (size_t)w;
        } else {
            return -1;
        }
    }
    buf[l] = '\0';
    *len = l;
    return 0;
}
