"""Guards: what the traced Python learned from the graph's numbers, checked again on every replay.

A replay re-runs the graph's arithmetic, not the Python around it.  While ``fn`` is traced,
every number it reads out of a Value (``.data``, ``float(v)``, ``v > 0``, ``bool(v)``,
``round(v)``, ...) is recorded by the core's ``record_reads()`` hook; each read becomes a
guard: "this read gives the same result again".  After the replay's forward pass the guards
are recomputed from the new values; if one fails, the Python would take another path (or
freeze another number), so the replay is not used and ``fn`` is traced again.

>>> import math
>>> same(0.0, -0.0), same(math.nan, math.nan), same(2, 2)
(False, True, True)
"""

from __future__ import annotations

import math
import operator
from typing import NamedTuple

from ..value import Value

__all__ = ["Guard", "guards_from_reads", "same", "first_failing"]

_COMPARE = {"<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge,
            "==": operator.eq, "!=": operator.ne}


def same(a: object, b: object) -> bool:
    """Equal as the traced Python saw it: floats bit for bit (0.0 is not -0.0, NaN is NaN)."""
    if type(a) is float and type(b) is float:
        if a != a or b != b:
            return a != a and b != b
        return a == b and math.copysign(1.0, a) == math.copysign(1.0, b)
    return type(a) is type(b) and a == b


def _round(v: float, digits):
    return round(v) if digits is None else round(v, digits)


# What each kind of read gives for a node's value v (``detail`` as the core records it).
RECOMPUTE = {
    "data": lambda v, detail: v,
    "item": lambda v, detail: v,
    "float": lambda v, detail: v,
    "int": lambda v, detail: int(v),
    "bool": lambda v, detail: v != 0.0,
    "round": lambda v, detail: _round(v, detail),
    "floor": lambda v, detail: math.floor(v),
    "ceil": lambda v, detail: math.ceil(v),
    "trunc": lambda v, detail: math.trunc(v),
    "format": lambda v, detail: format(v, detail),
}


class Guard(NamedTuple):
    """One read to check: ``kind`` of node ``position`` gave ``expected``; ``other`` for comparisons."""

    kind: str
    position: int
    detail: object
    other: int | None  # the position of the other Value of a comparison, or None
    expected: object

    def holds(self, V: list[float]) -> bool:
        v = V[self.position]
        try:
            if self.kind == "compare":
                symbol, other = self.detail
                right = V[self.other] if self.other is not None else other
                now = _COMPARE[symbol](v, right)
            else:
                now = RECOMPUTE[self.kind](v, self.detail)
        except (ArithmeticError, ValueError):  # int(nan), round(inf): eager would raise there
            return False
        return same(now, self.expected)


def read_nodes(reads: list) -> list[Value]:
    """Every Value a read looked at (for comparisons, both sides): they join the replay's forward pass."""
    nodes = []
    for read in reads:
        nodes.append(read.node)
        if read.kind == "compare" and isinstance(read.detail[1], Value):
            nodes.append(read.detail[1])
    return nodes


def guards_from_reads(reads: list, index: dict) -> list[Guard]:
    """The guards of a trace's reads, given the tape's node positions."""
    guards = []
    for read in reads:
        if read.kind != "compare" and read.kind not in RECOMPUTE:
            raise TypeError(f"compile: cannot guard a read of kind {read.kind!r} (node {read.node!r})")
        other = None
        if read.kind == "compare" and isinstance(read.detail[1], Value):
            other = index[read.detail[1]]
        guards.append(Guard(read.kind, index[read.node], read.detail, other, read.result))
    return guards


def first_failing(guards: list[Guard], V: list[float]) -> Guard | None:
    """The first guard that no longer holds for the values in ``V``, or None."""
    for guard in guards:
        if not guard.holds(V):
            return guard
    return None
