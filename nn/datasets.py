"""Small datasets: toy ones made in code (moons, circles, XOR, spirals, a sine curve) and a list of names.

Each returns ``(X, y)`` as plain lists: ``X`` a list of feature lists (``[x1, x2]``, or
``[x]`` for ``sine``) and ``y`` a list of class indices (or of floats for ``sine``).
``seed=n`` gives the same data in every process; without it the points come from nn's
random source, which ``nn.manual_seed`` seeds.

>>> X, y = make_moons(4, noise=0.0, seed=0)
>>> len(X), sorted(y)
(4, [0, 0, 1, 1])

``names()`` reads the 32,033 first names shipped inside the package (``nn/data/names.txt``,
makemore's file, MIT licence; its provenance is in ``nn/data/README.md``): no download.
"""

from __future__ import annotations

import math
import random
from importlib import resources

from .init import default_rng

__all__ = ["make_moons", "make_circles", "xor", "spirals", "sine", "names"]

Points = list[list[float]]


def _rng(seed: int | None, where: str) -> random.Random:
    if seed is None:
        return default_rng()
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise TypeError(f"{where}: seed must be an int or None, got {type(seed).__name__} {seed!r}")
    return random.Random(seed)


def _check(where: str, n_samples: int, noise: float, least: int = 1) -> None:
    if isinstance(n_samples, bool) or not isinstance(n_samples, int) or n_samples < least:
        raise ValueError(f"{where}: n_samples must be an int >= {least}, got {n_samples!r}")
    if isinstance(noise, bool) or not isinstance(noise, (int, float)) or not noise >= 0.0:
        raise ValueError(f"{where}: noise must be a number >= 0, got {noise!r}")


def _linspace(start: float, stop: float, n: int, endpoint: bool = True) -> list[float]:
    steps = (n - 1 if endpoint else n) or 1
    return [start + (stop - start) * i / steps for i in range(n)]


def _noisy_shuffled(points: Points, labels: list[int], noise: float, rng: random.Random) -> tuple[Points, list[int]]:
    """Shuffle the examples, then add Gaussian noise of standard deviation ``noise`` to every coordinate."""
    order = list(range(len(points)))
    rng.shuffle(order)
    X = [[c + rng.gauss(0.0, noise) if noise else c for c in points[i]] for i in order]
    return X, [labels[i] for i in order]


def make_moons(n_samples: int = 100, *, noise: float = 0.1, seed: int | None = None) -> tuple[Points, list[int]]:
    """Two interleaving half circles, labels 0 (upper moon) and 1 (lower moon), as in scikit-learn.

    micrograd's demo uses ``make_moons(100, noise=0.1)`` and maps labels to -1/+1.

    >>> X, y = make_moons(100, seed=1)
    >>> len(X), len(y), y.count(0), y.count(1)
    (100, 100, 50, 50)
    """
    _check("make_moons", n_samples, noise, least=2)
    n_out = n_samples // 2
    n_in = n_samples - n_out
    outer = [[math.cos(t), math.sin(t)] for t in _linspace(0.0, math.pi, n_out)]
    inner = [[1.0 - math.cos(t), 0.5 - math.sin(t)] for t in _linspace(0.0, math.pi, n_in)]
    return _noisy_shuffled(outer + inner, [0] * n_out + [1] * n_in, noise, _rng(seed, "make_moons"))


def make_circles(
    n_samples: int = 100, *, noise: float = 0.05, factor: float = 0.5, seed: int | None = None
) -> tuple[Points, list[int]]:
    """A circle of radius 1 (label 0) around a circle of radius ``factor`` (label 1), as in scikit-learn.

    >>> X, y = make_circles(8, noise=0.0, seed=0)
    >>> sorted(round(math.hypot(*p), 6) for p in X)
    [0.5, 0.5, 0.5, 0.5, 1.0, 1.0, 1.0, 1.0]
    """
    _check("make_circles", n_samples, noise, least=2)
    if not 0.0 < factor < 1.0:
        raise ValueError(f"make_circles: factor must be between 0 and 1 (the inner radius), got {factor!r}")
    n_out = n_samples // 2
    n_in = n_samples - n_out
    outer = [[math.cos(t), math.sin(t)] for t in _linspace(0.0, 2 * math.pi, n_out, endpoint=False)]
    inner = [[factor * math.cos(t), factor * math.sin(t)] for t in _linspace(0.0, 2 * math.pi, n_in, endpoint=False)]
    return _noisy_shuffled(outer + inner, [0] * n_out + [1] * n_in, noise, _rng(seed, "make_circles"))


def xor(n_samples: int = 4, *, noise: float = 0.0, seed: int | None = None) -> tuple[Points, list[int]]:
    """The XOR truth table: label 1 when exactly one input is 1.  More samples cycle the corners, plus noise.

    >>> xor()
    ([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]], [0, 1, 1, 0])
    """
    _check("xor", n_samples, noise)
    corners = [([0.0, 0.0], 0), ([0.0, 1.0], 1), ([1.0, 0.0], 1), ([1.0, 1.0], 0)]
    rng = _rng(seed, "xor")
    X, y = [], []
    for i in range(n_samples):
        point, label = corners[i % 4]
        X.append([c + rng.gauss(0.0, noise) if noise else c for c in point])
        y.append(label)
    return X, y


def spirals(
    n_samples: int = 100, *, classes: int = 2, noise: float = 0.2, seed: int | None = None
) -> tuple[Points, list[int]]:
    """Arms of a spiral, one per class (CS231n's dataset); ``noise`` jitters the angle.

    >>> X, y = spirals(6, classes=3, seed=0)
    >>> y
    [0, 0, 1, 1, 2, 2]
    """
    _check("spirals", n_samples, noise)
    if isinstance(classes, bool) or not isinstance(classes, int) or not 2 <= classes <= n_samples:
        raise ValueError(f"spirals: classes must be an int from 2 to n_samples ({n_samples}), got {classes!r}")
    rng = _rng(seed, "spirals")
    X, y = [], []
    for k in range(classes):
        n = n_samples // classes + (k < n_samples % classes)
        for r, t in zip(_linspace(0.0, 1.0, n), _linspace(4.0 * k, 4.0 * (k + 1), n)):
            t += rng.gauss(0.0, noise) if noise else 0.0
            X.append([r * math.sin(t), r * math.cos(t)])
            y.append(k)
    return X, y


def sine(
    n_samples: int = 50, *, low: float = -math.pi, high: float = math.pi, noise: float = 0.0, seed: int | None = None
) -> tuple[Points, list[float]]:
    """Points of y = sin(x) for x evenly spaced in [low, high], plus Gaussian noise on y.

    >>> X, y = sine(3)
    >>> X
    [[-3.141592653589793], [0.0], [3.141592653589793]]
    >>> [round(v, 6) for v in y]
    [-0.0, 0.0, 0.0]
    """
    _check("sine", n_samples, noise)
    rng = _rng(seed, "sine")
    xs = _linspace(low, high, n_samples)
    return [[x] for x in xs], [math.sin(x) + (rng.gauss(0.0, noise) if noise else 0.0) for x in xs]


def names() -> list[str]:
    """The 32,033 lowercase first names of makemore's ``names.txt``, in the file's order.

    Read from the copy shipped inside the package (``nn/data/names.txt``; its source and
    MIT licence are in ``nn/data/README.md`` beside it).  A new list every call, so
    shuffling it is safe.

    >>> words = names()
    >>> len(words), words[:3], max(map(len, words))
    (32033, ['emma', 'olivia', 'ava'], 15)
    """
    text = resources.files(__package__).joinpath("data", "names.txt").read_text(encoding="utf-8")
    return [line.strip() for line in text.splitlines() if line.strip()]
