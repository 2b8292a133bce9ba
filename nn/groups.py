"""Which modules hold each parameter: the ``group_by`` callable nn hands to ``draw_dot``.

The engine knows nothing of neurons or layers; nn does.  ``Module.graph_groups()`` returns a
``GraphGroups``, a function of a leaf of the graph giving the boxes a drawing puts around
it: the dotted names of the modules that hold it, outermost first
(``('layers.0', 'layers.0.neurons.3')``), or None for a leaf of no module (an input, a
parameter of the model itself).  The names are those of ``named_parameters()``, so a
weight shared by two modules is boxed with the first, as its name says.  The drawing then
lets computed nodes join a box by what they read (``w . x``, ``+ b``, the activation).

>>> from nn import MLP
>>> model = MLP(2, [2, 1])
>>> group_by = model.graph_groups()     # draw_dot(loss, params=model, group_by=group_by)
>>> group_by(model.layers[1].neurons[0].b)
('layers.1', 'layers.1.neurons.0')
"""

from __future__ import annotations

from typing import Any

from engine import Value

__all__ = ["GraphGroups"]


class GraphGroups:
    """``group_by(leaf) -> tuple of module names, outermost first, or None``; see the module docstring.

    ``modules`` maps each box name (a module's dotted path) to the module itself, for titles.
    """

    def __init__(self, module: Any):
        self.modules: dict[str, Any] = {name: m for name, m in module.named_modules() if name}
        self._boxes: dict[int, tuple[Value, tuple[str, ...]]] = {}  # id -> (parameter kept alive, boxes)
        for prefix, _, member in module._walk_tree():
            if isinstance(member, Value) and id(member) not in self._boxes:
                # prefix holds the names of the modules walked into: 'layers.0.', 'neurons.3.'
                boxes, path = [], ""
                for part in prefix:
                    path += part
                    boxes.append(path[:-1])
                self._boxes[id(member)] = (member, tuple(boxes))

    def __call__(self, leaf: Value) -> tuple[str, ...] | None:
        if not isinstance(leaf, Value):
            raise TypeError(f"group_by: expected a Value (a leaf of the graph), got {type(leaf).__name__}")
        found = self._boxes.get(id(leaf))
        if found is None or found[0] is not leaf or not found[1]:
            return None
        return found[1]

    def __repr__(self) -> str:
        return f"GraphGroups({len(self._boxes)} parameters in {len(self.modules)} modules)"
