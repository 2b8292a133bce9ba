"""The error a drawing raises when Graphviz's ``dot`` program is missing (importable without graphviz)."""

from __future__ import annotations

__all__ = ["GraphvizNotFoundError"]


class GraphvizNotFoundError(RuntimeError):
    """Graphviz's ``dot`` program is not installed (or not on PATH).

    A ``RuntimeError``; the instances ``draw_dot``'s pictures raise are also a
    ``graphviz.ExecutableNotFound``, so code that catches that still works.
    ``draw_dot(...).source`` needs no ``dot``.

    >>> str(GraphvizNotFoundError())[:44]
    "Graphviz's dot program was not found; instal"
    """

    def __init__(self, detail: str = "") -> None:
        # RuntimeError's own __init__: graphviz.ExecutableNotFound's (a base of what draw_dot raises) wants other args.
        RuntimeError.__init__(
            self,
            "Graphviz's dot program was not found; install it: apt-get install graphviz "
            "(Debian/Ubuntu) / brew install graphviz (macOS) / https://graphviz.org/download/ "
            "(Windows, then put it on PATH). draw_dot(...).source works without it"
            + (f" [{detail}]" if detail else ""),
        )
