"""Functions on lists of Values that have no weights: activations by name and ``softmax`` and its relatives.

>>> from engine import Value
>>> [round(p.data, 3) for p in softmax([Value(1.0), Value(2.0), Value(3.0)])]
[0.09, 0.245, 0.665]
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import partial

import engine
from engine import OPS, Value, apply

__all__ = ["activation", "activation_names", "softmax", "log_softmax", "logsumexp", "pick", "is_graph_index"]


def activation_names() -> list[str]:
    """What a Neuron, Layer, MLP or TransformerBlock accepts as ``activation``: 'linear' and every one-input op.

    The names come from the op table, so an op added with ``engine.register_op`` is an
    activation at once.

    >>> {'relu', 'tanh', 'sigmoid', 'linear'} <= set(activation_names())
    True
    """
    return [name for name, op in OPS.items() if op.arity == 1] + ["linear"]


def activation(name: str, where: str = "activation") -> Callable[[Value], Value] | None:
    """The function for an activation name: the Value method of that op, or None for ``'linear'``.

    ``'linear'`` means "no activation" (a neuron's output is its weighted sum): one node
    fewer than an identity op.

    >>> activation('tanh') is Value.tanh
    True
    >>> activation('swish')
    Traceback (most recent call last):
    ...
    ValueError: activation: must be 'linear' or a one-input op of the table (relu, tanh, ...), got 'swish'
    """
    if name == "linear":
        return None
    op = OPS.get(name) if isinstance(name, str) else None
    if op is None or op.arity != 1:
        known = ", ".join(n for n in ("relu", "tanh", "sigmoid") if n in OPS)
        raise ValueError(f"{where}: must be 'linear' or a one-input op of the table ({known}, ...), got {name!r}")
    method = getattr(Value, name, None)
    return method if callable(method) else partial(apply, op)


def is_graph_index(index: object) -> bool:
    """True for an index that is part of the graph: a Value, or an int ``engine.compile`` traces.

    >>> is_graph_index(3), is_graph_index(Value(3.0))
    (False, True)
    """
    return isinstance(index, Value) or isinstance(getattr(index, "graph_input", None), Value)


def pick(values: Sequence[Value], index: int | Value) -> Value:
    """``values[index]``: plain indexing for an int, an ``engine.take`` node for a graph index.

    Both give the same number and send the gradient to the same value; ``take`` makes the
    index an input of the graph, so a compiled replay picks ``values[new index]`` (class
    targets of ``cross_entropy``, token ids of ``Embedding``).  A plain int needs no node.

    >>> xs = [Value(1.0), Value(5.0)]
    >>> pick(xs, 1) is xs[1], pick(xs, Value(1.0)).data
    (True, 5.0)
    """
    return engine.take(values, index) if is_graph_index(index) else values[index]


def _values(scores: Sequence[Value | float], where: str) -> list[Value]:
    """Scores as a non-empty list of Values (plain numbers become constants)."""
    if isinstance(scores, (Value, int, float)):
        raise TypeError(f"{where}: expected a list of class scores, got a single {type(scores).__name__} {scores!r}")
    out = [s if isinstance(s, Value) else Value(s) for s in scores]
    if not out:
        raise ValueError(f"{where}: needs at least one score, got an empty list")
    return out


def shifted(scores: Sequence[Value | float], where: str = "shifted") -> tuple[list[Value], Value]:
    """The scores minus their largest, ``z_i = s_i - max``, and that max: how softmax avoids overflow.

    Every z_i is <= 0, so e**z_i never overflows, and softmax, log_softmax and the
    cross-entropy computed from z are the same as from s, without ever adding a huge
    number back: log_softmax([1e16, 1e16]) is [-0.693..., -0.693...], not [0.0, 0.0].
    The max is ``engine.max(scores).detach()``: a node, so ``engine.compile`` recomputes it
    for new scores (no number is read out of the graph), and detached, because the results
    do not depend on it, so no gradient goes through it.  As in PyTorch, a score of +inf
    or NaN makes the results NaN.

    >>> z, m = shifted([Value(1.0), Value(3.0)])
    >>> [v.data for v in z], m.data
    ([-2.0, 0.0], 3.0)
    """
    xs = _values(scores, where)
    m = engine.max(xs).detach()
    return [s - m for s in xs], m


def logsumexp(scores: Sequence[Value | float]) -> Value:
    """log(e**s_1 + ... + e**s_n), computed without overflow: scores of 1000 are fine.

    Computed as log(sum e**(s_i - m)) + m with m the largest score (see ``shifted``).

    >>> round(logsumexp([Value(1000.0), Value(1000.0)]).data, 6)
    1000.693147
    """
    z, m = shifted(scores, "logsumexp")
    return engine.sum([zi.exp() for zi in z]).log() + m


def log_softmax(scores: Sequence[Value | float]) -> list[Value]:
    """log(softmax(scores)), each z_i - log(sum e**z_j) with z = scores - max: stable for any scores.

    >>> [round(p.data, 3) for p in log_softmax([Value(0.0), Value(0.0)])]
    [-0.693, -0.693]
    >>> [round(p.data, 3) for p in log_softmax([Value(1e16), Value(1e16)])]
    [-0.693, -0.693]
    """
    z, _ = shifted(scores, "log_softmax")
    log_total = engine.sum([zi.exp() for zi in z]).log()
    return [zi - log_total for zi in z]


def softmax(scores: Sequence[Value | float]) -> list[Value]:
    """Turn class scores into probabilities that sum to 1: e**s_i / sum_j e**s_j.

    Computed as e**(s_i - max) / sum_j e**(s_j - max), so scores of 1000 do not overflow.

    >>> [p.data for p in softmax([Value(1000.0), Value(1000.0)])]
    [0.5, 0.5]
    """
    z, _ = shifted(scores, "softmax")
    exps = [zi.exp() for zi in z]
    total = engine.sum(exps)
    return [e / total for e in exps]
