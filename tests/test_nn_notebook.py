"""A module shows its parameter table in a real Jupyter kernel (nbclient runs the notebook)."""

import pathlib

import nbformat
from nbclient import NotebookClient

ROOT = str(pathlib.Path(__file__).resolve().parent.parent)


def test_a_module_displays_as_its_parameter_table_in_jupyter():
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [
        nbformat.v4.new_code_cell(f"import sys; sys.path.insert(0, {ROOT!r})\n"
                                  "import random\nfrom nn import MLP\n"
                                  "model = MLP(2, [3, 1], rng=random.Random(0))\nmodel"),
        nbformat.v4.new_code_cell("print(model.summary())"),
    ]
    NotebookClient(notebook, timeout=120, kernel_name="python3").execute()
    shown = notebook.cells[0].outputs[0]["data"]
    page = shown["text/html"]
    assert page.count("<tr>") == 1 + 8 + 1  # the header, w and b of 3 + 1 neurons, the total
    assert "layers.0.neurons.2.w" in page and "<b>13</b>" in page
    assert shown["text/plain"].startswith("MLP(")  # the repr stays the plain-text view
    printed = notebook.cells[1].outputs[0]["text"]
    assert printed.splitlines()[-1] == "Total params: 13" and "layers.1.neurons.0.w  (3,)" in printed
