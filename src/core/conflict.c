/* Conflicts (include/folio/conflict.h): an irreducible infeasible subset of
 * rows and bounds by a deletion filter over a feasibility copy of the
 * model. Items are tested in halving chunks, so dropping a large
 * irrelevant block costs one solve and each item of the conflict about
 * log2(items) solves. */
#include "folio/conflict.h"
#include "model_internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { KEPT = 0, DROPPED = 1 };

typedef struct search {
    const folio_model *m;       /* the user's model: the bounds to restore */
    folio_model *f;             /* its feasibility copy, relaxed in place */
    const folio_conflict_options *o;
    folio_conflict_item *items;
    unsigned char *state;       /* per item: KEPT or DROPPED */
    size_t nitems;
    double deadline;            /* folio_now() limit, or HUGE_VAL */
    long solves;
    folio_status stopped;       /* why the search stopped early, or OPTIMAL */
    char why[200];
} search;

void folio_conflict_options_default(folio_conflict_options *o)
{
    memset(o, 0, sizeof *o);
}

void folio_conflict_free(folio_conflict *c)
{
    if (!c) return;
    free(c->items);
    c->items = NULL;
    c->n = 0;
}

/* binary columns keep their 0/1 bounds: they are the column's kind */
static int bounds_are_kind(const folio_model *m, size_t j)
{
    return m->kind[j] == FOLIO_BINARY && m->lb[j] >= 0 && m->ub[j] <= 1;
}

/* The model's columns, rows and cones without its objective. */
static folio_model *feasibility_copy(folio_model *m)
{
    folio_model *f = folio_model_new(m->name);
    if (!f) return NULL;
    for (size_t j = 0; j < m->ncols; j++)
        if (folio_model_add_col(f, FOLIO_NAME(m, m->col_name[j]), m->lb[j], m->ub[j], (folio_kind)m->kind[j]) < 0)
            goto fail;
    for (size_t i = 0; i < m->nrows; i++) {
        size_t s = m->row_start[i], n = m->row_start[i + 1] - s;
        if (folio_model_add_row(f, FOLIO_NAME(m, m->row_name[i]), n, m->nz_idx + s, m->nz_val + s, m->lo[i],
                                m->hi[i]) < 0)
            goto fail;
    }
    for (size_t k = 0; k < m->ncones; k++) {
        size_t t = m->cone_start[k], members = m->cone_start[k + 1] - t - 1;
        size_t ts = m->aff_start[t], tn = m->aff_start[t + 1] - ts;
        if (folio_model_add_soc(f, FOLIO_NAME(m, m->cone_name[k]), members, m->aff_start + t + 1, m->aff_idx,
                                m->aff_val, m->aff_cst + t + 1, tn, m->aff_idx + ts, m->aff_val + ts,
                                m->aff_cst[t]) < 0)
            goto fail;
    }
    return f;
fail:
    folio_model_fail(m, f->err[0] ? FOLIO_ERR_INVALID : FOLIO_ERR_NOMEM, "conflict: copying the model: %s", f->err);
    folio_model_free(f);
    return NULL;
}

/* Sets item k's rows and bounds relaxed (relax = 1) or as in the model. */
static void set_item(search *s, size_t k, int relax)
{
    const folio_model *m = s->m;
    folio_model *f = s->f;
    folio_conflict_item it = s->items[k];
    switch (it.part) {
    case FOLIO_CONFLICT_ROW:
        f->lo[it.index] = relax ? -HUGE_VAL : m->lo[it.index];
        f->hi[it.index] = relax ? HUGE_VAL : m->hi[it.index];
        break;
    case FOLIO_CONFLICT_COL_LOWER: f->lb[it.index] = relax ? -HUGE_VAL : m->lb[it.index]; break;
    case FOLIO_CONFLICT_COL_UPPER: f->ub[it.index] = relax ? HUGE_VAL : m->ub[it.index]; break;
    case FOLIO_CONFLICT_GROUP: {
        int g = (int)it.index;
        for (size_t i = 0; s->o->row_group && i < m->nrows; i++)
            if (s->o->row_group[i] == g) {
                f->lo[i] = relax ? -HUGE_VAL : m->lo[i];
                f->hi[i] = relax ? HUGE_VAL : m->hi[i];
            }
        for (size_t j = 0; s->o->col_group && j < m->ncols; j++)
            if (s->o->col_group[j] == g && !bounds_are_kind(m, j)) {
                f->lb[j] = relax ? -HUGE_VAL : m->lb[j];
                f->ub[j] = relax ? HUGE_VAL : m->ub[j];
            }
        break;
    }
    }
}

static void set_chunk(search *s, const size_t *cand, size_t n, int relax)
{
    for (size_t k = 0; k < n; k++) set_item(s, cand[k], relax);
}

/* 1 when the relaxed copy is infeasible, 0 when feasible, -1 when the
 * solve could not tell (s->stopped and s->why say why). */
static int infeasible(search *s)
{
    if (folio_interrupted()) {
        s->stopped = FOLIO_STATUS_INTERRUPTED;
        snprintf(s->why, sizeof s->why, "interrupted by the user");
        return -1;
    }
    folio_options o;
    folio_options_default(&o);
    o.solver = s->o->solver;
    if (s->deadline < HUGE_VAL) {
        o.time_limit = s->deadline - folio_now();
        if (o.time_limit <= 0) {
            s->stopped = FOLIO_STATUS_TIME_LIMIT;
            snprintf(s->why, sizeof s->why, "the time limit was reached");
            return -1;
        }
    }
    folio_result r;
    folio_error e = folio_solve(s->f, &o, &r);
    s->solves++;
    if (e != FOLIO_OK) {
        s->stopped = FOLIO_STATUS_NUMERICAL_ERROR;
        snprintf(s->why, sizeof s->why, "a feasibility solve failed: %.160s", folio_model_last_error(s->f));
        return -1;
    }
    folio_progress("conflict", "%ld feasibility solves", s->solves);
    int verdict;
    if (r.status == FOLIO_STATUS_INFEASIBLE || r.status == FOLIO_STATUS_INFEASIBLE_OR_UNBOUNDED)
        verdict = 1;   /* with no objective, "or unbounded" cannot be it */
    else if (r.has_solution || r.status == FOLIO_STATUS_OPTIMAL || r.status == FOLIO_STATUS_UNBOUNDED)
        verdict = 0;
    else {
        verdict = -1;
        s->stopped = r.status;
        snprintf(s->why, sizeof s->why, "a feasibility solve ended %s (%.120s)", folio_status_name(r.status),
                 r.message);
    }
    folio_result_free(&r);
    return verdict;
}

/* The deletion filter over cand[0..n). known_feasible: relaxing all of
 * cand at once is already known to leave the model feasible. Returns 0,
 * or -1 when a solve could not tell. */
static int filter(search *s, const size_t *cand, size_t n, int known_feasible)
{
    if (n == 0) return 0;
    if (!known_feasible) {
        set_chunk(s, cand, n, 1);
        int v = infeasible(s);
        if (v < 0) {
            set_chunk(s, cand, n, 0);
            return -1;
        }
        if (v == 1) {   /* still infeasible without them: none is needed */
            for (size_t k = 0; k < n; k++) s->state[cand[k]] = DROPPED;
            return 0;
        }
        set_chunk(s, cand, n, 0);
    }
    if (n == 1) return 0;   /* needed: relaxing it alone makes it feasible */
    size_t half = n / 2;
    int first_all_dropped = 1;
    if (filter(s, cand, half, 0)) return -1;
    for (size_t k = 0; k < half; k++)
        if (s->state[cand[k]] != DROPPED) first_all_dropped = 0;
    /* with the whole first half gone, relaxing the second is relaxing all
     * of cand, which is known to be feasible */
    return filter(s, cand + half, n - half, first_all_dropped);
}

/* The items of the search: groups, or every row and relaxable bound. */
static folio_error list_items(search *s, folio_model *m, const folio_conflict_options *o)
{
    int grouped = o->row_group || o->col_group;
    size_t cap = grouped ? o->ngroups : m->nrows + 2 * m->ncols;
    s->items = calloc(cap + 1, sizeof *s->items);
    s->state = calloc(cap + 1, 1);
    if (!s->items || !s->state) return folio_model_fail(m, FOLIO_ERR_NOMEM, "conflict: out of memory");
    if (grouped) {
        unsigned char *used = s->state;   /* borrowed, cleared below */
        for (size_t i = 0; o->row_group && i < m->nrows; i++)
            if (o->row_group[i] >= 0 && (isfinite(m->lo[i]) || isfinite(m->hi[i]))) used[o->row_group[i]] = 1;
        for (size_t j = 0; o->col_group && j < m->ncols; j++)
            if (o->col_group[j] >= 0 && !bounds_are_kind(m, j) && (isfinite(m->lb[j]) || isfinite(m->ub[j])))
                used[o->col_group[j]] = 1;
        for (size_t g = 0; g < o->ngroups; g++)
            if (used[g]) s->items[s->nitems++] = (folio_conflict_item){ FOLIO_CONFLICT_GROUP, g };
        memset(s->state, KEPT, cap + 1);
        return FOLIO_OK;
    }
    for (size_t i = 0; i < m->nrows; i++)
        if (isfinite(m->lo[i]) || isfinite(m->hi[i]))
            s->items[s->nitems++] = (folio_conflict_item){ FOLIO_CONFLICT_ROW, i };
    for (size_t j = 0; j < m->ncols; j++) {
        if (bounds_are_kind(m, j)) continue;
        if (isfinite(m->lb[j])) s->items[s->nitems++] = (folio_conflict_item){ FOLIO_CONFLICT_COL_LOWER, j };
        if (isfinite(m->ub[j])) s->items[s->nitems++] = (folio_conflict_item){ FOLIO_CONFLICT_COL_UPPER, j };
    }
    return FOLIO_OK;
}

static folio_error check_options(folio_model *m, const folio_conflict_options *o)
{
    if (isnan(o->time_limit)) return folio_model_fail(m, FOLIO_ERR_INVALID, "conflict: time_limit is not a number");
    for (size_t i = 0; o->row_group && i < m->nrows; i++)
        if (o->row_group[i] >= 0 && (size_t)o->row_group[i] >= o->ngroups)
            return folio_model_fail(m, FOLIO_ERR_INVALID, "conflict: row '%s' is in group %d of %zu",
                                    FOLIO_NAME(m, m->row_name[i]), o->row_group[i], o->ngroups);
    for (size_t j = 0; o->col_group && j < m->ncols; j++)
        if (o->col_group[j] >= 0 && (size_t)o->col_group[j] >= o->ngroups)
            return folio_model_fail(m, FOLIO_ERR_INVALID, "conflict: column '%s' is in group %d of %zu",
                                    FOLIO_NAME(m, m->col_name[j]), o->col_group[j], o->ngroups);
    return FOLIO_OK;
}

folio_error folio_model_conflict(folio_model *m, const folio_conflict_options *opts, folio_conflict *out)
{
    folio_conflict_options def;
    if (!opts) {
        folio_conflict_options_default(&def);
        opts = &def;
    }
    memset(out, 0, sizeof *out);
    folio_error e = check_options(m, opts);
    if (e) return e;
    double t0 = folio_now();
    search s = { .m = m, .o = opts, .deadline = opts->time_limit > 0 ? t0 + opts->time_limit : HUGE_VAL,
                 .stopped = FOLIO_STATUS_OPTIMAL };
    e = list_items(&s, m, opts);
    if (e == FOLIO_OK && !(s.f = feasibility_copy(m))) e = m->err[0] ? FOLIO_ERR_INVALID : FOLIO_ERR_NOMEM;
    if (e) {
        free(s.items);
        free(s.state);
        return e;
    }
    size_t *all = malloc((s.nitems + 1) * sizeof *all);
    if (!all) {
        free(s.items);
        free(s.state);
        folio_model_free(s.f);
        return folio_model_fail(m, FOLIO_ERR_NOMEM, "conflict: out of memory");
    }
    for (size_t k = 0; k < s.nitems; k++) all[k] = k;

    folio_progress_begin();
    int v = infeasible(&s);   /* the whole model first */
    if (v == 0) {
        out->status = FOLIO_STATUS_OPTIMAL;
        snprintf(out->message, sizeof out->message, "the model is feasible: there is no conflict");
    } else if (v < 0) {
        out->status = s.stopped;
        snprintf(out->message, sizeof out->message, "no conflict: %.150s before the model was proven infeasible",
                 s.why);
    } else {
        int done = filter(&s, all, s.nitems, 0) == 0;
        out->status = done ? FOLIO_STATUS_INFEASIBLE : s.stopped;
        out->irreducible = done;
        for (size_t k = 0; k < s.nitems; k++)
            if (s.state[k] == KEPT) s.items[out->n++] = s.items[k];
        if (done && out->n == 0)
            snprintf(out->message, sizeof out->message, "infeasible with every %s relaxed: the conflict is in "
                     "what is never relaxed (integrality, cones, rows kept enforced)",
                     s.o->row_group || s.o->col_group ? "group" : "row and bound");
        else if (done)
            snprintf(out->message, sizeof out->message, "%zu %s in an irreducible infeasible subset", out->n,
                     s.o->row_group || s.o->col_group ? "groups" : "rows and bounds");
        else
            snprintf(out->message, sizeof out->message,
                     "search stopped (%.150s): %zu items still suspected, not irreducible", s.why, out->n);
    }
    folio_progress_done();
    out->items = s.items;
    out->solves = s.solves;
    out->seconds = folio_now() - t0;
    free(all);
    free(s.state);
    folio_model_free(s.f);
    return FOLIO_OK;
}
