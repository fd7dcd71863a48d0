#!/usr/bin/env bash
# Installs the Debian packages folio needs to build, test and benchmark,
# only when some are missing (so `make demo` is quick the second time).
set -euo pipefail

PKGS=(build-essential cmake pkg-config
      liblua5.4-dev lua5.4 libglpk-dev glpk-utils libgsl-dev libsundials-dev
      coinor-libcbc-dev libopenblas-dev libcsv-dev lua-cjson lua-cjson-dev libreadline-dev
      libcmocka-dev zlib1g-dev python3-pulp python3-numpy python3-cvxopt hyperfine time parallel
      chromium chromium-driver python3-selenium fonts-dejavu-core)   # the HTML report's browser test

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
