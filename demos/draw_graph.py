"""Draw the lecture's neuron and a small MLP as computation graphs: text, then SVG and PNG files.

Pictures: the neuron; ``MLP(2, [4, 4, 1])`` on one input with a box per neuron and layer;
the same model on a batch of four, each use of a neuron collapsed into one box.

Run it with ``python -m demos.draw_graph`` (``--out DIR`` to write elsewhere than ``out/``);
each ``# %%`` cell can also be pasted into a REPL or a notebook, where ``draw_dot(o)``
shows the picture inline.
"""

from __future__ import annotations

import argparse
import random
import sys
from collections.abc import Callable
from pathlib import Path

import engine
from engine import GraphvizNotFoundError, Value, draw_dot, format_graph, render
from nn import MLP

__all__ = ["lecture_neuron", "small_mlp", "batch_loss", "boxes_of", "main"]


# %% The lecture's neuron: o = tanh(x1*w1 + x2*w2 + b), after backward.
def lecture_neuron() -> Value:
    """The neuron of "The spelled-out intro to neural networks and backpropagation", after backward.

    >>> o = lecture_neuron()
    >>> round(o.data, 4), o.grad
    (0.7071, 1.0)
    """
    # inputs x1, x2
    x1 = Value(2.0, label="x1")
    x2 = Value(0.0, label="x2")
    # weights w1, w2
    w1 = Value(-3.0, label="w1")
    w2 = Value(1.0, label="w2")
    # bias of the neuron, chosen so that n = 0.8814 and tanh(n) = 1/sqrt(2)
    b = Value(6.8813735870195432, label="b")
    x1w1 = x1 * w1
    x1w1.label = "x1*w1"
    x2w2 = x2 * w2
    x2w2.label = "x2*w2"
    x1w1x2w2 = x1w1 + x2w2
    x1w1x2w2.label = "x1*w1 + x2*w2"
    n = x1w1x2w2 + b
    n.label = "n"
    o = n.tanh()
    o.label = "o"
    o.backward()
    return o


# %% A small MLP on one input, and its squared error against a target of 1.
def small_mlp(seed: int = 0) -> tuple[MLP, Value]:
    """``MLP(2, [4, 4, 1])`` with tanh, its loss ``(y - 1)**2`` on one input, after backward.

    >>> model, loss = small_mlp()
    >>> model.num_parameters(), loss.grad
    (37, 1.0)
    """
    model = MLP(2, [4, 4, 1], activation="tanh", rng=random.Random(seed))
    y = model([0.5, -1.0])
    y.label = "y"
    loss = (y - 1.0) ** 2
    loss.label = "loss"
    loss.backward()
    return model, loss


# %% Boxes around neurons and layers: draw_dot(..., group_by=boxes_of(model)).
def boxes_of(model) -> Callable[[Value], tuple[str, ...] | None]:
    """draw_dot's ``group_by`` for a model: a parameter's boxes are the modules that hold it.

    >>> from nn import MLP
    >>> model = MLP(2, [3, 1])
    >>> boxes_of(model)(model.layers[1].neurons[0].b)
    ('layers.1', 'layers.1.neurons.0')
    """
    where: dict[Value, tuple[str, ...]] = {}

    def visit(module, prefix: str, path: tuple[str, ...]) -> None:
        for name, child in module.named_children():
            visit(child, f"{prefix}{name}.", (*path, f"{prefix}{name}"))
        for _, p in module.named_parameters():
            where.setdefault(p, path)  # children first: a parameter's innermost module wins

    visit(model, "", ())
    return lambda leaf: where.get(leaf) or None


# %% The same model on a batch: each use of a neuron drawn as one box, so it stays readable.
def batch_loss(model: MLP, n: int = 4) -> tuple[list[list[Value]], Value]:
    """``n`` labelled examples and the summed squared error of ``model`` on them, after backward.

    >>> model, _ = small_mlp()
    >>> xs, loss = batch_loss(model)
    >>> len(xs), loss.grad
    (4, 1.0)
    """
    xs = [[Value(0.5 * i, label=f"x{i}.0"), Value(1.0 - i, label=f"x{i}.1")] for i in range(n)]
    loss = engine.sum([(model(x) - 1.0) ** 2 for x in xs])
    loss.label = "loss"
    model.zero_grad()  # parameters' grads accumulate: start from 0 so they are this loss's alone
    loss.backward()
    return xs, loss


def main(argv: list[str] | None = None) -> int:
    """Print both graphs as text, write them as SVG and PNG, and say where."""
    parser = argparse.ArgumentParser(prog="python -m demos.draw_graph", description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="out", help="folder for the pictures (default: out)")
    args = parser.parse_args(argv)
    out = Path(args.out)

    o = lecture_neuron()
    model, loss = small_mlp()
    print("The lecture's neuron, inputs first:\n")
    print(format_graph(o))
    print("\nMLP(2, [4, 4, 1]) and its loss (the middle left out; full=True shows it all):\n")
    print(format_graph(loss, max_lines=16))
    print()

    boxes = boxes_of(model)
    pictures = [
        ("neuron", lambda: o, {}),
        # Each neuron and layer in its own box, edges coloured by the gradient they carry.
        ("mlp", lambda: loss, {"params": model, "group_by": boxes, "color_by_grad": True}),
        # Made only now: its backward() gives the model's parameters this batch's grads.
        ("mlp_batch", lambda: batch_loss(model)[1], {"params": model, "group_by": boxes, "collapse": True}),
    ]
    try:
        for name, make, options in pictures:
            root = make()
            for suffix in (".svg", ".png"):
                path = render(root, out / f"{name}{suffix}", **options)
                print(f"wrote {path}")
    except GraphvizNotFoundError as err:
        print(f"\n{err}", file=sys.stderr)
        print("The DOT text of the neuron, which works without it:\n", file=sys.stderr)
        print(draw_dot(o).source, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
