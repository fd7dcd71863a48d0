/* What the fuzz targets share (docs/reliability.md, "Fuzzing"). */
#ifndef FOLIO_FUZZ_H
#define FOLIO_FUZZ_H

#include <lua.h>
#include <stddef.h>
#include <stdint.h>

/* The one Lua state of the process, made as the host makes it
 * (host_new_state: folio's allocator with a memory cap, the standard
 * libraries, folio installed), with `require "folio"` done. Every input
 * runs in it; the stack is empty between inputs. */
lua_State *fuzz_state(void);

/* Calls the function below nargs arguments at the top in protected mode.
 * A Lua error is an expected outcome for a bad input (the reader said
 * no); only a crash or a sanitizer report is a finding. Returns the
 * lua_pcall status, with the results or the error message popped. */
int fuzz_pcall(lua_State *L, int nargs);

/* After each input: an empty stack, and a garbage-collection step so the
 * finalisers of the input's objects run while it is still the input. */
void fuzz_done(lua_State *L);

/* Pushes the function compiled from the Lua source code (once per
 * process; the chunk's name is name). Its global FUZZ_FAIL(msg) aborts:
 * a harness calls it for a broken invariant. */
void fuzz_push_lua(lua_State *L, const char *name, const char *code);

/* Writes the bytes to this process's scratch file whose name ends with
 * suffix (".csv", ".json", ...) and returns its path. The file is
 * removed at exit. */
const char *fuzz_file(const uint8_t *data, size_t size, const char *suffix);

/* Reports a broken invariant (not a reader's error) and aborts, so that
 * libFuzzer keeps the input. */
void fuzz_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

#endif
