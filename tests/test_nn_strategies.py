"""nn.strategies: the small random MLPs it draws, what they look like and that their gradients check."""

import subprocess
import sys

import pytest
from hypothesis import given

import engine
from engine import gradcheck_module
from nn.strategies import mlps


@given(mlps())
def test_random_mlps_pass_gradcheck(drawn):
    model, inputs = drawn
    assert gradcheck_module(model, inputs)


@given(mlps(max_inputs=2, max_layers=2, max_width=2, activations=["tanh"]))
def test_mlps_draw_what_they_say(drawn):
    model, inputs = drawn
    assert 1 <= model.nin == len(inputs) <= 2
    assert 1 <= len(model.nouts) <= 2 and all(1 <= n <= 2 for n in model.nouts)
    assert all(-1.0 <= p.data <= 1.0 for p in model.parameters())
    assert all(-2.0 <= x <= 2.0 for x in inputs)
    assert engine.topological_order(model(inputs) if model.nouts[-1] == 1 else model(inputs)[0])


def test_mlps_refuse_bad_options():
    with pytest.raises(ValueError, match="mlps: max_width must be a positive int"):
        mlps(max_width=0)
    with pytest.raises(TypeError, match="mlps: max_layers must be a positive int, got float"):
        mlps(max_layers=2.0)
    with pytest.raises(ValueError, match="mlps: activations must name at least one"):
        mlps(activations=[])


def test_engine_strategies_import_nothing_of_nn():
    code = "import sys, engine.strategies; print('nn' in sys.modules, hasattr(engine.strategies, 'mlps'))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False"]
