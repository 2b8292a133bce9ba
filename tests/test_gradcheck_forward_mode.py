"""Forward mode (jvp, tangents): directional derivatives from the op table, against closed forms."""

import math

import pytest

from engine import Value, jvp, tangents


def test_jvp_of_a_product_is_the_product_rule():
    x, y = Value(2.0), Value(3.0)
    out, d = jvp(lambda x, y: x * y, [x, y], [0.5, -1.0])
    assert out.data == 6.0
    assert d == 0.5 * 3.0 + -1.0 * 2.0  # y dx + x dy


def test_jvp_counts_a_reused_node_once_per_edge():
    x = Value(1.5)
    _, d = jvp(lambda x: x * x * x, [x], [1.0])
    assert d == pytest.approx(3 * 1.5**2, rel=1e-15)


def test_jvp_through_a_shared_subexpression_matches_the_closed_form():
    def f(x):
        t = x.tanh()
        return t * t + t.exp()

    x = 0.3
    t = math.tanh(x)
    expected = (2 * t + math.exp(t)) * (1 - t * t)
    _, d = jvp(f, [Value(x)], [1.0])
    assert d == pytest.approx(expected, rel=1e-14)


def test_jvp_of_several_outputs_returns_a_list():
    a = Value(1.0)
    outs, ds = jvp(lambda a: [a.exp(), -a, a.sin()], [a], [2.0])
    assert [o.data for o in outs] == [math.e, -1.0, math.sin(1.0)]
    assert ds == [2 * math.e, -2.0, 2 * math.cos(1.0)]


def test_an_input_given_twice_moves_twice():
    x = Value(2.0)
    _, d = jvp(lambda a, b: a * 3 + b, [x, x], [1.0, 1.0])
    assert d == 8.0  # f(x) = 4x moved by 2 units of direction


def test_tangents_gives_every_node_and_leaves_grads_alone():
    x, w = Value(0.5, label="x"), Value(-2.0, label="w")
    z = w * x
    y = z.sigmoid()
    t = tangents(y, {x: 1.0})
    s = 1 / (1 + math.exp(1.0))
    assert (t[x], t[w], t[z]) == (1.0, 0.0, -2.0)
    assert t[y] == pytest.approx(-2.0 * s * (1 - s), rel=1e-14)
    assert x.grad == w.grad == 0.0


def test_jvp_refuses_bad_arguments():
    with pytest.raises(ValueError, match="needs one direction per input, got 2 inputs and 1 directions"):
        jvp(lambda a, b: a * b, [Value(1.0), Value(2.0)], [1.0])
    with pytest.raises(TypeError, match=r"jvp: inputs\[0\] must be a Value, got float 1.0"):
        jvp(lambda a: a, [1.0], [1.0])
    with pytest.raises(TypeError, match="tangents: outputs must be Values, got int 3"):
        tangents([3], {})


def test_forward_mode_refuses_bad_seeds_and_directions_by_name():
    import pytest

    from engine import Value, jvp, tangents

    x = Value(1.0, label="x")
    y = x.exp()
    with pytest.raises(TypeError, match=r"tangents: seeds must map input Values to their tangents.*got NoneType None"):
        tangents(y, None)
    with pytest.raises(TypeError, match=r"forward mode: seeds\['x'\] must be a real number, got str '1'"):
        tangents(y, {x: "1"})
    with pytest.raises(TypeError, match=r"forward mode: directions\[1\] must be a real number, got complex"):
        jvp(lambda a, b: a * b, [x, Value(2.0)], [1.0, 1j])
