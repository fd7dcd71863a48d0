/* Build tool: compiles one Lua source file to a binary chunk (lua_dump,
 * debug information kept, so error messages and tracebacks still name
 * lua/folio/FILE.lua and its lines), for cmake/embed_lua.cmake: folio's
 * embedded modules are loaded without being parsed at every start-up.
 * Linked with the same Lua as the host, whose loader checks the chunk's
 * version and format.  Usage: lua_dump SOURCE CHUNKNAME OUT */
#include <lauxlib.h>
#include <lua.h>
#include <stdio.h>
#include <stdlib.h>

static int write_out(lua_State *L, const void *p, size_t n, void *ud)
{
    (void)L;
    return fwrite(p, 1, n, (FILE *)ud) != n;
}

int main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: lua_dump SOURCE CHUNKNAME OUT\n");
        return 2;
    }
    FILE *in = fopen(argv[1], "rb");
    if (!in) {
        perror(argv[1]);
        return 1;
    }
    size_t cap = 1 << 16, len = 0;
    char *buf = malloc(cap);
    size_t got;
    while (buf && (got = fread(buf + len, 1, cap - len, in)) > 0) {
        len += got;
        if (len == cap) buf = realloc(buf, cap *= 2);
    }
    fclose(in);
    lua_State *L = luaL_newstate();
    if (!buf || !L) {
        fprintf(stderr, "lua_dump: out of memory\n");
        return 1;
    }
    if (luaL_loadbufferx(L, buf, len, argv[2], "t") != LUA_OK) {
        fprintf(stderr, "lua_dump: %s\n", lua_tostring(L, -1));
        return 1;
    }
    FILE *out = fopen(argv[3], "wb");
    if (!out) {
        perror(argv[3]);
        return 1;
    }
    int bad = lua_dump(L, write_out, out, 0);
    if (fclose(out) != 0 || bad) {
        fprintf(stderr, "lua_dump: cannot write %s\n", argv[3]);
        remove(argv[3]);
        return 1;
    }
    lua_close(L);
    free(buf);
    return 0;
}
