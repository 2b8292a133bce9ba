"""The argument checks every ``nn`` layer shares: each returns the checked value or raises an error naming it.

``name`` is the argument as the learner should read it in the message, with the function
in front: ``"Neuron: nin (the number of inputs)"``.  Wrong kinds of thing raise TypeError,
right kind but wrong value (negative, too large, NaN) raises ValueError.

>>> check_size("Layer: nout", 4)
4
>>> check_size("Layer: nout", 2.0)
Traceback (most recent call last):
...
TypeError: Layer: nout must be a positive int, got float 2.0
>>> check_real("SGD: lr", 10**400)
Traceback (most recent call last):
...
ValueError: SGD: lr is too large to be a float, got an int of 401 digits
"""

from __future__ import annotations

import math
import numbers
import os
from collections.abc import Iterable
from typing import Any

__all__ = [
    "MAX_SIZE",
    "short",
    "is_int",
    "is_real",
    "check_int",
    "check_size",
    "check_count",
    "check_real",
    "check_positive_real",
    "check_bool",
    "check_choice",
    "check_path",
]

# The most scalar parameters (or units) one layer may ask for.  Every parameter is a Python
# object of about 100 bytes, so a size beyond this cannot be built in memory: refuse it at
# once instead of filling the memory for minutes.
MAX_SIZE = 100_000_000


def short(x: object, limit: int = 60) -> str:
    """``repr(x)``, cut to ``limit`` characters with ``...``, for error messages; never raises.

    >>> short("abc"), short(list(range(100)), 20)
    ("'abc'", '[0, 1, 2, 3, 4, 5...')
    >>> short(10**5000)
    'an int of 5001 digits'
    """
    if isinstance(x, int) and not isinstance(x, bool) and abs(x) >= 10**limit:
        return f"an int of {_digits(x)} digits"  # str() refuses ints beyond 4300 digits
    try:
        text = repr(x)
    except Exception:  # a hostile __repr__ must not hide the error being reported
        return f"<{type(x).__name__} object>"
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _digits(x: int) -> int:
    """The number of decimal digits of an int, without str()."""
    d = int(abs(x).bit_length() * math.log10(2)) + 1
    return d if abs(x) >= 10 ** (d - 1) else d - 1


def _given(x: object) -> str:
    """'float 2.0', 'str 'a'': the type and value of what was given, for the messages."""
    text = short(x)
    return text if text.startswith("an int of") else f"{type(x).__name__} {text}"


def is_int(x: object) -> bool:
    """True for an int that is not a bool (``True`` is an int in Python, never a size here).

    >>> is_int(3), is_int(True), is_int(3.0)
    (True, False, False)
    """
    return isinstance(x, numbers.Integral) and not isinstance(x, bool)


def is_real(x: object) -> bool:
    """True for a real number (int, float, Fraction, ...) that is not a bool.

    >>> is_real(0.5), is_real(True), is_real(1j)
    (True, False, False)
    """
    return isinstance(x, numbers.Real) and not isinstance(x, bool)


def check_int(name: str, value: object, *, minimum: int | None = None, maximum: int | None = None) -> int:
    """``value`` as an int in ``[minimum, maximum]`` (either bound optional); bools and floats refused.

    >>> check_int("Flatten: start_dim", -1)
    -1
    >>> check_int("MaxPool2d: padding", -1, minimum=0)
    Traceback (most recent call last):
    ...
    ValueError: MaxPool2d: padding must be an int >= 0, got -1
    """
    wanted = "an int" + (f" >= {minimum}" if minimum is not None else "") + (
        f" <= {maximum}" if maximum is not None else "")
    if not is_int(value):
        raise TypeError(f"{name} must be {wanted}, got {_given(value)}")
    if (minimum is not None and value < minimum) or (maximum is not None and value > maximum):
        raise ValueError(f"{name} must be {wanted}, got {short(value)}")
    return int(value)


def check_size(name: str, value: object) -> int:
    """A size (inputs, neurons, channels): an int from 1 to ``MAX_SIZE``, else an error naming it.

    >>> check_size("Neuron: nin (the number of inputs)", 0)
    Traceback (most recent call last):
    ...
    ValueError: Neuron: nin (the number of inputs) must be a positive int (at least 1), got 0
    >>> check_size("Neuron: nin (the number of inputs)", 10**400)
    Traceback (most recent call last):
    ...
    ValueError: Neuron: nin (the number of inputs) is too large to build: at most 100000000, got an int of 401 digits
    """
    if not is_int(value):
        raise TypeError(f"{name} must be a positive int, got {_given(value)}")
    if value < 1:
        raise ValueError(f"{name} must be a positive int (at least 1), got {short(value)}")
    if value > MAX_SIZE:
        raise ValueError(f"{name} is too large to build: at most {MAX_SIZE}, got {short(value)}")
    return int(value)


def check_count(where: str, sizes: Iterable[int]) -> int:
    """The product of checked sizes (how many parameters a layer will make), refused beyond ``MAX_SIZE``.

    >>> check_count("Linear", (3, 4))
    12
    >>> check_count("Linear", (100_000, 100_000))
    Traceback (most recent call last):
    ...
    ValueError: Linear: 100000 x 100000 = 10000000000 parameters are too many to build (at most 100000000)
    """
    sizes = tuple(sizes)
    count = math.prod(sizes)
    if count > MAX_SIZE:
        product = f"{' x '.join(map(str, sizes))} = " if len(sizes) > 1 else ""
        raise ValueError(f"{where}: {product}{count} parameters are too many to build (at most {MAX_SIZE})")
    return count


def check_real(name: str, value: object, *, minimum: float | None = None, maximum: float | None = None,
               finite: bool = True) -> float:
    """``value`` as a float in ``[minimum, maximum]``; NaN and +-inf refused unless ``finite=False``.

    Ints and Fractions too large for a float raise ValueError (never a bare OverflowError),
    complex numbers, strings, bools and Values raise TypeError.

    >>> check_real("Dropout: p", 0.5, minimum=0.0, maximum=1.0)
    0.5
    >>> check_real("uniform_: a", 1j)
    Traceback (most recent call last):
    ...
    TypeError: uniform_: a must be a real number, got complex 1j
    >>> check_real("Dropout: p", float("nan"), minimum=0.0, maximum=1.0)
    Traceback (most recent call last):
    ...
    ValueError: Dropout: p must be a finite number from 0.0 to 1.0, got nan
    """
    if not is_real(value):
        raise TypeError(f"{name} must be a real number, got {_given(value)}")
    try:
        x = float(value)
    except OverflowError:
        raise ValueError(f"{name} is too large to be a float, got {_given(value)}") from None
    wanted = _range_text(minimum, maximum, finite)
    if (finite and not math.isfinite(x)) or math.isnan(x):
        raise ValueError(f"{name} must be {wanted}, got {short(value)}")
    if (minimum is not None and x < minimum) or (maximum is not None and x > maximum):
        raise ValueError(f"{name} must be {wanted}, got {short(value)}")
    return x


def _range_text(minimum: float | None, maximum: float | None, finite: bool) -> str:
    kind = "a finite number" if finite else "a number (not NaN)"
    if minimum is not None and maximum is not None:
        return f"{kind} from {minimum} to {maximum}"
    if minimum is not None:
        return f"{kind} >= {minimum}"
    if maximum is not None:
        return f"{kind} <= {maximum}"
    return kind


def check_positive_real(name: str, value: object) -> float:
    """``value`` as a finite float > 0 (a learning rate, an epsilon, a standard deviation > 0).

    >>> check_positive_real("LayerNorm: eps", 1e-5)
    1e-05
    >>> check_positive_real("LayerNorm: eps", 0)
    Traceback (most recent call last):
    ...
    ValueError: LayerNorm: eps must be a finite number > 0, got 0
    """
    x = check_real(name, value)
    if not x > 0.0:
        raise ValueError(f"{name} must be a finite number > 0, got {short(value)}")
    return x


def check_bool(name: str, value: object) -> bool:
    """``value`` if it is True or False; 0, 1 and None are refused (say what you mean).

    >>> check_bool("Linear: bias", 1)
    Traceback (most recent call last):
    ...
    TypeError: Linear: bias must be True or False, got int 1
    """
    if not isinstance(value, bool):
        raise TypeError(f"{name} must be True or False, got {_given(value)}")
    return value


def check_choice(name: str, value: Any, choices: Iterable[Any]) -> Any:
    """``value`` if it is one of ``choices``, else a ValueError listing them.

    >>> check_choice("RNNCell: nonlinearity", "relu", ("tanh", "relu"))
    'relu'
    >>> check_choice("RNNCell: nonlinearity", "gelu", ("tanh", "relu"))
    Traceback (most recent call last):
    ...
    ValueError: RNNCell: nonlinearity must be one of 'tanh', 'relu', got 'gelu'
    """
    choices = tuple(choices)
    try:
        ok = any(value == c and type(value) is type(c) for c in choices)
    except Exception:
        ok = False
    if not ok:
        raise ValueError(f"{name} must be one of {', '.join(map(repr, choices))}, got {short(value)}")
    return value


def check_path(name: str, value: object) -> str | os.PathLike:
    """A file path: a str or an ``os.PathLike`` (``pathlib.Path``), else TypeError.

    Ints are refused although ``open()`` takes them: ``open(1)`` is standard output.

    >>> check_path("Module.save: path", 1)
    Traceback (most recent call last):
    ...
    TypeError: Module.save: path must be a str or os.PathLike (a file name), got int 1
    """
    if not isinstance(value, (str, os.PathLike)):
        raise TypeError(f"{name} must be a str or os.PathLike (a file name), got {_given(value)}")
    if isinstance(os.fspath(value), bytes):
        raise TypeError(f"{name} must be a str or os.PathLike of str, got a path of bytes {short(value)}")
    if not os.fspath(value):
        raise ValueError(f"{name} must name a file, got an empty path")
    return value
