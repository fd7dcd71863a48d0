"""The folio Jupyter kernel: one folio.Session behind the Jupyter messaging
protocol, with the REPL's semantics (docs/jupyter.md).

    python3 -m folio.kernel -f CONNECTION_FILE [--sandbox [--allow-read DIR] ...]

`folio jupyter install` writes the kernelspec that runs this. Cells are Lua;
a trailing expression is shown (results as folio's HTML report with a text
fallback, SVG pictures inline), errors are one line naming the cell's line
(`[cell 3]:2: ...`), and Ctrl-C (the notebook's interrupt) stops a solve or a
loop and leaves the kernel idle. The protocol itself (sockets, signatures,
streams, interrupts) is folio/jupyter.py, on pyzmq alone: the kernel's
process imports no ipykernel, IPython, tornado or jupyter_client.
"""
import argparse
import os
import re
import sys
import time

import folio
from folio import _folio
from folio.jupyter import Kernel, ProtocolError

_KERNEL_LUA = os.path.join(os.path.dirname(__file__), "kernel.lua")

_FRAME = re.compile(r"^\s*(\[cell \d+\]:\d+) ", re.M)


def _located(e, cell):
    """folio's one line, with the innermost cell line of the traceback in
    front when the message has no position of its own (errors raised in C,
    such as the sandbox's), or else the cell's name."""
    msg = str(e)
    if msg.startswith("[cell "):
        return msg
    m = _FRAME.search(getattr(e, "traceback", "") or "")
    return "%s: %s" % (m.group(1) if m else cell, msg)


# the kernel's own memory above the sandbox's cap (or a quarter of the cap)
HEADROOM = 64 << 20

_SIZE = re.compile(r"^\s*([0-9]+(?:\.[0-9]+)?)\s*([kKmMgGtT]?)[bB]?\s*$")


def parse_size(text):
    """'4G', '512M', '100k', '1000' -> bytes (as the CLI's --max-memory)."""
    m = _SIZE.match(str(text))
    if not m:
        raise ValueError("--max-memory expects a size like 512M or 4G, got '%s'" % text)
    scale = {"": 1, "k": 1 << 10, "m": 1 << 20, "g": 1 << 30, "t": 1 << 40}[m.group(2).lower()]
    return int(float(m.group(1)) * scale)


def options(argv):
    p = argparse.ArgumentParser(prog="python3 -m folio.kernel", description="the folio Jupyter kernel")
    p.add_argument("-f", dest="connection_file", required=True, help="the connection file Jupyter gives")
    p.add_argument("--sandbox", action="store_true", help="run cells as `folio run --sandbox` runs scripts")
    p.add_argument("--allow-read", action="append", default=[], metavar="DIR")
    p.add_argument("--allow-write", action="append", default=[], metavar="DIR")
    p.add_argument("--max-instructions", type=int, default=0, metavar="N", help="per cell (default 1e10)")
    p.add_argument("--max-memory", default=None, metavar="SIZE", help="the state's cap (default 4G)")
    p.add_argument("--max-time", type=float, default=0, metavar="S", help="Lua wall-clock seconds per cell")
    p.add_argument("--solver-time-limit", type=float, default=0, metavar="S", help="a cap on every solve")
    p.add_argument("--quiet", action="store_true", help="no progress lines")
    return p.parse_args(argv)


class FolioKernel(Kernel):
    implementation = "folio"
    implementation_version = folio.__version__
    language_info = {
        "name": "lua",
        "version": "5.4",
        "mimetype": "text/x-lua",
        "file_extension": ".lua",
        "codemirror_mode": "lua",
        "pygments_lexer": "lua",
    }
    banner = "folio %s: Lua 5.4 with folio loaded, as in `folio repl` (:help NAME)" % folio.__version__
    help_links = []

    def __init__(self, connection_file, opts):
        # the sockets first: the client's connections and first requests
        # come in while the session below is made
        super().__init__(connection_file)
        self.opts = opts
        self._silent = False
        _folio.set_verbosity(0 if opts.quiet else 2)   # plain progress lines, on stderr (fd 2)
        self.folio = folio.Session()
        st = self.state = self.folio._state
        with open(_KERNEL_LUA, encoding="utf-8") as f:
            self.k, = st.eval(f.read(), "=folio/kernel.lua")
        st.set_emit(self._emit)
        self.sandboxed = bool(opts.sandbox)
        if self.sandboxed:
            reads = [os.getcwd()] + list(opts.allow_read)
            env, = st.sandbox([os.path.abspath(d) for d in reads], [os.path.abspath(d) for d in opts.allow_write])
            self._k("set_env", env)
            self.instructions = opts.max_instructions or 10 ** 10
            self.memory = parse_size(opts.max_memory) if opts.max_memory else 4 << 30
            self.seconds = opts.max_time or 0
            self._budget()
        setup = {"solver_time_limit": opts.solver_time_limit} if opts.solver_time_limit else {}
        self._k("setup", setup)

    # ---- helpers ---------------------------------------------------------

    def _k(self, name, *args):
        """K:name(args...) in kernel.lua"""
        return self.state.call(self.k, name, args, None)

    def _budget(self, user=False):
        """A fresh allowance for each cell. The memory cap is the user's:
        it holds while the cell's code runs (user=True); the kernel's own
        work (compiling, the views, :help) gets headroom above it, so that
        a cell that filled the cap with globals leaves a kernel that still
        runs `t = nil`."""
        if self.sandboxed:
            mem = self.memory if user else self.memory + max(HEADROOM, self.memory // 4)
            self.state.set_budget(self.instructions, self.seconds, mem)

    def _run(self, fn):
        """The cell's function, under the user's budget: its values. In the
        sandbox they are kept in Lua (K:hold) and taken after, above the
        cap: a cell that needs no memory runs even when the cells' globals
        fill the cap."""
        if not self.sandboxed:
            return self.state.call(fn, None, (), None)
        held, = self._k("hold", fn)
        self._budget(user=True)
        try:
            self.state.call(held, None, (), None)
        except MemoryError:
            # the cell ran; handing its (no) values over ran out of memory
            self._budget()
            if not self._k("held")[0]:
                raise
        finally:
            self._budget()
        return self._k("take")

    def _emit(self, kind, *args):
        """folio.display and io.write, from inside the running Lua code."""
        if kind == "stdout":
            sys.stdout.write(args[0])
        elif kind == "display":
            self._send_views("display_data", args[0], args[1], args[2])

    def _bundle(self, text, html, svg):
        data = {"text/plain": text}
        if html:   # the report's sections, made in Lua (html.fragment)
            data["text/html"] = html
        if svg:
            data["image/svg+xml"] = svg
        return data

    def _send_views(self, msg_type, text, html, svg):
        if self._silent:
            return
        content = {"data": self._bundle(text, html, svg), "metadata": {}}
        if msg_type == "execute_result":
            content["execution_count"] = self.execution_count
        self.send_output(msg_type, content)   # after what the cell printed before

    def _show(self, values):
        """A cell's values: one is the cell's result, several are displays."""
        if not values:
            return
        views = self._k("views", *values)
        triples = [views[i:i + 3] for i in range(0, len(views), 3)]
        if all(not html and not svg for _, html, svg in triples):
            # plain values: one result, a line each, as the REPL prints them
            self._send_views("execute_result", "\n".join(t for t, _, _ in triples), False, False)
        else:
            kind = "execute_result" if len(triples) == 1 else "display_data"
            for text, html, svg in triples:
                self._send_views(kind, text, html, svg)
        self._k("keep", values[0])

    def _error(self, ename, evalue):
        if not self._silent:
            self.send_output("error", {"ename": ename, "evalue": evalue, "traceback": [evalue]})
        return {"status": "error", "execution_count": self.execution_count,
                "ename": ename, "evalue": evalue, "traceback": [evalue]}

    def _print(self, text):
        if not self._silent:
            sys.stdout.write(text + "\n")

    # ---- execute -----------------------------------------------------------

    def do_execute(self, code, silent, store_history=True, user_expressions=None, allow_stdin=False):
        self._silent = silent
        name = "@[cell %d]" % self.execution_count
        try:
            try:
                self._budget()
                stripped = code.strip()
                if stripped.startswith(":"):
                    self._command(stripped, name)
                elif stripped:
                    fn, = self._k("compile", code, name)
                    self._show(self._run(fn))
            finally:
                self._k("flush")
        except folio.Error as e:
            return self._error("folio.Error", _located(e, name[1:]))
        except MemoryError:
            if self.sandboxed:
                msg = "memory cap of %.0f MiB reached: not enough memory" % (self.memory / float(1 << 20))
            else:
                msg = "not enough memory"
            return self._error("MemoryError", "%s: %s" % (name[1:], msg))
        except KeyboardInterrupt:
            return self._error("KeyboardInterrupt", "%s: interrupted (Ctrl-C)" % name[1:])
        return {"status": "ok", "execution_count": self.execution_count,
                "payload": [], "user_expressions": {}}

    def _command(self, line, name):
        """The REPL's commands: :help [NAME], :time EXPR, :load FILE."""
        cmd, _, arg = line.partition(" ")
        arg = arg.strip()
        if len(cmd) >= 2 and ":help".startswith(cmd):
            self._print(self._k("help", arg)[0])
        elif len(cmd) >= 2 and ":time".startswith(cmd):
            if not arg:
                raise folio.Error(":time needs an expression")
            fn, = self._k("compile", arg, name)
            t0 = time.perf_counter()
            values = self._run(fn)
            dt = time.perf_counter() - t0
            self._show(values)
            self._print("time: %.3f ms" % (dt * 1e3))
        elif len(cmd) >= 2 and ":load".startswith(cmd):
            if not arg:
                raise folio.Error(":load needs a file name")
            if self.sandboxed:
                raise folio.Error(":load is not available in the sandbox (read the data with folio's readers)")
            fn, err = (self._k("load", arg) + (None, None))[:2]
            if fn is None:
                raise folio.Error(":load: %s" % err)
            self._show(self._run(fn))
        else:
            raise folio.Error("unknown command '%s' (:help lists them)" % cmd)

    # ---- completion, inspection, is_complete ---------------------------------

    def do_complete(self, code, cursor_pos):
        cursor_pos = len(code) if cursor_pos is None else cursor_pos
        m = re.search(r"[A-Za-z_][\w.:]*$|[.:]$", code[:cursor_pos])
        word = m.group(0) if m else ""
        matches = list(self._k("complete", word)) if word else []
        return {"status": "ok", "matches": matches, "cursor_start": cursor_pos - len(word),
                "cursor_end": cursor_pos, "metadata": {}}

    def do_inspect(self, code, cursor_pos, detail_level=0):
        cursor_pos = len(code) if cursor_pos is None else cursor_pos
        left = re.search(r"[\w.:]*$", code[:cursor_pos]).group(0)
        right = re.match(r"\w*", code[cursor_pos:]).group(0)
        name = (left + right).strip(".:")
        if not name:
            return {"status": "ok", "found": False, "data": {}, "metadata": {}}
        found, = self._k("documented", name)
        data = {"text/plain": self._k("help", name)[0]} if found else {}
        return {"status": "ok", "found": bool(found), "data": data, "metadata": {}}

    def do_is_complete(self, code):
        status, = self._k("is_complete", code)
        reply = {"status": status}
        if status == "incomplete":
            reply["indent"] = "  "
        return reply

    def interrupted(self):
        name = "[cell %d]" % self.execution_count
        return self._error("KeyboardInterrupt", "%s: interrupted (Ctrl-C)" % name)

    def do_shutdown(self, restart):
        self.folio.close()
        return {"status": "ok", "restart": restart}


def main(argv=None):
    opts = options(sys.argv[1:] if argv is None else argv)
    if opts.max_memory:
        try:
            parse_size(opts.max_memory)   # a bad size is an error now, not at the first cell
        except ValueError as e:
            sys.exit("folio kernel: %s" % e)
    try:
        kernel = FolioKernel(opts.connection_file, opts)
    except ProtocolError as e:
        sys.exit("folio kernel: %s" % e)
    kernel.serve()


if __name__ == "__main__":
    main()
