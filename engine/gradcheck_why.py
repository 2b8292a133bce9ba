"""Why gradcheck found a mismatch, when the graph can tell: a kink, or one op's derivative rule.

gradcheck rebuilds the graph at x - eps, x and x + eps and hands the traces here; these
functions read them with the op table's rows (``kinks``, ``check``, ``forward``) and the
core's ``local_derivatives``, and name nodes as every view does (``engine.text``).

>>> close(1.0, 1.0000001, atol=1e-5, rtol=1e-3), side(-0.5, 0.0)
(True, -1)
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from .text import op_row
from .value import Value, local_derivatives

__all__ = ["DOMAIN_ERRORS", "close", "trace", "side", "kink", "wrong_rule"]

# What evaluating f may raise when a point leaves an op's domain (apply re-raises the
# table's check failures as ValueError, overflow as OverflowError).
DOMAIN_ERRORS = (ValueError, OverflowError, ZeroDivisionError)


def close(analytical: float, numerical: float, atol: float, rtol: float) -> bool:
    return abs(analytical - numerical) <= atol + rtol * abs(numerical)


def trace(graph: Sequence[Value], points: Sequence[Value]) -> tuple[list, list]:
    """A graph's shape (ops, which leaves are points, constants' values) and each node's first input."""
    where = {id(p): i for i, p in enumerate(points)}
    shape, first_inputs = [], []
    for node in graph:
        if node._prev:
            shape.append(node._op)
        else:
            shape.append(("input", where[id(node)]) if id(node) in where else ("constant", node.data))
        first_inputs.append(node._prev[0].data if node._prev else None)
    return shape, first_inputs


def side(x: float, kink_at: float) -> int:
    return (x > kink_at) - (x < kink_at)


def kink(center: Sequence[Value], traces: Sequence[tuple], names: Mapping[Value, str]) -> tuple[str, str] | None:
    """(op name, a sentence) for the first node whose input sits on or within eps of its op's kink."""
    for k, node in enumerate(center):
        op = op_row(node)
        if op is None or not op.kinks:
            continue
        for at in op.kinks:
            sides = {side(first_inputs[k], at) for _, first_inputs in traces}
            if 0 in sides or len(sides) > 1:
                where = "exactly on" if node._prev[0].data == at else "within eps of"
                return op.name, (
                    f"the {op.name} node {names[node]!r} has the input {node._prev[0].data!r}, {where} its kink "
                    f"at {at!r}, where the derivative jumps. Finite differences there mix both sides, so this "
                    f"mismatch is not a bug; move the point off the kink.\n  {op.name}: {op.note}"
                )
    return None


def wrong_rule(node: Value, name: str, eps: float, atol: float, rtol: float) -> str | None:
    """Compare one node's local derivatives with finite differences of its op's forward; a sentence if wrong."""
    op = op_row(node)
    if op is None:
        return None  # a rule written in Python (a closure): nothing to compare it with
    args = [p.data for p in node._prev]
    for k, claimed in enumerate(local_derivatives(node)):
        numerical = _slope(op, args, k, eps)
        if numerical is not None and not close(claimed, numerical, atol, rtol):
            at = ", ".join(repr(a) for a in args)
            return (
                f"the derivatives rule of op {op.name!r} (node {name!r}): at input(s) {at} it gives "
                f"d(out)/d(input {k}) = {claimed!r}, but finite differences of its forward give {numerical!r}."
            )
    return None


def _slope(op: object, args: list[float], k: int, eps: float) -> float | None:
    """d(forward)/d(input k) by central differences, or None where they cannot tell (a domain edge, a kink)."""
    h = eps * max(1.0, abs(args[k]))
    plus, minus = list(args), list(args)
    plus[k] += h
    minus[k] -= h
    if op.check is not None and (op.check(*plus) or op.check(*minus)):
        return None
    if k == 0 and any(minus[0] <= at <= plus[0] for at in op.kinks):
        return None
    try:
        return (op.forward(*plus) - op.forward(*minus)) / (2.0 * h)
    except DOMAIN_ERRORS:
        return None
