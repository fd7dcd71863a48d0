/* folio.expr: affine/quadratic expressions with operator overloading, and
 * the C builders folio.sum, folio.dot and folio.quad. */
#include "lexpr.h"
#include "laux.h"
#include "lfamily.h"

#include <gsl/gsl_eigen.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_linalg.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define INLINE_MAX 4

typedef struct termbuf {
    size_t cap, used;
    fterm d[];
} termbuf;

static const char mt_key = 'e';   /* registry key of the expr metatable */

static uint32_t curv_flip(uint32_t c) { return ((c & CURV_PSD) << 1) | ((c & CURV_NSD) >> 1); }
/* curvature of s * e */
static uint32_t curv_scaled(uint32_t c, double s) { return s > 0 ? c : s < 0 ? curv_flip(c) : CURV_LINEAR; }
static fexpr_name_fn name_resolver;

void fexpr_set_name_resolver(fexpr_name_fn fn) { name_resolver = fn; }

const char *fexpr_col_name(lua_State *L, uint32_t model, int32_t col)
{
    const char *s = name_resolver ? name_resolver(L, model, col) : NULL;
    return s ? s : "?";
}

static termbuf *termbuf_push(lua_State *L, size_t cap)
{
    termbuf *b = lua_newuserdatauv(L, sizeof(termbuf) + cap * sizeof(fterm), 0);
    b->cap = cap;
    b->used = 0;
    return b;
}

/* The metatable is reached through `mt`, a pseudo or absolute index: the
 * metamethods carry it as upvalue 1 (cheaper than the registry). */
#define MT_UP lua_upvalueindex(1)

static void set_mt(lua_State *L, int mt)
{
    lua_pushvalue(L, mt);
    lua_setmetatable(L, -2);
}

static fexpr *is_expr(lua_State *L, int idx, int mt)
{
    void *p = lua_touserdata(L, idx);
    if (!p || !lua_getmetatable(L, idx)) return NULL;
    int same = lua_rawequal(L, -1, mt);
    lua_pop(L, 1);
    return same ? p : NULL;
}

/* Pushes an expression header whose terms live in the termbuf just below
 * it on the stack; the termbuf is popped into the header's user value. */
static fexpr *push_over_buf(lua_State *L, int mt, termbuf *b, uint32_t model, double c, size_t n)
{
    fexpr *e = lua_newuserdatauv(L, sizeof(fexpr), 1);
    lua_insert(L, -2);
    lua_setiuservalue(L, -2, 1);
    e->model = model;
    e->n = (uint32_t)n;
    e->curv = 0;
    e->c = c;
    e->t = b->d;
    set_mt(L, mt);
    return e;
}

static fexpr *new_expr(lua_State *L, int mt, uint32_t model, double c, const fterm *t, size_t n)
{
    fexpr *e;
    if (n > UINT32_MAX) luaL_error(L, "expression too large");
    if (n <= INLINE_MAX) {
        e = lua_newuserdatauv(L, sizeof(fexpr) + n * sizeof(fterm), 0);
        e->t = (fterm *)(e + 1);
        e->model = n ? model : 0;
        e->n = (uint32_t)n;
        e->curv = n ? 0 : CURV_LINEAR;
        e->c = c;
        set_mt(L, mt);
    } else {
        termbuf *b = termbuf_push(L, n);
        b->used = n;
        e = push_over_buf(L, mt, b, model, c, n);
    }
    if (t && n) memcpy(e->t, t, n * sizeof *t);
    return e;
}

fexpr *fexpr_push(lua_State *L, uint32_t model, double c, const fterm *t, size_t n)
{
    lua_rawgetp(L, LUA_REGISTRYINDEX, &mt_key);
    fexpr *e = new_expr(L, lua_gettop(L), model, c, t, n);
    lua_remove(L, -2);
    return e;
}

static_assert(sizeof(void *) == 8, "variables are encoded in 64-bit light userdata");
#define VAR_TAG (1ULL << 63)

void fexpr_push_var(lua_State *L, uint32_t model, int32_t col)
{
    uint64_t code = VAR_TAG | ((uint64_t)(model & 0x7fffffffu) << 32) | (uint32_t)col;
    lua_pushlightuserdata(L, (void *)(uintptr_t)code);
}

/* Decodes a tagged light userdata at idx into tmp; NULL if not a variable. */
static const fexpr *var_view(lua_State *L, int idx, fview *tmp)
{
    uint64_t code = (uint64_t)(uintptr_t)lua_touserdata(L, idx);
    if (!(code & VAR_TAG)) return NULL;
    tmp->one.i = (int32_t)(uint32_t)code;
    tmp->one.j = -1;
    tmp->one.v = 1.0;
    tmp->e.model = (uint32_t)(code >> 32) & 0x7fffffffu;
    tmp->e.n = 1;
    tmp->e.curv = CURV_LINEAR;
    tmp->e.c = 0.0;
    tmp->e.t = &tmp->one;
    return &tmp->e;
}

const fexpr *fexpr_test(lua_State *L, int idx, fview *tmp)
{
    int t = lua_type(L, idx);
    if (t == LUA_TLIGHTUSERDATA) return var_view(L, idx, tmp);
    if (t != LUA_TUSERDATA) return NULL;
    idx = lua_absindex(L, idx);
    lua_rawgetp(L, LUA_REGISTRYINDEX, &mt_key);
    fexpr *e = is_expr(L, idx, lua_gettop(L));
    lua_pop(L, 1);
    return e;
}

/* nan prints as "-nan" on some platforms: name non-finite values ourselves */
static const char *nonfinite(double v) { return isnan(v) ? "nan" : v > 0 ? "inf" : "-inf"; }

static double check_finite(lua_State *L, double v)
{
    if (!isfinite(v)) luaL_error(L, "non-finite number (%s) in a folio expression", nonfinite(v));
    return v;
}

static const fexpr *view(lua_State *L, int idx, int mt, fview *tmp, const char *what)
{
    const fexpr *e = NULL;
    switch (lua_type(L, idx)) {
    case LUA_TNUMBER:
        tmp->e.model = 0;
        tmp->e.n = 0;
        tmp->e.curv = CURV_LINEAR;
        tmp->e.c = check_finite(L, lua_tonumber(L, idx));
        tmp->e.t = NULL;
        return &tmp->e;
    case LUA_TLIGHTUSERDATA:
        e = var_view(L, idx, tmp);
        break;
    case LUA_TUSERDATA:
        e = is_expr(L, idx, mt);
        break;
    default:
        break;
    }
    if (!e) luaL_error(L, "%s: expected a number or folio expression, got %s", what, luaL_typename(L, idx));
    return e;
}

void fexpr_push_mt(lua_State *L) { lua_rawgetp(L, LUA_REGISTRYINDEX, &mt_key); }

const fexpr *fexpr_view_mt(lua_State *L, int idx, int mt, fview *tmp, const char *what)
{
    return view(L, idx, mt, tmp, what);
}

const fexpr *fexpr_view(lua_State *L, int idx, fview *tmp, const char *what)
{
    idx = lua_absindex(L, idx);
    lua_rawgetp(L, LUA_REGISTRYINDEX, &mt_key);
    const fexpr *e = view(L, idx, lua_gettop(L), tmp, what);
    lua_pop(L, 1);
    return e;
}

static uint32_t join_models(lua_State *L, uint32_t a, uint32_t b)
{
    if (a && b && a != b) luaL_error(L, "expression mixes variables of two different models");
    return a ? a : b;
}

/* If the expression at idx owns the tail of its termbuf with room for
 * extra terms, returns that buffer (appending then shares it). */
static termbuf *appendable(lua_State *L, int idx, const fexpr *e, size_t extra)
{
    if (e->n <= INLINE_MAX || lua_type(L, idx) != LUA_TUSERDATA) return NULL;
    if (lua_getiuservalue(L, idx, 1) != LUA_TUSERDATA) {
        lua_pop(L, 1);
        return NULL;
    }
    termbuf *b = lua_touserdata(L, -1);
    if (b->d == e->t && b->used == e->n && b->cap - b->used >= extra) return b;  /* left on stack */
    lua_pop(L, 1);
    return NULL;
}

static void copy_scaled(fterm *dst, const fexpr *e, double s)
{
    if (s == 1.0) {
        if (e->n) memcpy(dst, e->t, e->n * sizeof *dst);   /* constants have t == NULL */
        return;
    }
    for (uint32_t k = 0; k < e->n; k++) {
        dst[k] = e->t[k];
        dst[k].v *= s;
    }
}

/* a + sb*b */
static int add_scaled(lua_State *L, double sb)
{
    fview ta, tb;
    const fexpr *a = view(L, 1, MT_UP, &ta, sb > 0 ? "+" : "-");
    const fexpr *b = view(L, 2, MT_UP, &tb, sb > 0 ? "+" : "-");
    uint32_t model = join_models(L, a->model, b->model);
    double c = check_finite(L, a->c + sb * b->c);
    uint32_t curv = a->curv & curv_scaled(b->curv, sb);
    size_t n = (size_t)a->n + b->n;
    termbuf *buf;
    if ((buf = appendable(L, 1, a, b->n))) {
        copy_scaled(buf->d + buf->used, b, sb);
        buf->used = n;
        push_over_buf(L, MT_UP, buf, model, c, n)->curv = curv;
        return 1;
    }
    if (sb == 1.0 && (buf = appendable(L, 2, b, a->n))) {
        copy_scaled(buf->d + buf->used, a, 1.0);
        buf->used = n;
        push_over_buf(L, MT_UP, buf, model, c, n)->curv = curv;
        return 1;
    }
    fexpr *e;
    if (n <= INLINE_MAX) {
        e = new_expr(L, MT_UP, model, c, NULL, n);
    } else {
        /* room to grow: the next `e + t` appends in place */
        buf = termbuf_push(L, n < 8 ? 16 : 2 * n);
        buf->used = n;
        e = push_over_buf(L, MT_UP, buf, model, c, n);
    }
    copy_scaled(e->t, a, 1.0);
    copy_scaled(e->t + a->n, b, sb);
    e->curv = curv;
    return 1;
}

static int e_add(lua_State *L) { return add_scaled(L, 1.0); }
static int e_sub(lua_State *L) { return add_scaled(L, -1.0); }

static int scale_to_new(lua_State *L, const fexpr *a, double s)
{
    double c = check_finite(L, a->c * s);
    if (s == 0.0) {
        new_expr(L, MT_UP, 0, 0.0, NULL, 0);
        return 1;
    }
    fexpr *e = new_expr(L, MT_UP, a->model, c, NULL, a->n);
    e->curv = curv_scaled(a->curv, s);
    copy_scaled(e->t, a, s);
    for (uint32_t k = 0; k < a->n; k++) check_finite(L, e->t[k].v);
    return 1;
}

static int e_mul(lua_State *L)
{
    fview ta, tb;
    const fexpr *a = view(L, 1, MT_UP, &ta, "*");
    const fexpr *b = view(L, 2, MT_UP, &tb, "*");
    if (a->model == 0 && a->n == 0) return scale_to_new(L, b, a->c);
    if (b->model == 0 && b->n == 0) return scale_to_new(L, a, b->c);
    for (uint32_t k = 0; k < a->n; k++)
        if (a->t[k].j >= 0) luaL_error(L, "*: product of a quadratic expression has degree above 2");
    for (uint32_t k = 0; k < b->n; k++)
        if (b->t[k].j >= 0) luaL_error(L, "*: product of a quadratic expression has degree above 2");
    uint32_t model = join_models(L, a->model, b->model);
    size_t n = (size_t)a->n * b->n + (a->c != 0 ? b->n : 0) + (b->c != 0 ? a->n : 0);
    fexpr *e = new_expr(L, MT_UP, model, check_finite(L, a->c * b->c), NULL, n);
    /* e * e is a square: PSD; other products are of unknown curvature */
    e->curv = lua_rawequal(L, 1, 2) ? CURV_PSD : 0;
    size_t w = 0;
    for (uint32_t p = 0; p < a->n; p++)
        for (uint32_t q = 0; q < b->n; q++) {
            int32_t i = a->t[p].i, j = b->t[q].i;
            e->t[w].i = i < j ? i : j;
            e->t[w].j = i < j ? j : i;
            e->t[w].v = check_finite(L, a->t[p].v * b->t[q].v);
            w++;
        }
    if (a->c != 0)
        for (uint32_t q = 0; q < b->n; q++) { e->t[w] = b->t[q]; e->t[w].v = check_finite(L, e->t[w].v * a->c); w++; }
    if (b->c != 0)
        for (uint32_t p = 0; p < a->n; p++) { e->t[w] = a->t[p]; e->t[w].v = check_finite(L, e->t[w].v * b->c); w++; }
    return 1;
}

static int e_div(lua_State *L)
{
    fview ta, tb;
    const fexpr *a = view(L, 1, MT_UP, &ta, "/");
    const fexpr *b = view(L, 2, MT_UP, &tb, "/");
    if (b->n) luaL_error(L, "/: cannot divide by an expression with variables");
    if (b->c == 0.0) luaL_error(L, "/: division of an expression by zero");
    return scale_to_new(L, a, 1.0 / b->c);
}

static int e_unm(lua_State *L)
{
    fview ta;
    return scale_to_new(L, view(L, 1, MT_UP, &ta, "-"), -1.0);
}

static void add_num(luaL_Buffer *B, double v)
{
    char tmp[64];
    snprintf(tmp, sizeof tmp, "%.10g", v);
    luaL_addstring(B, tmp);
}

static int e_tostring(lua_State *L)
{
    fview tmp;
    const fexpr *e = fexpr_test(L, 1, &tmp);
    if (!e) {
        /* another library's light userdata (e.g. cjson.null): Lua's default text */
        lua_pushfstring(L, "%s: %p", luaL_typename(L, 1), lua_topointer(L, 1));
        return 1;
    }
    luaL_Buffer B;
    luaL_buffinit(L, &B);
    uint32_t shown = e->n < 12 ? e->n : 12;
    for (uint32_t k = 0; k < shown; k++) {
        double v = e->t[k].v;
        if (k) luaL_addstring(&B, v < 0 ? " - " : " + ");
        else if (v < 0) luaL_addstring(&B, "-");
        if (fabs(v) != 1.0) { add_num(&B, fabs(v)); luaL_addchar(&B, ' '); }
        /* the resolver's stack use is balanced, as luaL_Buffer requires */
        luaL_addstring(&B, fexpr_col_name(L, e->model, e->t[k].i));
        if (e->t[k].j >= 0) {
            luaL_addchar(&B, '*');
            luaL_addstring(&B, fexpr_col_name(L, e->model, e->t[k].j));
        }
    }
    if (shown < e->n) {
        char more[64];
        snprintf(more, sizeof more, " + ... (%u terms)", (unsigned)e->n);
        luaL_addstring(&B, more);
    }
    if (e->c != 0.0 || e->n == 0) {
        if (e->n) luaL_addstring(&B, e->c < 0 ? " - " : " + ");
        add_num(&B, e->n ? fabs(e->c) : e->c);
    }
    luaL_pushresult(&B);
    return 1;
}

static int e_concat(lua_State *L)
{
    luaL_tolstring(L, 1, NULL);
    luaL_tolstring(L, 2, NULL);
    lua_concat(L, 2);
    return 1;
}

static int e_compare(lua_State *L)
{
    return luaL_error(L, "comparison of folio expressions: write constraints as "
                         "m:st(name, lhs, \"<=\", rhs)");
}

/* ---- accumulators -------------------------------------------------------- */

void facc_init(lua_State *L, facc *a, size_t cap)
{
    termbuf *b = termbuf_push(L, cap < 8 ? 8 : cap);
    a->t = b->d;
    a->cap = b->cap;
    a->n = 0;
    a->c = 0.0;
    a->model = 0;
    a->curv = CURV_LINEAR;
    a->slot = lua_gettop(L);
}

void facc_add(lua_State *L, facc *a, const fexpr *e, double scale)
{
    a->model = join_models(L, a->model, e->model);
    a->curv &= curv_scaled(e->curv, scale);
    a->c += e->c * scale;
    if (a->n + e->n > a->cap) {
        size_t cap = a->cap * 2;
        while (cap < a->n + e->n) cap *= 2;
        termbuf *b = termbuf_push(L, cap);
        memcpy(b->d, a->t, a->n * sizeof *a->t);
        lua_replace(L, a->slot);
        a->t = b->d;
        a->cap = cap;
    }
    copy_scaled(a->t + a->n, e, scale);
    if (scale != 1.0)
        for (uint32_t k = 0; k < e->n; k++) check_finite(L, a->t[a->n + k].v);
    a->n += e->n;
}

void facc_finish(lua_State *L, facc *a)
{
    if (!isfinite(a->c)) luaL_error(L, "non-finite number (%s) in a folio expression", nonfinite(a->c));
    if (a->n <= INLINE_MAX) {
        fexpr_push(L, a->model, a->c, a->t, a->n)->curv = a->curv;
    } else {
        termbuf *b = lua_touserdata(L, a->slot);
        b->used = a->n;
        lua_rawgetp(L, LUA_REGISTRYINDEX, &mt_key);
        int mt = lua_gettop(L);
        lua_pushvalue(L, a->slot);
        push_over_buf(L, mt, b, a->model, a->c, a->n)->curv = a->curv;
        lua_remove(L, mt);
    }
    lua_replace(L, a->slot);
}

/* Adds the value at idx (number, expression; nil skipped) to a. */
static void acc_value(lua_State *L, facc *a, int idx, double scale, const char *what)
{
    if (lua_isnil(L, idx)) return;
    fview tmp;
    facc_add(L, a, fexpr_view(L, idx, &tmp, what), scale);
}

/* ---- folio.sum / folio.dot / folio.quad ---------------------------------- */

typedef struct sum_ctx { facc acc; } sum_ctx;

static void sum_leaf(lua_State *L, void *ud, int nkeys)
{
    /* stack: ... keys(nkeys) value */
    (void)nkeys;
    sum_ctx *s = ud;
    acc_value(L, &s->acc, -1, 1.0, "sum");
}

static void sum_call(lua_State *L, void *ud, int nkeys, const char *text, size_t len)
{
    (void)text;
    (void)len;
    /* stack: ... fn keys(nkeys): call fn(keys...) */
    sum_ctx *s = ud;
    lua_call(L, nkeys, 1);
    acc_value(L, &s->acc, -1, 1.0, "sum: the function's result");
    lua_pop(L, 1);
}

/* folio.sum(family | array of expressions) or folio.sum(set(s), fn) */
static int l_sum(lua_State *L)
{
    sum_ctx s;
    if (lua_gettop(L) >= 2 && !lua_isnil(L, 2)) {
        luaL_checktype(L, 2, LUA_TFUNCTION);
        facc_init(L, &s.acc, 16);
        folio_product_each(L, 1, 2, "sum", sum_call, &s);
    } else {
        luaL_checktype(L, 1, LUA_TTABLE);
        facc_init(L, &s.acc, 16);
        folio_family_each(L, 1, "sum", 0, sum_leaf, &s);
    }
    facc_finish(L, &s.acc);
    lua_pushvalue(L, s.acc.slot);
    return 1;
}

typedef struct dot_ctx { facc acc; int coef; } dot_ctx;

static void dot_leaf(lua_State *L, void *ud, int nkeys)
{
    /* stack: ... keys(nkeys) value; look coef[k1][k2]... up */
    dot_ctx *d = ud;
    int top = lua_gettop(L), kbase = top - nkeys;
    lua_pushvalue(L, d->coef);
    for (int k = 0; k < nkeys; k++) {
        if (!lua_istable(L, -1))
            luaL_error(L, "dot: coefficient table is not nested like the variables");
        lua_pushvalue(L, kbase + k);
        lua_gettable(L, -2);
        lua_remove(L, -2);
    }
    if (lua_isnil(L, -1)) {
        luaL_tolstring(L, kbase, NULL);
        luaL_error(L, "dot: no coefficient for key '%s'", lua_tostring(L, -1));
    }
    int isnum;
    double c = lua_tonumberx(L, -1, &isnum);
    if (!isnum) luaL_error(L, "dot: coefficient is a %s, not a number", luaL_typename(L, -1));
    if (!isfinite(c)) luaL_error(L, "non-finite number (%s) in a folio expression", nonfinite(c));
    lua_pop(L, 1);
    acc_value(L, &d->acc, top, c, "dot");
}

static int l_dot(lua_State *L)
{
    luaL_checktype(L, 1, LUA_TTABLE);
    luaL_checktype(L, 2, LUA_TTABLE);
    dot_ctx d;
    d.coef = 1;
    facc_init(L, &d.acc, 16);
    folio_family_each(L, 2, "dot", 1, dot_leaf, &d);
    facc_finish(L, &d.acc);
    lua_pushvalue(L, d.acc.slot);
    return 1;
}

typedef struct collect_ctx { int list; lua_Integer n; } collect_ctx;

static void collect_leaf(lua_State *L, void *ud, int nkeys)
{
    (void)nkeys;
    collect_ctx *c = ud;
    lua_pushvalue(L, -1);
    lua_rawseti(L, c->list, ++c->n);
}

/* folio.values(family): its leaves in set order, as an array */
static int l_values(lua_State *L)
{
    luaL_checktype(L, 1, LUA_TTABLE);
    lua_settop(L, 1);
    lua_newtable(L);
    collect_ctx c = { 2, 0 };
    folio_family_each(L, 1, "values", 0, collect_leaf, &c);
    return 1;
}

/* Sigma (n x n, symmetric) must be positive semidefinite: a Cholesky
 * factorisation of Sigma + tiny * I decides, and on failure the smallest
 * eigenvalue goes into the message. The matrix lives in a userdata so an
 * error cannot leak it. */
static void check_psd(lua_State *L, const double *S, lua_Integer n)
{
    if (n == 0) return;
    size_t nn = (size_t)n;
    double *C = lua_newuserdatauv(L, nn * nn * sizeof *C, 0);
    memcpy(C, S, nn * nn * sizeof *C);
    double maxd = 0;
    for (size_t r = 0; r < nn; r++) maxd = fmax(maxd, fabs(C[r * nn + r]));
    double *D = lua_newuserdatauv(L, nn * nn * sizeof *D, 0);
    memcpy(D, C, nn * nn * sizeof *D);
    for (size_t i = 0; i < nn; i++) D[i * nn + i] += 1e-12 * (1 + maxd);
    gsl_error_handler_t *old = gsl_set_error_handler_off();
    gsl_matrix_view Dv = gsl_matrix_view_array(D, nn, nn);
    int ok = gsl_linalg_cholesky_decomp1(&Dv.matrix) == GSL_SUCCESS;
    double lmin = NAN;
    if (!ok) {
        gsl_matrix_view Cv = gsl_matrix_view_array(C, nn, nn);
        gsl_vector *ev = gsl_vector_alloc(nn);
        gsl_eigen_symm_workspace *ws = gsl_eigen_symm_alloc(nn);
        if (ev && ws && gsl_eigen_symm(&Cv.matrix, ev, ws) == GSL_SUCCESS) lmin = gsl_vector_min(ev);
        gsl_vector_free(ev);
        if (ws) gsl_eigen_symm_free(ws);
    }
    gsl_set_error_handler(old);
    lua_pop(L, 2);
    if (!ok) {
        char msg[160];   /* lua_pushfstring has no %g */
        snprintf(msg, sizeof msg, "quad: Sigma is not positive semidefinite (smallest eigenvalue %.6g)", lmin);
        luaL_error(L, "%s", msg);
    }
}

/* folio.quad(x, Sigma): x' Sigma x over x's elements in set order */
static int l_quad(lua_State *L)
{
    luaL_checktype(L, 1, LUA_TTABLE);
    luaL_checktype(L, 2, LUA_TTABLE);
    lua_settop(L, 2);
    lua_newtable(L);                      /* 3: flat list of x's elements */
    collect_ctx c = { 3, 0 };
    folio_family_each(L, 1, "quad", 0, collect_leaf, &c);
    lua_Integer n = c.n;
    if ((lua_Integer)lua_rawlen(L, 2) != n)
        luaL_error(L, "quad: Sigma has %d rows but x has %d elements", (int)lua_rawlen(L, 2), (int)n);
    size_t nn = (size_t)n;
    double *S = laux_check_matrix(L, 2, "quad", "Sigma", nn, nn);
#define SIG(r, c) S[(size_t)((r) - 1) * nn + (size_t)((c) - 1)]
    for (lua_Integer r = 1; r <= n; r++)
        for (lua_Integer s = r + 1; s <= n; s++) {
            double a = SIG(r, s), b = SIG(s, r);
            if (fabs(a - b) > 1e-12 * (1 + fabs(a) + fabs(b))) {
                char msg[200];   /* lua_pushfstring has no %g */
                snprintf(msg, sizeof msg, "quad: Sigma is not symmetric: Sigma[%d][%d] = %g but Sigma[%d][%d] = %g",
                         (int)r, (int)s, a, (int)s, (int)r, b);
                luaL_error(L, "%s", msg);
            }
        }
    check_psd(L, S, n);
    facc acc;
    facc_init(L, &acc, (size_t)(n * (n + 1) / 2));
    /* the usual case: every element is a plain variable (1 * x_col), so
     * the terms w x_r x_s go in directly, without a product per pair */
    int32_t *col = lua_newuserdatauv(L, (nn ? nn : 1) * sizeof *col, 0);
    uint32_t model = 0;
    int plain = 1;
    for (lua_Integer r = 1; r <= n && plain; r++) {
        lua_rawgeti(L, 3, r);
        fview tv;
        const fexpr *e = fexpr_test(L, -1, &tv);
        if (!e || e->n != 1 || e->c != 0.0 || e->t[0].j >= 0 || e->t[0].v != 1.0 || (model && e->model != model))
            plain = 0;
        else {
            col[r - 1] = e->t[0].i;
            model = e->model;
        }
        lua_pop(L, 1);
    }
    if (plain) {
        for (lua_Integer r = 1; r <= n; r++)
            for (lua_Integer s = r; s <= n; s++) {
                double w = s == r ? SIG(r, r) : 2.0 * SIG(r, s);
                if (w == 0.0) continue;
                fview q;
                int32_t i = col[r - 1], j = col[s - 1];
                q.e.model = model;
                q.e.n = 1;
                q.e.curv = CURV_PSD;
                q.e.unused = 0;
                q.e.c = 0.0;
                q.e.t = &q.one;
                q.one.i = i < j ? i : j;
                q.one.j = i < j ? j : i;
                q.one.v = 1.0;
                facc_add(L, &acc, &q.e, w);
            }
        acc.curv = CURV_PSD;
        facc_finish(L, &acc);
        lua_pushvalue(L, acc.slot);
        return 1;
    }
    /* otherwise every element must be a variable or an affine expression;
     * build products term by term */
    for (lua_Integer r = 1; r <= n; r++) {
        lua_rawgeti(L, 3, r);
        for (lua_Integer s = r; s <= n; s++) {
            double w = s == r ? SIG(r, r) : 2.0 * SIG(r, s);
            if (w == 0.0) continue;
            lua_rawgetp(L, LUA_REGISTRYINDEX, &mt_key);
            lua_pushcclosure(L, e_mul, 1);
            lua_pushvalue(L, -2);
            lua_rawgeti(L, 3, s);
            lua_call(L, 2, 1);
            fview tp;
            facc_add(L, &acc, fexpr_view(L, -1, &tp, "quad"), w);
            lua_pop(L, 1);
        }
        lua_pop(L, 1);
    }
    acc.curv = CURV_PSD;   /* Sigma passed check_psd: x' Sigma x is convex */
    facc_finish(L, &acc);
    lua_pushvalue(L, acc.slot);
    return 1;
#undef SIG
}

static const luaL_Reg expr_meta[] = {
    {"__add", e_add}, {"__sub", e_sub}, {"__mul", e_mul}, {"__div", e_div},
    {"__unm", e_unm}, {"__tostring", e_tostring}, {"__concat", e_concat},
    {"__lt", e_compare}, {"__le", e_compare}, {NULL, NULL}
};

static const luaL_Reg expr_funcs[] = {
    {"sum", l_sum}, {"dot", l_dot}, {"quad", l_quad}, {"values", l_values}, {NULL, NULL}
};

int luaopen_folio_expr(lua_State *L)
{
    luaL_newmetatable(L, FEXPR_MT);
    lua_pushvalue(L, -1);
    luaL_setfuncs(L, expr_meta, 1);
    lua_pushliteral(L, "folio.expr");
    lua_setfield(L, -2, "__name");
    /* every light userdata shares it: scripts must not change it */
    laux_protect_metatable(L, -1);
    lua_pushvalue(L, -1);
    lua_rawsetp(L, LUA_REGISTRYINDEX, &mt_key);
    /* variables are light userdata: they share this metatable */
    lua_pushlightuserdata(L, NULL);
    lua_pushvalue(L, -2);
    lua_setmetatable(L, -2);
    lua_pop(L, 2);
    luaL_newlib(L, expr_funcs);
    return 1;
}
