/* The standard library functions whose C loops could outlast the
 * sandbox's budget, rewritten to charge it (lsandbox.h): the count hook
 * sees only Lua instructions, and these run in C for as long as their
 * input lets them.
 *
 *   string.find, match, gmatch, gsub: Lua patterns backtrack, so
 *     string.find(("a"):rep(5000), ("a*"):rep(20) .. "b") runs for
 *     longer than the universe. The matcher here is a step-counting one
 *     (each call and each character a quantifier, %b or a back-reference
 *     scans is a step, charged as an instruction); a plain find uses
 *     memmem, which is linear.
 *   string.rep: rep("", 1e15) loops 1e15 times to build "".
 *   table.move, insert, remove, concat: their loops run over index
 *     ranges, which __len or nil values make as long as a script likes
 *     at no memory cost (table.move({}, 1, 1e15, 2)); each element is a
 *     step.
 *   table.sort: a table with a metatable (a __len of 2^31 - 2) is copied
 *     into a plain one first, which the memory cap bounds; plain tables
 *     go to Lua's sort directly.
 *
 * The semantics are Lua 5.4's (lua.org/manual/5.4, 6.4.1 and 6.6), error
 * messages included; tests/e2e/test_escapes.sh compares the results with
 * the stock functions'. */
#define _GNU_SOURCE   /* memmem */
#include "lsandbox.h"

#include <lauxlib.h>

#include <ctype.h>
#include <limits.h>
#include <stddef.h>
#include <string.h>

#define STEP_CHUNK 4096   /* steps counted locally between charges */

/* ---- Lua patterns -------------------------------------------------------- */

#define CAP_OPEN (-1)     /* a capture not yet closed */
#define CAP_POS (-2)      /* a position capture () */
#define MAX_DEPTH 200     /* nested match calls: "pattern too complex" */
#define MAX_CAPTURES 32   /* as Lua's LUA_MAXCAPTURES */
#define SPECIALS "^$*+?.([%-"

typedef struct matcher {
    const char *src, *src_end;   /* the subject */
    const char *pat_end;
    lua_State *L;
    int depth;                   /* nested calls left */
    int level;                   /* captures opened */
    struct { const char *at; ptrdiff_t len; } cap[MAX_CAPTURES];
    unsigned long steps;         /* not charged yet */
} matcher;

static void count(matcher *m, size_t n)
{
    m->steps += n;
    if (m->steps >= STEP_CHUNK) {
        unsigned long k = m->steps;
        m->steps = 0;
        folio_sandbox_charge(m->L, k);
    }
}

static void settle(matcher *m)
{
    unsigned long k = m->steps;
    m->steps = 0;
    if (k) folio_sandbox_charge(m->L, k);
}

static void prepare(matcher *m, lua_State *L, const char *s, size_t ls, const char *p, size_t lp)
{
    m->L = L;
    m->src = s;
    m->src_end = s + ls;
    m->pat_end = p + lp;
    m->steps = 0;
}

static void restart(matcher *m)
{
    m->level = 0;
    m->depth = MAX_DEPTH;
}

/* One past the single-character class at p: '%x', '[set]' or a character. */
static const char *class_end(matcher *m, const char *p)
{
    char c = *p++;
    if (c == '%') {
        if (p == m->pat_end) luaL_error(m->L, "malformed pattern (ends with '%%')");
        return p + 1;
    }
    if (c == '[') {
        if (*p == '^') p++;
        do {   /* the first character of a set is itself, even ']' */
            if (p == m->pat_end) luaL_error(m->L, "malformed pattern (missing ']')");
            if (*p++ == '%' && p < m->pat_end) p++;
        } while (*p != ']');
        return p + 1;
    }
    return p;
}

/* c against the class letter cl (%a, %d, ..., upper case for the complement;
 * any other character stands for itself) */
static int class_match(int c, int cl)
{
    int r;
    switch (tolower(cl)) {
    case 'a': r = isalpha(c); break;
    case 'c': r = iscntrl(c); break;
    case 'd': r = isdigit(c); break;
    case 'g': r = isgraph(c); break;
    case 'l': r = islower(c); break;
    case 'p': r = ispunct(c); break;
    case 's': r = isspace(c); break;
    case 'u': r = isupper(c); break;
    case 'w': r = isalnum(c); break;
    case 'x': r = isxdigit(c); break;
    case 'z': r = c == 0; break;   /* deprecated, still in Lua 5.4 */
    default: return cl == c;
    }
    return isupper(cl) ? !r : r != 0;
}

/* c against the set [...] from p (its '[') to close (its ']') */
static int set_match(int c, const char *p, const char *close)
{
    int in = 1;
    p++;
    if (*p == '^') {
        in = 0;
        p++;
    }
    for (; p < close; p++) {
        if (*p == '%') {
            p++;
            if (class_match(c, (unsigned char)*p)) return in;
        } else if (p[1] == '-' && p + 2 < close) {
            if ((unsigned char)p[0] <= c && c <= (unsigned char)p[2]) return in;
            p += 2;
        } else if ((unsigned char)*p == c) {
            return in;
        }
    }
    return !in;
}

static int single_match(const matcher *m, const char *s, const char *p, const char *ep)
{
    if (s >= m->src_end) return 0;
    int c = (unsigned char)*s;
    switch (*p) {
    case '.': return 1;
    case '%': return class_match(c, (unsigned char)p[1]);
    case '[': return set_match(c, p, ep - 1);
    default: return (unsigned char)*p == c;
    }
}

static const char *match(matcher *m, const char *s, const char *p);

/* class* (class+ after its first character): the longest run first */
static const char *greedy(matcher *m, const char *s, const char *p, const char *ep)
{
    ptrdiff_t i = 0;
    while (single_match(m, s + i, p, ep)) i++;
    count(m, (size_t)i);
    for (; i >= 0; i--) {
        const char *e = match(m, s + i, ep + 1);
        if (e) return e;
    }
    return NULL;
}

/* class-: the shortest run first */
static const char *lazy(matcher *m, const char *s, const char *p, const char *ep)
{
    for (;;) {
        const char *e = match(m, s, ep + 1);
        if (e) return e;
        if (!single_match(m, s, p, ep)) return NULL;
        s++;
    }
}

static const char *open_capture(matcher *m, const char *s, const char *p, ptrdiff_t what)
{
    if (m->level >= MAX_CAPTURES) luaL_error(m->L, "too many captures");
    m->cap[m->level].at = s;
    m->cap[m->level].len = what;
    m->level++;
    const char *e = match(m, s, p);
    if (!e) m->level--;
    return e;
}

static const char *close_capture(matcher *m, const char *s, const char *p)
{
    int l = m->level - 1;
    while (l >= 0 && m->cap[l].len != CAP_OPEN) l--;
    if (l < 0) luaL_error(m->L, "invalid pattern capture");
    m->cap[l].len = s - m->cap[l].at;
    const char *e = match(m, s, p);
    if (!e) m->cap[l].len = CAP_OPEN;
    return e;
}

/* %bxy from p (at x) */
static const char *balance(matcher *m, const char *s, const char *p)
{
    if (p + 1 >= m->pat_end) luaL_error(m->L, "malformed pattern (missing arguments to '%%b')");
    if (s >= m->src_end || *s != p[0]) return NULL;
    const char *from = s;
    int depth = 1;
    while (++s < m->src_end) {
        if (*s == p[1]) {
            if (--depth == 0) {
                count(m, (size_t)(s - from));
                return s + 1;
            }
        } else if (*s == p[0]) {
            depth++;
        }
    }
    count(m, (size_t)(s - from));
    return NULL;
}

/* %1 .. %9: the text of a closed capture again */
static const char *back_reference(matcher *m, const char *s, int digit)
{
    int l = digit - '1';
    if (l < 0 || l >= m->level || m->cap[l].len == CAP_OPEN)
        luaL_error(m->L, "invalid capture index %%%d", l + 1);
    ptrdiff_t len = m->cap[l].len;
    if (len < 0 || m->src_end - s < len || memcmp(m->cap[l].at, s, (size_t)len)) return NULL;
    count(m, (size_t)len);
    return s + len;
}

/* The end of the match of pattern p (to m->pat_end) at s, or NULL. */
static const char *match(matcher *m, const char *s, const char *p)
{
    if (m->depth-- == 0) luaL_error(m->L, "pattern too complex");
    for (;;) {
        count(m, 1);
        if (p == m->pat_end) break;
        if (*p == '(') {
            s = p[1] == ')' ? open_capture(m, s, p + 2, CAP_POS) : open_capture(m, s, p + 1, CAP_OPEN);
            break;
        }
        if (*p == ')') {
            s = close_capture(m, s, p + 1);
            break;
        }
        if (*p == '$' && p + 1 == m->pat_end) {
            if (s != m->src_end) s = NULL;
            break;
        }
        if (*p == '%' && p[1] == 'b') {
            s = balance(m, s, p + 2);
            if (!s) break;
            p += 4;
            continue;
        }
        if (*p == '%' && p[1] == 'f') {
            p += 2;
            if (*p != '[') luaL_error(m->L, "missing '[' after '%%f' in pattern");
            const char *ep = class_end(m, p);
            int before = s == m->src ? '\0' : (unsigned char)s[-1];
            int at = s < m->src_end ? (unsigned char)*s : '\0';
            if (set_match(before, p, ep - 1) || !set_match(at, p, ep - 1)) {
                s = NULL;
                break;
            }
            p = ep;
            continue;
        }
        if (*p == '%' && isdigit((unsigned char)p[1])) {
            s = back_reference(m, s, (unsigned char)p[1]);
            if (!s) break;
            p += 2;
            continue;
        }
        /* a single-character class and its quantifier, if any */
        const char *ep = class_end(m, p);
        if (!single_match(m, s, p, ep)) {
            if (*ep == '*' || *ep == '?' || *ep == '-') {   /* zero of them will do */
                p = ep + 1;
                continue;
            }
            s = NULL;
            break;
        }
        if (*ep == '?') {
            const char *e = match(m, s + 1, ep + 1);
            if (e) {
                s = e;
                break;
            }
            p = ep + 1;
            continue;
        }
        if (*ep == '+' || *ep == '*') {
            s = greedy(m, *ep == '+' ? s + 1 : s, p, ep);
            break;
        }
        if (*ep == '-') {
            s = lazy(m, s, p, ep);
            break;
        }
        s++;
        p = ep;
    }
    m->depth++;
    return s;
}

/* capture i of the match s..e (the whole match when there are no
 * captures and i is 0), pushed */
static void push_capture(matcher *m, int i, const char *s, const char *e)
{
    if (i >= m->level) {
        if (i != 0) luaL_error(m->L, "invalid capture index %%%d", i + 1);
        lua_pushlstring(m->L, s, (size_t)(e - s));
        return;
    }
    ptrdiff_t len = m->cap[i].len;
    if (len == CAP_OPEN) luaL_error(m->L, "unfinished capture");
    if (len == CAP_POS) lua_pushinteger(m->L, (lua_Integer)(m->cap[i].at - m->src) + 1);
    else lua_pushlstring(m->L, m->cap[i].at, (size_t)len);
}

/* every capture (the whole match when there are none and s is not NULL) */
static int push_captures(matcher *m, const char *s, const char *e)
{
    int n = m->level == 0 && s ? 1 : m->level;
    luaL_checkstack(m->L, n, "too many captures");
    for (int i = 0; i < n; i++) push_capture(m, i, s, e);
    return n;
}

/* a 1-based start (negative: from the end) as a 1-based position in 1.. */
static size_t start_at(lua_Integer pos, size_t len)
{
    if (pos > 0) return (size_t)pos;
    if (pos == 0 || pos < -(lua_Integer)len) return 1;
    return len + (size_t)pos + 1;
}

static int has_specials(const char *p, size_t lp)
{
    for (size_t i = 0; i < lp; i++)
        if (p[i] && strchr(SPECIALS, p[i])) return 1;
    return 0;
}

static int find_or_match(lua_State *L, int find)
{
    size_t ls, lp;
    const char *s = luaL_checklstring(L, 1, &ls);
    const char *p = luaL_checklstring(L, 2, &lp);
    size_t init = start_at(luaL_optinteger(L, 3, 1), ls) - 1;
    if (init > ls) {
        luaL_pushfail(L);
        return 1;
    }
    if (find && (lua_toboolean(L, 4) || !has_specials(p, lp))) {
        /* memmem is linear (two-way); the scan is charged as steps */
        const char *hit = lp == 0 ? s + init : memmem(s + init, ls - init, p, lp);
        folio_sandbox_charge(L, (unsigned long)(hit ? (size_t)(hit - s) - init + lp : ls - init));
        if (hit) {
            lua_pushinteger(L, (lua_Integer)(hit - s) + 1);
            lua_pushinteger(L, (lua_Integer)(hit - s) + (lua_Integer)lp);
            return 2;
        }
        luaL_pushfail(L);
        return 1;
    }
    matcher m;
    int anchor = *p == '^';
    if (anchor) {
        p++;
        lp--;
    }
    prepare(&m, L, s, ls, p, lp);
    const char *s1 = s + init;
    do {
        restart(&m);
        const char *e = match(&m, s1, p);
        if (e) {
            settle(&m);
            if (!find) return push_captures(&m, s1, e);
            lua_pushinteger(L, (lua_Integer)(s1 - s) + 1);
            lua_pushinteger(L, (lua_Integer)(e - s));
            return push_captures(&m, NULL, NULL) + 2;
        }
    } while (s1++ < m.src_end && !anchor);
    settle(&m);
    luaL_pushfail(L);
    return 1;
}

static int str_find(lua_State *L) { return find_or_match(L, 1); }
static int str_match(lua_State *L) { return find_or_match(L, 0); }

/* gmatch's state: the matcher, where to go on, and the end of the last
 * match (an empty match there does not count again) */
typedef struct gmatch_state {
    matcher m;
    const char *next, *pat, *last;
} gmatch_state;

static int gmatch_step(lua_State *L)
{
    gmatch_state *g = lua_touserdata(L, lua_upvalueindex(3));
    g->m.L = L;
    for (const char *s = g->next; s <= g->m.src_end; s++) {
        restart(&g->m);
        const char *e = match(&g->m, s, g->pat);
        if (e && e != g->last) {
            settle(&g->m);
            g->next = g->last = e;
            return push_captures(&g->m, s, e);
        }
    }
    settle(&g->m);
    g->next = g->m.src_end + 1;
    return 0;
}

/* gmatch(s, pattern [, init]): '^' is no anchor here (it would stop the
 * iteration), as in Lua 5.4 */
static int str_gmatch(lua_State *L)
{
    size_t ls, lp;
    const char *s = luaL_checklstring(L, 1, &ls);
    const char *p = luaL_checklstring(L, 2, &lp);
    size_t init = start_at(luaL_optinteger(L, 3, 1), ls) - 1;
    if (init > ls) init = ls + 1;
    lua_settop(L, 2);   /* the closure keeps both strings alive */
    gmatch_state *g = lua_newuserdatauv(L, sizeof *g, 0);
    prepare(&g->m, L, s, ls, p, lp);
    g->next = s + init;
    g->pat = p;
    g->last = NULL;
    lua_pushcclosure(L, gmatch_step, 3);
    return 1;
}

/* the replacement string (argument 3) for the match s..e: %0 .. %9, %% */
static void add_replacement(matcher *m, luaL_Buffer *b, const char *s, const char *e)
{
    lua_State *L = m->L;
    size_t l;
    const char *r = lua_tolstring(L, 3, &l), *pc;
    while ((pc = memchr(r, '%', l)) != NULL) {
        luaL_addlstring(b, r, (size_t)(pc - r));
        pc++;
        if (*pc == '%') {
            luaL_addchar(b, '%');
        } else if (*pc == '0') {
            luaL_addlstring(b, s, (size_t)(e - s));
        } else if (isdigit((unsigned char)*pc)) {
            push_capture(m, *pc - '1', s, e);
            luaL_tolstring(L, -1, NULL);   /* a position capture is a number */
            lua_remove(L, -2);
            luaL_addvalue(b);
        } else {
            luaL_error(L, "invalid use of '%c' in replacement string", '%');
        }
        l -= (size_t)(pc + 1 - r);
        r = pc + 1;
    }
    luaL_addlstring(b, r, l);
}

/* adds the replacement of s..e; 1 if it changed the text */
static int add_value(matcher *m, luaL_Buffer *b, const char *s, const char *e, int type)
{
    lua_State *L = m->L;
    if (type == LUA_TFUNCTION) {
        lua_pushvalue(L, 3);
        int n = push_captures(m, s, e);
        lua_call(L, n, 1);
    } else if (type == LUA_TTABLE) {
        push_capture(m, 0, s, e);
        lua_gettable(L, 3);
    } else {
        add_replacement(m, b, s, e);
        return 1;
    }
    if (!lua_toboolean(L, -1)) {   /* nil or false: the original text */
        lua_pop(L, 1);
        luaL_addlstring(b, s, (size_t)(e - s));
        return 0;
    }
    if (!lua_isstring(L, -1)) return luaL_error(L, "invalid replacement value (a %s)", luaL_typename(L, -1));
    luaL_addvalue(b);
    return 1;
}

static int str_gsub(lua_State *L)
{
    size_t ls, lp;
    const char *src = luaL_checklstring(L, 1, &ls);
    const char *p = luaL_checklstring(L, 2, &lp);
    const char *last = NULL;
    int type = lua_type(L, 3);
    lua_Integer max = luaL_optinteger(L, 4, (lua_Integer)ls + 1), n = 0;
    int anchor = *p == '^', changed = 0;
    luaL_argexpected(L, type == LUA_TNUMBER || type == LUA_TSTRING || type == LUA_TFUNCTION || type == LUA_TTABLE, 3,
                     "string/function/table");
    luaL_Buffer b;
    luaL_buffinit(L, &b);
    if (anchor) {
        p++;
        lp--;
    }
    matcher m;
    prepare(&m, L, src, ls, p, lp);
    while (n < max) {
        restart(&m);
        const char *e = match(&m, src, p);
        if (e && e != last) {
            n++;
            changed |= add_value(&m, &b, src, e, type);
            src = last = e;
        } else if (src < m.src_end) {
            luaL_addchar(&b, *src++);
        } else {
            break;
        }
        if (anchor) break;
    }
    settle(&m);
    if (!changed) {
        lua_pushvalue(L, 1);
    } else {
        luaL_addlstring(&b, src, (size_t)(m.src_end - src));
        luaL_pushresult(&b);
    }
    lua_pushinteger(L, n);
    return 2;
}

/* rep(s, n [, sep]): as Lua's, without the loop of n empty copies */
static int str_rep(lua_State *L)
{
    size_t l, lsep;
    const char *s = luaL_checklstring(L, 1, &l);
    lua_Integer n = luaL_checkinteger(L, 2);
    const char *sep = luaL_optlstring(L, 3, "", &lsep);
    if (n <= 0 || l + lsep == 0) {
        lua_pushliteral(L, "");
        return 1;
    }
    if (l + lsep < l || l + lsep > (size_t)INT_MAX / (size_t)n) return luaL_error(L, "resulting string too large");
    size_t total = (size_t)n * l + (size_t)(n - 1) * lsep;
    luaL_Buffer b;
    char *out = luaL_buffinitsize(L, &b, total);
    for (lua_Integer i = 0; i < n; i++) {
        memcpy(out, s, l);
        out += l;
        if (lsep && i + 1 < n) {
            memcpy(out, sep, lsep);
            out += lsep;
        }
    }
    luaL_pushresultsize(&b, total);
    return 1;
}

/* ---- tables ---------------------------------------------------------------- */

enum { TAB_R = 1, TAB_W = 2, TAB_L = 4 };

static int has_field(lua_State *L, const char *key)
{
    lua_pushstring(L, key);
    int t = lua_rawget(L, -2);
    lua_pop(L, 1);
    return t != LUA_TNIL;
}

/* The table at arg, or a value whose metatable gives the access wanted
 * (__index, __newindex, __len), as the table library accepts. */
static void check_table(lua_State *L, int arg, int what)
{
    if (lua_type(L, arg) == LUA_TTABLE) return;
    if (lua_getmetatable(L, arg)) {
        int ok = (!(what & TAB_R) || has_field(L, "__index")) && (!(what & TAB_W) || has_field(L, "__newindex")) &&
                 (!(what & TAB_L) || has_field(L, "__len"));
        lua_pop(L, 1);
        if (ok) return;
    }
    luaL_checktype(L, arg, LUA_TTABLE);
}

/* one element more: charged every STEP_CHUNK */
static void tick(lua_State *L, unsigned long *k)
{
    if (++*k == STEP_CHUNK) {
        *k = 0;
        folio_sandbox_charge(L, STEP_CHUNK);
    }
}

/* move(a1, f, e, t [, a2]): a2[t .. t+e-f] = a1[f .. e] */
static int tab_move(lua_State *L)
{
    lua_Integer f = luaL_checkinteger(L, 2), e = luaL_checkinteger(L, 3), t = luaL_checkinteger(L, 4);
    int dst = lua_isnoneornil(L, 5) ? 1 : 5;
    check_table(L, 1, TAB_R);
    check_table(L, dst, TAB_W);
    if (e >= f) {
        unsigned long k = 0;
        luaL_argcheck(L, f > 0 || e < LUA_MAXINTEGER + f, 3, "too many elements to move");
        lua_Integer n = e - f + 1;
        luaL_argcheck(L, t <= LUA_MAXINTEGER - n + 1, 4, "destination wrap around");
        if (t > e || t <= f || (dst != 1 && !lua_compare(L, 1, dst, LUA_OPEQ))) {
            for (lua_Integer i = 0; i < n; i++) {
                tick(L, &k);
                lua_geti(L, 1, f + i);
                lua_seti(L, dst, t + i);
            }
        } else {   /* overlapping, to the right: from the end */
            for (lua_Integer i = n - 1; i >= 0; i--) {
                tick(L, &k);
                lua_geti(L, 1, f + i);
                lua_seti(L, dst, t + i);
            }
        }
        folio_sandbox_charge(L, k);
    }
    lua_pushvalue(L, dst);
    return 1;
}

static int tab_insert(lua_State *L)
{
    check_table(L, 1, TAB_R | TAB_W | TAB_L);
    lua_Integer e = luaL_len(L, 1), pos;
    e = (lua_Integer)((lua_Unsigned)e + 1u);   /* the first empty slot */
    switch (lua_gettop(L)) {
    case 2:
        pos = e;
        break;
    case 3: {
        unsigned long k = 0;
        pos = luaL_checkinteger(L, 2);
        luaL_argcheck(L, (lua_Unsigned)pos - 1u < (lua_Unsigned)e, 2, "position out of bounds");
        for (lua_Integer i = e; i > pos; i--) {
            tick(L, &k);
            lua_geti(L, 1, i - 1);
            lua_seti(L, 1, i);
        }
        folio_sandbox_charge(L, k);
        break;
    }
    default:
        return luaL_error(L, "wrong number of arguments to 'insert'");
    }
    lua_seti(L, 1, pos);
    return 0;
}

static int tab_remove(lua_State *L)
{
    check_table(L, 1, TAB_R | TAB_W | TAB_L);
    lua_Integer size = luaL_len(L, 1), pos = luaL_optinteger(L, 2, size);
    unsigned long k = 0;
    /* argument 1 in the message, as Lua 5.4.4 says */
    if (pos != size) luaL_argcheck(L, (lua_Unsigned)pos - 1u <= (lua_Unsigned)size, 1, "position out of bounds");
    lua_geti(L, 1, pos);
    for (; pos < size; pos++) {
        tick(L, &k);
        lua_geti(L, 1, pos + 1);
        lua_seti(L, 1, pos);
    }
    folio_sandbox_charge(L, k);
    lua_pushnil(L);
    lua_seti(L, 1, pos);
    return 1;
}

static void add_field(lua_State *L, luaL_Buffer *b, lua_Integer i)
{
    lua_geti(L, 1, i);
    if (!lua_isstring(L, -1))
        luaL_error(L, "invalid value (%s) at index %I in table for 'concat'", luaL_typename(L, -1), (LUAI_UACINT)i);
    luaL_addvalue(b);
}

static int tab_concat(lua_State *L)
{
    check_table(L, 1, TAB_R | TAB_L);
    lua_Integer last = luaL_len(L, 1);
    size_t lsep;
    const char *sep = luaL_optlstring(L, 2, "", &lsep);
    lua_Integer i = luaL_optinteger(L, 3, 1);
    last = luaL_optinteger(L, 4, last);
    unsigned long k = 0;
    luaL_Buffer b;
    luaL_buffinit(L, &b);
    for (; i < last; i++) {
        tick(L, &k);
        add_field(L, &b, i);
        luaL_addlstring(&b, sep, lsep);
    }
    if (i == last) add_field(L, &b, i);
    luaL_pushresult(&b);
    folio_sandbox_charge(L, k);
    return 1;
}

/* sort(t [, comp]): Lua's own sort (upvalue 1) on a plain table; a table
 * with a metatable is read into a plain copy, sorted, and written back */
static int tab_sort(lua_State *L)
{
    check_table(L, 1, TAB_R | TAB_W | TAB_L);
    lua_Integer n = luaL_len(L, 1);
    if (n < 2) return 0;
    luaL_argcheck(L, n < INT_MAX, 1, "array too big");
    if (!lua_isnoneornil(L, 2)) luaL_checktype(L, 2, LUA_TFUNCTION);
    lua_settop(L, 2);
    int plain = lua_type(L, 1) == LUA_TTABLE && !lua_getmetatable(L, 1);
    lua_settop(L, 2);
    lua_pushvalue(L, lua_upvalueindex(1));
    if (plain) {
        lua_insert(L, 1);
        lua_call(L, 2, 0);
        return 0;
    }
    unsigned long k = 0;
    lua_newtable(L);   /* 4: the copy */
    for (lua_Integer i = 1; i <= n; i++) {
        tick(L, &k);
        lua_geti(L, 1, i);
        lua_rawseti(L, 4, i);
    }
    lua_pushvalue(L, 3);   /* Lua's sort */
    lua_pushvalue(L, 4);
    lua_pushvalue(L, 2);
    lua_call(L, 2, 0);
    for (lua_Integer i = 1; i <= n; i++) {
        tick(L, &k);
        lua_rawgeti(L, 4, i);
        lua_seti(L, 1, i);
    }
    folio_sandbox_charge(L, k);
    return 0;
}

/* ---- installation ----------------------------------------------------------- */

static const luaL_Reg string_funcs[] = {
    { "find", str_find }, { "match", str_match }, { "gmatch", str_gmatch }, { "gsub", str_gsub },
    { "rep", str_rep }, { NULL, NULL }
};
static const luaL_Reg table_funcs[] = {
    { "move", tab_move }, { "insert", tab_insert }, { "remove", tab_remove }, { "concat", tab_concat },
    { NULL, NULL }
};

static const char installed_key = 'i';

void folio_sandbox_open_libs(lua_State *L)
{
    if (lua_rawgetp(L, LUA_REGISTRYINDEX, &installed_key) != LUA_TNIL) {
        lua_pop(L, 1);
        return;
    }
    lua_pop(L, 1);
    luaL_getsubtable(L, LUA_REGISTRYINDEX, LUA_LOADED_TABLE);
    if (lua_getfield(L, -1, "string") == LUA_TTABLE) luaL_setfuncs(L, string_funcs, 0);
    lua_pop(L, 1);
    if (lua_getfield(L, -1, "table") == LUA_TTABLE) {
        luaL_setfuncs(L, table_funcs, 0);
        lua_getfield(L, -1, "sort");
        lua_pushcclosure(L, tab_sort, 1);
        lua_setfield(L, -2, "sort");
    }
    lua_pop(L, 2);
    lua_pushboolean(L, 1);
    lua_rawsetp(L, LUA_REGISTRYINDEX, &installed_key);
}
