#!/usr/bin/env bash
# Installs the Debian packages folio needs, only when some are missing (so
# the second `make demo` is quick).
#   install-deps.sh build   what building and running folio needs (make demo)
#   install-deps.sh test    that, plus what the tests and benchmarks use (make test)
set -euo pipefail

BUILD_PKGS=(build-essential cmake pkg-config
            liblua5.4-dev libglpk-dev libgsl-dev libsundials-dev coinor-libcbc-dev
            libopenblas-dev libcsv-dev libreadline-dev zlib1g-dev)
# The tests' independent references (glpsol, cvxopt, PuLP, numpy), the
# unit-test framework, stock lua5.4 for the module test, timing tools,
# GNU parallel for the sweep example, headless Chromium for the HTML
# report's browser test, and clang with libFuzzer (libclang-rt-14-dev) for
# the fuzz targets (tests/fuzz).
TEST_PKGS=(lua5.4 glpk-utils libcmocka-dev python3-pulp python3-numpy python3-cvxopt
           hyperfine time parallel chromium chromium-driver python3-selenium fonts-dejavu-core
           clang-14 libclang-rt-14-dev
           coinor-cbc python3-scipy)   # interop test and LP benchmark: the cbc command line, HiGHS through scipy
# the Python module (cmake/python.cmake builds it when python3-dev is there) and its tests
TEST_PKGS+=(python3-dev python3-pytest python3-pandas)
# the Jupyter kernel (python/folio/kernel.py, on pyzmq alone) and its notebook
# tests (jupyter_client, nbclient: the client side only). bench/jupyter times
# the python3 kernel beside folio's when python3-ipykernel is installed.
TEST_PKGS+=(python3-zmq python3-jupyter-client python3-nbclient python3-nbformat)

case "${1:-test}" in
  build) PKGS=("${BUILD_PKGS[@]}") ;;
  test) PKGS=("${BUILD_PKGS[@]}" "${TEST_PKGS[@]}") ;;
  *) echo "usage: install-deps.sh build|test" >&2; exit 2 ;;
esac

missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "install-deps: installing ${missing[*]}" >&2
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
