/* The cbc and clp backends as the registry sees them (solve.c): their
 * names and caps are answered here, and their first solve or lower loads
 * the plugin folio_coin.so (coin_plugin.h) with dlopen and forwards to it.
 * A process that never uses them never loads Cbc's C++ libraries.
 *
 * Where the plugin is looked for, in order:
 *   FOLIO_BACKEND_DIR, when set: that directory only;
 *   otherwise beside the object holding this code (the folio executable,
 *   libfolio.so, the Lua module folio.so or the Python extension), then in
 *   the places an install puts it relative to that object (lib/folio from
 *   bin/ and from lib/, and from the Lua module's directory), then the
 *   configured install directory, then the build tree. */
#define _GNU_SOURCE 1
#include "coin_plugin.h"

#include <dlfcn.h>
#include <stdarg.h>
#include <limits.h>
#include <link.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifndef FOLIO_COIN_RELATIVE_DIRS
#define FOLIO_COIN_RELATIVE_DIRS ".", "folio", ".."
#endif
#ifndef FOLIO_COIN_INSTALL_DIR
#define FOLIO_COIN_INSTALL_DIR ""
#endif
#ifndef FOLIO_COIN_BUILD_DIR
#define FOLIO_COIN_BUILD_DIR ""
#endif

static folio_error fail_fmt(folio_model *m, folio_error e, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

static folio_error fail_fmt(folio_model *m, folio_error e, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(m->err, sizeof m->err, fmt, ap);
    va_end(ap);
    return e;
}

static void progress_fmt(const char *what, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

static void progress_fmt(const char *what, const char *fmt, ...)
{
    char msg[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    folio_progress(what, "%s", msg);
}

static const folio_coin_host host = {
    FOLIO_COIN_ABI, sizeof(folio_model), sizeof(folio_options), sizeof(folio_result),
    fail_fmt, folio_progress_due, progress_fmt, folio_verbosity, folio_interrupted, folio_poll,
    folio_now, folio_status_message, folio_result_alloc,
    folio_basis_new, folio_basis_free, folio_basis_keep, folio_basis_ranges_why,
};

static pthread_once_t load_once = PTHREAD_ONCE_INIT;
static const folio_coin_plugin *plugin;
static char load_error[480];

/* The directory of the object holding this code, in dir; 0 if unknown. */
static int own_dir(char *dir, size_t len)
{
    Dl_info info;
    struct link_map *map = NULL;
    char path[PATH_MAX];
    if (!dladdr1((void *)own_dir, &info, (void **)&map, RTLD_DL_LINKMAP)) return 0;
    /* the main program's link map has an empty name; dli_fname is then
     * argv[0], which need not be a path */
    const char *name = map && map->l_name && *map->l_name ? map->l_name : "/proc/self/exe";
    if (!realpath(name, path)) return 0;
    char *slash = strrchr(path, '/');
    if (!slash) return 0;
    *slash = '\0';
    return snprintf(dir, len, "%s", path[0] ? path : "/") < (int)len;
}

/* Tries dir/folio_coin.so: 1 when it loaded (or failed in a way worth
 * reporting, with load_error set), 0 when there is no such file. */
static int try_dir(const char *dir)
{
    char path[PATH_MAX];
    if (!*dir || snprintf(path, sizeof path, "%s/%s", dir, FOLIO_COIN_PLUGIN_FILE) >= (int)sizeof path) return 0;
    if (access(path, F_OK) != 0) return 0;
    void *h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (!h) {
        /* dlerror names the file and the library that is missing */
        snprintf(load_error, sizeof load_error, "the COIN-OR backend could not be loaded: %s", dlerror());
        return 1;
    }
    folio_coin_plugin_open_fn open_fn;
    *(void **)&open_fn = dlsym(h, FOLIO_COIN_PLUGIN_ENTRY);
    if (!open_fn) {
        snprintf(load_error, sizeof load_error, "the COIN-OR backend %.300s has no entry %s: reinstall folio", path,
                 FOLIO_COIN_PLUGIN_ENTRY);
        dlclose(h);
        return 1;
    }
    const folio_coin_plugin *p = open_fn(&host);
    if (!p) {
        snprintf(load_error, sizeof load_error,
                 "the COIN-OR backend %.300s is not this folio's (built from other sources): reinstall folio", path);
        dlclose(h);
        return 1;
    }
    plugin = p;   /* never unloaded */
    return 1;
}

static void load(void)
{
    const char *env = getenv("FOLIO_BACKEND_DIR");
    char looked[300] = "", dir[PATH_MAX], sub[PATH_MAX + 16];
    if (env && *env) {
        if (!try_dir(env))
            snprintf(load_error, sizeof load_error,
                     "the COIN-OR backend %s is not in FOLIO_BACKEND_DIR (%.200s)", FOLIO_COIN_PLUGIN_FILE, env);
        return;
    }
    if (own_dir(dir, sizeof dir)) {
        static const char *const rel[] = { FOLIO_COIN_RELATIVE_DIRS };
        for (size_t i = 0; i < sizeof rel / sizeof *rel; i++) {
            if (!strcmp(rel[i], ".")) snprintf(sub, sizeof sub, "%s", dir);
            else snprintf(sub, sizeof sub, "%s/%s", dir, rel[i]);
            if (try_dir(sub)) return;
        }
        snprintf(looked, sizeof looked, "%.200s and beside it", dir);
    }
    if (try_dir(FOLIO_COIN_INSTALL_DIR) || try_dir(FOLIO_COIN_BUILD_DIR)) return;
    snprintf(load_error, sizeof load_error,
             "the COIN-OR backend %s (Cbc and Clp) was not found (looked in %.220s%s%.100s): reinstall "
             "folio, or set FOLIO_BACKEND_DIR to its directory",
             FOLIO_COIN_PLUGIN_FILE, looked, looked[0] ? ", " : "", FOLIO_COIN_INSTALL_DIR);
}

/* The plugin's backend for which (0 cbc, 1 clp), loading it on first use;
 * NULL with m's message set. */
static const folio_backend *coin(folio_model *m, int which, folio_error *err)
{
    pthread_once(&load_once, load);
    if (!plugin) {
        *err = fail_fmt(m, FOLIO_ERR_BACKEND, "%s", load_error);
        return NULL;
    }
    return which ? plugin->clp : plugin->cbc;
}

static folio_error cbc_solve(folio_model *m, const folio_options *o, folio_result *res)
{
    folio_error e = FOLIO_OK;
    const folio_backend *b = coin(m, 0, &e);
    return b ? b->solve(m, o, res) : e;
}

static folio_error cbc_lower(folio_model *m, double *seconds)
{
    folio_error e = FOLIO_OK;
    const folio_backend *b = coin(m, 0, &e);
    return b ? b->lower(m, seconds) : e;
}

static folio_error clp_solve(folio_model *m, const folio_options *o, folio_result *res)
{
    folio_error e = FOLIO_OK;
    const folio_backend *b = coin(m, 1, &e);
    return b ? b->solve(m, o, res) : e;
}

static folio_error clp_lower(folio_model *m, double *seconds)
{
    folio_error e = FOLIO_OK;
    const folio_backend *b = coin(m, 1, &e);
    return b ? b->lower(m, seconds) : e;
}

const folio_backend folio_backend_cbc = { "cbc", FOLIO_COIN_CBC_CAPS, cbc_solve, cbc_lower };
const folio_backend folio_backend_clp = { "clp", FOLIO_COIN_CLP_CAPS, clp_solve, clp_lower };
