"""Readers for glpsol's output files and folio's JSON, shared by the e2e
comparison scripts (run with /usr/bin/python3; standard library only).

glpsol writes three reports that the tests use:

* the printable solution (``-o FILE``, glp_print_sol / glp_print_mip): every
  row and column by number and name, with status, activity and (for LPs)
  marginal.  Values are printed with ``%13.6g`` (6 significant digits), so
  it is read for the names, statuses and bounds, and as a coarse cross-check;
* the plain-text solution (``-w FILE``, glp_write_sol / glp_write_mip):
  the same rows and columns by number only, at full precision (``%.*g``
  with DBL_DIG digits).  Joined with the names of ``-o`` by number, it gives
  the reference values compared at 1e-7;
* the sensitivity report (``--ranges FILE``, glp_print_ranges): see
  ``parse_ranges``.
"""

import json
import math
import re

STATUSES = {"B", "BS", "NL", "NU", "NF", "NS"}


def _num(text):
    """A number as glpsol prints it: '.00850', '-.5', '-Inf', '< eps' ..."""
    t = text.strip()
    if t == "":
        return None
    if t in ("+Inf", "Inf"):
        return math.inf
    if t == "-Inf":
        return -math.inf
    if t == "=":
        return "="
    if t == "< eps":
        return 0.0
    if t == ".":
        return 0.0
    return float(t)


def _is_entry_start(line):
    """'%6d name...': a number right-aligned in 6 columns, a space, a name."""
    return (len(line) > 7 and line[:6].strip().isdigit() and line[6] == " "
            and line[7] != " ")


def parse_printable(path):
    """glpsol -o output -> dict(problem, status, obj_name, objective, mip,
    rows=[...], cols=[...]); each row/column is a dict with number, name,
    st (None for a MIP), activity, lb, ub, marginal (None where blank)."""
    with open(path) as f:
        lines = f.read().split("\n")
    out = {"rows": [], "cols": [], "mip": False, "obj_name": None}
    section = None
    i = 0
    while i < len(lines):
        line = lines[i]
        m = re.match(r"^Problem:\s*(.*)$", line)
        if m:
            out["problem"] = m.group(1).strip()
        m = re.match(r"^Status:\s*(.*)$", line)
        if m:
            out["status"] = m.group(1).strip()
            out["mip"] = "INTEGER" in out["status"]
        m = re.match(r"^Objective:\s*(\S+) = (\S+)", line)
        if m:
            out["obj_name"], out["objective_printed"] = m.group(1), float(m.group(2))
        if re.match(r"^\s+No\.\s+Row name", line):
            section = "rows"
        elif re.match(r"^\s+No\.\s+Column name", line):
            section = "cols"
        elif section and line.strip() == "":
            section = None
        elif section and _is_entry_start(line):
            number = int(line[:6])
            rest = line[7:]
            if len(rest.rstrip()) > 12 and rest[12] != " ":
                # name longer than 12 characters: alone on its line
                name = rest.strip()
                i += 1
                vals = lines[i]
            else:
                name = rest[:12].strip()
                vals = line
            vals = vals.ljust(80)
            # columns: status [20:22], activity [23:36], lower [37:50],
            # upper [51:64], marginal [65:78]
            st = vals[20:22].strip() or None
            entry = {
                "number": number, "name": name, "st": st,
                "activity": _num(vals[23:36]), "lb": _num(vals[37:50]),
                "ub": _num(vals[51:64]), "marginal": _num(vals[65:78]),
            }
            out[section].append(entry)
        i += 1
    for what in ("rows", "cols"):
        numbers = [e["number"] for e in out[what]]
        if numbers != list(range(1, len(numbers) + 1)):
            raise ValueError("%s: %s not numbered 1..n" % (path, what))
    return out


def parse_sol(path):
    """glpsol -w output -> dict(kind, objective, rows={i: (st, prim, dual)},
    cols={j: (st, prim, dual)}); st and dual are None for a MIP."""
    out = {"rows": {}, "cols": {}}
    with open(path) as f:
        for line in f:
            t = line.split()
            if not t or t[0] == "c":
                continue
            if t[0] == "s":
                out["kind"] = t[1]
                out["objective"] = float(t[-1])
            elif t[0] in ("i", "j"):
                where = out["rows"] if t[0] == "i" else out["cols"]
                if out["kind"] == "bas":
                    where[int(t[1])] = (t[2], float(t[3]), float(t[4]))
                else:
                    where[int(t[1])] = (None, float(t[2]), None)
    return out


def reference(print_path, sol_path):
    """Names from -o joined with full-precision values from -w.  Returns
    dict(objective, mip, rows=[...], cols=[...]) with the objective row of a
    MathProg model (the free row named like the objective) left out; each
    entry: name, st, activity, dual, lb, ub.  Raises ValueError when the two
    files disagree beyond the printed precision."""
    p, s = parse_printable(print_path), parse_sol(sol_path)
    res = {"objective": s["objective"], "mip": p["mip"], "rows": [], "cols": [],
           "problem": p.get("problem"), "obj_name": p["obj_name"]}
    for what in ("rows", "cols"):
        if len(p[what]) != len(s[what]):
            raise ValueError("%s and %s list different numbers of %s" % (print_path, sol_path, what))
        for e in p[what]:
            st, prim, dual = s[what][e["number"]]
            if abs(prim - e["activity"]) > 1e-5 * max(1.0, abs(prim)):
                raise ValueError("%s: %s printed as %r, %s has %r" % (print_path, e["name"], e["activity"], sol_path, prim))
            if what == "rows" and e["name"] == p["obj_name"]:
                continue  # MathProg's objective row: not a constraint
            res[what].append({"name": e["name"], "st": e["st"], "activity": prim,
                              "dual": dual, "lb": e["lb"], "ub": e["ub"]})
    if abs(res["objective"] - p["objective_printed"]) > 1e-6 * max(1.0, abs(res["objective"])):
        raise ValueError("objective: -o and -w disagree")
    return res


def load_folio(path):
    """folio's --json: a result object, or an array whose first element is."""
    with open(path) as f:
        data = json.load(f)
    if isinstance(data, list):
        data = data[0]
    return data


def parse_ranges(path):
    """glpsol --ranges output (glp_print_ranges, GLPK 5.0 src/api/prrngs.c)
    -> dict(rows={name: entry}, cols={name: entry}).

    Each item takes two lines (plus a blank one):
        line 1: No. name St Activity {Slack|Obj coef} Lower-bound
                Activity-range(lo) Obj-coef-range(lo) Obj-value-at-break(lo) Limiting-var
        line 2: Marginal Upper-bound
                Activity-range(hi) Obj-coef-range(hi) Obj-value-at-break(hi) Limiting-var
    Numbers are printed by format(): '%13.5f' (leading zero dropped, 0 as
    '.') when |x| <= 999999.99998, else '%13.6g'; +-DBL_MAX as '+Inf'/'-Inf'.
    A name longer than 12 characters is followed by a line break, and the
    status then starts the next line, which is laid out as for short names.
    Columns of the status line: St [20:22], Activity [23:36], Slack/Obj coef
    [37:50], Lower bound [51:64], Activity range [66:79], Obj coef range
    [80:93], Obj value at break point [94:107]; of the second line:
    Marginal [37:50], Upper bound [51:64], then the same three columns."""
    with open(path) as f:
        lines = f.read().split("\n")
    out = {"rows": {}, "cols": {}, "obj_name": None}
    section = None
    i = 0
    while i < len(lines):
        line = lines[i]
        m = re.match(r"^Objective:\s*(\S+) = ", line)
        if m:
            out["obj_name"] = m.group(1)
        if re.match(r"^\s+No\.\s+Row name", line):
            section = "rows"
        elif re.match(r"^\s+No\.\s+Column name", line):
            section = "cols"
        elif section and _is_entry_start(line):
            if line[20:22] in STATUSES and len(line) > 36:
                name = line[7:19].strip()
                first = line
            else:
                name = line[7:].strip()
                i += 1
                first = lines[i]
            second = lines[i + 1]
            first, second = first.ljust(120), second.ljust(120)
            out[section][name] = {
                "st": first[20:22].strip(),
                "activity": _num(first[23:36]),
                "slack_or_coef": _num(first[37:50]),
                "lb": _num(first[51:64]),
                "act_lo": _num(first[66:79]),
                "coef_lo": _num(first[80:93]),
                "obj_lo": _num(first[94:107]),
                "marginal": _num(second[37:50]),
                "ub": _num(second[51:64]),
                "act_hi": _num(second[66:79]),
                "coef_hi": _num(second[80:93]),
                "obj_hi": _num(second[94:107]),
                "printed": (first[66:79], first[80:93], second[66:79], second[80:93]),
            }
            i += 1
        i += 1
    return out


def printed_tolerance(text):
    """Half a unit in the last place of a number printed by prrngs.c's
    format(), plus a little for the binary representation."""
    t = text.strip()
    if t in ("+Inf", "-Inf"):
        return 0.0
    if t == ".":
        return 0.5e-5 + 1e-9
    if "e" in t or "E" in t or len(t.split(".")[-1]) != 5:
        # '%13.6g': 6 significant digits
        v = abs(float(t))
        return 0.5e-5 * v + 1e-12
    return 0.5e-5 + 1e-9


class Checker:
    """Counts checks; prints one line per failure and a summary line that
    the shell scripts add to their own counts."""

    def __init__(self, label):
        self.label, self.passed, self.failed = label, 0, 0

    def ok(self, cond, what):
        if cond:
            self.passed += 1
        else:
            self.failed += 1
            print("FAIL [%s]: %s" % (self.label, what))
        return cond

    def close(self, a, b, what, rel=1e-7, abs_=1e-9):
        """|a - b| <= rel |b| + abs_: relative, absolute for values near 0."""
        if a is None or b is None:
            return self.ok(False, "%s: missing value (folio %r, reference %r)" % (what, a, b))
        if isinstance(a, str) or isinstance(b, str):
            return self.ok(a == b, "%s: folio %r, reference %r" % (what, a, b))
        if math.isinf(b) or math.isinf(a):
            return self.ok(a == b, "%s: folio %r, reference %r" % (what, a, b))
        return self.ok(abs(a - b) <= rel * abs(b) + abs_,
                       "%s: folio %.17g, reference %.17g (diff %.3g)" % (what, a, b, a - b))

    def summary(self):
        print("PYCHECKS %d %d" % (self.passed, self.failed))
        return 0 if self.failed == 0 else 1
