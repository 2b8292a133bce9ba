"""Functions that make one node from many Values (sum, dot, take, max), and your own ops.

Each is one row of the op table applied with ``apply`` (see ``value.py``): ``engine.sum``
of a thousand Values is one node with a thousand inputs, not a chain of ``+``.
``register_op`` adds a row to the table; ``scoped_op`` adds one for a single block.

>>> import engine
>>> engine.sum([Value(1.0), 2.0]).data
3.0
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from itertools import repeat

from .backward import as_float, shown
from .ops import OPS, Op
from .value import Value, _apply, _lift, _node, apply

__all__ = ["sum", "dot", "take", "max", "register_op", "scoped_op", "CustomOp"]


def sum(values: Iterable[Value | float]) -> Value:  # noqa: A001 - engine.sum, like torch.sum
    """One node adding many Values (one graph node instead of a chain of ``+``).

    >>> import engine
    >>> engine.sum([Value(1.0), Value(2.0), 3])
    Value(data=6.0, grad=0.0)
    """
    return _apply(_SUM, _lift_all(values, "sum"))


def dot(ws: Iterable[Value | float], xs: Iterable[Value | float]) -> Value:
    """One node computing w_1*x_1 + ... + w_n*x_n: the weighted sum inside a neuron.

    >>> import engine
    >>> engine.dot([Value(1.0), Value(2.0)], [3.0, 4.0])
    Value(data=11.0, grad=0.0)
    """
    ws = _lift_all(ws, "dot", "weights")
    xs = _lift_all(xs, "dot", "inputs")
    if len(ws) != len(xs):
        raise ValueError(f"dot: needs as many weights as inputs, got {len(ws)} weights and {len(xs)} inputs")
    return _apply(_DOT, ws + xs)


def take(values: Iterable[Value | float], index: int | Value) -> Value:
    """One node picking ``values[index]``; the gradient flows to the picked value only.

    ``index`` is an int, or a Value holding an integer (then the index is part of the graph,
    so ``engine.compile`` replays it with new indices).  An int carrying a ``graph_input``
    Value (as compile's traced ints do) uses that Value.

    >>> import engine
    >>> xs = [Value(1.0), Value(5.0), Value(3.0)]
    >>> y = engine.take(xs, 1); y.backward(); y.data, [x.grad for x in xs]
    (5.0, [0.0, 1.0, 0.0])
    """
    values = _lift_all(values, "take")
    graph_input = getattr(index, "graph_input", None) if isinstance(index, int) else None
    if isinstance(graph_input, Value):
        index = graph_input
    elif isinstance(index, bool) or not isinstance(index, (int, Value)):
        raise TypeError(f"take: index must be an int or a Value holding one, got {shown(index)}")
    elif not isinstance(index, Value):
        index = _node(as_float(index, "take: index"), (), None)
    return _apply(_TAKE, (*values, index))


def max(values: Iterable[Value | float]) -> Value:  # noqa: A001 - engine.max, like torch.max
    """One node holding the largest of ``values``; the gradient goes to the first largest.

    >>> import engine
    >>> engine.max([Value(1.0), Value(4.0), 2.0])
    Value(data=4.0, grad=0.0)
    """
    return _apply(_MAX, _lift_all(values, "max"))


_SUM, _DOT, _TAKE, _MAX = OPS["sum"], OPS["dot"], OPS["take"], OPS["max"]


def _lift_all(values: Iterable[Value | float], where: str, what: str = "values") -> tuple[Value, ...]:
    """The values as a non-empty tuple of Values, plain numbers lifted to constants."""
    if type(values) is not list and type(values) is not tuple:  # lists and tuples: no slow ABC check
        if isinstance(values, (str, bytes, bytearray, Value)) or not isinstance(values, Iterable):
            raise TypeError(f"{where}: {what} must be a list or tuple of Values or numbers, got {shown(values)}")
    values = tuple(values)
    if not values:
        raise ValueError(f"{where}: needs at least one of its {what}, got an empty sequence")
    if all(map(isinstance, values, repeat(Value))):  # the common case, tested without a Python loop
        return values
    lifted = tuple(_lift(v, where) for v in values)
    if None in lifted:
        bad = values[lifted.index(None)]
        raise TypeError(f"{where}: {what} must be Values or real numbers, got {shown(bad)}")
    return lifted


# --- your own ops ------------------------------------------------------------------------


class CustomOp(Op):
    """An op added with ``register_op``: a row of the table you can call on Values and numbers."""

    __slots__ = ()

    def __call__(self, *inputs: Value | float) -> Value:
        return apply(self, *_lift_all(inputs, self.name, "inputs"))


def register_op(
    name: str,
    forward: Callable[..., float],
    derivatives: Callable[..., tuple],
    symbol: str | None = None,
    *,
    arity: int | None = 1,
    check: Callable[..., str | None] | None = None,
    kinks: tuple[float, ...] = (),
    note: str = "",
) -> CustomOp:
    """Add an op to the table and return it, as a function of Values (see ``scoped_op`` for tests).

    Graphs keep the op they were made with: deleting or re-registering the name later
    changes no existing graph.

    >>> cube = register_op("cube", lambda a: a ** 3, lambda out, a: (3 * a * a,), note="3a^2")
    >>> x = Value(2.0); y = cube(x); y.backward(); y.data, x.grad
    (8.0, 12.0)
    >>> del OPS["cube"]
    """
    op = CustomOp(name, forward, derivatives, name if symbol is None else symbol, arity, check, kinks, note)
    if name in OPS:
        raise ValueError(f"register_op: an op named {name!r} already exists (use another name, or scoped_op)")
    OPS[name] = op
    return op


@contextmanager
def scoped_op(
    name: str, forward: Callable, derivatives: Callable, symbol: str | None = None, **options
) -> Iterator[CustomOp]:
    """``register_op`` for one block only: the op leaves the table at the end (for a test).

    >>> with scoped_op("twice", lambda a: 2 * a, lambda out, a: (2.0,)) as twice:
    ...     twice(Value(3.0)).data
    6.0
    >>> "twice" in OPS
    False
    """
    op = register_op(name, forward, derivatives, symbol, **options)
    try:
        yield op
    finally:
        if OPS.get(name) is op:
            del OPS[name]
