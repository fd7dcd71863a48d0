#!/usr/bin/env bash
# End-to-end: kill -9 during the output phase never leaves a mix of two
# runs' files (issue 14). A short run of bench/host/kill9.py (which
# docs/reliability.md runs with 40 trials each): `folio run --json
# --report` and a deployment (outputs and run record), each killed at
# random moments, most of them while it writes; every trial must leave the
# old set or the new one (or a commit the next run completes), and a last
# run must leave no temp files.
#
#   bash tests/e2e/test_kill9.sh /abs/path/to/folio      (from the repo root)
source "$(dirname "$0")/lib.sh" "$@"

OUT=$("$PY" bench/host/kill9.py "$FOLIO" --trials "${KILL9_TRIALS:-8}" --seed 7 2>&1)
RC=$?
printf '%s\n' "$OUT" | sed 's/^/  /'
expect_eq "kill -9 trials: no mixed state, no stale file" 0 "$RC"
expect_match "run trials: no mixed state" "^run +trials [0-9]+: .* mixed 0 " "$OUT"
expect_match "deployment trials: no mixed state" "^deploy +trials [0-9]+: .* mixed 0 " "$OUT"
expect_match "run: a last run leaves no stale file" "^run .*consistent yes, stale files 0" "$OUT"
expect_match "deployment: a last run leaves no stale file" "^deploy .*consistent yes, stale files 0" "$OUT"

finish
