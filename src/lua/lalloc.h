/* A counting Lua allocator with pooled small blocks (see lalloc.c). */
#ifndef FOLIO_LALLOC_H
#define FOLIO_LALLOC_H

#include <lua.h>
#include <stddef.h>

typedef struct folio_alloc folio_alloc;

/* A new Lua state using the pooled allocator; limit is a cap on the bytes
 * in use (0 for none). Close the state with lua_close, then free *out. */
lua_State *folio_alloc_newstate(folio_alloc **out, size_t limit);
size_t folio_alloc_used(const folio_alloc *a);
size_t folio_alloc_limit(const folio_alloc *a);
/* A new cap (0 for none); clears the refused flag. */
void folio_alloc_set_limit(folio_alloc *a, size_t limit);
/* Whether a request was refused for passing the cap since it was set. */
int folio_alloc_refused(const folio_alloc *a);
void folio_alloc_free(folio_alloc *a);

#endif
