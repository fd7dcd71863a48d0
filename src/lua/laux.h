/* laux: the checks every folio binding uses on its arguments, in the
 * spirit of lauxlib's luaL_check*: option tables, vectors and matrices of
 * numbers, and typed options, each written once with one message format.
 *
 * fn names the function in messages ("solve", "cim.solve"); arg or key
 * names the argument or option. Positions in messages are 1-based. Every
 * error is raised with luaL_error, so it carries the location of the Lua
 * code that called the binding. Arrays are read into userdata pushed on
 * the stack (collected with it), so a raised error never leaks them. */
#ifndef FOLIO_LAUX_H
#define FOLIO_LAUX_H

#include <lua.h>
#include <stddef.h>

/* The table at idx (nil or none: nothing to check) may only have the
 * string keys in allowed (NULL-terminated, listed in that order):
 *   fn: unknown option 'key' (options: a, b, c)
 *   fn: unknown option 'kye' (did you mean 'key'? options: a, b, key)
 *   fn: option names must be strings (got a number key) */
void laux_check_options(lua_State *L, int idx, const char *fn, const char *const *allowed);

/* folio.core.check_options(t, fn, allowed [, level]): the same check for
 * Lua code. allowed is a list of names (listed in its order) or a set
 * {name = true} (listed sorted); level is error()'s level for the blame,
 * 2 by default (the caller of the function that checks), 0 for none. */
int laux_lua_check_options(lua_State *L);

/* folio.core.did_you_mean(name, names) -> the name of the list that name
 * is a likely typo of (the suggestion of the unknown-option message), or nil */
int laux_lua_did_you_mean(lua_State *L);

/* Whose line an error blames: a frame (after lua_getinfo "Sl") of a script
 * file with a current line that is not folio's own Lua (lua/folio/...). */
struct lua_Debug;
int laux_is_user_frame(const struct lua_Debug *ar);

/* folio.core.where_user() -> "file:line: " of the innermost user frame, or
 * "" when there is none (a REPL line, a tail call from the main chunk). */
int laux_lua_where_user(lua_State *L);

/* Flags of the vector readers: entries finite (the default) or, for
 * bounds, also +-inf (never NaN); LAUX_REQUIRED: a nil field is an error
 * ("fn: key is required") rather than NULL. */
enum { LAUX_FINITE = 0, LAUX_INF_OK = 1, LAUX_REQUIRED = 2 };

/* The array at idx: exactly n numbers, read into a userdata pushed on
 * the stack. Strings and other types are rejected, not converted. */
double *laux_check_vector(lua_State *L, int idx, const char *fn, const char *arg, size_t n, int flags);

/* t[key] as laux_check_vector reads it, or NULL (nothing pushed) when
 * t[key] is nil and not LAUX_REQUIRED. */
double *laux_field_vector(lua_State *L, int t, const char *fn, const char *key, size_t n, int flags);

/* The table of rows at idx: rows x cols finite numbers, row-major, in a
 * userdata pushed on the stack. */
double *laux_check_matrix(lua_State *L, int idx, const char *fn, const char *arg, size_t rows, size_t cols);

/* A nonempty square matrix at idx, its size (the row count) in *n. */
double *laux_check_square(lua_State *L, int idx, const char *fn, const char *arg, size_t *n);

/* Options t[key]: dflt when nil, otherwise checked. opt_number rejects
 * NaN and values below lo (-HUGE_VAL: no bound); opt_integer wants an
 * integral number in lo..hi (LUA_MAXINTEGER: no upper bound); opt_boolean
 * true or false; opt_enum a string of names (NULL-terminated), returning
 * its position. */
double laux_opt_number(lua_State *L, int t, const char *fn, const char *key, double dflt, double lo);
lua_Integer laux_opt_integer(lua_State *L, int t, const char *fn, const char *key, lua_Integer dflt, lua_Integer lo,
                             lua_Integer hi);
int laux_opt_boolean(lua_State *L, int t, const char *fn, const char *key, int dflt);
int laux_opt_enum(lua_State *L, int t, const char *fn, const char *key, const char *const *names, int dflt);

/* Protects the metatable at idx (call it once every field is set): its
 * __metatable becomes a copy of its fields without __gc and __close, so
 * Lua code still reads __name, __index, __tostring, methods... through
 * getmetatable(v), while scripts can neither call the finalizer by hand
 * nor change or replace the metatable itself (setmetatable refuses). */
void laux_protect_metatable(lua_State *L, int idx);

#endif
