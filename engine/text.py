"""How chainrule writes things down: a node's name, a number and an op call, for every view and message.

The text graph, the drawing, the stepper, gradcheck and compile's messages all use these
functions, so a node reads the same everywhere:

>>> from engine import Value
>>> from engine.text import format_number, node_names, op_call
>>> x = Value(3.0, label='x')
>>> y = (x * 2).tanh()
>>> names = node_names(y)
>>> [names[n] for n in (x, y._prev[0], y)]
['x', 't1', 't2']
>>> op_call('mul', ['x', '2.0']), op_call('tanh', ['t1'])
('x * 2.0', 'tanh(t1)')
>>> format_number(2 / 3), format_number(2.0), format_number(2 / 3, sig=2)
('0.666667', '2.0', '0.67')
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping, Sequence

from .ops import OPS, Op
from .value import (  # the core's; re-exported for the views
    Value,
    name_nodes,
    node_name,
    rule_of,
    topological_order,
)

__all__ = [
    "node_name",
    "name_nodes",
    "node_names",
    "names_for",
    "format_number",
    "op_call",
    "expression",
    "visible",
    "op_row",
    "op_symbol",
    "check_sig",
    "param_names",
    "DEFAULT_SIG",
]

DEFAULT_SIG = 6  # significant figures, the one meaning of `digits` everywhere
MAX_ARGS = 6  # an op call with more arguments is shortened unless full=True
_POSTFIX = ("*", "/", "^")  # a free label starting so reads after its one input


def format_number(x: float, sig: int = DEFAULT_SIG) -> str:
    """``x`` to ``sig`` significant figures, always recognisably a float (``2.0``, not ``2``).

    >>> format_number(0.1 + 0.2), format_number(-1e-7), format_number(1234567.0, sig=3)
    ('0.3', '-1e-07', '1.23e+06')
    >>> format_number(float('nan')), format_number(float('-inf'))
    ('nan', '-inf')
    """
    check_sig(sig, "format_number")
    if isinstance(x, bool) or not isinstance(x, numbers.Real):
        raise TypeError(f"format_number: x must be a real number, got {type(x).__name__} {x!r}")
    x = float(x)
    text = f"{x:.{sig}g}"
    if math.isfinite(x) and text.lstrip("-").isdigit():
        text += ".0"
    return text


def check_sig(sig: object, where: str, name: str = "sig") -> int:
    """``sig`` if it is an int from 1 to 17 (all a float has), else a TypeError/ValueError naming it."""
    if isinstance(sig, bool) or not isinstance(sig, int):
        raise TypeError(
            f"{where}: {name} must be an int (significant figures, e.g. {DEFAULT_SIG}), "
            f"got {type(sig).__name__} {sig!r}"
        )
    if not 1 <= sig <= 17:
        raise ValueError(f"{where}: {name} must be from 1 to 17 significant figures, got {sig!r}")
    return sig


def _op_and_label(op: str | Op) -> tuple[Op | None, str]:
    """The table's Op for ``op`` (a name or an Op), or None for a free label such as micrograd's 'ReLU'."""
    if isinstance(op, Op):
        return op, op.symbol
    if not isinstance(op, str):
        raise TypeError(f"op_call: op must be an op name or an Op, got {type(op).__name__} {op!r}")
    found = OPS.get(op)
    return found, (found.symbol if found is not None else op)


def _join(args: Sequence[str], full: bool) -> str:
    """Comma-separated arguments; long lists shortened to the first few and the last one."""
    if full or len(args) <= MAX_ARGS:
        return ", ".join(args)
    return ", ".join([*args[:4], f"... {len(args) - 5} more", args[-1]])


def op_call(op: str | Op, arg_names: Sequence[str], *, full: bool = False, by_name: bool = False) -> str:
    """How an op applied to named inputs is written: ``a * b``, ``-a``, ``tanh(n)``, ``sum(a, b, c)``.

    A negative number next to an operator is put in parentheses.  More than six arguments are
    shortened (``sum(x0, x1, x2, x3, ... 3 more, x9)``) unless ``full=True``.  An op name
    that is not in the table (a free label, as micrograd's ``'ReLU'``) is written as a call,
    or after its one input when it starts with ``*``, ``/`` or ``^`` (micrograd's ``'**2'``).
    ``by_name=True`` writes calls with the op's table name rather than its symbol, as a
    program that names ops (``engine.strategies``) does.

    >>> op_call('sub', ['t1', '-4.0']), op_call('neg', ['a']), op_call('tanh', ['-1.0']), op_call('ReLU', ['n'])
    ('t1 - (-4.0)', '-a', 'tanh(-1.0)', 'ReLU(n)')
    >>> op_call('dot', ['w0', 'w1', 'x0', 'x1']), op_call('**2', ['x'])
    ('dot([w0, w1], [x0, x1])', 'x **2')
    """
    found, symbol = _op_and_label(op)
    if by_name and found is not None and symbol.isidentifier():
        symbol = found.name
    args = list(arg_names)
    if found is None:
        if len(args) == 1 and symbol[:1] in _POSTFIX:  # micrograd's '**2': 'x **2'
            return f"{args[0]} {symbol}"
        return f"{symbol}({_join(args, full)})"
    if found.is_infix and len(args) == 2:
        return f"{_operand(args[0])} {symbol} {_operand(args[1])}"
    if found.name == "dot":
        n = len(args) // 2
        return f"dot([{_join(args[:n], full)}], [{_join(args[n:], full)}])"
    if len(args) == 1 and not symbol.isidentifier():
        return f"{symbol}{_operand(args[0])}"  # -a
    return f"{symbol}({_join(args, full)})"


def _operand(name: str) -> str:
    """A negative number next to an operator goes in parentheses: ``t1 * (-4.0)``, ``-(-2.0)``."""
    return f"({name})" if name.startswith("-") else name


def op_row(node: Value) -> Op | None:
    """The table row that computed ``node``: None for a leaf or a node with a Python closure or free label.

    >>> from engine import Value
    >>> op_row(Value(1.0).exp())
    Op('exp', symbol='exp')
    """
    rule = rule_of(node)
    return rule if isinstance(rule, Op) else None


def op_symbol(node: Value) -> str:
    """How ``node``'s op is written: its row's symbol (``'*'``), else its ``_op`` label as given.

    >>> from engine import Value
    >>> op_symbol(Value(2.0) * 3), op_symbol(Value(2.0))
    ('*', '')
    """
    row = op_row(node)
    return row.symbol if row is not None else node._op


def expression(node: Value, names: Mapping[Value, str], *, full: bool = False) -> str:
    """How ``node`` was computed, written with its inputs' names from ``names``: ``'a * b'``.

    >>> from engine import Value
    >>> a = Value(1.0, label='a')
    >>> expression(a.exp(), {a: 'a'})
    'exp(a)'
    """
    row = op_row(node)
    return op_call(row if row is not None else node._op, [names[child] for child in node._prev], full=full)


def visible(text: str, limit: int | None = None) -> str:
    """``text`` with every character that would not show (NUL, ESC, a lone surrogate, ...) escaped
    visibly as Python writes it (``\\x00``), and cut to ``limit`` characters with an ellipsis.

    Printable text, ``&#233;`` and emoji included, is kept verbatim.

    >>> visible('a\\x00b\\x1b'), visible('é&#233;😀'), visible('abcdefgh', limit=5)
    ('a\\\\x00b\\\\x1b', 'é&#233;😀', 'abcd…')
    """
    if not isinstance(text, str):
        raise TypeError(f"visible: text must be a str, got {type(text).__name__} {text!r}")
    if not text.isprintable() or _has_surrogate(text):
        text = "".join(ch if ch.isprintable() and not _is_surrogate(ch) else repr(ch)[1:-1] for ch in text)
    if limit is not None and len(text) > limit:
        text = text[: max(limit - 1, 0)] + "…"
    return text


def _is_surrogate(ch: str) -> bool:
    return "\ud800" <= ch <= "\udfff"


def _has_surrogate(text: str) -> bool:
    return any(_is_surrogate(ch) for ch in text)


def param_names(params: object, where: str) -> dict[Value, str]:
    """``params`` as {Value: name}: a Module, a dict of name -> Value, (name, Value) pairs, or Values."""
    if params is None:
        return {}
    if hasattr(params, "named_parameters"):
        pairs = params.named_parameters()
    elif isinstance(params, dict):
        pairs = params.items()
    else:
        pairs = params
    try:
        items = list(pairs)
    except TypeError:
        raise TypeError(
            f"{where}: params must be a Module, a dict of name -> Value or (name, Value) pairs, "
            f"got {type(params).__name__} {params!r}"
        ) from None
    names: dict[Value, str] = {}
    for i, item in enumerate(items):
        if isinstance(item, Value):
            name, value = item.label or f"param{i}", item
        elif isinstance(item, tuple) and len(item) == 2 and isinstance(item[1], Value):
            name, value = item
        else:
            raise TypeError(
                f"{where}: params must give (name, Value) pairs, got {type(item).__name__} {item!r} at position {i}"
            )
        names[value] = str(name)
    return names


def node_names(
    root: Value | Sequence[Value], *, params: object = None, sig: int = DEFAULT_SIG
) -> dict[Value, str]:
    """Every node's name, as the views write it: {node: name}, the same on every run.

    A node is called by its name in ``params`` (a Module, a dict or (name, Value) pairs),
    else by ``node_name`` (its label, or ``t1``, ``t2``, ... in topological order), an
    unlabelled leaf by its number.  A second node labelled ``a`` is called ``a#2``; a label
    that would not show is escaped (``visible``).  ``root`` may also be a topological order.

    >>> from engine import Value
    >>> a = Value(1.0, label='a'); b = Value(2.0, label='a')
    >>> list(node_names(a + b + 3).values())
    ['a', 'a#2', 't1', '3.0', 't2']
    """
    order = topological_order(root) if isinstance(root, Value) else list(root)
    return names_for(order, param_names(params, "node_names"), sig)


def names_for(order: Sequence[Value], given: Mapping[Value, str], sig: int = DEFAULT_SIG) -> dict[Value, str]:
    """``node_names`` for a topological order and {parameter: name} already worked out."""
    name_nodes(order)
    names: dict[Value, str] = {}
    used: set[str] = set()
    for node in order:
        if not node._prev and node not in given and not node.label:
            names[node] = format_number(node.data, sig)  # a number is written as itself
            continue
        name = visible(given.get(node) or node_name(node))
        base, k = name, 1
        while name in used:
            k += 1
            name = f"{base}#{k}"
        used.add(name)
        names[node] = name
    return names
