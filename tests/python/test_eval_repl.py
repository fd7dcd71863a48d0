"""Session.eval reads code as the REPL and the notebook kernel do
(repl.compile in lua/folio/repl.lua): a trailing expression after
statements, "=expr", and errors naming the chunk's line."""
import pytest

import folio


def test_trailing_expression_after_statements():
    s = folio.Session()
    assert s.eval("x = 1\nx + 1") == 2
    assert s.eval("local a = 2\nlocal b = 3\na * b") == 6
    assert s.eval("t = {}\nfor i = 1, 3 do t[i] = i * i end\nt[1], t[2], t[3]") == (1, 4, 9)
    # a statement last: nothing; a return: its values
    assert s.eval("y = x + 1") is None
    assert s.eval("local z = y\nreturn z * 10") == 20
    # a trailing expression spanning lines
    assert s.eval("local p = 4\n{\n  p,\n  p + 1,\n}") == [4, 5]


def test_equals_expr():
    s = folio.Session()
    assert s.eval("=1+2") == 3
    assert s.eval("=  'a', 2") == ("a", 2)


def test_errors_name_the_chunk_line():
    s = folio.Session()
    with pytest.raises(folio.Error) as e:
        s.eval("folio.MinVolatility{bad=1}", name="cell9")
    assert str(e.value) == "cell9:1: MinVolatility: unknown option 'bad' (options: l2_reg)"
    with pytest.raises(folio.Error) as e:
        s.eval("local a = 1\nlocal b = 2\nfolio.MinVolatility{bad=1}", name="cell9")
    assert str(e.value) == "cell9:3: MinVolatility: unknown option 'bad' (options: l2_reg)"
    with pytest.raises(folio.Error) as e:
        s.eval("x = 1\nx = = 2", name="cell9")
    assert str(e.value) == "cell9:2: unexpected symbol near '='"
    # the session goes on after an error, its globals kept
    assert s.eval("x") is None
    s.eval("x = 5")
    assert s.eval("x * 2") == 10


def test_a_tail_call_blames_the_running_script_only(tmp_path):
    """`return folio.f(...)` keeps no line (a tail call): folio.run's error
    names the script and says it is a return line; after the run,
    folio.script is gone, so a later eval is not blamed on that script."""
    path = tmp_path / "t.lua"
    path.write_text('local folio = require "folio"\n'
                    'return folio.ExposureOptimizer():optimize { exposures = { "a" }, cov = { { 1 } }, bad = 1 }\n')
    s = folio.Session()
    with pytest.raises(folio.Error) as e:
        s.run(str(path))
    assert "t.lua, a `return` line: optimize: unknown option 'bad'" in str(e.value)
    assert s.eval("rawget(folio, 'script')") is None
    with pytest.raises(folio.Error) as e:
        s.eval("return folio.ExposureOptimizer():optimize { bad = 1 }")
    assert str(e.value).startswith("optimize: unknown option 'bad'")
