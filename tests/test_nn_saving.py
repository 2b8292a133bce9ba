"""Tests of state_dict, load_state_dict, save and load: exact round trips and every refusal."""

import json
import math
import random

import pytest

from nn import MLP, Linear, Neuron


def model(seed=0):
    return MLP(2, [4, 3, 1], rng=random.Random(seed))


def test_state_dict_is_names_to_floats():
    m = model()
    state = m.state_dict()
    assert list(state) == [name for name, _ in m.named_parameters()]
    assert all(type(v) is float for v in state.values())


def test_save_load_round_trip_is_bit_exact(tmp_path):
    m = model(1)
    m.layers[0].neurons[0].w[0].data = 0.1 + 0.2  # a float whose repr needs all 17 digits
    m.layers[0].neurons[1].b.data = 5e-324
    path = tmp_path / "model.json"
    m.save(path)
    fresh = model(2)
    assert fresh.state_dict() != m.state_dict()
    assert fresh.load(path) is fresh
    assert fresh.state_dict() == m.state_dict()
    assert [p.data.hex() for p in fresh.parameters()] == [p.data.hex() for p in m.parameters()]
    document = json.loads(path.read_text())
    assert document["model"] == "MLP" and document["num_parameters"] == m.num_parameters()
    x = [0.3, -1.7]
    assert fresh(x).data == m(x).data


def test_load_state_dict_strict_refusals_leave_the_model_unchanged():
    m = model()
    before = m.state_dict()
    good = {k: 1.0 for k in before}
    missing = dict(good)
    del missing["layers.1.neurons.2.b"]
    with pytest.raises(ValueError, match="missing parameter.*'layers.1.neurons.2.b'"):
        m.load_state_dict(missing)
    with pytest.raises(ValueError, match="unexpected name.*'layers.9.w'"):
        m.load_state_dict({**good, "layers.9.w": 0.0})
    bad = dict(good)
    bad["layers.2.neurons.0.b"] = "0.5"
    with pytest.raises(ValueError, match="value for 'layers.2.neurons.0.b' must be a number, got str '0.5'"):
        m.load_state_dict(bad)
    bad["layers.2.neurons.0.b"] = True
    with pytest.raises(ValueError, match="must be a number, got bool True"):
        m.load_state_dict(bad)
    assert m.state_dict() == before  # every refusal above came after some good entries
    with pytest.raises(TypeError, match="expected a dict"):
        m.load_state_dict([1.0, 2.0])


def test_load_state_dict_non_strict_reports_what_it_skipped():
    n = Neuron(2)
    result = n.load_state_dict({"w.0": 0.5, "extra": 1.0}, strict=False)
    assert result.missing_keys == ["w.1", "b"] and result.unexpected_keys == ["extra"]
    assert n.w[0].data == 0.5


def test_non_finite_values_round_trip(tmp_path):
    lin = Linear(1, 1, bias=False)
    lin.weight[0][0].data = math.inf
    lin.save(tmp_path / "m.json")
    assert Linear(1, 1, bias=False).load(tmp_path / "m.json").weight[0][0].data == math.inf


def test_a_file_for_another_architecture_is_refused(tmp_path):
    model().save(tmp_path / "m.json")
    other = MLP(2, [4, 1])
    before = other.state_dict()
    with pytest.raises(ValueError, match="unexpected name.*'layers.2.neurons.0.w.0'"):
        other.load(tmp_path / "m.json")
    assert other.state_dict() == before


@pytest.mark.parametrize(
    "text, message",
    [
        ("", "not valid JSON"),
        ('{"format": "chainrule.nn.state_dict", "version": 1, "state_dict": {"layers.0', "not valid JSON"),
        ("\x00\x01binary", "not valid JSON"),
        ('{"w.0": 1.0}', "JSON but not a saved model"),
        ("[1, 2]", "JSON but not a saved model"),
        ('{"format": "chainrule.nn.state_dict", "state_dict": [1]}', "no 'state_dict' object"),
    ],
)
def test_broken_files_raise_a_clear_error_and_change_nothing(tmp_path, text, message):
    path = tmp_path / "broken.json"
    path.write_text(text)
    m = model()
    before = m.state_dict()
    with pytest.raises(ValueError, match=message):
        m.load(path)
    assert m.state_dict() == before


def test_a_truncated_save_is_refused(tmp_path):
    path = tmp_path / "m.json"
    model().save(path)
    text = path.read_text()
    path.write_text(text[: len(text) // 2])
    with pytest.raises(ValueError, match="is not a saved model: it is not valid JSON"):
        model().load(path)


def test_missing_file_is_file_not_found(tmp_path):
    with pytest.raises(FileNotFoundError):
        model().load(tmp_path / "nope.json")
