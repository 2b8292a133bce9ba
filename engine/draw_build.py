"""The builders behind ``draw_dot``: one statement per node, per operation and per edge, then the boxes.

``Picture`` holds what the builders share (the order, kinds, names, boxes, options and
style); each builder is a small function of it and one node, so the DOT source is made
the same way on every run.  Nothing here imports graphviz: ``emit`` is handed the
digraph to fill.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from itertools import count

from .draw_groups import relative
from .draw_labels import constant_text, op_text, plain, record_label
from .draw_style import Style
from .graph_kinds import CONSTANT
from .text import format_number, op_row, op_symbol
from .value import Value, local_derivatives

__all__ = ["Picture", "statements", "emit"]

_TOOLTIP = 200  # longest tooltip, in characters


@dataclass
class Picture:
    """Everything the builders need to know about one drawing."""

    order: list[Value]
    kinds: dict[Value, str]
    names: dict[Value, str]
    style: Style
    digits: int
    across: bool  # record fields run across the rank direction (rankdir LR or RL)
    show_grad: bool = True
    color_by_grad: bool = False
    collapse: bool = False
    groups: dict = field(default_factory=dict)  # node -> its boxes, outermost first
    rep: dict = field(default_factory=dict)  # with collapse: node -> the output of its box's use
    hidden: set = field(default_factory=set)  # nodes inside a collapsed box, not drawn
    folded: set = field(default_factory=set)  # constants written into their op's label
    highlight: set = field(default_factory=set)
    done: set = field(default_factory=set)
    flows: dict = field(default_factory=dict)
    largest: float = 1.0

    def __post_init__(self) -> None:
        self.index = {node: i for i, node in enumerate(self.order)}

    def id(self, node: Value) -> str:
        """Node ids come from topological position, never id(): the same source on every run."""
        return f"n{self.index[node]}"

    def scale(self, g: float) -> float:
        return abs(g) / self.largest if math.isfinite(g) else 1.0

    def measure_flows(self) -> None:
        """For color_by_grad: the gradient each edge carries (local derivative * grad) and the largest."""
        for node in self.order:
            if node._prev:
                self.flows[node] = _edge_flows(node)
        magnitudes = [abs(n.grad) for n in self.order] + [abs(f) for fs in self.flows.values() for f in fs]
        self.largest = max((m for m in magnitudes if math.isfinite(m)), default=0.0) or 1.0


def _edge_flows(node: Value) -> tuple:
    """The gradient each input of ``node`` receives through this edge; NaN where no rule tells."""
    try:
        local = local_derivatives(node)
    except (ArithmeticError, ValueError):
        local = None
    if local is None:
        return (math.nan,) * len(node._prev)
    return tuple(d * node.grad for d in local)


# --- one node ---------------------------------------------------------------------------------


def _name_cell(pic: Picture, node: Value) -> str:
    if pic.rep.get(node) is node:  # a use of a box, named by its place: 'neurons.3 (tanh)'
        path = pic.groups[node]
        act = op_symbol(node)
        return f"{relative(path[-1], path[-2] if len(path) > 1 else '')} ({act if act.isidentifier() else 'linear'})"
    if pic.kinds[node] == CONSTANT:
        return ""
    path = pic.groups.get(node)
    return relative(pic.names[node], path[-1]) if path and not pic.collapse else pic.names[node]


def _title(pic: Picture, node: Value) -> str:
    if pic.rep.get(node) is node:
        return f"box {pic.groups[node][-1]}, output {pic.names[node]}"
    kind = pic.kinds[node]
    return kind if kind == CONSTANT else f"{kind} {pic.names[node]}"


def _border(pic: Picture, node: Value) -> dict:
    if node in pic.highlight:
        return {"color": pic.style.highlight, "penwidth": "3"}
    if node in pic.done:
        return {"color": pic.style.done, "penwidth": "2"}
    if pic.color_by_grad:
        s = pic.scale(node.grad)
        return {"color": pic.style.grad_colour(s), "penwidth": f"{1 + 2 * s:.2f}"}
    return {}


def _node_statement(pic: Picture, node: Value) -> dict:
    fields = [_name_cell(pic, node), f"data {format_number(node.data, pic.digits)}"]
    if pic.show_grad:
        fields.append(f"grad {format_number(node.grad, pic.digits)}")
    return {
        "name": pic.id(node),
        "label": record_label(fields, pic.style.max_label, pic.across),
        "shape": "Mrecord" if pic.rep.get(node) is node else "record",
        "style": "filled",
        "fillcolor": pic.style.fill[pic.kinds[node]],
        "tooltip": plain(_title(pic, node), _TOOLTIP),
        **_border(pic, node),
    }


def _op_statement(pic: Picture, node: Value) -> dict:
    row = op_row(node)
    constants = [constant_text(c, pic.digits) if c in pic.folded else None for c in node._prev]
    label = op_text(row if row is not None else (node._op or "?"), constants)
    title = row.name if row is not None else f"{node._op or 'custom'}: a rule written in Python"
    attrs = {"name": f"{pic.id(node)}_op", "label": plain(label, pic.style.max_label), **pic.style.op}
    attrs["tooltip"] = plain(title, _TOOLTIP)
    if node in pic.highlight or node in pic.done:
        attrs.update(_border(pic, node))
    return attrs


# --- edges ---------------------------------------------------------------------------------------


def _edge_attrs(pic: Picture, node: Value, j: int, child: Value) -> dict:
    if node in pic.highlight:
        return {"color": pic.style.highlight, "penwidth": "2"}
    if not pic.color_by_grad:
        return {}
    flow = pic.flows[node][j]
    if math.isnan(flow) and op_row(node) is None:  # a closure: its local derivatives are not known
        text = f"{pic.names[child]} gets what {pic.names[node]}'s rule written in Python gives"
        return {"style": "dashed", "tooltip": plain(text, _TOOLTIP)}
    s = pic.scale(flow)
    text = f"{pic.names[child]} gets {format_number(flow)} from {pic.names[node]}"
    return {"color": pic.style.grad_colour(s), "penwidth": f"{1 + 3 * s:.2f}", "tooltip": plain(text, _TOOLTIP)}


def _input_edges(pic: Picture, node: Value, target: str, seen: set) -> list:
    """The edges from node's inputs into ``target`` (its op, or its collapsed box), once each."""
    edges = []
    for j, child in enumerate(node._prev):
        source = pic.rep.get(child, child)
        if child in pic.folded or (child in pic.hidden and source is child) or source is pic.rep.get(node):
            continue  # a constant in the op's label, a leaf inside a collapsed box, or a step inside one
        edge = (pic.id(source), target)
        if edge not in seen:
            seen.add(edge)
            edges.append((*edge, _edge_attrs(pic, node, j, child)))
    return edges


def _output_edge(pic: Picture, node: Value) -> tuple:
    attrs = {}
    if pic.color_by_grad:
        s = pic.scale(node.grad)
        attrs = {"color": pic.style.grad_colour(s), "penwidth": f"{1 + 3 * s:.2f}"}
    return (f"{pic.id(node)}_op", pic.id(node), attrs)


# --- the whole picture -------------------------------------------------------------------------


def _place(tree: dict, path: tuple) -> list:
    """The statement list of the box at ``path`` (outermost first), made on first use."""
    branch = tree
    for group in path:
        branch = branch["children"].setdefault(group, {"nodes": [], "children": {}})
    return branch["nodes"]


def statements(pic: Picture) -> tuple[dict, list]:
    """(a tree of boxes holding node statements, the edges), in topological order."""
    tree: dict = {"nodes": [], "children": {}}
    edges: list = []
    seen: set = set()
    for node in pic.order:
        if node in pic.hidden:
            if node._prev:  # a step inside a collapsed box: its inputs from outside go into the box
                edges += _input_edges(pic, node, pic.id(pic.rep[node]), seen)
            continue
        if node in pic.folded:
            continue
        path = pic.groups.get(node, ())
        here = _place(tree, path[:-1] if pic.collapse else path)
        here.append(_node_statement(pic, node))
        if pic.rep.get(node) is node:
            edges += _input_edges(pic, node, pic.id(node), seen)
        elif node._prev:
            here.append(_op_statement(pic, node))
            edges.append(_output_edge(pic, node))
            edges += _input_edges(pic, node, f"{pic.id(node)}_op", seen)
    return tree, edges


def emit(graph: object, tree: dict, pic: Picture, nohtml: object) -> None:
    """Write the tree of boxes into ``graph`` (a graphviz.Digraph): nodes, then nested clusters."""
    numbers = count()

    def fill(target: object, branch: dict, parent: str) -> None:
        for statement in branch["nodes"]:
            target.node(**_no_html(statement, nohtml))
        for group, sub in branch["children"].items():
            with target.subgraph(name=f"cluster_{next(numbers)}") as box:
                look = pic.style.frame if sub["children"] or pic.collapse else pic.style.unit
                box.attr(label=nohtml(plain(relative(group, parent), pic.style.max_label)), **look)
                fill(box, sub, group)

    fill(graph, tree, "")


def _no_html(attrs: dict, nohtml: object) -> dict:
    """Labels and tooltips are text, never Graphviz's HTML-like labels (a symbol may be '<x>')."""
    return {k: nohtml(v) if k in ("label", "tooltip") else v for k, v in attrs.items()}
