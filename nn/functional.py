"""Functions on lists of Values that have no weights: activations by name and ``softmax``.

>>> from engine import Value
>>> [round(p.data, 3) for p in softmax([Value(1.0), Value(2.0), Value(3.0)])]
[0.09, 0.245, 0.665]
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import engine
from engine import Value

__all__ = ["ACTIVATIONS", "activation", "softmax", "log_softmax", "logsumexp"]

# The activations a Neuron, Layer or MLP accepts by name.  None means "no activation"
# (the neuron's output is its weighted sum): one node fewer than an identity op.
ACTIVATIONS: dict[str, Callable[[Value], Value] | None] = {
    "relu": Value.relu,
    "tanh": Value.tanh,
    "sigmoid": Value.sigmoid,
    "linear": None,
}


def activation(name: str, where: str = "activation") -> Callable[[Value], Value] | None:
    """The Value method for an activation name (None for ``'linear'``).

    >>> activation('tanh') is Value.tanh
    True
    >>> activation('swish')
    Traceback (most recent call last):
    ...
    ValueError: activation: must be one of 'relu', 'tanh', 'sigmoid', 'linear', got 'swish'
    """
    try:
        return ACTIVATIONS[name]
    except (KeyError, TypeError):
        raise ValueError(f"{where}: must be one of {', '.join(map(repr, ACTIVATIONS))}, got {name!r}") from None


def _values(scores: Sequence[Value | float], where: str) -> list[Value]:
    """Scores as a non-empty list of Values (plain numbers become constants)."""
    if isinstance(scores, (Value, int, float)):
        raise TypeError(f"{where}: expected a list of class scores, got a single {type(scores).__name__} {scores!r}")
    out = [s if isinstance(s, Value) else Value(s) for s in scores]
    if not out:
        raise ValueError(f"{where}: needs at least one score, got an empty list")
    return out


def logsumexp(scores: Sequence[Value | float]) -> Value:
    """log(e**s_1 + ... + e**s_n), computed without overflow: scores of 1000 are fine.

    The largest score m is taken out as a constant, log(sum e**(s_i - m)) + m; the result
    and its gradient (the softmax) are the same for any constant, and with m every
    exponent is <= 0.  m is ``engine.max(scores).detach()``: a node (no gradient flows
    through it), so a compiled replay recomputes it instead of freezing a number.

    >>> round(logsumexp([Value(1000.0), Value(1000.0)]).data, 6)
    1000.693147
    """
    xs = _values(scores, "logsumexp")
    m = _largest(xs, "logsumexp")
    return engine.sum([(s - m).exp() for s in xs]).log() + m


def log_softmax(scores: Sequence[Value | float]) -> list[Value]:
    """log(softmax(scores)), each s_i - logsumexp(scores): stable for large scores.

    >>> [round(p.data, 3) for p in log_softmax([Value(0.0), Value(0.0)])]
    [-0.693, -0.693]
    """
    xs = _values(scores, "log_softmax")
    lse = logsumexp(xs)
    return [s - lse for s in xs]


def softmax(scores: Sequence[Value | float]) -> list[Value]:
    """Turn class scores into probabilities that sum to 1: e**s_i / sum_j e**s_j.

    Computed as e**(s_i - max) / sum_j e**(s_j - max), so scores of 1000 do not overflow.

    >>> [p.data for p in softmax([Value(1000.0), Value(1000.0)])]
    [0.5, 0.5]
    """
    xs = _values(scores, "softmax")
    m = _largest(xs, "softmax")
    exps = [(s - m).exp() for s in xs]
    total = engine.sum(exps)
    return [e / total for e in exps]


def _largest(xs: list[Value], where: str) -> Value:
    """The largest score as a node with no gradient, checked finite by comparing the node.

    Comparisons (not ``.data``) so that engine.compile keeps them as cheap guards that hold
    for any finite scores, and recomputes m on every replay.
    """
    m = engine.max(xs).detach()
    if not -math.inf < m < math.inf:
        raise ValueError(f"{where}: scores must be finite, got {[s.data for s in xs]}")
    return m
