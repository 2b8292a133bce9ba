"""How chainrule's scalar parameter names line up with PyTorch's tensor names: ``weight.1.2`` is ``weight[1, 2]``.

A chainrule parameter is one Value named by a dotted path; a torch parameter is a tensor.
The trailing integers of a chainrule name are the index into the tensor, the rest is the
tensor's name, so ``layers.0.neurons.3.w.1`` is element 1 of the tensor
``layers.0.neurons.3.w`` and ``layers.0.neurons.3.b`` is a 0-d tensor.  Pure Python:
nothing here needs torch.

>>> from nn import Linear
>>> import random
>>> tensors = group_parameters(Linear(3, 2, rng=random.Random(0)))
>>> {name: t.shape for name, t in tensors.items()}
{'weight': (2, 3), 'bias': (2,)}
"""

from __future__ import annotations

import math
from typing import NamedTuple

from engine import Value

from ..module import Module

__all__ = ["split_name", "ScalarTensor", "group_parameters"]


class ScalarTensor(NamedTuple):
    """The Values that make up one torch tensor: its shape and the Values in reading order (last index fastest)."""

    shape: tuple[int, ...]
    values: list[Value]


def split_name(name: str) -> tuple[str, tuple[int, ...]]:
    """A chainrule parameter name split into the tensor's name and the index into it.

    >>> split_name('layers.0.neurons.3.w.1')
    ('layers.0.neurons.3.w', (1,))
    >>> split_name('0.weight.2.0')
    ('0.weight', (2, 0))
    >>> split_name('b')
    ('b', ())
    """
    parts = name.split(".")
    k = len(parts)
    while k > 0 and parts[k - 1].isdigit():
        k -= 1
    if k == 0:
        raise ValueError(f"{name!r} is only an index: a parameter name must hold a tensor name (like 'weight.0')")
    return ".".join(parts[:k]), tuple(int(p) for p in parts[k:])


def group_parameters(model: Module, where: str = "to_torch") -> dict[str, ScalarTensor]:
    """The model's parameters gathered into tensors, by tensor name, in ``named_parameters()`` order.

    Every tensor must be a full grid: ``w.0`` .. ``w.n-1``, or rows of equal length.  A
    list of parameters that is ragged (rows of different lengths) has no tensor shape and
    is refused with a ValueError naming it.
    """
    indexed: dict[str, list[tuple[tuple[int, ...], Value]]] = {}
    for name, p in model.named_parameters():
        tensor, index = split_name(name)
        indexed.setdefault(tensor, []).append((index, p))
    return {tensor: _grid(tensor, entries, where) for tensor, entries in indexed.items()}


def _grid(tensor: str, entries: list[tuple[tuple[int, ...], Value]], where: str) -> ScalarTensor:
    """The entries of one tensor checked to fill a rectangular grid, in row-major order."""
    ranks = {len(index) for index, _ in entries}
    shape = tuple(max(index[d] for index, _ in entries) + 1 for d in range(ranks.pop())) if len(ranks) == 1 else None
    entries = sorted(entries, key=lambda e: e[0])
    indices = [index for index, _ in entries]
    if shape is None or len(indices) != math.prod(shape) or len(set(indices)) != len(indices):
        shown = ", ".join(f"{tensor}{''.join(f'.{i}' for i in index)}" for index in indices[:6])
        raise ValueError(f"{where}: the parameters of {tensor!r} ({shown}{', ...' if len(indices) > 6 else ''}) "
                         f"do not fill a rectangular tensor (a ragged list, or a tied parameter listed under "
                         f"another name), so they have no torch counterpart")
    return ScalarTensor(shape, [p for _, p in entries])
