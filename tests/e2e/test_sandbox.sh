#!/usr/bin/env bash
# End-to-end: `folio run --sandbox` -- every escape attempt in
# tests/data/sandbox/escapes.lua is refused with the expected error; the
# instruction budget stops loops that pcall or coroutines try to shield,
# within a second of the budget running out; the memory cap stops a bomb
# with a clear message and, when the script catches it, leaves a working
# state; deployments are sandboxed unless trusted.
#
#   bash tests/e2e/test_sandbox.sh /abs/path/to/folio      (from the repo root)
source "$(dirname "$0")/lib.sh" "$@"

SB="$WORK/sb"
cp -r tests/data/sandbox "$SB"
ln -s /etc "$SB/link_out"
rm -f /tmp/folio_sandbox_pwned.txt /tmp/folio_sandbox_pwned.lp

# ------------------------------------------------------------ escapes
run_folio run "$SB/escapes.lua" --sandbox --json "$WORK/escapes.json"
expect_eq "escapes: the script itself runs (exit 0)" 0 "$RC"
J="$WORK/escapes.json"
field() { "$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$J" "$1"; }
expect_no_match "escapes: nothing escaped" "ESCAPED" "$(cat "$J")"
expect_match "io is absent" "global 'io'" "$(field io)"
expect_match "os is absent" "global 'os'" "$(field os)"
for m in os io debug folio.core folio.deploy cjson; do
  key=require_${m//./_}; [ "$m" = folio.core ] && key=require_core; [ "$m" = folio.deploy ] && key=require_deploy
  [ "$m" = cjson ] && key=require_cmodule
  expect_match "require '$m' refused" "sandbox: module '$m' is not available" "$(field "$key")"
done
expect_match "package is absent" "global 'package'" "$(field package)"
expect_match "dofile is absent" "global 'dofile'" "$(field dofile)"
expect_match "loadfile is absent" "global 'loadfile'" "$(field loadfile)"
expect_match "binary chunks refused" "attempt to load a binary chunk" "$(field load_binary)"
expect_match "binary chunks refused with mode b" "attempt to load a binary chunk" "$(field load_binary_mode)"
expect_match "load() gets the sandbox environment" "loaded chunks see the sandbox" "$(field load_env_escape)"
expect_match "the string metatable is hidden" "index a boolean value" "$(field string_metatable)"
expect_match "collectgarbage('stop') refused" "collectgarbage\('stop'\) is not available" "$(field collectgarbage_stop)"
expect_match "read_csv outside refused" "sandbox: reading '/etc/passwd' is not allowed \(readable: " "$(field read_csv_outside)"
expect_match ".. out of the folder refused" "sandbox: reading '.*/etc/hostname' is not allowed" "$(field read_text_dotdot)"
expect_match "a symlink out of the folder refused" "sandbox: reading '.*link_out/hostname' is not allowed" "$(field read_json_symlink)"
expect_match "read_model outside refused" "sandbox: reading '/etc/x.lp' is not allowed" "$(field read_model_outside)"
expect_match "read_orlib outside refused" "sandbox: reading '/etc/hostname' is not allowed" "$(field read_orlib_outside)"
expect_match "write_text outside refused (the --json file is the host's)" "sandbox: writing '/tmp/folio_sandbox_pwned.txt' is not allowed \(nothing is writable\)" "$(field write_text_outside)"
expect_match "write_json beside the script refused" "sandbox: writing '.*pwned.json' is not allowed" "$(field write_json_here)"
expect_match "m:write outside refused" "sandbox: writing '/tmp/folio_sandbox_pwned.lp' is not allowed" "$(field model_write_outside)"
expect_eq "reading beside the script works" ok "$(field allowed_read)"
check "no file was written outside" test ! -e /tmp/folio_sandbox_pwned.txt -a ! -e /tmp/folio_sandbox_pwned.lp -a ! -e "$SB/pwned.json"

# without --sandbox the same script may read /etc/hostname (the sandbox is what refuses)
run_folio run "$SB/escapes.lua" --json "$WORK/open.json"
expect_match "unsandboxed: io works" "ESCAPED" "$(cat "$WORK/open.json")"
rm -f /tmp/folio_sandbox_pwned.txt /tmp/folio_sandbox_pwned.lp "$SB/pwned.json"

# --allow-write opens one folder for writing
mkdir -p "$WORK/outdir"
cat > "$SB/writes.lua" <<'LUA'
local folio = require "folio"
folio.write_text(arg[1] .. "/ok.txt", "fine")
return { wrote = folio.read_text(arg[1] .. "/ok.txt") }
LUA
run_folio run "$SB/writes.lua" --sandbox --allow-write "$WORK/outdir" -- "$WORK/outdir"
expect_eq "--allow-write: exit 0" 0 "$RC"
expect_eq "--allow-write: file written" fine "$(cat "$WORK/outdir/ok.txt" 2>/dev/null)"
run_folio run "$SB/writes.lua" --sandbox -- "$WORK/outdir"
expect_eq "no --allow-write: exit 1" 1 "$RC"
expect_match "no --allow-write: refused" "sandbox: writing '.*outdir/ok.txt' is not allowed" "$ERR"

# ------------------------------------------------------------ budgets
# timed ARGS...: run_folio, and the seconds it took in ELAPSED
below() { awk -v x="$1" -v y="$2" 'BEGIN { exit !(x < y) }'; }
timed() {
  local t0 t1
  t0=$(date +%s.%N)
  run_folio "$@"
  t1=$(date +%s.%N)
  ELAPSED=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }')
}
timed run "$SB/loop_pcall.lua" --sandbox --max-instructions 20000000
expect_eq "loop under pcall: exit 1" 1 "$RC"
expect_match "loop under pcall: budget error names the budget" "^folio: sandbox: instruction budget of 20000000 exceeded" "$ERR"
expect_match "loop under pcall: error names the line" "loop_pcall.lua:4" "$ERR"
check "loop under pcall: stopped within 5 s (budget of 2e7 instructions)" below "$ELAPSED" 5

timed run "$SB/loop_coroutine.lua" --sandbox --max-instructions 20000000
expect_eq "loop after a coroutine: exit 1" 1 "$RC"
expect_match "coroutine: its own pcall saw the budget error" "false.*instruction budget of 20000000 exceeded" "$OUT"
expect_match "coroutine: the main loop is stopped too" "^folio: sandbox: instruction budget" "$ERR"

timed run "$SB/loop_pcall.lua" --sandbox --max-time 0.5
expect_eq "time budget: exit 1" 1 "$RC"
expect_match "time budget: message" "sandbox: time budget of 0.5.* s exceeded" "$ERR"
check "time budget: stopped within 1 s of it (took $ELAPSED s)" below "$ELAPSED" 1.5

run_folio run "$SB/memory_bomb_uncaught.lua" --sandbox --max-memory 64M
expect_eq "memory bomb: exit 1" 1 "$RC"
expect_match "memory bomb: message names the cap" "^folio: memory cap of 64 MiB reached: not enough memory" "$ERR"

run_folio run "$SB/memory_bomb.lua" --sandbox --max-memory 64M --json "$WORK/bomb.json"
expect_eq "caught memory bomb: exit 0, the state still works" 0 "$RC"
expect_match "caught memory bomb: the script saw the error" '"caught": "not enough memory"' "$(cat "$WORK/bomb.json")"
expect_match "caught memory bomb: a solve after it works" '"objective": 4' "$(cat "$WORK/bomb.json")"

# usage: budget flags need --sandbox; deployments take them from the config
run_folio run "$SB/loop_pcall.lua" --max-instructions 100
expect_eq "--max-instructions without --sandbox: usage error" 2 "$RC"

# ------------------------------------------------------------ deployments
cat > "$SB/deploy.json" <<'JSON'
{ "model": "escapes.lua", "outputs": { "dir": "out", "json": "r.json" } }
JSON
run_folio run "$SB/deploy.json"
expect_eq "deployment: sandboxed by default, the script runs" 0 "$RC"
expect_no_match "deployment: nothing escaped" "ESCAPED" "$(cat "$SB/out/r.json")"
expect_match "deployment: the record says sandboxed" '"on": true' "$(cat "$SB/out/run.json")"
cat > "$SB/trusted.json" <<'JSON'
{ "model": "escapes.lua", "trusted": true, "outputs": { "dir": "out_trusted", "json": "r.json" } }
JSON
run_folio run "$SB/trusted.json"
expect_match "trusted deployment: not sandboxed" "ESCAPED" "$(cat "$SB/out_trusted/r.json")"
rm -f /tmp/folio_sandbox_pwned.txt /tmp/folio_sandbox_pwned.lp

cat > "$SB/loop.json" <<'JSON'
{ "model": "loop_pcall.lua", "outputs": { "dir": "out_loop" }, "sandbox": { "instructions": 2e7 } }
JSON
run_folio run "$SB/loop.json"
expect_eq "deployment budget: exit 1" 1 "$RC"
expect_match "deployment budget: the record has the error" '"error": "sandbox: instruction budget of 20000000 exceeded' "$(cat "$SB/out_loop/run.json")"
expect_match "deployment budget: the record's status" '"status": "error"' "$(cat "$SB/out_loop/run.json")"

finish
