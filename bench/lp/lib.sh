# bench/lp/lib.sh - helpers of the paired-run scripts (run.sh, family.sh),
# sourced by them.

# the median of the numbers on stdin, one a line
median() { sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

# true when objectives $1 and $2 agree within 1e-6 (relative to 1 + |$2|)
same_objective() {
  awk -v a="$1" -v b="$2" 'BEGIN { d = a - b; if (d < 0) d = -d; m = b < 0 ? -b : b; exit !(d <= 1e-6 * (1 + m)) }'
}

# $1 / $2, four decimals
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.4f\n", a / b }'; }
