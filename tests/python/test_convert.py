"""Conversions between pandas/numpy and Lua (docs/python.md): labels are
names, never positions; a value converts the same wherever it is returned;
results outlive their session's close as the docs say."""
import math
import os

import numpy as np
import pandas as pd
import pytest

import folio

HERE = os.path.dirname(os.path.abspath(__file__))
MEANVAR = os.path.join(HERE, "meanvar_mu.lua")


def script(tmp_path, text, name="s.lua"):
    p = tmp_path / name
    p.write_text(text)
    return str(p)


# ---- labels are names ----------------------------------------------------------

def test_integer_ids_match_by_name(prices):
    """Integer asset ids (as columns and as mu's index, in another order than
    1..N) give the ticker case's weights id for ticker: before, mu's labels
    1..3 reached Lua as a sequence and were read by position."""
    p = prices[["GOOG", "AAPL", "FB"]]
    ids = {"GOOG": 3, "AAPL": 1, "FB": 2}
    mu = pd.Series({"GOOG": 0.30, "AAPL": 0.0, "FB": 0.0})
    by_ticker = folio.run(MEANVAR, data={"prices": p, "mu": mu}).weights
    r = folio.run(MEANVAR, data={"prices": p.rename(columns=ids), "mu": mu.rename(index=ids)})
    assert r.status == "optimal"
    assert list(r.weights.index) == ["3", "1", "2"]
    for ticker, i in ids.items():
        assert r.weights[str(i)] == by_ticker[ticker], ticker
    assert by_ticker["GOOG"] > 0.99   # all in the one asset with a return
    # a keyed matrix and a Series with labels 1..N are keyed by name too
    s = folio.Session()
    s.set("v", pd.Series([5.0, 6.0], index=[2, 1]))
    s.set("m", folio.keyed(pd.DataFrame([[1.0, 2.0]], index=[1], columns=[2, 1])))
    assert s.eval("#v, v['1'], v['2'], m['1']['2'], m['1']['1'], m[1]") == (0, 6.0, 5.0, 1.0, 2.0, None)


def test_unlabelled_series_is_keyed_0_to_n(prices):
    """A RangeIndex Series arrives keyed "0", "1", ...: the optimizer's
    error names those labels (it lost label 0 before)."""
    p = prices[["GOOG", "AAPL", "FB"]]
    with pytest.raises(folio.Error) as e:
        folio.run(MEANVAR, data={"prices": p, "mu": pd.Series([0.3, 0.0, 0.0])})
    assert str(e.value) == ("%s:6: optimize: mu has 3 names not in the universe: '0', '1', '2'" % MEANVAR)


@pytest.mark.parametrize("value, message", [
    (pd.DataFrame({"a": [1.0, 2.0]}, index=["r", "r"]), "data: duplicate label 'r' in a DataFrame's index (folio.keyed)"),
    (pd.DataFrame([[1.0, 2.0]], columns=["a", "a"], index=["r"]),
     "data: duplicate label 'a' in a DataFrame's columns (folio.keyed)"),
    (pd.DataFrame([[1.0, 2.0]], columns=[1, "1"], index=["r"]),
     "data: duplicate label '1' in a DataFrame's columns (folio.keyed)"),
    (pd.DataFrame([[1.0]], columns=pd.MultiIndex.from_tuples([("a", "x")]), index=["r"]),
     "data: a DataFrame's columns (folio.keyed) with a MultiIndex cannot be passed; reset_index() or flatten it first"),
])
def test_keyed_frame_label_errors(value, message):
    with pytest.raises(folio.Error) as e:
        folio.Session().set("x", folio.keyed(value))
    assert str(e.value) == message


@pytest.mark.parametrize("value, message", [
    (pd.Series([1.0, 2.0], index=pd.MultiIndex.from_tuples([("a", "x"), ("a", "y")])),
     "data: a Series with a MultiIndex cannot be passed; reset_index() or flatten it first"),
    (pd.Series([1.0, 2.0], index=[1, "1"]), "data: duplicate label '1' in a Series"),
])
def test_series_label_errors(value, message):
    with pytest.raises(folio.Error) as e:
        folio.Session().set("x", value)
    assert str(e.value) == message


# ---- dates and holes -----------------------------------------------------------------

def test_datetime_series_as_iso_dates():
    s = folio.Session()
    s.set("x", pd.Series(pd.to_datetime(["2020-01-01", None, "2020-01-02 10:30"]), index=["a", "b", "c"]))
    assert s.eval("x.a, x.c, x.b ~= x.b") == ("2020-01-01", "2020-01-02T10:30:00", True)   # NaT: NaN, as a Series' holes
    # a DataFrame column the same, NaT a hole; a timezone keeps its offset
    d = pd.to_datetime(["2020-01-01", None])
    s.set("t", pd.DataFrame({"d": d, "z": d.tz_localize("US/Eastern")}))
    assert s.eval("t.d[1], t.d[2], t.z[1], t.z[2]") == ("2020-01-01", None, "2020-01-01T00:00:00-05:00", None)
    s.set("z", pd.Series(d.tz_localize("UTC"), index=["a", "b"]))
    assert s.eval("z.a") == "2020-01-01T00:00:00+00:00"
    s.set("n", np.array(["2020-01-01", "NaT", "2020-03-01"], dtype="datetime64[D]"))
    assert s.eval("n[1], n[2], n[3]") == ("2020-01-01", None, "2020-03-01")


def test_masked_entries_are_holes():
    s = folio.Session()
    s.set("v", np.ma.array([1.0, 2.0, 3.0], mask=[0, 1, 0]))
    assert s.eval("v[1], v[2], v[3], #v") == (1.0, None, 3.0, 3)
    s.set("m", np.ma.array([[1, 2], [3, 4]], mask=[[0, 1], [0, 0]]))
    assert s.eval("m[1][1], m[1][2], m[2][2]") == (1, None, 4)


# ---- Lua to Python ---------------------------------------------------------------------

def test_plain_table_numbers_and_values():
    """Non-finite numbers in a plain table are floats (a string "inf" stays
    a string); results, folio tables and objects in it convert as they do alone."""
    s = folio.Session()
    got = s.eval("{math.huge, -math.huge, 0/0, 'inf', {x = -math.huge}}")
    assert got[:2] == [math.inf, -math.inf] and math.isnan(got[2]) and got[3:] == ["inf", {"x": -math.inf}]
    got = s.eval("{t = folio.table{columns = {'a'}, rows = {{1.5}}}, f = function() return 7 end, n = 1}")
    assert isinstance(got["t"], pd.DataFrame) and got["t"]["a"].tolist() == [1.5]
    assert isinstance(got["f"], folio.LuaObject) and got["f"]() == 7 and got["n"] == 1
    assert s.eval("{1, 2, nil, 4}") == {"1": 1, "2": 2, "4": 4}   # a list with a hole: a dict by position
    assert s.eval("{[true] = 1, [false] = 2}") == {"true": 1, "false": 2}
    with pytest.raises(folio.Error) as e:   # before: blamed folio/bridge.lua:20
        s.eval("{[{}] = 1}")
    assert str(e.value) == "a table returned to Python has a table as a key (only strings, numbers and booleans convert)"


def test_value_converts_alike_alone_or_beside(tmp_path):
    """A list of folio tables and a result returned beside a result is what
    it is returned alone (before: dicts of the tables' JSON)."""
    body = """local folio = require "folio"
local m = folio.model("lp")
local x = m:var("x", { lb = 0, ub = 2 })
m:maximize(x)
local r = m:solve()
local report = { folio.table { title = "t", columns = { "a", "b" }, rows = { { "x", 1 }, { "y", 2.5 } } }, r, { k = 1 } }
"""
    alone = folio.run(script(tmp_path, body + "return report\n", "alone.lua"))
    beside = folio.run(script(tmp_path, body + "return r, report\n", "beside.lua"))
    assert isinstance(beside[0], folio.Result) and isinstance(beside[1], list) and len(beside[1]) == len(alone) == 3
    for a, b in zip(alone, beside[1]):
        assert type(a) is type(b)
    assert beside[1][0].equals(alone[0]) and beside[1][0]["b"].tolist() == [1, 2.5]
    assert beside[1][1].objective == alone[1].objective == 2.0 and beside[1][2] == alone[2] == {"k": 1}


def test_cim_weights_by_position_and_name():
    """A CIM result with a solution gives its weights: by position when its
    JSON has them as a list (no names; before: None), by the asset names
    in their order with names."""
    s = folio.Session()
    mu, cov = np.array([0.1, 0.2, 0.15]), np.diag([0.1, 0.2, 0.15])
    r = s.call("folio.cim", mu=mu, cov=cov, gamma=5, bounds=[0, 1])
    assert r.status == "converged" and r.has_solution and isinstance(r.json["weights"], list)
    assert list(r.weights.index) == [0, 1, 2] and r.weights.tolist() == r.json["weights"]
    names = ["c", "a", "b"]
    r = s.call("folio.cim", mu=pd.Series(mu, index=names), cov=folio.keyed(pd.DataFrame(cov, index=names, columns=names)),
               gamma=5, bounds=[0, 1])
    assert r.has_solution and list(r.weights.index) == r.json["assets"]
    assert r.weights.to_dict() == r.json["weights"] and r.weights.sum() == pytest.approx(1, abs=1e-3)


# ---- results past their session ------------------------------------------------------

MODEL = "local m = folio.model('lp'); local x = m:var('x', {lb = 0, ub = 1}); m:maximize(x); return m:solve()"


def test_results_outlive_a_closed_session():
    with folio.Session() as s:
        r = s.eval(MODEL)
        run = s.run(os.path.join(HERE, "model_lp.lua"))
        summary, run_summary = r.summary, run.summary
        html = r._repr_html_()
    assert "x" in html and "<pre>" not in html
    assert repr(r) == summary and repr(run) == run_summary
    assert r._repr_html_().startswith('<div class="folio-report"><pre>Model &#x27;lp&#x27;: optimal')
    assert r.weights.to_dict() == {"x": 1.0} and r.status == "optimal" and r.json["status"] == "optimal"
    assert run.weights.to_dict() == {"x[a]": 4.0, "x[b]": 2.0, "x[c]": 0.0} and run.json["status"] == "optimal"
    with pytest.raises(folio.Error, match="^the session is closed$"):
        r.table
    # a state closed without Session.close (nothing kept): repr says so
    s = folio.Session()
    r = s.eval(MODEL)
    s._state.close()
    assert repr(r) == "<folio result: no summary (the session is closed)>"
    assert r._repr_html_() == ('<div class="folio-report"><pre>&lt;folio result: no summary '
                               '(the session is closed)&gt;</pre></div>')


# ---- dates and matrices as pandas gives them ----------------------------------

def test_unnamed_datetime_index_is_the_date_column(prices, tmp_path):
    """An unnamed DatetimeIndex arrives as the column "date", which
    folio.returns carries over and checks for order; newest-first rows
    are an error naming the first row out of order."""
    p = prices[["GOOG", "AAPL"]].copy()
    p.index = pd.to_datetime(p.index)
    p.index.name = None
    s = folio.Session()
    s.set("p", p)
    assert s.eval("folio.returns(p).columns[1], folio.returns(p).date[1]") == ("date", str(p.index[1].date()))
    path = script(tmp_path, 'local folio = require "folio"\nlocal r = folio.returns(folio.data.q)\nreturn r\n')
    with pytest.raises(folio.Error) as e:
        folio.run(path, data={"q": p.iloc[::-1]})
    # the script's line (Lua shortens a long path from the left)
    assert str(e.value).endswith(
        "/s.lua:2: returns: the rows are not in increasing order of 'date': row 2 (%s) does not come after "
        "row 1 (%s); sort the prices by date, oldest first" % (p.index[-2].date(), p.index[-1].date()))


def test_a_covariance_frame_is_matched_by_name(prices):
    """cov = rets.cov() (a DataFrame, no folio.keyed): rows by the index,
    columns by name, whatever their order."""
    rets = prices[["GOOG", "AAPL", "FB"]].pct_change().iloc[1:]
    cov = rets.cov() * 252
    s = folio.Session()
    s.set("cov", cov.loc[["FB", "GOOG", "AAPL"], ["AAPL", "FB", "GOOG"]])
    s.set("keyed", folio.keyed(cov))
    a, b = s.eval("""
      local function w(c)
        local r = folio.ExposureOptimizer():optimize { exposures = { "GOOG", "AAPL", "FB" }, cov = c,
          constraints = folio.ExposureConstraints { defaults = false } }
        return r.weights.GOOG .. " " .. r.weights.AAPL .. " " .. r.weights.FB
      end
      return w(cov), w(keyed)""")
    assert a == b
