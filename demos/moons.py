"""micrograd's demo: a 2-16-16-1 MLP learns to separate two moons, with a picture of its decision boundary.

Same setup as micrograd's demo.ipynb: 100 points with noise 0.1, ``MLP(2, [16, 16, 1])``,
max-margin (hinge) loss plus 1e-4 L2, and SGD with lr = 1.0 - 0.9*k/100 for 100 steps.

    python -m demos.moons                    # train, print progress, write out/moons.png
    python -m demos.moons --steps 20 --points 40 --no-plot

Without matplotlib the decision boundary is printed as text;
``pip install chainrule[plot]`` (or ``.venv/bin/pip install -e .[plot]``) gets the PNG.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable

import engine
import nn
from demos._progress import progress, say
from engine import Value, no_grad
from nn import MLP, hinge_loss
from nn.datasets import make_moons

SEED = 1337  # micrograd's seed; with it this demo reaches 100% training accuracy
PLOT_HINT = "pip install chainrule[plot] (or .venv/bin/pip install -e .[plot]) to get the PNG"


# %% the data: labels -1 and +1, as the hinge loss wants them
def moons_data(points: int = 100, seed: int = SEED) -> tuple[list[list[float]], list[int]]:
    """``points`` moons points with noise 0.1 and labels -1/+1.

    >>> X, y = moons_data(10)
    >>> len(X), sorted(set(y))
    (10, [-1, 1])
    """
    X, labels = make_moons(points, noise=0.1, seed=seed)
    return X, [2 * label - 1 for label in labels]


# %% the loss: micrograd's max-margin loss plus L2 regularization
def loss_and_accuracy(model: MLP, X: list[list[float]], y: list[int], alpha: float = 1e-4) -> tuple[Value, float]:
    """The training loss (one Value, ready for backward) and the fraction of points on the right side.

    >>> nn.manual_seed(0)
    >>> loss, acc = loss_and_accuracy(MLP(2, [4, 1]), [[0.0, 1.0], [1.0, 0.0]], [1, -1])
    >>> loss.data > 0, 0.0 <= acc <= 1.0
    (True, True)
    """
    loss, scores = loss_and_scores(model, X, y, alpha)
    return loss, accuracy_of(scores, y)


def loss_and_scores(model: MLP, X: list[list[float]], y: list[int], alpha: float = 1e-4) -> tuple[Value, list[Value]]:
    """The training loss and the model's score for each point (what ``engine.compile`` traces)."""
    scores = [model(x) for x in X]
    data_loss = hinge_loss(scores, y)
    reg_loss = alpha * engine.sum([p * p for p in model.parameters()])
    return data_loss + reg_loss, scores


def accuracy_of(scores: list, y: list[int]) -> float:
    """The fraction of scores (Values or floats) on the side of their label."""
    return sum((float(s) > 0) == (label > 0) for s, label in zip(scores, y)) / len(y)


# %% training: forward, zero_grad, backward, update, 100 times
def train(
    steps: int = 100,
    points: int = 100,
    seed: int = SEED,
    log: Callable[[str], None] | None = print,
    compiled: bool = False,
    show_progress: bool = False,
) -> tuple[MLP, list[dict]]:
    """Train micrograd's moons model; returns the model and one ``{step, loss, accuracy}`` per step.

    The last entry (step = ``steps``) is measured after the last update.  ``compiled=True``
    traces the step once with ``engine.compile`` and replays it: the same numbers, faster.
    ``show_progress=True`` shows a progress bar (or line) on stderr.
    """
    nn.manual_seed(seed)
    X, y = moons_data(points, seed)
    model = MLP(2, [16, 16, 1])
    optimizer = nn.SGD(model.parameters(), lr=1.0)
    history = []
    replay = engine.compile(lambda: loss_and_scores(model, X, y)) if compiled and steps else None

    def record(k: int, loss: Value, accuracy: float) -> None:
        history.append({"step": k, "loss": loss.data, "accuracy": accuracy})
        if log and (k % 10 == 0 or k >= steps - 1):
            label = "final" if k == steps else f"step {k:3d}"
            log(f"{label}  loss {loss.data:.4f}  accuracy {accuracy * 100:5.1f}%")

    for k in progress(range(steps), "training") if show_progress else range(steps):
        optimizer.zero_grad()
        if replay is not None:  # forward + backward replayed as straight-line Python, no Values built
            loss_data, scores = replay()
            loss, accuracy = Value(loss_data), accuracy_of(scores, y)
        else:
            loss, accuracy = loss_and_accuracy(model, X, y)
            loss.backward()
        optimizer.lr = 1.0 - 0.9 * k / 100  # micrograd's decay (for 100 steps: from 1.0 to 0.109)
        optimizer.step()
        record(k, loss, accuracy)
    with no_grad():  # the final score, after the last update: no backward needed
        record(steps, *loss_and_accuracy(model, X, y))
    return model, history


# %% the decision boundary: the model's sign on a grid around the data
def _grid(X: list[list[float]], width: int, height: int) -> tuple[list[float], list[float]]:
    xs = [p[0] for p in X]
    ys = [p[1] for p in X]
    x0, x1 = min(xs) - 0.5, max(xs) + 0.5
    y0, y1 = min(ys) - 0.5, max(ys) + 0.5
    return ([x0 + (x1 - x0) * i / (width - 1) for i in range(width)],
            [y1 - (y1 - y0) * j / (height - 1) for j in range(height)])


def boundary_text(model: MLP, X: list[list[float]], y: list[int], width: int = 64, height: int = 22) -> str:
    """The decision boundary as text: '.' where the model says +1, ' ' where -1; points 'x' (+1), 'o' (-1).

    >>> nn.manual_seed(0)
    >>> text = boundary_text(MLP(2, [4, 1]), [[0.0, 0.0], [1.0, 1.0]], [-1, 1], width=8, height=4)
    >>> len(text.splitlines())   # a frame line, 4 rows, a frame line, the legend
    7
    """
    gx, gy = _grid(X, width, height)
    with no_grad():
        rows = [["." if model([a, b]).data > 0 else " " for a in gx] for b in gy]
    for (a, b), label in zip(X, y):
        i = round((a - gx[0]) / (gx[-1] - gx[0]) * (width - 1))
        j = round((gy[0] - b) / (gy[0] - gy[-1]) * (height - 1))
        rows[j][i] = "x" if label > 0 else "o"
    frame = "+" + "-" * width + "+"
    legend = "'.' the model says +1   'x' a +1 point   'o' a -1 point"
    return "\n".join([frame, *("|" + "".join(r) + "|" for r in rows), frame, legend])


def load_pyplot():
    """matplotlib.pyplot with a file-only backend, or None when matplotlib is not installed."""
    try:
        import matplotlib
    except ImportError:
        return None
    matplotlib.use("Agg")  # write files; no window, works over ssh and in CI
    import matplotlib.pyplot as plt

    return plt


def plot_boundary(plt, model: MLP, X: list[list[float]], y: list[int], path: str) -> str:
    """Write the decision boundary and the points to ``path`` as a PNG; returns the path."""
    gx, gy = _grid(X, 64, 48)
    with no_grad():
        z = [[model([a, b]).data > 0 for a in gx] for b in gy]
    fig, ax = plt.subplots(figsize=(6, 4.5))
    ax.contourf(gx, gy, z, levels=[-0.5, 0.5, 1.5], colors=["#f4c7c3", "#c6dbef"], alpha=0.8)
    for label, color, marker in [(-1, "#c0392b", "o"), (1, "#2166ac", "x")]:
        pts = [p for p, t in zip(X, y) if t == label]
        ax.scatter([p[0] for p in pts], [p[1] for p in pts], c=color, marker=marker, s=25, label=f"label {label:+d}")
    ax.set_title("moons: decision boundary of MLP(2, [16, 16, 1])")
    ax.legend(loc="lower left")
    return save_figure(plt, fig, path)


def save_figure(plt, fig, path: str) -> str:
    """Write ``fig`` to ``path`` as a PNG, making its folder first; returns the path."""
    os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
    fig.savefig(path, dpi=100, bbox_inches="tight")
    plt.close(fig)
    return path


# %% the command line
def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m demos.moons", description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=100, help="training steps (default 100, micrograd's)")
    parser.add_argument("--points", type=int, default=100, help="number of moons points (default 100)")
    parser.add_argument("--seed", type=int, default=SEED, help=f"random seed (default {SEED})")
    parser.add_argument("--out", default=os.path.join("out", "moons.png"), help="where to write the PNG")
    parser.add_argument("--no-plot", action="store_true", help="no picture at all")
    parser.add_argument("--text", action="store_true", help="print the boundary as text even if matplotlib is there")
    parser.add_argument("--compiled", action="store_true", help="trace the step once and replay it (engine.compile)")
    args = parser.parse_args(argv)
    if args.steps < 0 or args.points < 2:
        parser.error("--steps must be >= 0 and --points >= 2")

    start = time.perf_counter()
    model, history = train(args.steps, args.points, args.seed, log=say, compiled=args.compiled, show_progress=True)
    trained = time.perf_counter() - start
    print(f"trained {model.num_parameters()} parameters for {args.steps} steps in {trained:.1f} s "
          f"(final accuracy {history[-1]['accuracy'] * 100:.1f}%)")

    if not args.no_plot:
        X, y = moons_data(args.points, args.seed)
        plt = None if args.text else load_pyplot()
        if plt is None:
            print(boundary_text(model, X, y))
            if not args.text:
                print(f"matplotlib is not installed: {PLOT_HINT}")
        else:
            path = plot_boundary(plt, model, X, y, args.out)
            print(f"wrote the decision boundary to {os.path.abspath(path)}")
    print(f"total time {time.perf_counter() - start:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
