/* folio._folio: the CPython extension behind the folio Python package
 * (python/folio/__init__.py, docs/python.md).
 *
 * A State is one Lua state with folio installed, set up as the CLI sets
 * up its own (host_setup_state in src/cli/host.c). Everything that runs
 * Lua runs inside one lua_pcall of a C function (op_entry), as the host's
 * host_protected does, and the user's code under host_docall (the host's
 * pcall wrapper with its traceback of script frames). Values cross as:
 *
 *   Python -> Lua  None, bool, int, float, str, bytes, dict, list, tuple
 *                  and Ref (a Lua value held by this state); the package
 *                  turns pandas and numpy objects into these first.
 *   Lua -> Python  nil, booleans, numbers and strings as themselves;
 *                  anything else as a Ref (a registry reference), which
 *                  the package turns into a Result, a DataFrame, a dict
 *                  or a LuaObject through its Lua bridge.
 *
 * A Lua error is folio.Error with the message's first line (folio's one
 * line, with the script's file:line) and the script frames of the
 * traceback in .traceback. Ctrl-C while Lua runs (in the main thread)
 * stops it as in `folio run` (host_arm_interrupt: a hook, and
 * folio_interrupt() for the solvers) and raises KeyboardInterrupt; the
 * interpreter's own SIGINT handler is put back afterwards.
 *
 * While the user's Lua code runs the GIL is released (other Python
 * threads go on; nothing in Lua calls back into Python), and one process-
 * wide lock lets one State run at a time: the host's interrupt and
 * coroutine tracking and the solvers' interrupt flag are per process. A
 * State that is running refuses a second call (from another thread). */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include <lauxlib.h>
#include <lua.h>
#include <lualib.h>

#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "folio/folio.h"
#include "host.h"
#include "run.h"
#include "lalloc.h"
#include "lfolio.h"
#include "lsandbox.h"

PyMODINIT_FUNC PyInit__folio(void);

static PyObject *FolioError;         /* folio.Error */
static PyThread_type_lock run_lock;  /* one State runs Lua at a time */
static unsigned long main_thread;    /* the interpreter's main thread: only it gets signals */

typedef struct {
    PyObject_HEAD
    lua_State *L;
    folio_alloc *alloc;
    int busy;   /* a call is running (a finalizer of a Ref may not touch the state meanwhile) */
    PyObject *emit;   /* set_emit's callable, or NULL */
    int sandboxed;    /* sandbox() was applied: the budgets' policy exists */
} StateObject;

typedef struct {
    PyObject_HEAD
    StateObject *state;
    int ref;
} RefObject;

/* Column(array): a 1-D numeric column of a DataFrame, read through the
 * buffer protocol: float64 (NaN is a hole, as an empty CSV cell) or int64.
 * The package passes a DataFrame's numeric columns this way; its values
 * reach Lua as a list, as the same column passed as a Python list would
 * (with NaN as None), without a Python object a cell. */
typedef struct {
    PyObject_HEAD
    Py_buffer view;
    int is_float;
} ColumnObject;

static PyTypeObject StateType;
static PyTypeObject RefType;
static PyTypeObject ColumnType;

/* ---- Python -> Lua --------------------------------------------------------- */

#define PY_ERROR_MARK "folio.python: a Python error"
#define MAX_DEPTH 64

/* A Python error is pending: unwinds Lua; the caller re-raises it. */
static int py_fail(lua_State *L)
{
    lua_pushliteral(L, PY_ERROR_MARK);
    return lua_error(L);
}

static int type_fail(lua_State *L, PyObject *o, const char *where)
{
    PyErr_Format(PyExc_TypeError, "folio: cannot pass a %.200s to Lua%s%s (pass a number, string, "
                 "bool, None, dict, list, tuple, numpy array, pandas Series or DataFrame)",
                 Py_TYPE(o)->tp_name, where ? " as " : "", where ? where : "");
    return py_fail(L);
}

static void push_py(lua_State *L, StateObject *st, PyObject *o, int depth);

static void push_key(lua_State *L, StateObject *st, PyObject *k)
{
    if (k == Py_None || PyBool_Check(k) || !(PyUnicode_Check(k) || PyLong_Check(k) || PyFloat_Check(k)
                                              || PyBytes_Check(k))) {
        type_fail(L, k, "a table key");
        return;
    }
    push_py(L, st, k, 0);
}

static void push_py(lua_State *L, StateObject *st, PyObject *o, int depth)
{
    if (depth > MAX_DEPTH) {
        PyErr_SetString(PyExc_ValueError, "folio: data nested more than 64 levels deep (a cycle?)");
        py_fail(L);
    }
    luaL_checkstack(L, 4, "folio: data nested too deeply");
    if (o == Py_None) {
        lua_pushnil(L);
    } else if (PyBool_Check(o)) {
        lua_pushboolean(L, o == Py_True);
    } else if (PyLong_Check(o)) {
        int overflow = 0;
        long long v = PyLong_AsLongLongAndOverflow(o, &overflow);
        if (v == -1 && PyErr_Occurred()) py_fail(L);
        if (overflow) {
            double d = PyLong_AsDouble(o);
            if (d == -1.0 && PyErr_Occurred()) py_fail(L);
            lua_pushnumber(L, d);
        } else {
            lua_pushinteger(L, (lua_Integer)v);
        }
    } else if (PyFloat_Check(o)) {
        lua_pushnumber(L, PyFloat_AS_DOUBLE(o));
    } else if (PyUnicode_Check(o)) {
        Py_ssize_t n;
        const char *s = PyUnicode_AsUTF8AndSize(o, &n);
        if (!s) py_fail(L);
        lua_pushlstring(L, s, (size_t)n);
    } else if (PyBytes_Check(o)) {
        lua_pushlstring(L, PyBytes_AS_STRING(o), (size_t)PyBytes_GET_SIZE(o));
    } else if (PyObject_TypeCheck(o, &ColumnType)) {
        ColumnObject *c = (ColumnObject *)o;
        Py_ssize_t n = c->view.shape[0];
        lua_createtable(L, (int)(n < 1 << 24 ? n : 0), 0);
        const char *p = c->view.buf;   /* read by memcpy: an exporter need not align its buffer */
        for (Py_ssize_t i = 0; i < n; i++, p += 8) {
            if (c->is_float) {
                double x;
                memcpy(&x, p, sizeof x);
                if (x != x) continue;   /* NaN: a hole */
                lua_pushnumber(L, x);
            } else {
                long long x;
                memcpy(&x, p, sizeof x);
                lua_pushinteger(L, (lua_Integer)x);
            }
            lua_rawseti(L, -2, (lua_Integer)i + 1);
        }
    } else if (PyObject_TypeCheck(o, &RefType)) {
        RefObject *r = (RefObject *)o;
        if (r->state != st) {
            PyErr_SetString(PyExc_ValueError, "folio: a value of another session cannot be passed to this one");
            py_fail(L);
        }
        lua_rawgeti(L, LUA_REGISTRYINDEX, r->ref);
    } else if (PyDict_Check(o)) {
        lua_createtable(L, 0, (int)(PyDict_GET_SIZE(o) < 1 << 20 ? PyDict_GET_SIZE(o) : 0));
        PyObject *k, *v;
        Py_ssize_t pos = 0;
        while (PyDict_Next(o, &pos, &k, &v)) {   /* borrowed references */
            push_key(L, st, k);
            if (lua_isnil(L, -1)) {
                lua_pop(L, 1);
                continue;
            }
            push_py(L, st, v, depth + 1);
            lua_rawset(L, -3);
        }
    } else if (PyList_Check(o) || PyTuple_Check(o)) {
        int list = PyList_Check(o);
        Py_ssize_t n = list ? PyList_GET_SIZE(o) : PyTuple_GET_SIZE(o);
        lua_createtable(L, (int)(n < 1 << 24 ? n : 0), 0);
        for (Py_ssize_t i = 0; i < n; i++) {
            /* a list may change size in a __float__ of its items: re-read */
            n = list ? PyList_GET_SIZE(o) : n;
            if (i >= n) break;
            PyObject *item = list ? PyList_GET_ITEM(o, i) : PyTuple_GET_ITEM(o, i);
            if (item == Py_None) continue;   /* a hole, as an empty CSV cell */
            push_py(L, st, item, depth + 1);
            lua_rawseti(L, -2, (lua_Integer)i + 1);
        }
    } else if (PyIndex_Check(o)) {   /* numpy integers */
        PyObject *i = PyNumber_Index(o);
        if (!i) py_fail(L);
        int overflow = 0;
        long long v = PyLong_AsLongLongAndOverflow(i, &overflow);
        Py_DECREF(i);
        if (overflow || (v == -1 && PyErr_Occurred())) {
            PyErr_Clear();
            PyErr_SetString(PyExc_OverflowError, "folio: integer does not fit in 64 bits");
            py_fail(L);
        }
        lua_pushinteger(L, (lua_Integer)v);
    } else {
        type_fail(L, o, NULL);
    }
}

/* ---- folio's modules, compiled once per process -------------------------- *
 *
 * A fresh state (folio.run) requires folio's embedded Lua modules again;
 * compiling their source is most of a fresh state's cost. The embedded
 * searcher (lfolio.c) is wrapped: the first load of a module dumps its
 * compiled chunk (with its debug information, so messages and the host's
 * user-frame test see the same "@lua/folio/..." source), and later states
 * load that. Only what folio's own searcher returned is cached, and the
 * cache is read and written under run_lock. */

/* A chunk by key: a module's name, or (State.eval of the package's own
 * chunks, below) the chunk name, a NUL and the source text. */
typedef struct { char *key; size_t keylen; char *path; char *code; size_t len; } cached_chunk;
static cached_chunk *chunks;
static size_t nchunks, chunks_cap;

typedef struct { char *buf; size_t len, cap; int failed; } dump_buf;

static int dump_writer(lua_State *L, const void *p, size_t sz, void *ud)
{
    (void)L;
    dump_buf *b = ud;
    if (b->failed) return 1;
    if (b->len + sz > b->cap) {
        size_t cap = b->cap ? b->cap : 4096;
        while (cap < b->len + sz) cap *= 2;
        char *nb = realloc(b->buf, cap);
        if (!nb) return b->failed = 1;
        b->buf = nb;
        b->cap = cap;
    }
    memcpy(b->buf + b->len, p, sz);
    b->len += sz;
    return 0;
}

static const cached_chunk *find_chunk(const char *key, size_t keylen)
{
    for (size_t i = 0; i < nchunks; i++)
        if (chunks[i].keylen == keylen && memcmp(chunks[i].key, key, keylen) == 0) return &chunks[i];
    return NULL;
}

/* Keeps the compiled function at fn under key (path: what the searcher
 * returns with it, or NULL). Out of memory, nothing is kept. */
static void cache_chunk(lua_State *L, int fn, const char *key, size_t keylen, const char *path)
{
    if (nchunks == chunks_cap) {
        size_t cap = chunks_cap ? 2 * chunks_cap : 32;
        cached_chunk *nc = realloc(chunks, cap * sizeof *nc);
        if (!nc) return;
        chunks = nc;
        chunks_cap = cap;
    }
    dump_buf b = { NULL, 0, 0, 0 };
    lua_pushvalue(L, fn);
    int st = lua_dump(L, dump_writer, &b, 0);
    lua_pop(L, 1);
    char *k = malloc(keylen ? keylen : 1), *pa = path ? strdup(path) : NULL;
    if (st != 0 || b.failed || !k || (path && !pa)) {
        free(b.buf);
        free(k);
        free(pa);
        return;
    }
    memcpy(k, key, keylen);
    chunks[nchunks++] = (cached_chunk){ k, keylen, pa, b.buf, b.len };
}

static int cached_searcher(lua_State *L)
{
    size_t len;
    const char *name = luaL_checklstring(L, 1, &len);
    const cached_chunk *c = find_chunk(name, len);
    if (c && luaL_loadbufferx(L, c->code, c->len, name, "b") == LUA_OK) {
        lua_pushstring(L, c->path);
        return 2;
    }
    lua_settop(L, 1);   /* not cached (or it did not load): compiled again */
    lua_pushvalue(L, lua_upvalueindex(1));   /* folio's embedded searcher */
    lua_pushvalue(L, 1);
    lua_call(L, 1, 2);
    if (!c && lua_type(L, -2) == LUA_TFUNCTION && !lua_iscfunction(L, -2) && lua_type(L, -1) == LUA_TSTRING)
        cache_chunk(L, lua_gettop(L) - 1, name, len, lua_tostring(L, -1));
    return 2;
}

/* The package's own Lua chunks (bridge.lua in every folio.run state, the
 * kernel's): State.eval with a chunk name starting "=folio/" keeps the
 * compiled function under the chunk name and source text, and loads that
 * next time. The key is made in a Lua buffer (no allocation to undo). */
#define INTERNAL_CHUNK "=folio/"

static void push_eval_key(lua_State *L, const char *chunkname, const char *src, size_t srclen)
{
    luaL_Buffer b;
    luaL_buffinit(L, &b);
    luaL_addlstring(&b, chunkname, strlen(chunkname) + 1);
    luaL_addlstring(&b, src, srclen);
    luaL_pushresult(&b);
}

/* print, as Lua's, writing to Python's sys.stdout: a notebook shows what
 * a script prints. The line is made in Lua first (tostring may raise);
 * the GIL, released while Lua runs, is taken for the write only. */
static int py_print(lua_State *L)
{
    int n = lua_gettop(L);
    luaL_Buffer b;
    luaL_buffinit(L, &b);
    for (int i = 1; i <= n; i++) {
        if (i > 1) luaL_addchar(&b, '\t');
        luaL_tolstring(L, i, NULL);
        luaL_addvalue(&b);
    }
    luaL_addchar(&b, '\n');
    luaL_pushresult(&b);
    size_t len;
    const char *line = lua_tolstring(L, -1, &len);
    PyGILState_STATE g = PyGILState_Ensure();
    PyObject *out = PySys_GetObject("stdout");   /* borrowed */
    PyObject *text = out && out != Py_None ? PyUnicode_DecodeUTF8(line, (Py_ssize_t)len, "replace") : NULL;
    PyObject *r = text ? PyObject_CallMethod(out, "write", "O", text) : NULL;
    if (!r) {   /* no usable sys.stdout: the process's */
        PyErr_Clear();
        fwrite(line, 1, len, stdout);
        fflush(stdout);
    }
    Py_XDECREF(r);
    Py_XDECREF(text);
    PyGILState_Release(g);
    return 0;
}

/* package.loaded["folio.python"].emit(...): calls the State's emit
 * callable (set_emit) with the arguments as str, while Lua runs: the
 * Jupyter kernel sends a display this way at the moment folio.display is
 * called, between the cell's prints. Arguments are converted in Lua first;
 * an exception in the callable is reported as unraisable, not into Lua. */
static int py_emit(lua_State *L)
{
    StateObject *st = lua_touserdata(L, lua_upvalueindex(1));
    int n = lua_gettop(L);
    for (int i = 1; i <= n; i++) luaL_checkstring(L, i);
    PyGILState_STATE g = PyGILState_Ensure();
    if (st->emit) {
        PyObject *args = PyTuple_New(n);
        for (int i = 1; args && i <= n; i++) {
            size_t len;
            const char *s = lua_tolstring(L, i, &len);
            PyObject *v = PyUnicode_DecodeUTF8(s, (Py_ssize_t)len, "replace");
            if (!v) {
                Py_CLEAR(args);
                break;
            }
            PyTuple_SET_ITEM(args, i - 1, v);
        }
        PyObject *r = args ? PyObject_CallObject(st->emit, args) : NULL;
        if (!r) PyErr_WriteUnraisable(st->emit);
        Py_XDECREF(r);
        Py_XDECREF(args);
    }
    PyGILState_Release(g);
    return 0;
}

/* package.searchers[2] (folio_lua_install puts the embedded searcher
 * there) wrapped by cached_searcher */
static void wrap_searcher(lua_State *L)
{
    if (lua_getglobal(L, "package") == LUA_TTABLE && lua_getfield(L, -1, "searchers") == LUA_TTABLE &&
        lua_rawgeti(L, -1, 2) == LUA_TFUNCTION) {
        lua_pushcclosure(L, cached_searcher, 1);
        lua_rawseti(L, -2, 2);
    }
    lua_settop(L, 0);
}

/* ---- the operations, run under one lua_pcall ------------------------------ */

enum { OP_SETUP, OP_RUN_FILE, OP_EVAL, OP_CALL, OP_SANDBOX };

typedef struct {
    StateObject *st;
    int op;
    const char *path;        /* OP_RUN_FILE: the script; OP_EVAL: the code */
    const char *chunkname;   /* OP_EVAL */
    Py_ssize_t codelen;
    PyObject *params, *data; /* OP_RUN_FILE (or NULL) */
    PyObject *fn;            /* OP_CALL: a Ref, or a str naming a global (dotted: "folio.MinVolatility") */
    const char *method;      /* OP_CALL: call fn[method](fn, ...) */
    PyObject *args;          /* OP_CALL: a tuple */
    PyObject *kwargs;        /* OP_CALL: a dict passed as one more (table) argument, or NULL */
    int user_error;          /* the error came from the user's code (host_docall), not the host's steps */
    PyObject *reads, *writes; /* OP_SANDBOX: lists of folders (str) */
} op_t;

/* Pushes the value a dotted name names: "x" is the global x, or folio's
 * module when no global is called "folio"; "a.b.c" walks fields. */
static void push_dotted(lua_State *L, const char *name)
{
    const char *dot = strchr(name, '.');
    size_t n = dot ? (size_t)(dot - name) : strlen(name);
    lua_pushglobaltable(L);
    lua_pushlstring(L, name, n);
    lua_gettable(L, -2);
    lua_remove(L, -2);
    if (lua_isnil(L, -1) && n == 5 && memcmp(name, "folio", 5) == 0) {
        lua_pop(L, 1);
        lua_getglobal(L, "require");
        lua_pushliteral(L, "folio");
        lua_call(L, 1, 1);
    }
    while (dot) {
        const char *next = strchr(dot + 1, '.');
        size_t m = next ? (size_t)(next - dot - 1) : strlen(dot + 1);
        if (!lua_istable(L, -1) && !lua_isuserdata(L, -1))
            luaL_error(L, "call: '%s' is not a table (at '%s')", name, dot + 1);
        lua_pushlstring(L, dot + 1, m);
        lua_gettable(L, -2);
        lua_remove(L, -2);
        dot = next;
    }
    if (lua_isnil(L, -1)) luaL_error(L, "call: no value called '%s'", name);
}

/* Moves the values above base into registry references (non-scalars) and
 * leaves one table {n =, [i] = scalar or ref, refs = {[i] = true}}. */
static void collect(lua_State *L, int base)
{
    int n = lua_gettop(L) - base;
    lua_createtable(L, n, 2);
    lua_createtable(L, 0, 0);
    int out = lua_gettop(L) - 1, refs = out + 1;
    for (int i = 1; i <= n; i++) {
        int t = lua_type(L, base + i);
        lua_pushvalue(L, base + i);
        if (t == LUA_TNIL || t == LUA_TBOOLEAN || t == LUA_TNUMBER || t == LUA_TSTRING) {
            lua_rawseti(L, out, i);
        } else {
            lua_pushinteger(L, luaL_ref(L, LUA_REGISTRYINDEX));
            lua_rawseti(L, out, i);
            lua_pushboolean(L, 1);
            lua_rawseti(L, refs, i);
        }
    }
    lua_setfield(L, out, "refs");
    lua_pushinteger(L, n);
    lua_setfield(L, out, "n");
    lua_insert(L, base + 1);
    lua_settop(L, base + 1);
}

/* The user's code at the top of the stack (with nargs arguments above it),
 * under the host's pcall wrapper and, in the main thread, its Ctrl-C
 * handling. Raises the (traced) error on failure. */
static void run_user(lua_State *L, op_t *op, int nargs, int armed)
{
    struct sigaction saved;
    if (armed) {
        sigaction(SIGINT, NULL, &saved);
        host_arm_interrupt(L);
    }
    int st;
    Py_BEGIN_ALLOW_THREADS
    st = host_docall(L, nargs, LUA_MULTRET);
    Py_END_ALLOW_THREADS
    if (armed) {
        /* the host's disarm leaves SIG_DFL; the interpreter's handler goes
         * back with SIGINT blocked in between */
        sigset_t block, old;
        sigemptyset(&block);
        sigaddset(&block, SIGINT);
        pthread_sigmask(SIG_BLOCK, &block, &old);
        host_disarm_interrupt();
        sigaction(SIGINT, &saved, NULL);
        pthread_sigmask(SIG_SETMASK, &old, NULL);
    }
    if (st != LUA_OK) {
        op->user_error = 1;
        lua_error(L);
    }
}

static int op_entry(lua_State *L)
{
    op_t *op = lua_touserdata(L, 1);
    lua_settop(L, 0);
    int armed = PyThread_get_thread_ident() == main_thread;
    switch (op->op) {
    case OP_SETUP:
        host_setup_state(L);
        lua_settop(L, 0);
        wrap_searcher(L);
        lua_pushcfunction(L, py_print);
        lua_setglobal(L, "print");
        luaL_getsubtable(L, LUA_REGISTRYINDEX, LUA_LOADED_TABLE);
        lua_createtable(L, 0, 1);
        lua_pushlightuserdata(L, op->st);
        lua_pushcclosure(L, py_emit, 1);
        lua_setfield(L, -2, "emit");
        lua_setfield(L, -2, "folio.python");
        lua_settop(L, 0);
        return 0;
    case OP_SANDBOX: {
        /* the path policy, and an allow-list environment as a sandboxed
         * `folio run` script gets (load_script in run.c): code loaded
         * with it as _ENV runs sandboxed */
        char err[4352];
        folio_sandbox_enable(L);
        for (int pass = 0; pass < 2; pass++) {
            PyObject *list = pass ? op->writes : op->reads;
            Py_ssize_t n = list ? PyList_GET_SIZE(list) : 0;
            for (Py_ssize_t i = 0; i < n; i++) {
                const char *dir = PyUnicode_AsUTF8(PyList_GET_ITEM(list, i));
                if (!dir) py_fail(L);
                if (folio_sandbox_allow(L, dir, pass ? FOLIO_ALLOW_WRITE_DIR : FOLIO_ALLOW_READ_DIR, err, sizeof err))
                    luaL_error(L, "%s", err);
            }
        }
        folio_sandbox_open_libs(L);
        folio_sandbox_push_env(L);
        folio_lua_readonly_require(L, -1);
        break;
    }
    case OP_RUN_FILE: {
        /* folio.params, folio.script, folio.script_dir and arg as `folio run`
         * sets them (run.c), then folio.data */
        if (op->params) push_py(L, op->st, op->params, 0);
        else lua_newtable(L);
        if (set_script_context(L, op->path, 0, NULL) != LUA_OK) lua_error(L);
        lua_settop(L, 0);
        if (host_require(L, "folio") != LUA_OK) lua_error(L);
        if (op->data) push_py(L, op->st, op->data, 0);
        else lua_newtable(L);
        lua_setfield(L, -2, "data");
        lua_settop(L, 0);
        sandbox_spec none;
        memset(&none, 0, sizeof none);
        if (load_script(L, op->path, &none) != LUA_OK) lua_error(L);
        run_user(L, op, 0, armed);
        break;
    }
    case OP_EVAL: {
        int internal = strncmp(op->chunkname, INTERNAL_CHUNK, strlen(INTERNAL_CHUNK)) == 0;
        const cached_chunk *c = NULL;
        size_t keylen = 0;
        if (internal) {
            push_eval_key(L, op->chunkname, op->path, (size_t)op->codelen);   /* stack: key */
            c = find_chunk(lua_tolstring(L, 1, &keylen), keylen);
            if (c && luaL_loadbufferx(L, c->code, c->len, op->chunkname, "b") == LUA_OK) {
                lua_remove(L, 1);
                run_user(L, op, 0, armed);
                break;
            }
        }
        lua_settop(L, internal);
        if (!internal) {
            /* the user's code, as the REPL and the kernel read it
             * (repl.compile): a trailing expression's values are returned
             * after the statements before it, "=expr" is "return expr" */
            if (host_require(L, "folio.repl") != LUA_OK) lua_error(L);
            lua_getfield(L, -1, "compile");
            lua_remove(L, -2);
            lua_pushlstring(L, op->path, (size_t)op->codelen);
            lua_pushstring(L, op->chunkname);
            lua_call(L, 2, 1);
            run_user(L, op, 0, armed);
            break;
        }
        /* the package's own chunks: an expression's values are returned */
        lua_pushliteral(L, "return ");
        lua_pushlstring(L, op->path, (size_t)op->codelen);
        lua_concat(L, 2);
        size_t n;
        const char *ret = lua_tolstring(L, -1, &n);
        if (luaL_loadbufferx(L, ret, n, op->chunkname, "t") != LUA_OK) {
            lua_settop(L, internal);
            if (luaL_loadbufferx(L, op->path, (size_t)op->codelen, op->chunkname, "t") != LUA_OK) lua_error(L);
        } else {
            lua_remove(L, -2);
        }
        if (!c) cache_chunk(L, lua_gettop(L), lua_tostring(L, 1), keylen, NULL);
        lua_remove(L, 1);
        run_user(L, op, 0, armed);
        break;
    }
    case OP_CALL: {
        if (PyUnicode_Check(op->fn)) {
            const char *name = PyUnicode_AsUTF8(op->fn);
            if (!name) py_fail(L);
            push_dotted(L, name);
        } else {
            push_py(L, op->st, op->fn, 0);
        }
        int nargs = 0;
        if (op->method) {
            lua_getfield(L, -1, op->method);
            if (lua_isnil(L, -1)) luaL_error(L, "call: the value has no method '%s'", op->method);
            lua_insert(L, -2);   /* f, self */
            nargs = 1;
        }
        Py_ssize_t na = PyTuple_GET_SIZE(op->args);
        luaL_checkstack(L, (int)na + 8, "too many arguments");
        for (Py_ssize_t i = 0; i < na; i++) push_py(L, op->st, PyTuple_GET_ITEM(op->args, i), 0);
        nargs += (int)na;
        if (op->kwargs && PyDict_GET_SIZE(op->kwargs) > 0) {
            push_py(L, op->st, op->kwargs, 0);
            nargs++;
        }
        run_user(L, op, nargs, armed);
        break;
    }
    default:
        return 0;
    }
    collect(L, 0);
    return 1;
}

/* Raises the Python exception for a failed op; the error is at the top. */
static PyObject *raise_lua_error(lua_State *L, int status, const op_t *op)
{
    if (PyErr_Occurred()) {   /* a conversion failed: that error stands */
        lua_pop(L, 1);
        return NULL;
    }
    if (folio_interrupted() && PyThread_get_thread_ident() == main_thread) {
        folio_interrupt_clear();
        lua_pop(L, 1);
        PyErr_SetNone(PyExc_KeyboardInterrupt);
        return NULL;
    }
    if (status == LUA_ERRMEM) {
        lua_pop(L, 1);
        PyErr_SetString(PyExc_MemoryError, "folio: not enough memory");
        return NULL;
    }
    size_t len = 0;
    const char *msg = lua_type(L, -1) == LUA_TSTRING ? lua_tolstring(L, -1, &len) : NULL;
    if (!msg) msg = "(error object is not a string)", len = strlen(msg);
    const char *nl = memchr(msg, '\n', len);
    size_t first = nl ? (size_t)(nl - msg) : len;
    PyObject *line = PyUnicode_DecodeUTF8(msg, (Py_ssize_t)first, "replace");
    PyObject *trace = nl ? PyUnicode_DecodeUTF8(nl + 1, (Py_ssize_t)(len - first - 1), "replace")
                         : PyUnicode_FromString("");
    lua_pop(L, 1);
    if (!line || !trace) {
        Py_XDECREF(line);
        Py_XDECREF(trace);
        return NULL;
    }
    PyObject *exc = PyObject_CallOneArg(FolioError, line);
    if (exc) {
        if (PyObject_SetAttrString(exc, "traceback", trace) == 0 &&
            PyObject_SetAttrString(exc, "user_code", op->user_error ? Py_True : Py_False) == 0)
            PyErr_SetObject(FolioError, exc);
        Py_DECREF(exc);
    }
    Py_DECREF(line);
    Py_DECREF(trace);
    return NULL;
}

static PyObject *new_ref(StateObject *st, int ref)
{
    RefObject *r = PyObject_New(RefObject, &RefType);
    if (!r) {
        luaL_unref(st->L, LUA_REGISTRYINDEX, ref);
        return NULL;
    }
    Py_INCREF(st);
    r->state = st;
    r->ref = ref;
    return (PyObject *)r;
}

/* The table collect() left at the top -> a tuple (popped). */
static PyObject *take_results(StateObject *st)
{
    lua_State *L = st->L;
    int out = lua_gettop(L);
    lua_getfield(L, out, "n");   /* raw fields of a plain table: no metamethods, no allocation */
    lua_Integer n = lua_tointeger(L, -1);
    lua_pop(L, 1);
    lua_getfield(L, out, "refs");
    int refs = lua_gettop(L);
    PyObject *tuple = PyTuple_New((Py_ssize_t)n);
    for (lua_Integer i = 1; tuple && i <= n; i++) {
        int isref = lua_rawgeti(L, refs, i) != LUA_TNIL;
        lua_pop(L, 1);
        lua_rawgeti(L, out, i);
        PyObject *v = NULL;
        if (isref) {
            v = new_ref(st, (int)lua_tointeger(L, -1));
        } else {
            switch (lua_type(L, -1)) {
            case LUA_TNIL: v = Py_NewRef(Py_None); break;
            case LUA_TBOOLEAN: v = PyBool_FromLong(lua_toboolean(L, -1)); break;
            case LUA_TNUMBER:
                v = lua_isinteger(L, -1) ? PyLong_FromLongLong((long long)lua_tointeger(L, -1))
                                         : PyFloat_FromDouble(lua_tonumber(L, -1));
                break;
            default: {
                size_t len;
                const char *s = lua_tolstring(L, -1, &len);   /* a string: no conversion */
                v = PyUnicode_DecodeUTF8(s, (Py_ssize_t)len, "surrogateescape");
            }
            }
        }
        lua_pop(L, 1);
        if (!v) {
            /* the references not yet handed out go back */
            for (lua_Integer j = i + 1; j <= n; j++) {
                if (lua_rawgeti(L, refs, j) != LUA_TNIL) {
                    lua_rawgeti(L, out, j);
                    luaL_unref(L, LUA_REGISTRYINDEX, (int)lua_tointeger(L, -1));
                    lua_pop(L, 1);
                }
                lua_pop(L, 1);
            }
            Py_CLEAR(tuple);
            break;
        }
        PyTuple_SET_ITEM(tuple, (Py_ssize_t)(i - 1), v);
    }
    lua_settop(L, out - 1);
    return tuple;
}

/* 0 when the state can take a call now; else -1 with folio.Error set */
static int state_ready(StateObject *st)
{
    if (!st->L) {
        PyErr_SetString(FolioError, "the session is closed");
        return -1;
    }
    if (st->busy) {
        PyErr_SetString(FolioError, "the session is busy (a call is running)");
        return -1;
    }
    return 0;
}

/* folio.script = nil (raw: folio's table is strict), when folio is loaded */
static int clear_script(lua_State *L)
{
    if (lua_getfield(L, LUA_REGISTRYINDEX, LUA_LOADED_TABLE) == LUA_TTABLE && lua_getfield(L, -1, "folio") == LUA_TTABLE) {
        lua_pushliteral(L, "script");
        lua_pushnil(L);
        lua_rawset(L, -3);
    }
    return 0;
}

/* OpenBLAS's worker threads spin after each call: on folio's small
 * problems they doubled the CPU time of a call for no gain in wall time.
 * As in the folio executable, a call runs with one thread (the QP engine
 * asks for more on large dense problems) unless OPENBLAS_NUM_THREADS
 * decides; the caller's setting (numpy may share the library) is put back. */
void openblas_set_num_threads(int);
int openblas_get_num_threads(void);

static PyObject *run_op(StateObject *st, op_t *op)
{
    if (state_ready(st)) return NULL;
    lua_State *L = st->L;
    int top = lua_gettop(L);
    op->st = st;
    st->busy = 1;
    if (!PyThread_acquire_lock(run_lock, NOWAIT_LOCK)) {
        Py_BEGIN_ALLOW_THREADS
        PyThread_acquire_lock(run_lock, WAIT_LOCK);
        Py_END_ALLOW_THREADS
    }
    int blas_threads = getenv("OPENBLAS_NUM_THREADS") ? 0 : openblas_get_num_threads();
    if (blas_threads > 1) openblas_set_num_threads(1);
    lua_pushcfunction(L, op_entry);   /* a light C function: no allocation */
    lua_pushlightuserdata(L, op);
    int status = lua_pcall(L, 1, 1, 0);
    if (blas_threads > 1) openblas_set_num_threads(blas_threads);
    if (op->op == OP_RUN_FILE) {
        /* folio.script names the script while it runs (a tail call's error
         * is blamed on it, laux_lua_where_user): not in later calls */
        lua_pushcfunction(L, clear_script);
        if (lua_pcall(L, 0, 0, 0) != LUA_OK) lua_pop(L, 1);
    }
    PyThread_release_lock(run_lock);
    st->busy = 0;
    if (status != LUA_OK) {
        PyObject *r = raise_lua_error(L, status, op);
        lua_settop(L, top);
        return r;
    }
    if (op->op == OP_SETUP) {
        lua_settop(L, top);
        Py_RETURN_NONE;
    }
    PyObject *r = take_results(st);
    lua_settop(L, top);
    return r;
}

/* ---- State ------------------------------------------------------------------ */

static int state_panic(lua_State *L)
{
    fprintf(stderr, "folio (python): unprotected Lua error: %s\n", lua_tostring(L, -1));
    return 0;   /* Lua then aborts */
}

static PyObject *State_new(PyTypeObject *type, PyObject *args, PyObject *kw)
{
    static char *kwlist[] = { NULL };
    if (!PyArg_ParseTupleAndKeywords(args, kw, "", kwlist)) return NULL;
    StateObject *st = (StateObject *)type->tp_alloc(type, 0);
    if (!st) return NULL;
    st->L = folio_alloc_newstate(&st->alloc, 0);
    if (!st->L) {
        Py_DECREF(st);
        return PyErr_NoMemory();
    }
    lua_atpanic(st->L, state_panic);
    op_t op = { .op = OP_SETUP };
    PyObject *r = run_op(st, &op);
    if (!r) {
        Py_DECREF(st);
        return NULL;
    }
    Py_DECREF(r);
    return (PyObject *)st;
}

static void state_close(StateObject *st)
{
    if (st->L) {
        lua_close(st->L);
        st->L = NULL;
    }
    if (st->alloc) {
        folio_alloc_free(st->alloc);
        st->alloc = NULL;
    }
}

static void State_dealloc(StateObject *st)
{
    state_close(st);
    Py_CLEAR(st->emit);
    Py_TYPE(st)->tp_free((PyObject *)st);
}

static PyObject *State_run_file(StateObject *st, PyObject *args, PyObject *kw)
{
    static char *kwlist[] = { "path", "params", "data", NULL };
    PyObject *path = NULL, *params = Py_None, *data = Py_None;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "O&|OO", kwlist, PyUnicode_FSConverter, &path, &params, &data))
        return NULL;
    op_t op = { .op = OP_RUN_FILE, .path = PyBytes_AS_STRING(path),
                .params = params == Py_None ? NULL : params, .data = data == Py_None ? NULL : data };
    PyObject *r = run_op(st, &op);
    Py_DECREF(path);
    return r;
}

static PyObject *State_eval(StateObject *st, PyObject *args, PyObject *kw)
{
    static char *kwlist[] = { "code", "chunkname", NULL };
    const char *code, *chunkname = "@<session>";
    Py_ssize_t len;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "s#|s", kwlist, &code, &len, &chunkname)) return NULL;
    op_t op = { .op = OP_EVAL, .path = code, .codelen = len, .chunkname = chunkname };
    return run_op(st, &op);
}

/* call(fn, method, args, kwargs): fn a Ref or a (dotted) name */
static PyObject *State_call(StateObject *st, PyObject *args)
{
    PyObject *fn, *method, *cargs, *kwargs;
    if (!PyArg_ParseTuple(args, "OOO!O", &fn, &method, &PyTuple_Type, &cargs, &kwargs)) return NULL;
    if (!PyUnicode_Check(fn) && !PyObject_TypeCheck(fn, &RefType)) {
        PyErr_SetString(PyExc_TypeError, "call: fn must be a name or a folio value");
        return NULL;
    }
    if (kwargs != Py_None && !PyDict_Check(kwargs)) {
        PyErr_SetString(PyExc_TypeError, "call: kwargs must be a dict or None");
        return NULL;
    }
    const char *m = NULL;
    if (method != Py_None && !(m = PyUnicode_AsUTF8(method))) return NULL;
    op_t op = { .op = OP_CALL, .fn = fn, .method = m, .args = cargs,
                .kwargs = kwargs == Py_None ? NULL : kwargs };
    return run_op(st, &op);
}

/* sandbox(reads, writes) -> the allow-list environment (a Ref): turns the
 * path policy on (folders that folio's readers may read, and read and
 * write) for the whole state */
static PyObject *State_sandbox(StateObject *st, PyObject *args)
{
    PyObject *reads, *writes;
    if (!PyArg_ParseTuple(args, "O!O!", &PyList_Type, &reads, &PyList_Type, &writes)) return NULL;
    op_t op = { .op = OP_SANDBOX, .reads = reads, .writes = writes };
    PyObject *r = run_op(st, &op);
    if (r) st->sandboxed = 1;
    return r;
}

/* set_budget(instructions, seconds, memory): the sandbox's budgets from
 * now on (0 for none): Lua instructions and wall-clock seconds (counted
 * by the sandbox's hook; C loops charge theirs), and a cap on the state's
 * bytes */
static PyObject *State_set_budget(StateObject *st, PyObject *args)
{
    long long instructions;
    double seconds;
    Py_ssize_t memory;
    if (!PyArg_ParseTuple(args, "Ldn", &instructions, &seconds, &memory)) return NULL;
    if (state_ready(st)) return NULL;
    if (!st->sandboxed) {
        PyErr_SetString(FolioError, "set_budget: the state is not sandboxed (call sandbox() first)");
        return NULL;
    }
    if (instructions < 0 || seconds < 0 || memory < 0) {
        PyErr_SetString(PyExc_ValueError, "set_budget: budgets are >= 0 (0 for none)");
        return NULL;
    }
    folio_sandbox_set_budget(st->L, instructions, seconds);
    folio_alloc_set_limit(st->alloc, (size_t)memory);
    Py_RETURN_NONE;
}

/* set_emit(callable or None): what package.loaded["folio.python"].emit calls */
static PyObject *State_set_emit(StateObject *st, PyObject *fn)
{
    if (fn != Py_None && !PyCallable_Check(fn)) {
        PyErr_SetString(PyExc_TypeError, "set_emit: expects a callable or None");
        return NULL;
    }
    Py_XSETREF(st->emit, fn == Py_None ? NULL : Py_NewRef(fn));
    Py_RETURN_NONE;
}

static PyObject *State_close(StateObject *st, PyObject *unused)
{
    (void)unused;
    if (st->busy) {
        PyErr_SetString(FolioError, "the session is busy (a call is running)");
        return NULL;
    }
    state_close(st);
    Py_RETURN_NONE;
}

static PyObject *State_memory(StateObject *st, PyObject *unused)
{
    (void)unused;
    return PyLong_FromSize_t(st->alloc ? folio_alloc_used(st->alloc) : 0);
}

static PyMethodDef State_methods[] = {
    { "run_file", (PyCFunction)(void (*)(void))State_run_file, METH_VARARGS | METH_KEYWORDS,
      "run_file(path, params=None, data=None) -> tuple of the values the script returned" },
    { "eval", (PyCFunction)(void (*)(void))State_eval, METH_VARARGS | METH_KEYWORDS,
      "eval(code, chunkname='@<session>') -> tuple of the values (an expression's, as in the REPL)" },
    { "call", (PyCFunction)State_call, METH_VARARGS,
      "call(fn, method, args, kwargs) -> tuple of the results of fn(*args) (fn[method](fn, *args))" },
    { "close", (PyCFunction)State_close, METH_NOARGS, "close the Lua state" },
    { "memory", (PyCFunction)State_memory, METH_NOARGS, "bytes the Lua state holds" },
    { "sandbox", (PyCFunction)State_sandbox, METH_VARARGS,
      "sandbox(read_dirs, write_dirs) -> the allow-list environment; turns the path policy on" },
    { "set_budget", (PyCFunction)State_set_budget, METH_VARARGS,
      "set_budget(instructions, seconds, memory_bytes): budgets from now on (0: none)" },
    { "set_emit", (PyCFunction)State_set_emit, METH_O,
      "set_emit(fn): package.loaded['folio.python'].emit(...) calls fn with the arguments as str" },
    { NULL, NULL, 0, NULL }
};

static PyTypeObject StateType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "folio._folio.State",
    .tp_basicsize = sizeof(StateObject),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "A Lua state with folio installed (the folio package's Session and run use it).",
    .tp_new = State_new,
    .tp_dealloc = (destructor)State_dealloc,
    .tp_methods = State_methods,
};

/* ---- Ref -------------------------------------------------------------------- */

static void Ref_dealloc(RefObject *r)
{
    StateObject *st = r->state;
    /* a Ref freed while its state runs (a Python finalizer cannot run Lua
     * then, but be safe) keeps its slot until the state closes */
    if (st && st->L && !st->busy) luaL_unref(st->L, LUA_REGISTRYINDEX, r->ref);
    Py_XDECREF(st);
    PyObject_Free(r);
}

static PyObject *Ref_get_state(RefObject *r, void *unused)
{
    (void)unused;
    return Py_NewRef((PyObject *)r->state);
}

static PyGetSetDef Ref_getset[] = {
    { "state", (getter)Ref_get_state, NULL, "the State holding the value", NULL },
    { NULL, NULL, NULL, NULL, NULL }
};

static PyTypeObject RefType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "folio._folio.Ref",
    .tp_basicsize = sizeof(RefObject),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "A Lua value held by a State.",
    .tp_dealloc = (destructor)Ref_dealloc,
    .tp_getset = Ref_getset,
};

/* ---- Column ----------------------------------------------------------------- */

static PyObject *Column_new(PyTypeObject *type, PyObject *args, PyObject *kw)
{
    static char *kwlist[] = { "array", NULL };
    PyObject *arr;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "O", kwlist, &arr)) return NULL;
    ColumnObject *c = (ColumnObject *)type->tp_alloc(type, 0);
    if (!c) return NULL;
    if (PyObject_GetBuffer(arr, &c->view, PyBUF_C_CONTIGUOUS | PyBUF_FORMAT) < 0) {
        c->view.obj = NULL;
        Py_DECREF(c);
        return NULL;
    }
    const char *f = c->view.format ? c->view.format : "B";
    if (*f == '=' || *f == '@') f++;
    int is_float = strcmp(f, "d") == 0 && c->view.itemsize == (Py_ssize_t)sizeof(double);
    int is_int = (strcmp(f, "q") == 0 || strcmp(f, "l") == 0) && c->view.itemsize == (Py_ssize_t)sizeof(long long);
    if (c->view.ndim != 1 || !(is_float || is_int)) {
        PyErr_Format(PyExc_TypeError, "Column: expects a 1-D contiguous array of float64 or int64, got format '%s' "
                     "with %d dimensions", c->view.format ? c->view.format : "B", c->view.ndim);
        Py_DECREF(c);
        return NULL;
    }
    c->is_float = is_float;
    return (PyObject *)c;
}

static void Column_dealloc(ColumnObject *c)
{
    if (c->view.obj) PyBuffer_Release(&c->view);
    Py_TYPE(c)->tp_free((PyObject *)c);
}

static Py_ssize_t Column_len(ColumnObject *c)
{
    return c->view.shape[0];
}

static PySequenceMethods Column_as_sequence = {
    .sq_length = (lenfunc)Column_len,
};

static PyTypeObject ColumnType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "folio._folio.Column",
    .tp_basicsize = sizeof(ColumnObject),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "Column(array): a 1-D float64 or int64 array passed to Lua as a list (NaN as holes).",
    .tp_new = Column_new,
    .tp_dealloc = (destructor)Column_dealloc,
    .tp_as_sequence = &Column_as_sequence,
};

/* ---- module ------------------------------------------------------------- */

/* set_verbosity(level): folio's progress lines (docs/progress.md): 0 none,
 * 1 on a terminal only, 2 plain lines on a pipe too (the Jupyter kernel's) */
static PyObject *mod_set_verbosity(PyObject *self, PyObject *arg)
{
    (void)self;
    long level = PyLong_AsLong(arg);
    if (level == -1 && PyErr_Occurred()) return NULL;
    folio_set_verbosity(level < 0 ? 0 : level > 2 ? 2 : (int)level);
    Py_RETURN_NONE;
}

static PyMethodDef module_methods[] = {
    { "set_verbosity", mod_set_verbosity, METH_O, "set_verbosity(level): 0 quiet, 1 normal, 2 progress lines on pipes" },
    { NULL, NULL, 0, NULL }
};

static struct PyModuleDef folio_module = {
    PyModuleDef_HEAD_INIT, "folio._folio", "folio's Lua engine, in process (see the folio package).", -1,
    module_methods, NULL, NULL, NULL, NULL
};

PyMODINIT_FUNC PyInit__folio(void)
{
    if (PyType_Ready(&StateType) < 0 || PyType_Ready(&RefType) < 0 || PyType_Ready(&ColumnType) < 0) return NULL;
    if (!run_lock && !(run_lock = PyThread_allocate_lock())) return PyErr_NoMemory();
    PyObject *m = PyModule_Create(&folio_module);
    if (!m) return NULL;
    main_thread = PyThread_get_thread_ident();   /* imported from the main thread (the import lock's usual case) */
    PyObject *threading = PyImport_ImportModule("threading");
    if (threading) {
        PyObject *mt = PyObject_CallMethod(threading, "main_thread", NULL);
        PyObject *ident = mt ? PyObject_GetAttrString(mt, "ident") : NULL;
        if (ident && PyLong_Check(ident)) main_thread = PyLong_AsUnsignedLong(ident);
        Py_XDECREF(ident);
        Py_XDECREF(mt);
        Py_DECREF(threading);
    }
    PyErr_Clear();
    FolioError = PyErr_NewExceptionWithDoc("folio.Error",
        "A folio error: the message is folio's one line (with the script's file:line); "
        ".traceback has the script frames.", NULL, NULL);
    if (!FolioError || PyModule_AddObjectRef(m, "Error", FolioError) < 0 ||
        PyModule_AddObjectRef(m, "State", (PyObject *)&StateType) < 0 ||
        PyModule_AddObjectRef(m, "Ref", (PyObject *)&RefType) < 0 ||
        PyModule_AddObjectRef(m, "Column", (PyObject *)&ColumnType) < 0 ||
        PyModule_AddStringConstant(m, "version", FOLIO_VERSION) < 0) {
        Py_DECREF(m);
        return NULL;
    }
    return m;
}
