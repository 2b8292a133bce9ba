"""The architecture layers (conv, pooling, recurrent, attention, norm): outputs against values worked out
by hand on tiny cases, gradients against finite differences, shape errors, parameter names."""

import math
import random

import pytest

import nn
from engine import Value, gradcheck
from nn.shapes import flatten, shape, values


def data(x):
    """Nested Values -> nested floats, for comparing with hand-written numbers."""
    if isinstance(x, Value):
        return x.data
    return [data(item) for item in x]


def close(a, b, tol=1e-12):
    """Nested lists of floats equal within tol."""
    if isinstance(a, list):
        return len(a) == len(b) and all(close(x, y, tol) for x, y in zip(a, b))
    return abs(a - b) <= tol


def sigmoid(z):
    return 1.0 / (1.0 + math.exp(-z))


def set_params(module, mapping):
    module.load_state_dict(mapping)
    return module


def set_all(module, value_of_name):
    """Set every parameter from a function of its name (strict load: every name is given)."""
    module.load_state_dict({name: value_of_name(name) for name in module.state_dict()})
    return module


def random_input(dims, seed=0):
    rng = random.Random(seed)

    def build(d):
        if not d:
            return Value(rng.uniform(-1.0, 1.0))
        return [build(d[1:]) for _ in range(d[0])]

    return build(tuple(dims))


def assert_gradcheck(module, x, call=None):
    """gradcheck every parameter of ``module`` and every Value of the input ``x`` at once."""
    call = call or (lambda m, x: m(x))
    points = module.parameters() + [v for v in flatten(x) if isinstance(v, Value)]
    assert points
    assert gradcheck(lambda *_: call(module, x), points)


# --- Conv2d ------------------------------------------------------------------------------

IMAGE_4x4 = [[[1.0, 2.0, 0.0, 1.0],
              [0.0, 1.0, 3.0, 1.0],
              [2.0, 0.0, 1.0, 0.0],
              [1.0, 1.0, 0.0, 2.0]]]
KERNEL_3x3 = [[1.0, 0.0, -1.0],
              [2.0, 0.0, -2.0],
              [1.0, 0.0, -1.0]]  # Sobel: left minus right


def sobel_conv(**kwargs):
    conv = nn.Conv2d(1, 1, 3, **kwargs)
    state = {f"weight.0.0.{i}.{j}": KERNEL_3x3[i][j] for i in range(3) for j in range(3)}
    state["bias.0"] = 0.5
    return set_params(conv, state)


def test_conv2d_one_channel_3x3_on_4x4_by_hand():
    # Top-left window rows [1,2,0],[0,1,3],[2,0,1]: 1*1 - 0 + 0*2 - 3*2 + 2*1 - 1*1 = -4, plus bias 0.5.
    # Top-right window [2,0,1],[1,3,1],[0,1,0]: 2 - 1 + 2 - 2 + 0 - 0 = 1.
    # Bottom-left [0,1,3],[2,0,1],[1,1,0]: 0 - 3 + 4 - 2 + 1 - 0 = 0.
    # Bottom-right [1,3,1],[0,1,0],[1,0,2]: 1 - 1 + 0 - 0 + 1 - 2 = -1.
    out = sobel_conv()(IMAGE_4x4)
    assert data(out) == [[[-3.5, 1.5], [0.5, -0.5]]]


def test_conv2d_padding_and_stride_by_hand():
    # padding=1 makes the image 6x6; stride 2 takes windows at rows/cols 0 and 2.
    # Window (0,0) over the padded image: rows [0,0,0],[0,1,2],[0,0,1] -> 0 + 0 - 2*2 + 0 - 1 = -5 (+0.5).
    # Window (0,2): rows [0,0,0],[2,0,1],[1,3,1] -> 2*2 - 2*1 + 1 - 1 = 2 (+0.5).
    # Window (2,0): rows [0,0,1],[0,2,0],[0,1,1] -> -1 + 0 - 0 + 0 - 1 = -2 (+0.5).
    # Window (2,2): rows [1,3,1],[0,1,0],[1,0,2] -> 1 - 1 + 0 + 1 - 2 = -1 (+0.5).
    out = sobel_conv(stride=2, padding=1)(IMAGE_4x4)
    assert data(out) == [[[-4.5, 2.5], [-1.5, -0.5]]]


def test_conv2d_sums_over_input_channels_and_keeps_output_channels_apart():
    conv = nn.Conv2d(2, 2, 1, bias=False)
    set_params(conv, {"weight.0.0.0.0": 1.0, "weight.0.1.0.0": 10.0, "weight.1.0.0.0": -1.0, "weight.1.1.0.0": 0.0})
    image = [[[1.0, 2.0]], [[3.0, 4.0]]]  # 2 channels of 1x2
    assert data(conv(image)) == [[[31.0, 42.0]], [[-1.0, -2.0]]]


def test_conv2d_weight_gradient_is_the_input_window_sum():
    # d(sum of outputs)/d(weight[i][j]) is the sum of the pixels the weight touches.
    conv = sobel_conv()
    out = conv(IMAGE_4x4)
    Value.backward(sum(flatten(out), Value(0.0)))
    grads = [[conv.weight[0][0][i][j].grad for j in range(3)] for i in range(3)]
    pixels = IMAGE_4x4[0]
    expected = [[sum(pixels[i + y][j + x] for y in range(2) for x in range(2)) for j in range(3)] for i in range(3)]
    assert grads == expected
    assert conv.bias[0].grad == 4.0


def test_conv2d_output_is_one_dot_node_per_unit():
    out = sobel_conv()(IMAGE_4x4)
    node = out[0][0][0]
    assert node._op == "dot" and len(node._prev) == 2 * (9 + 1)  # 9 weights and the bias, against 9 pixels and 1


def test_conv2d_accepts_values_and_plain_numbers_alike():
    conv = sobel_conv()
    assert data(conv(values(IMAGE_4x4))) == data(conv(IMAGE_4x4))


def test_conv1d_by_hand():
    conv = set_params(nn.Conv1d(1, 1, 3, padding=1), {"weight.0.0.0": 1.0, "weight.0.0.1": 2.0,
                                                       "weight.0.0.2": 3.0, "bias.0": -1.0})
    # padded signal [0, 1, 2, 3, 0]: windows [0,1,2] -> 8, [1,2,3] -> 14, [2,3,0] -> 8, minus 1.
    assert data(conv([[1.0, 2.0, 3.0]])) == [[7.0, 13.0, 7.0]]
    conv2 = set_params(nn.Conv1d(1, 1, 2, stride=2, bias=False), {"weight.0.0.0": 1.0, "weight.0.0.1": -1.0})
    assert data(conv2([[5.0, 1.0, 2.0, 7.0, 9.0]])) == [[4.0, -5.0]]


# --- pooling and Flatten --------------------------------------------------------------------


def test_max_pool_by_hand_and_its_gradient_goes_to_the_winner_only():
    x = values(IMAGE_4x4)
    out = nn.MaxPool2d(2)(x)
    assert data(out) == [[[2.0, 3.0], [2.0, 2.0]]]
    assert out[0][0][1] is x[0][1][2]  # the output is the winning input node itself
    total = sum(flatten(out), Value(0.0))
    total.backward()
    assert [[v.grad for v in row] for row in x[0]] == [[0.0, 1.0, 0.0, 0.0],
                                                      [0.0, 0.0, 1.0, 0.0],
                                                      [1.0, 0.0, 0.0, 0.0],
                                                      [0.0, 0.0, 0.0, 1.0]]


@pytest.mark.parametrize("image", [
    [[[1.0, 2.0], [3.0, math.nan]]],
    [[[math.nan, 2.0], [3.0, 4.0]]],
    [[[1.0, math.nan], [math.nan, 4.0]]],
])
def test_max_pool_spreads_nan_wherever_it_is_in_the_window(image):
    # torch.nn.MaxPool2d gives NaN; Python's max() skipped a NaN that was not first (3.0 for the first image).
    inputs = values(image)
    out = nn.MaxPool2d(2)(inputs)[0][0][0]
    assert math.isnan(out.data)
    out.backward()
    grads = [v.grad for v in flatten(inputs)]
    assert sorted(grads) == [0.0, 0.0, 0.0, 1.0] and math.isnan(flatten(inputs)[grads.index(1.0)].data)


@pytest.mark.parametrize("call, message", [
    (lambda: nn.Conv2d(1, 1, 2, padding=10_000)([[[1.0, 2.0], [3.0, 4.0]]]),
     "Conv2d: the padded input: 1 x 20002 x 20002 = 400080004 entries are too many to build"),
    (lambda: nn.Conv1d(4, 1, 2, padding=10**6)([[1.0, 2.0]] * 4),
     "Conv1d: this input: 1 x 2000001 x 9 = 18000009 products (output entries x window) are too many"),
    (lambda: nn.Conv1d(1, 1, 2, padding=10**7), "Conv1d: padding must be an int from 0 to 1000000, got 10000000"),
    (lambda: nn.Conv2d(1, 1, 3163), "Conv2d: 1 x 1 x 3163 x 3163 = 10004569 parameters are too many"),
])
def test_convolutions_too_large_to_build_are_refused_before_building(call, message):
    # Conv2d(1, 1, 2, padding=10_000) on a 2x2 image ran for minutes filling the memory.
    with pytest.raises(ValueError) as err:
        call()
    assert message in str(err.value)


def test_a_convolution_with_large_padding_and_stride_still_runs():
    out = nn.Conv2d(1, 1, 2, padding=1000, stride=1000, bias=False)([[[1.0, 2.0], [3.0, 4.0]]])
    assert shape(out) == (1, 3, 3) and out[0][1][1].data != 0.0 and out[0][0][0].data == 0.0


def test_max_pool_with_stride_and_padding_by_hand():
    # kernel 3, stride 2, padding 1 on 4x4: windows over rows/cols {0,1}, {1,2,3} (padding left out).
    out = nn.MaxPool2d(3, stride=2, padding=1)(IMAGE_4x4)
    assert data(out) == [[[2.0, 3.0], [2.0, 3.0]]]


def test_avg_pool_by_hand():
    assert data(nn.AvgPool2d(2)(IMAGE_4x4)) == [[[1.0, 1.25], [1.0, 0.75]]]
    # stride 1: 3x3 outputs of 2x2 means; padding counts as zeros (count_include_pad, as in PyTorch).
    assert data(nn.AvgPool2d(2, stride=1)(IMAGE_4x4))[0][0] == [1.0, 1.5, 1.25]
    assert data(nn.AvgPool2d(2, padding=1)(IMAGE_4x4))[0][0] == [0.25, 0.5, 0.25]


def test_flatten():
    x = [[[1, 2], [3, 4]], [[5, 6], [7, 8]]]
    assert nn.Flatten()(x) == [1, 2, 3, 4, 5, 6, 7, 8]
    assert nn.Flatten(start_dim=1)(x) == [[1, 2, 3, 4], [5, 6, 7, 8]]
    assert nn.Flatten(0, 1)(x) == [[1, 2], [3, 4], [5, 6], [7, 8]]
    with pytest.raises(ValueError, match=r"Flatten: start_dim=3 .* expected 0 <= start_dim <= end_dim < 3"):
        nn.Flatten(start_dim=3)(x)


# --- recurrent ----------------------------------------------------------------------------------


def test_rnn_cell_one_step_by_hand():
    cell = set_params(nn.RNNCell(2, 1), {"weight_ih.0.0": 0.5, "weight_ih.0.1": -1.0, "weight_hh.0.0": 2.0,
                                          "bias_ih.0": 0.1, "bias_hh.0": 0.2})
    h = cell([1.0, 2.0], [0.25])
    assert close(data(h), [math.tanh(0.5 - 2.0 + 2.0 * 0.25 + 0.1 + 0.2)])
    assert close(data(cell([1.0, 2.0])), [math.tanh(0.5 - 2.0 + 0.3)])  # hx defaults to zeros
    relu_cell = set_params(nn.RNNCell(2, 1, nonlinearity="relu"), cell.state_dict())
    assert data(relu_cell([1.0, 2.0], [0.25])) == [0.0]


# One LSTM/GRU unit with one input: the gate rows in PyTorch's order.
LSTM_WEIGHTS = {"i": (0.5, -0.2, 0.1, 0.05), "f": (1.0, 0.3, 0.2, -0.1), "g": (-0.7, 0.6, 0.0, 0.3),
                "o": (0.4, 0.9, -0.3, 0.0)}  # gate: (w_ih, w_hh, b_ih, b_hh)


def load_gates(cell, weights):
    state = {}
    for row, (w_ih, w_hh, b_ih, b_hh) in enumerate(weights.values()):
        state.update({f"weight_ih.{row}.0": w_ih, f"weight_hh.{row}.0": w_hh,
                      f"bias_ih.{row}": b_ih, f"bias_hh.{row}": b_hh})
    return set_params(cell, state)


def test_lstm_cell_one_step_by_hand():
    cell = load_gates(nn.LSTMCell(1, 1), LSTM_WEIGHTS)
    x, h, c = 2.0, -0.5, 0.8

    def pre(gate):
        w_ih, w_hh, b_ih, b_hh = LSTM_WEIGHTS[gate]
        return w_ih * x + b_ih + w_hh * h + b_hh

    i, f, g, o = sigmoid(pre("i")), sigmoid(pre("f")), math.tanh(pre("g")), sigmoid(pre("o"))
    c_next = f * c + i * g
    h_next = o * math.tanh(c_next)
    hn, cn = cell([x], ([h], [c]))
    assert close(data(hn), [h_next]) and close(data(cn), [c_next])
    # The same numbers written out: pre(i) = 1.0 + 0.1 + 0.1 + 0.05 = 1.25, pre(f) = 2.0 + 0.2 - 0.15 - 0.1,
    # pre(g) = -1.4 + 0.0 - 0.3 + 0.3.
    assert round(c_next, 10) == round(sigmoid(1.95) * 0.8 + sigmoid(1.25) * math.tanh(-1.4), 10)


GRU_WEIGHTS = {"r": (0.5, -0.2, 0.1, 0.05), "z": (1.0, 0.3, 0.2, -0.1), "n": (-0.7, 0.6, 0.0, 0.3)}


def test_gru_cell_one_step_by_hand():
    cell = load_gates(nn.GRUCell(1, 1), GRU_WEIGHTS)
    x, h = 2.0, -0.5
    r = sigmoid(0.5 * x + 0.1 - 0.2 * h + 0.05)
    z = sigmoid(1.0 * x + 0.2 + 0.3 * h - 0.1)
    n = math.tanh(-0.7 * x + 0.0 + r * (0.6 * h + 0.3))  # the reset gate scales W_hn h + b_hn, bias included
    assert close(data(cell([x], [h])), [(1 - z) * n + z * h])


def test_rnn_runs_the_cell_along_the_sequence():
    rnn = nn.RNN(1, 1)
    set_params(rnn, {"weight_ih_l0.0.0": 1.0, "weight_hh_l0.0.0": 0.5, "bias_ih_l0.0": 0.0, "bias_hh_l0.0": 0.0})
    output, h_n = rnn([[1.0], [0.0], [-1.0]])
    h1 = math.tanh(1.0)
    h2 = math.tanh(0.5 * h1)
    h3 = math.tanh(-1.0 + 0.5 * h2)
    assert close(data(output), [[h1], [h2], [h3]])
    assert close(data(h_n), [[h3]]) and h_n[0] is output[-1]
    output, _ = rnn([[1.0]], hx=[[2.0]])
    assert close(data(output), [[math.tanh(1.0 + 1.0)]])


@pytest.mark.parametrize("cls", [nn.RNN, nn.GRU, nn.LSTM])
def test_stacked_layers_feed_each_other_and_match_the_cells(cls):
    rnn = cls(2, 3, num_layers=2, rng=random.Random(1))
    xs = [[0.5, -1.0], [1.0, 0.25], [0.0, 0.75]]
    output, final = rnn(xs)
    cell_cls = {nn.RNN: nn.RNNCell, nn.GRU: nn.GRUCell, nn.LSTM: nn.LSTMCell}[cls]
    cells = [cell_cls(2, 3), cell_cls(3, 3)]
    for k, cell in enumerate(cells):
        set_all(cell, lambda name, k=k: rnn.state_dict()[name.replace(".", f"_l{k}.", 1)])
    seq, states = xs, []
    for cell in cells:
        state, outs = None, []
        for x in seq:
            state = cell(x, state)
            outs.append(state[0] if cls is nn.LSTM else state)
        states.append(state)
        seq = outs
    assert close(data(output), data(seq))
    if cls is nn.LSTM:
        h_n, c_n = final
        assert close(data(h_n), data([s[0] for s in states])) and close(data(c_n), data([s[1] for s in states]))
    else:
        assert close(data(final), data(states))


def test_recurrent_parameter_names_are_pytorchs():
    names = [n for n, _ in nn.LSTM(2, 3, num_layers=2).named_parameters()]
    prefixes = list(dict.fromkeys(n.split(".")[0] for n in names))
    assert prefixes == ["weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0",
                        "weight_ih_l1", "weight_hh_l1", "bias_ih_l1", "bias_hh_l1"]
    lstm = nn.LSTM(2, 3)
    assert shape(lstm.weight_ih_l0) == (12, 2) and lstm.weight_hh_l0[11][2].label == "weight_hh_l0.11.2"
    assert nn.GRUCell(2, 3).num_parameters() == 3 * 3 * (2 + 3) + 2 * 9
    assert nn.RNN(2, 3, bias=False).num_parameters() == 3 * (2 + 3)
    assert repr(nn.GRU(2, 3, num_layers=2)) == "GRU(2, 3, num_layers=2)"


# --- embedding, layer norm, dropout ----------------------------------------------------------


def test_embedding_looks_up_rows_and_refuses_bad_indices():
    emb = nn.Embedding(3, 2, rng=random.Random(0))
    assert emb([2, 0, 2])[0] == emb.weight[2] and emb([2, 0, 2])[2][1] is emb.weight[2][1]
    out = emb([1, 1])
    Value.backward(out[0][0] + 3 * out[1][0])
    assert emb.weight[1][0].grad == 4.0 and emb.weight[0][0].grad == 0.0
    with pytest.raises(ValueError, match=r"Embedding: input\[1\] = 3 is out of range; expected an index in 0\.\.2"):
        emb([0, 3])
    with pytest.raises(TypeError, match="Embedding: input must be a token index"):
        emb(1.0)


def test_layer_norm_by_hand():
    norm = nn.LayerNorm(4, eps=0.0 + 1e-5)
    x = [2.0, 4.0, 4.0, 6.0]  # mean 4, variance (4 + 0 + 0 + 4) / 4 = 2
    expected = [(v - 4.0) / math.sqrt(2.0 + 1e-5) for v in x]
    assert close(data(norm(x)), expected)
    set_params(norm, {**{f"weight.{i}": 2.0 for i in range(4)}, **{f"bias.{i}": float(i) for i in range(4)}})
    assert close(data(norm(x)), [2.0 * e + i for i, e in enumerate(expected)])
    assert close(data(norm([x, x])), [data(norm(x))] * 2)  # a sequence: each vector on its own
    assert nn.LayerNorm(3, elementwise_affine=False).num_parameters() == 0


def test_dropout_train_and_eval():
    nn.manual_seed(0)
    drop = nn.Dropout(0.25)
    x = [[Value(1.0)] * 50] * 4
    out = drop(x)
    kept = [v.data for v in flatten(out)]
    assert set(kept) == {0.0, 1.0 / 0.75}
    assert 30 < kept.count(0.0) < 70  # about a quarter of 200
    nn.manual_seed(0)
    assert [v.data for v in flatten(nn.Dropout(0.25)(x))] == kept  # seeded: the same values dropped
    assert drop.eval()(x) is x
    assert nn.Dropout(0.0)(x) is x
    assert {v.data for v in flatten(nn.Dropout(1.0)(x))} == {0.0}
    y = Value(3.0)
    outs = nn.Dropout(0.5, rng=random.Random(3))([y] * 20)
    Value.backward(sum(outs, Value(0.0)))
    assert y.grad == 2.0 * sum(o.data != 0.0 for o in outs)  # dropped ones pass no gradient


def test_dropout_follows_the_parents_train_and_eval():
    block = nn.TransformerBlock(4, 2, 8, dropout=0.5)
    block.eval()
    assert not any(m.training for m in block.modules())
    block.train()
    assert block.dropout1.training


# --- attention ------------------------------------------------------------------------------


def test_scaled_dot_product_attention_by_hand():
    q = [[1.0, 1.0]]
    k = [[1.0, 1.0], [1.0, -1.0]]
    v = [[1.0, 0.0], [0.0, 4.0]]
    out, w = nn.scaled_dot_product_attention(q, k, v, need_weights=True)
    # scores (2, 0) / sqrt(2); weights e^sqrt2 / (e^sqrt2 + 1) and 1 / (e^sqrt2 + 1)
    a = math.exp(math.sqrt(2.0))
    assert close(data(w), [[a / (a + 1), 1 / (a + 1)]])
    assert close(data(out), [[a / (a + 1), 4 / (a + 1)]])
    out = nn.scaled_dot_product_attention(q, k, v, scale=0.0)
    assert close(data(out), [[0.5, 2.0]])


def test_attention_masks_give_exact_zero_weights():
    x = [[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]]
    _, w = nn.scaled_dot_product_attention(x, x, x, is_causal=True, need_weights=True)
    assert [[p.data == 0.0 for p in row] for row in w] == [[False, True, True], [False, False, True],
                                                            [False, False, False]]
    assert w[0][0].data == 1.0
    mask = [[True, False, True]] * 3
    _, w = nn.scaled_dot_product_attention(x, x, x, attn_mask=mask, need_weights=True)
    assert all(row[1].data == 0.0 and abs(row[0].data + row[2].data - 1.0) < 1e-12 for row in w)
    with pytest.raises(ValueError, match="query 0 may attend to no key"):
        nn.scaled_dot_product_attention(x, x, x, attn_mask=[[False] * 3] * 3)
    with pytest.raises(ValueError, match=r"attn_mask must be a \[target_len=3\]\[source_len=3\] list of True/False"):
        nn.scaled_dot_product_attention(x, x, x, attn_mask=[[1, 0, 1]] * 3)


def identity_mha(embed_dim, num_heads):
    """A MultiheadAttention whose projections are the identity and biases zero."""
    mha = nn.MultiheadAttention(embed_dim, num_heads)

    def value(name):
        parts = name.split(".")
        if parts[0] == "in_proj_weight":
            row, col = int(parts[1]), int(parts[2])
            return 1.0 if row % embed_dim == col else 0.0
        if parts[:2] == ["out_proj", "weight"]:
            return 1.0 if parts[2] == parts[3] else 0.0
        return 0.0

    return set_all(mha, value)


def test_multihead_attention_with_identity_projections_is_attention_per_head():
    x = [[1.0, 0.0, 2.0, -1.0], [0.0, 1.0, 0.5, 0.5], [1.0, 1.0, -1.0, 0.0]]
    out, w = identity_mha(4, 2)(x, average_attn_weights=False, is_causal=True)
    head0 = nn.scaled_dot_product_attention([r[:2] for r in x], [r[:2] for r in x], [r[:2] for r in x],
                                            is_causal=True, need_weights=True)
    head1 = nn.scaled_dot_product_attention([r[2:] for r in x], [r[2:] for r in x], [r[2:] for r in x],
                                            is_causal=True, need_weights=True)
    assert close(data(out), [a + b for a, b in zip(data(head0[0]), data(head1[0]))])
    assert close(data(w), [data(head0[1]), data(head1[1])])
    _, averaged = identity_mha(4, 2)(x, is_causal=True)
    assert close(data(averaged), [[(a + b) / 2 for a, b in zip(r0, r1)] for r0, r1 in zip(data(w[0]), data(w[1]))])
    assert identity_mha(4, 2)(x, need_weights=False)[1] is None


def test_multihead_attention_mask_uses_pytorchs_convention():
    x = [[1.0, 0.0], [0.0, 1.0]]
    blocked = [[False, True], [False, False]]  # True: may NOT attend, as in torch.nn.MultiheadAttention
    _, w = identity_mha(2, 1)(x, attn_mask=blocked)
    assert w[0][1].data == 0.0 and w[0][0].data == 1.0


def test_multihead_attention_names_and_refusals():
    mha = nn.MultiHeadAttention(4, 2)
    names = [n for n, _ in mha.named_parameters()]
    assert names[0] == "in_proj_weight.0.0" and names[-1] == "out_proj.bias.3"
    assert mha.num_parameters() == 3 * 16 + 12 + 16 + 4
    with pytest.raises(ValueError, match="embed_dim must be divisible by num_heads, got embed_dim=4 and num_heads=3"):
        nn.MultiheadAttention(4, 3)


def test_transformer_block_with_zero_sublayers_is_two_layer_norms():
    # With attention's out_proj and the MLP's last layer at zero, each residual adds nothing:
    # the output is norm2(norm1(x)), and a layer norm of two numbers is known by hand.
    block = nn.TransformerBlock(2, 1, 3)

    def value(name):
        if name.startswith(("self_attn.out_proj", "linear2", "norm1.bias", "norm2.bias")):
            return 0.0
        return 1.0 if name.startswith(("norm1.weight", "norm2.weight")) else 0.5

    set_all(block, value)
    eps = 1e-5

    def norm_pair(a, b):  # mean (a+b)/2, variance ((a-b)/2)**2
        half = (a - b) / 2
        return [half / math.sqrt(half * half + eps), -half / math.sqrt(half * half + eps)]

    out = block([[1.0, 3.0], [2.0, -2.0]])
    assert close(data(out), [norm_pair(*norm_pair(1.0, 3.0)), norm_pair(*norm_pair(2.0, -2.0))])


def test_transformer_block_causal_first_token_ignores_the_rest():
    block = nn.TransformerBlock(4, 2, 8, causal=True, norm_first=True, rng=random.Random(0))
    a = block([[1.0, 0.0, 0.5, 0.0], [0.0, 1.0, 0.0, 0.0]])
    b = block([[1.0, 0.0, 0.5, 0.0], [9.0, -3.0, 2.0, 1.0]])
    assert data(a[0]) == data(b[0]) and data(a[1]) != data(b[1])
    _, w = block([[1.0, 0.0, 0.5, 0.0], [0.0, 1.0, 0.0, 0.0]], need_weights=True)
    assert w[0][1].data == 0.0


def test_transformer_block_names_match_pytorchs_encoder_layer():
    block = nn.TransformerBlock(4, 2)
    prefixes = list(dict.fromkeys(n.split(".")[0] for n, _ in block.named_parameters()))
    assert prefixes == ["self_attn", "linear1", "linear2", "norm1", "norm2"]
    assert block.dim_feedforward == 16


# --- every layer: gradients against finite differences ----------------------------------------

# (name, layer factory, input shape, how to call it)
LAYERS = [
    ("Conv1d", lambda: nn.Conv1d(2, 2, 2, stride=2, padding=1), (2, 5), None),
    ("Conv2d", lambda: nn.Conv2d(2, 2, 2, stride=1, padding=1), (2, 3, 3), None),
    ("MaxPool2d", lambda: nn.MaxPool2d(2, stride=1), (2, 3, 3), None),
    ("AvgPool2d", lambda: nn.AvgPool2d(2, padding=1), (1, 3, 3), None),
    ("Flatten", lambda: nn.Flatten(), (2, 2, 2), None),
    ("RNNCell", lambda: nn.RNNCell(2, 3), (2,), lambda m, x: m(x, [0.1, -0.2, 0.3])),
    ("LSTMCell", lambda: nn.LSTMCell(2, 2), (2,), lambda m, x: m(x, ([0.1, -0.2], [0.5, 0.3]))),
    ("GRUCell", lambda: nn.GRUCell(2, 2), (2,), lambda m, x: m(x, [0.4, -0.6])),
    ("RNN", lambda: nn.RNN(2, 2, num_layers=2), (3, 2), None),
    ("LSTM", lambda: nn.LSTM(2, 2), (3, 2), None),
    ("GRU", lambda: nn.GRU(1, 2, num_layers=2), (3, 1), None),
    ("LayerNorm", lambda: nn.LayerNorm(3), (2, 3), None),
    ("Dropout", lambda: nn.Dropout(0.5, rng=random.Random(0)), (2, 3),
     lambda m, x: (m._rng.seed(7), m(x))[1]),  # the same mask on every evaluation
    ("Embedding+LayerNorm", lambda: nn.Sequential(nn.Embedding(3, 3), nn.LayerNorm(3)), None,
     lambda m, x: m([2, 0, 2])),
    ("scaled_dot_product_attention", lambda: nn.Sequential(), (3, 2),
     lambda m, x: nn.scaled_dot_product_attention(x, [r[::-1] for r in x], x, is_causal=True)),
    ("MultiheadAttention", lambda: nn.MultiheadAttention(4, 2), (3, 4),
     lambda m, x: m(x, is_causal=True)),
    ("TransformerBlock", lambda: nn.TransformerBlock(4, 2, 6), (3, 4), None),
    ("TransformerBlock norm_first causal", lambda: nn.TransformerBlock(4, 1, 4, norm_first=True, causal=True),
     (2, 4), lambda m, x: m(x, need_weights=True)),
]


@pytest.mark.parametrize("name, make, dims, call", LAYERS, ids=[row[0] for row in LAYERS])
def test_gradcheck_every_layer(name, make, dims, call):
    nn.manual_seed(sum(map(ord, name)))
    layer = make()
    x = random_input(dims, seed=len(name)) if dims else None
    assert_gradcheck(layer, x if x is not None else [], call)


# --- wrong shapes are refused, saying what was expected and what came ---------------------------

BAD_SHAPES = [
    (lambda: nn.Conv2d(1, 2, 3), [[0.0] * 4] * 4,
     r"Conv2d: expected an input of shape \(in_channels=1, height>=3, width>=3\), got shape \(4, 4\)"),
    (lambda: nn.Conv2d(3, 2, 3), [[[0.0] * 4] * 4] * 2,
     r"in_channels=3, .*got shape \(2, 4, 4\)"),
    (lambda: nn.Conv2d(1, 1, 3), [[[0.0] * 2] * 4], r"width>=3\), got shape \(1, 4, 2\)"),
    (lambda: nn.Conv1d(2, 1, 2), [0.0, 1.0], r"Conv1d: expected an input of shape \(in_channels=2, length>=2\), "
                                              r"got shape \(2,\)"),
    (lambda: nn.MaxPool2d(2), [[1.0, 2.0]], r"MaxPool2d: expected .*\(channels, height>=2, width>=2\), got shape "),
    (lambda: nn.AvgPool2d(2), [[[1.0]]], r"AvgPool2d: .*got shape \(1, 1, 1\)"),
    (lambda: nn.RNNCell(2, 3), [1.0, 2.0, 3.0], r"RNNCell input: expected an input of shape \(input_size=2,\), "
                                               r"got shape \(3,\)"),
    (lambda: nn.RNN(2, 3), [1.0, 2.0], r"RNN: expected an input of shape \(seq_len, input_size=2\), got shape \(2,\)"),
    (lambda: nn.LSTM(2, 3), [[1.0, 2.0, 3.0]], r"LSTM: .*input_size=2\), got shape \(1, 3\)"),
    (lambda: nn.GRU(1, 3), [[[1.0]]], r"GRU: .*got shape \(1, 1, 1\)"),
    (lambda: nn.LayerNorm(3), [1.0, 2.0], r"LayerNorm: expected an input whose last dimension is normalized_shape=3, "
                                          r"got shape \(2,\)"),
    (lambda: nn.MultiheadAttention(4, 2), [[1.0, 2.0]], r"MultiheadAttention: query: .*embed_dim=4\), "
                                                         r"got shape \(1, 2\)"),
    (lambda: nn.TransformerBlock(4, 2), [1.0, 2.0, 3.0, 4.0], r"TransformerBlock: expected an input of shape "
                                                               r"\(seq_len, d_model=4\), got shape \(4,\)"),
    (lambda: nn.Conv2d(1, 1, 1), [[[1.0, 2.0], [3.0]]], r"Conv2d: the list is ragged: item \[0\]\[1\] has 1 entries"),
]


@pytest.mark.parametrize("make, x, message", BAD_SHAPES)
def test_wrong_shapes_are_refused_with_both_shapes(make, x, message):
    with pytest.raises(ValueError, match=message):
        make()(x)


def test_cell_state_and_attention_shapes_are_checked():
    with pytest.raises(ValueError, match=r"LSTMCell hx: expected .*hidden_size=3,\), got shape \(2,\)"):
        nn.LSTMCell(2, 3)([1.0, 2.0], ([0.0, 0.0], [0.0, 0.0, 0.0]))
    with pytest.raises(ValueError, match=r"LSTM: h_0: expected .*\(num_layers=1, hidden_size=3\), got shape \(3,\)"):
        nn.LSTM(2, 3)([[1.0, 2.0]], ([0.0] * 3, [0.0] * 3))
    with pytest.raises(ValueError, match=r"scaled_dot_product_attention: key: .*\(source_len, d=2\), got shape"):
        nn.scaled_dot_product_attention([[1.0, 2.0]], [[1.0, 2.0, 3.0]], [[1.0]])
    with pytest.raises(ValueError, match=r"value: .*\(source_len=1, d_v\), got shape \(2, 1\)"):
        nn.scaled_dot_product_attention([[1.0, 2.0]], [[1.0, 2.0]], [[1.0], [2.0]])
    with pytest.raises(TypeError, match=r"Conv2d: entry \[0\]\[0\]\[1\] must be a Value or a number, got str 'x'"):
        nn.Conv2d(1, 1, 1)([[[1.0, "x"]]])


@pytest.mark.parametrize("make, message", [
    (lambda: nn.Conv2d(1, 1, 0), r"Conv2d: kernel_size must be an int from 1 to 1000000 or a pair of them, got 0"),
    (lambda: nn.Conv2d(1, 1, 3, stride=(1, 2, 3)), r"stride must be .* got \(1, 2, 3\)"),
    (lambda: nn.MaxPool2d(2, padding=2), r"padding must be at most half the kernel size"),
    (lambda: nn.RNNCell(1, 1, nonlinearity="sigmoid"), r"nonlinearity must be one of 'tanh', 'relu', got 'sigmoid'"),
    (lambda: nn.Dropout(1.5), r"Dropout: p \(the probability of dropping a value\) must be in \[0, 1\], got 1.5"),
    (lambda: nn.LayerNorm(3, eps=0), r"LayerNorm: eps must be a number > 0, got 0"),
])
def test_bad_arguments_are_refused(make, message):
    with pytest.raises(ValueError, match=message):
        make()


def test_conv_parameters_are_named_and_sized_like_pytorchs():
    conv = nn.Conv2d(2, 3, (3, 2))
    assert shape(conv.weight) == (3, 2, 3, 2) and shape(conv.bias) == (3,)
    assert conv.named_parameters()[0][0] == "weight.0.0.0.0" and conv.bias[2].label == "bias.2"
    bound = 1.0 / math.sqrt(2 * 3 * 2)
    assert all(abs(p.data) <= bound for p in conv.parameters())
    assert repr(conv) == "Conv2d(2, 3, kernel_size=(3, 2), stride=(1, 1), padding=(0, 0), bias=True)"


def test_layernorm_takes_its_shape_as_a_one_item_tuple_as_torch_does():
    norm = nn.LayerNorm((4,))
    assert norm.normalized_shape == 4 and len(norm.weight) == len(norm.bias) == 4
