"""engine.compile on every nn module and on the names GPT: replays equal eager bit for bit on new data."""

import random

import pytest

import engine
import nn
from engine import Value, compile


def _flat(x):
    """Every Value in a nested output (lists, tuples), in order (a plain number as a constant)."""
    if isinstance(x, Value):
        return [x]
    if isinstance(x, float):  # pools and dropout pass plain-number inputs through eagerly
        return [Value(x)]
    return [v for item in x for v in _flat(item)]


def _scalar(outputs):
    """A loss that weighs each output differently, so every output's gradient is checked."""
    values = _flat(outputs)
    return engine.sum([v * (0.5 + 0.25 * (i % 5)) for i, v in enumerate(values)])


def _bits(numbers):
    return [float(x).hex() for x in numbers]


def _shape_of(shape, rng):
    if not shape:
        return rng.uniform(-2, 2)
    return [_shape_of(shape[1:], rng) for _ in range(shape[0])]


R = random.Random
MODULES = {
    "Neuron": (lambda: nn.Neuron(3), (3,)),
    "Layer": (lambda: nn.Layer(3, 2), (3,)),
    "MLP": (lambda: nn.MLP(3, [4, 2]), (3,)),
    "Linear": (lambda: nn.Linear(3, 2, rng=R(1)), (3,)),
    "Sequential": (lambda: nn.Sequential(nn.Linear(3, 4, rng=R(1)), nn.ReLU(), nn.Linear(4, 2, rng=R(2)),
                                         nn.Tanh(), nn.Linear(2, 2, rng=R(3)), nn.Sigmoid()), (3,)),
    "Conv1d": (lambda: nn.Conv1d(2, 3, 2, padding=1, rng=R(1)), (2, 5)),
    "Conv2d": (lambda: nn.Conv2d(1, 2, 2, rng=R(1)), (1, 4, 4)),
    "MaxPool2d": (lambda: nn.MaxPool2d(2), (1, 4, 4)),
    "AvgPool2d": (lambda: nn.AvgPool2d(2), (1, 4, 4)),
    "Flatten": (lambda: nn.Sequential(nn.Conv2d(1, 1, 2, rng=R(1)), nn.Flatten()), (1, 3, 3)),
    "RNNCell": (lambda: nn.RNNCell(2, 3, rng=R(1)), (2,)),
    "LSTMCell": (lambda: nn.LSTMCell(2, 3, rng=R(1)), (2,)),
    "GRUCell": (lambda: nn.GRUCell(2, 3, rng=R(1)), (2,)),
    "RNN": (lambda: nn.RNN(2, 3, rng=R(1)), (4, 2)),
    "LSTM": (lambda: nn.LSTM(2, 3, num_layers=2, rng=R(1)), (4, 2)),
    "GRU": (lambda: nn.GRU(2, 3, rng=R(1)), (4, 2)),
    "LayerNorm": (lambda: nn.LayerNorm(4), (3, 4)),
    "RMSNorm": (lambda: nn.RMSNorm(4), (3, 4)),
    "Dropout (eval)": (lambda: nn.Dropout(0.5, rng=R(1)).eval(), (4,)),
    "MultiheadAttention": (lambda: nn.MultiheadAttention(4, 2, rng=R(1)), (3, 4)),
    "TransformerBlock": (lambda: nn.TransformerBlock(4, 2, 8, causal=True, rng=R(1)), (3, 4)),
}


@pytest.mark.parametrize("name", list(MODULES))
def test_every_nn_module_replays_bit_for_bit_on_new_inputs(name):
    make, shape = MODULES[name]
    nn.manual_seed(0)
    module = make()
    params = module.parameters()
    step = compile(lambda x: _scalar(module(x)))
    rng = random.Random(name)
    for _ in range(4):
        x = _shape_of(shape, rng)
        for p in params:
            p.grad = 0.0
        eager = _scalar(module(x))
        eager.backward()
        expected = _bits([eager.data, *(p.grad for p in params)])
        for p in params:
            p.grad = 0.0
        assert _bits([step(x), *(p.grad for p in params)]) == expected, name
    # MaxPool2d returns the winning input node itself, picked by comparing: those comparisons
    # are guards, so new data retraces (correct, not faster).  Every other module replays.
    assert step.stats().hits >= (0 if name == "MaxPool2d" else 3)


@pytest.mark.parametrize(
    "loss",
    [
        lambda out, t: nn.mse_loss(out, t),
        lambda out, t: nn.hinge_loss(out, [1 if v > 0 else -1 for v in t]),
        lambda out, t: nn.binary_cross_entropy_with_logits(out, [1.0 if v > 0 else 0.0 for v in t]),
        lambda out, t: nn.cross_entropy([out, out[::-1]], [0, 2]),
    ],
    ids=["mse", "hinge", "bce_with_logits", "cross_entropy"],
)
def test_every_loss_replays_bit_for_bit(loss):
    model = nn.Linear(2, 3, rng=random.Random(0))
    params = model.parameters()
    step = compile(lambda x, t: loss(model(x), t))
    rng = random.Random(5)
    for _ in range(4):
        x, t = [rng.uniform(-1, 1) for _ in range(2)], [rng.uniform(-1, 1) for _ in range(3)]
        for p in params:
            p.grad = 0.0
        eager = loss(model(x), t)
        eager.backward()
        expected = _bits([eager.data, *(p.grad for p in params)])
        for p in params:
            p.grad = 0.0
        assert _bits([step(x, t), *(p.grad for p in params)]) == expected


def test_the_names_gpt_trains_compiled_exactly_as_eager_over_200_names():
    from benchmarks.compiled import gpt_loss

    docs = nn.datasets.names()
    random.Random(42).shuffle(docs)
    tok = nn.CharTokenizer(docs)
    names = [tok.encode(d, bos=True)[:17] for d in docs[:200]]

    def make():
        model = nn.GPT(tok.vocab_size, rng=random.Random(42))
        return model, nn.Adam(model.parameters(), lr=0.01, betas=(0.85, 0.99), eps=1e-8)

    (eager_model, eager_opt), (model, opt) = make(), make()
    step = compile(lambda tokens: gpt_loss(model, tokens))
    for tokens in names:
        eager_opt.zero_grad()
        eager = gpt_loss(eager_model, tokens)
        eager.backward()
        opt.zero_grad()
        assert step(tokens) == eager.data
        assert [p.grad for p in model.parameters()] == [p.grad for p in eager_model.parameters()]
        eager_opt.step()
        opt.step()
    lengths = len({len(t) for t in names})
    stats = step.stats()
    # One trace per name length; the only guards are softmax's finiteness checks, which hold.
    assert stats.traces == lengths and stats.guard_failures == 0
