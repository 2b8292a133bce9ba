"""Training utilities that work on parameters' gradients: ``clip_grad_norm_``.

>>> from engine import Value
>>> a, b = Value(0.0), Value(0.0)
>>> a.grad, b.grad = 3.0, 4.0              # the gradient vector (3, 4) has length 5
>>> clip_grad_norm_([a, b], max_norm=1.0)
5.0
>>> round(a.grad, 6), round(b.grad, 6)     # now of length 1 (just under: torch adds 1e-6 to the norm)
(0.6, 0.8)
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Iterable

from engine import Value

from .optim import _number

__all__ = ["clip_grad_norm_"]


def _grad_norm(grads: list[float], norm_type: float) -> float:
    if norm_type == math.inf:
        return max(map(abs, grads))
    if norm_type == 2.0:
        return math.sqrt(math.fsum(g * g for g in grads))
    return math.fsum(abs(g) ** norm_type for g in grads) ** (1.0 / norm_type)


def clip_grad_norm_(parameters: Value | Iterable[Value], max_norm: float, norm_type: float = 2.0,
                    error_if_nonfinite: bool = False) -> float:
    """Scale all the grads together so that their norm is at most ``max_norm``; return the norm before.

    NB: torch.nn.utils.clip_grad_norm_.  The norm is taken over every parameter's grad as
    one vector (``norm_type`` 2 by default, ``math.inf`` for the largest |grad|).  When it
    exceeds ``max_norm`` every grad is multiplied by max_norm / (norm + 1e-6), as in
    PyTorch, so the direction is kept and only the length shrinks.  A NaN or infinite norm
    raises ValueError with ``error_if_nonfinite=True``.

    >>> from engine import Value
    >>> w = Value(1.0); w.grad = 0.5
    >>> clip_grad_norm_([w], max_norm=1.0), w.grad     # under the limit: unchanged
    (0.5, 0.5)
    """
    params = [parameters] if isinstance(parameters, Value) else list(parameters)
    for i, p in enumerate(params):
        if not isinstance(p, Value):
            raise TypeError(f"clip_grad_norm_: parameter {i} must be a Value, got {type(p).__name__} {p!r}")
    max_norm = _number("clip_grad_norm_", "max_norm", max_norm)
    if isinstance(norm_type, bool) or not isinstance(norm_type, numbers.Real) or not norm_type > 0:
        raise ValueError(f"clip_grad_norm_: norm_type must be a number > 0 (or math.inf), got {norm_type!r}")
    if not params:
        return 0.0
    grads = []
    for i, p in enumerate(params):
        if isinstance(p.grad, bool) or not isinstance(p.grad, numbers.Real):
            raise TypeError(f"clip_grad_norm_: the grad of parameter {i} must be a real number, got {p.grad!r}")
        grads.append(float(p.grad))
    total = _grad_norm(grads, float(norm_type))
    if error_if_nonfinite and not math.isfinite(total):
        raise ValueError(f"clip_grad_norm_: the total norm of the gradients is {total!r}; they cannot be clipped "
                         f"(pass error_if_nonfinite=False to clip anyway)")
    coef = max_norm / (total + 1e-6)
    if coef < 1.0:
        for p, g in zip(params, grads):
            p.grad = g * coef
    return total
