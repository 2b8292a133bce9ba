"""Tests of nn's modules: Neuron, Layer, MLP, Linear, Sequential and the Module machinery."""

import random
import subprocess
import sys

import pytest

import nn
from engine import Value
from nn import MLP, Layer, Linear, Module, Neuron, ReLU, Sequential, Tanh


def test_mlp_has_micrographs_parameter_count():
    assert MLP(2, [16, 16, 1]).num_parameters() == 337
    assert len(MLP(2, [16, 16, 1]).parameters()) == 337
    assert MLP(3, [4, 4, 1]).num_parameters() == (3 + 1) * 4 + (4 + 1) * 4 + (4 + 1) * 1


def test_same_seed_gives_micrographs_weights():
    micrograd_nn = pytest.importorskip("micrograd.nn")
    random.seed(1337)
    theirs = micrograd_nn.MLP(2, [16, 16, 1])
    nn.manual_seed(1337)
    ours = MLP(2, [16, 16, 1])
    assert [p.data for p in ours.parameters()] == [p.data for p in theirs.parameters()]
    assert ours([0.3, -0.7]).data == pytest.approx(theirs([0.3, -0.7]).data, abs=1e-12)


def test_manual_seed_is_reproducible_across_processes():
    code = "import nn; nn.manual_seed(7); print(repr(nn.MLP(2, [3, 1]).parameters()[0].data))"
    outs = {subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
            for _ in range(2)}
    nn.manual_seed(7)
    assert outs == {repr(MLP(2, [3, 1]).parameters()[0].data) + "\n"}


def test_rng_argument_does_not_touch_the_default_source():
    nn.manual_seed(3)
    expected = nn.default_rng().random()
    nn.manual_seed(3)
    a = MLP(2, [4, 1], rng=random.Random(5))
    assert nn.default_rng().random() == expected
    b = MLP(2, [4, 1], rng=random.Random(5))
    assert a.state_dict() == b.state_dict()


def test_named_parameters_use_dotted_paths_and_set_labels():
    model = MLP(2, [16, 16, 1])
    names = [name for name, _ in model.named_parameters()]
    assert names[:3] == ["layers.0.neurons.0.w.0", "layers.0.neurons.0.w.1", "layers.0.neurons.0.b"]
    assert "layers.0.neurons.3.w.1" in names and "layers.2.neurons.0.b" == names[-1]
    assert len(set(names)) == 337
    for name, p in model.named_parameters():
        assert p.label == name
    n = Neuron(3)
    assert [p.label for p in n.parameters()] == ["w.0", "w.1", "w.2", "b"]


def test_labels_follow_nesting_in_user_modules():
    class Model(Module):
        def __init__(self):
            self.encoder = MLP(2, [3])
            self.scale = Value(1.0)

        def forward(self, x):
            return [self.scale * v for v in self.encoder(x)]

    m = Model()
    assert m.named_parameters()[0] == ("encoder.layers.0.neurons.0.w.0", m.encoder.layers[0].neurons[0].w[0])
    assert m.encoder.layers[0].neurons[2].b.label == "encoder.layers.0.neurons.2.b"
    assert m.scale.label == "scale"
    assert m.named_parameters()[-1][0] == "scale"
    assert [name for name, _ in m.named_children()] == ["encoder"]


def test_shared_parameter_is_listed_once():
    class Tied(Module):
        def __init__(self):
            self.a = Neuron(2)
            self.b = Neuron(2)
            self.b.w = self.a.w

    assert Tied().num_parameters() == 2 + 1 + 1


def test_neuron_is_one_dot_node_then_bias_then_activation():
    n = Neuron(3, rng=random.Random(0))
    out = n([1.0, 2.0, 3.0])
    assert out._op == "relu"
    (pre,) = out._prev
    assert pre._op == "add"
    weighted, bias = pre._prev
    assert weighted._op == "dot" and bias is n.b
    assert weighted._prev[:3] == tuple(n.w)
    expected = sum(w.data * x for w, x in zip(n.w, [1.0, 2.0, 3.0]))
    assert out.data == max(expected, 0.0)


@pytest.mark.parametrize("name, fn", [("relu", lambda z: max(z, 0.0)), ("tanh", None), ("sigmoid", None),
                                      ("linear", lambda z: z)])
def test_activations_by_name(name, fn):
    import math
    fn = fn or {"tanh": math.tanh, "sigmoid": lambda z: 1 / (1 + math.exp(-z))}[name]
    n = Neuron(2, activation=name, rng=random.Random(1))
    n.b.data = 0.25
    z = n.w[0].data * 0.5 + n.w[1].data * -1.5 + 0.25
    assert n([0.5, -1.5]).data == pytest.approx(fn(z))


def test_micrograd_defaults_relu_hidden_linear_last():
    model = MLP(2, [4, 4, 1])
    assert [layer.activation for layer in model.layers] == ["relu", "relu", "linear"]
    assert not model.layers[-1].neurons[0].nonlin and model.layers[0].neurons[0].nonlin
    assert all(p.data == 0.0 for name, p in model.named_parameters() if name.endswith(".b"))
    assert all(-1.0 <= p.data <= 1.0 for p in model.parameters())


def test_activation_per_layer_and_per_model():
    assert [la.activation for la in MLP(2, [3, 3, 1], activation="tanh").layers] == ["tanh", "tanh", "linear"]
    m = MLP(2, [3, 1], activation="tanh", output_activation="sigmoid")
    assert [la.activation for la in m.layers] == ["tanh", "sigmoid"]
    m = MLP(2, [3, 3, 2], activation=["sigmoid", "relu", "tanh"])
    assert [la.activation for la in m.layers] == ["sigmoid", "relu", "tanh"]
    with pytest.raises(ValueError, match="one name per layer"):
        MLP(2, [3, 1], activation=["relu"])
    with pytest.raises(ValueError, match="'swish'"):
        MLP(2, [3, 1], activation="swish")


def test_one_neuron_hidden_layer_works_unlike_micrograd():
    model = MLP(2, [16, 1, 1], activation="tanh", rng=random.Random(0))
    out = model([1.0, 2.0])
    assert isinstance(out, Value)
    out.backward()
    assert all(p.grad != 0.0 for p in model.parameters())


def test_layer_returns_bare_value_for_one_neuron_and_list_otherwise():
    assert isinstance(Layer(2, 1)([1.0, 2.0]), Value)
    assert len(Layer(2, 3)([1.0, 2.0])) == 3
    assert len(MLP(2, [3, 2])([1.0, 2.0])) == 2


def test_initializers_bounds_and_names():
    big = 400
    bounds = {"uniform": 1.0, "xavier_uniform": (6 / (big + 8)) ** 0.5, "kaiming_uniform": (6 / big) ** 0.5}
    for init, bound in bounds.items():
        layer = Layer(big, 8, init=init, rng=random.Random(0))
        ws = [w.data for n in layer.neurons for w in n.w]
        assert max(abs(w) for w in ws) <= bound
        assert max(abs(w) for w in ws) > 0.95 * bound  # really spread over the whole range
    with pytest.raises(ValueError, match="init must be one of 'uniform', 'xavier_uniform', 'kaiming_uniform'"):
        Neuron(2, init="zeros")
    with pytest.raises(TypeError, match="rng must be a random.Random"):
        Neuron(2, rng=42)


def test_wrong_number_of_features_names_expected_and_given():
    with pytest.raises(ValueError, match=r"MLP: expected 2 input feature\(s\), got 3"):
        MLP(2, [3, 1])([1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match=r"Neuron: expected 3 input feature\(s\), got 1"):
        Neuron(3)([1.0])
    with pytest.raises(ValueError, match=r"Layer: expected 2 input feature\(s\), got 0"):
        Layer(2, 2)([])
    with pytest.raises(TypeError, match="expected a list of 1 input feature.*got float 0.5"):
        MLP(1, [1])(0.5)


@pytest.mark.parametrize("make", [lambda: MLP(0, [1]), lambda: MLP(2, [16, 0, 1]), lambda: MLP(2, []),
                                  lambda: Layer(2, -1), lambda: Neuron(0), lambda: Linear(0, 2)])
def test_non_positive_sizes_are_refused(make):
    with pytest.raises(ValueError, match="positive int|non-empty"):
        make()


def test_non_int_size_is_a_type_error():
    with pytest.raises(TypeError, match="nin .* must be a positive int, got float 2.0"):
        MLP(2.0, [1])


def test_zero_grad_clears_every_parameter():
    model = MLP(2, [3, 1])
    model([1.0, -1.0]).backward()
    assert any(p.grad != 0.0 for p in model.parameters())
    model.zero_grad()
    assert all(p.grad == 0.0 for p in model.parameters())


def test_train_and_eval_reach_every_submodule():
    model = MLP(2, [3, 1])
    assert model.training
    assert model.eval() is model
    assert not any(m.training for m in model.modules())
    model.train()
    assert all(m.training for m in model.modules())
    assert len(model.modules()) == 1 + 2 + 3 + 1


def test_repr_is_one_line_per_child_and_folds_repeats():
    assert repr(Neuron(2)) == "Neuron(nin=2, activation='relu')"
    assert repr(Layer(2, 16)) == "Layer(nin=2, nout=16, activation='relu')"

    class Bag(Module):
        def __init__(self):
            self.items = [Neuron(2) for _ in range(3)] + [Neuron(3)]
            self.head = Linear(2, 1)

    assert repr(Bag()) == (
        "Bag(\n"
        "  (items): [\n"
        "    (0-2): 3 x Neuron(nin=2, activation='relu')\n"
        "    (3): Neuron(nin=3, activation='relu')\n"
        "  ]\n"
        "  (head): Linear(in_features=2, out_features=1, bias=True)\n"
        ")"
    )


def test_linear_and_sequential_match_a_hand_computation():
    lin = Linear(2, 3, rng=random.Random(0))
    assert [n for n, _ in lin.named_parameters()][-3:] == ["bias.0", "bias.1", "bias.2"]
    assert all(abs(p.data) <= 2 ** -0.5 for p in lin.parameters())
    x = [0.5, -2.0]
    out = lin(x)
    for row, b, o in zip(lin.weight, lin.bias, out):
        assert o.data == pytest.approx(row[0].data * 0.5 - 2.0 * row[1].data + b.data)
    assert Linear(2, 3, bias=False).num_parameters() == 6
    net = Sequential(lin, Tanh(), Linear(3, 1), ReLU())
    assert len(net) == 4 and net[0] is lin
    assert net.named_parameters()[0][0] == "0.weight.0.0" and lin.weight[0][0].label == "0.weight.0.0"
    assert net(x)[0].data >= 0.0
    with pytest.raises(TypeError, match="argument 1 must be a Module"):
        Sequential(lin, "relu")


def test_forward_must_be_defined():
    class Empty(Module):
        pass

    with pytest.raises(NotImplementedError, match="Empty: a Module subclass must define forward"):
        Empty()([1.0])


def test_mlp_gradient_matches_finite_differences():
    model = MLP(2, [4, 4, 1], activation="tanh", rng=random.Random(2))
    x = [0.3, -0.8]
    out = model(x)
    model.zero_grad()
    out.backward()
    eps = 1e-6
    for name, p in model.named_parameters():
        old = p.data
        p.data = old + eps
        up = model(x).data
        p.data = old - eps
        down = model(x).data
        p.data = old
        assert p.grad == pytest.approx((up - down) / (2 * eps), abs=1e-7), name


# --- names: named_parameters is the one source; labels only where the user set none ---------------


class _Tied(Module):
    def __init__(self):
        self.first = Neuron(2, rng=random.Random(0))
        self.second = Neuron(2, rng=random.Random(1))
        self.second.w = self.first.w  # tied weights

    def forward(self, x):
        return self.first(x) + self.second(x)


def test_tied_weights_are_labelled_and_drawn_by_their_named_parameters_name():
    model = _Tied()
    names = dict((id(p), name) for name, p in model.named_parameters())
    assert list(model.state_dict())[:2] == ["first.w.0", "first.w.1"]
    for p in model.parameters():
        assert p.label == names[id(p)]
    assert model.second.w[0].label == "first.w.0"
    from engine import draw_dot

    source = draw_dot(model([1.0, 2.0]), params=model).source
    assert "first.w.0" in source and "second.w.0" not in source


def test_labels_the_user_set_are_kept_and_named_parameters_still_names_them():
    n = Neuron(2)
    n.w[0].label = "my weight"
    layer = Layer(2, 1)
    layer.neurons = [n]
    assert n.w[0].label == "my weight" and n.w[1].label == "neurons.0.w.1"
    assert layer.named_parameters()[0][0] == "neurons.0.w.0"

    class Wrap(Module):
        def __init__(self):
            self.k = Value(1.0, label="k0")
            self.inner = layer

    w = Wrap()
    assert w.k.label == "k0" and n.w[1].label == "inner.neurons.0.w.1"
    w.label_parameters()  # asked for explicitly: every label becomes the name
    assert w.k.label == "k" and n.w[0].label == "inner.neurons.0.w.0"


def test_a_sequential_nested_a_thousand_deep_walks_without_recursion():
    net = Linear(2, 1, rng=random.Random(0))
    for _ in range(1000):
        net = Sequential(net)
    names = [name for name, _ in net.named_parameters()]
    assert names == ["0." * 1000 + n for n in ("weight.0.0", "weight.0.1", "bias.0")]
    assert len(net.parameters()) == 3 and list(net.state_dict()) == names
    assert net.parameters()[0].label == names[0]
    net.parameters()[0].grad = 1.0
    net.zero_grad()
    assert net.parameters()[0].grad == 0.0
    assert len(net.modules()) == 1001 and not any(m.training for m in net.eval().modules())
    text = repr(net)
    assert text.count("\n") == 2000 and "Linear(in_features=2, out_features=1, bias=True)" in text
    assert net.summary().endswith("Total params: 3")


def test_a_sequential_nested_a_thousand_deep_runs_forward_and_saves(tmp_path):
    # Each level called the next through __call__ and forward: 2,000 frames, a RecursionError.
    inner = Linear(2, 1, rng=random.Random(0))
    net = Sequential(inner, ReLU())
    for _ in range(1000):
        net = Sequential(net)
    y = net([1.0, 2.0])[0]
    assert y.data == max(0.0, inner([1.0, 2.0])[0].data)
    net.save(tmp_path / "deep.json")
    again = Linear(2, 1, rng=random.Random(1))
    deep = Sequential(again, ReLU())
    for _ in range(1000):
        deep = Sequential(deep)
    assert deep.load(tmp_path / "deep.json").state_dict() == net.state_dict()


def test_a_neuron_names_itself_for_an_input_it_cannot_take():
    with pytest.raises(ValueError, match="Neuron: input 0 is too large to be a float, got an int of 401 digits"):
        Neuron(2)([10**400, 1.0])  # was a bare OverflowError from dot
    with pytest.raises(TypeError, match="Neuron: input 1 must be a real number, got bool True"):
        Neuron(2)([1.0, True])


def test_a_module_inside_itself_is_walked_once():
    n = Neuron(1)
    n.again = n
    assert [name for name, _ in n.named_parameters()] == ["w.0", "b"]
    assert [name for name, _ in n.named_modules()] == [""]
    assert repr(n) == "Neuron(nin=1, activation='relu')"


# --- summary() and the notebook table --------------------------------------------------------------


def test_summary_lists_each_parameter_list_with_shape_and_count():
    lin = Linear(3, 2)
    assert lin.summary().splitlines() == [
        "Linear(in_features=3, out_features=2, bias=True)",
        "Name    Shape   Params",
        "======================",
        "weight  (2, 3)       6",
        "bias    (2,)         2",
        "======================",
        "Total params: 8",
    ]
    assert repr(lin.summary()) == str(lin.summary()) == lin.summary()  # a prompt shows the table, unquoted
    model = MLP(2, [16, 16, 1])
    text = model.summary()
    assert text.endswith("Total params: 337") and text.count("(16,)") == 17 and text.count("(2,)") == 16
    conv = nn.Conv2d(1, 2, 3)
    assert "weight  (2, 1, 3, 3)      18" in conv.summary()


def test_summary_of_tied_weights_counts_them_once():
    lines = _Tied().summary().splitlines()
    assert [line.split()[0] for line in lines[3:-2]] == ["first.w", "first.b", "second.b"]
    assert lines[-1] == "Total params: 4"


def test_repr_html_is_a_table_with_escaped_names():
    class Odd(Module):
        def __init__(self):
            setattr(self, "<b>&x", Value(1.0))

    page = Odd()._repr_html_()
    assert "<table>" in page and "&lt;b&gt;&amp;x" in page and "<b>&x" not in page
    page = MLP(2, [3, 1])._repr_html_()
    assert page.count("<tr>") == 1 + 8 + 1 and "<b>13</b>" in page


# --- graph_groups(): the group_by a drawing clusters by ---------------------------------------------


def test_graph_groups_box_each_parameter_in_the_modules_that_hold_it():
    model = MLP(2, [2, 1], activation="tanh", rng=random.Random(0))
    group_by = model.graph_groups()
    for name, p in model.named_parameters():
        parts = name.split(".")  # layers.L.neurons.N.(w.i | b)
        assert group_by(p) == (".".join(parts[:2]), ".".join(parts[:4]))
    out = model([0.5, -1.0])
    assert group_by(out) is None and group_by(Value(0.5, label="x")) is None
    assert type(group_by.modules["layers.1"]).__name__ == "Layer"
    with pytest.raises(TypeError, match="group_by: expected a Value"):
        group_by(1.0)


def test_graph_groups_follow_named_parameters_for_tied_and_top_level_parameters():
    class Top(Module):
        def __init__(self):
            self.scale = Value(2.0)
            self.tied = _Tied()

    top = Top()
    group_by = top.graph_groups()
    assert group_by(top.scale) is None  # a parameter of the model itself: no box
    assert group_by(top.tied.second.w[0]) == ("tied", "tied.first")  # named tied.first.w.0
    assert group_by(top.tied.second.b) == ("tied", "tied.second")


def test_graph_groups_of_a_deep_sequential():
    net = Linear(1, 1)
    for _ in range(300):
        net = Sequential(net)
    boxes = net.graph_groups()(net.parameters()[0])
    assert len(boxes) == 300 and boxes[0] == "0" and boxes[-1] == ".".join(["0"] * 300)  # 299 Sequentials, Linear
