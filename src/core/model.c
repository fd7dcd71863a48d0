/* The solver-neutral model: append-only arrays, names in one arena. */
#include "model_internal.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NAME_MAX_LEN 255

static const char *nonfinite(double v) { return isnan(v) ? "nan" : v > 0 ? "inf" : "-inf"; }

folio_error folio_model_fail(folio_model *m, folio_error e, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(m->err, sizeof m->err, fmt, ap);
    va_end(ap);
    return e;
}

/* Grows *p (elements of size sz) so that it holds at least need; keeps *cap. */
static int grow(void *pp, size_t *cap, size_t need, size_t sz)
{
    void **p = pp;
    if (need <= *cap) return 0;
    size_t nc = *cap ? *cap : 16;
    while (nc < need) nc *= 2;
    void *q = realloc(*p, nc * sz);
    if (!q) return -1;
    *p = q;
    *cap = nc;
    return 0;
}

/* Grows several parallel arrays to the same capacity. */
static int grow_cols(folio_model *m, size_t need)
{
    if (need <= m->col_cap) return 0;
    size_t nc = m->col_cap ? m->col_cap * 2 : 64;
    while (nc < need) nc *= 2;
    size_t c;
    c = m->col_cap; if (grow(&m->lb, &c, nc, sizeof *m->lb)) return -1;
    c = m->col_cap; if (grow(&m->ub, &c, nc, sizeof *m->ub)) return -1;
    c = m->col_cap; if (grow(&m->obj, &c, nc, sizeof *m->obj)) return -1;
    c = m->col_cap; if (grow(&m->kind, &c, nc, sizeof *m->kind)) return -1;
    c = m->col_cap; if (grow(&m->col_name, &c, nc, sizeof *m->col_name)) return -1;
    m->col_cap = nc;
    return 0;
}

static int grow_rows(folio_model *m, size_t need)
{
    if (need <= m->row_cap) return 0;
    size_t nc = m->row_cap ? m->row_cap * 2 : 64;
    while (nc < need) nc *= 2;
    size_t c;
    c = m->row_cap; if (grow(&m->lo, &c, nc, sizeof *m->lo)) return -1;
    c = m->row_cap; if (grow(&m->hi, &c, nc, sizeof *m->hi)) return -1;
    c = m->row_cap; if (grow(&m->row_name, &c, nc, sizeof *m->row_name)) return -1;
    c = m->row_cap + 1;
    if (grow(&m->row_start, &c, nc + 1, sizeof *m->row_start)) return -1;
    m->row_cap = nc;
    return 0;
}

/* Copies name (or an automatic one) into the arena, checking it in the
 * same pass; returns its offset or SIZE_MAX on failure. */
static size_t intern(folio_model *m, const char *what, const char *name, char prefix, size_t k)
{
    char autoname[32];
    if (!name || !*name) {
        snprintf(autoname, sizeof autoname, "_%c%zu", prefix, k + 1);
        name = autoname;
    }
    /* room for the longest name plus the 8-byte reads below */
    if (m->arena_len + NAME_MAX_LEN + 9 > m->arena_cap &&
        grow(&m->arena, &m->arena_cap, m->arena_len + NAME_MAX_LEN + 9, 1)) {
        folio_model_fail(m, FOLIO_ERR_NOMEM, "out of memory storing names");
        return SIZE_MAX;
    }
    size_t n = strlen(name);
    if (n > NAME_MAX_LEN) {
        folio_model_fail(m, FOLIO_ERR_INVALID, "%s name '%.40s...' is longer than %d characters",
                         what, name, NAME_MAX_LEN);
        return SIZE_MAX;
    }
    /* copy, pad with 'a' so that whole words can be read, then look for
     * control bytes (< 0x20 or 0x7f) eight at a time */
    char *dst = m->arena + m->arena_len;
    memcpy(dst, name, n);
    memcpy(dst + n, "aaaaaaaa", 8);
    uint64_t bad = 0;
    for (size_t i = 0; i < n; i += 8) {
        uint64_t w;
        memcpy(&w, dst + i, 8);
        uint64_t del = w ^ 0x7f7f7f7f7f7f7f7fULL;
        bad |= ((w - 0x2020202020202020ULL) & ~w) | ((del - 0x0101010101010101ULL) & ~del);
    }
    dst[n] = '\0';
    if (bad & 0x8080808080808080ULL) {
        folio_model_fail(m, FOLIO_ERR_INVALID, "%s name '%s' holds a control character", what, name);
        return SIZE_MAX;
    }
    size_t off = m->arena_len;
    m->arena_len += n + 1;
    return off;
}

folio_model *folio_model_new(const char *name)
{
    folio_model *m = calloc(1, sizeof *m);
    if (!m) return NULL;
    m->name = strdup(name && *name ? name : "model");
    m->row_start = malloc(sizeof *m->row_start);
    m->cone_start = malloc(sizeof *m->cone_start);
    m->aff_start = malloc(sizeof *m->aff_start);
    /* never NULL, so that m->nz_idx + row_start[i] (aff_idx + aff_start[a])
     * is defined when no row (cone) has terms: the backends and
     * folio_model_row do this, and NULL + 0 is undefined */
    m->nz_idx = malloc(sizeof *m->nz_idx);
    m->nz_val = malloc(sizeof *m->nz_val);
    m->nz_cap = 1;
    m->aff_idx = malloc(sizeof *m->aff_idx);
    m->aff_val = malloc(sizeof *m->aff_val);
    m->aff_nz_cap = 1;
    if (!m->name || !m->row_start || !m->cone_start || !m->aff_start || !m->nz_idx || !m->nz_val ||
        !m->aff_idx || !m->aff_val) {
        folio_model_free(m);
        return NULL;
    }
    m->row_start[0] = 0;
    m->cone_start[0] = 0;
    m->aff_start[0] = 0;
    m->sense = FOLIO_MINIMIZE;
    return m;
}

void folio_model_free(folio_model *m)
{
    if (!m) return;
    free(m->name); free(m->arena);
    free(m->lb); free(m->ub); free(m->obj); free(m->kind); free(m->col_name);
    free(m->lo); free(m->hi); free(m->row_name); free(m->row_start);
    free(m->nz_idx); free(m->nz_val); free(m->mark);
    free(m->qi); free(m->qj); free(m->qv);
    free(m->cone_start); free(m->cone_name);
    free(m->aff_start); free(m->aff_cst); free(m->aff_idx); free(m->aff_val);
    free(m->col_index.slot); free(m->row_index.slot); free(m->cone_index.slot);
    free(m);
}

const char *folio_model_name(const folio_model *m) { return m->name; }
const char *folio_model_last_error(const folio_model *m) { return m->err; }

static void index_drop(name_index *ix)
{
    free(ix->slot);
    ix->slot = NULL;
    ix->cap = 0;
}

long folio_model_add_col(folio_model *m, const char *name, double lb, double ub, folio_kind kind)
{
    if (isnan(lb) || isnan(ub) || lb == HUGE_VAL || ub == -HUGE_VAL) {
        folio_model_fail(m, FOLIO_ERR_INVALID, "variable '%s': bound is not a number or infinite the wrong way",
                         name ? name : "?");
        return -1;
    }
    if (kind == FOLIO_BINARY) {
        lb = lb < 0 ? 0 : lb;
        ub = ub > 1 ? 1 : ub;
    }
    if (lb > ub) {
        folio_model_fail(m, FOLIO_ERR_INVALID, "variable '%s': lower bound %g exceeds upper bound %g",
                         name ? name : "?", lb, ub);
        return -1;
    }
    if (m->ncols >= (size_t)INT32_MAX - 1) {
        folio_model_fail(m, FOLIO_ERR_INVALID, "too many variables");
        return -1;
    }
    if (grow_cols(m, m->ncols + 1)) {
        folio_model_fail(m, FOLIO_ERR_NOMEM, "out of memory adding variable");
        return -1;
    }
    size_t off = intern(m, "variable", name, 'c', m->ncols);
    if (off == SIZE_MAX) return -1;
    size_t j = m->ncols++;
    m->lb[j] = lb;
    m->ub[j] = ub;
    m->obj[j] = 0.0;
    m->kind[j] = (unsigned char)kind;
    m->col_name[j] = off;
    if (kind != FOLIO_CONTINUOUS) m->nint++;
    if (m->col_index.cap) index_drop(&m->col_index);
    return (long)j;
}

static int check_range(folio_model *m, const char *what, const char *name, double lo, double hi)
{
    if (isnan(lo) || isnan(hi)) {
        folio_model_fail(m, FOLIO_ERR_INVALID, "%s '%s': right-hand side is not a number",
                         what, name ? name : "?");
        return -1;
    }
    if (lo == HUGE_VAL || hi == -HUGE_VAL) {
        folio_model_fail(m, FOLIO_ERR_INVALID, "%s '%s': right-hand side is infinite",
                         what, name ? name : "?");
        return -1;
    }
    if (lo > hi) {
        folio_model_fail(m, FOLIO_ERR_INVALID, "%s '%s': lower limit %g exceeds upper limit %g",
                         what, name ? name : "?", lo, hi);
        return -1;
    }
    return 0;
}

/* Checks the terms of a linear form; returns 0 or -1 with m->err set. */
static int check_terms(folio_model *m, const char *what, const char *name, size_t n,
                       const int *idx, const double *val)
{
    for (size_t k = 0; k < n; k++) {
        if (idx[k] < 0 || (size_t)idx[k] >= m->ncols) {
            folio_model_fail(m, FOLIO_ERR_INVALID, "%s '%s': column index %d out of range",
                             what, name ? name : "?", idx[k]);
            return -1;
        }
        if (!isfinite(val[k])) {
            folio_model_fail(m, FOLIO_ERR_INVALID,
                             "%s '%s': coefficient of '%s' is not finite (%s)", what,
                             name ? name : "?", FOLIO_NAME(m, m->col_name[idx[k]]), nonfinite(val[k]));
            return -1;
        }
    }
    return 0;
}

/* Checks that each column's terms (checked: finite, in range) sum to a
 * finite number in the order they come, which is how append_merged and
 * the objective sum them; returns FOLIO_OK or an error with m->err set. The sum of
 * the magnitudes decides first: when it is finite, no sum can overflow. */
static folio_error check_sums(folio_model *m, const char *kind, const char *name, size_t n, const int *idx,
                              const double *val)
{
    double total = 0;
    for (size_t k = 0; k < n; k++) total += fabs(val[k]);
    if (isfinite(total)) return FOLIO_OK;
    /* the message names the row or cone: formatted only here, not per row */
    char what[300];
    if (name) snprintf(what, sizeof what, "%s '%s'", kind, name);
    else snprintf(what, sizeof what, "%s", kind);
    double *acc = calloc(m->ncols + 1, sizeof *acc);
    if (!acc) return folio_model_fail(m, FOLIO_ERR_NOMEM, "out of memory checking %s", what);
    int bad = -1;
    for (size_t k = 0; k < n && bad < 0; k++) {
        acc[idx[k]] += val[k];
        if (!isfinite(acc[idx[k]])) bad = idx[k];
    }
    free(acc);
    if (bad < 0) return FOLIO_OK;
    return folio_model_fail(m, FOLIO_ERR_INVALID, "%s: coefficient of '%s' overflows to inf when its terms are summed",
                            what, FOLIO_NAME(m, m->col_name[bad]));
}

typedef struct qterm { int i, j; double v; } qterm;

static int cmp_qterm(const void *a, const void *b)
{
    const qterm *x = a, *y = b;
    if (x->i != y->i) return x->i < y->i ? -1 : 1;
    return x->j < y->j ? -1 : x->j > y->j;
}

/* Quadratic terms (checked) are kept apart and summed by the backends in
 * their own order: a pair (i, j) = (j, i) whose magnitudes sum to inf
 * could overflow there. Returns FOLIO_OK or an error with m->err set. */
folio_error folio_check_quad_sums(folio_model *m, const char *what, size_t nq, const int *qi, const int *qj,
                          const double *qv)
{
    double total = 0;
    for (size_t k = 0; k < nq; k++) total += fabs(qv[k]);
    if (isfinite(total)) return FOLIO_OK;
    qterm *t = malloc((nq + 1) * sizeof *t);
    if (!t) return folio_model_fail(m, FOLIO_ERR_NOMEM, "out of memory checking %s", what);
    for (size_t k = 0; k < nq; k++) {
        t[k].i = qi[k] < qj[k] ? qi[k] : qj[k];
        t[k].j = qi[k] < qj[k] ? qj[k] : qi[k];
        t[k].v = fabs(qv[k]);
    }
    qsort(t, nq, sizeof *t, cmp_qterm);
    int bi = -1, bj = -1;
    for (size_t a = 0; a < nq && bi < 0;) {
        size_t b = a;
        double sum = 0;
        for (; b < nq && t[b].i == t[a].i && t[b].j == t[a].j; b++) sum += t[b].v;
        if (!isfinite(sum)) { bi = t[a].i; bj = t[a].j; }
        a = b;
    }
    free(t);
    if (bi < 0) return FOLIO_OK;
    return folio_model_fail(m, FOLIO_ERR_INVALID,
                            "%s: coefficient of '%s*%s' overflows to inf when its terms are summed", what,
                            FOLIO_NAME(m, m->col_name[bi]), FOLIO_NAME(m, m->col_name[bj]));
}

/* Appends n terms to oidx/oval from position base (the row or cone
 * arrays), summing duplicates and dropping zeros; returns the number kept.
 * Terms must be checked. */
static size_t append_merged(folio_model *m, int *oidx, double *oval, size_t base, size_t n, const int *idx,
                            const double *val)
{
    if (m->mark_cap < m->ncols) {
        size_t old = m->mark_cap, c = m->mark_cap;
        if (grow(&m->mark, &c, m->ncols, sizeof *m->mark)) return SIZE_MAX;
        for (size_t j = old; j < c; j++) m->mark[j] = UINT32_MAX;
        m->mark_cap = c;
    }
    /* positions relative to base fit 32 bits (a row holds each column at
     * most once); a stale mark is harmless: oidx confirms it */
    size_t len = base;
    for (size_t k = 0; k < n; k++) {
        int j = idx[k];
        size_t p = base + m->mark[j];
        if (m->mark[j] < len - base && oidx[p] == j) {
            oval[p] += val[k];
        } else {
            m->mark[j] = (uint32_t)(len - base);
            oidx[len] = j;
            oval[len] = val[k];
            len++;
        }
    }
    /* drop exact zeros (cancelled terms) */
    size_t w = base;
    for (size_t r = base; r < len; r++) {
        if (oval[r] != 0.0) {
            oidx[w] = oidx[r];
            oval[w] = oval[r];
            w++;
        }
    }
    return w - base;
}

long folio_model_add_row(folio_model *m, const char *name, size_t n, const int *idx,
                         const double *val, double lo, double hi)
{
    if (check_range(m, "constraint", name, lo, hi)) return -1;
    if (check_terms(m, "constraint", name, n, idx, val)) return -1;
    if (check_sums(m, "constraint", name ? name : "?", n, idx, val)) return -1;
    size_t c = m->nz_cap;
    if (grow_rows(m, m->nrows + 1) ||
        grow(&m->nz_idx, &c, m->nz_len + n, sizeof *m->nz_idx) ||
        (c = m->nz_cap, grow(&m->nz_val, &c, m->nz_len + n, sizeof *m->nz_val))) {
        folio_model_fail(m, FOLIO_ERR_NOMEM, "out of memory adding constraint");
        return -1;
    }
    m->nz_cap = c;
    size_t off = intern(m, "constraint", name, 'r', m->nrows);
    if (off == SIZE_MAX) return -1;
    size_t kept = append_merged(m, m->nz_idx, m->nz_val, m->nz_len, n, idx, val);
    if (kept == SIZE_MAX) {
        folio_model_fail(m, FOLIO_ERR_NOMEM, "out of memory adding constraint");
        return -1;
    }
    size_t i = m->nrows++;
    m->lo[i] = lo;
    m->hi[i] = hi;
    m->row_name[i] = off;
    m->nz_len += kept;
    m->row_start[i + 1] = m->nz_len;
    if (m->row_index.cap) index_drop(&m->row_index);
    return (long)i;
}

folio_error folio_model_set_objective(folio_model *m, folio_sense sense, double constant,
                                      size_t n, const int *idx, const double *val,
                                      size_t nq, const int *qi, const int *qj, const double *qv)
{
    if (!isfinite(constant))
        return folio_model_fail(m, FOLIO_ERR_INVALID, "objective: constant is not finite");
    if (check_terms(m, "objective", "objective", n, idx, val)) return FOLIO_ERR_INVALID;
    for (size_t k = 0; k < nq; k++) {
        if (qi[k] < 0 || (size_t)qi[k] >= m->ncols || qj[k] < 0 || (size_t)qj[k] >= m->ncols)
            return folio_model_fail(m, FOLIO_ERR_INVALID, "objective: quadratic index out of range");
        if (!isfinite(qv[k]))
            return folio_model_fail(m, FOLIO_ERR_INVALID,
                                    "objective: coefficient of '%s*%s' is not finite (%s)",
                                    FOLIO_NAME(m, m->col_name[qi[k]]),
                                    FOLIO_NAME(m, m->col_name[qj[k]]), nonfinite(qv[k]));
    }
    /* obj[] below sums the linear terms in this order: checked first */
    folio_error e;
    if ((e = check_sums(m, "objective", NULL, n, idx, val)) || (e = folio_check_quad_sums(m, "objective", nq, qi, qj, qv)))
        return e;
    size_t cap = m->q_cap;
    if (grow(&m->qi, &cap, nq, sizeof *m->qi) ||
        (cap = m->q_cap, grow(&m->qj, &cap, nq, sizeof *m->qj)) ||
        (cap = m->q_cap, grow(&m->qv, &cap, nq, sizeof *m->qv)))
        return folio_model_fail(m, FOLIO_ERR_NOMEM, "out of memory setting objective");
    m->q_cap = cap;
    if (m->ncols) memset(m->obj, 0, m->ncols * sizeof *m->obj);
    for (size_t k = 0; k < n; k++) m->obj[idx[k]] += val[k];
    /* store quadratic terms with i <= j, duplicates kept (backends sum) */
    size_t w = 0;
    for (size_t k = 0; k < nq; k++) {
        if (qv[k] == 0.0) continue;
        int a = qi[k], b = qj[k];
        m->qi[w] = a < b ? a : b;
        m->qj[w] = a < b ? b : a;
        m->qv[w] = qv[k];
        w++;
    }
    m->nq = w;
    m->sense = sense;
    m->obj_const = constant;
    m->obj_convex = 0;
    return FOLIO_OK;
}

long folio_model_add_soc(folio_model *m, const char *name, size_t k, const size_t *start,
                         const int *idx, const double *val, const double *cst, size_t nt,
                         const int *tidx, const double *tval, double t0)
{
    if (k == 0) {
        folio_model_fail(m, FOLIO_ERR_INVALID, "cone '%s': no members", name ? name : "?");
        return -1;
    }
    size_t total = start[k] - start[0];
    if (check_terms(m, "cone", name, total, idx + start[0], val + start[0]) ||
        check_terms(m, "cone", name, nt, tidx, tval))
        return -1;
    for (size_t r = 0; r < k; r++)
        if (!isfinite(cst[r])) {
            folio_model_fail(m, FOLIO_ERR_INVALID, "cone '%s': constant is not finite",
                             name ? name : "?");
            return -1;
        }
    if (!isfinite(t0)) {
        folio_model_fail(m, FOLIO_ERR_INVALID, "cone '%s': constant is not finite", name ? name : "?");
        return -1;
    }
    const char *cn = name ? name : "?";
    if (check_sums(m, "cone", cn, nt, tidx, tval)) return -1;
    for (size_t r = 0; r < k; r++)
        if (check_sums(m, "cone", cn, start[r + 1] - start[r], idx + start[r], val + start[r])) return -1;
    size_t c1 = m->cone_cap + 1, c2 = m->cone_cap, ca = m->aff_cap + 1, cc = m->aff_cap;
    size_t ci = m->aff_nz_cap, cv = m->aff_nz_cap;
    if (grow(&m->cone_start, &c1, m->ncones + 2, sizeof *m->cone_start) ||
        grow(&m->cone_name, &c2, m->ncones + 1, sizeof *m->cone_name) ||
        grow(&m->aff_start, &ca, m->naff + k + 2, sizeof *m->aff_start) ||
        grow(&m->aff_cst, &cc, m->naff + k + 1, sizeof *m->aff_cst) ||
        grow(&m->aff_idx, &ci, m->aff_len + total + nt, sizeof *m->aff_idx) ||
        grow(&m->aff_val, &cv, m->aff_len + total + nt, sizeof *m->aff_val)) {
        folio_model_fail(m, FOLIO_ERR_NOMEM, "out of memory adding cone");
        return -1;
    }
    m->cone_cap = c2 < c1 - 1 ? c2 : c1 - 1;
    m->aff_cap = cc < ca - 1 ? cc : ca - 1;
    m->aff_nz_cap = ci < cv ? ci : cv;
    size_t off = intern(m, "cone", name, 'k', m->ncones);
    if (off == SIZE_MAX) return -1;
    /* right-hand side first, then the members; each with duplicates summed
     * (so a member never has more terms than the model has columns) */
    size_t kept = append_merged(m, m->aff_idx, m->aff_val, m->aff_len, nt, tidx, tval);
    if (kept == SIZE_MAX) {
        folio_model_fail(m, FOLIO_ERR_NOMEM, "out of memory adding cone");
        return -1;
    }
    m->aff_len += kept;
    m->aff_cst[m->naff] = t0;
    m->aff_start[++m->naff] = m->aff_len;
    for (size_t r = 0; r < k; r++) {
        kept = append_merged(m, m->aff_idx, m->aff_val, m->aff_len, start[r + 1] - start[r], idx + start[r],
                             val + start[r]);
        if (kept == SIZE_MAX) {
            folio_model_fail(m, FOLIO_ERR_NOMEM, "out of memory adding cone");
            return -1;
        }
        m->aff_len += kept;
        m->aff_cst[m->naff] = cst[r];
        m->aff_start[++m->naff] = m->aff_len;
    }
    m->cone_name[m->ncones] = off;
    m->cone_start[++m->ncones] = m->naff;
    if (m->cone_index.cap) index_drop(&m->cone_index);
    return (long)(m->ncones - 1);
}

size_t folio_model_ncols(const folio_model *m) { return m->ncols; }
size_t folio_model_nrows(const folio_model *m) { return m->nrows; }
size_t folio_model_nnz(const folio_model *m) { return m->nz_len; }
size_t folio_model_nquad(const folio_model *m) { return m->nq; }
size_t folio_model_ncones(const folio_model *m) { return m->ncones; }
size_t folio_model_nintegers(const folio_model *m) { return m->nint; }

const char *folio_model_col_name(const folio_model *m, size_t j)
{
    return j < m->ncols ? FOLIO_NAME(m, m->col_name[j]) : NULL;
}
const char *folio_model_row_name(const folio_model *m, size_t i)
{
    return i < m->nrows ? FOLIO_NAME(m, m->row_name[i]) : NULL;
}
const char *folio_model_cone_name(const folio_model *m, size_t k)
{
    return k < m->ncones ? FOLIO_NAME(m, m->cone_name[k]) : NULL;
}
void folio_model_col_bounds(const folio_model *m, size_t j, double *lb, double *ub)
{
    *lb = m->lb[j];
    *ub = m->ub[j];
}
folio_kind folio_model_col_kind(const folio_model *m, size_t j) { return (folio_kind)m->kind[j]; }
void folio_model_row_bounds(const folio_model *m, size_t i, double *lo, double *hi)
{
    *lo = m->lo[i];
    *hi = m->hi[i];
}
void folio_model_row(const folio_model *m, size_t i, size_t *n, const int **idx, const double **val)
{
    size_t s = m->row_start[i];
    *n = m->row_start[i + 1] - s;
    *idx = m->nz_idx + s;
    *val = m->nz_val + s;
}
folio_sense folio_model_sense(const folio_model *m) { return m->sense; }
double folio_model_obj_constant(const folio_model *m) { return m->obj_const; }
double folio_model_obj_coef(const folio_model *m, size_t j) { return m->obj[j]; }

/* ---- name lookup: open addressing over entity indices ------------------- */

static uint64_t hash_str(const char *s)
{
    uint64_t h = 1469598103934665603ULL;   /* FNV-1a */
    for (; *s; s++) h = (h ^ (unsigned char)*s) * 1099511628211ULL;
    return h;
}

static long index_find(folio_model *m, name_index *ix, const size_t *names, size_t n,
                       const char *name)
{
    if (!ix->cap) {
        size_t cap = 16;
        while (cap < 2 * n) cap *= 2;
        ix->slot = malloc(cap * sizeof *ix->slot);
        if (!ix->slot) {
            folio_model_fail(m, FOLIO_ERR_NOMEM, "out of memory indexing the names of model '%s'", m->name);
            return -2;
        }
        ix->cap = cap;
        for (size_t s = 0; s < cap; s++) ix->slot[s] = -1;
        for (size_t e = 0; e < n; e++) {
            size_t s = hash_str(FOLIO_NAME(m, names[e])) & (cap - 1);
            while (ix->slot[s] >= 0) {
                /* first definition of a duplicate name wins */
                if (!strcmp(FOLIO_NAME(m, names[ix->slot[s]]), FOLIO_NAME(m, names[e]))) break;
                s = (s + 1) & (cap - 1);
            }
            if (ix->slot[s] < 0) ix->slot[s] = (long)e;
        }
    }
    size_t s = hash_str(name) & (ix->cap - 1);
    while (ix->slot[s] >= 0) {
        if (!strcmp(FOLIO_NAME(m, names[ix->slot[s]]), name)) return ix->slot[s];
        s = (s + 1) & (ix->cap - 1);
    }
    return -1;
}

long folio_model_find_col(folio_model *m, const char *name)
{
    return index_find(m, &m->col_index, m->col_name, m->ncols, name);
}

long folio_model_find_row(folio_model *m, const char *name)
{
    return index_find(m, &m->row_index, m->row_name, m->nrows, name);
}

long folio_model_find_cone(folio_model *m, const char *name)
{
    return index_find(m, &m->cone_index, m->cone_name, m->ncones, name);
}

void folio_model_mark_objective_convex(folio_model *m) { m->obj_convex = 1; }
