"""Universal approximation: one hidden layer of tanh neurons learns sin(x) on [-pi, pi].

    python -m demos.universal                 # prints the error as it falls, writes out/universal.png
    python -m demos.universal --steps 100 --no-plot

Each hidden neuron is a smooth step, tanh(w*x + b); the output adds them up with its own
weights, and enough steps (here 16) can trace any smooth curve.
"""

from __future__ import annotations

import argparse
import os
import sys
import time

import nn
from demos._progress import progress, say
from demos.moons import PLOT_HINT, load_pyplot, save_figure
from engine import no_grad
from nn import MLP, Adam, mse_loss
from nn.datasets import sine


# %% training
def train(steps: int = 500, hidden: int = 16, points: int = 40, seed: int = 0, log=print,
          show_progress: bool = False) -> tuple[MLP, list[float]]:
    """Fit ``MLP(1, [hidden, 1], activation='tanh')`` to sin(x); returns the model and the loss per step.

    ``show_progress=True`` shows a progress bar (or line) on stderr.

    >>> model, losses = train(steps=30, hidden=4, points=10, log=None)
    >>> losses[-1] < losses[0]
    True
    """
    nn.manual_seed(seed)
    X, y = sine(points)
    model = MLP(1, [hidden, 1], activation="tanh")
    optimizer = Adam(model.parameters(), lr=0.02)
    losses = []
    for k in progress(range(steps), "training") if show_progress else range(steps):
        loss = mse_loss([model(x) for x in X], y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.data)
        if log and (k % 50 == 0 or k == steps - 1):
            log(f"step {k:4d}  mean squared error {loss.data:.5f}")
    return model, losses


def max_error(model: MLP, points: int = 200) -> float:
    """The largest |model(x) - sin(x)| on a grid finer than the training points."""
    X, y = sine(points)
    with no_grad():
        return max(abs(model(x).data - target) for x, target in zip(X, y))


# %% the picture
def plot_fit(plt, model: MLP, path: str) -> str:
    """Write sin(x), the training points and the model's curve to ``path``; returns the path."""
    X, y = sine(200)
    with no_grad():
        fitted = [model(x).data for x in X]
    fig, ax = plt.subplots(figsize=(6, 4))
    ax.plot([x[0] for x in X], y, color="#999999", lw=4, label="sin(x)")
    ax.plot([x[0] for x in X], fitted, color="#2166ac", lw=1.5, label=f"MLP(1, {model.nouts})")
    ax.set_title("one hidden layer of tanh neurons fits sin(x)")
    ax.legend()
    return save_figure(plt, fig, path)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m demos.universal", description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=500, help="training steps (default 500)")
    parser.add_argument("--hidden", type=int, default=16, help="hidden neurons (default 16)")
    parser.add_argument("--out", default=os.path.join("out", "universal.png"), help="where to write the PNG")
    parser.add_argument("--no-plot", action="store_true", help="no picture")
    args = parser.parse_args(argv)
    if args.steps < 1:
        parser.error("--steps must be >= 1")

    start = time.perf_counter()
    model, _ = train(args.steps, args.hidden, log=say, show_progress=True)
    print(f"largest error on [-pi, pi]: {max_error(model):.4f}  ({time.perf_counter() - start:.1f} s)")
    if not args.no_plot:
        plt = load_pyplot()
        if plt is None:
            print(f"matplotlib is not installed: {PLOT_HINT}")
        else:
            print(f"wrote the fit to {os.path.abspath(plot_fit(plt, model, args.out))}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
