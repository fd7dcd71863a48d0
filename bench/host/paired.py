#!/usr/bin/env python3
"""Paired start-up timing: runs the commands in turn (A B A B ...), each in
a fresh process (posix_spawn, output to /dev/null), and prints for each its
median wall time and median CPU time (user + system, from wait4), with the
median of the per-round ratios to the first command. Pairing keeps the
ratio honest on a machine whose load changes from second to second.
Usage: paired.py ROUNDS WARMUP 'CMD A' 'CMD B' ..."""
import os, shlex, statistics, sys, time

def run(argv):
    devnull = os.open(os.devnull, os.O_RDWR)
    fa = [(os.POSIX_SPAWN_DUP2, devnull, 1), (os.POSIX_SPAWN_DUP2, devnull, 2)]
    t0 = time.perf_counter()
    pid = os.posix_spawnp(argv[0], argv, os.environ, file_actions=fa)
    _, status, ru = os.wait4(pid, 0)
    t1 = time.perf_counter()
    os.close(devnull)
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit("failed: %s" % " ".join(argv))
    return t1 - t0, ru.ru_utime + ru.ru_stime

def main():
    rounds, warmup = int(sys.argv[1]), int(sys.argv[2])
    cmds = [shlex.split(c) for c in sys.argv[3:]]
    for _ in range(warmup):
        for c in cmds: run(c)
    wall = [[] for _ in cmds]
    cpu = [[] for _ in cmds]
    for _ in range(rounds):
        for i, c in enumerate(cmds):
            w, u = run(c)
            wall[i].append(w)
            cpu[i].append(u)
    for i, c in enumerate(cmds):
        ratio = statistics.median(w / b for w, b in zip(wall[i], wall[0]))
        print("%7.2f ms wall  %6.2f ms cpu  x%5.2f of the first (median of %d paired ratios)  %s"
              % (statistics.median(wall[i]) * 1e3, statistics.median(cpu[i]) * 1e3, ratio, rounds,
                 " ".join(c)))

main()
