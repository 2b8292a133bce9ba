"""engine.compile and the core's record_reads hook: numbers read out of the graph while tracing become guards."""

import random

import pytest
from test_compile import _compiled, _eager

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


def test_softmax_from_nn_gives_eager_numbers_on_new_data():
    fn = lambda xs, t: nn.cross_entropy(xs, t)  # noqa: E731 - softmax and cross_entropy read .data
    step = compile(fn)
    rng = random.Random(1)
    for _ in range(5):
        xs = [Value(rng.uniform(-3, 3)) for _ in range(4)]
        t = rng.randrange(4)
        assert _compiled(step, xs, xs, t) == _eager(fn, xs, xs, t)
