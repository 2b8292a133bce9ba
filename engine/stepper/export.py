"""The stepper's pictures: ``show()``, one SVG per step, and the classroom walkthrough page.

The walkthrough is ``walkthrough.html`` (package data, next to this file) with the frames
filled in: every picture, text and script inside one file, so it opens offline.  Every
text from the graph (labels included) goes in escaped, and the filling is done in one
pass, so a label can never become markup or script.
"""

from __future__ import annotations

import html
import os
import re
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Protocol

from ..draw import draw_dot
from ..graph_text import format_graph
from .walk import GraphChangedError, Walk, wrap
from .words import Step, Text, assignment, explain_text, forward_steps_text

__all__ = ["Picture", "picture", "save_frames", "write_html", "notebook_html"]


class Stepper(Protocol):
    """What the frames use of a ``navigation.Stepper`` (named here, so that this module needs not import it)."""

    _walk: Walk
    position: int
    root: object

    def __len__(self) -> int: ...
    def step(self) -> Step: ...
    def back(self) -> Text: ...
    def go_to(self, position: int) -> None: ...
    def reset(self) -> Text: ...
    def explain(self, node) -> Text: ...
    def show(self, **draw_dot_kwargs) -> Picture: ...


class Picture:
    """What ``Stepper.show()`` returns: the text graph in a terminal, the drawing in Jupyter.

    ``print(picture)`` and the REPL show the text; Jupyter shows the SVG; ``.source``,
    ``.pipe()``, ``.render()`` and ``.digraph`` are the ``graphviz.Digraph``'s.  Without the
    graphviz package the text still shows; asking for the drawing raises its ImportError.
    """

    def __init__(self, text: str, digraph, missing: ImportError | None = None):
        self.text = text
        self._digraph = digraph
        self._missing = missing

    def __repr__(self) -> str:
        return self.text

    @property
    def digraph(self):
        if self._digraph is None:
            raise ImportError(str(self._missing)) from self._missing
        return self._digraph

    @property
    def source(self) -> str:
        return self.digraph.source

    def pipe(self, *args, **kwargs):
        return self.digraph.pipe(*args, **kwargs)

    def render(self, *args, **kwargs):
        return self.digraph.render(*args, **kwargs)

    def _repr_mimebundle_(self, include=None, exclude=None, **kwargs) -> dict:
        bundle = {} if self._digraph is None else self._digraph._repr_mimebundle_(include, exclude, **kwargs)
        return {**bundle, "text/plain": self.text}


def finished(walk: Walk, position: int) -> set:
    """The nodes stepping has finished with: those stepped, and leaves whose users all have."""
    done = set(walk.nodes[: max(position - 1, 0)])
    for leaf in walk.order:
        users = walk.consumers(leaf)
        if not leaf._prev and users and all(walk.index(u, "show") < position for u, _ in users):
            done.add(leaf)
    return done


def picture(walk: Walk, position: int, draw_dot_kwargs: dict) -> Picture:
    """The graph after ``position`` steps: the last stepped node red, finished nodes green."""
    highlight = [walk.nodes[position - 1]] if position else []
    kwargs = {"params": walk.params, **draw_dot_kwargs}
    try:
        digraph, missing = draw_dot(walk.root, highlight=highlight, done=finished(walk, position), **kwargs), None
    except ImportError as err:  # no graphviz package: the text is all a terminal needs
        digraph, missing = None, err
    if position:
        head = f"after step {position} of {len(walk.nodes)} ({assignment(walk, walk.nodes[position - 1])})"
    else:
        head = f"before step 1 of {len(walk.nodes)}"
    grads = "the grads as stepping has left them" if walk.started else "the grads as they were before stepping"
    text = f"{head}; {grads}:\n{format_graph(walk.root, params=walk.params)}"
    return Picture(text, digraph, missing)


# --- frames: the stepper taken through every step ---------------------------------------------


@dataclass
class Frame:
    """One moment of the walkthrough: after ``position`` steps (0: the seed)."""

    position: int
    picture: Picture  # its drawing is fixed when it is made: later steps do not change it
    heading: str
    text: str  # the Step (or the seed's explanation)
    explanation: str  # where dL/dnode comes from ('' for the seed)
    node: int  # the stepped node's place in topological order
    changed: list  # (place in topological order, name) of the nodes whose grads just changed
    svg: str = ""  # the drawing, once dot has run


def frames(stepper: Stepper, max_steps: int, draw_dot_kwargs: dict) -> list[Frame]:
    """Every frame from the seed to the last step, drawn: dot runs for several frames at once."""
    taken = list(moments(stepper, max_steps, draw_dot_kwargs))
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
        for frame, svg in zip(taken, pool.map(svg_of, [frame.picture for frame in taken])):
            frame.svg = svg
    return taken


def moments(stepper: Stepper, max_steps: int, draw_dot_kwargs: dict) -> Iterator[Frame]:
    """Every frame from the seed to the last step, not drawn yet; then the stepper goes back where it was."""
    walk, n = stepper._walk, len(stepper)
    if n > max_steps:
        raise ValueError(
            f"this graph has {n} steps, more than max_steps={max_steps}; pass max_steps={n} "
            f"to draw them all, or step a smaller graph (one example's loss)"
        )
    where, started = stepper.position, walk.started
    place = {node: i for i, node in enumerate(walk.order)}
    try:
        stepper.go_to(0)
        if not walk.started:  # set the backward pass up (the root seeded), as step 1 leaves it
            stepper.step()
            stepper.back()
        yield seed_frame(stepper, place, draw_dot_kwargs)
        for _ in range(n):
            step = stepper.step()
            node = step.node
            yield Frame(
                position=stepper.position,
                picture=stepper.show(**draw_dot_kwargs),
                heading=f"Step {stepper.position} of {n}: {assignment(walk, node)}",
                text=repr(step),
                explanation=f"where dL/d{wrap(walk.name(node))} comes from:\n{stepper.explain(node)}",
                node=place[node],
                changed=[(place[v], walk.name(v)) for v in dict.fromkeys(walk.touched(step.index))],
            )
    finally:
        if started:
            stepper.go_to(where)
        else:
            stepper.reset()


def seed_frame(stepper: Stepper, place: dict, draw_dot_kwargs: dict) -> Frame:
    walk, root = stepper._walk, stepper.root
    return Frame(
        position=0,
        picture=stepper.show(**draw_dot_kwargs),
        heading=f"Step 0 of {len(stepper)}: the seed",
        text=explain_text(walk, root, 0),
        explanation="",
        node=place[root],
        changed=[(place[root], walk.name(root))],
    )


def svg_of(pic: Picture) -> str:
    svg = pic.pipe(format="svg", encoding="utf-8")
    return svg[svg.index("<svg") :]  # without the XML prolog and DOCTYPE


def save_frames(stepper: Stepper, folder: str | os.PathLike, max_steps: int, draw_dot_kwargs: dict) -> list[Path]:
    """step_001.svg, ... one per step (the seed is not written), in ``folder``."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for frame in frames(stepper, max_steps, draw_dot_kwargs):
        if frame.position:
            path = folder / f"step_{frame.position:03d}.svg"
            path.write_text(frame.svg, encoding="utf-8")
            paths.append(path)
    return paths


# --- the walkthrough page ------------------------------------------------------------------------


def template() -> str:
    return resources.files(__package__).joinpath("walkthrough.html").read_text(encoding="utf-8")


def fill(text: str, values: dict[str, str]) -> str:
    """Replace each @@NAME@@ once, in one pass: what goes in is never scanned again."""
    return re.sub(r"@@([A-Z]+)@@", lambda m: values[m.group(1)], text)


def frame_html(frame: Frame, uid: str) -> str:
    # Ids inside each SVG made unique on the page (every frame and every notebook output has its own).
    svg = re.sub(r' id="', f' id="{uid}-{frame.position}-', frame.svg)
    # Only what the picture draws: a constant written into its op's oval ('**2') has no grad to predict.
    drawn = set(re.findall(r'class="node">\s*<title>([^<]*)</title>', frame.svg))
    shown = [(i, name) for i, name in frame.changed if f"n{i}" in drawn] or frame.changed
    changed = " ".join(f"n{i}" for i, _ in shown)
    names = ", ".join(wrap(name) for _, name in shown)
    explanation = f'<pre class="crw-explain">{html.escape(frame.explanation)}</pre>' if frame.explanation else ""
    return (
        f'<section class="crw-frame" data-step="{frame.position}" data-node="n{frame.node}" '
        f'data-changed="{changed}" hidden>\n<div class="crw-graph">{svg}</div>\n<div class="crw-text">\n'
        f"<h2>{html.escape(frame.heading)}</h2>\n"
        f'<p class="crw-prompt">Predict the new grad of {html.escape(names)}, then press Space (or click Reveal).</p>\n'
        f'<div class="crw-answer"><pre class="crw-step">{html.escape(frame.text)}</pre>\n{explanation}</div>\n'
        f"</div>\n</section>"
    )


BOX = (1250, 520)  # the picture's part of a 1280x720 screen, in px: the smallest a classroom uses


def fit(walk: Walk, draw_dot_kwargs: dict) -> float:
    """How much the seed's drawing must be scaled to fit BOX (larger: the text can be larger)."""
    plain = picture(walk, 0, draw_dot_kwargs).pipe(format="plain", encoding="utf-8")
    width, height = (float(inches) * 96 for inches in plain.split()[2:4])  # 'graph scale width height'
    return min(BOX[0] / width, BOX[1] / height)


def laid_out(walk: Walk, draw_dot_kwargs: dict) -> dict:
    """The walkthrough drawn left to right or top to bottom, whichever fills a screen better.

    The lecture's neuron drawn left to right is a strip eight times as wide as it is high:
    readable text then leaves most of the screen empty.  A ``rankdir=`` given is kept.
    """
    if "rankdir" in draw_dot_kwargs:
        return draw_dot_kwargs
    rankdir = max(("LR", "TB"), key=lambda way: fit(walk, {**draw_dot_kwargs, "rankdir": way}))
    return {**draw_dot_kwargs, "rankdir": rankdir}


def walkthrough(stepper: Stepper, max_steps: int, draw_dot_kwargs: dict, *, uid: str, start: int, page: bool) -> str:
    """The walkthrough as HTML: the whole page, or (``page=False``) the part a notebook shows."""
    walk = stepper._walk
    if len(stepper) <= max_steps:  # else frames() says what to do
        draw_dot_kwargs = laid_out(walk, draw_dot_kwargs)
    drawn = frames(stepper, max_steps, draw_dot_kwargs)
    place = {node: i for i, node in enumerate(walk.order)}
    # Clicking a node goes to the step that finishes its grad.
    used = [node for node in walk.order if node is walk.root or walk.consumers(node)]
    steps = {f"n{place[node]}": walk.last_use(node, "to_html") + 1 for node in used}
    title = f"Backpropagation step by step: {walk.name(walk.root)}"
    values = {
        "UID": uid,
        "TITLE": html.escape(title),
        "FORWARD": html.escape(forward_steps_text(walk)),
        "FRAMES": "\n".join(frame_html(frame, uid) for frame in drawn),
        "TOTAL": str(len(drawn) - 1),
        "START": str(start),
        "MODE": "page" if page else "inline",
        "STEPS": html.escape(" ".join(f"{node}:{k}" for node, k in steps.items())),
    }
    text = template()
    if not page:
        text = text[text.index("<!-- walkthrough -->") : text.index("<!-- /walkthrough -->")]
    return fill(text, values)


def write_html(stepper: Stepper, path: str | os.PathLike, max_steps: int, draw_dot_kwargs: dict) -> Path:
    path = Path(path)
    text = walkthrough(stepper, max_steps, draw_dot_kwargs, uid="crw", start=0, page=True)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def notebook_html(stepper: Stepper, max_steps: int = 60) -> str:
    """The inline walkthrough; for a graph of more than ``max_steps`` steps, a note saying how to see it."""
    if len(stepper) > max_steps:
        return note(
            stepper,
            f"this graph has {len(stepper)} steps; the inline walkthrough shows up to "
            f"{max_steps}: stepper.to_html(path, max_steps={len(stepper)}) writes them all",
        )
    uid = f"crw-{uuid.uuid4().hex[:12]}"  # several walkthroughs on one notebook page each have their own ids
    try:
        return walkthrough(stepper, max_steps, {}, uid=uid, start=stepper.position, page=False)
    except GraphChangedError as err:  # Jupyter would print a traceback under the cell instead
        return note(stepper, f"the walkthrough cannot replay the steps: GraphChangedError: {err}")


def note(stepper: Stepper, text: str) -> str:
    """What a notebook shows in place of the walkthrough: the stepper, and why."""
    return f"<pre>{html.escape(repr(stepper))}\n{html.escape(text)}</pre>"
