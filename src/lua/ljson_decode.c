/* JSON decoding (RFC 8259) straight into Lua values. Every byte it keeps
 * lives in the Lua state (tables, strings, a luaL_Buffer), so an error at
 * any point, memory running out included, unwinds without a leak and
 * counts against the sandbox's memory cap; lua-cjson's decoder kept its
 * scratch buffer in C memory, lost when a Lua error unwound through it. */
#include "ljson.h"

#include <lauxlib.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define MAX_DEPTH 1000   /* nesting, as lua-cjson's default */

typedef struct jparse {
    lua_State *L;
    const char *s, *p, *end;
    const char *what;
    int depth;
} jparse;

/* line and column (both from 1, columns in bytes) of position at */
static void where(const jparse *j, const char *at, long *line, long *col)
{
    *line = 1;
    const char *bol = j->s;
    for (const char *q = j->s; q < at; q++)
        if (*q == '\n') { (*line)++; bol = q + 1; }
    *col = (long)(at - bol) + 1;
}

static void fail_at(jparse *j, const char *at, const char *msg)
{
    long line, col;
    where(j, at, &line, &col);
    luaL_error(j->L, "%s: invalid JSON: %s at line %d, column %d", j->what, msg, (int)line, (int)col);
}

/* what the text holds at p, for messages */
static void unexpected(jparse *j, const char *expected)
{
    char msg[96];
    if (j->p >= j->end) snprintf(msg, sizeof msg, "expected %s, found the end of the text", expected);
    else if ((unsigned char)*j->p >= 0x20 && (unsigned char)*j->p < 0x7f)
        snprintf(msg, sizeof msg, "expected %s, found '%c'", expected, *j->p);
    else snprintf(msg, sizeof msg, "expected %s, found byte 0x%02x", expected, (unsigned char)*j->p);
    fail_at(j, j->p, msg);
}

static void skip_space(jparse *j)
{
    while (j->p < j->end && (*j->p == ' ' || *j->p == '\t' || *j->p == '\n' || *j->p == '\r')) j->p++;
}

static int literal(jparse *j, const char *word)
{
    size_t n = strlen(word);
    if ((size_t)(j->end - j->p) < n || memcmp(j->p, word, n) != 0) return 0;
    j->p += n;
    return 1;
}

static int hex4(jparse *j, const char *at)
{
    if (j->end - at < 4) fail_at(j, at, "\\u needs four hex digits");
    int v = 0;
    for (int i = 0; i < 4; i++) {
        char c = at[i];
        int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10
              : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
        if (d < 0) fail_at(j, at, "\\u needs four hex digits");
        v = v * 16 + d;
    }
    return v;
}

static void add_utf8(luaL_Buffer *b, unsigned long cp)
{
    char u[4];
    int n;
    if (cp < 0x80) { u[0] = (char)cp; n = 1; }
    else if (cp < 0x800) { u[0] = (char)(0xC0 | (cp >> 6)); u[1] = (char)(0x80 | (cp & 0x3F)); n = 2; }
    else if (cp < 0x10000) {
        u[0] = (char)(0xE0 | (cp >> 12)); u[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        u[2] = (char)(0x80 | (cp & 0x3F)); n = 3;
    } else {
        u[0] = (char)(0xF0 | (cp >> 18)); u[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
        u[2] = (char)(0x80 | ((cp >> 6) & 0x3F)); u[3] = (char)(0x80 | (cp & 0x3F)); n = 4;
    }
    luaL_addlstring(b, u, (size_t)n);
}

/* the string at p (its opening quote), pushed */
static void string_value(jparse *j)
{
    const char *open = j->p++;
    luaL_Buffer b;
    luaL_buffinit(j->L, &b);
    for (;;) {
        const char *run = j->p;
        while (j->p < j->end && *j->p != '"' && *j->p != '\\' && (unsigned char)*j->p >= 0x20) j->p++;
        luaL_addlstring(&b, run, (size_t)(j->p - run));
        if (j->p >= j->end) fail_at(j, open, "string not closed");
        char c = *j->p;
        if (c == '"') { j->p++; break; }
        if (c != '\\') fail_at(j, j->p, "control character in a string (escape it)");
        const char *esc = j->p++;
        if (j->p >= j->end) fail_at(j, open, "string not closed");
        switch (*j->p++) {
        case '"': luaL_addchar(&b, '"'); break;
        case '\\': luaL_addchar(&b, '\\'); break;
        case '/': luaL_addchar(&b, '/'); break;
        case 'b': luaL_addchar(&b, '\b'); break;
        case 'f': luaL_addchar(&b, '\f'); break;
        case 'n': luaL_addchar(&b, '\n'); break;
        case 'r': luaL_addchar(&b, '\r'); break;
        case 't': luaL_addchar(&b, '\t'); break;
        case 'u': {
            unsigned long cp = (unsigned long)hex4(j, j->p);
            j->p += 4;
            if (cp >= 0xD800 && cp <= 0xDBFF) {   /* a high surrogate needs its low half */
                if (j->end - j->p < 6 || j->p[0] != '\\' || j->p[1] != 'u') fail_at(j, esc, "unpaired surrogate \\u escape");
                unsigned long lo = (unsigned long)hex4(j, j->p + 2);
                if (lo < 0xDC00 || lo > 0xDFFF) fail_at(j, esc, "unpaired surrogate \\u escape");
                cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                j->p += 6;
            } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
                fail_at(j, esc, "unpaired surrogate \\u escape");
            }
            add_utf8(&b, cp);
            break;
        }
        default: fail_at(j, esc, "unknown escape in a string");
        }
    }
    luaL_pushresult(&b);
}

/* a number (RFC 8259's grammar: no leading zeros, '+', hex, NaN or
 * Infinity), pushed as an integer when it is a whole number that fits */
static void number_value(jparse *j)
{
    const char *start = j->p, *q = j->p;
    if (q < j->end && *q == '-') q++;
    if (q < j->end && *q == '0') q++;
    else if (q < j->end && *q >= '1' && *q <= '9') while (q < j->end && *q >= '0' && *q <= '9') q++;
    else unexpected(j, "a value");
    if (q < j->end && *q == '.') {
        q++;
        if (q >= j->end || *q < '0' || *q > '9') fail_at(j, start, "malformed number (a digit must follow '.')");
        while (q < j->end && *q >= '0' && *q <= '9') q++;
    }
    if (q < j->end && (*q == 'e' || *q == 'E')) {
        q++;
        if (q < j->end && (*q == '+' || *q == '-')) q++;
        if (q >= j->end || *q < '0' || *q > '9') fail_at(j, start, "malformed number (a digit must follow the exponent)");
        while (q < j->end && *q >= '0' && *q <= '9') q++;
    }
    char tmp[64], *num = tmp;
    size_t n = (size_t)(q - start);
    luaL_Buffer b;
    if (n >= sizeof tmp) {   /* long digit strings: a Lua-owned copy, for the terminator */
        num = luaL_buffinitsize(j->L, &b, n + 1);
        memcpy(num, start, n);
        num[n] = '\0';
    } else {
        memcpy(tmp, start, n);
        tmp[n] = '\0';
    }
    double d = strtod(num, NULL);
    if (!isfinite(d)) fail_at(j, start, "number out of range");
    if (num != tmp) lua_pop(j->L, 1);
    j->p = q;
    lua_Integer i;
    if (d == floor(d) && lua_numbertointeger(d, &i)) lua_pushinteger(j->L, i);
    else lua_pushnumber(j->L, d);
}

static void value(jparse *j);

static void nested(jparse *j)
{
    if (++j->depth > MAX_DEPTH) fail_at(j, j->p, "nested more than 1000 deep");
    luaL_checkstack(j->L, 4, "JSON nested too deeply");
}

static void object_value(jparse *j)
{
    nested(j);
    j->p++;
    lua_newtable(j->L);
    skip_space(j);
    if (j->p < j->end && *j->p == '}') { j->p++; j->depth--; return; }
    for (;;) {
        skip_space(j);
        if (j->p >= j->end || *j->p != '"') unexpected(j, "a key in quotes");
        string_value(j);
        skip_space(j);
        if (j->p >= j->end || *j->p != ':') unexpected(j, "':'");
        j->p++;
        value(j);
        lua_rawset(j->L, -3);   /* a repeated key: the last one holds */
        skip_space(j);
        if (j->p < j->end && *j->p == ',') { j->p++; continue; }
        if (j->p < j->end && *j->p == '}') { j->p++; break; }
        unexpected(j, "',' or '}'");
    }
    j->depth--;
}

static void array_value(jparse *j)
{
    nested(j);
    j->p++;
    lua_newtable(j->L);
    skip_space(j);
    if (j->p < j->end && *j->p == ']') { j->p++; j->depth--; return; }
    for (lua_Integer k = 1;; k++) {
        value(j);
        lua_rawseti(j->L, -2, k);
        skip_space(j);
        if (j->p < j->end && *j->p == ',') { j->p++; continue; }
        if (j->p < j->end && *j->p == ']') { j->p++; break; }
        unexpected(j, "',' or ']'");
    }
    j->depth--;
}

static void value(jparse *j)
{
    skip_space(j);
    if (j->p >= j->end) unexpected(j, "a value");
    switch (*j->p) {
    case '{': object_value(j); return;
    case '[': array_value(j); return;
    case '"': string_value(j); return;
    case 't': if (literal(j, "true")) { lua_pushboolean(j->L, 1); return; } break;
    case 'f': if (literal(j, "false")) { lua_pushboolean(j->L, 0); return; } break;
    case 'n': if (literal(j, "null")) { lua_pushlightuserdata(j->L, NULL); return; } break;
    default:
        if (*j->p == '-' || (*j->p >= '0' && *j->p <= '9')) { number_value(j); return; }
    }
    unexpected(j, "a value");
}

void folio_json_decode(lua_State *L, const char *text, size_t len, const char *what)
{
    jparse j = { L, text, text, text + len, what, 0 };
    /* a UTF-8 byte order mark is not JSON, but editors write it */
    if (len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0) j.p += 3;
    value(&j);
    skip_space(&j);
    if (j.p < j.end) fail_at(&j, j.p, "more text after the value");
}
