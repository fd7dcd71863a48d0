"""Process start to first prompt of `folio repl` on a pseudo-terminal, and
of `python3` for comparison: N runs each, prints median/min/max in ms."""
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
