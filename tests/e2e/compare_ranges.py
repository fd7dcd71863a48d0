#!/usr/bin/python3
"""Compares folio's LP sensitivity ranges (r:ranges(), written as JSON by
tests/data/e2e/loan_book_ranges.lua) with glpsol's sensitivity report
(glpsol ... --ranges FILE, i.e. glp_print_ranges).  Run with /usr/bin/python3.

  compare_ranges.py RANGES.txt FOLIO_RANGES.json

What glp_print_ranges prints (GLPK 5.0, src/api/prrngs.c; GLPK reference
manual, "glp_print_ranges", "glp_analyze_bound", "glp_analyze_coef"):

* Non-basic row or column (St NL, NU, NS, NF):
    "Activity range" = glp_analyze_bound: the interval over which the active
        bound (the right-hand side, for a row) may vary while the basis stays
        primal feasible (so optimal: the reduced costs do not change);
    "Obj coef range" = derived from the reduced cost d and the objective
        coefficient c: NS -> (-Inf, +Inf); NF -> [c, c]; NL on a MINimum or
        NU on a MAXimum -> [c - d, +Inf); otherwise (-Inf, c - d].
* Basic row or column (St BS):
    "Obj coef range" = glp_analyze_coef: the interval of the objective
        coefficient over which the basis stays dual feasible (optimal);
    "Activity range" = also glp_analyze_coef: the value the variable takes
        at those two break points, i.e. NOT a range of the right-hand side.

folio (src/backends/glpk_solve.c, compute_ranges):
* r:ranges().objective[col].lo/hi: glp_analyze_coef for a basic column and,
  for a non-basic one, the same rule from the reduced cost as above.  So it
  equals glpsol's "Obj coef range" for every column status: compared for
  all columns (and .value with glpsol's "Obj coef").
* r:ranges().rhs[row].lo/hi: for a non-basic row glp_analyze_bound, the same
  as glpsol's "Activity range": compared for rows with St NL, NU or NS.
  For a basic (inactive) row folio reports the right-hand-side range over
  which the row stays inactive, [activity, +Inf) for a <= row, (-Inf,
  activity] for a >= row, [activity, activity] for an equality row and
  (-Inf, +Inf) for a range or free row, which is not what glpsol prints in
  that column (see above).  For those rows folio's range is checked against
  that definition using glpsol's "Activity", "Lower bound" and "Upper bound"
  columns instead, and not against glpsol's "Activity range".
* r:ranges().rhs[row].value is the row's activity: compared with glpsol's
  "Activity" for every row.

glpsol prints these numbers with 5 decimals (%13.5f) or 6 significant
digits (%13.6g when |x| > 999999.99998), so each is compared within half a
unit of its last printed digit; infinities must match exactly.  glpsol's
objective row (MathProg's "profit", row 1) is not a folio row and is skipped.
The ranges of a minimisation are checked on a small LP written by folio
(tests/data/e2e/write_model.lua --set sense=min, as free MPS) to cover
GLPK's MINimum branches too; the loan book is a maximisation.
Prints a line per failure and 'PYCHECKS passed failed' last.
"""

import json
import math
import sys

from glpkref import Checker, parse_ranges, printed_tolerance


def as_num(v):
    if v == "+Inf":
        return math.inf
    if v == "-Inf":
        return -math.inf
    return v


def close_printed(chk, got, ref, text, what):
    got = as_num(got)
    if not isinstance(got, (int, float)):
        return chk.ok(False, "%s: folio gave %r" % (what, got))
    if math.isinf(ref) or math.isinf(got):
        return chk.ok(got == ref, "%s: folio %r, glpsol %r" % (what, got, ref))
    tol = printed_tolerance(text)
    return chk.ok(abs(got - ref) <= tol,
                  "%s: folio %.12g, glpsol prints %r (tolerance %.2g)" % (what, got, text.strip(), tol))


def fmt_field(v):
    """The text glp_print_ranges would print for v (for the tolerance)."""
    if math.isinf(v):
        return "+Inf" if v > 0 else "-Inf"
    if abs(v) <= 999999.99998:
        return "%13.5f" % v
    return "%13.6g" % v


def main():
    if len(sys.argv) != 3:
        print(__doc__)
        return 2
    chk = Checker("ranges")
    try:
        rep = parse_ranges(sys.argv[1])
        with open(sys.argv[2]) as f:
            got = json.load(f)
    except (OSError, ValueError) as e:
        chk.ok(False, "cannot read the inputs: %s" % e)
        return chk.summary()

    chk.ok(got.get("status") == "optimal", "folio status %r" % got.get("status"))
    obj, rhs = got.get("objective", {}), got.get("rhs", {})
    rows = {k: v for k, v in rep["rows"].items() if k != rep["obj_name"]}
    cols = rep["cols"]
    chk.ok(len(cols) > 0 and len(rows) > 0, "glpsol's report lists no rows or columns")
    chk.ok(set(obj) == set(cols), "column names differ: only folio %s, only glpsol %s"
           % (sorted(set(obj) - set(cols))[:5], sorted(set(cols) - set(obj))[:5]))
    chk.ok(set(rhs) == set(rows), "row names differ: only folio %s, only glpsol %s"
           % (sorted(set(rhs) - set(rows))[:5], sorted(set(rows) - set(rhs))[:5]))

    counts = {}
    for name, g in sorted(cols.items()):
        f = obj.get(name)
        if f is None:
            continue
        counts["col " + g["st"]] = counts.get("col " + g["st"], 0) + 1
        lo_text, hi_text = g["printed"][1], g["printed"][3]
        close_printed(chk, f["lo"], g["coef_lo"], lo_text, "objective range lo of %s (%s)" % (name, g["st"]))
        close_printed(chk, f["hi"], g["coef_hi"], hi_text, "objective range hi of %s (%s)" % (name, g["st"]))
        close_printed(chk, f["value"], g["slack_or_coef"], fmt_field(g["slack_or_coef"]),
                      "objective coefficient of %s" % name)

    for name, g in sorted(rows.items()):
        f = rhs.get(name)
        if f is None:
            continue
        st = g["st"]
        counts["row " + st] = counts.get("row " + st, 0) + 1
        close_printed(chk, f["value"], g["activity"], fmt_field(g["activity"]), "activity of %s" % name)
        if st in ("NL", "NU", "NS"):
            # glp_analyze_bound on both sides
            close_printed(chk, f["lo"], g["act_lo"], g["printed"][0], "rhs range lo of %s (%s)" % (name, st))
            close_printed(chk, f["hi"], g["act_hi"], g["printed"][2], "rhs range hi of %s (%s)" % (name, st))
        elif st == "BS":
            # folio's own definition for an inactive row (see the docstring)
            lb, ub, act = g["lb"], g["ub"], g["activity"]
            if lb == -math.inf and ub != math.inf:
                want = (act, math.inf)
            elif ub == math.inf and lb != -math.inf:
                want = (-math.inf, act)
            elif lb == ub:
                want = (act, act)
            else:
                want = (-math.inf, math.inf)
            close_printed(chk, f["lo"], want[0], fmt_field(want[0]), "rhs range lo of basic row %s" % name)
            close_printed(chk, f["hi"], want[1], fmt_field(want[1]), "rhs range hi of basic row %s" % name)
        else:
            chk.ok(False, "row %s has status %r, which this test does not handle" % (name, st))
    print("compared: " + ", ".join("%s %d" % kv for kv in sorted(counts.items())))
    return chk.summary()


if __name__ == "__main__":
    sys.exit(main())
