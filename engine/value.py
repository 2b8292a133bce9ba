"""The Value node: a scalar that remembers how it was computed.

The core, in reading order: ``ops.py`` (the op table: forward rules and local derivatives),
this file (a ``Value`` holds one float; an operation on Values makes a node that points at
its inputs, ``_prev``, and keeps its row of the table as its rule), ``backward.py`` (the
walk back from the output and the chain rule, once), ``functions.py`` (sum, dot, take, max,
your own ops) and ``switches.py`` (``no_grad``, ``detect_anomaly``, per thread).

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
from collections import deque
from collections.abc import Callable, Iterable

from .backward import (
    as_float,
    as_op,
    backward_pass,
    chain_rule,
    checked_output,
    describe,
    local_derivatives,
    name_nodes,
    node_name,
    op_error,
    rule_of,
    shown,
    table_rule,
    topological_order,
)
from .ops import OPS, Op
from .switches import (
    AnomalyError,
    NumberProtocol,
    Read,
    _here,
    _note,
    _open_blocks,
    detect_anomaly,
    enable_grad,
    is_anomaly_enabled,
    is_grad_enabled,
    no_grad,
    record_reads,
)

# The node and apply live here; the core's other public names are re-exported for tools.
__all__ = [
    "Value", "apply", "rule_of", "local_derivatives", "node_name", "name_nodes",
    "topological_order", "backward_pass", "no_grad", "enable_grad", "is_grad_enabled",
    "detect_anomaly", "is_anomaly_enabled", "record_reads", "Read", "AnomalyError",
]  # fmt: skip

# --- the node ----------------------------------------------------------------------------


class Value(NumberProtocol):
    """One scalar in a computation graph: its value, its gradient and how it was made.

    ``Value(data, _children=(), _op='', label='')`` is micrograd's signature, so lecture code
    runs as is.  ``data`` is stored as a float; ``grad`` is d(output)/d(this node), filled in
    by ``backward()`` on the output.  ``_op`` is a free label: a table op's name or symbol
    (``'mul'``, ``'*'``) gives the node that op's rule; any other text (``'ReLU'``) is just a
    label, and the node needs a ``_backward`` closure, as in micrograd.

    Equality and hashing are identity, on purpose: two Values holding 2.0 are two different
    nodes of the graph, and sets and dicts of nodes (used by every graph walk) rely on that.
    ``<``, ``<=``, ``>``, ``>=`` compare ``.data``, so ``max(values)`` works.  The number
    protocol reads ``.data``: ``float(v)``, ``int(v)``, ``round(v, 2)``, ``math.floor(v)``,
    ``f"{v:.2f}"``, and ``bool(v)`` is ``v.data != 0`` (so ``Value(0.0)`` is falsy).

    >>> Value(2)
    Value(data=2.0, grad=0.0)
    >>> v = Value(2.345, label='a')
    >>> v
    Value(data=2.345, grad=0.0, label='a')
    >>> f"{v:.1f}", round(v, 2), int(v), bool(Value(0.0))
    ('2.3', 2.35, 2, False)
    """

    # No __dict__: a node is just these fields.  _rule is the node's derivative rule: the
    # Op of the table that made it, a micrograd closure, or None for a leaf.
    __slots__ = ("_data", "grad", "_prev", "_op", "_rule", "_label", "_name")

    def __init__(self, data: float, _children: Iterable[Value] = (), _op: str = "", label: str = ""):
        self._data = as_float(data)
        self.grad = 0.0
        self._prev = tuple(_children)
        for child in self._prev:
            if not isinstance(child, Value):
                raise TypeError(f"Value: _children must be Values, got {shown(child)}")
        if not isinstance(_op, str):
            raise TypeError(f"Value: _op must be a str such as 'mul' or 'ReLU', got {shown(_op)}")
        self._op = _op
        self._rule = table_rule(_op, len(self._prev))
        self.label = label
        self._name = ""

    @property
    def data(self) -> float:
        """The node's number, a float.  Setting it checks it is a real number."""
        if _open_blocks["recorders"]:
            _note("data", self, self._data)
        return self._data

    @data.setter
    def data(self, value: float) -> None:
        self._data = as_float(value, "Value.data")

    @property
    def label(self) -> str:
        """The node's name in drawings and messages ('' for none).  Setting it checks it is a str."""
        return self._label

    @label.setter
    def label(self, text: str) -> None:
        if not isinstance(text, str):
            raise TypeError(f"Value.label must be a str, got {shown(text)}")
        self._label = text

    def __repr__(self) -> str:
        label = f", label={self.label!r}" if self.label else ""
        return f"Value(data={self._data!r}, grad={self.grad!r}{label})"

    @property
    def is_leaf(self) -> bool:
        """True for a node nobody computed (an input, a parameter or a constant)."""
        return not self._prev

    # --- arithmetic: each operator is one row of the op table ----------------------

    def __add__(self, other):
        return _binary(_ADD, self, other)

    def __radd__(self, other):
        return _binary(_ADD, other, self)

    def __sub__(self, other):
        return _binary(_SUB, self, other)

    def __rsub__(self, other):
        return _binary(_SUB, other, self)

    def __mul__(self, other):
        return _binary(_MUL, self, other)

    def __rmul__(self, other):
        return _binary(_MUL, other, self)

    def __truediv__(self, other):
        return _binary(_DIV, self, other)

    def __rtruediv__(self, other):
        return _binary(_DIV, other, self)

    def __pow__(self, other):
        return _binary(_POW, self, other)

    def __rpow__(self, other):
        return _binary(_POW, other, self)

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
        return _binary(OPS["leaky_relu"], self, slope)

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

    def detach(self) -> Value:
        """The same number, with no gradient flowing back through it (NB: torch's detach).

        It is a node (derivative 0.0), so ``engine.compile`` recomputes it on replay.

        >>> x = Value(3.0); y = x * x.detach(); y.backward(); x.grad
        3.0
        """
        return apply("detach", self)

    # --- backward ------------------------------------------------------------------

    @property
    def _backward(self) -> Callable[[], object]:
        """micrograd's per-node step: ``o._backward()`` adds o's share to its inputs' grads.

        For a node made by an op of the table it applies that op's rule and returns the
        local derivatives it used (``()`` for a leaf).  As in micrograd you may assign a
        closure instead (``out._backward = _backward``); ``backward()`` then runs it.
        """
        rule = self._rule
        return rule if rule is not None and not isinstance(rule, Op) else self._chain_rule

    @_backward.setter
    def _backward(self, closure: Callable[[], object]) -> None:
        if not callable(closure):
            raise TypeError(f"Value._backward must be a function of no arguments, got {shown(closure)}")
        self._rule = closure

    def _chain_rule(self) -> tuple | None:
        return chain_rule(self) if self._prev else ()

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
        are bit-for-bit reproducible.  To take one step at a time: ``engine.backward_steps``.

        >>> x = Value(3.0)
        >>> y = x * x
        >>> y.backward(); x.grad
        6.0
        >>> y.backward(); x.grad   # leaves accumulate
        12.0
        """
        # backward is the step generator run to the end (deque with maxlen 0 just drains it).
        deque(backward_pass(self, gradient), maxlen=0)

    def zero_grad(self) -> None:
        """Set ``.grad`` to 0.0 on this node and every node it depends on."""
        for node in topological_order(self):
            node.grad = 0.0


_ADD, _SUB, _MUL, _DIV, _POW = OPS["add"], OPS["sub"], OPS["mul"], OPS["div"], OPS["pow"]


# --- making nodes ------------------------------------------------------------------------


def _node(data: float, inputs: tuple, op: Op | None) -> Value:
    """A new node, made without ``__init__``'s checks: its callers have done them."""
    out = _new_value(Value)
    out._data = data
    out.grad = 0.0
    out._prev = inputs
    out._op = op.name if inputs else ""
    out._rule = op if inputs else None
    out._label = ""
    out._name = ""
    return out


_new_value = object.__new__
_FLOAT_INT_LIMIT = 2**1023  # ints below this convert to float without overflow; bigger ones take as_float's error


def _lift(x: object, where: str) -> Value | None:
    """A Value as is; a plain real number as a new constant leaf; anything else None."""
    if type(x) is float:
        return _node(x, (), None)
    if type(x) is int and -_FLOAT_INT_LIMIT < x < _FLOAT_INT_LIMIT:  # fast path: the 2 in x * 2, no ABC check
        return _node(float(x), (), None)
    if isinstance(x, Value):
        return x
    if isinstance(x, numbers.Real) and not isinstance(x, bool):
        return _node(as_float(x, f"{where}: the number"), (), None)
    return None


def _binary(op: Op, a: object, b: object):
    """The operators' common path: lift plain numbers, or let Python raise its TypeError."""
    if op.check is None and type(a) is Value and not (_open_blocks["anomaly"] and _here.anomaly):
        # Fast path for add, sub, mul (``python -m benchmarks``: the chain's forward ~25% faster):
        # the same nodes as _lift and _node make, built inline.  Anything unusual (an error,
        # a result that is not a float, another operand type) takes the readable way below.
        if type(b) is int and -_FLOAT_INT_LIMIT < b < _FLOAT_INT_LIMIT:
            b = float(b)
        if type(b) is float:
            leaf = _new_value(Value)
            leaf._data = b
            leaf.grad = 0.0
            leaf._prev = ()
            leaf._op = leaf._label = leaf._name = ""
            leaf._rule = None
            b = leaf
        if type(b) is Value:
            try:
                data = op.forward(a._data, b._data)
            except Exception:
                data = None
            if type(data) is float:
                if _open_blocks["grad_enabled"] and not _here.grad_enabled:
                    return _node(data, (), None)
                out = _new_value(Value)
                out._data = data
                out.grad = 0.0
                out._prev = (a, b)
                out._op = op.name
                out._rule = op
                out._label = out._name = ""
                return out
    if type(a) is not Value:
        a = _lift(a, op.name)
    if type(b) is not Value:
        b = _lift(b, op.name)
    if a is None or b is None:
        return NotImplemented
    return _apply(op, (a, b))


def apply(op: str | Op, *inputs: Value) -> Value:
    """Run one op of the table on Values and record the node (unless inside ``no_grad()``).

    >>> apply("mul", Value(2.0), Value(3.0))
    Value(data=6.0, grad=0.0)
    """
    if type(op) is not Op:
        op = OPS[op] if type(op) is str and op in OPS else as_op(op)
    if op.arity is not None and len(inputs) != op.arity:
        raise TypeError(f"{op.name}: takes {op.arity} input(s), got {len(inputs)}")
    for x in inputs:
        if not isinstance(x, Value):
            i = inputs.index(x)
            raise TypeError(
                f"apply: {op.name}'s inputs must be Values, got {shown(x)} as input {i} (wrap numbers as Value(x))"
            )
    return _apply(op, inputs)


def _apply(op: Op, inputs: tuple) -> Value:
    """``apply`` without the argument checks: the engine's own callers have done them."""
    args = (inputs[0]._data,) if len(inputs) == 1 else [v._data for v in inputs]
    if op.check is not None:
        problem = op.check(*args)
        if problem:
            raise ValueError(f"{op.name}: {problem}, got {describe(op, inputs)}")
    try:
        data = op.forward(*args)
    except Exception as err:
        raise op_error(op, "forward", err, inputs) from err
    if type(data) is not float:  # a custom op may return an int, or something wrong
        data = checked_output(op, data, inputs)
    # This thread's own switches (_here) are read only where some thread has one on.
    out = _node(data, inputs if not _open_blocks["grad_enabled"] or _here.grad_enabled else (), op)
    if _open_blocks["anomaly"] and _here.anomaly and not math.isfinite(data):
        raise AnomalyError(f"detect_anomaly: {op.name} produced {data!r} from {describe(op, inputs)}")
    return out

