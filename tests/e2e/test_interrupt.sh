#!/usr/bin/env bash
# End-to-end: Ctrl-C (SIGINT, sent with kill -INT after a delay) stops folio
# promptly with exit 130 and "interrupted" (issue 14): `folio solve` with
# GLPK and with Cbc, `folio run` in Cbc's branch and cut, and Lua loops
# inside coroutines (coroutine.wrap, coroutine.resume, nested) or shielded
# by pcall, with and without the sandbox. Wall-clock test: RUN_SERIAL.
#
#   bash tests/e2e/test_interrupt.sh /abs/path/to/folio      (from the repo root)
source "$(dirname "$0")/lib.sh" "$@"

# Background jobs of a non-interactive shell ignore SIGINT; with job
# control they keep the default disposition, as from a terminal.
set -m
I=tests/data/host/interrupt

# interrupt LABEL DELAY LIMIT EXPECTED-STDERR-LINE ARGS...: starts folio ARGS,
# sends SIGINT after DELAY seconds and expects it gone within LIMIT seconds
# with exit 130 and that first line on stderr (the line the script was on).
interrupt() {
  local label=$1 delay=$2 limit=$3 want=$4; shift 4
  "$FOLIO" "$@" >"$WORK/.out" 2>"$WORK/.err" &
  local pid=$!
  sleep "$delay"
  if ! kill -0 "$pid" 2>/dev/null; then
    wait "$pid"
    fail "$label: folio ended before the signal (exit $?)"
    return
  fi
  kill -INT "$pid"
  local t0 gone=0
  t0=$(date +%s.%N)
  while "$PY" -c "import sys,time; sys.exit(time.time() - $t0 > $limit)"; do
    if ! kill -0 "$pid" 2>/dev/null; then gone=1; break; fi
    sleep 0.05
  done
  if [ $gone = 0 ]; then
    kill -KILL "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
    fail "$label: still running $limit s after Ctrl-C"
    return
  fi
  wait "$pid"
  local rc=$?
  expect_eq "$label: exit 130" 130 "$rc"
  expect_eq "$label: message" "$want" "$(head -1 "$WORK/.err")"
}

interrupt "solve, GLPK" 1 2 "folio: $I/market_split.lp: interrupted" solve "$I/market_split.lp" --solver glpk
interrupt "solve, Cbc" 1 5 "folio: $I/market_split.lp: interrupted" solve "$I/market_split.lp" --solver cbc
interrupt "solve, Cbc, --json" 1 5 "folio: $I/market_split.lp: interrupted" \
  solve "$I/market_split.lp" --solver cbc --json "$WORK/split.json"
check "solve, interrupted: no JSON" test ! -e "$WORK/split.json"
interrupt "run, Cbc's branch and cut" 1.5 5 "folio: $I/cbc.lua:4: interrupted" run "$I/cbc.lua"
for sb in "" --sandbox; do
  # the message names the main chunk's line: the coroutine stops first, and
  # the main thread raises as soon as it runs again
  interrupt "coroutine.wrap loop $sb" 0.5 2 "folio: $I/wrap_loop.lua:3: interrupted" run "$I/wrap_loop.lua" $sb
  interrupt "coroutine.resume loop $sb" 0.5 2 "folio: $I/resume_loop.lua:3: interrupted" run "$I/resume_loop.lua" $sb
  interrupt "nested coroutines $sb" 0.5 2 "folio: $I/nested_loop.lua:4: interrupted" run "$I/nested_loop.lua" $sb
  interrupt "pcall-shielded loop $sb" 0.5 2 "folio: $I/pcall_loop.lua:2: interrupted" run "$I/pcall_loop.lua" $sb
done

finish
