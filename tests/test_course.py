"""The course: every notebook matches its chapter script, was run in order, and runs again the same.

Each notebook is executed here in a real Jupyter kernel (nbclient + ipykernel, the `notebook`
extra) from a clean start; what it prints must be what the committed notebook shows, so a
change to the engine that changes a number in the course fails until `python course/build.py`
is run again.  The solutions notebooks must pass every exercise check.
"""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import pytest

NEEDS = "the course tests need the notebook extra: pip install -e .[notebook]"
nbformat = pytest.importorskip("nbformat", reason=NEEDS)
pytest.importorskip("nbclient", reason=NEEDS)

ROOT = Path(__file__).resolve().parent.parent
COURSE = ROOT / "course"
_spec = importlib.util.spec_from_file_location("course_build", COURSE / "build.py")
build = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(build)

SCRIPTS = build.chapters()
CHAPTERS = [p for p in SCRIPTS if not p.stem.endswith("_solutions")]


def test_there_are_seven_chapters_each_with_solutions():
    assert [p.stem[:2] for p in CHAPTERS] == ["01", "02", "03", "04", "05", "06", "07"]
    for chapter in CHAPTERS:
        assert chapter.with_name(chapter.stem + "_solutions.py") in SCRIPTS


def committed(script: Path):
    path = script.with_suffix(".ipynb")
    assert path.exists(), f"{path.name} is missing: run python course/build.py"
    return nbformat.read(path, as_version=4)


def texts(nb) -> list[tuple[int, str]]:
    """What each code cell printed or showed as text, where that text is the same on every run.

    A cell's printed text arrives in chunks that depend on timing, so it is joined first.
    """
    shown = []
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        printed = "".join(out.text for out in cell.outputs if out.output_type == "stream")
        if printed:
            shown.append((index, printed))
        for out in cell.outputs:
            if out.output_type == "execute_result":
                text = out.data.get("text/plain", "")
                if " at 0x" not in text and not text.startswith("<Figure"):  # object ids differ run to run
                    shown.append((index, text))
    return shown


def shown_kinds(nb) -> list[tuple[int, tuple[str, ...]]]:
    """Which kinds of output (printed text, a picture, an HTML page...) each code cell shows.

    Pictures differ in bytes from machine to machine, so only their presence is compared: a
    committed notebook whose picture was deleted, or that lacks one a fresh run draws, fails.
    """
    kinds = []
    for index, cell in enumerate(nb.cells):
        if cell.cell_type == "code":
            mimes = {"stream"} if any(out.output_type == "stream" for out in cell.outputs) else set()
            for out in cell.outputs:
                mimes.update(out.get("data", {}))
            kinds.append((index, tuple(sorted(mimes))))
    return kinds


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: p.stem)
def test_notebook_matches_its_script_and_ran_in_order(script):
    nb = committed(script)
    cells = [(c.cell_type, c.source) for c in nb.cells]
    assert cells == build.parse_cells(script.read_text(encoding="utf-8")), (
        f"{script.with_suffix('.ipynb').name} is stale: run python course/build.py {script.stem[:2]}"
    )
    counts = [c.execution_count for c in nb.cells if c.cell_type == "code"]
    assert counts == list(range(1, len(counts) + 1)), f"{script.stem}: cells not executed once each, in order"
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            assert out.output_type != "error", f"{script.stem}: a committed cell shows an error: {out.get('evalue')}"


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: p.stem)
def test_notebook_runs_in_a_fresh_kernel_and_prints_what_it_shows(script):
    nb = committed(script)
    fresh = nbformat.from_dict(nb)
    for cell in fresh.cells:
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    build.execute(fresh)  # raises CellExecutionError naming the cell on any error
    assert texts(fresh) == texts(nb), f"{script.stem}: the committed outputs are stale: run python course/build.py"
    assert shown_kinds(fresh) == shown_kinds(nb), f"{script.stem}: a cell shows other outputs than a fresh run"
    if script.stem.endswith("_solutions"):
        checks = [text for _, text in texts(fresh) if text.startswith(("✓", "✗"))]
        assert checks and all(text.startswith("✓") for text in checks), checks


def test_every_chapter_links_the_api_pages_and_the_links_resolve():
    for chapter in CHAPTERS:
        text = chapter.read_text(encoding="utf-8")
        assert "../docs/" in text, f"{chapter.name} links no API page"
        markdown = "\n".join(line for line in text.splitlines() if line.startswith("#"))  # not the code
        targets = re.findall(r"\]\(([^)\s#]+)(?:#[^)]*)?\)", markdown)
        missing = [t for t in targets if "://" not in t and not (COURSE / t).exists()]
        assert not missing, f"{chapter.name} links to files that do not exist: {missing}"


def test_the_exercise_checks_run_their_own_examples():
    import doctest

    spec = importlib.util.spec_from_file_location("course_exercises", COURSE / "exercises.py")
    exercises = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(exercises)
    result = doctest.testmod(exercises, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0 and result.failed == 0, result
