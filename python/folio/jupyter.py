"""The kernel side of the Jupyter messaging protocol (version 5.3), on pyzmq
and the standard library: what the folio kernel (folio/kernel.py) runs on.
No jupyter_client, ipykernel, IPython or tornado in the kernel's process,
which is why it starts in a fraction of the time (docs/jupyter.md).

Written from the protocol's documentation (jupyter_client's "Messaging in
Jupyter", and JEP 65 for the iopub welcome):

- the connection file gives the transport, the address, the five ports,
  the key and the signature scheme;
- five sockets: shell (ROUTER, served by the main thread), control
  (ROUTER, served by a thread of its own, so that shutdown and interrupt
  requests are answered while a cell runs), iopub (XPUB: a PUB socket that
  also hears subscriptions, each answered with an iopub_welcome; owned by
  a thread of its own, to which the others queue their messages), stdin
  (ROUTER, bound but not read: the kernel asks for no input) and the
  heartbeat (REP, echoed by a thread of its own);
- a message on the wire is the routing identities, b"<IDS|MSG>", the HMAC
  of the next four frames as hex, then the header, parent header, metadata
  and content as JSON, then any binary buffers. Incoming signatures are
  checked, and a signature seen before (a replayed message) is refused: a
  message that fails is dropped unanswered, and the kernel's log (its
  original stderr) says so;
- every request handled is wrapped in status busy and idle on iopub;
- the process's file descriptors 1 and 2 are pipes read by a thread and
  sent as stream messages, so that what C code writes (Lua's io.stdout, a
  solver's log, folio's progress lines) reaches the notebook, in order
  with what Python and Lua print (sys.stdout and sys.stderr write to the
  same descriptors);
- SIGINT (interrupt_mode "signal", or an interrupt_request turned into
  one) raises KeyboardInterrupt in the main thread while a cell runs (iopub
  messages are sent by their own thread, so none is cut in two); between
  cells it is ignored. The other threads block SIGINT;
- a shutdown request (on control or shell) is answered, interrupts a
  running cell, and ends serve(): the subclass's do_shutdown, the threads
  joined, the sockets closed, so the process exits with status 0. With
  JPY_PARENT_PID set (jupyter_client sets it), the kernel also ends when
  the process that started it is gone.

A kernel subclasses Kernel and gives do_execute, do_complete, do_inspect,
do_is_complete and do_shutdown (the names and results of the protocol's
replies), and serve() runs it until a shutdown request.
"""
import codecs
import collections
import datetime
import hashlib
import hmac
import json
import os
import select
import signal
import sys
import threading
import time
import traceback

import zmq

PROTOCOL_VERSION = "5.3"
DELIMITER = b"<IDS|MSG>"
_UTC = datetime.timezone.utc


class ProtocolError(Exception):
    """A connection file the kernel cannot use."""


def _now():
    return datetime.datetime.now(_UTC).isoformat()


def new_id():
    """A random (version 4) UUID as text, for message and session ids."""
    b = bytearray(os.urandom(16))
    b[6] = (b[6] & 0x0F) | 0x40
    b[8] = (b[8] & 0x3F) | 0x80
    h = b.hex()
    return "%s-%s-%s-%s-%s" % (h[:8], h[8:12], h[12:16], h[16:20], h[20:])


def _dumps(obj):
    # a lone surrogate (text that was not UTF-8) becomes U+FFFD's stand-in
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":")).encode("utf-8", "replace")


def read_connection_file(path):
    """The connection file as a dict, with its fields checked."""
    try:
        with open(path, encoding="utf-8") as f:
            info = json.load(f)
    except (OSError, ValueError) as e:
        raise ProtocolError("cannot read the connection file '%s': %s" % (path, e)) from None
    if not isinstance(info, dict):
        raise ProtocolError("the connection file '%s' is not a JSON object" % path)
    for k in ("shell_port", "iopub_port", "stdin_port", "control_port", "hb_port"):
        if not isinstance(info.get(k, 0), int):
            raise ProtocolError("the connection file '%s': %s is not a port number" % (path, k))
    info.setdefault("ip", "127.0.0.1")
    info.setdefault("transport", "tcp")
    info.setdefault("key", "")
    info.setdefault("signature_scheme", "hmac-sha256")
    if info["transport"] not in ("tcp", "ipc"):
        raise ProtocolError("the connection file '%s': unknown transport '%s'" % (path, info["transport"]))
    return info


class Signer:
    """HMAC signatures of messages with the connection file's key and
    scheme ("hmac-sha256"; any hash hashlib knows). An empty key means
    messages are not signed, as the protocol allows."""

    HISTORY = 1 << 16   # signatures remembered, to refuse a replayed message

    def __init__(self, key, scheme="hmac-sha256"):
        self.key = key.encode("utf-8") if isinstance(key, str) else bytes(key or b"")
        scheme = scheme or "hmac-sha256"
        if not scheme.startswith("hmac-"):
            raise ProtocolError("unsupported signature_scheme '%s' (expected hmac-HASH)" % scheme)
        self.digest = scheme[len("hmac-"):]
        try:
            hashlib.new(self.digest)
        except ValueError:
            raise ProtocolError("unsupported signature_scheme '%s' (no hash '%s')" % (scheme, self.digest)) from None
        self._seen = set()
        self._order = collections.deque()
        self._lock = threading.Lock()

    def sign(self, parts):
        if not self.key:
            return b""
        h = hmac.new(self.key, digestmod=self.digest)
        for p in parts:
            h.update(p)
        return h.hexdigest().encode("ascii")

    def refusal(self, signature, parts):
        """None when a message with this signature over these four frames
        may be read, else the reason it may not."""
        if not self.key:
            return None
        if not signature:
            return "no signature"
        if not hmac.compare_digest(bytes(signature), self.sign(parts)):
            return "bad signature"
        with self._lock:
            if signature in self._seen:
                return "a signature seen before (a replayed message)"
            self._seen.add(signature)
            self._order.append(signature)
            if len(self._order) > self.HISTORY:
                self._seen.discard(self._order.popleft())
        return None


class Wire:
    """The sockets of one kernel, and messages to and from them."""

    def __init__(self, info, log):
        self.info = info
        self.log = log
        self.signer = Signer(info["key"], info["signature_scheme"])
        self.session = new_id()
        self.username = os.environ.get("USER") or "folio"
        self.ctx = zmq.Context()
        self.ports_changed = False
        self.shell = self._bind(zmq.ROUTER, "shell_port")
        self.control = self._bind(zmq.ROUTER, "control_port")
        self.stdin = self._bind(zmq.ROUTER, "stdin_port")
        self.iopub = self._bind(zmq.XPUB, "iopub_port")
        self.hb = self._bind(zmq.REP, "hb_port")
        # iopub belongs to a thread of its own (a socket is not shared
        # between threads): the others queue their messages for it
        self._queue = collections.deque()
        self._queue_r, self._queue_w = os.pipe()
        os.set_blocking(self._queue_r, False)
        os.set_blocking(self._queue_w, False)
        self._iopub_thread = threading.Thread(target=self._iopub_loop, name="folio-kernel-iopub", daemon=True)
        self._iopub_thread.start()

    def _bind(self, kind, key):
        s = self.ctx.socket(kind)
        s.linger = 1000   # what is queued at the end still goes, for a second at most
        if kind == zmq.ROUTER:
            s.setsockopt(zmq.ROUTER_HANDOVER, 1)   # a client that reconnects keeps its identity
        if kind == zmq.XPUB:
            s.setsockopt(zmq.XPUB_VERBOSE, 1)      # every subscriber's subscription, to welcome each
        ip, port = self.info["ip"], self.info[key]
        if self.info["transport"] == "tcp":
            if port <= 0:
                self.info[key] = s.bind_to_random_port("tcp://%s" % ip)
                self.ports_changed = True
            else:
                s.bind("tcp://%s:%d" % (ip, port))
        else:
            if port <= 0:
                port = self.info[key] = 1 + max([0] + [self.info[k] for k in self.info if k.endswith("_port")])
                self.ports_changed = True
            s.bind("ipc://%s-%d" % (ip, port))
        return s

    # ---- messages ----------------------------------------------------------

    def message(self, msg_type, content, parent=None, metadata=None):
        return {
            "header": {"msg_id": new_id(), "msg_type": msg_type, "username": self.username,
                       "session": self.session, "date": _now(), "version": PROTOCOL_VERSION},
            "parent_header": (parent or {}).get("header", {}),
            "metadata": metadata or {},
            "content": content,
        }

    def frames(self, msg, idents):
        parts = [_dumps(msg["header"]), _dumps(msg["parent_header"]), _dumps(msg["metadata"]),
                 _dumps(msg["content"])]
        return list(idents) + [DELIMITER, self.signer.sign(parts)] + parts

    def reply(self, sock, msg_type, content, parent, metadata=None):
        """A reply to parent, to the client that sent it (its identities).
        Only the thread that owns sock calls this."""
        msg = self.message(msg_type, content, parent, metadata)
        sock.send_multipart(self.frames(msg, parent.get("idents", [])))
        return msg

    def publish(self, msg_type, content, parent=None, metadata=None):
        """A message on iopub, to every subscriber (from any thread; the
        messages of one thread go out in the order they are published)."""
        msg = self.message(msg_type, content, parent, metadata)
        self._queue.append(self._iopub_frames(msg))
        self._wake_iopub()
        return msg

    def _iopub_frames(self, msg):
        topic = ("kernel.%s.%s" % (self.session, msg["header"]["msg_type"])).encode("utf-8")
        return self.frames(msg, [topic])

    def _wake_iopub(self):
        try:
            os.write(self._queue_w, b"\0")
        except BlockingIOError:   # the pipe is full of wake-ups already
            pass

    def _iopub_loop(self):
        signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
        iopub = self.iopub
        poller = zmq.Poller()
        poller.register(iopub, zmq.POLLIN)
        poller.register(self._queue_r, zmq.POLLIN)
        while True:
            events = dict(poller.poll())
            if self._queue_r in events:
                try:
                    os.read(self._queue_r, 1 << 16)
                except BlockingIOError:
                    pass
            while self._queue:
                frames = self._queue.popleft()
                if frames is None:   # close(): everything before it is sent
                    iopub.close()
                    return
                iopub.send_multipart(frames)
            if iopub in events:
                self._welcome()

    def _welcome(self):
        """Answers the subscriptions that reached iopub (XPUB) with an
        iopub_welcome (JEP 65): a client that waits for a message on iopub
        before it sends requests knows it is subscribed."""
        while True:
            try:
                frame = self.iopub.recv(zmq.NOBLOCK)
            except zmq.Again:
                return
            if frame[:1] == b"\x01":
                msg = self.message("iopub_welcome", {"subscription": frame[1:].decode("utf-8", "replace")})
                self.iopub.send_multipart(self._iopub_frames(msg))

    def recv(self, sock, channel):
        """The next message on sock as a dict (idents, header, parent_header,
        metadata, content, buffers), or None for one that is dropped."""
        frames = sock.recv_multipart()
        try:
            i = frames.index(DELIMITER)
        except ValueError:
            self.log("dropped a message on %s: no %s delimiter" % (channel, DELIMITER.decode()))
            return None
        if len(frames) < i + 6:
            self.log("dropped a message on %s: %d frames after the delimiter, not 5 or more" %
                     (channel, len(frames) - i - 1))
            return None
        signature, parts = frames[i + 1], frames[i + 2:i + 6]
        why = self.signer.refusal(signature, parts)
        if why is not None:
            self.log("dropped a message on %s: %s" % (channel, why))
            return None
        try:
            header, parent, metadata, content = [json.loads(p) for p in parts]
        except ValueError as e:
            self.log("dropped a message on %s: not JSON (%s)" % (channel, e))
            return None
        if not isinstance(header, dict) or not isinstance(header.get("msg_type"), str) or \
                not isinstance(content, dict):
            self.log("dropped a message on %s: no msg_type in its header, or its content not an object" % channel)
            return None
        return {"idents": frames[:i], "header": header,
                "parent_header": parent if isinstance(parent, dict) else {},
                "metadata": metadata if isinstance(metadata, dict) else {},
                "content": content, "buffers": frames[i + 6:]}

    def close(self):
        """After the other threads have closed their sockets: iopub sends
        what is queued, and the context ends."""
        self._queue.append(None)
        self._wake_iopub()
        self._iopub_thread.join(5)
        self.shell.close()
        self.stdin.close()
        self.ctx.term()
        os.close(self._queue_r)
        os.close(self._queue_w)


class _FdText:
    """sys.stdout or sys.stderr: text written straight to file descriptor
    1 or 2 (no buffer of its own), so that it keeps its order with what C
    code writes there."""

    encoding = "utf-8"
    errors = "replace"
    closed = False

    def __init__(self, fd, name):
        self._fd = fd
        self.name = name

    def write(self, s):
        view = memoryview(str(s).encode("utf-8", "replace"))
        while view:
            view = view[os.write(self._fd, view):]
        return len(s)

    def writelines(self, lines):
        for s in lines:
            self.write(s)

    def flush(self):
        pass

    def fileno(self):
        return self._fd

    def isatty(self):
        return False

    def writable(self):
        return True

    def readable(self):
        return False


class Capture:
    """File descriptors 1 and 2 as pipes, read by a thread into stream
    messages (a message at most every FLUSH_AFTER seconds a stream, so
    that a loop of prints is not a message a line), and flushed whole
    before any other output of a cell and before its reply."""

    FLUSH_AFTER = 0.05
    LIMIT = 1 << 16   # characters kept before they are sent anyway

    def __init__(self, wire, wake_fd, stopping):
        self.wire = wire
        self.wake_fd = wake_fd
        self.stopping = stopping
        self.lock = threading.Lock()
        self.parent = None
        self.silent = False
        self.names = {}
        self.decoders = {}
        self.pending = {"stdout": [], "stderr": []}
        self.size = 0
        self.due = None
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except Exception:
                pass
        for fd, name in ((1, "stdout"), (2, "stderr")):
            r, w = os.pipe()
            os.dup2(w, fd)
            os.close(w)
            os.set_blocking(r, False)
            self.names[r] = name
            self.decoders[r] = codecs.getincrementaldecoder("utf-8")("replace")
        sys.stdout = _FdText(1, "<stdout>")
        sys.stderr = _FdText(2, "<stderr>")
        self.thread = threading.Thread(target=self._run, name="folio-kernel-output", daemon=True)
        self.thread.start()

    def set_parent(self, parent, silent):
        with self.lock:
            self._send()   # what came before goes with the request it came in
            self.parent, self.silent = parent, silent

    def _read(self, r):
        while True:
            try:
                data = os.read(r, 1 << 16)
            except BlockingIOError:
                return
            except InterruptedError:
                continue
            if not data:
                return
            text = self.decoders[r].decode(data)
            if text:
                if self.due is None:
                    self.due = time.monotonic() + self.FLUSH_AFTER
                self.pending[self.names[r]].append(text)
                self.size += len(text)

    def _send(self):
        self.due, self.size = None, 0
        for name in ("stdout", "stderr"):
            text = "".join(self.pending[name])
            self.pending[name] = []
            if text and not self.silent and self.parent is not None:
                self.wire.publish("stream", {"name": name, "text": text}, self.parent)

    def flush(self):
        """Everything written to 1 and 2 so far, sent now."""
        with self.lock:
            for r in self.names:
                self._read(r)
            self._send()

    def _run(self):
        signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
        fds = list(self.names) + [self.wake_fd]
        while not self.stopping.is_set():
            timeout = None if self.due is None else max(0.0, self.due - time.monotonic())
            ready, _, _ = select.select(fds, [], [], timeout)
            with self.lock:
                for r in ready:
                    if r in self.names:
                        self._read(r)
                if self.due is not None and (time.monotonic() >= self.due or self.size >= self.LIMIT):
                    self._send()


class Kernel:
    """A kernel on the Jupyter protocol; subclasses give the do_* methods."""

    implementation = "kernel"
    implementation_version = "0"
    language_info = {}
    banner = ""
    help_links = []

    def __init__(self, connection_file, log=None):
        # the kernel's own log: its stderr as it started (the notebook
        # server's log), kept before stderr becomes a pipe to the notebook
        self._log_fd = os.dup(2)
        self.log = log or self._log
        info = read_connection_file(connection_file)
        self.main_thread = threading.get_ident()
        self.wire = Wire(info, self.log)
        if self.wire.ports_changed:   # ports chosen here: written back, as the file's readers expect
            with open(connection_file, "w", encoding="utf-8") as f:
                json.dump(info, f, indent=1)
        self.execution_count = 0
        self.parent = None
        self._executing = False
        self._restart = False
        self.stopping = threading.Event()
        self._served = threading.Event()   # serve() has left its loop
        self._wake_r, self._wake_w = os.pipe()
        signal.signal(signal.SIGINT, self._on_sigint)
        self.capture = Capture(self.wire, self._wake_r, self.stopping)
        self._ppid = os.getppid() if os.environ.get("JPY_PARENT_PID") else None
        self._threads = [threading.Thread(target=self._heartbeat, name="folio-kernel-heartbeat", daemon=True),
                         threading.Thread(target=self._control_loop, name="folio-kernel-control", daemon=True)]
        for t in self._threads:
            t.start()

    def _log(self, text):
        try:
            os.write(self._log_fd, ("[folio kernel] %s\n" % text).encode("utf-8", "replace"))
        except OSError:
            pass

    # ---- interrupts --------------------------------------------------------

    def _on_sigint(self, signum, frame):
        # Python's handler (the extension puts folio's own in place while
        # Lua runs): a KeyboardInterrupt in the main thread while a cell
        # runs; between cells there is nothing to stop. Messages on iopub
        # are sent by their own thread, so no message is cut in two.
        if self._executing:
            raise KeyboardInterrupt

    def interrupt(self):
        """What SIGINT does, from any thread (an interrupt_request)."""
        signal.pthread_kill(self.main_thread, signal.SIGINT)

    # ---- output of the running request ---------------------------------------

    def flush_output(self):
        self.capture.flush()

    def send_output(self, msg_type, content):
        """An output of the request being served (display_data,
        execute_result, error, stream), after the text written before it."""
        self.capture.flush()
        if not self.capture.silent:
            self.wire.publish(msg_type, content, self.parent)

    # ---- the loops -----------------------------------------------------------

    def serve(self):
        """Serves shell requests until a shutdown request, then ends the
        kernel: the subclass's do_shutdown, the threads, the sockets."""
        poller = zmq.Poller()
        poller.register(self.wire.shell, zmq.POLLIN)
        poller.register(self._wake_r, zmq.POLLIN)
        while not self.stopping.is_set():
            events = dict(poller.poll())
            if self.wire.shell in events and not self.stopping.is_set():
                msg = self.wire.recv(self.wire.shell, "shell")
                if msg is not None:
                    try:
                        self._dispatch(msg, self.wire.shell, "shell")
                    except KeyboardInterrupt:   # a second one, at the end of a cell
                        self.log("an interrupt at the end of a request was ignored")
        self._end()

    def _end(self):
        self._served.set()
        try:
            self.do_shutdown(self._restart)
        except Exception:
            self.log("shutdown: %s" % traceback.format_exc().rstrip())
        for t in self._threads:
            t.join(5)
        self.capture.thread.join(5)
        self.capture.flush()
        # what is written after this (C's buffers at exit) goes to the log,
        # not to a pipe no one reads any more
        os.dup2(self._log_fd, 1)
        os.dup2(self._log_fd, 2)
        self.wire.close()

    def stop(self, restart=False):
        """Ends serve() (from any thread): a running cell is interrupted."""
        self._restart = restart
        self.stopping.set()
        os.write(self._wake_w, b"x")   # never read: every loop polling it wakes
        if self._executing:
            self.interrupt()

    def _thread_poller(self, sock):
        """For a helper thread: SIGINT is the main thread's alone, and the
        thread polls its socket and the wake-up pipe."""
        signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
        poller = zmq.Poller()
        poller.register(sock, zmq.POLLIN)
        poller.register(self._wake_r, zmq.POLLIN)
        return poller

    def _heartbeat(self):
        hb = self.wire.hb
        poller = self._thread_poller(hb)
        while not self.stopping.is_set():
            events = dict(poller.poll(1000))
            if hb in events:
                hb.send_multipart(hb.recv_multipart())
            if self._ppid is not None and os.getppid() != self._ppid:
                self.log("the process that started the kernel is gone: shutting down")
                self.stop()
                if not self._served.wait(10):   # a cell that does not stop
                    self.log("the running cell did not stop within 10 s of the interrupt: exiting")
                    os._exit(1)
        hb.close()

    def _control_loop(self):
        control = self.wire.control
        poller = self._thread_poller(control)
        while not self.stopping.is_set():
            events = dict(poller.poll())
            if control in events:
                msg = self.wire.recv(control, "control")
                if msg is not None:
                    self._dispatch(msg, control, "control")
        control.close()

    # ---- requests ------------------------------------------------------------

    _SHELL = {
        "execute_request": "_execute",
        "kernel_info_request": "_kernel_info",
        "complete_request": "_complete",
        "inspect_request": "_inspect",
        "is_complete_request": "_is_complete",
        "shutdown_request": "_shutdown",
        "interrupt_request": "_interrupt",
        "comm_info_request": "_comm_info",
        "history_request": "_history",
        "comm_open": "_comm_open",
    }
    _CONTROL = ("kernel_info_request", "shutdown_request", "interrupt_request")
    _IGNORED = ("comm_msg", "comm_close", "input_reply")

    def _dispatch(self, msg, sock, channel):
        msg_type = msg["header"]["msg_type"]
        name = self._SHELL.get(msg_type)
        if name is None or (channel == "control" and msg_type not in self._CONTROL):
            if msg_type not in self._IGNORED:
                self.log("ignored a %s on %s (not served there)" % (msg_type, channel))
            return
        self.wire.publish("status", {"execution_state": "busy"}, msg)
        try:
            getattr(self, name)(msg, sock)
        except Exception as e:
            # a fault of the kernel's: logged, and answered as an error
            # rather than left without a reply
            self.log("%s failed: %s" % (msg_type, traceback.format_exc().rstrip()))
            if msg_type.endswith("_request"):
                evalue = "folio kernel: %s failed: %s: %s" % (msg_type, type(e).__name__, e)
                self.wire.reply(sock, msg_type[:-len("_request")] + "_reply",
                                {"status": "error", "ename": type(e).__name__, "evalue": evalue,
                                 "traceback": [evalue]}, msg)
        finally:
            self.wire.publish("status", {"execution_state": "idle"}, msg)

    def _execute(self, msg, sock):
        c = msg["content"]
        code = c.get("code", "")
        silent = bool(c.get("silent", False))
        store_history = bool(c.get("store_history", not silent)) and not silent
        if not silent:
            self.execution_count += 1
            self.wire.publish("execute_input", {"code": code, "execution_count": self.execution_count}, msg)
        self.parent = msg
        self.capture.set_parent(msg, silent)
        started = _now()
        self._executing = True
        try:
            try:
                reply = self.do_execute(code, silent, store_history, c.get("user_expressions") or {},
                                        bool(c.get("allow_stdin", False)))
            finally:
                self._executing = False
        except KeyboardInterrupt:   # one that came between the cell's own handlers
            self._executing = False
            reply = self.interrupted()
        self.flush_output()
        self.wire.reply(sock, "execute_reply", reply, msg,
                        {"started": started, "status": reply.get("status"), "dependencies_met": True})
        if reply.get("status") == "error" and c.get("stop_on_error", True):
            self._abort_queued(sock)

    def interrupted(self):
        """The reply of a cell stopped by an interrupt outside do_execute's
        own handling (subclasses say it their way)."""
        return {"status": "error", "execution_count": self.execution_count, "ename": "KeyboardInterrupt",
                "evalue": "interrupted", "traceback": ["interrupted"]}

    def _abort_queued(self, sock):
        """After an error (stop_on_error): the execute requests already
        queued are answered "aborted", not run (as "Run All" expects)."""
        while not self.stopping.is_set() and sock.poll(0):
            msg = self.wire.recv(sock, "shell")
            if msg is None:
                continue
            if msg["header"]["msg_type"] != "execute_request":
                self._dispatch(msg, sock, "shell")
                continue
            self.wire.publish("status", {"execution_state": "busy"}, msg)
            self.wire.reply(sock, "execute_reply", {"status": "aborted", "execution_count": self.execution_count},
                            msg, {"status": "aborted"})
            self.wire.publish("status", {"execution_state": "idle"}, msg)

    def kernel_info(self):
        return {"status": "ok", "protocol_version": PROTOCOL_VERSION, "implementation": self.implementation,
                "implementation_version": self.implementation_version, "language_info": self.language_info,
                "banner": self.banner, "help_links": self.help_links, "debugger": False}

    def _kernel_info(self, msg, sock):
        self.wire.reply(sock, "kernel_info_reply", self.kernel_info(), msg)

    def _complete(self, msg, sock):
        c = msg["content"]
        self.wire.reply(sock, "complete_reply", self.do_complete(c.get("code", ""), c.get("cursor_pos")), msg)

    def _inspect(self, msg, sock):
        c = msg["content"]
        self.wire.reply(sock, "inspect_reply", self.do_inspect(c.get("code", ""), c.get("cursor_pos"),
                                                               c.get("detail_level", 0)), msg)

    def _is_complete(self, msg, sock):
        self.wire.reply(sock, "is_complete_reply", self.do_is_complete(msg["content"].get("code", "")), msg)

    def _shutdown(self, msg, sock):
        content = {"status": "ok", "restart": bool(msg["content"].get("restart", False))}
        self.wire.reply(sock, "shutdown_reply", content, msg)
        self.wire.publish("shutdown_reply", content, msg)   # for the other clients
        self.stop(content["restart"])

    def _interrupt(self, msg, sock):
        self.interrupt()
        self.wire.reply(sock, "interrupt_reply", {"status": "ok"}, msg)

    def _comm_info(self, msg, sock):
        self.wire.reply(sock, "comm_info_reply", {"status": "ok", "comms": {}}, msg)

    def _history(self, msg, sock):
        self.wire.reply(sock, "history_reply", {"status": "ok", "history": []}, msg)

    def _comm_open(self, msg, sock):
        # no comm targets (widgets are not supported): closed at once
        self.wire.publish("comm_close", {"comm_id": msg["content"].get("comm_id", ""), "data": {}}, msg)

    # ---- what a kernel gives ------------------------------------------------------

    def do_execute(self, code, silent, store_history, user_expressions, allow_stdin):
        raise NotImplementedError

    def do_complete(self, code, cursor_pos):
        return {"status": "ok", "matches": [], "cursor_start": cursor_pos or 0, "cursor_end": cursor_pos or 0,
                "metadata": {}}

    def do_inspect(self, code, cursor_pos, detail_level=0):
        return {"status": "ok", "found": False, "data": {}, "metadata": {}}

    def do_is_complete(self, code):
        return {"status": "unknown"}

    def do_shutdown(self, restart):
        return {"status": "ok", "restart": restart}
