"""TEMPORARY: the core's tracing hooks, until branch core lands them (then this file goes)."""

from contextlib import contextmanager
from typing import NamedTuple

from .. import value as _value


class Read(NamedTuple):
    kind: str
    node: object
    result: object
    detail: object


@contextmanager
def record_reads():
    previous = _value._comparisons
    _value._comparisons = raw = []
    reads = []
    try:
        yield reads
    finally:
        _value._comparisons = previous
        for symbol, a, other, outcome in raw:
            reads.append(Read("compare", a, outcome, (symbol, other)))


def node_name(v) -> str:
    return repr(v.label) if v.label else f"{v.data!r}"


def is_anomaly_enabled() -> bool:
    return _value._detect_anomaly
