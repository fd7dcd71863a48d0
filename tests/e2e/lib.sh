# Shared helpers for tests/e2e/test_*.sh (sourced, not run by ctest).
#
#   source "$(dirname "$0")/lib.sh" "$@"
#
# sets FOLIO (absolute path of the binary: $1, else build/folio), ROOT (the
# repository root: scripts run from there), PY (/usr/bin/python3, which has
# numpy), E2E (this folder), DATA (tests/data/e2e) and WORK (a fresh
# mktemp -d removed on exit); counts checks with pass/fail and prints
# "N passed, M failed" from finish.

set -u
E2E=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$E2E/../.." && pwd)
DATA="$ROOT/tests/data/e2e"
PY=/usr/bin/python3
export PYTHONDONTWRITEBYTECODE=1   # no __pycache__ in the source tree
FOLIO=${1:-$ROOT/build/folio}
case "$FOLIO" in /*) ;; *) FOLIO="$PWD/$FOLIO" ;; esac
cd "$ROOT" || exit 1

PASSED=0
FAILED=0
WORK=$(mktemp -d "${TMPDIR:-/tmp}/folio-e2e.XXXXXX") || exit 1
trap 'rm -rf "$WORK"' EXIT

pass() { PASSED=$((PASSED + 1)); }
fail() { FAILED=$((FAILED + 1)); echo "FAIL: $*"; }

# check DESCRIPTION COMMAND...: passes when COMMAND succeeds
check() {
  local what=$1; shift
  if "$@"; then pass; else fail "$what"; fi
}

# expect_eq DESCRIPTION EXPECTED ACTUAL
expect_eq() {
  if [ "$2" == "$3" ]; then pass; else fail "$1: expected '$2', got '$3'"; fi
}

# expect_match DESCRIPTION REGEX TEXT (grep -E on TEXT)
expect_match() {
  if printf '%s\n' "$3" | grep -Eq -- "$2"; then pass
  else fail "$1: /$2/ not found in: $(printf '%s' "$3" | head -c 400)"; fi
}

# expect_no_match DESCRIPTION REGEX TEXT
expect_no_match() {
  if printf '%s\n' "$3" | grep -Eq -- "$2"; then
    fail "$1: /$2/ unexpectedly found in: $(printf '%s' "$3" | head -c 400)"
  else pass; fi
}

# run_folio ARGS...: runs folio, leaving OUT (stdout), ERR (stderr), RC
run_folio() {
  "$FOLIO" "$@" >"$WORK/.out" 2>"$WORK/.err"
  RC=$?
  OUT=$(cat "$WORK/.out")
  ERR=$(cat "$WORK/.err")
}

# py LABEL SCRIPT ARGS...: runs a comparison script (tests/e2e/*.py) whose
# last line is "PYCHECKS passed failed" and adds its counts to ours.
py() {
  local label=$1 script=$2; shift 2
  local out
  out=$(cd "$E2E" && "$PY" "$script" "$@" 2>&1)
  local rc=$?
  local last
  last=$(printf '%s\n' "$out" | tail -n 1)
  printf '%s\n' "$out" | grep -v '^PYCHECKS ' | sed "s/^/  [$label] /"
  if [[ "$last" =~ ^PYCHECKS\ ([0-9]+)\ ([0-9]+)$ ]]; then
    PASSED=$((PASSED + BASH_REMATCH[1]))
    FAILED=$((FAILED + BASH_REMATCH[2]))
    if [ "${BASH_REMATCH[2]}" -eq 0 ] && [ $rc -ne 0 ]; then fail "$label: $script exited $rc"; fi
  else
    fail "$label: $script did not finish (exit $rc)"
  fi
}

# glpsol_solve LABEL OUTPREFIX ARGS...: glpsol ARGS -o PREFIX.txt -w PREFIX.sol
glpsol_solve() {
  local label=$1 prefix=$2; shift 2
  if glpsol "$@" -o "$prefix.txt" -w "$prefix.sol" >"$prefix.log" 2>&1 \
     && [ -s "$prefix.txt" ] && [ -s "$prefix.sol" ]; then
    pass
  else
    fail "$label: glpsol $* failed: $(tail -n 3 "$prefix.log")"
  fi
}

finish() {
  echo "$PASSED passed, $FAILED failed"
  [ "$FAILED" -eq 0 ]
  exit $?
}

command -v glpsol >/dev/null || { echo "FAIL: glpsol not found (apt-get install glpk-utils)"; echo "0 passed, 1 failed"; exit 1; }
[ -x "$PY" ] || { echo "FAIL: $PY not found"; echo "0 passed, 1 failed"; exit 1; }
[ -x "$FOLIO" ] || { echo "FAIL: folio binary '$FOLIO' not found"; echo "0 passed, 1 failed"; exit 1; }

# json_get FILE KEY: prints KEY of folio's result in FILE (an object, or an
# array of results: the first object holding KEY); "<invalid>" when FILE is
# not valid JSON, "<missing>" when KEY is absent; booleans as true/false.
json_get() {
  "$PY" - "$1" "$2" <<'PYEOF'
import json, sys
try:
    with open(sys.argv[1]) as f:
        d = json.load(f)
except (OSError, ValueError):
    print("<invalid>"); sys.exit(0)
if isinstance(d, list):
    d = next((x for x in d if isinstance(x, dict) and sys.argv[2] in x), {})
v = d.get(sys.argv[2], "<missing>") if isinstance(d, dict) else "<missing>"
print(json.dumps(v) if isinstance(v, (bool, dict, list)) else v)
PYEOF
}

# expect_close DESCRIPTION A B [REL]: |A - B| <= REL |B| + 1e-9 (REL 1e-9)
expect_close() {
  if awk -v a="$2" -v b="$3" -v r="${4:-1e-9}" 'BEGIN {
        if (a !~ /^[-+0-9.eE]+$/ || b !~ /^[-+0-9.eE]+$/) exit 1
        d = a - b; if (d < 0) d = -d; m = b < 0 ? -b : b
        exit !(d <= r * m + 1e-9) }'; then
    pass
  else
    fail "$1: '$2' vs '$3'"
  fi
}
