#!/bin/sh
# bench/fac/run.sh - fac-G benchmark: baselines side by side with folio.
#
# Run from the repository root:
#     sh bench/fac/run.sh            # G = 25 and 50
#     GS=25 RUNS=5 sh bench/fac/run.sh
#
# Environment:
#   BUILD    build directory (default: build); folio is $BUILD/folio
#   GS       sizes to run (default: "25 50")
#   RUNS     hyperfine --runs (default: 10)
#   WARMUP   hyperfine --warmup (default: 2)
#   BEFORE   another build directory (e.g. main's) whose folio runs too, as
#            "folio before (...)", for a before/after comparison in one run
#
# Commands compared (each builds the linear part of fac-G with names, no
# solve):
#   fac_glpk   plain C arrays -> GLPK C API        (bench/fac/fac_glpk.c)
#   glpsol     glpsol --check on GNU MathProg      (bench/fac/fac.mod)
#   pulp       PuLP LpProblem build                (bench/fac/fac_pulp.py)
#   folio      $BUILD/folio run bench/fac/fac.lua --set G=$G (if present)
#
# Output: bench/fac/results-G<G>.md per size (markdown), also echoed.
set -eu

BUILD=${BUILD:-build}
GS=${GS:-"25 50"}
RUNS=${RUNS:-10}
WARMUP=${WARMUP:-2}
PY=/usr/bin/python3     # Debian's python3-pulp only loads in this one
DIR=bench/fac

die() { echo "run.sh: $*" >&2; exit 1; }

if [ ! -f "$DIR/fac.mod" ] || [ ! -f "$DIR/fac_glpk.c" ]; then
    die "run from the repository root (bench/fac/fac.mod not found)"
fi
command -v hyperfine >/dev/null 2>&1 || die "hyperfine not found"
command -v glpsol >/dev/null 2>&1 || die "glpsol not found (apt-get install glpk-utils)"
"$PY" -c 'import pulp' 2>/dev/null || die "$PY cannot import pulp (apt-get install python3-pulp)"

if [ ! -x /usr/bin/time ]; then
    echo "run.sh: /usr/bin/time missing, installing package 'time'" >&2
    apt-get install -y time >/dev/null 2>&1 ||
        { apt-get update >/dev/null 2>&1 && apt-get install -y time >/dev/null; } ||
        die "could not install /usr/bin/time"
fi

# --- fac_glpk: use the CMake-built one, else build it with gcc ---------------
mkdir -p "$BUILD"
FAC_GLPK="$BUILD/bench/fac/fac_glpk"
if [ ! -x "$FAC_GLPK" ]; then
    FAC_GLPK="$BUILD/bench-fac/fac_glpk"
    if [ ! -x "$FAC_GLPK" ] || [ -n "$(find "$DIR/fac_glpk.c" -newer "$FAC_GLPK")" ]; then
        mkdir -p "$BUILD/bench-fac"
        echo "run.sh: building $FAC_GLPK" >&2
        ${CC:-gcc} -std=c11 -O2 -Wall -Wextra -Wshadow -Wstrict-prototypes \
            -Wmissing-prototypes -o "$FAC_GLPK" "$DIR/fac_glpk.c" -lglpk -lm
    fi
fi

FOLIO="$BUILD/folio"
HAVE_FOLIO=0
if [ -x "$FOLIO" ] && [ -f "$DIR/fac.lua" ]; then
    HAVE_FOLIO=1
else
    echo "run.sh: $FOLIO or $DIR/fac.lua not found; skipping the folio command" >&2
fi

TMP=$(mktemp -d "${TMPDIR:-/tmp}/facbench.XXXXXX")
trap 'rm -rf "$TMP"' EXIT INT TERM

for G in $GS; do
    case $G in *[!0-9]*|'') die "bad G: $G" ;; esac
    DAT="$DIR/fac$G.dat"
    if [ ! -f "$DAT" ]; then
        DAT="$TMP/fac$G.dat"
        printf 'data;\nparam G := %s;\nend;\n' "$G" > "$DAT"
    fi

    # name|command, in table order; fac_glpk first (ratio reference)
    LIST="$TMP/cmds-$G"
    {
        echo "fac_glpk|$FAC_GLPK $G"
        echo "glpsol --check|glpsol --check -m $DIR/fac.mod -d $DAT"
        echo "pulp|$PY $DIR/fac_pulp.py $G"
        if [ "$HAVE_FOLIO" = 1 ]; then
            echo "folio (cones too)|$FOLIO run $DIR/fac.lua --set G=$G"
            echo "folio (linear part)|$FOLIO run $DIR/fac.lua --set G=$G --set cones=0"
        fi
        if [ -n "${BEFORE:-}" ]; then
            [ -x "$BEFORE/folio" ] || die "BEFORE=$BEFORE: no folio there"
            echo "folio before (cones too)|$BEFORE/folio run $DIR/fac.lua --set G=$G"
            echo "folio before (linear part)|$BEFORE/folio run $DIR/fac.lua --set G=$G --set cones=0"
        fi
        :
    } > "$LIST"

    echo "== fac-$G ==" >&2

    # --- one run per command: counts (its own output) and peak RSS --------
    n=0
    while IFS='|' read -r name cmd; do
        n=$((n + 1))
        # shellcheck disable=SC2086  # word splitting of $cmd is intended
        /usr/bin/time -f %M -o "$TMP/mem-$G-$n" $cmd \
            > "$TMP/out-$G-$n" 2> "$TMP/err-$G-$n" ||
            die "$name failed: $(tail -n 5 "$TMP/err-$G-$n")"
    done < "$LIST"

    # --- timings ----------------------------------------------------------
    set --
    while IFS='|' read -r name cmd; do
        set -- "$@" --command-name "$name" "$cmd"
    done < "$LIST"
    hyperfine -N --warmup "$WARMUP" --runs "$RUNS" --style basic \
        --export-json "$TMP/hf-$G.json" \
        --export-markdown "$TMP/hf-$G.md" "$@" >&2

    # --- report -------------------------------------------------------------
    OUT="$DIR/results-G$G.md"
    "$PY" - "$G" "$TMP" "$LIST" "$TMP/hf-$G.json" "$TMP/hf-$G.md" \
        "$RUNS" "$WARMUP" > "$OUT" <<'EOF'
import json, re, sys, platform, datetime

G, tmp, lst, hfjson, hfmd, runs, warmup = sys.argv[1:8]
names = [l.split("|", 1)[0] for l in open(lst).read().splitlines() if l]
cmds = [l.split("|", 1)[1] for l in open(lst).read().splitlines() if l]
res = json.load(open(hfjson))["results"]
med = [r["median"] for r in res]

def counts(i, name):
    out = open(f"{tmp}/out-{G}-{i}").read()
    err = open(f"{tmp}/err-{G}-{i}").read()
    if name == "glpsol --check":
        def grab(label):
            m = re.search(label + r"\s*=\s*(\d+)", out)
            return int(m.group(1)) if m else None
        rows, cols, nnz = (grab("Number of rows"), grab("Number of columns"),
                           grab(r"Number of non-zeros \(matrix\)"))
        # MathProg stores the objective as an extra free row "obj" with one
        # nonzero (d); take it off to compare with the others.
        if None in (rows, cols, nnz):
            return None, "could not parse glpsol output"
        return (rows - 1, cols, nnz - 1), \
            f"glpsol: {rows} rows, {nnz} nnz incl. objective row"
    m = None
    for line in (err + out).splitlines():
        mm = re.search(r"rows=(\d+)\s+cols=(\d+)\s+nnz=(\d+)", line)
        if mm:
            m = mm
    if not m:
        return None, "no 'rows= cols= nnz=' line printed"
    return tuple(int(x) for x in m.groups()), ""

print(f"# fac-{G} model build (linear part, with names, no solve)\n")
print(f"- date: {datetime.datetime.now().isoformat(timespec='seconds')}")
print(f"- host: {platform.node()} ({platform.machine()}), "
      f"hyperfine -N --warmup {warmup} --runs {runs}")
print("- peak RSS: `/usr/bin/time -f %M`, one separate run per command\n")
print("| command | median s | ratio to fac_glpk | peak MiB |")
print("|---|---:|---:|---:|")
for i, name in enumerate(names):
    kib = int(open(f"{tmp}/mem-{G}-{i + 1}").read().split()[-1])
    print(f"| {name} | {med[i]:.3f} | {med[i] / med[0]:.1f} | {kib / 1024:.1f} |")

print("\n## Model size\n")
print("| command | rows | cols | nnz | note |")
print("|---|---:|---:|---:|---|")
ref = None
agree = True
unknown = []
for i, name in enumerate(names):
    c, note = counts(i + 1, name)
    if c is None:
        print(f"| {name} | ? | ? | ? | {note} |")
        unknown.append(name)
        continue
    if ref is None:
        ref = c
    elif c != ref:
        agree = False
        note = (note + "; " if note else "") + "**MISMATCH**"
    print(f"| {name} | {c[0]} | {c[1]} | {c[2]} | {note} |")
print("\nCounts agree." if agree else "\n**Counts do NOT agree.**", end="")
print(f" (not reported by: {', '.join(unknown)})" if unknown else "")

print("\n## Commands\n")
for name, cmd in zip(names, cmds):
    print(f"- {name}: `{cmd}`")
print("\n## hyperfine\n")
print(open(hfmd).read())
EOF
    echo >&2
    cat "$OUT"
    echo
done
