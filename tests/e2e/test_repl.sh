#!/usr/bin/env bash
# End-to-end: `folio repl` on a terminal (tests/e2e/repl_check.py drives it
# through a pseudo-terminal) and on a pipe (no prompts; multi-line chunks;
# errors do not end the session).
#
#   bash tests/e2e/test_repl.sh /abs/path/to/folio      (from the repo root)
source "$(dirname "$0")/lib.sh" "$@"

if "$PY" "$E2E/repl_check.py" "$FOLIO" "$WORK"; then pass; else fail "repl on a terminal"; fi

OUT=$(printf 'x = 2\nfor i = 1, 2 do\n  x = x * 10\nend\n=x\nerror("boom")\n=x + 1\n' | "$FOLIO" repl 2>"$WORK/err")
RC=$?
expect_eq "pipe: exit 0" 0 "$RC"
expect_eq "pipe: values printed, no prompts" "$(printf '200\n201')" "$OUT"
expect_match "pipe: the error went to stderr" "boom" "$(cat "$WORK/err")"
OUT=$(printf ':help MinVol\n:help folio.Nope\n' | "$FOLIO" repl 2>&1)
expect_eq "pipe: :help of names folio does not have" "$(printf "no documentation for 'MinVol' (try :help for the commands)\nno documentation for 'folio.Nope' (try :help for the commands)")" "$OUT"
OUT=$(printf ':help folio.ExposureOptimizer\n' | "$FOLIO" repl 2>&1)
expect_eq "pipe: :help folio.ExposureOptimizer opens with the reference" \
  "# The exposure optimizer  (docs/exposure_optimizer.md)" "$(printf '%s\n' "$OUT" | head -n 1)"
# :load runs a file as `folio run` does: the model reads the data beside it
OUT=$(cd examples/notebooks && printf ':load ../../models/loan_book.lua\n=folio.script_dir\n' | "$FOLIO" repl 2>&1)
expect_match "pipe: :load ../../models/loan_book.lua from examples/notebooks solves it" \
  "^  1    result of 'loan_book': optimal, objective 554.98587209302$" "$OUT"
expect_match "pipe: folio.script_dir is restored after :load" '^"\."$' "$(printf '%s\n' "$OUT" | tail -n 1)"
OUT=$(printf 'for i = 1, 2 do\n' | "$FOLIO" repl 2>&1)
expect_match "pipe: an unfinished chunk at the end is reported" "<eof>" "$OUT"

finish
