"""What the architecture demos share for pictures: draw with matplotlib if it is there, else say how to get it."""

from __future__ import annotations

import os
from collections.abc import Callable

from demos.moons import PLOT_HINT, load_pyplot, save_figure

__all__ = ["picture", "save_figure"]


def picture(draw: Callable[..., str], what: str, *args: object) -> None:
    """Call ``draw(plt, *args)`` (it returns the PNG's path) and say where it went, or print how to get matplotlib.

    >>> picture(lambda plt, path: path, 'nothing', 'out/none.png')   # doctest: +ELLIPSIS
    wrote nothing to .../out/none.png
    """
    plt = load_pyplot()
    if plt is None:
        print(f"matplotlib is not installed: {PLOT_HINT}")
    else:
        print(f"wrote {what} to {os.path.abspath(draw(plt, *args))}")
