"""A Stepper left as a cell's last expression shows the walkthrough inline, in a real Jupyter kernel."""

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

CELLS = [
    "from demos.draw_graph import lecture_neuron\nfrom engine import Stepper\no = lecture_neuron(); o.zero_grad()",
    "s = Stepper(o); s.step(); s.step()\ns",
    "s",  # the same stepper again: a second walkthrough on the page, with its own ids
]


def test_a_stepper_displays_as_the_interactive_walkthrough_in_a_notebook():
    try:
        import nbformat
        from nbclient import NotebookClient
    except ImportError:
        pytest.fail("this test needs a Jupyter kernel: pip install nbclient nbformat ipykernel")
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(source) for source in CELLS])
    NotebookClient(notebook, timeout=120, kernel_name="python3", resources={"metadata": {"path": str(ROOT)}}).execute()
    outputs = [cell.outputs for cell in notebook.cells]
    assert outputs[0] == []
    first, second = (out[0]["data"] for out in outputs[1:])
    for data in (first, second):
        assert data["text/plain"] == "<Stepper for o: 2 of 5 steps done>"
        html = data["text/html"]
        assert html.count('<section class="crw-frame"') == 6 and html.count("<svg") == 6
        assert 'data-start="2"' in html  # opens where the stepper is
        assert "<script" in html and "src=" not in html.split("<script")[1][:20]  # inline, loads nothing
    uid = first["text/html"].split('id="', 1)[1].split('"', 1)[0]
    assert uid.startswith("crw-") and uid not in second["text/html"]
