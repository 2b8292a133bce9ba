"""What the stepper needs from the core and the text module, in one place (interim, until they land)."""

from __future__ import annotations

from ..ops import OPS, Op
from ..text import format_number, node_names, op_call
from ..value import Value, backward_pass, topological_order

__all__ = ["Op", "Value", "backward_pass", "topological_order", "format_number", "op_call", "rule_of",
           "local_derivatives", "node_names"]  # fmt: skip


def rule_of(node: Value):
    return OPS[node._op] if node._prev else None


def local_derivatives(node: Value) -> tuple | None:
    if not node._prev:
        return None
    return tuple(OPS[node._op].derivatives(node.data, *[child.data for child in node._prev]))
