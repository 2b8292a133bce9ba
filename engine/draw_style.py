"""How ``draw_dot`` pictures look: colours, fonts, boxes and label lengths, in one object.

Pass ``style=Style(...)`` to ``draw_dot`` to change any of them; every field has the
default the docs describe.

>>> from engine.draw_style import Style
>>> Style().fill['root']
'#fde9a9'
>>> Style(max_label=12).max_label
12
"""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["Style", "DEFAULT_STYLE"]


def _fills() -> dict[str, str]:
    return {
        "root": "#fde9a9",  # gold: the output you called backward() on
        "parameter": "#d5ecd4",  # green: parameters, the leaves training changes (named by params=)
        "input": "#dbe9f6",  # blue: the other leaves, when params= says which are parameters
        "leaf": "#ece6f5",  # lavender: leaves when nothing says which are parameters
        "constant": "#eeeeee",  # grey: plain numbers, when drawn as nodes
        "computed": "#ffffff",  # white: made by an operation
    }


@dataclass(frozen=True)
class Style:
    """Colours, fonts and sizes of a drawing.

    fill:          fill colour by kind (root, parameter, input, leaf, constant, computed)
    highlight:     border of the step being taken (the stepper's current node)
    done:          border of the steps already taken
    grad_low/high: RGB of the smallest and largest gradient, for ``color_by_grad=True``
    op:            Graphviz attributes of the small oval of an operation
    unit, frame:   attributes of an innermost group's box (a neuron) and of an outer one (a layer)
    max_label:     longest name or op label drawn, in characters; longer ones end in an ellipsis
    """

    fill: dict[str, str] = field(default_factory=_fills)
    highlight: str = "#d62728"
    done: str = "#2ca02c"
    grad_low: tuple[int, int, int] = (0xB0, 0xB0, 0xB0)
    grad_high: tuple[int, int, int] = (0xD6, 0x27, 0x28)
    op: dict[str, str] = field(default_factory=lambda: {"fontsize": "11", "height": "0.3", "margin": "0.04,0.02"})
    unit: dict[str, str] = field(
        default_factory=lambda: {"style": "rounded,filled", "fillcolor": "#f6f6f6", "color": "#c8c8c8"}
    )
    frame: dict[str, str] = field(
        default_factory=lambda: {"style": "dashed", "color": "#999999", "fontcolor": "#666666"}
    )
    max_label: int = 60

    def grad_colour(self, fraction: float) -> str:
        """Grey for no gradient through to red for the largest in the graph.

        >>> Style().grad_colour(0.0), Style().grad_colour(1.0)
        ('#b0b0b0', '#d62728')
        """
        t = min(max(fraction, 0.0), 1.0)
        return "#" + "".join(f"{round(lo + (hi - lo) * t):02x}" for lo, hi in zip(self.grad_low, self.grad_high))


DEFAULT_STYLE = Style()
