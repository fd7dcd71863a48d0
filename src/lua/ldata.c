/* folio data readers: read_csv, index, read_json, write_json.
 *
 * read_csv(path [, opts]) -> t
 *   libcsv in strict mode; RFC 4180 quoting (commas, doubled quotes and
 *   newlines inside quotes), CR, LF or CRLF line ends, a leading UTF-8 BOM
 *   is skipped, blank lines are skipped (so ROW counts records, not lines).
 *   Unquoted cells lose surrounding spaces and tabs (libcsv's default); a
 *   cell that is empty or only white space is a hole (nil).
 *   The file may be gzip-compressed (.csv.gz): its magic bytes decide, not
 *   its name. Other binary formats (zip/.xlsx, bzip2, xz, zstd, 7-Zip,
 *   UTF-16, anything with a NUL byte in its first block) are refused with
 *   one error that names the format.
 *   opts.delim  one character (default ",")
 *   opts.types  {column = "number" | "string"} forces a column's type
 *   t.columns = header names in order, t.n = data rows, t.file = path,
 *   t[name] = array 1..n. A column is numeric when every non-empty cell
 *   is a decimal number (lua_stringtonumber without its hexadecimal forms:
 *   0x10 is text; integers stay integers); otherwise it
 *   holds the cells as strings. nan/inf/infinity (or a number overflowing to
 *   inf) in a column that is otherwise numeric is an error, as are
 *   the header names "columns", "n" and "file" (they would hide t's fields).
 *   A field over 1 MiB or a record over 16 MiB is an error (no table has
 *   them: an unclosed quote, or not a table), and so is a device
 *   (/dev/zero): files and pipes are read.
 *
 * index(t, keycol [, valcol]) -> {key = value} or {key = row index 1..n}
 *
 * period_returns(p, n, log) -> the returns of one price column (folio.returns)
 *
 * read_text(path) -> string   (the file's bytes)
 *
 * read_json(path) -> value   (ljson_decode.c, RFC 8259: JSON null decodes
 *   to the light userdata json_null; NaN/Infinity/hex numbers are rejected;
 *   numbers with an integral value become Lua integers)
 *
 * write_json(path, value [, {indent = k}]) encoded by ljson.c (keys sorted,
 *   numbers exact), indented by k spaces, newline-terminated, atomic.
 *
 * Errors are raised with luaL_error (so they carry the caller's location)
 * and name the file, record (header = 1) and field (1-based).
 * C resources (FILE*, libcsv parser, zlib stream, cell buffers) live in a
 * userdata with __gc, so a raised error never leaks them; cell buffers and
 * zlib's memory come from the state's lua_Alloc, so a capped allocator
 * caps them too.
 */
#define _POSIX_C_SOURCE 200809L

#include "ldata.h"
#include "laux.h"
#include "ljson.h"
#include "lsandbox.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include <csv.h>
#include <lauxlib.h>
#include <lua.h>
#include <zlib.h>

#include "../core/atomic_file.h"

#define READER_MT "folio.reader"
#define CHUNK_SIZE 65536
#define MAX_ERR_TEXT 64 /* cell text quoted in an error is cut to this */
#define MAX_LISTED_COLUMNS 30
/* No table has cells or rows this long: past them the file is something
 * else (or a quote is never closed), and libcsv would grow its buffer
 * (plain realloc, outside the state's allocator) without end. */
#define MAX_FIELD ((size_t)1 << 20)
#define MAX_RECORD ((size_t)1 << 24)

enum { ERR_NONE = 0, ERR_NOMEM, ERR_RAGGED, ERR_NUL, ERR_LONG_FIELD, ERR_LONG_RECORD };
#define READS_WHAT "folio reads plain CSV and gzip (.csv.gz)"
enum { TYPE_AUTO = 0, TYPE_NUMBER, TYPE_STRING };

/* Reader state: everything that must be released if an error is raised. */
typedef struct reader {
    lua_Alloc alloc;
    void *alloc_ud;
    FILE *f;
    struct csv_parser parser;
    int parser_live;
    char *text; /* cell bytes, each cell NUL-terminated */
    size_t text_len, text_cap;
    size_t *off; /* start of each cell in text, row-major */
    size_t ncells, off_cap;
    size_t ncols;  /* fields in the header; 0 until it is complete */
    size_t nrec;   /* complete records (header included) */
    size_t nfield; /* fields seen in the current record */
    size_t rec_bytes; /* bytes of the current record's complete fields */
    int err;       /* ERR_* raised by a callback */
    size_t err_row, err_found;
    z_stream z;      /* gzip input: inflate's state */
    int z_live;      /* inflateInit2 succeeded: inflateEnd is owed */
    int gz;          /* the file is gzip: bytes come through z */
    int eof;         /* fread has returned 0 */
    int member_done; /* inflate ended a gzip member and nothing followed yet */
    size_t pending;  /* plain file: bytes of the first block not yet handed out */
    char in[CHUNK_SIZE];    /* raw bytes from the file */
    char chunk[CHUNK_SIZE]; /* inflated bytes */
} reader;

/* ---- reader userdata -------------------------------------------------- */

static void reader_release(reader *r)
{
    if (r->f != NULL) {
        fclose(r->f);
        r->f = NULL;
    }
    if (r->parser_live) {
        csv_free(&r->parser);
        r->parser_live = 0;
    }
    if (r->z_live) {
        inflateEnd(&r->z);
        r->z_live = 0;
    }
    if (r->text != NULL)
        r->alloc(r->alloc_ud, r->text, r->text_cap, 0);
    if (r->off != NULL)
        r->alloc(r->alloc_ud, r->off, r->off_cap * sizeof(size_t), 0);
    r->text = NULL;
    r->off = NULL;
    r->text_len = r->text_cap = r->ncells = r->off_cap = 0;
}

static int reader_gc(lua_State *L)
{
    reader_release(luaL_checkudata(L, 1, READER_MT));
    return 0;
}

/* Pushes a new, empty reader (the userdata exists before any resource). */
static reader *reader_new(lua_State *L)
{
    reader *r = lua_newuserdatauv(L, sizeof(reader), 0);
    memset(r, 0, offsetof(reader, in));
    r->alloc = lua_getallocf(L, &r->alloc_ud);
    luaL_setmetatable(L, READER_MT);
    return r;
}

/* Grows *p (elements of elsize) to hold at least need; 0 or -1 (no memory). */
static int reader_grow(reader *r, void **p, size_t *cap, size_t need, size_t elsize)
{
    if (need <= *cap)
        return 0;
    size_t ncap = *cap > 0 ? *cap : 4096;
    while (ncap < need) {
        if (ncap > SIZE_MAX / 2 / elsize)
            return -1;
        ncap *= 2;
    }
    void *np = r->alloc(r->alloc_ud, *p, *cap * elsize, ncap * elsize);
    if (np == NULL)
        return -1;
    *p = np;
    *cap = ncap;
    return 0;
}

/* Opens path for reading into r->f or raises "cannot open 'PATH': ...". */
static void reader_open(lua_State *L, reader *r, const char *path)
{
    folio_sandbox_check_path(L, path, 0);
    r->f = fopen(path, "rb");
    if (r->f == NULL)
        luaL_error(L, "cannot open '%s': %s", path, strerror(errno));
    struct stat st;
    if (fstat(fileno(r->f), &st) != 0)
        return;
    if (S_ISDIR(st.st_mode))
        luaL_error(L, "cannot open '%s': %s", path, strerror(EISDIR));
    /* /dev/zero and the like never end: only files and pipes are read */
    if (S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode) || S_ISSOCK(st.st_mode))
        luaL_error(L, "cannot read '%s': it is a %s, not a file", path,
                   S_ISCHR(st.st_mode) ? "character device" : S_ISBLK(st.st_mode) ? "block device" : "socket");
}

/* ---- the bytes of a CSV file: plain or gzip ------------------------------ */

/* zlib allocates through the state's allocator, so a memory cap covers
 * it too; each block carries its size, which lua_Alloc wants back. */
typedef union zblock { size_t n; max_align_t align; } zblock;

static voidpf z_alloc(voidpf ud, uInt items, uInt size)
{
    reader *r = ud;
    if (size != 0 && items > (SIZE_MAX - sizeof(zblock)) / size)
        return Z_NULL;
    size_t n = (size_t)items * size + sizeof(zblock);
    zblock *b = r->alloc(r->alloc_ud, NULL, 0, n);
    if (b == NULL)
        return Z_NULL;
    b->n = n;
    return b + 1;
}

static void z_free(voidpf ud, voidpf p)
{
    reader *r = ud;
    zblock *b = (zblock *)p - 1;
    r->alloc(r->alloc_ud, b, b->n, 0);
}

/* What a block that cannot be CSV text starts as (a format, or a NUL
 * byte: text never has one), or NULL. buf holds the NUL's message. */
static const char *not_text(const char *p, size_t n, char *buf, size_t cap)
{
    static const struct { const char *magic; size_t len; const char *what; } formats[] = {
        { "\x1f\x8b", 2, "gzip-compressed" },
        { "PK\3\4", 4, "a zip archive (as .xlsx workbooks are)" },
        { "\xfd" "7zXZ\0", 6, "xz-compressed" },
        { "\x28\xb5\x2f\xfd", 4, "zstd-compressed" },
        { "7z\xbc\xaf\x27\x1c", 6, "a 7-Zip archive" },
        { "\xff\xfe", 2, "UTF-16 text (save it as UTF-8)" },
        { "\xfe\xff", 2, "UTF-16 text (save it as UTF-8)" },
    };
    for (size_t i = 0; i < sizeof formats / sizeof formats[0]; i++)
        if (n >= formats[i].len && memcmp(p, formats[i].magic, formats[i].len) == 0)
            return formats[i].what;
    /* bzip2: "BZh" and the block size, a digit */
    if (n >= 4 && memcmp(p, "BZh", 3) == 0 && p[3] >= '1' && p[3] <= '9')
        return "bzip2-compressed";
    const char *z = memchr(p, '\0', n);
    if (z == NULL)
        return NULL;
    snprintf(buf, cap, "not text (a NUL byte at byte %zu)", (size_t)(z - p) + 1);
    return buf;
}

/* Up to CHUNK_SIZE raw bytes into r->in. */
static size_t read_raw(lua_State *L, reader *r, const char *path)
{
    size_t got = fread(r->in, 1, CHUNK_SIZE, r->f);
    if (got < CHUNK_SIZE && ferror(r->f))
        luaL_error(L, "cannot read '%s': %s", path, strerror(errno));
    r->eof = got == 0;
    return got;
}

/* Reads the first block and decides by its magic bytes: gzip goes
 * through zlib, anything else is read as it is. */
static void source_open(lua_State *L, reader *r, const char *path)
{
    size_t n = read_raw(L, r, path);
    if (n < 2 || memcmp(r->in, "\x1f\x8b", 2) != 0) {
        r->pending = n;
        return;
    }
    r->z.zalloc = z_alloc;
    r->z.zfree = z_free;
    r->z.opaque = r;
    r->z.next_in = (Bytef *)r->in;
    r->z.avail_in = (uInt)n;
    int st = inflateInit2(&r->z, 16 + MAX_WBITS); /* 16: gzip framing only */
    if (st == Z_MEM_ERROR)
        luaL_error(L, "%s: not enough memory", path);
    if (st != Z_OK)
        luaL_error(L, "read_csv: '%s': zlib cannot start (%s)", path, zError(st));
    r->z_live = 1;
    r->gz = 1;
}

/* The next block of inflated bytes in r->chunk; 0 at the end of the last
 * gzip member. Concatenated members are read as one stream, as gzip -d
 * reads them. */
static size_t gz_read(lua_State *L, reader *r, const char *path)
{
    for (;;) {
        if (r->z.avail_in == 0 && !r->eof) {
            r->z.avail_in = (uInt)read_raw(L, r, path);
            r->z.next_in = (Bytef *)r->in;
        }
        if (r->z.avail_in == 0 && r->member_done)
            return 0;
        r->z.next_out = (Bytef *)r->chunk;
        r->z.avail_out = CHUNK_SIZE;
        int after_member = r->member_done;
        int st = inflate(&r->z, Z_NO_FLUSH);
        size_t got = CHUNK_SIZE - r->z.avail_out;
        r->member_done = st == Z_STREAM_END;
        if (st == Z_STREAM_END) {
            inflateReset(&r->z);
        } else if (st == Z_BUF_ERROR && r->eof) {
            luaL_error(L, "read_csv: '%s' is truncated: its gzip data ends early", path);
        } else if (st == Z_MEM_ERROR) {
            luaL_error(L, "%s: not enough memory", path);
        } else if (st != Z_OK && st != Z_BUF_ERROR) {
            if (after_member)
                luaL_error(L, "read_csv: '%s' has data after the end of its gzip stream", path);
            luaL_error(L, "read_csv: '%s' has corrupt gzip data (%s)", path,
                       r->z.msg != NULL ? r->z.msg : zError(st));
        }
        if (got > 0)
            return got;
    }
}

/* The next block of the file's CSV bytes in *out; 0 at the end. */
static size_t source_read(lua_State *L, reader *r, const char *path, const char **out)
{
    if (r->gz) {
        *out = r->chunk;
        return gz_read(L, r, path);
    }
    *out = r->in;
    size_t n = r->pending;
    r->pending = 0;
    return n > 0 || r->eof ? n : read_raw(L, r, path);
}

/* ---- small helpers ------------------------------------------------------ */

static const char *cell_text(const reader *r, size_t k, size_t *len)
{
    size_t end = k + 1 < r->ncells ? r->off[k + 1] : r->text_len;
    *len = end - r->off[k] - 1;
    return r->text + r->off[k];
}

static int is_blank(const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if (!isspace((unsigned char)s[i]))
            return 0;
    return 1;
}

/* nan, inf or infinity in any case, optional sign, surrounding space. */
static int is_nonfinite_word(const char *s, size_t len)
{
    size_t i = 0, j = len;
    while (i < j && isspace((unsigned char)s[i]))
        i++;
    while (j > i && isspace((unsigned char)s[j - 1]))
        j--;
    if (i < j && (s[i] == '+' || s[i] == '-'))
        i++;
    static const char *const words[] = {"nan", "inf", "infinity"};
    for (size_t w = 0; w < sizeof words / sizeof words[0]; w++) {
        size_t n = strlen(words[w]);
        if (j - i != n)
            continue;
        size_t c = 0;
        while (c < n && tolower((unsigned char)s[i + c]) == words[w][c])
            c++;
        if (c == n)
            return 1;
    }
    return 0;
}

/* Whether lua_stringtonumber would read s as a hexadecimal number (0x10,
 * -0x1p4): a CSV's numbers are decimal, so such a cell is text. */
static int is_hex_number(const char *s)
{
    while (isspace((unsigned char)*s))
        s++;
    if (*s == '+' || *s == '-')
        s++;
    return s[0] == '0' && (s[1] == 'x' || s[1] == 'X');
}

/* Pushes a cell's text for an error message, cut to MAX_ERR_TEXT bytes. */
static const char *push_err_text(lua_State *L, const char *s, size_t len)
{
    if (len <= MAX_ERR_TEXT)
        return lua_pushlstring(L, s, len);
    lua_pushlstring(L, s, MAX_ERR_TEXT);
    lua_pushliteral(L, "...");
    lua_concat(L, 2);
    return lua_tostring(L, -1);
}

/* Pushes "a, b, c" from the array of names at idx (cut after
 * MAX_LISTED_COLUMNS names). */
static const char *push_name_list(lua_State *L, int idx)
{
    idx = lua_absindex(L, idx);
    lua_Integer n = (lua_Integer)lua_rawlen(L, idx);
    luaL_Buffer b;
    luaL_buffinit(L, &b);
    for (lua_Integer i = 1; i <= n; i++) {
        if (i > MAX_LISTED_COLUMNS) {
            lua_pushfstring(L, ", ... (%I more)", (LUAI_UACINT)(n - MAX_LISTED_COLUMNS));
            luaL_addvalue(&b);
            break;
        }
        if (i > 1)
            luaL_addstring(&b, ", ");
        lua_rawgeti(L, idx, i);
        if (lua_type(L, -1) == LUA_TSTRING)
            luaL_addvalue(&b);
        else {
            luaL_tolstring(L, -1, NULL);
            lua_remove(L, -2);
            luaL_addvalue(&b);
        }
    }
    luaL_pushresult(&b);
    return lua_tostring(L, -1);
}

/* ---- read_csv ----------------------------------------------------------- */

static void on_field(void *data, size_t len, void *ud)
{
    reader *r = ud;
    r->nfield++;
    if (r->err != ERR_NONE)
        return;
    if (len > 0 && memchr(data, '\0', len) != NULL) {
        /* text has no NUL; a cell must not be cut short at one either */
        r->err = ERR_NUL;
        r->err_row = r->nrec + 1;
        r->err_found = r->nfield;
        return;
    }
    if (len > MAX_FIELD) {
        r->err = ERR_LONG_FIELD;
        r->err_row = r->nrec + 1;
        r->err_found = r->nfield;
        return;
    }
    r->rec_bytes += len + 1;
    if (r->rec_bytes > MAX_RECORD) {
        r->err = ERR_LONG_RECORD;
        r->err_row = r->nrec + 1;
        return;
    }
    if (r->ncols > 0 && r->nfield > r->ncols)
        return; /* a ragged row: only count its fields */
    if (reader_grow(r, (void **)&r->text, &r->text_cap, r->text_len + len + 1, 1) != 0
        || reader_grow(r, (void **)&r->off, &r->off_cap, r->ncells + 1, sizeof(size_t)) != 0) {
        r->err = ERR_NOMEM;
        return;
    }
    r->off[r->ncells++] = r->text_len;
    if (len > 0)
        memcpy(r->text + r->text_len, data, len);
    r->text_len += len;
    r->text[r->text_len++] = '\0';
}

static void on_record(int term, void *ud)
{
    reader *r = ud;
    (void)term;
    if (r->err != ERR_NONE)
        return;
    if (r->nrec == 0) {
        r->ncols = r->nfield;
    } else if (r->nfield != r->ncols) {
        r->err = ERR_RAGGED;
        r->err_row = r->nrec + 1;
        r->err_found = r->nfield;
        return;
    }
    r->nrec++;
    r->nfield = 0;
    r->rec_bytes = 0;
}

/* Validates opts (argument 2) before anything is allocated; returns the
 * delimiter and leaves opts.types (or nil) on the top of the stack. */
static unsigned char check_csv_opts(lua_State *L)
{
    unsigned char delim = CSV_COMMA;
    if (lua_isnoneornil(L, 2)) {
        lua_pushnil(L);
        return delim;
    }
    static const char *const options[] = {"delim", "types", NULL};
    laux_check_options(L, 2, "read_csv", options);
    if (lua_getfield(L, 2, "delim") != LUA_TNIL) {
        size_t len;
        const char *d = lua_type(L, -1) == LUA_TSTRING ? lua_tolstring(L, -1, &len) : NULL;
        if (d == NULL || len != 1 || d[0] == '"' || d[0] == '\n' || d[0] == '\r' || d[0] == '\0')
            luaL_argerror(L, 2, "opts.delim must be a one-character string (not a quote or newline)");
        delim = (unsigned char)d[0];
    }
    lua_pop(L, 1);
    if (lua_getfield(L, 2, "types") != LUA_TNIL) {
        if (!lua_istable(L, -1))
            luaL_argerror(L, 2, "opts.types must be a table {column = \"number\"|\"string\"}");
        int t = lua_gettop(L);
        lua_pushnil(L);
        while (lua_next(L, t) != 0) {
            const char *v = lua_type(L, -1) == LUA_TSTRING ? lua_tostring(L, -1) : NULL;
            if (lua_type(L, -2) != LUA_TSTRING)
                luaL_argerror(L, 2, "opts.types keys must be column names (strings)");
            if (v == NULL || (strcmp(v, "number") != 0 && strcmp(v, "string") != 0))
                luaL_argerror(L, 2, lua_pushfstring(L,
                    "opts.types['%s'] must be \"number\" or \"string\"", lua_tostring(L, -2)));
            lua_pop(L, 1);
        }
    }
    return delim;
}

/* Stack slots used by read_csv. */
enum { S_PATH = 1, S_OPTS, S_TYPES, S_READER, S_COLUMNS, S_SET, S_RESULT };

static void csv_check_header(lua_State *L, reader *r, const char *path)
{
    size_t ncols = r->ncols;
    if (ncols > (size_t)INT_MAX)
        luaL_error(L, "%s:1: too many columns", path);
    lua_createtable(L, (int)ncols, 0); /* S_COLUMNS */
    lua_createtable(L, 0, (int)ncols); /* S_SET: name -> field number */
    for (size_t c = 0; c < ncols; c++) {
        size_t len;
        const char *name = cell_text(r, c, &len);
        int col = (int)c + 1;
        if (is_blank(name, len))
            luaL_error(L, "%s:1:%d: empty column name", path, col);
        lua_pushlstring(L, name, len);
        if (lua_rawget(L, S_SET) != LUA_TNIL)
            luaL_error(L, "%s:1:%d: duplicate column name '%s'", path, col,
                       push_err_text(L, name, len));
        lua_pop(L, 1);
        if (strcmp(name, "columns") == 0 || strcmp(name, "n") == 0 || strcmp(name, "file") == 0)
            luaL_error(L, "%s:1:%d: column name '%s' is reserved (it would hide t.%s)",
                       path, col, name, name);
        lua_pushlstring(L, name, len);
        lua_pushvalue(L, -1);
        lua_rawseti(L, S_COLUMNS, col);
        lua_pushinteger(L, col);
        lua_rawset(L, S_SET);
    }
    if (!lua_isnil(L, S_TYPES)) {
        lua_pushnil(L);
        while (lua_next(L, S_TYPES) != 0) {
            lua_pop(L, 1);
            lua_pushvalue(L, -1);
            if (lua_rawget(L, S_SET) == LUA_TNIL) {
                const char *name = lua_tostring(L, -2);
                const char *list = push_name_list(L, S_COLUMNS);
                luaL_error(L, "%s: no column '%s' (columns: %s)", path, name, list);
            }
            lua_pop(L, 1);
        }
    }
}

/* Raises the pending structural error, if any. */
static void csv_check_state(lua_State *L, reader *r, const char *path, int header_checked)
{
    if (r->err == ERR_NOMEM)
        luaL_error(L, "%s:%I: not enough memory", path, (LUAI_UACINT)(r->nrec + 1));
    if (r->err == ERR_NUL)
        luaL_error(L, "%s:%I:%I: a NUL byte in the field: the file is not text; " READS_WHAT, path,
                   (LUAI_UACINT)r->err_row, (LUAI_UACINT)r->err_found);
    if (r->err == ERR_NONE && r->parser.entry_pos > MAX_FIELD) {
        /* the field being read: libcsv holds it until it ends */
        r->err = ERR_LONG_FIELD;
        r->err_row = r->nrec + 1;
        r->err_found = r->nfield + 1;
    }
    if (r->err == ERR_NONE && r->rec_bytes + r->parser.entry_pos > MAX_RECORD) {
        r->err = ERR_LONG_RECORD;
        r->err_row = r->nrec + 1;
    }
    if (r->err == ERR_LONG_FIELD)
        luaL_error(L, "%s:%I:%I: a field longer than %I bytes: not a table's cell (an unclosed quote?)", path,
                   (LUAI_UACINT)r->err_row, (LUAI_UACINT)r->err_found, (LUAI_UACINT)MAX_FIELD);
    if (r->err == ERR_LONG_RECORD)
        luaL_error(L, "%s:%I: a record longer than %I bytes: not a table's row", path, (LUAI_UACINT)r->err_row,
                   (LUAI_UACINT)MAX_RECORD);
    if (r->err == ERR_RAGGED && header_checked)
        luaL_error(L, "%s:%I: expected %I fields, found %I", path, (LUAI_UACINT)r->err_row,
                   (LUAI_UACINT)r->ncols, (LUAI_UACINT)r->err_found);
}

static void csv_parse_error(lua_State *L, reader *r, const char *path)
{
    int e = csv_error(&r->parser);
    if (e == CSV_EPARSE)
        luaL_error(L, "%s:%I: malformed CSV: %s", path, (LUAI_UACINT)(r->nrec + 1), csv_strerror(e));
    luaL_error(L, "%s:%I: %s", path, (LUAI_UACINT)(r->nrec + 1), csv_strerror(e));
}

static void nonfinite_error(lua_State *L, reader *r, const char *path, size_t row, size_t col)
{
    size_t len;
    const char *s = cell_text(r, row * r->ncols + col, &len);
    lua_rawgeti(L, S_COLUMNS, (lua_Integer)col + 1);
    const char *name = lua_tostring(L, -1);
    const char *text = push_err_text(L, s, len);
    luaL_error(L, "%s:%I:%I: non-finite value '%s' in column '%s'", path, (LUAI_UACINT)(row + 1),
               (LUAI_UACINT)(col + 1), text, name);
}

/* Pushes the array for column col (0-based). */
static void csv_build_column(lua_State *L, reader *r, const char *path, size_t col, int type)
{
    size_t n = r->nrec - 1;
    int hint = n > (size_t)INT_MAX ? INT_MAX : (int)n;
    lua_createtable(L, hint, 0);
    if (type != TYPE_STRING) {
        size_t bad_row = 0; /* first non-finite cell (row, 1-based data row) */
        int numeric = 1;
        for (size_t i = 1; i <= n; i++) {
            size_t len;
            const char *s = cell_text(r, i * r->ncols + col, &len);
            if (len == 0 || is_blank(s, len))
                continue;
            size_t used = is_hex_number(s) ? 0 : lua_stringtonumber(L, s);
            if (used == len + 1) {
                if (lua_isinteger(L, -1) || isfinite(lua_tonumber(L, -1))) {
                    lua_rawseti(L, -2, (lua_Integer)i);
                    continue;
                }
                lua_pop(L, 1);
            } else if (used != 0) {
                lua_pop(L, 1); /* a number cut short (on_field refuses NUL bytes) */
            }
            if (used != len + 1 && !is_nonfinite_word(s, len)) {
                if (type == TYPE_NUMBER) {
                    lua_rawgeti(L, S_COLUMNS, (lua_Integer)col + 1);
                    const char *name = lua_tostring(L, -1);
                    const char *text = push_err_text(L, s, len);
                    luaL_error(L, "%s:%I:%I: column '%s' expects a number, got '%s'", path,
                               (LUAI_UACINT)(i + 1), (LUAI_UACINT)(col + 1), name, text);
                }
                numeric = 0;
                break;
            }
            /* a non-finite value */
            if (type == TYPE_NUMBER)
                nonfinite_error(L, r, path, i, col);
            if (bad_row == 0)
                bad_row = i;
        }
        if (numeric) {
            if (bad_row != 0)
                nonfinite_error(L, r, path, bad_row, col);
            return;
        }
        lua_pop(L, 1);
        lua_createtable(L, hint, 0);
    }
    for (size_t i = 1; i <= n; i++) {
        size_t len;
        const char *s = cell_text(r, i * r->ncols + col, &len);
        if (len == 0 || is_blank(s, len))
            continue;
        lua_pushlstring(L, s, len);
        lua_rawseti(L, -2, (lua_Integer)i);
    }
}

static int l_read_csv(lua_State *L)
{
    const char *path = luaL_checkstring(L, 1);
    lua_settop(L, 2);
    unsigned char delim = check_csv_opts(L); /* pushes S_TYPES */
    luaL_checkstack(L, 16, NULL);

    reader *r = reader_new(L); /* S_READER */
    if (csv_init(&r->parser, CSV_STRICT | CSV_STRICT_FINI | CSV_APPEND_NULL) != 0)
        luaL_error(L, "%s: not enough memory", path);
    r->parser_live = 1;
    csv_set_delim(&r->parser, delim);
    reader_open(L, r, path);
    source_open(L, r, path);

    int header_checked = 0, first = 1;
    for (;;) {
        const char *p;
        size_t got = source_read(L, r, path, &p);
        if (got == 0)
            break;
        if (first) {
            first = 0;
            char buf[64];
            const char *what = not_text(p, got, buf, sizeof buf);
            if (what != NULL && r->gz)
                luaL_error(L, "read_csv: '%s' is gzip-compressed, and what it holds is %s; " READS_WHAT, path,
                           what);
            if (what != NULL)
                luaL_error(L, "read_csv: '%s' is %s; " READS_WHAT, path, what);
            if (got >= 3 && memcmp(p, "\xEF\xBB\xBF", 3) == 0) {
                p += 3;
                got -= 3;
            }
        }
        size_t used = csv_parse(&r->parser, p, got, on_field, on_record, r);
        if (!header_checked && r->nrec >= 1) {
            csv_check_header(L, r, path);
            header_checked = 1;
        }
        csv_check_state(L, r, path, header_checked);
        if (used != got)
            csv_parse_error(L, r, path);
    }
    int fini = csv_fini(&r->parser, on_field, on_record, r);
    if (!header_checked && r->nrec >= 1) {
        csv_check_header(L, r, path);
        header_checked = 1;
    }
    csv_check_state(L, r, path, header_checked);
    if (fini != 0)
        csv_parse_error(L, r, path);
    if (r->nrec == 0)
        luaL_error(L, "%s: empty file (no header row)", path);
    fclose(r->f);
    r->f = NULL;
    csv_free(&r->parser);
    r->parser_live = 0;

    lua_createtable(L, 0, (int)(r->ncols < 1000 ? r->ncols + 3 : 1003)); /* S_RESULT */
    for (size_t c = 0; c < r->ncols; c++) {
        int type = TYPE_AUTO;
        lua_rawgeti(L, S_COLUMNS, (lua_Integer)c + 1); /* name */
        if (!lua_isnil(L, S_TYPES)) {
            lua_pushvalue(L, -1);
            if (lua_rawget(L, S_TYPES) == LUA_TSTRING)
                type = lua_tostring(L, -1)[0] == 'n' ? TYPE_NUMBER : TYPE_STRING;
            lua_pop(L, 1);
        }
        csv_build_column(L, r, path, c, type);
        lua_rawset(L, S_RESULT);
    }
    lua_Integer nrows = (lua_Integer)(r->nrec - 1);
    reader_release(r);
    lua_pushvalue(L, S_COLUMNS);
    lua_setfield(L, S_RESULT, "columns");
    lua_pushinteger(L, nrows);
    lua_setfield(L, S_RESULT, "n");
    lua_pushvalue(L, S_PATH);
    lua_setfield(L, S_RESULT, "file");
    return 1;
}

/* ---- index -------------------------------------------------------------- */

/* Pushes t.columns and returns 1, or (for a plain table) pushes its string
 * keys holding tables, sorted, and returns 0. */
static int push_columns_of(lua_State *L, int t)
{
    if (lua_getfield(L, t, "columns") == LUA_TTABLE)
        return 1;
    lua_pop(L, 1);
    lua_newtable(L);
    int out = lua_gettop(L);
    lua_Integer n = 0;
    lua_pushnil(L);
    while (lua_next(L, t) != 0) {
        if (lua_type(L, -2) == LUA_TSTRING && lua_istable(L, -1)) {
            /* insertion sort: shift larger names up */
            const char *name = lua_tostring(L, -2);
            lua_Integer i = n;
            while (i >= 1) {
                lua_rawgeti(L, out, i);
                int larger = strcmp(lua_tostring(L, -1), name) > 0;
                if (!larger) {
                    lua_pop(L, 1);
                    break;
                }
                lua_rawseti(L, out, i + 1);
                i--;
            }
            lua_pushvalue(L, -2);
            lua_rawseti(L, out, i + 1);
            n++;
        }
        lua_pop(L, 1);
    }
    return 0;
}

/* Pushes t[name] (must be a table) and returns its position in t.columns
 * (0 when unknown or when cols is only the list of t's table-valued keys). */
static int index_column(lua_State *L, int t, int cols, int have_columns, const char *path,
                        const char *name)
{
    if (lua_getfield(L, t, name) != LUA_TTABLE)
        luaL_error(L, "%s: no column '%s' (columns: %s)", path, name, push_name_list(L, cols));
    if (!have_columns)
        return 0;
    lua_Integer n = (lua_Integer)lua_rawlen(L, cols);
    for (lua_Integer i = 1; i <= n; i++) {
        lua_rawgeti(L, cols, i);
        int same = lua_type(L, -1) == LUA_TSTRING && strcmp(lua_tostring(L, -1), name) == 0;
        lua_pop(L, 1);
        if (same)
            return (int)i;
    }
    return 0;
}

static int l_index(lua_State *L)
{
    luaL_checktype(L, 1, LUA_TTABLE);
    const char *keycol = luaL_checkstring(L, 2);
    const char *valcol = luaL_optstring(L, 3, NULL);
    lua_settop(L, 3);
    luaL_checkstack(L, 16, NULL);

    int from_csv = lua_getfield(L, 1, "file") == LUA_TSTRING; /* 4 */
    const char *path = from_csv ? lua_tostring(L, 4) : "<table>";
    int have_columns = push_columns_of(L, 1); /* 5 */
    int kcolno = index_column(L, 1, 5, have_columns, path, keycol); /* 6 */
    int vcolno = 0;
    if (valcol != NULL)
        vcolno = index_column(L, 1, 5, have_columns, path, valcol); /* 7 */
    else
        lua_pushnil(L);
    lua_Integer n;
    if (lua_getfield(L, 1, "n") == LUA_TNUMBER && lua_isinteger(L, -1))
        n = lua_tointeger(L, -1);
    else
        n = (lua_Integer)lua_rawlen(L, 6);
    lua_pop(L, 1);
    lua_createtable(L, 0, n > INT_MAX ? INT_MAX : (n < 0 ? 0 : (int)n)); /* 8 */

    for (lua_Integer i = 1; i <= n; i++) {
        lua_Integer row = from_csv ? i + 1 : i;
        int kt = lua_rawgeti(L, 6, i);
        if (kt == LUA_TNIL || (kt == LUA_TSTRING && lua_rawlen(L, -1) == 0)) {
            if (kcolno > 0)
                luaL_error(L, "%s:%I:%d: empty key in column '%s'", path, (LUAI_UACINT)row, kcolno, keycol);
            luaL_error(L, "%s:%I: empty key in column '%s'", path, (LUAI_UACINT)row, keycol);
        }
        lua_pushvalue(L, -1);
        if (lua_rawget(L, 8) != LUA_TNIL) {
            luaL_error(L, "%s:%I: duplicate key '%s' in column '%s'", path, (LUAI_UACINT)row,
                       luaL_tolstring(L, -2, NULL), keycol);
        }
        lua_pop(L, 1);
        if (valcol != NULL) {
            if (lua_rawgeti(L, 7, i) == LUA_TNIL) {
                if (vcolno > 0)
                    luaL_error(L, "%s:%I:%d: empty value in column '%s'", path, (LUAI_UACINT)row,
                               vcolno, valcol);
                luaL_error(L, "%s:%I: empty value in column '%s'", path, (LUAI_UACINT)row, valcol);
            }
        } else {
            lua_pushinteger(L, i);
        }
        lua_rawset(L, 8);
    }
    return 1;
}

/* ---- JSON --------------------------------------------------------------- */

/* Reads the whole file at path into r->text (r at stack index 2). */
static void read_whole(lua_State *L, reader *r, const char *path)
{
    reader_open(L, r, path);
    for (;;) {
        if (reader_grow(r, (void **)&r->text, &r->text_cap, r->text_len + CHUNK_SIZE, 1) != 0)
            luaL_error(L, "%s: not enough memory", path);
        size_t got = fread(r->text + r->text_len, 1, CHUNK_SIZE, r->f);
        r->text_len += got;
        if (got < CHUNK_SIZE) {
            if (ferror(r->f))
                luaL_error(L, "cannot read '%s': %s", path, strerror(errno));
            break;
        }
    }
}

/* read_text(path): the file's bytes as one string */
static int l_read_text(lua_State *L)
{
    const char *path = luaL_checkstring(L, 1);
    lua_settop(L, 1);
    reader *r = reader_new(L); /* 2 */
    read_whole(L, r, path);
    lua_pushlstring(L, r->text ? r->text : "", r->text_len);
    reader_release(r);
    return 1;
}

static int l_read_json(lua_State *L)
{
    const char *path = luaL_checkstring(L, 1);
    lua_settop(L, 1);
    reader *r = reader_new(L); /* 2 */
    read_whole(L, r, path);
    lua_pushlstring(L, r->text ? r->text : "", r->text_len);   /* 3: the text, in the Lua state */
    reader_release(r);
    size_t len;
    const char *text = lua_tolstring(L, 3, &len);
    folio_json_decode(L, text, len, path);
    return 1;
}

static int l_write_json(lua_State *L)
{
    const char *path = luaL_checkstring(L, 1);
    luaL_checkany(L, 2);
    lua_Integer indent = 0;
    static const char *const options[] = {"indent", NULL};
    laux_check_options(L, 3, "write_json", options);
    if (!lua_isnoneornil(L, 3))
        indent = laux_opt_integer(L, 3, "write_json", "indent", 0, 0, 16);
    lua_settop(L, 2);
    folio_sandbox_check_path(L, path, 1);
    folio_json_encode(L, 2, (int)indent, path);
    size_t len;
    const char *text;
    text = lua_tolstring(L, -1, &len);
    char err[4352];
    if (folio_atomic_write(path, text, len, err, sizeof err) != 0)
        luaL_error(L, "%s", err);
    return 0;
}

/* write_text(path, text): the bytes as they are, written atomically (temp
 * file in the same folder, then rename); nothing half-written on failure. */
static int l_write_text(lua_State *L)
{
    const char *path = luaL_checkstring(L, 1);
    size_t len;
    const char *text = luaL_checklstring(L, 2, &len);
    folio_sandbox_check_path(L, path, 1);
    char err[4352];
    if (folio_atomic_write(path, text, len, err, sizeof err) != 0) return luaL_error(L, "%s", err);
    return 0;
}

/* json_encode(value) -> text, as write_json writes it (no indent) */
static int l_json_encode(lua_State *L)
{
    luaL_checkany(L, 1);
    lua_settop(L, 1);
    folio_json_encode(L, 1, 0, "json_encode");
    return 1;
}

/* json_decode(text) -> value, with read_json's rules */
static int l_json_decode(lua_State *L)
{
    size_t len;
    const char *text = luaL_checklstring(L, 1, &len);
    lua_settop(L, 1);
    folio_json_decode(L, text, len, "json_decode");
    return 1;
}

/* period_returns(p, n, log) -> r, or nil, why, row: the returns of one
 * price column (folio.returns in lua/folio/estimators.lua, which formats
 * the error): r[t-1] = p[t] / p[t-1] - 1 (log: log(p[t] / p[t-1])) for
 * t = 2..n, a hole where either price is missing (nil or NaN). why is
 * "type" (the first present cell that is not a number, at its row t, also
 * beside a hole), "inf" or "-inf" (the first infinite price, at its row)
 * or "sign" (p[t-1] <= 0, at row t-1).
 * The arithmetic is Lua's: both prices as floats, then / and - 1 or log. */
static int l_period_returns(lua_State *L)
{
    luaL_checktype(L, 1, LUA_TTABLE);
    lua_Integer n = luaL_checkinteger(L, 2);
    int use_log = lua_toboolean(L, 3);
    lua_settop(L, 1);
    lua_createtable(L, n > 1 && n < (1 << 26) ? (int)(n - 1) : 0, 0);
    double a = 0;
    int ta = LUA_TNIL;
    for (lua_Integer t = 1; t <= n; t++) {
        int tb = lua_geti(L, 1, t);
        double b = tb == LUA_TNUMBER ? lua_tonumber(L, -1) : 0;
        lua_pop(L, 1);
        if (tb == LUA_TNUMBER && isnan(b)) tb = LUA_TNIL;   /* NaN is a missing price, as pandas' NaN */
        /* every present cell is checked, also one beside a hole */
        if ((tb != LUA_TNIL && tb != LUA_TNUMBER) || (tb == LUA_TNUMBER && isinf(b))) {
            lua_pushnil(L);
            if (tb == LUA_TNUMBER) lua_pushstring(L, b > 0 ? "inf" : "-inf");
            else lua_pushliteral(L, "type");
            lua_pushinteger(L, t);
            return 3;
        }
        if (t > 1 && ta != LUA_TNIL && tb != LUA_TNIL) {
            if (a <= 0) {
                lua_pushnil(L);
                lua_pushliteral(L, "sign");
                lua_pushinteger(L, t - 1);
                return 3;
            }
            lua_pushnumber(L, use_log ? log(b / a) : b / a - 1);
            lua_rawseti(L, 2, t - 1);
        }
        ta = tb;
        a = b;
    }
    return 1;
}

/* ---- module ------------------------------------------------------------- */

static const luaL_Reg data_funcs[] = {
    {"read_csv", l_read_csv},
    {"index", l_index},
    {"read_json", l_read_json},
    {"read_text", l_read_text},
    {"json_encode", l_json_encode},
    {"json_decode", l_json_decode},
    {"write_json", l_write_json},
    {"write_text", l_write_text},
    {"period_returns", l_period_returns},
    {NULL, NULL}
};

int luaopen_folio_data(lua_State *L)
{
    luaL_checkversion(L);
    if (luaL_newmetatable(L, READER_MT)) {
        lua_pushcfunction(L, reader_gc);
        lua_setfield(L, -2, "__gc");
        lua_pushboolean(L, 0);
        lua_setfield(L, -2, "__metatable");
    }
    lua_pop(L, 1);

    luaL_newlibtable(L, data_funcs);
    lua_pushlightuserdata(L, NULL);   /* JSON null */
    lua_setfield(L, -2, "json_null");
    luaL_setfuncs(L, data_funcs, 0);
    return 1;
}
