"""Readers for the free MPS and CPLEX LP files folio writes (and most free
MPS, and the LP files GLPK writes), for handing a model to HiGHS through
scipy (scipy has no file reader).

read_mps(path) -> dict with c, c0, sense (+1 minimise, -1 maximise),
A (scipy.sparse CSR), row_lo, row_hi, lb, ub, integrality, row and column
names, and negated (True when the file says its objective was negated
for a maximisation: folio's convention, see docs/dsl.md)."""
import math

import numpy as np
import scipy.sparse as sp

NEGATED_MARK = "* folio: maximise; the objective below is negated"


def read_mps(path):
    rows, rtype, obj_row = [], {}, None
    cols, cidx = [], {}
    ai, aj, av = [], [], []
    cost = {}
    rhs, rng = {}, {}
    bounds = []
    integer = set()
    sense, negated = 1, False
    section, in_int = None, False
    with open(path) as f:
        for lineno, raw in enumerate(f, 1):
            line = raw.rstrip("\n")
            if not line.strip():
                continue
            if line.startswith("*"):
                if line.startswith(NEGATED_MARK):
                    negated = True
                continue
            if not line[0].isspace():
                head = line.split()
                section = head[0].upper()
                if section == "OBJSENSE" and len(head) > 1:
                    sense = -1 if head[1].upper().startswith("MAX") else 1
                continue
            t = line.split()
            if section == "OBJSENSE":
                sense = -1 if t[0].upper().startswith("MAX") else 1
            elif section == "ROWS":
                kind, name = t[0].upper(), t[1]
                if kind == "N":
                    if obj_row is None:
                        obj_row = name
                    continue
                rtype[name] = (len(rows), kind)
                rows.append(name)
            elif section == "COLUMNS":
                if len(t) >= 3 and t[1].strip("'").upper() == "MARKER":
                    in_int = "INTORG" in line.upper()
                    continue
                name = t[0]
                if name not in cidx:
                    cidx[name] = len(cols)
                    cols.append(name)
                    if in_int:
                        integer.add(name)
                j = cidx[name]
                for k in range(1, len(t) - 1, 2):
                    r, v = t[k], float(t[k + 1])
                    if r == obj_row:
                        cost[j] = cost.get(j, 0.0) + v
                    elif r in rtype:
                        ai.append(rtype[r][0]); aj.append(j); av.append(v)
                    else:
                        raise ValueError(f"{path}:{lineno}: unknown row '{r}'")
            elif section in ("RHS", "RANGES"):
                if len(t) % 2 == 1:
                    t = t[1:]          # the set name
                target = rhs if section == "RHS" else rng
                for k in range(0, len(t), 2):
                    target[t[k]] = float(t[k + 1])
            elif section == "BOUNDS":
                kind = t[0].upper()
                if kind in ("FR", "MI", "PL", "BV"):
                    name = t[-1] if len(t) in (2, 3) and t[-1] in cidx else t[1]
                    val = None
                else:
                    name, val = (t[2], float(t[3])) if len(t) >= 4 else (t[1], float(t[2]))
                bounds.append((kind, name, val))
            elif section == "ENDATA":
                break
    m, n = len(rows), len(cols)
    c = np.zeros(n)
    for j, v in cost.items():
        c[j] = v
    c0 = -rhs.get(obj_row, 0.0) if obj_row else 0.0
    row_lo, row_hi = np.full(m, -np.inf), np.full(m, np.inf)
    for name, (i, kind) in rtype.items():
        b = rhs.get(name, 0.0)
        if kind == "L":
            row_hi[i] = b
        elif kind == "G":
            row_lo[i] = b
        else:
            row_lo[i] = row_hi[i] = b
        if name in rng:
            r = rng[name]
            if kind == "L":
                row_lo[i] = b - abs(r)
            elif kind == "G":
                row_hi[i] = b + abs(r)
            elif r > 0:
                row_hi[i] = b + r
            else:
                row_lo[i] = b + r
    lb, ub = np.zeros(n), np.full(n, np.inf)
    integrality = np.zeros(n, dtype=int)
    for name in integer:
        integrality[cidx[name]] = 1
        ub[cidx[name]] = 1.0          # MPS: an integer column in markers defaults to [0, 1]
    for kind, name, val in bounds:
        j = cidx[name]
        if kind == "UP":
            ub[j] = val
            if val < 0 and lb[j] == 0:
                lb[j] = -np.inf
        elif kind == "LO":
            lb[j] = val
        elif kind == "FX":
            lb[j] = ub[j] = val
        elif kind == "FR":
            lb[j], ub[j] = -np.inf, np.inf
        elif kind == "MI":
            lb[j] = -np.inf
        elif kind == "PL":
            ub[j] = np.inf
        elif kind == "BV":
            lb[j], ub[j] = 0.0, 1.0
            integrality[j] = 1
        elif kind in ("LI", "UI"):
            integrality[j] = 1
            if kind == "LI":
                lb[j] = val
            else:
                ub[j] = val
        else:
            raise ValueError(f"{path}: bound type {kind} not handled")
    A = sp.csr_matrix((av, (ai, aj)), shape=(m, n))
    return dict(c=c, c0=c0, sense=sense, A=A, row_lo=row_lo, row_hi=row_hi, lb=lb, ub=ub,
                integrality=integrality, rows=rows, cols=cols, negated=negated)


_SECTIONS = {
    "maximize": "max", "maximise": "max", "maximum": "max", "max": "max",
    "minimize": "min", "minimise": "min", "minimum": "min", "min": "min",
    "subject to": "st", "such that": "st", "st": "st", "s.t.": "st",
    "bounds": "bounds", "bound": "bounds",
    "generals": "gen", "general": "gen", "gen": "gen", "integers": "gen", "integer": "gen",
    "binaries": "bin", "binary": "bin", "bin": "bin", "end": "end",
}
_OPS = {"<=": "<=", "=<": "<=", "<": "<=", ">=": ">=", "=>": ">=", ">": ">=", "=": "="}


def _number(tok):
    t = tok.lower()
    if t in ("inf", "+inf", "infinity", "+infinity"):
        return math.inf
    if t in ("-inf", "-infinity"):
        return -math.inf
    return float(tok)


def _is_number(tok):
    try:
        _number(tok)
        return True
    except ValueError:
        return False


def read_lp(path):
    """A CPLEX LP file as read_mps returns a model (negated is False)."""
    sections = {"obj": [], "st": [], "bounds": [], "gen": [], "bin": []}
    sense, current = 1, None
    with open(path) as f:
        text = f.read()
    while "\\*" in text:                      # block comments
        a = text.index("\\*")
        b = text.find("*\\", a + 2)
        text = text[:a] + " " + (text[b + 2:] if b >= 0 else "")
    for raw in text.split("\n"):
        line = raw.split("\\")[0].strip()
        if not line:
            continue
        key = _SECTIONS.get(" ".join(line.lower().split()))
        if key:
            if key in ("max", "min"):
                sense, current = (-1 if key == "max" else 1), "obj"
            else:
                current = key
            continue
        if current == "end":
            break
        if current == "bounds":
            sections["bounds"].append(line)     # one bound a line
        elif current:
            sections[current].extend(line.replace(":", " : ").split())
    cols, cidx = [], {}

    def col(name):
        if name not in cidx:
            cidx[name] = len(cols)
            cols.append(name)
        return cidx[name]

    def terms(toks):
        out, sign, coef = {}, 1.0, None
        for t in toks:
            if t in ("+", "-"):
                sign = -1.0 if t == "-" else 1.0
            elif _is_number(t):
                coef = float(t)
            else:
                j = col(t)
                out[j] = out.get(j, 0.0) + sign * (1.0 if coef is None else coef)
                sign, coef = 1.0, None
        return out

    toks = sections["obj"]
    if ":" in toks:
        toks = toks[toks.index(":") + 1:]
    cost = terms(toks)
    rows, ai, aj, av, row_lo, row_hi = [], [], [], [], [], []
    toks, k = sections["st"], 0
    while k < len(toks):
        name = "R%d" % (len(rows) + 1)
        if k + 1 < len(toks) and toks[k + 1] == ":":
            name, k = toks[k], k + 2
        start = k
        while toks[k] not in _OPS:
            k += 1
        op, body = _OPS[toks[k]], toks[start:k]
        k += 1
        sign = 1.0
        if toks[k] in ("+", "-"):
            sign, k = (-1.0 if toks[k] == "-" else 1.0), k + 1
        rhs = sign * _number(toks[k])
        k += 1
        i = len(rows)
        rows.append(name)
        for j, v in terms(body).items():
            ai.append(i); aj.append(j); av.append(v)
        row_lo.append(rhs if op in (">=", "=") else -math.inf)
        row_hi.append(rhs if op in ("<=", "=") else math.inf)
    lb, ub = {}, {}
    for line in sections["bounds"]:
        t = line.split()
        if len(t) == 2 and t[1].lower() == "free":
            lb[col(t[0])], ub[col(t[0])] = -math.inf, math.inf
        elif len(t) == 5:                       # lo <= x <= hi
            lb[col(t[2])], ub[col(t[2])] = _number(t[0]), _number(t[4])
        elif len(t) == 3 and _is_number(t[0]):  # v op x
            j, v, op = col(t[2]), _number(t[0]), _OPS[t[1]]
            if op in ("<=", "="):
                lb[j] = v
            if op in (">=", "="):
                ub[j] = v
        elif len(t) == 3:                       # x op v
            j, v, op = col(t[0]), _number(t[2]), _OPS[t[1]]
            if op in (">=", "="):
                lb[j] = v
            if op in ("<=", "="):
                ub[j] = v
        else:
            raise ValueError(f"{path}: bound '{line}' not understood")
    integer = [col(t) for t in sections["gen"]]
    binary = [col(t) for t in sections["bin"]]
    n = len(cols)
    c = np.zeros(n)
    for j, v in cost.items():
        c[j] = v
    lbv, ubv = np.zeros(n), np.full(n, np.inf)
    for j, v in lb.items():
        lbv[j] = v
    for j, v in ub.items():
        ubv[j] = v
    integrality = np.zeros(n, dtype=int)
    for j in integer:
        integrality[j] = 1
    for j in binary:
        integrality[j] = 1
        lbv[j], ubv[j] = max(lbv[j], 0.0), min(ubv[j], 1.0)
    A = sp.csr_matrix((av, (ai, aj)), shape=(len(rows), n))
    return dict(c=c, c0=0.0, sense=sense, A=A, row_lo=np.array(row_lo), row_hi=np.array(row_hi),
                lb=lbv, ub=ubv, integrality=integrality, rows=rows, cols=cols, negated=False)


def read_model(path):
    """read_lp for a .lp file, read_mps for anything else."""
    return read_lp(path) if path.lower().endswith(".lp") else read_mps(path)


def solve_highs(lp, time_limit=None):
    """Solves lp with HiGHS (scipy.optimize.milp handles rows as lo <= Ax <= hi).
    Returns (status, objective in the file's own terms, x, seconds in HiGHS)."""
    import time
    from scipy.optimize import Bounds, LinearConstraint, milp
    c = lp["c"] * lp["sense"]
    cons = [LinearConstraint(lp["A"], lp["row_lo"], lp["row_hi"])] if lp["A"].shape[0] else []
    opts = {"presolve": True}
    if time_limit:
        opts["time_limit"] = time_limit
    t0 = time.perf_counter()
    r = milp(c, constraints=cons, bounds=Bounds(lp["lb"], lp["ub"]), integrality=lp["integrality"],
             options=opts)
    t = time.perf_counter() - t0
    status = {0: "optimal", 1: "limit", 2: "infeasible", 3: "unbounded"}.get(r.status, "other")
    obj = None if r.x is None else float(lp["c"] @ r.x) + lp["c0"]
    return status, obj, r.x, t
