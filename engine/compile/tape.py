"""A traced graph as a tape: the nodes as index arrays, replayed forward and backward from the op table.

Every node gets a position in two flat lists of floats, ``V`` (values) and ``G`` (grads).
The forward tape lists, in topological order, each computed node's op forward and the
positions of its output and inputs; the backward tape lists, in exactly the order
``backward()`` visits them, each node's op derivatives.  Replaying is then a loop over the
tape: no Value is built.  An op with many inputs (``sum``, ``dot``, ``take``, ``max``) is
one instruction holding an index array, so the tape grows with the graph's edges, linearly.

The rules are the op table's own functions.  Fast paths, each checked against its row bit
for bit in tests/test_compile.py: the ops in ``FAST_FORWARD`` are called through the C
function their row's lambda spells (``a * b`` is ``operator.mul``); a many-input node reads
its inputs with one ``itemgetter`` call; and ``dot``, the bulk of a network's edges, is
replayed inline: its row's own ``sum(map(mul, ...))`` forward, and its grads (d/dw_k = x_k,
d/dx_k = w_k) added pair by pair wherever that keeps backward()'s order.

>>> from engine import Value
>>> x = Value(3.0)
>>> tape = Tape(x * x + 1.0, [], [])
>>> V, G = tape.new_lists()
>>> for i, node in enumerate(tape.nodes):   # the leaves' numbers: x and the constant 1.0
...     if node.is_leaf:
...         V[i] = node.data
>>> tape.forward(V); V[tape.root]
10.0
>>> G[tape.root] = 1.0; tape.backward(V, G); G[tape.index[x]]
6.0
"""

from __future__ import annotations

import math
import operator
from collections.abc import Callable
from operator import itemgetter, mul

from ..ops import OPS, Op
from ..value import Value, node_name, rule_of, topological_order

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
# Fast path: the rows ops.py itself registers return floats, and these few raise
# (ValueError, ZeroDivisionError) wherever their check would refuse, which the tests try
# for each refusal; dot's check is about the number of inputs, which a trace fixes.  A
# replay calls them bare.  Every other row with a check (take: an index out of range would
# wrap around) and every user row gets its check, and a float() around its result.
BUILT_IN_ROWS = {name: op for name, op in OPS.items()}
RAISING_ROWS = frozenset({"div", "pow", "log", "sqrt", "dot"}) & set(OPS)


def _forward_of(op: Op) -> Callable:
    """The function a replay calls for ``op``'s forward."""
    built_in = BUILT_IN_ROWS.get(op.name) is op
    if built_in and (op.check is None or op.name in RAISING_ROWS):
        return FAST_FORWARD.get(op.name, op.forward)
    forward, check = op.forward, op.check

    def checked(*inputs):
        if check is not None and check(*inputs):
            raise ReplayRefused(op.name)  # outside the domain: the eager run raises the engine's error
        out = forward(*inputs)
        return out if built_in or type(out) is float else float(out)

    return checked


def _op_of(node: Value) -> Op:
    op = rule_of(node)
    if not isinstance(op, Op):
        raise TypeError(
            f"compile: node {node_name(node)} ({node._op!r}) has no row in the op table "
            f"({'a _backward closure' if op else 'no rule'}), so a replay cannot run it; "
            "give the op a row with engine.register_op (or scoped_op)"
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


def _instructions(nodes: list[Value], index: dict, n_behind: int) -> tuple[list, list]:
    """The forward and backward tapes: ``(kind, rule, out, a, b)`` per computed node.

    kind 1 or 2: one or two inputs, at positions a (and b); kind 0: many, a is their index
    array (and a getter of their values, in b for backward, in a for forward); kind 3: a
    dot, weights at a and inputs at b (rule: their getters).  The backward tape is the
    reverse of the nodes behind the root (the first ``n_behind`` of ``nodes``), with each
    op's derivatives as the rule.
    """
    rules: dict[Op, tuple[Callable, Callable]] = {}
    forward, backward = [], []
    for k, node in enumerate(nodes):
        inputs = node._prev
        if not inputs:
            continue
        op = _op_of(node)
        rule = rules.get(op)
        if rule is None:
            rule = rules[op] = (_forward_of(op), op.derivatives)
        out = index[node]
        if len(inputs) == 2:
            a, b = index[inputs[0]], index[inputs[1]]
            kind = 2
        elif len(inputs) == 1:
            a, b, kind = index[inputs[0]], None, 1
        else:
            a, b, kind = tuple([index[p] for p in inputs]), None, 0
            if op is BUILT_IN_ROWS.get("dot") and len(a) >= 4:  # fast path, see forward() and backward()
                kind, a, b = 3, a[: len(a) // 2], a[len(a) // 2 :]
        # Many inputs are read with one itemgetter call (a tuple of their values, built in C).
        getters = (_values_at(a), _values_at(b)) if kind == 3 else _values_at(a) if kind == 0 else None
        forward.append((kind, getters if kind == 3 else rule[0], out, getters if kind == 0 else a, b))
        if k < n_behind:
            backward.append((kind, getters, out, a, b) if kind == 3 and _pairs_in_order(a, b)
                            else (0, rule[1], out, a + b, _values_at(a + b)) if kind == 3
                            else (kind, rule[1], out, a, getters if kind == 0 else b))
    backward.reverse()
    return forward, backward


def _values_at(positions: tuple) -> Callable[[list], tuple]:
    """A function giving the values at ``positions`` of a list, as a tuple (itemgetter, or a 1-tuple)."""
    if len(positions) == 1:
        (p,) = positions
        return lambda V: (V[p],)
    return itemgetter(*positions)


def _pairs_in_order(ws: tuple, xs: tuple) -> bool:
    """True when adding dot's grads pair by pair (w_k, then x_k) adds into every position in backward()'s order.

    backward() adds all the weights' grads, then all the inputs'.  Taking them in pairs
    changes the order only for a position that occurs twice in other places than one pair.
    """
    seen: dict[int, int] = {}
    for k, (w, x) in enumerate(zip(ws, xs)):
        for p in (w, x) if w != x else (w,):
            if p in seen:
                return False
            seen[p] = k
    return True


class Tape:
    """The graph behind ``root`` (and behind ``others``: extras, nodes whose number was read).

    Positions: first the leaves a replay reads from their Values (those behind the root,
    which get grads, then the others), then the leaves in ``inputs`` (arguments, read from
    the call), then the computed nodes.  Attributes: ``nodes`` (every node, by position),
    ``index`` (node -> position), ``value_leaves``, ``n_grad_values``, ``input_leaves``
    (positions), ``grad_leaves`` (positions of all leaves behind the root), ``root``.
    """

    def __init__(self, root: Value, others: list[Value], extras: list[Value], inputs: dict | None = None):
        inputs = inputs or {}
        behind, order = _order(root, others)
        behind_leaves = [n for n in behind if not n._prev]
        grad_values = [n for n in behind_leaves if n not in inputs]
        in_grad = set(grad_values)
        other_values = [n for n in order if not n._prev and n not in in_grad and n not in inputs]
        input_leaves = [n for n in order if not n._prev and n in inputs]
        self.value_leaves = grad_values + other_values
        self.n_grad_values = len(grad_values)
        nodes = self.value_leaves + input_leaves + [n for n in order if n._prev]
        self.nodes = nodes
        self.size = len(nodes)
        self.index = index = {node: i for i, node in enumerate(nodes)}
        self.root = index[root]
        self.extras = [index[e] for e in extras]
        self.input_leaves = [index[n] for n in input_leaves]
        self.grad_leaves = [index[n] for n in behind_leaves]
        self._forward, self._backward = _instructions(order, index, len(behind))

    def new_lists(self) -> tuple[list[float], list[float]]:
        """Fresh ``V`` and ``G``: one slot per node, grads at 0.0 (interior grads start there)."""
        return [0.0] * self.size, [0.0] * self.size

    def forward(self, V: list[float]) -> None:
        """Every computed node's value from its inputs', in topological order (leaves already in V)."""
        for kind, f, o, a, b in self._forward:
            if kind == 2:
                V[o] = f(V[a], V[b])
            elif kind == 1:
                V[o] = f(V[a])
            elif kind == 3:  # dot (f: the weights' and inputs' getters): the row's own sum, without its arguments
                weights, inputs = f
                V[o] = sum(map(mul, weights(V), inputs(V)), 0.0)
            else:  # a: the inputs' getter
                V[o] = f(*a(V))

    def backward(self, V: list[float], G: list[float]) -> None:
        """The chain rule in backward()'s order: ``G[input] += local * G[node]``, the same float operations."""
        for kind, d, o, a, b in self._backward:
            g = G[o]
            if kind == 2:
                da, db = d(V[o], V[a], V[b])
                G[a] += da * g
                G[b] += db * g
            elif kind == 1:
                (da,) = d(V[o], V[a])
                G[a] += da * g
            elif kind == 3:  # dot: d/dw_k = x_k, d/dx_k = w_k, added pair by pair (see _pairs_in_order)
                weights, inputs = d
                for w, x, vw, vx in zip(a, b, weights(V), inputs(V)):
                    G[w] += vx * g
                    G[x] += vw * g
            else:
                local = d(V[o], *b(V))
                if len(local) != len(a):
                    raise ReplayRefused("derivatives")  # the eager run raises the engine's error
                for i, d_i in zip(a, local):
                    G[i] += d_i * g
