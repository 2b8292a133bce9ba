"""engine.text: one name per node in every view and message, one number format, one way to write an op call."""

import math
import re

import pytest

import engine
from engine import OPS, Value, draw_dot, format_graph, gradcheck
from engine.text import expression, format_number, node_names, op_call, visible


def test_a_node_has_one_name_in_the_text_the_picture_and_the_errors():
    x = Value(3.0, label="x")
    y = x * 2 - 10  # t1 = x * 2.0, t2 = t1 - 10.0 = -4.0
    text = format_graph(y)
    assert text.splitlines()[-1].startswith("t2 = t1 - 10.0")
    source = draw_dot(y).source
    assert '"{ t1 | data 6.0 | grad 0.0 }"' in source and '"{ t2 | data -4.0 | grad 0.0 }"' in source
    with pytest.raises(ValueError, match=r"\(node 't2'\)"):
        y.log()
    # Drawn first, printed later: the same names.
    z = (Value(1.0, label="a") * 3).exp()
    assert "{ t2 |" in draw_dot(z).source
    assert format_graph(z).splitlines()[-1].startswith("t2 = exp(t1)")


def test_gradcheck_names_the_node_as_format_graph_does():
    x = Value(0.0, label="x")
    f = lambda x: (x * 2).relu()  # noqa: E731
    with pytest.raises(engine.GradcheckError, match=r"the relu node 't2' has the input 0\.0"):
        gradcheck(f, [x])
    assert format_graph(f(x)).splitlines()[-1].startswith("t2 = relu(t1)")


@pytest.mark.parametrize(
    ("x", "sig", "text"),
    [
        (2.0, 6, "2.0"),
        (-3.0, 6, "-3.0"),
        (0.1 + 0.2, 6, "0.3"),
        (2 / 3, 6, "0.666667"),
        (2 / 3, 2, "0.67"),
        (123456789.0, 4, "1.235e+08"),
        (1e-7, 6, "1e-07"),
        (math.inf, 6, "inf"),
        (-math.inf, 6, "-inf"),
        (math.nan, 6, "nan"),
        (5, 6, "5.0"),
    ],
)
def test_format_number_writes_significant_figures_and_always_a_float(x, sig, text):
    assert format_number(x, sig) == text
    if math.isfinite(x):
        assert float(text) == pytest.approx(x, rel=10 ** (1 - sig))


def test_format_number_refuses_what_is_not_a_number_or_a_count_of_figures():
    with pytest.raises(TypeError, match="format_number: x must be a real number, got str '1'"):
        format_number("1")
    with pytest.raises(TypeError, match="format_number: sig must be an int"):
        format_number(1.0, 2.5)
    with pytest.raises(ValueError, match="format_number: sig must be from 1 to 17 significant figures, got 0"):
        format_number(1.0, 0)


@pytest.mark.parametrize("name", sorted(OPS))
def test_op_call_writes_every_op_of_the_table(name):
    op = OPS[name]
    n = 4 if op.arity is None else op.arity
    args = [f"a{i}" for i in range(n)]
    text = op_call(op, args)
    if op.is_infix:
        assert text == f"a0 {op.symbol} a1"
    elif name == "dot":
        assert text == "dot([a0, a1], [a2, a3])"
    elif n == 1 and not op.symbol.isidentifier():
        assert text == f"{op.symbol}a0"
    else:
        assert text == f"{op.symbol}({', '.join(args)})"
    assert op_call(name, args) == text  # by name or by Op


def test_op_call_shortens_long_calls_and_brackets_negative_operands():
    args = [f"x{i}" for i in range(10)]
    assert op_call("sum", args) == "sum(x0, x1, x2, x3, ... 5 more, x9)"
    assert op_call("sum", args, full=True) == f"sum({', '.join(args)})"
    assert op_call("mul", ["t1", "-4.0"]) == "t1 * (-4.0)"
    assert op_call("neg", ["-2.0"]) == "-(-2.0)"
    assert op_call("exp", ["-2.0"]) == "exp(-2.0)"
    assert op_call("ReLU", ["n"]) == "ReLU(n)"
    with pytest.raises(TypeError, match="op_call: op must be an op name or an Op, got int 3"):
        op_call(3, ["a"])


def test_expression_uses_the_op_that_made_the_node():
    a, b = Value(1.0, label="a"), Value(2.0, label="b")
    names = {a: "a", b: "b"}
    assert expression(a * b, names) == "a * b"
    assert expression(engine.dot([a], [b]), names) == "dot([a], [b])"


def test_visible_keeps_printable_text_and_escapes_the_rest():
    assert visible("&#x1F600; é 😀 <b>") == "&#x1F600; é 😀 <b>"
    assert visible("\x00\x1b\x7f\ud800\n") == "\\x00\\x1b\\x7f\\ud800\\n"
    assert visible("x" * 10, limit=4) == "xxx…"
    assert visible("abc", limit=3) == "abc"
    with pytest.raises(TypeError, match="visible: text must be a str, got int 5"):
        visible(5)


def test_node_names_are_unique_and_printable():
    a1 = Value(1.0, label="a")
    a2 = Value(2.0, label="a")
    odd = Value(3.0, label="tab\there")
    y = a1 + a2 + odd
    names = node_names(y)
    assert [names[n] for n in (a1, a2, odd)] == ["a", "a#2", "tab\\there"]
    assert len(set(names.values())) == len(names)
    assert all(re.fullmatch(r"\S(.*\S)?", name) for name in names.values())
