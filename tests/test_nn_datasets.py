"""Tests of nn.datasets: shapes, labels, geometry, and seeding."""

import math
import subprocess
import sys

import pytest

import nn
from nn.datasets import make_circles, make_moons, sine, spirals, xor


def test_moons_shape_labels_and_geometry():
    X, y = make_moons(101, noise=0.0, seed=0)
    assert len(X) == len(y) == 101 and y.count(0) == 50 and y.count(1) == 51
    for (a, b), label in zip(X, y):
        centre = (0.0, 0.0) if label == 0 else (1.0, 0.5)
        assert math.hypot(a - centre[0], b - centre[1]) == pytest.approx(1.0)
        assert (b >= 0.0) if label == 0 else (b <= 0.5)
    assert all(isinstance(p, list) and all(type(c) is float for c in p) for p in X)


def test_noise_moves_points_by_about_its_size():
    X, y = make_moons(200, noise=0.1, seed=3)
    centres = {0: (0.0, 0.0), 1: (1.0, 0.5)}
    off = [abs(math.hypot(a - centres[label][0], b - centres[label][1]) - 1.0) for (a, b), label in zip(X, y)]
    assert 0.03 < sum(off) / len(off) < 0.2  # the radial part of N(0, 0.1) noise: about 0.08 on average
    assert make_moons(200, noise=0.0, seed=3) != (X, y)


def test_seeds_and_manual_seed():
    assert make_moons(50, seed=1) == make_moons(50, seed=1)
    assert make_moons(50, seed=1) != make_moons(50, seed=2)
    nn.manual_seed(5)
    first = make_circles(20)
    nn.manual_seed(5)
    assert make_circles(20) == first
    code = "from nn.datasets import spirals; print(spirals(10, seed=4))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == repr(spirals(10, seed=4))


def test_circles_xor_spirals_sine():
    X, y = make_circles(10, noise=0.0, factor=0.3, seed=0)
    assert sorted(round(math.hypot(*p), 9) for p in X) == [0.3] * 5 + [1.0] * 5
    assert all(round(math.hypot(*p), 9) == (1.0 if label == 0 else 0.3) for p, label in zip(X, y))
    X, y = xor(8, noise=0.05, seed=0)
    assert y == [0, 1, 1, 0] * 2
    assert all(abs(a - round(a)) < 0.3 and (round(a) != round(b)) == label for (a, b), label in zip(X, y))
    X, y = spirals(90, classes=3, seed=0)
    assert [y.count(k) for k in range(3)] == [30, 30, 30] and max(math.hypot(*p) for p in X) <= 1.0
    X, y = sine(5, low=0.0, high=math.pi)
    assert [x[0] for x in X] == pytest.approx([0, math.pi / 4, math.pi / 2, 3 * math.pi / 4, math.pi])
    assert y == pytest.approx([math.sin(x[0]) for x in X])


@pytest.mark.parametrize("call, message", [
    (lambda: make_moons(1), "n_samples must be an int >= 2"),
    (lambda: make_moons(10, noise=-0.1), "noise must be a number >= 0"),
    (lambda: make_circles(10, factor=1.5), "factor must be between 0 and 1"),
    (lambda: spirals(10, classes=1), "classes must be an int from 2"),
    (lambda: xor(0), "n_samples must be an int >= 1"),
])
def test_bad_arguments(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_seed_must_be_an_int():
    with pytest.raises(TypeError, match="seed must be an int or None, got str"):
        sine(5, seed="1")
