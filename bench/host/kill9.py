#!/usr/bin/env python3
"""kill -9 during the output phase: is the set on disk ever half old, half new?

Each trial starts folio with a new token and kills it with SIGKILL: four
trials in five at a random moment of the output phase (after the first
temp file appears, within the time the output phase takes), one in five
at a random moment of the whole run. Then it looks at what is on disk:

  run      folio run model.lua --json out.json --report out.html
           consistent when the JSON's marker and the HTML's are the same run;
  deploy   folio run deploy.json (outputs result.json, result.csv,
           report.html and the record run.json)
           consistent when every output the record lists has the digest the
           record gives, and the record's token is the JSON's and the CSV's.

A trial leaves "old" (no file changed) or "new" (a consistent set of this
trial's run). A trial killed after its commit point (the journal is there) is
"mid-commit": its files are all new already, or the crash came between two
renames, and the next run completes the set before anything else (the trial
after counts the completed set as "old"). Anything else is
"mixed", the failure this measures. After the last trial one run without a
kill must leave no temp files ("stale").

  python3 bench/host/kill9.py BUILD/folio [--trials 40] [--kind run|deploy|both] [--seed 1]

Prints the counts; exits 1 when some trial was mixed or temp files stayed.
"""
import argparse
import glob
import hashlib
import json
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
DATA = os.path.join(ROOT, "tests", "data", "host", "kill9")


def sha256(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def read(path):
    try:
        with open(path, "rb") as f:
            return f.read().decode("utf-8", "replace")
    except FileNotFoundError:
        return None


def markers(text):
    return set(re.findall(r"run-(\d+)", text or ""))


def digests(paths):
    return {p: (sha256(p) if os.path.exists(p) else None) for p in paths}


def describe(paths):
    """which run's markers each file holds"""
    return ", ".join("%s: %s" % (os.path.basename(p), ",".join(sorted(markers(read(p)))) or "-") for p in paths)


class RunKind:
    name = "run"

    def __init__(self, folio, work):
        self.folio, self.dir = folio, work
        self.json = os.path.join(work, "out.json")
        self.html = os.path.join(work, "out.html")
        self.journal = os.path.join(work, ".out.json.folio-commit")
        self.files = [self.json, self.html]

    def command(self, token):
        return [self.folio, "--quiet", "run", os.path.join(DATA, "model.lua"), "--set", "token=%d" % token,
                "--json", self.json, "--report", self.html]

    def state(self):
        """the token of a consistent set, or None"""
        j, h = read(self.json), read(self.html)
        if j is None or h is None:
            return None
        try:
            jm = json.loads(j).get("marker", "")
        except ValueError:
            return None
        hm = markers(h)
        if len(hm) != 1 or jm != "run-" + next(iter(hm)):
            return None
        return int(next(iter(hm)))


class DeployKind:
    name = "deploy"

    def __init__(self, folio, work):
        self.folio, self.dir = folio, work
        self.record = os.path.join(work, "run.json")
        self.journal = os.path.join(work, ".run.json.folio-commit")
        self.files = [os.path.join(work, n) for n in ("result.json", "result.csv", "report.html", "run.json")]

    def command(self, token):
        return [self.folio, "--quiet", "run", os.path.join(DATA, "deploy.json"), "--set", "token=%d" % token]

    def env(self):
        return dict(os.environ, KILL9_OUT=self.dir)

    def state(self):
        r = read(self.record)
        if r is None:
            return None
        try:
            rec = json.loads(r)
        except ValueError:
            return None
        if rec.get("status") != "solved" or len(rec.get("outputs", [])) != 3:
            return None
        for o in rec["outputs"]:
            if not os.path.exists(o["path"]) or sha256(o["path"]) != o["sha256"]:
                return None
        token = rec["params"]["token"]
        j = read(os.path.join(self.dir, "result.json"))
        c = read(os.path.join(self.dir, "result.csv"))
        try:
            jm = json.loads(j).get("marker") if j else None
        except ValueError:
            return None
        if jm != "run-%d" % token or markers(c) != {str(token)}:
            return None
        return token


def temps(d):
    return sorted(glob.glob(os.path.join(d, "*.tmp.*")))


def wait_for_temps(d, p, limit, old=()):
    """polls until a new temp file appears in d (the output phase began) or p ends"""
    t0 = time.monotonic()
    old = set(old)
    while time.monotonic() - t0 < limit:
        if p.poll() is not None:
            return None
        if any(".tmp." in n and n not in old for n in os.listdir(d)):
            return time.monotonic()
        time.sleep(0.0002)
    return None


def trial_loop(kind, trials, rng):
    env = kind.env() if hasattr(kind, "env") else None
    # complete runs: the time a whole run takes, and its output phase (from
    # the first temp file to the end)
    subprocess.run(kind.command(0), env=env, check=True)
    whole, phase = 1e9, 1e9
    for _ in range(3):
        t0 = time.monotonic()
        p = subprocess.Popen(kind.command(0), env=env)
        seen = wait_for_temps(kind.dir, p, 30)
        p.wait()
        end = time.monotonic()
        whole = min(whole, end - t0)
        if seen:
            phase = min(phase, end - seen)
    if phase > whole:
        phase = 0.3 * whole
    assert kind.state() == 0, "the first run left no consistent set"
    committed = 0   # the token of the last set committed
    counts = {"old": 0, "new": 0, "mid-commit": 0, "mixed": 0, "finished": 0, "temps-left-by-kill": 0,
              "in-output-phase": 0, "mid-commit: files all new": 0, "mid-commit: files all old": 0,
              "mid-commit: between renames": 0}
    def journal_id():
        try:
            st = os.stat(kind.journal)
            return (st.st_ino, st.st_mtime_ns)
        except FileNotFoundError:
            return None

    for token in range(1, trials + 1):
        before = journal_id()
        prev = digests(kind.files)
        present = os.listdir(kind.dir)
        p = subprocess.Popen(kind.command(token), env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        if token % 5 == 0:   # one kill in five anywhere in the run
            delay = rng.uniform(0.2 * whole, 1.1 * whole)
            time.sleep(delay)
        else:                # the others during the output phase
            seen = wait_for_temps(kind.dir, p, 10 * whole + 5, present)
            delay = rng.uniform(0, 1.2 * phase)
            if seen:
                counts["in-output-phase"] += 1
                time.sleep(delay)
        finished = p.poll() is not None
        if not finished:
            p.send_signal(signal.SIGKILL)
        p.wait()
        if finished:
            counts["finished"] += 1
        if temps(kind.dir):
            counts["temps-left-by-kill"] += 1
        s = kind.state()
        after = journal_id()
        if after is not None and after != before:
            # killed after this run's commit point, before its journal was
            # gone: the set is this run's, and the next run completes it
            counts["mid-commit"] += 1
            if s == token:
                counts["mid-commit: files all new"] += 1
            elif digests(kind.files) == prev:
                counts["mid-commit: files all old"] += 1
            else:
                counts["mid-commit: between renames"] += 1
            committed = token
        elif digests(kind.files) == prev or (s is not None and s == committed):
            # nothing changed, or the set an earlier crash committed was
            # completed by this run before it was killed
            counts["old"] += 1
        elif after is not None:
            # killed while completing the set an earlier crash committed:
            # its journal is still there, and the next run finishes the job
            counts["mid-commit"] += 1
            counts["mid-commit: between renames"] += 1
        elif s == token:
            counts["new"] += 1
            committed = token
        else:
            counts["mixed"] += 1
            print("  %s trial %d: mixed state (delay %.3f s): %s" % (kind.name, token, delay, describe(kind.files)),
                  file=sys.stderr)
    # one run to the end: it completes, cleans up, and leaves no temps
    subprocess.run(kind.command(trials + 1), env=env, check=True)
    final = kind.state()
    stale = temps(kind.dir) + ([kind.journal] if os.path.exists(kind.journal) else [])
    counts["final-consistent"] = int(final == trials + 1)
    counts["stale"] = len(stale)
    counts["whole-run-s"] = round(whole, 3)
    counts["output-phase-s"] = round(phase, 4)
    return counts


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("folio")
    ap.add_argument("--trials", type=int, default=40)
    ap.add_argument("--kind", choices=["run", "deploy", "both"], default="both")
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args()
    folio = os.path.abspath(a.folio)
    rng = random.Random(a.seed)
    bad = False
    for name in (["run", "deploy"] if a.kind == "both" else [a.kind]):
        work = tempfile.mkdtemp(prefix="folio-kill9-")
        try:
            kind = RunKind(folio, work) if name == "run" else DeployKind(folio, work)
            c = trial_loop(kind, a.trials, rng)
        finally:
            shutil.rmtree(work, ignore_errors=True)
        print("%-6s trials %d: old %d, new %d, mid-commit %d (files still all old %d, all new %d, between "
              "renames %d), mixed %d (killed in the output phase %d, "
              "finished before the kill %d, kills that left temp files %d); after a last run: consistent %s, "
              "stale files %d; a whole run %.3f s, its output phase %.4f s"
              % (name, a.trials, c["old"], c["new"], c["mid-commit"], c["mid-commit: files all old"],
                 c["mid-commit: files all new"], c["mid-commit: between renames"],
                 c["mixed"], c["in-output-phase"],
                 c["finished"], c["temps-left-by-kill"], "yes" if c["final-consistent"] else "NO", c["stale"],
                 c["whole-run-s"], c["output-phase-s"]))
        bad = bad or c["mixed"] > 0 or c["stale"] > 0 or not c["final-consistent"]
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
