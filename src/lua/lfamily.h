/* Index sets, their Cartesian products, and variable families: nested Lua
 * tables whose metatable knows the family's name and sets, so lookups of
 * unknown keys fail loudly and iteration follows the sets' order. */
#ifndef FOLIO_LFAMILY_H
#define FOLIO_LFAMILY_H

#include <lua.h>
#include <lauxlib.h>
#include <stddef.h>

/* Callback with keys (and, for products with a function, the function
 * below them) on the stack top: see each function for what it must pop. */
typedef void (*folio_keys_cb)(lua_State *L, void *ud, int nkeys);

/* Normalises the value at idx to a list of sets and pushes it: a set is a
 * sequence of string/number keys; {S1, S2} is a list of sets. nil gives an
 * empty list (a scalar). Keys must be unique. Returns the number of sets. */
int folio_sets_push(lua_State *L, int idx, const char *what, int allow_empty);

/* Callback for a tuple of a product; text is the keys formatted as in
 * names, "k1,k2,...", valid during the call. */
typedef void (*folio_tuple_cb)(lua_State *L, void *ud, int nkeys, const char *text, size_t len);

/* For each tuple of the product of the sets at idx (raw value, normalised
 * here): pushes fn (when fn_idx != 0) and the keys, then calls cb, which
 * must pop them all (fn and keys). */
void folio_product_each(lua_State *L, int sets_idx, int fn_idx, const char *what,
                        folio_tuple_cb cb, void *ud);

/* For each leaf of a family (or of a plain table of values), in set order:
 * pushes the keys (only when need_keys; nkeys is 0 otherwise) and then the
 * value, calls cb, and pops them afterwards. */
void folio_family_each(lua_State *L, int idx, const char *what, int need_keys, folio_keys_cb cb,
                       void *ud);

/* Builds a family named name over the normalised list of sets at
 * sets_idx: for each tuple cb must push exactly one value (the leaf); the
 * keys are pushed before the call only when need_keys (cb leaves them).
 * Garbage collection pauses meanwhile: the build makes no garbage. Pushes
 * the family. */
void folio_family_build(lua_State *L, const char *name, int sets_idx, int need_keys,
                        folio_tuple_cb cb, void *ud);

/* 1 if the table at idx is a family (any level). */
int folio_is_family(lua_State *L, int idx);

/* Appends "k1,k2,..." for the nkeys keys at the stack top to buf at *len
 * (cap bytes, NUL-terminated); returns -1 if a key is not a string or
 * number or the buffer is too small. */
int folio_keys_format(lua_State *L, int nkeys, char *buf, size_t *len, size_t cap);

#endif
