"""Why depth was hard: the gradient reaching each layer of a deep sigmoid MLP vs a deep ReLU MLP.

    python -m demos.depth                # 10-30 s
    python -m demos.depth --layers 20 --steps 0

Both networks have ``--layers`` hidden layers of 8 units on the same data (two moons).
Backprop multiplies by each layer's activation derivative on the way down: sigmoid's is at
most 0.25, so the gradient shrinks by about 4x per layer and the first layers barely learn;
ReLU's is 1 where a unit is active, so with He (Kaiming) initialization the gradient keeps
its size.  The table prints the norm of dL/dW for each layer, first to last, at the start;
then both are trained for ``--steps`` steps to show what that does to learning.
"""

from __future__ import annotations

import argparse
import math
import sys
import time

import nn
from demos._progress import progress
from engine import no_grad
from nn import MLP, Adam, binary_cross_entropy_with_logits
from nn.datasets import make_moons

SEED = 0
WIDTH = 8


def deep_mlp(activation: str, layers: int) -> MLP:
    """``layers`` hidden layers of 8 units with ``activation``, then one output score.

    Each activation gets the initialization made for it: Xavier for sigmoid, He for ReLU.

    >>> nn.manual_seed(0)
    >>> len(deep_mlp('relu', 3).layers)
    4
    """
    init = "kaiming_uniform" if activation == "relu" else "xavier_uniform"
    return MLP(2, [WIDTH] * layers + [1], activation=activation, init=init)


def loss_of(model: MLP, X: list, y: list[int]):
    return binary_cross_entropy_with_logits([model(x) for x in X], y)


def layer_gradient_norms(model: MLP, X: list, y: list[int]) -> list[float]:
    """||dL/dW|| of each layer's weights (all its neurons' weights and biases), first layer first.

    >>> nn.manual_seed(0)
    >>> len(layer_gradient_norms(deep_mlp('sigmoid', 2), [[0.0, 1.0]], [1]))
    3
    """
    model.zero_grad()
    loss_of(model, X, y).backward()
    return [math.sqrt(sum(p.grad ** 2 for p in layer.parameters())) for layer in model.layers]


def accuracy(model: MLP, X: list, y: list[int]) -> float:
    with no_grad():
        return sum((model(x).data > 0) == (label == 1) for x, label in zip(X, y)) / len(y)


def train(model: MLP, X: list, y: list[int], steps: int, desc: str | None = None) -> float:
    """Adam on the whole set for ``steps`` steps; returns the final loss (progress on stderr named ``desc``)."""
    optimizer = Adam(model.parameters(), lr=0.01)
    loss = loss_of(model, X, y)
    for _ in progress(range(steps), desc) if desc else range(steps):
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        loss = loss_of(model, X, y)
    return loss.data


def bar(norm: float, smallest: float = 1e-9) -> str:
    """A log-scale bar: one '#' per factor of 10 above ``smallest``.

    >>> bar(1e-3)
    '######'
    """
    return "#" * max(0, round(math.log10(max(norm, smallest) / smallest)))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m demos.depth", description=__doc__.splitlines()[0])
    parser.add_argument("--layers", type=int, default=10, help="hidden layers (default 10)")
    parser.add_argument("--steps", type=int, default=100, help="training steps for each net (default 100)")
    parser.add_argument("--points", type=int, default=40, help="moons points (default 40)")
    parser.add_argument("--seed", type=int, default=SEED, help=f"random seed (default {SEED})")
    args = parser.parse_args(argv)
    if args.layers < 1 or args.steps < 0 or args.points < 2:
        parser.error("--layers must be >= 1, --steps >= 0 and --points >= 2")

    start = time.perf_counter()
    X, y = make_moons(args.points, noise=0.1, seed=args.seed)
    models, norms = {}, {}
    for act in ("sigmoid", "relu"):
        nn.manual_seed(args.seed)
        models[act] = deep_mlp(act, args.layers)
        norms[act] = layer_gradient_norms(models[act], X, y)
    print(f"||dL/dW|| per layer at the start, {args.layers} hidden layers of {WIDTH} (log bars: # = x10):")
    print(f"layer {'sigmoid':>10s}  {'':26s} {'relu':>10s}")
    for k, (s, r) in enumerate(zip(norms["sigmoid"], norms["relu"])):
        name = "out" if k == args.layers else f"{k + 1:3d}"
        print(f"  {name} {s:10.2e}  {bar(s):26s} {r:10.2e}  {bar(r)}")
    for act in ("sigmoid", "relu"):
        ratio = norms[act][0] / norms[act][-1]
        print(f"{act:7s}: the first layer gets {ratio:.1e} times the gradient of the last")
    if args.steps:
        print(f"\nafter {args.steps} steps of Adam (lr 0.01) on {args.points} moons points:")
        for act in ("sigmoid", "relu"):
            loss = train(models[act], X, y, args.steps, f"training the {act} net")
            print(f"{act:7s}: loss {loss:.3f}  accuracy {accuracy(models[act], X, y) * 100:.0f}%")
    print(f"total time {time.perf_counter() - start:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
