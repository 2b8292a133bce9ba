"""A one-layer Transformer learns to reverse three tokens, and its attention map shows how.

    python -m demos.transformer          # 10-20 s; writes out/transformer_attention.png
    python -m demos.transformer --steps 50 --no-plot

Inputs are three tokens from {0, 1, 2, 3}; the target at position i is the token at
position 2 - i ([1, 3, 0] -> [0, 3, 1]).  A token embedding plus a position embedding go
through one TransformerBlock and a Linear layer that scores the 4 tokens at each position.
Of the 64 sequences, 48 are for training and 16 are never seen until the test.

Nothing in a token says where it is, so the model must learn to use the position
embeddings: position 0 attends to position 2 and position 2 to position 0.  The attention
map printed at the end (rows: who is looking, columns: at whom) shows that anti-diagonal.
"""

from __future__ import annotations

import argparse
import itertools
import os
import random
import sys
import time

import nn
from demos._plots import picture, save_figure
from demos._progress import progress, say
from engine import no_grad
from nn import Adam, Embedding, Linear, Module, TransformerBlock, cross_entropy

SEED = 0
VOCAB = 4
LENGTH = 3


# %% the task: every sequence of three tokens, reversed
def split(seed: int = SEED, n_test: int = 16) -> tuple[list, list]:
    """All 64 sequences, shuffled and cut into (train, test); each item is (tokens, reversed tokens).

    >>> train_set, test_set = split()
    >>> len(train_set), len(test_set), train_set[0][1] == train_set[0][0][::-1]
    (48, 16, True)
    """
    pairs = [(list(s), list(s[::-1])) for s in itertools.product(range(VOCAB), repeat=LENGTH)]
    random.Random(seed).shuffle(pairs)
    return pairs[n_test:], pairs[:n_test]


# %% the model
class Reverser(Module):
    """Token and position embeddings -> TransformerBlock -> Linear scores for each position.

    >>> nn.manual_seed(0)
    >>> scores = Reverser()([1, 2, 3])
    >>> len(scores), len(scores[0])
    (3, 4)
    """

    def __init__(self, d_model: int = 8, nhead: int = 1):
        self.tokens = Embedding(VOCAB, d_model)
        self.positions = Embedding(LENGTH, d_model)
        self.block = TransformerBlock(d_model, nhead, dim_feedforward=2 * d_model, norm_first=True)
        self.out = Linear(d_model, VOCAB)

    def forward(self, tokens: list[int], need_weights: bool = False):
        x = [[a + b for a, b in zip(t, p)] for t, p in zip(self.tokens(tokens), self.positions(list(range(LENGTH))))]
        x, weights = self.block(x, need_weights=True)
        scores = [self.out(v) for v in x]
        return (scores, weights) if need_weights else scores


def accuracy(model: Reverser, pairs: list) -> float:
    """The fraction of sequences with all three output tokens right."""
    with no_grad():
        right = 0
        for tokens, target in pairs:
            predicted = [max(range(VOCAB), key=lambda k, s=s: s[k].data) for s in model(tokens)]
            right += predicted == target
    return right / len(pairs)


def train(steps: int = 100, batch: int = 16, seed: int = SEED, log=print,
          show_progress: bool = False) -> tuple[Reverser, list, list]:
    """Adam on random batches of the training sequences; returns (model, train set, test set).

    ``show_progress=True`` shows a progress bar (or line) on stderr.
    """
    nn.manual_seed(seed)
    rng = random.Random(seed)
    train_set, test_set = split(seed)
    model = Reverser()
    optimizer = Adam(model.parameters(), lr=0.02)
    for step in progress(range(steps), "training") if show_progress else range(steps):
        chosen = rng.sample(train_set, min(batch, len(train_set)))
        scores = [s for tokens, _ in chosen for s in model(tokens)]
        targets = [t for _, target in chosen for t in target]
        loss = cross_entropy(scores, targets)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        if step % 25 == 0 or step == steps - 1:
            log(f"step {step:3d}  loss {loss.data:.4f}")
    return model, train_set, test_set


def attention_map(model: Reverser, tokens: list[int]) -> list[list[float]]:
    """The block's attention weights for one input, as plain numbers: row i is where position i looks."""
    with no_grad():
        _, weights = model(tokens, need_weights=True)
    return [[w.data for w in row] for row in weights]


def plot_attention(plt, weights: list[list[float]], tokens: list[int], path: str) -> str:
    """The attention map as a heat map in a PNG; returns the path."""
    fig, ax = plt.subplots(figsize=(3.4, 3.0))
    ax.imshow(weights, cmap="viridis", vmin=0.0, vmax=1.0)
    labels = [f"pos {i}: {t}" for i, t in enumerate(tokens)]
    ax.set_xticks(range(LENGTH), labels, fontsize=8)
    ax.set_yticks(range(LENGTH), labels, fontsize=8)
    ax.set_xlabel("attends to")
    ax.set_ylabel("position looking")
    for i, row in enumerate(weights):
        for j, w in enumerate(row):
            ax.text(j, i, f"{w:.2f}", ha="center", va="center", color="white" if w < 0.5 else "black", fontsize=8)
    ax.set_title("attention when reversing", fontsize=9)
    return save_figure(plt, fig, path)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m demos.transformer", description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=100, help="training steps (default 100)")
    parser.add_argument("--seed", type=int, default=SEED, help=f"random seed (default {SEED})")
    parser.add_argument("--out", default=os.path.join("out", "transformer_attention.png"), help="the PNG's path")
    parser.add_argument("--no-plot", action="store_true", help="no picture")
    args = parser.parse_args(argv)
    if args.steps < 1:
        parser.error("--steps must be >= 1")

    start = time.perf_counter()
    model, train_set, test_set = train(args.steps, seed=args.seed, log=say, show_progress=True)
    print(f"accuracy (all 3 tokens right): train {accuracy(model, train_set) * 100:.0f}%, "
          f"unseen test sequences {accuracy(model, test_set) * 100:.0f}%")
    tokens = next(t for t, _ in test_set if len(set(t)) == LENGTH)  # three different tokens: easy to read
    weights = attention_map(model, tokens)
    with no_grad():
        predicted = [max(range(VOCAB), key=lambda k, s=s: s[k].data) for s in model(tokens)]
    print(f"\ninput {tokens} -> output {predicted}; attention (row: position looking, column: looked at):")
    print("        " + "".join(f"  pos {j}" for j in range(LENGTH)))
    for i, row in enumerate(weights):
        print(f"  pos {i} " + "".join(f"{w:7.2f}" for w in row))
    if not args.no_plot:
        picture(plot_attention, "the attention map", weights, tokens, args.out)
    print(f"total time {time.perf_counter() - start:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
