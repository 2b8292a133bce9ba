"""What the stepper needs from the core and the text module, in one place (interim, until they land)."""

from __future__ import annotations

from ..graph import _expression, _num, node_names
from ..ops import OPS, Op
from ..value import Value, backward_pass, topological_order

__all__ = ["Op", "Value", "backward_pass", "topological_order", "format_number", "op_call", "rule_of",
           "local_derivatives", "namer"]  # fmt: skip


def format_number(x: float, sig: int = 6) -> str:
    return _num(x, sig)


def rule_of(node: Value):
    return OPS[node._op] if node._prev else None


def local_derivatives(node: Value) -> tuple | None:
    if not node._prev:
        return None
    return tuple(OPS[node._op].derivatives(node.data, *[child.data for child in node._prev]))


def namer(root: Value, order: list):
    names = node_names(root)
    return lambda node: names.get(node) or node.label or f"<unlabelled {node.data!r}>"


def op_call(node: Value, arg_names: list[str]) -> str:
    return _expression(node, dict(zip(node._prev, arg_names)), False)
