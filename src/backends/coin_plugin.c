/* The entry of the COIN-OR plugin (folio_coin.so; see coin_plugin.h), and
 * the folio functions that cbc_model.c, cbc_solve.c and clp_solve.c call,
 * forwarded to the loading object's through its table. Every symbol here
 * but the entry is local to the plugin (cmake/coin_plugin.map). */
#include "coin_plugin.h"

#include <stdarg.h>
#include <stdio.h>

static const folio_coin_host *host;

__attribute__((visibility("default"))) const folio_coin_plugin *folio_coin_plugin_open(const folio_coin_host *h);

const folio_coin_plugin *folio_coin_plugin_open(const folio_coin_host *h)
{
    static const folio_coin_plugin plugin = { FOLIO_COIN_ABI, &folio_coin_backend_cbc, &folio_coin_backend_clp };
    if (!h || h->abi != FOLIO_COIN_ABI || h->model_size != sizeof(folio_model) ||
        h->options_size != sizeof(folio_options) || h->result_size != sizeof(folio_result))
        return NULL;
    host = h;
    return &plugin;
}

folio_error folio_model_fail(folio_model *m, folio_error e, const char *fmt, ...)
{
    char msg[sizeof m->err];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return host->model_fail(m, e, "%s", msg);
}

void folio_progress(const char *what, const char *fmt, ...)
{
    if (!host->progress_due()) return;
    char msg[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    host->progress(what, "%s", msg);
}

int folio_verbosity(void) { return host->verbosity(); }
int folio_interrupted(void) { return host->interrupted(); }
int folio_poll(void) { return host->poll(); }
double folio_now(void) { return host->now(); }
const char *folio_status_message(folio_status s) { return host->status_message(s); }

folio_error folio_result_alloc(folio_result *res, size_t ncols, size_t nrows)
{
    return host->result_alloc(res, ncols, nrows);
}

folio_basis *folio_basis_new(const folio_model *m) { return host->basis_new(m); }
void folio_basis_free(folio_basis *b) { host->basis_free(b); }
void folio_basis_keep(folio_basis *b) { host->basis_keep(b); }

folio_error folio_basis_ranges_why(folio_model *m, const folio_basis *b, folio_result *res, char *why, size_t len)
{
    return host->basis_ranges_why(m, b, res, why, len);
}
