"""The stepper's words: a Step as the chain rule with numbers, where() and explain() as text.

Every text here is a ``Text``: a str that the REPL and ``print()`` show the same way,
line breaks and all.  Names, numbers and op calls come from the text module every view
uses, so a node reads the same here as in ``format_graph`` and in the drawings.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Iterator

from ..ops import Op
from ..text import format_number, op_call
from ..value import Value, backward_pass, local_derivatives, rule_of
from .walk import Walk, wrap

__all__ = ["Text", "Step", "assignment", "forward_steps_text", "where_text", "explain_text", "CUSTOM"]

MAX_INPUT_LINES = 8  # a Step of a 1000-input sum shows this many inputs, then "... N more"
MAX_PATHS = 8  # explain() writes out every path up to this many, then groups them
WHERE_AROUND = 4  # where() lists this many steps on each side of the current one
CUSTOM = "a custom backward written in Python, whose local derivatives are unknown"


class Text(str):
    """A str that a REPL shows as text (with its line breaks), exactly as ``print()`` does."""

    def __repr__(self) -> str:
        return str(self)


def num(x: float) -> str:
    return format_number(x, sig=6)


def plural(n: int, what: str) -> str:
    return f"{n} {what}" if n == 1 else f"{n} {what}s"


def is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def assignment(walk: Walk, node: Value) -> str:
    """'n = (x1*w1 + x2*w2) + b': how a computed node was made, in names."""
    if not node._prev:
        return f"{walk.name(node)} (the seed)"
    names = [name if is_number(name) else wrap(name) for name in map(walk.name, node._prev)]
    return f"{walk.name(node)} = {call(node, names)}"


def call(node: Value, arg_names: list[str]) -> str:
    """The node's op applied to ``arg_names``: its table row's way of writing it, else its label as written."""
    rule = rule_of(node)
    return op_call(rule if isinstance(rule, Op) else node._op, arg_names)


# --- one step ------------------------------------------------------------------------------


class Step:
    """One node's chain rule, applied: what the backward pass did at that node.

    Its repr (and ``print(step)``) reads like the chain rule with numbers; its parts are attributes:

    ``index``, ``total``  this is step ``index + 1`` of ``total`` (backward order)
    ``node``              the Value whose rule was applied (``L`` is the root)
    ``rule``              what backward ran there: its row of the op table (an ``Op``), a custom
                          ``_backward`` function, or None for the seed of a leaf root
    ``op``                the ``Op`` for a table rule, else None
    ``inputs``            the node's inputs (``node._prev``; a Value used twice appears twice)
    ``upstream``          dL/dnode, the node's grad when its rule ran
    ``local``             d node / d input, one per input, from the op table (None: a custom backward)
    ``contributions``     upstream * local: what each input's grad received (None: a custom backward)
    ``grads_before``      the inputs' grads just before the step (what ``Stepper.back()`` restores)
    ``grads``             the inputs' grads just after the step

    >>> from engine import Value, backward_steps
    >>> x = Value(0.5, label='x'); y = x.tanh(); y.label = 'y'
    >>> step = next(backward_steps(y))
    >>> step.upstream, step.local, step.grads
    (1.0, (0.7864477329659274,), (0.7864477329659274,))
    """

    __slots__ = ("index", "total", "node", "rule", "op", "inputs", "upstream", "local", "contributions",
                 "grads_before", "grads", "_walk")  # fmt: skip

    def __init__(self, walk: Walk, k: int, local: tuple | None, before: tuple, after: tuple):
        node = walk.nodes[k]
        self._walk = walk
        self.index = k
        self.total = len(walk.nodes)
        self.node = node
        self.rule = rule_of(node)
        self.op: Op | None = self.rule if isinstance(self.rule, Op) else None
        self.inputs = node._prev
        self.grads_before = before
        self.grads = after
        self.upstream = node.grad if node._prev else walk.gradient
        if not node._prev:
            self.local, self.contributions = (), (walk.gradient,)
        elif local is None:
            self.local = self.contributions = None
        else:
            self.local = tuple(local)
            self.contributions = tuple(d * self.upstream for d in self.local)  # the product backward adds

    @property
    def custom(self) -> bool:
        """True when the node's rule is a ``_backward`` written in Python (micrograd's style)."""
        return bool(self.inputs) and self.op is None

    def __repr__(self) -> str:
        if not self.inputs:
            return self._seed_text()
        lines = self._custom_lines() if self.custom else self._chain_rule_lines()
        header = f"{assignment(self._walk, self.node)}: "
        if len(header) > 24:  # a long expression: put the lines under it rather than beside it
            return header.rstrip() + "\n" + "\n".join("    " + line for line in lines)
        return header + ("\n" + " " * len(header)).join(lines)

    def _seed_text(self) -> str:
        name = self._walk.name(self.node)
        out = wrap(name)
        return (
            f"{name} is L itself: dL/d{out} += {num(self.upstream)} (the seed, dL/dL)"
            f"  ->  {out}.grad = {num(self.grads[0])}"
        )

    def _chain_rule_lines(self) -> list[str]:
        name, out = self._walk.name, wrap(self._walk.name(self.node))
        lines = []
        running = dict(zip(self.inputs, self.grads_before))
        for i, (child, d, c) in enumerate(zip(self.inputs, self.local, self.contributions)):
            running[child] = running[child] + c  # replays backward's += exactly, so the numbers match
            if i < MAX_INPUT_LINES:
                x = wrap(name(child))
                lines.append(
                    f"dL/d{x} += dL/d{out} * d{out}/d{x} = {num(self.upstream)} * {num(d)} "
                    f"= {num(c)}  ->  {x}.grad = {num(running[child])}"
                )
        if len(self.inputs) > MAX_INPUT_LINES:
            lines.append(f"... and {len(self.inputs) - MAX_INPUT_LINES} more inputs, the same way")
        lines.append(f"({self.op.name}: {self.op.note})" if self.op.note else f"({self.op.name})")
        return lines

    def _custom_lines(self) -> list[str]:
        name, out = self._walk.name, wrap(self._walk.name(self.node))
        lines = [f"dL/d{out} = {num(self.upstream)}, passed on by {CUSTOM}:"]
        first = dict(zip(reversed(self.inputs), reversed(self.grads_before)))  # an input used twice:
        last = dict(zip(self.inputs, self.grads))  # its grad before the step, and after it
        for child in dict.fromkeys(self.inputs):
            before, after = first[child], last[child]
            lines.append(f"{wrap(name(child))}.grad: {num(before)} -> {num(after)} (received {num(after - before)})")
        if len(lines) > MAX_INPUT_LINES + 1:
            lines[MAX_INPUT_LINES + 1 :] = [f"... and {len(lines) - MAX_INPUT_LINES - 1} more inputs"]
        return lines


# --- the forward pass, and where we are ----------------------------------------------------


def forward_steps_text(walk: Walk) -> Text:
    """How each value in the graph was computed, inputs first."""
    lines = []
    for node in walk.order:
        if node._prev:
            numbers = [num(child.data) for child in node._prev]
            lines.append(f"{assignment(walk, node)} = {call(node, numbers)} = {num(node.data)}")
    if not lines:
        lines.append(f"{walk.name(walk.root)} = {num(walk.root.data)} (an input: nothing to compute)")
    return Text("\n".join(lines))


def where_text(walk: Walk, position: int, full: bool) -> Text:
    """What has been done and what comes next, around step ``position`` (every step if ``full``)."""
    total = len(walk.nodes)
    lines = [f"stepping backward from {walk.name(walk.root)}: {position} of {total} steps done"]
    first, last = (0, total) if full else (max(0, position - WHERE_AROUND), min(total, position + WHERE_AROUND))
    if first > 0:
        lines.append(f"        ... {plural(first, 'earlier step')} (where(full=True) lists every step)")
    for j in range(first, last):
        mark = "done" if j < position - 1 else "now " if j == position - 1 else "next" if j == position else "    "
        lines.append(f"  {mark}  {j + 1}. {assignment(walk, walk.nodes[j])}")
    if last < total:
        lines.append(f"        ... {plural(total - last, 'more step')} (where(full=True) lists every step)")
    return Text("\n".join(lines))


# --- explain(): the chain rule along every path ------------------------------------------------


def explain_text(walk: Walk, node: Value, position: int) -> Text:
    """dL/dnode by the chain rule, and how far stepping has got with its grad."""
    walk.index(node, "explain")  # refuses nodes outside the graph
    lhs = f"dL/d{wrap(walk.name(node))}"
    if node is walk.root:
        text = f"{lhs} = {num(walk.gradient)} (the seed: L is {walk.name(node)} itself)"
        return Text(text + f"\n{wrap(walk.name(node))}.grad = {num(node.grad)}")
    paths = count_paths(walk, node)
    rows = path_rows(walk, node) if paths <= MAX_PATHS else grouped_rows(walk, node, paths)
    pad = " " * (len(lhs) + 1)
    text = f"{lhs} = " + "\n".join((pad + r if j else r) for j, r in enumerate(rows))
    return Text(text + progress(walk, node, position))


def path_rows(walk: Walk, node: Value) -> list[str]:
    """One product of local derivatives per path from L down to ``node``, then their sum."""
    name = walk.name
    symbols, numbers, total, custom = [], [], 0.0, []
    for path in paths_to(walk, node):  # each path: the edges (user, input position) from L down
        factors, values = [f"dL/d{wrap(name(walk.root))}"], [walk.gradient]
        for user, i in path:
            factors.append(f"d{wrap(name(user))}/d{wrap(name(user._prev[i]))}")
            local = local_derivatives(user)
            values.append(None if local is None else local[i])
            if local is None and user not in custom:
                custom.append(user)
        symbols.append(" * ".join(factors))
        numbers.append(" * ".join("?" if v is None else num(v) for v in values))
        total += 0.0 if None in values else math.prod(values)
    rows = [symbols[0]] + ["+ " + s for s in symbols[1:]] + ["= " + numbers[0]] + ["+ " + n for n in numbers[1:]]
    if custom:  # a '?' cannot be multiplied out: the number is the backward pass's own
        users = " and ".join(name(u) for u in custom)
        has = "has" if len(custom) == 1 else "each have"
        note = f"(?: {users} {has} {CUSTOM}; the total is what the backward pass gives)"
        return rows + [f"= {num(derivatives(walk)[node])}", note]
    return rows + [f"= {num(total)}"]


def grouped_rows(walk: Walk, node: Value, paths: int) -> list[str]:
    """Beyond a few paths: dL/du * du/dnode for each user u of the node, with backward's numbers."""
    name, derivative = walk.name, derivatives(walk)
    users = walk.consumers(node)
    symbols = [f"dL/d{wrap(name(u))} * d{wrap(name(u))}/d{wrap(name(node))}" for u, _ in users]
    locals_ = [local_derivatives(u) for u, _ in users]
    numbers = [
        f"{num(derivative[u])} * {'?' if local is None else num(local[i])}"
        for (u, i), local in zip(users, locals_)
    ]
    rows = [" + ".join(symbols), "= " + " + ".join(numbers), f"= {num(derivative[node])}"]
    return rows + [f"({paths} paths lead from L to {name(node)}; they are grouped here by its users)"]


def progress(walk: Walk, node: Value, position: int) -> str:
    """How far stepping has got with this node's grad."""
    name = wrap(walk.name(node))
    users = [walk.index(u, "explain") for u, _ in walk.consumers(node)]
    waiting = sum(1 for k in users if k >= position)
    if waiting:
        return (
            f"\nstepping so far: {name}.grad = {num(node.grad)}, "
            f"{waiting} of {plural(len(users), 'contribution')} still to come"
        )
    return f"\nstepping has finished with it: {name}.grad = {num(node.grad)}"


def count_paths(walk: Walk, node: Value) -> int:
    """How many paths lead from the root down to ``node`` (an edge used twice counts twice)."""
    count = {walk.root: 1}
    for user in reversed(walk.order):
        for child in user._prev:
            count[child] = count.get(child, 0) + count.get(user, 0)
    return count.get(node, 0)


def paths_to(walk: Walk, node: Value) -> Iterator[list[tuple[Value, int]]]:
    """Every path from the root down to ``node``, as its edges (user, input position), root first."""
    stack = [(node, [])]
    while stack:
        current, below = stack.pop()
        if current is walk.root:
            yield below
            continue
        for user, i in reversed(walk.consumers(current)):
            stack.append((user, [(user, i), *below]))


def derivatives(walk: Walk) -> dict[Value, float]:
    """dL/dnode for every node: ``backward_pass`` run once on the side, every grad put back after.

    The leaves start from 0 for it (they accumulate), so each number is dL/dnode alone.
    """
    saved = [(node, node.grad) for node in walk.order]
    try:
        for node in walk.order:
            node.grad = 0.0
        deque(backward_pass(walk.root, walk.gradient), maxlen=0)
        return {node: node.grad for node in walk.order}
    finally:
        for node, grad in saved:
            node.grad = grad
