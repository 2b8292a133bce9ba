"""Which module each node of a drawing belongs to: the ``group_by`` callable nn hands to ``draw_dot``.

The engine knows nothing of neurons or layers; nn does.  ``Module.graph_groups()`` returns a
``GraphGroups``: call it on a node to get the dotted name of the module the node belongs to
(``'layers.0.neurons.3'``), or None for a node of no module (inputs, constants, the loss).

- A parameter belongs to the module that holds it, by ``named_parameters()`` (a weight shared
  by two modules belongs to the first, as its name says).
- A computed node belongs to a module when it combines that module's parameters with
  something else (``w . x``, ``n + b``; not a penalty ``w * w`` on parameters alone), or when
  all its non-constant inputs are such nodes of one module (a chain of ``+`` adding the
  ``w*x`` terms).  One function of them (the activation: ``tanh(n)``, not ``n - 1``) joins
  too, and ends the group.
- Constants (unlabelled leaves) and inputs get None: a drawing puts a constant with its user.

``path(group)`` gives the modules around a group, outermost first, for nested boxes.

>>> from nn import MLP
>>> model = MLP(2, [2, 1])
>>> groups = model.graph_groups()
>>> out = model([1.0, 2.0])
>>> groups(out), groups.path(groups(out))
('layers.1.neurons.0', ['layers.1', 'layers.1.neurons.0'])
"""

from __future__ import annotations

from typing import Any

from engine import OPS, Value

__all__ = ["GraphGroups"]


class GraphGroups:
    """``group_by(node) -> str | None`` built from a module's names; see the module docstring.

    ``modules`` maps each group name (a module's dotted path) to the module itself.
    """

    def __init__(self, module: Any):
        self.modules: dict[str, Any] = {name: m for name, m in module.named_modules() if name}
        self._groups: dict[int, tuple[Value, str | None]] = {}  # id -> (node kept alive, its group)
        self._core: set[int] = set()  # nodes of a group before its activation: later nodes may join
        self._params: set[int] = set()
        for prefix, _, member in module._walk_tree():
            if isinstance(member, Value) and id(member) not in self._params:
                self._params.add(id(member))
                self._groups[id(member)] = (member, "".join(prefix)[:-1] or None)

    def __call__(self, node: Value) -> str | None:
        if not isinstance(node, Value):
            raise TypeError(f"group_by: expected a Value (a node of the graph), got {type(node).__name__}")
        known = self._groups.get(id(node))
        if known is not None and known[0] is node:
            return known[1]
        # Children first, with an explicit stack: a chain of a million nodes is fine.
        stack = [(node, False)]
        while stack:
            n, ready = stack.pop()
            if self._known(n):
                continue
            if ready or not n._prev:
                self._groups[id(n)] = (n, self._group_of(n))
                continue
            stack.append((n, True))
            stack.extend((c, False) for c in n._prev if not self._known(c))
        return self._groups[id(node)][1]

    def path(self, group: str | None) -> list[str]:
        """The groups around ``group`` and itself, outermost first: 'layers.0.neurons.1' -> ['layers.0', ...]."""
        if group is None:
            return []
        parts = group.split(".")
        return [p for p in (".".join(parts[:i]) for i in range(1, len(parts) + 1)) if p in self.modules]

    def _known(self, n: Value) -> bool:
        entry = self._groups.get(id(n))
        return entry is not None and entry[0] is n

    def _group_of(self, node: Value) -> str | None:
        """The rule of the module docstring, for a node whose inputs all have their groups."""
        if not node._prev:
            return None
        inputs = node._prev
        params = [c for c in inputs if id(c) in self._params]
        if params:
            owners = {self._groups[id(c)][1] for c in params}
            mixed = len(params) < len(inputs)  # parameters and something else: w . x, n + b; not w * w
            if len(owners) == 1 and None not in owners and mixed and node._op != "pow":
                self._core.add(id(node))
                return owners.pop()
            return None
        others = [c for c in inputs if c._prev or c.label]  # constants left out
        if not others or not all(id(c) in self._core for c in others):
            return None
        groups = {self._groups[id(c)][1] for c in others}
        if len(groups) != 1:
            return None
        if len(others) >= 2:
            self._core.add(id(node))
            return groups.pop()
        op = OPS.get(node._op)
        symbol = op.symbol if op is not None else node._op
        return groups.pop() if symbol.isidentifier() else None  # tanh(n) ends the neuron; n - 1 does not
