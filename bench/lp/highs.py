#!/usr/bin/python3
"""Solves an MPS file with HiGHS through scipy and prints one line:
"status objective seconds" (seconds in HiGHS only, not reading the file).
    /usr/bin/python3 bench/lp/highs.py FILE.mps"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import mps  # noqa: E402

lp = mps.read_mps(sys.argv[1])
status, obj, _, seconds = mps.solve_highs(lp)
if obj is not None and lp["negated"]:
    obj = -obj
print("%s %.10g %.4f" % (status, obj if obj is not None else float("nan"), seconds))
