/* Index sets, products and variable families. */
#include "lfamily.h"
#include "laux.h"
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

/* Formats one key (string or number) into buf; returns its length or -1. */
static int key_format1(lua_State *L, int idx, char *buf, size_t cap)
{
    size_t len = 0;
    lua_pushvalue(L, idx);
    int r = folio_keys_format(L, 1, buf, &len, cap);
    lua_pop(L, 1);
    return r ? -1 : (int)len;
}

/* The keys of every set formatted once: level q's key i is
 * txt + off[q][i-1] .. txt + off[q][i]. Lives in a userdata it pushes. */
typedef struct keytexts {
    size_t *off[64];
    char *txt;
} keytexts;

static void keytexts_push(lua_State *L, int sets, int nsets, keytexts *kt)
{
    size_t nkeys = 0, bytes = 0;
    for (int q = 1; q <= nsets; q++) {
        lua_rawgeti(L, sets, q);
        lua_Integer n = (lua_Integer)lua_rawlen(L, -1);
        nkeys += (size_t)n + 1;
        for (lua_Integer i = 1; i <= n; i++) {
            size_t l = 24;
            if (lua_rawgeti(L, -1, i) == LUA_TSTRING) lua_tolstring(L, -1, &l);
            bytes += l;
            lua_pop(L, 1);
        }
        lua_pop(L, 1);
    }
    size_t *offs = lua_newuserdatauv(L, nkeys * sizeof(size_t) + bytes + 1, 0);
    kt->txt = (char *)(offs + nkeys);
    size_t pos = 0;
    for (int q = 1; q <= nsets; q++) {
        lua_rawgeti(L, sets, q);
        lua_Integer n = (lua_Integer)lua_rawlen(L, -1);
        kt->off[q - 1] = offs;
        offs[0] = pos;
        for (lua_Integer i = 1; i <= n; i++) {
            lua_rawgeti(L, -1, i);
            int l = key_format1(L, -1, kt->txt + pos, bytes + 1 - pos);
            if (l < 0) luaL_error(L, "index key too long");
            pos += (size_t)l;
            offs[i] = pos;
            lua_pop(L, 1);
        }
        offs += n + 1;
        lua_pop(L, 1);
    }
}

/* Appends level q's key i to text at plen[q] (with a comma after level 0)
 * and sets plen[q + 1]. */
static void text_set(const keytexts *kt, char *text, size_t *plen, int q, lua_Integer i)
{
    size_t at = plen[q];
    if (q) text[at++] = ',';
    size_t a = kt->off[q][i - 1], b = kt->off[q][i];
    memcpy(text + at, kt->txt + a, b - a);
    plen[q + 1] = at + (b - a);
    text[plen[q + 1]] = '\0';
}

#define TEXT_CAP 1024

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

void folio_product_each(lua_State *L, int sets_idx, int fn_idx, const char *what, folio_tuple_cb cb, void *ud)
{
    sets_idx = lua_absindex(L, sets_idx);
    if (fn_idx) fn_idx = lua_absindex(L, fn_idx);
    int top = lua_gettop(L);
    int nsets = folio_sets_push(L, sets_idx, what, 1);
    int sets = lua_gettop(L);
    if (nsets == 0) luaL_error(L, "%s: no index set given", what);
    if (nsets > 64) luaL_error(L, "%s: more than 64 index sets", what);
    luaL_checkstack(L, 2 * nsets + 8, "too many index sets");
    lua_Integer pos[64], len[64];
    for (int q = 0; q < nsets; q++) {
        lua_rawgeti(L, sets, q + 1);            /* set q at sets + 1 + q */
        len[q] = (lua_Integer)lua_rawlen(L, -1);
        pos[q] = 1;
        if (len[q] == 0) {                      /* empty product */
            lua_settop(L, top);
            return;
        }
    }
    keytexts kt;
    keytexts_push(L, sets, nsets, &kt);
    char text[TEXT_CAP];
    size_t plen[65];
    plen[0] = 0;
    /* the current key of each level sits in a slot of its own */
    int keyslot = lua_gettop(L) + 1;
    for (int q = 0; q < nsets; q++) {
        text_set(&kt, text, plen, q, 1);
        lua_rawgeti(L, sets + 1 + q, 1);
    }
    for (;;) {
        if (fn_idx) lua_pushvalue(L, fn_idx);
        for (int q = 0; q < nsets; q++) lua_pushvalue(L, keyslot + q);
        cb(L, ud, nsets, text, plen[nsets]);
        int q = nsets - 1;
        while (q >= 0 && ++pos[q] > len[q]) pos[q--] = 1;
        if (q < 0) break;
        for (int r = q; r < nsets; r++) {
            text_set(&kt, text, plen, r, pos[r]);
            lua_rawgeti(L, sets + 1 + r, pos[r]);
            lua_replace(L, keyslot + r);
        }
    }
    lua_settop(L, top);
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

typedef struct build_args {
    const char *name;
    int sets_idx, need_keys;
    folio_tuple_cb cb;
    void *ud;
} build_args;

/* Builds the family; pushes its top table. */
static void family_build_body(lua_State *L, build_args *a)
{
    int sets_idx = a->sets_idx;
    int nsets = (int)lua_rawlen(L, sets_idx);
    if (nsets < 1 || nsets > 64) luaL_error(L, "%s: between 1 and 64 index sets", a->name);
    luaL_checkstack(L, 3 * nsets + 8, "too many index sets");
    lua_createtable(L, nsets, 0);
    int mts = lua_gettop(L);
    for (int k = 1; k <= nsets; k++) {
        push_level_mt(L, a->name, k, nsets, sets_idx);
        /* scripts read name, level, sets through getmetatable(family) but
         * can neither replace the metatable nor change its fields (a
         * non-table `sets` crashed folio.sum) */
        laux_protect_metatable(L, -1);
        lua_rawseti(L, mts, k);
    }
    /* each level's table sized once: integer keys 1..narr in the array
     * part (cheaper to fill and to index than hash nodes), the rest hashed */
    int narr[64], nhash[64];
    for (int q = 0; q < nsets; q++) {
        lua_rawgeti(L, sets_idx, q + 1);
        lua_Integer n = (lua_Integer)lua_rawlen(L, -1);
        if (n > (1 << 24)) n = 1 << 24;
        lua_Integer in_n = 0, in_arr = 0;
        for (int pass = 0; pass < 2; pass++) {
            lua_Integer hi = pass ? in_n : n, c = 0;
            for (lua_Integer i = 1; i <= n && hi > 0; i++) {
                lua_rawgeti(L, -1, i);
                if (lua_isinteger(L, -1)) {
                    lua_Integer k = lua_tointeger(L, -1);
                    if (k >= 1 && k <= hi) c++;
                }
                lua_pop(L, 1);
            }
            if (pass) in_arr = c;
            else in_n = c;
        }
        narr[q] = (int)in_n;
        nhash[q] = (int)(n - in_arr);
        lua_pop(L, 1);
    }
    keytexts kt;
    keytexts_push(L, sets_idx, nsets, &kt);
    lua_createtable(L, nsets, 0);
    int keys = lua_gettop(L);                   /* current key per level */
    char text[TEXT_CAP];
    size_t plen[65];
    plen[0] = 0;
    /* depth-first over the levels; frame d holds level d's set and table */
    struct frame { int set, tab; lua_Integer i, n; } fr[64];
    int d = 0;
    fr[0].set = 0;
    for (;;) {
        if (fr[d].set == 0) {
            lua_rawgeti(L, sets_idx, d + 1);
            fr[d].set = lua_gettop(L);
            fr[d].n = (lua_Integer)lua_rawlen(L, fr[d].set);
            lua_createtable(L, narr[d], nhash[d]);
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
        text_set(&kt, text, plen, d, fr[d].i);
        lua_rawgeti(L, fr[d].set, fr[d].i);
        if (d + 1 < nsets) {
            lua_rawseti(L, keys, d + 1);
            d++;
            fr[d].set = 0;
            continue;
        }
        /* leaf: the key of the last level is on the stack top */
        int keytop = lua_gettop(L);
        if (a->need_keys) {
            for (int q = 1; q < nsets; q++) lua_rawgeti(L, keys, q);
            lua_pushvalue(L, keytop);
        }
        a->cb(L, a->ud, a->need_keys ? nsets : 0, text, plen[nsets]);   /* pushes the leaf */
        if (lua_isinteger(L, keytop)) {
            lua_rawseti(L, fr[d].tab, lua_tointeger(L, keytop));
        } else {
            lua_pushvalue(L, keytop);
            lua_insert(L, -2);
            lua_rawset(L, fr[d].tab);
        }
        lua_settop(L, keytop - 1);
    }
    lua_replace(L, mts);
    lua_settop(L, mts);
}

static int gc_restart(lua_State *L)
{
    lua_gc(L, LUA_GCRESTART);
    return 0;
}

void folio_family_build(lua_State *L, const char *name, int sets_idx, int need_keys,
                        folio_tuple_cb cb, void *ud)
{
    build_args a = { name, lua_absindex(L, sets_idx), need_keys, cb, ud };
    /* the collector would only trace the growing family: pause it, and let
     * a to-be-closed guard restart it even if a Lua error unwinds */
    int guard = 0;
    if (lua_gc(L, LUA_GCISRUNNING)) {
        lua_newtable(L);
        lua_createtable(L, 0, 1);
        lua_pushcfunction(L, gc_restart);
        lua_setfield(L, -2, "__close");
        lua_setmetatable(L, -2);
        guard = lua_gettop(L);
        lua_toclose(L, guard);
        lua_gc(L, LUA_GCSTOP);
    }
    family_build_body(L, &a);
    if (guard) {
        lua_closeslot(L, guard);
        lua_remove(L, guard);
    }
}

int folio_is_family(lua_State *L, int idx)
{
    if (!lua_getmetatable(L, idx)) return 0;
    int is = lua_rawgetp(L, -1, &family_key) == LUA_TBOOLEAN;
    lua_pop(L, 2);
    return is;
}

/* Calls cb for the value at v: with the keys pushed first when wanted. */
static void each_leaf(lua_State *L, int v, int depth, int keys, folio_keys_cb cb, void *ud)
{
    if (keys) {
        for (int q = 1; q <= depth; q++) lua_rawgeti(L, keys, q);
        lua_pushvalue(L, v);
        cb(L, ud, depth);
        lua_pop(L, depth + 1);
    } else {
        lua_pushvalue(L, v);
        cb(L, ud, 0);
        lua_pop(L, 1);
    }
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
        /* the sets table is the family's own, but scripts reach it through
         * getmetatable(family).sets: check what C indexes */
        if (!lua_istable(L, -1) || lua_rawgeti(L, -1, level) != LUA_TTABLE)
            luaL_error(L, "%s: the index sets of a family were changed", what);
        int set = lua_gettop(L);
        lua_Integer n = (lua_Integer)lua_rawlen(L, set);
        for (lua_Integer i = 1; i <= n; i++) {
            if (keys) {
                lua_rawgeti(L, set, i);
                lua_rawseti(L, keys, depth);
            }
            lua_rawgeti(L, set, i);
            lua_rawget(L, tab);
            if (lua_istable(L, -1)) each_rec(L, lua_gettop(L), what, cb, ud, depth + 1, keys);
            else if (!lua_isnil(L, -1)) each_leaf(L, lua_gettop(L), depth, keys, cb, ud);
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
            if (keys) {
                lua_pushvalue(L, -2);
                lua_rawseti(L, keys, depth);
            }
            if (lua_istable(L, -1)) each_rec(L, lua_gettop(L), what, cb, ud, depth + 1, keys);
            else each_leaf(L, lua_gettop(L), depth, keys, cb, ud);
        }
        lua_pop(L, 1);
    }
    for (lua_Integer i = 1; i <= n; i++) {
        if (keys) {
            lua_pushinteger(L, i);
            lua_rawseti(L, keys, depth);
        }
        lua_rawgeti(L, tab, i);
        if (lua_istable(L, -1)) each_rec(L, lua_gettop(L), what, cb, ud, depth + 1, keys);
        else if (!lua_isnil(L, -1)) each_leaf(L, lua_gettop(L), depth, keys, cb, ud);
        lua_pop(L, 1);
    }
}

void folio_family_each(lua_State *L, int idx, const char *what, int need_keys, folio_keys_cb cb, void *ud)
{
    idx = lua_absindex(L, idx);
    if (need_keys) {
        lua_newtable(L);
        each_rec(L, idx, what, cb, ud, 1, lua_gettop(L));
        lua_pop(L, 1);
    } else {
        each_rec(L, idx, what, cb, ud, 1, 0);
    }
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
        } else if (t == LUA_TNUMBER && lua_isinteger(L, idx)) {
            /* integers are the common key: format without snprintf */
            lua_Integer v = lua_tointeger(L, idx);
            char tmp[24];
            int w = 0;
            unsigned long long u = v < 0 ? 0ULL - (unsigned long long)v : (unsigned long long)v;
            do { tmp[w++] = (char)('0' + u % 10); u /= 10; } while (u);
            if (v < 0) tmp[w++] = '-';
            if (l + (size_t)w >= cap) return -1;
            while (w) buf[l++] = tmp[--w];
        } else if (t == LUA_TNUMBER) {
            int w = snprintf(buf + l, cap - l, "%.14g", lua_tonumber(L, idx));
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
