/* folio.core progress, log, verbosity and interrupt functions over the
 * core's (include/folio/folio.h, docs/progress.md). */
#ifndef FOLIO_LPROGRESS_H
#define FOLIO_LPROGRESS_H

#include <lua.h>

int luaopen_folio_progress(lua_State *L);

/* Raises "interrupted by the user (WHERE)" once folio_interrupt() was
 * called; returns otherwise. Free what C holds before calling it. */
void lprogress_check_interrupt(lua_State *L, const char *where);

#endif
