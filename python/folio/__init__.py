"""folio from Python: run folio's Lua models in process, on pandas data.

    import folio
    r = folio.run("model.lua", params={"as_of": "2019-12-31"}, data={"returns": df})
    r.status, r.objective, r.weights        # a pandas.Series indexed by name

    s = folio.Session()
    s.eval("x = 41")
    s.eval("x + 1")                         # 42
    opt = s.call("folio.ExposureOptimizer")
    r = opt.optimize(exposures=names, mu=mu, cov=folio.keyed(cov), objective=s.call("folio.MinVolatility"))

See docs/python.md. The extension (folio._folio) holds the Lua states; this
module turns pandas and numpy data into the tables folio reads and folio's
results into Python objects, through folio's own result contract (the same
JSON, text and HTML views as `folio run`).
"""
import json as _json
import math as _math
import os as _os
import re as _re
import weakref as _weakref

from ._folio import Error, State as _State, Ref as _Ref, Column as _Column, version as __version__, set_verbosity

__all__ = ["run", "Session", "Result", "Run", "LuaObject", "Error", "keyed", "set_verbosity", "__version__"]

_BRIDGE_PATH = _os.path.join(_os.path.dirname(__file__), "bridge.lua")
with open(_BRIDGE_PATH, encoding="utf-8") as _f:
    _BRIDGE_SOURCE = _f.read()

_RESERVED = ("columns", "n", "file")   # read_csv's own fields (src/lua/ldata.c)


# ---- Python -> Lua ----------------------------------------------------------

class _Keyed:
    """keyed(x): a DataFrame as a matrix keyed by name, {row = {column = v}}."""
    __slots__ = ("value",)

    def __init__(self, value):
        self.value = value


def keyed(x):
    """A DataFrame passed as {row_label = {column_label = value}} (a matrix
    keyed by name, as folio's cov = accepts), or a Series as {label = value}."""
    return _Keyed(x)


def _is_pandas(x, name):
    t = type(x)
    return t.__name__ == name and t.__module__.startswith("pandas")


def _stamp(v):
    """A timestamp as an ISO date, with the time when there is one and the
    UTC offset when it has a timezone."""
    if getattr(v, "tzinfo", None) is None and v.hour == 0 and v.minute == 0 and v.second == 0 \
            and getattr(v, "microsecond", 0) == 0:
        return v.strftime("%Y-%m-%d")
    return v.isoformat()


def _scalar(v):
    """A cell that is not a str, int or float: a timestamp as _stamp, a
    numpy scalar as its number, anything else as its text."""
    if hasattr(v, "isoformat") and hasattr(v, "hour"):   # a timestamp
        return _stamp(v)
    if hasattr(v, "item"):   # a numpy scalar
        v = v.item()
    return v if isinstance(v, (int, float)) and not isinstance(v, bool) else str(v)


def _label(v):
    """A Series' or keyed frame's label, or a DataFrame's column name, as the
    string folio matches by name: integer ids 3, 1, 2 stay names "3", "1",
    "2" (never positions in a Lua sequence)."""
    if isinstance(v, str):
        return v
    v = _scalar(v)
    return v if isinstance(v, str) else str(v)


def _cells(values):
    """A column as a list for Lua: NaN and None are holes (as an empty CSV
    cell), numpy scalars plain numbers, timestamps ISO dates."""
    kind = getattr(getattr(values, "dtype", None), "kind", None)
    if kind == "M":   # numpy datetime64: Timestamps (NaT among them) for the loop below
        import pandas as pd
        values = list(pd.DatetimeIndex(values.ravel()))
        kind = None
    if kind in ("i", "u", "b"):
        return values.tolist()
    if kind == "f":   # the common case, without a Python loop per cell
        import numpy as np
        out = values.tolist()
        for i in np.flatnonzero(np.isnan(values)).tolist():
            out[i] = None
        return out
    if kind == "O":   # labels and text: all strings is the common case
        from pandas.api.types import infer_dtype
        if infer_dtype(values, skipna=False) == "string":
            return values.tolist()
    out = []
    for v in values.tolist() if hasattr(values, "tolist") else values:
        if v is None or (isinstance(v, float) and v != v):
            out.append(None)
        elif isinstance(v, (str, int, float)):
            out.append(v)
        else:
            try:
                import pandas as pd
                if v is pd.NaT or v is pd.NA:
                    out.append(None)
                    continue
            except ImportError:
                pass
            out.append(_scalar(v))
    return out


def _column(values):
    """A DataFrame's column for Lua: a float or integer column as a _Column
    (the extension reads its buffer: NaN are holes), else _cells' list.
    Both reach Lua as the same list."""
    kind = getattr(getattr(values, "dtype", None), "kind", None)
    if getattr(values, "ndim", 0) == 1:
        import numpy as np
        if kind == "f":
            return _Column(np.ascontiguousarray(values, dtype=np.float64))
        if kind == "i" or (kind == "u" and values.dtype.itemsize < 8):
            return _Column(np.ascontiguousarray(values, dtype=np.int64))
    return _cells(values)


def _frame(df):
    """A DataFrame as folio.read_csv returns a CSV: {columns = {...}, n =,
    [column] = {...}}. A named (or non-default) index is the first column,
    as DataFrame.to_csv writes it."""
    import pandas as pd
    if isinstance(df.columns, pd.MultiIndex) or isinstance(df.index, pd.MultiIndex):
        raise Error("data: a DataFrame with a MultiIndex cannot be passed; reset_index() or flatten the columns first")
    t = {}
    columns = []
    idx = df.index
    if idx.name is not None or not isinstance(idx, pd.RangeIndex) or idx.start != 0 or idx.step != 1:
        # an unnamed DatetimeIndex is the dates: "date", the column folio.returns
        # and the estimators read them from
        name = str(idx.name) if idx.name is not None else "date" if isinstance(idx, pd.DatetimeIndex) else "index"
        columns.append(name)
        if isinstance(idx, pd.DatetimeIndex):
            t[name] = _cells(list(idx))
        else:
            t[name] = _cells(idx.to_numpy())
    names = [_label(c) for c in df.columns]
    columns.extend(names)
    dtypes = set(df.dtypes)
    if len(dtypes) == 1 and next(iter(dtypes)).kind in "fiu" and len(set(names)) == len(names):
        # one numeric dtype (a table of prices): all columns in one pass
        # (duplicate names are left to the check below)
        for name, values in zip(names, df.to_numpy().T):
            t[name] = _column(values)
    else:
        for name, c in zip(names, df.columns):
            col = df[c]
            if isinstance(col, pd.DataFrame):
                raise Error("data: duplicate column '%s' in a DataFrame" % name)
            if str(col.dtype).startswith("datetime"):
                t[name] = _cells(list(col))
            else:
                t[name] = _column(col.to_numpy())
    seen = set()
    for name in columns:
        if name in _RESERVED:
            raise Error("data: a DataFrame column may not be called '%s' (it would hide the table's own field)" % name)
        if name in seen:
            raise Error("data: duplicate column '%s' in a DataFrame" % name)
        seen.add(name)
    t["columns"] = columns
    t["n"] = len(df)
    return t


def _labels(index, what):
    """An index's labels as names (_label), each once: a duplicate (after
    the conversion: 1 and "1") or a MultiIndex is an error."""
    if type(index).__name__ == "MultiIndex":
        raise Error("data: a %s with a MultiIndex cannot be passed; reset_index() or flatten it first" % what)
    out = [_label(k) for k in index]
    if len(set(out)) != len(out):
        seen = set()
        for key in out:
            if key in seen:
                raise Error("data: duplicate label '%s' in a %s" % (key, what))
            seen.add(key)
    return out


def _series(s):
    return {key: (float("nan") if v is None else v)
            for key, v in zip(_labels(s.index, "Series"), _cells(s.to_numpy()))}


def _keyed_frame(df):
    rows = _labels(df.index, "DataFrame's index (folio.keyed)")
    columns = _labels(df.columns, "DataFrame's columns (folio.keyed)")
    return {label: {c: (float("nan") if val is None else val) for c, val in zip(columns, _cells(list(row)))}
            for label, row in zip(rows, df.itertuples(index=False, name=None))}


def _to_lua(x, depth=0):
    """pandas and numpy objects as the plain structures the extension takes."""
    if depth > 64:
        raise Error("data: nested more than 64 levels deep")
    if x is None or isinstance(x, (bool, int, float, str, bytes, _Ref)):
        return x
    if isinstance(x, LuaObject):
        return x._ref
    if isinstance(x, Result):
        return x._ref
    if isinstance(x, _Keyed):
        v = x.value
        if _is_pandas(v, "DataFrame"):
            return _keyed_frame(v)
        if _is_pandas(v, "Series"):
            return _series(v)
        return _to_lua(v, depth + 1)
    if _is_pandas(x, "DataFrame"):
        return _frame(x)
    if _is_pandas(x, "Series"):
        return _series(x)
    if _is_pandas(x, "Index"):
        return _cells(x.to_numpy())
    if isinstance(x, dict):
        return {(_label(k) if not isinstance(k, (str, int, float)) else k): _to_lua(v, depth + 1)
                for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [_to_lua(v, depth + 1) for v in x]
    if hasattr(x, "tolist") and hasattr(x, "dtype"):   # numpy arrays and scalars (a masked entry: None)
        if x.dtype.kind == "M" and getattr(x, "ndim", 0) == 1 and not hasattr(x, "mask"):
            return _cells(x)
        v = x.tolist()
        if getattr(x, "ndim", 0) >= 1:
            return _to_lua(v, depth + 1)
        return v
    return x   # the extension names what it cannot take


# ---- Lua -> Python ----------------------------------------------------------

_VALUE, _NUMBER = "\1folio:value", "\1folio:number"   # B:data's marks


def _pd():
    import pandas as pd
    return pd


class _Bridge:
    def __init__(self, state):
        self.state = state
        self.table, = state.eval(_BRIDGE_SOURCE, "=folio/bridge.lua")

    def __call__(self, name, *args):
        return self.state.call(self.table, name, args, None)


def _json_value(v):
    """folio's JSON writes inf and nan as strings; numbers stay numbers."""
    if isinstance(v, str):
        return {"inf": _math.inf, "-inf": -_math.inf, "nan": _math.nan}.get(v, v)
    return v


def _num(v):
    v = _json_value(v)
    return float(v) if isinstance(v, (int, float)) else v


def _float_series(values, names, name):
    """pd.Series(values, index=names, name=name, dtype=float) for names that
    are strings, without pandas inferring the index's type (a quarter of
    the time)"""
    import numpy as np
    index = np.empty(len(names), dtype=object)
    index[:] = names
    return _pd().Series(np.array(values, dtype=float), index=_pd().Index(index, dtype=object, copy=False),
                        name=name, copy=False)


def _frame_of(columns, rows):
    pd = _pd()
    return pd.DataFrame([list(r) for r in rows], columns=list(columns))


class LuaObject:
    """A Lua value that is not plain data (an optimizer, an estimator, a
    function): obj.method(*args, **kw) calls obj:method(args..., {kw}),
    obj(*args, **kw) calls it, obj["field"] reads a field."""

    def __init__(self, session, ref):
        self._session = session
        self._ref = ref

    def __getattr__(self, name):
        if name.startswith("_"):
            raise AttributeError(name)
        session, ref = self._session, self._ref

        def method(*args, **kw):
            return session._call(ref, name, args, kw)
        method.__name__ = name
        return method

    def __getitem__(self, key):
        v, kind = self._session._bridge("get", self._ref, key)
        return self._session._wrap(v, kind)

    def __call__(self, *args, **kw):
        return self._session._call(self._ref, None, args, kw)

    def __repr__(self):
        return "<folio %s>" % self._session._bridge("tostring", self._ref)[0]


class Result:
    """One folio result (docs/results.md): the core fields, the weights and
    duals as pandas Series, its CSV view as a DataFrame, the JSON `folio run
    --json` writes, the text summary (repr) and the HTML report
    (_repr_html_, for notebooks)."""

    def __init__(self, session, ref, core):
        self._session = session
        self._ref = ref
        self._core = core        # the core fields (and weights, duals), from the bridge
        self._json = None
        self._json_text = None   # these two are kept when the session closes
        self._summary = None
        session._keep_past_close(self)

    def _keep(self):
        """Reads what the result keeps past its session's close: the JSON
        text and the summary."""
        self.to_json()
        self.summary

    @property
    def json(self):
        """folio's JSON of this result (r:to_json(), what --json writes), as Python objects."""
        if self._json is None:
            self._json = _json.loads(self.to_json())
        return self._json

    # the contract's core fields
    status = property(lambda self: self._core.get("status"))
    has_solution = property(lambda self: bool(self._core.get("has_solution")))
    objective = property(lambda self: _num(self._core.get("objective")))
    message = property(lambda self: self._core.get("message"))
    solver = property(lambda self: self._core.get("solver"))
    solve_time = property(lambda self: _num(self._core.get("solve_time")))
    kind = property(lambda self: self._core.get("kind"))

    def __getitem__(self, key):
        """A field of the JSON form (r["volatility"], r["risk_contributions"])."""
        return self.json[key]

    @property
    def weights(self):
        """The weights as a pandas.Series indexed by exposure, in the
        universe's order (exposure results); a model's variable values
        (model results); None without a solution."""
        c = self._core
        w = c.get("weights")
        if isinstance(w, dict):
            names = [e for e in (c.get("exposures") or c.get("assets") or []) if e in w] or sorted(w)
            return _float_series([_num(w[e]) for e in names], names, "weight")
        if isinstance(w, list) and c.get("has_solution"):
            # a list (a CIM result's weights_array): by the result's asset
            # names when it has them, else by position 0, 1, ...
            names = c.get("exposures") or c.get("assets")
            if not isinstance(names, list) or len(names) != len(w) or not all(isinstance(n, str) for n in names):
                return _pd().Series([_num(x) for x in w], name="weight", dtype=float)
            return _float_series([_num(x) for x in w], names, "weight")
        if c.get("kind") != "model":
            return None
        j = self.json
        v = j.get("variables")
        if isinstance(v, dict) and j.get("has_solution"):
            return self._ordered(v, "variable", "value")
        return None

    def _ordered(self, d, col, name):
        """d in the order of the result's CSV view where it has one."""
        names = list(d)
        try:
            t = self.table
            if col in t.columns:
                order = [n for n in t[col].tolist() if n in d]
                if len(order) == len(d):
                    names = order
        except Error:
            pass
        return _float_series([_num(d[n]) for n in names], names, name)

    @property
    def duals(self):
        """Shadow prices by constraint name: a model's rows' duals, or an
        exposure result's binding constraints."""
        core = self._core
        sp = core.get("shadow_prices")
        if isinstance(sp, dict):
            names = [c for c in core.get("active_constraints", []) if c in sp]
            names += sorted(c for c in sp if c not in names)
            return _float_series([_num(sp[c]) for c in names], names, "dual")
        if core.get("kind") != "model":
            return None
        cons = self.json.get("constraints")
        if isinstance(cons, dict):
            names = list(cons)
            return _float_series([_num(cons[c].get("dual")) if isinstance(cons[c], dict) else _math.nan
                                  for c in names], names, "dual")
        return None

    @property
    def table(self):
        """The result's CSV view (r:csv(), a deployment's csv output) as a DataFrame."""
        text, = self._session._bridge("csv", self._ref)
        t = _json.loads(text)
        rows = t["rows"] if isinstance(t["rows"], list) else []
        return _frame_of(t["columns"], [[_json_value(c) for c in r] for r in rows])

    def to_json(self):
        """The JSON text, as `folio run --json` writes it for this result."""
        if self._json_text is None:
            self._json_text = self._session._bridge("json", self._ref)[0]
        return self._json_text

    @property
    def summary(self):
        if self._summary is None:
            self._summary = self._session._bridge("summary", self._ref)[0]
        return self._summary

    @property
    def exit_code(self):
        return 0 if self.has_solution else 3

    def __repr__(self):
        return _repr_of(self, "result")

    def _repr_html_(self):
        return _html_of(self, "folio result", self._ref)


class Run(list):
    """What a script returned (folio run's list of values, flattened as it
    flattens them): Result objects, DataFrames (folio.table), dicts and
    lists (plain tables), scalars. With exactly one Result among them,
    status, objective, weights, ... are that result's."""

    def __init__(self, session, returned, values, exit_code):
        super().__init__(values)
        self._session = session
        self._refs = returned   # what the script returned, as the extension gave it
        self._json_text = None
        self._json = None
        self._summary = None
        self.exit_code = exit_code
        session._keep_past_close(self)

    def _keep(self):
        self.json_text
        self.summary

    @property
    def json_text(self):
        """The JSON text `folio run --json` writes for what the script returned."""
        if self._json_text is None:
            self._json_text = self._session._bridge("json", *self._refs)[0]
        return self._json_text

    @property
    def json(self):
        if self._json is None:
            self._json = _json.loads(self.json_text)
        return self._json

    @property
    def results(self):
        return [v for v in self if isinstance(v, Result)]

    @property
    def result(self):
        rs = self.results
        if len(rs) != 1:
            raise Error("the script returned %d results; pick one from run.results" % len(rs))
        return rs[0]

    def __getattr__(self, name):
        if name in ("status", "has_solution", "objective", "message", "solver", "solve_time", "kind",
                    "weights", "duals", "table"):
            return getattr(self.result, name)
        raise AttributeError(name)

    def to_json(self):
        return self.json_text

    @property
    def summary(self):
        if self._summary is None:
            self._summary = self._session._bridge("summary", *self._refs)[0]
        return self._summary

    def __repr__(self):
        return _repr_of(self, "run")

    def _repr_html_(self):
        return _html_of(self, "folio run", *self._refs)


def _repr_of(x, what):
    """x.summary, or a line saying why there is none (a session closed
    before the summary was read)"""
    try:
        return x.summary
    except Error as e:
        return "<folio %s: no summary (%s)>" % (what, e)


def _html_of(x, title, *refs):
    """folio's HTML report of refs; once the session is closed, the summary
    x kept, as preformatted text"""
    try:
        return _scoped_html(x._session._bridge("html", {"title": title}, *refs)[0])
    except Error:
        import html
        return '<div class="folio-report"><pre>%s</pre></div>' % html.escape(repr(x))


# folio's HTML report is a page; in a notebook it is one element among
# others: its style goes under .folio-report and its body in a div.
_STYLE = _re.compile(r"<style>(.*?)</style>", _re.S)
_BODY = _re.compile(r"<body>(.*)</body>", _re.S)


def _scope_css(css):
    out = []
    for m in _re.finditer(r"([^{}]+)\{([^{}]*)\}", css):
        sels = []
        for s in m.group(1).split(","):
            s = s.strip()
            if not s:
                continue
            sels.append(".folio-report" if s == "body" else ".folio-report " + s)
        out.append(",".join(sels) + "{" + m.group(2) + "}")
    return "\n".join(out)


def _scoped_html(page):
    style = _STYLE.search(page)
    body = _BODY.search(page)
    if not style or not body:
        return page
    return '<div class="folio-report"><style>%s</style>%s</div>' % (_scope_css(style.group(1)), body.group(1))


class Session:
    """One Lua state with folio installed, kept across calls:
    eval(code) runs Lua (an expression's value is returned, as in the REPL),
    call("folio.ExposureOptimizer", ...) calls a function by name. `folio`
    is a global in a session."""

    def __init__(self):
        self._state = _State()
        self._bridge_obj = _Bridge(self._state)
        self._live, self._serial = _weakref.WeakValueDictionary(), 0   # the Results and Runs made here, by serial
        self._state.eval("folio = require 'folio'", "=folio/session")

    def _keep_past_close(self, x):
        """x (a Result or Run) reads what it keeps when the session closes."""
        self._serial += 1
        self._live[self._serial] = x

    def _bridge(self, name, *args):
        return self._bridge_obj(name, *args)

    def _wrap_all(self, values):
        """The extension's values (scalars and Refs) as Python objects."""
        refs = [v for v in values if isinstance(v, _Ref)]
        if not refs:
            return list(values)
        described = self._bridge("describe", False, *values)
        info = _json.loads(described[0])
        return [self._convert(v, d) for v, d in zip(described[1:], info["values"])]

    def _convert(self, v, d):
        """A value from the extension, with the bridge's description d."""
        if not isinstance(v, _Ref):
            return v
        kind, json_obj = d["kind"], d.get("json")
        if kind == "result":
            return Result(self, v, d["core"])
        if kind == "table":
            return _frame_of(json_obj["columns"], [[_json_value(c) for c in r] for r in json_obj.get("rows", [])])
        if kind == "data":
            return self._data(v)
        return LuaObject(self, v)

    def _data(self, v):
        """A plain table as dicts and lists, the values in it that are not
        plain data (results, folio tables, objects) converted as each is
        alone, non-finite numbers as floats (bridge.lua, B:data)."""
        text, *others = self._bridge("data", v)
        others = self._wrap_all(others) if others else []

        def hook(d):
            if len(d) == 1:
                if _VALUE in d:
                    return others[d[_VALUE] - 1]
                if _NUMBER in d:
                    return float(d[_NUMBER])
            return d
        return _json.loads(text, object_hook=hook)

    def _wrap(self, v, kind):
        if not isinstance(v, _Ref):
            return v
        return self._wrap_all((v,))[0]

    def _one(self, values):
        out = self._wrap_all(values)
        if not out:
            return None
        return out[0] if len(out) == 1 else tuple(out)

    def eval(self, code, name="<session>"):
        """Runs Lua code in the session; returns its value (None, one value,
        or a tuple). Errors name `name` and the line."""
        return self._one(self._state.eval(code, "@" + name))

    def _call(self, fn, method, args, kw):
        args = tuple(_to_lua(a) for a in args)
        kw = {k: _to_lua(v) for k, v in kw.items()} if kw else None
        return self._one(self._state.call(fn, method, args, kw))

    def call(self, name, *args, **kw):
        """call("folio.MinVolatility", risk_free_rate=0.02): calls the function
        the dotted name names with args (converted as run's data), keyword
        arguments as one table last (Lua's f{...})."""
        return self._call(name, None, args, kw)

    def set(self, name, value):
        """Sets the global name to value (converted as run's data)."""
        self._state.call("rawset", None, (self._state.eval("_G", "=folio/session")[0], name, _to_lua(value)), None)

    def run(self, path, params=None, data=None):
        """Runs a script in this session's state (see folio.run)."""
        return _run_in(self, path, params, data)

    def close(self):
        """Closes the Lua state. The session's results keep their core
        fields, weights, duals, JSON and summary (repr); their CSV view and
        HTML report (but for the summary as text) go with the state."""
        for x in list(self._live.values()):
            try:
                x._keep()
            except Error:   # already closed, or a view that fails: repr says so
                pass
        self._live.clear()
        self._state.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def _run_in(session, path, params, data):
    if params is not None and not isinstance(params, dict):
        raise TypeError("run: params must be a dict")
    if data is not None and not isinstance(data, dict):
        raise TypeError("run: data must be a dict of name -> DataFrame, Series, array or value")
    lp = _to_lua(params) if params else None
    ld = {str(k): _to_lua(v) for k, v in data.items()} if data else None
    values = session._state.run_file(_os.fspath(path), lp, ld)
    described = session._bridge("describe", True, *values)
    info = _json.loads(described[0])
    out = [session._convert(v, d) for v, d in zip(described[1:], info["values"])]
    return Run(session, values, out, info["exit_code"])


class _Fresh(Session):
    """A session without the `folio` global: a script sees the state that
    `folio run` gives it."""

    def __init__(self):
        self._state = _State()
        self._bridge_obj = _Bridge(self._state)
        self._live, self._serial = _weakref.WeakValueDictionary(), 0


def run(path, params=None, data=None):
    """Runs the model script at path in process, in a fresh Lua state, as
    `folio run` does. params reach the script as folio.params (as --set);
    data as folio.data.NAME: a DataFrame as folio.read_csv's table (columns,
    n, one list per column; a named index is the first column), a Series
    as {label = value}, numpy arrays as lists, dicts and lists as tables.
    Returns a Run: the values the script returned, with the JSON, exit code,
    summary and HTML report of `folio run`."""
    return _run_in(_Fresh(), path, params, data)
