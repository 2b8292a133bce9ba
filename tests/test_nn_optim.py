"""Tests of nn's optimizers against their update rules written out by hand."""

import math
import random

import pytest

from engine import Value
from nn import MLP, SGD, Adam

# Gradients fed to the optimizers at successive steps, for two parameters.
GRADS = [(0.5, -2.0), (0.25, 1.0), (-1.0, 0.5), (0.0, 3.0)]
START = (1.0, -0.5)


def run(optimizer_cls, lr_schedule=None, **kwargs):
    params = [Value(x) for x in START]
    opt = optimizer_cls(params, **kwargs)
    trace = []
    for k, grads in enumerate(GRADS):
        if lr_schedule:
            opt.lr = lr_schedule(k)
        for p, g in zip(params, grads):
            p.grad = g
        opt.step()
        trace.append([p.data for p in params])
    return trace


def test_plain_sgd_with_a_decaying_learning_rate():
    schedule = lambda k: 1.0 - 0.9 * k / 100  # noqa: E731 - micrograd's decay
    trace = run(SGD, schedule, lr=1.0)
    p = list(START)
    for k, grads in enumerate(GRADS):
        p = [pi - schedule(k) * g for pi, g in zip(p, grads)]
        assert trace[k] == pytest.approx(p, abs=1e-15)


def test_sgd_momentum_and_weight_decay_by_hand():
    lr, mu, wd = 0.1, 0.9, 0.01
    trace = run(SGD, lr=lr, momentum=mu, weight_decay=wd)
    p = list(START)
    v = [0.0, 0.0]
    for k, grads in enumerate(GRADS):
        for i in range(2):
            g = grads[i] + wd * p[i]
            v[i] = g if k == 0 else mu * v[i] + g
            p[i] -= lr * v[i]
        assert trace[k] == pytest.approx(p, abs=1e-15)


def test_adam_by_hand():
    lr, (b1, b2), eps, wd = 0.05, (0.8, 0.99), 1e-6, 0.1
    trace = run(Adam, lr=lr, betas=(b1, b2), eps=eps, weight_decay=wd)
    p = list(START)
    m = [0.0, 0.0]
    v = [0.0, 0.0]
    for t, grads in enumerate(GRADS, start=1):
        for i in range(2):
            g = grads[i] + wd * p[i]
            m[i] = b1 * m[i] + (1 - b1) * g
            v[i] = b2 * v[i] + (1 - b2) * g * g
            p[i] -= lr * (m[i] / (1 - b1**t)) / (math.sqrt(v[i] / (1 - b2**t)) + eps)
        assert trace[t - 1] == pytest.approx(p, abs=1e-15)


def test_adam_agrees_with_torch():
    torch = pytest.importorskip("torch")
    w = torch.tensor(list(START), dtype=torch.float64, requires_grad=True)
    opt = torch.optim.Adam([w], lr=0.05, betas=(0.8, 0.99), eps=1e-6, weight_decay=0.1)
    for grads in GRADS:
        w.grad = torch.tensor(grads, dtype=torch.float64)
        opt.step()
    ours = run(Adam, lr=0.05, betas=(0.8, 0.99), eps=1e-6, weight_decay=0.1)[-1]
    assert ours == pytest.approx(w.tolist(), abs=1e-12)


def test_optimizer_zero_grad_and_training_reduces_the_loss():
    model = MLP(1, [8, 1], activation="tanh", rng=random.Random(0))
    opt = Adam(model.parameters(), lr=0.05)
    xs = [[-1.0], [0.0], [1.0]]
    ys = [1.0, 0.0, 1.0]

    def loss():
        return sum(((model(x) - y) ** 2 for x, y in zip(xs, ys)), Value(0.0))

    first = loss().data
    for _ in range(60):
        opt.zero_grad()
        assert all(p.grad == 0.0 for p in model.parameters())
        loss().backward()
        opt.step()
    assert loss().data < first / 10


@pytest.mark.parametrize(
    "make, error, message",
    [
        (lambda: SGD([], lr=0.1), ValueError, "no parameters"),
        (lambda: SGD([Value(1.0), 2.0], lr=0.1), TypeError, "parameter 1 must be a Value, got float 2.0"),
        (lambda: SGD([Value(1.0)], lr=-1.0), ValueError, "lr must be >= 0.0, got -1.0"),
        (lambda: SGD([Value(1.0)], lr="0.1"), TypeError, "lr must be a number"),
        (lambda: Adam([Value(1.0)], betas=(0.9, 1.0)), ValueError, r"betas\[1\] must be >= 0.0 and < 1.0"),
        (lambda: Adam([Value(1.0)], betas=0.9), TypeError, "betas must be a pair"),
    ],
)
def test_bad_arguments_are_refused(make, error, message):
    with pytest.raises(error, match=message):
        make()


def test_a_parameter_listed_twice_is_refused():
    w = Value(1.0)
    with pytest.raises(ValueError, match="appears more than once"):
        SGD([w, w], lr=0.1)
