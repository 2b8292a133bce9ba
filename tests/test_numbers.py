"""Numbers in and out of a Value: the number protocol, the read hook, bad arguments, and
numerics at the edges against PyTorch float64."""

import math
from fractions import Fraction

import pytest

import engine
from engine import Value, apply
from engine.value import Read, record_reads

# --- Python's number protocol ----------------------------------------------------------


def test_the_number_protocol_reads_data():
    v = Value(-2.675, label="v")
    assert float(v) == -2.675 and int(v) == -2 and round(v) == -3 and round(v, 2) == round(-2.675, 2)
    assert (math.floor(v), math.ceil(v), math.trunc(v)) == (-3, -2, -2)
    assert format(v, ".1f") == "-2.7" and f"{v:+.3e}" == "-2.675e+00"
    assert f"{v}" == str(v) == "Value(data=-2.675, grad=0.0, label='v')"
    assert v.item() == -2.675


def test_bool_is_data_not_zero_and_equality_stays_identity():
    assert bool(Value(0.5)) and not bool(Value(0.0)) and not bool(Value(-0.0)) and bool(Value(math.nan))
    a, b = Value(1.0), Value(1.0)
    assert a != b and a == a and len({a, b}) == 2


def test_record_reads_sees_every_kind_of_read_and_nests():
    x, y = Value(2.5, label="x"), Value(1.0)
    with record_reads() as outer:
        x.data  # noqa: B018 - the read is the point
        x.item()
        float(x)
        with record_reads() as inner:
            int(x)
            round(x, 1)
        bool(x)
        math.floor(x), math.ceil(x), math.trunc(x)
        format(x, ".1f")
        x < y  # noqa: B015
        x >= 2  # noqa: B015
        round(x)
    kinds = [r.kind for r in outer]
    assert kinds == ["data", "item", "float", "int", "round", "bool", "floor", "ceil", "trunc",
                     "format", "compare", "compare", "round"]  # fmt: skip
    assert [r.kind for r in inner] == ["int", "round"]
    assert outer[10] == Read("compare", x, False, ("<", y)) and outer[11] == Read("compare", x, True, (">=", 2.0))
    assert all(r.node is x for r in outer)


def test_the_engine_itself_never_shows_up_in_the_record():
    x = Value(0.5)
    with record_reads() as reads:
        y = engine.sum([(x * 2).tanh(), x.relu(), engine.max([x, 1.0]), engine.take([x, x * 3], 1)])
        y.backward()
        engine.topological_order(y)
    assert reads == []


# --- bad numbers are refused, naming what was given -------------------------------------


def test_numbers_beyond_float_range_are_a_value_error_naming_the_argument():
    with pytest.raises(ValueError, match=r"Value: data is too large for a float .* an int of 401 digits"):
        Value(10**400)
    with pytest.raises(ValueError, match="add: the number is too large for a float"):
        Value(1.0) + 10**400
    with pytest.raises(ValueError, match="mul: the number is too large"):
        10**400 * Value(1.0)
    y = Value(2.0) * 3
    with pytest.raises(ValueError, match="backward: gradient is too large for a float"):
        y.backward(10**400)
    with pytest.raises(ValueError, match="Value.data is too large"):
        y.data = Fraction(10**400)
    assert Value(Fraction(1, 4)).data == 0.25


@pytest.mark.parametrize("bad", ["1", 1j, None, True, b"1", Value(1.0)])
def test_data_set_later_must_be_a_real_number(bad):
    v = Value(1.0)
    with pytest.raises(TypeError, match="Value.data must be a real number"):
        v.data = bad
    assert v.data == 1.0


def test_sum_dot_take_max_refuse_strings_bytes_and_non_sequences():
    for make in (engine.sum, engine.max):
        for bad in (b"ab", "ab", 3.0, Value(1.0)):
            with pytest.raises(TypeError, match="must be a list or tuple of Values or numbers, got"):
                make(bad)
    with pytest.raises(TypeError, match="dot: weights must be a list"):
        engine.dot(b"ab", [1.0, 2.0])
    with pytest.raises(TypeError, match=r"sum: values must be Values or real numbers, got complex 1j"):
        engine.sum([1.0, 1j])


def test_apply_refuses_numbers_and_none_as_inputs_clearly():
    with pytest.raises(TypeError, match=r"apply: tanh's inputs must be Values, got float 1.0 as input 0"):
        apply("tanh", 1.0)
    with pytest.raises(TypeError, match=r"apply: add's inputs must be Values, got NoneType None as input 1"):
        apply("add", Value(1.0), None)
    with pytest.raises(TypeError, match="apply: op must be an Op or the name of one"):
        apply(3, Value(1.0))


# --- numerics at the edges, against PyTorch float64 --------------------------------------


def torch_value_and_grads(f, *xs):
    torch = pytest.importorskip("torch")  # installed with the test extra: these compare with it
    ts = [torch.tensor(x, dtype=torch.float64, requires_grad=True) for x in xs]
    out = f(*ts)
    out.backward()
    return out.item(), [t.grad.item() for t in ts]


def ours(f, *xs):
    vs = [Value(x) for x in xs]
    out = f(*vs)
    out.backward()
    return out.data, [v.grad for v in vs]


def same(a, b):
    return a == b or (math.isnan(a) and math.isnan(b))


EDGES = {  # name: (our function, torch's, inputs); torch's None means the same code runs on tensors
    "0 ** 0.5": (lambda b, e: b**e, None, (0.0, 0.5)),
    "5e-324 ** 0.01": (lambda b, e: b**e, None, (5e-324, 0.01)),
    "relu(nan)": (lambda a: a.relu(), None, (math.nan,)),
    "sqrt(-0.0)": (lambda a: a.sqrt(), None, (-0.0,)),
    "sqrt(0.0)": (lambda a: a.sqrt(), None, (0.0,)),
    "leaky_relu(nan)": (lambda a: a.leaky_relu(0.1), "leaky_relu", (math.nan,)),
    "abs(nan)": (lambda a: abs(a), None, (math.nan,)),
    "tanh(nan)": (lambda a: a.tanh(), None, (math.nan,)),
}


@pytest.mark.parametrize("name", EDGES)
def test_edges_follow_torch_float64(name):
    f, torch_f, xs = EDGES[name]
    if torch_f == "leaky_relu":
        torch_f = lambda t: __import__("torch").nn.functional.leaky_relu(t, 0.1)  # noqa: E731
    expected = torch_value_and_grads(torch_f or f, *xs)
    value, grads = ours(f, *xs)
    assert same(value, expected[0]), (name, value, expected)
    assert all(same(g, e) for g, e in zip(grads, expected[1])), (name, grads, expected)


def test_sqrt_of_minus_zero_has_slope_minus_infinity():
    x = Value(-0.0)
    x.sqrt().backward()
    assert x.grad == -math.inf


def test_nan_propagates_through_relu_and_a_hinge_loss():
    score = Value(math.nan)
    loss = (1.0 - 1.0 * score).relu()
    loss.backward()
    assert math.isnan(loss.data) and score.grad == -1.0  # torch: relu slope 1 at nan
