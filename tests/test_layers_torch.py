"""The architecture layers against PyTorch (an optional extra): same weights in, same numbers out.

Each test copies a torch module's weights into ours by name (our ``weight.0.1.2`` is torch's
``weight[0, 1, 2]``), runs both on the same random input in float64, and compares outputs
and, where it matters, the gradients reaching the input.
"""

import pytest

torch = pytest.importorskip("torch")

import nn  # noqa: E402
from engine import Value  # noqa: E402
from nn.shapes import flatten, values  # noqa: E402

TOL = 1e-10


@pytest.fixture(autouse=True)
def float64():
    previous = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    torch.manual_seed(0)
    yield
    torch.set_default_dtype(previous)


def copy_weights(torch_module, ours):
    """Load a torch module's parameters into ours: name 'a.b.3.1' reads torch's 'a.b'[3, 1]."""
    state = torch_module.state_dict()
    new = {}
    for name in ours.state_dict():
        parts = name.split(".")
        k = next(i for i, p in enumerate(parts) if p.isdigit())
        new[name] = state[".".join(parts[:k])][tuple(int(p) for p in parts[k:])].item()
    ours.load_state_dict(new)
    return ours


def data(x):
    return x.data if isinstance(x, Value) else [data(item) for item in x]


def assert_same(ours, theirs):
    got = torch.tensor(data(ours))
    assert got.shape == theirs.shape
    assert torch.allclose(got, theirs.detach(), atol=TOL, rtol=0), (got - theirs).abs().max()


def input_grads(ours_out, theirs_out, x_values, x_tensor):
    """Backward from the same weighted sum of outputs in both; return (our input grads, torch's)."""
    weights = torch.randn(theirs_out.shape)
    (theirs_out * weights).sum().backward()
    total = Value(0.0)
    for v, w in zip(flatten(ours_out), weights.flatten().tolist()):
        total = total + v * w
    total.backward()
    return torch.tensor([v.grad for v in flatten(x_values)]), x_tensor.grad.flatten()


@pytest.mark.parametrize("stride, padding", [(1, 0), (2, 1), ((1, 2), (0, 1))])
def test_conv2d(stride, padding):
    theirs = torch.nn.Conv2d(2, 3, (3, 2), stride=stride, padding=padding)
    ours = copy_weights(theirs, nn.Conv2d(2, 3, (3, 2), stride=stride, padding=padding))
    x = torch.randn(2, 5, 4, requires_grad=True)
    xv = values(x.tolist())
    out, expected = ours(xv), theirs(x)
    assert_same(out, expected)
    mine, torchs = input_grads(out, expected, xv, x)
    assert torch.allclose(mine, torchs, atol=TOL)


def test_conv1d_and_pools():
    theirs = torch.nn.Conv1d(2, 3, 3, stride=2, padding=1)
    ours = copy_weights(theirs, nn.Conv1d(2, 3, 3, stride=2, padding=1))
    x = torch.randn(2, 7)
    assert_same(ours(x.tolist()), theirs(x))
    image = torch.randn(2, 5, 5)
    for ours_pool, torch_pool in [(nn.MaxPool2d(3, 2, 1), torch.nn.MaxPool2d(3, 2, 1)),
                                  (nn.AvgPool2d(3, 2, 1), torch.nn.AvgPool2d(3, 2, 1)),
                                  (nn.MaxPool2d(2), torch.nn.MaxPool2d(2))]:
        assert_same(ours_pool(image.tolist()), torch_pool(image))


@pytest.mark.parametrize("name", ["RNN", "GRU", "LSTM"])
def test_sequence_modules(name):
    theirs = getattr(torch.nn, name)(3, 4, num_layers=2)
    ours = copy_weights(theirs, getattr(nn, name)(3, 4, num_layers=2))
    x = torch.randn(5, 3, requires_grad=True)
    xv = values(x.tolist())
    out, state = ours(xv)
    expected, expected_state = theirs(x)
    assert_same(out, expected)
    if name == "LSTM":
        assert_same(state[0], expected_state[0])
        assert_same(state[1], expected_state[1])
    else:
        assert_same(state, expected_state)
    mine, torchs = input_grads(out, expected, xv, x)
    assert torch.allclose(mine, torchs, atol=TOL)


@pytest.mark.parametrize("name", ["RNNCell", "GRUCell", "LSTMCell"])
def test_cells_with_a_given_state(name):
    theirs = getattr(torch.nn, name)(3, 2)
    ours = copy_weights(theirs, getattr(nn, name)(3, 2))
    x, h, c = torch.randn(3), torch.randn(2), torch.randn(2)
    if name == "LSTMCell":
        hn, cn = ours(x.tolist(), (h.tolist(), c.tolist()))
        th, tc = theirs(x, (h, c))
        assert_same(hn, th)
        assert_same(cn, tc)
    else:
        assert_same(ours(x.tolist(), h.tolist()), theirs(x, h))


def test_scaled_dot_product_attention_with_masks():
    q, k, v = torch.randn(3, 4), torch.randn(5, 4), torch.randn(5, 2)
    mask = torch.rand(3, 5) > 0.4
    mask[:, 0] = True
    F = torch.nn.functional
    assert_same(nn.scaled_dot_product_attention(q.tolist(), k.tolist(), v.tolist(), attn_mask=mask.tolist()),
                F.scaled_dot_product_attention(q, k, v, attn_mask=mask))
    assert_same(nn.scaled_dot_product_attention(q.tolist(), k.tolist(), v.tolist(), is_causal=True, scale=0.3),
                F.scaled_dot_product_attention(q, k, v, is_causal=True, scale=0.3))


def test_multihead_attention_outputs_and_weights():
    theirs = torch.nn.MultiheadAttention(4, 2)
    with torch.no_grad():  # torch starts the biases at zero; make them count
        theirs.in_proj_bias.normal_()
        theirs.out_proj.bias.normal_()
    ours = copy_weights(theirs, nn.MultiheadAttention(4, 2))
    x, memory = torch.randn(3, 4), torch.randn(5, 4)
    causal = torch.triu(torch.ones(3, 3, dtype=torch.bool), 1)
    out, w = ours(x.tolist(), attn_mask=causal.tolist(), average_attn_weights=False)
    expected, expected_w = theirs(x, x, x, attn_mask=causal, average_attn_weights=False)
    assert_same(out, expected)
    assert_same(w, expected_w)
    out, w = ours(x.tolist(), memory.tolist(), memory.tolist())
    expected, expected_w = theirs(x, memory, memory)
    assert_same(out, expected)
    assert_same(w, expected_w)


@pytest.mark.parametrize("norm_first", [False, True])
def test_transformer_block_is_torchs_encoder_layer(norm_first):
    theirs = torch.nn.TransformerEncoderLayer(4, 2, 6, dropout=0.0, norm_first=norm_first).eval()
    with torch.no_grad():
        for p in theirs.parameters():
            p.add_(0.1 * torch.randn(p.shape))  # layer norm weights off 1, biases off 0
    ours = copy_weights(theirs, nn.TransformerBlock(4, 2, 6, norm_first=norm_first, causal=True))
    x = torch.randn(3, 4, requires_grad=True)
    causal = torch.nn.Transformer.generate_square_subsequent_mask(3)
    xv = values(x.tolist())
    out, expected = ours(xv), theirs(x, src_mask=causal, is_causal=True)
    assert_same(out, expected)
    mine, torchs = input_grads(out, expected, xv, x)
    assert torch.allclose(mine, torchs, atol=TOL)


def test_layer_norm_and_embedding():
    theirs = torch.nn.LayerNorm(3)
    with torch.no_grad():
        theirs.weight.normal_()
        theirs.bias.normal_()
    ours = copy_weights(theirs, nn.LayerNorm(3))
    x = torch.randn(4, 3)
    assert_same(ours(x.tolist()), theirs(x))
    emb = torch.nn.Embedding(5, 2)
    assert_same(copy_weights(emb, nn.Embedding(5, 2))([4, 0, 4]), emb(torch.tensor([4, 0, 4])))
