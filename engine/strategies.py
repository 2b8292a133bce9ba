"""Hypothesis strategies for testing gradients: points in an op's domain, Values and random programs.

An optional extra, like ``hypothesis.extra``: ``engine/__init__`` does not import this
module, so only code that uses it needs Hypothesis (``pip install hypothesis``).  Use it
in your own tests together with ``engine.gradcheck``::

    from hypothesis import given
    from engine import gradcheck
    from engine.strategies import programs

    @given(programs(n_inputs=2, max_nodes=6))
    def test_random_programs_have_the_right_gradients(program):
        assert gradcheck(program, program.values())

Every strategy keeps away from the places where finite differences cannot judge a
derivative: outside an op's domain or near its edge (log near 0), near a kink (relu at 0),
and where values or derivatives grow huge.  Small random ``nn`` models are drawn by
``nn.strategies.mlps`` (the engine knows nothing of nn).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass

from hypothesis import strategies as st

from .ops import OPS, Op
from .value import Value, apply

__all__ = ["floats_in_domain", "values", "programs", "Program", "Instruction"]

# An instruction is kept only where it is well conditioned; these bounds keep finite differences
# with eps=1e-6 accurate to gradcheck's default tolerances.
MARGIN = 1e-3  # distance kept from a kink or a domain's edge, per unit of sensitivity to the inputs
MAX_VALUE = 1e3  # largest |value| of a node
MAX_LOCAL = 1e3  # largest |d(node)/d(input)| of one op
MAX_SENSITIVITY = 1e4  # largest sum over inputs of |d(node)/d(x_i)| (a bound, computed as we go)

# Constants a program may use as an op's argument: the exponent of pow, the slope of
# leaky_relu, a divisor.  Ordered so that shrinking moves toward the first.
CONSTANTS = (2.0, 0.5, -1.0, 3.0, 0.1)
MAX_VARARGS = 4  # most inputs drawn for sum and dot


# --- programs: what a drawn computation graph is ---------------------------------------------


@dataclass(frozen=True)
class Instruction:
    """One line of a Program: ``op`` applied to ``args`` makes one node.

    Each argument is an ``int``, the index of an earlier node (inputs first, then
    instructions), or
    a ``float``, a constant.

    >>> Instruction("mul", (0, 2.0))
    Instruction('mul', (0, 2.0))
    """

    op: str
    args: tuple[int | float, ...]

    def __repr__(self) -> str:
        return f"Instruction({self.op!r}, {self.args!r})"


@dataclass(frozen=True)
class Program:
    """A straight-line program over the op table: inputs ``x0, x1, ...``, then instructions ``v2, v3, ...``.

    Calling it on Values builds the graph and returns its outputs: the nodes that no later
    instruction uses.  ``values()`` gives fresh input leaves holding the drawn numbers, so
    ``program(*program.values())`` evaluates it where it was drawn.

    >>> p = Program((0.5, -1.0), (Instruction("mul", (0, 1)),
    ...                           Instruction("tanh", (2,)),
    ...                           Instruction("pow", (0, 2.0))))
    >>> p
    Program(inputs=(0.5, -1.0), outputs=[v3, v4]):
      v2 = x0 * x1
      v3 = tanh(v2)
      v4 = x0 ** 2.0
    >>> p(*p.values())
    [Value(data=-0.46211715726000974, grad=0.0), Value(data=0.25, grad=0.0)]
    """

    inputs: tuple[float, ...]
    instructions: tuple[Instruction, ...]

    @property
    def n_inputs(self) -> int:
        return len(self.inputs)

    def values(self) -> list[Value]:
        """Fresh input leaves ``x0, x1, ...`` holding the drawn numbers."""
        return [Value(x, label=f"x{i}") for i, x in enumerate(self.inputs)]

    def output_indices(self) -> list[int]:
        """Node indices of the outputs: the instructions' nodes that no later instruction uses."""
        used = {a for step in self.instructions for a in step.args if isinstance(a, int)}
        first = self.n_inputs
        return [first + k for k in range(len(self.instructions)) if first + k not in used]

    def __call__(self, *inputs: Value) -> list[Value]:
        if len(inputs) != self.n_inputs:
            raise TypeError(f"Program: takes {self.n_inputs} input Value(s), got {len(inputs)}")
        nodes = list(inputs)
        for step in self.instructions:
            args = [nodes[a] if isinstance(a, int) else Value(a) for a in step.args]
            nodes.append(apply(step.op, *args))
        return [nodes[i] for i in self.output_indices()]

    def __repr__(self) -> str:
        outputs = ", ".join(_node_name(i, self.n_inputs) for i in self.output_indices())
        lines = [f"Program(inputs={self.inputs!r}, outputs=[{outputs}]):"]
        for k, step in enumerate(self.instructions):
            lines.append(f"  {_node_name(self.n_inputs + k, self.n_inputs)} = {self._expression(step)}")
        return "\n".join(lines)

    def _repr_pretty_(self, printer, cycle: bool) -> None:
        # Hypothesis (and IPython) print a falsifying Program with this: the listing above.
        printer.text(repr(self))

    def _expression(self, step: Instruction) -> str:
        op = OPS[step.op] if step.op in OPS else None
        args = [_node_name(a, self.n_inputs) if isinstance(a, int) else repr(a) for a in step.args]
        if op is not None and op.is_infix:
            return f"{args[0]} {op.symbol} {args[1]}"
        if op is not None and op.name == "neg":
            return f"-{args[0]}"
        return f"{step.op}({', '.join(args)})"


def _node_name(index: int, n_inputs: int) -> str:
    return f"x{index}" if index < n_inputs else f"v{index}"


# --- what counts as a well-conditioned point -------------------------------------------------


def _trouble(op: Op, args: Sequence[float], sensitivities: Sequence[float]) -> str | None:
    """Why finite differences could not judge ``op`` at ``args``, or None when they can.

    ``sensitivities[k]`` bounds how fast argument k moves when the inputs move (0 for a
    constant); the margins kept from kinks and domain edges grow with it.
    """
    if op.check is not None and op.check(*args):
        return "outside the domain"
    if op.check is not None:
        # Every corner and edge of the box around args (constants stay put): moving one
        # argument at a time would miss 1e-200 ** 2.0 going to -0.001 ** 2.001.
        shifts = [(-m, 0.0, m) if m else (0.0,) for m in (MARGIN * max(1.0, s) if s else 0.0 for s in sensitivities)]
        for shift in itertools.product(*shifts):
            if op.check(*[a + d for a, d in zip(args, shift)]):
                return "near the edge of the domain"
    if op.kinks and sensitivities[0]:
        margin = MARGIN * max(1.0, sensitivities[0])
        if any(abs(args[0] - kink) <= margin for kink in op.kinks):
            return "near a kink"
    try:
        out = op.forward(*args)
        local = op.derivatives(out, *args)
    except (ValueError, ZeroDivisionError, OverflowError):
        return "outside the domain"
    if not (math.isfinite(out) and abs(out) <= MAX_VALUE):
        return "too large a value"
    if len(local) != len(args) or not all(math.isfinite(d) and abs(d) <= MAX_LOCAL for d in local):
        return "too large a derivative"
    return None


def _as_op(op: str | Op, where: str) -> Op:
    if isinstance(op, Op):
        return op
    if isinstance(op, str) and op in OPS:
        return OPS[op]
    raise ValueError(f"{where}: unknown op {op!r}; known ops: {', '.join(OPS)}")


def _n_args(op: Op, drawn: int) -> int:
    """How many arguments a step of ``op`` takes, given a drawn count for sum and dot."""
    if op.arity is not None:
        return op.arity
    if op.name == "dot" or (op.check is not None and op.check(*([1.0] * drawn))):
        return 2 * max(1, drawn // 2)  # dot pairs weights with inputs
    return drawn


# --- the strategies ----------------------------------------------------------------------------


def floats_in_domain(op: str | Op, *, min_value: float = -3.0, max_value: float = 3.0) -> st.SearchStrategy:
    """Tuples of floats to call ``op`` with, well inside its domain and away from its kinks.

    Draws ``op.arity`` floats in ``[min_value, max_value]`` (1 to 4 for ``sum``, an even
    number for ``dot``) such that the op's ``check`` passes within a margin of 1e-3 around
    them, the first is 1e-3 or more from any kink, and the value and the local derivatives
    are finite and at most 1e3.  Shrinks toward fewer arguments and toward 0.0 (then the
    margins push it just off 0).

    >>> from hypothesis import find
    >>> find(floats_in_domain("log"), lambda args: True)
    (1.0,)
    """
    op = _as_op(op, "floats_in_domain")
    if op.arity is None:
        counts = st.integers(1, MAX_VARARGS).map(lambda n: _n_args(op, n))
        tuples = counts.flatmap(lambda n: st.tuples(*[_floats(min_value, max_value)] * n))
    else:
        tuples = st.tuples(*[_floats(min_value, max_value)] * op.arity)
    return tuples.filter(lambda args: _trouble(op, args, [1.0] * len(args)) is None)


def values(*, min_value: float = -3.0, max_value: float = 3.0, label: str = "") -> st.SearchStrategy:
    """Leaf Values holding a finite float in ``[min_value, max_value]``; shrinks toward Value(0.0).

    >>> from hypothesis import find
    >>> find(values(label='x'), lambda v: v.data > 1)
    Value(data=2.0, grad=0.0, label='x')
    """
    return _floats(min_value, max_value).map(lambda x: Value(x, label=label))


def programs(
    *,
    n_inputs: int = 2,
    max_nodes: int = 8,
    ops: Sequence[str | Op] | None = None,
    min_value: float = -3.0,
    max_value: float = 3.0,
) -> st.SearchStrategy:
    """Random computation graphs, drawn as a ``Program``: input values and a list of instructions.

    Each instruction applies an op (from ``ops``, default every op in ``OPS`` now) to earlier nodes
    or constants, so reuse (``x0 * x0``, a node used twice) comes up by itself.  Instructions that
    would leave an op's domain, sit near a kink, or make values or derivatives huge are
    skipped, so ``gradcheck(program, program.values())`` can judge every drawn program.

    ``n_inputs`` inputs ``x0, x1, ...`` are drawn in ``[min_value, max_value]``; at most
    ``max_nodes`` instructions follow.  Shrinking drops instructions, moves each argument
    toward the newest node and constants toward nodes, ops toward the first of ``ops``, and
    inputs toward 0.0.

    >>> from hypothesis import find
    >>> find(programs(n_inputs=1, ops=["tanh", "exp"]), lambda p: len(p.instructions) >= 2)
    Program(inputs=(0.0,), outputs=[v2]):
      v1 = tanh(x0)
      v2 = tanh(v1)
    """
    if isinstance(n_inputs, bool) or not isinstance(n_inputs, int) or n_inputs < 1:
        raise ValueError(f"programs: n_inputs must be an int >= 1, got {n_inputs!r}")
    if isinstance(max_nodes, bool) or not isinstance(max_nodes, int) or max_nodes < 1:
        raise ValueError(f"programs: max_nodes must be an int >= 1, got {max_nodes!r}")
    default = [op for op in OPS.values() if op.smooth]  # take, max, detach need more than random floats
    chosen = [_as_op(op, "programs") for op in (default if ops is None else ops)]
    if not chosen:
        raise ValueError("programs: ops must name at least one op, got an empty list")
    inputs = st.tuples(*[_floats(min_value, max_value)] * n_inputs)
    raw = st.lists(_raw_instruction(st.sampled_from((None, *chosen))), min_size=1, max_size=max_nodes)
    return st.builds(_build, inputs, raw).filter(lambda program: program.instructions)


def _build(inputs: tuple[float, ...], raw_steps: list) -> Program:
    """Read raw instructions into a Program, skipping those that finite differences could not judge."""
    data = list(inputs)  # the value of every node so far
    sensitivity = [1.0] * len(inputs)  # a bound on sum_i |d(node)/d(x_i)|
    steps = []
    for op, raw_args in raw_steps:
        if op is None:
            continue
        # An int counts back from the newest node, modulo the nodes there are: dropping a
        # raw instruction never breaks the ones after it, and the pair "exp, then log of
        # it" stays a pair when instructions before it go.  That is what lets Hypothesis
        # shrink a program one instruction at a time.
        args = [a if isinstance(a, float) else len(data) - 1 - a % len(data) for a in raw_args]
        if all(isinstance(a, float) for a in args):
            continue  # a step on constants only is a constant: nothing to check
        floats = [data[a] if isinstance(a, int) else a for a in args]
        sens = [sensitivity[a] if isinstance(a, int) else 0.0 for a in args]
        if _trouble(op, floats, sens) is not None:
            continue
        out = op.forward(*floats)
        local = op.derivatives(out, *floats)
        s = math.fsum(abs(d) * si for d, si in zip(local, sens))
        if s > MAX_SENSITIVITY:
            continue
        data.append(float(out))
        sensitivity.append(s)
        steps.append(Instruction(op.name, tuple(args)))
    return Program(tuple(inputs), tuple(steps))


# Built once: making strategies inside a draw costs more than the drawing.
_VARARG_COUNTS = st.integers(1, MAX_VARARGS)
_IS_CONSTANT = st.booleans()
_CONSTANT = st.sampled_from(CONSTANTS)
_OFFSET = st.integers(0, 1023)


@st.composite
def _raw_instruction(draw, ops: st.SearchStrategy):
    """An op (or None) and its raw arguments: ints (how far back the node is) or floats (constants).

    ``ops`` samples None first: Hypothesis shrinks a choice toward the first option, so an
    instruction it cannot delete outright still shrinks to None, which _build leaves out.
    """
    op = draw(ops)
    if op is None:
        return None, []
    n = op.arity if op.arity is not None else _n_args(op, draw(_VARARG_COUNTS))
    args = []
    for _ in range(n):
        # Constants only for ops of several inputs: a one-input op of a constant is a constant.
        if n > 1 and draw(_IS_CONSTANT):
            args.append(draw(_CONSTANT))
        else:
            args.append(draw(_OFFSET))
    return op, args


def _floats(min_value: float, max_value: float) -> st.SearchStrategy:
    return st.floats(min_value=min_value, max_value=max_value, allow_nan=False, allow_infinity=False)
