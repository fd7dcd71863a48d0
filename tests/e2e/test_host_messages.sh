#!/usr/bin/env bash
# End-to-end: messages of the host (issue 14): a table with keys other than
# 1..n returned with --json is one object with every key (it was a list
# whose other keys were dropped); t[1] beside t["1"] is an error; --max-time
# and --solver-time-limit take positive, finite numbers (inf was accepted);
# --max-instructions and a config's sandbox.instructions are whole numbers
# >= 1 (0.5 was no budget, or the default).
#
#   bash tests/e2e/test_host_messages.sh /abs/path/to/folio      (from the repo root)
source "$(dirname "$0")/lib.sh" "$@"

H="$WORK/h"
mkdir -p "$H/dep"

# ------------------------------------------------------------ JSON of mixed tables
echo 'return {[1] = "a", b = "c"}' > "$H/mixed.lua"
run_folio run "$H/mixed.lua" --quiet --json "$H/mixed.json"
expect_eq "a mixed table: exit 0" 0 "$RC"
expect_eq "a mixed table: an object with every key" '{"1":"a","b":"c"}' \
  "$("$PY" -c 'import json,sys; print(json.dumps(json.load(open(sys.argv[1])), separators=(",", ":"), sort_keys=True))' "$H/mixed.json")"
echo 'return {a = {[1] = "x", [2] = "y", k = true}, {1, 2}}' > "$H/mixed2.lua"
run_folio run "$H/mixed2.lua" --quiet --json "$H/mixed2.json"
expect_eq "a nested mixed table: every key" '{"1":[1,2],"a":{"1":"x","2":"y","k":true}}' \
  "$("$PY" -c 'import json,sys; print(json.dumps(json.load(open(sys.argv[1])), separators=(",", ":"), sort_keys=True))' "$H/mixed2.json")"
echo 'return {"r1", "r2"}' > "$H/list.lua"
run_folio run "$H/list.lua" --quiet --json "$H/list.json"
expect_eq "a list is still several values" '["r1","r2"]' \
  "$("$PY" -c 'import json,sys; print(json.dumps(json.load(open(sys.argv[1])), separators=(",", ":")))' "$H/list.json")"
echo 'return {[1] = "a", ["1"] = "b"}' > "$H/clash.lua"
run_folio run "$H/clash.lua" --quiet --json "$H/clash.json"
expect_eq "t[1] and t[\"1\"]: exit 1" 1 "$RC"
expect_eq "t[1] and t[\"1\"]: message" "folio: cannot encode JSON for '$H/clash.json': two keys read '1' (a number and a string) at \$" "$ERR"

# ------------------------------------------------------------ budgets
echo 'return 1' > "$H/one.lua"
for v in inf -inf nan 0 -1 1e999 abc; do
  run_folio run "$H/one.lua" --sandbox --max-time "$v"
  expect_eq "--max-time $v: usage error" 2 "$RC"
  expect_eq "--max-time $v: message" "folio: --max-time expects a positive, finite number, got '$v'" "$(head -1 <<<"$ERR")"
done
run_folio run "$H/one.lua" --sandbox --solver-time-limit inf
expect_eq "--solver-time-limit inf: usage error" 2 "$RC"
for v in 0.5 1.5 inf; do
  run_folio run "$H/one.lua" --sandbox --max-instructions "$v"
  expect_eq "--max-instructions $v: usage error" 2 "$RC"
done
run_folio run "$H/one.lua" --sandbox --max-instructions 0.5
expect_eq "--max-instructions 0.5: message" "folio: --max-instructions expects a whole number >= 1, got '0.5'" "$(head -1 <<<"$ERR")"
run_folio run "$H/one.lua" --sandbox --max-time 2.5 --max-instructions 1e9
expect_eq "finite budgets are fine" 0 "$RC"

for v in 0.5 0 -3 1e30; do
  printf '{"model": "../one.lua", "outputs": {"dir": "o"}, "sandbox": {"instructions": %s}}\n' "$v" > "$H/dep/instr.json"
  run_folio run "$H/dep/instr.json"
  expect_eq "sandbox.instructions $v: exit 1" 1 "$RC"
  expect_match "sandbox.instructions $v: message names the key" \
    "^folio: .*instr.json: 'sandbox.instructions' must be a whole number >= 1, got " "$ERR"
done
printf '{"model": "../one.lua", "outputs": {"dir": "o"}, "sandbox": {"instructions": 0.5}}\n' > "$H/dep/instr.json"
run_folio run "$H/dep/instr.json"
expect_eq "sandbox.instructions 0.5: the whole message" \
  "folio: $H/dep/instr.json: 'sandbox.instructions' must be a whole number >= 1, got 0.5" "$ERR"
printf '{"model": "../one.lua", "outputs": {"dir": "o"}, "sandbox": {"instructions": 1e9}}\n' > "$H/dep/instr.json"
run_folio run "$H/dep/instr.json"
expect_eq "sandbox.instructions 1e9: fine" 0 "$RC"

# ------------------------------------------------------------ a tail call's error
# `return folio.f(...)` is a tail call: Lua keeps no line for the script, so
# the message names the script and says it is a `return` line
cat > "$H/tail.lua" <<'LUA'
local folio = require "folio"
local opt = folio.ExposureOptimizer()
return opt:optimize { exposures = { "a" }, cov = { { 1 } }, bad = 1 }
LUA
run_folio run "$H/tail.lua"
expect_eq "a tail call's error: exit 1" 1 "$RC"
expect_eq "a tail call's error: the script, a return line" \
  "folio: $H/tail.lua, a \`return\` line: optimize: unknown option 'bad' (options: constraints, cov, estimation_date, exposures, mu, objective)" \
  "$(head -1 <<<"$ERR")"
sed -i 's/^return opt:optimize/local r = opt:optimize/; $a return r' "$H/tail.lua"
run_folio run "$H/tail.lua"
expect_eq "not a tail call: the line" \
  "folio: $H/tail.lua:3: optimize: unknown option 'bad' (options: constraints, cov, estimation_date, exposures, mu, objective)" \
  "$(head -1 <<<"$ERR")"
finish
