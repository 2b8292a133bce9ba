"""A notebook using chainrule's inline displays, run top to bottom by a real Jupyter kernel (nbclient, ipykernel).

The notebook draws the lecture's neuron with ``draw_dot``, shows an MLP's parameter table
(``Module._repr_html_``) and the stepping walkthrough (``Stepper._repr_html_``), as a learner
would in Jupyter. It is built with nbformat and executed once; each test reads its outputs.
"""

from __future__ import annotations

import html as html_text
import re

import nbformat
import pytest
from demo_runner import demo_env
from nbclient import NotebookClient

CELLS = [
    "import nn\nfrom engine import Stepper, Value, draw_dot",
    # the lecture's neuron
    "x1, w1 = Value(2.0, label='x1'), Value(-3.0, label='w1')\n"
    "x2, w2 = Value(0.0, label='x2'), Value(1.0, label='w2')\n"
    "b = Value(6.8813735870195432, label='b')\n"
    "n = x1*w1 + x2*w2 + b; n.label = 'n'\n"
    "o = n.tanh(); o.label = 'o'\n"
    "o.backward()\n"
    "print(x1.grad, w1.grad)",
    "draw_dot(o)",
    "nn.manual_seed(0)\nmodel = nn.MLP(2, [3, 1])\nmodel",
    "Stepper(o)",
]


@pytest.fixture(scope="module")
def notebook(tmp_path_factory):
    """The notebook after a real kernel ran it, in a temporary folder (engine from this checkout)."""
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(source) for source in CELLS])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    folder = tmp_path_factory.mktemp("notebook")
    client = NotebookClient(nb, timeout=120, kernel_name="python3", resources={"metadata": {"path": str(folder)}})
    client.execute(env=demo_env())
    nbformat.validate(nb)
    return nb


def output_of(notebook, index: int, mime: str) -> str:
    """Cell ``index``'s displayed value as ``mime`` (the kernel's execute_result)."""
    results = [out for out in notebook.cells[index].outputs if out.output_type == "execute_result"]
    assert len(results) == 1, notebook.cells[index].outputs
    data = results[0].data
    assert mime in data, f"cell {index} shows only {sorted(data)}"
    return data[mime]


def test_the_kernel_ran_every_cell_in_order_without_an_error(notebook):
    assert [cell.execution_count for cell in notebook.cells] == list(range(1, len(CELLS) + 1))
    errors = [out for cell in notebook.cells for out in cell.outputs if out.output_type == "error"]
    assert not errors, errors
    printed = "".join(out.text for out in notebook.cells[1].outputs if out.output_type == "stream")
    x1_grad, w1_grad = map(float, printed.split())
    assert x1_grad == pytest.approx(-1.5, abs=1e-6) and w1_grad == pytest.approx(1.0, abs=1e-6)  # the lecture's


def test_draw_dot_shows_inline_as_an_svg_of_the_graph(notebook):
    svg = output_of(notebook, 2, "image/svg+xml")
    assert svg.lstrip().startswith("<?xml") or svg.lstrip().startswith("<svg")
    assert "<svg" in svg and "</svg>" in svg
    for label in ("x1", "w1", "x2", "w2", "b", "n", "o", "tanh"):
        assert re.search(rf">\s*{re.escape(label)}\s*<", svg), f"{label!r} not drawn"


def test_a_module_shows_a_parameter_table_with_names_shapes_and_counts(notebook):
    html = output_of(notebook, 3, "text/html")
    assert "<table" in html and "</table>" in html
    for heading in ("name", "shape", "params"):  # the count column is headed "Params", as in torchinfo
        assert re.search(rf"<th[^>]*>[^<]*{heading}", html, re.I), f"no {heading!r} column"
    assert "layers.0" in html and "layers.1" in html
    assert re.search(r"\b13\b", html), "the total, 3*(2+1) + 1*(3+1) = 13 parameters, is not shown"


def test_a_stepper_shows_the_interactive_walkthrough_inline_and_self_contained(notebook):
    html = html_text.unescape(output_of(notebook, 4, "text/html"))  # the page itself, even inside an iframe's srcdoc
    assert "<script" in html and "<svg" in html
    assert "tanh" in html and "x1" in html
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", html), "the walkthrough loads something"
