"""Drives `folio repl` on a pseudo-terminal, as a user would: prompt,
tab completion, multi-line input, =expr, pretty printing, :help, :time,
:load, Ctrl-C on a running loop and at the prompt, and the history file
kept across sessions. Usage: repl_check.py FOLIO WORKDIR"""
import os
import pty
import re
import select
import sys
import time

FOLIO, WORK = sys.argv[1], sys.argv[2]
HIST = os.path.join(WORK, "history")
passed = failed = 0
ANSI = re.compile(rb"\x1b\[[0-9;?]*[a-zA-Z]|\r")


def check(what, ok, detail=""):
    global passed, failed
    if ok:
        passed += 1
    else:
        failed += 1
        print(f"FAIL: {what} {detail}")


class Repl:
    def __init__(self):
        self.pid, self.fd = pty.fork()
        if self.pid == 0:
            os.environ["FOLIO_HISTORY"] = HIST
            os.environ["TERM"] = "xterm"
            os.execv(FOLIO, [FOLIO, "repl"])
        self.t_start = time.time()

    def read_until(self, pattern, timeout=5.0):
        """Output (escape codes and CRs removed) up to a regex match."""
        buf = b""
        end = time.time() + timeout
        while time.time() < end:
            r, _, _ = select.select([self.fd], [], [], 0.02)
            if r:
                try:
                    chunk = os.read(self.fd, 65536)
                except OSError:
                    break
                if not chunk:
                    break
                buf += chunk
                text = ANSI.sub(b"", buf).decode(errors="replace")
                if re.search(pattern, text, re.S):
                    return text, True
        return ANSI.sub(b"", buf).decode(errors="replace"), False

    def send(self, s):
        os.write(self.fd, s.encode())

    def ask(self, line, pattern, timeout=5.0):
        self.send(line + "\n")
        return self.read_until(pattern, timeout)

    def close(self):
        self.send("\x04")
        self.read_until(r"$^", 1.0)
        _, status = os.waitpid(self.pid, 0)
        return os.waitstatus_to_exitcode(status)


PROMPT = r"\n> $"

r = Repl()
text, ok = r.read_until(r"> $")
check("banner and prompt", ok and "folio" in text and ":help" in text, repr(text))
check("first prompt within 1 s", time.time() - r.t_start < 1.0)

# tab completion of a field of a global, then of a method
r.send("folio.read_c\t")
text, ok = r.read_until(r"folio\.read_csv")
check("folio.read_c<TAB> completes to folio.read_csv", ok, repr(text))
r.send("\x15")   # kill the line
r.ask("m = folio.model('demo'); x = m:var('x', {'a', 'b'}, {lb = 0, ub = 2})", PROMPT)
r.ask("m:maximize(x.a + 2 * x.b); res = m:solve()", PROMPT)
r.send("res:du\t")
text, ok = r.read_until(r"res:dual")
check("res:du<TAB> completes to res:dual", ok, repr(text))
r.send("\x15")
r.send("m:v\t")
text, ok = r.read_until(r"m:var")
check("m:v<TAB> completes to m:var (a model's method)", ok, repr(text))
r.send("\x15")
r.send("folio.ExposureOpt\t")
text, ok = r.read_until(r"folio\.ExposureOptimizer")
check("folio.ExposureOpt<TAB> completes", ok, repr(text))
r.send("\x15")

# =expr, bare expressions, and a result printed as a report
text, ok = r.ask("=6*7", r"42.*" + PROMPT)
check("=expr prints its value", ok, repr(text))
text, ok = r.ask("res", r"optimal.*Objective: 6.*" + PROMPT)
check("a result prints as a report", ok, repr(text))
text, ok = r.ask("{{1, 2, 3}, {4, 5, 6}}", r"matrix 2 x 3.*4.*5.*6.*" + PROMPT)
check("a matrix prints as an aligned grid", ok, repr(text))
text, ok = r.ask("x", r"a .*x\[a\].*b .*x\[b\].*" + PROMPT)
check("a variable family prints by key", ok, repr(text))

# multi-line input continues while the chunk is incomplete
r.send("function sq(v)\n")
text, ok = r.read_until(r">> $")
check("an incomplete chunk gets the continuation prompt", ok, repr(text))
r.send("  return v * v\n")
r.read_until(r">> $")
text, ok = r.ask("end", PROMPT)
text, ok = r.ask("=sq(12)", r"144.*" + PROMPT)
check("the multi-line function was defined", ok, repr(text))

# errors are reported and the session goes on
text, ok = r.ask("error('boom')", r"boom.*" + PROMPT)
check("an error is printed and the prompt returns", ok, repr(text))

# :help, :time, :load
text, ok = r.ask(":help", r":load.*:time.*" + PROMPT)
check(":help lists the commands", ok, repr(text))
text, ok = r.ask(":help folio.model", r"model.*" + PROMPT)
check(":help folio.model shows documentation", ok and "no documentation" not in text, repr(text))
text, ok = r.ask(":time sq(3)", r"9.*time: [0-9.]+ ms.*" + PROMPT)
check(":time prints the value and the time", ok, repr(text))
with open(os.path.join(WORK, "script.lua"), "w") as f:
    f.write("loaded_value = 99\nreturn loaded_value + 1\n")
text, ok = r.ask(":load " + os.path.join(WORK, "script.lua"), r"100.*" + PROMPT)
check(":load runs a file and prints its return", ok, repr(text))
text, ok = r.ask("=loaded_value", r"99.*" + PROMPT)
check(":load keeps the file's globals", ok, repr(text))

# Ctrl-C stops a running loop and returns to the prompt
r.send("while true do end\n")
time.sleep(0.3)
t0 = time.time()
r.send("\x03")
text, ok = r.read_until(r"interrupted.*" + PROMPT, 3.0)
check("Ctrl-C interrupts a running loop", ok, repr(text))
check("the interrupt takes under 1 s", time.time() - t0 < 1.0)
text, ok = r.ask("=sq(5)", r"25.*" + PROMPT)
check("the session works after an interrupt", ok, repr(text))

# Ctrl-C stops a long MIP solve (GLPK's branch and bound polls the flag)
with open(os.path.join(WORK, "hard.lua"), "w") as f:
    f.write("""
local items = {}
for i = 1, 60 do items[i] = "i" .. i end
hard = folio.model("hard")
local x = hard:var("x", items, {kind = "binary"})
local seed = 12345
local function rnd() seed = (seed * 1103515245 + 12345) % 2147483648; return seed end
local w = {}
for i = 1, 60 do w["i" .. i] = 2 * (rnd() % 100000) + 1 end
for k = 1, 3 do
  local a = {}
  for i = 1, 60 do a["i" .. i] = rnd() % 1000 end
  hard:st("c" .. k, folio.dot(a, x), "==", 15000 + k)
end
hard:maximize(folio.dot(w, x))
""")
r.ask(":load " + os.path.join(WORK, "hard.lua"), PROMPT)
r.send("hr = hard:solve{time_limit = 60}\n")
time.sleep(1.0)
t0 = time.time()
r.send("\x03")
text, ok = r.read_until(r"interrupted.*" + PROMPT, 5.0)
check("Ctrl-C interrupts a MIP solve", ok, repr(text))
check("the solve stops within 1 s of Ctrl-C", time.time() - t0 < 1.0, str(time.time() - t0))
text, ok = r.ask("=hr == nil", r"true.*" + PROMPT)
check("an interrupted solve returns no half answer", ok, repr(text))

# Ctrl-C at the prompt drops the line being typed
r.send("this is not lua")
time.sleep(0.1)
r.send("\x03")
r.read_until(r"> $", 2.0)
text, ok = r.ask("=1+2", r"3.*" + PROMPT)
check("Ctrl-C at the prompt drops the line", ok and "syntax" not in text, repr(text))

code = r.close()
check("Ctrl-D leaves with status 0", code == 0, str(code))

# the history survives the session
with open(HIST) as f:
    hist = f.read()
check("history file has the lines", "=6*7" in hist and "function sq(v)" in hist, repr(hist[-300:]))
r = Repl()
r.read_until(r"> $")
r.send("\x1b[A")   # up arrow: the last line of the previous session
text, ok = r.read_until(r"=1\+2")
check("up arrow recalls the previous session's line", ok, repr(text))
r.send("\x15")
r.close()

print(f"{passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
