"""Normalization (LayerNorm, RMSNorm) and dropout: the layers a Transformer wraps around attention and its MLP.

>>> from engine import Value
>>> norm = LayerNorm(3)
>>> [round(v.data, 4) for v in norm([1.0, 2.0, 3.0])]    # mean 0, variance 1 (biased, as in PyTorch)
[-1.2247, 0.0, 1.2247]
>>> [round(v.data, 4) for v in RMSNorm(2)([3.0, 4.0])]   # divided by sqrt(mean of squares) = sqrt(12.5)
[0.8485, 1.1314]
"""

from __future__ import annotations

import numbers
import random
import sys

import engine
from engine import Value, dot

from .checks import check_size, short
from .init import check_rng
from .module import Module
from .shapes import Nested, format_shape, shape

__all__ = ["LayerNorm", "RMSNorm", "Dropout"]


class _LastDimNorm(Module):
    """What LayerNorm and RMSNorm share: the checks, and normalizing every vector along the last dimension."""

    def _setup(self, normalized_shape: int | tuple[int], eps: float) -> None:
        where = type(self).__name__
        if isinstance(normalized_shape, (tuple, list)) and len(normalized_shape) == 1:
            normalized_shape = normalized_shape[0]
        self.normalized_shape = check_size(f"{where}: normalized_shape (the vector length)", normalized_shape)
        if isinstance(eps, bool) or not isinstance(eps, numbers.Real) or not eps > 0:
            raise ValueError(f"{where}: eps must be a number > 0, got {eps!r}")
        self.eps = float(eps)

    def forward(self, x: Nested) -> list:
        dims = shape(x, type(self).__name__)
        if not dims or dims[-1] != self.normalized_shape:
            raise ValueError(f"{type(self).__name__}: expected an input whose last dimension is normalized_shape="
                             f"{self.normalized_shape}, got shape {format_shape(dims)}")
        return self._each_vector(x, len(dims))

    def _each_vector(self, x: list, rank: int) -> list:
        if rank > 1:
            return [self._each_vector(row, rank - 1) for row in x]
        return self._normalize(x)

    def extra_repr(self) -> str:
        return f"({self.normalized_shape},), eps={self.eps}, elementwise_affine={self.weight is not None}"


class LayerNorm(_LastDimNorm):
    """Normalize each vector to mean 0 and variance 1, then scale by ``weight`` and shift by ``bias``.

    NB: torch.nn.LayerNorm(normalized_shape) with an int: it works on the last dimension,
    so a vector or a sequence of vectors both go in.  For a vector x of n numbers:
    y_i = (x_i - mean) / sqrt(var + eps) * weight_i + bias_i, var = mean of (x_i - mean)**2.
    ``weight`` starts at 1 and ``bias`` at 0.

    >>> norm = LayerNorm(2)
    >>> [[v.data for v in row] for row in norm([[0.0, 2.0], [5.0, 1.0]])]
    [[-0.99999..., 0.99999...], [0.99999..., -0.99999...]]
    """

    def __init__(self, normalized_shape: int | tuple[int], eps: float = 1e-5, elementwise_affine: bool = True,
                 bias: bool = True):
        self._setup(normalized_shape, eps)
        self.weight = [Value(1.0) for _ in range(self.normalized_shape)] if elementwise_affine else None
        self.bias = [Value(0.0) for _ in range(self.normalized_shape)] if elementwise_affine and bias else None

    def _normalize(self, x: list) -> list:
        n = self.normalized_shape
        mean = engine.sum(x) * (1.0 / n)
        centered = [xi - mean for xi in x]
        inv_std = (dot(centered, centered) * (1.0 / n) + self.eps) ** -0.5
        out = [c * inv_std for c in centered]
        if self.weight is not None:
            out = [o * w for o, w in zip(out, self.weight)]
        if self.bias is not None:
            out = [o + b for o, b in zip(out, self.bias)]
        return out

class RMSNorm(_LastDimNorm):
    """Divide each vector by its root mean square, then scale by ``weight`` (if learned).

    NB: torch.nn.RMSNorm(normalized_shape, eps, elementwise_affine).  For a vector x of n
    numbers: y_i = x_i / sqrt(mean of x_j**2 + eps) * weight_i.  Unlike LayerNorm it does
    not subtract the mean, so it is cheaper; GPT-style models use it.  ``eps=None`` is the
    float epsilon (2.2e-16), as in PyTorch for float64; ``weight`` starts at 1, and
    ``elementwise_affine=False`` leaves it out (no parameters at all).

    >>> norm = RMSNorm(2, eps=1e-5, elementwise_affine=False)
    >>> norm
    RMSNorm((2,), eps=1e-05, elementwise_affine=False)
    >>> [round(v.data, 6) for v in norm([[1.0, 1.0], [0.0, 2.0]])[1]]
    [0.0, 1.41421]
    """

    def __init__(self, normalized_shape: int | tuple[int], eps: float | None = None, elementwise_affine: bool = True):
        self._setup(normalized_shape, sys.float_info.epsilon if eps is None else eps)
        self.weight = [Value(1.0) for _ in range(self.normalized_shape)] if elementwise_affine else None

    def _normalize(self, x: list) -> list:
        inv_rms = (dot(x, x) * (1.0 / self.normalized_shape) + self.eps) ** -0.5
        if self.weight is None:
            return [xi * inv_rms for xi in x]
        return [xi * inv_rms * w for xi, w in zip(x, self.weight)]

class Dropout(Module):
    """In training, zero each value with probability ``p`` and scale the rest by 1/(1-p); in eval, do nothing.

    NB: torch.nn.Dropout.  The scaling keeps each value's expected size the same in training
    and evaluation.  Which values are dropped comes from ``rng`` (default: nn's own random
    source, seeded by ``nn.manual_seed``), so a seeded run drops the same ones every time.
    Any nesting of lists goes in and comes out in the same shape.

    >>> drop = Dropout(0.5, rng=random.Random(0))
    >>> [v.data for v in drop([1.0, 1.0, 1.0, 1.0])]
    [2.0, 2.0, 0.0, 0.0]
    >>> drop.eval()([1.0, 1.0])      # in eval mode the input comes back as it is
    [1.0, 1.0]
    """

    def __init__(self, p: float = 0.5, *, rng: random.Random | None = None):
        if isinstance(p, bool) or not isinstance(p, numbers.Real) or not 0.0 <= p <= 1.0:
            raise ValueError(f"Dropout: p (the probability of dropping a value) must be in [0, 1], got {short(p)}")
        self.p = float(p)
        self._rng = check_rng(rng, "Dropout")

    def forward(self, x: Nested) -> Nested:
        shape(x, "Dropout")  # refuse ragged lists and strings before drawing anything
        if not self.training or self.p == 0.0:
            return x
        zero = Value(0.0)
        if self.p == 1.0:
            return self._apply(x, lambda v: zero)
        scale, p, draw = 1.0 / (1.0 - self.p), self.p, self._rng.random
        return self._apply(x, lambda v: zero if draw() < p else v * scale if isinstance(v, Value) else Value(v * scale))

    def _apply(self, x: Nested, f) -> Nested:
        if isinstance(x, (list, tuple)):
            return [self._apply(item, f) for item in x]
        return f(x)

    def extra_repr(self) -> str:
        return f"p={self.p}"
