"""The text inside a drawing: record labels, op labels and tooltips, escaped so that ``dot`` shows any string.

Every string is first made visible (``engine.text.visible``: NUL, ESC and lone surrogates
written as ``\\x00``, ``\\x1b``, ``\\ud800``; over ``Style.max_label`` characters cut with an
ellipsis), then ``&`` is written as ``&amp;`` so that ``&#233;`` shows verbatim instead of
as an HTML entity, then Graphviz's own special characters are escaped.

>>> record_field('a|b&#233;', 60)
'a\\\\|b&amp;#233;'
>>> from engine import OPS
>>> op_text(OPS['pow'], [None, '2']), op_text(OPS['sub'], ['1', None]), op_text(OPS['leaky_relu'], [None, '0.01'])
('**2', '1-', 'leaky_relu(·, 0.01)')
"""

from __future__ import annotations

from collections.abc import Sequence

from .text import format_number, op_call, visible
from .value import Value

__all__ = ["record_field", "plain", "record_label", "op_text", "constant_text"]

_RECORD_SPECIAL = str.maketrans({c: "\\" + c for c in '\\{}|<>"'})
_HOLE = "·"  # an input drawn as an edge, where an op label also shows constants


def _dot_text(text: str, limit: int) -> str:
    return visible(text, limit).replace("&", "&amp;")


def record_field(text: str, limit: int) -> str:
    """Text for one field of a record label: visible, entities and record characters escaped."""
    return _dot_text(text, limit).translate(_RECORD_SPECIAL)


def plain(text: str, limit: int) -> str:
    """Text for a plain label or a tooltip: visible, entities, quotes and backslashes escaped."""
    return _dot_text(text, limit).replace("\\", "\\\\").replace('"', '\\"')


def record_label(fields: Sequence[str], limit: int, across: bool) -> str:
    """'{ x | data 2.0 | grad 1.0 }': braces turn the fields across the rank direction."""
    label = " | ".join(record_field(f, limit) for f in fields)
    return "{ " + label + " }" if across else label


def constant_text(node: Value, sig: int) -> str:
    """A constant as written in an op label: ``2`` for 2.0 (as in ``x**2``), ``0.01``."""
    text = format_number(node.data, sig)
    return text[:-2] if text.endswith(".0") else text


def op_text(symbol_or_op: object, constants: Sequence[str | None]) -> str:
    """An op's label with its constant inputs written in: ``**2``, ``1-``, ``leaky_relu(·, 0.01)``.

    ``constants`` has one entry per input: its text, or None for an input drawn as an edge.
    With no constants the label is the op's symbol.
    """
    symbol = symbol_or_op if isinstance(symbol_or_op, str) else symbol_or_op.symbol
    if all(c is None for c in constants):
        return symbol
    infix = not isinstance(symbol_or_op, str) and symbol_or_op.is_infix
    if infix and len(constants) == 2 and None in constants:
        left, right = (f"({c})" if c and c.startswith("-") else c for c in constants)
        return f"{symbol}{right}" if left is None else f"{left}{symbol}"
    return op_call(symbol_or_op, [_HOLE if c is None else c for c in constants])
