/* SHA-256 (FIPS 180-4) for run records: digests of configs, scripts, data
 * files and outputs, so a run can be matched to exactly what it read.
 *   sha256(string) -> 64 hex digits
 *   sha256_file(path) -> 64 hex digits, size   (sandbox path policy applies)
 *   files_read() -> the files folio's readers opened, for the record */
#include "ldigest.h"
#include "lsandbox.h"

#include <lauxlib.h>

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

typedef struct sha256 { uint32_t h[8]; uint64_t len; unsigned char buf[64]; size_t nbuf; } sha256;

static const uint32_t K[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2
};

static uint32_t rotr(uint32_t x, int n) { return (x >> n) | (x << (32 - n)); }

static void compress(sha256 *s, const unsigned char *p)
{
    uint32_t w[64];
    for (int i = 0; i < 16; i++)
        w[i] = (uint32_t)p[4 * i] << 24 | (uint32_t)p[4 * i + 1] << 16 | (uint32_t)p[4 * i + 2] << 8 | p[4 * i + 3];
    for (int i = 16; i < 64; i++) {
        uint32_t s0 = rotr(w[i - 15], 7) ^ rotr(w[i - 15], 18) ^ (w[i - 15] >> 3);
        uint32_t s1 = rotr(w[i - 2], 17) ^ rotr(w[i - 2], 19) ^ (w[i - 2] >> 10);
        w[i] = w[i - 16] + s0 + w[i - 7] + s1;
    }
    uint32_t a = s->h[0], b = s->h[1], c = s->h[2], d = s->h[3];
    uint32_t e = s->h[4], f = s->h[5], g = s->h[6], h = s->h[7];
    for (int i = 0; i < 64; i++) {
        uint32_t t1 = h + (rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25)) + ((e & f) ^ (~e & g)) + K[i] + w[i];
        uint32_t t2 = (rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22)) + ((a & b) ^ (a & c) ^ (b & c));
        h = g; g = f; f = e; e = d + t1;
        d = c; c = b; b = a; a = t1 + t2;
    }
    s->h[0] += a; s->h[1] += b; s->h[2] += c; s->h[3] += d;
    s->h[4] += e; s->h[5] += f; s->h[6] += g; s->h[7] += h;
}

static void sha_init(sha256 *s)
{
    static const uint32_t h0[8] = { 0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                                    0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19 };
    memcpy(s->h, h0, sizeof h0);
    s->len = 0;
    s->nbuf = 0;
}

static void sha_update(sha256 *s, const unsigned char *p, size_t n)
{
    s->len += n;
    while (n > 0) {
        if (s->nbuf == 0 && n >= 64) {
            compress(s, p);
            p += 64;
            n -= 64;
            continue;
        }
        size_t k = 64 - s->nbuf < n ? 64 - s->nbuf : n;
        memcpy(s->buf + s->nbuf, p, k);
        s->nbuf += k;
        p += k;
        n -= k;
        if (s->nbuf == 64) {
            compress(s, s->buf);
            s->nbuf = 0;
        }
    }
}

static void sha_hex(sha256 *s, char out[65])
{
    uint64_t bits = s->len * 8;
    unsigned char pad[72] = { 0x80 };
    size_t npad = (s->nbuf < 56 ? 56 : 120) - s->nbuf;
    for (int i = 0; i < 8; i++) pad[npad + (size_t)i] = (unsigned char)(bits >> (56 - 8 * i));
    sha_update(s, pad, npad + 8);
    for (int i = 0; i < 8; i++) snprintf(out + 8 * i, 9, "%08x", s->h[i]);
}

static int l_sha256(lua_State *L)
{
    size_t n;
    const char *p = luaL_checklstring(L, 1, &n);
    sha256 s;
    char hex[65];
    sha_init(&s);
    sha_update(&s, (const unsigned char *)p, n);
    sha_hex(&s, hex);
    lua_pushstring(L, hex);
    return 1;
}

static int l_sha256_file(lua_State *L)
{
    const char *path = luaL_checkstring(L, 1);
    folio_sandbox_check_path(L, path, 0);
    FILE *f = fopen(path, "rb");   /* nothing below raises until fclose */
    if (!f) return luaL_error(L, "cannot open '%s': %s", path, strerror(errno));
    sha256 s;
    sha_init(&s);
    unsigned char buf[65536];
    size_t got;
    while ((got = fread(buf, 1, sizeof buf, f)) > 0) sha_update(&s, buf, got);
    int bad = ferror(f);
    fclose(f);
    if (bad) return luaL_error(L, "cannot read '%s'", path);
    lua_Integer size = (lua_Integer)s.len;   /* before the padding adds to it */
    char hex[65];
    sha_hex(&s, hex);
    lua_pushstring(L, hex);
    lua_pushinteger(L, size);
    return 2;
}

static int l_files_read(lua_State *L)
{
    folio_sandbox_push_reads(L);
    return 1;
}

static const luaL_Reg digest_funcs[] = {
    {"files_read", l_files_read},
    {"sha256", l_sha256},
    {"sha256_file", l_sha256_file},
    {NULL, NULL}
};

int luaopen_folio_digest(lua_State *L)
{
    luaL_newlib(L, digest_funcs);
    return 1;
}
