"""engine.compile attacked with code a user would write: every call equals eager mode bit for bit, or refuses."""


import math

import pytest

import engine
from engine import Value, compile, no_grad


def _bits(x):
    return float(x).hex()


def _eager_then_compiled(fn, leaves, calls, **compile_options):
    """For each call: (eager value and leaf grads, compiled value and leaf grads) as bit patterns."""
    step = compile(fn, **compile_options)
    for args in calls:
        for leaf in leaves:
            leaf.grad = 0.0
        out = fn(*args)
        loss = out[0] if isinstance(out, tuple) else out
        loss.backward()
        eager = [_bits(loss.data), *[_bits(leaf.grad) for leaf in leaves]]
        if isinstance(out, tuple):
            extras = out[1] if isinstance(out[1], list) else [out[1]]
            eager += [_bits(e.data) for e in extras]
        for leaf in leaves:
            leaf.grad = 0.0
        got = step(*args)
        loss = got[0] if isinstance(got, tuple) else got
        compiled = [_bits(loss), *[_bits(leaf.grad) for leaf in leaves]]
        if isinstance(got, tuple):
            compiled += [_bits(e) for e in (got[1] if isinstance(got[1], tuple) else [got[1]])]
        assert compiled == eager, args
    return step


# --- ints mixed with floats: the int answers as int does -----------------------------------


@pytest.mark.parametrize("use", [
    lambda i: i + 0.5, lambda i: 0.5 * i, lambda i: 2.5 - i, lambda i: 1.5 ** i, lambda i: i / 2,
    lambda i: divmod(i, 1.5)[1], lambda i: float(i == 1.0), lambda i: float(i < 1.5), lambda i: i % 0.75,
])
def test_a_traced_int_in_float_arithmetic_gives_what_the_int_gives(use):
    w = Value(0.5)
    step = _eager_then_compiled(lambda i: w * use(i), [w], [(k,) for k in (0, 1, 2, 1, 3, 0)])
    assert step.stats().traces == 4  # a guard per value of i: 0, 1, 2, 3


# --- extras ----------------------------------------------------------------------------------


def test_extras_need_not_be_behind_the_loss():
    w, b = Value(0.7), Value(-0.3)
    _eager_then_compiled(lambda x: (w * x, b * 2.0), [w, b], [(1.0,), (2.0,), (-3.0,)])
    _eager_then_compiled(lambda x: (w * x, [b, w * b]), [w, b], [(1.0,), (2.0,)])


# --- no_grad() around the call: eager builds no graph, so no grad moves ----------------------


def test_a_call_inside_no_grad_adds_no_grad_even_when_a_trace_exists():
    w = Value(0.7)
    step = compile(lambda x: (w * x, [w * 2.0]))
    step(2.0)
    w.grad = 0.0
    with no_grad():
        assert step(3.0) == ((w * 3.0).data, ((w * 2.0).data,))
        assert compile(lambda x: w * x)(3.0) == (w * 3.0).data
    assert w.grad == 0.0
    assert step.stats().hits == 0


# --- float arguments compare like the floats fn was written for --------------------------


def test_a_float_label_compared_with_eq_takes_the_floats_branch():
    w, b = Value(0.7), Value(-0.3)

    def bce_like(x, y):
        p = (w * x + b).tanh()
        return -p if y == 1.0 else (p if y != 0.5 else p * p)

    calls = [(0.5, 1.0), (0.5, 0.0), (2.0, 1.0), (1.0, 0.5), (-1.0, 0.0), (3.0, 1)]
    step = _eager_then_compiled(bce_like, [w, b], calls)
    assert step.stats().traces == 4  # one per branch, and the int label is another shape
    _eager_then_compiled(lambda x: w * (2.0 if x in (0.0, 1.0) else 3.0), [w], [(0.0,), (1.0,), (2.0,), (1.0,)])
    odd = [(1.0,), (math.nan,), (math.inf,)]
    _eager_then_compiled(lambda x: w * x if x == 10**400 or x != x else w * 2.0, [w], odd)
    _eager_then_compiled(lambda x, y: w * x if x == y else w * y, [w], [(1.0, 1.0), (1.0, 2.0), (3.0, 3.0), (2.0, 1.0)])


# --- a Value argument that fn also reaches through its closure ----------------------------


def test_a_parameter_passed_as_the_argument_it_multiplies_gets_both_grads():
    w, b = Value(0.7, label="w"), Value(-0.3, label="b")
    fresh = [Value(2.0), w, Value(3.0), b, w, Value(-1.0)]
    _eager_then_compiled(lambda x: w * x + b, [w, b, *fresh], [(x,) for x in fresh])
    _eager_then_compiled(lambda x: w * x + b, [w, b, *fresh], [(x,) for x in reversed(fresh)])
    _eager_then_compiled(lambda x, y: w * x * y, [w, b], [(w, b), (b, w), (w, w), (b, b), (b, w)])


# --- randomness --------------------------------------------------------------------------------


def test_a_function_that_draws_from_the_random_module_is_never_replayed():
    import random

    w = Value(0.5)

    def noisy(x):
        return w * x * random.random()

    step = compile(noisy)
    for x in (1.0, 2.0, 3.0):
        random.seed(7)
        w.grad = 0.0
        expected = noisy(x)
        expected.backward()
        eager = (_bits(expected.data), _bits(w.grad))
        random.seed(7)
        w.grad = 0.0
        assert (_bits(step(x)), _bits(w.grad)) == eager
    assert step.stats().hits == 0 and step.stats().cached == 0


def test_check_mode_catches_a_dropout_mask_and_an_eval_switch():
    import nn

    model = nn.Sequential(nn.Linear(3, 4), nn.Dropout(0.5), nn.Linear(4, 1))
    def loss(x):
        out = model(x)
        return out[0] if isinstance(out, list) else out

    step = compile(loss, check=True)
    with pytest.raises(engine.CompileCheckError, match="compiled call but"):
        for _ in range(20):  # the traced mask, then another one drawn by the eager run
            step([1.0, 2.0, 3.0])
