#!/usr/bin/env bash
# End-to-end: the sandbox escapes of issue 14 (item 4), each a script in
# tests/data/escapes/ run as
#   folio run --sandbox --max-time 2 --max-memory 64M SCRIPT
# and each must end with its exact exit code and first line of stderr,
# within a bounded wall time (10 s for the 2 s budget: the machine is
# shared). Before the fixes these ran for minutes, for ever, or crashed:
# C loops outside the count hook (pattern matching, string.rep, the table
# library, subset and spin enumeration, the Ising machines, the CIM flow,
# the QP engine's branch and bound, scenario generation, GLPK's and Cbc's
# branch and bound, GLPK's simplex through the capped time limit), xpcall handlers
# and __close handlers run with hooks off after a budget error, __gc
# finalizers (always run with hooks off), and forged metatables. Also: the
# sandbox's own pattern and table functions give Lua's answers (compared
# with lua5.4 on the same script), and the instruction budget charges C
# loops for their time.
#
#   bash tests/e2e/test_escapes.sh /abs/path/to/folio      (from the repo root)
source "$(dirname "$0")/lib.sh" "$@"

D=tests/data/escapes
BUDGET=(--sandbox --max-time 2 --max-memory 64M)
TIME_MSG="folio: sandbox: time budget of 2.0 s exceeded"
MEM_MSG="folio: memory cap of 64 MiB reached: not enough memory"
LIMIT=10            # seconds a 2 s budget may take on a loaded machine
HANG=60             # a case still running then has escaped

below() { awk -v x="$1" -v y="$2" 'BEGIN { exit !(x < y) }'; }

# escape NAME RC FIRST_LINE_OF_STDERR [FOLIO ARGS...]: runs NAME.lua (or
# $SCRIPT.lua) under the budget (or ARGS instead of it when given) and
# checks all three
escape() {
  local name=$1 rc=$2 msg=$3; shift 3
  local script=${SCRIPT:-$name}
  local args=("$@")
  [ ${#args[@]} -eq 0 ] && args=("${BUDGET[@]}")
  local t0 t1
  t0=$(date +%s.%N)
  timeout "$HANG" "$FOLIO" run "${args[@]}" "$D/$script.lua" >"$WORK/.out" 2>"$WORK/.err"
  RC=$?
  t1=$(date +%s.%N)
  OUT=$(cat "$WORK/.out")
  ERR=$(cat "$WORK/.err")
  local took
  took=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }')
  expect_eq "$name: exit code" "$rc" "$RC"
  expect_eq "$name: message" "$msg" "$(printf '%s\n' "$ERR" | head -n 1)"
  # one error, said once (the traceback's script frames aside)
  [ -n "$msg" ] && expect_eq "$name: one message line" "1" "$(printf '%s\n' "$ERR" | grep -c '^folio:')"
  check "$name: stopped within $LIMIT s (took $took s)" below "$took" "$LIMIT"
}

# ------------------------------------------------ patterns, in C, no hook
escape pattern_find 1 "$TIME_MSG"
escape pattern_method 1 "$TIME_MSG"
escape pattern_gsub 1 "$TIME_MSG"
escape pattern_gmatch 1 "$TIME_MSG"

# ------------------------------------------------ other C loops of the standard library
escape string_rep 0 ""
expect_eq "string_rep: the empty results" "0 0" "$OUT"
escape table_move 1 "$TIME_MSG"
escape table_concat 1 "$TIME_MSG"
escape table_insert 1 "$TIME_MSG"
escape table_sort 1 "$MEM_MSG"

# ------------------------------------------------ handlers and finalizers
escape xpcall_handler 1 "$TIME_MSG"
escape xpcall_handler_error 1 "$TIME_MSG"
escape gc_finalizer 1 "folio: $D/gc_finalizer.lua:2: sandbox: __gc metamethods are not available (no budget can stop a finalizer)"
escape gc_late 0 ""
expect_eq "gc_late: no finalizer ran" "no finalizer ran" "$OUT"
escape close_wrap 1 "$TIME_MSG"
expect_eq "close_wrap: the caller's pcall saw the budget error" "false	sandbox: time budget of 2.0 s exceeded" "$OUT"
escape close_coroutine 1 "$TIME_MSG"

# ------------------------------------------------ folio's own C loops
escape cim_select 1 "$TIME_MSG"
escape ising_bruteforce 1 "$TIME_MSG"
escape ising_solve 1 "$TIME_MSG"
escape cim_flow 1 "$TIME_MSG"
escape qp_branch_and_bound 1 "$TIME_MSG"
SCRIPT=mip escape mip_glpk 1 "$TIME_MSG" "${BUDGET[@]}" --set solver=glpk
SCRIPT=mip escape mip_cbc 1 "$TIME_MSG" "${BUDGET[@]}" --set solver=cbc
escape lp_glpk 1 "folio: sandbox: time budget of 1.0 s exceeded" --sandbox --max-time 1 --max-memory 64M
escape trade_generate 1 "folio: sandbox: time budget of 1.0 s exceeded" --sandbox --max-time 1 --max-memory 64M
escape trade_memory 1 "folio: memory cap of 64 MiB reached: $D/trade_memory.lua:5: TradeAssigner: scenarios: not enough memory"
escape trade_gc 1 "folio: $D/trade_gc.lua:18: attempt to call a nil value (field '__gc')"

# the instruction budget charges C loops for their time (10^8 a second)
escape cim_select 1 "folio: sandbox: instruction budget of 100000000 exceeded" --sandbox --max-instructions 1e8
escape qp_branch_and_bound 1 "folio: sandbox: instruction budget of 100000000 exceeded" --sandbox --max-instructions 1e8
SCRIPT=mip escape mip_glpk 1 "folio: sandbox: instruction budget of 100000000 exceeded" --sandbox --max-instructions 1e8 --set solver=glpk
SCRIPT=mip escape mip_cbc 1 "folio: sandbox: instruction budget of 100000000 exceeded" --sandbox --max-instructions 1e8 --set solver=cbc
escape trade_generate 1 "folio: sandbox: instruction budget of 100000000 exceeded" --sandbox --max-instructions 1e8

# ------------------------------------------------ metatables scripts can reach
escape metatables 0 ""
expect_eq "metatables: every check" "family name	true	x
family __gc	true	nil
family sum	true	x[a] + x[b]
family setmetatable	false	cannot change a protected metatable
scenarios __name	true	folio.scenarios
scenarios __gc	true	nil
scenarios methods hidden	false	attempt to index a function value (field '__index')
scenarios size	true	3
scenarios row	true	2
scenarios unknown	true	nil
scenarios result	true	optimal" "$OUT"

# ------------------------------------------------ the sandbox's functions give Lua's answers
if command -v lua5.4 >/dev/null; then
  lua5.4 "$D/patterns.lua" >"$WORK/stock.txt" 2>&1
  expect_eq "patterns: lua5.4 runs the comparison script" 0 $?
  "$FOLIO" run --sandbox "$D/patterns.lua" >"$WORK/sandbox.txt" 2>&1
  expect_eq "patterns: the sandbox runs it" 0 $?
  check "patterns: over 8000 results" test "$(wc -l <"$WORK/stock.txt")" -gt 8000
  if cmp -s "$WORK/stock.txt" "$WORK/sandbox.txt"; then pass
  else fail "patterns: the sandbox differs from lua5.4: $(diff "$WORK/stock.txt" "$WORK/sandbox.txt" | head -n 6)"; fi
else
  fail "patterns: lua5.4 not found (apt-get install lua5.4)"
fi

finish
