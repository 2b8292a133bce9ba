"""The op table: every differentiable operation, its forward rule and its local derivatives.

Each entry works on plain floats. ``forward(*inputs)`` computes the output value and
``derivatives(out, *inputs)`` returns one local derivative d(out)/d(input_i) per input.
The chain rule itself is written once, in ``engine/backward.py``; this
table is the only place a derivative is written down, and the tests, the graph labels and
the stepper all read it.  ``engine.register_op`` adds a row (see ``engine/functions.py``).

>>> OPS["mul"].forward(2.0, 3.0)
6.0
>>> OPS["mul"].derivatives(6.0, 2.0, 3.0)
(3.0, 2.0)
>>> str(OPS["tanh"])
'tanh'
"""

from __future__ import annotations

import math
import numbers
import operator
from collections.abc import Callable
from dataclasses import dataclass

__all__ = ["Op", "OPS"]


@dataclass(frozen=True, slots=True, eq=False)
class Op:
    """One differentiable operation.

    name:        the key in ``OPS`` (``"tanh"``), a Python identifier.
    forward:     floats in, one float out.
    derivatives: ``(out, *inputs)`` floats in, a tuple of d(out)/d(input_i) out.
    symbol:      how graphs and step explanations write the op (``"*"``).
    arity:       number of inputs, or None for ops that take any number (``sum``, ``dot``).
    check:       optional ``check(*inputs)`` returning why the inputs are outside the
                 domain (a short phrase), or None when they are fine.
    kinks:       for one-input ops, points where the derivative jumps; the value used
                 there is documented in ``note``.
    note:        one line for learners: the derivative in words, and any convention.
    smooth:      False for ops that random floats and central differences cannot test:
                 ``take`` (an integer index), ``max`` (ties), ``detach`` (0 by definition).

    Every field is checked when the Op is made:

    >>> Op("cube", lambda a: a ** 3, lambda out, a: (3 * a * a,), symbol=123)
    Traceback (most recent call last):
    ...
    TypeError: Op 'cube': symbol must be a non-empty str, got int 123
    """

    name: str
    forward: Callable[..., float]
    derivatives: Callable[..., tuple]
    symbol: str
    arity: int | None = 1
    check: Callable[..., str | None] | None = None
    kinks: tuple[float, ...] = ()
    note: str = ""
    smooth: bool = True

    def __post_init__(self) -> None:
        _check_fields(self)
        # A frozen dataclass sets a normalized field through object.__setattr__ (the
        # documented idiom): kinks are kept as a tuple of floats whatever sequence was given.
        object.__setattr__(self, "kinks", tuple(float(k) for k in self.kinks))

    def __str__(self) -> str:
        return self.symbol

    def __repr__(self) -> str:
        return f"Op({self.name!r}, symbol={self.symbol!r})"

    @property
    def is_infix(self) -> bool:
        """True for ops written between their two inputs (``a * b``) rather than as calls."""
        return self.arity == 2 and not self.symbol.isidentifier()


def _check_fields(op: Op) -> None:
    """Refuse an Op whose fields a tool could trip over later, naming the field."""
    where = f"Op {op.name!r}"
    if not isinstance(op.name, str) or not op.name.isidentifier():
        raise ValueError(f"Op: name must be a Python identifier, got {op.name!r}")
    for field in ("forward", "derivatives"):
        if not callable(getattr(op, field)):
            raise TypeError(f"{where}: {field} must be a function of floats, got {_shown(getattr(op, field))}")
    if not isinstance(op.symbol, str) or not op.symbol:
        raise TypeError(f"{where}: symbol must be a non-empty str, got {_shown(op.symbol)}")
    if op.arity is not None and (isinstance(op.arity, bool) or not isinstance(op.arity, int) or op.arity < 1):
        raise ValueError(f"{where}: arity must be a positive int or None, got {_shown(op.arity)}")
    if op.check is not None and not callable(op.check):
        raise TypeError(f"{where}: check must be a function or None, got {_shown(op.check)}")
    if isinstance(op.kinks, (str, bytes)) or not isinstance(op.kinks, (tuple, list)):
        raise TypeError(f"{where}: kinks must be a tuple of numbers, got {_shown(op.kinks)}")
    for kink in op.kinks:
        if isinstance(kink, bool) or not isinstance(kink, numbers.Real) or not _finite(kink):
            raise TypeError(f"{where}: kinks must be finite real numbers, got {_shown(kink)}")
    if not isinstance(op.note, str):
        raise TypeError(f"{where}: note must be a str, got {_shown(op.note)}")
    if not isinstance(op.smooth, bool):
        raise TypeError(f"{where}: smooth must be True or False, got {_shown(op.smooth)}")


def _shown(x: object) -> str:
    return f"{type(x).__name__} {x!r}"


def _finite(x: numbers.Real) -> bool:
    try:
        return math.isfinite(x)
    except OverflowError:  # an int beyond float range
        return False


# --- numerically careful forwards and derivatives --------------------------------------
# Where Python's math module raises but IEEE 754 floats (and PyTorch) give an infinity
# or a NaN, the derivatives follow PyTorch's float64 values.


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


def _ieee_pow(a: float, b: float) -> float:
    """a ** b as IEEE 754 (and PyTorch) define it: 0 ** -0.5 is inf and an overflow is inf, not an error."""
    try:
        return math.pow(a, b)
    except (ValueError, OverflowError):
        if a < 0.0 and not b.is_integer():
            return math.nan
        odd = b.is_integer() and b % 2.0 == 1.0
        negative = math.copysign(1.0, a) < 0.0 and odd
        return -math.inf if negative else math.inf


def _pow_derivatives(out: float, a: float, b: float) -> tuple[float, float]:
    # d/da a**b = b * a**(b-1).  d/db a**b = a**b * log(a), which needs a > 0; where the
    # base is 0 or negative (only reachable with integer exponents) it is taken as 0.0,
    # so that x**2 at x < 0 gives its constant exponent no NaN (PyTorch does the same at 0).
    d_base = b * _ieee_pow(a, b - 1.0) if b != 0.0 else 0.0
    d_exp = out * math.log(a) if a > 0.0 else 0.0
    return d_base, d_exp


def _pow_check(a: float, b: float) -> str | None:
    if a == 0.0 and b < 0.0:
        return "0 cannot be raised to a negative power"
    if a < 0.0 and not b.is_integer():
        return "a negative base needs an integer exponent"
    return None


def _sqrt_derivative(out: float, a: float) -> tuple[float]:
    # 1/(2 sqrt a): at a = +-0.0 it is +-inf, as 1 / (2 * -0.0) is in PyTorch.
    return (0.5 / out if out else math.copysign(math.inf, out),)


def _relu(a: float) -> float:
    return 0.0 if a <= 0.0 else a  # written so that relu(nan) is nan (slope 1), as in PyTorch


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


def _take(*args: float) -> float:
    # Inputs are the values, then the index (a float holding an integer, checked before);
    # a negative index counts from the end, as in Python.
    return args[int(args[-1]) % (len(args) - 1)]


def _take_check(*args: float) -> str | None:
    index, n = args[-1], len(args) - 1
    if n < 1:
        return "needs at least one value before the index"
    if not index.is_integer():
        return f"index must be an integer, got {index!r}"
    if not -n <= index < n:
        return f"index {int(index)} is out of range for {n} value{'s' if n > 1 else ''}"
    return None


def _take_derivatives(out: float, *args: float) -> tuple:
    # 1.0 for the picked value, 0.0 for the others and for the index itself.
    local = [0.0] * len(args)
    local[int(args[-1]) % (len(args) - 1)] = 1.0
    return tuple(local)


def _max(*args: float) -> float:
    largest = args[0]
    for x in args:
        if x > largest or x != x:  # x != x: a NaN wins, as in PyTorch
            largest = x
            if x != x:
                break
    return largest


def _max_derivatives(out: float, *args: float) -> tuple:
    # The gradient goes to the first input that is the maximum (NaN: the first NaN).
    local = [0.0] * len(args)
    for i, x in enumerate(args):
        if x == out or (x != x and out != out):
            local[i] = 1.0
            break
    return tuple(local)


def _positive(what: str) -> Callable[[float], str | None]:
    return lambda a: f"{what} must be > 0" if a <= 0.0 else None


# --- the table --------------------------------------------------------------------------
# Each line: name: forward, local derivatives d(out)/d(input_i), symbol, ...
# `out` is the op's own output value, which often makes the derivative cheap (exp, tanh).

OPS: dict[str, Op] = {}


def _row(name: str, forward: Callable, derivatives: Callable, symbol: str, **options) -> None:
    OPS[name] = Op(name, forward, derivatives, symbol, **options)


# fmt: off
# binary ops
_row("add", lambda a, b: a + b, lambda out, a, b: (1.0, 1.0),         "+", arity=2, note="d(a+b)/da = 1, d(a+b)/db = 1")  # noqa: E501
_row("sub", lambda a, b: a - b, lambda out, a, b: (1.0, -1.0),        "-", arity=2, note="d(a-b)/da = 1, d(a-b)/db = -1")  # noqa: E501
_row("mul", lambda a, b: a * b, lambda out, a, b: (b, a),             "*", arity=2, note="d(a*b)/da = b, d(a*b)/db = a")  # noqa: E501
_row("div", lambda a, b: a / b, lambda out, a, b: (1.0 / b, -out / b), "/", arity=2,
     check=lambda a, b: "division by zero" if b == 0.0 else None,
     note="d(a/b)/da = 1/b, d(a/b)/db = -a/b^2")
_row("pow", _pow,               _pow_derivatives,                     "**", arity=2, check=_pow_check,
     note="d(a^b)/da = b*a^(b-1), d(a^b)/db = a^b*log(a) (0 where a <= 0)")
# one-input ops
_row("neg",  lambda a: -a,        lambda out, a: (-1.0,),                           "-",
     note="d(-a)/da = -1")
_row("abs",  abs,                 lambda out, a: (1.0 if a > 0.0 else -1.0 if a < 0.0 else 0.0,), "abs",
     kinks=(0.0,), note="d|a|/da = sign(a), taken as 0 at a = 0 (as in PyTorch)")
_row("exp",  math.exp,            lambda out, a: (out,),                            "exp",
     note="d(e^a)/da = e^a")
_row("log",  math.log,            lambda out, a: (1.0 / a,),                        "log",
     check=_positive("input"), note="d(log a)/da = 1/a")
_row("sqrt", math.sqrt,           _sqrt_derivative,                                 "sqrt",
     check=lambda a: "input must be >= 0" if a < 0.0 else None,
     note="d(sqrt a)/da = 1/(2 sqrt a), +-inf at a = +-0 (as in PyTorch)")
_row("relu", _relu,               lambda out, a: (0.0 if a <= 0.0 else 1.0,),       "relu",
     kinks=(0.0,), note="d relu(a)/da = 1 if a > 0 else 0, taken as 0 at a = 0 (as in PyTorch)")
_row("leaky_relu", lambda a, s: a if a > 0.0 else s * a,
     lambda out, a, s: (1.0 if a > 0.0 else s, 0.0 if a > 0.0 else a),          "leaky_relu", arity=2,
     kinks=(0.0,), note="d/da = 1 if a > 0 else slope (slope at a = 0); d/dslope = min(a, 0)")
_row("tanh", math.tanh,           lambda out, a: (1.0 - out * out,),                "tanh",
     note="d tanh(a)/da = 1 - tanh(a)^2")
_row("sigmoid", _sigmoid,         lambda out, a: (out * (1.0 - out),),              "sigmoid",
     note="d sigmoid(a)/da = sigmoid(a) * (1 - sigmoid(a))")
_row("softplus", _softplus,       lambda out, a: (_sigmoid(a),),                    "softplus",
     note="d softplus(a)/da = sigmoid(a)")
_row("sin",  math.sin,            lambda out, a: (math.cos(a),),                    "sin",
     note="d sin(a)/da = cos(a)")
_row("cos",  math.cos,            lambda out, a: (-math.sin(a),),                   "cos",
     note="d cos(a)/da = -sin(a)")
_row("detach", lambda a: a,       lambda out, a: (0.0,),                            "detach", smooth=False,
     note="the same number, with no gradient through it: d detach(a)/da is taken as 0")
# many-input ops: one node however many inputs, the building block of a neuron
_row("sum",  lambda *xs: sum(xs, 0.0), lambda out, *xs: (1.0,) * len(xs),          "sum", arity=None,
     note="d(x_1 + ... + x_n)/dx_i = 1")
_row("dot",  _dot,                _dot_derivatives,                                 "dot", arity=None,
     check=_dot_check, note="d(w.x)/dw_i = x_i, d(w.x)/dx_i = w_i")
_row("take", _take,               _take_derivatives,                                "take", arity=None,
     check=_take_check, smooth=False,
     note="picks values[index]: d/d(picked value) = 1, 0 for the others and for the index")
_row("max",  _max,                _max_derivatives,                                 "max", arity=None, smooth=False,
     note="the largest input: d/d(first largest input) = 1, 0 for the others")
# fmt: on
