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

  trivial  the cell `1` in the same kernel: the round trip of any cell
           (jupyter_client's blocking client included), beside `folio run`
           of a script `return 1` (a process's start and end), for reference.

Each cell's time is also split: the kernel's own part is the span between
its busy and idle status messages (their header dates, the kernel's clock),
the rest is the client and the sockets.

With --baseline OTHER_FOLIO, a second kernel (OTHER_FOLIO's, installed as
folio_baseline) and OTHER_FOLIO's `folio run` join the rounds: main's build
against a branch's, in one run.

Paired rounds: the order of the routes rotates each round, medians and the
median of the per-round ratio reported.

    bench/jupyter/bench.py --folio build/folio [--rounds 21] [--baseline OTHER/folio] [--no-start]

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


def execute(kc, code, kernel_side=None):
    """seconds from the execute request to the cell's idle status; the
    kernel's busy-to-idle span (from the messages' dates) is appended to
    kernel_side when given"""
    t0 = time.perf_counter()
    msg_id = kc.execute(code)
    error = None
    busy = None
    while True:
        m = kc.get_iopub_msg(timeout=60)
        if m["parent_header"].get("msg_id") != msg_id:
            continue
        if m["msg_type"] == "error":
            error = m["content"]["evalue"]
        if m["msg_type"] == "status" and m["content"]["execution_state"] == "busy":
            busy = m["header"]["date"]
        if m["msg_type"] == "status" and m["content"]["execution_state"] == "idle":
            if kernel_side is not None and busy is not None:
                kernel_side.append((m["header"]["date"] - busy).total_seconds())
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


def folio_run(folio, *extra, script="models/loan_book.lua"):
    t0 = time.perf_counter()
    subprocess.run([folio, "run", script, *extra], cwd=ROOT, check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - t0


def summary(label, xs):
    return "%-44s median %8.1f ms  (min %.1f, max %.1f, n %d)" % (
        label, 1e3 * statistics.median(xs), 1e3 * min(xs), 1e3 * max(xs), len(xs))


def start_kernel(name):
    km = KernelManager(kernel_name=name)
    km.start_kernel(cwd=ROOT)
    kc = km.client()
    kc.start_channels()
    kc.wait_for_ready(timeout=60)
    return km, kc


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--folio", default=os.path.join(ROOT, "build", "folio"))
    ap.add_argument("--rounds", type=int, default=21)
    ap.add_argument("--baseline", help="another folio binary (main's build) timed in the same rounds")
    ap.add_argument("--no-start", action="store_true", help="skip the kernel start figure")
    a = ap.parse_args()
    folio = os.path.abspath(a.folio)
    base = os.path.abspath(a.baseline) if a.baseline else None
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run([folio, "jupyter", "install", "--prefix", tmp], check=True, stdout=subprocess.DEVNULL)
        if base:
            subprocess.run([base, "jupyter", "install", "--prefix", tmp, "--name", "folio_baseline"], check=True,
                           stdout=subprocess.DEVNULL)
        os.environ["JUPYTER_PATH"] = os.path.join(tmp, "share", "jupyter")
        os.environ["JUPYTER_RUNTIME_DIR"] = os.path.join(tmp, "runtime")

        if not a.no_start:
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
        kernels = {"cell": start_kernel("folio")}
        if base:
            kernels["cell_baseline"] = start_kernel("folio_baseline")
        report = os.path.join(tmp, "loan_book.html")
        trivial = os.path.join(tmp, "one.lua")
        with open(trivial, "w") as f:
            f.write("return 1\n")
        for _, kc in kernels.values():
            execute(kc, LOAN_CELL)   # warm: folio's modules loaded once, as in any session
        folio_run(folio)
        kside = {n: [] for n in kernels}
        routes = {
            "cell": lambda: execute(kernels["cell"][1], LOAN_CELL, kside["cell"]),
            "trivial": lambda: execute(kernels["cell"][1], "1"),
            "run_trivial": lambda: folio_run(folio, script=trivial),
            "run": lambda: folio_run(folio),
            "run_report": lambda: folio_run(folio, "--report", report),
        }
        if base:
            routes["cell_baseline"] = lambda: execute(kernels["cell_baseline"][1], LOAN_CELL, kside["cell_baseline"])
            routes["run_baseline"] = lambda: folio_run(base)
        names = list(routes)
        times = {n: [] for n in names}
        for i in range(a.rounds):
            k = i % len(names)
            for n in names[k:] + names[:k]:
                times[n].append(routes[n]())
        for km, kc in kernels.values():
            kc.stop_channels()
            km.shutdown_kernel(now=True)
        labels = {
            "cell": "loan book: notebook cell (execute to idle)",
            "cell_baseline": "loan book: baseline's notebook cell",
            "trivial": "the cell `1` (execute to idle)",
            "run_trivial": "folio run of `return 1`",
            "run": "loan book: folio run models/loan_book.lua",
            "run_baseline": "loan book: baseline's folio run",
            "run_report": "loan book: folio run ... --report OUT.html",
        }
        for n in names:
            print(summary(labels[n], times[n]))
        for n, xs in kside.items():
            print(summary("%s: the kernel's busy to idle" % n, xs))
        ratios = [("cell", "run"), ("cell", "run_report"), ("trivial", "run_trivial")]
        if base:
            ratios += [("cell_baseline", "run_baseline"), ("cell", "cell_baseline")]
        for x, y in ratios:
            print("median ratio %s / %s %.3f" % (x, y, statistics.median(p / q for p, q in zip(times[x], times[y]))))
        print("load average %s" % " ".join("%.2f" % x for x in os.getloadavg()))


if __name__ == "__main__":
    sys.exit(main())
