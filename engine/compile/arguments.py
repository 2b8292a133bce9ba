"""compile's arguments as data: a cache key for their shape, and graph inputs for their numbers.

``step(*args, **kwargs)`` may take numbers, Values and nested lists/tuples of them.  Their
*shape* (list lengths, which positions hold a Value, an int or a float, anything else by
value) is the cache key; their *numbers* are the inputs a replay reads.  While ``fn`` is
traced, a float becomes a leaf Value and an int becomes a ``TracedInt``.

>>> key, numbers = shape_and_numbers(([1.5, 2], "mean"), {})
>>> numbers
[1.5, 2]
"""

from __future__ import annotations

import numbers as _numbers
import operator
from collections.abc import Callable
from itertools import count

from ..value import Read, Value, node_name

__all__ = ["TracedInt", "TracedFloat", "shape_and_numbers", "rebuild"]


class TracedInt:
    """An int argument while ``fn`` is traced: ``engine.take`` makes it an input of the graph.

    ``engine.take(values, i)`` reads ``i.graph_input`` (a leaf Value holding the int), so the
    index is part of the graph and a replay picks ``values[new i]``.  Every other use of the
    int as a plain Python int (indexing a list, ``range(i)``, ``if i``, ``i + 1``, ``i < n``,
    printing it) records a guard on its value: a replay for another value of ``i`` then
    retraces instead of reusing a graph built for the old one.

    NB: a TracedInt is deliberately *not* a subclass of int: the interpreter indexes a list
    with an int subclass without asking it, so such a use could not be seen.  It answers
    ``isinstance(i, int)`` with True (through ``__class__``) so that argument checks pass.

    >>> from engine import Value
    >>> uses = {}
    >>> i = TracedInt(2, Value(2.0), slot=0, uses=uses)
    >>> ["a", "b", "c"][i], uses      # list indexing: a guard on slot 0 holding 2
    ('c', {0: 2})
    """

    __slots__ = ("_value", "graph_input", "_slot", "_uses")

    def __init__(self, value: int, graph_input: Value, slot: int, uses: dict):
        self._value = value
        self.graph_input = graph_input
        self._slot = slot
        self._uses = uses

    @property
    def __class__(self):  # noqa: D105 - isinstance(i, int) is True, see the class docstring
        return int

    def _plain(self) -> int:
        """The int itself, used as a plain int: record the guard."""
        self._uses[self._slot] = self._value
        return self._value

    def __getattr__(self, name: str):  # .real, .bit_length(), ...: plain-int uses too
        return getattr(self._plain(), name)

    def __repr__(self) -> str:
        return repr(self._plain())


# Every int operation is a plain-int use: it records the guard, then does what int does.
# (One loop instead of thirty three-line methods; each one is `int.<name>(value, *args)`.)
_INT_METHODS = (
    "__index__ __int__ __float__ __bool__ __hash__ __str__ __format__ "
    "__eq__ __ne__ __lt__ __le__ __gt__ __ge__ __neg__ __pos__ __abs__ __invert__ "
    "__round__ __trunc__ __floor__ __ceil__ __add__ __radd__ __sub__ __rsub__ __mul__ __rmul__ "
    "__truediv__ __rtruediv__ __floordiv__ __rfloordiv__ __mod__ __rmod__ __divmod__ __rdivmod__ "
    "__pow__ __rpow__ __lshift__ __rlshift__ __rshift__ __rrshift__ __and__ __rand__ "
    "__or__ __ror__ __xor__ __rxor__"
).split()


def _plain_use(name: str) -> Callable:
    int_method = getattr(int, name)
    # `i + 0.5`: int's own method declines a float, and float's reflected one does not know
    # a TracedInt, so the operator is applied again to the plain int (then float answers).
    reflected = name.startswith("__r") and name[3:-2] in _BINARY
    operator_fn = _BINARY.get(name[3 if reflected else 2 : -2])

    def method(self, *args):
        out = int_method(self._plain(), *args)
        if out is NotImplemented and operator_fn is not None:
            return operator_fn(args[0], self._value) if reflected else operator_fn(self._value, args[0])
        return out

    method.__name__ = name
    return method


_BINARY = {name: getattr(operator, f"__{name}__") for name in
           "add sub mul truediv floordiv mod pow lshift rshift and or xor eq ne lt le gt ge".split()}
_BINARY["divmod"] = divmod


for _name in _INT_METHODS:
    setattr(TracedInt, _name, _plain_use(_name))


class TracedFloat(Value):
    """A float argument while ``fn`` is traced: a leaf of the graph that also compares like the float.

    A Value's ``==`` is identity, but ``fn`` was written for a float: ``if y == 1.0`` must
    take the branch the float takes.  So ``==`` and ``!=`` with a number compare the numbers
    and record the outcome as a guard, like ``<`` does.

    >>> from engine.value import Read
    >>> reads = []
    >>> y = TracedFloat(1.0, reads)
    >>> y == 1.0, y != 1.0, [r.detail for r in reads]
    (True, False, [('==', 1.0), ('!=', 1.0)])
    """

    __slots__ = ("_reads",)

    def __init__(self, number: float, reads: list):
        super().__init__(number)
        self._reads = reads

    def _numeric(self, symbol: str, other: object):
        if isinstance(other, TracedFloat):  # two floats in eager mode (x != x is True for NaN)
            outcome = (self.data == other.data) == (symbol == "==")
        elif isinstance(other, Value):
            return (self is other) == (symbol == "==")
        elif not isinstance(other, _numbers.Real) or isinstance(other, bool):
            return NotImplemented
        else:
            outcome = (self.data == other) == (symbol == "==")
        self._reads.append(Read("compare", self, outcome, (symbol, other)))  # the guard compares the same way
        return outcome

    def __eq__(self, other: object):
        return self._numeric("==", other)

    def __ne__(self, other: object):
        return self._numeric("!=", other)

    __hash__ = Value.__hash__  # identity, as for every Value: the graph's dicts rely on it


# --- the shape of the arguments, and their numbers -----------------------------------------


def shape_and_numbers(args: tuple, kwargs: dict) -> tuple[tuple, list]:
    """The cache key of a call's arguments, and their numbers in order (floats, ints, Values).

    Lists and tuples add their length to the key; a Value adds which earlier Value argument
    it is (the same object passed twice is one graph input); a float or int adds its kind
    only, so new numbers reuse a trace; anything else (a string, None, a module) is part of
    the key by value, and must be hashable.
    """
    key: list = []
    found: list = []
    values: dict[int, int] = {}
    key.append(len(args))
    for i, arg in enumerate(args):
        _walk(arg, key, found, values, str(i))
    if kwargs:
        for name in sorted(kwargs):
            key.append(name)
            _walk(kwargs[name], key, found, values, name)
    return tuple(key), found


def _walk(x: object, key: list, found: list, values: dict, where: str) -> None:
    kind = type(x)
    if kind is float or kind is int:
        key.append(kind)
        found.append(x)
    elif kind is list or kind is tuple:
        key.append((kind, len(x)))
        for i, item in enumerate(x):
            _walk(item, key, found, values, f"{where}[{i}]")
    elif isinstance(x, Value):
        _walk_value(x, key, found, values, where)
    elif isinstance(x, _numbers.Real) and not isinstance(x, bool):
        key.append(float if not isinstance(x, _numbers.Integral) else int)
        found.append(float(x) if not isinstance(x, _numbers.Integral) else int(x))
    else:
        try:
            hash(x)
        except TypeError:
            raise TypeError(
                f"compile: argument {where} is a {type(x).__name__}; arguments must be numbers, Values, "
                "lists or tuples of them, or hashable constants (strings, None, modules)"
            ) from None
        key.append(("constant", type(x), x))


def _walk_value(x: Value, key: list, found: list, values: dict, where: str) -> None:
    if not x.is_leaf:
        raise ValueError(
            f"compile: argument {where} holds a computed Value (node {node_name(x)!r}, {x!r}); pass leaves (inputs, "
            "parameters) or numbers, and compute inside the compiled function"
        )
    first = values.setdefault(id(x), len(found))
    key.append(("Value", first))
    found.append(x)


def rebuild(args: tuple, kwargs: dict, make: Callable[[int, object], object]) -> tuple[tuple, dict]:
    """The arguments with each number replaced by ``make(slot, number)`` (in ``shape_and_numbers``' order)."""
    counter = count()

    def swap(x):
        kind = type(x)
        if kind is list or kind is tuple:
            return kind(swap(item) for item in x)
        if isinstance(x, Value) or (isinstance(x, _numbers.Real) and not isinstance(x, bool)):
            return make(next(counter), x)
        return x

    new_args = swap(args)
    new_kwargs = {name: swap(kwargs[name]) for name in sorted(kwargs)}
    return new_args, new_kwargs
