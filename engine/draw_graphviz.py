"""The one module that imports graphviz: ``draw_dot`` imports it when a drawing is made, never before.

``Digraph`` is a ``graphviz.Digraph`` whose ``pipe``, ``render`` (and so Jupyter's display)
say how to install Graphviz when its ``dot`` program is missing.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator

import graphviz

from .draw_errors import GraphvizNotFoundError

__all__ = ["Digraph", "FORMATS", "nohtml"]

FORMATS = graphviz.FORMATS
nohtml = graphviz.nohtml


class _NotFound(GraphvizNotFoundError, graphviz.ExecutableNotFound):
    """GraphvizNotFoundError that code catching graphviz's own ExecutableNotFound catches too."""


@contextlib.contextmanager
def _dot_needed() -> Iterator[None]:
    try:
        yield
    except graphviz.ExecutableNotFound as err:
        if isinstance(err, GraphvizNotFoundError):
            raise
        raise _NotFound(f"PATH={os.environ.get('PATH', '')!r}") from err


class Digraph(graphviz.Digraph):
    """A ``graphviz.Digraph`` that names the missing ``dot`` program and how to install it."""

    def pipe(self, *args, **kwargs):
        with _dot_needed():
            return super().pipe(*args, **kwargs)

    def render(self, *args, **kwargs):
        with _dot_needed():
            return super().render(*args, **kwargs)
