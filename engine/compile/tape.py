"""A traced graph as a tape: the nodes as index arrays, replayed forward and backward from the op table.

Every node gets a position in two flat lists of floats, ``V`` (values) and ``G`` (grads).
The forward tape lists, in topological order, each computed node's op forward and the
positions of its output and inputs; the backward tape lists, in exactly the order
``backward()`` visits them, each node's op derivatives.  Replaying is then a loop over the
tape: no Value is built.  An op with many inputs (``sum``, ``dot``, ``take``, ``max``) is
one instruction holding an index array, so the tape grows with the graph's edges, linearly.

The rules are the op table's own functions; the few ops listed in ``FAST_FORWARD`` are
called through the C function their row's lambda spells (``a * b`` is ``operator.mul``),
which tests/test_compile.py checks against the row, bit for bit.

>>> from engine import Value
>>> x = Value(3.0)
>>> tape = Tape(x * x + 1.0, [], [])
>>> V, G = tape.new_lists()
>>> for i in tape.leaves:          # the leaves' numbers: x, then the constant 1.0
...     V[i] = tape.nodes[i].data
>>> tape.forward(V); V[tape.root]
10.0
>>> G[tape.root] = 1.0; tape.backward(V, G); G[tape.index[x]]
6.0
"""

from __future__ import annotations

import math
import operator
from collections.abc import Callable

from ..ops import OPS, Op
from ..value import Value, topological_order

__all__ = ["Tape", "FAST_FORWARD", "ReplayRefused"]


class ReplayRefused(Exception):
    """Raised by a replay that cannot stand for the eager run (the caller then runs ``fn`` eagerly)."""


# Fast path: ops whose table forward is exactly one C function on floats (checked in the tests).
FAST_FORWARD: dict[str, Callable] = {
    "add": operator.add,
    "sub": operator.sub,
    "mul": operator.mul,
    "neg": operator.neg,
    "exp": math.exp,
    "tanh": math.tanh,
    "sin": math.sin,
    "cos": math.cos,
}
# The rows ops.py itself registers return floats and raise (ValueError, ZeroDivisionError,
# OverflowError) wherever their check would refuse (the tests try each check's refusals),
# so a replay calls them bare; a user's row gets its check and a float() around it.
BUILT_IN_ROWS = {name: op for name, op in OPS.items()}


def _forward_of(op: Op) -> Callable:
    """The function a replay calls for ``op``'s forward."""
    if BUILT_IN_ROWS.get(op.name) is op:
        return FAST_FORWARD.get(op.name, op.forward)
    forward, check = op.forward, op.check

    def checked(*inputs):
        if check is not None and check(*inputs):
            raise ReplayRefused(op.name)  # outside the domain: the eager run raises the engine's error
        out = forward(*inputs)
        return out if type(out) is float else float(out)

    return checked


def _op_of(node: Value) -> Op:
    op = OPS.get(node._op)
    if op is None:
        raise TypeError(
            f"compile: node {node!r} was made by {node._op!r}, which is not in the op table; "
            "register it with engine.register_op so that a replay can run it"
        )
    return op


def _order(root: Value, others: list[Value]) -> tuple[list[Value], list[Value]]:
    """backward()'s order behind ``root``, and a forward order of every node (``others`` too).

    One walk from a stand-in node whose inputs are ``root`` then ``others``: the walk takes
    ``root``'s graph first, in exactly the order ``topological_order(root)`` gives.
    """
    if not others:
        behind = topological_order(root)
        return behind, behind
    order = topological_order(Value(0.0, (root, *others), "sum"))
    order.pop()  # the stand-in
    behind = order[: order.index(root) + 1]
    return behind, order


class Tape:
    """The graph behind ``root`` (and behind ``others``: extras, nodes whose number was read).

    Attributes: ``nodes`` (every node, forward order), ``index`` (node -> position),
    ``leaves`` (positions of the leaves), ``grad_leaves`` (positions of the leaves behind the
    root: the ones backward() gives a gradient), ``root``.
    """

    def __init__(self, root: Value, others: list[Value], extras: list[Value]):
        behind, nodes = _order(root, others)
        self.nodes = nodes
        self.size = len(nodes)
        self.index = index = {node: i for i, node in enumerate(nodes)}
        self.root = index[root]
        self.extras = [index[e] for e in extras]
        self.leaves = [i for i, node in enumerate(nodes) if not node._prev]
        self.grad_leaves = [index[node] for node in behind if not node._prev]
        forward = []
        for node in nodes:
            if node._prev:
                forward.append(self._instruction(_forward_of(_op_of(node)), node))
        backward = []
        for node in reversed(behind):
            if node._prev:
                backward.append(self._instruction(_op_of(node).derivatives, node))
        self._forward = forward
        self._backward = backward

    def _instruction(self, rule: Callable, node: Value) -> tuple:
        """``(kind, rule, out, a, b)``: kind 1 or 2 for one or two inputs at a (and b); 0 for many, at a."""
        index = self.index
        inputs = node._prev
        out = index[node]
        if len(inputs) == 1:
            return 1, rule, out, index[inputs[0]], None
        if len(inputs) == 2:
            return 2, rule, out, index[inputs[0]], index[inputs[1]]
        return 0, rule, out, tuple([index[p] for p in inputs]), None

    def new_lists(self) -> tuple[list[float], list[float]]:
        """Fresh ``V`` and ``G``: one slot per node, grads at 0.0 (interior grads start there)."""
        return [0.0] * self.size, [0.0] * self.size

    def forward(self, V: list[float]) -> None:
        """Every computed node's value from its inputs', in topological order (leaves already in V)."""
        get = V.__getitem__
        for kind, f, o, a, b in self._forward:
            if kind == 2:
                V[o] = f(V[a], V[b])
            elif kind == 1:
                V[o] = f(V[a])
            else:
                V[o] = f(*map(get, a))

    def backward(self, V: list[float], G: list[float]) -> None:
        """The chain rule in backward()'s order: ``G[input] += local * G[node]``, the same float operations."""
        get = V.__getitem__
        for kind, d, o, a, b in self._backward:
            g = G[o]
            if kind == 2:
                da, db = d(V[o], V[a], V[b])
                G[a] += da * g
                G[b] += db * g
            elif kind == 1:
                (da,) = d(V[o], V[a])
                G[a] += da * g
            else:
                local = d(V[o], *map(get, a))
                if len(local) != len(a):
                    raise ReplayRefused("derivatives")  # the eager run raises the engine's error
                for i, d_i in zip(a, local):
                    G[i] += d_i * g
