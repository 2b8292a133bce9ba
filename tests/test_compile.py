"""engine.compile: the replay gives eager mode's values and grads bit for bit, and refuses what it cannot replay."""

import math
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import engine
import nn
from engine import OPS, BranchChangedError, Value, compile
from engine.compile import FORWARD, LOCAL_DERIVATIVES, _forward_expression, _local_expressions
from engine.strategies import programs


def _eager(fn, leaves, gradient=1.0):
    """fn() run eagerly from zeroed grads: (value, every leaf's grad)."""
    for leaf in leaves:
        leaf.grad = 0.0
    out = fn()
    out = out[0] if isinstance(out, tuple) else out
    out.backward(gradient)
    return out.data, [leaf.grad for leaf in leaves]


def _replayed(compiled, leaves, gradient=1.0):
    for leaf in leaves:
        leaf.grad = 0.0
    out = compiled(gradient)
    out = out[0] if isinstance(out, tuple) else out
    return out, [leaf.grad for leaf in leaves]


# --- the fast paths are the table's rules, bit for bit ------------------------------------


def _random_floats(rng, n):
    specials = [0.0, -0.0, 1.0, -1.0, 1e-300, -2.5, 3.0, 700.0]
    return [rng.choice(specials) if rng.random() < 0.3 else rng.uniform(-5, 5) for _ in range(n)]


@pytest.mark.parametrize("name", sorted(set(FORWARD) | {"sum", "dot"}))
def test_inline_forward_and_derivatives_equal_the_op_table(name):
    op = OPS[name]
    rng = random.Random(name)
    namespace = {"_tanh": math.tanh, "_exp": math.exp}
    for _ in range(300):
        n = op.arity or 2 * rng.randint(1, 4)
        args = _random_floats(rng, n)
        variables = [f"a{i}" for i in range(n)]
        env = dict(namespace, **dict(zip(variables, args)))
        out = eval(_forward_expression(name, variables), env)
        expected = op.forward(*args)
        assert math.copysign(1.0, out) == math.copysign(1.0, expected) and out == expected, (name, args)
        env["out"] = out
        local = [eval(d, env) for d in _local_expressions(name, "out", variables)]
        assert local == list(op.derivatives(out, *args)), (name, args)


def test_every_inline_op_has_both_rules():
    assert set(FORWARD) == set(LOCAL_DERIVATIVES)


# --- same numbers as eager mode ----------------------------------------------------------


def test_a_small_graph_matches_the_analytic_gradient_and_finite_differences():
    a, b = Value(1.5, label="a"), Value(-0.5, label="b")
    f = compile(lambda: (a * b + a).tanh() * b.exp() + (a - b).relu() / b)
    value, (da, db) = _replayed(f, [a, b])
    t = math.tanh(1.5 * -0.5 + 1.5)
    e = math.exp(-0.5)
    assert value == pytest.approx(t * e + 2.0 / -0.5, rel=1e-15)
    assert da == pytest.approx((1 - t * t) * (-0.5 + 1) * e + 1 / -0.5, rel=1e-14)
    assert db == pytest.approx((1 - t * t) * 1.5 * e + t * e + (-1 * -0.5 - 2.0) / 0.25, rel=1e-14)
    eps = 1e-6
    for leaf, grad in ((a, da), (b, db)):
        leaf.data += eps
        up = f()
        leaf.data -= 2 * eps
        down = f()
        leaf.data += eps
        assert (up - down) / (2 * eps) == pytest.approx(grad, rel=1e-6)


def _uses(op, x, y):
    """A small graph around one node of ``op``, with x and y reused."""
    if op.arity == 1:
        return engine.apply(op, x * y) * x
    if op.arity == 2:
        return engine.apply(op, x, y) * y
    return engine.apply(op, x, y, y, x) * x


@pytest.mark.parametrize("name", [name for name, op in OPS.items() if op.smooth])
def test_every_op_in_the_table_replays_bit_for_bit(name):
    x, y = Value(0.7, label="x"), Value(1.3, label="y")
    fn = lambda: _uses(OPS[name], x, y)  # noqa: E731
    compiled = compile(fn)
    for new_x in (0.7, 0.2, 2.5):
        x.data = new_x
        assert _replayed(compiled, [x, y]) == _eager(fn, [x, y])


def test_training_an_mlp_stays_identical_to_eager_for_many_steps():
    rng = random.Random(0)
    points = [[rng.uniform(-1, 1), rng.uniform(-1, 1)] for _ in range(8)]
    labels = [1.0 if x * y > 0 else -1.0 for x, y in points]

    def make():
        nn.manual_seed(3)
        model = nn.MLP(2, [4, 4, 1])
        inputs = [[Value(c) for c in p] for p in points]
        params = model.parameters()

        def loss():
            scores = [model(x) for x in inputs]
            hinge = [(1.0 - y * s).relu() for y, s in zip(labels, scores)]
            return engine.sum(hinge) * (1.0 / len(hinge)) + 1e-4 * engine.dot(params, params), scores

        return model, params, loss

    eager_model, eager_params, eager_loss = make()
    model, params, loss = make()
    step = compile(loss)
    for k in range(15):
        lr = 1.0 - 0.9 * k / 15
        eager_value, eager_scores = eager_loss()
        eager_value.backward()
        value, scores = step()
        assert value == eager_value.data
        assert list(scores) == [s.data for s in eager_scores]
        assert [p.grad for p in params] == [p.grad for p in eager_params]
        for group in (params, eager_params):
            for p in group:
                p.data -= lr * p.grad
                p.grad = 0.0


def test_leaves_accumulate_and_gradient_scales_as_in_backward():
    x = Value(3.0)
    step = compile(lambda: x * x)
    x.grad = 1.0
    assert step(2.0) == 9.0
    assert x.grad == 1.0 + 2.0 * 6.0


def test_shared_nodes_and_repeated_inputs_count_every_edge():
    x = Value(2.0)

    def fn():
        s = x * x
        return s * s + s

    assert _replayed(compile(fn), [x]) == _eager(fn, [x]) == (20.0, [4 * 8.0 + 4.0])


@settings(max_examples=60, deadline=None)
@given(programs(n_inputs=2, max_nodes=8), st.floats(-0.2, 0.2))
def test_random_programs_replay_bit_for_bit(program, shift):
    xs = program.values()

    def fn():
        return engine.sum(program(*xs))

    compiled = compile(fn)
    assert _replayed(compiled, xs) == _eager(fn, xs)
    for x in xs:
        x.data += shift
    try:
        expected = _eager(fn, xs)
    except (ValueError, OverflowError) as err:  # the shift left an op's domain: both refuse alike
        with pytest.raises(type(err)):
            _replayed(compiled, xs)
    else:
        assert _replayed(compiled, xs) == expected


# --- what the replay refuses ------------------------------------------------------------


def test_a_comparison_that_changes_outcome_is_refused_and_a_new_trace_follows_it():
    a, b = Value(2.0, label="a"), Value(1.0, label="b")

    def fn():
        return a * b if a > b else a + b

    step = compile(fn)
    assert len(step.guards) == 1
    a.data = 0.5
    with pytest.raises(BranchChangedError) as info:
        step()
    message = str(info.value)
    assert "node 'a' > node 'b'" in message and "0.5 > 1.0 is False" in message and "compile(fn) again" in message
    assert compile(fn)() == 1.5


def test_max_over_values_is_guarded():
    xs = [Value(v) for v in (1.0, 3.0, 2.0)]
    step = compile(lambda: max(xs) * 2)
    assert step() == 6.0
    xs[0].data = 5.0
    with pytest.raises(BranchChangedError):
        step()


def test_a_value_outside_an_op_domain_raises_the_engines_own_error():
    x = Value(2.0, label="x")
    step = compile(lambda: x.log() + x / (x - 1.0))
    x.data = -1.0
    with pytest.raises(ValueError, match=r"log: input must be > 0, got -1.0 \(node 'x'\)"):
        step()
    x.data = 1.0
    with pytest.raises(ValueError, match="div: division by zero"):
        step()


def test_detect_anomaly_runs_the_nodes_eagerly():
    x = Value(1.0, label="x")
    step = compile(lambda: x * 1e308 * 10.0)
    assert step() == math.inf  # without detect_anomaly, inf goes through as in eager mode
    with engine.detect_anomaly(), pytest.raises(engine.AnomalyError, match="mul produced inf"):
        step()


def test_bad_functions_are_refused_with_what_was_expected():
    with pytest.raises(TypeError, match="compile: expected a function of no arguments"):
        compile(Value(1.0))
    with pytest.raises(TypeError, match="must return a Value .* got float 2.0"):
        compile(lambda: 2.0)
    with pytest.raises(ValueError, match="returned a leaf"):
        with engine.no_grad():
            x = Value(1.0)
            compile(lambda: x * 2)
    with pytest.raises(TypeError, match="extras must be Values, got str"):
        compile(lambda: (Value(1.0) * 2, ["score"]))


def test_source_and_repr_read_like_the_graph():
    w = Value(2.0, label="w")
    step = compile(lambda: (w * 3.0).relu())
    assert "v2 = v0 * v1" in step.source and "g0 += v1 * g2" in step.source
    assert repr(step) == "CompiledGraph(4 nodes, 2 leaves, 0 guard(s), output 6.0 when traced)"
