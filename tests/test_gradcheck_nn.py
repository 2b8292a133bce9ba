"""Every nn module and loss of the basic library passes gradcheck (later layers check themselves the same way)."""

import random

import pytest

import nn
from engine import Value, gradcheck, gradcheck_module
from engine.gradcheck import nodes_near_kinks

INPUTS = [0.3, -0.7, 1.1]


def modules():
    rng = random.Random(3)
    return {
        "Neuron(relu)": nn.Neuron(3, rng=rng),
        "Neuron(sigmoid)": nn.Neuron(3, activation="sigmoid", rng=rng),
        "Layer(tanh)": nn.Layer(3, 4, activation="tanh", rng=rng),
        "MLP(relu)": nn.MLP(3, [4, 4, 2], rng=rng),
        "MLP(tanh, xavier)": nn.MLP(3, [5, 1], activation="tanh", init="xavier_uniform", rng=rng),
        "Linear": nn.Linear(3, 2, rng=rng),
        "Linear(bias=False)": nn.Linear(3, 2, bias=False, rng=rng),
        "Sequential": nn.Sequential(nn.Linear(3, 4, rng=rng), nn.Tanh(), nn.Linear(4, 2, rng=rng), nn.Sigmoid()),
    }


@pytest.mark.parametrize("name", list(modules()))
def test_module_parameters_and_inputs_pass_gradcheck(name):
    model = modules()[name]
    xs = [Value(x, label=f"x{i}") for i, x in enumerate(INPUTS)]
    assert not nodes_near_kinks(model(xs), 1e-3)  # the seeded weights keep relu off its kink
    assert gradcheck_module(model, xs)
    assert gradcheck_module(model, xs, fast_mode=True, seed=1)


def scores():
    return [Value(x, label=f"s{i}") for i, x in enumerate([0.4, -1.2, 2.0])]


@pytest.mark.parametrize(
    "name, loss",
    [
        ("mse_loss", lambda *s: nn.mse_loss(list(s), [1.0, 0.0, -1.0])),
        ("hinge_loss", lambda *s: nn.hinge_loss(list(s), [1, -1, 1])),
        ("binary_cross_entropy_with_logits", lambda *s: nn.binary_cross_entropy_with_logits(list(s), [1, 0, 1])),
        ("cross_entropy", lambda *s: nn.cross_entropy(list(s), 2)),
        ("softmax", lambda *s: nn.softmax(list(s))),
        ("log_softmax", lambda *s: nn.log_softmax(list(s))),
        ("logsumexp", lambda *s: nn.logsumexp(list(s))),
    ],
)
def test_losses_and_functions_pass_gradcheck(name, loss):
    assert gradcheck(loss, scores())
