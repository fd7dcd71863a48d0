"""The folio Jupyter kernel, driven headless (run by test_jupyter.sh, which
installs the kernelspecs and points JUPYTER_PATH at them).

    test_jupyter_kernel.py ROOT SCALE WORK

Runs the example notebooks (examples/notebooks) with nbclient and checks
their outputs; then talks to a kernel over jupyter_client for errors,
interrupts, completion, inspection, is_complete, streams and the sandbox,
and to the protocol itself (python/folio/jupyter.py): kernel_info on shell
and control, messages with bad, missing and replayed signatures dropped and
logged, shutdown_request ending the process, and the modules the kernel's
process imports (no ipykernel, IPython, tornado, jupyter_client). SCALE
stretches the time bounds (4 under the sanitizers); WORK is a scratch
folder. Prints one line per failed check, and last "PYCHECKS passed
failed" (lib.sh's py).
"""
import json
import os
import re
import sys
import time

import nbclient
import nbformat
import zmq
from jupyter_client.manager import KernelManager
from jupyter_client.session import Session

ROOT = sys.argv[1]
SCALE = float(sys.argv[2])
WORK = sys.argv[3]
failures = []
passed = 0


def check(what, ok, detail=""):
    global passed
    if ok:
        passed += 1
    else:
        failures.append(what)
        print("FAIL: %s%s" % (what, (": " + detail[:600]) if detail else ""))


# ---- the example notebooks ---------------------------------------------------

def outputs(nb):
    for c in nb.cells:
        if c.cell_type == "code":
            for o in c.outputs:
                yield c, o


def run_notebook(name):
    path = os.path.join(ROOT, "examples", "notebooks", name)
    nb = nbformat.read(path, as_version=4)
    t0 = time.time()
    nbclient.NotebookClient(nb, timeout=int(120 * SCALE), kernel_name="folio",
                            resources={"metadata": {"path": os.path.dirname(path)}}).execute()
    errors = [o for _, o in outputs(nb) if o.output_type == "error"]
    check("%s runs without errors" % name, not errors, str([e.get("evalue") for e in errors]))
    print("%s ran in %.2f s" % (name, time.time() - t0))
    return nb


def rich(nb, output_type, mime):
    return [o for _, o in outputs(nb) if o.output_type == output_type and mime in o.get("data", {})]


nb = run_notebook("frontier.ipynb")
shown = rich(nb, "display_data", "text/html")
weights = [o for o in shown if 'data-name="weights"' in o.data["text/html"]]
check("frontier: folio.display(r) is a display_data whose text/html has the weights table", len(weights) == 1,
      str([o.data["text/html"][:200] for o in shown]))
if weights:
    html = weights[0].data["text/html"]
    table = html[html.index('data-name="weights"'):]
    table = table[:table.index("</table>")]
    check("frontier: the weights table names the stocks", all(t in table for t in ("AMZN", "AAPL", "GOOG")), table[:300])
    check("frontier: the report is a fragment with scoped style (no page around it)",
          html.startswith('<div class="folio-report"><style>') and "<html" not in html and "<header>" not in html,
          html[:200])
    check("frontier: the report draws the frontier with this portfolio", "this portfolio" in html)
    check("frontier: the display has a text/plain fallback (the summary)",
          weights[0].data["text/plain"].startswith("Exposure optimization: optimal"), weights[0].data["text/plain"][:200])
svgs = rich(nb, "execute_result", "image/svg+xml")
check("frontier: fr:plot() is an image/svg+xml result", len(svgs) == 1 and
      svgs[0].data["image/svg+xml"].startswith("<svg") and "Efficient frontier" in svgs[0].data["image/svg+xml"],
      str([o.data for o in svgs])[:300])
streams = "".join(o.text for _, o in outputs(nb) if o.output_type == "stream" and o.name == "stdout")
check("frontier: print reaches the notebook", re.search(r"expected return \d+\.\d\d%, volatility \d+\.\d\d%", streams),
      streams)
plain = [o.data["text/plain"] for _, o in outputs(nb) if o.output_type == "execute_result"]
check("frontier: a trailing expression list shows each value on a line", "7125\n21" in plain, str(plain)[:300])

nb = run_notebook("loan_book.ipynb")
results = rich(nb, "execute_result", "text/html")
check("loan book: the returned list shows as the report (HTML)",
      len(results) >= 2 and "loan_book" in results[0].data["text/html"] and
      "Segments that grow or shrink" in results[0].data["text/html"], str([r.data["text/plain"][:80] for r in results]))
duals = [r for r in results if "Shadow prices of the book-wide limits" in r.data["text/plain"]]
check("loan book: the shadow-price table", len(duals) == 1 and re.search(r"rwa\s+0\.1627906977", duals[0].data["text/plain"]),
      str([r.data["text/plain"] for r in duals]))
last = [o.data["text/plain"] for c, o in outputs(nb) if o.output_type == "execute_result" and "predicted" in c.source]
nums = [float(x) for x in re.findall(r"[-0-9.e]+", last[0])] if last else []
check("loan book: the rwa price predicts the re-solve's gain (37.0186)", len(nums) == 2 and
      abs(nums[0] - 37.0186) < 1e-3 and abs(nums[0] - nums[1]) < 1e-6, str(last))

nb = run_notebook("trade_assignment.ipynb")
reports = [o for o in rich(nb, "execute_result", "text/html") if "trade assignment" in o.data["text/html"]]
check("trade assignment: ta:report(r) shows as HTML", len(reports) == 1)
if reports:
    html = reports[0].data["text/html"]
    check("trade assignment: the compliance report has every limit with its headroom, compliant",
          "headroom" in html and "credit_line" in html and "compliant" in html, html[:300])
    check("trade assignment: the headroom chart is inline SVG", "<svg" in html)


# ---- one kernel, message by message ----------------------------------------

class Kernel:
    def __init__(self, name="folio"):
        self.km = KernelManager(kernel_name=name)
        t0 = time.time()
        self.km.start_kernel(cwd=ROOT)
        self.kc = self.km.client()
        self.kc.start_channels()
        self.kc.wait_for_ready(timeout=60 * SCALE)
        self.started = time.time() - t0

    def run(self, code, interrupt_after=None, timeout=60):
        """(reply content, outputs, seconds from the interrupt to idle)"""
        # stop_on_error=False: after an error, the kernel aborts the requests
        # already queued (as "Run All" wants)
        msg_id = self.kc.execute(code, stop_on_error=False)
        outs, t0, sent, idle_after = [], time.time(), None, None
        while True:
            if interrupt_after is not None and sent is None and time.time() - t0 > interrupt_after:
                self.km.interrupt_kernel()
                sent = time.time()
            try:
                m = self.kc.get_iopub_msg(timeout=0.05)
            except Exception:
                if time.time() - t0 > timeout * SCALE:
                    raise RuntimeError("no idle after %s s running %r" % (timeout * SCALE, code))
                continue
            if m["parent_header"].get("msg_id") != msg_id:
                continue
            t = m["msg_type"]
            if t == "status" and m["content"]["execution_state"] == "idle":
                if sent is not None:
                    idle_after = time.time() - sent
                break
            if t in ("stream", "display_data", "execute_result", "error"):
                outs.append((t, m["content"]))
        return self.reply(msg_id), outs, idle_after

    def reply(self, msg_id):
        """the shell reply to msg_id (wait_for_ready may leave an extra kernel_info_reply)"""
        while True:
            m = self.kc.get_shell_msg(timeout=10 * SCALE)
            if m["parent_header"].get("msg_id") == msg_id:
                return m["content"]

    def shell(self, send):
        return self.reply(send())

    def close(self):
        self.kc.stop_channels()
        self.km.shutdown_kernel(now=True)


def errors(outs):
    return [c for t, c in outs if t == "error"]


def text(outs, name):
    return "".join(c["text"] for t, c in outs if t == "stream" and c["name"] == name)


def result(outs):
    r = [c["data"] for t, c in outs if t == "execute_result"]
    return r[0] if len(r) == 1 else None


k = Kernel()
print("kernel start to ready: %.2f s" % k.started)

reply, outs, _ = k.run("x = 40")
check("a statement shows nothing", reply["status"] == "ok" and outs == [], str(outs))
reply, outs, _ = k.run("x + 2")
check("a trailing expression is the cell's result", (result(outs) or {}).get("text/plain") == "42", str(outs))
reply, outs, _ = k.run("y = x\ny * 2")
check("the last line's expression after statements", (result(outs) or {}).get("text/plain") == "80", str(outs))
reply, outs, _ = k.run("_ + 1")
check("the last value shown is _", (result(outs) or {}).get("text/plain") == "81", str(outs))

# errors: one line naming the cell's line
reply, outs, _ = k.run("local a = 1\nundefined_function(a)")
n = reply["execution_count"]
want = "[cell %d]:2: attempt to call a nil value (global 'undefined_function')" % n
errs = errors(outs)
check("a Lua error is one line naming the cell's line", reply["status"] == "error" and len(errs) == 1 and
      errs[0]["evalue"] == want and errs[0]["traceback"] == [want] and errs[0]["ename"] == "folio.Error",
      "want %r, got %s (reply %s)" % (want, errs, reply))
reply, outs, _ = k.run("c = folio.ExposureConstraints {\n  bounds = {0, 1},\n  max_turnvoer = 0.2,\n}")
n = reply["execution_count"]
errs = errors(outs)
want = ("[cell %d]:1: ExposureConstraints: unknown option 'max_turnvoer' (did you mean 'max_turnover'? options: " % n)
check("folio's own error names the cell's line, not folio's internals", len(errs) == 1 and
      errs[0]["evalue"].startswith(want) and "lua/folio" not in errs[0]["evalue"] and
      "\n" not in errs[0]["evalue"], str(errs))
reply, outs, _ = k.run("for i = 1, 3 do\n  x = x +\nend")
n = reply["execution_count"]
errs = errors(outs)
check("a syntax error names the cell's line", len(errs) == 1 and
      errs[0]["evalue"] == "[cell %d]:3: unexpected symbol near 'end'" % n, str(errs))

# streams: print and io.write in order, the C streams captured, progress lines
reply, outs, _ = k.run("print('one')\nio.write('two', 3, '\\n')\nio.stdout:write('four\\n')\n"
                       "io.stdout:flush()\nio.stderr:write('five\\n')")
check("print and io.write go to stdout in order", text(outs, "stdout").startswith("one\ntwo3\n"), str(outs))
check("C-level stdout is captured", "four\n" in text(outs, "stdout"), str(outs))
check("C-level stderr is captured", text(outs, "stderr") == "five\n", str(outs))

# rich values
reply, outs, _ = k.run("folio.display(folio.svg_image('<svg xmlns=\"http://www.w3.org/2000/svg\"></svg>'), 7)")
disp = [c["data"] for t, c in outs if t == "display_data"]
check("folio.display shows each value (SVG inline, numbers as text)", len(disp) == 2 and
      disp[0].get("image/svg+xml", "").startswith("<svg") and disp[1] == {"text/plain": "7"}, str(disp))
reply, outs, _ = k.run("m = folio.model('tiny')\nv = m:var('v', {'a', 'b'}, {lb = 0, ub = 1})\n"
                       "m:st('cap', v.a + 2 * v.b, '<=', 2)\nm:maximize(v.a + v.b)\nr = m:solve()\nr")
res = result(outs) or {}
check("a model result is HTML with the text report as fallback", "text/html" in res and
      res.get("text/plain", "").startswith("Model 'tiny': optimal") and 'data-name="constraints"' in res["text/html"],
      str(res)[:300])

reply, outs, _ = k.run('H = folio.read_orlib("data/orlib/port1.txt")\n'
                       'c = folio.cim { assets = H.assets, mu = H.mu, cov = H.cov, gamma = 20, samples = 50 }\n'
                       'c:plot()')
res = result(outs) or {}
check("a CIM result's r:plot() is its trajectory as image/svg+xml", res.get("image/svg+xml", "").startswith("<svg") and
      "Energy above its final value" in res["image/svg+xml"] and res.get("text/plain", "").startswith("<svg image, "),
      str(outs)[:300])
reply, outs, _ = k.run('e = folio.ExposureOptimizer():optimize { exposures = {"a", "b", "c"},\n'
                       '  cov = {{0.04, 0.01, 0}, {0.01, 0.09, 0.02}, {0, 0.02, 0.06}}, objective = folio.MinVolatility {} }\n'
                       'e:plot_allocation()')
res = result(outs) or {}
check("an exposure result's r:plot_allocation() is image/svg+xml", res.get("image/svg+xml", "").startswith("<svg") and
      "Allocation" in res["image/svg+xml"], str(outs)[:300])
path = os.path.join(WORK, "allocation.svg")
reply, outs, _ = k.run("e:plot_allocation(%r)" % path)
check("with a file name, plot_allocation writes the file and shows nothing", reply["status"] == "ok" and outs == [] and
      open(path).read().startswith("<svg"), str(outs)[:300])

# :help and inspection
reply, outs, _ = k.run(":help")
check(":help lists the REPL's commands", text(outs, "stdout").startswith("folio REPL commands:"), str(outs)[:300])
insp = k.shell(lambda: k.kc.inspect("r = folio.MinVolatility{}", 12))
check("inspect gives the :help text of the name under the cursor", insp["status"] == "ok" and insp["found"] and
      "MinVolatility" in insp["data"].get("text/plain", ""), str(insp)[:300])
insp = k.shell(lambda: k.kc.inspect("zzz_not_a_name", 3))
check("inspect of an unknown name finds nothing", insp["found"] is False, str(insp)[:300])
for code in ("folio.Ma", "folio.MinVol", "folio.Nope"):
    insp = k.shell(lambda: k.kc.inspect(code, len(code)))
    check("inspect of %s (not a field of folio) finds nothing, without an error" % code,
          insp["status"] == "ok" and insp["found"] is False, str(insp)[:300])
insp = k.shell(lambda: k.kc.inspect("folio.ExposureOptimizer", 10))
check("inspect of folio.ExposureOptimizer opens with its reference page, not the benchmarks",
      insp["found"] and insp["data"].get("text/plain", "").startswith(
          "# The exposure optimizer  (docs/exposure_optimizer.md)\n") and
      "docs/benchmarks.md" not in insp["data"]["text/plain"], str(insp)[:300])
reply, outs, _ = k.run(":help MinVol")
check(":help of a name folio does not have says so", reply["status"] == "ok" and
      text(outs, "stdout") == "no documentation for 'MinVol' (try :help for the commands)\n", str(outs)[:300])

# :load runs a file as `folio run` does (folio.script_dir its folder)
reply, outs, _ = k.run(":load models/loan_book.lua")
check(":load models/loan_book.lua reads the data beside it", reply["status"] == "ok" and
      "Model 'loan_book': optimal" in text(outs, "stdout") + str([c.get("data", {}).get("text/plain", "") for _, c in outs]),
      str(outs)[:300])
reply, outs, _ = k.run("folio.script_dir")
check("folio.script_dir is restored after :load", (result(outs) or {}).get("text/plain") == '"."', str(outs))

# completion and is_complete
comp = k.shell(lambda: k.kc.complete("w = folio.MaxS", 14))
check("completion of folio.MaxS", comp["matches"] == ["folio.MaxSharpeRatio"] and comp["cursor_start"] == 4 and
      comp["cursor_end"] == 14, str(comp))
comp = k.shell(lambda: k.kc.complete("r:du", 4))
check("completion of a result's methods (r:du)", "r:dual" in comp["matches"] and comp["cursor_start"] == 0, str(comp))
comp = k.shell(lambda: k.kc.complete("m:v", 3))
check("completion of a model's methods (m:v, a userdata)", comp["matches"] == ["m:var"] and comp["cursor_start"] == 0,
      str(comp))
comp = k.shell(lambda: k.kc.complete("e:plot_a", 8))
check("completion of an exposure result's methods (e:plot_a)", comp["matches"] == ["e:plot_allocation"], str(comp))
for code, want in (("for i = 1, 3 do", "incomplete"), ("function f(x)\n  return x", "incomplete"),
                   ("x = 1", "complete"), ("x + 1", "complete"), (":help folio.model", "complete"),
                   ("x = = 1", "invalid")):
    ic = k.shell(lambda: k.kc.is_complete(code))
    check("is_complete(%r) is %s" % (code, want), ic["status"] == want, str(ic))

# interrupts: a Lua loop, a GLPK branch and bound; the kernel goes on
bound = 2.0 * SCALE
reply, outs, idle = k.run("while true do end", interrupt_after=1.0)
n = reply["execution_count"]
errs = errors(outs)
check("interrupting a Lua loop is a KeyboardInterrupt error naming the cell",
      reply["status"] == "error" and len(errs) == 1 and errs[0]["ename"] == "KeyboardInterrupt" and
      errs[0]["evalue"] == "[cell %d]: interrupted (Ctrl-C)" % n, str(errs))
check("the kernel is idle within %.1f s of the interrupt (loop; took %s)" % (bound, idle),
      idle is not None and idle < bound)
split = open(os.path.join(ROOT, "tests", "python", "market_split.lua")).read().replace("return m", "r = m:solve{}")
reply, outs, idle = k.run(split, interrupt_after=2.5)
check("interrupting a GLPK solve is a KeyboardInterrupt", [e["ename"] for e in errors(outs)] == ["KeyboardInterrupt"],
      str(outs)[:300])
check("the kernel is idle within %.1f s of the interrupt (GLPK; took %s)" % (bound, idle),
      idle is not None and idle < bound)
check("the solve's progress lines reach the notebook (stderr)", "MIP  nodes" in text(outs, "stderr"),
      str(outs)[:300])
reply, outs, _ = k.run("x + 1")
check("the kernel survives the interrupts", (result(outs) or {}).get("text/plain") == "41", str(outs))

# an interrupt between cells is ignored; an interrupt_request on the
# control channel (interrupt_mode "message") stops a cell as the signal does
k.km.interrupt_kernel()
time.sleep(0.3 * SCALE)
reply, outs, _ = k.run("x + 2")
check("an interrupt between cells leaves the kernel as it was", k.km.is_alive() and
      (result(outs) or {}).get("text/plain") == "42", str(outs))
msg_id = k.kc.execute("while true do end", stop_on_error=False)
time.sleep(0.5)
ireq = k.kc.session.msg("interrupt_request", {})
k.kc.control_channel.send(ireq)
irep = k.kc.get_control_msg(timeout=10 * SCALE)
reply = k.reply(msg_id)
check("an interrupt_request on control is answered and stops the loop", irep["msg_type"] == "interrupt_reply" and
      irep["parent_header"]["msg_id"] == ireq["header"]["msg_id"] and irep["content"]["status"] == "ok" and
      reply["status"] == "error" and reply["ename"] == "KeyboardInterrupt", "%s %s" % (irep["content"], reply))
k.close()


# ---- the protocol itself: kernel_info, signatures, shutdown, the process -------

def kernel_with_log(log_path):
    """a kernel whose stderr (its log) is a file, started with Python's
    -X importtime (PYTHONPROFILEIMPORTTIME): each module it imports is a line
    on its stderr, in the log until the kernel captures fd 2, after that in
    the cells' stderr streams"""
    kk = Kernel.__new__(Kernel)
    kk.km = KernelManager(kernel_name="folio")
    kk.log = open(log_path, "w")
    kk.km.start_kernel(cwd=ROOT, stderr=kk.log, env=dict(os.environ, PYTHONPROFILEIMPORTTIME="1"))
    kk.kc = kk.km.client()
    kk.kc.start_channels()
    kk.kc.wait_for_ready(timeout=60 * SCALE)
    return kk


log_path = os.path.join(WORK, "kernel.log")
k = kernel_with_log(log_path)
streamed = []   # every output of the kernel's cells, for the imports check

info = k.shell(lambda: k.kc.kernel_info())
li = info.get("language_info", {})
check("kernel_info_reply: protocol 5.3, implementation folio, Lua 5.4 language_info, banner",
      info.get("status") == "ok" and info.get("protocol_version") == "5.3" and info.get("implementation") == "folio" and
      re.match(r"^\d+\.\d+", info.get("implementation_version", "")) and li.get("name") == "lua" and
      li.get("version") == "5.4" and li.get("mimetype") == "text/x-lua" and li.get("file_extension") == ".lua" and
      li.get("pygments_lexer") == "lua" and info.get("banner", "").startswith("folio ") and
      isinstance(info.get("help_links"), list), str(info))
creq = k.kc.session.msg("kernel_info_request", {})
k.kc.control_channel.send(creq)
crep = k.kc.get_control_msg(timeout=10 * SCALE)
check("kernel_info_request on the control channel is answered there", crep["msg_type"] == "kernel_info_reply" and
      crep["parent_header"]["msg_id"] == creq["header"]["msg_id"] and crep["content"]["implementation"] == "folio",
      str(crep)[:300])

# signatures: a raw DEALER on the shell port, messages signed with a wrong
# key, unsigned, correctly, and the correct one again (a replay)
ci = k.km.get_connection_info()
ctx = zmq.Context()
dealer = ctx.socket(zmq.DEALER)
dealer.linger = 0
dealer.connect("%s://%s:%d" % (ci["transport"], ci["ip"], ci["shell_port"]))
good = Session(key=ci["key"], signature_scheme=ci["signature_scheme"])
wrong = Session(key=b"not-the-key", signature_scheme=ci["signature_scheme"])
unsigned = Session(key=b"")


def raw_execute(session, code):
    """sends an execute request; the reply's content, or None if none came"""
    msg = session.msg("execute_request", {"code": code, "silent": False, "store_history": True,
                                          "user_expressions": {}, "allow_stdin": False, "stop_on_error": False})
    frames = session.serialize(msg)
    dealer.send_multipart(frames)
    return frames, await_reply(msg["header"]["msg_id"])


def await_reply(msg_id, wait=1.5):
    if not dealer.poll(int(wait * SCALE * 1000)):
        return None
    reply = good.deserialize(good.feed_identities(dealer.recv_multipart())[1])
    return reply["content"] if reply["parent_header"].get("msg_id") == msg_id else {"unexpected": reply}


_, rep_wrong = raw_execute(wrong, "bad_sig_ran = true")
_, rep_unsigned = raw_execute(unsigned, "unsigned_ran = true")
frames, rep_good = raw_execute(good, "good_sig_ran = true")
check("a message signed with another key gets no reply", rep_wrong is None, str(rep_wrong))
check("an unsigned message gets no reply", rep_unsigned is None, str(rep_unsigned))
check("the same request correctly signed is run and answered", (rep_good or {}).get("status") == "ok", str(rep_good))
dealer.send_multipart(frames)
rep_replay = await_reply(None)
check("a replayed message (a signature seen before) gets no reply", rep_replay is None, str(rep_replay))
reply, outs, _ = k.run("bad_sig_ran, unsigned_ran, good_sig_ran")
streamed += outs
check("only the correctly signed request ran", (result(outs) or {}).get("text/plain") == "nil\nnil\ntrue", str(outs))
dealer.close()
ctx.term()
k.log.flush()
log = open(log_path).read()
check("the kernel logs each dropped message and why", "dropped a message on shell: bad signature" in log and
      "dropped a message on shell: no signature" in log and
      "dropped a message on shell: a signature seen before (a replayed message)" in log,
      "\n".join(l for l in log.splitlines() if "import time" not in l)[-600:])

# a session's worth of work in this kernel, for the imports check below
reply, outs, _ = k.run("m = folio.model('t')\nv = m:var('v', {'a'}, {lb = 0, ub = 1})\nm:maximize(v.a)\nm:solve()")
streamed += outs
check("the logged kernel runs a model to its HTML view", "text/html" in (result(outs) or {}), str(outs)[:300])
k.shell(lambda: k.kc.complete("folio.Ma", 8))
k.shell(lambda: k.kc.inspect("folio.model", 5))

# shutdown_request (on control, as jupyter_client sends it) ends the process
proc = k.km.provisioner.process
sreq = k.kc.shutdown()
srep = k.kc.get_control_msg(timeout=10 * SCALE)
check("shutdown_request is answered", srep["msg_type"] == "shutdown_reply" and
      srep["parent_header"]["msg_id"] == sreq and srep["content"] == {"status": "ok", "restart": False}, str(srep))
t0 = time.time()
try:
    code = proc.wait(timeout=5 * SCALE)
except Exception as e:
    code = repr(e)
check("shutdown_request ends the kernel's process, with status 0 (took %.2f s)" % (time.time() - t0), code == 0,
      str(code))
k.kc.stop_channels()
k.km.cleanup_resources()
k.log.close()

# the modules the kernel's process imported: -X importtime's lines in its log
# and in the cells' stderr
log = open(log_path).read() + "".join(c.get("text", "") for t, c in streamed if t == "stream")
imported = set(re.findall(r"^import time:\s+\d+ \|\s+\d+ \|\s*([\w.]+)\s*$", log, re.M))
want = {"zmq", "folio", "folio._folio", "folio.jupyter"}   # folio.kernel itself runs as __main__
check("the kernel process imported zmq, folio and folio.jupyter (the import log is read)", want <= imported,
      "missing %s of %d modules" % (sorted(want - imported), len(imported)))
bad = sorted(m for m in imported if m.split(".")[0] in
             ("ipykernel", "IPython", "tornado", "traitlets", "jupyter_client", "jupyter_core", "debugpy", "jedi"))
check("the kernel process imports no ipykernel, IPython, tornado, traitlets or jupyter_client", not bad, str(bad))

# ---- the sandboxed kernelspec -------------------------------------------------

k = Kernel("folio-sandbox")
reply, outs, _ = k.run("io, os, debug")
check("the sandbox has no io, os or debug", (result(outs) or {}).get("text/plain") == "nil\nnil\nnil", str(outs))
reply, outs, _ = k.run("folio.read_csv('/etc/passwd')")
n = reply["execution_count"]
errs = errors(outs)
check("the sandbox refuses reads outside its folders", len(errs) == 1 and
      errs[0]["evalue"].startswith("[cell %d]:1: sandbox: reading '/etc/passwd' is not allowed" % n), str(errs))
reply, outs, _ = k.run("t = folio.read_csv('models/data/loan_segments.csv')\nt.n")
check("the sandbox reads under the kernel's folder", (result(outs) or {}).get("text/plain") == "17", str(outs))
t0 = time.time()
reply, outs, _ = k.run("while true do end")
spent = time.time() - t0
errs = errors(outs)
check("the sandbox's time budget stops a loop, with one line naming the cell", len(errs) == 1 and
      errs[0]["evalue"] == "[cell %d]:1: sandbox: time budget of 1.0 s exceeded" % reply["execution_count"] and
      spent < 1 + 3 * SCALE, "%.2f s %s" % (spent, errs))
reply, outs, _ = k.run("t.n + 1")
check("a fresh budget for the next cell", (result(outs) or {}).get("text/plain") == "18", str(outs))
k.close()

# the memory cap: a cell that fills it with a global fails naming the cell;
# the kernel's own work is outside the cap, so the next cells run, and
# freeing the global gives the memory back
k = Kernel("folio-mem")
reply, outs, _ = k.run("t = {} for i = 1, 1e8 do t[i] = {i} end")
n = reply["execution_count"]
errs = errors(outs)
want = "[cell %d]: memory cap of 64 MiB reached: not enough memory" % n
check("filling the memory cap is a MemoryError naming the cell", reply["status"] == "error" and len(errs) == 1 and
      errs[0]["ename"] == "MemoryError" and errs[0]["evalue"] == want and errs[0]["traceback"] == [want], str(errs))
reply, outs, _ = k.run("#t > 0")
check("while the global fills the cap, a cell needing no memory shows its value",
      (result(outs) or {}).get("text/plain") == "true", str(outs))
reply, outs, _ = k.run("u = {} for i = 1, 1e6 do u[i] = i end")
check("while the global fills the cap, a cell needing memory is a MemoryError", [e["evalue"] for e in errors(outs)] ==
      ["[cell %d]: memory cap of 64 MiB reached: not enough memory" % reply["execution_count"]], str(outs))
reply, outs, _ = k.run("t = nil")
check("after the cap is hit, a cell freeing the global runs", reply["status"] == "ok" and outs == [], str(outs))
reply, outs, _ = k.run("collectgarbage()\nx = {}\nfor i = 1, 1e5 do x[i] = {i} end\n#x")
check("the memory freed is the cells' again", (result(outs) or {}).get("text/plain") == "100000", str(outs))
reply, outs, _ = k.run("local u = {} for i = 1, 1e8 do u[i] = {i} end")
check("a local filling the cap is a MemoryError too", [e["ename"] for e in errors(outs)] == ["MemoryError"], str(outs))
reply, outs, _ = k.run("#x + 1")
check("after it, the next cell runs", (result(outs) or {}).get("text/plain") == "100001", str(outs))
insp = k.shell(lambda: k.kc.inspect("folio.model", 11))
check("inspection works after the cap was hit", insp["status"] == "ok" and insp["found"], str(insp)[:200])
k.close()

print("PYCHECKS %d %d" % (passed, len(failures)))
sys.stdout.flush()
os._exit(0)   # jupyter_client's finalizers complain at interpreter exit
