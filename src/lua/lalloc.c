/* The host's Lua allocator: small blocks come from per-size free lists
 * carved out of 64 KiB slabs (model building makes millions of short-lived
 * expression objects, which malloc serves slowly), larger ones from
 * malloc. It counts the bytes in use and refuses to pass a limit. */
#include "lalloc.h"

#include <stdlib.h>
#include <string.h>

#ifdef FOLIO_ALLOC_FAIL
/* Allocation-failure injection (tests/alloc/alloc_fail.h): alloc_fn counts
 * each growing request once, so the blocks it takes from malloc are not
 * counted again. */
#undef malloc
#undef realloc
#define malloc(n) folio_af_raw_malloc(n)
#define realloc(p, n) folio_af_raw_realloc(p, n)
#endif

#define CLASS_SIZE 16
#ifdef FOLIO_NO_POOL                   /* sanitizer builds: every block from malloc */
#define NCLASS 0
#else
#define NCLASS 16                      /* blocks up to 256 bytes */
#endif
#define SMALL_MAX (CLASS_SIZE * NCLASS)
#define SLAB_SIZE (64 * 1024)

struct folio_alloc {
    size_t used, limit;
    int refused;                       /* a request failed the limit */
    void *free_list[NCLASS + 1];
    char *slab, *slab_end;
    void **slabs;
    size_t nslabs, slab_cap;
};

static size_t class_of(size_t size) { return (size - 1) / CLASS_SIZE; }

static void *small_alloc(folio_alloc *a, size_t size)
{
    size_t k = class_of(size);
    void *p = a->free_list[k];
    if (p) {
        memcpy(&a->free_list[k], p, sizeof(void *));
        return p;
    }
    size_t bytes = (k + 1) * CLASS_SIZE;
    if ((size_t)(a->slab_end - a->slab) < bytes) {
        if (a->nslabs == a->slab_cap) {
            size_t cap = a->slab_cap ? 2 * a->slab_cap : 16;
            void **s = realloc(a->slabs, cap * sizeof *s);
            if (!s) return NULL;
            a->slabs = s;
            a->slab_cap = cap;
        }
        char *slab = malloc(SLAB_SIZE);
        if (!slab) return NULL;
        a->slabs[a->nslabs++] = slab;
        a->slab = slab;
        a->slab_end = slab + SLAB_SIZE;
    }
    p = a->slab;
    a->slab += bytes;
    return p;
}

static void small_free(folio_alloc *a, void *p, size_t size)
{
    size_t k = class_of(size);
    memcpy(p, &a->free_list[k], sizeof(void *));
    a->free_list[k] = p;
}

static void *alloc_fn(void *ud, void *ptr, size_t osize, size_t nsize)
{
    folio_alloc *a = ud;
    if (!ptr) osize = 0;          /* then osize holds the object's type */
    if (nsize == 0) {
        if (ptr) {
            if (osize <= SMALL_MAX) small_free(a, ptr, osize);
            else free(ptr);
            a->used -= osize;
        }
        return NULL;
    }
#ifdef FOLIO_ALLOC_FAIL
    if (nsize > osize && folio_alloc_fail_now()) return NULL;   /* Lua needs shrinking to succeed */
#endif
    if (a->limit && nsize > osize && a->used + (nsize - osize) > a->limit) {
        a->refused = 1;
        return NULL;
    }
    void *q;
    if (ptr && osize <= SMALL_MAX && nsize <= SMALL_MAX && class_of(osize) == class_of(nsize)) {
        q = ptr;
    } else if (ptr && osize > SMALL_MAX && nsize > SMALL_MAX) {
        q = realloc(ptr, nsize);
        if (!q) return NULL;
    } else {
        q = nsize <= SMALL_MAX ? small_alloc(a, nsize) : malloc(nsize);
        if (!q) return NULL;
        if (ptr) {
            memcpy(q, ptr, osize < nsize ? osize : nsize);
            if (osize <= SMALL_MAX) small_free(a, ptr, osize);
            else free(ptr);
        }
    }
    a->used += nsize - osize;
    return q;
}

lua_State *folio_alloc_newstate(folio_alloc **out, size_t limit)
{
    folio_alloc *a = calloc(1, sizeof *a);
    if (!a) return NULL;
    a->limit = limit;
    lua_State *L = lua_newstate(alloc_fn, a);
    if (!L) {
        folio_alloc_free(a);
        return NULL;
    }
    *out = a;
    return L;
}

size_t folio_alloc_used(const folio_alloc *a) { return a->used; }
size_t folio_alloc_limit(const folio_alloc *a) { return a->limit; }
void folio_alloc_set_limit(folio_alloc *a, size_t limit) { a->limit = limit; a->refused = 0; }
int folio_alloc_refused(const folio_alloc *a) { return a->refused; }

void folio_alloc_free(folio_alloc *a)
{
    if (!a) return;
    for (size_t i = 0; i < a->nslabs; i++) free(a->slabs[i]);
    free(a->slabs);
    free(a);
}
