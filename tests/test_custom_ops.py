"""Custom ops: one register_op call, and the op works, draws, steps, and is checked like a built-in."""

import math
import re
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import find, given, settings

import engine
from engine import OPS, GradcheckError, Value, draw_dot, format_graph, gradcheck, register_op
from engine.strategies import floats_in_domain, programs


def _smooth_abs_derivative(out, a):
    return (a / out,)


@pytest.fixture
def smooth_abs():
    """sqrt(a^2 + 1): |a| without the kink.  Removed from the table after the test."""
    op = register_op(
        "smooth_abs",
        lambda a: math.sqrt(a * a + 1.0),
        _smooth_abs_derivative,
        "sabs",
        note="d sqrt(a^2+1)/da = a / sqrt(a^2+1)",
    )
    yield op
    del OPS["smooth_abs"]


@pytest.fixture
def wrong_smooth_abs():
    # The classic chain-rule slip: d sqrt(u)/du = 1/(2 sqrt u), forgetting du/da = 2a.
    op = register_op("wrong_smooth_abs", lambda a: math.sqrt(a * a + 1.0), lambda out, a: (0.5 / out,))
    yield op
    del OPS["wrong_smooth_abs"]


@pytest.fixture
def safe_log():
    op = register_op(
        "safe_log",
        math.log,
        lambda out, a: (1.0 / a,),
        check=lambda a: "input must be > 0" if a <= 0 else None,
    )
    yield op
    del OPS["safe_log"]


def test_a_registered_op_is_a_function_of_values_and_numbers(smooth_abs):
    x = Value(0.75, label="x")
    y = smooth_abs(x) * 2
    y.backward()
    assert y.data == 2 * math.sqrt(0.75**2 + 1)
    assert x.grad == pytest.approx(2 * 0.75 / math.sqrt(0.75**2 + 1), rel=1e-15)  # analytic
    assert y._prev[0]._op == "smooth_abs"
    assert smooth_abs(3).data == math.sqrt(10)  # a number becomes a constant leaf
    assert engine.OPS["smooth_abs"] is smooth_abs and engine.apply("smooth_abs", x).data == smooth_abs(x).data


def test_a_registered_op_passes_gradcheck_and_forward_mode(smooth_abs):
    @given(floats_in_domain(smooth_abs))
    def check(args):
        (a,) = args
        assert gradcheck(lambda x: smooth_abs(x), [a])
        _, tangent = engine.jvp(lambda x: smooth_abs(x), [Value(a)], [1.0])
        assert tangent == pytest.approx(a / math.sqrt(a * a + 1), rel=1e-12)

    check()


def test_a_registered_op_shows_in_format_graph_and_draw_dot(smooth_abs):
    x = Value(-1.0, label="x")
    y = smooth_abs(x)
    y.label = "y"
    y.backward()
    text = format_graph(y)
    assert re.search(r"^y = sabs\(x\)\s+=\s+1\.41421", text, re.M), text
    svg = subprocess.run(["dot", "-Tsvg"], input=draw_dot(y).source, capture_output=True, text=True, check=True).stdout
    assert "<text" in svg and ">sabs</text>" in svg


def test_a_registered_op_steps_like_a_builtin(smooth_abs):
    x = Value(-1.0, label="x")
    y = smooth_abs(x)
    y.label = "y"
    step = str(next(engine.backward_steps(y)))
    assert "y = sabs(x)" in step and "d sqrt(a^2+1)/da = a / sqrt(a^2+1)" in step


def test_a_registered_op_with_a_domain_names_the_op_and_the_node(safe_log):
    with pytest.raises(ValueError, match=r"safe_log: input must be > 0, got -2.0 \(node 'x'\)"):
        safe_log(Value(-2.0, label="x"))
    (x,) = find(floats_in_domain(safe_log), lambda args: True)
    assert x > 1e-3  # floats_in_domain reads the op's check


def test_a_wrong_derivative_is_caught_with_the_op_named(wrong_smooth_abs):
    with pytest.raises(GradcheckError) as caught:
        gradcheck(lambda x: wrong_smooth_abs(x), [Value(0.0, label="x")])
    message = str(caught.value)
    assert caught.value.cause == "wrong derivative" and caught.value.op == "wrong_smooth_abs"
    assert "d(output 0)/d(input 0 'x') does not match" in message
    assert "analytical (backward):          0.5" in message
    assert "numerical (central difference): 0.0" in message
    assert "the derivatives rule of op 'wrong_smooth_abs'" in message


def test_hypothesis_finds_a_wrong_derivative_and_shrinks_it_to_one_node(wrong_smooth_abs):
    ops = ["add", "mul", "tanh", "wrong_smooth_abs"]

    def fails(program):
        return not gradcheck(program, program.values(), raise_exception=False)

    p = find(programs(n_inputs=2, ops=ops), fails, settings=settings(max_examples=500, database=None))
    assert [i.op for i in p.instructions] == ["wrong_smooth_abs"]
    assert p.inputs == (0.0, 0.0)


def test_programs_pick_up_a_registered_op_and_its_gradients_pass(smooth_abs):
    @given(programs(n_inputs=2, max_nodes=6, ops=["mul", "sin", smooth_abs]))
    def check(program):
        assert gradcheck(program, program.values())

    check()
    with_it = find(programs(ops=["mul", smooth_abs]), lambda p: any(i.op == "smooth_abs" for i in p.instructions))
    assert "sabs(" not in repr(with_it) and "smooth_abs(x1)" in repr(with_it)  # programs print op names


def test_register_op_refuses_bad_definitions(smooth_abs):
    with pytest.raises(ValueError, match="an op named 'smooth_abs' already exists"):
        register_op("smooth_abs", abs, lambda out, a: (1.0,))
    with pytest.raises(ValueError, match="name must be a Python identifier, got 'smooth abs'"):
        register_op("smooth abs", abs, lambda out, a: (1.0,))
    with pytest.raises(TypeError, match="Op 'f': forward must be a function of floats, got float 1.0"):
        register_op("f", 1.0, lambda out, a: (1.0,))


def test_the_property_testing_demo_finds_the_bug_then_passes_the_fix():
    run = subprocess.run(
        [sys.executable, "-m", "demos.property_testing"],
        cwd=Path(__file__).resolve().parents[1],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    out = run.stdout
    shrunk = out.split("shrank it to:\n\n")[1].split("\n\ngradcheck says:")[0]
    assert re.fullmatch(r"Program\(inputs=\(0\.0, 0\.0\), outputs=\[v2\]\):\n  v2 = smooth_abs\(x[01]\)", shrunk)
    assert "analytical (backward):          0.5" in out
    assert "Likely cause: the derivatives rule of op 'smooth_abs'" in out
    assert out.rstrip().endswith("After the fix: gradcheck passes on 300 random programs using smooth_abs.")
    assert "smooth_abs" not in OPS  # the demo ran in its own process


# --- a custom op that misbehaves is named, never trusted --------------------------------


def test_an_exception_inside_forward_is_re_raised_naming_op_and_inputs():
    with engine.scoped_op("lookup", lambda a: {}[a], lambda out, a: (0.0,)) as lookup:
        with pytest.raises(ValueError, match=r"lookup: its forward raised KeyError: 2.0, for 2.0 \(node 'x'\)") as err:
            lookup(Value(2.0, label="x"))
        assert isinstance(err.value.__cause__, KeyError)
    with engine.scoped_op("broken", lambda a: a + "s", lambda out, a: (0.0,)) as broken:
        with pytest.raises(TypeError, match=r"broken: its forward raised TypeError: .* for 1.0 \(node '1.0'\)"):
            broken(1.0)


def test_an_exception_inside_derivatives_names_op_node_and_inputs():
    with engine.scoped_op("inv", lambda a: 1.0, lambda out, a: (1.0 / a,)) as inv:
        y = inv(Value(0.0, label="x"))
        y.label = "y"
        with pytest.raises(ValueError, match=r"inv: its derivatives raised ZeroDivisionError: .* at node 'y', for 0.0 \(node 'x'\)") as err:  # noqa: E501
            y.backward()
        assert isinstance(err.value.__cause__, ZeroDivisionError)


@pytest.mark.parametrize(
    "derivative, error, message",
    [
        (lambda out, a: 2.0, TypeError, "returned float 2.0; it must return a tuple of 1 float"),
        (lambda out, a: None, TypeError, "returned NoneType None; it must return a tuple"),
        (lambda out, a: (1.0, 2.0), ValueError, "returned 2 value.s. for 1 input"),
        (lambda out, a: (1j,), TypeError, "returned complex 1j for input 0; derivatives must be real numbers"),
        (lambda out, a: (Value(1.0),), TypeError, "returned Value Value.data=1.0.* for input 0"),
        (lambda out, a: (10**400,), ValueError, "the derivative for input 0 is too large for a float"),
    ],
)
def test_a_derivative_of_the_wrong_kind_is_refused(derivative, error, message):
    with engine.scoped_op("odd", lambda a: 2 * a, derivative) as odd:
        x = Value(1.0)
        y = odd(x)
        with pytest.raises(error, match=message):
            y.backward()
        assert x.grad == 0.0  # nothing was added before the refusal


def test_a_derivative_returning_ints_or_a_list_is_accepted_as_floats():
    with engine.scoped_op("twice", lambda a: 2 * a, lambda out, a: [2]) as twice:
        x = Value(1.0)
        y = twice(x)
        y.backward()
        assert (y.data, x.grad) == (2.0, 2.0) and type(x.grad) is float


@pytest.mark.parametrize(
    "result, shown", [("1.5", "str '1.5'"), (1j, "complex 1j"), (None, "NoneType None"), (True, "bool")]
)
def test_a_forward_returning_a_non_number_is_refused(result, shown):
    with engine.scoped_op("bad", lambda a: result, lambda out, a: (1.0,)) as bad:
        with pytest.raises(TypeError, match=f"bad: forward returned {shown}"):
            bad(Value(1.0))


@pytest.mark.parametrize(
    "options, error, message",
    [
        ({"symbol": 123}, TypeError, "symbol must be a non-empty str, got int 123"),
        ({"kinks": "abc"}, TypeError, "kinks must be a tuple of numbers, got str 'abc'"),
        ({"kinks": (0.0, "a")}, TypeError, "kinks must be finite real numbers, got str 'a'"),
        ({"kinks": (math.inf,)}, TypeError, "kinks must be finite real numbers"),
        ({"arity": 0}, ValueError, "arity must be a positive int or None, got int 0"),
        ({"arity": True}, ValueError, "arity must be a positive int or None"),
        ({"check": 1}, TypeError, "check must be a function or None"),
        ({"note": 5}, TypeError, "note must be a str"),
    ],
)
def test_register_op_validates_every_field(options, error, message):
    with pytest.raises(error, match=message):
        register_op("validated", abs, lambda out, a: (1.0,), **options)
    assert "validated" not in OPS
    assert register_op.__module__ == "engine.functions"


def test_kinks_are_kept_as_a_tuple_of_floats():
    with engine.scoped_op("kinked", abs, lambda out, a: (1.0,), kinks=[0, 1]) as op:
        assert op.kinks == (0.0, 1.0)


# --- graphs keep the op they were made with ---------------------------------------------


def test_scoped_op_registers_for_the_block_only_even_when_it_raises():
    with pytest.raises(RuntimeError):
        with engine.scoped_op("temp", lambda a: a, lambda out, a: (1.0,)):
            assert "temp" in OPS
            raise RuntimeError
    assert "temp" not in OPS


def test_deleting_or_re_registering_a_name_never_changes_an_existing_graph():
    with engine.scoped_op("scale", lambda a: 3 * a, lambda out, a: (3.0,)) as scale:
        x = Value(2.0)
        y = scale(x) * x  # d(3x * x)/dx = 6x = 12
    assert "scale" not in OPS
    y.backward()
    assert x.grad == 12.0
    with engine.scoped_op("scale", lambda a: 10 * a, lambda out, a: (10.0,)):
        x.grad = 0.0
        y.backward()  # the graph keeps its own op, not the new one (42.0 before)
        assert x.grad == 12.0
        assert engine.value.rule_of(y._prev[0]) is scale
        assert engine.value.local_derivatives(y._prev[0]) == (3.0,)
