"""Shapes of nested lists: what the layers check their inputs against, and the errors they raise.

A sequence is a list of vectors, ``[time][features]``; an image is ``[channels][height][width]``.
``shape`` measures such a list the way ``tensor.shape`` would, and ``values`` turns it into
Values once (plain numbers become constants), so a layer need not lift the same pixel again
for every filter that reads it.

>>> shape([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
(2, 3)
>>> shape([[1.0, 2.0], [3.0]])
Traceback (most recent call last):
...
ValueError: shape: the list is ragged: item [1] has 1 entries but item [0] has 2
"""

from __future__ import annotations

import numbers
import random
from collections.abc import Sequence

from engine import Value

from .checks import check_real, short
from .init import uniform_

__all__ = ["shape", "values", "expect_shape", "format_shape", "flatten", "parameters"]

Nested = Value | float | Sequence["Nested"]


def _is_scalar(x: object) -> bool:
    return isinstance(x, Value) or (isinstance(x, numbers.Real) and not isinstance(x, bool))


def _is_list(x: object) -> bool:
    return isinstance(x, (list, tuple))


def shape(x: Nested, where: str = "shape") -> tuple[int, ...]:
    """The dimensions of a nested list of Values or numbers; ``()`` for a single one.

    ValueError for a ragged list (rows of different lengths), TypeError for an entry that
    is neither a list, a Value nor a number.

    >>> shape([[[0.0] * 4] * 4])     # one channel of 4x4
    (1, 4, 4)
    >>> shape(Value(1.0))
    ()
    """
    dims = []
    probe = x
    while _is_list(probe):
        dims.append(len(probe))
        if not probe:
            break
        probe = probe[0]
    _check_rectangular(x, tuple(dims), (), where)
    return tuple(dims)


def _check_rectangular(x: object, dims: tuple[int, ...], at: tuple[int, ...], where: str) -> None:
    # An explicit stack, not recursion: a list nested thousands deep gets an answer, not a RecursionError.
    stack = [(x, at)]
    while stack:
        item, at = stack.pop()
        depth = len(at)
        if depth == len(dims):
            if not _is_scalar(item):
                raise TypeError(f"{where}: entry {_index(at)} must be a Value or a number, "
                                f"got {type(item).__name__} {short(item)}")
            continue
        if not _is_list(item):
            raise ValueError(f"{where}: the list is ragged: item {_index(at)} is a single {type(item).__name__}, "
                             f"where item {_index((0,) * depth)} is a list of {dims[depth]}")
        if len(item) != dims[depth]:
            raise ValueError(f"{where}: the list is ragged: item {_index(at)} has {len(item)} entries "
                             f"but item {_index((0,) * depth)} has {dims[depth]}")
        stack.extend((sub, (*at, i)) for i, sub in reversed(list(enumerate(item))))


def _index(at: tuple[int, ...]) -> str:
    return "".join(f"[{i}]" for i in at) or "(the whole input)"


def values(x: Nested, where: str = "values") -> Nested:
    """The same nesting with every plain number made a constant Value (Values are kept as they are).

    A number no float can hold (``10**400``) raises ValueError naming ``where`` and its place.

    >>> values([1.0, Value(2.0)])
    [Value(data=1.0, grad=0.0), Value(data=2.0, grad=0.0)]
    >>> values([[1.0, 10**400]], "Conv1d")
    Traceback (most recent call last):
    ...
    ValueError: Conv1d: input[0][1] is too large to be a float, got an int of 401 digits
    """
    return _lifted(x, where, ())


def _lifted(x: Nested, where: str, at: tuple[int, ...]) -> Nested:
    if isinstance(x, Value):
        return x
    if _is_list(x):
        return [_lifted(item, where, (*at, i)) for i, item in enumerate(x)]
    if type(x) is float:  # the common case, without the checks' cost
        return Value(x)
    return Value(check_real(f"{where}: input{''.join(f'[{i}]' for i in at)}", x, finite=False))


def flatten(x: Nested) -> list:
    """Every entry of a nested list, in reading order (last index fastest), as one flat list.

    >>> flatten([[1, 2], [3, 4]])
    [1, 2, 3, 4]
    """
    if not _is_list(x):
        return [x]
    out: list = []
    stack = [iter(x)]
    while stack:
        for item in stack[-1]:
            if _is_list(item):
                stack.append(iter(item))
                break
            out.append(item)
        else:
            stack.pop()
    return out


def parameters(dims: Sequence[int], bound: float, rng: random.Random | None = None) -> list:
    """A nested list of new Values of shape ``dims``, each drawn from U(-bound, bound).

    PyTorch starts Linear, Conv and RNN weights this way, with bound = 1/sqrt(fan_in).

    >>> w = parameters((2, 3), 0.5, random.Random(0))
    >>> shape(w), all(abs(v.data) <= 0.5 for v in flatten(w))
    ((2, 3), True)
    """
    grid = _zeros(tuple(dims))
    uniform_(flatten(grid), -bound, bound, rng=rng)
    return grid


def _zeros(dims: tuple[int, ...]) -> list:
    if len(dims) == 1:
        return [Value(0.0) for _ in range(dims[0])]
    return [_zeros(dims[1:]) for _ in range(dims[0])]


def format_shape(dims: tuple[int, ...]) -> str:
    """A shape as learners see it in the errors: ``(2, 4, 4)``, or ``a single value`` for ``()``.

    >>> format_shape((2, 4, 4)), format_shape(()), format_shape((1,) * 5000)
    ('(2, 4, 4)', 'a single value', '(1, 1, 1, ..., 1) (5000 dimensions)')
    """
    if not dims:
        return "a single value"
    if len(dims) > 8:  # a list nested by mistake thousands deep: its shape in a line
        return "(" + ", ".join(map(str, dims[:3])) + f", ..., {dims[-1]}) ({len(dims)} dimensions)"
    return "(" + ", ".join(map(str, dims)) + (",)" if len(dims) == 1 else ")")


def expect_shape(where: str, x: Nested, expected: Sequence[int | None], names: Sequence[str],
                 minimum: Sequence[int] | None = None) -> tuple[int, ...]:
    """Check ``x`` against a shape and return its dimensions, or raise ValueError saying both.

    ``expected`` gives each dimension's size, None where any size goes; ``names`` name the
    dimensions for the message; ``minimum`` (optional) is the least size of each.

    >>> expect_shape("Conv2d", [[[0.0] * 4] * 4], (1, None, None), ("in_channels", "height", "width"))
    (1, 4, 4)
    >>> expect_shape("Conv2d", [[0.0] * 4] * 4, (1, None, None), ("in_channels", "height", "width"))
    Traceback (most recent call last):
    ...
    ValueError: Conv2d: expected an input of shape (in_channels=1, height, width), got shape (4, 4)
    """
    dims = shape(x, where)
    minimum = minimum or (0,) * len(expected)
    ok = len(dims) == len(expected) and all(
        (e is None or d == e) and d >= m for d, e, m in zip(dims, expected, minimum)
    )
    if not ok:
        parts = []
        for name, e, m in zip(names, expected, minimum):
            parts.append(f"{name}={e}" if e is not None else f"{name}>={m}" if m > 1 else name)
        wanted = "(" + ", ".join(parts) + (",)" if len(parts) == 1 else ")")
        raise ValueError(f"{where}: expected an input of shape {wanted}, got shape {format_shape(dims)}")
    return dims
