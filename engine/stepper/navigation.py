"""The interactive ``Stepper``: step, back, jump, reset, and ask where a gradient comes from.

The top of the stepper: it imports ``walk``, ``words``, ``steps`` and ``export``; none of them imports it.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

from ..value import Value, local_derivatives
from . import export
from .steps import BackwardSteps
from .walk import Walk, check_gradient, check_root, wrap
from .words import MAX_INPUT_LINES, Step, Text, assignment, explain_text, forward_steps_text, num, where_text

__all__ = ["Stepper", "forward_steps"]


class Stepper:
    """Step through backprop in a REPL: forward, back, jump, explain, draw.

    ``step()`` (or ``next(stepper)``) applies the next node's chain rule and returns its
    ``Step``; ``back()`` undoes the last step, restoring the grads exactly; ``run_to(node)``
    goes forward or back to the moment ``node``'s grad is complete; ``reset()`` puts every
    grad back as it was before the first step; ``where()`` says what is done and what comes
    next; ``explain(node)`` writes dL/dnode as the chain rule's product along every path
    from the root; ``show()`` draws the graph with the current node in red and finished
    nodes in green (as text in a terminal).  Each returns an object that ``print()`` shows
    exactly as the REPL does.

    The graph is walked once when the stepper is made; after that a step, and its undo,
    cost O(number of inputs of that node), so a million-node graph steps as fast as a
    small one.  Changing the graph, a value or a grad from outside while stepping makes
    the next step raise ``GraphChangedError``.

    >>> from engine import Value
    >>> x = Value(2.0, label='x'); w = Value(-3.0, label='w')
    >>> y = x * w + 1; y.label = 'y'
    >>> s = Stepper(y)
    >>> s.step()
    y = t1 + 1.0: dL/dt1 += dL/dy * dy/dt1 = 1.0 * 1.0 = 1.0  ->  t1.grad = 1.0
                  dL/d(1.0) += dL/dy * dy/d(1.0) = 1.0 * 1.0 = 1.0  ->  (1.0).grad = 1.0
                  (add: d(a+b)/da = 1, d(a+b)/db = 1)
    >>> s.step()
    t1 = x * w: dL/dx += dL/dt1 * dt1/dx = 1.0 * -3.0 = -3.0  ->  x.grad = -3.0
                dL/dw += dL/dt1 * dt1/dw = 1.0 * 2.0 = 2.0  ->  w.grad = 2.0
                (mul: d(a*b)/da = b, d(a*b)/db = a)
    >>> s.back()
    undid step 2 of 2 (t1 = x * w): x.grad back to 0.0, w.grad back to 0.0
    >>> x.grad
    0.0
    """

    def __init__(self, root: Value, gradient: float = 1.0, *, params: object = None):
        check_root(root, "Stepper")
        self._walk = Walk(root, check_gradient(gradient, "Stepper"), params)
        self._new_pass()

    def _new_pass(self) -> None:
        """A backward pass not started yet: the next step() starts engine.backward_pass."""
        self._fresh = BackwardSteps(self._walk)
        self._before: list[tuple] = []  # each step's inputs' grads before it (back() puts them back)
        self._after: list[tuple] = []  # and after it (step() after back() puts them back)
        self._position = 0

    # --- where we are ------------------------------------------------------------------------

    @property
    def root(self) -> Value:
        """The Value being stepped backward from (``L`` in the explanations)."""
        return self._walk.root

    @property
    def position(self) -> int:
        """How many steps are done (0 before the first, ``len(stepper)`` at the end)."""
        return self._position

    def __len__(self) -> int:
        return len(self._walk.nodes)

    def __repr__(self) -> str:
        return f"<Stepper for {self._walk.name(self.root)}: {self.position} of {len(self)} steps done>"

    def current(self) -> Step | None:
        """The last step taken, described again (None before the first)."""
        return self._describe(self.position - 1) if self.position else None

    def _describe(self, k: int) -> Step:
        node = self._walk.nodes[k]
        local = local_derivatives(node) if node._prev else ()
        return Step(self._walk, k, local, self._before[k], self._after[k])

    # --- moving ------------------------------------------------------------------------------

    def step(self) -> Step:
        """Apply the next node's chain rule and return its ``Step``; StopIteration at the end."""
        k = self.position
        if k == len(self):
            raise StopIteration(
                f"all {len(self)} steps are done; back(), run_to(node) or reset() go back to earlier steps"
            )
        if k < self._fresh.taken:
            # Taken before, then undone by back(): once the checks show that the node, its inputs
            # and their grads are as they were, the grads it left are the ones backward_pass gave.
            self._walk.check(k)
            self._walk.put(k, self._after[k], f"step {k + 1}")
            step = self._describe(k)
        else:
            step = next(self._fresh)
            self._before.append(step.grads_before)
            self._after.append(step.grads)
        self._position += 1
        return step

    def __next__(self) -> Step:
        return self.step()

    def __iter__(self) -> Iterator[Step]:
        return self

    def back(self) -> Text:
        """Undo the last step, putting back exactly the grads it changed."""
        if not self.position:
            raise RuntimeError(
                f"back(): there is no step to undo, no step has been taken yet "
                f"(0 of {len(self)} steps done); step() takes the first one"
            )
        walk, k = self._walk, self.position - 1
        walk.put(k, self._before[k], "back()")
        self._position -= 1
        touched = list(zip(walk.touched(k), self._before[k]))
        parts = [f"{wrap(walk.name(v))}.grad back to {num(g)}" for v, g in touched[:MAX_INPUT_LINES]]
        if len(touched) > MAX_INPUT_LINES:
            parts.append(f"... ({len(touched) - MAX_INPUT_LINES} more)")
        return Text(f"undid step {k + 1} of {len(self)} ({assignment(walk, walk.nodes[k])}): {', '.join(parts)}")

    def reset(self) -> Text:
        """Undo every step and put every grad back as it was before the first step (the root's too).

        >>> from engine import Value
        >>> x = Value(2.0, label='x'); y = x * x; y.label = 'y'
        >>> s = Stepper(y); s.step()  # doctest: +ELLIPSIS
        y = x * x: ...
        >>> s.reset()
        stepping backward from y: 0 of 1 steps done
          next  1. y = x * x
        >>> x.grad, y.grad
        (0.0, 0.0)
        """
        # Straight from the grads remembered at the first step, not by undoing steps one by one:
        # this works even after a backward() or zero_grad() from outside changed them since.
        self._walk.restore_initial()
        self._new_pass()
        return self.where()

    def run_to(self, node: Value) -> Step | None:
        """Step forward or back to just after ``node``'s grad is complete, and return that Step.

        For a computed node that is right after its own step; for a leaf, right after the
        last step that adds to its grad.

        >>> from engine import Value
        >>> x = Value(0.5, label='x'); y = (x * 2).tanh(); y.label = 'y'
        >>> s = Stepper(y)
        >>> s.run_to(x)
        t1 = x * 2.0: dL/dx += dL/dt1 * dt1/dx = 0.419974 * 2.0 = 0.839949  ->  x.grad = 0.839949
                      dL/d(2.0) += dL/dt1 * dt1/d(2.0) = 0.419974 * 0.5 = 0.209987  ->  (2.0).grad = 0.209987
                      (mul: d(a*b)/da = b, d(a*b)/db = a)
        """
        self.go_to(self._walk.last_use(node, "run_to") + 1)
        return self.current()

    def go_to(self, position: int) -> None:
        """Step forward or back until ``position`` steps are done (0: back to the first step's start)."""
        if isinstance(position, bool) or not isinstance(position, int) or not 0 <= position <= len(self):
            raise ValueError(f"go_to: position must be an int from 0 to {len(self)}, got {position!r}")
        while self.position < position:
            self.step()
        while self.position > position:
            self.back()

    # --- explaining --------------------------------------------------------------------------

    def where(self, full: bool = False) -> Text:
        """What has been done and what comes next, around the current step (every step with full=True).

        >>> from engine import Value
        >>> x = Value(0.5, label='x'); y = (x * 2).tanh(); y.label = 'y'
        >>> s = Stepper(y); s.step()  # doctest: +ELLIPSIS
        y = tanh(t1): ...
        >>> s.where()
        stepping backward from y: 1 of 2 steps done
          now   1. y = tanh(t1)
          next  2. t1 = x * 2.0
        """
        return where_text(self._walk, self.position, full)

    def explain(self, node: Value) -> Text:
        """dL/dnode by the chain rule: the product of local derivatives along each path from L.

        A node used in several places gets one product per path, added up.  Beyond a few
        paths the sum is grouped by the node's users instead (dL/du * du/dnode for each).

        >>> from engine import Value
        >>> a = Value(3.0, label='a'); y = a * a; y.label = 'y'
        >>> Stepper(y).explain(a)
        dL/da = dL/dy * dy/da
              + dL/dy * dy/da
              = 1.0 * 3.0
              + 1.0 * 3.0
              = 6.0
        stepping so far: a.grad = 0.0, 2 of 2 contributions still to come
        """
        return explain_text(self._walk, node, self.position)

    # --- pictures ----------------------------------------------------------------------------

    def show(self, **draw_dot_kwargs) -> export.Picture:
        """The graph as stepping has left it: text in a terminal, ``draw_dot``'s drawing in Jupyter.

        The current node has a red border, finished nodes a green one; keyword arguments go
        to ``draw_dot``.  The result has ``.source``, ``.pipe()`` and ``.render()`` as a
        ``graphviz.Digraph`` has.

        >>> from engine import Value
        >>> x = Value(2.0, label='x'); y = (x * 3).tanh(); y.label = 'y'
        >>> s = Stepper(y); s.step()  # doctest: +ELLIPSIS
        y = tanh(t1): ...
        >>> 'color="#d62728"' in s.show().source
        True
        """
        return export.picture(self._walk, self.position, draw_dot_kwargs)

    def save_frames(self, folder: str | os.PathLike, *, max_steps: int = 200, **draw_dot_kwargs) -> list[Path]:
        """Write one SVG per step (step_001.svg, ...) into ``folder`` and return their paths.

        The stepper ends where it was.
        """
        return export.save_frames(self, folder, max_steps, draw_dot_kwargs)

    def to_html(self, path: str | os.PathLike, *, max_steps: int = 200, **draw_dot_kwargs) -> Path:
        """Write the classroom walkthrough: one self-contained HTML page (it loads nothing), and return its path.

        Step 0 is the seed dL/dL = 1, then one frame per step: the picture (the stepped node
        red, the inputs whose grads just changed orange), the step's chain rule and where
        dL/dnode comes from.  Arrow keys, buttons or clicks move between steps; each step has
        its own address (``walk.html#step-3``); "predict, then reveal" hides each new grad
        until a key press; zoom and text size are adjustable.  The graph is drawn top to bottom
        or left to right, whichever fills a screen better, unless ``rankdir=`` says which.
        The stepper ends where it was.
        """
        return export.write_html(self, path, max_steps, draw_dot_kwargs)

    def _repr_html_(self) -> str:
        """The same walkthrough inline in Jupyter, opened at the current step (no widgets needed)."""
        return export.notebook_html(self)


def forward_steps(root: Value) -> Text:
    """How each value in the graph was computed, inputs first: the forward pass in words.

    >>> from engine import Value
    >>> x = Value(2.0, label='x'); w = Value(0.25, label='w')
    >>> y = (x * w).tanh(); y.label = 'y'
    >>> forward_steps(y)
    t1 = x * w = 2.0 * 0.25 = 0.5
    y = tanh(t1) = tanh(0.5) = 0.462117
    """
    check_root(root, "forward_steps")
    return forward_steps_text(Walk(root, 1.0))
