"""nn.to_torch and nn.load_torch: every nn module equals its torch counterpart, outputs and gradients, both ways.

Export: a chainrule module with its own random weights goes to torch with ``to_torch``; both
run on the same random input.  Import: torch's weights (a torch-built module where torch
has the class, else the exported module with torch-drawn weights) are loaded into a
chainrule module with ``load_torch``.  Either way outputs, parameter gradients and input
gradients agree to 1e-12 in float64.
"""

import random

import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st
from torch_compare import assert_close, run_both

import engine
import nn
from nn.shapes import flatten
from nn.torch_bridge.naming import group_parameters

F64 = torch.float64


def randn(*shape, seed=1):
    return torch.randn(*shape, generator=torch.Generator().manual_seed(seed), dtype=F64)


def native(cls, *args, **kwargs):
    """A torch module built by torch itself, float64, its weights drawn by torch."""
    torch.manual_seed(7)
    return cls(*args, **kwargs).to(F64)


MASK = torch.tensor([[False, True, False, False, True], [False] * 5, [True, False, True, False, False]])
H0, C0 = randn(2, 3, seed=2), randn(2, 3, seed=3)
CHAINRULE_CELL_STATE = (randn(3, seed=4), randn(3, seed=5))

# name: (chainrule module from an rng, args (torch tensors), kwargs, torch's own module or None)
CASES = {
    "Neuron": (lambda r: nn.Neuron(3, activation="tanh", rng=r), (randn(3),), {}, None),
    "Neuron-relu": (lambda r: nn.Neuron(3, rng=r), (randn(3),), {}, None),
    "Layer": (lambda r: nn.Layer(3, 4, activation="sigmoid", rng=r), (randn(3),), {}, None),
    "Layer-one-neuron": (lambda r: nn.Layer(3, 1, nonlin=False, rng=r), (randn(3),), {}, None),
    "MLP": (lambda r: nn.MLP(3, [4, 1, 3, 2], activation="tanh", rng=r), (randn(3),), {}, None),
    "MLP-moons": (lambda r: nn.MLP(2, [16, 16, 1], rng=r), (randn(2),), {}, None),
    "Linear": (lambda r: nn.Linear(3, 2, rng=r), (randn(3),), {}, lambda: native(torch.nn.Linear, 3, 2)),
    "Linear-no-bias": (lambda r: nn.Linear(3, 2, bias=False, rng=r), (randn(3),), {},
                       lambda: native(torch.nn.Linear, 3, 2, bias=False)),
    "Sequential": (lambda r: nn.Sequential(nn.Linear(3, 4, rng=r), nn.Tanh(), nn.Linear(4, 4, rng=r), nn.ReLU(),
                                           nn.Linear(4, 2, rng=r), nn.Sigmoid()), (randn(3),), {}, None),
    "ReLU": (lambda r: nn.ReLU(), (randn(5),), {}, lambda: torch.nn.ReLU()),
    "Tanh": (lambda r: nn.Tanh(), (randn(5),), {}, lambda: torch.nn.Tanh()),
    "Sigmoid": (lambda r: nn.Sigmoid(), (randn(5),), {}, lambda: torch.nn.Sigmoid()),
    "Conv1d": (lambda r: nn.Conv1d(2, 3, 3, stride=2, padding=1, rng=r), (randn(2, 7),), {},
               lambda: native(torch.nn.Conv1d, 2, 3, 3, stride=2, padding=1)),
    "Conv2d": (lambda r: nn.Conv2d(2, 3, (3, 2), stride=(2, 1), padding=(1, 0), rng=r), (randn(2, 5, 4),), {},
               lambda: native(torch.nn.Conv2d, 2, 3, (3, 2), stride=(2, 1), padding=(1, 0))),
    "Conv2d-no-bias": (lambda r: nn.Conv2d(1, 2, 2, bias=False, rng=r), (randn(1, 3, 3),), {},
                       lambda: native(torch.nn.Conv2d, 1, 2, 2, bias=False)),
    "MaxPool2d": (lambda r: nn.MaxPool2d(3, 2, 1), (randn(2, 5, 6),), {}, lambda: torch.nn.MaxPool2d(3, 2, 1)),
    "AvgPool2d": (lambda r: nn.AvgPool2d(3, 2, 1), (randn(2, 5, 6),), {}, lambda: torch.nn.AvgPool2d(3, 2, 1)),
    "Flatten": (lambda r: nn.Flatten(1), (randn(2, 3, 4),), {}, lambda: torch.nn.Flatten(1)),
    "CNN": (lambda r: nn.Sequential(nn.Conv2d(1, 2, 3, padding=1, rng=r), nn.MaxPool2d(2), nn.Flatten(), nn.Tanh(),
                                    nn.Linear(8, 3, rng=r)), (randn(1, 4, 4),), {}, None),
    "CNN-batch-ready": (lambda r: nn.Sequential(nn.Conv2d(1, 2, 3, padding=1, rng=r), nn.MaxPool2d(2),
                                                nn.Flatten(start_dim=-3), nn.Linear(8, 3, rng=r)),
                        (randn(1, 4, 4),), {}, None),
    "CNN-activations-on-feature-maps": (lambda r: nn.Sequential(nn.Conv2d(1, 2, 2, rng=r), nn.ReLU(), nn.MaxPool2d(2),
                                                                nn.Sigmoid(), nn.Flatten(), nn.Tanh()),
                                        (randn(1, 3, 3),), {}, None),
    "Conv1d-tanh": (lambda r: nn.Sequential(nn.Conv1d(1, 2, 2, rng=r), nn.Tanh()), (randn(1, 4),), {}, None),
    "RNNCell": (lambda r: nn.RNNCell(2, 3, rng=r), (randn(2), randn(3, seed=4)), {},
                lambda: native(torch.nn.RNNCell, 2, 3)),
    "RNNCell-relu": (lambda r: nn.RNNCell(2, 3, nonlinearity="relu", rng=r), (randn(2),), {},
                     lambda: native(torch.nn.RNNCell, 2, 3, nonlinearity="relu")),
    "LSTMCell": (lambda r: nn.LSTMCell(2, 3, rng=r), (randn(2), CHAINRULE_CELL_STATE), {},
                 lambda: native(torch.nn.LSTMCell, 2, 3)),
    "GRUCell": (lambda r: nn.GRUCell(2, 3, rng=r), (randn(2), randn(3, seed=4)), {},
                lambda: native(torch.nn.GRUCell, 2, 3)),
    "GRUCell-no-bias": (lambda r: nn.GRUCell(2, 3, bias=False, rng=r), (randn(2),), {},
                        lambda: native(torch.nn.GRUCell, 2, 3, bias=False)),
    "RNN": (lambda r: nn.RNN(2, 3, num_layers=2, nonlinearity="relu", rng=r), (randn(4, 2), H0), {},
            lambda: native(torch.nn.RNN, 2, 3, num_layers=2, nonlinearity="relu")),
    "LSTM": (lambda r: nn.LSTM(2, 3, num_layers=2, rng=r), (randn(4, 2), (H0, C0)), {},
             lambda: native(torch.nn.LSTM, 2, 3, num_layers=2)),
    "GRU": (lambda r: nn.GRU(2, 3, rng=r), (randn(4, 2),), {}, lambda: native(torch.nn.GRU, 2, 3)),
    "GRU-no-bias": (lambda r: nn.GRU(2, 3, num_layers=2, bias=False, rng=r), (randn(4, 2),), {},
                    lambda: native(torch.nn.GRU, 2, 3, num_layers=2, bias=False)),
    "Embedding": (lambda r: nn.Embedding(5, 3, rng=r), (torch.tensor([4, 0, 4, 2]),), {},
                  lambda: native(torch.nn.Embedding, 5, 3)),
    "LayerNorm": (lambda r: nn.LayerNorm(4), (randn(3, 4),), {}, lambda: native(torch.nn.LayerNorm, 4)),
    "LayerNorm-no-bias": (lambda r: nn.LayerNorm(4, eps=1e-3, bias=False), (randn(4),), {},
                          lambda: native(torch.nn.LayerNorm, 4, eps=1e-3, bias=False)),
    "LayerNorm-no-affine": (lambda r: nn.LayerNorm(4, elementwise_affine=False), (randn(2, 4),), {},
                            lambda: native(torch.nn.LayerNorm, 4, elementwise_affine=False)),
    "RMSNorm": (lambda r: nn.RMSNorm(4, eps=1e-5), (randn(3, 4),), {},
                lambda: native(torch.nn.RMSNorm, 4, eps=1e-5)),
    "RMSNorm-no-affine": (lambda r: nn.RMSNorm(4, elementwise_affine=False), (randn(4),), {},
                          lambda: native(torch.nn.RMSNorm, 4, eps=2.0 ** -52, elementwise_affine=False)),
    "Dropout-eval": (lambda r: nn.Dropout(0.5, rng=r).eval(), (randn(2, 3),), {},
                     lambda: torch.nn.Dropout(0.5).eval()),
    "Dropout-p0": (lambda r: nn.Dropout(0.0, rng=r), (randn(4),), {}, lambda: torch.nn.Dropout(0.0)),
    "MultiheadAttention": (lambda r: nn.MultiheadAttention(4, 2, rng=r), (randn(3, 4),), {}, None),
    "MultiheadAttention-cross": (lambda r: nn.MultiheadAttention(4, 2, rng=r), (randn(3, 4), randn(5, 4, seed=2),
                                 randn(5, 4, seed=3)), {"attn_mask": MASK, "average_attn_weights": False},
                                 lambda: native(torch.nn.MultiheadAttention, 4, 2)),
    "MultiheadAttention-causal": (lambda r: nn.MultiheadAttention(6, 3, bias=False, rng=r), (randn(4, 6),),
                                  {"is_causal": True, "need_weights": False}, None),
    "TransformerBlock": (lambda r: nn.TransformerBlock(4, 2, 6, rng=r), (randn(3, 4),), {},
                         lambda: native(torch.nn.TransformerEncoderLayer, 4, 2, 6, dropout=0.0, batch_first=True)),
    "TransformerBlock-norm-first": (lambda r: nn.TransformerBlock(4, 2, 6, norm_first=True, rng=r), (randn(3, 4),),
                                    {}, lambda: native(torch.nn.TransformerEncoderLayer, 4, 2, 6, dropout=0.0,
                                                       batch_first=True, norm_first=True)),
    "TransformerBlock-causal": (lambda r: nn.TransformerBlock(4, 1, activation="tanh", norm_first=True,
                                                              causal=True, bias=False, rng=r), (randn(3, 4),),
                                {"need_weights": True}, None),
    "TransformerBlock-rmsnorm": (lambda r: nn.TransformerBlock(4, 2, norm="rmsnorm", norm_first=True, causal=True,
                                                               rng=r), (randn(3, 4),), {}, None),
    "GPT": (lambda r: nn.GPT(7, block_size=5, n_embd=4, n_head=2, n_layer=2, rng=r), (torch.tensor([6, 0, 3, 3]),),
            {}, None),
}


def shake(module, seed):
    """Draw every parameter of a torch module anew from N(0, 0.5^2), so no bias or norm weight sits at 0 or 1."""
    generator = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for p in module.parameters():
            p.copy_(0.5 * torch.randn(p.shape, generator=generator, dtype=p.dtype))
    return module


@pytest.mark.parametrize("name", CASES)
def test_to_torch_gives_the_same_numbers(name):
    make, args, kwargs, _ = CASES[name]
    ours = make(random.Random(0))
    rng = random.Random(5)
    for p in ours.parameters():  # norm weights (1) and attention biases (0) move off their starting values
        if p.data in (0.0, 1.0):
            p.data += rng.uniform(-0.5, 0.5)
    theirs = nn.to_torch(ours)
    assert all(p.dtype == torch.float64 for p in theirs.parameters())
    run_both(ours, theirs, args, kwargs)


@pytest.mark.parametrize("name", CASES)
def test_load_torch_gives_the_same_numbers(name):
    make, args, kwargs, torch_made = CASES[name]
    theirs = shake(torch_made() if torch_made else nn.to_torch(make(random.Random(1))), seed=3)
    ours = nn.load_torch(make(random.Random(2)), theirs)
    run_both(ours, theirs, args, kwargs)


@pytest.mark.parametrize("name, batch", [
    ("MLP", randn(5, 3)),
    ("Layer-one-neuron", randn(5, 3)),
    ("CNN-batch-ready", randn(3, 1, 4, 4)),
    ("TransformerBlock-causal", randn(2, 3, 4)),
    ("GPT", torch.tensor([[6, 0, 3, 3], [1, 2, 5, 0]])),
])
def test_the_exported_modules_take_a_batch(name, batch):
    make, _, kwargs, _ = CASES[name]
    net = nn.to_torch(make(random.Random(0)))
    together = net(batch, **kwargs)
    together = together[0] if isinstance(together, tuple) else together
    for example, row in zip(batch, together):
        alone = net(example, **kwargs)
        alone = alone[0] if isinstance(alone, tuple) else alone
        assert (row - alone).abs().max().item() <= 1e-12


@given(nin=st.integers(1, 4), nouts=st.lists(st.integers(1, 4), min_size=1, max_size=3),
       activation=st.sampled_from(["relu", "tanh", "sigmoid", "linear"]), seed=st.integers(0, 2**32 - 1),
       data=st.data())
def test_any_mlp_equals_its_export(nin, nouts, activation, seed, data):
    model = nn.MLP(nin, nouts, activation=activation, rng=random.Random(seed))
    x = data.draw(st.lists(st.floats(-3, 3), min_size=nin, max_size=nin), label="x")
    run_both(model, nn.to_torch(model), (torch.tensor(x, dtype=F64),))


def test_the_exported_gpt_gives_each_blocks_attention_weights_as_chainrules_does():
    make, (tokens,), _, _ = CASES["GPT"]
    ours = make(random.Random(0))
    net = nn.to_torch(ours)
    logits, weights = ours(tokens.tolist(), need_weights=True)
    torch_logits, torch_weights = net(tokens, need_weights=True)
    assert_close([v.data for v in flatten(logits)], torch_logits.detach().reshape(-1), "logits")
    assert len(torch_weights) == len(weights) == 2
    for k, (w, t) in enumerate(zip(weights, torch_weights)):
        assert_close([v.data for v in flatten(w)], t.detach().reshape(-1), f"weights of block {k}")
    r = randn(len(flatten(weights[-1])), seed=9)  # gradients flow through the weights alike, too
    engine.dot(flatten(weights[-1]), r.tolist()).backward()
    (torch_weights[-1].reshape(-1) * r).sum().backward()
    torch_params = dict(net.named_parameters())
    for name, tensor in group_parameters(ours).items():
        grad = torch_params[name].grad
        expected = torch.zeros(tensor.shape, dtype=F64) if grad is None else grad
        assert_close([v.grad for v in tensor.values], expected.reshape(-1), f"grad of {name!r}")


@pytest.mark.parametrize("call, message", [
    (lambda net: net(torch.tensor([1, 2, 3, 4, 5, 6])), r"GPT: got 6 token\(s\); the model sees 1 to block_size=5"),
    (lambda net: net(torch.tensor([], dtype=torch.long)), r"GPT: got 0 token\(s\)"),
    (lambda net: net.generate(0, temperature=0.0), r"GPT.generate: temperature must be > 0, got 0.0"),
    (lambda net: net.generate(0, temperature=-1.0), r"GPT.generate: temperature must be > 0, got -1.0"),
])
def test_the_exported_gpt_refuses_what_chainrules_refuses(call, message):
    net = nn.to_torch(CASES["GPT"][0](random.Random(0)))
    with pytest.raises(ValueError, match=message):
        call(net)


@pytest.mark.parametrize("activation", sorted(set(nn.functional.activation_names()) - {"linear"}))
def test_every_activation_the_engine_ships_exports_with_the_same_numbers(activation):
    # Inputs kept positive for log and sqrt; softplus above torch's own cut-off of 20 is included.
    make = lambda r: nn.Layer(3, 2, activation=activation, rng=r)  # noqa: E731
    ours = make(random.Random(0))
    for w in ours.parameters():
        w.data = abs(w.data) + 0.1
    run_both(ours, nn.to_torch(ours), (torch.tensor([0.5, 25.0, 1.5], dtype=F64),))
