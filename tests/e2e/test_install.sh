#!/usr/bin/env bash
# cmake --install of the build that holds the folio binary ($1) into a fresh
# prefix: the layout, docs/examples/min_lp.c built against the installed
# folio.pc and run (hand-computed optimum), the installed bin/folio, and the
# installed Lua module loaded by lua5.4.
source "$(dirname "$0")/lib.sh" "$@"

BUILD=$(dirname "$FOLIO")
P="$WORK/prefix"
for tool in cmake pkg-config cc lua5.4; do
  command -v "$tool" >/dev/null || { fail "$tool not found"; finish; }
done

if cmake --install "$BUILD" --prefix "$P" >"$WORK/install.log" 2>&1; then pass
else fail "cmake --install: $(tail -n 3 "$WORK/install.log")"; finish; fi

for f in bin/folio lib/lua/5.4/folio.so lib/libfolio.a lib/pkgconfig/folio.pc \
         include/folio/folio.h include/folio/cim.h \
         share/doc/folio/README.md share/doc/folio/docs/embedding.md; do
  check "installed $f" test -f "$P/$f"
done
soname=$(readelf -d "$P/lib/libfolio.so" | sed -n 's/.*SONAME.*\[\(.*\)\]/\1/p')
check "libfolio.so's soname ($soname) is installed" test -f "$P/lib/$soname"
check "installed example is docs/examples/min_lp.c" cmp -s docs/examples/min_lp.c \
  "$P/share/doc/folio/docs/examples/min_lp.c"
expect_match "folio.pc names the install prefix" "^prefix=$P$" "$(cat "$P/lib/pkgconfig/folio.pc")"

# In the SANITIZE build libfolio needs the ASan runtime first in the
# process: the example is then built with the same sanitizers (as a user
# of an instrumented library would) and lua5.4, which is not instrumented,
# preloads it. GLPK's per-process environment would be reported as lost
# when lua_close unloads folio.so and libglpk; preloading libglpk keeps it
# reachable, as in the host (see test_lua_module.sh).
SAN_FLAGS=() PRELOAD=""
ASAN_LIB=$(ldd "$P/lib/libfolio.so" | awk '/libasan/ {print $3}')
if [ -n "$ASAN_LIB" ]; then
  SAN_FLAGS=(-fsanitize=address,undefined)
  PRELOAD="$ASAN_LIB $(ldd "$P/lib/libfolio.so" | awk '/libglpk/ {print $3}')"
fi

# the example, exactly as docs/embedding.md builds it
export PKG_CONFIG_PATH="$P/lib/pkgconfig"
if cc -std=c11 -Wall -Wextra -Werror "${SAN_FLAGS[@]}" "$P/share/doc/folio/docs/examples/min_lp.c" \
      $(pkg-config --cflags --libs folio) -o "$WORK/min_lp" 2>"$WORK/cc.log"; then pass
else fail "min_lp.c does not build: $(head -c 400 "$WORK/cc.log")"; finish; fi
check "min_lp links the installed libfolio" \
  grep -q "$P/lib/$soname" <(LD_LIBRARY_PATH="$P/lib" ldd "$WORK/min_lp")
OUT=$(LD_LIBRARY_PATH="$P/lib" OPENBLAS_NUM_THREADS=1 "$WORK/min_lp" 2>&1)
expect_eq "min_lp exits 0" 0 "$?"
# by hand (see min_lp.c): x = 2, y = 6, 3x + 5y = 36; duals 0, 1.5, 1
expect_eq "min_lp output" "status optimal
objective 36
value x 2
value y 6
dual plant1 0
dual plant2 1.5
dual plant3 1" "$OUT"

# the installed host, from outside the source tree
OUT=$(cd "$WORK" && "$P/bin/folio" --version)
expect_match "installed folio --version" "^folio [0-9]+\.[0-9]+\.[0-9]+ \(Lua 5\.4" "$OUT"
printf 'local f = require "folio"\nlocal m = f.model("k")\nlocal x = m:var("x", {ub = 3})\nm:maximize(2 * x)\nreturn m:solve()\n' >"$WORK/k.lua"
OUT=$(cd "$WORK" && "$P/bin/folio" run k.lua 2>&1)
expect_match "installed folio runs a script" "optimal" "$OUT"

# the installed Lua module, on the C path as Debian's lua5.4 would search it
OUT=$(cd "$WORK" && LD_PRELOAD="$PRELOAD" LUA_CPATH="$P/lib/lua/5.4/?.so" LUA_PATH="" \
      OPENBLAS_NUM_THREADS=1 lua5.4 -e 'local folio = require "folio"
        local m = folio.model("k"); local x = m:var("x", {ub = 3}); m:st("cap", x, "<=", 2.5)
        m:maximize(2 * x); local r = m:solve()
        print(folio.version, r.objective, r:dual("cap"), type(require "folio.exposure"))' 2>&1)
expect_match "installed folio.so: max 2x, x <= 2.5 gives 5 with dual 2" \
  "^[0-9.]+	5\.0	2\.0	table$" "$OUT"

finish
