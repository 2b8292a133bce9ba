"""The graph views under their old address: ``engine.graph`` re-exports ``format_graph``, ``draw_dot``,
``render``, ``GraphvizNotFoundError`` and ``node_names``.

The text graph lives in ``engine.graph_text``, the drawing in ``engine.draw`` (with its
builders, boxes, labels and style in ``engine.draw_*``), names and numbers in ``engine.text``.
"""

from __future__ import annotations

from .draw import GraphvizNotFoundError, draw_dot, render
from .graph_text import format_graph
from .text import expression, format_number, node_names, op_row

__all__ = ["format_graph", "draw_dot", "render", "node_names", "GraphvizNotFoundError"]


# The stepper's old imports, until it uses engine.text itself.
def _num(x: float, digits: int) -> str:
    return format_number(x, digits)


def _expression(node, names, full: bool) -> str:
    """As before engine.text, negative numbers bare ('2.0 * -3.0'; op_call writes '2.0 * (-3.0)')."""
    row = op_row(node)
    args = [names[child] for child in node._prev]
    if row is not None and row.is_infix:
        return f"{args[0]} {row.symbol} {args[1]}"
    return expression(node, names, full=full)
