"""Boxes in a drawing: which group (a neuron in a layer, say) each node belongs to, and collapsing them.

``draw_dot(root, group_by=fn)`` asks ``fn(leaf)`` for every leaf of the graph: the names
of the boxes around it, outermost first (``('layers.0', 'layers.0.neurons.3')``), a single
name, or None for no box.  nn builds such a function from ``named_parameters()``; the
engine knows nothing of nn's names.  Computed nodes join a box by what they read:

- a node that reads leaves of one box together with something else (``dot(w, x)``,
  ``n + b``) is part of it, but not one leaf with constants (a penalty ``p ** 2``);
- a node whose inputs (constants aside) are all such nodes of one box is part of it
  (the chain of ``+`` adding ``w*x`` terms); so is one function of one such node, the
  activation ``tanh(n)``, which ends the box's nodes (``n - 1`` is not a function);
- a drawn constant goes with the node that uses it.

>>> from engine import Value, topological_order
>>> from engine.graph_kinds import kinds_of
>>> w = Value(0.5, label='w'); x = Value(2.0, label='x')
>>> y = (w * x).tanh()
>>> order = topological_order(y)
>>> groups = assign_groups(order, kinds_of(order, {}), lambda leaf: 'unit' if leaf is w else None)
>>> [groups.get(n, ()) for n in (w, x, y._prev[0], y)]
[('unit',), (), ('unit',), ('unit',)]
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from .graph_kinds import CONSTANT
from .text import node_name, op_symbol, visible
from .value import Value

__all__ = ["assign_groups", "collapse_uses", "relative"]

Groups = dict[Value, tuple[str, ...]]


def _path(found: object, leaf: Value) -> tuple[str, ...]:
    """group_by's answer as a tuple of box names, or a TypeError saying what it should be."""
    if found is None:
        return ()
    if isinstance(found, str):
        found = (found,)
    if isinstance(found, (tuple, list)) and all(isinstance(g, str) and g for g in found):
        return tuple(found)
    raise TypeError(
        f"draw_dot: group_by must return None, a box name or a tuple of box names (outermost first), "
        f"got {type(found).__name__} {visible(repr(found), 80)} for the leaf {visible(node_name(leaf), 80)!r}"
    )


def assign_groups(order: Sequence[Value], kinds: dict, group_by: Callable[[Value], object]) -> Groups:
    """{node: its boxes, outermost first} for the nodes in a box; see the module's rules."""
    groups: Groups = {}
    inner: set[Value] = set()  # nodes of a box before its activation: later nodes may join through them
    for node in order:
        if not node._prev:
            if kinds[node] != CONSTANT:
                path = _path(group_by(node), node)
                if path:
                    groups[node] = path
            continue
        path, is_inner = _join(node, kinds, groups, inner)
        if path:
            groups[node] = path
            if is_inner:
                inner.add(node)
            for child in node._prev:
                if kinds[child] == CONSTANT:
                    groups[child] = path
    return groups


def _join(node: Value, kinds: dict, groups: Groups, inner: set) -> tuple[tuple[str, ...], bool]:
    """The box a computed node joins (or ()), and whether later nodes may join through it."""
    leaves = [c for c in node._prev if not c._prev and c in groups]
    rest = [c for c in node._prev if c not in leaves]
    if leaves:
        paths = {groups[c] for c in leaves}
        penalty = len(leaves) == 1 and all(kinds[c] == CONSTANT for c in rest)
        if len(paths) == 1 and rest and not penalty:
            return paths.pop(), True
        return (), False
    others = [c for c in rest if kinds[c] != CONSTANT]
    if not others or not all(c in inner for c in others) or len({groups[c] for c in others}) != 1:
        return (), False
    if len(others) >= 2:
        return groups[others[0]], True
    if op_symbol(node).isidentifier():  # tanh(n), leaky_relu(n, 0.01): the activation
        return groups[others[0]], False
    return (), False


def collapse_uses(order: Sequence[Value], kinds: dict, groups: Groups) -> tuple[dict[Value, Value], set[Value]]:
    """For ``collapse=True``: each use of a box as one node.

    Returns ({node: the output node of its box's use}, {nodes not drawn}).  A use is the
    box's computed nodes joined through their inputs (one per example in a batch); its
    output is the last of them.  The box's leaves are not drawn unless a node outside a
    box reads them (a weight penalty, say).
    """
    parent: dict[Value, Value] = {}

    def find(node: Value) -> Value:
        while parent[node] is not node:
            parent[node] = parent[parent[node]]
            node = parent[node]
        return node

    consumer: dict[Value, Value] = {}
    for node in order:
        if not node._prev or node not in groups:
            continue
        parent[node] = node
        for child in node._prev:
            if child in parent and groups[child] == groups[node]:
                parent[find(child)] = node  # the later node becomes the use's output
            elif kinds[child] == CONSTANT:
                consumer[child] = node
    rep = {node: find(node) for node in parent}
    rep.update({c: rep[node] for c, node in consumer.items()})
    read_outside = {c for node in order if node not in rep for c in node._prev}
    hidden = {node for node, r in rep.items() if r is not node}
    hidden |= {n for n in groups if not n._prev and kinds[n] != CONSTANT and n not in read_outside}
    return rep, hidden


def relative(name: str, outer: str) -> str:
    """``name`` without its box's prefix: 'layers.0.neurons.3' inside 'layers.0' is 'neurons.3'.

    >>> relative('layers.0.neurons.3.w.1', 'layers.0.neurons.3'), relative('b', 'layers.0')
    ('w.1', 'b')
    """
    if outer and name.startswith(outer + ".") and len(name) > len(outer) + 1:
        return name[len(outer) + 1 :]
    return name
