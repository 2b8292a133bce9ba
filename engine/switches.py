"""The core's switches, each belonging to the thread that sets it, and Python's number protocol.

``no_grad()`` stops graph recording, ``detect_anomaly()`` turns NaN/inf checks on, and
``record_reads()`` lets a tool (``engine.compile``) see every number Python code reads out
of a Value: ``float(v)``, ``round(v)``, ``v < 0``, ... (``NumberProtocol``, which ``Value``
inherits).  All three are context managers that nest and affect only their own thread.
Use them through ``engine`` or ``engine.value``.
"""

from __future__ import annotations

import math
import numbers
import operator
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import NamedTuple

__all__ = [
    "no_grad",
    "enable_grad",
    "is_grad_enabled",
    "detect_anomaly",
    "is_anomaly_enabled",
    "record_reads",
    "Read",
    "AnomalyError",
    "NumberProtocol",
]


class _Switches(threading.local):
    # threading.local runs __init__ once in each thread that uses it.  (Instance attributes,
    # not class defaults: reading a class default through threading.local is 2x slower.)
    def __init__(self) -> None:
        self.grad_enabled = True  # no_grad() turns graph recording off
        self.anomaly = False  # detect_anomaly() turns NaN/inf checks on
        self.recorders: tuple[list, ...] = ()  # the lists of the open record_reads() blocks


_here = _Switches()
# How many blocks of each switch are open, in all threads.  While a count is 0, every
# thread has that switch's default, so the hot paths test this number first and read the
# thread's own switch only when it is not 0.
_open_blocks = {"grad_enabled": 0, "anomaly": 0, "recorders": 0}
_open_blocks_lock = threading.Lock()


@contextmanager
def _switch(name: str, value: object) -> Iterator[None]:
    previous = getattr(_here, name)
    with _open_blocks_lock:
        _open_blocks[name] += 1
    setattr(_here, name, value)
    try:
        yield
    finally:
        setattr(_here, name, previous)
        with _open_blocks_lock:
            _open_blocks[name] -= 1


def no_grad():
    """Compute values without recording a graph, in this thread: for evaluation.

    NB: torch.no_grad().  Values made inside are leaves.  Other threads are not affected.

    >>> from engine import Value
    >>> with no_grad():
    ...     y = Value(2.0) * 3
    >>> y.is_leaf
    True
    """
    return _switch("grad_enabled", False)


def enable_grad():
    """Record graphs again inside a ``no_grad()`` block (NB: torch.enable_grad()).

    >>> with no_grad(), enable_grad():
    ...     is_grad_enabled()
    True
    """
    return _switch("grad_enabled", True)


def is_grad_enabled() -> bool:
    """False inside ``no_grad()`` in this thread."""
    return not _open_blocks["grad_enabled"] or _here.grad_enabled


def detect_anomaly():
    """Raise ``AnomalyError`` at the first node whose value or gradient is NaN or inf (this thread).

    NB: torch.autograd.detect_anomaly().  It costs a check per node, so it is off by default.

    >>> from engine import Value
    >>> x = Value(float('inf'), label='x')
    >>> with detect_anomaly():
    ...     y = x * 0
    Traceback (most recent call last):
    ...
    engine.switches.AnomalyError: detect_anomaly: mul produced nan from inf * 0.0 (nodes 'x', '0.0')
    """
    return _switch("anomaly", True)


def is_anomaly_enabled() -> bool:
    """True inside ``detect_anomaly()`` in this thread."""
    return bool(_open_blocks["anomaly"]) and _here.anomaly


class AnomalyError(ValueError):
    """Raised inside ``detect_anomaly()`` at the first node whose value or grad is NaN or inf."""


class Read(NamedTuple):
    """One number that Python code read out of a Value inside ``record_reads()``.

    kind: "data", "item", "float", "int", "bool", "round", "floor", "ceil", "trunc",
    "format" or "compare"; result: what the read returned; detail: ``(symbol, other)``
    for a comparison, else None.
    """

    kind: str
    node: object  # the Value that was read
    result: object
    detail: object = None


@contextmanager
def record_reads() -> Iterator[list[Read]]:
    """Collect, in a list, every number this thread's code reads out of a Value: a hook for tools.

    ``engine.compile`` uses it to see which numbers a traced function looked at.  Blocks
    nest: a read is added to the list of every open block.  The engine's own code never
    shows up here.

    >>> from engine import Value
    >>> x = Value(2.0)
    >>> with record_reads() as reads:
    ...     big = x > 1.5
    >>> [(r.kind, r.result, r.detail) for r in reads]
    [('compare', True, ('>', 1.5))]
    """
    reads: list[Read] = []
    with _switch("recorders", (*_here.recorders, reads)):
        yield reads


def _note(kind: str, node: object, result: object, detail: object = None) -> None:
    for reads in _here.recorders:
        reads.append(Read(kind, node, result, detail))


# --- the number protocol: what a Value gives where Python wants a number -----------------


class NumberProtocol:
    """float(v), int(v), round(v[, n]), math.floor/ceil/trunc(v), format(v, spec), bool(v), v < w.

    Each works on the node's number and is reported to ``record_reads()``.  ``bool(v)`` is
    ``v.data != 0``.  ``==`` is not here on purpose: it stays identity (see ``Value``).
    """

    __slots__ = ()
    _data: float

    def _read(self, kind: str, result: object) -> object:
        if _open_blocks["recorders"]:
            _note(kind, self, result)
        return result

    def item(self) -> float:
        """The value as a plain float, as in PyTorch."""
        return self._read("item", self._data)

    def __float__(self) -> float:
        return self._read("float", self._data)

    def __int__(self) -> int:
        return self._read("int", int(self._data))

    def __bool__(self) -> bool:
        return self._read("bool", self._data != 0.0)

    def __round__(self, ndigits: int | None = None) -> float | int:
        return self._read("round", round(self._data) if ndigits is None else round(self._data, ndigits))

    def __floor__(self) -> int:
        return self._read("floor", math.floor(self._data))

    def __ceil__(self) -> int:
        return self._read("ceil", math.ceil(self._data))

    def __trunc__(self) -> int:
        return self._read("trunc", math.trunc(self._data))

    def __format__(self, spec: str) -> str:
        # An empty spec (f"{v}") prints the Value itself, as print(v) does.
        return self._read("format", format(self._data, spec)) if spec else str(self)

    def __lt__(self, other: object) -> bool:
        return _compare("<", self, other)

    def __le__(self, other: object) -> bool:
        return _compare("<=", self, other)

    def __gt__(self, other: object) -> bool:
        return _compare(">", self, other)

    def __ge__(self, other: object) -> bool:
        return _compare(">=", self, other)


_COMPARE = {"<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge}


def _compare(symbol: str, a: NumberProtocol, other: object) -> bool:
    """``a < other`` and friends on the numbers; a plain number is recorded as a float."""
    if isinstance(other, NumberProtocol):
        other_data = other._data
    elif isinstance(other, numbers.Real) and not isinstance(other, bool):
        other_data = other
    else:
        return NotImplemented
    outcome = _COMPARE[symbol](a._data, other_data)
    if _open_blocks["recorders"]:
        _note("compare", a, outcome, (symbol, other if isinstance(other, NumberProtocol) else _as_real(other)))
    return outcome


def _as_real(x: numbers.Real) -> float:
    try:
        return float(x)
    except OverflowError:  # an int beyond float range compares like an infinity
        return math.copysign(math.inf, x)
