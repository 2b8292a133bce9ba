"""engine.compile: a replay gives eager mode's values and grads bit for bit, or it retraces; it never lies."""

import linecache
import math
import operator
import random
import threading

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import engine
import nn
from engine import OPS, CompileCheckError, Value, compile
from engine.compile.guards import same
from engine.compile.tape import FAST_FORWARD, RAISING_ROWS
from engine.strategies import programs


def _eager(fn, leaves, *args, **kwargs):
    """fn(*args) run eagerly from zeroed grads: (value, every leaf's grad)."""
    for leaf in leaves:
        leaf.grad = 0.0
    out = fn(*args, **kwargs)
    out = out[0] if isinstance(out, tuple) else out
    out.backward()
    return out.data, [leaf.grad for leaf in leaves]


def _compiled(step, leaves, *args, **kwargs):
    for leaf in leaves:
        leaf.grad = 0.0
    out = step(*args, **kwargs)
    out = out[0] if isinstance(out, tuple) else out
    return out, [leaf.grad for leaf in leaves]


def _bits(pair):
    """(value, grads) as exact bit patterns, so 0.0 and -0.0 (and NaNs) compare as the floats they are."""
    value, grads = pair
    return [float(value).hex(), *[float(g).hex() for g in grads]]


# --- the fast paths are the table's rules, bit for bit ------------------------------------


def _random_floats(rng, n):
    specials = [0.0, -0.0, 1.0, -1.0, 1e-300, -2.5, 3.0, 700.0, 1e308]
    return [rng.choice(specials) if rng.random() < 0.3 else rng.uniform(-5, 5) for _ in range(n)]


@pytest.mark.parametrize("name", sorted(FAST_FORWARD))
def test_each_fast_forward_is_its_rows_forward_bit_for_bit(name):
    op, fast = OPS[name], FAST_FORWARD[name]
    rng = random.Random(name)
    for _ in range(2000):
        args = _random_floats(rng, op.arity)
        try:
            expected = op.forward(*args)
        except (OverflowError, ValueError) as err:
            with pytest.raises(type(err)):
                fast(*args)
            continue
        assert same(fast(*args), expected), (name, args)


@pytest.mark.parametrize("name", sorted(RAISING_ROWS - {"dot"}))
def test_a_built_in_row_raises_wherever_its_check_refuses(name):
    # The replay calls these rows bare; the error sends the call to the eager run, which explains it.
    op = OPS[name]
    rng = random.Random(name)
    refused = 0
    for _ in range(3000):
        args = [rng.choice([0.0, -0.0, -1.0, -8.0, 2.0, 0.5, -0.5, 1 / 3]) for _ in range(op.arity)]
        if op.check(*args):
            refused += 1
            with pytest.raises((ValueError, ArithmeticError)):
                op.forward(*args)
    assert refused > 0


# --- same numbers as eager mode ----------------------------------------------------------


def test_a_small_graph_matches_the_analytic_gradient_and_finite_differences():
    a, b = Value(1.5, label="a"), Value(-0.5, label="b")
    f = compile(lambda: (a * b + a).tanh() * b.exp() + (a - b).relu() / b)
    f()
    value, (da, db) = _compiled(f, [a, b])
    assert f.stats().hits == 1
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
    if op.name == "take":
        return engine.apply(op, x, y, x * y, Value(2.0)) * x
    if op.arity == 1:
        return engine.apply(op, x * y) * x
    if op.arity == 2:
        return engine.apply(op, x, y) * y
    return engine.apply(op, x, y, y, x) * x


@pytest.mark.parametrize("name", list(OPS))
def test_every_op_in_the_table_replays_bit_for_bit_on_new_data(name):
    y = Value(1.3, label="y")
    fn = lambda x: _uses(OPS[name], x, y)  # noqa: E731
    step = compile(fn)
    for new_x in (0.7, 0.2, 2.5, 0.7):
        x = Value(new_x, label="x")
        assert _bits(_compiled(step, [x, y], x)) == _bits(_eager(fn, [x, y], x))
    assert step.stats().traces == 1 and step.stats().hits == 3


def test_training_an_mlp_on_changing_mini_batches_stays_identical_to_eager():
    rng = random.Random(0)
    points = [[rng.uniform(-1, 1), rng.uniform(-1, 1)] for _ in range(40)]
    labels = [1.0 if x * y > 0 else -1.0 for x, y in points]

    def make():
        nn.manual_seed(3)
        model = nn.MLP(2, [4, 4, 1])
        params = model.parameters()

        def loss(batch, targets):
            scores = [model(x) for x in batch]
            hinge = [(1.0 - y * s).relu() for y, s in zip(targets, scores)]
            return engine.sum(hinge) * (1.0 / len(hinge)) + 1e-4 * engine.dot(params, params), scores

        return params, loss

    eager_params, eager_loss = make()
    params, loss = make()
    step = compile(loss)
    for k in range(15):
        batch = [points[(8 * k + i) % 40] for i in range(8)]
        targets = [labels[(8 * k + i) % 40] for i in range(8)]
        eager_value, eager_scores = eager_loss(batch, targets)
        eager_value.backward()
        value, scores = step(batch, targets)
        assert value == eager_value.data
        assert list(scores) == [s.data for s in eager_scores]
        assert [p.grad for p in params] == [p.grad for p in eager_params]
        for group in (params, eager_params):
            for p in group:
                p.data -= 0.5 * p.grad
                p.grad = 0.0
    assert step.stats().traces == 1 and step.stats().hits == 14


def test_leaves_accumulate_as_in_backward():
    x = Value(3.0)
    step = compile(lambda: x * x)
    step()
    assert x.grad == 6.0
    step()
    assert x.grad == 12.0 and step.stats().hits == 1


def test_shared_nodes_and_repeated_inputs_count_every_edge():
    x = Value(2.0)

    def fn():
        s = x * x
        return s * s + s

    step = compile(fn)
    step()
    assert _compiled(step, [x]) == _eager(fn, [x]) == (20.0, [4 * 8.0 + 4.0])


@settings(max_examples=60, deadline=None)
@given(programs(n_inputs=2, max_nodes=8), st.lists(st.floats(-0.3, 0.3), min_size=3, max_size=3))
def test_random_programs_with_random_data_replay_bit_for_bit(program, shifts):
    def fn(x0, x1):
        return engine.sum(program(x0, x1))

    step = compile(fn)
    drawn = program.inputs
    for shift in [0.0, *shifts]:
        xs = [Value(v + shift) for v in drawn]
        try:
            expected = _eager(fn, xs, *xs)
        except (ValueError, OverflowError) as err:  # the shift left an op's domain: both refuse alike
            with pytest.raises(type(err)):
                _compiled(step, xs, *xs)
        else:
            assert _bits(_compiled(step, xs, *xs)) == _bits(expected)


# --- arguments are the data --------------------------------------------------------------


def test_float_arguments_are_graph_inputs_and_a_new_batch_is_not_the_old_one():
    w = Value(0.5, label="w")
    fn = lambda xs: engine.sum([(w * x - 1.0) ** 2 for x in xs])  # noqa: E731
    step = compile(fn)
    for batch in ([1.0, 2.0, 3.0], [10.0, -4.0, 7.0], [0.0, 0.0, 1.0]):
        assert _compiled(step, [w], batch) == _eager(fn, [w], batch)
    assert step.stats().traces == 1
    longer = [1.0, 2.0, 3.0, 4.0]  # a new shape: a new trace, not the old graph
    assert _compiled(step, [w], longer) == _eager(fn, [w], longer)
    assert step.stats().traces == 2


def test_value_arguments_receive_their_grads_and_aliasing_is_part_of_the_shape():
    fn = lambda a, b: a * b + a  # noqa: E731
    step = compile(fn)
    a, b = Value(2.0), Value(3.0)
    assert step(a, b) == 8.0 and (a.grad, b.grad) == (4.0, 2.0)
    c, d = Value(5.0), Value(-1.0)
    assert step(c, d) == 0.0 and (c.grad, d.grad) == (0.0, 5.0)
    e = Value(3.0)
    assert step(e, e) == 12.0 and e.grad == 7.0  # the same Value twice: one input, its own trace
    assert step.stats().traces == 2


def test_nested_lists_tuples_keywords_and_constants():
    w = Value(2.0)

    def fn(pairs, *, scale, mode):
        total = engine.sum([w * x * y for x, y in pairs]) * scale
        return total.tanh() if mode == "tanh" else total

    step = compile(fn)
    for pairs, scale in ((((1.0, 2.0), (3.0, 4.0)), 0.1), (((0.5, -2.0), (1.0, 1.0)), 0.3)):
        for mode in ("tanh", "linear"):
            expected = _eager(fn, [w], pairs, scale=scale, mode=mode)
            assert _compiled(step, [w], pairs, scale=scale, mode=mode) == expected
    assert step.stats().traces == 2  # one per mode: a string is part of the key


def test_bad_arguments_are_refused_with_what_was_wrong():
    step = compile(lambda x: x * 2)
    with pytest.raises(TypeError, match="argument 0 is a dict"):
        step({"a": 1.0})
    with pytest.raises(TypeError, match=r"argument 0\[1\] is a set"):
        step([1.0, {2.0}])
    with pytest.raises(ValueError, match="holds a computed Value"):
        step(Value(1.0) * 3)


def test_an_int_used_as_a_plain_int_is_guarded():
    xs = [Value(float(v)) for v in (1.0, 5.0, 2.0, 7.0)]
    fn = lambda i: xs[i] * xs[i]  # noqa: E731 - list indexing: the int must be guarded
    step = compile(fn)
    for i in (1, 3, 1, 0, 3):
        assert _compiled(step, xs, i) == _eager(fn, xs, i)
    stats = step.stats()
    assert stats.traces == 3 and stats.hits == 2 and stats.guard_failures >= 2


def test_an_int_in_range_if_and_arithmetic_is_guarded():
    w = Value(1.5)

    def fn(n, k):
        out = w
        for _ in range(n):
            out = out * w
        return out + (k + 1) * w if k else out

    step = compile(fn)
    for n, k in ((2, 0), (3, 0), (2, 4), (2, 0), (2, 5)):
        assert _compiled(step, [w], n, k) == _eager(fn, [w], n, k)
    assert step.stats().traces == 4


def test_a_traced_int_passes_int_checks_but_is_not_an_int_subclass():
    seen = []
    step = compile(lambda i: (seen.append((isinstance(i, int), type(i) is int)), Value(2.0) * i)[1])
    assert step(3) == 6.0
    assert seen == [(True, False)]


# --- closures, check mode ----------------------------------------------------------------


def test_a_closure_list_that_changes_is_frozen_and_check_mode_says_so():
    w = Value(2.0, label="w")
    batch = [1.0, 2.0]
    wrong = compile(lambda: engine.sum([w * x for x in batch]), check=True)
    assert wrong() == 6.0
    batch[:] = [5.0, 5.0]  # the trace made constants of 1.0 and 2.0
    with pytest.raises(CompileCheckError, match=r"compiled call but 20\.0 when fn runs eagerly"):
        wrong()
    right = compile(lambda xs: engine.sum([w * x for x in xs]), check=True)
    w.grad = 0.0
    assert right([1.0, 2.0]) == 6.0 and right([5.0, 5.0]) == 20.0 and w.grad == 3.0 + 10.0


def test_check_mode_passes_and_keeps_the_grads_of_one_call():
    w = Value(0.5, label="w")
    step = compile(lambda x: (w * x).exp(), check=True)
    for x in (1.0, 2.0):
        w.grad = 0.0
        assert step(x) == math.exp(0.5 * x)
        assert w.grad == x * math.exp(0.5 * x)


# --- refusals and the eager fallbacks ----------------------------------------------------


def test_a_value_outside_an_op_domain_raises_the_engines_own_error():
    x = Value(2.0, label="x")
    step = compile(lambda: x.log() + x / (x - 1.0))
    step()
    x.data = -1.0
    with pytest.raises(ValueError, match=r"log: input must be > 0, got -1.0 \(node 'x'\)"):
        step()
    x.data = 1.0
    with pytest.raises(ValueError, match="div: division by zero"):
        step()


def test_detect_anomaly_runs_the_nodes_eagerly():
    x = Value(1.0, label="x")
    step = compile(lambda: x * 1e308 * 10.0)
    assert step() == math.inf and step() == math.inf
    with engine.detect_anomaly(), pytest.raises(engine.AnomalyError, match="mul produced inf"):
        step()


def test_bad_functions_and_outputs_are_refused_with_what_was_expected():
    with pytest.raises(TypeError, match="compile: expected a function"):
        compile(Value(1.0))
    with pytest.raises(ValueError, match="cache_size must be an int >= 1"):
        compile(lambda: 1, cache_size=0)
    with pytest.raises(TypeError, match="must return a Value .* got float 2.0"):
        compile(lambda: 2.0)()
    with pytest.raises(ValueError, match="returned a leaf"):
        compile(lambda: Value(1.0))()
    with pytest.raises(TypeError, match="extras must be Values, got str"):
        compile(lambda: (Value(1.0) * 2, ["score"]))()


# --- the cache ---------------------------------------------------------------------------


def test_the_cache_is_bounded_and_counts_what_it_does():
    w = Value(1.0)
    step = compile(lambda xs: engine.sum([w * x for x in xs]), cache_size=2)
    for n in (1, 2, 3, 1, 3):
        assert step([1.0] * n) == float(n)
    stats = step.stats()
    assert (stats.traces, stats.hits, stats.evictions, stats.cached) == (4, 1, 2, 2)
    assert "traces=4" in repr(step)


# --- threads -----------------------------------------------------------------------------


def test_threads_replaying_one_compiled_function_each_get_their_own_numbers():
    def fn(x):
        return (x * x).tanh()

    step = compile(fn)
    step(0.5)
    errors = []

    def worker(seed):
        rng = random.Random(seed)
        for _ in range(300):
            x = rng.uniform(-2, 2)
            if step(x) != math.tanh(x * x):
                errors.append(x)

    threads = [threading.Thread(target=worker, args=(s,)) for s in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []


# --- scale -------------------------------------------------------------------------------


def test_a_sum_of_100000_inputs_compiles_and_replays():
    xs = [float(i % 7) for i in range(100_000)]
    w = Value(0.5)
    step = compile(lambda xs: engine.sum(xs) * w)
    assert step(xs) == math.fsum(xs) * 0.5
    xs[0] = 1000.0
    assert step(xs) == math.fsum(xs) * 0.5 and step.stats().hits == 1


def test_a_wide_neuron_compiles_and_replays_new_inputs():
    nn.manual_seed(0)
    neuron = nn.Neuron(5000)
    step = compile(lambda xs: neuron(xs))
    for shift in (0.0, 0.5):
        xs = [math.sin(k) + shift for k in range(5000)]
        expected = neuron(xs)
        assert step(xs) == expected.data
    assert step.stats().hits == 1


def test_a_deep_chain_compiles_replays_and_is_freed_without_recursion():
    x = Value(0.5)

    def chain():
        y = x
        for _ in range(100_000):
            y = y * 1.0001 + 0.001
        return y

    step = compile(chain)
    first = step()
    x.grad = 0.0
    assert step() == first and step.stats().hits == 1
    del step  # freeing the tape and the leaves must not recurse either


def test_compiling_leaves_nothing_in_linecache():
    before = len(linecache.cache)
    x = Value(1.0)
    for _ in range(1000):
        compile(lambda: x * x + 1.0)()
    assert len(linecache.cache) <= before


def test_the_dot_fast_path_is_the_rows_rule_and_keeps_backwards_order_with_shared_inputs():
    op = OPS["dot"]
    rng = random.Random(7)
    for n in (1, 2, 5, 16):
        args = _random_floats(rng, 2 * n)
        ws, xs = args[:n], args[n:]
        assert same(sum(map(operator.mul, ws, xs), 0.0), op.forward(*args))  # the replay's inline forward
        assert op.derivatives(op.forward(*args), *args) == tuple(xs + ws)  # d/dw_k = x_k, d/dx_k = w_k
    a, b, c = Value(0.3), Value(-1.7), Value(2.2)
    for fn in (
        lambda: engine.dot([a, b, c], [a, b, c]),  # each input twice, in one pair: pairs are fine
        lambda: engine.dot([a, b, c], [b, c, a]),  # shared across pairs: backward()'s order instead
        lambda: engine.dot([a, a, b], [c, b, b]) * engine.dot([a, b], [c, c]),
    ):
        step = compile(fn)
        step()
        assert _bits(_compiled(step, [a, b, c])) == _bits(_eager(fn, [a, b, c]))
