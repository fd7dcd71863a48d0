#!/usr/bin/env bash
# End-to-end: deployment configs (`folio run deploy.json`): schema errors
# name the key; ${ENV} interpolation; --set overrides; outputs (JSON, CSV,
# HTML report) and a run record whose digests match sha256sum; a failed
# run writes a record and no outputs; --each with --shard splits a sweep
# so that every row runs exactly once, as run by the three scheduler
# examples (Slurm job array, GNU parallel, Kubernetes indexed job).
#
#   bash tests/e2e/test_deploy.sh /abs/path/to/folio      (from the repo root)
source "$(dirname "$0")/lib.sh" "$@"

D="$WORK/dep"
mkdir -p "$D"
jget() { "$PY" -c 'import json,sys
v = json.load(open(sys.argv[1]))
for k in sys.argv[2].split("."):
    v = v[int(k)] if isinstance(v, list) else v[k]
print(v)' "$1" "$2"; }

near() { "$PY" -c 'import sys; sys.exit(abs(float(sys.argv[1]) - float(sys.argv[2])) > 1e-7)' "$1" "$2"; }

# ------------------------------------------------------------ schema errors
bad() {   # bad NAME JSON EXPECTED-REGEX
  printf '%s\n' "$2" > "$D/$1.json"
  run_folio run "$D/$1.json"
  expect_eq "$1: exit 1" 1 "$RC"
  expect_match "$1: message" "$3" "$ERR"
}
bad unknown_top '{"model": "m.lua", "outputs": {"dir": "o"}, "modle": 1}' "^folio: .*unknown_top.json: 'modle' is not a known key \(did you mean 'model'\? known: data, model, "
bad unknown_nested '{"model": "m.lua", "outputs": {"dir": "o", "jsn": "r.json"}}' "'outputs.jsn' is not a known key \(did you mean 'json'\? known: csv, dir, json, record, report\)"
bad wrong_type '{"model": "m.lua", "outputs": {"dir": "o"}, "solver": {"time_limit": "fast"}}' "'solver.time_limit' must be a positive number"
bad no_model '{"outputs": {"dir": "o"}}' "'model' is required"
bad no_dir '{"model": "m.lua", "outputs": {}}' "'outputs.dir' is required"
bad bad_size '{"model": "m.lua", "outputs": {"dir": "o"}, "sandbox": {"memory": "lots"}}' "'sandbox.memory' must be a size such as 512M or 2G"
bad bad_json '{"model": "m.lua",' "bad_json.json: invalid JSON"
bad unset_env '{"model": "m.lua", "outputs": {"dir": "${FOLIO_TEST_UNSET_VAR}"}}' "'outputs.dir' uses environment variable FOLIO_TEST_UNSET_VAR, which is not set"
run_folio run "$D/no_model.json" --set outputs.nope=1
expect_match "--set of an unknown key names it" "'outputs.nope' is not a known key" "$ERR"
run_folio run models/deploy/loan_book.json --sandbox
expect_eq "sandbox flags with a config: usage error" 2 "$RC"

# ------------------------------------------------------------ one run
OUT_DIR="$D/one"
FOLIO_OUT="$OUT_DIR" run_folio run models/deploy/loan_book.json --set rwa_limit=0.45
expect_eq "deployment: exit 0" 0 "$RC"
expect_match "deployment: prints the report" "Objective: 357.4075" "$OUT"
for f in result.json solution-1.csv solution-2.csv report.html run.json; do
  check "deployment: wrote $f" test -s "$OUT_DIR/$f"
done
check "deployment: no temp files left" test -z "$(find "$OUT_DIR" -name '*.tmp.*')"
R="$OUT_DIR/run.json"
expect_eq "record: status" solved "$(jget "$R" status)"
expect_eq "record: --set reached the params" 0.45 "$(jget "$R" params.rwa_limit)"
expect_eq "record: folio version" "$("$FOLIO" --version | awk '{print $2}')" "$(jget "$R" folio_version)"
expect_eq "record: config digest" "$(sha256sum models/deploy/loan_book.json | cut -d' ' -f1)" "$(jget "$R" config.sha256)"
expect_eq "record: model digest" "$(sha256sum models/loan_book.lua | cut -d' ' -f1)" "$(jget "$R" model.sha256)"
expect_eq "record: first input is the segments file" "$(realpath models/data/loan_segments.csv)" "$(jget "$R" inputs.0.path)"
expect_eq "record: its digest" "$(sha256sum models/data/loan_segments.csv | cut -d' ' -f1)" "$(jget "$R" inputs.0.sha256)"
expect_eq "record: its size" "$(stat -c %s models/data/loan_segments.csv)" "$(jget "$R" inputs.0.bytes)"
expect_eq "record: output digest" "$(sha256sum "$OUT_DIR/result.json" | cut -d' ' -f1)" "$(jget "$R" outputs.0.sha256)"
expect_eq "record: solver status" optimal "$(jget "$R" solves.0.status)"
check "record: objective 357.4075 (1e-7)" near 357.4075 "$(jget "$R" solves.0.objective)"
expect_eq "record: sandboxed" True "$(jget "$R" sandbox.on)"
expect_match "CSV: variables with values" "^variable,value,reduced_cost" "$(head -1 "$OUT_DIR/solution-1.csv")"
check "JSON: objective 357.4075 (1e-7)" near 357.4075 "$(jget "$OUT_DIR/result.json" 0.objective)"

# a run with no solution: record, exit 3
FOLIO_OUT="$D/infeasible" run_folio run models/deploy/loan_book.json --set rwa_limit=0.1 --set growth_limit=1.0
expect_eq "no solution: exit 3" 3 "$RC"
expect_eq "no solution: record status" no_solution "$(jget "$D/infeasible/run.json" status)"

# a script error: the record says so and no outputs are written
cat > "$D/broken.lua" <<'LUA'
local folio = require "folio"
error("data missing for " .. tostring(folio.params.desk))
LUA
printf '%s\n' '{"model": "broken.lua", "params": {"desk": "rates"}, "outputs": {"dir": "out_broken", "json": "r.json", "csv": "w.csv"}}' > "$D/broken.json"
mkdir -p "$D/out_broken"
echo stale > "$D/out_broken/r.json"
echo stale > "$D/out_broken/w-1.csv"
run_folio run "$D/broken.json"
expect_eq "script error: exit 1" 1 "$RC"
expect_match "script error: message" "data missing for rates" "$ERR"
expect_eq "script error: record status" error "$(jget "$D/out_broken/run.json" status)"
expect_match "script error: record error" "data missing for rates" "$(jget "$D/out_broken/run.json" error)"
check "script error: no result outputs, stale ones removed" test ! -e "$D/out_broken/r.json" -a ! -e "$D/out_broken/w.csv" -a ! -e "$D/out_broken/w-1.csv"

# a Lua config, with env()
cat > "$D/lua.deploy.lua" <<'LUA'
return {
  model = "broken.lua",
  params = { desk = env("FOLIO_TEST_DESK", "credit") },
  outputs = { dir = "out_lua" },
}
LUA
FOLIO_TEST_DESK=fx run_folio run "$D/lua.deploy.lua"
expect_match "Lua config: env() read" "data missing for fx" "$ERR"

# ------------------------------------------------------------ sweeps
ROWS=$(($(wc -l < models/deploy/loan_book_sweep.csv) - 1))
FOLIO_OUT="$D/all" run_folio run models/deploy/loan_book.json --each models/deploy/loan_book_sweep.csv
expect_eq "--each: exit 3 (one row has no solution, none failed)" 3 "$RC"
expect_eq "--each: one line per row" "$ROWS" "$(printf '%s\n' "$OUT" | grep -c .)"
expect_match "--each: row lines" "^tight_rwa: solved, objective 357.4075" "$OUT"
expect_eq "--each: a record per row" "$ROWS" "$(ls "$D"/all/*/run.json | wc -l)"
expect_eq "--each: row params applied" 0.55 "$(jget "$D/all/loose_rwa/run.json" params.rwa_limit)"
expect_eq "--each: row id recorded" loose_rwa "$(jget "$D/all/loose_rwa/run.json" row)"

run_folio run models/deploy/loan_book.json --each models/deploy/loan_book_sweep.csv --shard 4/4
expect_eq "--shard out of range: exit 1" 1 "$RC"
expect_match "--shard out of range: message" "--shard: expected I/N with 0 <= I < N" "$ERR"

# every row exactly once over the shards, as each scheduler runs them
rows_done() { ls "$1"/*/run.json 2>/dev/null | xargs -n1 dirname | xargs -n1 basename | sort | tr '\n' ' '; }
ALL=$(rows_done "$D/all")

for i in 0 1 2 3; do
  FOLIO="$FOLIO" FOLIO_OUT="$D/slurm" SLURM_ARRAY_TASK_ID=$i SLURM_ARRAY_TASK_COUNT=4 SLURM_ARRAY_JOB_ID=7 \
    bash models/deploy/slurm_sweep.sbatch >/dev/null 2>&1
done
expect_eq "Slurm array: every row once" "$ALL" "$(rows_done "$D/slurm")"
expect_eq "Slurm array: shard recorded" 1/4 "$(jget "$D/slurm/tight_rwa/run.json" shard)"

if command -v parallel >/dev/null; then
  FOLIO="$FOLIO" FOLIO_OUT="$D/parallel" bash models/deploy/parallel_sweep.sh 3 >/dev/null 2>&1
  expect_eq "GNU parallel: every row once" "$ALL" "$(rows_done "$D/parallel")"
else
  fail "GNU parallel is not installed (scripts/install-deps.sh installs it)"
fi

K8S_CMD=$(sed -n 's/^ *- \(folio .*--shard.*\)$/\1/p' models/deploy/k8s_sweep.yaml)
expect_match "k8s example: command found" "^folio --quiet run" "$K8S_CMD"
for i in 0 1 2 3; do
  JOB_COMPLETION_INDEX=$i FOLIO_OUT="$D/k8s" sh -c "\"$FOLIO\"${K8S_CMD#folio}" >/dev/null 2>&1
done
expect_eq "k8s indexed job: every row once" "$ALL" "$(rows_done "$D/k8s")"

finish
