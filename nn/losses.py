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

import math
import numbers
from collections.abc import Sequence

import engine
from engine import Value

from .checks import check_real, short
from .functional import is_graph_index, pick, shifted

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
        if not isinstance(t, Value):  # 10**400 is refused here by name, not as a bare OverflowError later
            tgts[i] = check_real(f"{where}: target {i}", t, finite=False)
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
    """A target's number; an int beyond float range counts as infinite (so range checks refuse it by name)."""
    if isinstance(t, Value):
        return t.data
    try:
        return float(t)
    except OverflowError:
        return math.inf if t > 0 else -math.inf


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


def cross_entropy(scores: Sequence[Value] | Sequence[Sequence[Value]], target: object, reduction: str = "mean",
                  *, ignore_index: int = -100, label_smoothing: float = 0.0) -> Value | list[Value]:
    """Softmax cross-entropy: -log softmax(scores)[target], the loss of a classifier's raw scores.

    NB: torch.nn.functional.cross_entropy, without a weight.  ``scores`` are one example's
    C class scores, or a list of such rows.  ``target`` is, per example, either

    - a class index (an int): the loss is log(sum_j e**s_j) - s_target.  An example whose
      target equals ``ignore_index`` (-100) adds nothing, and the mean is over the others;
    - C class probabilities (numbers or Values): the loss is -sum_c p_c log softmax(s)_c.

    ``label_smoothing=eps`` mixes the target with the uniform distribution, as PyTorch does:
    the loss becomes (1 - eps) * that loss + eps * mean_c(-log softmax(s)_c).
    ``reduction`` is 'mean' (default), 'sum', or 'none' (one Value per example, 0.0 for an
    ignored one).  The scores are shifted by their max first (see ``nn.functional.shifted``),
    so scores of 1e16 still give log 2 for a tie.

    >>> from engine import Value
    >>> round(cross_entropy([Value(1e16), Value(1e16)], 0).data, 6)
    0.693147
    >>> cross_entropy([[Value(0.0), Value(5.0)], [Value(3.0), Value(3.0)]], [1, 0])
    Value(data=0.3499..., grad=0.0)
    >>> round(cross_entropy([Value(0.0), Value(0.0)], [0.25, 0.75]).data, 6)      # probabilities
    0.693147
    >>> cross_entropy([[Value(0.0), Value(5.0)], [Value(3.0), Value(3.0)]], [1, -100]).data  # the second ignored
    0.0067153484891...
    """
    where = "cross_entropy"
    batch, targets, batched = _examples(scores, target, where)
    eps = check_real(f"{where}: label_smoothing", label_smoothing, minimum=0.0, maximum=1.0)
    soft = all(isinstance(t, (list, tuple)) for t in targets)
    terms: list[Value | None] = []
    for i, (row, t) in enumerate(zip(batch, targets)):
        row = _as_list(row, "the class scores", where)
        if soft:
            terms.append(_soft_target_term(row, t, eps, i))
        elif is_graph_index(t):  # engine.compile's traced target: take() checks its range on every replay
            terms.append(_class_target_term(row, t, eps))
        elif _class_index(t, i, len(row), ignore_index) == ignore_index:
            terms.append(None)
        else:
            terms.append(_class_target_term(row, t, eps))
    if reduction == "none":
        out = [Value(0.0) if term is None else term for term in terms]
        return out if batched else out[0]
    kept = [term for term in terms if term is not None]
    if not kept:
        raise ValueError(f"{where}: every target is ignore_index={ignore_index}, so there is no loss to "
                         f"{reduction} (PyTorch gives nan here)")
    return _reduce(kept, reduction, where)


def _examples(scores: object, target: object, where: str) -> tuple[list, list, bool]:
    """(rows of scores, one target per row, whether a batch was given)."""
    if isinstance(scores, Sequence) and scores and isinstance(scores[0], (list, tuple)):
        batch, targets = list(scores), _as_list(target, "the targets", where)
        if len(batch) != len(targets):
            raise ValueError(f"{where}: got {len(batch)} example(s) but {len(targets)} target(s)")
        if not batch:
            raise ValueError(f"{where}: needs at least one example, got an empty list")
        return batch, targets, True
    return [scores], [target], False


def _class_index(t: object, i: int, n_classes: int, ignore_index: int) -> int:
    if isinstance(t, bool) or not isinstance(t, int):
        raise TypeError(f"cross_entropy: target {i} must be a class index (an int) or a list of {n_classes} class "
                        f"probabilities, got {type(t).__name__} {t!r}")
    if not 0 <= t < n_classes and t != ignore_index:
        raise ValueError(f"cross_entropy: target {i} must be a class index in 0..{n_classes - 1}, got {short(t)} "
                         f"(or ignore_index={ignore_index} to leave the example out)")
    return t


def _class_target_term(row: list, t: int, eps: float) -> Value:
    """log(sum e**z) - z_t with z = row - max; with smoothing, (1-eps) * that + eps * (log(sum e**z) - mean z)."""
    z, _ = shifted(row, "cross_entropy")
    log_total = engine.sum([zi.exp() for zi in z]).log()
    if not eps:
        return log_total - pick(z, t)
    return log_total - ((1.0 - eps) * pick(z, t) + (eps / len(z)) * engine.sum(z))


def _soft_target_term(row: list, probs: Sequence, eps: float, i: int) -> Value:
    """sum_c p_c * (log(sum e**z) - z_c): the cross-entropy against class probabilities p."""
    if len(probs) != len(row):
        raise ValueError(f"cross_entropy: target {i} has {len(probs)} class probabilities for {len(row)} classes")
    for c, p in enumerate(probs):
        if isinstance(p, bool) or not isinstance(p, (Value, numbers.Real)) or not 0.0 <= _data(p) <= 1.0:
            raise ValueError(f"cross_entropy: target {i} class {c} must be a probability in [0, 1], got {short(p)}")
    if eps:
        probs = [p * (1.0 - eps) + eps / len(row) for p in probs]
    z, _ = shifted(row, "cross_entropy")
    log_total = engine.sum([zi.exp() for zi in z]).log()
    return engine.dot(probs, [log_total - zc for zc in z])
