"""Showing a computation graph: as text in any REPL, or drawn with Graphviz.

Two views of the same graph, both in topological order (inputs before the nodes made
from them) and both identical on every run:

>>> from engine import Value
>>> a = Value(2.0, label='a'); b = Value(-3.0, label='b')
>>> c = a * b; c.label = 'c'
>>> c.backward()
>>> print(format_graph(c))
a = 2.0            grad -3.0
b = -3.0           grad  2.0
c = a * b  = -6.0  grad  1.0
>>> draw_dot(c).source.count('shape=record')
3
"""

from __future__ import annotations

import contextlib
import math
import os
from collections.abc import Iterable, Iterator
from pathlib import Path

import graphviz

from .ops import OPS
from .value import Value, topological_order

__all__ = ["format_graph", "draw_dot", "render", "node_names", "GraphvizNotFoundError"]

# What each node is, for names and colours.  A constant is an unlabelled leaf that feeds
# exactly one operation: what Python makes of the 2 in `x * 2`.
ROOT, PARAM, INPUT, CONSTANT, COMPUTED = "root", "parameter", "input", "constant", "computed"

# Fill colours by kind (the legend in draw_dot's docstring), and the stepper's borders.
_FILL = {
    ROOT: "#fde9a9",  # gold: the output you called backward() on
    PARAM: "#d5ecd4",  # green: parameters, the leaves training changes
    INPUT: "#dbe9f6",  # blue: other leaves (inputs, labelled values)
    CONSTANT: "#eeeeee",  # grey: plain numbers
    COMPUTED: "#ffffff",  # white: made by an operation
}
_HIGHLIGHT = "#d62728"  # red border: the step being taken now
_DONE = "#2ca02c"  # green border: steps already taken
_GRAD_LOW, _GRAD_HIGH = (0xB0, 0xB0, 0xB0), (0xD6, 0x27, 0x28)  # grey -> red, by |gradient|


# --- what the nodes are and what they are called -----------------------------------------


def _order(root: object, where: str) -> list[Value]:
    if not isinstance(root, Value):
        raise TypeError(
            f"{where}: expected a Value (the output of a computation), got {type(root).__name__} {root!r}"
        )
    return topological_order(root)


def _param_names(params: object, where: str) -> dict[Value, str]:
    """``params`` as {Value: name}: a Module, a dict of name -> Value, or (name, Value) pairs.

    A plain list of Values is accepted too; they are named by their labels.
    """
    if params is None:
        return {}
    if hasattr(params, "named_parameters"):
        pairs = params.named_parameters()
    elif isinstance(params, dict):
        pairs = params.items()
    else:
        pairs = params
    names: dict[Value, str] = {}
    try:
        items = list(pairs)
    except TypeError:
        raise TypeError(
            f"{where}: params must be a Module, a dict of name -> Value or (name, Value) pairs, "
            f"got {type(params).__name__} {params!r}"
        ) from None
    for i, item in enumerate(items):
        if isinstance(item, Value):
            name, value = item.label or f"param{i}", item
        elif isinstance(item, tuple) and len(item) == 2 and isinstance(item[1], Value):
            name, value = item
        else:
            raise TypeError(
                f"{where}: params must give (name, Value) pairs, got {type(item).__name__} {item!r} "
                f"at position {i}"
            )
        names[value] = str(name)
    return names


def _kinds(order: list[Value], param_names: dict[Value, str]) -> dict[Value, str]:
    """Each node's kind: root, parameter, input, constant or computed."""
    uses: dict[Value, int] = {}
    for node in order:
        for child in node._prev:
            uses[child] = uses.get(child, 0) + 1
    kinds = {}
    for node in order:
        if node._prev:
            kinds[node] = COMPUTED
        elif node in param_names:
            kinds[node] = PARAM
        elif not node.label and uses.get(node) == 1:
            kinds[node] = CONSTANT
        else:
            kinds[node] = INPUT
    kinds[order[-1]] = ROOT
    return kinds


def _num(x: float, digits: int) -> str:
    """A short float: 6 significant digits by default, always recognisably a float."""
    text = f"{x:.{digits}g}"
    if text.lstrip("-").isdigit():
        text += ".0"
    return text


def _signed(text: str) -> str:
    """A space where the minus sign would be, so that columns of numbers line up."""
    return text if text.startswith("-") else " " + text


def _names(order: list[Value], kinds: dict[Value, str], param_names: dict[Value, str], digits: int) -> dict:
    """Every node's name: its parameter name, its label, or t1, t2, ... in topological order.

    A constant is named by its value; a second node labelled 'a' is called 'a#2'.
    """
    taken = {param_names.get(node) or node.label for node in order}
    names: dict[Value, str] = {}
    used: set[str] = set()
    counter = 0
    for node in order:
        if kinds[node] == CONSTANT:
            text = _num(node.data, digits)
            names[node] = f"({text})" if text.startswith("-") else text
            continue
        name = param_names.get(node) or node.label
        if name:
            if not name.isprintable():
                name = repr(name)
            base, k = name, 1
            while name in used:
                k += 1
                name = f"{base}#{k}"
        else:
            while not name or name in used or name in taken:
                counter += 1
                name = f"t{counter}"
        used.add(name)
        names[node] = name
    return names


def node_names(root: Value, *, params: object = None, digits: int = 6) -> dict[Value, str]:
    """The names ``format_graph`` uses: {node: name}, the same on every run.

    A node is called by its parameter name (with ``params=``), else its label, else
    ``t1``, ``t2``, ... in topological order; a constant by its value.

    >>> from engine import Value
    >>> x = Value(3.0, label='x')
    >>> y = (x * 2).tanh()
    >>> list(node_names(y).values())
    ['x', '2.0', 't1', 't2']
    """
    order = _order(root, "node_names")
    param_names = _param_names(params, "node_names")
    return _names(order, _kinds(order, param_names), param_names, digits)


# --- text ------------------------------------------------------------------------------------


def _join(args: list[str], full: bool) -> str:
    """Comma-separated arguments; long lists shortened to the first few and the last one."""
    if full or len(args) <= 6:
        return ", ".join(args)
    return ", ".join(args[:4] + [f"... {len(args) - 5} more", args[-1]])


def _expression(node: Value, names: dict[Value, str], full: bool) -> str:
    """How the node was computed, written with its inputs' names: 'a * b', 'tanh(n)'."""
    op = OPS[node._op]
    args = [names[child] for child in node._prev]
    if op.is_infix:
        return f"{args[0]} {op.symbol} {args[1]}"
    if op.name == "dot":
        n = len(args) // 2
        return f"dot([{_join(args[:n], full)}], [{_join(args[n:], full)}])"
    if len(args) == 1 and not op.symbol.isidentifier():
        return f"{op.symbol}{args[0]}"  # -a
    return f"{op.symbol}({_join(args, full)})"


def _program_order(order: list[Value]) -> list[Value]:
    """The topological order with each leaf moved down to just before its first use,
    as a program declares its variables (a model's last weights are not listed first)."""
    listed: set[Value] = set()
    result = []
    for node in order:
        for child in node._prev:
            if not child._prev and child not in listed:
                listed.add(child)
                result.append(child)
        if node._prev or node is order[-1]:
            listed.add(node)
            result.append(node)
    return result


def format_graph(
    root: Value,
    *,
    full: bool = False,
    max_lines: int = 40,
    show_grad: bool = True,
    params: object = None,
    digits: int = 6,
) -> str:
    """The graph that computed ``root`` as a small program: one node a line, inputs first.

    Each line is ``name = expression = value`` and the node's ``grad``.  A node is called
    by its label (or its name in ``params``, a Module or (name, Value) pairs), else
    ``t1``, ``t2``, ...; plain numbers (unlabelled leaves used once) are written inline.
    Above ``max_lines`` lines the middle is left out, unless ``full=True``.

    >>> from engine import Value
    >>> x = Value(2.0, label='x'); w = Value(0.5, label='w')
    >>> y = (w * x + 1).tanh(); y.label = 'y'
    >>> y.backward()
    >>> print(format_graph(y))
    w = 0.5                     grad  0.141302
    x = 2.0                     grad  0.0353254
    t1 = w * x     =  1.0       grad  0.0706508
    t2 = t1 + 1.0  =  2.0       grad  0.0706508
    y = tanh(t2)   =  0.964028  grad  1.0
    """
    order = _order(root, "format_graph")
    if isinstance(max_lines, bool) or not isinstance(max_lines, int) or max_lines < 3:
        raise ValueError(f"format_graph: max_lines must be an int >= 3, got {max_lines!r}")
    param_names = _param_names(params, "format_graph")
    kinds = _kinds(order, param_names)
    names = _names(order, kinds, param_names, digits)
    rows = []
    for node in _program_order(order):
        if kinds[node] == CONSTANT:
            continue
        value = _num(node.data, digits)
        if node._prev:
            row = [f"{names[node]} = {_expression(node, names, full)}", f"= {_signed(value)}"]
        else:
            row = [f"{names[node]} = {value}", ""]
        row.append(f"grad {_signed(_num(node.grad, digits))}" if show_grad else "")
        rows.append(row)
    hidden = 0
    if not full and len(rows) > max_lines:
        head = (max_lines - 1) // 2
        tail = max_lines - 1 - head
        hidden = len(rows) - head - tail
        rows = rows[:head] + [None] + rows[-tail:]
    shown = [row for row in rows if row is not None]
    # Columns line up, but one very long expression does not push every line right.
    width0 = min(max(len(row[0]) for row in shown), 48) + 2
    width1 = max(len(row[1]) for row in shown) + 2
    lines = []
    for row in rows:
        if row is None:
            lines.append(f"... {hidden} lines not shown: format_graph(root, full=True) shows them all ...")
        else:
            left = row[0].ljust(width0) if len(row[0]) < width0 else row[0] + "  "
            lines.append(f"{left}{row[1]:<{width1}}{row[2]}".rstrip())
    return "\n".join(lines)


# --- Graphviz --------------------------------------------------------------------------------


class GraphvizNotFoundError(graphviz.ExecutableNotFound):
    """Graphviz's ``dot`` program is not installed (or not on PATH).

    A ``RuntimeError``, and a ``graphviz.ExecutableNotFound``, so code that catches
    either still works.  ``draw_dot(...).source`` needs no ``dot``.
    """

    def __init__(self, detail: str = "") -> None:
        RuntimeError.__init__(
            self,
            "Graphviz's dot program was not found; install it: apt-get install graphviz "
            "(Debian/Ubuntu) / brew install graphviz (macOS) / https://graphviz.org/download/ "
            "(Windows, then put it on PATH). draw_dot(...).source works without it"
            + (f" [{detail}]" if detail else ""),
        )


@contextlib.contextmanager
def _dot_needed() -> Iterator[None]:
    try:
        yield
    except graphviz.ExecutableNotFound as err:
        if isinstance(err, GraphvizNotFoundError):
            raise
        raise GraphvizNotFoundError(f"PATH={os.environ.get('PATH', '')!r}") from err


class _Digraph(graphviz.Digraph):
    """A ``graphviz.Digraph`` whose ``pipe``, ``render`` (and so Jupyter's display) say how
    to install Graphviz when ``dot`` is missing."""

    def pipe(self, *args, **kwargs):
        with _dot_needed():
            return super().pipe(*args, **kwargs)

    def render(self, *args, **kwargs):
        with _dot_needed():
            return super().render(*args, **kwargs)


_RECORD_SPECIAL = str.maketrans({c: "\\" + c for c in '\\{}|<>"'})


def _field(text: str) -> str:
    """Text for one field of a record label: Graphviz's special characters escaped."""
    return text.translate(_RECORD_SPECIAL).replace("\n", "\\n").replace("\r", "")


def _plain(text: str) -> str:
    """Text for a plain (non-record) label: quotes and backslashes escaped, never HTML."""
    return graphviz.nohtml(text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n"))


def _as_set(nodes: object, what: str) -> set[Value]:
    if nodes is None:
        return set()
    if isinstance(nodes, Value):
        return {nodes}
    try:
        found = set(nodes)
    except TypeError:
        raise TypeError(
            f"draw_dot: {what} must be Values (a list or set), got {type(nodes).__name__} {nodes!r}"
        ) from None
    for node in found:
        if not isinstance(node, Value):
            raise TypeError(f"draw_dot: {what} must hold Values, got {type(node).__name__} {node!r}")
    return found


def _grad_colour(fraction: float) -> str:
    """Grey for no gradient through to red for the largest in the graph."""
    t = min(max(fraction, 0.0), 1.0)
    return "#" + "".join(f"{round(lo + (hi - lo) * t):02x}" for lo, hi in zip(_GRAD_LOW, _GRAD_HIGH))


def _edge_flows(node: Value) -> tuple:
    """The gradient each input of ``node`` receives through this edge: local derivative * grad."""
    try:
        local = OPS[node._op].derivatives(node.data, *[child.data for child in node._prev])
    except (ArithmeticError, ValueError):
        return (math.nan,) * len(node._prev)
    return tuple(d * node.grad for d in local)


def _owner(name: str) -> str:
    """The module a dotted name belongs to: 'layers.0.neurons.3.w.1' -> 'layers.0.neurons.3'."""
    parts = name.split(".")
    while parts and parts[-1].isdigit():
        parts.pop()
    return ".".join(parts[:-1])


def _clusters(order: list[Value], kinds: dict, param_names: dict[Value, str]) -> dict[Value, str]:
    """Which neuron each node belongs to, by the dotted names of the parameters it uses.

    A neuron is dot(w, x) + b, then maybe an activation.  A node is the neuron's when it
    takes the neuron's parameters and something else (w . x, n + b; not a penalty p * p),
    or when all its non-constant inputs are such nodes (a chain of + adding the w*x terms);
    one function of them alone (the activation: tanh(n), not n - 1) joins too.  Constants
    go with the node that uses them.
    """
    owner: dict[Value, str] = {}
    core: set[Value] = set()  # the neuron's nodes before its activation
    for node in order:
        if kinds[node] == PARAM:
            if _owner(param_names[node]):
                owner[node] = _owner(param_names[node])
            continue
        if not node._prev:
            continue
        params = [c for c in node._prev if kinds[c] == PARAM]
        used = {owner.get(c, "") for c in params}
        others = [c for c in node._prev if kinds[c] not in (PARAM, CONSTANT)]
        if used:
            # A weight penalty (p * p, p ** 2, abs(p)) uses parameters but is no part of a neuron.
            if len(used) == 1 and "" not in used and len(params) < len(node._prev) and node._op != "pow":
                owner[node] = used.pop()
                core.add(node)
        elif others and all(c in core for c in others) and len({owner[c] for c in others}) == 1:
            if len(others) >= 2:
                owner[node] = owner[others[0]]
                core.add(node)
            elif OPS[node._op].symbol.isidentifier():  # tanh(n), leaky_relu(n, 0.01), not n - 1
                owner[node] = owner[others[0]]  # the activation, which ends the neuron
        if node in owner:
            for child in node._prev:
                if kinds[child] == CONSTANT:
                    owner[child] = owner[node]
    return owner


def _collapse(order: list[Value], kinds: dict, owner: dict[Value, str]) -> tuple[dict, set]:
    """For collapse=True: each use of a neuron as one node.

    Returns ({node: the output node of its neuron's use}, {nodes not drawn}).  A use is the
    neuron's nodes joined through their inputs (one per example in a batch); its output is
    the last of them.  The neuron's parameters are not drawn unless a node outside a
    neuron uses them (a weight penalty, say).
    """
    parent: dict[Value, Value] = {}

    def find(node: Value) -> Value:
        while parent[node] is not node:
            parent[node] = parent[parent[node]]
            node = parent[node]
        return node

    consumer: dict[Value, Value] = {}
    for node in order:
        if not node._prev or node not in owner:
            continue
        parent[node] = node
        for child in node._prev:
            if child in parent and owner[child] == owner[node]:
                parent[find(child)] = node  # the later node becomes the use's output
            elif kinds[child] == CONSTANT:
                consumer[child] = node
    rep = {node: find(node) for node in parent}
    rep.update({c: rep[node] for c, node in consumer.items()})
    used_outside = {c for node in order if node not in rep for c in node._prev}
    hidden = {node for node, r in rep.items() if r is not node}
    hidden |= {n for n in owner if kinds[n] == PARAM and n not in used_outside}
    return rep, hidden


def _cluster_path(group: str) -> list[str]:
    """'layers.0.neurons.3' -> ['layers.0', 'layers.0.neurons.3']: the clusters around a node."""
    path = []
    while group:
        path.append(group)
        group = _owner(group)
    return path[::-1]


def draw_dot(
    root: Value,
    format: str = "svg",  # noqa: A002 - micrograd's argument name
    rankdir: str = "LR",
    *,
    show_grad: bool = True,
    highlight: Iterable[Value] | Value | None = None,
    done: Iterable[Value] | Value | None = None,
    color_by_grad: bool = False,
    params: object = None,
    cluster: bool = False,
    collapse: bool = False,
    max_nodes: int = 2000,
    digits: int = 4,
) -> graphviz.Digraph:
    """Draw the graph that computed ``root``: a ``graphviz.Digraph``, as micrograd's draw_dot.

    Each Value is a box ``name | data 2.0000 | grad 1.0000``; each operation is a small
    oval between its inputs and its result.  Show it in Jupyter by leaving it as a cell's
    last expression, save it with ``engine.render`` or ``.render()``, or read ``.source``
    (the DOT text, which needs no Graphviz installed).  Node ids are ``n0``, ``n1``, ...
    in topological order, so the source is the same on every run.

    Legend (fill colours):
      gold   the root, the Value you drew (and called backward() on)
      green  parameters: the leaves named in ``params=`` (a Module, a dict or (name, Value) pairs)
      blue   other leaves: inputs and labelled Values
      grey   constants: plain numbers, such as the 2 in ``x * 2``
      white  Values computed by an operation
    Borders: red and thick for ``highlight`` (the stepper's current node, with its op
    and input edges), green for ``done`` (nodes already stepped through).

    Options:
      show_grad=False     leave the grad field out (a forward-only picture)
      color_by_grad=True  colour edges and borders grey -> red by the size of the gradient
                          they carry, relative to the largest in the graph; the edge into
                          an op carries local derivative * grad (its hover text says which)
      params=model        name parameters by ``model.named_parameters()``
      cluster=True        with params, draw a box around each neuron and each layer,
                          by the dotted names ('layers.0.neurons.3.w.1')
      collapse=True       with params, draw each use of a neuron as one rounded box
                          'neurons.3 (tanh) | data | grad' holding its output, with its
                          parameters and inner steps left out: big models stay drawable
      max_nodes=2000      refuse graphs with more Values (Graphviz gets slow), see below
      digits=4            decimals shown for data and grad

    >>> from engine import Value
    >>> x = Value(2.0, label='x')
    >>> y = x * 3; y.label = 'y'
    >>> print(draw_dot(y).source)  # doctest: +NORMALIZE_WHITESPACE
    digraph {
        graph [rankdir=LR]
        n0 [label="{ x | data 2.0000 | grad 0.0000 }" fillcolor="#dbe9f6" shape=record style=filled tooltip="input x"]
        n1 [label="{  | data 3.0000 | grad 0.0000 }" fillcolor="#eeeeee" shape=record style=filled tooltip=constant]
        n2 [label="{ y | data 6.0000 | grad 0.0000 }" fillcolor="#fde9a9" shape=record style=filled tooltip="root y"]
        n2_op [label="*" fontsize=11 height=0.3 margin="0.04,0.02" tooltip=mul]
        n2_op -> n2
        n0 -> n2_op
        n1 -> n2_op
    }
    <BLANKLINE>
    """
    order = _order(root, "draw_dot")
    if isinstance(max_nodes, bool) or not isinstance(max_nodes, int) or max_nodes < 1:
        raise ValueError(f"draw_dot: max_nodes must be a positive int, got {max_nodes!r}")
    if rankdir not in ("LR", "RL", "TB", "BT"):
        raise ValueError(f"draw_dot: rankdir must be 'LR', 'RL', 'TB' or 'BT', got {rankdir!r}")
    param_names = _param_names(params, "draw_dot")
    for flag, on in (("cluster", cluster), ("collapse", collapse)):
        if on and not param_names:
            raise ValueError(f"draw_dot: {flag}=True groups nodes by parameter names; pass params=model too")
    kinds = _kinds(order, param_names)
    names = _names(order, kinds, param_names, 6)
    index = {node: i for i, node in enumerate(order)}
    highlight = _as_set(highlight, "highlight")
    done = _as_set(done, "done")
    owner = _clusters(order, kinds, param_names) if cluster or collapse else {}
    rep, hidden = _collapse(order, kinds, owner) if collapse else ({}, set())
    drawn = len(order) - len(hidden)
    if drawn > max_nodes:
        hint = "" if collapse else ", draw each neuron as one box with params=model, collapse=True"
        raise ValueError(
            f"draw_dot: this graph has {drawn} nodes, more than max_nodes={max_nodes}; "
            f"Graphviz gets slow and the picture unreadable at that size. Pass max_nodes={drawn} "
            f"to draw it anyway{hint}, draw a smaller part (one example's loss rather than the batch's), "
            f"or print it with engine.format_graph(root), which collapses the middle."
        )

    flows = {node: _edge_flows(node) for node in order if node._prev} if color_by_grad else {}
    magnitudes = [abs(g) for g in (n.grad for n in order)] + [abs(f) for fs in flows.values() for f in fs]
    largest = max((m for m in magnitudes if math.isfinite(m)), default=0.0) or 1.0

    def scale(g: float) -> float:
        return abs(g) / largest if math.isfinite(g) else 1.0

    # Node statements go into their clusters; a tree of clusters in order of first use.
    tree: dict = {"nodes": [], "children": {}}

    def place(node: Value) -> list:
        branch = tree
        where = owner.get(node, "") if cluster else ""
        if collapse and where:
            where = _owner(where)  # the neuron is the box itself; its layer is the frame
        for group in _cluster_path(where):
            branch = branch["children"].setdefault(group, {"nodes": [], "children": {}})
        return branch["nodes"]

    def input_edge(node: Value, j: int, child: Value, target: str) -> None:
        """The edge from input j of node into target (its op, or its collapsed neuron)."""
        source = rep.get(child, child)
        if child in hidden and source is child:
            return  # a parameter inside a collapsed neuron
        attrs = {}
        if node in highlight:
            attrs = {"color": _HIGHLIGHT, "penwidth": "2"}
        elif color_by_grad:
            flow = flows[node][j]
            attrs = {
                "color": _grad_colour(scale(flow)),
                "penwidth": f"{1 + 3 * scale(flow):.2f}",
                "tooltip": f"{names[child]} gets {_num(flow, 6)} from {names[node]}",
            }
        edge = (f"n{index[source]}", target)
        if source is not rep.get(node) and edge not in seen:
            seen.add(edge)
            edges.append((*edge, attrs))

    edges: list = []
    seen: set = set()
    for i, node in enumerate(order):
        kind = kinds[node]
        if node in hidden:
            for j, child in enumerate(node._prev):
                input_edge(node, j, child, f"n{index[rep[node]]}")
            continue
        collapsed = rep.get(node) is node
        name = "" if kind == CONSTANT else names[node]
        if kind == PARAM and owner.get(node) and name.startswith(owner[node] + "."):
            name = name[len(owner[node]) + 1 :]  # 'w.1' inside the box of 'layers.0.neurons.3'
        if collapsed:  # a use of a neuron, named by its place in its layer: 'neurons.3 (tanh)'
            group, act = owner[node], OPS[node._op].symbol
            short = group[len(_owner(group)) + 1 :] if _owner(group) else group
            name = f"{short} ({act if act.isidentifier() else 'linear'})"
        fields = [name, f"data {node.data:.{digits}f}"]
        if show_grad:
            fields.append(f"grad {node.grad:.{digits}f}")
        label = " | ".join(_field(f) for f in fields)
        if rankdir in ("LR", "RL"):
            label = "{ " + label + " }"  # braces turn a record's fields across the rank direction
        attrs = {"shape": "Mrecord" if collapsed else "record", "style": "filled", "fillcolor": _FILL[kind]}
        attrs["tooltip"] = _plain(kind if kind == CONSTANT else f"{kind} {names[node]}")
        if collapsed:
            attrs["tooltip"] = _plain(f"neuron {owner[node]}, output {names[node]}")
        border = {}
        if node in highlight:
            border = {"color": _HIGHLIGHT, "penwidth": "3"}
        elif node in done:
            border = {"color": _DONE, "penwidth": "2"}
        elif color_by_grad:
            border = {"color": _grad_colour(scale(node.grad)), "penwidth": f"{1 + 2 * scale(node.grad):.2f}"}
        statements = place(node)
        statements.append({"name": f"n{i}", "label": graphviz.nohtml(label), **attrs, **border})
        if collapsed:
            for j, child in enumerate(node._prev):
                input_edge(node, j, child, f"n{i}")
            continue
        if not node._prev:
            continue
        op = OPS[node._op]
        op_attrs = {"fontsize": "11", "height": "0.3", "margin": "0.04,0.02", "tooltip": _plain(op.name)}
        if node in highlight or node in done:
            op_attrs.update(border)
        statements.append({"name": f"n{i}_op", "label": _plain(op.symbol), **op_attrs})
        out_attrs = {}
        if color_by_grad:
            out_attrs = {"color": _grad_colour(scale(node.grad)), "penwidth": f"{1 + 3 * scale(node.grad):.2f}"}
        edges.append((f"n{i}_op", f"n{i}", out_attrs))
        for j, child in enumerate(node._prev):
            input_edge(node, j, child, f"n{i}_op")

    graph = _Digraph(format=format, graph_attr={"rankdir": rankdir})
    numbers = iter(range(len(order) * 2 + 1))

    def emit(target: graphviz.Digraph, branch: dict, parent: str) -> None:
        for statement in branch["nodes"]:
            target.node(**statement)
        for group, sub in branch["children"].items():
            with target.subgraph(name=f"cluster_{next(numbers)}") as box:
                text = group[len(parent) + 1 :] if parent else group
                if sub["children"] or collapse:  # a layer: a dashed frame around its neurons
                    box.attr(label=_plain(text), style="dashed", color="#999999", fontcolor="#666666")
                else:  # a neuron
                    box.attr(label=_plain(text), style="rounded,filled", fillcolor="#f6f6f6", color="#c8c8c8")
                emit(box, sub, group)

    emit(graph, tree, "")
    for tail, head, attrs in edges:
        graph.edge(tail, head, **attrs)
    return graph


_SUFFIX_FORMATS = {".svg": "svg", ".png": "png", ".pdf": "pdf"}


def render(root: Value, path: str | os.PathLike, **draw_dot_kwargs) -> Path:
    """Draw ``root``'s graph into a file, the format taken from its suffix (.svg, .png, .pdf).

    Takes ``draw_dot``'s keyword options; returns the path written.  Raises
    ``GraphvizNotFoundError`` (a RuntimeError) if Graphviz's ``dot`` is not installed.

    >>> import tempfile, os
    >>> from engine import Value
    >>> y = Value(2.0, label='x').tanh()
    >>> path = render(y, os.path.join(tempfile.mkdtemp(), 'graph.svg'))
    >>> path.read_text().startswith('<?xml')
    True
    """
    path = Path(path)
    fmt = _SUFFIX_FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise ValueError(
            f"render: cannot tell the format from {str(path)!r}; end the file name with "
            f"{', '.join(_SUFFIX_FORMATS)} (or use draw_dot(root).pipe(format=...) for others)"
        )
    if "format" in draw_dot_kwargs:
        raise TypeError(f"render: the format comes from the file suffix ({path.suffix}); leave out format=")
    data = draw_dot(root, fmt, **draw_dot_kwargs).pipe(format=fmt)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path
