#!/usr/bin/env bash
# folio as a Lua C module: Debian's stock lua5.4 loads the built
# lua/folio.so (next to the folio binary given as $1) and gets the same
# answers as the host: an LP's optimum and duals, a QP, read_csv, a domain
# module, the DSL test suite. The module must not carry its own Lua VM.
source "$(dirname "$0")/lib.sh" "$@"

BUILD=$(dirname "$FOLIO")
MOD="$BUILD/lua/folio.so"
command -v lua5.4 >/dev/null || { fail "lua5.4 not found (apt-get install lua5.4)"; finish; }
[ -f "$MOD" ] || { fail "module $MOD not built"; finish; }

# In the SANITIZE build folio.so needs the ASan runtime, which must come
# first in an uninstrumented process: preload the very libasan it links.
# GLPK keeps a per-process environment block until glp_free_env(); when
# lua_close unloads folio.so, libglpk goes with it and LSan would report
# that block (5 KB, once per process) as lost. Preloading libglpk keeps it
# reachable, as in the host, so every other leak is still reported.
PRELOAD=""
ASAN_LIB=$(ldd "$MOD" | awk '/libasan/ {print $3}')
if [ -n "$ASAN_LIB" ]; then
  PRELOAD="$ASAN_LIB $(ldd "$MOD" | awk '/libglpk/ {print $3}')"
fi

# lua_mod ARGS...: lua5.4 with only the built module on the C path
lua_mod() {
  LD_PRELOAD="$PRELOAD" LUA_CPATH="$BUILD/lua/?.so" LUA_PATH="" OPENBLAS_NUM_THREADS=1 \
    lua5.4 "$@" >"$WORK/.out" 2>"$WORK/.err"
  RC=$?
  OUT=$(cat "$WORK/.out")
  ERR=$(cat "$WORK/.err")
}

# No Lua VM inside: it exports only the luaopen_ entry points and takes the
# Lua API (lua_newstate included) from the interpreter.
exported=$(nm -D --defined-only "$MOD" | awk '{print $3}' | sort | tr '\n' ' ')
expect_eq "exported symbols" "luaopen_folio luaopen_folio_core " "$exported"
expect_match "Lua API left to the interpreter" "U lua_newstate" "$(nm -D --undefined-only "$MOD")"
expect_no_match "no liblua dependency" "liblua5\.4\.so" "$(readelf -d "$MOD")"
# Anything else left undefined (say a src/lua file calling into src/cli)
# would make require fail at load time: name it here.
expect_eq "undefined symbols other than the Lua API" "" \
  "$(ldd -r "$MOD" 2>&1 | grep 'undefined symbol' | grep -vE 'symbol: luaL?_' | head -n 5)"

# version, and that it is the host's version
lua_mod -e 'print(require("folio").version)'
expect_eq "require folio" 0 "$RC"
run_version=$OUT
expect_match "folio --version names the module's version" "^folio $run_version " "$("$FOLIO" --version)"

# The Wyndor LP: plant2 and plant3 bind, so y = 6, x = 2, 3x + 5y = 36;
# the duals solve 3 u3 = 3 and 2 u2 + 2 u3 = 5: u2 = 1.5, u3 = 1.
cat >"$WORK/lp.lua" <<'EOF'
local folio = require "folio"
local m = folio.model("wyndor")
local x, y = m:var("x", {lb = 0}), m:var("y", {lb = 0})
m:st("plant1", x, "<=", 4)
m:st("plant2", 2 * y, "<=", 12)
m:st("plant3", 3 * x + 2 * y, "<=", 18)
m:maximize(3 * x + 5 * y)
local r = m:solve()
print(r.status, r.solver, r.objective, r:value(x), r:value(y),
      r:dual("plant1"), r:dual("plant2"), r:dual("plant3"))
EOF
lua_mod "$WORK/lp.lua"
expect_eq "LP runs" 0 "$RC"
read -r st solver obj vx vy d1 d2 d3 <<<"$OUT"
expect_eq "LP status" "optimal glpk" "$st $solver"
expect_close "LP objective" "$obj" 36
expect_close "LP x" "$vx" 2
expect_close "LP y" "$vy" 6
expect_close "LP dual plant1" "$d1" 0
expect_close "LP dual plant2" "$d2" 1.5
expect_close "LP dual plant3" "$d3" 1

# A QP: min a^2 + b^2 with a + b >= 2 has a = b = 1, optimum 2, and the
# row's shadow price is d(2 (rhs/2)^2)/d rhs = rhs = 2.
cat >"$WORK/qp.lua" <<'EOF'
local folio = require "folio"
local m = folio.model("ball")
local a, b = m:var("a"), m:var("b")
m:st("sum", a + b, ">=", 2)
m:minimize(a * a + b * b)
local r = m:solve()
print(r.status, r.solver, r.objective, r:value(a), r:value(b), r:dual("sum"))
EOF
lua_mod "$WORK/qp.lua"
expect_eq "QP runs" 0 "$RC"
read -r st solver obj va vb ds <<<"$OUT"
expect_eq "QP status" "optimal qp" "$st $solver"
expect_close "QP objective" "$obj" 2 1e-7
expect_close "QP a" "$va" 1 1e-7
expect_close "QP b" "$vb" 1 1e-7
expect_close "QP dual" "$ds" 2 1e-7

# read_csv: numbers parse as numbers; a bad file is a Lua error naming it
printf 'segment,exposure\ncards,1.5\nloans,2.25\n' >"$WORK/seg.csv"
lua_mod -e "local f = require 'folio'; local s = f.read_csv('$WORK/seg.csv')
  print(s.n, s.segment[2], s.exposure[1] + s.exposure[2], math.type(s.exposure[1]))
  print(pcall(f.read_csv, '$WORK/none.csv'))"
expect_eq "read_csv runs" 0 "$RC"
expect_eq "read_csv values" "2	loans	3.75	float" "$(head -n 1 <<<"$OUT")"
expect_match "read_csv error names the file" "^false	.*none\.csv" "$(tail -n 1 <<<"$OUT")"

# A domain module: min variance of two uncorrelated assets with variances
# 1 and 4 puts w ~ 1/variance: (0.8, 0.2), volatility sqrt(0.8).
lua_mod -e 'local folio = require "folio"; local ex = require "folio.exposure"
  local r = folio.ExposureOptimizer():optimize{exposures = {"a", "b"},
    cov = {{1, 0}, {0, 4}}, objective = folio.MinVolatility{},
    constraints = folio.ExposureConstraints{defaults = false}}
  print(type(ex), r.optimization_status, r.weights.a, r.weights.b, r.volatility)'
expect_eq "exposure runs" 0 "$RC"
read -r t st wa wb vol <<<"$OUT"
expect_eq "require folio.exposure" "table optimal" "$t $st"
expect_close "min variance weight a" "$wa" 0.8 1e-7
expect_close "min variance weight b" "$wb" 0.2 1e-7
expect_close "min variance volatility" "$vol" 0.894427190999916 1e-7

# The same script gets the same answers from the host and from lua5.4
run_folio run "$WORK/lp.lua"
expect_eq "host runs the LP" 0 "$RC"
host_lp=$OUT
lua_mod "$WORK/lp.lua"
expect_eq "same LP output from lua5.4 and folio run" "$host_lp" "$OUT"
# with the lua/ tree on LUA_PATH, folio.core comes from luaopen_folio_core
src_lp=$(LD_PRELOAD="$PRELOAD" LUA_CPATH="$BUILD/lua/?.so" OPENBLAS_NUM_THREADS=1 \
  LUA_PATH="$ROOT/lua/?.lua;$ROOT/lua/?/init.lua" lua5.4 "$WORK/lp.lua" 2>&1)
expect_eq "lua/ sources with the module's core" "$host_lp" "$src_lp"
run_folio run tests/lua/test_dsl.lua
host_dsl=$(tail -n 1 <<<"$OUT")
lua_mod tests/lua/test_dsl.lua
expect_eq "test_dsl.lua passes under lua5.4" 0 "$RC"
expect_match "test_dsl.lua under the host" "^[0-9]+ passed, 0 failed$" "$host_dsl"
expect_eq "test_dsl.lua: same count under both" "$host_dsl" "$(tail -n 1 <<<"$OUT")"
[ -z "$ERR" ] || echo "  [lua5.4 stderr] $(head -c 400 <<<"$ERR")"

finish
