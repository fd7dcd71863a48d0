#!/usr/bin/env bash
# End-to-end: what the host writes is its own (issue 14). A sandboxed
# script cannot forge the exit code, the --json content or a deployment's
# run record by replacing folio's functions (its modules are read-only
# views; the host binds its report, JSON and record code before the script
# runs), cannot read its own outputs, and cannot write them. Outputs are
# one transaction: a failed write is one line on stderr and exit 1 with the
# old files intact; temp files of a run that died are removed by the next
# run, which also completes a commit a crash interrupted.
#
#   bash tests/e2e/test_host_outputs.sh /abs/path/to/folio      (from the repo root)
source "$(dirname "$0")/lib.sh" "$@"

H="$WORK/h"
mkdir -p "$H"
jget() { "$PY" -c 'import json,sys
v = json.load(open(sys.argv[1]))
for k in sys.argv[2].split("."):
    v = v[int(k)] if isinstance(v, list) else v[k]
print(v)' "$1" "$2"; }

# an infeasible model: the honest outcome is exit 3, status "infeasible"
INFEASIBLE='local m = folio.model("m")
local x = m:var("x", nil, {lb = 0, ub = 1})
m:st("c", x, ">=", 2)
m:maximize(x)
return m:solve()'

# ------------------------------------------------------------ forged outputs
# Each assignment raises; the script swallows the error and returns the
# infeasible result: exit code and JSON must stay honest.
forge() {   # forge NAME LUA-ASSIGNMENT FIELD
  cat > "$H/$1.lua" <<LUA
local folio = require "folio"
local report = require "folio.report"
local ok, err = pcall(function() $2 end)
folio.params.err = tostring(err)
$INFEASIBLE
LUA
  cat > "$H/$1_msg.lua" <<LUA
local folio = require "folio"
local report = require "folio.report"
$2
LUA
  run_folio run "$H/$1.lua" --sandbox --json "$H/$1.json"
  expect_eq "$1: exit code stays 3" 3 "$RC"
  expect_eq "$1: JSON says infeasible" infeasible "$(jget "$H/$1.json" status)"
  run_folio run "$H/$1_msg.lua" --sandbox
  expect_eq "$1: the assignment is an error (exit 1)" 1 "$RC"
  expect_eq "$1: message" "folio: $H/$1_msg.lua:3: sandbox: folio's tables are read-only (cannot set '$3')" \
    "$(head -1 <<<"$ERR")"
}
forge exit_code 'report.exit_code = function() return 0 end' exit_code
forge json 'report.json = function() return {status = "optimal"} end' json
forge is_result 'report.is_result = function() return false end' is_result
forge results_in 'report.results_in = function() return {} end' results_in
forge write_json 'folio.write_json = function() end' write_json
forge nested 'folio.core_stats.cov = nil' cov

# a model result's methods (the protected metatable's copy holds them)
cat > "$H/methods.lua" <<LUA
local folio = require "folio"
local m = folio.model("m")
local x = m:var("x", nil, {lb = 0, ub = 1})
m:st("c", x, ">=", 2)
m:maximize(x)
local r = m:solve()
getmetatable(r).methods.to_table = function() return {status = "optimal"} end
return r
LUA
run_folio run "$H/methods.lua" --sandbox --json "$H/methods.json"
expect_eq "result methods: the assignment is an error" \
  "folio: $H/methods.lua:7: sandbox: folio's tables are read-only (cannot set 'to_table')" "$(head -1 <<<"$ERR")"
check "result methods: no JSON written" test ! -e "$H/methods.json"

# reading the modules still works: pairs, #, calls through a view, require twice
cat > "$H/views.lua" <<'LUA'
local folio = require "folio"
local n = 0
for k, v in pairs(require "folio.report") do n = n + 1 end
assert(n > 5, "pairs over a module")
assert(require "folio" == folio, "one view per module")
assert(type(folio.cim) ~= "nil", "lazy fields")
assert(getmetatable(folio) == false, "the view's metatable is protected")
folio.params.mine = 1   -- the script's own table
return {n = n > 5, mine = folio.params.mine}
LUA
run_folio run "$H/views.lua" --sandbox
expect_eq "views: read, iterate, call (exit 0)" 0 "$RC"
printf 'local folio = require "folio"\nreturn folio.MinVolatilty{}\n' > "$H/typo.lua"
run_folio run "$H/typo.lua" --sandbox
expect_eq "views: a misspelt constructor still blames the script's line" \
  "folio: $H/typo.lua:2: folio: no field 'MinVolatilty' (did you mean 'MinVolatility'?)" "$(head -1 <<<"$ERR")"

# ------------------------------------------------------------ own outputs
mkdir -p "$H/outside"
echo '{"secret": 1}' > "$H/outside/out.json"
cat > "$H/read_out.lua" <<'LUA'
local folio = require "folio"
return {text = folio.read_text(folio.params.path)}
LUA
run_folio run "$H/read_out.lua" --sandbox --json "$H/outside/out.json" --set path="$H/outside/out.json"
expect_eq "reading the --json target outside the readable folders: exit 1" 1 "$RC"
expect_eq "reading the --json target: message" \
  "folio: sandbox: reading '$H/outside/out.json' is not allowed (an output of this run)" "$(head -1 <<<"$ERR")"
echo '{"old": 1}' > "$H/own.json"
run_folio run "$H/read_out.lua" --sandbox --json "$H/own.json" --set path="$H/own.json"
expect_eq "reading the --json target in the script's folder: message" \
  "folio: sandbox: reading '$H/own.json' is not allowed (an output of this run)" "$(head -1 <<<"$ERR")"
ln -sf "$H/own.json" "$H/own_link.json"
run_folio run "$H/read_out.lua" --sandbox --json "$H/own.json" --set path="$H/own_link.json"
expect_match "reading it through a link: refused" "sandbox: reading '.*own_link.json' is not allowed \(an output of this run\)" "$ERR"
run_folio run "$H/read_out.lua" --sandbox --report "$H/own.html" --set path="$H/own.html"
expect_match "reading the --report target: refused" "sandbox: reading '.*own.html' is not allowed" "$ERR"
cat > "$H/write_out.lua" <<'LUA'
local folio = require "folio"
folio.write_json(folio.params.path, {forged = true})
LUA
run_folio run "$H/write_out.lua" --sandbox --json "$H/own.json" --set path="$H/own.json"
expect_match "writing the --json target: refused" "sandbox: writing '.*own.json' is not allowed \(nothing is writable\)" "$ERR"
expect_eq "writing the --json target: the old file stays" '{"old": 1}' "$(cat "$H/own.json")"
run_folio run "$H/read_out.lua" --json "$H/own.json" --set path="$H/own.json"
expect_eq "without the sandbox a script reads what it likes" 0 "$RC"

# ------------------------------------------------------------ deployment record
mkdir -p "$H/dep"
cat > "$H/dep/forge.lua" <<LUA
local folio = require "folio"
local report = require "folio.report"
for _, f in ipairs {
  function() report.exit_code = function() return 0 end end,
  function() report.json = function() return {} end end,
  function() folio.write_json = function() end end,
  function() folio.version = "forged" end,
} do pcall(f) end
folio.params.rwa = "forged"        -- the script's copy
folio.data.book = "/etc/passwd"
$INFEASIBLE
LUA
cat > "$H/dep/forge.json" <<'JSON'
{"model": "forge.lua", "params": {"rwa": 0.5}, "data": {"book": "forge.lua"},
 "outputs": {"dir": "out", "json": "r.json", "record": "run.json"}}
JSON
run_folio run "$H/dep/forge.json"
R="$H/dep/out/run.json"
expect_eq "deployment forge: exit 3" 3 "$RC"
expect_eq "deployment forge: record status" no_solution "$(jget "$R" status)"
expect_eq "deployment forge: record exit code" 3 "$(jget "$R" exit_code)"
expect_eq "deployment forge: record params are the config's" 0.5 "$(jget "$R" params.rwa)"
expect_eq "deployment forge: sandbox on" True "$(jget "$R" sandbox.on)"
expect_eq "deployment forge: folio version" "$("$FOLIO" --version | awk '{print $2}')" "$(jget "$R" folio_version)"
expect_eq "deployment forge: JSON status" infeasible "$(jget "$H/dep/out/r.json" status)"
expect_eq "deployment forge: the record vouches for the JSON" "$(sha256sum "$H/dep/out/r.json" | cut -d' ' -f1)" \
  "$(jget "$R" outputs.0.sha256)"

cat > "$H/dep/peek.lua" <<'LUA'
local folio = require "folio"
return {text = folio.read_text(folio.params.path)}
LUA
printf '{"model": "peek.lua", "params": {"path": "%s"}, "outputs": {"dir": "out", "json": "p.json"}}\n' \
  "$H/dep/out/run.json" > "$H/dep/peek.json"
run_folio run "$H/dep/peek.json"
expect_eq "deployment: reading its own record is refused" \
  "folio: sandbox: reading '$H/dep/out/run.json' is not allowed (an output of this run)" "$(head -1 <<<"$ERR")"

# what a script writes at the outputs' paths is replaced (or removed, when it fails)
cat > "$H/dep/plant.lua" <<'LUA'
local folio = require "folio"
local dir = folio.params.dir
folio.write_json(dir .. "/r.json", {status = "optimal", forged = true})
folio.write_json(dir .. "/run.json", {status = "solved", forged = true})
if folio.params.fail then error("stop here") end
return {answer = 42}
LUA
printf '{"model": "plant.lua", "params": {"dir": "%s", "fail": false}, "outputs": {"dir": "out_plant", "json": "r.json"}}\n' \
  "$H/dep/out_plant" > "$H/dep/plant.json"
mkdir -p "$H/dep/out_plant"
run_folio run "$H/dep/plant.json"
expect_eq "planted outputs: exit 0" 0 "$RC"
expect_eq "planted outputs: the JSON is folio's" 42 "$(jget "$H/dep/out_plant/r.json" answer)"
expect_eq "planted outputs: the record is folio's" solved "$(jget "$H/dep/out_plant/run.json" status)"
check "planted outputs: nothing forged remains" test -z "$(grep -l forged "$H/dep/out_plant"/*.json)"
run_folio run "$H/dep/plant.json" --set fail=true
expect_eq "planted outputs, failed run: exit 1" 1 "$RC"
check "planted outputs, failed run: the planted JSON is removed" test ! -e "$H/dep/out_plant/r.json"
expect_eq "planted outputs, failed run: the record says error" error "$(jget "$H/dep/out_plant/run.json" status)"

# ------------------------------------------------------------ failed writes
cat > "$H/ok.lua" <<'LUA'
return {answer = 42}
LUA
echo '{"old": "json"}' > "$H/pair.json"
echo '<p>old</p>' > "$H/pair.html"
mkdir -p "$H/adir.json"
run_folio run "$H/ok.lua" --json "$H/adir.json" --report "$H/pair.html"
expect_eq "a failed write: exit 1" 1 "$RC"
expect_eq "a failed write: one line on stderr" "folio: cannot write '$H/adir.json': Is a directory" "$ERR"
expect_eq "a failed write: the report is not written either" '<p>old</p>' "$(cat "$H/pair.html")"
check "a failed write: no temp files" test -z "$(find "$H" -maxdepth 1 -name '*.tmp.*')"

# a disk that fills up (a file size limit gives EFBIG where a full disk gives ENOSPC)
cat > "$H/big.lua" <<'LUA'
local rows = {}
for i = 1, 5000 do rows[i] = "row " .. i end
return {rows = rows}
LUA
(trap '' XFSZ; ulimit -f 16; exec "$FOLIO" run "$H/big.lua" --quiet --json "$H/pair.json" --report "$H/pair.html") \
  >"$WORK/.out" 2>"$WORK/.err"
RC=$?; ERR=$(cat "$WORK/.err")
expect_eq "a full disk: exit 1" 1 "$RC"
expect_eq "a full disk: one line" "folio: cannot write '$H/pair.json': File too large" "$ERR"
expect_eq "a full disk: the old JSON stays" '{"old": "json"}' "$(cat "$H/pair.json")"
expect_eq "a full disk: the old report stays" '<p>old</p>' "$(cat "$H/pair.html")"
check "a full disk: no temp files" test -z "$(find "$H" -maxdepth 1 -name '*.tmp.*')"

# a deployment whose output cannot be written: one line, exit 1, a record of the failure
mkdir -p "$H/dep/out_fail/r.json"
printf '%s\n' '{"model": "../ok.lua", "outputs": {"dir": "out_fail", "json": "r.json"}}' > "$H/dep/fail.json"
run_folio run "$H/dep/fail.json"
expect_eq "deployment write failure: exit 1" 1 "$RC"
expect_eq "deployment write failure: one line on stderr" \
  "folio: cannot write '$H/dep/out_fail/r.json': Is a directory" "$ERR"
expect_eq "deployment write failure: record status" error "$(jget "$H/dep/out_fail/run.json" status)"
expect_eq "deployment write failure: record error" "cannot write '$H/dep/out_fail/r.json': Is a directory" \
  "$(jget "$H/dep/out_fail/run.json" error)"
printf '%s\n' '{"model": "../ok.lua", "outputs": {"dir": "out_fail", "csv": "../x.csv"}}' > "$H/dep/outside.json"
run_folio run "$H/dep/outside.json"
expect_eq "an output outside outputs.dir: exit 1" 1 "$RC"
expect_eq "an output outside outputs.dir: message" \
  "folio: $H/dep/outside.json: 'outputs.csv' must be a file name in outputs.dir, got '../x.csv'" "$ERR"

# ------------------------------------------------------------ crashes: cleanup and recovery
dead_pid() { local p=4000000; while kill -0 "$p" 2>/dev/null; do p=$((p + 1)); done; echo "$p"; }
P=$(dead_pid)
echo junk > "$H/pair.json.tmp.$P.Ab12Cd"
echo junk > "$H/pair.html.tmp.$P.Ef34Gh"
echo junk > "$H/pair.json.tmp.Xy9876"            # an older folio's temp file
touch -d '1 hour ago' "$H/pair.json.tmp.Xy9876"
echo live > "$H/pair.json.tmp.$$.Zz0000"         # a live process's (this shell's)
run_folio run "$H/ok.lua" --quiet --json "$H/pair.json" --report "$H/pair.html"
expect_eq "stale temps: the run succeeds" 0 "$RC"
expect_eq "stale temps of dead processes are removed, a live one's kept" "$H/pair.json.tmp.$$.Zz0000" \
  "$(find "$H" -maxdepth 1 -name '*.tmp.*' | sort | tr '\n' ' ' | sed 's/ $//')"
rm -f "$H/pair.json.tmp.$$.Zz0000"

# a crash between the commit and the renames: the journal names the staged
# files; the next run completes the set before its script runs
echo '{"new": "json"}' > "$H/pair.json.tmp.$P.Aa0000"
echo '<p>new</p>' > "$H/pair.html.tmp.$P.Bb0000"
echo '{"old": "json"}' > "$H/pair.json"
echo '<p>old</p>' > "$H/pair.html"
printf 'folio-commit 1\n\0R\0%s\0%s\0R\0%s\0%s\0' "$H/pair.json.tmp.$P.Aa0000" "$H/pair.json" \
  "$H/pair.html.tmp.$P.Bb0000" "$H/pair.html" > "$H/.pair.json.folio-commit"
cat > "$H/fails.lua" <<'LUA'
error("no data today")
LUA
run_folio run "$H/fails.lua" --json "$H/pair.json" --report "$H/pair.html"
expect_eq "recovery: the failing script exits 1" 1 "$RC"
expect_eq "recovery: the committed JSON is in place" '{"new": "json"}' "$(cat "$H/pair.json")"
expect_eq "recovery: the committed report is in place" '<p>new</p>' "$(cat "$H/pair.html")"
check "recovery: journal and temps gone" test ! -e "$H/.pair.json.folio-commit" -a -z "$(find "$H" -maxdepth 1 -name '*.tmp.*')"
# a journal that names files folio would not have staged is not acted on
echo keep > "$H/victim.txt"
printf 'folio-commit 1\n\0R\0%s\0%s\0D\0%s\0' "$H/ok.lua" "$H/pair.json" "/tmp/../$H/victim.txt" > "$H/.pair.json.folio-commit"
run_folio run "$H/fails.lua" --json "$H/pair.json"
expect_eq "a foreign journal: nothing renamed" '{"new": "json"}' "$(cat "$H/pair.json")"
check "a foreign journal: nothing removed outside its folder, the script kept" test -e "$H/victim.txt" -a -e "$H/ok.lua"
check "a foreign journal: removed" test ! -e "$H/.pair.json.folio-commit"

# ------------------------------------------------ outputs that are not files
# A device, FIFO or terminal (or /dev/stdout's target) is written in place:
# renaming a temp file over it would replace the device (as root,
# `--json /dev/null` once turned /dev/null into a regular file). Here
# through links in the test's folder, so a regression replaces a link.
ln -s /proc/self/fd/1 "$H/stdout_link"
ln -s /dev/null "$H/null_link"
out=$("$FOLIO" --quiet run models/loan_book.lua --json "$H/stdout_link" | cat)
expect_eq "--json to a pipe through a link: the JSON is printed" "optimal" \
  "$("$PY" -c 'import json,sys; print(json.loads(sys.stdin.read())[0]["status"])' <<<"$out")"
check "--json to a pipe: the link is still a link" test -L "$H/stdout_link"
"$FOLIO" --quiet run models/loan_book.lua --json "$H/null_link" --report "$H/null_link"
expect_eq "--json and --report to /dev/null: exit 0" 0 $?
check "--json to /dev/null: the link still points at a character device" test -L "$H/null_link" -a -c "$H/null_link"
check "--json to /dev/null: no temp file or journal beside it" \
  test -z "$(ls -A "$H" | grep -E 'null_link\.(tmp|folio)|\.null_link')"

finish
