"""The checks that the course's exercises run: each says plainly whether your answer is right yet.

Every check returns a ``Result``: it shows as one line saying whether your answer is right
yet, and it is true or false (the solutions notebooks ``assert`` it).  No check raises, so a
notebook with unfinished exercises still runs top to bottom.

>>> check_gradients(lambda x: x * x, 1.5, -2.0)
✓ gradients match central differences at 2 point(s)
>>> bool(check_gradients(lambda x: ..., 1.0))
False
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

from engine import GradcheckError, Value, gradcheck


class Result:
    """What a check found: true when the answer is right, shown as one line."""

    def __init__(self, ok: bool, message: str):
        self.ok = ok
        self.message = ("✓ " if ok else "✗ not yet: ") + message

    def __bool__(self) -> Result:
        return self.ok

    def __repr__(self) -> str:
        return self.message


def _report(ok: bool, message: str) -> Result:
    return Result(ok, message)


def _unfinished(result: object) -> Result:
    return result is None or result is Ellipsis


def check_gradients(fn: Callable[..., Value], *points: float | Sequence[float]) -> Result:
    """``fn`` of Values gives gradients that match central differences at each point.

    A point is a number (for a function of one Value) or a list of numbers (one per argument).
    """
    for point in points:
        args = [point] if isinstance(point, (int, float)) else list(point)
        try:
            if _unfinished(fn(*[Value(a) for a in args])):
                return _report(False, "your function returns nothing yet")
            gradcheck(fn, args)
        except GradcheckError as err:
            return _report(False, f"gradcheck disagrees at {point}: {err}")
        except Exception as err:  # a learner's bug: say what it was, keep the notebook running
            return _report(False, f"at {point}: {type(err).__name__}: {err}")
    return _report(True, f"gradients match central differences at {len(points)} point(s)")


def check_values(fn: Callable[[float], object], expected: Callable[[float], float], points: Sequence[float],
                 what: str = "values") -> Result:
    """``fn(x)`` (a Value or a number) equals ``expected(x)`` to 1e-9 at every point."""
    for x in points:
        try:
            got = fn(x)
        except Exception as err:
            return _report(False, f"at x = {x}: {type(err).__name__}: {err}")
        if _unfinished(got):
            return _report(False, "your function returns nothing yet")
        got = got.data if isinstance(got, Value) else float(got)
        want = expected(x)
        if not math.isclose(got, want, rel_tol=1e-9, abs_tol=1e-9):
            return _report(False, f"at x = {x} you get {got!r}, expected {want!r}")
    return _report(True, f"{what} right at {len(points)} point(s)")


def check_accuracy(accuracy: object, at_least: float) -> Result:
    """An accuracy (0..1) reached at least ``at_least``."""
    if _unfinished(accuracy):
        return _report(False, "no accuracy yet: train the model and measure it")
    return _report(float(accuracy) >= at_least,
                   f"accuracy {float(accuracy):.0%} (needed at least {at_least:.0%})")


def check_true(condition: object, message: str) -> Result:
    """A plain yes/no check, with the message saying what was checked."""
    if _unfinished(condition):
        return _report(False, "no answer yet")
    return _report(bool(condition), message)
