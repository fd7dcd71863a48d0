"""The folio Jupyter kernel's figures (docs/jupyter.md, docs/benchmarks.md):

  start    kernel start to the first executed cell: a KernelManager starts
           the kernel (a new /usr/bin/python3 process), waits for it to
           answer kernel_info, executes `1 + 1` and waits for the cell's
           idle status; the python3 kernel (ipykernel's own, in the same
           interpreter) is timed the same way beside it, for reference,
           when it is installed (Debian's python3-ipykernel);
  loanbook a cell solving the loan book in a running kernel (execute to
           idle, with the cell's text and HTML views sent: what a notebook
           gets) against `folio run models/loan_book.lua` (a process, its
           report printed to /dev/null), on the same model; and against
           `folio run ... --report OUT.html`, which makes the HTML view too.

Paired rounds A B A B (the order alternates each round; with the third
route, it rotates), medians and the median of the per-round ratio reported.

    bench/jupyter/bench.py --folio build/folio [--rounds 21]

The kernelspec is installed (`folio jupyter install --prefix`) into a
temporary folder for the run.
"""
import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time

from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel
from jupyter_client.manager import KernelManager

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
LOAN_CELL = 'folio.script_dir = "models"\nfolio.params = {}\nbook = dofile("models/loan_book.lua")\nbook'


def execute(kc, code):
    """seconds from the execute request to the cell's idle status"""
    t0 = time.perf_counter()
    msg_id = kc.execute(code)
    error = None
    while True:
        m = kc.get_iopub_msg(timeout=60)
        if m["parent_header"].get("msg_id") != msg_id:
            continue
        if m["msg_type"] == "error":
            error = m["content"]["evalue"]
        if m["msg_type"] == "status" and m["content"]["execution_state"] == "idle":
            break
    dt = time.perf_counter() - t0
    if error:
        raise SystemExit("bench: the cell failed: %s" % error)
    return dt


def start_to_first_cell(name):
    t0 = time.perf_counter()
    km = KernelManager(kernel_name=name)
    km.start_kernel(cwd=ROOT)
    kc = km.client()
    kc.start_channels()
    kc.wait_for_ready(timeout=60)
    execute(kc, "1 + 1")
    dt = time.perf_counter() - t0
    kc.stop_channels()
    km.shutdown_kernel(now=True)
    return dt


def folio_run(folio, *extra):
    t0 = time.perf_counter()
    subprocess.run([folio, "run", "models/loan_book.lua", *extra], cwd=ROOT, check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - t0


def summary(label, xs):
    return "%-44s median %8.1f ms  (min %.1f, max %.1f, n %d)" % (
        label, 1e3 * statistics.median(xs), 1e3 * min(xs), 1e3 * max(xs), len(xs))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--folio", default=os.path.join(ROOT, "build", "folio"))
    ap.add_argument("--rounds", type=int, default=21)
    a = ap.parse_args()
    folio = os.path.abspath(a.folio)
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run([folio, "jupyter", "install", "--prefix", tmp], check=True, stdout=subprocess.DEVNULL)
        os.environ["JUPYTER_PATH"] = os.path.join(tmp, "share", "jupyter")
        os.environ["JUPYTER_RUNTIME_DIR"] = os.path.join(tmp, "runtime")

        # kernel start to the first executed cell, folio's and the python3 kernel's
        try:
            KernelSpecManager().get_kernel_spec("python3")
            others = ["python3"]
        except NoSuchKernel:
            others = []
            print("start to first cell: no python3 kernel (python3-ipykernel) to time beside folio's")
        fk, pk = [], []
        for i in range(a.rounds):
            names = ["folio"] + others
            for name in (names if i % 2 == 0 else names[::-1]):
                (fk if name == "folio" else pk).append(start_to_first_cell(name))
        print(summary("start to first cell: folio kernel", fk))
        if pk:
            print(summary("start to first cell: python3 kernel (ipykernel)", pk))
            print("start to first cell: median ratio folio / python3 %.3f" %
                  statistics.median(f / p for f, p in zip(fk, pk)))

        # the loan book: a cell in a running kernel against folio run
        km = KernelManager(kernel_name="folio")
        km.start_kernel(cwd=ROOT)
        kc = km.client()
        kc.start_channels()
        kc.wait_for_ready(timeout=60)
        report = os.path.join(tmp, "loan_book.html")
        execute(kc, LOAN_CELL)   # warm: folio's modules loaded once, as in any session
        folio_run(folio)
        routes = {
            "cell": lambda: execute(kc, LOAN_CELL),
            "run": lambda: folio_run(folio),
            "run_report": lambda: folio_run(folio, "--report", report),
        }
        names = list(routes)
        times = {n: [] for n in names}
        for i in range(a.rounds):
            for n in names[i % 3:] + names[:i % 3]:
                times[n].append(routes[n]())
        kc.stop_channels()
        km.shutdown_kernel(now=True)
        print(summary("loan book: notebook cell (execute to idle)", times["cell"]))
        print(summary("loan book: folio run models/loan_book.lua", times["run"]))
        print(summary("loan book: folio run ... --report OUT.html", times["run_report"]))
        for n in ("run", "run_report"):
            print("loan book: median ratio cell / %s %.3f" % (
                n, statistics.median(c / r for c, r in zip(times["cell"], times[n]))))
        print("load average %s" % " ".join("%.2f" % x for x in os.getloadavg()))


if __name__ == "__main__":
    sys.exit(main())
