"""One trace of a compiled function: its tape, its guards, and where a replay reads each leaf.

A ``Trace`` is made from one eager run of ``fn``.  ``run(numbers)`` replays it for a call's
argument numbers: it reads the leaves (parameters from their Values, arguments from the
call), runs the tape forward, checks the guards, runs it backward, and adds each leaf's
gradient into ``.grad`` as ``backward()`` would.  It returns None, having changed nothing,
when the replay cannot stand for the eager run (a guard fails, an op leaves its domain).
"""

from __future__ import annotations

from ..value import Value
from .guards import Guard, first_failing, guards_from_reads, read_nodes
from .tape import Tape

__all__ = ["Trace"]


class Trace:
    """The replayable form of one eager run.

    ``int_guards`` maps argument slots to the int value a plain-int use saw; ``guards`` are
    the reads of graph numbers (see ``engine.compile.guards``).
    """

    def __init__(self, root: Value, extras: list[Value], reads: list, inputs: dict, numbers: list, int_guards: dict):
        tape = Tape(root, read_nodes(reads), extras)
        self.tape = tape
        self.guards: list[Guard] = guards_from_reads(reads, tape.index)
        self.int_guards = int_guards  # filled while fn ran; a dict, read on each replay
        self.size = len(tape.nodes)
        nodes = tape.nodes
        # Leaves: an argument's number comes from the call, any other leaf's from its Value.
        self._from_call = [(i, inputs[nodes[i]]) for i in tape.leaves if nodes[i] in inputs]
        self._from_values = [(i, nodes[i]) for i in tape.leaves if nodes[i] not in inputs]
        grad_leaves = set(tape.grad_leaves)
        # Value arguments and closure leaves behind the root get grads; float/int inputs do not.
        self._grads_from_call = [
            (i, slot) for i, slot in self._from_call if i in grad_leaves and isinstance(numbers[slot], Value)
        ]
        self._grads_from_values = [(i, leaf) for i, leaf in self._from_values if i in grad_leaves]
        self._grad_positions = [i for i, _ in self._grads_from_values] + [i for i, _ in self._grads_from_call]
        del tape.nodes, tape.index  # the eager graph is not kept alive: only its leaves are

    def __repr__(self) -> str:
        ints = ", ".join(f"arg {slot} == {value}" for slot, value in self.int_guards.items())
        return f"Trace({self.size} nodes, {len(self.guards)} guard(s) on graph numbers, int guards: {ints or 'none'})"

    def run(self, numbers: list, gradient: float = 1.0):
        """Replay for this call's numbers: ``(root value, extras' values, written)`` or None.

        ``written`` lists the leaves whose ``.grad`` the replay changed, with their grads before.
        """
        for slot, value in self.int_guards.items():
            if numbers[slot] != value:
                return None
        tape = self.tape
        V, G = tape.new_lists()
        for i, leaf in self._from_values:
            V[i] = leaf.data
        for i, slot in self._from_call:
            x = numbers[slot]
            V[i] = x.data if isinstance(x, Value) else float(x)
        try:
            tape.forward(V)
            if first_failing(self.guards, V) is not None:
                return None
            G[tape.root] = gradient
            written = self._grad_leaves(numbers)
            for i, (_, before) in zip(self._grad_positions, written):
                G[i] = before
            tape.backward(V, G)
        except Exception:  # noqa: BLE001 - any failure: the eager run raises the engine's own error
            return None
        for i, (leaf, _) in zip(self._grad_positions, written):
            leaf.grad = G[i]
        return V[tape.root], [V[i] for i in tape.extras], written

    def _grad_leaves(self, numbers: list) -> list[tuple[Value, float]]:
        leaves = [leaf for _, leaf in self._grads_from_values]
        leaves += [numbers[slot] for _, slot in self._grads_from_call]
        return [(leaf, leaf.grad) for leaf in leaves]

