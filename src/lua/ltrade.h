/* folio.core.trade: price scenarios and the scenario evaluation of account
 * limits for the trade assigner (ltrade.c, lua/folio/trade.lua). */
#ifndef FOLIO_LTRADE_H
#define FOLIO_LTRADE_H

#include <lua.h>

int luaopen_folio_trade(lua_State *L);

#endif
