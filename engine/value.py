"""The Value node and the backward pass: a scalar that remembers how it was computed.

Read this file top to bottom: a ``Value`` holds one float, each operation on Values
makes a new node that points at its inputs (``_prev``) and at its row of the op table
(``_op``), and ``backward()`` visits the graph from the output back to the inputs,
applying the chain rule once per node.

>>> a = Value(2.0, label='a')
>>> b = Value(-3.0, label='b')
>>> c = a * b + a
>>> c.backward()
>>> a.grad, b.grad
(-2.0, 2.0)
"""

from __future__ import annotations

import math
import numbers
import operator
from collections import deque
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from itertools import repeat

from .ops import OPS, Op

__all__ = [
    "Value",
    "sum",
    "dot",
    "no_grad",
    "is_grad_enabled",
    "detect_anomaly",
    "topological_order",
    "backward_pass",
    "AnomalyError",
]

# Two switches, both module-wide and both set only through the context managers below.
_grad_enabled = True  # no_grad() turns graph recording off
_detect_anomaly = False  # detect_anomaly() turns NaN/inf checks on


class AnomalyError(ValueError):
    """Raised inside ``detect_anomaly()`` at the first node whose value or grad is NaN or inf."""


def _as_float(data: object, what: str = "Value") -> float:
    """Return data as a float, refusing what is not a real number (bool, str, None, complex)."""
    if isinstance(data, bool) or not isinstance(data, numbers.Real):
        if isinstance(data, Value):
            hint = " (it is already a Value: use it directly, or its .data)"
        else:
            hint = ""
        raise TypeError(f"{what}: data must be a real number (int or float), got {type(data).__name__} {data!r}{hint}")
    return float(data)


def _name(v: Value) -> str:
    """How errors and explanations refer to a node: its label, or its value."""
    return repr(v.label) if v.label else f"<unlabelled {v.data!r}>"


class Value:
    """One scalar in a computation graph: its value, its gradient and how it was made.

    ``Value(data, _children=(), _op='', label='')`` is micrograd's signature, so lecture code
    runs as is.  ``data`` is stored as a float; ``grad`` is d(output)/d(this node), filled in
    by ``backward()`` on the output.

    Equality and hashing are identity, on purpose: two Values holding 2.0 are two different
    nodes of the graph, and sets and dicts of nodes (used by every graph walk) rely on that.
    Compare ``.data`` when you mean the numbers; ``<``, ``<=``, ``>``, ``>=`` do compare
    ``.data``, so ``max(values)`` works.

    >>> Value(2)
    Value(data=2.0, grad=0.0)
    >>> Value(2.0, label='a')
    Value(data=2.0, grad=0.0, label='a')
    """

    # No per-node closure and no __dict__: a node is just these five fields.
    __slots__ = ("data", "grad", "_prev", "_op", "label")

    def __init__(self, data: float, _children: Iterable[Value] = (), _op: str = "", label: str = ""):
        self.data = _as_float(data)
        self.grad = 0.0
        self._prev = tuple(_children)
        for child in self._prev:
            if not isinstance(child, Value):
                raise TypeError(f"Value: _children must be Values, got {type(child).__name__} {child!r}")
        if not isinstance(_op, str):
            raise TypeError(f"Value: _op must be an op name such as 'mul', got {type(_op).__name__} {_op!r}")
        if _op:
            _op = _resolve_op(_op, len(self._prev))
        elif self._prev:
            raise ValueError("Value: a node with _children needs an _op to say how it was computed")
        self._op = _op  # the op's name in the OPS table ('mul'), or '' for a leaf
        if not isinstance(label, str):
            raise TypeError(f"Value: label must be a str, got {type(label).__name__} {label!r}")
        self.label = label

    def __repr__(self) -> str:
        label = f", label={self.label!r}" if self.label else ""
        return f"Value(data={self.data!r}, grad={self.grad!r}{label})"

    # --- plain-number conveniences -------------------------------------------------

    @property
    def is_leaf(self) -> bool:
        """True for a node nobody computed (an input, a parameter or a constant)."""
        return not self._prev

    def item(self) -> float:
        """The value as a plain float, as in PyTorch."""
        return self.data

    def __float__(self) -> float:
        return self.data

    def __lt__(self, other: object) -> bool:
        return _compare("<", self, other)

    def __le__(self, other: object) -> bool:
        return _compare("<=", self, other)

    def __gt__(self, other: object) -> bool:
        return _compare(">", self, other)

    def __ge__(self, other: object) -> bool:
        return _compare(">=", self, other)

    # --- arithmetic: each operator is one row of the op table ----------------------

    def __add__(self, other):
        return _binary("add", self, other)

    def __radd__(self, other):
        return _binary("add", other, self)

    def __sub__(self, other):
        return _binary("sub", self, other)

    def __rsub__(self, other):
        return _binary("sub", other, self)

    def __mul__(self, other):
        return _binary("mul", self, other)

    def __rmul__(self, other):
        return _binary("mul", other, self)

    def __truediv__(self, other):
        return _binary("div", self, other)

    def __rtruediv__(self, other):
        return _binary("div", other, self)

    def __pow__(self, other):
        return _binary("pow", self, other)

    def __rpow__(self, other):
        return _binary("pow", other, self)

    def __neg__(self):
        return apply("neg", self)

    def __abs__(self):
        return apply("abs", self)

    def abs(self) -> Value:
        """|x|; the derivative at 0 is taken as 0."""
        return apply("abs", self)

    def exp(self) -> Value:
        """e**x; OverflowError (with the node named) above about 709."""
        return apply("exp", self)

    def log(self) -> Value:
        """Natural logarithm; ValueError for x <= 0."""
        return apply("log", self)

    def sqrt(self) -> Value:
        """Square root; ValueError for x < 0."""
        return apply("sqrt", self)

    def relu(self) -> Value:
        """max(x, 0); the derivative at 0 is taken as 0, as in PyTorch."""
        return apply("relu", self)

    def leaky_relu(self, slope: float = 0.01) -> Value:
        """x for x > 0, else slope * x.  The slope is an input of the node, so it can be a Value."""
        return _binary("leaky_relu", self, slope)

    def tanh(self) -> Value:
        """Hyperbolic tangent; tanh(1000) is exactly 1.0."""
        return apply("tanh", self)

    def sigmoid(self) -> Value:
        """1 / (1 + e**-x), computed without overflow: sigmoid(-1000) is exactly 0.0."""
        return apply("sigmoid", self)

    def softplus(self) -> Value:
        """log(1 + e**x), computed without overflow: softplus(1000) is exactly 1000.0."""
        return apply("softplus", self)

    def sin(self) -> Value:
        """Sine (radians)."""
        return apply("sin", self)

    def cos(self) -> Value:
        """Cosine (radians)."""
        return apply("cos", self)

    # --- the chain rule, once ------------------------------------------------------

    def _backward(self) -> tuple:
        """Apply this node's local rule: add d(self)/d(input) * self.grad to each input's grad.

        This is micrograd's ``_backward``: after setting ``o.grad = 1.0`` you can call
        ``o._backward()``, then its inputs' ``_backward()``, and so on, by hand.  It returns
        the local derivatives it used, one per input (``()`` for a leaf).
        """
        prev = self._prev
        if not prev:
            return ()
        op = OPS[self._op]
        # One-, two- and many-input calls spelled out: unpacking a list per node is slow.
        if len(prev) == 2:
            a, b = prev
            local = op.derivatives(self.data, a.data, b.data)
        elif len(prev) == 1:
            local = op.derivatives(self.data, prev[0].data)
        else:
            local = op.derivatives(self.data, *[p.data for p in prev])
        if len(local) != len(prev):
            raise ValueError(
                f"{op.name}: derivatives returned {len(local)} value(s) for {len(prev)} input(s) "
                f"at node {_name(self)}; it must return one d(out)/d(input) per input"
            )
        grad = self.grad
        if len(local) == 2:  # most nodes: the loop below, unrolled
            a, b = prev
            a.grad += local[0] * grad
            b.grad += local[1] * grad
        else:
            for parent, d in zip(prev, local):
                parent.grad += d * grad  # the chain rule: d(L)/d(parent) += d(self)/d(parent) * d(L)/d(self)
        if _detect_anomaly:
            _check_grads(self, local)
        return local

    def backward(self, gradient: float = 1.0) -> None:
        """Fill ``.grad`` of every node this one depends on, by the chain rule.

        Grad semantics, as in PyTorch:
          - leaves (inputs, parameters) accumulate: a second ``backward()`` adds to their
            ``.grad``, so zero them between training steps (``zero_grad()``);
          - nodes computed from others are recomputed on every call, starting from 0;
          - this node's own grad is set to ``gradient`` (d(output)/d(output) = 1 by default),
            and ``gradient=k`` scales every other grad by k.

        The walk uses an explicit stack, never recursion, so a chain of a million nodes
        is fine, and it visits nodes in the same order in every process, so the grads
        are bit-for-bit reproducible.

        >>> x = Value(3.0)
        >>> y = x * x
        >>> y.backward(); x.grad
        6.0
        >>> y.backward(); x.grad   # leaves accumulate
        12.0
        """
        # backward is the step generator run to the end (deque with maxlen 0 just drains it).
        deque(backward_pass(self, gradient), maxlen=0)

    def backward_steps(self, gradient: float = 1.0):
        """``backward()`` one node per ``next()``, each step explained: see ``engine.stepper``.

        >>> x = Value(3.0, label='x'); y = x.exp(); y.label = 'y'
        >>> next(y.backward_steps())
        y = exp(x): dL/dx += dL/dy * dy/dx = 1.0 * 20.0855 = 20.0855  ->  x.grad = 20.0855
                    (exp: d(e^a)/da = e^a)
        """
        from .stepper import backward_steps  # the stepper builds on this module: import it late

        return backward_steps(self, gradient)

    def zero_grad(self) -> None:
        """Set ``.grad`` to 0.0 on this node and every node it depends on."""
        for node in topological_order(self):
            node.grad = 0.0


def _resolve_op(name: str, n_inputs: int) -> str:
    """An op name for Value(..., _op=...): a table name ('mul'), or a symbol ('*') as micrograd wrote it."""
    if name in OPS:
        return name
    for op in OPS.values():
        if op.symbol == name and op.arity in (None, n_inputs):
            return op.name
    raise ValueError(f"Value: unknown op {name!r}; known ops: {', '.join(OPS)}")


# engine.compile sets this to a list while it traces: comparisons are the branches a
# compiled replay must check, since it re-runs the arithmetic but not the Python around it.
_comparisons: list | None = None

_COMPARE = {"<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge}


def _compare(symbol: str, a: Value, other: object) -> bool:
    """``a < other`` and friends on the numbers, recorded while ``engine.compile`` traces."""
    other_data = _data_or_none(other)
    if other_data is None:
        return NotImplemented
    outcome = _COMPARE[symbol](a.data, other_data)
    if _comparisons is not None:
        _comparisons.append((symbol, a, other, outcome))
    return outcome


def _data_or_none(other: object) -> float | None:
    if isinstance(other, Value):
        return other.data
    if isinstance(other, numbers.Real) and not isinstance(other, bool):
        return float(other)
    return None


# --- making nodes ------------------------------------------------------------------------


def _lift(x: object) -> Value | None:
    """A Value as is; a plain number as a new constant leaf; anything else None."""
    if isinstance(x, Value):
        return x
    # float and int first: the isinstance test against the numbers.Real ABC is slow.
    if type(x) is float or type(x) is int or (isinstance(x, numbers.Real) and not isinstance(x, bool)):
        return _node(float(x), (), "")
    return None


def _binary(name: str, a: object, b: object):
    """The operators' common path: lift plain numbers, or let Python raise its TypeError."""
    if type(a) is not Value:
        a = _lift(a)
    if type(b) is not Value:
        b = _lift(b)
    if a is None or b is None:
        return NotImplemented
    op = OPS[name]
    if op.check is None and not _detect_anomaly:
        # The common case (add, sub, mul, ...) without apply's generality: most nodes come
        # through here.  Any error is left to apply, which explains it.
        try:
            data = op.forward(a.data, b.data)
        except Exception:
            return apply(op, a, b)
        if type(data) is not float:
            data = float(data)
        return _node(data, (a, b), name) if _grad_enabled else _node(data, (), "")
    return apply(op, a, b)


def _node(data: float, inputs: tuple, op_name: str) -> Value:
    """A new node, made without ``__init__``'s checks: its callers have done them."""
    out = _new_value(Value)
    out.data = data
    out.grad = 0.0
    out._prev = inputs
    out._op = op_name
    out.label = ""
    return out


_new_value = object.__new__


def apply(op: str | Op, *inputs: Value) -> Value:
    """Run one op of the table on Values and record the node (unless inside ``no_grad()``).

    >>> apply("mul", Value(2.0), Value(3.0))
    Value(data=6.0, grad=0.0)
    """
    if not isinstance(op, Op):
        try:
            op = OPS[op]
        except KeyError:
            raise ValueError(f"apply: unknown op {op!r}; known ops: {', '.join(OPS)}") from None
    if op.arity is not None and len(inputs) != op.arity:
        raise TypeError(f"{op.name}: takes {op.arity} input(s), got {len(inputs)}")
    # One input spelled out: a list comprehension per node is slow.
    args = (inputs[0].data,) if len(inputs) == 1 else [v.data for v in inputs]
    if op.check is not None:
        problem = op.check(*args)
        if problem:
            raise ValueError(f"{op.name}: {problem}, got {_describe(op, inputs)}")
    try:
        data = op.forward(*args)
    except OverflowError:
        raise OverflowError(
            f"{op.name}: the result is too large for a float, got {_describe(op, inputs)}"
        ) from None
    except (ValueError, ZeroDivisionError) as err:
        # A domain the table's check did not foresee (custom ops): keep the context.
        raise ValueError(f"{op.name}: {err}, got {_describe(op, inputs)}") from err
    if type(data) is not float:  # a custom op may return an int
        data = float(data)
    out = _node(data, inputs, op.name) if _grad_enabled else _node(data, (), "")
    if _detect_anomaly and not math.isfinite(out.data):
        raise AnomalyError(f"detect_anomaly: {op.name} produced {out.data!r} from {_describe(op, inputs)}")
    return out


def _describe(op: Op, inputs: tuple) -> str:
    """'-1.0 (node 'x')' or '1.0 / 0.0 (nodes 'a', 'b')': the numbers and who they are."""
    values = [repr(v.data) for v in inputs]
    if op.is_infix:
        numbers_ = f"{values[0]} {op.symbol} {values[1]}"
    elif len(values) == 1:
        numbers_ = values[0]
    else:
        numbers_ = f"{op.name}({', '.join(values)})"
    names = ", ".join(_name(v) for v in inputs)
    return f"{numbers_} (node{'s' if len(inputs) > 1 else ''} {names})"


def sum(values: Iterable[Value | float]) -> Value:  # noqa: A001 - engine.sum, like torch.sum
    """One node adding many Values (one graph node instead of a chain of ``+``).

    >>> import engine
    >>> engine.sum([Value(1.0), Value(2.0), 3])
    Value(data=6.0, grad=0.0)
    """
    inputs = _lift_all(values, "sum")
    if not inputs:
        raise ValueError("sum: needs at least one value, got an empty sequence")
    return apply("sum", *inputs)


def dot(ws: Iterable[Value | float], xs: Iterable[Value | float]) -> Value:
    """One node computing w_1*x_1 + ... + w_n*x_n: the weighted sum inside a neuron.

    >>> import engine
    >>> engine.dot([Value(1.0), Value(2.0)], [3.0, 4.0])
    Value(data=11.0, grad=0.0)
    """
    ws = _lift_all(ws, "dot")
    xs = _lift_all(xs, "dot")
    if len(ws) != len(xs):
        raise ValueError(f"dot: needs as many weights as inputs, got {len(ws)} weights and {len(xs)} inputs")
    if not ws:
        raise ValueError("dot: needs at least one weight and input, got empty sequences")
    return apply("dot", *ws, *xs)


def _lift_all(values: Iterable[Value | float], where: str) -> tuple[Value, ...]:
    """The values as a tuple of Values, plain numbers lifted to constants."""
    values = tuple(values)
    if all(map(isinstance, values, repeat(Value))):  # the common case, tested without a Python loop
        return values
    return tuple(_lift_or_raise(v, where) for v in values)


def _lift_or_raise(x: object, where: str) -> Value:
    v = _lift(x)
    if v is None:
        raise TypeError(f"{where}: expected Values or numbers, got {type(x).__name__} {x!r}")
    return v


# --- walking the graph -------------------------------------------------------------------


def topological_order(root: Value) -> list[Value]:
    """Every node ``root`` depends on, each listed after all of its inputs; root last.

    An explicit stack instead of recursion (a million-node chain is fine), and children
    taken in ``_prev`` order, so the order is the same in every process.

    >>> a = Value(1.0, label='a'); b = a * 2; c = b + a
    >>> [n.label or n.data for n in topological_order(c)]
    ['a', 2.0, 2.0, 3.0]
    """
    if not isinstance(root, Value):
        raise TypeError(f"topological_order: expected a Value, got {type(root).__name__} {root!r}")
    order: list[Value] = []
    visited = {root}
    # Each stack entry is a node and an iterator over its inputs not yet looked at: the
    # walk goes down the first unvisited input, and lists a node once its inputs run out.
    stack = [(root, iter(root._prev))]
    while stack:
        node, inputs = stack[-1]
        for child in inputs:
            if child not in visited:
                visited.add(child)
                stack.append((child, iter(child._prev)))
                break
        else:
            stack.pop()
            order.append(node)
    return order


def backward_pass(root: Value, gradient: float = 1.0) -> Iterator[tuple[Value, tuple]]:
    """The backward pass as a generator: each ``next()`` applies one node's chain rule.

    Yields ``(node, local_derivatives)`` after applying ``node._backward()``.
    ``Value.backward()`` runs it to the end; the stepper runs it one step at a time.
    Nothing runs until the first ``next()``.
    """
    gradient = _as_float(gradient, "backward: gradient")
    order = topological_order(root)
    # Interior grads are recomputed on each call; leaves keep theirs and accumulate.
    for node in order:
        if node._prev:
            node.grad = 0.0
    root.grad = gradient if root._prev else root.grad + gradient
    for node in reversed(order):
        if node._prev:
            yield node, node._backward()


# --- switches --------------------------------------------------------------------------


def is_grad_enabled() -> bool:
    """False inside ``no_grad()``."""
    return _grad_enabled


@contextmanager
def no_grad():
    """Compute values without recording a graph: for evaluation, where no backward follows.

    NB: torch.no_grad().  Values made inside are leaves.

    >>> from engine import no_grad
    >>> with no_grad():
    ...     y = Value(2.0) * 3
    >>> y.is_leaf
    True
    """
    global _grad_enabled
    previous = _grad_enabled
    _grad_enabled = False
    try:
        yield
    finally:
        _grad_enabled = previous


@contextmanager
def detect_anomaly():
    """Raise ``AnomalyError`` at the first node whose value or gradient is NaN or inf.

    NB: torch.autograd.detect_anomaly().  It costs a check per node, so it is off by default.

    >>> from engine import detect_anomaly
    >>> x = Value(float('inf'), label='x')
    >>> with detect_anomaly():
    ...     y = x * 0
    Traceback (most recent call last):
    ...
    engine.value.AnomalyError: detect_anomaly: mul produced nan from inf * 0.0 (nodes 'x', <unlabelled 0.0>)
    """
    global _detect_anomaly
    previous = _detect_anomaly
    _detect_anomaly = True
    try:
        yield
    finally:
        _detect_anomaly = previous


def _check_grads(node: Value, local: tuple) -> None:
    """detect_anomaly's backward check: the grads this node just passed to its inputs."""
    for i, parent in enumerate(node._prev):
        if not math.isfinite(parent.grad):
            raise AnomalyError(
                f"detect_anomaly: backward through {node._op} node {_name(node)} "
                f"(value {node.data!r}, grad {node.grad!r}) gave input {i} {_name(parent)} "
                f"(value {parent.data!r}) the gradient {parent.grad!r}; local derivative {local[i]!r}"
            )
