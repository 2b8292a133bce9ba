"""The GPT's blocks: RMSNorm, TransformerBlock's norm choice and bias=False, the GPT itself, cross_entropy's
probability targets, ignore_index and label_smoothing, activations by op name.  Hand-worked values,
gradcheck, and PyTorch float64."""

import math
import random

import pytest
import torch
from test_layers_torch import copy_weights, float64  # noqa: F401 - float64 is an autouse fixture

import nn
from engine import OPS, Value, gradcheck, gradcheck_module, register_op
from nn import GPT, RMSNorm, TransformerBlock, cross_entropy, log_softmax
from nn.shapes import flatten, values

TOL = 1e-12


def data(x):
    if isinstance(x, Value):
        return x.data
    return x if isinstance(x, (int, float)) else [data(item) for item in x]


def close(ours, theirs, tol=TOL):
    got = torch.tensor(data(ours))
    assert got.shape == theirs.shape
    assert torch.allclose(got, theirs.detach(), atol=tol, rtol=0), (got - theirs).abs().max()


# --- RMSNorm -------------------------------------------------------------------------------


def test_rmsnorm_by_hand():
    norm = RMSNorm(2, eps=0.5, elementwise_affine=False)
    out = norm([3.0, 4.0])  # mean square 12.5, + eps = 13
    assert [v.data for v in out] == pytest.approx([3 / math.sqrt(13), 4 / math.sqrt(13)], abs=1e-15)
    scaled = RMSNorm(2, eps=0.5)
    scaled.weight[1].data = 2.0
    assert [v.data for v in scaled([3.0, 4.0])] == pytest.approx([3 / math.sqrt(13), 8 / math.sqrt(13)], abs=1e-15)
    assert RMSNorm(3).eps == torch.finfo(torch.float64).eps
    assert RMSNorm(3).num_parameters() == 3 and RMSNorm(3, elementwise_affine=False).num_parameters() == 0


@pytest.mark.parametrize("affine", [True, False])
def test_rmsnorm_gradcheck_and_torch(affine):
    ours = RMSNorm(4, eps=1e-5, elementwise_affine=affine)
    theirs = torch.nn.RMSNorm(4, eps=1e-5, elementwise_affine=affine)
    if affine:
        with torch.no_grad():
            theirs.weight.normal_()
        for v, w in zip(ours.weight, theirs.weight.tolist()):
            v.data = w
    x = torch.randn(3, 4, requires_grad=True)
    xv = values(x.tolist())
    out, expected = ours(xv), theirs(x)
    close(out, expected)
    weights = torch.randn(3, 4)
    (expected * weights).sum().backward()
    sum((v * w for v, w in zip(flatten(out), weights.flatten().tolist())), Value(0.0)).backward()
    close([v.grad for v in flatten(xv)], x.grad.flatten())
    if affine:
        close([w.grad for w in ours.weight], theirs.weight.grad)
    assert gradcheck_module(ours, [Value(0.3), Value(-1.2), Value(2.0), Value(0.5)])


def test_rmsnorm_refusals():
    with pytest.raises(ValueError, match="RMSNorm: eps must be a number > 0"):
        RMSNorm(2, eps=0.0)
    with pytest.raises(ValueError, match="RMSNorm: expected an input whose last dimension is normalized_shape=2"):
        RMSNorm(2)([1.0, 2.0, 3.0])


# --- TransformerBlock: norm choice, bias=False, KV cache -----------------------------------


def torch_block(norm, bias, affine, norm_first=True):
    layer = torch.nn.TransformerEncoderLayer(4, 2, 6, dropout=0.0, norm_first=norm_first, bias=bias).eval()
    if norm == "rmsnorm":
        layer.norm1 = torch.nn.RMSNorm(4, eps=1e-5, elementwise_affine=affine)
        layer.norm2 = torch.nn.RMSNorm(4, eps=1e-5, elementwise_affine=affine)
    elif not affine:
        layer.norm1 = torch.nn.LayerNorm(4, elementwise_affine=False)
        layer.norm2 = torch.nn.LayerNorm(4, elementwise_affine=False)
    with torch.no_grad():
        for p in layer.parameters():
            p.add_(0.1 * torch.randn(p.shape))
    return layer


@pytest.mark.parametrize("norm, bias, affine, norm_first", [
    ("rmsnorm", False, False, True),
    ("rmsnorm", True, True, False),
    ("layernorm", False, True, True),
    ("layernorm", False, False, False),
])
def test_transformer_block_norm_choice_and_bias_against_torch(norm, bias, affine, norm_first):
    theirs = torch_block(norm, bias, affine, norm_first)
    ours = copy_weights(theirs, TransformerBlock(4, 2, 6, norm_first=norm_first, causal=True, bias=bias,
                                                    norm=norm, norm_affine=affine))
    assert ours.num_parameters() == sum(p.numel() for p in theirs.parameters())
    x = torch.randn(3, 4, requires_grad=True)
    xv = values(x.tolist())
    out = ours(xv)
    expected = theirs(x, src_mask=torch.nn.Transformer.generate_square_subsequent_mask(3), is_causal=True)
    close(out, expected)
    weights = torch.randn(3, 4)
    (expected * weights).sum().backward()
    sum((v * w for v, w in zip(flatten(out), weights.flatten().tolist())), Value(0.0)).backward()
    close([v.grad for v in flatten(xv)], x.grad.flatten())


def test_bias_false_leaves_out_every_bias_and_the_norm_is_checked():
    block = TransformerBlock(4, 2, 6, bias=False, norm="rmsnorm", norm_affine=False)
    assert not [n for n, _ in block.named_parameters() if "bias" in n]
    assert block.num_parameters() == 4 * 16 + 2 * 4 * 6
    with pytest.raises(ValueError, match="norm must be one of 'layernorm', 'rmsnorm', got 'batchnorm'"):
        TransformerBlock(4, 2, norm="batchnorm")


@pytest.mark.parametrize("norm_first", [True, False])
def test_transformer_block_kv_cache_equals_the_full_forward(norm_first):
    block = TransformerBlock(4, 2, 6, norm_first=norm_first, causal=True, rng=random.Random(1))
    xs = [[random.Random(i).uniform(-1, 1) for _ in range(4)] for i in range(5)]
    full = block(xs)
    cache = nn.KVCache()
    pieces = block(xs[:2], kv_cache=cache) + block(xs[2:3], kv_cache=cache) + block(xs[3:], kv_cache=cache)
    assert data(pieces) == data(full)


def test_kv_cache_without_causal_attends_to_everything_cached():
    mha = nn.MultiheadAttention(4, 2, rng=random.Random(0))
    xs = [[0.1, 0.2, 0.3, 0.4], [0.5, -0.1, 0.0, 0.2]]
    cache = nn.KVCache()
    mha(xs[:1], kv_cache=cache)
    out, w = mha(xs[1:], kv_cache=cache)
    full, full_w = mha(xs)
    assert data(out) == data(full[1:]) and data(w) == data(full_w[1:])
    with pytest.raises(ValueError, match="kv_cache is for self-attention"):
        mha(xs, xs, kv_cache=cache)


# --- the GPT against the same model in torch ------------------------------------------------


class TorchGPT(torch.nn.Module):
    """nn.GPT's wiring in torch: embeddings, RMSNorm, a pre-norm encoder layer without biases, a head."""

    def __init__(self, ours):
        super().__init__()
        self.wte = torch.nn.Parameter(torch.tensor(data(ours.wte.weight)))
        self.wpe = torch.nn.Parameter(torch.tensor(data(ours.wpe.weight)))
        block = ours.blocks[0]
        self.layer = torch.nn.TransformerEncoderLayer(16, 4, 64, dropout=0.0, norm_first=True, bias=False)
        self.layer.norm1 = torch.nn.RMSNorm(16, eps=1e-5, elementwise_affine=False)
        self.layer.norm2 = torch.nn.RMSNorm(16, eps=1e-5, elementwise_affine=False)
        self.norm = torch.nn.RMSNorm(16, eps=1e-5, elementwise_affine=False)
        with torch.no_grad():
            self.layer.self_attn.in_proj_weight.copy_(torch.tensor(data(block.self_attn.in_proj_weight)))
            self.layer.self_attn.out_proj.weight.copy_(torch.tensor(data(block.self_attn.out_proj.weight)))
            self.layer.linear1.weight.copy_(torch.tensor(data(block.linear1.weight)))
            self.layer.linear2.weight.copy_(torch.tensor(data(block.linear2.weight)))
        self.lm_head = torch.nn.Parameter(torch.tensor(data(ours.lm_head.weight)))

    def forward(self, tokens):
        n = len(tokens)
        x = self.norm(self.wte[tokens] + self.wpe[:n])
        mask = torch.nn.Transformer.generate_square_subsequent_mask(n)
        return self.layer(x, src_mask=mask, is_causal=True) @ self.lm_head.T


def test_gpt_logits_and_grads_equal_torchs():
    ours = GPT(27, rng=random.Random(42))
    theirs = TorchGPT(ours)
    tokens = [26, 4, 12, 12, 0, 26]
    logits = ours(tokens[:-1])
    expected = theirs(torch.tensor(tokens[:-1]))
    close(logits, expected)
    loss = cross_entropy(logits, tokens[1:])
    torch_loss = torch.nn.functional.cross_entropy(expected, torch.tensor(tokens[1:]))
    assert loss.data == pytest.approx(torch_loss.item(), abs=TOL)
    loss.backward()
    torch_loss.backward()
    close([[v.grad for v in row] for row in ours.wte.weight], theirs.wte.grad)
    close([[v.grad for v in row] for row in ours.lm_head.weight], theirs.lm_head.grad)
    close([[v.grad for v in row] for row in ours.blocks[0].linear1.weight], theirs.layer.linear1.weight.grad)
    close([[v.grad for v in row] for row in ours.blocks[0].self_attn.in_proj_weight],
          theirs.layer.self_attn.in_proj_weight.grad)


def test_a_small_gpt_passes_gradcheck():
    model = GPT(5, block_size=3, n_embd=4, n_head=2, rng=random.Random(0))
    loss_of = lambda: cross_entropy(model([4, 1, 2]), [1, 2, 4])  # noqa: E731
    params = model.parameters()
    assert gradcheck(lambda *ps: loss_of(), params, fast_mode=True, seed=3)
    assert gradcheck(lambda *ps: loss_of(), params[:40])


# --- cross_entropy: probability targets, ignore_index, label_smoothing ------------------------

ROWS = [[0.2, -1.0, 3.0], [1.5, 0.5, -0.5], [0.0, 2.0, 2.0], [-1.0, 0.3, 0.7]]


def torch_ce(targets, **kwargs):
    x = torch.tensor(ROWS, requires_grad=True)
    t = torch.tensor(targets)
    loss = torch.nn.functional.cross_entropy(x, t, **kwargs)
    return x, loss


def ours_ce(targets, **kwargs):
    rows = [values(r) for r in ROWS]
    return rows, cross_entropy(rows, targets, **kwargs)


SOFT = [[0.2, 0.3, 0.5], [1.0, 0.0, 0.0], [0.0, 0.5, 0.5], [0.1, 0.1, 0.8]]


@pytest.mark.parametrize("targets", [[0, 2, 1, 1], SOFT])
@pytest.mark.parametrize("kwargs", [
    {}, {"reduction": "sum"}, {"reduction": "none"}, {"label_smoothing": 0.1},
    {"label_smoothing": 0.3, "reduction": "sum"}, {"label_smoothing": 1.0},
])
def test_cross_entropy_against_torch(targets, kwargs):
    rows, loss = ours_ce(targets, **kwargs)
    x, expected = torch_ce(targets, **kwargs)
    close(loss, expected)
    weights = torch.randn(expected.shape)
    (expected * weights).sum().backward()
    if isinstance(loss, list):
        sum((v * w for v, w in zip(loss, weights.tolist())), Value(0.0)).backward()
    else:
        (loss * weights.item()).backward()
    close([[v.grad for v in r] for r in rows], x.grad)


@pytest.mark.parametrize("kwargs", [{}, {"reduction": "sum"}, {"reduction": "none"}, {"label_smoothing": 0.2},
                                    {"ignore_index": 1}])
def test_cross_entropy_ignore_index_against_torch(kwargs):
    targets = [0, -100, 2, 1] if "ignore_index" not in kwargs else [0, 1, 2, 1]
    rows, loss = ours_ce(targets, **kwargs)
    x, expected = torch_ce(targets, **kwargs)
    close(loss, expected)
    expected.sum().backward()
    (engine_sum(loss)).backward()
    close([[v.grad for v in r] for r in rows], x.grad)


def engine_sum(loss):
    return sum(loss, Value(0.0)) if isinstance(loss, list) else loss


def test_cross_entropy_by_hand():
    # Two classes, scores (0, log 3): softmax (1/4, 3/4).
    s = [0.0, math.log(3)]
    assert cross_entropy(values(s), 1).data == pytest.approx(-math.log(0.75), abs=1e-15)
    # label_smoothing 0.5 over 2 classes: target (0.25, 0.75) for class 1.
    expected = -(0.25 * math.log(0.25) + 0.75 * math.log(0.75))
    assert cross_entropy(values(s), 1, label_smoothing=0.5).data == pytest.approx(expected, abs=1e-15)
    assert cross_entropy(values(s), [0.25, 0.75]).data == pytest.approx(expected, abs=1e-15)
    # d loss / d s = softmax - target
    scores = values(s)
    cross_entropy(scores, [0.5, 0.5]).backward()
    assert [v.grad for v in scores] == pytest.approx([-0.25, 0.25], abs=1e-15)
    assert gradcheck(lambda a, b, c: cross_entropy([a, b, c], [0.2, 0.3, 0.5], label_smoothing=0.1),
                     [0.4, -1.2, 2.0])
    assert gradcheck(lambda a, b, c: cross_entropy([a, b, c], 1, label_smoothing=0.25), [0.4, -1.2, 2.0])


def test_huge_tied_scores_give_log_2():
    for big in (1e15, 1e16, 1e300):
        assert cross_entropy(values([big, big]), 0).data == pytest.approx(math.log(2), abs=1e-15)
        assert [v.data for v in log_softmax(values([big, big]))] == pytest.approx([-math.log(2)] * 2, abs=1e-15)


def test_soft_targets_may_be_values_and_get_gradients():
    p = [Value(0.25), Value(0.75)]
    cross_entropy(values([0.0, math.log(3)]), p).backward()
    assert [v.grad for v in p] == pytest.approx([-math.log(0.25), -math.log(0.75)], abs=1e-15)


@pytest.mark.parametrize("call, error, message", [
    (lambda: cross_entropy(values([1.0, 2.0]), [0.5]), ValueError, "1 class probabilities for 2 classes"),
    (lambda: cross_entropy(values([1.0, 2.0]), [1.5, -0.5]), ValueError, r"class 0 must be a probability in \[0, 1\]"),
    (lambda: cross_entropy(values([1.0, 2.0]), 0, label_smoothing=1.5), ValueError, "label_smoothing must be"),
    (lambda: cross_entropy(values([1.0, 2.0]), 0, label_smoothing=10**400), ValueError, "too large"),
    (lambda: cross_entropy([values([1.0, 2.0])], [-100]), ValueError, "every target is ignore_index=-100"),
    (lambda: cross_entropy(values([1.0, 2.0]), -1), ValueError, "class index in 0..1, got -1"),
    (lambda: cross_entropy([values([1.0, 2.0])], [0], reduction="avg"), ValueError, "reduction must be"),
])
def test_cross_entropy_refusals(call, error, message):
    with pytest.raises(error, match=message):
        call()


# --- activations by op name -----------------------------------------------------------------


def test_every_one_input_op_is_an_activation():
    n = nn.Neuron(2, activation="softplus", rng=random.Random(0))
    assert n([1.0, -1.0])._op == "softplus"
    assert nn.functional.activation("sin") is Value.sin
    with pytest.raises(ValueError, match="one-input op of the table"):
        nn.Neuron(2, activation="add")


def test_a_registered_op_is_an_activation_at_once():
    register_op("cube_act", lambda a: a**3, lambda out, a: (3 * a * a,))
    try:
        assert "cube_act" in nn.functional.activation_names()
        layer = nn.Layer(1, 1, activation="cube_act", rng=random.Random(0))
        out = layer([2.0])
        assert out._op == "cube_act"
        assert gradcheck_module(layer, [Value(0.7)])
    finally:
        del OPS["cube_act"]


@pytest.mark.parametrize("call", [
    lambda: nn.mse_loss(Value(1.0), 10**400),
    lambda: nn.hinge_loss([Value(1.0)], [-(10**400)]),
    lambda: nn.binary_cross_entropy_with_logits(Value(0.0), 10**400),
    lambda: cross_entropy([Value(0.0), Value(1.0)], [10**400, 0]),
])
def test_loss_targets_beyond_float_range_are_refused_by_name(call):
    with pytest.raises(ValueError, match="target 0"):
        call()
