"""The package's import layering, read from the source with ``ast`` (late imports inside functions included).

Imports only go down: no two modules of engine/ or nn/ import each other, directly or round a
longer cycle; engine never imports nn; no module is over 400 lines.  A package's ``__init__``
re-exporting its own submodules is fine, so edges from a package ``__init__`` to a module inside
that package are left out.  Imports under ``if TYPE_CHECKING:`` count too: a cycle that only
the type checker sees is still two modules that each need the other to be read.
(tests/test_engine.py checks the core's finer rule: which core modules each core module may use.)
"""

import ast
import pathlib

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent
PACKAGES = ("engine", "nn")
MAX_LINES = 400


def module_name(path: pathlib.Path, root: pathlib.Path = ROOT) -> str:
    parts = path.relative_to(root).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def is_package(path: pathlib.Path) -> bool:
    return path.name == "__init__.py"


def modules(root: pathlib.Path = ROOT) -> dict[str, pathlib.Path]:
    found = {}
    for package in PACKAGES:
        for path in sorted((root / package).rglob("*.py")):
            found[module_name(path, root)] = path
    return found


def imported_names(path: pathlib.Path, root: pathlib.Path = ROOT) -> set[str]:
    """Every module name the file imports, anywhere in it, relative imports resolved."""
    here = module_name(path, root).split(".")
    base = here if is_package(path) else here[:-1]  # the package a relative import starts from
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            start = base[: len(base) - node.level + 1] if node.level else []
            module = ".".join([*start, *(node.module.split(".") if node.module else [])])
            names.add(module)
            names |= {f"{module}.{alias.name}" for alias in node.names}  # 'from . import export'
    return names


def resolve(name: str, known: dict) -> str | None:
    """The module of ours that ``name`` refers to (its longest known prefix), or None for anything else."""
    parts = name.split(".")
    for end in range(len(parts), 0, -1):
        candidate = ".".join(parts[:end])
        if candidate in known:
            return candidate
    return None


def import_graph(root: pathlib.Path = ROOT) -> dict[str, set[str]]:
    """Each module of engine/ and nn/ and the modules of ours it imports."""
    known = modules(root)
    graph = {}
    for name, path in known.items():
        targets = {resolve(imported, known) for imported in imported_names(path, root)} - {None, name}
        if is_package(path):  # a package's __init__ re-exporting its submodules is fine
            targets = {t for t in targets if not t.startswith(name + ".")}
        graph[name] = targets
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan), each sorted."""
    index, low, stack, on_stack, found = {}, {}, [], set(), []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return sorted(found)


def test_the_graph_reader_sees_late_relative_and_type_checking_imports(tmp_path):
    # The reader itself, on a package made up for it: a late import inside a function, a
    # relative import two levels up, 'from . import x' and an import under TYPE_CHECKING.
    pkg = tmp_path / "engine"
    (pkg / "sub").mkdir(parents=True)
    (pkg / "__init__.py").write_text("from .a import f\n")
    (pkg / "a.py").write_text("def f():\n    from .sub import b\n    return b\n")
    (pkg / "sub" / "__init__.py").write_text("")
    (pkg / "sub" / "b.py").write_text("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from . import c\n")
    (pkg / "sub" / "c.py").write_text("from ..a import f\nimport os\n")
    graph = import_graph(tmp_path)
    assert graph["engine"] == set()  # its own submodule: left out
    assert graph["engine.a"] == {"engine.sub", "engine.sub.b"}
    assert graph["engine.sub.b"] == {"engine.sub", "engine.sub.c"}
    assert graph["engine.sub.c"] == {"engine.a"}
    assert cycles(graph) == [["engine.a", "engine.sub.b", "engine.sub.c"]]


def test_no_import_cycles_in_engine_or_nn():
    found = cycles(import_graph())
    assert not found, "modules that import each other (directly or round a cycle): " + "; ".join(
        " <-> ".join(component) for component in found
    )


def test_engine_never_imports_nn():
    upward = {
        name: {t for t in targets if t.split(".")[0] == "nn"}
        for name, targets in import_graph().items()
        if name.split(".")[0] == "engine"
    }
    assert {name: t for name, t in upward.items() if t} == {}


@pytest.mark.parametrize("name", sorted(modules()))
def test_no_module_is_over_400_lines(name):
    lines = len(modules()[name].read_text(encoding="utf-8").splitlines())
    assert lines <= MAX_LINES, f"{modules()[name].relative_to(ROOT)} has {lines} lines (at most {MAX_LINES})"
