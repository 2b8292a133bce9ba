"""Convolutions and pooling: small filters slid over a sequence or an image, PyTorch's names and arguments.

An image is a nested list ``[channels][height][width]`` of Values or numbers, a 1-d signal
``[channels][length]``; there is no batch dimension, so call the layer once per example.
Each output is one ``dot`` node: the filter's weights against the window under it, with the
bias riding along as a weight on a constant 1.

>>> import random
>>> conv = Conv2d(1, 2, kernel_size=3, rng=random.Random(0))
>>> conv
Conv2d(1, 2, kernel_size=(3, 3), stride=(1, 1), padding=(0, 0), bias=True)
>>> image = [[[0.0, 1.0, 0.0, 0.0]] * 4]          # 1 channel, 4x4: a vertical bar
>>> out = conv(image)
>>> len(out), len(out[0]), len(out[0][0])         # 2 channels of 2x2
(2, 2, 2)
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence

import engine
from engine import Value, dot

from .checks import check_count, check_int, check_size, is_int, short
from .module import Module
from .shapes import Nested, expect_shape, flatten, parameters, shape, values

__all__ = ["Conv1d", "Conv2d", "MaxPool2d", "AvgPool2d", "Flatten"]


# Kernel sizes, strides and paddings beyond this are typing mistakes (an image that large has
# more pixels than can be built); refusing them keeps the arithmetic on small ints.
MAX_WINDOW = 1_000_000


def _pair(where: str, name: str, x: int | Sequence[int], least: int = 1) -> tuple[int, int]:
    """``3`` -> ``(3, 3)``; ``(3, 2)`` kept; each an int >= least, else an error naming it."""
    if is_int(x):
        pair = (x, x)
    else:
        pair = tuple(x) if isinstance(x, (tuple, list)) else ()
    if len(pair) != 2 or not all(is_int(v) and least <= v <= MAX_WINDOW for v in pair):
        raise ValueError(f"{where}: {name} must be an int >= {least} or a pair of them, got {short(x)}")
    return int(pair[0]), int(pair[1])


def _single(where: str, name: str, x: int | Sequence[int], least: int = 1) -> int:
    if isinstance(x, (tuple, list)) and len(x) == 1:
        x = x[0]
    if not (is_int(x) and least <= x <= MAX_WINDOW):
        raise ValueError(f"{where}: {name} must be an int >= {least}, got {short(x)}")
    return int(x)


def _out_size(size: int, kernel: int, stride: int, padding: int) -> int:
    # NB: PyTorch's formula, floor((size + 2*padding - kernel) / stride) + 1.
    return (size + 2 * padding - kernel) // stride + 1


def _pad(channel: list, padding: tuple[int, int], zero: Value) -> list:
    """One channel (a list of rows) with ``padding`` rows and columns of ``zero`` around it."""
    ph, pw = padding
    if not (ph or pw):
        return channel
    width = len(channel[0]) + 2 * pw
    blank = [zero] * width
    middle = [[zero] * pw + list(row) + [zero] * pw for row in channel]
    return [blank] * ph + middle + [blank] * ph


class Conv2d(Module):
    """A 2-d convolution: ``out_channels`` filters of shape ``[in_channels][kh][kw]`` slid over an image.

    NB: torch.nn.Conv2d (really a cross-correlation, as there): output channel o at (y, x) is
    bias[o] + sum over c, i, j of weight[o][c][i][j] * input[c][y*stride + i][x*stride + j],
    with the input surrounded by ``padding`` zeros.  Weights and bias start uniform in
    +-1/sqrt(in_channels * kh * kw), as in PyTorch.

    >>> conv = Conv2d(1, 1, 2, rng=random.Random(0))
    >>> conv.load_state_dict({'weight.0.0.0.0': 1.0, 'weight.0.0.0.1': -1.0,
    ...                       'weight.0.0.1.0': 1.0, 'weight.0.0.1.1': -1.0, 'bias.0': 0.0})
    LoadResult(missing_keys=[], unexpected_keys=[])
    >>> [[v.data for v in row] for row in conv([[[1, 0, 0], [1, 0, 0]]])[0]]   # a left-edge detector
    [[2.0, 0.0]]
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int | tuple[int, int],
                 stride: int | tuple[int, int] = 1, padding: int | tuple[int, int] = 0, bias: bool = True,
                 *, rng: random.Random | None = None):
        self.in_channels = check_size("Conv2d: in_channels", in_channels)
        self.out_channels = check_size("Conv2d: out_channels", out_channels)
        self.kernel_size = _pair("Conv2d", "kernel_size", kernel_size)
        check_count("Conv2d", (out_channels, in_channels, *self.kernel_size))
        self.stride = _pair("Conv2d", "stride", stride)
        self.padding = _pair("Conv2d", "padding", padding, least=0)
        kh, kw = self.kernel_size
        bound = 1.0 / math.sqrt(in_channels * kh * kw)
        self.weight = parameters((out_channels, in_channels, kh, kw), bound, rng)
        self.bias = parameters((out_channels,), bound, rng) if bias else None

    def forward(self, x: Nested) -> list[list[list[Value]]]:
        (kh, kw), (sh, sw), (ph, pw) = self.kernel_size, self.stride, self.padding
        _, height, width = expect_shape(
            "Conv2d", x, (self.in_channels, None, None), ("in_channels", "height", "width"),
            (1, max(kh - 2 * ph, 1), max(kw - 2 * pw, 1)),
        )
        zero, one = Value(0.0), Value(1.0)  # constants: the padding, and the input the bias multiplies
        image = [_pad(channel, self.padding, zero) for channel in values(x)]
        out_h, out_w = _out_size(height, kh, sh, ph), _out_size(width, kw, sw, pw)
        filters = [flatten(w) for w in self.weight]
        if self.bias is not None:
            filters = [f + [b] for f, b in zip(filters, self.bias)]
        out = []
        for f in filters:
            plane = []
            for y in range(0, out_h * sh, sh):
                row = []
                for x0 in range(0, out_w * sw, sw):
                    window = [v for channel in image for r in channel[y:y + kh] for v in r[x0:x0 + kw]]
                    if self.bias is not None:
                        window.append(one)
                    row.append(dot(f, window))
                plane.append(row)
            out.append(plane)
        return out

    def extra_repr(self) -> str:
        return (f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, stride={self.stride}, "
                f"padding={self.padding}, bias={self.bias is not None}")


class Conv1d(Module):
    """A 1-d convolution: ``out_channels`` filters of shape ``[in_channels][kernel_size]`` slid along a signal.

    NB: torch.nn.Conv1d.  The input is ``[in_channels][length]``; output channel o at t is
    bias[o] + sum over c, k of weight[o][c][k] * input[c][t*stride + k] (zero padding).

    >>> conv = Conv1d(1, 1, 2, rng=random.Random(0))
    >>> _ = conv.load_state_dict({'weight.0.0.0': -1.0, 'weight.0.0.1': 1.0, 'bias.0': 0.0})
    >>> [v.data for v in conv([[0, 0, 1, 1]])[0]]     # a step detector: fires where the signal rises
    [0.0, 1.0, 0.0]
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int, stride: int = 1, padding: int = 0,
                 bias: bool = True, *, rng: random.Random | None = None):
        self.in_channels = check_size("Conv1d: in_channels", in_channels)
        self.out_channels = check_size("Conv1d: out_channels", out_channels)
        self.kernel_size = _single("Conv1d", "kernel_size", kernel_size)
        check_count("Conv1d", (out_channels, in_channels, self.kernel_size))
        self.stride = _single("Conv1d", "stride", stride)
        self.padding = _single("Conv1d", "padding", padding, least=0)
        bound = 1.0 / math.sqrt(in_channels * self.kernel_size)
        self.weight = parameters((out_channels, in_channels, self.kernel_size), bound, rng)
        self.bias = parameters((out_channels,), bound, rng) if bias else None

    def forward(self, x: Nested) -> list[list[Value]]:
        k, s, p = self.kernel_size, self.stride, self.padding
        _, length = expect_shape("Conv1d", x, (self.in_channels, None), ("in_channels", "length"),
                                 (1, max(k - 2 * p, 1)))
        zero, one = Value(0.0), Value(1.0)
        signal = [[zero] * p + list(channel) + [zero] * p for channel in values(x)]
        filters = [flatten(w) for w in self.weight]
        if self.bias is not None:
            filters = [f + [b] for f, b in zip(filters, self.bias)]
        tail = [one] if self.bias is not None else []
        steps = range(0, _out_size(length, k, s, p) * s, s)
        return [[dot(f, [v for channel in signal for v in channel[t:t + k]] + tail) for t in steps] for f in filters]

    def extra_repr(self) -> str:
        return (f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, stride={self.stride}, "
                f"padding={self.padding}, bias={self.bias is not None}")


class _Pool2d(Module):
    """What max and average pooling share: the window arithmetic and the input check."""

    def __init__(self, kernel_size: int | tuple[int, int], stride: int | tuple[int, int] | None = None,
                 padding: int | tuple[int, int] = 0):
        where = type(self).__name__
        self.kernel_size = _pair(where, "kernel_size", kernel_size)
        self.stride = self.kernel_size if stride is None else _pair(where, "stride", stride)
        self.padding = _pair(where, "padding", padding, least=0)
        if any(2 * p > k for p, k in zip(self.padding, self.kernel_size)):
            raise ValueError(f"{where}: padding must be at most half the kernel size, got padding={self.padding} "
                             f"and kernel_size={self.kernel_size}")

    def _windows(self, x: Nested):
        """For each channel, the rows of windows: each window a list of the Values under it (padding left out)."""
        (kh, kw), (sh, sw), (ph, pw) = self.kernel_size, self.stride, self.padding
        _, height, width = expect_shape(type(self).__name__, x, (None, None, None), ("channels", "height", "width"),
                                        (1, max(kh - 2 * ph, 1), max(kw - 2 * pw, 1)))
        out_h, out_w = _out_size(height, kh, sh, ph), _out_size(width, kw, sw, pw)
        for channel in values(x):
            yield [[[channel[i][j]
                     for i in range(max(y * sh - ph, 0), min(y * sh - ph + kh, height))
                     for j in range(max(x0 * sw - pw, 0), min(x0 * sw - pw + kw, width))]
                    for x0 in range(out_w)] for y in range(out_h)]

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class MaxPool2d(_Pool2d):
    """The largest value of each ``kernel_size`` window, per channel; stride defaults to the kernel size.

    NB: torch.nn.MaxPool2d.  The output *is* the winning input node (no new node), so the
    gradient flows back to the winner only; padding is left out of the max (PyTorch pads -inf).

    >>> pool = MaxPool2d(2)
    >>> [[v.data for v in row] for row in pool([[[1, 2, 0, 0], [3, 4, 0, 9]]])[0]]
    [[4.0, 9.0]]
    """

    def forward(self, x: Nested) -> list[list[list[Value]]]:
        return [[[max(window) for window in row] for row in channel] for channel in self._windows(x)]


class AvgPool2d(_Pool2d):
    """The mean of each ``kernel_size`` window, per channel; stride defaults to the kernel size.

    NB: torch.nn.AvgPool2d with count_include_pad=True: padding counts as zeros in the mean.

    >>> pool = AvgPool2d(2)
    >>> [[v.data for v in row] for row in pool([[[1, 2, 0, 0], [3, 4, 0, 8]]])[0]]
    [[2.5, 2.0]]
    """

    def forward(self, x: Nested) -> list[list[list[Value]]]:
        scale = 1.0 / (self.kernel_size[0] * self.kernel_size[1])
        return [[[engine.sum(window) * scale for window in row] for row in channel] for channel in self._windows(x)]


class Flatten(Module):
    """Dimensions ``start_dim`` to ``end_dim`` of a nested list merged into one; by default all of them.

    NB: torch.nn.Flatten, without the batch dimension: PyTorch's default start_dim=1 skips
    the batch, and here there is none, so the default is 0.

    >>> Flatten()([[[1, 2], [3, 4]], [[5, 6], [7, 8]]])
    [1, 2, 3, 4, 5, 6, 7, 8]
    >>> Flatten(start_dim=1)([[[1, 2], [3, 4]], [[5, 6], [7, 8]]])
    [[1, 2, 3, 4], [5, 6, 7, 8]]
    """

    def __init__(self, start_dim: int = 0, end_dim: int = -1):
        self.start_dim = check_int("Flatten: start_dim", start_dim)
        self.end_dim = check_int("Flatten: end_dim", end_dim)

    def forward(self, x: Nested) -> list:
        rank = len(shape(x, "Flatten"))
        start = self.start_dim + rank if self.start_dim < 0 else self.start_dim
        end = self.end_dim + rank if self.end_dim < 0 else self.end_dim
        if not 0 <= start <= end < rank:
            raise ValueError(f"Flatten: start_dim={self.start_dim} and end_dim={self.end_dim} do not fit an input "
                             f"with {rank} dimension(s); expected 0 <= start_dim <= end_dim < {rank}")
        return _flatten_dims(x, start, end)

    def extra_repr(self) -> str:
        return f"start_dim={self.start_dim}, end_dim={self.end_dim}"


def _flatten_dims(x: list, start: int, end: int) -> list:
    if start > 0:
        return [_flatten_dims(item, start - 1, end - 1) for item in x]
    # Merge dims 0..end: flatten end+1 levels, keeping what lies below as it is.
    merged = list(x)
    for _ in range(end):
        merged = [item for sub in merged for item in sub]
    return merged
