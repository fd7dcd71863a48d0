"""A reader for the free MPS files folio writes (and most free MPS), for
handing an LP to HiGHS through scipy (scipy has no MPS reader).

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
