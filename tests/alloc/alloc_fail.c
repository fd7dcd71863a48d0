/* The counters behind alloc_fail.h (allocation-failure injection). */
#define FOLIO_ALLOC_FAIL_IMPL
#include "alloc_fail.h"

#include <errno.h>
#include <execinfo.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static atomic_llong requests;
static long long fail_at = -1;   /* -1: not read yet; 0: never */
static int fail_after;           /* "k+": every request from k on fails */

/* ASan's symbolising stack printer when the process has one */
void __sanitizer_print_stack_trace(void) __attribute__((weak));

static void read_env(void)
{
    const char *s = getenv("FOLIO_FAIL_ALLOC_AT");
    char *end = NULL;
    long long k = s ? strtoll(s, &end, 10) : 0;
    fail_at = k > 0 ? k : 0;
    fail_after = fail_at && *end == '+';
}

int folio_alloc_fail_now(void)
{
    if (fail_at < 0) read_env();
    long long n = atomic_fetch_add(&requests, 1) + 1;
    if (fail_at == 0 || n < fail_at || (n > fail_at && !fail_after)) return 0;
    if (n == fail_at && getenv("FOLIO_FAIL_ALLOC_TRACE")) {
        fprintf(stderr, "alloc_fail: failing allocation %lld\n", n);
        if (__sanitizer_print_stack_trace) {
            __sanitizer_print_stack_trace();
        } else {
            void *frames[64];
            backtrace_symbols_fd(frames, backtrace(frames, 64), STDERR_FILENO);
        }
    }
    errno = ENOMEM;
    return 1;
}

void *folio_af_malloc(size_t n) { return folio_alloc_fail_now() ? NULL : malloc(n); }
void *folio_af_calloc(size_t n, size_t size) { return folio_alloc_fail_now() ? NULL : calloc(n, size); }
void *folio_af_realloc(void *p, size_t n) { return folio_alloc_fail_now() ? NULL : realloc(p, n); }

void *folio_af_raw_malloc(size_t n) { return malloc(n); }
void *folio_af_raw_realloc(void *p, size_t n) { return realloc(p, n); }

char *folio_af_strdup(const char *s)
{
    size_t n = strlen(s) + 1;
    char *d = folio_af_malloc(n);
    return d ? memcpy(d, s, n) : NULL;
}

__attribute__((destructor)) static void write_count(void)
{
    const char *path = getenv("FOLIO_ALLOC_COUNT_FILE");
    if (!path) return;
    FILE *f = fopen(path, "w");
    if (!f) return;
    fprintf(f, "%lld\n", (long long)atomic_load(&requests));
    fclose(f);
}
