#!/usr/bin/env bash
# The same sweep on one machine (or several, with --sshlogin) with GNU
# parallel: N jobs, job i takes rows i, i+N, ... From the repository root:
#   bash models/deploy/parallel_sweep.sh [N]
set -euo pipefail
N=${1:-4}
export FOLIO_OUT=${FOLIO_OUT:-out/sweep-parallel}
seq 0 $((N - 1)) | parallel --halt never --jobs "$N" \
  "${FOLIO:-folio}" --quiet run models/deploy/loan_book.json \
  --each models/deploy/loan_book_sweep.csv --shard "{}/$N"
