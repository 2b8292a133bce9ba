"""Every code block of README.md and docs/*.md runs as shown: page by page, in order, one namespace per page.

- A ```python block written as a REPL session (lines starting with ``>>>``) runs as a doctest
  (ELLIPSIS, NORMALIZE_WHITESPACE): what it shows must be what Python prints.  A block that
  shows an error shows it as Python does, with ``Traceback (most recent call last):``.
- Any other ```python block is executed; it must not raise.
- Shell blocks (```bash) are not run, but every ``python -m demos.NAME --flag`` in them must
  name a demo that exists and flags its ``--help`` lists.
- A block with no language must not hide a REPL session (it would go untested).

Each page runs in a fresh temporary folder, so files its snippets write do not land in the
checkout, and ops a page registers are unregistered afterwards.
"""

from __future__ import annotations

import doctest
import functools
import io
import re
from dataclasses import dataclass

import pytest
from demo_runner import ROOT, run_python

from engine import OPS

PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
PYTHON = {"python", "py", "pycon"}
SHELL = {"bash", "sh", "shell", "console"}
FLAGS = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE

# Pages owned by other branches whose snippets did not run yet when this test was written.
# strict: the day a page runs, its entry fails the suite and must be deleted here.
KNOWN_BROKEN: dict[str, str] = {}


@dataclass
class Block:
    language: str
    code: str
    line: int  # 1-based line of the opening fence


FENCE = re.compile(r"^(?P<indent>[ \t]*)(?P<fence>```+|~~~+)[ \t]*(?P<info>[^\n`]*)$")


def code_blocks(text: str) -> list[Block]:
    """The fenced code blocks of a Markdown text, indentation of the fence removed.

    >>> [(b.language, b.code, b.line) for b in code_blocks("a\\n```python\\nx = 1\\n```\\n  ```\\n  $ ls\\n  ```\\n")]
    [('python', 'x = 1\\n', 2), ('', '$ ls\\n', 5)]
    """
    blocks, lines, k = [], text.splitlines(), 0
    while k < len(lines):
        opening = FENCE.match(lines[k])
        k += 1
        if not opening:
            continue
        indent, fence, start = len(opening["indent"]), opening["fence"], k
        while k < len(lines) and not lines[k].strip().startswith(fence):
            k += 1
        body = [line[indent:] if not line[:indent].strip() else line.lstrip() for line in lines[start:k]]
        blocks.append(Block(opening["info"].split()[0].lower() if opening["info"].strip() else "",
                            "".join(line + "\n" for line in body), start))
        k += 1
    return blocks


def is_session(code: str) -> bool:
    return any(line.lstrip().startswith(">>>") for line in code.splitlines())


def run_block(block: Block, namespace: dict, page: str) -> None:
    """Run one python block in the page's namespace; fail with what went wrong and where."""
    where = f"{page}, the block at line {block.line}"
    if not is_session(block.code):
        error = None
        try:
            exec(compile(block.code, where, "exec", dont_inherit=True), namespace)
        except Exception as err:  # reported below, outside the handler, without the test's own traceback
            error = f"{type(err).__name__}: {err}"
        if error:
            pytest.fail(f"{where} raised {error}\n\n{block.code}", pytrace=False)
        return
    test = doctest.DocTestParser().get_doctest(block.code, namespace, where, page, block.line - 1)
    report = io.StringIO()
    result = doctest.DocTestRunner(optionflags=FLAGS).run(test, out=report.write, clear_globs=False)
    namespace.update(test.globs)  # DocTest ran in a copy of the namespace: later blocks see its names
    if result.failed:
        pytest.fail(f"{where}: {result.failed} of {result.attempted} examples differ\n{report.getvalue()}",
                    pytrace=False)


def page_params() -> list:
    params = []
    for page in PAGES:
        name = page.relative_to(ROOT).as_posix()
        marks = [pytest.mark.xfail(strict=True, reason=KNOWN_BROKEN[name])] if name in KNOWN_BROKEN else []
        params.append(pytest.param(page, id=name, marks=marks))
    return params


@pytest.mark.parametrize("page", page_params())
def test_every_python_block_runs_as_shown(page, tmp_path, monkeypatch):
    name = page.relative_to(ROOT).as_posix()
    monkeypatch.chdir(tmp_path)
    namespace = {"__name__": "__docs__"}
    ops_before = dict(OPS)
    try:
        for block in code_blocks(page.read_text(encoding="utf-8")):
            if block.language in PYTHON:
                run_block(block, namespace, name)
    finally:  # a page may register ops (register_op); the next page and the other tests start without them
        OPS.clear()
        OPS.update(ops_before)


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_no_repl_session_hides_in_an_untagged_block(page):
    hidden = [b.line for b in code_blocks(page.read_text(encoding="utf-8")) if not b.language and is_session(b.code)]
    assert not hidden, f"blocks at lines {hidden} hold a >>> session: tag them ```python so they are tested"


@functools.cache
def demo_help(module: str) -> str:
    done = run_python(["-m", module, "--help"], timeout=60)
    assert done.returncode == 0, f"python -m {module} --help failed:\n{done.stderr}"
    return done.stdout


def demo_commands() -> list[tuple[str, str, str]]:
    """(page, module, flags) for every ``python -m demos.NAME ...`` in a shell block of any page."""
    found = []
    for page in PAGES:
        for block in code_blocks(page.read_text(encoding="utf-8")):
            if block.language in SHELL or not block.language:
                for module, rest in re.findall(r"python -m (demos\.\w+|benchmarks)([^\n#]*)", block.code):
                    found.append((page.relative_to(ROOT).as_posix(), module, rest.strip()))
    return found


@pytest.mark.parametrize("page, module, flags", demo_commands())
def test_demo_commands_in_the_docs_name_real_demos_and_flags(page, module, flags):
    usage = demo_help(module)
    assert usage.startswith("usage: "), usage
    for flag in re.findall(r"(?<!\S)--?[a-z][\w-]*", flags):
        assert re.search(rf"(?<![\w-]){re.escape(flag)}(?![\w-])", usage), f"{page}: {module} has no {flag}"


def relative_links(page) -> list[str]:
    """The targets of the page's Markdown links that are not web addresses, anchors dropped."""
    targets = re.findall(r"\]\(([^)\s#]+)(?:#[^)]*)?\)", page.read_text(encoding="utf-8"))
    return [t for t in targets if "://" not in t]


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_relative_links_point_at_files_that_exist(page):
    missing = [t for t in relative_links(page) if not (page.parent / t).exists()]
    assert not missing, f"{page.name} links to files that do not exist: {missing}"


def test_readme_links_every_docs_page_and_the_course():
    # A page the README does not link is a page a new user never finds.
    linked = {(ROOT / t).resolve() for t in relative_links(ROOT / "README.md")}
    pages = [*sorted((ROOT / "docs").glob("*.md")), ROOT / "course" / "README.md"]
    unlinked = [p.relative_to(ROOT).as_posix() for p in pages if p.resolve() not in linked]
    assert not unlinked, f"README.md does not link {unlinked}"
