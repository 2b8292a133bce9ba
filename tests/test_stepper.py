"""engine.stepper: backprop one node at a time, its words and numbers, undo, and pictures."""

import math
import tracemalloc
import xml.etree.ElementTree as ET

import pytest

import engine
from demos import draw_graph
from engine import GraphChangedError, Step, Stepper, Value, backward_steps, forward_steps, topological_order

SVG = "{http://www.w3.org/2000/svg}"


def lecture_neuron():
    """The lecture's neuron o = tanh(x1*w1 + x2*w2 + b), grads zeroed, and its nodes by label."""
    o = draw_graph.lecture_neuron()
    o.zero_grad()
    return o, {v.label: v for v in topological_order(o)}


def central_difference(f, leaf, eps=1e-6):
    """(f(x + eps) - f(x - eps)) / 2 eps, changing ``leaf.data`` and putting it back."""
    x = leaf.data
    leaf.data = x + eps
    up = f()
    leaf.data = x - eps
    down = f()
    leaf.data = x
    return (up - down) / (2 * eps)


def neuron_output(v):
    """The lecture neuron's output recomputed from its leaves' current data, as plain floats."""
    return math.tanh(v["x1"].data * v["w1"].data + v["x2"].data * v["w2"].data + v["b"].data)


# --- the lecture, step by step -----------------------------------------------------------


def test_lecture_steps_carry_the_lectures_numbers_and_read_like_the_chain_rule():
    o, v = lecture_neuron()
    steps = backward_steps(o)
    assert v["n"].grad == 0.0  # nothing has run yet
    first = next(steps)
    assert isinstance(first, Step)
    assert first.node is o and first.op is engine.OPS["tanh"] and first.inputs == (v["n"],)
    assert first.upstream == 1.0
    assert first.local == (1.0 - o.data**2,)  # tanh's rule from the table: 1 - o**2
    assert first.contributions == first.grads == (v["n"].grad,)
    assert first.grads_before == (0.0,)
    assert first.grads[0] == pytest.approx(0.5)
    assert repr(first).splitlines() == [
        "o = tanh(n): dL/dn += dL/do * do/dn = 1.0 * 0.5 = 0.5  ->  n.grad = 0.5",
        "             (tanh: d tanh(a)/da = 1 - tanh(a)^2)",
    ]
    rest = list(steps)
    assert [s.node.label for s in rest] == ["n", "x1*w1 + x2*w2", "x2*w2", "x1*w1"]
    assert [s.index for s in [first, *rest]] == [0, 1, 2, 3, 4] and {s.total for s in rest} == {5}
    last = rest[-1]
    assert last.inputs == (v["x1"], v["w1"]) and last.local == (-3.0, 2.0)
    assert last.grads == pytest.approx((-1.5, 1.0))
    assert repr(last).splitlines()[0] == (
        "x1*w1 = x1 * w1: dL/dx1 += dL/d(x1*w1) * d(x1*w1)/dx1 = 0.5 * -3.0 = -1.5  ->  x1.grad = -1.5"
    )
    grads = {name: v[name].grad for name in ("o", "n", "x1", "w1", "x2", "w2", "b")}
    assert grads == pytest.approx({"o": 1, "n": 0.5, "x1": -1.5, "w1": 1.0, "x2": 0.5, "w2": 0.0, "b": 0.5})
    # The analytic values above are the lecture's; the finite differences agree with them.
    for name in ("x1", "w1", "x2", "w2", "b"):
        assert v[name].grad == pytest.approx(central_difference(lambda: neuron_output(v), v[name]), abs=1e-6)


def test_stepping_to_the_end_gives_backward_bit_for_bit_on_the_lecture():
    o, v = lecture_neuron()
    o.backward()
    expected = {k: n.grad for k, n in v.items()}
    o2, v2 = lecture_neuron()
    assert len(list(backward_steps(o2))) == 5
    assert {k: n.grad for k, n in v2.items()} == expected


def test_a_root_with_no_inputs_is_one_step_its_seed_and_a_finished_generator_stops():
    x = Value(2.0, label="x")
    x.grad = 0.5  # a leaf accumulates, as with backward()
    steps = backward_steps(x, gradient=2.0)
    step = next(steps)
    assert step.node is x and step.op is None and step.inputs == ()
    assert step.grads_before == (0.5,) and step.grads == (2.5,) and x.grad == 2.5
    assert repr(step) == "x is L itself: dL/dx += 2.0 (the seed, dL/dL)  ->  x.grad = 2.5"
    with pytest.raises(StopIteration):
        next(steps)
    with pytest.raises(StopIteration):
        next(steps)


def test_leaves_accumulate_across_runs_as_with_backward():
    a = Value(3.0, label="a")
    y = a * a + a
    list(backward_steps(y))
    assert a.grad == 7.0
    list(backward_steps(y))
    assert a.grad == 14.0
    y.backward()
    assert a.grad == 21.0


def test_an_input_used_twice_shows_both_additions():
    x = Value(3.0, label="x")
    y = x * x
    y.label = "y"
    lines = repr(next(backward_steps(y))).splitlines()
    assert lines[0].endswith("= 3.0  ->  x.grad = 3.0")
    assert lines[1].strip() == "dL/dx += dL/dy * dy/dx = 1.0 * 3.0 = 3.0  ->  x.grad = 6.0"


def test_a_wide_sum_lists_a_few_inputs_and_counts_the_rest():
    xs = [Value(float(i), label=f"x{i}") for i in range(20)]
    s = engine.sum(xs)
    s.label = "s"
    text = repr(next(backward_steps(s)))
    assert "dL/dx7 +=" in text and "dL/dx8 +=" not in text
    assert "... and 12 more inputs, the same way" in text
    assert all(x.grad == 1.0 for x in xs)


def test_unlabelled_nodes_get_format_graphs_names_and_constants_their_values():
    x = Value(2.0, label="x")
    y = (x * 3).tanh()
    steps = list(backward_steps(y))
    assert repr(steps[0]).startswith("t2 = tanh(t1): dL/dt1 += dL/dt2 * dt2/dt1")
    assert "dL/d(3.0) += dL/dt1 * dt1/d(3.0)" in repr(steps[1])


def test_bad_arguments_are_refused_with_what_was_expected():
    with pytest.raises(TypeError, match="backward_steps: expected a Value .* got float 2.0"):
        backward_steps(2.0)
    with pytest.raises(TypeError, match="backward_steps: gradient must be a real number such as 1.0, got str 'one'"):
        backward_steps(Value(1.0), "one")
    with pytest.raises(TypeError, match="Stepper: expected a Value"):
        Stepper([Value(1.0)])


# --- the Stepper ---------------------------------------------------------------------------


def all_grads(root):
    return [n.grad for n in topological_order(root)]


def test_back_before_any_step_is_a_clear_error():
    o, _ = lecture_neuron()
    s = Stepper(o)
    with pytest.raises(RuntimeError, match=r"back\(\): there is no step to undo.*0 of 5 steps done"):
        s.back()


def test_back_restores_exactly_and_step_redoes_exactly():
    o, v = lecture_neuron()
    s = Stepper(o)
    states = []  # the grads after 1, 2, ... steps
    for _ in range(len(s)):
        s.step()
        states.append(all_grads(o))
    final = all_grads(o)
    for k in reversed(range(1, len(s))):
        message = s.back()
        assert message.startswith(f"undid step {k + 1} of 5")
        assert all_grads(o) == states[k - 1]
    s.back()
    # Back at the start of the backward pass: the root seeded, no rule applied yet.
    assert s.position == 0 and all_grads(o) == [0.0] * 9 + [1.0]
    assert repr(s.step()).startswith("o = tanh(n)")
    for _ in s:
        pass
    assert all_grads(o) == final
    assert s.back() == "undid step 5 of 5 (x1*w1 = x1 * w1): x1.grad back to 0.0, w1.grad back to 0.0"
    assert v["x1"].grad == 0.0 and v["w1"].grad == 0.0


def test_the_end_of_the_stepper_says_how_to_go_back():
    o, _ = lecture_neuron()
    s = Stepper(o)
    assert len(list(s)) == 5
    with pytest.raises(StopIteration, match=r"all 5 steps are done; back\(\)"):
        s.step()


def test_run_to_goes_forward_and_back_and_reset_goes_to_the_start():
    o, v = lecture_neuron()
    s = Stepper(o)
    step = s.run_to(v["x1*w1 + x2*w2"])
    assert s.position == 3 and step.node is v["x1*w1 + x2*w2"]
    step = s.run_to(v["n"])
    assert s.position == 2 and step.node is v["n"]
    assert v["x1*w1"].grad == 0.0  # step 3, which gave it its grad, is undone
    s.run_to(v["x1"])  # a leaf: complete after the last step that uses it
    assert s.position == 5 and v["x1"].grad == pytest.approx(-1.5)
    s.run_to(v["b"])
    assert s.position == 2 and v["b"].grad == pytest.approx(0.5) and v["x1"].grad == 0.0
    text = s.reset()
    assert s.position == 0 and text.splitlines()[1] == "  next  1. o = tanh(n)"
    with pytest.raises(ValueError, match="run_to: .*'stranger'.* is not part of the graph of o"):
        s.run_to(Value(1.0, label="stranger"))


def test_where_lists_done_current_and_next():
    o, v = lecture_neuron()
    s = Stepper(o)
    s.step()
    s.step()
    assert s.where().splitlines() == [
        "stepping backward from o: 2 of 5 steps done",
        "  done  1. o = tanh(n)",
        "  now   2. n = (x1*w1 + x2*w2) + b",
        "  next  3. x1*w1 + x2*w2 = (x1*w1) + (x2*w2)",
        "        4. x2*w2 = x2 * w2",
        "        5. x1*w1 = x1 * w1",
    ]
    assert repr(s.where()) == str(s.where())  # prints as text at the REPL
    assert repr(s) == "<Stepper for o: 2 of 5 steps done>"


def test_explain_writes_the_product_along_the_path_and_matches_finite_differences():
    o, v = lecture_neuron()
    s = Stepper(o)
    text = s.explain(v["x1"])
    assert text.splitlines()[:3] == [
        "dL/dx1 = dL/do * do/dn * dn/d(x1*w1 + x2*w2) * d(x1*w1 + x2*w2)/d(x1*w1) * d(x1*w1)/dx1",
        "       = 1.0 * 0.5 * 1.0 * 1.0 * -3.0",
        "       = -1.5",
    ]
    assert text.splitlines()[3] == "stepping so far: x1.grad = 0.0, 1 of 1 contribution still to come"
    s.run_to(v["x1"])
    assert s.explain(v["x1"]).splitlines()[3] == "stepping has finished with it: x1.grad = -1.5"
    assert s.explain(o).splitlines()[0] == "dL/do = 1.0 (the seed: L is o itself)"


def explained_value(text):
    """The number after the last '= ' line of an explanation."""
    return float([line for line in text.splitlines() if line.strip().startswith("= ")][-1].split("= ")[-1])


def test_explain_adds_one_product_per_path_when_a_value_is_used_twice():
    a = Value(0.7, label="a")
    u = a * a
    u.label = "u"
    y = u.sin() + a
    y.label = "y"
    text = Stepper(y).explain(a)
    lines = text.splitlines()
    assert lines[0] == "dL/da = dL/dy * dy/dt1 * dt1/du * du/da"
    assert lines[1].strip() == "+ dL/dy * dy/dt1 * dt1/du * du/da"  # a is u's first and second input
    assert lines[2].strip() == "+ dL/dy * dy/da"
    exact = 2 * 0.7 * math.cos(0.49) + 1  # d/da (sin(a^2) + a)
    assert explained_value(text) == pytest.approx(exact, rel=1e-5)  # shown to 6 digits
    fd = central_difference(lambda: math.sin(a.data * a.data) + a.data, a)
    assert explained_value(text) == pytest.approx(fd, rel=1e-5)


def test_explain_groups_many_paths_by_the_nodes_users():
    x = Value(0.3, label="x")
    y = x
    for _ in range(4):  # each layer doubles the paths: 16 of them
        y = y * y
    y.label = "y"
    y.backward()
    text = Stepper(y).explain(x)
    assert "(16 paths lead from L to x; they are grouped here by its users)" in text
    assert explained_value(text) == pytest.approx(x.grad, rel=1e-5)
    assert x.grad == pytest.approx(16 * 0.3**15)  # d/dx x^16


def test_changing_a_value_while_stepping_is_refused_and_putting_it_back_goes_on():
    o, v = lecture_neuron()
    s = Stepper(o)
    s.run_to(v["x1*w1 + x2*w2"])
    v["w1"].data = 5.0
    s.step()  # x2*w2 does not use w1
    with pytest.raises(GraphChangedError, match="step 5: the value of w1 changed from -3.0 to 5.0"):
        s.step()
    v["w1"].data = -3.0
    s.step()
    assert v["x1"].grad == pytest.approx(-1.5)


def test_rewiring_the_graph_while_stepping_is_refused():
    o, v = lecture_neuron()
    steps = backward_steps(o)
    next(steps)
    v["n"]._prev = (v["x1*w1 + x2*w2"], v["x1"])
    with pytest.raises(GraphChangedError, match="step 2: node n was changed after stepping began"):
        next(steps)


def test_another_backward_in_the_middle_is_refused():
    o, v = lecture_neuron()
    s = Stepper(o)
    s.step()
    o.backward()  # fills in every grad behind the stepper's back
    with pytest.raises(GraphChangedError, match=r"step 2: \(x1\*w1 \+ x2\*w2\)\.grad is 0\.49.* left it at 0\.0"):
        s.step()
    with pytest.raises(GraphChangedError, match=r"back\(\): n.grad is"):
        v["n"].grad = 7.0
        s.back()


def test_a_failing_rule_leaves_the_grads_as_the_last_good_step_left_them():
    x = Value(float("inf"), label="x")
    c = Value(1.0, label="c")
    z = x * c  # backward gives c the gradient inf: detect_anomaly stops there
    z.label = "z"
    steps = backward_steps(z)
    with engine.detect_anomaly(), pytest.raises(engine.AnomalyError):
        next(steps)
    assert (x.grad, c.grad) == (0.0, 0.0)
    with pytest.raises(RuntimeError, match="the backward pass stopped at step 1 with AnomalyError"):
        next(steps)


def test_a_stepper_whose_pass_failed_says_reset_starts_again_and_it_does():
    x = Value(float("inf"), label="x")
    c = Value(1.0, label="c")
    z = x * c
    z.label = "z"
    s = Stepper(z)
    with engine.detect_anomaly(), pytest.raises(engine.AnomalyError):
        s.step()
    with pytest.raises(RuntimeError, match=r"stopped at step 1 with AnomalyError.*reset\(\) starts a new one"):
        s.step()
    s.reset()
    s.step()  # outside detect_anomaly the step goes through
    assert (x.grad, c.grad, s.position) == (1.0, float("inf"), 1)


def test_forward_steps_lists_each_computation_with_its_numbers():
    o, _ = lecture_neuron()
    assert forward_steps(o).splitlines() == [
        "x1*w1 = x1 * w1 = 2.0 * (-3.0) = -6.0",
        "x2*w2 = x2 * w2 = 0.0 * 1.0 = 0.0",
        "x1*w1 + x2*w2 = (x1*w1) + (x2*w2) = (-6.0) + 0.0 = -6.0",
        "n = (x1*w1 + x2*w2) + b = (-6.0) + 6.88137 = 0.881374",
        "o = tanh(n) = tanh(0.881374) = 0.707107",
    ]
    assert forward_steps(Value(1.0, label="x")) == "x = 1.0 (an input: nothing to compute)"


# --- a million nodes: a step costs O(inputs) -------------------------------------------------


def test_a_step_allocates_nothing_that_grows_with_the_graph():
    def chain(length):
        x = Value(0.5, label="x")
        y = x
        for _ in range(length):
            y = y * 1.0000001
        return y

    def peak_bytes_of_steps(root, n_steps):
        s = Stepper(root)  # walks the whole graph once, outside the measurement
        s.step()
        s.back()  # names the nodes, once, for its message
        s.step()
        # Fill CPython's free list of pairs first: pairs freed into it would count as held.
        pairs = [(i, i) for i in range(5000)]
        del pairs
        tracemalloc.start()
        for _ in range(n_steps):
            s.step()
            s.back()
            s.step()
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        return peak

    small, large = peak_bytes_of_steps(chain(1_000), 200), peak_bytes_of_steps(chain(200_000), 200)
    # Anything proportional to the graph would take megabytes on the large one (8 bytes a node).
    assert large < 64_000 and large < 4 * small + 16_000, (small, large)


# --- pictures ----------------------------------------------------------------------------------


def node_strokes(svg_text):
    """{graphviz node id ('n3'): stroke colour of its box} from an SVG that dot really drew."""
    root = ET.fromstring(svg_text)
    strokes = {}
    for group in root.iter(f"{SVG}g"):
        if group.get("class") == "node":
            title = group.find(f"{SVG}title").text
            shape = group.find(f".//{SVG}polygon")
            if shape is not None:
                strokes[title] = shape.get("stroke")
    return strokes


def svg_texts(svg_text):
    """Every text dot wrote into the SVG, entities decoded ('&#45;1.5' is '-1.5')."""
    return [t.text for t in ET.fromstring(svg_text).iter(f"{SVG}text")]


def test_show_draws_the_current_node_red_and_finished_nodes_green():
    o, v = lecture_neuron()
    order = topological_order(o)
    ids = {node.label: f"n{i}" for i, node in enumerate(order)}
    s = Stepper(o)
    s.run_to(v["x1*w1 + x2*w2"])
    svg = s.show().pipe(format="svg", encoding="utf-8")
    strokes = node_strokes(svg)
    assert strokes[ids["x1*w1 + x2*w2"]] == "#d62728"  # just stepped
    assert strokes[ids["o"]] == strokes[ids["n"]] == strokes[ids["b"]] == "#2ca02c"  # finished (b: a leaf)
    assert strokes[ids["x1"]] == strokes[ids["x1*w1"]] == "black"  # still to come
    texts = svg_texts(svg)
    assert "grad 0.5" in texts and "grad -1.5" not in texts  # grads only as far as stepping went


def test_save_frames_writes_one_svg_per_step_and_leaves_the_stepper_where_it_was(tmp_path):
    o, v = lecture_neuron()
    s = Stepper(o)
    s.step()
    before = all_grads(o)
    paths = s.save_frames(tmp_path / "frames")
    assert [p.name for p in paths] == [f"step_00{k}.svg" for k in range(1, 6)]
    order = topological_order(o)
    for k, path in enumerate(paths):
        strokes = node_strokes(path.read_text())
        current = s._walk.nodes[k]
        assert strokes[f"n{order.index(current)}"] == "#d62728"
    assert "grad -1.5" in svg_texts(paths[-1].read_text())
    assert "grad -1.5" not in svg_texts(paths[0].read_text())
    assert s.position == 1 and all_grads(o) == before
    with pytest.raises(ValueError, match="this graph has 5 steps, more than max_steps=3"):
        s.save_frames(tmp_path / "few", max_steps=3)


def test_to_html_is_one_file_with_everything_inside(tmp_path):
    o, _ = lecture_neuron()
    path = Stepper(o).to_html(tmp_path / "walk.html")
    page = path.read_text()
    assert page.count('<section class="crw-frame"') == 6 and page.count("<svg") == 6  # the seed, then 5 steps
    assert "http://" not in page.replace("http://www.w3.org/", "")  # SVG namespaces only
    assert "https://" not in page and "<script src" not in page and "<link" not in page
    assert "o = tanh(n): dL/dn += dL/do * do/dn = 1.0 * 0.5 = 0.5  -&gt;  n.grad = 0.5" in page


def test_the_demo_prints_every_step_and_writes_the_walkthrough(tmp_path, capsys):
    from demos import step_through

    assert step_through.main(["--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert out.count("step ") >= 5 and "step 5 of 5" in out
    assert "x1*w1 = x1 * w1: dL/dx1 += dL/d(x1*w1) * d(x1*w1)/dx1 = 0.5 * -3.0 = -1.5  ->  x1.grad = -1.5" in out
    assert "n = (x1*w1 + x2*w2) + b:\n    dL/d(x1*w1 + x2*w2) += dL/dn * dn/d(x1*w1 + x2*w2)" in out
    page = (tmp_path / "step_through.html").read_text()
    assert page.count('<section class="crw-frame"') == 6


def test_a_seed_too_large_for_a_float_is_a_value_error_naming_the_gradient():
    x = Value(2.0, label="x")
    y = x * x
    with pytest.raises(ValueError, match="backward_steps: gradient is too large for a float"):
        next(backward_steps(y, 10**400))
