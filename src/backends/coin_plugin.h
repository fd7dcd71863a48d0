/* The COIN-OR backends (Cbc and Clp) live in a plugin, folio_coin.so,
 * loaded with dlopen on their first use (src/backends/coin_loader.c): the
 * dynamic loader's work on Cbc's C++ libraries was most of the start-up
 * time of every folio process (docs/benchmarks.md, "Start-up").
 *
 * The plugin calls back into folio only through the table below, which
 * the loader hands over: the plugin keeps its own copies of nothing that
 * holds state (the interrupt flag, the budget, the progress line all stay
 * in the loading object), and it needs no symbol exported by the object
 * that loads it (the Python module and libfolio export only their API).
 * Not public. */
#ifndef FOLIO_COIN_PLUGIN_H
#define FOLIO_COIN_PLUGIN_H

#include "backend.h"
#include "lazy_ranges.h"

/* Bumped whenever this table, or a struct the plugin reads (folio_model,
 * folio_options, folio_result), changes shape; the sizes are checked too. */
#define FOLIO_COIN_ABI 2

/* The file name, and the function the plugin exports. */
#define FOLIO_COIN_PLUGIN_FILE "folio_coin.so"
#define FOLIO_COIN_PLUGIN_ENTRY "folio_coin_plugin_open"

/* The backends' names and caps: the loader answers for them before the
 * plugin is loaded. */
#define FOLIO_COIN_CBC_CAPS (FOLIO_CAP_LP | FOLIO_CAP_MIP | FOLIO_CAP_MIP_START)
#define FOLIO_COIN_CLP_CAPS (FOLIO_CAP_LP | FOLIO_CAP_DUALS | FOLIO_CAP_RANGES)

typedef struct folio_coin_host {
    int abi;
    size_t model_size, options_size, result_size;
    /* folio_model_fail and folio_progress with the message formatted */
    folio_error (*model_fail)(folio_model *m, folio_error e, const char *fmt, ...);
    int (*progress_due)(void);
    void (*progress)(const char *what, const char *fmt, ...);
    int (*verbosity)(void);
    int (*interrupted)(void);
    int (*poll)(void);
    double (*now)(void);
    const char *(*status_message)(folio_status s);
    folio_error (*result_alloc)(folio_result *res, size_t ncols, size_t nrows);
    folio_basis *(*basis_new)(const folio_model *m);
    void (*basis_free)(folio_basis *b);
    void (*basis_keep)(folio_basis *b);
    folio_error (*basis_ranges_why)(folio_model *m, const folio_basis *b, folio_result *res, char *why,
                                    size_t len);
} folio_coin_host;

typedef struct folio_coin_plugin {
    int abi;
    const folio_backend *cbc, *clp;
} folio_coin_plugin;

/* The plugin's own backends (cbc_solve.c, clp_solve.c). */
extern const folio_backend folio_coin_backend_cbc, folio_coin_backend_clp;

/* The plugin's entry: keeps host (which must outlive the plugin) and
 * returns its backends; NULL when host's ABI or sizes are not its own. */
typedef const folio_coin_plugin *(*folio_coin_plugin_open_fn)(const folio_coin_host *host);

#endif
