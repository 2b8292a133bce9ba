"""One trace of a compiled function: its tape, its guards, and where a replay reads each leaf.

A ``Trace`` is made from one eager run of ``fn``.  ``run(numbers)`` replays it for a call's
argument numbers: it reads the leaves (parameters from their Values, arguments from the
call), runs the tape forward, checks the guards, runs it backward, and adds each leaf's
gradient into ``.grad`` as ``backward()`` would.  It returns None, having changed nothing,
when the replay cannot stand for the eager run (a guard fails, an op leaves its domain).
"""

from __future__ import annotations

from collections import deque
from itertools import repeat
from operator import attrgetter

from ..value import Value
from .guards import Guard, first_failing, guards_from_reads, read_nodes
from .tape import Tape

__all__ = ["Trace"]

_data, _grad = attrgetter("data"), attrgetter("grad")


class Trace:
    """The replayable form of one eager run.

    ``int_guards`` pairs argument slots with the int value a plain-int use saw; ``guards`` are
    the reads of graph numbers (see ``engine.compile.guards``).
    """

    def __init__(self, root: Value, extras: list[Value], reads: list, inputs: dict, numbers: list, int_guards: dict,
                 shape: str | None = None):
        self.shape = shape  # fn returned the loss alone (None), or with one extra Value or several
        tape = Tape(root, read_nodes(reads), extras, inputs)
        self.tape = tape
        nodes = tape.nodes
        self._traced = [node.data for node in nodes]  # the eager run's values, for its backward
        self.guards: list[Guard] = guards_from_reads(reads, tape.index, self._traced)
        # A copy: a traced int that fn kept and uses after the trace does not change this graph.
        self.int_guards = tuple(int_guards.items())
        self.size = tape.size
        # Leaves: an argument's number comes from the call (a slot), any other leaf's from its Value.
        self._leaves = tape.value_leaves
        self._grad_leaves = tape.value_leaves[: tape.n_grad_values]
        self._from_call = [(i, inputs[nodes[i]]) for i in tape.input_leaves]
        # Value arguments behind the root get grads too; the Values made for float/int arguments do not.
        behind = set(tape.grad_leaves)
        self._grads_from_call = [(i, s) for i, s in self._from_call if i in behind and isinstance(numbers[s], Value)]
        del tape.nodes, tape.index  # the eager graph is not kept alive: only its leaves are

    def __repr__(self) -> str:
        ints = ", ".join(f"arg {slot} == {value}" for slot, value in self.int_guards)
        return f"Trace({self.size} nodes, {len(self.guards)} guard(s) on graph numbers, int guards: {ints or 'none'})"

    def run(self, numbers: list, gradient: float = 1.0, record: bool = False):
        """Replay for this call's numbers: ``(root value, extras' values, written)``, or None.

        None (nothing changed) when an int guard or a guard on a read fails, or an op fails.
        With ``record``, ``written`` lists the leaves whose grads the replay set, with their
        grads before (check mode compares them).
        """
        for slot, value in self.int_guards:
            if numbers[slot] != value:
                return None
        V = [0.0] * self.size
        V[: len(self._leaves)] = map(_data, self._leaves)
        for i, slot in self._from_call:
            x = numbers[slot]
            V[i] = x.data if isinstance(x, Value) else float(x)
        try:
            self.tape.forward(V)
            if first_failing(self.guards, V) is not None:
                return None
            return self.finish(V, numbers, gradient, record)
        except Exception:  # noqa: BLE001 - any failure: the eager run raises the engine's own error
            return None

    def traced_values(self) -> list[float]:
        """The eager run's value of every node (once: the trace then forgets them)."""
        values, self._traced = self._traced, None
        return values

    def finish(self, V: list[float], numbers: list, gradient: float = 1.0, record: bool = False):
        """The backward half, from the forward values ``V``: grads added into the leaves.

        The first call of a trace comes here directly, with the eager run's own values.
        """
        tape = self.tape
        G = [0.0] * self.size
        grad_leaves = self._grad_leaves
        n = len(grad_leaves)
        G[:n] = map(_grad, grad_leaves)  # leaves accumulate: start from their grads
        arguments = [(i, numbers[slot]) for i, slot in self._grads_from_call]
        for i, leaf in arguments:
            G[i] = leaf.grad
        written = []
        if record:
            written = [(leaf, G[i]) for i, leaf in enumerate(grad_leaves)] + [(x, G[i]) for i, x in arguments]
        G[tape.root] = gradient
        tape.backward(V, G)
        deque(map(setattr, grad_leaves, repeat("grad"), G[:n]), maxlen=0)
        for i, leaf in arguments:
            leaf.grad = G[i]
        return V[tape.root], [V[i] for i in tape.extras], written
