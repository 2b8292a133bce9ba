"""A tiny CNN tells vertical bars from horizontal ones, and its 3x3 filters turn into line detectors.

    python -m demos.cnn                  # train, print accuracy and the filters, write out/cnn_filters.png
    python -m demos.cnn --steps 20 --no-plot

The images are 6x6, one channel, with a bright bar one pixel wide across the image
(a column or a row) and some noise.  The model is the smallest CNN that makes the point:
Conv2d(1, 2, 3) -> ReLU -> MaxPool2d(4) (the strongest response anywhere) -> Linear(2, 2).
Each filter starts random; after training one lights up on vertical lines and the other
on horizontal ones: the numbers in its columns (or rows) differ, the other way they agree.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time

import nn
from demos._plots import picture, save_figure
from demos._progress import progress, say
from engine import Value, no_grad
from nn import Adam, Conv2d, Flatten, Linear, MaxPool2d, Module, ReLU, cross_entropy

SEED = 0
SIZE = 6
CLASSES = ("vertical", "horizontal")


# %% the data: one bright bar, a column (label 0) or a row (label 1), on a noisy background
def bars(n: int, noise: float = 0.15, seed: int = SEED) -> tuple[list, list[int]]:
    """``n`` images ``[1][6][6]`` with a vertical (label 0) or horizontal (label 1) bar, and their labels.

    >>> X, y = bars(4, noise=0.0)
    >>> y
    [0, 1, 0, 1]
    >>> [round(sum(row), 1) for row in X[0][0]]       # a vertical bar: one bright pixel per row
    [1.0, 1.0, 1.0, 1.0, 1.0, 1.0]
    """
    rng = random.Random(seed)
    X, y = [], []
    for k in range(n):
        label = k % 2
        where = rng.randrange(SIZE)
        image = [[rng.gauss(0.0, noise) for _ in range(SIZE)] for _ in range(SIZE)]
        for t in range(SIZE):
            if label == 0:
                image[t][where] += 1.0
            else:
                image[where][t] += 1.0
        X.append([image])
        y.append(label)
    return X, y


# %% the model
class BarNet(Module):
    """Conv2d(1, 2, 3) -> ReLU -> MaxPool2d(4) -> Flatten -> Linear(2, 2): two filters, two class scores.

    >>> nn.manual_seed(0)
    >>> len(BarNet()(bars(1)[0][0]))
    2
    """

    def __init__(self):
        self.conv = Conv2d(1, 2, kernel_size=3)
        self.relu = ReLU()
        self.pool = MaxPool2d(SIZE - 2)  # the 4x4 feature map down to its largest value
        self.flatten = Flatten()
        self.fc = Linear(2, len(CLASSES))

    def forward(self, image: list) -> list[Value]:
        maps = self.conv(image)
        maps = [[self.relu(row) for row in channel] for channel in maps]
        return self.fc(self.flatten(self.pool(maps)))


def accuracy(model: Module, X: list, y: list[int]) -> float:
    """The fraction of images whose largest score is the right class."""
    with no_grad():
        right = 0
        for image, label in zip(X, y):
            scores = [s.data for s in model(image)]
            right += scores.index(max(scores)) == label
    return right / len(y)


def train(steps: int = 80, n_train: int = 40, seed: int = SEED, lr: float = 0.05, log=print,
          show_progress: bool = False) -> BarNet:
    """Train a BarNet with Adam on the whole training set each step; returns the model (progress on stderr if asked).

    >>> model = train(steps=2, n_train=4, log=lambda *a: None)
    >>> model.num_parameters()
    26
    """
    nn.manual_seed(seed)
    X, y = bars(n_train, seed=seed)
    model = BarNet()
    optimizer = Adam(model.parameters(), lr=lr)
    for step in progress(range(steps), "training") if show_progress else range(steps):
        loss = cross_entropy([model(image) for image in X], y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        if step % 10 == 0 or step == steps - 1:
            log(f"step {step:3d}  loss {loss.data:.4f}")
    return model


# %% reading the filters
def filter_rows(model: BarNet) -> list[list[list[float]]]:
    """Each 3x3 filter as plain numbers."""
    return [[[w.data for w in row] for row in f[0]] for f in model.conv.weight]


def orientation(f: list[list[float]]) -> str:
    """'vertical' when the filter's columns differ more than its rows, else 'horizontal'.

    A vertical line detector has a column of large weights: the column sums differ a lot
    and the row sums hardly at all.

    >>> orientation([[-1, 2, -1], [-1, 2, -1], [-1, 2, -1]])
    'vertical'
    """
    cols = [sum(row[j] for row in f) for j in range(3)]
    rows = [sum(row) for row in f]
    return "vertical" if max(cols) - min(cols) > max(rows) - min(rows) else "horizontal"


def format_filter(f: list[list[float]]) -> str:
    return "\n".join("   " + " ".join(f"{w:+.2f}" for w in row) for row in f)


def plot_filters(plt, filters: list, path: str) -> str:
    """The filters as grey-scale squares (white = large weight) in one PNG; returns the path."""
    fig, axes = plt.subplots(1, len(filters), figsize=(2.2 * len(filters), 2.4))
    for k, (ax, f) in enumerate(zip(axes, filters)):
        ax.imshow(f, cmap="gray")
        ax.set_title(f"filter {k}: {orientation(f)}", fontsize=9)
        ax.set_xticks([])
        ax.set_yticks([])
    return save_figure(plt, fig, path)


# %% the command line
def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m demos.cnn", description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=80, help="training steps (default 80)")
    parser.add_argument("--train", type=int, default=40, help="training images (default 40)")
    parser.add_argument("--seed", type=int, default=SEED, help=f"random seed (default {SEED})")
    parser.add_argument("--out", default=os.path.join("out", "cnn_filters.png"), help="where to write the PNG")
    parser.add_argument("--no-plot", action="store_true", help="no picture")
    args = parser.parse_args(argv)
    if args.steps < 1 or args.train < 2:
        parser.error("--steps must be >= 1 and --train >= 2")

    start = time.perf_counter()
    model = train(args.steps, args.train, args.seed, log=say, show_progress=True)
    X_test, y_test = bars(100, seed=args.seed + 1)
    print(f"accuracy on {len(y_test)} new images: {accuracy(model, X_test, y_test) * 100:.0f}%")
    filters = filter_rows(model)
    for k, f in enumerate(filters):
        print(f"filter {k} ({orientation(f)} line detector):\n{format_filter(f)}")
    if not args.no_plot:
        picture(plot_filters, "the filters", filters, args.out)
    print(f"total time {time.perf_counter() - start:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
