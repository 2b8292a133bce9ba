"""Compiled replay: trace a function of Values once, then re-run its graph as straight-line Python.

Training evaluates the same graph shape at every step; only the numbers in the leaves
(parameters, inputs) change.  ``compile(fn)`` runs ``fn()`` once, eagerly, and turns the
graph it built into one Python function whose lines are the graph's nodes, forward then
backward (``v7 = v3 * v5`` ... ``g3 += v5 * g7``).  Calling the result reads the leaves'
current ``.data``, runs that function, and adds into the leaves' ``.grad`` exactly what
``fn().backward()`` would have: no Value is built, so there is nothing for the garbage
collector to chase.  NB: the idea of ``torch.compile`` / ``jax.jit``, in thirty lines of
generated Python you can read (``.source``).

>>> from engine import Value, compile
>>> w = Value(2.0, label='w'); x = Value(3.0, label='x')
>>> step = compile(lambda: (w * x).relu())
>>> step()              # the value of fn(); the grads are filled in as by backward()
6.0
>>> w.grad, x.grad
(3.0, 2.0)
>>> w.data = 4.0; w.grad = x.grad = 0.0
>>> step(), w.grad      # new leaf values, no new graph
(12.0, 3.0)
"""

from __future__ import annotations

import builtins
import linecache
import math
from collections.abc import Callable
from operator import attrgetter

from .gradcheck import _graph  # every node behind several outputs, in one topological order
from .ops import OPS
from .value import Value, backward_pass, is_anomaly_enabled, record_reads, topological_order

__all__ = ["compile", "CompiledGraph", "BranchChangedError"]


class BranchChangedError(ValueError):
    """A comparison the traced function made came out differently for the new leaf values.

    The compiled replay re-runs the arithmetic of the traced graph, not the Python around
    it: if ``fn`` compared Values (``<``, ``max``, ``sorted``) and would now take another
    branch, the graph itself would differ, so the replay refuses.  Call ``compile(fn)``
    again to trace the new branch.
    """


# --- fast paths: the commonest ops written out as Python expressions ----------------------
# Every other op calls its row of the op table.  These strings are the table's lambdas
# spelled inline ({0}, {1}: the inputs; {out}: the node's value), and tests/test_compile.py
# checks them against the table on many inputs, bit for bit: the table stays the only
# source of each derivative.
FORWARD = {
    "add": "{0} + {1}",
    "sub": "{0} - {1}",
    "mul": "{0} * {1}",
    "neg": "-{0}",
    "relu": "({0} if {0} > 0.0 else 0.0)",
    "tanh": "_tanh({0})",
    "exp": "_exp({0})",
}
LOCAL_DERIVATIVES = {
    "add": ("1.0", "1.0"),
    "sub": ("1.0", "-1.0"),
    "mul": ("{1}", "{0}"),
    "neg": ("-1.0",),
    "relu": ("(1.0 if {0} > 0.0 else 0.0)",),
    "tanh": ("(1.0 - {out} * {out})",),
    "exp": ("{out}",),
}
# sum and dot take any number of inputs: forward added left to right from 0.0, as the table does.


def _forward_expression(op_name: str, args: list[str]) -> str | None:
    """The inline forward of ``op_name`` on the variables ``args``, or None to call the table."""
    if op_name in FORWARD:
        return FORWARD[op_name].format(*args)
    if op_name == "sum":
        return " + ".join(["0.0", *args])
    if op_name == "dot":
        n = len(args) // 2
        return " + ".join(["0.0", *(f"{w} * {x}" for w, x in zip(args[:n], args[n:]))])
    return None


def _local_expressions(op_name: str, out: str, args: list[str]) -> list[str] | None:
    """The inline local derivatives of ``op_name``, one per input, or None to call the table."""
    if op_name in LOCAL_DERIVATIVES:
        return [d.format(*args, out=out) for d in LOCAL_DERIVATIVES[op_name]]
    if op_name == "sum":
        return ["1.0"] * len(args)
    if op_name == "dot":  # d/dw_i = x_i, d/dx_i = w_i
        n = len(args) // 2
        return args[n:] + args[:n]
    return None


# --- tracing and code generation ---------------------------------------------------------


class _OutsideDomain(Exception):
    """Raised by generated code where an op's domain check fails: the eager run explains it."""


def compile(fn: Callable[[], object]) -> CompiledGraph:  # noqa: A001 - engine.compile, like torch.compile
    """Trace ``fn()`` once and return a ``CompiledGraph`` that replays it for new leaf values.

    ``fn`` takes no arguments and returns the Value to differentiate (a loss), or a tuple
    ``(loss, extras)`` where ``extras`` is a Value or a list of Values whose numbers you
    also want back (scores, for an accuracy).  Every leaf of the graph, parameters and
    inputs alike, is read again at each call, so change ``.data`` between calls.

    >>> from engine import Value, compile
    >>> x = Value(0.5)
    >>> f = compile(lambda: x * x + 1)
    >>> f(), x.grad
    (1.25, 1.0)
    """
    if not callable(fn):
        raise TypeError(f"compile: expected a function of no arguments returning a Value, got {type(fn).__name__}")
    with record_reads() as reads:
        returned = fn()
    comparisons = [(r.detail[0], r.node, r.detail[1], r.result) for r in reads if r.kind == "compare"]
    root, extras = _split_outputs(returned)
    return CompiledGraph(fn, root, extras, comparisons)


def _split_outputs(returned: object) -> tuple[Value, list[Value] | Value | None]:
    if isinstance(returned, tuple) and len(returned) == 2:
        root, extras = returned
        bad = [e for e in ([extras] if isinstance(extras, Value) else extras) if not isinstance(e, Value)]
        if bad:
            raise TypeError(f"compile: extras must be Values, got {type(bad[0]).__name__} {bad[0]!r}")
    else:
        root, extras = returned, None
    if not isinstance(root, Value):
        raise TypeError(
            f"compile: fn() must return a Value (or a tuple (loss, extras)), got {type(root).__name__} {root!r}"
        )
    if not root._prev:
        raise ValueError(
            f"compile: fn() returned a leaf {root!r}, which has no graph to compile (was it computed inside no_grad()?)"
        )
    return root, extras


class CompiledGraph:
    """The traced graph of a function, as Python source for its forward and backward pass.

    Call it (``compiled()`` or ``compiled(gradient)``) to run forward and backward with the
    leaves' current values: it returns the output's value (and the extras' values, when
    ``fn`` returned some) and adds into each leaf's ``.grad`` what ``backward()`` would,
    performing the very same float operations in the same order, so values and grads are
    equal to eager mode's bit for bit.  Interior nodes' ``.grad`` are not filled in: step
    through or draw ``traced`` (the eager graph of the first run) for those.

    Attributes: ``fn``, ``traced`` (the output Value of the trace), ``leaves``, ``source``
    (the generated Python), ``guards`` (the comparisons checked on every call).
    """

    def __init__(self, fn: Callable[[], object], root: Value, extras, comparisons: list):
        self.fn = fn
        self.traced = root
        # Calls return what fn returned, as numbers: a float, or (float, float or tuple of floats).
        self._extras_shape = None if extras is None else "one" if isinstance(extras, Value) else "many"
        extra_values = [] if extras is None else [extras] if isinstance(extras, Value) else list(extras)
        self.guards = [(symbol, a, b, outcome) for symbol, a, b, outcome in comparisons]
        # Forward: every node fn built that the output, the extras or a guard needs.
        guard_values = [v for _, a, b, _ in self.guards for v in (a, b) if isinstance(v, Value)]
        nodes = _graph([root, *extra_values, *guard_values])
        self._var = {node: f"v{i}" for i, node in enumerate(nodes)}
        self.leaves = [node for node in nodes if not node._prev]
        # Backward: the nodes behind the output, in the order backward() visits them.
        behind = topological_order(root)
        self._grad_leaves = [node for node in behind if not node._prev]
        self.source = self._generate(nodes, behind, root, extra_values)
        self._replay = self._build(self.source)

    def __repr__(self) -> str:
        return (
            f"CompiledGraph({len(self._var)} nodes, {len(self.leaves)} leaves, "
            f"{len(self.guards)} guard(s), output {self.traced.data!r} when traced)"
        )

    def __call__(self, gradient: float = 1.0):
        if is_anomaly_enabled():
            return self._run_eagerly(gradient)  # detect_anomaly() checks every node: give it nodes
        try:
            out, extras, grads = self._replay(self.leaves, self._grad_leaves, float(gradient))
        except BranchChangedError:
            raise
        except (_OutsideDomain, ArithmeticError, ValueError):
            # A value outside an op's domain: the eager run raises the engine's own error,
            # which names the op and the node.
            return self._run_eagerly(gradient)
        for leaf, grad in zip(self._grad_leaves, grads):
            leaf.grad = grad
        return self._shaped(out, extras)

    def _shaped(self, out: float, extras: tuple):
        if self._extras_shape is None:
            return out
        return out, extras[0] if self._extras_shape == "one" else extras

    # --- building the function -----------------------------------------------------------

    def _generate(self, nodes: list[Value], behind: list[Value], root: Value, extras: list[Value]) -> str:
        v = self._var
        lines = ["def replay(leaves, grad_leaves, gradient):"]
        lines.append(f"    {_targets([v[leaf] for leaf in self.leaves])} = map(_data, leaves)")
        lines.append("    # forward: one line per node, in topological order")
        for node in nodes:
            if node._prev:
                lines.extend(self._forward_lines(node))
        for k, (symbol, a, b, outcome) in enumerate(self.guards):
            a, b = self._operand(a), self._operand(b)
            failed = f"not ({a} {symbol} {b})" if outcome else f"{a} {symbol} {b}"
            lines.append(f"    if {failed}: _branch_changed(guards[{k}], {a}, {b})")
        lines.append("    # backward: the chain rule, node by node, in the order backward() takes")
        lines.append(f"    {_targets(['g' + v[leaf][1:] for leaf in self._grad_leaves])} = map(_grad, grad_leaves)")
        lines.append(f"    g{v[root][1:]} = gradient")
        seen = set(self._grad_leaves) | {root}
        for node in reversed(behind):
            if node._prev:
                lines.extend(self._backward_lines(node, seen))
        grads = ", ".join("g" + v[leaf][1:] for leaf in self._grad_leaves)
        extra_vars = ", ".join(v[e] for e in extras)
        lines.append(f"    return {v[root]}, ({extra_vars}{',' if extras else ''}), ({grads},)")
        return "\n".join(lines) + "\n"

    def _operand(self, x: object) -> str:
        return self._var[x] if isinstance(x, Value) else repr(float(x))

    def _forward_lines(self, node: Value) -> list[str]:
        op = OPS[node._op]
        args = [self._var[p] for p in node._prev]
        out = self._var[node]
        comment = f"  # {node.label}" if node.label else ""
        lines = []
        if op.check is not None:
            lines.append(f"    if check_{op.name}({', '.join(args)}): raise _OutsideDomain")
        expression = _forward_expression(op.name, args)
        if expression is None:
            expression = f"float(forward_{op.name}({', '.join(args)}))"
        lines.append(f"    {out} = {expression}{comment}")
        return lines

    def _backward_lines(self, node: Value, seen: set) -> list[str]:
        op = OPS[node._op]
        args = [self._var[p] for p in node._prev]
        out = self._var[node]
        grad = "g" + out[1:]
        lines = []
        local = _local_expressions(op.name, out, args)
        if local is None:
            lines.append(f"    d = derivatives_{op.name}({out}, {', '.join(args)})")
            local = [f"d[{i}]" for i in range(len(args))]
        for parent, d in zip(node._prev, local):
            # backward()'s `parent.grad += d * grad`, as the very same float operations:
            # 1.0 * g is g and x + -1.0 * g is x - g exactly, so those skip the multiply.
            sign, contribution = ("-", grad) if d == "-1.0" else ("+", grad if d == "1.0" else f"{d} * {grad}")
            target = "g" + self._var[parent][1:]
            if parent in seen:
                lines.append(f"    {target} {sign}= {contribution}")
            else:  # an interior node's grad starts at 0.0, as backward() resets it
                seen.add(parent)
                lines.append(f"    {target} = 0.0 {sign} {contribution}")
        return lines

    def _build(self, source: str):
        namespace = {
            "_data": attrgetter("data"),
            "_grad": attrgetter("grad"),
            "_tanh": math.tanh,
            "_exp": math.exp,
            "_OutsideDomain": _OutsideDomain,
            "_branch_changed": _branch_changed,
            "guards": self.guards,
        }
        for op in OPS.values():
            namespace[f"forward_{op.name}"] = op.forward
            namespace[f"derivatives_{op.name}"] = op.derivatives
            namespace[f"check_{op.name}"] = op.check
        filename = f"<engine.compile of {getattr(self.fn, '__qualname__', 'fn')} at {id(self):#x}>"
        linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)  # readable tracebacks
        exec(builtins.compile(source, filename, "exec"), namespace)
        return namespace["replay"]

    def _run_eagerly(self, gradient: float):
        returned = self.fn()
        root, extras = _split_outputs(returned)
        for _ in backward_pass(root, gradient):
            pass
        extra_values = [] if extras is None else [extras] if isinstance(extras, Value) else list(extras)
        return self._shaped(root.data, tuple(e.data for e in extra_values))


def _targets(names: list[str]) -> str:
    """Assignment targets for a tuple unpacking: ``a, b`` (and ``a,`` for one name)."""
    return ", ".join(names) + ("," if len(names) == 1 else "")


def _branch_changed(guard: tuple, a_now: float, b_now: float) -> None:
    symbol, a, b, traced = guard
    raise BranchChangedError(
        f"compile: fn compared {_describe(a)} {symbol} {_describe(b)}: {traced} when traced, but now "
        f"{float(a_now)!r} {symbol} {float(b_now)!r} is {not traced}, so fn would take another branch and "
        "build another graph. Call engine.compile(fn) again to trace it."
    )


def _describe(x: object) -> str:
    if isinstance(x, Value):
        return f"node {x.label!r}" if x.label else "an unlabelled node"
    return repr(float(x))
