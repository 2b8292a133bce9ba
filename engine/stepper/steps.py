"""``backward_steps``: ``engine.backward_pass`` run one node per ``next()``, each step explained.

Every grad it sets comes from that generator, never from a copy of the chain rule.  It sits
above ``walk`` (the bookkeeping) and ``words`` (the ``Step`` it returns), below ``navigation``.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator

from ..value import Value, backward_pass
from .walk import GraphChangedError, Walk, check_gradient, check_root
from .words import Step

__all__ = ["BackwardSteps", "backward_steps"]


class BackwardSteps:
    """The iterator ``backward_steps`` returns: backward_pass, one explained Step per ``next()``.

    Not a generator function on purpose: a step refused because the graph changed leaves
    it able to go on once the graph is put back (a generator that raised is finished).
    """

    def __init__(self, walk: Walk):
        self._walk = walk
        self._inner: Iterator | None = None  # backward_pass, started at the first next()
        self.taken = 0
        self._failed: BaseException | None = None

    def __iter__(self) -> BackwardSteps:
        return self

    def __repr__(self) -> str:
        walk = self._walk
        return f"<backward steps from {walk.name(walk.root)}: {self.taken} of {len(walk.nodes)} taken>"

    def __next__(self) -> Step:
        walk, k = self._walk, self.taken
        if self._failed is not None:
            raise RuntimeError(
                f"the backward pass stopped at step {k + 1} with {self._failed!r}; start a new one "
                f"(backward_steps again; on a Stepper, reset() starts a new one)"
            ) from self._failed
        if k == len(walk.nodes):
            raise StopIteration
        if self._inner is None:
            walk.start()
            self._inner = backward_pass(walk.root, walk.gradient)
        # Before the first step backward_pass has not set the grads up yet: nothing to compare.
        walk.check(k, grads=k > 0)
        before = walk.before(k)
        stepped, local = self._advance(k, before)
        if stepped is not walk.nodes[k]:
            raise GraphChangedError(
                f"step {k + 1}: the backward pass reached {walk.name(stepped)} where the stepper expected "
                f"{walk.name(walk.nodes[k])}: the graph changed after stepping began"
            )
        self.taken += 1
        return Step(walk, k, local, before, walk.after(k))

    def _advance(self, k: int, before: tuple) -> tuple:
        """One next() of backward_pass: (node, local derivatives, or None for a custom backward)."""
        walk = self._walk
        try:
            if walk.root._prev:
                return next(self._inner)
            deque(self._inner, maxlen=0)  # a leaf root: backward_pass only seeds it
            return walk.root, ()
        except StopIteration:
            raise GraphChangedError(
                f"step {k + 1}: the backward pass ended early: the graph changed after stepping began"
            ) from None
        except BaseException as err:
            # backward_pass cannot go on after an error (detect_anomaly's, say): undo the
            # half-applied step so the grads are as the last good step left them.
            self._failed = err
            for v, grad in reversed(list(zip(walk.touched(k), before))):
                v.grad = grad
            raise


def backward_steps(root: Value, gradient: float = 1.0) -> Iterator[Step]:
    """The backward pass as a generator of explained steps: ``backward()``, one node per ``next()``.

    Nothing runs until the first ``next()``.  Each ``next()`` applies one node's chain rule
    through ``engine.backward_pass`` (the generator ``backward()`` runs to the end, so the
    grads are bit-for-bit those of ``backward()``) and returns a ``Step``.  A root with no
    inputs gives one step, its seed.  Leaves accumulate, as with ``backward()``.  If the
    graph, a value or a grad changes between two steps, the next step raises
    ``GraphChangedError`` instead of mixing old and new numbers.

    >>> from engine import Value
    >>> x = Value(3.0, label='x')
    >>> y = x * x; y.label = 'y'
    >>> for step in backward_steps(y):
    ...     print(step)
    y = x * x: dL/dx += dL/dy * dy/dx = 1.0 * 3.0 = 3.0  ->  x.grad = 3.0
               dL/dx += dL/dy * dy/dx = 1.0 * 3.0 = 3.0  ->  x.grad = 6.0
               (mul: d(a*b)/da = b, d(a*b)/db = a)
    """
    check_root(root, "backward_steps")
    return BackwardSteps(Walk(root, check_gradient(gradient, "backward_steps")))
