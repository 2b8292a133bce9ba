"""How a module prints: its repr, its parameter table (``summary()``) and the table a notebook shows.

Everything here reads the module's public side (its attributes, ``extra_repr()`` and
``named_parameters()``), so the names in a table are the names ``state_dict()`` uses.

>>> from nn import Linear
>>> print(Linear(3, 2).summary())
Linear(in_features=3, out_features=2, bias=True)
Name    Shape   Params
======================
weight  (2, 3)       6
bias    (2,)         2
======================
Total params: 8
"""

from __future__ import annotations

import html
from typing import Any

__all__ = ["Summary", "parameter_rows", "summary_text", "summary_html", "repr_lines", "join_lines"]

Lines = list[tuple[int, str]]  # (depth, text): indented only at the end, so deep nesting costs no copying


# --- the repr -------------------------------------------------------------------------------


def repr_lines(module: Any, written: dict[int, Lines]) -> Lines:
    """``module``'s repr as (depth, text) lines; its child modules' lines are taken from ``written``.

    A child module is an attribute value already in ``written`` (the caller writes children
    first); so a module inside itself is simply not listed.
    """
    body: Lines = []
    for attr, value in vars(module).items():
        if attr.startswith("_"):
            continue
        if id(value) in written:
            body.extend(_entry(f"({attr}): ", written[id(value)], 1))
        elif isinstance(value, (list, tuple)) and value and all(id(v) in written for v in value):
            body.append((1, f"({attr}): ["))
            for label, sub in _folded([written[id(v)] for v in value]):
                body.extend(_entry(label, sub, 2))
            body.append((1, "]"))
    name, extra = type(module).__name__, module.extra_repr()
    if not body:
        return [(0, f"{name}({extra})")]
    return [(0, f"{name}("), *([(1, extra)] if extra else []), *body, (0, ")")]


def join_lines(lines: Lines) -> str:
    """The lines as text, two spaces per level of depth."""
    return "\n".join("  " * depth + text for depth, text in lines)


def _entry(label: str, lines: Lines, depth: int) -> Lines:
    """A child's lines under its parent: ``label`` before its first line, all of them ``depth`` deeper."""
    first_depth, first = lines[0]
    return [(depth + first_depth, label + first), *((depth + d, text) for d, text in lines[1:])]


def _folded(children: list[Lines]) -> list[tuple[str, Lines]]:
    """('(i): ', lines) per module, runs of equal reprs folded: ('(0-15): 16 x ', lines of Neuron(...))."""
    out = []
    i = 0
    while i < len(children):
        j = i + 1
        while j < len(children) and children[j] == children[i]:
            j += 1
        out.append((f"({i}): " if j == i + 1 else f"({i}-{j - 1}): {j - i} x ", children[i]))
        i = j
    return out


# --- the parameter table ----------------------------------------------------------------------


def parameter_rows(named_parameters: list[tuple[str, Any]]) -> list[tuple[str, tuple[int, ...] | None, int]]:
    """(name, shape, count) per parameter list: names that differ only in trailing indices form one row.

    ``layers.0.neurons.0.w.0`` and ``...w.1`` are row ``layers.0.neurons.0.w`` of shape (2,).
    The shape is None where the entries do not fill a box (a ragged list, or tied entries
    listed under another name).

    >>> parameter_rows([('w.0', 0), ('w.1', 0), ('b', 0), ('m.0.0', 0), ('m.0.1', 0), ('m.1.0', 0)])
    [('w', (2,), 2), ('b', (), 1), ('m', None, 3)]
    """
    rows: list[tuple[str, tuple[int, ...] | None, int]] = []
    base, indices = None, []
    for name, _ in named_parameters:
        parts = name.split(".")
        k = len(parts)
        while k > 1 and parts[k - 1].isdigit():
            k -= 1
        head, index = ".".join(parts[:k]), tuple(int(p) for p in parts[k:])
        if head != base or (indices and len(index) != len(indices[0])):
            if base is not None:
                rows.append(_row(base, indices))
            base, indices = head, []
        indices.append(index)
    if base is not None:
        rows.append(_row(base, indices))
    return rows


def _row(name: str, indices: list[tuple[int, ...]]) -> tuple[str, tuple[int, ...] | None, int]:
    dims = tuple(max(ix[d] for ix in indices) + 1 for d in range(len(indices[0])))
    box = 1
    for d in dims:
        box *= d
    return name, (dims if box == len(indices) else None), len(indices)


def _shape_text(shape: tuple[int, ...] | None) -> str:
    if shape is None:
        return "ragged"
    return "(" + ", ".join(map(str, shape)) + (",)" if len(shape) == 1 else ")")


class Summary(str):
    """The text of a parameter table, shown as the table itself at a prompt (not as a quoted string).

    NB: like torchinfo's ModelStatistics.  It is a str, so ``print``, ``splitlines`` and ``==`` work.

    >>> Summary("Total params: 3")
    Total params: 3
    """

    def __repr__(self) -> str:
        return str(self)


def summary_text(title: str, named_parameters: list[tuple[str, Any]]) -> Summary:
    """The table ``Module.summary()`` returns: one row per parameter list, then the total."""
    rows = [(name, _shape_text(shape), str(count)) for name, shape, count in parameter_rows(named_parameters)]
    header = ("Name", "Shape", "Params")
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(3)]

    def line(r):
        return f"{r[0]:<{widths[0]}}  {r[1]:<{widths[1]}}  {r[2]:>{widths[2]}}"

    rule = "=" * len(line(header))
    total = f"Total params: {len(named_parameters)}"
    return Summary("\n".join([title, line(header), rule, *map(line, rows), rule, total]))


def summary_html(title: str, named_parameters: list[tuple[str, Any]]) -> str:
    """The same table as self-contained HTML, every name escaped, for Jupyter's ``_repr_html_``."""
    cell = 'style="text-align:{};padding:2px 10px;font-family:monospace"'
    body = "".join(
        f"<tr><td {cell.format('left')}>{html.escape(name)}</td><td {cell.format('left')}>"
        f"{html.escape(_shape_text(shape))}</td><td {cell.format('right')}>{count}</td></tr>"
        for name, shape, count in parameter_rows(named_parameters)
    )
    head = "".join(f"<th {cell.format(a)}>{h}</th>" for h, a in (("Name", "left"), ("Shape", "left"),
                                                                   ("Params", "right")))
    return (f'<div class="chainrule-summary"><pre style="margin:0 0 4px 0">{html.escape(title)}</pre>'
            f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody>"
            f"<tfoot><tr><td {cell.format('left')} colspan=\"2\"><b>Total params</b></td>"
            f"<td {cell.format('right')}><b>{len(named_parameters)}</b></td></tr></tfoot></table></div>")
