"""The computation graph as text: one node a line, inputs first, in any REPL and with no dependency.

>>> from engine import Value
>>> a = Value(2.0, label='a'); b = Value(-3.0, label='b')
>>> c = a * b; c.label = 'c'
>>> c.backward()
>>> print(format_graph(c))
a = 2.0            grad -3.0
b = -3.0           grad  2.0
c = a * b  = -6.0  grad  1.0
"""

from __future__ import annotations

from .graph_kinds import CONSTANT, kinds_of, order_of
from .text import DEFAULT_SIG, check_sig, expression, format_number, names_for, param_names
from .value import Value

__all__ = ["format_graph"]

_WIDEST_EXPRESSION = 48  # one very long expression does not push every other line right


def _signed(text: str) -> str:
    """A space where the minus sign would be, so that columns of numbers line up."""
    return text if text.startswith("-") else " " + text


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


def _rows(order: list[Value], kinds: dict, names: dict, full: bool, show_grad: bool, sig: int) -> list[list[str]]:
    """[left, value, grad] for every line: 'c = a * b', '= -6.0', 'grad 1.0'."""
    rows = []
    for node in _program_order(order):
        if kinds[node] == CONSTANT:
            continue  # written inline where it is used
        value = format_number(node.data, sig)
        if node._prev:
            row = [f"{names[node]} = {expression(node, names, full=full)}", f"= {_signed(value)}"]
        elif names[node] == value:
            row = [value, ""]  # an unlabelled leaf used twice: its number is its name
        else:
            row = [f"{names[node]} = {value}", ""]
        row.append(f"grad {_signed(format_number(node.grad, sig))}" if show_grad else "")
        rows.append(row)
    return rows


def _lay_out(rows: list, full: bool, max_lines: int) -> list[str]:
    """The rows in columns, the middle left out (with a count) above ``max_lines``."""
    hidden = 0
    if not full and len(rows) > max_lines:
        head = (max_lines - 1) // 2
        tail = max_lines - 1 - head
        hidden = len(rows) - head - tail
        rows = rows[:head] + [None] + rows[-tail:]
    shown = [row for row in rows if row is not None]
    width0 = min(max(len(row[0]) for row in shown), _WIDEST_EXPRESSION) + 2
    width1 = max(len(row[1]) for row in shown) + 2
    lines = []
    for row in rows:
        if row is None:
            lines.append(f"... {hidden} lines not shown: format_graph(root, full=True) shows them all ...")
        else:
            left = row[0].ljust(width0) if len(row[0]) < width0 else row[0] + "  "
            lines.append(f"{left}{row[1]:<{width1}}{row[2]}".rstrip())
    return lines


def format_graph(
    root: Value,
    *,
    full: bool = False,
    max_lines: int = 40,
    show_grad: bool = True,
    params: object = None,
    digits: int = DEFAULT_SIG,
) -> str:
    """The graph that computed ``root`` as a small program: one node a line, inputs first.

    Each line is ``name = expression = value`` and the node's ``grad``.  A node is called
    by its label (or its name in ``params``, a Module or (name, Value) pairs), else
    ``t1``, ``t2``, ...; plain numbers (unlabelled leaves) are written as themselves.
    Above ``max_lines`` lines the middle is left out, unless ``full=True``.  ``digits``
    is the number of significant figures.

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
    order = order_of(root, "format_graph")
    if isinstance(max_lines, bool) or not isinstance(max_lines, int) or max_lines < 3:
        raise ValueError(f"format_graph: max_lines must be an int >= 3, got {max_lines!r}")
    for flag, on in (("full", full), ("show_grad", show_grad)):
        if not isinstance(on, bool):
            raise TypeError(f"format_graph: {flag} must be True or False, got {type(on).__name__} {on!r}")
    check_sig(digits, "format_graph", "digits")
    given = param_names(params, "format_graph")
    names = names_for(order, given, digits)
    rows = _rows(order, kinds_of(order, given), names, full, show_grad, digits)
    return "\n".join(_lay_out(rows, full, max_lines))
