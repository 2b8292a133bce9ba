"""Remember the first symbol: a plain RNN, an LSTM and a GRU on the same task, and the gradient reaching each step.

    python -m demos.rnn                  # half a minute (two on a busy machine)
    python -m demos.rnn --steps 40 --length 8

Each sequence is ``length`` symbols, +1 or -1; the label is the first one, and every later
symbol is a random distractor of the same size.  Each model reads the whole sequence and a
Linear layer reads its last hidden state.  Training draws fresh sequences every step, so
nothing can be memorized.

The table then shows how much gradient of the loss reaches the input at each step t,
|dL/dx_t|, relative to the last step.  In the plain RNN it shrinks by a constant factor per
step (each step multiplies it by tanh' * W_hh < 1): after a dozen steps almost nothing is left to
learn from, and it stays at chance.  The LSTM's cell state and the GRU's update gate pass it
back nearly undiminished: that is what they were designed for.
"""

from __future__ import annotations

import argparse
import math
import random
import sys
import time

import nn
from demos._progress import progress
from engine import Value, no_grad
from nn import Adam, Linear, Module, binary_cross_entropy_with_logits

SEED = 0
MODELS = ("RNN", "LSTM", "GRU")


# %% the task
def sequences(n: int, length: int, seed: int) -> tuple[list[list[list[float]]], list[int]]:
    """``n`` sequences of ``length`` inputs [symbol, marker]; label 1 when the first symbol is +1.

    >>> X, y = sequences(2, 4, seed=0)
    >>> X[0][0], y[0], X[1][0], X[1][1][1], y[1]
    ([-1.0, 1.0], 0, [1.0, 1.0], 0.0, 1)
    """
    rng = random.Random(seed)
    X, y = [], []
    for k in range(n):
        label = k % 2
        first = 1.0 if label else -1.0
        # Each input is [symbol, marker]: the marker is 1 on the symbol to remember, 0 on distractors.
        X.append([[first, 1.0]] + [[rng.choice((-1.0, 1.0)), 0.0] for _ in range(length - 1)])
        y.append(label)
    return X, y


# %% a recurrent layer and a linear read-out of its last state
class Classifier(Module):
    """``kind`` ('RNN', 'LSTM' or 'GRU') of ``hidden`` units, then Linear(hidden, 1): one score.

    >>> nn.manual_seed(0)
    >>> Classifier('GRU', 4)([[1.0, 1.0], [-1.0, 0.0]])
    Value(data=..., grad=0.0)
    """

    def __init__(self, kind: str, hidden: int):
        self.kind = kind
        self.rnn = getattr(nn, kind)(2, hidden)
        self.head = Linear(hidden, 1)
        if kind == "LSTM":
            # The usual LSTM trick (Gers et al. 2000; Jozefowicz et al. 2015): start the forget
            # gate's bias at 1, so the cell keeps its memory (f = sigmoid(1) ~ 0.73) until it learns
            # what to forget.  PyTorch starts it near 0 (f ~ 0.5, halving the memory every step).
            for b in self.rnn.bias_ih_l0[hidden:2 * hidden]:
                b.data = 1.0

    def forward(self, x: list) -> Value:
        outputs, _ = self.rnn(x)
        return self.head(outputs[-1])[0]


def train(kind: str, steps: int, length: int, batch: int = 20, hidden: int = 4, seed: int = SEED,
          show_progress: bool = False) -> Classifier:
    """Adam on a fresh batch of sequences every step; returns the trained model (progress on stderr if asked)."""
    nn.manual_seed(seed)
    model = Classifier(kind, hidden)
    optimizer = Adam(model.parameters(), lr=0.05)
    for step in progress(range(steps), f"training the {kind}") if show_progress else range(steps):
        X, y = sequences(batch, length, seed=1000 + step)
        loss = binary_cross_entropy_with_logits([model(x) for x in X], y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    return model


def accuracy(model: Classifier, X: list, y: list[int]) -> float:
    with no_grad():
        return sum((model(x).data > 0) == (label == 1) for x, label in zip(X, y)) / len(y)


def gradient_per_step(model: Classifier, X: list, y: list[int]) -> list[float]:
    """Mean |dL/dx_t| over the sequences, for each step t: how much gradient reaches each input.

    >>> nn.manual_seed(0)
    >>> len(gradient_per_step(Classifier('RNN', 2), *sequences(2, 5, seed=0)))
    5
    """
    totals = [0.0] * len(X[0])
    for x, label in zip(X, y):
        inputs = [[Value(a) for a in v] for v in x]  # Values, so that backward fills their .grad
        binary_cross_entropy_with_logits(model(inputs), label).backward()
        for t, v in enumerate(inputs):
            totals[t] += math.sqrt(sum(a.grad ** 2 for a in v)) / len(X)
    return totals


# %% the command line
def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m demos.rnn", description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=120, help="training steps per model (default 120)")
    parser.add_argument("--length", type=int, default=16, help="sequence length (default 16)")
    parser.add_argument("--seed", type=int, default=SEED, help=f"random seed (default {SEED})")
    args = parser.parse_args(argv)
    if args.steps < 1 or args.length < 2:
        parser.error("--steps must be >= 1 and --length >= 2")

    start = time.perf_counter()
    X_test, y_test = sequences(200, args.length, seed=args.seed + 1)
    grads = {}
    for kind in MODELS:
        model = train(kind, args.steps, args.length, seed=args.seed, show_progress=True)
        acc = accuracy(model, X_test, y_test)
        grads[kind] = gradient_per_step(model, X_test[:20], y_test[:20])
        print(f"{kind:4s} accuracy {acc * 100:5.1f}%   ({model.num_parameters()} parameters)")
    print(f"\ngradient reaching each input, |dL/dx_t| relative to the last step (t = {args.length}):")
    print("   t " + "".join(f"{kind:>11s}" for kind in MODELS))
    for t in range(args.length):
        print(f"{t + 1:4d} " + "".join(f"{grads[kind][t] / grads[kind][-1]:11.1e}" for kind in MODELS))
    relative = [g / grads["RNN"][-1] for g in grads["RNN"]]
    smallest = min(range(args.length), key=relative.__getitem__)
    at_step_1 = ", ".join(f"{kind} {grads[kind][0] / grads[kind][-1]:.1e}" for kind in MODELS)
    print(f"\ngradient reaching step 1: {at_step_1}; the RNN's smallest: {relative[smallest]:.1e} "
          f"(step {smallest + 1})")
    print(f"total time {time.perf_counter() - start:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
