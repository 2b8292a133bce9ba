"""Where the starting weights come from: the random source, ``manual_seed`` and the initializers.

Every random draw in ``nn`` (initial weights, datasets without a seed) goes through one
``random.Random`` unless you pass your own ``rng=``, so ``manual_seed(n)`` gives the same
weights in every process.  The weights are drawn in micrograd's order (neuron by neuron,
``rng.uniform(-1, 1)`` per weight), so ``manual_seed(1337)`` here gives the weights that
``random.seed(1337)`` gives micrograd.

>>> from engine import Value
>>> manual_seed(0)
>>> w = [Value(0.0) for _ in range(3)]
>>> uniform_(w)
>>> [round(v.data, 3) for v in w]
[0.689, 0.516, -0.159]
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence

from engine import Value

from .checks import check_int, check_real, check_size, short

__all__ = [
    "manual_seed",
    "default_rng",
    "uniform_",
    "normal_",
    "xavier_uniform_",
    "kaiming_uniform_",
    "INITIALIZERS",
]

# NB: torch's default generator.  Seeded from the OS until manual_seed() is called.
_default_rng = random.Random()

# What the fills take: a list of Values, or lists of them nested as deep as a weight tensor is.
Params = Sequence[Value] | Sequence["Params"]


def manual_seed(seed: int) -> None:
    """Seed the random source every ``nn`` initializer uses when no ``rng=`` is given.

    NB: torch.manual_seed.

    >>> manual_seed(1337)
    >>> a = default_rng().random()
    >>> manual_seed(1337)
    >>> a == default_rng().random()
    True
    """
    _default_rng.seed(check_int("manual_seed: seed", seed))


def default_rng() -> random.Random:
    """The ``random.Random`` that ``nn`` draws from when no ``rng=`` is given.

    >>> import random
    >>> isinstance(default_rng(), random.Random)
    True
    """
    return _default_rng


def check_rng(rng: random.Random | None, where: str) -> random.Random:
    """Return ``rng``, or the default source for None; refuse what cannot draw numbers."""
    if rng is None:
        return _default_rng
    if not (callable(getattr(rng, "uniform", None)) and callable(getattr(rng, "gauss", None))):
        raise TypeError(f"{where}: rng must be a random.Random (or None for nn's own), got {type(rng).__name__}")
    return rng


def _leaves(values: Params, where: str) -> list[Value]:
    """The Values of a list, or of nested lists (a weight matrix), in reading order; TypeError otherwise."""
    if isinstance(values, Value):
        raise TypeError(f"{where}: values must be a list of Values (fills happen in place), got a single Value; "
                        f"write [v] for one")
    out: list[Value] = []
    stack = [iter([values])]
    while stack:  # iterative, so any nesting depth works
        for item in stack[-1]:
            if isinstance(item, Value):
                out.append(item)
            elif isinstance(item, (list, tuple)):
                stack.append(iter(item))
                break
            else:
                raise TypeError(f"{where}: values must be Values or (nested) lists of Values, "
                                f"got {type(item).__name__} {short(item)}")
        else:
            stack.pop()
    return out


def uniform_(values: Params, a: float = -1.0, b: float = 1.0, *, rng: random.Random | None = None) -> None:
    """Fill ``values`` in place with draws from U(a, b): micrograd's initializer with the defaults.

    ``values`` is a list of Values or a nested list of them (a weight matrix).
    NB: torch.nn.init.uniform_.

    >>> from engine import Value
    >>> w = [Value(0.0), Value(0.0)]
    >>> uniform_(w, 0.0, 0.5, rng=random.Random(0))
    >>> all(0.0 <= v.data <= 0.5 for v in w)
    True
    """
    a = check_real("uniform_: a", a)
    b = check_real("uniform_: b", b)
    if a > b:
        raise ValueError(f"uniform_: a must be <= b, got a={a} and b={b}")
    rng = check_rng(rng, "uniform_")
    for v in _leaves(values, "uniform_"):
        v.data = rng.uniform(a, b)


def normal_(values: Params, mean: float = 0.0, std: float = 1.0, *, rng: random.Random | None = None) -> None:
    """Fill ``values`` in place with draws from the normal distribution N(mean, std**2).

    ``values`` is a list of Values or a nested list of them, so a layer's weight matrix can be
    refilled as it is; ``std=0`` sets every value to ``mean``.  NB: torch.nn.init.normal_
    (GPT-2 starts its weights with ``std=0.02``).

    >>> from nn import Linear
    >>> lin = Linear(3, 2, rng=random.Random(0))
    >>> normal_(lin.weight, std=0.02, rng=random.Random(0))
    >>> [round(v.data, 4) for v in lin.weight[0]]
    [0.0188, -0.0279, -0.0136]
    >>> normal_(lin.weight, std=-1.0)
    Traceback (most recent call last):
    ...
    ValueError: normal_: std must be a finite number >= 0.0, got -1.0
    """
    mean = check_real("normal_: mean", mean)
    std = check_real("normal_: std", std, minimum=0.0)
    rng = check_rng(rng, "normal_")
    for v in _leaves(values, "normal_"):
        v.data = rng.gauss(mean, std)


def _fan(name: str, value: object) -> int:
    """A fan-in or fan-out: how many inputs or outputs a unit has, so at least 1."""
    return check_size(name, value)


def xavier_uniform_(
    values: Params, fan_in: int, fan_out: int, *, gain: float = 1.0, rng: random.Random | None = None
) -> None:
    """Fill ``values`` from U(-k, k) with k = gain * sqrt(6 / (fan_in + fan_out)) (Glorot, for tanh/sigmoid).

    NB: torch.nn.init.xavier_uniform_ (which reads the fans from the tensor's shape).

    >>> from engine import Value
    >>> w = [Value(0.0) for _ in range(4)]
    >>> xavier_uniform_(w, fan_in=4, fan_out=2, rng=random.Random(0))
    >>> all(abs(v.data) <= 1.0 for v in w)
    True
    """
    fan_in = _fan("xavier_uniform_: fan_in", fan_in)
    fan_out = _fan("xavier_uniform_: fan_out", fan_out)
    gain = check_real("xavier_uniform_: gain", gain)
    bound = abs(gain) * math.sqrt(6.0 / (fan_in + fan_out))
    uniform_(values, -bound, bound, rng=check_rng(rng, "xavier_uniform_"))


def kaiming_uniform_(values: Params, fan_in: int, *, rng: random.Random | None = None) -> None:
    """Fill ``values`` from U(-k, k) with k = sqrt(6 / fan_in) (He, for ReLU layers).

    NB: torch.nn.init.kaiming_uniform_ with nonlinearity='relu'.

    >>> from engine import Value
    >>> w = [Value(0.0) for _ in range(6)]
    >>> kaiming_uniform_(w, fan_in=6, rng=random.Random(0))
    >>> all(abs(v.data) <= 1.0 for v in w)
    True
    >>> kaiming_uniform_(w, fan_in=0)
    Traceback (most recent call last):
    ...
    ValueError: kaiming_uniform_: fan_in must be a positive int (at least 1), got 0
    """
    fan_in = _fan("kaiming_uniform_: fan_in", fan_in)
    bound = math.sqrt(6.0 / fan_in)
    uniform_(values, -bound, bound, rng=check_rng(rng, "kaiming_uniform_"))


def _micrograd_uniform(values: Sequence[Value], fan_in: int, fan_out: int, rng: random.Random) -> None:
    uniform_(values, -1.0, 1.0, rng=rng)


def _xavier(values: Sequence[Value], fan_in: int, fan_out: int, rng: random.Random) -> None:
    xavier_uniform_(values, fan_in, fan_out, rng=rng)


def _kaiming(values: Sequence[Value], fan_in: int, fan_out: int, rng: random.Random) -> None:
    kaiming_uniform_(values, fan_in, rng=rng)


# The names a layer's ``init=`` accepts.  Each entry fills a list of weights in place.
INITIALIZERS = {
    "uniform": _micrograd_uniform,
    "xavier_uniform": _xavier,
    "kaiming_uniform": _kaiming,
}


def initialize(values: Sequence[Value], init: str, fan_in: int, fan_out: int, rng: random.Random | None,
               where: str) -> None:
    """Fill ``values`` with the initializer named ``init``; ValueError naming the choices otherwise."""
    try:
        fill = INITIALIZERS[init]
    except (KeyError, TypeError):
        raise ValueError(f"{where}: init must be one of {', '.join(map(repr, INITIALIZERS))}, got {init!r}") from None
    fill(values, fan_in, fan_out, check_rng(rng, where))
