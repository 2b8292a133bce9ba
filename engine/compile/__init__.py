"""engine.compile: trace a function of Values once per shape of its arguments, then replay it.

Training evaluates the same graph shape at every step; only the numbers change.
``step = compile(fn)`` runs ``fn`` eagerly the first time, and keeps its graph as a *tape*
(``engine.compile.tape``): each node's op and the positions of its inputs.  Later calls
with arguments of the same shape replay the tape on the new numbers, forward then
backward, with the op table's own rules, so the loss and every leaf's ``.grad`` equal what
``fn(*args).backward()`` gives, bit for bit; no Value is built.  NB: the idea of
``torch.compile`` / ``jax.jit``, without leaving Python.

Arguments are the data: numbers, Values and nested lists/tuples of them (a float or a
Value argument is an input of the graph; an int is data too, see ``engine.take``).
Whatever ``fn`` reads out of the graph as a plain number becomes a guard; a guard that
fails, or a new shape, means a new trace (kept in a bounded cache).  docs/compile.md
tells the rules, with the wrong and the right way.

>>> from engine import Value, compile
>>> w = Value(2.0, label='w')
>>> step = compile(lambda x: (w * x).relu())
>>> step(3.0)          # the first call traces: fn runs eagerly, backward() too
6.0
>>> w.grad
3.0
>>> w.grad = 0.0
>>> step(5.0), w.grad  # a replay: new data, no new graph
(10.0, 5.0)
>>> step.stats()
CompileStats(traces=1, hits=1, guard_failures=0, evictions=0, cached=1, guards=0)
"""

from __future__ import annotations

import random
import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import NamedTuple

from ..value import Value, is_anomaly_enabled, is_grad_enabled, node_name, record_reads, topological_order
from .arguments import TracedFloat, TracedInt, rebuild, shape_and_numbers
from .guards import same
from .trace import Trace

__all__ = ["compile", "CompiledFunction", "CompileCheckError", "CompileStats", "TracedInt", "DEFAULT_CACHE_SIZE"]

DEFAULT_CACHE_SIZE = 64  # traces kept per compiled function; the least recently used goes first


class CompileCheckError(AssertionError):
    """``compile(fn, check=True)`` found a replay that differs from the eager run of ``fn``."""


class CompileStats(NamedTuple):
    """What a compiled function did so far (``step.stats()``).

    traces: eager runs recorded as tapes; hits: calls answered by a replay; guard_failures:
    replays refused because a guard no longer held (each followed by a new trace or another
    cached one); evictions: traces dropped from the full cache; cached: traces kept now;
    guards: the guards those traces check on every replay.
    """

    traces: int
    hits: int
    guard_failures: int
    evictions: int
    cached: int
    guards: int


def compile(fn: Callable, *, check: bool = False, cache_size: int = DEFAULT_CACHE_SIZE) -> CompiledFunction:  # noqa: A001
    """Return ``fn`` compiled: ``step(*args, **kwargs)`` gives fn's loss as a float and fills the grads.

    ``fn`` returns the Value to differentiate, or ``(loss, extras)`` where extras is a Value or
    a list of Values whose numbers you also want back.  ``check=True`` runs ``fn`` eagerly
    as well on every call and raises ``CompileCheckError`` at the first difference: use it
    to prove a compiled training loop right, then turn it off.  ``cache_size`` bounds the
    number of traces kept (one per shape of the arguments and outcome of the guards).

    >>> from engine import Value, compile
    >>> x = Value(0.5)
    >>> f = compile(lambda: x * x + 1)
    >>> f(), x.grad
    (1.25, 1.0)
    """
    if not callable(fn):
        raise TypeError(f"compile: expected a function returning a Value, got {type(fn).__name__} {fn!r}")
    if isinstance(cache_size, bool) or not isinstance(cache_size, int) or cache_size < 1:
        raise ValueError(f"compile: cache_size must be an int >= 1, got {cache_size!r}")
    return CompiledFunction(fn, check=bool(check), cache_size=cache_size)


class CompiledFunction:
    """A function of Values with its traces: call it like ``fn`` (see ``compile``).

    Safe to call from several threads: each trace records only its own thread's reads, and
    the cache is shared under a lock.  (Leaf grads are shared, as in eager mode.)
    """

    def __init__(self, fn: Callable, *, check: bool = False, cache_size: int = DEFAULT_CACHE_SIZE):
        self.fn = fn
        self.check = check
        self.cache_size = cache_size
        self._traces: OrderedDict[int, tuple[tuple, Trace]] = OrderedDict()  # id(trace) -> (key, trace), LRU
        self._by_key: dict[tuple, list[Trace]] = {}
        self._lock = threading.Lock()
        self._counts = {"traces": 0, "hits": 0, "guard_failures": 0, "evictions": 0}

    def __repr__(self) -> str:
        name = getattr(self.fn, "__qualname__", type(self.fn).__name__)
        return f"<compiled {name}: {self.stats()}>"

    @property
    def traces(self) -> list[Trace]:
        """The traces kept now, least recently used first."""
        with self._lock:
            return [trace for _, trace in self._traces.values()]

    def stats(self) -> CompileStats:
        """Counts of traces, replays (hits), failed guards and evictions, and what the cache holds."""
        with self._lock:
            guards = sum(len(t.guards) + len(t.int_guards) for _, t in self._traces.values())
            return CompileStats(cached=len(self._traces), guards=guards, **self._counts)

    def __call__(self, *args, **kwargs):
        if is_anomaly_enabled():  # detect_anomaly() checks every node: give it nodes
            return _eager(self.fn, args, kwargs)[0]
        if not is_grad_enabled():  # eager: fn builds no graph, so its backward() adds no grad
            return _no_grad(self.fn(*args, **kwargs))
        key, numbers = shape_and_numbers(args, kwargs)
        if self.check:
            return self._checked(key, numbers, args, kwargs)
        return self._call(key, numbers, args, kwargs)[0]

    # --- replay, or trace -----------------------------------------------------------------

    def _call(self, key: tuple, numbers: list, args: tuple, kwargs: dict, record: bool = False):
        with self._lock:
            candidates = list(self._by_key.get(key, ()))
        for trace in reversed(candidates):  # the newest first
            replayed = trace.run(numbers, record=record)
            if replayed is not None:
                self._count_hit(trace)
                value, extras, written = replayed
                return self._shaped(trace, value, extras), written
            self._count("guard_failures")  # a guard (on an int or a read) does not hold
        return self._trace(key, numbers, args, kwargs), []

    def _trace(self, key: tuple, numbers: list, args: tuple, kwargs: dict):
        int_uses: dict[int, int] = {}
        inputs: dict[Value, int] = {}

        proxies: dict[int, Value] = {}
        # Read before record_reads(): reading an argument's number is not fn reading the graph.
        starts = [x.data if isinstance(x, Value) else None for x in numbers]
        def graph_input(slot: int, original: object):
            x = numbers[slot]
            if isinstance(x, Value):  # a stand-in leaf, so a closure's use of the same Value stays apart
                proxy = proxies.get(id(x))
                if proxy is None:
                    proxy = proxies[id(x)] = Value(starts[slot], label=x.label)
                    inputs[proxy] = slot
                return proxy
            leaf = Value(float(x)) if type(x) is int else TracedFloat(x, reads)
            inputs[leaf] = slot
            return TracedInt(x, leaf, slot, int_uses) if type(x) is int else leaf

        drawn_before = random.getstate()
        with record_reads() as reads:
            call_args, call_kwargs = rebuild(args, kwargs, graph_input)
            returned = self.fn(*call_args, **call_kwargs)
        root, extras, shape = _split_outputs(returned)
        trace = Trace(root, extras, reads, inputs, numbers, int_uses, shape)
        if trace.reaches_arguments(numbers):
            # A Value argument fn also reaches another way (a parameter passed in): eager
            # accumulates both uses into one grad, a replay cannot tell them apart; run eagerly.
            return _eager(self.fn, args, kwargs)[0]
        # The eager run's backward, done by the new tape on the eager run's own values.
        try:
            value, extra_values, _ = trace.finish(trace.traced_values(), numbers)
        except Exception:
            root.backward()  # a rule that fails: backward() raises the engine's own error
            raise
        # fn drew from the random module: the next call draws other numbers, so this graph
        # (its mask, its noise) is not the next call's; this eager result is kept, the trace not.
        if random.getstate() == drawn_before:
            self._store(key, trace)
        return self._shaped(trace, value, extra_values)

    def _store(self, key: tuple, trace: Trace) -> None:
        with self._lock:
            self._counts["traces"] += 1
            self._traces[id(trace)] = (key, trace)
            self._by_key.setdefault(key, []).append(trace)
            while len(self._traces) > self.cache_size:
                _, (old_key, old) = self._traces.popitem(last=False)
                self._by_key[old_key].remove(old)
                if not self._by_key[old_key]:
                    del self._by_key[old_key]
                self._counts["evictions"] += 1

    def _count_hit(self, trace: Trace) -> None:
        with self._lock:
            self._counts["hits"] += 1
            if id(trace) in self._traces:
                self._traces.move_to_end(id(trace))

    def _count(self, name: str) -> None:
        with self._lock:
            self._counts[name] += 1

    @staticmethod
    def _shaped(trace: Trace, value: float, extras: list[float]):
        if trace.shape is None:
            return value
        return value, extras[0] if trace.shape == "one" else tuple(extras)

    # --- check mode -------------------------------------------------------------------------

    def _checked(self, key: tuple, numbers: list, args: tuple, kwargs: dict):
        """Run fn eagerly (grads put back), then compiled; raise at the first number that differs.

        Compared: the loss and extras; the grad of every leaf both runs reach; and no leaf
        may get a grad from the replay that the eager graph does not reach (an old batch's
        Values, say).  The eager run's own new constants have no counterpart and are skipped.
        """
        expected, leaves, eager_grads = _eager(self.fn, args, kwargs, restore=True)
        got, written = self._call(key, numbers, args, kwargs, record=True)
        _compare("the value", got if isinstance(got, tuple) else (got,),
                 expected if isinstance(expected, tuple) else (expected,))
        replayed = {leaf for leaf, _ in written}
        for leaf, grad in zip(leaves, eager_grads):
            if leaf in replayed and not same(leaf.grad, grad):
                _differ(f"the grad of leaf {node_name(leaf)}", leaf.grad, grad)
        eager_set = set(leaves)
        for leaf, before in written:
            if leaf not in eager_set and not same(leaf.grad, before):
                _differ(f"the grad of leaf {node_name(leaf)} (which the eager graph does not reach)", leaf.grad, before)
        return got


def _split_outputs(returned: object) -> tuple[Value, list[Value], str | None]:
    """fn's result as (loss, extras, shape of the extras: None, 'one' or 'many')."""
    shape = None
    extras: list = []
    root = returned
    if isinstance(returned, tuple) and len(returned) == 2:
        root, extra = returned
        shape, extras = ("one", [extra]) if isinstance(extra, Value) else ("many", list(extra))
        bad = [e for e in extras if not isinstance(e, Value)]
        if bad:
            raise TypeError(f"compile: extras must be Values, got {type(bad[0]).__name__} {bad[0]!r}")
    if not isinstance(root, Value):
        raise TypeError(
            f"compile: fn must return a Value (or a tuple (loss, extras)), got {type(root).__name__} {root!r}"
        )
    if root.is_leaf:
        raise ValueError(
            f"compile: fn returned a leaf {root!r}, which has no graph to compile (was it computed inside no_grad()?)"
        )
    return root, extras, shape


def _no_grad(returned: object):
    """fn's numbers under ``no_grad()``: what eager mode gives (no graph, so no leaf gets a grad)."""
    if isinstance(returned, tuple) and len(returned) == 2:
        loss, extra = returned
        extras = extra.data if isinstance(extra, Value) else tuple(e.data for e in extra)
        return _no_grad(loss), extras
    if not isinstance(returned, Value):
        raise TypeError(f"compile: fn must return a Value (or a tuple (loss, extras)), got {returned!r}")
    return returned.data


def _eager(fn: Callable, args: tuple, kwargs: dict, restore: bool = False):
    """``fn(*args).backward()`` as eager mode runs it: (result, leaves, their grads).

    With ``restore``, the leaves' grads are put back as they were (check mode replays next).
    """
    root, extras, shape = _split_outputs(fn(*args, **kwargs))
    leaves = [node for node in topological_order(root) if node.is_leaf] if restore else []
    before = [leaf.grad for leaf in leaves]
    root.backward()
    grads = [leaf.grad for leaf in leaves]
    for leaf, grad in zip(leaves, before):
        leaf.grad = grad
    values = [e.data for e in extras]
    result = root.data if shape is None else (root.data, values[0] if shape == "one" else tuple(values))
    return result, leaves, grads


def _compare(what: str, got: tuple, expected: tuple) -> None:
    flat_got, flat_expected = _flatten(got), _flatten(expected)
    for i, (a, b) in enumerate(zip(flat_got, flat_expected)):
        if not same(a, b):
            _differ(f"{what} (output {i})", a, b)


def _flatten(x) -> list:
    out = []
    for item in x:
        out.extend(_flatten(item) if isinstance(item, tuple) else [item])
    return out


def _differ(what: str, replayed: object, eager: object) -> None:
    raise CompileCheckError(
        f"compile(check=True): {what} is {replayed!r} in the compiled call but {eager!r} when fn runs eagerly. "
        "Something fn depends on is frozen in the trace: a number or list captured by a closure that has "
        "changed (pass it as an argument), or a number computed under no_grad() (see docs/compile.md)"
    )
