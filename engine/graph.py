"""The graph views under their old address: ``engine.graph`` re-exports ``format_graph``, ``draw_dot``,
``render``, ``GraphvizNotFoundError`` and ``node_names``.

The text graph lives in ``engine.graph_text``, the drawing in ``engine.draw`` (with its
builders, boxes, labels and style in ``engine.draw_*``), names and numbers in ``engine.text``.
"""

from __future__ import annotations

from .draw import GraphvizNotFoundError, draw_dot, render
from .graph_text import format_graph
from .text import node_names

__all__ = ["format_graph", "draw_dot", "render", "node_names", "GraphvizNotFoundError"]

