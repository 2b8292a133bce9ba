"""The op table: every differentiable operation, its forward rule and its local derivatives.

Each entry works on plain floats. ``forward(*inputs)`` computes the output value and
``derivatives(out, *inputs)`` returns one local derivative d(out)/d(input_i) per input.
The chain rule itself is written once, in ``Value._backward``; this table is the only
place a derivative is written down, and the tests, the graph labels and the stepper all
read it.

>>> OPS["mul"].forward(2.0, 3.0)
6.0
>>> OPS["mul"].derivatives(6.0, 2.0, 3.0)
(3.0, 2.0)
>>> str(OPS["tanh"])
'tanh'
"""

from __future__ import annotations

import math
import operator
from collections.abc import Callable
from dataclasses import dataclass

__all__ = ["Op", "OPS", "register_op"]


@dataclass(frozen=True, slots=True, eq=False)
class Op:
    """One differentiable operation.

    name:        the key in ``OPS`` and the method name (``"tanh"``).
    forward:     floats in, one float out.
    derivatives: ``(out, *inputs)`` floats in, a tuple of d(out)/d(input_i) out.
    symbol:      how graphs and step explanations write the op (``"*"``).
    arity:       number of inputs, or None for ops that take any number (``sum``, ``dot``).
    check:       optional ``check(*inputs)`` returning why the inputs are outside the
                 domain (a short phrase), or None when they are fine.
    kinks:       for one-input ops, points where the derivative jumps; the value used
                 there is documented in ``note``.
    note:        one line for learners: the derivative in words, and any convention.
    """

    name: str
    forward: Callable[..., float]
    derivatives: Callable[..., tuple]
    symbol: str
    arity: int | None = 1
    check: Callable[..., str | None] | None = None
    kinks: tuple[float, ...] = ()
    note: str = ""

    def __str__(self) -> str:
        return self.symbol

    def __repr__(self) -> str:
        return f"Op({self.name!r}, symbol={self.symbol!r})"

    def __call__(self, *inputs):
        """Apply the op to Values (numbers become constants), so ``register_op``'s result is a function.

        >>> from engine import Value
        >>> OPS["tanh"](Value(0.0))
        Value(data=0.0, grad=0.0)
        """
        from .value import Value, apply  # value.py imports this module, so not at the top

        return apply(self, *(x if isinstance(x, Value) else Value(x) for x in inputs))

    @property
    def is_infix(self) -> bool:
        """True for ops written between their two inputs (``a * b``) rather than as calls."""
        return self.arity == 2 and not self.symbol.isidentifier()


# --- numerically careful forwards -------------------------------------------------------


def _sigmoid(a: float) -> float:
    # Two branches so that exp never overflows: sigmoid(-1000) is exactly 0.0, not an error.
    if a >= 0.0:
        return 1.0 / (1.0 + math.exp(-a))
    e = math.exp(a)
    return e / (1.0 + e)


def _softplus(a: float) -> float:
    # log(1 + e^a) = max(a, 0) + log1p(e^-|a|): finite for every finite a.
    return max(a, 0.0) + math.log1p(math.exp(-abs(a)))


def _pow(a: float, b: float) -> float:
    # math.pow, not **: float ** refuses nothing and returns a complex for (-8.0) ** (1/3).
    return math.pow(a, b)


def _pow_derivatives(out: float, a: float, b: float) -> tuple[float, float]:
    # d/da a**b = b * a**(b-1).  d/db a**b = a**b * log(a), which needs a > 0; where the
    # base is 0 or negative (only reachable with integer exponents) it is taken as 0.0,
    # so that x**2 at x < 0 gives its constant exponent no NaN.
    d_base = b * math.pow(a, b - 1.0) if b != 0.0 else 0.0
    d_exp = out * math.log(a) if a > 0.0 else 0.0
    return d_base, d_exp


def _pow_check(a: float, b: float) -> str | None:
    if a == 0.0 and b < 0.0:
        return "0 cannot be raised to a negative power"
    if a < 0.0 and not b.is_integer():
        return "a negative base needs an integer exponent"
    return None


def _dot(*args: float) -> float:
    # Inputs are w_1..w_n, x_1..x_n.  Summed left to right, like the plain loop a learner
    # would write, so results do not depend on the Python version.
    n = len(args) // 2
    return sum(map(operator.mul, args[:n], args[n:]), 0.0)


def _dot_check(*args: float) -> str | None:
    return "needs as many weights as inputs" if len(args) % 2 else None


def _dot_derivatives(out: float, *args: float) -> tuple:
    # Inputs are w_1..w_n, x_1..x_n: d/dw_i = x_i and d/dx_i = w_i.
    n = len(args) // 2
    return args[n:] + args[:n]


def _positive(what: str) -> Callable[[float], str | None]:
    return lambda a: f"{what} must be > 0" if a <= 0.0 else None


# --- the table --------------------------------------------------------------------------
# Each line: name: Op(forward, local derivatives d(out)/d(input_i), symbol, ...).
# `out` is the op's own output value, which often makes the derivative cheap (exp, tanh).

OPS: dict[str, Op] = {}


def register_op(
    name: str,
    forward: Callable[..., float],
    derivatives: Callable[..., tuple],
    symbol: str | None = None,
    *,
    arity: int | None = 1,
    check: Callable[..., str | None] | None = None,
    kinks: tuple[float, ...] = (),
    note: str = "",
) -> Op:
    """Add an op to the table and return it.

    >>> op = register_op("cube", lambda a: a ** 3, lambda out, a: (3 * a * a,), note="3a^2")
    >>> op.forward(2.0), op.derivatives(8.0, 2.0)
    (8.0, (12.0,))
    >>> del OPS["cube"]
    """
    if not isinstance(name, str) or not name.isidentifier():
        raise ValueError(f"register_op: name must be a Python identifier, got {name!r}")
    if name in OPS:
        raise ValueError(f"register_op: an op named {name!r} already exists")
    if not callable(forward) or not callable(derivatives):
        raise TypeError(f"register_op: forward and derivatives of {name!r} must be callables")
    if arity is not None and (not isinstance(arity, int) or arity < 1):
        raise ValueError(f"register_op: arity of {name!r} must be a positive int or None, got {arity!r}")
    op = Op(name, forward, derivatives, symbol or name, arity, check, tuple(kinks), note)
    OPS[name] = op
    return op


# fmt: off
# binary ops
register_op("add", lambda a, b: a + b, lambda out, a, b: (1.0, 1.0),         "+", arity=2, note="d(a+b)/da = 1, d(a+b)/db = 1")  # noqa: E501
register_op("sub", lambda a, b: a - b, lambda out, a, b: (1.0, -1.0),        "-", arity=2, note="d(a-b)/da = 1, d(a-b)/db = -1")  # noqa: E501
register_op("mul", lambda a, b: a * b, lambda out, a, b: (b, a),             "*", arity=2, note="d(a*b)/da = b, d(a*b)/db = a")  # noqa: E501
register_op("div", lambda a, b: a / b, lambda out, a, b: (1.0 / b, -out / b), "/", arity=2,
            check=lambda a, b: "division by zero" if b == 0.0 else None,
            note="d(a/b)/da = 1/b, d(a/b)/db = -a/b^2")
register_op("pow", _pow,               _pow_derivatives,                     "**", arity=2, check=_pow_check,
            note="d(a^b)/da = b*a^(b-1), d(a^b)/db = a^b*log(a) (0 where a <= 0)")
# one-input ops
register_op("neg",  lambda a: -a,        lambda out, a: (-1.0,),                           "-",
            note="d(-a)/da = -1")
register_op("abs",  abs,                 lambda out, a: (1.0 if a > 0.0 else -1.0 if a < 0.0 else 0.0,), "abs",
            kinks=(0.0,), note="d|a|/da = sign(a), taken as 0 at a = 0 (as in PyTorch)")
register_op("exp",  math.exp,            lambda out, a: (out,),                            "exp",
            note="d(e^a)/da = e^a")
register_op("log",  math.log,            lambda out, a: (1.0 / a,),                        "log",
            check=_positive("input"), note="d(log a)/da = 1/a")
register_op("sqrt", math.sqrt,           lambda out, a: (0.5 / out if out else math.inf,), "sqrt",
            check=lambda a: "input must be >= 0" if a < 0.0 else None, note="d(sqrt a)/da = 1/(2 sqrt a)")
register_op("relu", lambda a: a if a > 0.0 else 0.0, lambda out, a: (1.0 if a > 0.0 else 0.0,), "relu",
            kinks=(0.0,), note="d relu(a)/da = 1 if a > 0 else 0, taken as 0 at a = 0 (as in PyTorch)")
register_op("leaky_relu", lambda a, s: a if a > 0.0 else s * a,
            lambda out, a, s: (1.0 if a > 0.0 else s, 0.0 if a > 0.0 else a),          "leaky_relu", arity=2,
            kinks=(0.0,), note="d/da = 1 if a > 0 else slope (slope at a = 0); d/dslope = min(a, 0)")
register_op("tanh", math.tanh,           lambda out, a: (1.0 - out * out,),                "tanh",
            note="d tanh(a)/da = 1 - tanh(a)^2")
register_op("sigmoid", _sigmoid,         lambda out, a: (out * (1.0 - out),),              "sigmoid",
            note="d sigmoid(a)/da = sigmoid(a) * (1 - sigmoid(a))")
register_op("softplus", _softplus,       lambda out, a: (_sigmoid(a),),                    "softplus",
            note="d softplus(a)/da = sigmoid(a)")
register_op("sin",  math.sin,            lambda out, a: (math.cos(a),),                    "sin",
            note="d sin(a)/da = cos(a)")
register_op("cos",  math.cos,            lambda out, a: (-math.sin(a),),                   "cos",
            note="d cos(a)/da = -sin(a)")
# many-input ops: one node however many inputs, the building block of a neuron
register_op("sum",  lambda *xs: sum(xs, 0.0), lambda out, *xs: (1.0,) * len(xs),          "sum", arity=None,
            note="d(x_1 + ... + x_n)/dx_i = 1")
register_op("dot",  _dot,                _dot_derivatives,                                 "dot", arity=None,
            check=_dot_check, note="d(w.x)/dw_i = x_i, d(w.x)/dx_i = w_i")
# fmt: on
