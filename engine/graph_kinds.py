"""What each node of a graph is, for the views: the root, a parameter, an input, a leaf, a constant or computed.

A constant is an unlabelled leaf that feeds exactly one operation: what Python makes of
the 2 in ``x * 2``.  Parameters are the leaves named by ``params=``; with ``params=`` the
other leaves are inputs.  Without it nothing tells a model's weights from its inputs, so
the views call them all leaves rather than guess.

>>> from engine import Value
>>> x = Value(2.0, label='x')
>>> y = x * 3
>>> [kinds_of(topological_order(y), {})[n] for n in (x, y._prev[1], y)]
['leaf', 'constant', 'root']
>>> kinds_of(topological_order(y), {x: 'x'})[x]
'parameter'
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from .value import Value, topological_order

__all__ = ["ROOT", "PARAM", "INPUT", "LEAF", "CONSTANT", "COMPUTED", "kinds_of", "order_of", "use_counts"]

ROOT, PARAM, INPUT, LEAF, CONSTANT, COMPUTED = "root", "parameter", "input", "leaf", "constant", "computed"


def order_of(root: object, where: str) -> list[Value]:
    """``root``'s graph in topological order, or a TypeError naming ``where`` for a non-Value."""
    if not isinstance(root, Value):
        raise TypeError(
            f"{where}: expected a Value (the output of a computation), got {type(root).__name__} {root!r}"
        )
    return topological_order(root)


def use_counts(order: Sequence[Value]) -> dict[Value, int]:
    """How many edges leave each node (``x * x`` uses x twice)."""
    uses: dict[Value, int] = {}
    for node in order:
        for child in node._prev:
            uses[child] = uses.get(child, 0) + 1
    return uses


def kinds_of(order: Sequence[Value], param_names: Mapping[Value, str]) -> dict[Value, str]:
    """Each node's kind; the last node of ``order`` is the root."""
    uses = use_counts(order)
    other_leaf = INPUT if param_names else LEAF
    kinds = {}
    for node in order:
        if node._prev:
            kinds[node] = COMPUTED
        elif node in param_names:
            kinds[node] = PARAM
        elif not node.label and uses.get(node) == 1:
            kinds[node] = CONSTANT
        else:
            kinds[node] = other_leaf
    kinds[order[-1]] = ROOT
    return kinds
