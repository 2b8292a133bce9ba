"""Turn the course's chapter scripts into notebooks and run them, so the outputs are the code's own.

    python course/build.py            # every chapter: write course/NN_name.ipynb, executed
    python course/build.py 03         # only the chapters whose file name starts with 03

Each chapter is written as a plain script (``course/NN_name.py``) in the percent format that
editors and Jupytext read: ``# %%`` starts a code cell, ``# %% [markdown]`` a text cell whose
lines are comments.  The script is the source; the notebook beside it is built from it and run
top to bottom in a fresh Jupyter kernel, so every number and picture in it was computed there.
tests/test_course.py checks that each notebook still matches its script and runs again.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
TIMEOUT = 300  # seconds per cell: the chapters are meant to take well under 2 minutes in all


def chapters(prefix: str = "") -> list[Path]:
    """The chapter scripts (``NN_name.py``, solutions included), in order."""
    return sorted(p for p in HERE.glob(f"{prefix}*.py") if p.name[:2].isdigit())


def parse_cells(text: str) -> list[tuple[str, str]]:
    """``[(kind, source), ...]`` from a percent-format script; kind is 'code' or 'markdown'."""
    cells: list[tuple[str, list[str]]] = []
    for line in text.splitlines():
        if line.startswith("# %%"):
            cells.append(("markdown" if "[markdown]" in line else "code", []))
        elif cells:
            cells[-1][1].append(line)
    out = []
    for kind, lines in cells:
        while lines and not lines[-1].strip():
            lines.pop()
        while lines and not lines[0].strip():
            lines.pop(0)
        if kind == "markdown":
            lines = [line[2:] if line.startswith("# ") else line.lstrip("#") for line in lines]
        out.append((kind, "\n".join(lines)))
    return out


def notebook_for(script: Path):
    """An unexecuted nbformat notebook with the script's cells."""
    import nbformat

    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.metadata["language_info"] = {"name": "python"}
    for kind, source in parse_cells(script.read_text(encoding="utf-8")):
        if kind == "markdown":
            nb.cells.append(nbformat.v4.new_markdown_cell(source))
        else:
            cell = nbformat.v4.new_code_cell(source)
            if source.startswith("# solution"):
                cell.metadata["jupyter"] = {"source_hidden": True}
            nb.cells.append(cell)
    return nb


def execute(nb, cwd: Path = HERE):
    """Run ``nb`` top to bottom in a fresh python3 kernel (nbclient); raises on the first error."""
    from nbclient import NotebookClient

    NotebookClient(
        nb,
        timeout=TIMEOUT,
        kernel_name="python3",
        record_timing=False,  # no timestamps in the cells: a rebuild changes only what the code changed
        resources={"metadata": {"path": str(cwd)}},
    ).execute()
    return nb


def build(script: Path) -> float:
    """Write ``script``'s notebook, executed; return the seconds it took."""
    import nbformat

    start = time.perf_counter()
    nb = execute(notebook_for(script))
    for cell in nb.cells:  # ids are random: make them stable so a rebuild changes only what changed
        cell.id = f"{script.stem[:2]}-{nb.cells.index(cell):03d}"
    nbformat.write(nb, script.with_suffix(".ipynb"))
    return time.perf_counter() - start


def main(argv: list[str]) -> int:
    prefix = argv[0] if argv else ""
    for script in chapters(prefix):
        seconds = build(script)
        print(f"{script.with_suffix('.ipynb').relative_to(ROOT)}: executed in {seconds:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
