"""What the stepper shows outside a REPL prompt: print() gives the REPL's text; reset() puts every grad back."""

import pytest

from demos import draw_graph
from engine import GraphChangedError, Stepper, Value, format_graph, topological_order


def lecture_neuron():
    o = draw_graph.lecture_neuron()
    o.zero_grad()
    return o, {v.label: v for v in topological_order(o)}


def displayed(obj):
    """What the interactive prompt shows for obj: sys.displayhook writes repr(obj)."""
    return repr(obj)


def printed(obj, capsys):
    print(obj)
    return capsys.readouterr().out.removesuffix("\n")


def test_print_shows_what_the_prompt_shows_for_every_answer(capsys):
    o, v = lecture_neuron()
    s = Stepper(o)
    answers = [s.step(), s.where(), s.explain(v["x1"]), s.back(), s.run_to(v["b"]), s.show(), s.reset()]
    for answer in answers:
        assert printed(answer, capsys) == displayed(answer)
        assert "\n" in displayed(answer) or answer is answers[3]  # real line breaks, not '\\n'
    assert displayed(answers[0]).startswith("o = tanh(n): dL/dn += dL/do * do/dn = 1.0 * 0.5 = 0.5")


def test_where_says_how_to_see_the_steps_it_leaves_out():
    x = Value(0.5, label="x")
    y = x
    for _ in range(12):
        y = y.tanh()
    s = Stepper(y)
    s.go_to(7)
    lines = s.where().splitlines()
    hint = "(where(full=True) lists every step)"
    assert lines[1] == f"        ... 3 earlier steps {hint}"
    assert lines[-1] == f"        ... 1 more step {hint}"
    full = s.where(full=True).splitlines()
    assert len(full) == 1 + 12 and hint not in s.where(full=True)
    assert full[7] == "  now   7. t6 = tanh(t5)"


def test_show_in_a_terminal_is_the_text_graph_and_in_jupyter_the_drawing():
    o, v = lecture_neuron()
    s = Stepper(o)
    s.run_to(v["n"])
    picture = s.show()
    text = repr(picture)
    assert text.splitlines()[0] == "after step 2 of 5 (n = (x1*w1 + x2*w2) + b); the grads as stepping has left them:"
    assert text.endswith(format_graph(o))  # the grads as stepping left them: n 0.5, x1 still 0
    assert "object at 0x" not in text
    bundle = picture._repr_mimebundle_()
    assert bundle["text/plain"] == text and bundle["image/svg+xml"].lstrip().startswith("<?xml")
    assert 'color="#d62728"' in picture.source  # still the graphviz drawing underneath
    assert picture.pipe(format="svg", encoding="utf-8") == picture.digraph.pipe(format="svg", encoding="utf-8")


def test_reset_puts_every_grad_back_as_it_was_before_the_first_step_root_included():
    o, v = lecture_neuron()
    v["x1"].grad = 0.25  # a leaf holding a grad from earlier (leaves accumulate)
    v["n"].grad = 7.0  # a computed node with a stale grad: backward_pass sets it to 0 first
    before = [node.grad for node in topological_order(o)]
    s = Stepper(o)
    s.run_to(v["x1"])
    assert o.grad == 1.0 and v["x1"].grad == pytest.approx(0.25 - 1.5)
    s.reset()
    assert [node.grad for node in topological_order(o)] == before and o.grad == 0.0
    # Stepping again starts a new backward pass and ends where backward() does.
    for _ in s:
        pass
    stepped = [node.grad for node in topological_order(o)]
    o2, v2 = lecture_neuron()
    v2["x1"].grad = 0.25
    o2.backward()
    assert stepped == [node.grad for node in topological_order(o2)]


def test_reset_puts_the_grads_back_even_after_a_backward_from_outside():
    o, v = lecture_neuron()
    v["x1"].grad = 0.25
    before = [node.grad for node in topological_order(o)]
    s = Stepper(o, gradient=3.0)
    s.step()
    s.step()
    o.backward()  # the learner runs backward() to compare, in the middle of stepping
    with pytest.raises(GraphChangedError, match=r"reset\(\): it puts every grad back"):
        s.step()
    s.reset()  # what reset() promises: every grad as it was before the first step
    assert [node.grad for node in topological_order(o)] == before
    for _ in s:
        pass
    stepped = [node.grad for node in topological_order(o)]
    o2, v2 = lecture_neuron()
    v2["x1"].grad = 0.25
    o2.backward(3.0)
    assert stepped == [node.grad for node in topological_order(o2)]


def test_back_to_step_0_leaves_the_pass_started_and_reset_ends_it():
    o, v = lecture_neuron()
    s = Stepper(o)
    s.step()
    s.back()
    assert s.position == 0 and o.grad == 1.0  # the seed stays: back() undoes steps, not the start
    s.reset()
    assert o.grad == 0.0
    s.reset()  # resetting a stepper that has not started changes nothing
    assert o.grad == 0.0 and s.position == 0


def test_redoing_a_step_refuses_when_its_numbers_or_its_rule_changed():
    o, v = lecture_neuron()
    s = Stepper(o)
    s.go_to(5)
    s.back()
    v["w1"].data = 5.0  # step 5 (x1*w1) would now have other local derivatives
    with pytest.raises(GraphChangedError, match="step 5: the value of w1 changed from -3.0 to 5.0"):
        s.step()
    v["w1"].data = -3.0
    s.step()
    assert v["x1"].grad == pytest.approx(-1.5)
    s.back()
    v["x1"].grad = 3.0  # someone else wrote a grad the step would overwrite
    with pytest.raises(GraphChangedError, match=r"step 5: x1.grad is 3.0, but stepping left it at 0.0"):
        s.step()


def test_go_to_refuses_positions_outside_the_steps():
    o, _ = lecture_neuron()
    s = Stepper(o)
    with pytest.raises(ValueError, match="go_to: position must be an int from 0 to 5, got 6"):
        s.go_to(6)
    with pytest.raises(ValueError, match="got True"):
        s.go_to(True)


WITHOUT_GRAPHVIZ = """
import sys
sys.modules["graphviz"] = None  # `import graphviz` now raises ImportError, as if it were not installed
from engine import Stepper, Value
x = Value(2.0, label="x")
y = (x * 3).tanh(); y.label = "y"
s = Stepper(y)
s.step()
picture = s.show()
print(picture)
print(sorted(picture._repr_mimebundle_()))
try:
    picture.source
except ImportError as err:
    print("ImportError:", err)
"""


def test_show_without_the_graphviz_package_is_still_the_text_graph():
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    done = subprocess.run([sys.executable, "-c", WITHOUT_GRAPHVIZ], cwd=root, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == "after step 1 of 2 (y = tanh(t1)); the grads as stepping has left them:"
    assert lines[-3].startswith("y = tanh(t1)")
    assert lines[-2] == "['text/plain']"
    assert lines[-1].startswith("ImportError: draw_dot needs the graphviz Python package")


def test_writing_the_walkthrough_leaves_a_fresh_stepper_fresh(tmp_path):
    o, v = lecture_neuron()
    v["x1"].grad = 0.25
    before = [node.grad for node in topological_order(o)]
    s = Stepper(o)
    s.to_html(tmp_path / "walk.html")
    assert s.position == 0 and [node.grad for node in topological_order(o)] == before  # o.grad not seeded
    s.step()
    s.back()
    s.to_html(tmp_path / "walk.html")
    assert s.position == 0 and o.grad == 1.0  # started, and still started


def test_the_stepper_names_nodes_as_format_graph_does():
    from engine.text import node_names

    a, a2 = Value(1.0, label="a"), Value(2.0, label="a")  # two nodes with one label
    y = ((a * a2) + 3).tanh()
    names = node_names(y)
    assert sorted(names.values()) == ["3.0", "a", "a#2", "t1", "t2", "t3"]
    text = Stepper(y).where(full=True)
    # The same names; one that is not a plain identifier is put in parentheses, as 'd(a#2)' needs.
    lines = [line.strip() for line in text.splitlines()[1:]]
    assert lines == ["next  1. t3 = tanh(t2)", "2. t2 = t1 + 3.0", "3. t1 = a * (a#2)"]
    for line in format_graph(y).splitlines():
        assert line.split(" = ")[0] in names.values()


def test_frames_drawn_at_once_are_the_pictures_drawn_one_step_at_a_time(tmp_path):
    # Frames are drawn by several dot processes after stepping: each must still show its own step.
    o, v = lecture_neuron()
    s = Stepper(o)
    paths = s.save_frames(tmp_path)
    for k, path in enumerate(paths, start=1):
        s.go_to(k)
        one = s.show().pipe(format="svg", encoding="utf-8")
        assert path.read_text() == one[one.index("<svg") :], k


def test_show_before_the_first_step_does_not_say_stepping_left_the_grads():
    x = Value(2.0, label="x")
    x.grad = 4.0  # from an earlier backward(), not from stepping
    y = x * 3
    y.label = "y"
    s = Stepper(y)
    assert str(s.show()).splitlines()[0] == "before step 1 of 1; the grads as they were before stepping:"
    s.step()
    s.back()  # stepping has begun: the root holds its seed
    assert str(s.show()).splitlines()[0] == "before step 1 of 1; the grads as stepping has left them:"
    s.reset()
    assert str(s.show()).splitlines()[0] == "before step 1 of 1; the grads as they were before stepping:"


def test_in_a_notebook_a_stepper_whose_grads_were_changed_shows_why_it_cannot_draw():
    o, v = lecture_neuron()
    s = Stepper(o)
    s.step()
    s.step()
    o.backward()  # from outside: the walkthrough cannot replay the steps
    html = s._repr_html_()  # Jupyter calls this; raising would print a traceback under the cell
    assert html.startswith("<pre>") and "<svg" not in html
    assert "&lt;Stepper for o: 2 of 5 steps done&gt;" in html and "GraphChangedError" in html and "reset()" in html
    assert s.position == 2


def test_the_walkthrough_asks_to_predict_only_grads_it_draws(tmp_path):
    x = Value(3.0, label="x")
    y = x**2  # the 2 is written into the op's oval ('**2'), not drawn as a node
    y.label = "y"
    page = Stepper(y).to_html(tmp_path / "walk.html").read_text(encoding="utf-8")
    assert "Predict the new grad of x, then press Space" in page
    step = page.split('data-step="1"', 1)[1]
    assert step.split('data-changed="', 1)[1].split('"', 1)[0] == "n0"  # x only: n1 (the 2.0) is folded
    every = Stepper(y).to_html(tmp_path / "all.html", fold_constants=False).read_text(encoding="utf-8")
    assert "Predict the new grad of x, (2.0), then press Space" in every  # drawn as a node: asked for
