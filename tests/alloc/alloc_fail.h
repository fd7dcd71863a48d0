/* Allocation-failure injection (cmake -DFOLIO_ALLOC_FAIL=ON; see
 * docs/reliability.md, "Allocation failures").
 *
 * In that build this header is force-included (-include) into every C file
 * of folio: malloc, calloc, realloc and strdup become the counting versions
 * below, and src/lua/lalloc.c counts every growing request to the Lua
 * allocator. Every counted request has a number, from 1, in the order the
 * process makes them;
 *   FOLIO_FAIL_ALLOC_AT=k          request k fails (returns NULL, errno ENOMEM)
 *   FOLIO_FAIL_ALLOC_AT=k+         request k and every later one fail (memory
 *                                  has run out for good)
 *   FOLIO_FAIL_ALLOC_TRACE=1       prints the stack of the failed request
 *   FOLIO_ALLOC_COUNT_FILE=PATH    at exit, writes the number of requests
 * The solver libraries' own allocations (GLPK, Cbc, GSL) are not counted:
 * only folio's code and its Lua state.
 *
 * No system header is included here: a file may still choose its feature
 * macros (_XOPEN_SOURCE) before its first include. The macros are
 * function-like, so a later <stdlib.h> declares folio_af_malloc with
 * malloc's own attributes, which is compatible. */
#ifndef FOLIO_ALLOC_FAIL_H
#define FOLIO_ALLOC_FAIL_H

#include <stddef.h>

/* Counts one request; 1 when it is the one to fail. */
int folio_alloc_fail_now(void);

void *folio_af_malloc(size_t n);
void *folio_af_calloc(size_t n, size_t size);
void *folio_af_realloc(void *p, size_t n);
char *folio_af_strdup(const char *s);
/* malloc and realloc themselves, uncounted: for the Lua allocator, which
 * counts its requests itself (src/lua/lalloc.c) */
void *folio_af_raw_malloc(size_t n);
void *folio_af_raw_realloc(void *p, size_t n);

#ifndef FOLIO_ALLOC_FAIL_IMPL
#define malloc(n) folio_af_malloc(n)
#define calloc(n, size) folio_af_calloc(n, size)
#define realloc(p, n) folio_af_realloc(p, n)
#define strdup(s) folio_af_strdup(s)
#endif

#endif
