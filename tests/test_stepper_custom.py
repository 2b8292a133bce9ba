"""The lecture's own way of writing ops: a node whose ``_backward`` is a Python closure is stepped and explained."""

import struct

import pytest

from engine import GraphChangedError, Stepper, Value, backward_steps, topological_order
from engine.value import rule_of

CUSTOM = "a custom backward written in Python, whose local derivatives are unknown"


def relu(v):
    """micrograd's relu, written as in the lecture: a free op label and a closure."""
    out = Value(v.data if v.data > 0 else 0.0, (v,), "ReLU")

    def _backward():
        v.grad += (out.data > 0) * out.grad

    out._backward = _backward
    return out


def square(v):
    out = Value(v.data**2, (v,), "**2")

    def _backward():
        v.grad += 2 * v.data * out.grad

    out._backward = _backward
    return out


def graph():
    """y = relu(x*w + 10)**2 with x = 3, w = -2: dy/dx = 2*4*w = -16, dy/dw = 2*4*x = 24."""
    x, w = Value(3.0, label="x"), Value(-2.0, label="w")
    t = relu(x * w + 10)
    t.label = "r"
    y = square(t)
    y.label = "y"
    return y, x, w, t


def bits(root):
    return [struct.pack("<d", node.grad) for node in topological_order(root)]


def test_a_closure_node_is_a_step_that_shows_the_grads_it_changed():
    y, x, w, r = graph()
    steps = list(backward_steps(y))
    first = steps[0]
    assert first.node is y and first.custom and first.op is None and callable(first.rule)
    assert first.rule is rule_of(y)
    assert first.local is None and first.contributions is None
    assert first.upstream == 1.0 and first.grads_before == (0.0,) and first.grads == (8.0,)
    assert repr(first).splitlines() == [
        f"y = r **2: dL/dy = 1.0, passed on by {CUSTOM}:",
        "           r.grad: 0.0 -> 8.0 (received 8.0)",
    ]
    assert str(steps[1]).splitlines()[1].strip() == "t2.grad: 0.0 -> 8.0 (received 8.0)"
    assert not steps[2].custom and steps[2].local == (1.0, 1.0)  # the table's rows, as before
    assert (x.grad, w.grad) == (-16.0, 24.0)  # 2 * relu(4) * w and 2 * relu(4) * x


def test_stepping_a_graph_with_closures_is_backward_bit_for_bit_however_it_goes_back_and_forth():
    expected = graph()[0]
    expected.backward()
    y = graph()[0]
    s = Stepper(y)
    for moves in ("step", "step", "back", "step", "step", "step", "back", "back", "step", "step"):
        getattr(s, moves)()
    assert s.position == len(s) == 4
    assert bits(y) == bits(expected)
    s.reset()
    assert all(node.grad == 0.0 for node in topological_order(y))


def test_explain_marks_the_unknown_factors_and_gives_the_backward_pass_total():
    y, x, w, r = graph()
    s = Stepper(y)
    lines = s.explain(x).splitlines()
    assert lines[0] == "dL/dx = dL/dy * dy/dr * dr/dt2 * dt2/dt1 * dt1/dx"
    assert lines[1].strip() == "= 1.0 * ? * ? * 1.0 * -2.0"
    assert lines[2].strip() == "= -16.0"
    assert lines[3].strip() == f"(?: y and r each have {CUSTOM}; the total is what the backward pass gives)"
    assert lines[4] == "stepping so far: x.grad = 0.0, 1 of 1 contribution still to come"
    assert all(node.grad == 0.0 for node in topological_order(y))  # explaining changed no grad


def test_explain_groups_many_paths_through_a_closure_with_the_backward_pass_numbers():
    x = Value(0.3, label="x")
    z = x
    for _ in range(4):  # 16 paths
        z = z * z
    y = square(z)
    y.label = "y"
    text = Stepper(y).explain(x)
    assert "(16 paths lead from L to x; they are grouped here by its users)" in text
    exact = 2 * 0.3**16 * 16 * 0.3**15  # d/dx (x^16)^2
    assert float(text.splitlines()[2].split("= ")[-1]) == pytest.approx(exact, rel=1e-5)


def test_a_closure_replaced_after_stepping_began_is_refused():
    y, x, w, r = graph()
    s = Stepper(y)
    s.step()
    r._backward = lambda: None
    with pytest.raises(GraphChangedError, match="step 2: node r was changed after stepping began"):
        s.step()


def test_a_closure_node_is_drawn_and_written_into_the_walkthrough(tmp_path):
    y, x, w, r = graph()
    s = Stepper(y)
    s.step()
    assert 'color="#d62728"' in s.show().source  # the closure node, stepped, drawn red
    page = s.to_html(tmp_path / "walk.html").read_text()
    assert page.count('<section class="crw-frame"') == 5
    assert f"y = r **2: dL/dy = 1.0, passed on by {CUSTOM}:" in page
    assert "(?: y and r each have" in page  # explain() of a node below the closures
    assert s.position == 1 and r.grad == 8.0
