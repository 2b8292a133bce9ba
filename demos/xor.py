"""XOR: a single neuron cannot learn it (no straight line splits the four points), a two-layer MLP can.

    python -m demos.xor

Both models see the four points of the truth table and are trained the same way
(binary cross-entropy on their raw score, Adam); then each prints what it predicts.
"""

from __future__ import annotations

import argparse
import sys

import nn
from engine import no_grad
from nn import MLP, Adam, Module, Neuron, binary_cross_entropy_with_logits
from nn.datasets import xor


# %% training either model the same way
def fit(model: Module, X: list[list[float]], y: list[int], steps: int = 300, lr: float = 0.1) -> float:
    """Train ``model`` (one raw score per input) on (X, y) with BCE and Adam; returns the accuracy.

    >>> nn.manual_seed(0)
    >>> X, y = xor()
    >>> fit(MLP(2, [4, 1], activation='tanh'), X, y, steps=300)
    1.0
    """
    optimizer = Adam(model.parameters(), lr=lr)
    for _ in range(steps):
        loss = binary_cross_entropy_with_logits([model(x) for x in X], y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    return accuracy(model, X, y)


def accuracy(model: Module, X: list[list[float]], y: list[int]) -> float:
    """The fraction of points whose score has the right sign (score > 0 means class 1)."""
    with no_grad():
        return sum((model(x).data > 0) == (label == 1) for x, label in zip(X, y)) / len(y)


def predictions(model: Module, X: list[list[float]]) -> list[float]:
    """The model's probability of class 1 for each input, sigmoid(score)."""
    with no_grad():
        return [model(x).sigmoid().data for x in X]


# %% the comparison
def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m demos.xor", description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=300, help="training steps for each model (default 300)")
    parser.add_argument("--seed", type=int, default=0, help="random seed for the initial weights (default 0)")
    args = parser.parse_args(argv)

    X, y = xor()
    nn.manual_seed(args.seed)
    neuron = Neuron(2, activation="linear")  # its score w.x + b is a straight line through the plane
    mlp = MLP(2, [4, 1], activation="tanh")  # a hidden layer bends the boundary
    results = {name: fit(model, X, y, args.steps) for name, model in [("neuron", neuron), ("mlp", mlp)]}

    print("x1  x2  XOR   one neuron   MLP(2, [4, 1])   (probability of 1)")
    for x, label, p_neuron, p_mlp in zip(X, y, predictions(neuron, X), predictions(mlp, X)):
        print(f"{x[0]:.0f}   {x[1]:.0f}   {label}     {p_neuron:9.3f}   {p_mlp:14.3f}")
    print(f"one neuron:     {results['neuron'] * 100:.0f}% of the points right: no straight line splits XOR "
          "(at best 3 of 4), and its best fit under this loss says 0.5 everywhere")
    print(f"MLP(2, [4, 1]): {results['mlp'] * 100:.0f}% of the points right")
    return 0


if __name__ == "__main__":
    sys.exit(main())
