"""Loss functions: one Value saying how wrong a model's outputs are, ready for ``backward()``.

Each takes the model's outputs (a Value or a list of Values) and the targets (numbers or
Values), and by default averages over the examples (``reduction='mean'``; ``'sum'``
adds them up).  The names and formulas follow PyTorch's.

>>> from engine import Value
>>> loss = mse_loss([Value(1.0), Value(3.0)], [0.0, 1.0])
>>> loss.data        # ((1-0)**2 + (3-1)**2) / 2
2.5
"""

from __future__ import annotations

import numbers
from collections.abc import Sequence

import engine
from engine import Value

from .functional import logsumexp

__all__ = ["mse_loss", "hinge_loss", "binary_cross_entropy_with_logits", "cross_entropy"]

Outputs = Value | Sequence[Value]
Targets = float | Value | Sequence[float | Value]


def _as_list(x: object, what: str, where: str) -> list:
    """One example or a list of them, as a list; refuse strings and other non-sequences."""
    if isinstance(x, (Value, numbers.Real)) and not isinstance(x, bool):
        return [x]
    if isinstance(x, (str, bytes)) or not isinstance(x, Sequence):
        raise TypeError(f"{where}: {what} must be a Value, a number or a list of them, got {type(x).__name__} {x!r}")
    return list(x)


def _pairs(outputs: Outputs, targets: Targets, where: str) -> tuple[list[Value], list]:
    """Outputs as Values and targets as floats or Values, checked to be the same non-zero length."""
    outs = _as_list(outputs, "the outputs", where)
    tgts = _as_list(targets, "the targets", where)
    if len(outs) != len(tgts):
        raise ValueError(f"{where}: got {len(outs)} output(s) but {len(tgts)} target(s); they must match one to one")
    if not outs:
        raise ValueError(f"{where}: needs at least one output, got an empty list")
    for i, o in enumerate(outs):
        if not isinstance(o, Value):
            raise TypeError(f"{where}: output {i} must be a Value (the model's output), got {type(o).__name__} {o!r}")
    for i, t in enumerate(tgts):
        if isinstance(t, bool) or not isinstance(t, (Value, numbers.Real)):
            raise TypeError(f"{where}: target {i} must be a number or a Value, got {type(t).__name__} {t!r}")
    return outs, tgts


def _reduce(terms: list[Value], reduction: str, where: str) -> Value:
    """Add up the per-example losses, and divide by their number for 'mean'."""
    if reduction not in ("mean", "sum"):
        raise ValueError(f"{where}: reduction must be 'mean' or 'sum', got {reduction!r}")
    total = terms[0] if len(terms) == 1 else engine.sum(terms)
    if reduction == "mean" and len(terms) > 1:
        total = total * (1.0 / len(terms))
    return total


def _data(t: float | Value) -> float:
    return t.data if isinstance(t, Value) else float(t)


def mse_loss(outputs: Outputs, targets: Targets, reduction: str = "mean") -> Value:
    """Mean squared error: mean of (output - target)**2.  NB: torch.nn.functional.mse_loss.

    >>> from engine import Value
    >>> mse_loss(Value(3.0), 1.0)
    Value(data=4.0, grad=0.0)
    """
    outs, tgts = _pairs(outputs, targets, "mse_loss")
    terms = []
    for o, t in zip(outs, tgts):
        d = o - t
        terms.append(d * d)
    return _reduce(terms, reduction, "mse_loss")


def hinge_loss(scores: Outputs, labels: Targets, reduction: str = "mean") -> Value:
    """Max-margin loss of micrograd's demo: mean of relu(1 - label * score), labels -1 or +1.

    A point costs nothing once it is on the right side with a margin of 1.

    >>> from engine import Value
    >>> hinge_loss([Value(2.0), Value(0.5)], [1, 1]).data    # (0 + 0.5) / 2
    0.25
    """
    outs, labs = _pairs(scores, labels, "hinge_loss")
    for i, y in enumerate(labs):
        if _data(y) not in (-1.0, 1.0):
            raise ValueError(f"hinge_loss: label {i} must be -1 or +1, got {_data(y)!r} (map 0/1 labels with 2*y - 1)")
    return _reduce([(1 - y * s).relu() for s, y in zip(outs, labs)], reduction, "hinge_loss")


def binary_cross_entropy_with_logits(logits: Outputs, targets: Targets, reduction: str = "mean") -> Value:
    """Binary cross-entropy on raw scores: -[y log sigmoid(z) + (1-y) log(1 - sigmoid(z))].

    Computed as softplus(z) - y*z, which is the same number without ever taking the log
    of 0: a logit of 1000 with the wrong label gives a loss of 1000, not inf.
    NB: torch.nn.functional.binary_cross_entropy_with_logits.

    >>> from engine import Value
    >>> round(binary_cross_entropy_with_logits(Value(0.0), 1.0).data, 6)   # log 2
    0.693147
    """
    outs, tgts = _pairs(logits, targets, "binary_cross_entropy_with_logits")
    for i, y in enumerate(tgts):
        if not 0.0 <= _data(y) <= 1.0:
            raise ValueError(f"binary_cross_entropy_with_logits: target {i} must be in [0, 1], got {_data(y)!r}")
    terms = [z.softplus() - y * z for z, y in zip(outs, tgts)]
    return _reduce(terms, reduction, "binary_cross_entropy_with_logits")


def cross_entropy(scores: Sequence[Value] | Sequence[Sequence[Value]], target: int | Sequence[int],
                  reduction: str = "mean") -> Value:
    """Softmax cross-entropy: -log softmax(scores)[target] = logsumexp(scores) - scores[target].

    ``scores`` are one example's class scores with ``target`` its class index, or a list of
    such score lists with a list of indices.  The log-sum-exp is stable: scores of 1000
    do not overflow.  NB: torch.nn.functional.cross_entropy.

    >>> from engine import Value
    >>> round(cross_entropy([Value(1000.0), Value(1000.0)], 0).data, 6)
    0.693147
    >>> cross_entropy([[Value(0.0), Value(5.0)], [Value(3.0), Value(3.0)]], [1, 0])
    Value(data=0.3499..., grad=0.0)
    """
    where = "cross_entropy"
    if isinstance(scores, Sequence) and scores and isinstance(scores[0], (list, tuple)):
        batch, targets = list(scores), _as_list(target, "the targets", where)
        if len(batch) != len(targets):
            raise ValueError(f"{where}: got {len(batch)} example(s) but {len(targets)} target(s)")
    else:
        batch, targets = [scores], [target]
    terms = []
    for i, (row, t) in enumerate(zip(batch, targets)):
        row = _as_list(row, "the class scores", where)
        if isinstance(t, bool) or not isinstance(t, int):
            raise TypeError(f"{where}: target {i} must be a class index (an int), got {type(t).__name__} {t!r}")
        if not 0 <= t < len(row):
            raise ValueError(f"{where}: target {i} must be a class index in 0..{len(row) - 1}, got {t}")
        terms.append(logsumexp(row) - row[t])
    if not terms:
        raise ValueError(f"{where}: needs at least one example, got an empty list")
    return _reduce(terms, reduction, where)
