"""Hypothesis strategies for nn: small random models with an input each, for property tests of gradients.

An optional extra, like ``engine.strategies`` (whose programs and values it goes with):
``nn/__init__`` does not import this module, so only code that uses it needs Hypothesis.

    from hypothesis import given
    from engine import gradcheck_module
    from nn.strategies import mlps

    @given(mlps())
    def test_small_mlps(drawn):
        model, inputs = drawn
        assert gradcheck_module(model, inputs)
"""

from __future__ import annotations

from collections.abc import Sequence

from hypothesis import assume
from hypothesis import strategies as st

from engine import Value
from engine.gradcheck import nodes_near_kinks
from engine.strategies import MARGIN

from .checks import check_size
from .layers import MLP

__all__ = ["mlps"]


def mlps(
    *,
    max_inputs: int = 3,
    max_layers: int = 3,
    max_width: int = 3,
    activations: Sequence[str] = ("relu", "tanh", "sigmoid"),
) -> st.SearchStrategy:
    """Small ``nn.MLP`` models with an input each, as ``(model, inputs)`` pairs.

    The model has 1 to ``max_inputs`` inputs, 1 to ``max_layers`` layers of 1 to
    ``max_width`` neurons, one activation from ``activations`` for its hidden layers, and
    weights drawn in [-1, 1] (not nn's initializer, so they shrink); ``inputs`` is a list
    of floats in [-2, 2].  Points where a relu sits within 1e-3 of its kink are skipped.
    Shrinking moves toward one layer of one neuron, then toward small weights and inputs.

    >>> from hypothesis import find
    >>> model, inputs = find(mlps(max_inputs=2, max_layers=2), lambda drawn: True)
    >>> model.nouts, inputs
    ([1], [0.0])
    """
    for name, value in (("max_inputs", max_inputs), ("max_layers", max_layers), ("max_width", max_width)):
        check_size(f"mlps: {name}", value)
    activations = tuple(activations)
    if not activations:
        raise ValueError("mlps: activations must name at least one activation, got an empty list")
    return _mlps(max_inputs, max_layers, max_width, activations)


@st.composite
def _mlps(draw, max_inputs, max_layers, max_width, activations):
    nin = draw(st.integers(1, max_inputs))
    nouts = draw(st.lists(st.integers(1, max_width), min_size=1, max_size=max_layers))
    activation = draw(st.sampled_from(activations))
    model = MLP(nin, nouts, activation=activation)
    params = model.parameters()
    weights = draw(st.lists(_floats(-1.0, 1.0), min_size=len(params), max_size=len(params)))
    for p, w in zip(params, weights):
        p.data = w
    inputs = draw(st.lists(_floats(-2.0, 2.0), min_size=nin, max_size=nin))
    out = model(inputs)
    assume(not nodes_near_kinks(out if isinstance(out, Value) else list(out), MARGIN))
    return model, inputs


def _floats(min_value: float, max_value: float) -> st.SearchStrategy:
    return st.floats(min_value=min_value, max_value=max_value, allow_nan=False, allow_infinity=False)
