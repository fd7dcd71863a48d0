/* Backend registry, dispatch, options, results and messages. */
#include "../backends/backend.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const folio_backend *const backends[] = { &folio_backend_glpk, &folio_backend_qp,
                                                  &folio_backend_cbc, NULL };
static const char *const backend_names[] = { "glpk", "qp", "cbc", NULL };

/* The automatic choice for models with integer columns and no quadratic
 * terms or cones (LPs stay with GLPK). */
static const folio_backend *const default_mip = &folio_backend_glpk;

const char *const *folio_backends(void) { return backend_names; }

double folio_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

const char *folio_error_message(folio_error e)
{
    switch (e) {
    case FOLIO_OK: return "no error";
    case FOLIO_ERR_NOMEM: return "out of memory";
    case FOLIO_ERR_INVALID: return "invalid model or argument";
    case FOLIO_ERR_UNSUPPORTED: return "the solver does not support this model";
    case FOLIO_ERR_IO: return "file could not be read or written";
    case FOLIO_ERR_PARSE: return "file could not be parsed";
    case FOLIO_ERR_BACKEND: return "the solver library failed";
    case FOLIO_ERR_NOT_FOUND: return "not found";
    }
    return "unknown error";
}

const char *folio_status_name(folio_status s)
{
    switch (s) {
    case FOLIO_STATUS_UNSOLVED: return "unsolved";
    case FOLIO_STATUS_OPTIMAL: return "optimal";
    case FOLIO_STATUS_INFEASIBLE: return "infeasible";
    case FOLIO_STATUS_UNBOUNDED: return "unbounded";
    case FOLIO_STATUS_INFEASIBLE_OR_UNBOUNDED: return "infeasible_or_unbounded";
    case FOLIO_STATUS_TIME_LIMIT: return "time_limit";
    case FOLIO_STATUS_ITERATION_LIMIT: return "iteration_limit";
    case FOLIO_STATUS_NUMERICAL_ERROR: return "numerical_error";
    }
    return "unknown";
}

const char *folio_status_message(folio_status s)
{
    switch (s) {
    case FOLIO_STATUS_UNSOLVED: return "the model has not been solved";
    case FOLIO_STATUS_OPTIMAL: return "an optimal solution was found";
    case FOLIO_STATUS_INFEASIBLE: return "no solution satisfies all constraints";
    case FOLIO_STATUS_UNBOUNDED: return "the objective can improve without limit";
    case FOLIO_STATUS_INFEASIBLE_OR_UNBOUNDED:
        return "the relaxation has no bounded optimum: the model is infeasible or unbounded";
    case FOLIO_STATUS_TIME_LIMIT: return "the time limit was reached before optimality was proven";
    case FOLIO_STATUS_ITERATION_LIMIT: return "the iteration limit was reached";
    case FOLIO_STATUS_NUMERICAL_ERROR: return "the solver failed for numerical reasons";
    }
    return "unknown status";
}

void folio_options_default(folio_options *o)
{
    memset(o, 0, sizeof *o);
    o->solver = NULL;
    o->time_limit = 0;
    o->mip_gap = -1;
    o->iteration_limit = 0;
    o->presolve = 0;
    o->method = FOLIO_LP_SIMPLEX;
    o->verbose = 0;
    o->mip_duals = 0;
    o->ranges = 0;
    o->mip_start = NULL;
}

folio_error folio_result_alloc(folio_result *res, size_t ncols, size_t nrows)
{
    res->ncols = ncols;
    res->nrows = nrows;
    /* +1 so that empty models still get valid pointers */
    res->x = calloc(ncols + 1, sizeof *res->x);
    res->reduced_cost = calloc(ncols + 1, sizeof *res->reduced_cost);
    res->row_activity = calloc(nrows + 1, sizeof *res->row_activity);
    res->row_dual = calloc(nrows + 1, sizeof *res->row_dual);
    if (!res->x || !res->reduced_cost || !res->row_activity || !res->row_dual)
        return FOLIO_ERR_NOMEM;
    return FOLIO_OK;
}

void folio_result_free(folio_result *r)
{
    if (!r) return;
    free(r->x); free(r->reduced_cost); free(r->row_activity); free(r->row_dual);
    free(r->obj_lo); free(r->obj_hi); free(r->rhs_lo); free(r->rhs_hi); free(r->cone_dual);
    r->x = r->reduced_cost = r->row_activity = r->row_dual = NULL;
    r->obj_lo = r->obj_hi = r->rhs_lo = r->rhs_hi = r->cone_dual = NULL;
}

/* The backend named (or chosen for m); NULL with *err and m's message set. */
static const folio_backend *find_backend(folio_model *m, const char *name, folio_error *err)
{
    if (!name || !*name || !strcmp(name, "auto")) {
        if (m->nq || m->ncones) return &folio_backend_qp;
        return m->nint ? default_mip : &folio_backend_glpk;
    }
    for (size_t i = 0; backends[i]; i++)
        if (!strcmp(backends[i]->name, name)) return backends[i];
    char list[64] = "";
    for (size_t i = 0; backend_names[i]; i++) {
        size_t len = strlen(list);
        snprintf(list + len, sizeof list - len, "%s%s", i ? ", " : "", backend_names[i]);
    }
    *err = folio_model_fail(m, FOLIO_ERR_NOT_FOUND, "unknown solver '%s' (available: %s)", name, list);
    return NULL;
}

folio_error folio_solve(folio_model *m, const folio_options *opts, folio_result *res)
{
    folio_options def;
    if (!opts) {
        folio_options_default(&def);
        opts = &def;
    }
    memset(res, 0, sizeof *res);
    if (isnan(opts->time_limit) || isnan(opts->mip_gap))
        return folio_model_fail(m, FOLIO_ERR_INVALID, "solve options: time_limit and mip_gap must be numbers");
    if (opts->mip_start)
        for (size_t j = 0; j < m->ncols; j++)
            if (isinf(opts->mip_start[j]))
                return folio_model_fail(m, FOLIO_ERR_INVALID, "solve options: mip_start value of '%s' is "
                                        "infinite (NAN leaves a column unset)", FOLIO_NAME(m, m->col_name[j]));
    folio_error e = FOLIO_OK;
    const folio_backend *b = find_backend(m, opts->solver, &e);
    if (!b) return e;
    e = b->solve(m, opts, res);
    if (e != FOLIO_OK) folio_result_free(res);
    return e;
}

folio_error folio_lower(folio_model *m, const char *solver, int skip_cones, double *seconds)
{
    folio_error e = FOLIO_OK;
    /* the linear part of a model goes to GLPK when no solver is named */
    if (skip_cones && (!solver || !*solver || !strcmp(solver, "auto"))) solver = "glpk";
    const folio_backend *b = find_backend(m, solver, &e);
    if (!b) return e;
    return b->lower(m, skip_cones, seconds);
}
