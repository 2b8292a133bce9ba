"""Step through backprop on the lecture's neuron, one node at a time, and write an HTML walkthrough.

Run it with ``python -m demos.step_through`` (``--out DIR`` to write elsewhere than ``out/``).
Each ``# %%`` cell can also be pasted into a REPL, where ``stepper.step()``, ``stepper.back()``
and ``stepper.explain(x1)`` are the interesting lines to type yourself.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from demos.draw_graph import lecture_neuron
from engine import GraphvizNotFoundError, Stepper, Value, forward_steps, topological_order

__all__ = ["main", "fresh_neuron"]


# %% The lecture's neuron o = tanh(x1*w1 + x2*w2 + b), before any backward.
def fresh_neuron() -> tuple[Value, dict[str, Value]]:
    """The lecture's neuron with every grad at 0, and its nodes by label.

    >>> o, v = fresh_neuron()
    >>> round(o.data, 4), v['x1'].grad
    (0.7071, 0.0)
    """
    o = lecture_neuron()
    o.zero_grad()  # lecture_neuron() ran backward already; the stepper starts from zero
    return o, {node.label: node for node in topological_order(o)}


def main(argv: list[str] | None = None) -> int:
    """Print the forward pass, every backward step, one explanation and an undo; write the HTML."""
    parser = argparse.ArgumentParser(prog="python -m demos.step_through", description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="out", help="folder for step_through.html (default: out)")
    args = parser.parse_args(argv)

    # %% Forward: how each value was computed.
    o, v = fresh_neuron()
    print("The forward pass:\n")
    print(forward_steps(o))

    # %% Backward, one node at a time: each step is the chain rule at one node, with numbers.
    stepper = Stepper(o)
    print("\nThe backward pass, one node at a time (L is o, the output):\n")
    for step in stepper:
        print(f"step {step.index + 1} of {step.total}")
        print(step)
        print()

    # %% Where a gradient comes from: the chain rule's product from o down to x1.
    print(stepper.explain(v["x1"]))

    # %% Undo the last step and look again.
    print()
    print(stepper.back())
    print(stepper.where())
    stepper.step()

    # %% The same steps as pictures, in one HTML page to project in class: step 0 is the seed
    # dL/do = 1; arrow keys or clicks move, P hides each new grad until Space, #step-3 opens at step 3.
    try:
        path = stepper.to_html(Path(args.out) / "step_through.html")
    except GraphvizNotFoundError as err:
        print(f"\n{err}", file=sys.stderr)
        return 1
    print(f"\nwrote {path}: open it in a browser; the arrow keys move, P turns on predict-then-reveal")
    return 0


if __name__ == "__main__":
    sys.exit(main())
