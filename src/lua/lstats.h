/* Covariance kernels of the risk estimators (see lstats.c). */
#ifndef FOLIO_LSTATS_H
#define FOLIO_LSTATS_H

#include <lua.h>

int luaopen_folio_stats(lua_State *L);

#endif
