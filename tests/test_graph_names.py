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
    with pytest.raises(ValueError, match="format_number: x is too large for a float, got an int of 401 digits"):
        format_number(10**400)
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


def test_an_unlabelled_node_has_its_view_name_even_when_an_error_names_it_first():
    a = Value(-3.0)
    b = a * 1.0  # never printed or drawn before the error
    with pytest.raises(ValueError, match=r"\(node 't1'\)"):
        b.log()
    assert format_graph(b * 2).splitlines()[0].startswith("t1 = (-3.0) * 1.0")
    with engine.detect_anomaly():
        c = (Value(0.0) * 1.0) ** 0.5
        with pytest.raises(engine.AnomalyError, match=r"pow node 't2' .* gave input 0 't1'"):
            c.backward()
    assert [line.split(" =")[0] for line in format_graph(c).splitlines()] == ["t1", "t2"]


@pytest.mark.parametrize("x", [1234567.0, 12345678.0, -0.000123456789, 2 / 3, 1e300, 5.0])
def test_an_unlabelled_leaf_is_written_as_format_graph_writes_it(x):
    leaf = Value(x)
    assert engine.value.node_name(leaf) == node_names(leaf * 2)[leaf] == format_number(x)


def test_view_tools_refuse_numbers_beyond_float_range_and_non_value_seeds_by_name():
    from engine.forward_mode import jvp, tangents
    from engine.strategies import programs, values

    x = Value(2.0, label="x")
    y = x * x
    with pytest.raises(TypeError, match=r"tangents: seeds' keys must be input Values, got int 1"):
        tangents(y, {1: 2.0})
    with pytest.raises(ValueError, match=r"seeds\['x'\] is too large for a float"):
        tangents(y, {x: 10**400})
    with pytest.raises(ValueError, match=r"directions\[0\] is too large for a float"):
        jvp(lambda v: v * v, [x], [10**400])
    for option in ("eps", "atol", "rtol"):
        for bad in (10**400, math.inf):
            with pytest.raises(ValueError, match=rf"gradcheck: {option} must be a finite number >= 0"):
                gradcheck(lambda v: v * v, [Value(1.0)], **{option: bad})
    for option in ("min_value", "max_value"):
        with pytest.raises(ValueError, match=rf"{option} must be a finite float"):
            values(**{option: 10**400}).example()
    for option in ("n_inputs", "max_nodes"):
        with pytest.raises(ValueError, match=rf"programs: {option} must be an int from 1 to 10000"):
            programs(**{option: 10**400})


def test_backward_through_a_custom_op_names_no_node_unless_it_raises():
    # Naming an unnamed node walks its graph; done on every node, a backward would be quadratic.
    with engine.scoped_op("twice", lambda a: 2 * a, lambda out, a: [2]) as twice:  # a list of ints: checked
        x = Value(1.0, label="x")
        y = x
        for _ in range(5):
            y = twice(y) * 1.0
        y.backward()
        assert x.grad == 32.0
        assert not any(node._name for node in engine.topological_order(y))


def test_op_call_and_node_names_refuse_what_is_not_names_or_nodes():
    with pytest.raises(TypeError, match=r"op_call: arg_names must be a list of str, got bytes"):
        op_call("mul", b"ab")
    with pytest.raises(TypeError, match=r"op_call: arg_names must hold str, got int 1"):
        op_call("mul", [1, "b"])
    for bad in ("x", b"x", [Value(1.0), 2.0], 3):
        with pytest.raises(TypeError, match=r"node_names: root must be a Value or a topological order of Values"):
            node_names(bad)
