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

from ..value import Value, node_name

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


# What each kind of read gives again, from the node's new value v.  "value" stands for the
# reads whose result is the number itself, or a function of it the Read does not spell out
# (round(v, n) and format(v, spec) record no n or spec): those guard the number, bit for bit.
RECOMPUTE = {
    "value": lambda v: v,
    "int": int,
    "bool": lambda v: v != 0.0,
    "round": round,
    "floor": math.floor,
    "ceil": math.ceil,
    "trunc": math.trunc,
}
_AS_VALUE = {"data", "item", "float", "format"}


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
                now = RECOMPUTE[self.kind](v)
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


def guards_from_reads(reads: list, index: dict, traced: list[float]) -> list[Guard]:
    """The guards of a trace's reads, given the tape's node positions and traced values."""
    guards = []
    for read in reads:
        kind, position, expected, other = read.kind, index[read.node], read.result, None
        if kind in _AS_VALUE or (kind == "round" and type(expected) is float):
            kind, expected = "value", traced[position]
        elif kind == "compare":
            if isinstance(read.detail[1], Value):
                other = index[read.detail[1]]
        elif kind not in RECOMPUTE:
            raise TypeError(f"compile: cannot guard a read of kind {kind!r} (node {node_name(read.node)!r})")
        guards.append(Guard(kind, position, read.detail, other, expected))
    return guards


def first_failing(guards: list[Guard], V: list[float]) -> Guard | None:
    """The first guard that no longer holds for the values in ``V``, or None."""
    for guard in guards:
        if not guard.holds(V):
            return guard
    return None
