"""Process start to first prompt of `folio repl` on a pseudo-terminal, and
of `python3` for comparison: N runs each, prints median/min/max in ms.
Then the REPL paired with glpsol on the tiny LP (run to its exit on the
same kind of terminal), A B A B, with the median of the per-round ratios."""
import os, pty, select, statistics, sys, time

def first_prompt(argv, prompt, env):
    t0 = time.perf_counter()
    pid, fd = pty.fork()
    if pid == 0:
        os.environ.update(env)
        os.execv(argv[0], argv)
    buf = b""
    while prompt not in buf:
        r, _, _ = select.select([fd], [], [], 5)
        if not r:
            raise SystemExit(f"no prompt from {argv}: {buf!r}")
        buf += os.read(fd, 4096)
    dt = time.perf_counter() - t0
    os.write(fd, b"\x04")
    os.waitpid(pid, 0)
    os.close(fd)
    return dt

folio, n = sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 20
hist = "/tmp/folio_bench_history"
for name, argv, prompt, env in [
    ("folio repl", [folio, "repl"], b"> ", {"FOLIO_HISTORY": hist}),
    ("python3 (cvxopt imported)", ["/usr/bin/python3", "-i", "-c", "import cvxopt"], b">>> ", {}),
    ("lua5.4 -i", ["/usr/bin/lua5.4", "-i"], b"> ", {}),
]:
    first_prompt(argv, prompt, env)   # warm the page cache
    ts = sorted(first_prompt(argv, prompt, env) * 1e3 for _ in range(n))
    print(f"{name:28s} median {statistics.median(ts):7.2f} ms   min {ts[0]:7.2f}   max {ts[-1]:7.2f}   ({n} runs)")

def glpsol_exit(env):
    t0 = time.perf_counter()
    pid, fd = pty.fork()
    if pid == 0:
        os.execvp("glpsol", ["glpsol", "--lp", os.path.join(os.path.dirname(__file__), "tiny.lp")])
    while True:
        r, _, _ = select.select([fd], [], [], 5)
        try:
            if not os.read(fd, 4096): break
        except OSError:
            break
    os.waitpid(pid, 0)
    dt = time.perf_counter() - t0
    os.close(fd)
    return dt

pairs = []
for _ in range(n):
    g = glpsol_exit({})
    f = first_prompt([folio, "repl"], b"> ", {"FOLIO_HISTORY": hist})
    pairs.append((g, f))
g = statistics.median(p[0] for p in pairs) * 1e3
f = statistics.median(p[1] for p in pairs) * 1e3
r = statistics.median(p[1] / p[0] for p in pairs)
print(f"paired, {n} rounds: glpsol --lp tiny.lp {g:.2f} ms, folio repl to first prompt {f:.2f} ms: "
      f"x{r:.2f} (median of the per-round ratios)")
