#!/usr/bin/env bash
# Start-up loads no solver library it does not use (issue 17, item 4):
# the COIN-OR backends (folio_coin.so with Cbc, Clp and the C++ runtime)
# and OpenBLAS are loaded on first use, from beside the binary, from the
# install layout or from FOLIO_BACKEND_DIR; a missing or broken plugin
# gives one error line naming the file or the library that is missing,
# and the rest of folio goes on working.
source "$(dirname "$0")/lib.sh" "$@"

BUILD=$(dirname "$FOLIO")
TINY=bench/host/tiny_lp.lua
cat > "$WORK/mip.lua" <<'LUA'
local folio = require "folio"
local m = folio.model("t")
local x = m:var("x", nil, { lb = 0, kind = "integer" })
local y = m:var("y", nil, { lb = 0 })
m:st("c1", x + 2 * y, "<=", 7.5)
m:maximize(3 * x + y)
local r = m:solve{ solver = os.getenv("SOLVER") or "cbc" }
print(r.status, r.objective)
LUA
cat > "$WORK/lp.lua" <<'LUA'
local folio = require "folio"
local m = folio.model("t")
local x = m:var("x", nil, { lb = 0 })
local y = m:var("y", nil, { lb = 0 })
m:st("c1", x + 2 * y, "<=", 7.5)
m:maximize(3 * x + y)
local r = m:solve{ solver = "clp", ranges = false }
print(r.status, r.objective, r:dual("c1"))
LUA
cat > "$WORK/qp.lua" <<'LUA'
local folio = require "folio"
local m = folio.model("q")
local w = m:var("w", {"a", "b"}, { lb = 0 })
m:st("budget", w.a + w.b, "==", 1)
m:minimize(folio.quad(w, { { 2, 0.5 }, { 0.5, 1 } }))
local r = m:solve()
print(r.status, string.format("%.6f %.6f", r:value(w.a), r:value(w.b)))
LUA

# the libraries a run maps (Cbc's own dependencies, through LAPACK, bring
# OpenBLAS along with it) (LD_DEBUG=files lists every object loaded)
loaded() { LD_DEBUG=files "$FOLIO" --quiet run "$@" 2>&1 >/dev/null | grep -Eo 'file=[^ ]+' | sort -u; }

L=$(loaded "$TINY")
expect_no_match "a tiny LP loads no COIN-OR library" 'libCbc|libClp|libCoinUtils|folio_coin' "$L"
expect_no_match "a tiny LP loads no OpenBLAS" 'libopenblas|libgfortran' "$L"
L=$(loaded "$WORK/mip.lua")
expect_match "solver = cbc loads the plugin" 'folio_coin\.so' "$L"
expect_match "solver = cbc loads Cbc" 'libCbcSolver' "$L"
L=$(loaded "$WORK/qp.lua")
expect_match "a QP loads OpenBLAS" 'libopenblas' "$L"
expect_no_match "a QP loads no COIN-OR library" 'libCbc|folio_coin' "$L"

# answers through the plugin (by hand: x = 7, y = 0.25: 21.25; the LP:
# x = 7.5, y = 0, 22.5, dual 3) and through the lazily loaded OpenBLAS
# (min 2a^2 + a b + b^2 with a + b = 1: a = 0.25, b = 0.75)
run_folio --quiet run "$WORK/mip.lua"
expect_eq "cbc's optimum" "optimal	21.25" "$OUT"
run_folio --quiet run "$WORK/lp.lua"
expect_eq "clp's optimum and dual" "optimal	22.5	3.0" "$OUT"
run_folio --quiet run "$WORK/qp.lua"
expect_eq "the QP's optimum" "optimal	0.250000 0.750000" "$OUT"

# a directory without the plugin: one line naming it, exit status 1
mkdir -p "$WORK/empty"
FOLIO_BACKEND_DIR="$WORK/empty" run_folio --quiet run "$WORK/mip.lua"
expect_eq "missing plugin: exit status" 1 "$RC"
FIRST=$(printf '%s\n' "$ERR" | head -n 1)
expect_match "missing plugin: the error names folio_coin.so and the directory" \
  "solve: the COIN-OR backend folio_coin\.so is not in FOLIO_BACKEND_DIR \($WORK/empty\)" "$FIRST"
expect_eq "missing plugin: one error line before the traceback" 1 \
  "$(printf '%s\n' "$ERR" | grep -v '^stack traceback\|^  ' | wc -l)"
FOLIO_BACKEND_DIR="$WORK/empty" run_folio --quiet solve tests/e2e/../../bench/host/tiny.lp --solver clp
expect_match "folio solve --solver clp without the plugin names it" 'folio_coin\.so' "$ERR"
expect_eq "folio solve --solver clp without the plugin fails" 1 "$RC"
FOLIO_BACKEND_DIR="$WORK/empty" run_folio --quiet run "$TINY"
expect_eq "without the plugin GLPK still solves" 0 "$RC"
FOLIO_BACKEND_DIR="$WORK/empty" SOLVER=glpk run_folio --quiet run "$WORK/mip.lua"
expect_eq "without the plugin a MIP goes to GLPK" "optimal	21.25" "$OUT"

# a plugin that needs a library that is not there: the loader's message
# names that library
if command -v cc >/dev/null; then
  mkdir -p "$WORK/dep" "$WORK/broken"
  printf 'int folio_test_dep(void) { return 1; }\n' > "$WORK/dep/dep.c"
  printf 'int folio_test_dep(void);\nint folio_coin_plugin_open(void) { return folio_test_dep(); }\n' \
    > "$WORK/broken/p.c"
  cc -shared -fPIC -o "$WORK/dep/libfolio_gone_dep.so" "$WORK/dep/dep.c"
  cc -shared -fPIC -o "$WORK/broken/folio_coin.so" "$WORK/broken/p.c" -L"$WORK/dep" -lfolio_gone_dep
  rm "$WORK/dep/libfolio_gone_dep.so"
  FOLIO_BACKEND_DIR="$WORK/broken" run_folio --quiet run "$WORK/mip.lua"
  expect_match "a plugin missing a library: the message names it" \
    "solve: the COIN-OR backend could not be loaded: libfolio_gone_dep\.so: cannot open shared object file" \
    "$(printf '%s\n' "$ERR" | head -n 1)"
  # a file of that name that is not a shared object
  echo "not a library" > "$WORK/broken/folio_coin.so"
  FOLIO_BACKEND_DIR="$WORK/broken" run_folio --quiet run "$WORK/mip.lua"
  expect_match "a plugin that is no library: the message names the file" \
    "the COIN-OR backend could not be loaded: $WORK/broken/folio_coin\.so" "$(printf '%s\n' "$ERR" | head -n 1)"
else
  fail "cc not found"
fi

# a copy of the binary with the plugin beside it finds that one first
mkdir -p "$WORK/copy"
cp "$FOLIO" "$WORK/copy/folio"
cp "$BUILD/folio_coin.so" "$WORK/copy/"
L=$(LD_DEBUG=files "$WORK/copy/folio" --quiet run "$WORK/mip.lua" 2>&1 >/dev/null | grep -Eo 'file=[^ ]+folio_coin\.so' | sort -u)
expect_eq "the plugin beside the binary is the one loaded" "file=$WORK/copy/folio_coin.so" "$L"

# Where the plugin is found from each of folio's objects: the build
# tree's Lua and Python modules, and after cmake --install the host, the
# Lua module and the Python package (each loads the installed plugin,
# not the build tree's). In the SANITIZE build the interpreters, which
# are not instrumented, preload the ASan runtime (as test_install.sh).
PRELOAD=""
ASAN_LIB=$(ldd "$FOLIO" | awk '/libasan/ {print $3}')
[ -n "$ASAN_LIB" ] && PRELOAD="$ASAN_LIB $(ldd "$FOLIO" | awk '/libglpk/ {print $3}')"
export ASAN_OPTIONS=${ASAN_OPTIONS:-}${ASAN_OPTIONS:+:}detect_leaks=0
MODEL='local folio = require "folio"
  local m = folio.model("t"); local x = m:var("x", nil, {lb = 0, kind = "integer"})
  local y = m:var("y", nil, {lb = 0}); m:st("c1", x + 2 * y, "<=", 7.5); m:maximize(3 * x + y)
  local r = m:solve{solver = "cbc"}'
LUA_CBC="$MODEL; print(r.status, r.objective)"
PY_CBC="import folio; s = folio.Session(); print(s.eval('''(function() $MODEL; return r.status .. \" \" .. r.objective end)()'''))"
# which folio_coin.so a command loads
plugin_of() { LD_DEBUG=files "$@" 2>&1 >/dev/null | grep -Eo 'file=[^ ]*folio_coin\.so' | sort -u; }
if command -v lua5.4 >/dev/null; then
  OUT=$(LD_PRELOAD="$PRELOAD" LUA_CPATH="$BUILD/lua/?.so" LUA_PATH="" lua5.4 -e "$LUA_CBC" 2>&1)
  expect_eq "build tree's folio.so: cbc through the plugin" "optimal	21.25" "$OUT"
  L=$(LD_PRELOAD="$PRELOAD" LUA_CPATH="$BUILD/lua/?.so" LUA_PATH="" plugin_of lua5.4 -e "$LUA_CBC")
  expect_eq "build tree's folio.so loads the build tree's plugin" "$BUILD/folio_coin.so" "$(realpath "${L#file=}")"
fi
if [ -d "$BUILD/python/folio" ]; then
  OUT=$(LD_PRELOAD="$PRELOAD" PYTHONPATH="$BUILD/python" "$PY" -c "$PY_CBC" 2>&1)
  expect_eq "build tree's Python module: cbc through the plugin" "optimal 21.25" "$OUT"
  expect_eq "build tree's Python module loads the plugin beside it" "file=$BUILD/python/folio/folio_coin.so" \
    "$(LD_PRELOAD="$PRELOAD" PYTHONPATH="$BUILD/python" plugin_of "$PY" -c "$PY_CBC")"
fi

# Every BLAS routine folio's own code calls (gsl_blas_X or cblas_X) must be
# one the binary defines and exports: one it lacks binds to GSL's reference
# CBLAS, which gave the right answers 2-3x slower (cblas_ssymv, the CIM
# flow at N = 1,000).
if command -v nm >/dev/null; then
  CALLED=$(nm -u "$BUILD"/libfolio.a "$BUILD"/libfolio_lua.a 2>/dev/null |
    grep -o '\(gsl_blas\|cblas\)_[a-z0-9]*$' | sed 's/^gsl_blas_/cblas_/' | sort -u)
  EXPORTED=$(nm -D --defined-only "$FOLIO" | awk '{print $3}' | grep '^cblas_' | sort -u)
  check "folio's code calls some BLAS routine ($(echo $CALLED | wc -w))" test -n "$CALLED"
  expect_eq "every BLAS routine folio calls is exported by the binary (lazily loaded OpenBLAS)" "" \
    "$(comm -23 <(echo "$CALLED") <(echo "$EXPORTED") | tr '\n' ' ')"
fi

P="$WORK/prefix"
if cmake --install "$BUILD" --prefix "$P" >"$WORK/install.log" 2>&1; then pass
else fail "cmake --install: $(tail -n 3 "$WORK/install.log")"; finish; fi
PLUGIN=$(cd "$P" && find . -path '*/folio/folio_coin.so' -not -path '*python*' | sed 's|^\./||')
check "the plugin is installed in LIBDIR/folio ($PLUGIN)" test -f "$P/$PLUGIN"
OUT=$(cd "$WORK" && "$P/bin/folio" --quiet run "$WORK/mip.lua" 2>&1)
expect_eq "installed folio: cbc through the plugin" "optimal	21.25" "$OUT"
L=$(cd "$WORK" && plugin_of "$P/bin/folio" --quiet run "$WORK/mip.lua")
expect_eq "installed folio loads the installed plugin" "$(realpath "$P/$PLUGIN")" "$(realpath "${L#file=}")"
CMOD=$(cd "$P" && find . -name folio.so -path '*lua*' | sed 's|^\./||')
if command -v lua5.4 >/dev/null && [ -n "$CMOD" ]; then
  CDIR=$(dirname "$P/$CMOD")
  OUT=$(cd "$WORK" && LD_PRELOAD="$PRELOAD" LUA_CPATH="$CDIR/?.so" LUA_PATH="" lua5.4 -e "$LUA_CBC" 2>&1)
  expect_eq "installed folio.so: cbc through the plugin" "optimal	21.25" "$OUT"
  L=$(cd "$WORK" && LD_PRELOAD="$PRELOAD" LUA_CPATH="$CDIR/?.so" LUA_PATH="" plugin_of lua5.4 -e "$LUA_CBC")
  expect_eq "installed folio.so loads the installed plugin" "$(realpath "$P/$PLUGIN")" "$(realpath "${L#file=}")"
fi
PYEXT=$(cd "$P" && find . -name '_folio*.so' | head -n 1 | sed 's|^\./||')
if [ -n "$PYEXT" ]; then
  PYDIR=$(dirname "$(dirname "$P/$PYEXT")")
  OUT=$(cd "$WORK" && LD_PRELOAD="$PRELOAD" PYTHONPATH="$PYDIR" "$PY" -c "$PY_CBC" 2>&1)
  expect_eq "installed Python package: cbc through the plugin" "optimal 21.25" "$OUT"
  expect_eq "installed Python package loads the plugin beside it" "file=$PYDIR/folio/folio_coin.so" \
    "$(cd "$WORK" && LD_PRELOAD="$PRELOAD" PYTHONPATH="$PYDIR" plugin_of "$PY" -c "$PY_CBC")"
fi

finish
