"""The bookkeeping of stepping one graph: its nodes in step order, the grads each step leaves, and the checks.

A ``Walk`` walks the graph once (O(nodes)); after that a step, an undo or a redo touches
only the stepping node and its inputs.  The lowest module of the stepper: it imports none
of the others (``words`` writes the texts, ``steps`` runs the backward pass one node at a time).
"""

from __future__ import annotations

import numbers

from ..backward import as_float
from ..text import node_names
from ..value import Value, rule_of, topological_order

__all__ = ["GraphChangedError", "Walk", "check_root", "check_gradient", "wrap"]


class GraphChangedError(RuntimeError):
    """The graph, a value in it or its grads changed after stepping began.

    The steps already taken used the old numbers, so going on would mix two graphs; make
    a new stepper (or call ``backward_steps`` again) after changing the graph.
    """


def same(a: float, b: float) -> bool:
    """Equal floats, counting NaN as equal to NaN (a NaN grad did not 'change')."""
    return a == b or (a != a and b != b)


def wrap(name: str) -> str:
    """A name ready for d<name> and <name>.grad: 'x1' stays, 'x1*w1' becomes '(x1*w1)'."""
    if name.isidentifier() or (name.startswith("(") and name.endswith(")")):
        return name
    return f"({name})"


def check_root(root: object, where: str) -> None:
    if not isinstance(root, Value):
        raise TypeError(
            f"{where}: expected a Value (the output you would call backward() on), got {type(root).__name__} {root!r}"
        )


def check_gradient(gradient: object, where: str) -> float:
    """The seed dL/dL as a float; TypeError for anything but a real number."""
    if isinstance(gradient, bool) or not isinstance(gradient, numbers.Real):
        raise TypeError(
            f"{where}: gradient must be a real number such as 1.0, got {type(gradient).__name__} {gradient!r}"
        )
    return as_float(gradient, f"{where}: gradient")  # a real number; an int too large for a float is a ValueError


class Walk:
    """What stepping one graph needs: its nodes in step order, and what they were at the start."""

    def __init__(self, root: Value, gradient: float, params: object = None):
        self.root = root
        self.gradient = gradient
        self.params = params  # passed on to draw_dot (parameter colours and boxes)
        self.order = topological_order(root)
        # Steps go from the root back to the inputs; a root that is a leaf has one step, its seed.
        self.nodes = [node for node in reversed(self.order) if node._prev] or [root]
        self._prevs = [node._prev for node in self.nodes]  # the tuples themselves, to compare by identity
        self._rules = [rule_of(node) for node in self.nodes]
        self._data = {node: node.data for node in self.order}
        self._index = {node: k for k, node in enumerate(self.nodes)}
        self._names: dict[Value, str] | None = None
        self._consumers: dict[Value, list[tuple[Value, int]]] | None = None
        self._grads: dict[Value, float] = {}  # the grad stepping left on each node it touched
        self._initial: dict[Value, float] | None = None  # every grad before the first step

    # --- names and places ----------------------------------------------------------------------

    def name(self, node: Value) -> str:
        """The node's name, as every view writes it (parameters by their names in ``params``)."""
        if self._names is None:
            self._names = node_names(self.order, params=self.params)
        return self._names[node]

    def index(self, node: Value, where: str) -> int | None:
        """The step number (0-based) of ``node``: None for a leaf; ValueError if not in the graph."""
        if not isinstance(node, Value):
            raise TypeError(f"{where}: expected a Value of the graph, got {type(node).__name__} {node!r}")
        if node not in self._data:
            raise ValueError(
                f"{where}: {node!r} is not part of the graph of {self.name(self.root)}; "
                f"pass one of the Values that {self.name(self.root)} was computed from"
            )
        return self._index.get(node)

    def consumers(self, node: Value) -> list[tuple[Value, int]]:
        """The (node, input position) pairs that use ``node`` as an input."""
        if self._consumers is None:
            self._consumers = {}
            for user in self.order:
                for i, child in enumerate(user._prev):
                    self._consumers.setdefault(child, []).append((user, i))
        return self._consumers.get(node, [])

    def last_use(self, node: Value, where: str) -> int:
        """The step after which ``node``'s grad is complete (its own step, or its last user's)."""
        k = self.index(node, where)
        if k is not None:
            return k
        return max(self._index[user] for user, _ in self.consumers(node))

    def touched(self, k: int) -> tuple:
        """The nodes whose grads step k changes: the node's inputs (the root itself for a seed)."""
        return self.nodes[k]._prev or (self.root,)

    # --- the record ------------------------------------------------------------------------------

    def start(self) -> None:
        """Remember every grad just before the first step (reset() puts them back)."""
        self._initial = {node: node.grad for node in self.order}
        self._grads = {node: node.grad for node in self.order if not node._prev}
        if self.root._prev:
            self._grads[self.root] = self.gradient  # backward_pass seeds the root, zeroes the rest

    @property
    def started(self) -> bool:
        return self._initial is not None

    def restore_initial(self) -> None:
        """Every grad as it was before the first step; the next step starts a new backward pass."""
        if self._initial is None:
            return
        for node, grad in self._initial.items():
            node.grad = grad
        self._initial = None
        self._grads = {}

    def recorded(self, node: Value) -> float:
        return self._grads.get(node, 0.0)

    def check(self, k: int, grads: bool = True) -> None:
        """Refuse to take step k if its node, its inputs or their grads changed since the start."""
        node = self.nodes[k]
        if node._prev is not self._prevs[k] or rule_of(node) is not self._rules[k]:
            raise GraphChangedError(
                f"step {k + 1}: node {self.name(node)} was changed after stepping began "
                f"(its inputs or its rule are not the ones it had); make a new stepper for the new graph"
            )
        for v in (node, *node._prev):
            if not same(v.data, self._data[v]):
                raise GraphChangedError(
                    f"step {k + 1}: the value of {self.name(v)} changed from {self._data[v]!r} to {v.data!r} "
                    f"after stepping began, so the local derivatives would not match the forward pass; "
                    f"recompute the forward pass and make a new stepper"
                )
        if grads:
            for v in (node, *self.touched(k)):
                self.check_grad(v, f"step {k + 1}", "a backward() or zero_grad() call?")

    def check_grad(self, v: Value, where: str, hint: str) -> None:
        if not same(v.grad, self.recorded(v)):
            raise GraphChangedError(
                f"{where}: {wrap(self.name(v))}.grad is {v.grad!r}, but stepping left it at {self.recorded(v)!r}: "
                f"something else changed the grads ({hint}); to start again, make a new stepper, or call a "
                f"Stepper's reset(): it puts every grad back as it was before stepping"
            )

    def before(self, k: int) -> tuple:
        """The grads step k will change, as they are just before it (what back() restores)."""
        # Read from the record rather than the nodes: at the first step backward_pass has
        # not zeroed the computed nodes' grads yet, the record already says 0.0.
        return tuple(self.recorded(v) for v in self.touched(k))

    def after(self, k: int) -> tuple:
        """Record the grads step k left (as the nodes hold them now) and return them."""
        for v in self.touched(k):
            self._grads[v] = v.grad
        return tuple(v.grad for v in self.touched(k))

    def put(self, k: int, grads: tuple, where: str) -> None:
        """Set the grads step k touches to ``grads`` (undo: its befores; redo: its afters)."""
        for v in self.touched(k):
            self.check_grad(v, where, "a backward() or zero_grad() call?")
        # In reverse, so that an input used twice (a * a) ends at the value before both additions.
        for v, grad in reversed(list(zip(self.touched(k), grads))):
            v.grad = grad
            self._grads[v] = grad
