"""gradcheck: it passes right gradients, catches wrong ones, and says why a point cannot be judged."""

import math
import random

import pytest
from hypothesis import given

import engine
from engine import OPS, GradcheckError, Value, apply, assert_gradients_close, gradcheck, gradcheck_module, register_op
from engine.gradcheck import nodes_near_kinks
from engine.strategies import floats_in_domain

BUILTIN_OPS = sorted(name for name, op in OPS.items() if op.smooth)


@pytest.fixture
def registered():
    """Register ops for one test and remove them afterwards."""
    names = []

    def register(name, *args, **kwargs):
        names.append(name)
        return register_op(name, *args, **kwargs)

    yield register
    for name in names:
        OPS.pop(name, None)


# --- every op of the table --------------------------------------------------------------------


@pytest.mark.parametrize("name", BUILTIN_OPS)
def test_every_builtin_op_passes_gradcheck_in_its_domain(name):
    @given(floats_in_domain(name))
    def check(args):
        assert_gradients_close(lambda *xs: apply(name, *xs), list(args))

    check()


@pytest.mark.parametrize("name", BUILTIN_OPS)
def test_every_builtin_op_with_a_wrong_derivative_is_caught(name, registered):
    # The same op with every local derivative d off by 0.5 + |d|/4 (never 0, and beyond rtol
    # when d is large): gradcheck must notice and blame it.
    op = OPS[name]
    broken = registered(
        f"broken_{name}",
        op.forward,
        lambda out, *xs: tuple(d + 0.5 + abs(d) / 4 for d in op.derivatives(out, *xs)),
        arity=op.arity,
        check=op.check,
        kinks=op.kinks,
    )

    @given(floats_in_domain(name))
    def check(args):
        with pytest.raises(GradcheckError) as caught:
            gradcheck(lambda *xs: broken(*xs), list(args))
        assert caught.value.cause == "wrong derivative"
        assert caught.value.op == broken.name
        err = caught.value
        assert err.analytical - err.numerical == pytest.approx(0.5 + abs(err.numerical) / 4, rel=1e-3)

    check()


# --- the numbers in a mismatch ----------------------------------------------------------------


def test_wrong_derivative_message_names_output_input_numbers_and_op(registered):
    cube = registered("cube", lambda a: a**3, lambda out, a: (3 * a,))  # forgot the square
    x, y = Value(2.0, label="x"), Value(0.5, label="y")
    with pytest.raises(GradcheckError) as caught:
        gradcheck(lambda x, y: [x * y, cube(y) + cube(x)], [x, y])
    err = caught.value
    # d(cube(y) + cube(x))/dx: backward gives 3*2 = 6, the true value is 3*2^2 = 12.
    assert (err.output_index, err.input_index) == (1, 0)
    assert err.analytical == 6.0
    assert err.numerical == pytest.approx(12.0, rel=1e-6)
    message = str(err)
    assert "d(output 1)/d(input 0 'x') does not match" in message
    assert "analytical (backward):          6.0" in message
    assert "numerical (central difference): 12.0000" in message
    assert "op 'cube'" in message and "at input(s) 0.5" in message
    assert isinstance(err, RuntimeError)


def test_tolerances_decide_what_counts_as_a_match(registered):
    def nudged(name, by):
        return registered(name, math.sin, lambda out, a: (math.cos(a) + by,))

    close, far = nudged("sin_close", 1e-7), nudged("sin_far", 1e-2)
    assert gradcheck(lambda x: close(x), [0.3])
    assert not gradcheck(lambda x: far(x), [0.3], raise_exception=False)
    assert gradcheck(lambda x: far(x), [0.3], atol=0.02)
    assert gradcheck(lambda x: far(x), [0.3], atol=0.0, rtol=0.02)


def test_numerical_gradient_is_the_central_difference():
    # At x = 0 the central difference of x^3 is ((eps)^3 - (-eps)^3) / 2 eps = eps^2, not the
    # derivative 0, and relu's is (eps - 0) / 2 eps = 1/2, not 0 or 1: the report shows both.
    with pytest.raises(GradcheckError) as caught:
        gradcheck(lambda x: x**3 + x.relu(), [Value(0.0)])
    assert caught.value.numerical == pytest.approx(0.5 + 1e-12, rel=1e-12)
    assert caught.value.analytical == 0.0


def test_inputs_data_and_grads_are_left_as_they_were():
    x, w = Value(0.7, label="x"), Value(-1.3, label="w")
    x.grad, w.grad = 5.0, -2.0
    assert gradcheck(lambda x, w: (x * w).tanh(), [x, w])
    assert (x.data, w.data, x.grad, w.grad) == (0.7, -1.3, 5.0, -2.0)


def test_numbers_become_inputs_and_an_input_may_be_unused():
    assert gradcheck(lambda a, b, c: a * b, [2, -1.5, 4.0])


# --- points where finite differences cannot judge ----------------------------------------------


@pytest.mark.parametrize(
    "f, x, op",
    [
        (lambda x: x.relu(), 0.0, "relu"),
        (lambda x: (x - 1).relu() * 3, 1.0, "relu"),
        (lambda x: x.abs(), 1e-7, "abs"),  # within eps of the kink
        (lambda x: x.leaky_relu(0.1).tanh(), 0.0, "leaky_relu"),
    ],
)
def test_a_point_on_a_kink_is_reported_as_such(f, x, op):
    with pytest.raises(GradcheckError) as caught:
        gradcheck(f, [Value(x, label="x")])
    assert caught.value.cause == "kink"
    assert caught.value.op == op
    message = str(caught.value)
    assert "sits on a kink" in message and "not a bug" in message
    assert OPS[op].note in message


def test_a_point_outside_the_domain_is_reported():
    with pytest.raises(GradcheckError) as caught:
        gradcheck(lambda x: x.log(), [Value(0.0, label="x")])
    assert caught.value.cause == "domain"
    assert "outside an op's domain" in str(caught.value)
    assert "log: input must be > 0, got 0.0 (node 'x')" in str(caught.value)


def test_a_point_at_the_edge_of_a_domain_is_reported():
    with pytest.raises(GradcheckError) as caught:
        gradcheck(lambda x: x.sqrt(), [Value(0.0, label="x")])
    assert caught.value.cause == "domain"
    assert "input 0 'x' - eps" in str(caught.value)
    assert "sqrt: input must be >= 0" in str(caught.value)


def test_pow_with_a_negative_base_checks_with_a_constant_exponent_only():
    # x**3 at x = -2: the exponent is a constant, d/dx = 3x^2 = 12 is checked.
    assert gradcheck(lambda x: x**3, [-2.0])
    # With the exponent an input too, moving it by eps leaves pow's domain.  Its derivative
    # there does not exist: it is NaN (ops.py, as in PyTorch), never a plausible number.
    b, e = Value(-2.0), Value(3.0, label="e")
    (b**e).backward()
    assert b.grad == 12.0 and math.isnan(e.grad)
    with pytest.raises(GradcheckError) as caught:
        gradcheck(lambda b, e: b**e, [b, e])
    assert caught.value.cause == "domain"
    assert "input 1 'e' + eps" in str(caught.value)
    assert "a negative base needs an integer exponent" in str(caught.value)


def test_a_function_that_branches_on_data_is_reported():
    def f(x):
        return x * 2 if x.data > 0 else x * 3

    with pytest.raises(GradcheckError) as caught:
        gradcheck(f, [0.0])
    assert caught.value.cause == "branch"
    assert "different graph" in str(caught.value)


def test_an_infinite_derivative_is_reported_as_not_finite():
    with pytest.raises(GradcheckError) as caught:
        gradcheck(lambda x: (x * x).sqrt(), [0.0])  # sqrt's derivative at 0 is inf, times 0: nan
    assert caught.value.cause == "not finite"
    assert math.isnan(caught.value.analytical)


# --- fast mode, modules, pytest --------------------------------------------------------------


class Counting:
    """A function of Values that counts how often gradcheck evaluates it."""

    def __init__(self, f):
        self.f, self.calls = f, 0

    def __call__(self, *xs):
        self.calls += 1
        return self.f(*xs)


def test_fast_mode_evaluates_twice_instead_of_twice_per_input():
    xs = [Value(0.1 * i - 0.5, label=f"x{i}") for i in range(20)]
    full, fast = Counting(lambda *xs: engine.sum([x.tanh() * x for x in xs])), Counting(None)
    fast.f = full.f
    assert gradcheck(full, xs)
    assert gradcheck(fast, xs, fast_mode=True)
    assert full.calls == 1 + 2 * 20  # once with a graph, then +-eps per input
    assert fast.calls == 1 + 2


def test_fast_mode_catches_a_wrong_derivative_and_names_the_input(registered):
    square = registered("square", lambda a: a * a, lambda out, a: (2 * a if a < 1.5 else a,))  # wrong above 1.5
    xs = [Value(0.2 * i, label=f"x{i}") for i in range(10)]  # only x8 = 1.6 and x9 = 1.8 are wrong
    with pytest.raises(GradcheckError) as caught:
        gradcheck(lambda *xs: engine.sum([square(x) for x in xs]), xs, fast_mode=True)
    assert "input 8 'x8'" in str(caught.value)
    assert caught.value.input_index == 8


def test_gradcheck_module_checks_every_parameter_of_an_mlp():
    from nn import MLP

    for activation in ("relu", "tanh", "sigmoid"):
        model = MLP(3, [4, 4, 2], activation=activation, rng=random.Random(7))
        xs = [0.3, -0.7, 1.1]
        assert not nodes_near_kinks(model(xs), 1e-3)  # else relu's kink would be reported
        assert gradcheck_module(model, xs)
        assert gradcheck_module(model, [Value(x, label=f"x{i}") for i, x in enumerate(xs)], fast_mode=True)


def test_gradcheck_module_names_the_parameter(registered):
    from nn import Module

    bad_exp = registered("bad_exp", math.exp, lambda out, a: (out * a,))

    class Model(Module):
        def __init__(self):
            self.w = [Value(0.5), Value(-0.25)]

        def forward(self, x):
            return self.w[0] * x[0] + bad_exp(self.w[1] * x[0])

    with pytest.raises(GradcheckError) as caught:
        gradcheck_module(Model(), [Value(2.0, label="x")])
    assert "d(output 0)/d(parameter 'w.1')" in str(caught.value)
    assert "op 'bad_exp'" in str(caught.value)


def test_gradcheck_module_takes_any_object_with_parameters():
    class Scale:
        def __init__(self):
            self.w = Value(1.5, label="w")

        def parameters(self):
            return [self.w]

        def __call__(self, xs):
            return [(self.w * x).sigmoid() for x in xs]

    assert gradcheck_module(Scale(), [0.5, -2.0])
    with pytest.raises(TypeError, match="has neither named_parameters"):
        gradcheck_module(lambda xs: xs, [1.0])


def test_assert_gradients_close_raises_assertion_error_with_the_message():
    assert_gradients_close(lambda x: x.exp(), [0.5])
    with pytest.raises(AssertionError, match="sits on a kink"):
        assert_gradients_close(lambda x: x.relu(), [0.0])


# --- bad arguments -----------------------------------------------------------------------------


def test_bad_arguments_are_refused_with_what_was_expected():
    with pytest.raises(TypeError, match=r"gradcheck: inputs\[1\] must be a Value or a number, got str 'a'"):
        gradcheck(lambda x, y: x, [1.0, "a"])
    with pytest.raises(TypeError, match="inputs must be a list of Values or numbers, got a single Value"):
        gradcheck(lambda x: x, Value(1.0))
    with pytest.raises(ValueError, match="needs at least one input"):
        gradcheck(lambda: Value(1.0), [])
    with pytest.raises(TypeError, match="f must be a function of Values, got int 3"):
        gradcheck(3, [1.0])
    with pytest.raises(TypeError, match="f must return a Value or a list of Values, got float 2.0"):
        gradcheck(lambda x: x.data * 2, [1.0])
    with pytest.raises(ValueError, match="eps must be > 0, got 0"):
        gradcheck(lambda x: x, [1.0], eps=0)
    with pytest.raises(ValueError, match="atol must be a finite number >= 0, got -1"):
        gradcheck(lambda x: x, [1.0], atol=-1)


@pytest.mark.parametrize("nothing", [[], (), [[]]])
def test_a_function_with_no_outputs_is_refused_not_passed(nothing):
    # It used to return True: a check that checked nothing.
    with pytest.raises(ValueError, match="f returned no outputs, so there is nothing to check"):
        gradcheck(lambda x: nothing, [1.0])
