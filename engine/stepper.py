"""Backprop one node at a time: the backward pass as steps a learner can read, undo and draw.

``backward_steps(root)`` is ``engine.backward_pass`` with words: each ``next()`` applies the
chain rule at one node (the same ``_backward()`` that ``backward()`` runs) and returns a
``Step`` that explains it with numbers.  ``Stepper(root)`` adds what a lesson needs: going
back, jumping ahead, the whole chain rule down to one node, and pictures.

>>> from engine import Value, backward_steps
>>> a = Value(2.0, label='a'); b = Value(-3.0, label='b')
>>> c = a * b; c.label = 'c'
>>> steps = backward_steps(c)
>>> next(steps)
c = a * b: dL/da += dL/dc * dc/da = 1.0 * -3.0 = -3.0  ->  a.grad = -3.0
           dL/db += dL/dc * dc/db = 1.0 * 2.0 = 2.0  ->  b.grad = 2.0
           (mul: d(a*b)/da = b, d(a*b)/db = a)

``L`` always means the Value you step backward from (here ``c``), so ``dL/dc = 1``.
"""

from __future__ import annotations

import html
import math
import os
from collections import deque
from collections.abc import Iterator
from pathlib import Path

import graphviz

from .backward import as_float as _as_float
from .graph import _expression, _num, draw_dot, node_names
from .ops import OPS, Op
from .value import Value, backward_pass, topological_order

__all__ = ["Step", "Stepper", "backward_steps", "forward_steps", "GraphChangedError"]

_MAX_INPUT_LINES = 8  # a Step of a 1000-input sum shows this many inputs, then "... N more"
_MAX_PATHS = 8  # explain() writes out every path up to this many, then groups them
_WHERE_AROUND = 4  # where() lists this many steps on each side of the current one


class GraphChangedError(RuntimeError):
    """The graph, a value in it or its grads changed after stepping began.

    The steps already taken used the old numbers, so going on would mix two graphs; make
    a new stepper (or call ``backward_steps`` again) after changing the graph.
    """


class _Text(str):
    """A str that a REPL prints as text (with its line breaks), not as a quoted repr."""

    def __repr__(self) -> str:
        return str(self)


def _same(a: float, b: float) -> bool:
    """Equal floats, counting NaN as equal to NaN (a NaN grad did not 'change')."""
    return a == b or (a != a and b != b)


def _plural(n: int, what: str) -> str:
    return f"{n} {what}" if n == 1 else f"{n} {what}s"


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _wrap(name: str) -> str:
    """A name ready for d<name> and <name>.grad: 'x1' stays, 'x1*w1' becomes '(x1*w1)'."""
    if name.isidentifier() or (name.startswith("(") and name.endswith(")")):
        return name
    return f"({name})"


# --- one graph being stepped -------------------------------------------------------------


class _Walk:
    """What stepping one graph needs: its nodes in step order, and what they were at the start.

    ``plan()`` walks the graph once (O(nodes)); after that each step touches only the
    stepping node and its inputs, so a step costs O(inputs) however large the graph.
    """

    def __init__(self, root: Value, gradient: float, params: object = None):
        self.root = root
        self.gradient = gradient
        self.params = params
        self.nodes: list[Value] | None = None
        self._names: dict[Value, str] | None = None
        self._consumers: dict[Value, list[tuple[Value, int]]] | None = None
        self._index: dict[Value, int] | None = None
        self._grads: dict[Value, float] | None = None  # the grad stepping left on each node

    def plan(self) -> None:
        """Walk the graph once: the step order, and each node's inputs, op and value now."""
        if self.nodes is not None:
            return
        self.order = topological_order(self.root)
        # Steps go from the root back to the inputs; a root that is a leaf has one step, its seed.
        self.nodes = [node for node in reversed(self.order) if node._prev] or [self.root]
        self._prevs = [node._prev for node in self.nodes]  # the tuples themselves, to compare by identity
        self._ops = [node._op for node in self.nodes]
        self._data = {node: node.data for node in self.order}

    def start(self) -> None:
        """Remember the leaves' grads (they accumulate) just before the first step."""
        self.plan()
        self._grads = {node: node.grad for node in self.order if not node._prev}
        if self.root._prev:
            self._grads[self.root] = self.gradient  # backward_pass seeds the root, zeroes the rest

    # --- names -----------------------------------------------------------------------------

    def name(self, node: Value) -> str:
        """The node's name as format_graph writes it (label, else t1, t2, ...; constants by value)."""
        if self._names is None:
            self._names = node_names(self.root, params=self.params)
        return self._names.get(node) or node.label or f"<unlabelled {node.data!r}>"

    def assignment(self, node: Value) -> str:
        """'n = (x1*w1 + x2*w2) + b': how a computed node was made, in names."""
        if not node._prev:
            return f"{self.name(node)} (the seed)"
        return f"{self.name(node)} = {_expression(node, _NameView(self), False)}"

    def index(self, node: Value, where: str) -> int | None:
        """The step number (0-based) of ``node``: None for a leaf; ValueError if not in the graph."""
        self.plan()
        if not isinstance(node, Value):
            raise TypeError(f"{where}: expected a Value of the graph, got {type(node).__name__} {node!r}")
        if node not in self._data:
            raise ValueError(
                f"{where}: {node!r} is not part of the graph of {self.name(self.root)}; "
                f"pass one of the Values that {self.name(self.root)} was computed from"
            )
        if self._index is None:
            self._index = {n: k for k, n in enumerate(self.nodes)}
        return self._index.get(node) if node._prev or node is self.root else None

    def consumers(self, node: Value) -> list[tuple[Value, int]]:
        """The (node, input position) pairs that use ``node`` as an input."""
        if self._consumers is None:
            self._consumers = {}
            for user in self.order:
                for i, child in enumerate(user._prev):
                    self._consumers.setdefault(child, []).append((user, i))
        return self._consumers.get(node, [])

    # --- one step ----------------------------------------------------------------------------

    def touched(self, k: int) -> tuple:
        """The nodes whose grads step k changes: the node's inputs (the root itself for a seed)."""
        return self.nodes[k]._prev or (self.root,)

    def check(self, k: int, grads: bool = True) -> None:
        """Refuse to take step k if its node, its inputs or their grads changed since the start."""
        node = self.nodes[k]
        if node._prev is not self._prevs[k] or node._op != self._ops[k]:
            raise GraphChangedError(
                f"step {k + 1}: node {self.name(node)} was changed after stepping began "
                f"(its inputs or its op are not the ones it had); make a new stepper for the new graph"
            )
        for v in (node, *node._prev):
            if not _same(v.data, self._data[v]):
                raise GraphChangedError(
                    f"step {k + 1}: the value of {self.name(v)} changed from {self._data[v]!r} to {v.data!r} "
                    f"after stepping began, so the local derivatives would not match the forward pass; "
                    f"recompute the forward pass and make a new stepper"
                )
        if grads:
            for v in (node, *self.touched(k)):
                expected = self._grads.get(v, 0.0)
                if not _same(v.grad, expected):
                    raise GraphChangedError(
                        f"step {k + 1}: {_wrap(self.name(v))}.grad is {v.grad!r}, but stepping left it at "
                        f"{expected!r}: something else changed the grads (a backward() or zero_grad() call?); "
                        f"make a new stepper to start again"
                    )

    def before(self, k: int) -> tuple:
        """The grads step k will change, as they are just before it (what back() restores)."""
        # Read from the record rather than the nodes: at the first step backward_pass has
        # not zeroed the computed nodes' grads yet, the record already says 0.0.
        return tuple(self._grads.get(v, 0.0) for v in self.touched(k))

    def finish(self, k: int, local: tuple, before: tuple) -> Step:
        """Record the grads step k left and describe it."""
        for v in self.touched(k):
            self._grads[v] = v.grad
        return Step(self, k, local, before)

    def redo(self, k: int) -> Step:
        """Take step k again after back(): the same ``_backward()`` that backward_pass calls."""
        self.check(k)
        before = self.before(k)
        node = self.nodes[k]
        if node._prev:
            local = node._backward()
        else:
            node.grad += self.gradient  # the seed of a root that is a leaf, as in backward_pass
            local = ()
        return self.finish(k, local, before)

    def undo(self, k: int, before: tuple) -> None:
        """Put back the grads step k changed, after checking nothing else changed them."""
        for v in self.touched(k):
            if not _same(v.grad, self._grads[v]):
                raise GraphChangedError(
                    f"back(): {_wrap(self.name(v))}.grad is {v.grad!r}, but step {k + 1} left it at "
                    f"{self._grads[v]!r}: something else changed the grads (a backward() or zero_grad() call?)"
                )
        # In reverse, so that an input used twice (a * a) ends at the value before both additions.
        for v, grad in reversed(list(zip(self.touched(k), before))):
            v.grad = grad
            self._grads[v] = grad


class _BackwardSteps:
    """The iterator ``backward_steps`` returns: backward_pass, one explained Step per ``next()``.

    Not a generator function on purpose: a step refused because the graph changed leaves
    it able to go on once the graph is put back (a generator that raised is finished).
    """

    def __init__(self, walk: _Walk):
        self._walk = walk
        self._inner: Iterator | None = None  # backward_pass, started at the first next()
        self._taken = 0
        self._failed: BaseException | None = None

    def __iter__(self) -> _BackwardSteps:
        return self

    def __repr__(self) -> str:
        walk = self._walk
        total = len(walk.nodes) if walk.nodes is not None else "?"
        return f"<backward steps from {walk.name(walk.root)}: {self._taken} of {total} taken>"

    def __next__(self) -> Step:
        walk, k = self._walk, self._taken
        if self._failed is not None:
            raise RuntimeError(
                f"the backward pass stopped at step {k + 1} with {self._failed!r}; start a new one"
            ) from self._failed
        if self._inner is None:
            walk.start()
            self._inner = backward_pass(walk.root, walk.gradient)
        if k == len(walk.nodes):
            raise StopIteration
        # Before the first step backward_pass has not set the grads up yet: nothing to compare.
        walk.check(k, grads=k > 0)
        before = walk.before(k)
        try:
            if walk.root._prev:
                stepped, local = next(self._inner)
            else:
                deque(self._inner, maxlen=0)  # a leaf root: backward_pass only seeds it
                stepped, local = walk.root, ()
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
        if stepped is not walk.nodes[k]:
            raise GraphChangedError(
                f"step {k + 1}: the backward pass reached {walk.name(stepped)} where the stepper expected "
                f"{walk.name(walk.nodes[k])}: the graph changed after stepping began"
            )
        self._taken += 1
        return walk.finish(k, local, before)


# --- what a step did ---------------------------------------------------------------------


class Step:
    """One node's chain rule, applied: what the backward pass did at that node.

    Its repr reads like the chain rule with numbers; its parts are attributes:

    ``index``, ``total``  this is step ``index + 1`` of ``total`` (backward order)
    ``node``              the Value whose rule was applied (``L`` is the root)
    ``op``                its row of the op table (an ``Op``), None for the seed of a leaf root
    ``inputs``            the node's inputs (``node._prev``; a Value used twice appears twice)
    ``upstream``          dL/dnode, the node's grad when its rule ran
    ``local``             d node / d input, one per input, from the op table
    ``contributions``     upstream * local: what each input's grad received
    ``grads_before``      the inputs' grads just before the step (what ``Stepper.back()`` restores)
    ``grads``             the inputs' grads just after the step

    >>> from engine import Value
    >>> x = Value(0.5, label='x'); y = x.tanh(); y.label = 'y'
    >>> step = next(backward_steps(y))
    >>> step.upstream, step.local, step.grads
    (1.0, (0.7864477329659274,), (0.7864477329659274,))
    """

    __slots__ = ("index", "total", "node", "op", "inputs", "upstream", "local", "contributions",
                 "grads_before", "grads", "_walk")  # fmt: skip

    def __init__(self, walk: _Walk, k: int, local: tuple, before: tuple):
        node = walk.nodes[k]
        self._walk = walk
        self.index = k
        self.total = len(walk.nodes)
        self.node = node
        self.op: Op | None = OPS[node._op] if node._prev else None
        self.inputs = node._prev
        self.local = tuple(local)
        self.grads_before = before
        if node._prev:
            self.upstream = node.grad
            self.contributions = tuple(d * node.grad for d in self.local)  # the same product _backward adds
        else:
            self.upstream = walk.gradient
            self.contributions = (walk.gradient,)
        self.grads = tuple(v.grad for v in walk.touched(k))

    def __repr__(self) -> str:
        name = self._walk.name
        out = _wrap(name(self.node))
        if self.op is None:
            grad = self.grads[0]
            return (
                f"{name(self.node)} is L itself: dL/d{out} += {_num(self.upstream, 6)} (the seed, dL/dL)"
                f"  ->  {out}.grad = {_num(grad, 6)}"
            )
        header = f"{self._walk.assignment(self.node)}: "
        lines = []
        running = dict(zip(self.inputs, self.grads_before))
        for i, (child, d, c) in enumerate(zip(self.inputs, self.local, self.contributions)):
            running[child] = running[child] + c  # replays _backward's += exactly, so the numbers match
            if i < _MAX_INPUT_LINES:
                x = _wrap(name(child))
                lines.append(
                    f"dL/d{x} += dL/d{out} * d{out}/d{x} = {_num(self.upstream, 6)} * {_num(d, 6)} "
                    f"= {_num(c, 6)}  ->  {x}.grad = {_num(running[child], 6)}"
                )
        if len(self.inputs) > _MAX_INPUT_LINES:
            lines.append(f"... and {len(self.inputs) - _MAX_INPUT_LINES} more inputs, the same way")
        lines.append(f"({self.op.name}: {self.op.note})" if self.op.note else f"({self.op.name})")
        if len(header) > 24:  # a long expression: put the lines under it rather than beside it
            return header.rstrip() + "\n" + "\n".join("    " + line for line in lines)
        return header + ("\n" + " " * len(header)).join(lines)


class _NameView:
    """node -> name for graph._expression: 'x1*w1 + b' names its inputs '(x1*w1) + b'."""

    def __init__(self, walk: _Walk):
        self._walk = walk

    def __getitem__(self, node: Value) -> str:
        name = self._walk.name(node)
        return name if _is_number(name) else _wrap(name)


# --- the generator -----------------------------------------------------------------------


def _check_root(root: object, where: str) -> None:
    if not isinstance(root, Value):
        raise TypeError(
            f"{where}: expected a Value (the output you would call backward() on), got {type(root).__name__} {root!r}"
        )


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
    _check_root(root, "backward_steps")
    return _BackwardSteps(_Walk(root, _as_float(gradient, "backward_steps: gradient")))


def forward_steps(root: Value) -> str:
    """How each value in the graph was computed, inputs first: the forward pass in words.

    >>> from engine import Value
    >>> x = Value(2.0, label='x'); w = Value(-3.0, label='w')
    >>> y = (x * w).tanh(); y.label = 'y'
    >>> forward_steps(y)
    t1 = x * w = 2.0 * -3.0 = -6.0
    y = tanh(t1) = tanh(-6.0) = -0.999988
    """
    _check_root(root, "forward_steps")
    walk = _Walk(root, 1.0)
    walk.plan()
    lines = []
    for node in walk.order:
        if node._prev:
            values = {child: _num(child.data, 6) for child in node._prev}
            lines.append(f"{walk.assignment(node)} = {_expression(node, values, False)} = {_num(node.data, 6)}")
    if not lines:
        lines.append(f"{walk.name(root)} = {_num(root.data, 6)} (an input: nothing to compute)")
    return _Text("\n".join(lines))


# --- the interactive stepper -------------------------------------------------------------


class Stepper:
    """Step through backprop in a REPL: forward, back, jump, explain, draw.

    ``step()`` (or ``next(stepper)``) applies the next node's chain rule and returns its
    ``Step``; ``back()`` undoes the last step, restoring the grads exactly; ``run_to(node)``
    goes forward or back to the moment ``node``'s grad is complete; ``reset()`` goes back to
    the start; ``where()`` says what is done and what comes next; ``explain(node)`` writes
    dL/dnode as the chain rule's product along every path from the root; ``show()`` draws
    the graph with the current node in red and finished nodes in green.

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
        _check_root(root, "Stepper")
        self._walk = _Walk(root, _as_float(gradient, "Stepper: gradient"), params)
        self._walk.plan()
        self._fresh = _BackwardSteps(self._walk)
        self._undo: list[tuple] = []  # grads_before of each step done: back() puts them back

    # --- where we are ------------------------------------------------------------------------

    @property
    def root(self) -> Value:
        """The Value being stepped backward from (``L`` in the explanations)."""
        return self._walk.root

    @property
    def position(self) -> int:
        """How many steps are done (0 before the first, ``len(stepper)`` at the end)."""
        return len(self._undo)

    def __len__(self) -> int:
        return len(self._walk.nodes)

    def __repr__(self) -> str:
        return f"<Stepper for {self._walk.name(self.root)}: {self.position} of {len(self)} steps done>"

    def current(self) -> Step | None:
        """The last step taken, described again (None before the first)."""
        k = self.position - 1
        if k < 0:
            return None
        node = self._walk.nodes[k]
        local = _local_derivatives(node) if node._prev else ()
        return Step(self._walk, k, local, self._undo[k])

    # --- moving ------------------------------------------------------------------------------

    def step(self) -> Step:
        """Apply the next node's chain rule and return its ``Step``; StopIteration at the end."""
        k = self.position
        if k == len(self):
            raise StopIteration(
                f"all {len(self)} steps are done; back(), run_to(node) or reset() go back to earlier steps"
            )
        if k < self._fresh._taken:  # taken before, then undone by back(): take it again
            step = self._walk.redo(k)
        else:
            step = next(self._fresh)
        self._undo.append(step.grads_before)
        return step

    def __next__(self) -> Step:
        return self.step()

    def __iter__(self) -> Iterator[Step]:
        return self

    def back(self) -> str:
        """Undo the last step, putting back exactly the grads it changed."""
        if not self._undo:
            raise RuntimeError(
                f"back(): there is no step to undo, no step has been taken yet "
                f"(0 of {len(self)} steps done); step() takes the first one"
            )
        k = self.position - 1
        before = self._undo[-1]
        self._walk.undo(k, before)
        self._undo.pop()
        walk = self._walk
        touched = list(zip(walk.touched(k), before))
        parts = [f"{_wrap(walk.name(v))}.grad back to {_num(g, 6)}" for v, g in touched[:_MAX_INPUT_LINES]]
        if len(touched) > _MAX_INPUT_LINES:
            parts.append(f"... ({len(touched) - _MAX_INPUT_LINES} more)")
        return _Text(f"undid step {k + 1} of {len(self)} ({walk.assignment(walk.nodes[k])}): {', '.join(parts)}")

    def reset(self) -> str:
        """Undo every step: back to the start (the root's grad seeded, no rule applied yet)."""
        while self._undo:
            self.back()
        return self.where()

    def run_to(self, node: Value) -> Step | None:
        """Step forward or back to just after ``node``'s grad is complete, and return that Step.

        For a computed node that is right after its own step; for a leaf, right after the
        last step that adds to its grad.
        """
        k = self._walk.index(node, "run_to")
        if k is None:  # a leaf: its grad is complete after the last of its users' steps
            k = max(self._walk.index(user, "run_to") for user, _ in self._walk.consumers(node))
        while self.position <= k:
            self.step()
        while self.position > k + 1:
            self.back()
        return self.current()

    # --- explaining --------------------------------------------------------------------------

    def where(self) -> str:
        """What has been done and what comes next, around the current step."""
        walk, k = self._walk, self.position
        lines = [f"stepping backward from {walk.name(self.root)}: {k} of {len(self)} steps done"]
        first, last = max(0, k - _WHERE_AROUND), min(len(self), k + _WHERE_AROUND)
        if first > 0:
            lines.append(f"        ... {_plural(first, 'earlier step')}")
        for j in range(first, last):
            mark = "done" if j < k - 1 else "now " if j == k - 1 else "next" if j == k else "    "
            lines.append(f"  {mark}  {j + 1}. {walk.assignment(walk.nodes[j])}")
        if last < len(self):
            lines.append(f"        ... {_plural(len(self) - last, 'more step')}")
        return _Text("\n".join(lines))

    def explain(self, node: Value) -> str:
        """dL/dnode by the chain rule: the product of local derivatives along each path from L.

        A node used in several places gets one product per path, added up.  Beyond a few
        paths the sum is grouped by the node's users instead (dL/du * du/dnode for each).
        """
        walk = self._walk
        walk.index(node, "explain")  # refuses nodes outside the graph
        name = walk.name
        lhs = f"dL/d{_wrap(name(node))}"
        if node is self.root:
            return _Text(
                f"{lhs} = {_num(walk.gradient, 6)} (the seed: L is {name(node)} itself)" + self._progress(node)
            )
        paths = _count_paths(walk, node)
        if paths <= _MAX_PATHS:
            symbols, numbers, total = [], [], 0.0
            for path in _paths(walk, node):  # each path: the edges (user, input position) from L down
                factors = [f"dL/d{_wrap(name(self.root))}"]
                values = [walk.gradient]
                for user, i in path:
                    factors.append(f"d{_wrap(name(user))}/d{_wrap(name(user._prev[i]))}")
                    values.append(_local_derivatives(user)[i])
                symbols.append(" * ".join(factors))
                numbers.append(" * ".join(_num(v, 6) for v in values))
                total += math.prod(values)
            rows = [symbols[0]] + ["+ " + s for s in symbols[1:]] + ["= " + numbers[0]]
            rows += ["+ " + n for n in numbers[1:]] + [f"= {_num(total, 6)}"]
        else:
            derivative = _derivatives(walk)
            users = walk.consumers(node)
            rows = [" + ".join(f"dL/d{_wrap(name(u))} * d{_wrap(name(u))}/d{_wrap(name(node))}" for u, _ in users)]
            rows.append(
                "= " + " + ".join(f"{_num(derivative[u], 6)} * {_num(_local_derivatives(u)[i], 6)}" for u, i in users)
            )
            rows.append(f"= {_num(derivative[node], 6)}")
            rows.append(f"({paths} paths lead from L to {name(node)}; they are grouped here by its users)")
        pad = " " * (len(lhs) + 1)
        text = f"{lhs} = " + "\n".join((pad + r if j else r) for j, r in enumerate(rows))
        return _Text(text + self._progress(node))

    def _progress(self, node: Value) -> str:
        """How far stepping has got with this node's grad."""
        name = _wrap(self._walk.name(node))
        if node is self.root:
            return f"\n{name}.grad = {_num(node.grad, 6)}"
        users = [self._walk.index(u, "explain") for u, _ in self._walk.consumers(node)]
        waiting = sum(1 for k in users if k >= self.position)
        if waiting:
            return (
                f"\nstepping so far: {name}.grad = {_num(node.grad, 6)}, "
                f"{waiting} of {_plural(len(users), 'contribution')} still to come"
            )
        return f"\nstepping has finished with it: {name}.grad = {_num(node.grad, 6)}"

    # --- pictures ----------------------------------------------------------------------------

    def show(self, **draw_dot_kwargs) -> graphviz.Digraph:
        """The graph as ``draw_dot`` draws it: the current node in red, finished nodes in green.

        Grads are drawn as stepping has left them.  Keyword arguments go to ``draw_dot``.

        >>> from engine import Value
        >>> x = Value(2.0, label='x'); y = (x * 3).tanh(); y.label = 'y'
        >>> s = Stepper(y); s.step()  # doctest: +ELLIPSIS
        y = tanh(t1): ...
        >>> 'color="#d62728"' in s.show().source
        True
        """
        walk, k = self._walk, self.position
        highlight = [walk.nodes[k - 1]] if k else []
        done = set(walk.nodes[: max(k - 1, 0)])
        # A leaf is finished once every node using it has stepped.
        for leaf in walk.order:
            users = walk.consumers(leaf)
            if not leaf._prev and users and all(walk.index(u, "show") < k for u, _ in users):
                done.add(leaf)
        kwargs = {"params": walk.params, **draw_dot_kwargs}
        return draw_dot(self.root, highlight=highlight, done=done, **kwargs)

    def _frames(self, max_steps: int, **draw_dot_kwargs) -> Iterator[tuple[Step, str]]:
        """(step, svg) for every step from the first, then back to where the stepper was."""
        if len(self) > max_steps:
            raise ValueError(
                f"this graph has {len(self)} steps, more than max_steps={max_steps}; pass max_steps={len(self)} "
                f"to draw them all, or step a smaller graph (one example's loss)"
            )
        where = self.position
        self.reset()
        try:
            for _ in range(len(self)):
                step = self.step()
                svg = self.show(**draw_dot_kwargs).pipe(format="svg", encoding="utf-8")
                yield step, svg[svg.index("<svg") :]  # without the XML prolog and DOCTYPE
        finally:
            while self.position > where:
                self.back()
            while self.position < where:
                self.step()

    def save_frames(self, folder: str | os.PathLike, *, max_steps: int = 200, **draw_dot_kwargs) -> list[Path]:
        """Write one SVG per step (step_001.svg, ...) into ``folder`` and return their paths.

        The stepper ends where it was.
        """
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        paths = []
        for step, svg in self._frames(max_steps, **draw_dot_kwargs):
            path = folder / f"step_{step.index + 1:03d}.svg"
            path.write_text(svg, encoding="utf-8")
            paths.append(path)
        return paths

    def to_html(self, path: str | os.PathLike, *, max_steps: int = 200, **draw_dot_kwargs) -> Path:
        """Write one self-contained HTML page walking through the steps, and return its path.

        The pictures and the script are inside the file (it loads nothing from anywhere):
        Previous/Next buttons or the left/right arrow keys move between steps, and each
        step's text is under its picture.  The stepper ends where it was.
        """
        path = Path(path)
        frames = []
        for step, svg in self._frames(max_steps, **draw_dot_kwargs):
            frames.append(
                f'<section class="frame" id="step-{step.index + 1}" hidden>\n{svg}\n'
                f"<pre>{html.escape(repr(step))}</pre>\n</section>"
            )
        title = f"Backpropagation step by step: {self._walk.name(self.root)}"
        page = _HTML.format(
            title=html.escape(title),
            forward=html.escape(forward_steps(self.root)),
            frames="\n".join(frames),
            total=len(frames),
        )
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(page, encoding="utf-8")
        return path


# --- the chain rule, read off the table without touching any grad ------------------------


def _local_derivatives(node: Value) -> tuple:
    """d node / d input_i from the op table, as ``_backward`` computes them, but changing nothing."""
    return tuple(OPS[node._op].derivatives(node.data, *[child.data for child in node._prev]))


def _count_paths(walk: _Walk, node: Value) -> int:
    """How many paths lead from the root down to ``node`` (an edge used twice counts twice)."""
    count = {walk.root: 1}
    for user in reversed(walk.order):
        for child in user._prev:
            count[child] = count.get(child, 0) + count.get(user, 0)
    return count.get(node, 0)


def _paths(walk: _Walk, node: Value) -> Iterator[list[tuple[Value, int]]]:
    """Every path from the root down to ``node``, as its edges (user, input position), root first."""
    stack = [(node, [])]
    while stack:
        current, below = stack.pop()
        if current is walk.root:
            yield below
            continue
        for user, i in reversed(walk.consumers(current)):
            stack.append((user, [(user, i), *below]))


def _derivatives(walk: _Walk) -> dict[Value, float]:
    """dL/dnode for every node, in a dict: the backward pass's sums without touching ``.grad``."""
    derivative = {node: 0.0 for node in walk.order}
    derivative[walk.root] = walk.gradient
    for node in reversed(walk.order):
        if node._prev:
            for child, d in zip(node._prev, _local_derivatives(node)):
                derivative[child] += d * derivative[node]
    return derivative


_HTML = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>{title}</title>
<style>
  body {{ font-family: sans-serif; margin: 1.5em; color: #222; }}
  nav {{ margin: 0.8em 0; }}
  nav button {{ font-size: 1em; padding: 0.3em 1em; }}
  #counter {{ display: inline-block; min-width: 9em; text-align: center; }}
  pre {{ background: #f6f6f6; padding: 0.8em; overflow-x: auto; }}
  svg {{ max-width: 100%; height: auto; }}
</style>
</head>
<body>
<h1>{title}</h1>
<details><summary>The forward pass</summary><pre>{forward}</pre></details>
<p>Red: the node whose chain rule was just applied. Green: finished. Keys: &larr; and &rarr;.</p>
<nav>
  <button id="previous" type="button">Previous</button>
  <span id="counter">step 1 of {total}</span>
  <button id="next" type="button">Next</button>
</nav>
{frames}
<script>
(function () {{
  var frames = document.querySelectorAll(".frame");
  var previous = document.getElementById("previous");
  var next = document.getElementById("next");
  var counter = document.getElementById("counter");
  var current = 0;
  function show(k) {{
    current = Math.max(0, Math.min(frames.length - 1, k));
    for (var j = 0; j < frames.length; j++) {{ frames[j].hidden = (j !== current); }}
    counter.textContent = "step " + (current + 1) + " of " + frames.length;
    previous.disabled = (current === 0);
    next.disabled = (current === frames.length - 1);
  }}
  previous.addEventListener("click", function () {{ show(current - 1); }});
  next.addEventListener("click", function () {{ show(current + 1); }});
  document.addEventListener("keydown", function (event) {{
    if (event.key === "ArrowRight") {{ show(current + 1); event.preventDefault(); }}
    if (event.key === "ArrowLeft") {{ show(current - 1); event.preventDefault(); }}
  }});
  show(0);
}})();
</script>
</body>
</html>
"""
