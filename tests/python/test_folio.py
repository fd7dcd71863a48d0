"""The Python module (docs/python.md) against the folio CLI on the same data.

Run by ctest as /usr/bin/python3 -m pytest tests/python, with PYTHONPATH set
to BUILD/python, FOLIO_BIN to BUILD/folio and FOLIO_BUILD_DIR to BUILD."""
import json
import math
import os
import re
import signal
import subprocess
import sys
import threading
import time

import numpy as np
import pandas as pd
import pytest

import folio

HERE = os.path.dirname(os.path.abspath(__file__))
MINVOL = os.path.join(HERE, "minvol20.lua")
TIMING = {"solve_time", "time"}   # wall times differ between two runs


def cli(folio_bin, *args):
    return subprocess.run([folio_bin, "run", *args], capture_output=True, text=True, timeout=120)


def close(a, b, path="$"):
    """Every number of the JSON a within 1e-12 of b's (timings aside),
    the rest equal."""
    if isinstance(a, dict):
        assert isinstance(b, dict) and set(a) == set(b), path
        for k in a:
            if k not in TIMING:
                close(a[k], b[k], path + "." + k)
    elif isinstance(a, list):
        assert isinstance(b, list) and len(a) == len(b), path
        for i, (x, y) in enumerate(zip(a, b)):
            close(x, y, "%s[%d]" % (path, i))
    elif isinstance(a, float) or isinstance(b, float):
        assert abs(a - b) <= 1e-12, "%s: %r != %r" % (path, a, b)
    else:
        assert a == b, "%s: %r != %r" % (path, a, b)


# ---- a 20-asset MinVolatility from a DataFrame against folio run ------------

@pytest.mark.parametrize("defaults", ["on", "off"])   # the spec's default limits, or plain long-only
def test_minvol_dataframe_matches_cli(tmp_path, folio_bin, prices, defaults):
    csv = tmp_path / "prices.csv"
    prices.to_csv(csv)
    out = tmp_path / "out.json"
    p = cli(folio_bin, MINVOL, "--set", "csv=%s" % csv, "--set", "defaults=" + defaults, "--json", str(out))
    assert p.returncode == 0, p.stderr
    ref = json.loads(out.read_text())

    r = folio.run(MINVOL, params={"defaults": defaults}, data={"prices": prices})
    assert r.status == "optimal" and r.has_solution and r.exit_code == 0
    assert len(ref["weights"]) == 20
    w = r.weights
    assert isinstance(w, pd.Series) and list(w.index) == ref["exposures"]
    for name, v in ref["weights"].items():
        assert abs(w[name] - v) <= 1e-12, name
    assert abs(r.objective - ref["objective"]) <= 1e-12
    assert abs(sum(w) - 1) <= 1e-9
    # the whole JSON (--json's text, from folio's own encoder) agrees too
    close(json.loads(r.to_json()), ref)
    close(r.result.json, ref)
    # and so does the text report, but for the solve time
    strip = lambda s: re.sub(r"\d+\.\d+ s\)", "T s)", s).strip()
    assert strip(repr(r)) == strip(p.stdout)


def test_reordered_columns_same_weights_by_name(prices):
    a = folio.run(MINVOL, data={"prices": prices}).weights
    cols = list(prices.columns)
    shuffled = prices[cols[::-1][10:] + cols[::-1][:10]]
    assert list(shuffled.columns) != cols
    b = folio.run(MINVOL, data={"prices": shuffled}).weights
    assert list(b.index) == list(shuffled.columns)   # the result follows the data's order
    assert set(a.index) == set(b.index)
    for name in a.index:
        assert abs(a[name] - b[name]) <= 1e-9, name
    # a DatetimeIndex reaches Lua as the ISO dates a CSV holds
    c = prices.copy()
    c.index = pd.to_datetime(c.index)
    d = folio.run(MINVOL, data={"prices": c}).weights
    for name in a.index:
        assert abs(a[name] - d[name]) <= 1e-12, name


# ---- errors --------------------------------------------------------------------

def test_misspelled_option_raises_folio_message(folio_bin):
    rel = os.path.relpath(os.path.join(HERE, "misspelled.lua"))
    p = cli(folio_bin, rel)
    assert p.returncode == 1
    cli_line = p.stderr.splitlines()[0]
    assert cli_line.startswith("folio: ")
    with pytest.raises(folio.Error) as e:
        folio.run(rel)
    msg = str(e.value)
    assert msg == cli_line[len("folio: "):]
    assert msg.startswith(rel + ":6: ExposureConstraints: unknown option 'max_turnvoer'")
    assert "did you mean 'max_turnover'?" in msg
    assert "\n" not in msg
    assert rel + ":6" in e.value.traceback


def test_script_error_names_user_file_and_line(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)   # Lua shortens long paths in messages ("...")
    script = "broken.lua"
    with open(script, "w") as f:
        f.write('local folio = require "folio"\nlocal t = {}\n\nlocal v = t.a.b\nreturn v\n')
    with pytest.raises(folio.Error) as e:
        folio.run(script)
    assert str(e.value).startswith("%s:4: attempt to index a nil value" % script)
    # a folio error raised inside folio's own Lua points at the user's line
    with open(script, "w") as f:
        f.write('local folio = require "folio"\n\nlocal x = folio.MinVol {}\nreturn x\n')
    with pytest.raises(folio.Error) as e:
        folio.run(script)
    assert str(e.value).startswith("%s:3: " % script), str(e.value)
    assert "MinVolatility" in str(e.value)
    # the same in a session, under the name given to eval
    s = folio.Session()
    with pytest.raises(folio.Error) as e:
        s.eval("local a = 1\nerror('stop here')", name="cell7")
    assert str(e.value) == "cell7:2: stop here"
    # a missing script is one line too
    with pytest.raises(folio.Error) as e:
        folio.run("nope.lua")
    assert "nope.lua" in str(e.value) and "\n" not in str(e.value)


def test_bad_data_is_a_python_error():
    with pytest.raises(TypeError, match="cannot pass a object to Lua"):
        folio.run(MINVOL, data={"prices": object()})
    with pytest.raises(folio.Error, match="may not be called 'n'"):
        folio.run(MINVOL, data={"prices": pd.DataFrame({"n": [1.0, 2.0]})})


# ---- sessions --------------------------------------------------------------------

def test_session_keeps_state():
    s = folio.Session()
    assert s.eval("x = 40") is None
    s.eval("x = x + 1")
    assert s.eval("x + 1") == 42
    assert s.eval("'a', 2, true") == ("a", 2, True)
    s.eval("function twice(v) return 2 * v end")
    assert s.call("twice", 21) == 42
    s.set("names", ["a", "b"])
    assert s.eval("#names") == 2
    # another session is another state
    t = folio.Session()
    assert t.eval("x") is None


def test_session_call_exposure_optimizer(prices):
    rets = prices.pct_change(fill_method=None).iloc[1:]
    cov = rets.cov()   # pandas' pairwise sample covariance, as folio's sample estimator
    s = folio.Session()
    opt = s.call("folio.ExposureOptimizer")
    r = opt.optimize(exposures=list(cov.columns), cov=folio.keyed(cov), objective=s.call("folio.MinVolatility"))
    assert isinstance(r, folio.Result) and r.status == "optimal"
    ref = folio.run(MINVOL, data={"prices": prices}).weights
    for name in ref.index:
        assert abs(r.weights[name] - ref[name]) <= 1e-6, name
    # a misspelled option through call is folio's message too
    with pytest.raises(folio.Error, match="unknown option 'max_turnvoer'"):
        s.call("folio.ExposureConstraints", max_turnvoer=0.1)


def test_data_shapes():
    s = folio.Session()
    df = pd.DataFrame({"a": [1.5, np.nan, 3.0], "b": ["x", "y", None]},
                      index=pd.Index(["r1", "r2", "r3"], name="row"))
    s.set("t", df)
    assert s.eval("t.n") == 3
    assert s.eval("table.concat(t.columns, ',')") == "row,a,b"
    assert s.eval("t.row[2], t.a[1], t.a[2], t.a[3], t.b[3]") == ("r2", 1.5, None, 3.0, None)
    s.set("v", pd.Series([0.25, 0.75], index=["gold", "tips"]))
    assert s.eval("v.gold + 2 * v.tips") == 1.75
    s.set("m", np.array([[1.0, 2.0], [3.0, 4.0]]))
    assert s.eval("m[2][1], #m") == (3.0, 2)
    s.set("k", np.int64(7))
    assert s.eval("math.type(k)") == "integer"
    # what comes back: plain tables as dicts and lists, folio tables as DataFrames
    assert s.eval("{1, 2, 3}") == [1, 2, 3]
    assert s.eval("{a = 1, b = {true, 'x'}}") == {"a": 1, "b": [True, "x"]}
    t = s.eval("folio.table{columns = {'k', 'v'}, rows = {{'a', 1}, {'b', 2.5}}}")
    assert isinstance(t, pd.DataFrame) and list(t.columns) == ["k", "v"] and t["v"].tolist() == [1, 2.5]


def _same_in_lua(s, got, want):
    """cells of tables got and want (globals) that differ in value or Lua type"""
    return s.eval("""(function()
      local bad = {}
      for _, c in ipairs(%s.columns) do
        for t = 1, %s.n do
          local x, y = %s[c][t], %s[c][t]
          local same = (x == y or (x ~= x and y ~= y)) and math.type(x) == math.type(y)
          if same and x == 0 and y == 0 then same = 1 / x == 1 / y end   -- -0.0 stays -0.0
          if not same then bad[#bad + 1] = c .. "[" .. t .. "]" end
        end
      end
      return table.concat(bad, " ")
    end)()""" % (got, got, got, want))


def test_dataframe_columns_as_lists():
    """Numeric columns go to Lua through the buffer protocol (folio._folio.Column);
    each cell equals what the same column gives as a Python list (NaN and
    pd.NA as holes, integers as integers, floats as floats)."""
    s = folio.Session()
    rng = np.random.default_rng(7)
    x = rng.normal(size=9)
    x[[2, 5]] = np.nan
    x[3] = -0.0
    x[4] = np.inf
    frames = {
        "mixed": pd.DataFrame({"f64": x, "f32": x.astype(np.float32), "i64": np.arange(9, dtype=np.int64) - 4,
                               "i32": np.arange(9, dtype=np.int32) * 3, "u8": np.arange(9, dtype=np.uint8),
                               "u64": np.arange(9, dtype=np.uint64), "flag": np.arange(9) % 2 == 0,
                               "na": pd.array([1.5, None] * 4 + [2.0], dtype="Float64"),
                               "txt": list("abcdefghi")}),
        "floats": pd.DataFrame(rng.normal(size=(9, 4)), columns=list("wxyz")).where(lambda d: d > -1),
        "ints": pd.DataFrame(rng.integers(-5, 5, size=(9, 3)), columns=["p", "q", "r"]),
        "float32s": pd.DataFrame(rng.normal(size=(9, 2)).astype(np.float32), columns=["s", "t"]),
    }
    for name, df in frames.items():
        want = {"columns": list(df.columns), "n": len(df)}
        for c in df.columns:
            want[c] = [None if (v is None or v is pd.NA or (isinstance(v, float) and v != v)) else v
                       for v in df[c].tolist()]
        s.set("got", df)
        s.set("want", want)
        assert _same_in_lua(s, "got", "want") == "", name
    # the extension's Column takes 1-D float64 and int64 buffers only
    with pytest.raises(TypeError):
        folio._Column(np.zeros((2, 2)))
    with pytest.raises(TypeError):
        folio._Column(np.zeros(3, dtype=np.float32))
    assert len(folio._Column(np.arange(4, dtype=np.int64))) == 4


def test_dataframe_with_holes_matches_cli(tmp_path, folio_bin, prices):
    """A price frame with holes (listings that start late, cells cut out)
    gives folio run's weights on its CSV, to 1e-12."""
    p = prices.iloc[-300:].copy()
    p.iloc[5:40, 3] = np.nan
    p.iloc[100, 7] = np.nan
    csv = tmp_path / "prices.csv"
    p.to_csv(csv)
    out = tmp_path / "out.json"
    r = cli(folio_bin, MINVOL, "--set", "csv=%s" % csv, "--set", "defaults=off", "--json", str(out))
    assert r.returncode == 0, r.stderr
    ref = json.loads(out.read_text())
    w = folio.run(MINVOL, params={"defaults": "off"}, data={"prices": p}).weights
    assert list(w.index) == ref["exposures"]
    for name, v in ref["weights"].items():
        assert abs(w[name] - v) <= 1e-12, name


def test_html_fragment_is_the_page_cut_down():
    """html.fragment (what the kernel shows for a result) is the report's page
    with its style scoped (folio._scoped_html) and its header and footer cut
    out, as the kernel used to cut it in Python."""
    header = re.compile(r"<header>.*?</header>\s*", re.S)
    footer = re.compile(r"\s*<footer>.*?</footer>", re.S)
    s = folio.Session()
    s.eval("html = require 'folio.html'")
    s.eval("folio.script_dir = 'models'; folio.params = {}; book = dofile('models/loan_book.lua')")
    s.eval("t = folio.table{title = 'T & <t>', columns = {'a', 'b'}, rows = {{'x', 1.5}, {'y<', -2}}}")
    for values in ("book", "{book[1]}", "{t}", "{{a = 1, b = 'x<y'}, 42}", "{}", "{'<b>'}"):
        page = s.eval("html.render(%s, {title = 'folio'})" % values)
        want = footer.sub("", header.sub("", folio._scoped_html(page), count=1), count=1)
        assert s.eval("html.fragment(%s)" % values) == want, values


def test_model_result_duals_and_table():
    r = folio.run(os.path.join(HERE, "model_lp.lua"), params={"budget": 5},
                  data={"value": pd.Series({"a": 3.0, "b": 2.0, "c": 1.0})})
    assert r.status == "optimal" and r.objective == 3 * 4 + 2 * 1
    assert r.weights.to_dict() == {"x[a]": 4.0, "x[b]": 1.0, "x[c]": 0.0}
    assert r.duals["budget"] == 2.0   # the marginal item is b
    t = r.table
    assert list(t.columns) == ["variable", "value", "reduced_cost"] and t["variable"].tolist() == ["x[a]", "x[b]", "x[c]"]
    html = r._repr_html_()
    assert html.startswith('<div class="folio-report">') and "budget" in html and "<body" not in html
    # no solution: the contract's status and exit code
    r = folio.run(os.path.join(HERE, "model_lp.lua"), params={"budget": -1})
    assert r.status == "infeasible" and not r.has_solution and r.exit_code == 3 and r.objective is None


# ---- Ctrl-C -----------------------------------------------------------------------

def interrupt_after(seconds):
    t = threading.Timer(seconds, lambda: os.kill(os.getpid(), signal.SIGINT))
    t.start()
    return t


def test_ctrl_c_stops_lua_and_solves():
    s = folio.Session()
    handler = signal.getsignal(signal.SIGINT)
    for code in ("while true do end",
                 "while true do pcall(function() while true do end end) end",   # pcall cannot swallow it
                 "local m = folio.model('m'); local x = m:var('x', {lb = 0, ub = 1}); m:maximize(x)\n"
                 "while true do m:solve() end"):
        t0 = time.monotonic()
        interrupt_after(0.3)
        with pytest.raises(KeyboardInterrupt):
            s.eval(code)
        assert time.monotonic() - t0 < 5
        assert signal.getsignal(signal.SIGINT) is handler   # Python's handler is back
        assert s.eval("1 + 1") == 2                         # and the session works on


def test_ctrl_c_stops_a_long_solve():
    s = folio.Session()
    s.set("script", os.path.join(HERE, "market_split.lua"))
    s.eval("m = dofile(script)")
    # GLPK does not finish it in 3 s: the interrupt below lands in the solve
    assert s.eval("m:solve{solver = 'glpk', time_limit = 3}.status") == "time_limit"
    t0 = time.monotonic()
    interrupt_after(0.5)
    with pytest.raises(KeyboardInterrupt):
        s.eval("solving = true; local r = m:solve{solver = 'glpk'}; solving = false; return r")
    assert time.monotonic() - t0 < 2.5
    assert s.eval("solving") is True   # it stopped inside the solve
    assert s.eval("1 + 1") == 2


# ---- install ------------------------------------------------------------------------

def test_cmake_install_component(tmp_path, prices):
    build = os.environ.get("FOLIO_BUILD_DIR")
    if not build:
        pytest.fail("FOLIO_BUILD_DIR is not set")
    p = subprocess.run(["cmake", "--install", build, "--prefix", str(tmp_path), "--component", "python"],
                       capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stderr
    site = [os.path.join(d, sub) for d, subs, _ in os.walk(tmp_path) for sub in subs if sub == "folio"]
    assert len(site) == 1
    env = dict(os.environ, PYTHONPATH=os.path.dirname(site[0]))
    code = ("import folio, sys; r = folio.run(sys.argv[1]); print(folio.__file__); print(r.status)")
    p = subprocess.run([sys.executable, "-c", code, os.path.join(HERE, "model_lp.lua")], env=env,
                       capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stderr
    where, status = p.stdout.split()
    assert where.startswith(str(tmp_path)) and status == "optimal"


def test_print_goes_to_sys_stdout(capsys):
    s = folio.Session()
    s.eval("print('weights', 1, nil, true)")
    folio.run(os.path.join(HERE, "minvol20.lua"), params={"defaults": "off"},
              data={"returns": pd.DataFrame({"a": [0.01, -0.02, 0.03], "b": [0.0, 0.01, -0.01]})})
    s.eval("print(setmetatable({}, {__tostring = function() return 'shown' end}))")
    assert capsys.readouterr().out == "weights\t1\tnil\ttrue\nshown\n"
    with pytest.raises(folio.Error, match="'__tostring' must return a string"):
        s.eval("print(setmetatable({}, {__tostring = function() return {} end}))")


def test_pip_install(tmp_path):
    """pip install --no-build-isolation . from the repository (setup.py
    drives CMake; here in the tests' build tree, where the target is built
    already), offline, then imported from where pip put it."""
    build = os.environ.get("FOLIO_BUILD_DIR")
    if not build:
        pytest.fail("FOLIO_BUILD_DIR is not set")
    root = os.path.dirname(os.path.dirname(HERE))
    target = tmp_path / "site"
    env = dict(os.environ, FOLIO_CMAKE_BUILD_DIR=build, PIP_NO_CACHE_DIR="1")
    p = subprocess.run([sys.executable, "-m", "pip", "install", "--no-build-isolation", "--no-deps", "--no-index",
                        "--target", str(target), root], env=env, capture_output=True, text=True, timeout=600)
    assert p.returncode == 0, p.stdout + p.stderr
    env = dict(os.environ, PYTHONPATH=str(target))
    code = "import folio, sys; r = folio.run(sys.argv[1]); print(folio.__file__); print(r.weights['x[a]'])"
    p = subprocess.run([sys.executable, "-c", code, os.path.join(HERE, "model_lp.lua")], env=env,
                       capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stderr
    where, xa = p.stdout.split()
    assert where == str(target / "folio" / "__init__.py") and float(xa) == 4.0
    # what the package needs beside its Python files: the Cbc/Clp plugin
    # (loaded from beside the extension) and the kernel's Lua half
    for f in ("folio_coin.so", "kernel.lua", "bridge.lua"):
        assert (target / "folio" / f).is_file(), "pip install left out folio/%s" % f


# ---- OpenBLAS threads: one inside a call, the caller's setting kept ---------

def test_blas_threads_are_the_callers_again_after_a_call(prices, monkeypatch):
    import ctypes
    monkeypatch.delenv("OPENBLAS_NUM_THREADS", raising=False)
    blas = ctypes.CDLL("libopenblas.so.0")   # the instance the module linked: one per process
    before = blas.openblas_get_num_threads()
    try:
        blas.openblas_set_num_threads(2)
        w = folio.run(MINVOL, data={"prices": prices}).weights
        assert blas.openblas_get_num_threads() == 2
        blas.openblas_set_num_threads(1)
        assert (folio.run(MINVOL, data={"prices": prices}).weights - w).abs().max() <= 1e-12
        assert blas.openblas_get_num_threads() == 1
    finally:
        blas.openblas_set_num_threads(before)
