#!/usr/bin/python3
"""Compares a folio result (its --json output) with glpsol's solution of the
same model (glpsol ... -o PRINT -w SOL).  Run with /usr/bin/python3.

  compare_solution.py lp  PRINT SOL FOLIO.json [--rel R] [--abs A]
      objective; every column's value and reduced cost; every row's activity
      and dual; the same row and column names on both sides.
  compare_solution.py mip PRINT SOL FOLIO.json
      objective; every column's value; the same row and column names.
  compare_solution.py binding PRINT SOL REPORT.txt
      folio's printed report: each "Binding constraints" section lists every
      row glpsol has non-basic (NL/NU/NS, i.e. at a bound with a price) and
      no row whose activity is strictly inside its bounds.

With --negate, glpsol solved the minimisation of the negated objective
(how folio writes a maximisation as MPS): its objective, reduced costs
and duals are negated before the comparison.

Values are compared as |folio - glpsol| <= R |glpsol| + A (default R = 1e-7,
A = 1e-9: relative, absolute only for values near 0).  Prints a line per
failure and 'PYCHECKS passed failed' last; exits 1 on any failure.
"""

import argparse
import math
import sys

from glpkref import Checker, load_folio, reference


def negated(ref):
    """glpsol's solution of min -f as one of max f."""
    flip = lambda v: -v if isinstance(v, float) else v
    out = dict(ref)
    out["objective"] = flip(ref["objective"])
    out["cols"] = [dict(c, dual=flip(c["dual"])) for c in ref["cols"]]
    out["rows"] = [dict(r, dual=flip(r["dual"])) for r in ref["rows"]]
    return out


def compare(mode, ref, res, chk, rel, abs_):
    chk.ok(res.get("has_solution") is True, "has_solution is %r" % res.get("has_solution"))
    want_status = "optimal"
    chk.ok(res.get("status") == want_status, "status %r, expected %r" % (res.get("status"), want_status))
    chk.close(res.get("objective"), ref["objective"], "objective", rel, abs_)

    variables = res.get("variables", {})
    ref_cols = {c["name"]: c for c in ref["cols"]}
    chk.ok(set(variables) == set(ref_cols),
           "variable names differ: only in folio %s, only in glpsol %s"
           % (sorted(set(variables) - set(ref_cols))[:5], sorted(set(ref_cols) - set(variables))[:5]))
    rcs = res.get("reduced_costs", {}) if mode == "lp" else None
    if mode == "lp":
        chk.ok("reduced_costs" in res, "the JSON has no reduced_costs")
    for name, c in ref_cols.items():
        chk.close(variables.get(name), c["activity"], "value of %s" % name, rel, abs_)
        if mode == "lp":
            chk.close(rcs.get(name), c["dual"], "reduced cost of %s" % name, rel, abs_)

    cons = res.get("constraints", {})
    ref_rows = {r["name"]: r for r in ref["rows"]}
    chk.ok(set(cons) == set(ref_rows),
           "constraint names differ: only in folio %s, only in glpsol %s"
           % (sorted(set(cons) - set(ref_rows))[:5], sorted(set(ref_rows) - set(cons))[:5]))
    if mode == "lp":
        for name, r in ref_rows.items():
            got = cons.get(name, {})
            chk.close(got.get("activity"), r["activity"], "activity of %s" % name, rel, abs_)
            chk.close(got.get("dual"), r["dual"], "dual of %s" % name, rel, abs_)


def binding_sections(text):
    """Names listed under each 'Binding constraints' heading of a report."""
    sections, current = [], None
    for line in text.split("\n"):
        if line.startswith("Binding constraints"):
            current = set()
            sections.append(current)
            continue
        if current is None:
            continue
        if line.strip() == "" or not line.startswith("  "):
            current = None
            continue
        word = line.split()[0]
        if word in ("constraint",) or set(word) == {"-"}:
            continue
        current.add(word)
    return sections


def check_binding(ref, report_path, chk):
    with open(report_path) as f:
        text = f.read()
    sections = binding_sections(text)
    chk.ok(len(sections) >= 1, "the report has no 'Binding constraints' section")
    nonbasic = [r["name"] for r in ref["rows"] if r["st"] in ("NL", "NU", "NS")]
    chk.ok(len(nonbasic) > 0, "glpsol reports no binding row (the check would be empty)")
    slack = []
    for r in ref["rows"]:
        lo = r["lb"] if isinstance(r["lb"], float) else -math.inf
        hi = r["ub"] if isinstance(r["ub"], float) else (lo if r["ub"] == "=" else math.inf)
        act = r["activity"]
        if act - lo > 1e-4 * (1 + abs(lo)) and hi - act > 1e-4 * (1 + abs(hi)):
            slack.append(r["name"])
    for k, names in enumerate(sections, 1):
        missing = [n for n in nonbasic if n not in names]
        chk.ok(not missing, "report section %d of 'Binding constraints' misses %s" % (k, missing))
        wrong = [n for n in slack if n in names]
        chk.ok(not wrong, "report section %d of 'Binding constraints' lists slack rows %s" % (k, wrong))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("mode", choices=["lp", "mip", "binding"])
    ap.add_argument("printable")
    ap.add_argument("sol")
    ap.add_argument("folio")
    ap.add_argument("--rel", type=float, default=1e-7)
    ap.add_argument("--abs", type=float, default=1e-9)
    ap.add_argument("--label", default=None)
    ap.add_argument("--negate", action="store_true")
    a = ap.parse_args()
    chk = Checker(a.label or a.mode)
    try:
        ref = reference(a.printable, a.sol)
    except (OSError, ValueError) as e:
        chk.ok(False, "cannot read glpsol's solution: %s" % e)
        return chk.summary()
    if a.mode == "binding":
        check_binding(ref, a.folio, chk)
        return chk.summary()
    chk.ok(ref["mip"] == (a.mode == "mip"), "glpsol's solution is %s a MIP" % ("not" if a.mode == "mip" else ""))
    try:
        res = load_folio(a.folio)
    except (OSError, ValueError) as e:
        chk.ok(False, "cannot read folio's JSON %s: %s" % (a.folio, e))
        return chk.summary()
    compare(a.mode, negated(ref) if a.negate else ref, res, chk, a.rel, a.abs)
    return chk.summary()


if __name__ == "__main__":
    sys.exit(main())
