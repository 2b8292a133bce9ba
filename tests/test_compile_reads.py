"""engine.compile and the core's record_reads hook: numbers read out of the graph while tracing become guards."""

import random
import sys
import threading

import pytest
from test_compile import _compiled, _eager

import engine
import nn
from engine import Value, compile

# --- numbers read out of the graph become guards -----------------------------------------


@pytest.mark.parametrize(
    "read",
    [
        lambda v: v.data,
        lambda v: float(v),
        lambda v: v.item(),
        lambda v: 1.0 if v > 0.5 else 2.0,
        lambda v: 1.0 if v >= Value(0.5) else 2.0,
    ],
    ids=["data", "float", "item", "compare", "compare-values"],
)
def test_a_number_read_out_of_the_graph_is_never_frozen(read):
    w = Value(0.3)

    def fn(x):
        h = (w * x).tanh()
        return h * read(h)  # the number read becomes a constant of the eager graph

    step = compile(fn)
    for x in (1.0, 2.0, 1.0, 3.0, -1.0):
        assert _compiled(step, [w], x) == _eager(fn, [w], x)
    assert step.stats().guards >= 1


def _on_random_scores(fn, calls, n=5, seed=2):
    """fn(scores, target) compiled and eager on ``calls`` random score lists: the same numbers."""
    step = compile(fn)
    rng = random.Random(seed)
    for _ in range(calls):
        xs = [Value(rng.uniform(-3, 3)) for _ in range(n)]
        t = rng.randrange(n)
        assert _compiled(step, xs, xs, t) == _eager(fn, xs, xs, t)
    return step


def test_nn_cross_entropy_gives_eager_numbers_on_new_data():
    _on_random_scores(lambda xs, t: nn.cross_entropy(xs, t), calls=5, n=4, seed=1)


def test_round_format_int_and_bool_reads_are_guarded():
    w = Value(0.4)

    def fn(x):
        h = w * x
        k = int(h) + round(h) + (1 if h else 0)
        tag = f"{h:.3f}"
        return h * k + (h if tag.endswith("0") else h * 2)

    step = compile(fn)
    for x in (1.0, 3.0, 1.0, 0.0, 7.5):
        assert _compiled(step, [w], x) == _eager(fn, [w], x)


def test_max_and_detach_make_a_softmax_that_replays_with_no_guards():
    def softmax_loss(xs, t):
        m = engine.max(xs).detach()
        exps = [(x - m).exp() for x in xs]
        return engine.sum(exps).log() - (engine.take(xs, t) - m)

    stats = _on_random_scores(softmax_loss, calls=6).stats()
    assert (stats.traces, stats.hits, stats.guards) == (1, 5, 0)


def test_take_makes_an_int_argument_part_of_the_graph():
    table = [[Value(float(3 * r + c)) for c in range(3)] for r in range(4)]
    flat = [v for row in table for v in row]

    def fn(tokens):
        rows = [[engine.take([table[r][c] for r in range(4)], i) for c in range(3)] for i in tokens]
        return engine.sum([v * v for row in rows for v in row])

    step = compile(fn)
    for tokens in ([0, 1, 2], [3, 3, 0], [2, 0, 1], [1, 1, 1]):
        assert _compiled(step, flat, tokens) == _eager(fn, flat, tokens)
    assert (step.stats().traces, step.stats().guards) == (1, 0)


def test_an_index_out_of_range_raises_the_engines_error_on_replay():
    xs = [Value(1.0), Value(2.0)]
    step = compile(lambda i: engine.take(xs, i) * 2.0)
    assert step(1) == 4.0
    with pytest.raises(ValueError, match="take: index 5 is out of range for 2 values"):
        step(5)


def test_another_threads_reads_do_not_land_in_this_trace():
    w = Value(0.5)
    started, done = threading.Event(), threading.Event()
    seen = []

    def reader():
        started.set()
        while not done.is_set():
            seen.append((w * 2.0).data + float(w))  # reads in another thread, over and over

    def fn(x):
        out = w * x
        for _ in range(3000):  # long enough for the threads to take turns while it is traced
            out = (out * 0.5).tanh() + w
        return out

    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-5)
    thread = threading.Thread(target=reader)
    thread.start()
    started.wait()
    try:
        step = compile(fn)
        for x in (1.0, 2.0, 3.0):
            step(x)
    finally:
        done.set()
        thread.join()
        sys.setswitchinterval(interval)
    assert len(seen) > 10
    assert (step.stats().traces, step.stats().guards) == (1, 0)


def test_a_node_with_a_backward_closure_is_refused_by_name():
    x = Value(2.0, label="x")

    def fn():
        out = Value(x.data * 3.0, (x,), "triple")
        out._backward = lambda: None
        return out * 1.0

    with pytest.raises(TypeError, match=r"has no row in the op table \(a _backward closure\)"):
        compile(fn)()
