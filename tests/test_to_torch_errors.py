"""nn.to_torch and nn.load_torch refuse what they cannot do faithfully, and name it; torch stays optional.

Unknown modules and subclasses are refused with their path; load_torch is all or nothing
and names every missing, unexpected and mis-shaped tensor; ``import nn`` never imports torch.
"""

import random
import subprocess
import sys
from pathlib import Path

import pytest
import torch

import nn
from engine import Value
from nn.torch_bridge.naming import split_name

ROOT = Path(__file__).resolve().parent.parent


class Scale(nn.Module):
    def __init__(self):
        self.k = Value(2.0)

    def forward(self, x):
        return [self.k * xi for xi in x]


class WiderLinear(nn.Linear):
    def forward(self, x):
        return [2 * y for y in super().forward(x)]


def test_an_unknown_module_is_refused_with_its_path_and_type():
    model = nn.Sequential(nn.Linear(2, 2, rng=random.Random(0)), Scale())
    with pytest.raises(TypeError, match=r"to_torch: the module at '1' is a Scale, which has no PyTorch counterpart"):
        nn.to_torch(model)
    with pytest.raises(TypeError, match=r"the model itself is a Scale"):
        nn.to_torch(Scale())


def test_a_subclass_is_refused_even_though_its_parent_maps():
    with pytest.raises(TypeError, match=r"is a WiderLinear.*subclasses Linear, but a subclass may compute"):
        nn.to_torch(WiderLinear(2, 2, rng=random.Random(0)))


def test_the_message_lists_what_maps():
    with pytest.raises(TypeError) as err:
        nn.to_torch(Scale())
    for name in ("Conv2d", "GRUCell", "LayerNorm", "MLP", "TransformerBlock"):
        assert name in str(err.value)


@pytest.mark.parametrize("dtype", ["float64", torch.int64, torch.complex128, float])
def test_dtype_must_be_a_floating_torch_dtype(dtype):
    with pytest.raises(TypeError, match=r"to_torch: dtype must be a floating-point torch dtype"):
        nn.to_torch(nn.Linear(2, 1, rng=random.Random(0)), dtype=dtype)


def test_float32_on_request():
    model = nn.MLP(2, [3, 1], rng=random.Random(0))
    net = nn.to_torch(model, dtype=torch.float32)
    assert {p.dtype for p in net.parameters()} == {torch.float32}
    x = [0.25, -0.5]
    assert net(torch.tensor(x)).item() == pytest.approx(model(x).data, abs=1e-6)


def test_not_a_module_is_refused():
    with pytest.raises(TypeError, match=r"to_torch: expected a chainrule nn.Module, got Linear"):
        nn.to_torch(torch.nn.Linear(2, 2))
    with pytest.raises(TypeError, match=r"load_torch: expected a chainrule nn.Module to load into, got Linear"):
        nn.load_torch(torch.nn.Linear(2, 2), torch.nn.Linear(2, 2))


def test_tensor_names_are_chainrules_names_without_the_index():
    model = nn.Sequential(nn.Linear(2, 3, rng=random.Random(0)), nn.Tanh(), nn.MLP(3, [2, 1], rng=random.Random(1)))
    net = nn.to_torch(model)
    assert list(net.state_dict()) == ["0.weight", "0.bias", "2.layers.0.neurons.0.w", "2.layers.0.neurons.0.b",
                                      "2.layers.0.neurons.1.w", "2.layers.0.neurons.1.b",
                                      "2.layers.1.neurons.0.w", "2.layers.1.neurons.0.b"]
    state = net.state_dict()
    for name, value in model.state_dict().items():
        tensor, index = split_name(name)
        assert state[tensor][index].item() == value


def test_training_and_eval_mode_carry_over_module_by_module():
    block = nn.TransformerBlock(4, 2, 8, dropout=0.1, rng=random.Random(0))
    block.dropout1.eval()
    net = nn.to_torch(block)
    assert net.training and net.dropout.training and not net.dropout1.training
    assert not any(m.training for m in nn.to_torch(block.eval()).modules())


def test_dropout_keeps_its_probability():
    net = nn.to_torch(nn.TransformerBlock(4, 2, dropout=0.25, rng=random.Random(0)))
    assert {m.p for m in net.modules() if isinstance(m, torch.nn.Dropout)} == {0.25}


def test_to_torch_leaves_torchs_random_numbers_alone():
    torch.manual_seed(0)
    expected = torch.rand(3)
    torch.manual_seed(0)
    nn.to_torch(nn.TransformerBlock(4, 2, rng=random.Random(0)))
    assert torch.equal(torch.rand(3), expected)


def test_load_torch_names_every_missing_unexpected_and_misshaped_tensor_and_changes_nothing():
    model = nn.Sequential(nn.Linear(3, 2, rng=random.Random(0)), nn.Linear(2, 1, rng=random.Random(1)))
    before = model.state_dict()
    state = {"0.weight": torch.zeros(2, 3), "0.bias": torch.zeros(3), "1.weight": torch.zeros(1, 2),
             "2.weight": torch.zeros(4)}
    with pytest.raises(ValueError) as err:
        nn.load_torch(model, state)
    assert str(err.value) == (
        "load_torch: cannot load into Sequential, nothing was changed: missing tensor(s) '1.bias' (1,); "
        "unexpected tensor(s) '2.weight' (4,); wrong shape: '0.bias' is (3,) but the model's is (2,) "
        "(the source must have the model's architecture: nn.to_torch(model).state_dict() lists the names and "
        "shapes it needs)")
    assert model.state_dict() == before


def test_load_torch_from_a_module_of_another_architecture():
    model = nn.LSTM(2, 3, rng=random.Random(0))
    with pytest.raises(ValueError, match=r"wrong shape: 'weight_ih_l0' is \(9, 2\) but the model's is \(12, 2\)"):
        nn.load_torch(model, torch.nn.GRU(2, 3))


def test_load_torch_takes_sparse_tensors_as_their_dense_numbers():
    weight = torch.tensor([[0.0, 2.0, 0.0], [-1.5, 0.0, 0.0]], dtype=torch.float64)
    ours = nn.load_torch(nn.Linear(3, 2, rng=random.Random(0)), {"weight": weight.to_sparse(), "bias": torch.ones(2)})
    assert [[v.data for v in row] for row in ours.weight] == weight.tolist()


def test_load_torch_from_a_state_dict_and_from_float32():
    theirs = torch.nn.Linear(3, 2)  # float32
    ours = nn.load_torch(nn.Linear(3, 2, rng=random.Random(0)), theirs.state_dict())
    assert [v.data for v in ours.weight[1]] == theirs.weight[1].tolist()
    assert [v.data for v in ours.bias] == theirs.bias.tolist()


@pytest.mark.parametrize("source, message", [
    ({"weight": [[1.0, 2.0]], "bias": torch.zeros(1)}, r"the entry 'weight' must be a torch.Tensor, got list"),
    ({"weight": torch.zeros(1, 2, dtype=torch.int64), "bias": torch.zeros(1)},
     r"'weight' holds torch.int64, not floating-point numbers; convert it first, e.g. with \.double\(\)"),
    ({"weight": torch.ones(1, 2, device="meta"), "bias": torch.zeros(1)},
     r"'weight' is on the 'meta' device, which holds shapes but no numbers"),
    ([("weight", torch.zeros(1, 2))], r"expected a torch.nn.Module or its state_dict\(\).*got list"),
    (nn.Linear(2, 1, rng=random.Random(1)), r"got a chainrule Linear.*model.load_state_dict\(other.state_dict\(\)\)"),
    (nn.Linear(2, 1, rng=random.Random(1)).state_dict(),
     r"got a dict of plain numbers, a chainrule state_dict\(\).*model.load_state_dict\(state\)"),
])
def test_load_torch_refuses_what_is_not_tensors_and_says_what_to_do(source, message):
    model = nn.Linear(2, 1, rng=random.Random(0))
    before = model.state_dict()
    with pytest.raises(TypeError, match=message):
        nn.load_torch(model, source)
    assert model.state_dict() == before


def test_a_torch_model_with_layers_chainrule_lacks_is_named_as_another_architecture():
    # BatchNorm's int64 counter 'num_batches_tracked' must not hide the real problem: no BatchNorm here
    theirs = torch.nn.Sequential(torch.nn.Conv2d(1, 2, 3), torch.nn.BatchNorm2d(2), torch.nn.ReLU(),
                                 torch.nn.Flatten(), torch.nn.Linear(8, 3))
    ours = nn.Sequential(nn.Conv2d(1, 2, 3, rng=random.Random(0)), nn.ReLU(), nn.Flatten(),
                         nn.Linear(8, 3, rng=random.Random(1)))
    before = ours.state_dict()
    with pytest.raises(ValueError) as err:
        nn.load_torch(ours, theirs)
    message = str(err.value)
    assert "missing tensor(s) '3.weight' (3, 8), '3.bias' (3,)" in message
    assert "'1.num_batches_tracked' a single value" in message and "'1.running_mean' (2,)" in message
    assert "nn.to_torch(model).state_dict()" in message  # what to do: compare with the names the model needs
    assert ours.state_dict() == before


def test_a_ragged_parameter_list_has_no_tensor():
    model = Scale()
    model.rows = [[Value(1.0), Value(2.0)], [Value(3.0)]]
    with pytest.raises(ValueError, match=r"the parameters of 'rows' \(rows.0.0, rows.0.1, rows.1.0\) do not fill"):
        nn.load_torch(model, {})


def run_python(code):
    return subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True,
                          env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"})


def test_import_nn_does_not_import_torch():
    done = run_python("import sys, random, nn\n"
                      "m = nn.TransformerBlock(4, 2, rng=random.Random(0)); m([[1.0, 0.0, 0.0, 0.0]])\n"
                      "print('torch' in sys.modules)")
    assert done.returncode == 0, done.stderr
    assert done.stdout == "False\n"


def test_without_torch_the_error_says_how_to_install_it():
    done = run_python("import sys; sys.modules['torch'] = None  # what Python does when torch is not installed\n"
                      "import random, nn\n"
                      "nn.to_torch(nn.Linear(2, 1, rng=random.Random(0)))")
    assert "ImportError: to_torch needs PyTorch, an optional extra: pip install 'chainrule[torch]'" in done.stderr


def test_the_extra_the_error_names_exists_and_brings_rmsnorm():
    # read as text: tomllib is Python 3.11+, and chainrule supports 3.10
    extras = (ROOT / "pyproject.toml").read_text().split("[project.optional-dependencies]")[1].split("\n[")[0]
    assert 'torch = ["torch>=2.4"]' in extras.splitlines()  # torch.nn.RMSNorm, which the bridge builds, came in 2.4


def test_the_module_method_is_the_function():
    model = nn.GRU(2, 3, rng=random.Random(0))
    net = nn.to_torch(model, dtype=torch.float32)
    assert isinstance(net, torch.nn.GRU) and net.weight_ih_l0.dtype == torch.float32
    assert torch.equal(net.weight_hh_l0, nn.to_torch(model, torch.float32).weight_hh_l0)


TIED = r"'1.weight.0.0' is the same Value as '0.weight.0.0' \(tied weights, or one module used twice\)"


def test_tied_weights_are_refused_not_copied_half():
    first, second = nn.Linear(2, 2, rng=random.Random(0)), nn.Linear(2, 2, rng=random.Random(1))
    second.weight = first.weight  # one list of Values in two layers
    with pytest.raises(ValueError, match=TIED + r"; torch would hold two copies that train apart"):
        nn.to_torch(nn.Sequential(first, second))
    second.weight = [first.weight[0], [Value(0.5), Value(0.5)]]  # one row shared
    with pytest.raises(ValueError, match=TIED):
        nn.to_torch(nn.Sequential(first, second))


def test_one_module_used_twice_is_named_as_tied():
    shared = nn.Linear(2, 2, rng=random.Random(0))
    with pytest.raises(ValueError, match=r"'2.weight.0.0' is the same Value as '0.weight.0.0'"):
        nn.to_torch(nn.Sequential(shared, nn.Tanh(), shared))
    tanh = nn.Tanh()  # a module without parameters may be used twice: nothing to keep in step
    net = nn.to_torch(nn.Sequential(shared, tanh, nn.Linear(2, 2, rng=random.Random(1)), tanh))
    assert isinstance(net[3], torch.nn.Tanh)


def test_a_builder_out_of_step_with_its_layer_is_caught_not_half_filled(monkeypatch):
    from nn.torch_bridge.builders import BUILDERS

    monkeypatch.setitem(BUILDERS, nn.Linear, lambda m, convert: torch.nn.Linear(m.in_features, m.out_features,
                                                                                 bias=False))
    with pytest.raises(ValueError, match=r"built for Linear does not match its parameters: missing tensor\(s\) "
                                         r"'bias' \(2,\) \(nn.torch_bridge.builders is out of step"):
        nn.to_torch(nn.Linear(3, 2, rng=random.Random(0)))


def test_an_activation_torch_has_no_function_for_is_refused_when_exporting(monkeypatch):
    import engine
    from nn.functional import activation_names
    from nn.torch_bridge import mirrors

    assert set(mirrors.ACTIVATIONS) == set(activation_names())  # every activation chainrule ships maps to torch
    with engine.scoped_op("double", lambda a: 2 * a, lambda out, a: (2.0,)):  # a learner's own activation
        with pytest.raises(ValueError, match=r"to_torch: the activation 'double' \(of the module at 'layers.0'\) "
                                             r"has no torch function here; the bridge knows 'relu', 'tanh'"):
            nn.to_torch(nn.MLP(2, [3, 1], activation="double", rng=random.Random(0)))
        with pytest.raises(ValueError, match=r"the activation 'double' \(of the model itself\)"):
            nn.to_torch(nn.TransformerBlock(4, 2, activation="double", rng=random.Random(0)))


def test_load_torch_looks_inside_data_parallel_and_names_a_wrappers_prefix():
    model = nn.MLP(2, [3, 1], rng=random.Random(0))
    net = nn.to_torch(model)
    back = nn.load_torch(nn.MLP(2, [3, 1], rng=random.Random(1)), torch.nn.DataParallel(net))  # 'module.' inside
    assert back.state_dict() == model.state_dict()
    for prefix, what in [("module.", r"DistributedDataParallel's or DataParallel's: pass ddp.module"),
                         ("_orig_mod.", r"torch.compile\(net\)'s: pass net._orig_mod")]:
        wrapped = {prefix + name: t for name, t in net.state_dict().items()}
        with pytest.raises(ValueError, match=rf"every name the model needs is there after {prefix!r}, as in a {what}"):
            nn.load_torch(nn.MLP(2, [3, 1], rng=random.Random(1)), wrapped)


def test_a_long_list_of_missing_tensors_is_cut_short():
    with pytest.raises(ValueError) as err:
        nn.load_torch(nn.MLP(2, [16, 16, 1], rng=random.Random(0)), torch.nn.Linear(2, 1))
    message = str(err.value)
    assert "'layers.0.neurons.3.b' a single value, and 58 more; unexpected tensor(s) 'weight' (1, 2)" in message
    assert "layers.0.neurons.4.w" not in message and len(message) < 700
