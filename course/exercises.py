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

    def __bool__(self) -> bool:
        return self.ok

    def __repr__(self) -> str:
        return self.message


def _report(ok: bool, message: str) -> Result:
    return Result(ok, message)


def _unfinished(result: object) -> bool:
    return result is None or result is Ellipsis


def check_gradients(fn: Callable[..., Value], *points: float | Sequence[float],
                    expected: Callable[..., object] | None = None) -> Result:
    """``fn`` of Values gives gradients that match central differences at each point.

    A point is a number (for a function of one Value) or a list of numbers (one per argument).
    With ``expected`` (a function of the same numbers, giving a number or a Value), the value
    ``fn`` computes must be that one too: gradients alone agree for any function built of Values.

    >>> check_gradients(lambda x: x * 3, 1.0, expected=lambda x: x * 2)
    ✗ not yet: at 1.0 your function gives 3.0, expected 2.0
    """
    for point in points:
        args = [point] if isinstance(point, (int, float)) else list(point)
        try:
            got = fn(*[Value(a) for a in args])
            if _unfinished(got):
                return _report(False, "your function returns nothing yet")
            want = got if expected is None else expected(*args)
            if not _same(got, want):
                return _report(False, f"at {point} your function gives {_number(got)!r}, expected {_number(want)!r}")
            gradcheck(fn, args)
        except GradcheckError as err:
            return _report(False, f"gradcheck disagrees at {point}: {err}")
        except Exception as err:  # a learner's bug: say what it was, keep the notebook running
            return _report(False, f"at {point}: {type(err).__name__}: {err}")
    what = "values right and gradients match" if expected is not None else "gradients match"
    return _report(True, f"{what} central differences at {len(points)} point(s)")


def _number(x: object) -> float:
    return x.data if isinstance(x, Value) else float(x)


def _same(got: object, want: object) -> bool:
    return math.isclose(_number(got), _number(want), rel_tol=1e-9, abs_tol=1e-9)


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
        if not _same(got, expected(x)):
            return _report(False, f"at x = {x} you get {_number(got)!r}, expected {expected(x)!r}")
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
