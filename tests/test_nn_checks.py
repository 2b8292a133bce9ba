"""nn.checks (the shared argument checks), nn.init's fills and their refusals, and inputs lifted once per forward."""

import math
import random
import statistics
from fractions import Fraction

import pytest

import nn
from engine import Value, topological_order
from nn import checks
from nn.init import kaiming_uniform_, normal_, uniform_, xavier_uniform_


@pytest.mark.parametrize("bad, error, message", [
    (True, TypeError, "must be a positive int, got bool True"),
    (2.0, TypeError, "must be a positive int, got float 2.0"),
    ("3", TypeError, "must be a positive int, got str '3'"),
    (0, ValueError, r"must be a positive int \(at least 1\), got 0"),
    (-5, ValueError, r"must be a positive int \(at least 1\), got -5"),
    (10**400, ValueError, "is too large to build: at most 100000000, got an int of 401 digits"),
    (-(10**5000), ValueError, r"must be a positive int \(at least 1\), got an int of 5001 digits"),
], ids=["bool", "float", "str", "zero", "negative", "1e400", "-1e5000"])
def test_check_size_refuses_naming_the_argument(bad, error, message):
    with pytest.raises(error, match=f"^Layer: nout {message}"):
        checks.check_size("Layer: nout", bad)


def test_check_size_keeps_good_sizes_as_plain_ints():
    assert checks.check_size("x", 1) == 1
    assert checks.check_size("x", checks.MAX_SIZE) == checks.MAX_SIZE


@pytest.mark.parametrize("bad, error, message", [
    (10**400, ValueError, "SGD: lr is too large to be a float, got an int of 401 digits"),
    (Fraction(10**400, 3), ValueError, "SGD: lr is too large to be a float, got Fraction"),
    (1j, TypeError, "SGD: lr must be a real number, got complex 1j"),
    (Value(0.1), TypeError, "SGD: lr must be a real number, got Value"),
    (False, TypeError, "SGD: lr must be a real number, got bool False"),
    (math.nan, ValueError, "SGD: lr must be a finite number, got nan"),
    (math.inf, ValueError, "SGD: lr must be a finite number, got inf"),
])
def test_check_real_refuses_naming_the_argument(bad, error, message):
    with pytest.raises(error, match="^" + message.replace("(", r"\(")):
        checks.check_real("SGD: lr", bad)


def test_check_real_bounds_and_infinities():
    assert checks.check_real("p", Fraction(1, 4), minimum=0.0, maximum=1.0) == 0.25
    assert checks.check_real("x", -math.inf, finite=False) == -math.inf
    with pytest.raises(ValueError, match="not NaN"):
        checks.check_real("x", math.nan, finite=False)
    with pytest.raises(ValueError, match=r"p must be a finite number from 0.0 to 1.0, got 1.5"):
        checks.check_real("p", 1.5, minimum=0.0, maximum=1.0)
    with pytest.raises(ValueError, match="eps must be a finite number > 0, got -1e-05"):
        checks.check_positive_real("eps", -1e-5)


def test_check_int_bool_choice_path():
    assert checks.check_int("d", -1) == -1
    with pytest.raises(TypeError, match="d must be an int >= 0, got float 1.0"):
        checks.check_int("d", 1.0, minimum=0)
    with pytest.raises(ValueError, match="d must be an int <= 3, got 4"):
        checks.check_int("d", 4, maximum=3)
    with pytest.raises(TypeError, match="must be True or False, got NoneType None"):
        checks.check_bool("bias", None)
    with pytest.raises(ValueError, match="must be one of 'a', 'b', got 1"):
        checks.check_choice("mode", 1, ("a", "b"))
    with pytest.raises(ValueError, match="must be one of True, got 1"):
        checks.check_choice("flag", 1, (True,))  # 1 == True, but it is not what was asked for
    for bad in (True, 1, 0, b"model.json", None):
        with pytest.raises(TypeError, match="save: path must be a str or os.PathLike"):
            checks.check_path("save: path", bad)


def test_short_never_raises_and_cuts_long_text():
    class Hostile:
        def __repr__(self):
            raise RuntimeError("no")

    assert checks.short(Hostile()) == "<Hostile object>"
    assert checks.short("x" * 100, 10) == "'xxxxxx..."
    assert len(checks.short(list(range(1000)))) == 60


def test_every_nn_module_uses_checks_instead_of_its_own_int_test():
    # The checks live in one place: none of the layer modules spells the bool/int test again.
    import pathlib

    root = pathlib.Path(nn.__file__).parent
    for name in ("module.py", "layers.py", "init.py", "shapes.py", "conv.py", "recurrent.py"):
        text = (root / name).read_text()
        assert "isinstance(x, bool) or not isinstance" not in text, name
        assert "bool) or not isinstance(" not in text, name


# --- sizes that cannot be built ------------------------------------------------------------


@pytest.mark.parametrize("build, message", [
    (lambda: nn.Neuron(10**400), "Neuron: nin .* too large to build"),
    (lambda: nn.Layer(100_000, 100_000), r"Layer: 100000 x 100001 = 10000100000 parameters are too many"),
    (lambda: nn.MLP(2, [10**6, 10**6]), "MLP: .* parameters are too many"),
    (lambda: nn.Linear(10**9, 1), "Linear: in_features is too large"),
    (lambda: nn.Conv2d(1000, 1000, 1000), "Conv2d: 1000 x 1000 x 1000 x 1000 = .* too many"),
    (lambda: nn.Conv2d(1, 1, 10**400), "Conv2d: kernel_size must be an int >= 1 or a pair of them, got an int of"),
    (lambda: nn.LSTM(10_000, 10_000), "LSTM: .* parameters are too many"),
])
def test_sizes_that_cannot_be_built_are_refused_at_once(build, message):
    with pytest.raises(ValueError, match=message):
        build()


# --- the fills ---------------------------------------------------------------------------


def test_normal_draws_have_the_asked_mean_and_std():
    w = [Value(0.0) for _ in range(20_000)]
    normal_(w, mean=3.0, std=0.5, rng=random.Random(1))
    xs = [v.data for v in w]
    # Sample mean and std within 5 standard errors of what was asked.
    assert abs(statistics.fmean(xs) - 3.0) < 5 * 0.5 / math.sqrt(len(xs))
    assert abs(statistics.pstdev(xs) - 0.5) < 5 * 0.5 / math.sqrt(2 * len(xs))


def test_normal_fills_nested_lists_in_reading_order_and_follows_manual_seed():
    lin = nn.Linear(2, 3)
    nn.manual_seed(7)
    normal_(lin.weight, std=0.02)
    nn.manual_seed(7)
    expected = [random.Random(7).gauss(0.0, 0.02) for _ in range(1)]
    flat = [v.data for row in lin.weight for v in row]
    assert flat[0] == expected[0]
    nn.manual_seed(7)
    again = [Value(0.0) for _ in range(6)]
    normal_(again, std=0.02)
    assert [v.data for v in again] == flat
    normal_(lin.bias, mean=1.5, std=0.0)
    assert [v.data for v in lin.bias] == [1.5, 1.5, 1.5]


@pytest.mark.parametrize("call, error, message", [
    (lambda w: normal_(w, std=-1.0), ValueError, "normal_: std must be a finite number >= 0.0, got -1.0"),
    (lambda w: normal_(w, mean=1j), TypeError, "normal_: mean must be a real number, got complex 1j"),
    (lambda w: normal_(w, std=math.nan), ValueError, "normal_: std must be"),
    (lambda w: normal_(w[0]), TypeError, "normal_: values must be a list of Values"),
    (lambda w: normal_([w[0], 1.0]), TypeError, "normal_: values must be Values or .*got float 1.0"),
    (lambda w: normal_(w, rng=3), TypeError, "normal_: rng must be a random.Random"),
    (lambda w: uniform_(w, 0, 1j), TypeError, "uniform_: b must be a real number, got complex 1j"),
    (lambda w: uniform_(w, -(10**400), 1), ValueError, "uniform_: a is too large to be a float"),
    (lambda w: uniform_(w, 1.0, 0.0), ValueError, "uniform_: a must be <= b, got a=1.0 and b=0.0"),
    (lambda w: uniform_(w, 0.0, math.inf), ValueError, "uniform_: b must be a finite number"),
    (lambda w: kaiming_uniform_(w, fan_in=0), ValueError, r"kaiming_uniform_: fan_in must be a positive int"),
    (lambda w: kaiming_uniform_(w, fan_in=-3), ValueError, r"kaiming_uniform_: fan_in must be a positive int"),
    (lambda w: kaiming_uniform_(w, fan_in=2.0), TypeError, r"kaiming_uniform_: fan_in must be a positive int"),
    (lambda w: xavier_uniform_(w, 0, 0), ValueError, r"xavier_uniform_: fan_in must be a positive int"),
    (lambda w: xavier_uniform_(w, 2, 2, gain=1j), TypeError, r"xavier_uniform_: gain must be a real number"),
])
def test_fills_refuse_bad_arguments_and_change_nothing(call, error, message):
    w = [Value(0.25), Value(0.5)]
    with pytest.raises(error, match=message):
        call(w)
    assert [v.data for v in w] == [0.25, 0.5]


# --- inputs lifted once per forward ---------------------------------------------------------


def _constant_leaves(out, model):
    params = {id(p) for p in model.parameters()}
    roots = out if isinstance(out, list) else [out]
    seen, leaves = set(), []
    for r in roots:
        for node in topological_order(r):
            if not node._prev and id(node) not in params and id(node) not in seen:
                seen.add(id(node))
                leaves.append(node.data)
    return leaves


@pytest.mark.parametrize("model", [
    nn.MLP(2, [4, 1], rng=random.Random(0)),
    nn.Layer(2, 4, rng=random.Random(0)),
    nn.Linear(2, 4, rng=random.Random(0)),
])
def test_plain_float_inputs_become_one_node_each_that_every_neuron_reads(model):
    out = model([0.5, -0.25])
    assert sorted(_constant_leaves(out, model)) == [-0.25, 0.5]


def test_lifting_keeps_values_and_numbers_and_refuses_the_rest():
    layer = nn.Layer(2, 3, rng=random.Random(0))
    x = Value(0.5)
    outs = layer([x, 2])
    for o in outs:
        leaves = [n for n in topological_order(o) if not n._prev]
        assert sum(n is x for n in leaves) == 1
        assert [n.data for n in leaves if n.data == 2.0 and n.label == ""] == [2.0]
    with pytest.raises(TypeError, match="Layer: input 1 must be a Value or a number, got str 'a'"):
        layer([x, "a"])
