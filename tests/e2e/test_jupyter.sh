#!/usr/bin/env bash
# The Jupyter kernel (docs/jupyter.md): `folio jupyter install` writes a
# valid kernelspec (and fails with one line), then test_jupyter_kernel.py
# runs the example notebooks headless and drives a kernel: rich outputs,
# errors naming the cell's line, interrupts, completion, inspection,
# is_complete, streams, the sandboxed kernelspec. Skipped (exit 77) when
# the Python module is not built.
source "$(dirname "$0")/lib.sh" "$@"

PYDIR=$(dirname "$FOLIO")/python
if [ ! -f "$PYDIR/folio/kernel.py" ]; then
  echo "SKIP: the folio Python module is not built beside $FOLIO (FOLIO_PYTHON=OFF; docs/python.md)"
  exit 77
fi

# the sanitizer build: the interpreter is not instrumented, so the ASan
# runtime is preloaded (as for tests/python), and time bounds stretch
SCALE=1
if ldd "$FOLIO" | grep -q libasan; then
  SCALE=4
  export LD_PRELOAD=$(gcc -print-file-name=libasan.so) ASAN_OPTIONS=detect_leaks=0
fi

# ---- folio jupyter install ---------------------------------------------------
run_folio jupyter install --prefix "$WORK/prefix"
expect_eq "install: exit 0" 0 "$RC"
SPEC="$WORK/prefix/share/jupyter/kernels/folio/kernel.json"
expect_match "install: names the folder" "installed the folio kernel in $WORK/prefix/share/jupyter/kernels/folio" "$OUT"
check "install: kernel.json is valid and runs folio.kernel in /usr/bin/python3 on this build's module" \
  "$PY" -c '
import json, sys
k = json.load(open(sys.argv[1]))
assert k["argv"] == ["/usr/bin/python3", "-m", "folio.kernel", "-f", "{connection_file}"], k["argv"]
assert k["language"] == "lua" and k["interrupt_mode"] == "signal", k
assert k["env"]["PYTHONPATH"] == sys.argv[2], k["env"]
assert k["display_name"].startswith("folio "), k
' "$SPEC" "$(cd "$PYDIR" && pwd)"
check "install: no temp file left beside kernel.json" \
  test "$(ls "$WORK/prefix/share/jupyter/kernels/folio")" == "kernel.json"

run_folio jupyter install --prefix "$WORK/sbprefix" --name folio-sandbox --sandbox --max-time 1 \
  --max-memory 512M --allow-read "$ROOT/models"
expect_eq "install --sandbox: exit 0" 0 "$RC"
check "install --sandbox: the options are the kernel's arguments" "$PY" -c '
import json, sys
k = json.load(open(sys.argv[1]))
assert k["argv"][5:] == ["--sandbox", "--max-time", "1", "--max-memory", "512M", "--allow-read", sys.argv[2]], k["argv"]
assert k["display_name"].endswith("(sandboxed)"), k
' "$WORK/sbprefix/share/jupyter/kernels/folio-sandbox/kernel.json" "$ROOT/models"

# a small memory cap, for the kernel's recovery after a cell fills it
run_folio jupyter install --prefix "$WORK/memprefix" --name folio-mem --sandbox --max-memory 64M
expect_eq "install --sandbox --max-memory 64M: exit 0" 0 "$RC"

# --user: the user's Jupyter data folder (JUPYTER_DATA_DIR, else ~/.local/share/jupyter)
HOME="$WORK/home" "$FOLIO" jupyter install --user >/dev/null
check "install --user: under ~/.local/share/jupyter" test -f "$WORK/home/.local/share/jupyter/kernels/folio/kernel.json"
JUPYTER_DATA_DIR="$WORK/jdata" "$FOLIO" jupyter install --user >/dev/null
check "install --user: under JUPYTER_DATA_DIR when set" test -f "$WORK/jdata/kernels/folio/kernel.json"

# an installed folio (cmake --install) finds its installed Python package
if cmake --install "$(dirname "$FOLIO")" --prefix "$WORK/inst" >"$WORK/install.log" 2>&1; then
  run_folio_inst() { "$WORK/inst/bin/folio" "$@" >"$WORK/.out" 2>"$WORK/.err"; RC=$?; ERR=$(cat "$WORK/.err"); }
  run_folio_inst jupyter install --prefix "$WORK/instspec"
  expect_eq "installed folio: jupyter install exit 0" 0 "$RC"
  SITE=$(cd "$WORK/inst/lib"/python3*/*-packages && pwd)
  check "installed folio: PYTHONPATH is the installed package's folder, where folio.kernel imports" "$PY" -c '
import json, os, subprocess, sys
k = json.load(open(sys.argv[1]))
assert k["env"]["PYTHONPATH"] == sys.argv[2], (k["env"], sys.argv[2])
env = dict(os.environ, PYTHONPATH=sys.argv[2])
out = subprocess.run([sys.executable, "-c", "import folio.kernel, folio; print(folio.kernel.__file__)"],
                     env=env, capture_output=True, text=True)
assert out.returncode == 0 and out.stdout.startswith(sys.argv[2] + "/folio/kernel.py"), out
' "$WORK/instspec/share/jupyter/kernels/folio/kernel.json" "$SITE"
else
  fail "cmake --install: $(tail -n 3 "$WORK/install.log")"
fi

# failures: one line, exit 1 (or 2 for usage), nothing written
: > "$WORK/afile"
run_folio jupyter install --prefix "$WORK/afile/p"
expect_eq "install into a path under a file: exit 1" 1 "$RC"
expect_eq "install into a path under a file: one line" \
  "folio: jupyter install: cannot create '$WORK/afile/p/share/jupyter/kernels/folio': Not a directory" "$ERR"
mkdir -p "$WORK/ro/share/jupyter/kernels/folio"
chmod a-w "$WORK/ro/share/jupyter/kernels/folio"
if [ "$(id -u)" -ne 0 ]; then
  run_folio jupyter install --prefix "$WORK/ro"
  expect_eq "install into a read-only folder: exit 1" 1 "$RC"
  expect_match "install into a read-only folder: one line naming the file" \
    "^folio: jupyter install: cannot write '$WORK/ro/share/jupyter/kernels/folio/kernel.json': Permission denied" "$ERR"
fi
run_folio jupyter install --user --prefix "$WORK/x"
expect_eq "--user with --prefix: usage error" 2 "$RC"
run_folio jupyter install --prefix "$WORK/x" --max-memory lots
expect_eq "a bad --max-memory: usage error" 2 "$RC"
expect_match "a bad --max-memory: says so" "^folio: jupyter install: --max-memory expects a size like 512M or 4G, got 'lots'" "$ERR"
run_folio jupyter install --prefix "$WORK/x" --max-time 2
expect_eq "--max-time without --sandbox: usage error" 2 "$RC"
run_folio jupyter install --prefix "$WORK/x" --python /nonexistent/python3
expect_eq "a missing interpreter: exit 1" 1 "$RC"
expect_eq "a missing interpreter: one line" \
  "folio: jupyter install: the Python interpreter '/nonexistent/python3': No such file or directory" "$ERR"
check "failed installs write nothing" test ! -e "$WORK/x"
run_folio jupyter frobnicate
expect_eq "an unknown subcommand: usage error" 2 "$RC"

# ---- the kernel ------------------------------------------------------------------
export JUPYTER_PATH="$WORK/prefix/share/jupyter:$WORK/sbprefix/share/jupyter:$WORK/memprefix/share/jupyter"
export JUPYTER_RUNTIME_DIR="$WORK/runtime" JUPYTER_DATA_DIR="$WORK/data" JUPYTER_CONFIG_DIR="$WORK/config"
py kernel test_jupyter_kernel.py "$ROOT" "$SCALE" "$WORK"

finish
