"""Drawing a computation graph with Graphviz: ``draw_dot`` (micrograd's, with more options) and ``render``.

graphviz is imported when a drawing is made, not before: ``import engine`` and the text
views work without it.

>>> from engine import Value
>>> a = Value(2.0, label='a'); b = Value(-3.0, label='b')
>>> c = a * b; c.label = 'c'
>>> c.backward()
>>> draw_dot(c).source.count('shape=record')
3
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from pathlib import Path

from .draw_build import Picture, emit, statements
from .draw_errors import GraphvizNotFoundError
from .draw_groups import assign_groups, collapse_uses
from .draw_style import DEFAULT_STYLE, Style
from .graph_kinds import CONSTANT, kinds_of, order_of
from .text import check_sig, names_for, param_names
from .value import Value

__all__ = ["draw_dot", "render", "GraphvizNotFoundError", "Style"]

_RANKDIRS = ("LR", "RL", "TB", "BT")


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


def _check_options(rankdir: object, max_nodes: object, style: object, group_by: object, flags: dict) -> None:
    """TypeError/ValueError naming the first bad argument of draw_dot."""
    for flag, on in flags.items():
        if not isinstance(on, bool):
            raise TypeError(f"draw_dot: {flag} must be True or False, got {type(on).__name__} {on!r}")
    if rankdir not in _RANKDIRS:
        raise ValueError(f"draw_dot: rankdir must be 'LR', 'RL', 'TB' or 'BT', got {rankdir!r}")
    if isinstance(max_nodes, bool) or not isinstance(max_nodes, int) or max_nodes < 1:
        raise ValueError(f"draw_dot: max_nodes must be a positive int, got {max_nodes!r}")
    if not isinstance(style, Style):
        raise TypeError(f"draw_dot: style must be an engine.draw.Style, got {type(style).__name__} {style!r}")
    if group_by is not None and not callable(group_by):
        raise TypeError(
            f"draw_dot: group_by must be a function of a leaf giving its boxes, got {type(group_by).__name__} "
            f"{group_by!r}"
        )
    if flags["collapse"] and group_by is None:
        raise ValueError("draw_dot: collapse=True draws each use of a box as one node; pass group_by= too")


def _graphviz():
    """engine.draw_graphviz, imported now: the first drawing is where graphviz is needed."""
    try:
        from . import draw_graphviz
    except ImportError as err:
        raise ImportError(
            f"draw_dot needs the graphviz Python package ({err}); install it with pip install graphviz. "
            f"engine.format_graph(root) prints the graph as text without it"
        ) from err
    return draw_graphviz


def _check_format(format: object) -> None:  # noqa: A002 - micrograd's argument name
    if not isinstance(format, str):
        raise TypeError(
            f"draw_dot: format must be a str such as 'svg' or 'png', got {type(format).__name__} {format!r}"
        )
    if format not in _graphviz().FORMATS:
        raise ValueError(f"draw_dot: format must be one Graphviz knows, such as 'svg', 'png' or 'pdf', got {format!r}")


def _too_big(drawn: int, max_nodes: int, collapse: bool) -> ValueError:
    hint = "" if collapse else ", draw each box as one node with group_by=..., collapse=True"
    return ValueError(
        f"draw_dot: this graph has {drawn} nodes, more than max_nodes={max_nodes}; "
        f"Graphviz gets slow and the picture unreadable at that size. Pass max_nodes={drawn} "
        f"to draw it anyway{hint}, draw a smaller part (one example's loss rather than the batch's), "
        f"or print it with engine.format_graph(root), which collapses the middle."
    )


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
    group_by: Callable[[Value], object] | None = None,
    collapse: bool = False,
    fold_constants: bool = True,
    max_nodes: int = 2000,
    digits: int = 4,
    style: Style = DEFAULT_STYLE,
):
    """Draw the graph that computed ``root``: a ``graphviz.Digraph``, as micrograd's draw_dot.

    Each Value is a box ``name | data 2.0 | grad 1.0``; each operation is a small oval
    between its inputs and its result.  A plain number read once (the 2 in ``x ** 2``) is
    written into its operation's oval (``**2``), as micrograd does.  Show the picture in
    Jupyter by leaving it as a cell's last expression, save it with ``engine.render`` or
    ``.render()``, or read ``.source`` (the DOT text).  Node ids are ``n0``, ``n1``, ... in
    topological order, so the source is the same on every run.

    Legend (fill colours; ``style=Style(...)`` changes them):
      gold      the root, the Value you drew (and called backward() on)
      green     parameters: the leaves named in ``params=`` (a Module, a dict or (name, Value) pairs)
      blue      the other leaves, when ``params=`` says which leaves are parameters
      lavender  leaves, when nothing says which are parameters and which are inputs
      grey      constants drawn as nodes (``fold_constants=False``); their name cell is empty
      white     Values computed by an operation
    Borders: red and thick for ``highlight`` (the stepper's current node, with its op
    and input edges), green for ``done`` (nodes already stepped through).

    Options:
      show_grad=False       leave the grad field out (a forward-only picture)
      color_by_grad=True    colour edges and borders grey -> red by the gradient they carry
                            (the edge into an op carries local derivative * grad)
      params=model          name parameters by ``model.named_parameters()``
      group_by=fn           draw boxes: ``fn(leaf)`` gives the boxes around a leaf, outermost
                            first (``('layers.0', 'layers.0.neurons.3')``) or None; computed
                            nodes join by what they read (see engine.draw_groups)
      collapse=True         with group_by, draw each use of an innermost box as one node
      fold_constants=False  draw constants as nodes of their own
      max_nodes=2000        refuse graphs with more Values (Graphviz gets slow)
      digits=4              significant figures of data and grad

    >>> from engine import Value
    >>> x = Value(2.0, label='x')
    >>> y = x * 3; y.label = 'y'
    >>> print(draw_dot(y).source)  # doctest: +NORMALIZE_WHITESPACE
    digraph {
        graph [rankdir=LR]
        n0 [label="{ x | data 2.0 | grad 0.0 }" fillcolor="#ece6f5" shape=record style=filled tooltip="leaf x"]
        n2 [label="{ y | data 6.0 | grad 0.0 }" fillcolor="#fde9a9" shape=record style=filled tooltip="root y"]
        n2_op [label="*3" fontsize=11 height=0.3 margin="0.04,0.02" tooltip=mul]
        n2_op -> n2
        n0 -> n2_op
    }
    <BLANKLINE>
    """
    order = order_of(root, "draw_dot")
    flags = {"show_grad": show_grad, "color_by_grad": color_by_grad, "collapse": collapse}
    flags["fold_constants"] = fold_constants
    _check_options(rankdir, max_nodes, style, group_by, flags)
    check_sig(digits, "draw_dot", "digits")
    _check_format(format)
    given = param_names(params, "draw_dot")
    kinds = kinds_of(order, given)
    pic = Picture(order, kinds, names_for(order, given), style, digits, rankdir in ("LR", "RL"), show_grad)
    pic.color_by_grad, pic.collapse = color_by_grad, collapse
    pic.highlight, pic.done = _as_set(highlight, "highlight"), _as_set(done, "done")
    if fold_constants:
        pic.folded = {node for node in order if kinds[node] == CONSTANT}
    if group_by is not None:
        pic.groups = assign_groups(order, kinds, group_by)
    if collapse:
        pic.rep, pic.hidden = collapse_uses(order, kinds, pic.groups)
    drawn = len(order) - len(pic.hidden | pic.folded)
    if drawn > max_nodes:
        raise _too_big(drawn, max_nodes, collapse)
    if color_by_grad:
        pic.measure_flows()
    return _graph(pic, format, rankdir)


def _graph(pic: Picture, format: str, rankdir: str):  # noqa: A002 - micrograd's argument name
    graphviz = _graphviz()
    nohtml = graphviz.nohtml
    graph = graphviz.Digraph(format=format, graph_attr={"rankdir": rankdir})
    tree, edges = statements(pic)
    emit(graph, tree, pic, nohtml)
    for tail, head, attrs in edges:
        graph.edge(tail, head, **{k: nohtml(v) if k == "tooltip" else v for k, v in attrs.items()})
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
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"render: path must be a str or a path, got {type(path).__name__} {path!r}")
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
