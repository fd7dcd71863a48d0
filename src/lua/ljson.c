/* JSON encoding for folio's outputs: object keys sorted (the same input
 * gives the same bytes, so outputs diff cleanly in git), numbers that read
 * back to the same double, optional indentation. The decoder is
 * ljson_decode.c. */
#include "ljson.h"

#include <lauxlib.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct jbuf {
    char *p;
    size_t len, cap;
    int slot;          /* stack slot of the userdata that owns p */
} jbuf;

typedef struct jctx {
    lua_State *L;
    jbuf b;
    int indent;
    const char *what;  /* for messages: the file being written */
} jctx;

static void put(jctx *c, const char *s, size_t n)
{
    jbuf *b = &c->b;
    if (b->len + n > b->cap) {
        size_t cap = b->cap * 2;
        while (cap < b->len + n) cap *= 2;
        char *np = lua_newuserdatauv(c->L, cap, 0);   /* old block is collected */
        memcpy(np, b->p, b->len);
        lua_replace(c->L, b->slot);
        b->p = np;
        b->cap = cap;
    }
    memcpy(b->p + b->len, s, n);
    b->len += n;
}

static void puts_(jctx *c, const char *s) { put(c, s, strlen(s)); }

static void newline(jctx *c, int depth)
{
    if (!c->indent) return;
    put(c, "\n", 1);
    for (int i = 0; i < c->indent * depth; i++) put(c, " ", 1);
}

static void put_string(jctx *c, const char *s, size_t n)
{
    put(c, "\"", 1);
    size_t run = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)s[i];
        const char *esc = NULL;
        char u[8];
        switch (ch) {
        case '"': esc = "\\\""; break;
        case '\\': esc = "\\\\"; break;
        case '\n': esc = "\\n"; break;
        case '\r': esc = "\\r"; break;
        case '\t': esc = "\\t"; break;
        case '\b': esc = "\\b"; break;
        case '\f': esc = "\\f"; break;
        default:
            if (ch < 0x20 || ch == 0x7f) {
                snprintf(u, sizeof u, "\\u%04x", ch);
                esc = u;
            }
        }
        if (esc) {
            put(c, s + run, i - run);
            puts_(c, esc);
            run = i + 1;
        }
    }
    put(c, s + run, n - run);
    put(c, "\"", 1);
}

static void put_number(jctx *c, int idx, const char *where)
{
    char tmp[40];
    if (lua_isinteger(c->L, idx)) {
        snprintf(tmp, sizeof tmp, "%lld", (long long)lua_tointeger(c->L, idx));
    } else {
        double v = lua_tonumber(c->L, idx);
        if (!isfinite(v))
            luaL_error(c->L, "cannot encode JSON for '%s': non-finite number at %s", c->what, where);
        /* the shortest of 15 or 17 digits that reads back exactly */
        snprintf(tmp, sizeof tmp, "%.15g", v);
        if (strtod(tmp, NULL) != v) snprintf(tmp, sizeof tmp, "%.17g", v);
        /* keep floats recognisable as such when they are whole */
        if (!strpbrk(tmp, ".eEn")) strcat(tmp, ".0");
    }
    puts_(c, tmp);
}

static int cmp_keys(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static void encode(jctx *c, int idx, int depth, const char *where);

/* where + "." + key, or "[i]", for messages */
static void child_where(char *out, size_t cap, const char *where, const char *key, lua_Integer i)
{
    if (key) snprintf(out, cap, "%s.%s", where, key);
    else snprintf(out, cap, "%s[%lld]", where, (long long)i);
}

static void encode_table(jctx *c, int idx, int depth, const char *where)
{
    lua_State *L = c->L;
    if (depth > 100) luaL_error(L, "cannot encode JSON for '%s': tables nested too deeply (a cycle?) at %s", c->what, where);
    luaL_checkstack(L, 8, "JSON nesting");
    lua_Integer n = (lua_Integer)lua_rawlen(L, idx), count = 0;
    lua_pushnil(L);
    while (lua_next(L, idx)) { count++; lua_pop(L, 1); }
    char sub[512];
    if (count == 0) {
        put(c, "{}", 2);
        return;
    }
    if (n == count) {   /* a sequence: an array */
        put(c, "[", 1);
        for (lua_Integer i = 1; i <= n; i++) {
            if (i > 1) put(c, ",", 1);
            newline(c, depth + 1);
            lua_rawgeti(L, idx, i);
            child_where(sub, sizeof sub, where, NULL, i);
            encode(c, lua_gettop(L), depth + 1, sub);
            lua_pop(L, 1);
        }
        newline(c, depth);
        put(c, "]", 1);
        return;
    }
    /* an object, mixed tables included ({[1] = "a", b = "c"} gives
     * {"1": "a", "b": "c"}): keys as strings, sorted; the strings stay
     * alive in a table */
    lua_createtable(L, (int)count, 0);
    int keys = lua_gettop(L);
    const char **names = lua_newuserdatauv(L, (size_t)count * sizeof *names, 0);
    lua_Integer k = 0;
    lua_pushnil(L);
    while (lua_next(L, idx)) {
        lua_pop(L, 1);
        int t = lua_type(L, -1);
        if (t != LUA_TSTRING && t != LUA_TNUMBER)
            luaL_error(L, "cannot encode JSON for '%s': a %s key at %s", c->what, luaL_typename(L, -1), where);
        if (t == LUA_TNUMBER && !lua_isinteger(L, -1) && !isfinite(lua_tonumber(L, -1)))
            luaL_error(L, "cannot encode JSON for '%s': a non-finite number key at %s", c->what, where);
        lua_pushvalue(L, -1);
        const char *s = luaL_tolstring(L, -1, NULL);   /* numbers become strings */
        names[k] = s;
        lua_rawseti(L, keys, ++k);                    /* keeps s alive */
        lua_pop(L, 1);
    }
    qsort(names, (size_t)count, sizeof *names, cmp_keys);
    for (lua_Integer i = 1; i < count; i++)
        if (!strcmp(names[i - 1], names[i]))   /* t[1] and t["1"] */
            luaL_error(L, "cannot encode JSON for '%s': two keys read '%s' (a number and a string) at %s",
                       c->what, names[i], where);
    put(c, "{", 1);
    for (lua_Integer i = 0; i < count; i++) {
        if (i) put(c, ",", 1);
        newline(c, depth + 1);
        put_string(c, names[i], strlen(names[i]));
        put(c, c->indent ? ": " : ":", c->indent ? 2 : 1);
        lua_pushstring(L, names[i]);
        lua_rawget(L, idx);
        if (lua_isnil(L, -1)) {   /* the key was a number */
            lua_pop(L, 1);
            if (lua_stringtonumber(L, names[i])) lua_rawget(L, idx);
            else lua_pushnil(L);
        }
        child_where(sub, sizeof sub, where, names[i], 0);
        encode(c, lua_gettop(L), depth + 1, sub);
        lua_pop(L, 1);
    }
    newline(c, depth);
    put(c, "}", 1);
    lua_pop(L, 2);
}

static void encode(jctx *c, int idx, int depth, const char *where)
{
    lua_State *L = c->L;
    switch (lua_type(L, idx)) {
    case LUA_TNIL: puts_(c, "null"); break;
    case LUA_TBOOLEAN: puts_(c, lua_toboolean(L, idx) ? "true" : "false"); break;
    case LUA_TNUMBER: put_number(c, idx, where); break;
    case LUA_TSTRING: {
        size_t n;
        const char *s = lua_tolstring(L, idx, &n);
        put_string(c, s, n);
        break;
    }
    case LUA_TTABLE: encode_table(c, idx, depth, where); break;
    case LUA_TLIGHTUSERDATA:
        if (lua_touserdata(L, idx) == NULL) {   /* json_null */
            puts_(c, "null");
            break;
        }
        /* fall through */
    default:
        luaL_error(L, "cannot encode JSON for '%s': a %s value at %s", c->what, luaL_typename(L, idx), where);
    }
}

void folio_json_encode(lua_State *L, int idx, int indent, const char *what)
{
    idx = lua_absindex(L, idx);
    jctx c;
    c.L = L;
    c.indent = indent;
    c.what = what;
    c.b.cap = 256;
    c.b.len = 0;
    c.b.p = lua_newuserdatauv(L, c.b.cap, 0);
    c.b.slot = lua_gettop(L);
    encode(&c, idx, 0, "$");
    put(&c, "\n", 1);
    lua_pushlstring(L, c.b.p, c.b.len);
    lua_remove(L, c.b.slot);
}
